/**
 * Replication drills through tRPC against the real control plane with its slave: under SYNC_MASTER a
 * dead slave makes sends answer SLAVE_NOT_AVAILABLE / FLUSH_SLAVE_TIMEOUT and loses nothing, and a lost
 * master disk with a failover to the slave loses no SEND_OK message.
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

test('drills - slave down under SYNC_MASTER: sends are told the slave is missing, nothing is lost', async () => {
  const run = await runDrill({ drillId: 'slave-down', durationSec: 6, rate: 100 });
  assert.equal(run.verdict, 'PASS', run.verdictReason ?? '');
  assert.equal(run.summary!.lostTotal - run.summary!.lost.ERROR - run.summary!.lost.TIMEOUT, 0);
  assert.ok(run.summary!.acknowledged.SLAVE_NOT_AVAILABLE + run.summary!.acknowledged.FLUSH_SLAVE_TIMEOUT > 0, 'SYNC_MASTER did not claim a replication it lacked');
  assert.ok(run.events.some((e) => e.kind === 'process' && /slave/.test(e.message)));
});

test('drills - master disk loss under SYNC_MASTER: the promoted slave has every SEND_OK message', async () => {
  const run = await runDrill({ drillId: 'master-disk-loss', durationSec: 6, rate: 100 });
  assert.equal(run.summary!.lostAcked, 0);
  assert.equal(run.verdict, 'PASS', run.verdictReason ?? '');
  assert.ok(run.summary!.acknowledged.SEND_OK > 0);
  assert.ok(run.summary!.recovery.rtoMs !== null, 'sends succeeded again after the failover');
  const catalog = await trpc<{ id: string; runnable: boolean; waitingFor?: string }[]>(app.url, 'drills.catalog', undefined, 'query');
  assert.ok(catalog.ok && catalog.data.find((d) => d.id === 'process-crash')?.runnable === false, 'after a failover the drills that need the original master wait');
});
