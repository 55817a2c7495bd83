/**
 * Replication drills through tRPC against the real control plane with its slave: under SYNC_MASTER a
 * dead slave makes sends answer SLAVE_NOT_AVAILABLE / FLUSH_SLAVE_TIMEOUT, so when the master's disk
 * goes next and the slave is promoted no SEND_OK message is lost. (master-disk-loss under SYNC_MASTER,
 * PASS, runs in drill-matrix.test.ts.)
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startAppServer, trpc, type AppServer } from '../support/app-server';
import { waitFor } from '../support/broker-process';
import type { LiveState } from '../../server/live/types';
import type { DrillRunDetail, DrillRunInput, DrillStatus } from '../../server/drills/types';

let app: AppServer;

before(async () => {
  app = await startAppServer();
  await waitFor('broker and slave running', async () => {
    const r = await trpc<LiveState>(app.url, 'cluster.state', undefined, 'query');
    return r.ok && r.data.broker.state === 'running' && r.data.replication?.slave.state === 'running';
  }, 30_000);
  const r = await trpc(app.url, 'settings.update', { brokerRole: 'SYNC_MASTER' });
  assert.ok(r.ok, !r.ok ? r.message : '');
});

after(async () => {
  await app?.stop();
});

async function runDrill(input: DrillRunInput): Promise<DrillRunDetail> {
  const started = Date.now();
  const r = await trpc<{ runId: string }>(app.url, 'drills.run', input);
  assert.ok(r.ok, !r.ok ? r.message : '');
  const { runId } = r.data;
  await waitFor(`drill ${input.drillId} to end`, async () => {
    const st = await trpc<DrillStatus | null>(app.url, 'drills.status', undefined, 'query');
    return st.ok && (st.data === null || st.data.runId !== runId);
  }, 90_000);
  const got = await trpc<DrillRunDetail>(app.url, 'drills.get', { runId }, 'query');
  assert.ok(got.ok, !got.ok ? got.message : '');
  const run = got.data;
  const s = run.summary;
  console.log(`# ${input.drillId} ${run.settings.broker.brokerRole}: ${run.status} ${run.verdict} in ${Date.now() - started} ms; `
    + `statuses ${JSON.stringify(s?.acknowledged)} consumed ${s?.consumed} lostAcked ${s?.lostAcked} rto ${s?.recovery.rtoMs}`);
  assert.equal(run.status, 'done', `the run ended ${run.status}: ${run.error}`);
  return run;
}

test('drills - slave down, then the master\'s disk lost, under SYNC_MASTER: sends are told the slave is missing; the promoted slave lacks only those', async () => {
  const run = await runDrill({ drillId: 'slave-down', durationSec: 6, rate: 100 });
  const s = run.summary!;
  assert.notEqual(run.verdict, 'FAIL', run.verdictReason ?? '');
  assert.equal(s.lostAcked, 0, 'every SEND_OK reached the slave before it went down');
  assert.ok(s.acknowledged.SLAVE_NOT_AVAILABLE + s.acknowledged.FLUSH_SLAVE_TIMEOUT > 0, 'SYNC_MASTER did not claim a replication it lacked');
  assert.ok(run.events.some((e) => e.kind === 'process' && /slave/.test(e.message)));
  assert.ok(run.events.some((e) => /second fault: SIGKILL the master/.test(e.message)), 'the master\'s disk loss is on the timeline');
  assert.ok(s.recovery.rtoMs !== null, 'sends succeeded again after the failover');
  const catalog = await trpc<{ id: string; runnable: boolean; waitingFor?: string }[]>(app.url, 'drills.catalog', undefined, 'query');
  assert.ok(catalog.ok && catalog.data.find((d) => d.id === 'process-crash')?.runnable === false, 'after a failover the drills that need the original master wait');
});
