/**
 * A drill run's seeded plan and the transactional side of the loss ledger, on pure code: the same
 * seed and settings give the same plan and different seeds differ; the flap starts with a drop longer
 * than sendMsgTimeout; transaction decisions are stable; a rolled-back message consumed, or a half
 * message no check-back resolved, fails the run. Also the `zeroloss` command's usage and exit codes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { DRILLS, REMOTE_PRODUCER_LINK, REMOTE_SLAVE_HA_LINK, drillSpec, usesControllerMode } from '../../server/drills/catalog';
import { CONTRAST_SIDES, contrastInput, judgeContrast, matrixRun, parseMatrixArgs, type MatrixRun } from '../../server/drills/matrix';
import { planFor, transactionDecision, seededBytes } from '../../server/drills/drill-plan';
import { prng } from '../../broker/io/prng';
import { LossLedger, judge } from '../../server/drills/loss-ledger';
import { defaultSettings } from '../../broker/config/broker-config';
import { PROJECT_ROOT } from '../../server/cluster/child-process';
import type { DrillRunSettings } from '../../server/drills/types';
import type { ConsumeEvent } from '../../broker/ipc';

const settings = (patch: Partial<DrillRunSettings['broker']> = {}): DrillRunSettings => ({
  broker: { ...defaultSettings(), ...patch },
  traffic: { sendMode: 'sync', ackMode: 'after-processing', idempotent: false, rate: 100, durationSec: 10, consumers: 3, bodySize: 256 },
  slaveRunning: false,
});

test('drill-plan - the same seed and settings give the same plan; other seeds move the fault and the killed consumer', () => {
  const spec = drillSpec('consumer-crash');
  assert.deepEqual(planFor(spec, settings(), 42), planFor(spec, settings(), 42));
  const plans = Array.from({ length: 20 }, (_, seed) => planFor(spec, settings(), seed));
  assert.ok(new Set(plans.map((p) => p.faultAtMs)).size > 10, 'the fault time varies with the seed');
  assert.deepEqual(new Set(plans.map((p) => p.consumerIndex)), new Set([0, 1, 2]), 'every consumer can be the one killed');
  for (const p of plans) {
    assert.ok(p.faultAtMs >= 1500 && p.faultAtMs <= 8000, `the fault stays inside the run: ${p.faultAtMs}`);
    assert.deepEqual(p.bursts, [], 'no flap outside the flap drill');
  }
});

test('drill-plan - the flap opens with a drop longer than sendMsgTimeout, then bursts inside the fault window', () => {
  const spec = drillSpec('producer-network-flap');
  for (const seed of [1, 2, 3, 99]) {
    const plan = planFor(spec, settings({ sendMsgTimeout: 1000 }), seed);
    assert.equal(plan.bursts[0].kind, 'drop');
    assert.ok(plan.bursts[0].forMs > 1000, `the first drop outlasts the send budget: ${plan.bursts[0].forMs}`);
    assert.ok(plan.bursts.length >= 3);
    assert.ok(plan.bursts.every((b, i) => i === 0 || b.atMs > plan.bursts[i - 1].atMs + plan.bursts[i - 1].forMs), 'bursts do not overlap');
    assert.ok(plan.bursts.every((b) => b.atMs < plan.faultForMs));
  }
  assert.notDeepEqual(planFor(spec, settings(), 1).bursts, planFor(spec, settings(), 2).bursts);
});

test('drill-plan - transaction decisions and bodies are functions of the seed', () => {
  const decisions = Array.from({ length: 200 }, (_, n) => transactionDecision(7, 'tx1', n));
  assert.deepEqual(decisions, Array.from({ length: 200 }, (_, n) => transactionDecision(7, 'tx1', n)));
  const commits = decisions.filter((d) => d === 'COMMIT').length;
  assert.ok(commits > 110 && commits < 170, `about 70% commit: ${commits}`);
  assert.notDeepEqual(decisions, Array.from({ length: 200 }, (_, n) => transactionDecision(8, 'tx1', n)));
  assert.deepEqual(seededBytes(5, 64), seededBytes(5, 64));
  assert.notDeepEqual(seededBytes(5, 64), seededBytes(6, 64));
  const r = prng(1);
  assert.ok(Array.from({ length: 1000 }, r).every((x) => x >= 0 && x < 1));
});

const T0 = 1_000_000;
const consumed = (id: string, seq: number): ConsumeEvent =>
  ({ kind: 'consumed', id, producerId: 'tx1-r', queue: 'broker-a:0', seq, topic: 'T', brokerName: 'broker-a', queueId: 0, queueOffset: seq, reconsumeTimes: 0, atMs: T0 + 10 });
const half = (id: string, seq: number, decision: 'COMMIT' | 'ROLLBACK') =>
  ({ kind: 'half' as const, id, queueId: 0, seq, queue: 'broker-a:0', status: 'SEND_OK' as const, decision, sentAtMs: T0 + seq, latencyMs: 1 });
const prediction = { text: 'transaction crash', sendOkLossPossible: false, mayLose: [], expectedStatuses: [], duplicatesPossible: true };

test('loss-ledger - transactions: rolled-back numbers are no gap; an unresolved half or a delivered rollback fails the run', () => {
  const ledger = new LossLedger(T0);
  ledger.addProducer('tx1-r');
  ledger.addTransactionEvents('tx1-r', [half('a', 1, 'COMMIT'), half('b', 2, 'ROLLBACK'), half('c', 3, 'COMMIT'), half('d', 4, 'COMMIT')]);
  ledger.addTransactionEvents('tx1-r', [{ kind: 'ended', id: 'a', decision: 'COMMIT', atMs: T0 }, { kind: 'ended', id: 'b', decision: 'ROLLBACK', atMs: T0 }, { kind: 'ended', id: 'c', decision: 'COMMIT', atMs: T0 }]);
  // The broker's own op records are nobody's messages.
  ledger.addStage({ stored: [['a', 0, 100], ['op-1', 100, 50]] });
  ledger.addConsumeEvents([consumed('a', 1), consumed('c', 3)]);
  assert.equal(ledger.unresolvedHalves(), 1, 'd was never ended: only a check-back can resolve it');
  let { summary } = ledger.summarize();
  assert.equal(summary.attempted, 4);
  assert.equal(summary.gaps, 0, 'the rolled-back number 2 is absent by design');
  assert.equal(summary.transactions?.halfOpen, 1);
  assert.equal(judge(summary, prediction).verdict, 'FAIL', 'a safe configuration promises every half is resolved');
  assert.match(judge(summary, prediction).reason, /never resolved by a check-back/);
  // Settings under which the broker gives up before the producer is back (transactionCheckMax 1): the loss is predicted.
  const givesUp = { ...prediction, sendOkLossPossible: true, unresolvedHalvesPossible: true };
  assert.equal(judge(summary, givesUp).verdict, 'LOSS_EXPECTED', judge(summary, givesUp).reason);
  assert.match(judge(summary, givesUp).reason, /1 of 1 half message\(s\) left by the killed producer were discarded unresolved/);

  ledger.addTransactionEvents('tx2-r', [{ kind: 'checked', id: 'd', producerId: 'tx1-r', decision: 'COMMIT', atMs: T0 + 2000 }]);
  ledger.addConsumeEvents([consumed('d', 4)]);
  ({ summary } = ledger.summarize());
  assert.equal(summary.transactions?.halfOpenResolved, 1);
  assert.equal(summary.lostTotal, 0);
  assert.equal(judge(summary, prediction).verdict, 'PASS', judge(summary, prediction).reason);

  ledger.addConsumeEvents([consumed('b', 2)]);
  ({ summary } = ledger.summarize());
  assert.equal(summary.transactions?.rolledBackDelivered, 1);
  assert.equal(judge(summary, prediction).verdict, 'FAIL');
  assert.match(judge(summary, prediction).reason, /rolled-back/);
});

test('zeroloss - --help documents every command and option; an unknown scenario or option exits 2 with the usage', async () => {
  const bin = path.join(PROJECT_ROOT, 'server/bin.mjs');
  // Six CLI processes at once: each spends most of its second loading the modules.
  const cli = (...args: string[]) => new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
    execFile(process.execPath, [bin, ...args], { cwd: PROJECT_ROOT, encoding: 'utf8' }, (error, stdout, stderr) => {
      resolve({ status: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr });
    });
  });
  const [help, unknown, option, seed, replicas, groups] = await Promise.all([
    cli('--help'),
    cli('drill', '--scenario', 'meteor-strike'),
    cli('drill', '--scenario', 'power-loss', '--warp-speed'),
    cli('drill', '--scenario', 'power-loss', '--seed', 'abc'),
    cli('cluster', '--groups', '2', '--replicas', '4'),
    cli('cluster', '--groups', 'two'),
  ]);
  assert.equal(help.status, 0);
  for (const option of ['start', 'cluster', 'drill', '--namesrv-port', '--broker-port', '--data-dir', '--groups', '--replicas', '--no-slave', '--scenario', '--flush-disk-type', '--broker-role',
    '--send-mode', '--consumer-ack', '--idempotent', '--messages', '--seed', '--json', '--junit', '--markdown', '--producers', 'transaction-crash', 'exit status']) {
    assert.ok(help.stdout.includes(option), `--help mentions ${option}`);
  }
  assert.equal(unknown.status, 2);
  assert.match(unknown.stderr, /unknown scenario "meteor-strike"/);
  assert.match(unknown.stderr, /--seed S/);
  assert.equal(option.status, 2);
  assert.match(option.stderr, /unknown option --warp-speed/);
  assert.equal(seed.status, 2);
  assert.match(seed.stderr, /--seed must be a whole number/);
  assert.equal(replicas.status, 2);
  assert.match(replicas.stderr, /--replicas 4: replicas must be at most 3 on this machine/);
  assert.equal(groups.status, 2);
  assert.match(groups.stderr, /--groups two: groups must be a number of broker groups/);
});

/** The settings a run of one side of a drill's contrast is judged under (no live cluster: the defaults under it). */
function sideSettings(id: Parameters<typeof drillSpec>[0], side: 'safe' | 'unsafe'): DrillRunSettings {
  const spec = drillSpec(id);
  const c = spec.contrast[side];
  return {
    broker: { ...defaultSettings(), ...spec.brokerPatch, ...c.broker },
    traffic: { sendMode: 'sync', ackMode: 'after-processing', idempotent: false, rate: spec.timing.rate, durationSec: spec.timing.durationSec, consumers: spec.workload.consumers, bodySize: spec.workload.bodySize, ...c.traffic },
    slaveRunning: true,
  };
}

test('catalog - every drill names its contrast: two different configurations, valid run inputs, predictions that agree with the measure', () => {
  const told = ['FLUSH_DISK_TIMEOUT', 'FLUSH_SLAVE_TIMEOUT', 'SLAVE_NOT_AVAILABLE'];
  for (const spec of DRILLS) {
    const { contrast } = spec;
    assert.ok(contrast.teaches.length > 40, `${spec.id}: the contrast says what it teaches`);
    assert.notDeepEqual({ ...contrast.safe, label: '' }, { ...contrast.unsafe, label: '' }, `${spec.id}: the two sides differ`);
    for (const side of CONTRAST_SIDES) {
      const input = contrastInput(spec, side, 7, { durationSec: 5 });
      assert.equal(input.drillId, spec.id);
      assert.equal(input.seed, 7);
      assert.equal(input.durationSec, 5);
    }
    const safe = spec.predict(sideSettings(spec.id, 'safe'));
    const unsafe = spec.predict(sideSettings(spec.id, 'unsafe'));
    assert.equal(safe.sendOkLossPossible, false, `${spec.id}: the safe side promises every SEND_OK (${safe.text})`);
    assert.ok(!safe.mayLose.includes('UNCHECKED'), `${spec.id}: the safe side checks its sends`);
    // Issue 13: every drill's unsafe side loses what its producer believed sent; none only tells.
    assert.equal(contrast.measure, 'lost', `${spec.id}: the contrast is measured by loss`);
    if (spec.then && !usesControllerMode(spec)) {
      // Classic mode: the second fault cashes in what the first told (in controller mode what keeps a
      // SEND_OK is the election rule, not a status the producer was told: unclean-election): the safe side may lose told messages, never SEND_OK.
      assert.ok(safe.expectedStatuses.some((st) => told.includes(st)), `${spec.id}: the safe side is expected to tell (${safe.expectedStatuses.join(', ')})`);
      assert.ok(safe.expectedStatuses.filter((st) => told.includes(st)).every((st) => safe.mayLose.includes(st)), `${spec.id}: what the safe side told may be lost (${safe.mayLose.join(', ')})`);
      assert.equal(unsafe.sendOkLossPossible, true, `${spec.id}: the unsafe side's SEND_OK messages are lost (${unsafe.text})`);
    }
    if (contrast.measure === 'lost') {
      assert.ok(unsafe.sendOkLossPossible || unsafe.mayLose.includes('UNCHECKED'), `${spec.id}: the unsafe side is predicted to lose what its producer believed sent (${unsafe.text})`);
    } else {
      assert.ok(safe.expectedStatuses.some((st) => told.includes(st)), `${spec.id}: the safe side is expected to tell (${safe.expectedStatuses.join(', ')})`);
      assert.ok(!unsafe.expectedStatuses.some((st) => told.includes(st)), `${spec.id}: the unsafe side answers SEND_OK`);
      assert.equal(unsafe.sendOkLossPossible, false, `${spec.id}: a 'told' contrast loses nothing on either side`);
    }
  }
});

test('drill-plan - the drills with a slave run over a shaped HA link, producer-crash over a shaped producer link; the others leave the links alone', () => {
  for (const spec of DRILLS) {
    const plan = planFor(spec, settings(), 3);
    const replication = spec.needs.includes('slave') || usesControllerMode(spec);
    assert.deepEqual(plan.haLink, replication ? REMOTE_SLAVE_HA_LINK : null, `${spec.id}: ${replication ? 'shaped' : 'not shaped'}`);
    assert.deepEqual(plan.clientLink, spec.id === 'producer-crash' ? REMOTE_PRODUCER_LINK : null, `${spec.id}: the producer's link`);
    if (plan.clientLink) assert.ok(spec.needs.includes('producer-link-fault'), 'a shaped producer link sends through the client-port proxy');
  }
  assert.ok(REMOTE_SLAVE_HA_LINK.latencyMs >= 5 && REMOTE_SLAVE_HA_LINK.bandwidthBytesPerSec > 0, 'a link with distance and a cap');
  // At the drill's rate the link carries the traffic with room to spare, or SYNC_MASTER would only time out.
  const spec = drillSpec('master-disk-loss');
  assert.ok(spec.timing.rate * (spec.workload.bodySize + 400) < REMOTE_SLAVE_HA_LINK.bandwidthBytesPerSec / 2);
});

test('drill-matrix - a contrast shows only when the unsafe side loses in every seed and the safe side in none', () => {
  const spec = drillSpec('power-loss');
  const run = (side: 'safe' | 'unsafe', lost: number, extra: Partial<MatrixRun> = {}): MatrixRun => ({ ...matrixRun(spec, side, 1, null, 0), status: 'done', verdict: 'PASS', lostSendOk: lost, ...extra });
  assert.equal(judgeContrast('lost', [run('safe', 0), run('safe', 0)], [run('unsafe', 12), run('unsafe', 3)]).holds, true);
  assert.equal(judgeContrast('lost', [run('safe', 0)], [run('unsafe', 12), run('unsafe', 0)]).holds, false, 'an unsafe seed that lost nothing reads like the safe side');
  assert.equal(judgeContrast('lost', [run('safe', 1)], [run('unsafe', 12)]).holds, false);
  assert.equal(judgeContrast('lost', [run('safe', 0)], [run('unsafe', 0, { lostUnchecked: 4 })]).holds, true, 'UNCHECKED losses count: the producer believed them sent');
  assert.equal(judgeContrast('lost', [run('safe', 0)], [{ ...run('unsafe', 0), status: 'failed' }]).holds, null, 'not judged without an unsafe run');
  assert.equal(judgeContrast('told', [run('safe', 0, { told: 30 })], [run('unsafe', 0)]).holds, true);
  assert.equal(judgeContrast('told', [run('safe', 0, { told: 0 })], [run('unsafe', 0)]).holds, false, 'a safe side that never told shows nothing');
  assert.deepEqual(parseMatrixArgs(['--seeds', '2', '--drills', 'power-loss,consumer-crash']).options.drills, ['power-loss', 'consumer-crash']);
  assert.equal(parseMatrixArgs([]).options.seeds, 5);
  assert.throws(() => parseMatrixArgs(['--drills', 'meteor']), /unknown drill meteor/);
});
