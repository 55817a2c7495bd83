/**
 * The control plane runs RocketMQ 5's controller mode (server/cluster/controller-mode-group.ts,
 * controller-node.ts) on real processes, one group of three: enableControllerMode is a setting;
 * flipping it restarts the cluster with a controller process and replicas that take their roles
 * from it. A contradiction is refused naming both keys before anything stops. Every replica's and the
 * controller's settings are verified as a drill would, and the Drills page says which drills run in
 * this mode. Then the controller-failover drill's safe side on the same cluster: the elected master's
 * machine crashes, the controller elects a SyncStateSet member, the old master rejoins as a slave,
 * and no SEND_OK is lost. Last, every deliberate bug a controller-mode drill catches fails that
 * drill's safe side on the same cluster.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { waitFor } from '../support/broker-process';
import { contrastInput, startMatrixCluster } from '../../server/drills/matrix';
import { drillSpec, usesControllerMode } from '../../server/drills/catalog';
import { IsolateReplicaInputSchema } from '../../server/routers/cluster';
import { LAB_BUGS, LAB_BUG_NAMES } from '../../broker/lab-bugs';
import type { DrillId } from '../../server/drills/types';

test('controller mode: a setting restarts the cluster under a controller, a contradiction is refused naming both keys; controller-failover (safe side) keeps every SEND_OK through an election', async () => {
  const cluster = await startMatrixCluster({ groups: 1, replicas: 3 });
  const cp = cluster.controlPlane;
  try {
    assert.equal(cp.state().topology.controllerMode, false);

    // A contradiction is refused naming both keys, and nothing stops.
    await assert.rejects(cp.updateSettings({ enableControllerMode: true, brokerRole: 'SYNC_MASTER' }), /brokerRole=SYNC_MASTER contradicts enableControllerMode=true/);
    assert.equal(cp.settings.get().enableControllerMode, false);
    assert.ok(cp.nodes.every((n) => n.running), 'the refusal stopped nothing');
    assert.throws(() => cp.isolateReplica('broker-a/1', true), /classic mode: a replica is cut from its master with the HA link fault/);
    const badName = IsolateReplicaInputSchema.safeParse({ replica: 'a1', isolated: true });
    assert.equal(badName.error?.issues[0]?.message, 'replica must be a replica name such as broker-a/1 (group/id)');

    // Controller mode as the drill runs it (so the drill finds it in force and restarts nothing).
    const spec = drillSpec('controller-failover');
    const input = contrastInput(spec, 'safe', 5, { durationSec: 5 });
    await cp.updateSettings({ ...spec.brokerPatch, ...input.broker });
    await cp.waitForMasters();
    const state = cp.state();
    assert.equal(state.topology.controllerMode, true);
    assert.equal(state.topology.controller?.status.state, 'running');
    assert.equal(state.topology.groups[0]!.master, 'broker-a/0', 'the first replica to register is the first master');
    assert.throws(() => cp.group, /controller mode/, 'promotion and rebuild are refused: the controller elects');
    assert.deepEqual((await cp.verifyNodeSettings(cp.settings.get())).mismatches, [], 'every replica and the controller run the saved settings');
    // The Drills page still lists every drill: the classic ones say why they cannot run in controller mode.
    const catalog = cluster.runner.catalog();
    assert.match(catalog.find((d) => d.id === 'master-disk-loss')!.waitingFor ?? '', /runs in classic mode.*set enableControllerMode to false/);
    assert.equal(catalog.find((d) => d.id === 'controller-failover')!.runnable, true);
    await waitFor('the SyncStateSet holds all three', () => cp.state().topology.groups[0]!.controller?.syncStateSet.length === 3, 15_000);

    // A replica cut from its peers and the controller by hand (the Topology card's Isolate) says so;
    // an unknown one is refused naming what exists; the drill below reconnects it before it starts.
    assert.equal(cp.isolateReplica('broker-a/2', true).isolated, true);
    assert.equal(cp.state().topology.groups[0]!.replicas.find((r) => r.name === 'broker-a/2')!.isolated, true);
    assert.throws(() => cp.isolateReplica('broker-c/0', true), /no group broker-c: the cluster has broker-a/);
    assert.throws(() => cp.isolateReplica('broker-a/5', true), /broker-a has no replica 5/);

    const { runId } = await cluster.runner.run(input);
    await cluster.runner.wait(runId);
    const run = (await cluster.runner.get({ runId, anomalyLimit: 10 }))!;
    assert.equal(run.status, 'done', run.error ?? '');
    assert.equal(run.verdict, 'PASS', run.verdictReason ?? '');
    const s = run.summary!;
    assert.equal(s.lostAcked, 0);
    assert.ok(s.acknowledged.SEND_OK > 300, `SEND_OK ${s.acknowledged.SEND_OK}`);
    assert.ok(s.recovery.rtoMs !== null && s.recovery.rtoMs > 0, `an RTO is measured: ${JSON.stringify(s.recovery)}`);
    assert.ok(run.events.some((e) => /broker-a\/[12] is master at epoch \d+/.test(e.message)), 'the election is on the timeline');
    assert.ok(run.events.some((e) => /rejoined as a slave/.test(e.message)), 'the old master rejoined');
    assert.ok(run.events.some((e) => e.message.startsWith('broker-a/2 had been isolated by hand: reconnected')), 'the drill reconnected the isolated replica first');
    assert.equal(cp.state().topology.groups[0]!.replicas.find((r) => r.name === 'broker-a/2')!.isolated, false);
    assert.ok(cp.state().topology.groups[0]!.master !== 'broker-a/0', 'the elected replica stays master');

    // Every deliberate bug a controller-mode drill catches (broker/lab-bugs.ts), on this cluster:
    // the drill's safe side with the bug is judged FAIL with SEND_OK lost (its safe side without it
    // passes in the matrix and by hand; docs/drills.md).
    for (const bug of LAB_BUG_NAMES.filter((b) => usesControllerMode(drillSpec(LAB_BUGS[b].caughtBy as DrillId)))) {
      const bugSpec = drillSpec(LAB_BUGS[bug].caughtBy as DrillId);
      const { runId: bugRunId } = await cluster.runner.run({ ...contrastInput(bugSpec, 'safe', 7, { durationSec: 6 }), labBug: bug });
      await cluster.runner.wait(bugRunId);
      const bugRun = (await cluster.runner.get({ runId: bugRunId, anomalyLimit: 0 }))!;
      assert.equal(bugRun.status, 'done', `${bug}: ${bugRun.error ?? ''}`);
      assert.equal(bugRun.verdict, 'FAIL', `${bug} on ${bugSpec.id}: ${bugRun.verdictReason ?? ''}`);
      assert.ok(bugRun.summary!.lostAcked > 0, `${bug}: SEND_OK messages were lost`);
      assert.match(bugRun.verdictReason ?? '', new RegExp(`^with deliberate bug ${bug}: \\d+ SEND_OK message\\(s\\) were never consumed`));
      assert.deepEqual(cp.labBugs, [], `${bug} is off again after the run`);
    }
  } finally {
    await cluster.close();
  }
});
