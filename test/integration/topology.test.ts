/**
 * Topologies as data (server/cluster/topology.ts) on real processes: two groups of master + slave
 * register with the name server under distinct brokerIds, take the settings on every replica, share
 * a topic created on each master, and a producer that routes through the name server writes to both;
 * each group replicates its own commit log, and the Messages tracker keeps each message on its
 * group's log. Then the shape changes to a master alone and is saved; drills refuse any shape but
 * master + slave, and the slave's API says there is none.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Producer, type SendResult } from '../../broker/client/producer';
import { waitFor } from '../support/broker-process';
import { tempDatabase } from '../support/temp-lab';
import { contrastInput, startMatrixCluster } from '../../server/drills/matrix';
import { drillSpec } from '../../server/drills/catalog';

test('topology - two groups of master + slave: routes, settings, a topic and traffic on both; then a master alone', async () => {
  const db = await tempDatabase('zeroloss-topology-');
  const { createLab } = await import('../../server/lab');
  const lab = createLab({ prisma: db.prisma, dataDir: db.dataDir, brokerPort: 0, namesrvPort: 0, startSlave: true, topology: { groups: 2, replicas: 2 } });
  const cp = lab.controlPlane;
  let producer: Producer | undefined;
  try {
    await cp.start();
    assert.deepEqual(cp.groups.map((g) => g.replicas.map((n) => n.name)), [['broker-a/0', 'broker-a/1'], ['broker-b/0', 'broker-b/1']]);
    assert.ok(cp.nodes.every((n) => n.running), 'every replica runs once start() resolves');

    // Settings reach every replica of every group, and each confirms them.
    await cp.updateSettings({ flushDiskType: 'SYNC_FLUSH' });
    const views = cp.nodeSettings();
    assert.deepEqual(views.map((v) => `${v.node}:${v.state}:${v.running?.flushDiskType}`), [
      'broker-a/0:confirmed:SYNC_FLUSH', 'broker-a/1:confirmed:SYNC_FLUSH', 'broker-b/0:confirmed:SYNC_FLUSH', 'broker-b/1:confirmed:SYNC_FLUSH',
    ]);
    assert.deepEqual((await cp.verifyNodeSettings(cp.settings.get())).mismatches, []);

    // The topic is created on each group's master; its route lists both groups, each master 0 and slave 1.
    await cp.createTopic({ topic: 'TopoTopic', queueNums: 2, perm: 6 });
    const route = await waitFor('both groups route TopoTopic', async () => {
      const r = cp.namesrv.routes.pickupTopicRouteData('TopoTopic');
      return r && r.brokerDatas.length === 2 && r.brokerDatas.every((b) => Object.keys(b.brokerAddrs).length === 2) ? r : undefined;
    }, 15_000);
    assert.deepEqual(route.brokerDatas.map((b) => [b.brokerName, Object.keys(b.brokerAddrs).sort()]).sort(), [['broker-a', ['0', '1']], ['broker-b', ['0', '1']]]);
    assert.deepEqual(route.queueDatas.map((q) => `${q.brokerName}:${q.writeQueueNums}`).sort(), ['broker-a:2', 'broker-b:2']);

    producer = new Producer({ producerGroup: 'topology-test', producerId: 'p-topology', namesrvAddr: cp.namesrv.address });
    const results: SendResult[] = [];
    for (let i = 0; i < 16; i++) results.push(await producer.send({ topic: 'TopoTopic', body: Buffer.from(`m${i}`) }));
    assert.ok(results.every((r) => r.sendStatus === 'SEND_OK'), results.map((r) => r.sendStatus).join());
    assert.deepEqual([...new Set(results.map((r) => r.brokerName))].sort(), ['broker-a', 'broker-b'], 'the producer spreads over both groups\' queues');

    // Each group replicates its own log: broker-b's slave acks broker-b's master's end.
    await waitFor('broker-b replicated', async () => {
      const [master, slave] = cp.state().topology.groups[1]!.replicas;
      return master!.role === 'SYNC_MASTER' || master!.role === 'ASYNC_MASTER'
        ? (master!.slaveConnections === 1 && master!.lagBytes === 0 && (master!.maxPhyOffset ?? 0) > 0 && slave!.role === 'SLAVE' && slave!.connectionState === 'TRANSFER')
        : false;
    }, 15_000);
    // The Messages tracker keeps each message on the log of the group that stored it.
    await waitFor('every message tracked on its group', async () => results.every((r) => cp.messages.get(r.msgId)?.storedOn === r.brokerName && cp.messages.get(r.msgId)?.flushedAt !== null), 10_000);

    // A whole group lost: a producer with sendLatencyFaultEnable isolates broker-b at its first failed
    // attempt, retries on broker-a, and writes on to broker-a alone.
    const avoiding = new Producer({ producerGroup: 'topology-test-faults', producerId: 'p-faults', namesrvAddr: cp.namesrv.address, sendLatencyFaultEnable: true });
    try {
      for (let i = 0; i < 4; i++) await avoiding.send({ topic: 'TopoTopic', body: Buffer.from(`warm${i}`) });
      await cp.groups[1]!.replica(0).kill();
      const after: SendResult[] = [];
      for (let i = 0; i < 10; i++) after.push(await avoiding.send({ topic: 'TopoTopic', body: Buffer.from(`after${i}`) }));
      assert.ok(after.every((r) => r.sendStatus === 'SEND_OK' && r.brokerName === 'broker-a'), after.map((r) => `${r.brokerName}:${r.sendStatus}`).join());
      const avoided = avoiding.avoidedBrokers();
      assert.deepEqual(avoided.map((a) => [a.brokerName, a.currentLatencyMs]), [['broker-b', 30_000]]);
      assert.ok(avoided[0]!.backInMs > 590_000, 'isolated for 10 minutes');
      assert.ok(after.filter((r) => r.attempts > 1).length <= 1, 'at most the first send after the loss needed a second attempt');
    } finally {
      await avoiding.close();
    }

    // A shape this machine refuses never stops anything.
    await assert.rejects(cp.setTopology({ groups: 1, replicas: 4 }), /replicas must be at most 3/);
    assert.equal(cp.groups.length, 2);

    // A master alone: broker-b is gone, broker-a has one replica, the shape is saved.
    await producer.close();
    producer = undefined;
    await cp.setTopology({ groups: 1, replicas: 1 });
    assert.deepEqual(cp.nodes.map((n) => `${n.name}:${n.running}`), ['broker-a/0:true']);
    assert.equal(cp.state().replication, undefined);
    assert.deepEqual(await db.prisma.clusterTopology.findUnique({ where: { id: 1 }, select: { groups: true, replicas: true } }), { groups: 1, replicas: 1 });
    assert.throws(() => cp.secondReplica, /broker-a has no replica 1: it runs a master alone/);
    const catalog = lab.drillRunner.catalog();
    assert.ok(catalog.every((d) => !d.runnable && /^this drill runs on (1 group × [23] replicas|2 groups × 2 replicas) .*; this cluster runs 1 group × 1 replica \(a master alone\)/.test(d.waitingFor ?? '')), JSON.stringify(catalog.map((d) => d.waitingFor)));
    await assert.rejects(lab.drillRunner.run({ drillId: 'process-crash' } as Parameters<typeof lab.drillRunner.run>[0]), /process-crash cannot run now: this drill runs on 1 group × 2 replicas \(master \+ slave\)/);
  } finally {
    await producer?.close();
    await lab.stop();
    await db.remove();
  }
});

test('topology - group-loss on two groups, safe side: broker-b\'s master lost, writes go on to broker-a, no SEND_OK lost (SYNC_MASTER)', async () => {
  const cluster = await startMatrixCluster({ groups: 2, replicas: 2 });
  try {
    const { runId } = await cluster.runner.run(contrastInput(drillSpec('group-loss'), 'safe', 3, { durationSec: 5 }));
    await cluster.runner.wait(runId);
    const run = (await cluster.runner.get({ runId, anomalyLimit: 10 }))!;
    assert.equal(run.status, 'done', run.error ?? '');
    const s = run.summary!;
    assert.equal(run.verdict, 'PASS', run.verdictReason ?? '');
    assert.equal(s.lostAcked, 0);
    assert.ok(s.acknowledged.SEND_OK > 500, `SEND_OK ${s.acknowledged.SEND_OK}`);
    assert.ok(run.events.some((e) => /deleted broker-b\/0's store/.test(e.message)), 'the loss is on the timeline');
    // Writes went on: the sends after the fault were answered SEND_OK (the ones on broker-b retried on broker-a).
    assert.ok(s.recovery.failedSends <= 2, `sends failed after the fault: ${s.recovery.failedSends}`);
    assert.equal(cluster.controlPlane.classicGroups[1]!.master.running, false, 'classic mode: nobody took broker-b\'s place');
  } finally {
    await cluster.close();
  }
});
