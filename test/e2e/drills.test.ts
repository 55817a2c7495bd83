/**
 * Drills in the dashboard, end to end, in Chromium: the prediction follows a flushDiskType flip;
 * the power-loss drill run from the page loses the unflushed tail under ASYNC_FLUSH (LOSS_EXPECTED);
 * the replay's scrubber walks the timeline; its re-run under SYNC_FLUSH from the run's page keeps
 * every SEND_OK message (PASS), shown beside the original.
 * The same drill on the simulator: 24 seeds, the share with a loss, histograms, one seed's trace.
 * Also takes the drill screenshots of docs/drills.md.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { startAppServer, trpc, type AppServer } from '../support/app-server';
import { launchChromium } from '../support/browser';
import { PROJECT_ROOT } from '../../server/cluster/child-process';

const screenshot = (page: Page, name: string) => page.screenshot({ path: path.join(PROJECT_ROOT, 'public', 'screenshots', name), fullPage: true });

describe('drills in the dashboard', () => {
  let app: AppServer;
  let chromium: Awaited<ReturnType<typeof launchChromium>>;
  let page: Page;

  before(async () => {
    // The master alone: the power-loss drill needs no slave, and the run is quicker without one.
    app = await startAppServer({ env: { ZL_START_SLAVE: '0' } });
    chromium = await launchChromium();
    page = await chromium.browser.newPage({ viewport: { width: 1400, height: 1000 } });
  });
  after(async () => {
    await chromium?.close();
    await app?.stop();
  });

  const runPowerLoss = async () => {
    await page.getByTestId('drill-run-power-loss').click();
    // A destructive drill asks for its target by name before the confirm button works.
    await page.getByTestId('confirm-text').fill('broker-a master');
    await page.getByTestId('confirm-ok').click();
    await page.getByTestId('drill-verdict').waitFor({ timeout: 120_000 });
    return (await page.getByTestId('drill-verdict').innerText()).trim();
  };
  /** The last run as the server recorded it, for the failure message of a verdict assertion. */
  const lastRun = async () => {
    const history = await trpc<unknown[]>(app.url, 'drills.history', { limit: 1 }, 'query');
    return JSON.stringify(history.ok ? history.data[0] : history.message).slice(0, 3000);
  };

  test('the power-loss prediction follows flushDiskType', async () => {
    await page.goto(`${app.url}/drills`);
    const prediction = page.getByTestId('drill-prediction-power-loss');
    await prediction.filter({ hasText: 'ASYNC_FLUSH' }).waitFor({ timeout: 60_000 });
    const updated = await trpc(app.url, 'settings.update', { flushDiskType: 'SYNC_FLUSH' });
    assert.ok(updated.ok, !updated.ok ? updated.message : '');
    await prediction.filter({ hasText: 'SYNC_FLUSH' }).waitFor({ timeout: 15_000 });
  });

  test('power loss under ASYNC_FLUSH with a long flush interval: SEND_OK messages in the unflushed window are lost, as predicted', async () => {
    const updated = await trpc(app.url, 'settings.update', { flushDiskType: 'ASYNC_FLUSH', flushIntervalCommitLog: 5000, flushCommitLogLeastPages: 1000 });
    assert.ok(updated.ok, !updated.ok ? updated.message : '');
    await page.getByTestId('drill-prediction-power-loss').filter({ hasText: 'ASYNC_FLUSH' }).waitFor({ timeout: 15_000 });
    const verdict = await runPowerLoss();
    assert.equal(verdict, 'LOSS_EXPECTED', verdict === 'LOSS_EXPECTED' ? '' : await lastRun());
    assert.ok(Number(await page.getByTestId('drill-lost-SEND_OK').innerText()) > 0, 'acknowledged messages were lost');
    await screenshot(page, 'drills.png');
  });

  test('the replay scrubber walks the recorded timeline', async () => {
    await page.getByTestId('drill-replay-link').click();
    const scrubber = page.getByTestId('replay-scrubber');
    await scrubber.waitFor({ timeout: 30_000 });
    await scrubber.fill(String(await scrubber.getAttribute('max')));
    const atEnd = await page.getByTestId('replay-event').count();
    await scrubber.fill(String(await scrubber.getAttribute('min')));
    const atStart = await page.getByTestId('replay-event').count();
    assert.ok(atEnd > atStart, `moving the scrubber changes the events shown (${atStart} at the start, ${atEnd} at the end)`);
    assert.ok(await page.getByTestId('replay-anomaly').count() > 0, 'the lost messages are listed');
    await scrubber.fill(String(Math.round((Number(await scrubber.getAttribute('max')) + Number(await scrubber.getAttribute('min'))) * 0.6)));
    await screenshot(page, 'replay.png');
  });

  test('a lost message looked up on the Messages page reached the page cache but never the disk or a consumer', async () => {
    // A message the tracker saw acknowledged and then cut by the power loss.
    const recent = await trpc<{ messages: { id: string; send: { status: string } | null }[] }>(app.url, 'messages.recent', { limit: 50, filter: 'lost' }, 'query');
    assert.ok(recent.ok, !recent.ok ? recent.message : '');
    const lostId = recent.data.messages.find((m) => m.send?.status === 'SEND_OK')?.id ?? '';
    assert.match(lostId, /^[0-9A-F]{32}$/, `a lost SEND_OK message is tracked: ${JSON.stringify(recent.data).slice(0, 500)}`);
    await page.goto(`${app.url}/messages`);
    await page.getByTestId('message-search').fill(lostId);
    await page.getByTestId('message-search-submit').click();
    await page.getByTestId('message-ladder').waitFor({ timeout: 15_000 });
    assert.equal(await page.getByTestId('ladder-stage-sent').getAttribute('data-reached'), 'true');
    assert.equal(await page.getByTestId('ladder-stage-stored').getAttribute('data-reached'), 'true', 'the broker appended it (SEND_OK under ASYNC_FLUSH)');
    assert.equal(await page.getByTestId('ladder-stage-flushed').getAttribute('data-reached'), 'false', 'no fdatasync covered it before the power cut');
    assert.equal(await page.getByTestId('ladder-stage-consumed').getAttribute('data-reached'), 'false', 'no consumer ever applied it');
    await screenshot(page, 'messages.png');
  });

  test('re-run with other settings: the ASYNC_FLUSH power loss again under SYNC_FLUSH, same seed, two ledgers side by side', async () => {
    const history = await trpc<{ runId: string; drillId: string; verdict: string | null }[]>(app.url, 'drills.history', { limit: 1 }, 'query');
    assert.ok(history.ok, !history.ok ? history.message : '');
    const original = history.data[0]!;
    assert.equal(original.verdict, 'LOSS_EXPECTED');
    await page.goto(`${app.url}/drills/${original.runId}`);
    await page.getByTestId('rerun-flushDiskType').selectOption('SYNC_FLUSH');
    await page.getByTestId('rerun-submit').click();
    await page.waitForURL((url) => !url.pathname.endsWith(original.runId), { timeout: 30_000 });
    const comparison = page.getByTestId('rerun-comparison');
    await comparison.filter({ hasText: 'PASS' }).waitFor({ timeout: 180_000 });
    const text = await comparison.innerText();
    assert.match(text, /LOSS_EXPECTED/, 'the original\'s verdict beside the re-run\'s');
    assert.match(text, /flushDiskType\s+ASYNC_FLUSH\s+SYNC_FLUSH/, 'the setting that differs, in both columns');
    const row = text.split('\n').find((line) => line.startsWith('lost SEND_OK')) ?? '';
    const [, before, after] = /lost SEND_OK\s+(\d+)\s+(\d+)/.exec(row) ?? [];
    assert.ok(Number(before) > 0 && Number(after) === 0, `ASYNC_FLUSH lost SEND_OK messages, SYNC_FLUSH none: ${row}`);
    const rerunId = new URL(page.url()).pathname.split('/').pop()!;
    const rerun = await trpc<{ input: { seed?: number; rerunOf?: string } }>(app.url, 'drills.get', { runId: rerunId, anomalyLimit: 0 }, 'query');
    const first = await trpc<{ input: { seed?: number } }>(app.url, 'drills.get', { runId: original.runId, anomalyLimit: 0 }, 'query');
    assert.ok(rerun.ok && first.ok);
    assert.equal(rerun.data.input.rerunOf, original.runId);
    assert.equal(rerun.data.input.seed, first.data.input.seed, 'the same seed');
  });

  test('simulate: the power-loss drill over 24 seeds under ASYNC_FLUSH on the simulator: progress, the share of seeds with a loss, histograms, one seed\'s trace; a real drill waits meanwhile', async () => {
    const refused = await trpc(app.url, 'sim.start', { drillId: 'transaction-crash', seeds: 5 });
    assert.ok(!refused.ok);
    assert.match(refused.message, /drillId must be a drill the simulator runs: process-crash, power-loss/);
    await page.goto(`${app.url}/drills`);
    await page.getByTestId('drill-prediction-power-loss').filter({ hasText: 'ASYNC_FLUSH' }).waitFor({ timeout: 15_000 });
    await page.getByTestId('drill-sim-seeds-power-loss').fill('24');
    await page.getByTestId('drill-simulate-power-loss').click();
    const panel = page.getByTestId('sim-panel');
    await panel.waitFor({ timeout: 15_000 });
    assert.match(await panel.innerText(), /simulated/i, 'the panel says its numbers are simulated');
    const busy = await trpc(app.url, 'drills.run', { drillId: 'process-crash' });
    assert.ok(!busy.ok && /a simulation is running/.test(busy.message), busy.ok ? 'a drill started during the simulation' : busy.message);
    await page.getByTestId('sim-progress').filter({ hasText: 'done: 24/24' }).waitFor({ timeout: 180_000 });
    const share = await page.getByTestId('sim-loss-share').innerText();
    const [, withLoss] = /^(\d+) of 24 seeds/.exec(share) ?? [];
    assert.ok(Number(withLoss) > 0, `ASYNC_FLUSH with a 5 s flush interval loses SEND_OK messages in some simulated seeds: ${share}`);
    await page.getByTestId('sim-hist-lost').waitFor();
    await panel.screenshot({ path: path.join(PROJECT_ROOT, 'public', 'screenshots', 'simulate.png') });
    await page.locator('[data-testid^="sim-trace-"]').first().click();
    await page.getByTestId('sim-trace').filter({ hasText: 'fault: power loss' }).waitFor({ timeout: 60_000 });
  });
});
