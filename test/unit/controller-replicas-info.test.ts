/**
 * The controller's state machine for controller mode (broker/controller/replicas-info.ts, RocketMQ
 * 5.x ReplicasInfoManager + heartbeat manager): the first election, elections after the master goes
 * silent (clean and unclean), liveness by heartbeat, the fenced SyncStateSet change, and what
 * survives the controller's own restart (the records and the monotonic epoch, never liveness).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ControllerRefusal, ReplicasInfo, type ControllerSettings, type ReplicaAddress } from '../../broker/controller/replicas-info';

const CLUSTER = 'DefaultCluster';
const GROUP = 'broker-a';
const TIMEOUT = 10_000;

const clean = (): ControllerSettings => ({ enableElectUncleanMaster: false, controllerHeartBeatTimeoutMills: TIMEOUT });
const unclean = (): ControllerSettings => ({ enableElectUncleanMaster: true, controllerHeartBeatTimeoutMills: TIMEOUT });

function replica(brokerId: number): ReplicaAddress {
  return { brokerId, address: `127.0.0.1:${10_900 + brokerId * 10}`, haAddress: `127.0.0.1:${10_902 + brokerId * 10}` };
}

function refusal(code: ControllerRefusal['code']) {
  return (error: unknown) => {
    assert.ok(error instanceof ControllerRefusal, `expected a ControllerRefusal, got ${String(error)}`);
    assert.equal(error.code, code);
    return true;
  };
}

/** Three replicas registered at t=0 and a first election held: master 1, SyncStateSet [1] at epoch 1. */
function electedGroup(settings: () => ControllerSettings = clean): ReplicasInfo {
  const info = new ReplicasInfo(settings);
  info.register(CLUSTER, GROUP, replica(1), { maxOffset: 5000, lastEpoch: 0 }, 0);
  info.register(CLUSTER, GROUP, replica(2), { maxOffset: 4000, lastEpoch: 0 }, 0);
  info.register(CLUSTER, GROUP, replica(3), { maxOffset: 3000, lastEpoch: 0 }, 0);
  const first = info.electMaster(GROUP, null);
  assert.equal(first.info.masterBrokerId, 1);
  assert.equal(first.info.masterEpoch, 1);
  return info;
}

test('controller replicas-info - the first election takes the alive replica with the highest (lastEpoch, maxOffset), the lowest brokerId on ties', () => {
  const info = new ReplicasInfo(clean);
  info.register(CLUSTER, GROUP, replica(1), { maxOffset: 9000, lastEpoch: 1 }, 0);
  info.register(CLUSTER, GROUP, replica(2), { maxOffset: 100, lastEpoch: 3 }, 0);
  info.register(CLUSTER, GROUP, replica(3), { maxOffset: 700, lastEpoch: 3 }, 0);
  info.register(CLUSTER, GROUP, replica(4), { maxOffset: 700, lastEpoch: 3 }, 0);
  const before = info.info(GROUP);
  assert.equal(before.masterBrokerId, null);
  assert.equal(before.masterEpoch, 0);
  assert.deepEqual(before.syncStateSet, []);
  assert.equal(before.syncStateSetEpoch, 0);

  const result = info.electMaster(GROUP, null);
  // epoch 3 beats epoch 1 whatever the offsets; 700 beats 100; 3 and 4 tie, the lower id wins
  assert.equal(result.changed, true);
  assert.equal(result.unclean, false);
  assert.equal(result.noCandidate, undefined);
  assert.deepEqual(result.info, {
    brokerName: GROUP,
    masterBrokerId: 3,
    masterAddress: replica(3).address,
    masterHaAddress: replica(3).haAddress,
    masterEpoch: 1,
    syncStateSet: [3],
    syncStateSetEpoch: 1,
  });
  assert.deepEqual(info.info(GROUP), result.info, 'the election is kept, not only answered');
});

test('controller replicas-info - the first election skips a replica that is no longer alive', () => {
  const info = new ReplicasInfo(clean);
  info.register(CLUSTER, GROUP, replica(1), { maxOffset: 9000, lastEpoch: 0 }, 0);
  info.register(CLUSTER, GROUP, replica(2), { maxOffset: 10, lastEpoch: 0 }, 0);
  assert.equal(info.markInactive(GROUP, 1), false, 'no master yet, so the closed replica was not the master');
  const result = info.electMaster(GROUP, null);
  assert.equal(result.info.masterBrokerId, 2);
  assert.equal(result.info.masterEpoch, 1);
});

test('controller replicas-info - electMaster while the master is alive changes nothing', () => {
  const info = electedGroup();
  const before = info.info(GROUP);
  // a replica with a better log appearing does not unseat a live master
  info.heartbeat(GROUP, 2, { maxOffset: 99_999, lastEpoch: 7 }, 1_000);
  const again = info.electMaster(GROUP, null);
  assert.equal(again.changed, false);
  assert.equal(again.unclean, false);
  assert.equal(again.noCandidate, undefined);
  assert.deepEqual(again.info, before);
  assert.equal(info.info(GROUP).masterEpoch, 1);
  assert.equal(info.info(GROUP).syncStateSetEpoch, 1);
});

test('controller replicas-info - a master silent past controllerHeartBeatTimeoutMills is reported, and an alive SyncStateSet member replaces it', () => {
  const info = electedGroup();
  info.alterSyncStateSet(GROUP, { masterBrokerId: 1, masterEpoch: 1, syncStateSetEpoch: 1, syncStateSet: [1, 2, 3] });
  // 2 has the smaller log but the higher last epoch; 3 the larger log
  assert.equal(info.heartbeat(GROUP, 2, { maxOffset: 4000, lastEpoch: 1 }, 8_000), true);
  assert.equal(info.heartbeat(GROUP, 3, { maxOffset: 4500, lastEpoch: 0 }, 8_000), true);

  assert.deepEqual(info.scanInactive(TIMEOUT), [], 'silent exactly the timeout: still alive');
  assert.ok(info.isAlive(GROUP, 1));
  assert.deepEqual(info.scanInactive(TIMEOUT + 1), [{ brokerName: GROUP, brokerId: 1, wasMaster: true }]);
  assert.equal(info.isAlive(GROUP, 1), false);
  assert.deepEqual(info.scanInactive(TIMEOUT + 2), [], 'an inactive replica is reported once');

  const result = info.electMaster(GROUP, null);
  assert.equal(result.changed, true);
  assert.equal(result.unclean, false);
  assert.equal(result.noCandidate, undefined);
  assert.equal(result.info.masterBrokerId, 2, 'the higher last epoch wins over the larger max offset');
  assert.equal(result.info.masterAddress, replica(2).address);
  assert.equal(result.info.masterEpoch, 2);
  assert.deepEqual(result.info.syncStateSet, [2]);
  assert.equal(result.info.syncStateSetEpoch, 3);
});

test('controller replicas-info - a slave silent past the timeout is reported with wasMaster false', () => {
  const info = electedGroup();
  info.heartbeat(GROUP, 1, { maxOffset: 5000, lastEpoch: 1 }, 5_000);
  info.heartbeat(GROUP, 3, { maxOffset: 3000, lastEpoch: 0 }, 5_000);
  assert.deepEqual(info.scanInactive(12_000), [{ brokerName: GROUP, brokerId: 2, wasMaster: false }]);
  assert.equal(info.electMaster(GROUP, null).changed, false);
});

test('controller replicas-info - without enableElectUncleanMaster a replica outside the SyncStateSet is not elected', () => {
  const info = electedGroup(clean);
  info.heartbeat(GROUP, 2, { maxOffset: 4000, lastEpoch: 0 }, 8_000);
  info.heartbeat(GROUP, 3, { maxOffset: 3000, lastEpoch: 0 }, 8_000);
  assert.deepEqual(info.scanInactive(10_001), [{ brokerName: GROUP, brokerId: 1, wasMaster: true }]);

  // a replica that asks is refused and changes nothing (CONTROLLER_ELECT_MASTER_FAILED)
  const asked = info.electMaster(GROUP, 2);
  assert.equal(asked.changed, false);
  assert.equal(asked.info.masterBrokerId, 1);
  assert.equal(asked.info.masterEpoch, 1);
  assert.match(asked.noCandidate ?? '', /enableElectUncleanMaster is false/);

  // the controller's own scan leaves the group without a master and moves the epoch (the old master is fenced)
  const result = info.electMaster(GROUP, null);
  assert.equal(result.changed, true, 'the group lost its master');
  assert.equal(result.unclean, false);
  assert.equal(result.info.masterBrokerId, null);
  assert.equal(result.info.masterAddress, '');
  assert.equal(result.info.masterEpoch, 2, 'no new master, but a new epoch');
  assert.equal(result.info.syncStateSetEpoch, 1, 'the SyncStateSet is kept');
  assert.deepEqual(result.info.syncStateSet, [1]);
  assert.ok(result.noCandidate, 'the refusal says why');
  assert.match(result.noCandidate, /SyncStateSet \{1\}/);
  assert.match(result.noCandidate, /enableElectUncleanMaster is false/);
  assert.deepEqual(info.groupsWithInactiveMaster(20_000, 0, 10_000), [], 'a group without a master is not rescanned');

  // the old master returns: it is the only SyncStateSet member, and it is elected at a new epoch
  info.heartbeat(GROUP, 1, { maxOffset: 5000, lastEpoch: 1 }, 20_000);
  const back = info.electMaster(GROUP, null);
  assert.equal(back.info.masterBrokerId, 1);
  assert.equal(back.info.masterEpoch, 3);
});

test('controller replicas-info - the first election makes the replica that asks master; the inactive-master scan waits out a grace after a restart', () => {
  const info = new ReplicasInfo(clean);
  for (const id of [1, 2, 3]) info.register(CLUSTER, GROUP, replica(id), { maxOffset: id * 1000, lastEpoch: 0 }, 0);
  const first = info.electMaster(GROUP, 1);
  assert.equal(first.info.masterBrokerId, 1, 'bootstrap: the requester, whatever its offset');
  assert.equal(first.info.masterEpoch, 1);
  info.heartbeat(GROUP, 2, { maxOffset: 0, lastEpoch: 0 }, 11_000);
  info.scanInactive(11_000);
  assert.deepEqual(info.groupsWithInactiveMaster(11_000, 0, 10_000), [GROUP]);
  assert.deepEqual(info.groupsWithInactiveMaster(11_000, 5_000, 10_000), [], 'within the grace after the controller started');
  // a heartbeat never lowers what the controller knows of a replica's log
  info.heartbeat(GROUP, 2, { maxOffset: 10, lastEpoch: 0 }, 11_500);
  assert.equal(info.livenessOf(GROUP, 2)?.maxOffset, 2000);
});

test('controller replicas-info - with enableElectUncleanMaster a replica outside the SyncStateSet is elected, flagged unclean', () => {
  const info = electedGroup(unclean);
  info.heartbeat(GROUP, 2, { maxOffset: 4000, lastEpoch: 0 }, 8_000);
  info.heartbeat(GROUP, 3, { maxOffset: 4100, lastEpoch: 0 }, 8_000);
  info.scanInactive(10_001);

  const result = info.electMaster(GROUP, null);
  assert.equal(result.changed, true);
  assert.equal(result.unclean, true);
  assert.equal(result.noCandidate, undefined);
  assert.equal(result.info.masterBrokerId, 3);
  assert.equal(result.info.masterEpoch, 2);
  assert.deepEqual(result.info.syncStateSet, [3]);
  assert.equal(result.info.syncStateSetEpoch, 2);
});

test('controller replicas-info - with enableElectUncleanMaster an alive SyncStateSet member is still preferred, and the election is clean', () => {
  const info = electedGroup(unclean);
  info.alterSyncStateSet(GROUP, { masterBrokerId: 1, masterEpoch: 1, syncStateSetEpoch: 1, syncStateSet: [1, 2] });
  info.heartbeat(GROUP, 2, { maxOffset: 10, lastEpoch: 0 }, 8_000);
  info.heartbeat(GROUP, 3, { maxOffset: 99_000, lastEpoch: 1 }, 8_000);
  info.scanInactive(10_001);
  const result = info.electMaster(GROUP, null);
  assert.equal(result.info.masterBrokerId, 2);
  assert.equal(result.unclean, false);
});

test('controller replicas-info - a master whose connection closes is lost at once (markInactive)', () => {
  const info = electedGroup();
  info.alterSyncStateSet(GROUP, { masterBrokerId: 1, masterEpoch: 1, syncStateSetEpoch: 1, syncStateSet: [1, 3] });
  assert.equal(info.markInactive(GROUP, 2), false, 'a slave');
  assert.equal(info.markInactive(GROUP, 1), true, 'the master');
  assert.equal(info.markInactive(GROUP, 1), false, 'already inactive');
  const result = info.electMaster(GROUP, null);
  assert.equal(result.info.masterBrokerId, 3);
  assert.equal(result.info.masterEpoch, 2);
});

test('controller replicas-info - heartbeats keep a replica alive; the heartbeat of an unknown replica returns false', () => {
  const info = new ReplicasInfo(clean);
  info.register(CLUSTER, GROUP, replica(1), { maxOffset: 0, lastEpoch: 0 }, 0);
  info.register(CLUSTER, GROUP, replica(2), { maxOffset: 0, lastEpoch: 0 }, 0);
  assert.equal(info.heartbeat(GROUP, 1, { maxOffset: 100, lastEpoch: 0 }, 6_000), true);
  assert.equal(info.heartbeat(GROUP, 1, { maxOffset: 200, lastEpoch: 1 }, 12_000), true);
  assert.deepEqual(info.livenessOf(GROUP, 1), { lastHeartbeatMs: 12_000, maxOffset: 200, lastEpoch: 1, alive: true });

  assert.deepEqual(info.scanInactive(20_000), [{ brokerName: GROUP, brokerId: 2, wasMaster: false }], 'only the silent one');
  assert.equal(info.isAlive(GROUP, 1), true);
  assert.equal(info.isAlive(GROUP, 2), false);

  // a heartbeat brings an inactive (but known) replica back
  assert.equal(info.heartbeat(GROUP, 2, { maxOffset: 0, lastEpoch: 0 }, 21_000), true);
  assert.equal(info.isAlive(GROUP, 2), true);

  assert.equal(info.heartbeat(GROUP, 9, { maxOffset: 0, lastEpoch: 0 }, 21_000), false, 'unknown brokerId');
  assert.equal(info.heartbeat('broker-z', 1, { maxOffset: 0, lastEpoch: 0 }, 21_000), false, 'unknown group');
  assert.equal(info.isAlive(GROUP, 9), false);
  assert.equal(info.livenessOf(GROUP, 9), undefined, 'a refused heartbeat records nothing');
  assert.deepEqual(info.replicas(GROUP).map((r) => r.brokerId), [1, 2]);
});

test('controller replicas-info - alterSyncStateSet succeeds for the master at the current epochs', () => {
  const info = electedGroup();
  const altered = info.alterSyncStateSet(GROUP, { masterBrokerId: 1, masterEpoch: 1, syncStateSetEpoch: 1, syncStateSet: [3, 1, 3] });
  assert.deepEqual(altered.syncStateSet, [1, 3], 'deduplicated and sorted');
  assert.equal(altered.syncStateSetEpoch, 2);
  assert.equal(altered.masterEpoch, 1, 'the master epoch does not move');
  assert.equal(altered.masterBrokerId, 1);
  assert.deepEqual(info.info(GROUP), altered);

  const shrunk = info.alterSyncStateSet(GROUP, { masterBrokerId: 1, masterEpoch: 1, syncStateSetEpoch: 2, syncStateSet: [1] });
  assert.deepEqual(shrunk.syncStateSet, [1]);
  assert.equal(shrunk.syncStateSetEpoch, 3);
});

test('controller replicas-info - alterSyncStateSet refuses a wrong master, stale epochs and invalid replicas with their codes', () => {
  const info = electedGroup();
  const ok = { masterBrokerId: 1, masterEpoch: 1, syncStateSetEpoch: 1, syncStateSet: [1, 2] };

  assert.throws(() => info.alterSyncStateSet(GROUP, { ...ok, masterBrokerId: 2 }), refusal('CONTROLLER_INVALID_MASTER'));
  assert.throws(() => info.alterSyncStateSet(GROUP, { ...ok, masterEpoch: 0 }), refusal('CONTROLLER_FENCED_MASTER_EPOCH'));
  assert.throws(() => info.alterSyncStateSet(GROUP, { ...ok, masterEpoch: 2 }), refusal('CONTROLLER_FENCED_MASTER_EPOCH'));
  assert.throws(() => info.alterSyncStateSet(GROUP, { ...ok, syncStateSetEpoch: 0 }), refusal('CONTROLLER_FENCED_SYNC_STATE_SET_EPOCH'));
  assert.throws(() => info.alterSyncStateSet(GROUP, { ...ok, syncStateSet: [2, 3] }), refusal('CONTROLLER_INVALID_REPLICAS'));
  assert.throws(() => info.alterSyncStateSet(GROUP, { ...ok, syncStateSet: [1, 7] }), refusal('CONTROLLER_INVALID_REPLICAS'));
  info.markInactive(GROUP, 3);
  assert.throws(() => info.alterSyncStateSet(GROUP, { ...ok, syncStateSet: [1, 3] }), refusal('CONTROLLER_INVALID_REPLICAS'));
  assert.throws(() => info.alterSyncStateSet('broker-z', ok), refusal('CONTROLLER_INVALID_REQUEST'));

  assert.deepEqual(info.info(GROUP).syncStateSet, [1], 'no refused request changed the set');
  assert.equal(info.info(GROUP).syncStateSetEpoch, 1);

  // after a change, the old syncStateSetEpoch is stale
  info.alterSyncStateSet(GROUP, ok);
  assert.throws(() => info.alterSyncStateSet(GROUP, { ...ok, syncStateSet: [1] }), refusal('CONTROLLER_FENCED_SYNC_STATE_SET_EPOCH'));
});

test('controller replicas-info - a deposed master is fenced by the new epoch', () => {
  const info = electedGroup();
  info.alterSyncStateSet(GROUP, { masterBrokerId: 1, masterEpoch: 1, syncStateSetEpoch: 1, syncStateSet: [1, 2] });
  info.markInactive(GROUP, 1);
  info.electMaster(GROUP, null);
  assert.equal(info.info(GROUP).masterBrokerId, 2);
  info.register(CLUSTER, GROUP, replica(1), { maxOffset: 5000, lastEpoch: 1 }, 20_000);
  assert.throws(() => info.alterSyncStateSet(GROUP, { masterBrokerId: 1, masterEpoch: 1, syncStateSetEpoch: 2, syncStateSet: [1, 2] }), refusal('CONTROLLER_INVALID_MASTER'));
  assert.throws(() => info.alterSyncStateSet(GROUP, { masterBrokerId: 2, masterEpoch: 1, syncStateSetEpoch: 3, syncStateSet: [1, 2] }), refusal('CONTROLLER_FENCED_MASTER_EPOCH'));
});

test('controller replicas-info - register refuses brokerId 0 (controller-mode ids start at 1)', () => {
  const info = new ReplicasInfo(clean);
  assert.throws(() => info.register(CLUSTER, GROUP, replica(0), { maxOffset: 0, lastEpoch: 0 }, 0), refusal('CONTROLLER_INVALID_REQUEST'));
  assert.throws(() => info.register(CLUSTER, GROUP, { ...replica(1), brokerId: 1.5 }, { maxOffset: 0, lastEpoch: 0 }, 0), refusal('CONTROLLER_INVALID_REQUEST'));
  assert.throws(() => info.register(CLUSTER, GROUP, { ...replica(1), brokerId: -1 }, { maxOffset: 0, lastEpoch: 0 }, 0), refusal('CONTROLLER_INVALID_REQUEST'));
  assert.deepEqual(info.groupNames(), [], 'a refused registration creates no group');
  assert.throws(() => info.info(GROUP), refusal('CONTROLLER_INVALID_REQUEST'));

  const first = info.register(CLUSTER, GROUP, replica(1), { maxOffset: 0, lastEpoch: 0 }, 0);
  assert.equal(first.brokerName, GROUP);
  assert.equal(first.masterBrokerId, null);
  assert.deepEqual(info.groupNames(), [GROUP]);
});

test('controller replicas-info - a re-registration updates the replica\'s addresses without duplicating it', () => {
  const info = electedGroup();
  info.register(CLUSTER, GROUP, { brokerId: 1, address: '10.0.0.1:10911', haAddress: '10.0.0.1:10912' }, { maxOffset: 5000, lastEpoch: 1 }, 100);
  assert.deepEqual(info.replicas(GROUP).map((r) => r.brokerId), [1, 2, 3]);
  assert.equal(info.info(GROUP).masterAddress, '10.0.0.1:10911');
  assert.equal(info.info(GROUP).masterHaAddress, '10.0.0.1:10912');
});

test('controller replicas-info - durable() round trip answers the same info(); liveness is not persisted', () => {
  const info = electedGroup();
  info.alterSyncStateSet(GROUP, { masterBrokerId: 1, masterEpoch: 1, syncStateSetEpoch: 1, syncStateSet: [1, 2] });
  info.register(CLUSTER, 'broker-b', replica(1), { maxOffset: 0, lastEpoch: 0 }, 0);
  const durable = JSON.parse(JSON.stringify(info.durable())) as ReturnType<ReplicasInfo['durable']>;

  const restarted = new ReplicasInfo(clean, durable);
  assert.deepEqual(restarted.groupNames(), ['broker-a', 'broker-b']);
  assert.deepEqual(restarted.info(GROUP), info.info(GROUP));
  assert.deepEqual(restarted.info('broker-b'), info.info('broker-b'));
  assert.deepEqual(restarted.replicas(GROUP), info.replicas(GROUP));
  assert.deepEqual(restarted.durable(), info.durable());

  // the restarted controller owns a copy: changing it leaves the state it was built from alone
  durable.groups[0]!.masterEpoch = 42;
  assert.equal(restarted.info(GROUP).masterEpoch, 1);

  // nobody is alive until they come back
  for (const id of [1, 2, 3]) {
    assert.equal(restarted.isAlive(GROUP, id), false, `replica ${id}`);
    assert.equal(restarted.livenessOf(GROUP, id), undefined, `replica ${id}`);
  }
  assert.deepEqual(restarted.scanInactive(1_000_000), [], 'nothing to expire either');
  // a replica the record does not hold must register; one it holds is alive again by its heartbeat
  assert.equal(restarted.heartbeat(GROUP, 9, { maxOffset: 5000, lastEpoch: 1 }, 1_000_000), false);
  const none = restarted.electMaster(GROUP, 2);
  assert.equal(none.info.masterBrokerId, 1, 'a replica\'s request changes nothing when nobody can be elected');
  assert.match(none.noCandidate ?? '', /no replica of the group is alive/);

  restarted.register(CLUSTER, GROUP, replica(2), { maxOffset: 4000, lastEpoch: 1 }, 1_000_000);
  const after = restarted.electMaster(GROUP, null);
  assert.equal(after.noCandidate, undefined);
  assert.equal(after.info.masterBrokerId, 2, 'the SyncStateSet member that came back');
});

test('controller replicas-info - a restarted controller keeps the epoch monotonic', () => {
  const info = electedGroup();
  info.alterSyncStateSet(GROUP, { masterBrokerId: 1, masterEpoch: 1, syncStateSetEpoch: 1, syncStateSet: [1, 2, 3] });
  // a failover before the restart: master 2 at epoch 2, which then takes 3 back into its SyncStateSet
  info.heartbeat(GROUP, 2, { maxOffset: 5000, lastEpoch: 1 }, 9_000);
  info.heartbeat(GROUP, 3, { maxOffset: 4000, lastEpoch: 1 }, 9_000);
  info.scanInactive(10_001);
  info.electMaster(GROUP, null);
  info.alterSyncStateSet(GROUP, { masterBrokerId: 2, masterEpoch: 2, syncStateSetEpoch: 3, syncStateSet: [2, 3] });
  const before = info.info(GROUP);
  assert.equal(before.masterBrokerId, 2);
  assert.equal(before.masterEpoch, 2);
  assert.deepEqual(before.syncStateSet, [2, 3]);
  assert.equal(before.syncStateSetEpoch, 4);

  const restarted = new ReplicasInfo(clean, JSON.parse(JSON.stringify(info.durable())));
  // the master does not come back; the others register again (1 with the larger log, but outside the set)
  restarted.register(CLUSTER, GROUP, replica(1), { maxOffset: 9000, lastEpoch: 1 }, 50_000);
  restarted.register(CLUSTER, GROUP, replica(3), { maxOffset: 5000, lastEpoch: 2 }, 50_000);
  const result = restarted.electMaster(GROUP, null);
  assert.equal(result.changed, true);
  assert.equal(result.unclean, false);
  assert.equal(result.info.masterBrokerId, 3);
  assert.equal(result.info.masterEpoch, before.masterEpoch + 1, 'never an epoch a master already had');
  assert.deepEqual(result.info.syncStateSet, [3]);
  assert.equal(result.info.syncStateSetEpoch, before.syncStateSetEpoch + 1);
});

test('controller replicas-info - after a restart the recorded master that registers again stays master at its epoch', () => {
  const info = electedGroup();
  const restarted = new ReplicasInfo(clean, info.durable());
  restarted.register(CLUSTER, GROUP, replica(2), { maxOffset: 9000, lastEpoch: 1 }, 50_000);
  restarted.register(CLUSTER, GROUP, replica(1), { maxOffset: 5000, lastEpoch: 1 }, 50_000);
  const result = restarted.electMaster(GROUP, null);
  assert.equal(result.changed, false);
  assert.equal(result.info.masterBrokerId, 1);
  assert.equal(result.info.masterEpoch, 1);
});
