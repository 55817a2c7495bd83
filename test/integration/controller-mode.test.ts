/**
 * Controller mode with real processes: the controller (broker/controller/main.ts), three broker
 * replicas of broker-a with enableControllerMode, a name server on real TCP and the lab's producer.
 *
 * An unclean election, per message: refused by default; when enabled, the lagging replica becomes
 * master and the old master cuts its acknowledged tail when it rejoins. (A failover under
 * allAckInSyncStateSet that loses no SEND_OK is the controller-failover drill's, through the whole
 * lab: test/integration/control-plane-controller-mode.test.ts.)
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Producer } from '../../broker/client/producer';
import { NamesrvController } from '../../broker/namesrv/namesrv-controller';
import { DefaultMessageStore } from '../../broker/store/message-store';
import { EXIT_CODE_RESTART } from '../../broker/runtime/child-runtime';
import { defaultSettings } from '../../broker/config/broker-config';
import { startBroker, waitFor } from '../support/broker-process';
import { startController } from '../support/controller-process';
import { lastHa } from '../support/controller-group';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'zeroloss-controller-mode-'));
const cleanups: (() => Promise<unknown> | void)[] = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  fs.rmSync(root, { recursive: true, force: true });
});

const CONTROLLER_MODE = {
  enableControllerMode: true,
  allAckInSyncStateSet: true,
  brokerHeartbeatInterval: 200,
  syncBrokerMetadataPeriod: 500,
  checkSyncStateSetPeriod: 500,
  haMaxTimeSlaveNotCatchup: 3000,
};

test('unclean election: refused by default; when enabled the lagging replica becomes master, and the old master cuts its acknowledged tail when it rejoins', async () => {
  const dataDir = path.join(root, 'controller-unclean');
  let controller = await startController({ dataDir, controllerHeartBeatTimeoutMills: 1500, scanNotActiveBrokerInterval: 200 });
  cleanups.push(() => controller.handle.kill());
  const namesrv = new NamesrvController();
  await namesrv.start(0);
  cleanups.push(() => namesrv.shutdown());
  // The default: inSyncReplicas 1, no allAckInSyncStateSet: a SEND_OK waits for no slave.
  const options = (id: number, storeDir: string) => ({
    storeDir,
    settings: { mappedFileSizeCommitLog: 1024 * 1024 },
    identity: { brokerName: 'broker-b', brokerId: id, namesrvAddr: namesrv.address },
    ha: { reconnectIntervalMs: 200 },
    controllerMode: { ...CONTROLLER_MODE, allAckInSyncStateSet: false, controllerAddr: controller.address },
  });
  const dir1 = path.join(root, 'broker-b-1');
  const dir2 = path.join(root, 'broker-b-2');
  let one = await startBroker(options(1, dir1));
  cleanups.push(() => one.kill());
  await waitFor('replica 1 master', () => lastHa(one)?.controller?.role === 'MASTER', 15_000);
  let two = await startBroker(options(2, dir2));
  cleanups.push(() => two.kill());
  await waitFor('the SyncStateSet {1, 2}', () => lastHa(one)?.controller?.syncStateSet.join(',') === '1,2', 15_000);

  const producer = new Producer({ producerGroup: 'controller-unclean', producerId: 'p-unclean', namesrvAddr: namesrv.address, sendMsgTimeout: 3000 });
  cleanups.push(() => producer.close());
  const send = async (body: string) => {
    const result = await producer.send({ topic: 'TopicTest', body: Buffer.from(body) });
    assert.equal(result.sendStatus, 'SEND_OK');
    return { offsetMsgId: result.offsetMsgId, body };
  };
  const replicated = [];
  for (let i = 0; i < 20; i++) replicated.push(await send(`both-${i}`));
  await waitFor('replica 2 holds them', () => (lastHa(two)?.controller?.lastEpoch ?? 0) === 1 && lastHa(one)!.slaveAckOffset >= lastHa(one)!.pushedOffset && lastHa(one)!.pushedOffset > 0, 10_000);

  // Replica 2 dies; the master goes on alone (its SyncStateSet shrinks to {1}) and acknowledges a tail.
  await two.kill();
  await waitFor('the SyncStateSet {1}', () => lastHa(one)?.controller?.syncStateSet.join(',') === '1', 15_000);
  const tail = [];
  for (let i = 0; i < 10; i++) tail.push(await send(`only-on-1-${i}`));
  await one.kill();

  // Replica 2 returns; it is not in the SyncStateSet: without enableElectUncleanMaster nobody is elected.
  two = await startBroker(options(2, dir2));
  await waitFor('the controller leaves broker-b without a master', () => controller.events.some((e) => /broker-b has no master/.test(e)), 15_000);
  await new Promise((r) => setTimeout(r, 1000));
  assert.notEqual(lastHa(two)?.controller?.role, 'MASTER', 'a replica outside the SyncStateSet is not elected');
  await assert.rejects(producer.send({ topic: 'TopicTest', body: Buffer.from('no-master') }), 'no group takes the send');

  // The operator allows an unclean election: the controller restarts with enableElectUncleanMaster.
  await controller.handle.kill();
  controller = await startController({ dataDir, controllerHeartBeatTimeoutMills: 1500, scanNotActiveBrokerInterval: 200, enableElectUncleanMaster: true });
  cleanups.push(() => controller.handle.kill());
  // (the replica keeps its controllerAddr: the new controller listens on another port, so it is restarted too)
  await two.stop();
  two = await startBroker({ ...options(2, dir2), controllerMode: { ...CONTROLLER_MODE, allAckInSyncStateSet: false, controllerAddr: controller.address } });
  await waitFor('replica 2 elected, uncleanly', () => lastHa(two)?.controller?.role === 'MASTER', 15_000);
  assert.ok(controller.events.some((e) => /broker-b\/2 elected master, epoch \d+ .*UNCLEAN/.test(e)), controller.events.join('\n'));
  const after = [];
  for (let i = 0; i < 5; i++) after.push(await send(`on-2-${i}`));

  // The old master rejoins: its log goes past where epoch 1 ended on replica 2, so it is cut there (a restart).
  one = await startBroker({ ...options(1, dir1), controllerMode: { ...CONTROLLER_MODE, allAckInSyncStateSet: false, controllerAddr: controller.address } });
  const exit = await one.exited;
  assert.equal(exit.code, EXIT_CODE_RESTART, `the old master restarts to cut its log:\n${one.output.join('\n')}`);
  assert.ok(one.output.some((l) => /diverged from the master of epoch/.test(l)) || one.messages.some((m) => m.type === 'ha' && /diverged from the master of epoch/.test(m.event.message)), one.output.join('\n'));
  one = await startBroker({ ...options(1, dir1), controllerMode: { ...CONTROLLER_MODE, allAckInSyncStateSet: false, controllerAddr: controller.address } });
  await waitFor('the old master a slave of replica 2', () => lastHa(one)?.controller?.role === 'SLAVE', 15_000);
  await waitFor('it caught up', () => lastHa(two)!.slaveAckOffset >= lastHa(two)!.pushedOffset && lastHa(two)!.slaveConnections === 1, 10_000);

  // Per message: what both held survives, the tail only the old master held is gone, what came after is there.
  await one.stop();
  const store = await DefaultMessageStore.open({ storePathRootDir: dir1, storeHost: { ip: '127.0.0.1', port: 0 }, settings: () => ({ ...defaultSettings(), mappedFileSizeCommitLog: 1024 * 1024 }) });
  try {
    const bodies = new Set<string>();
    for (let offset = store.minPhyOffset(); offset < store.maxPhyOffset();) {
      const m = store.lookMessageByOffset(offset);
      if (!m) break;
      bodies.add(m.body.toString());
      offset += m.storeSize;
    }
    assert.deepEqual(replicated.filter((a) => !bodies.has(a.body)), [], 'what both replicas held survives');
    assert.deepEqual(tail.filter((a) => bodies.has(a.body)), [], 'the SEND_OK tail only the old master held is cut');
    assert.deepEqual(after.filter((a) => !bodies.has(a.body)).map((a) => a.body), [], 'what the new master took is replicated to the old one');
  } finally {
    await store.shutdown();
  }
});
