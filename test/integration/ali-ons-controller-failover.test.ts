/**
 * A real RocketMQ client through an automatic failover across two groups: ali-ons 3.12 (unmodified)
 * against the lab's cluster of two broker groups of two replicas in controller mode, as the control
 * plane runs it (name server, controller and four broker processes, allAckInSyncStateSet). Its
 * producer spreads over both groups; broker-a's master is SIGKILLed; the controller elects its slave,
 * the operator creates the topic there (as `mqadmin updateTopic` would: Zeroloss has no
 * SlaveSynchronize), and the producer goes on over both groups, broker-a's new master included. Its
 * consumer receives every SEND_OK message (docs/rocketmq-semantics.md#client-compatibility).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { waitFor } from '../support/broker-process';
import { startMatrixCluster } from '../../server/drills/matrix';
import { CONTROLLER_LAB_TIMERS } from '../../server/drills/catalog';
import { PermName } from '../../broker/protocol/codes';
import { consumer, ons, producer } from '../support/ali-ons-client';

test('ali-ons across two groups in controller mode: it follows broker-a\'s automatic failover, and every SEND_OK message is consumed', async () => {
  const cluster = await startMatrixCluster({ groups: 2, replicas: 2 });
  const cp = cluster.controlPlane;
  const nameSrv = cp.namesrv.address;
  const topic = `CompatFailover${Date.now()}`;
  const queueNums = 4;
  const p = producer(nameSrv, 'PID_compat_failover');
  const c = consumer(nameSrv, 'GID_compat_failover');
  const ok = new Map<string, string>();
  const received = new Set<string>();
  try {
    await cp.updateSettings({ enableControllerMode: true, brokerRole: 'ASYNC_MASTER', allAckInSyncStateSet: true, ...CONTROLLER_LAB_TIMERS });
    await cp.waitForMasters();
    await cp.waitForFullSyncStateSets();
    const createOn = (address: string | undefined) => cp.admin.createAndUpdateTopicConfig(address!, { topic, readQueueNums: queueNums, writeQueueNums: queueNums, perm: PermName.PERM_READ | PermName.PERM_WRITE });
    for (const group of cp.groups) await createOn(group.master!.address);
    await waitFor('the topic routed on both groups', () => cp.namesrv.routes.pickupTopicRouteData(topic)?.queueDatas.length === 2, 10_000);

    c.subscribe(topic, '*', async (msg) => { received.add(msg.body.toString()); });
    await c.ready();
    await p.ready();
    let next = 0;
    const sendOne = async () => {
      const body = `m${next++}`;
      try {
        const r = await p.send(new ons.Message(topic, 'failover', body));
        if (r.sendStatus === 'SEND_OK') ok.set(body, r.messageQueue.brokerName);
      } catch {
        // broker-a's master is gone and ali-ons's retries found no other queue in time: never acknowledged
      }
    };
    for (let i = 0; i < 40; i++) await sendOne();
    assert.equal(ok.size, 40, 'every send before the failover was SEND_OK');
    assert.deepEqual(new Set(ok.values()), new Set(['broker-a', 'broker-b']), 'the producer spread over both groups');

    const groupA = cp.groups[0]!;
    const old = groupA.master!;
    const epoch = old.haStats?.controller?.masterEpoch ?? 0;
    await old.kill();
    await waitFor('the controller electing broker-a\'s slave', () => {
      const master = groupA.master;
      return master !== undefined && master !== old && (master.haStats?.controller?.masterEpoch ?? 0) > epoch;
    }, 30_000);
    await createOn(groupA.master!.address);
    await waitFor('the route names broker-a\'s new master', () =>
      cp.namesrv.routes.pickupTopicRouteData(topic)?.brokerDatas.find((b) => b.brokerName === 'broker-a')?.brokerAddrs['0'] === groupA.master!.address, 10_000);

    const before = ok.size;
    const afterFailover = () => [...ok].slice(before).filter(([, brokerName]) => brokerName === 'broker-a').length;
    await waitFor('ali-ons sends to broker-a\'s new master', async () => {
      await sendOne();
      return afterFailover() > 0;
    }, 20_000);
    for (let i = 0; i < 40; i++) await sendOne();
    assert.ok(afterFailover() > 5, `SEND_OK from broker-a's new master: ${afterFailover()}`);
    assert.ok([...ok].slice(before).some(([, brokerName]) => brokerName === 'broker-b'), 'and from broker-b');
    await waitFor('every SEND_OK message consumed', () => [...ok.keys()].every((b) => received.has(b)), 40_000);
  } finally {
    // ali-ons's close persists offsets to every broker it knew, the dead master included: that may fail.
    await c.close().catch(() => undefined);
    await p.close().catch(() => undefined);
    await cluster.close();
  }
});
