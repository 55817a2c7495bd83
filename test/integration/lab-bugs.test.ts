/**
 * Bugs on purpose, caught: every deliberate bug of broker/lab-bugs.ts is switched on for one run of
 * the drill the table says catches it, under that drill's safe configuration (its contrast), on a real
 * cluster (name server, master, slave, producer and consumer processes) driven in process by the
 * control plane, as `zeroloss drill --lab-bug` drives it. Each run must be judged FAIL with SEND_OK
 * messages lost: the same settings without the bug lose none (drills-faults, drills-replication and
 * the matrix show that side). After each run the bug is off again, also after a cancel. Short runs;
 * a master-disk-loss run promotes the slave, so each of those gets a cluster of its own, last.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTempLab, type TempLab } from '../support/temp-lab';
import { waitFor } from '../support/broker-process';
import type { ControlPlane } from '../../server/control-plane';
import { drillSpec, usesControllerMode } from '../../server/drills/catalog';
import { contrastInput } from '../../server/drills/matrix';
import { LAB_BUGS, LAB_BUG_NAMES, type LabBug } from '../../broker/lab-bugs';
import type { DrillId, DrillRunDetail } from '../../server/drills/types';

type Cluster = TempLab;

const clusters: Cluster[] = [];
let shared: Cluster | undefined;

async function startCluster(): Promise<Cluster> {
  const lab = await startTempLab('zeroloss-lab-bugs-');
  clusters.push(lab);
  return lab;
}

after(async () => {
  for (const cluster of clusters) await cluster.stop().catch(() => {});
});

/** Traffic seconds per drill: enough for the fault and some traffic after the recovery. */
const DURATION_SEC: Partial<Record<DrillId, number>> = { 'power-loss': 5, 'power-loss-slow-disk': 6, 'consumer-crash': 5, 'master-disk-loss': 5 };

async function runWithBug(cluster: Cluster, bug: LabBug): Promise<DrillRunDetail> {
  const spec = drillSpec(LAB_BUGS[bug].caughtBy as DrillId);
  const input = { ...contrastInput(spec, 'safe', 7, { durationSec: DURATION_SEC[spec.id] ?? 5 }), labBug: bug };
  const started = Date.now();
  const { runId } = await cluster.runner.run(input);
  await cluster.runner.wait(runId);
  const run = (await cluster.runner.get({ runId, anomalyLimit: 0 }))!;
  const s = run.summary;
  const at = (phase: string) => run.events.find((e) => e.kind === 'phase' && e.message.startsWith(`${phase}:`))?.t ?? -1;
  console.log(`# ${bug} → ${spec.id} (${spec.contrast.safe.label}): ${run.status} ${run.verdict} in ${Date.now() - started} ms (traffic from ${at('traffic')} ms, draining from ${at('draining')} ms, judged at ${at('judging')} ms); sent ${s?.attempted} SEND_OK ${s?.acknowledged.SEND_OK} lostAcked ${s?.lostAcked}`);
  return run;
}

function assertCaught(run: DrillRunDetail, bug: LabBug, cp: ControlPlane): void {
  assert.equal(run.status, 'done', `the run ended ${run.status}: ${run.error}`);
  assert.equal(run.input.labBug, bug, 'the run records its bug');
  assert.equal(run.verdict, 'FAIL', run.verdictReason ?? '');
  assert.ok(run.summary!.lostAcked > 0, 'SEND_OK messages were lost');
  assert.match(run.verdictReason ?? '', new RegExp(`^with deliberate bug ${bug}: \\d+ SEND_OK message\\(s\\) were never consumed`));
  assert.deepEqual(cp.labBugs, [], 'the bug is off again after the run');
}

// A bug caught by a controller-mode drill runs on the controller-mode cluster of
// control-plane-controller-mode.test.ts (one group of three), not here.
const CLASSIC_BUGS = LAB_BUG_NAMES.filter((bug) => !usesControllerMode(drillSpec(LAB_BUGS[bug].caughtBy as DrillId)));
const SHARED_BUGS = CLASSIC_BUGS.filter((bug) => LAB_BUGS[bug].caughtBy !== 'master-disk-loss');
const FAILOVER_BUGS = CLASSIC_BUGS.filter((bug) => LAB_BUGS[bug].caughtBy === 'master-disk-loss');

for (const bug of SHARED_BUGS) {
  test(`lab-bugs - ${bug} is caught by ${LAB_BUGS[bug].caughtBy} under its safe configuration: FAIL, SEND_OK lost`, async () => {
    shared ??= await startCluster();
    const run = await runWithBug(shared, bug);
    assertCaught(run, bug, shared.cp);
  });
}

test('lab-bugs - a cancelled run with a bug puts its node back without it', async () => {
  shared ??= await startCluster();
  const { cp, runner } = shared;
  const { runId } = await runner.run({ drillId: 'power-loss', durationSec: 10, seed: 7, broker: { flushDiskType: 'SYNC_FLUSH' }, labBug: 'recovery-trusts-consume-queues' });
  await waitFor('the run to reach its traffic with the bug on', async () => runner.status()?.phase === 'traffic', 60_000);
  assert.equal(runner.status()?.labBug, 'recovery-trusts-consume-queues');
  assert.deepEqual(cp.labBugs, ['recovery-trusts-consume-queues']);
  runner.cancel(runId);
  const outcome = await runner.wait(runId)!;
  assert.equal(outcome.status, 'cancelled');
  assert.deepEqual(cp.labBugs, [], 'the bug is off after the cancel');
  assert.equal(cp.state().broker.state, 'running', 'the master runs (restarted without the bug)');
  const run = (await runner.get({ runId, anomalyLimit: 0 }))!;
  assert.equal(run.input.labBug, 'recovery-trusts-consume-queues', 'the record keeps the bug');
  assert.ok(run.events.some((e) => e.message.startsWith('lab: no deliberate bug; restarted broker-a master')), 'the master was restarted without it');
});

for (const bug of FAILOVER_BUGS) {
  test(`lab-bugs - ${bug} is caught by master-disk-loss under SYNC_MASTER: FAIL, SEND_OK lost (a cluster of its own: the run promotes the slave)`, async () => {
    if (shared) {
      await shared.stop();
      clusters.splice(clusters.indexOf(shared), 1);
      shared = undefined;
    }
    const cluster = await startCluster();
    try {
      const run = await runWithBug(cluster, bug);
      assertCaught(run, bug, cluster.cp);
    } finally {
      await cluster.stop();
      clusters.splice(clusters.indexOf(cluster), 1);
    }
  });
}
