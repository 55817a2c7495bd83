/**
 * Crash drills through tRPC against the real control plane (real broker, producer and consumer
 * processes): each drill's verdict under a safe and an unsafe configuration, the recorded run, and
 * the refusals (a second drill while one runs, bad input naming the field). Short runs, low rates.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startAppServer, trpc, type AppServer } from '../support/app-server';
import { waitFor } from '../support/broker-process';
import type { LiveState } from '../../server/live/types';
import type { DrillRunDetail, DrillRunInput, DrillSpecView, DrillStatus, DrillRunView } from '../../server/drills/types';

let app: AppServer;

before(async () => {
  app = await startAppServer({ env: { ZL_START_SLAVE: '0' } });
  await waitFor('broker running', async () => {
    const r = await trpc<LiveState>(app.url, 'cluster.state', undefined, 'query');
    return r.ok && r.data.broker.state === 'running';
  }, 30_000);
});

after(async () => {
  await app?.stop();
});

async function ok<T>(procedure: string, input?: unknown, kind: 'query' | 'mutation' = 'mutation'): Promise<T> {
  const r = await trpc<T>(app.url, procedure, input, kind);
  assert.ok(r.ok, !r.ok ? `${procedure}: ${r.message}` : '');
  return r.data;
}

/** Runs a drill to its end and returns the recorded run. */
async function runDrill(input: DrillRunInput, whileRunning?: (runId: string) => Promise<void>): Promise<DrillRunDetail> {
  const started = Date.now();
  const { runId } = await ok<{ runId: string }>('drills.run', input);
  await whileRunning?.(runId);
  await waitFor(`drill ${input.drillId} to end`, async () => {
    const st = await ok<DrillStatus | null>('drills.status', undefined, 'query');
    return st === null || st.runId !== runId;
  }, 90_000);
  const run = await ok<DrillRunDetail>('drills.get', { runId }, 'query');
  const s = run.summary;
  console.log(`# ${input.drillId} ${JSON.stringify({ ackMode: input.ackMode, flush: run.settings.broker.flushDiskType })}: ${run.status} ${run.verdict} in ${Date.now() - started} ms; `
    + `attempted ${s?.attempted} SEND_OK ${s?.acknowledged.SEND_OK} consumed ${s?.consumed} lostAcked ${s?.lostAcked} lost ${s?.lostTotal} dup ${s?.duplicated} rto ${s?.recovery.rtoMs}`);
  assert.equal(run.status, 'done', `the run ended ${run.status}: ${run.error}`);
  return run;
}

test('drills - bad input is refused naming the field and the rule', async () => {
  const unknown = await trpc(app.url, 'drills.run', { drillId: 'meteor-strike' });
  assert.ok(!unknown.ok);
  assert.match(unknown.message, /drillId/);
  const rate = await trpc(app.url, 'drills.run', { drillId: 'power-loss', rate: 0 });
  assert.ok(!rate.ok);
  assert.match(rate.message, /rate must be at least 1/);
  const extra = await trpc(app.url, 'drills.run', { drillId: 'power-loss', speed: 3 });
  assert.ok(!extra.ok);
  assert.match(extra.message, /speed/);
  const get = await trpc(app.url, 'drills.get', { runId: 'NOT A RUN' }, 'query');
  assert.ok(!get.ok);
  assert.match(get.message, /runId/);
  const missing = await trpc(app.url, 'drills.get', { runId: 'dnothere000' }, 'query');
  assert.ok(!missing.ok && missing.status === 404, 'an unknown run is NOT_FOUND');
  const history = await trpc(app.url, 'drills.history', { limit: 0 }, 'query');
  assert.ok(!history.ok);
  assert.match(history.message, /limit must be at least 1/);
  const noSlave = await trpc(app.url, 'drills.run', { drillId: 'slave-down' });
  assert.ok(!noSlave.ok);
  assert.match(noSlave.message, /slave-down cannot run now: slave broker: no slave is running/);
  const badSeed = await trpc(app.url, 'drills.run', { drillId: 'power-loss', seed: -1 });
  assert.ok(!badSeed.ok);
  assert.match(badSeed.message, /seed must not be negative/);
  const badRerun = await trpc(app.url, 'drills.rerun', { runId: 'dnothere000', flushDiskType: 'SYNC_FLUSH' });
  assert.ok(!badRerun.ok && badRerun.status === 404, 'a re-run of an unknown run is NOT_FOUND');
});

test('drills - the catalog lists every drill with its capabilities and the prediction for the current settings', async () => {
  const catalog = await ok<DrillSpecView[]>('drills.catalog', undefined, 'query');
  assert.ok(catalog.length >= 10);
  const power = catalog.find((d) => d.id === 'power-loss')!;
  assert.ok(power.runnable);
  assert.match(power.prediction.text, /ASYNC_FLUSH \+ power loss/);
  assert.equal(power.prediction.sendOkLossPossible, true);
  const slaveDown = catalog.find((d) => d.id === 'slave-down')!;
  assert.equal(slaveDown.runnable, false, 'no slave runs in this cluster');
  assert.ok(slaveDown.capabilities.some((c) => c.id === 'slave' && !c.available && c.reason));
});

test('drills - power loss under SYNC_FLUSH loses no SEND_OK message (PASS); a second drill is refused meanwhile; the run is recorded', async () => {
  await ok('settings.update', { flushDiskType: 'SYNC_FLUSH' });
  try {
    const run = await runDrill({ drillId: 'power-loss', durationSec: 5, rate: 150 }, async (runId) => {
      const second = await trpc(app.url, 'drills.run', { drillId: 'process-crash' });
      assert.ok(!second.ok, 'a second drill must be refused');
      assert.equal(second.status, 409);
      assert.match(second.message, new RegExp(`power-loss \\(run ${runId}\\) is running`));
      const st = await ok<DrillStatus | null>('drills.status', undefined, 'query');
      assert.equal(st?.runId, runId);
      assert.ok(st && st.progress >= 0 && st.progress <= 1);
      const live = await ok<LiveState>('cluster.state', undefined, 'query');
      assert.equal(live.drill?.runId, runId, 'the live state carries the drill');
    });
    assert.equal(run.verdict, 'PASS', run.verdictReason ?? '');
    assert.equal(run.summary!.lostAcked, 0);
    assert.ok(run.summary!.acknowledged.SEND_OK > 100);
    assert.equal(run.settings.broker.flushDiskType, 'SYNC_FLUSH');
    assert.ok(run.events.some((e) => e.kind === 'fault.start'), 'the fault is on the timeline');
    assert.ok(run.events.some((e) => e.kind === 'fault.end'));
    assert.ok(run.events.some((e) => e.kind === 'process' && /broker-a master/.test(e.message)), 'process exits and restarts are on the timeline');
    assert.ok(run.faultWindows.length === 1 && run.faultWindows[0].toT !== null);
    assert.ok(run.samples.length > 10, `samples recorded: ${run.samples.length}`);
    assert.ok(run.samples.every((s, i) => i === 0 || s.t >= run.samples[i - 1].t));
    const history = await ok<DrillRunView[]>('drills.history', { limit: 5, drillId: 'power-loss', verdict: 'PASS' }, 'query');
    assert.ok(history.some((h) => h.runId === run.runId && h.endedAt !== null));
  } finally {
    await ok('settings.update', { flushDiskType: 'ASYNC_FLUSH' });
  }
});

test('drills - power loss under ASYNC_FLUSH with a long flush interval loses SEND_OK messages past the durable watermark (LOSS_EXPECTED)', async () => {
  await ok('settings.update', { flushDiskType: 'ASYNC_FLUSH', flushIntervalCommitLog: 5000, flushCommitLogLeastPages: 1000 });
  try {
    const run = await runDrill({ drillId: 'power-loss', durationSec: 5, rate: 150 });
    assert.equal(run.verdict, 'LOSS_EXPECTED', run.verdictReason ?? '');
    assert.ok(run.summary!.lostAcked > 0);
    const lostOk = run.anomalies.filter((a) => a.kind === 'lost' && a.sendStatus === 'SEND_OK');
    assert.ok(lostOk.length > 0);
    assert.ok(lostOk.every((a) => a.lastStage === 'stored'), `every lost SEND_OK message lies past the flushed offset: ${JSON.stringify(run.summary!.lostByStage)}`);
    assert.ok(run.summary!.powerCut === null || run.summary!.powerCut.lostBytes > 0);
  } finally {
    await ok('settings.update', { flushIntervalCommitLog: 500, flushCommitLogLeastPages: 4 });
  }
});

test('drills - a master process crash loses no SEND_OK message', async () => {
  const run = await runDrill({ drillId: 'process-crash', durationSec: 5, rate: 150 });
  assert.equal(run.summary!.lostAcked, 0);
  assert.equal(run.verdict, 'PASS', run.verdictReason ?? '');
  assert.ok(run.summary!.recovery.failedSends > 0, 'sends failed while the master was down');
});

test('drills - a consumer crash loses the work in flight with before-processing acks, nothing with after-processing', async () => {
  const before = await runDrill({ drillId: 'consumer-crash', durationSec: 5, rate: 150, ackMode: 'before-processing' });
  assert.ok(before.summary!.lostAcked > 0, 'acknowledged on arrival, the work in flight died with the consumer');
  assert.equal(before.verdict, 'LOSS_EXPECTED', before.verdictReason ?? '');
  assert.ok(before.anomalies.some((a) => a.kind === 'lost' && a.lastStage === 'delivered'));
  const afterRun = await runDrill({ drillId: 'consumer-crash', durationSec: 5, rate: 150, ackMode: 'after-processing' });
  assert.equal(afterRun.summary!.lostAcked, 0);
  assert.equal(afterRun.verdict, 'PASS', afterRun.verdictReason ?? '');
});

test('drills - a cancelled drill is recorded as cancelled and leaves the cluster running', async () => {
  const { runId } = await ok<{ runId: string }>('drills.run', { drillId: 'process-crash', durationSec: 20, rate: 50 });
  await waitFor('the drill sending', async () => (await ok<DrillStatus | null>('drills.status', undefined, 'query'))?.phase === 'traffic', 15_000);
  const cancelled = await ok<{ cancelled: boolean; runId: string }>('drills.cancel', { runId });
  assert.deepEqual(cancelled, { cancelled: true, runId });
  await waitFor('the drill to end', async () => (await ok<DrillStatus | null>('drills.status', undefined, 'query')) === null, 30_000);
  const run = await ok<DrillRunDetail>('drills.get', { runId }, 'query');
  assert.equal(run.status, 'cancelled');
  assert.match(run.error ?? '', /cancelled/);
  const again = await trpc(app.url, 'drills.cancel', {});
  assert.ok(!again.ok);
  assert.match(again.message, /no drill is running/);
  const live = await ok<LiveState>('cluster.state', undefined, 'query');
  assert.equal(live.broker.state, 'running');
  assert.equal(live.traffic.state === 'running', false, 'the drill\'s traffic was stopped');
});
