/**
 * Controller mode with real processes: the controller (broker/controller/main.ts), three broker
 * replicas of broker-a with enableControllerMode, a name server on real TCP and the lab's producer.
 *
 * One group of three under allAckInSyncStateSet: the first replica becomes master by the bootstrap
 * election, the others join its SyncStateSet as they catch up; every SEND_OK is then held by all
 * three. The master is SIGKILLed while the producer sends: the controller elects a SyncStateSet
 * member, the producer follows the route to it, and no SEND_OK message is missing from the new
 * master. The old master restarts from its own store and rejoins as a slave of the new epoch.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Producer } from '../../broker/client/producer';
import { parseOffsetMsgId } from '../../broker/protocol/message-record';
import { NamesrvController } from '../../broker/namesrv/namesrv-controller';
import { DefaultMessageStore } from '../../broker/store/message-store';
import { EXIT_CODE_RESTART } from '../../broker/runtime/child-runtime';
import { defaultSettings } from '../../broker/config/broker-config';
import { startBroker, waitFor } from '../support/broker-process';
import { startController } from '../support/controller-process';
import { lastHa, startControllerGroup } from '../support/controller-group';

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

test('one group of three in controller mode: automatic failover on a SIGKILLed master loses no SEND_OK under allAckInSyncStateSet', async () => {
  const group = await startControllerGroup({ root, brokerName: 'broker-a', controllerMode: CONTROLLER_MODE, controller: { controllerHeartBeatTimeoutMills: 1500, scanNotActiveBrokerInterval: 200 } });
  cleanups.push(() => group.stop());
  const { controller, namesrv } = group;
  const replica = (id: number) => group.replica(id);

  const replicas = [await replica(1)];
  await waitFor('replica 1 master', () => lastHa(replicas[0]!.current())?.controller?.role === 'MASTER', 15_000);
  replicas.push(await replica(2), await replica(3));
  await waitFor('the SyncStateSet {1, 2, 3}', () => lastHa(replicas[0]!.current())?.controller?.syncStateSet.join(',') === '1,2,3', 15_000);
  assert.equal(lastHa(replicas[1]!.current())?.controller?.role, 'SLAVE');

  const producer = new Producer({ producerGroup: 'controller-mode', producerId: 'p-controller', namesrvAddr: namesrv.address, sendMsgTimeout: 3000, retryTimesWhenSendFailed: 2 });
  cleanups.push(() => producer.close());
  const acked: { offsetMsgId: string; msgId: string; body: string }[] = [];
  const failed: { atMs: number; error: string }[] = [];
  let sending = true;
  const loop = (async () => {
    for (let i = 0; sending; i++) {
      try {
        const body = `m${i}`;
        const result = await producer.send({ topic: 'TopicTest', body: Buffer.from(body) });
        if (result.sendStatus === 'SEND_OK') acked.push({ offsetMsgId: result.offsetMsgId, msgId: result.msgId, body });
      } catch (error) {
        failed.push({ atMs: Date.now(), error: (error as Error).message });
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  })();
  await waitFor('100 SEND_OK before the fault', () => acked.length >= 100, 15_000);

  const killedAt = Date.now();
  const before = acked.length;
  await replicas[0]!.current().kill();
  await waitFor('a new master', () => [1, 2].some((i) => lastHa(replicas[i]!.current())?.controller?.role === 'MASTER'), 15_000);
  await waitFor('100 more SEND_OK after the failover', () => acked.length >= before + 100, 20_000);
  const rtoMs = Date.now() - killedAt;
  const newMaster = [1, 2].find((i) => lastHa(replicas[i]!.current())?.controller?.role === 'MASTER')!;
  const newMasterHa = lastHa(replicas[newMaster]!.current())!.controller!;
  assert.equal(newMasterHa.masterEpoch, 2, 'the second master epoch');
  assert.ok(controller.events.some((e) => /elected master, epoch 2/.test(e)), controller.events.join('\n'));

  // The old master returns from its own store and follows the new epoch (cutting its log first if
  // it went past the point both agree on: a restart the supervisor makes).
  const rejoined = await replica(1);
  await waitFor('the old master a slave', () => lastHa(rejoined.current())?.controller?.role === 'SLAVE', 20_000);
  const rejoin = rejoined.restarts > 0 ? 'restart' : 'slave';
  sending = false;
  await loop;

  // Every SEND_OK message is in the new master's log.
  const masterStoreDir = replicas[newMaster]!.current().storeDir;
  await replicas[newMaster]!.current().stop();
  const store = await DefaultMessageStore.open({ storePathRootDir: masterStoreDir, storeHost: { ip: '127.0.0.1', port: 0 }, settings: () => ({ ...defaultSettings(), mappedFileSizeCommitLog: 1024 * 1024 }) });
  try {
    const missing = acked.filter((a) => store.lookMessageByOffset(parseOffsetMsgId(a.offsetMsgId)!.commitLogOffset)?.body.toString() !== a.body);
    assert.deepEqual(missing.map((r) => r.msgId), [], `SEND_OK messages missing from the new master (${acked.length} acked, ${failed.length} failed sends, RTO ${rtoMs} ms)`);
  } finally {
    await store.shutdown();
  }
  console.log(`[controller-mode] ${acked.length} SEND_OK, ${failed.length} failed sends, failover ${rtoMs} ms, old master ${rejoin === 'restart' ? 'cut its log and rejoined' : 'rejoined without a cut'}`);
});

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
