/**
 * The walking skeleton end to end: the real control plane (as `npm start` runs it), the real broker
 * process, real Chromium. Flip flushDiskType in the UI, start traffic, see the counters rise.
 * Also takes the README's screenshot (public/screenshots/overview.png).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { startAppServer, trpc, type AppServer } from '../support/app-server';
import { launchChromium } from '../support/browser';
import { PROJECT_ROOT } from '../../server/cluster/child-process';
import { pushNodeSettings } from '../../server/cluster/node-settings';
import { MQAdminClient } from '../../server/cluster/admin-client';

const intText = async (page: Page, testId: string) => Number((await page.getByTestId(testId).innerText()).replace(/[^\d]/g, ''));

describe('dashboard overview', () => {
  let app: AppServer;
  let chromium: Awaited<ReturnType<typeof launchChromium>>;
  let page: Page;

  before(async () => {
    app = await startAppServer();
    chromium = await launchChromium();
    page = await chromium.browser.newPage({ viewport: { width: 1400, height: 1000 } });
  });
  after(async () => {
    await chromium?.close();
    await app?.stop();
  });

  test('the dashboard shows a running broker and a connected live stream', async () => {
    await page.goto(app.url);
    await page.getByTestId('broker-state').filter({ hasText: 'running' }).waitFor({ timeout: 60_000 });
    await page.getByTestId('live-status').filter({ hasText: 'connected' }).waitFor({ timeout: 15_000 });
  });

  test('flipping flushDiskType in the UI changes it on the broker and persists it', async () => {
    await page.getByTestId('flush-disk-type').filter({ hasText: /^ASYNC_FLUSH$/ }).waitFor();
    await page.getByTestId('flush-SYNC_FLUSH').click();
    await page.getByTestId('flush-disk-type').filter({ hasText: /^SYNC_FLUSH$/ }).waitFor({ timeout: 10_000 });
    assert.equal(await page.getByTestId('flush-SYNC_FLUSH').getAttribute('aria-pressed'), 'true');
    const settings = await trpc<{ settings: { flushDiskType: string } }>(app.url, 'settings.get', undefined, 'query');
    assert.ok(settings.ok && settings.data.settings.flushDiskType === 'SYNC_FLUSH', 'the control plane saved SYNC_FLUSH');
  });

  test('the Settings page shows what each node confirmed it runs, and a node changed behind the dashboard\'s back as drift', async () => {
    await page.goto(`${app.url}/settings`);
    const master = page.getByTestId('node-settings-broker-a-0');
    await master.getByTestId('node-settings-state').filter({ hasText: 'runs the saved settings' }).waitFor({ timeout: 15_000 });
    assert.match(await master.innerText(), /flushDiskType\s*SYNC_FLUSH/);
    const slave = page.getByTestId('node-settings-broker-a-1');
    await slave.getByTestId('node-settings-state').filter({ hasText: 'runs the saved settings' }).waitFor({ timeout: 60_000 });
    assert.match(await slave.innerText(), /SLAVE/);
    // Like `mqadmin updateBrokerConfig` run against the master directly.
    const state = await trpc<{ broker: { address: string } }>(app.url, 'cluster.state', undefined, 'query');
    assert.ok(state.ok);
    const admin = new MQAdminClient();
    try {
      await pushNodeSettings(admin, state.data.broker.address, { flushDiskType: 'ASYNC_FLUSH' });
    } finally {
      admin.close();
    }
    await page.getByTestId('node-settings-drift').filter({ hasText: 'broker-a/0 runs flushDiskType=ASYNC_FLUSH (saved: SYNC_FLUSH)' }).waitFor({ timeout: 10_000 });
    await page.getByTestId('node-settings-reconcile').click();
    await master.getByTestId('node-settings-state').filter({ hasText: 'runs the saved settings' }).waitFor({ timeout: 10_000 });
    assert.equal(await page.getByTestId('node-settings-drift').count(), 0);
    await page.goto(app.url);
    await page.getByTestId('flush-disk-type').filter({ hasText: /^SYNC_FLUSH$/ }).waitFor({ timeout: 15_000 });
  });

  test('starting traffic makes the sent and SEND_OK counters rise on the live charts', async () => {
    await page.getByTestId('traffic-rate').fill('300');
    await page.getByTestId('traffic-start').click();
    await page.waitForFunction(() => Number(document.querySelector('[data-testid="total-SEND_OK"]')?.textContent?.replace(/[^\d]/g, '') ?? 0) > 50, undefined, { timeout: 30_000 });
    const first = await intText(page, 'total-sent');
    // The live stream updates four times a second: the counter rises again within a few updates.
    await page.waitForFunction((before) => Number(document.querySelector('[data-testid="total-sent"]')?.textContent?.replace(/[^\d]/g, '') ?? 0) > before, first, { timeout: 10_000 });
    const second = await intText(page, 'total-sent');
    assert.ok(second > first, `sent counter rises (${first} → ${second})`);
    await page.getByTestId('chart-throughput').locator('svg').first().waitFor();
    await page.getByTestId('flush-ASYNC_FLUSH').click();
    await page.getByTestId('flush-disk-type').filter({ hasText: /^ASYNC_FLUSH$/ }).waitFor({ timeout: 10_000 });
    // A couple of seconds of charts after the flip, for the screenshot.
    await page.waitForTimeout(2500);
    await page.screenshot({ path: path.join(PROJECT_ROOT, 'public', 'screenshots', 'overview.png'), fullPage: true });
    await page.getByTestId('traffic-stop').click();
  });

  test('a crashed broker shows its reason, and Restart brings it back', async () => {
    await page.getByTestId('broker-kill').click();
    await page.getByTestId('confirm-ok').click();
    await page.getByTestId('broker-state').filter({ hasText: 'crashed' }).waitFor({ timeout: 15_000 });
    assert.match(await page.getByTestId('broker-exit-reason').innerText(), /SIGKILL/);
    await page.getByTestId('broker-restart').click();
    await page.getByTestId('broker-state').filter({ hasText: 'running' }).waitFor({ timeout: 60_000 });
  });

  test('an event recorded elsewhere (a change through the API) appears in Recent events without a reload', async () => {
    const changed = await trpc(app.url, 'settings.update', { flushIntervalCommitLog: 600 });
    assert.ok(changed.ok, !changed.ok ? changed.message : '');
    try {
      await page.getByTestId('events-card').getByText(/flushIntervalCommitLog.*600/).first().waitFor({ timeout: 10_000 });
    } finally {
      await trpc(app.url, 'settings.update', { flushIntervalCommitLog: 500 });
    }
  });

  test('a bad traffic rate is refused with a message naming the field and rule', async () => {
    const result = await trpc(app.url, 'traffic.start', { rate: -5 });
    assert.equal(result.ok, false);
    assert.match(!result.ok ? result.message : '', /rate must be at least 1 msg\/s/);
    const flush = await trpc(app.url, 'settings.update', { flushDiskType: 'FASTEST' });
    assert.match(!flush.ok ? flush.message : '', /flushDiskType must be SYNC_FLUSH or ASYNC_FLUSH/);
  });

  test('the Topology card changes the cluster to two groups of a master alone; a shape beyond 3 replicas is refused', async () => {
    await page.goto(app.url);
    const card = page.getByTestId('topology-card');
    await card.getByTestId('replica-role-broker-a/0').filter({ hasText: 'ASYNC_MASTER' }).waitFor({ timeout: 15_000 });
    await card.getByTestId('replica-role-broker-a/1').filter({ hasText: 'SLAVE' }).waitFor();
    await card.getByTestId('topology-groups').selectOption('2');
    await card.getByTestId('topology-replicas').selectOption('1');
    await card.getByTestId('topology-apply').click();
    await page.getByTestId('confirm-ok').click();
    await card.getByTestId('replica-state-broker-b/0').filter({ hasText: 'running' }).waitFor({ timeout: 60_000 });
    await card.getByTestId('topology-shape').filter({ hasText: '2 groups × 1 replica (a master alone each)' }).waitFor({ timeout: 10_000 });
    assert.equal(await card.getByTestId('replica-broker-a/1').count(), 0, 'broker-a runs a master alone');
    const refused = await trpc(app.url, 'cluster.setTopology', { groups: 2, replicas: 5 });
    assert.equal(refused.ok, false);
    assert.match(!refused.ok ? refused.message : '', /replicas must be at most 3/);
  });
});
