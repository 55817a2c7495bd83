/**
 * The controller of controller mode as a real process (broker/controller/main.ts) on a real TCP
 * port, spoken to with RocketMQ's controller request codes: a group's first election, the
 * SyncStateSet fenced by its epoch, automatic election from the SyncStateSet when the master stops
 * heartbeating (never the replica outside it, though it holds more), NOTIFY_BROKER_ROLE_CHANGED to
 * the replicas, and a SIGKILL of the controller that loses none of what it answered.
 *
 * The replicas here are remoting endpoints of the test that register, heartbeat and record what the
 * controller tells them: this is the controller's contract. Real brokers following it are the next
 * step of controller mode (docs/architecture.md#controller-mode).
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { RequestCode, ResponseCode } from '../../broker/protocol/codes';
import { createRequest, createResponse, extNumber, type RemotingCommand } from '../../broker/protocol/remoting-command';
import { RemotingClient } from '../../broker/remoting/remoting-client';
import { RemotingServer } from '../../broker/remoting/remoting-server';
import { startController as startControllerProcess } from '../support/controller-process';
import { waitFor } from '../support/broker-process';

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'zeroloss-controller-'));
const client = new RemotingClient();
const cleanups: (() => Promise<unknown> | void)[] = [];
after(async () => {
  client.close();
  for (const cleanup of cleanups.reverse()) await cleanup();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

async function startController() {
  const controller = await startControllerProcess({ dataDir, controllerHeartBeatTimeoutMills: 1500, scanNotActiveBrokerInterval: 100 });
  cleanups.push(() => controller.handle.kill());
  return controller;
}

/** A replica's remoting endpoint: records every NOTIFY_BROKER_ROLE_CHANGED the controller sends it. */
async function replicaEndpoint(): Promise<{ address: string; told: { masterBrokerId: number; masterEpoch: number }[] }> {
  const told: { masterBrokerId: number; masterEpoch: number }[] = [];
  const server = new RemotingServer({});
  server.register(RequestCode.NOTIFY_BROKER_ROLE_CHANGED, (request) => {
    told.push({ masterBrokerId: extNumber(request, 'masterBrokerId')!, masterEpoch: extNumber(request, 'masterEpoch')! });
    return createResponse(request, ResponseCode.SUCCESS);
  });
  const port = await server.listen(0);
  cleanups.push(() => server.close());
  return { address: `127.0.0.1:${port}`, told };
}

const call = (address: string, code: number, fields: Record<string, string | number | boolean>, body?: unknown): Promise<RemotingCommand> =>
  client.invoke(address, createRequest(code, fields, body === undefined ? undefined : Buffer.from(JSON.stringify(body))), 3000);

const bodyOf = (response: RemotingCommand) => JSON.parse(response.body!.toString('utf8')) as { syncStateSet: number[]; syncStateSetEpoch: number };

test('elections follow the SyncStateSet, are fenced by epochs, reach the replicas, and survive a SIGKILL of the controller', async () => {
  let controller = await startController();
  const replicas = [await replicaEndpoint(), await replicaEndpoint(), await replicaEndpoint()];
  const offsets = [1000, 3000, 2000];
  for (const [i, r] of replicas.entries()) {
    const answer = await call(controller.address, RequestCode.CONTROLLER_REGISTER_BROKER, {
      clusterName: 'DefaultCluster', brokerName: 'broker-a', brokerId: i + 1, brokerAddress: r.address, haAddress: `127.0.0.1:${20000 + i}`, maxOffset: offsets[i]!, epoch: 0,
    });
    assert.equal(answer.code, ResponseCode.SUCCESS, answer.remark);
  }

  // The group's first election makes the replica that asks its master (RocketMQ's bootstrap).
  const first = await call(controller.address, RequestCode.CONTROLLER_ELECT_MASTER, { clusterName: 'DefaultCluster', brokerName: 'broker-a', brokerId: 2 });
  assert.equal(first.code, ResponseCode.SUCCESS, first.remark);
  assert.equal(extNumber(first, 'masterBrokerId'), 2);
  assert.equal(extNumber(first, 'masterEpoch'), 1);
  assert.deepEqual(bodyOf(first).syncStateSet, [2]);
  await waitFor('every replica told of master 2, epoch 1', () => replicas.every((r) => r.told.some((t) => t.masterBrokerId === 2 && t.masterEpoch === 1)), 5000);

  // The master takes replica 1 into its SyncStateSet; a request at a stale SyncStateSet epoch is fenced.
  const grown = await call(controller.address, RequestCode.CONTROLLER_ALTER_SYNC_STATE_SET, { brokerName: 'broker-a', masterBrokerId: 2, masterEpoch: 1 }, { syncStateSet: [2, 1], syncStateSetEpoch: 1 });
  assert.equal(grown.code, ResponseCode.SUCCESS, grown.remark);
  assert.deepEqual(bodyOf(grown), { syncStateSet: [1, 2], syncStateSetEpoch: 2 });
  const stale = await call(controller.address, RequestCode.CONTROLLER_ALTER_SYNC_STATE_SET, { brokerName: 'broker-a', masterBrokerId: 2, masterEpoch: 1 }, { syncStateSet: [2, 1, 3], syncStateSetEpoch: 1 });
  assert.equal(stale.code, ResponseCode.CONTROLLER_FENCED_SYNC_STATE_SET_EPOCH, stale.remark);
  const notMaster = await call(controller.address, RequestCode.CONTROLLER_ALTER_SYNC_STATE_SET, { brokerName: 'broker-a', masterBrokerId: 3, masterEpoch: 1 }, { syncStateSet: [3], syncStateSetEpoch: 2 });
  assert.equal(notMaster.code, ResponseCode.CONTROLLER_INVALID_MASTER, notMaster.remark);

  // Replicas 1 and 3 keep heartbeating, the master (2) goes silent: 1 is elected (in the SyncStateSet),
  // not 3, although 3's log is longer.
  const beat = setInterval(() => {
    for (const id of [1, 3]) {
      void call(controller.address, RequestCode.BROKER_HEARTBEAT, { clusterName: 'DefaultCluster', brokerName: 'broker-a', brokerAddr: replicas[id - 1]!.address, brokerId: id, epoch: 1, maxOffset: offsets[id - 1]! }).catch(() => {});
    }
  }, 200);
  try {
    await waitFor('replica 1 told it is master of epoch 2', () => replicas[0]!.told.some((t) => t.masterBrokerId === 1 && t.masterEpoch === 2), 10_000);
    // The notices are separate oneway sends, one per replica: replica 3's may land after replica 1's.
    await waitFor('replica 3 told too', () => replicas[2]!.told.some((t) => t.masterBrokerId === 1 && t.masterEpoch === 2), 5000);
    assert.ok(controller.events.some((e) => /broker-a\/1 elected master, epoch 2/.test(e)), controller.events.join('\n'));

    // SIGKILL the controller: a new one on the same data answers what the old one had answered.
    await controller.handle.kill();
    controller = await startController();
    const info = await call(controller.address, RequestCode.CONTROLLER_GET_REPLICA_INFO, { brokerName: 'broker-a' });
    assert.equal(info.code, ResponseCode.SUCCESS, info.remark);
    assert.equal(extNumber(info, 'masterBrokerId'), 1);
    assert.equal(extNumber(info, 'masterEpoch'), 2);
    assert.deepEqual(bodyOf(info), { syncStateSet: [1], syncStateSetEpoch: 3 });

    // Its liveness starts empty and comes back with the heartbeats (they keep coming); a replica it
    // never recorded must register.
    const unknown = await call(controller.address, RequestCode.BROKER_HEARTBEAT, { clusterName: 'DefaultCluster', brokerName: 'broker-a', brokerAddr: '127.0.0.1:1', brokerId: 9, epoch: 2, maxOffset: 1000 });
    assert.equal(unknown.code, ResponseCode.CONTROLLER_BROKER_NEED_TO_BE_REGISTERED);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const still = await call(controller.address, RequestCode.CONTROLLER_ELECT_MASTER, { clusterName: 'DefaultCluster', brokerName: 'broker-a', brokerId: 1 });
    assert.equal(still.code, ResponseCode.CONTROLLER_MASTER_STILL_EXIST, still.remark);
    assert.equal(extNumber(still, 'masterEpoch'), 2);
  } finally {
    clearInterval(beat);
  }

  // With every replica silent, a replica's request for an election is refused, naming why.
  await waitFor('replica 1 inactive', async () => {
    const view = await call(controller.address, RequestCode.CONTROLLER_GET_SYNC_STATE_DATA, {});
    return !(JSON.parse(view.body!.toString('utf8')) as { groups: { replicas: { brokerId: number; alive: boolean }[] }[] }).groups[0]!.replicas.some((r) => r.alive);
  }, 10_000);
  const failed = await call(controller.address, RequestCode.CONTROLLER_ELECT_MASTER, { clusterName: 'DefaultCluster', brokerName: 'broker-a', brokerId: 3 });
  assert.equal(failed.code, ResponseCode.CONTROLLER_ELECT_MASTER_FAILED, failed.remark);
  assert.match(failed.remark ?? '', /no replica of the group is alive/);

  // Bad input: a missing field is named; the controller keeps serving.
  const bad = await call(controller.address, RequestCode.CONTROLLER_REGISTER_BROKER, { clusterName: 'DefaultCluster', brokerId: 4, brokerAddress: '127.0.0.1:1', haAddress: '127.0.0.1:2' });
  assert.equal(bad.code, ResponseCode.CONTROLLER_INVALID_REQUEST);
  assert.match(bad.remark ?? '', /brokerName is required/);
  const zero = await call(controller.address, RequestCode.CONTROLLER_REGISTER_BROKER, { clusterName: 'DefaultCluster', brokerName: 'broker-a', brokerId: 0, brokerAddress: '127.0.0.1:1', haAddress: '127.0.0.1:2' });
  assert.equal(zero.code, ResponseCode.CONTROLLER_INVALID_REQUEST);
  assert.match(zero.remark ?? '', /brokerId must be .* at least 1/);
  const view = await call(controller.address, RequestCode.CONTROLLER_GET_SYNC_STATE_DATA, {});
  assert.equal(view.code, ResponseCode.SUCCESS);
  const groups = (JSON.parse(view.body!.toString('utf8')) as { groups: { brokerName: string; masterBrokerId: number; masterEpoch: number; replicas: { brokerId: number }[] }[] }).groups;
  assert.deepEqual(groups.map((g) => [g.brokerName, g.masterBrokerId, g.masterEpoch, g.replicas.map((r) => r.brokerId)]), [['broker-a', 1, 2, [1, 2, 3]]]);
});
