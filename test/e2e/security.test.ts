/**
 * Sign-in and roles in the real dashboard: a viewer signs in through the login page in Chromium and
 * finds the crash controls disabled, with the reason on screen; a destructive action asks for its
 * target's name; the audit page lists what happened. Takes public/screenshots/audit.png.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { startAppServer, type AppServer } from '../support/app-server';
import { launchChromium } from '../support/browser';
import { call, login } from '../support/security-client';
import { PROJECT_ROOT } from '../../server/cluster/child-process';

const PASSWORD = 'viewer password 1';

describe('security in the dashboard', () => {
  let app: AppServer;
  let chromium: Awaited<ReturnType<typeof launchChromium>>;
  let viewerContext: BrowserContext;
  let viewer: Page;

  before(async () => {
    app = await startAppServer({ env: { ZL_START_SLAVE: '0' } });
    chromium = await launchChromium();
    // The local admin (this loopback client) adds a viewer; a refused drill and a settings flip give the audit log content.
    assert.ok((await call(app.url, 'users.create', { input: { name: 'vera', password: PASSWORD, role: 'viewer' } })).ok);
    assert.ok((await call(app.url, 'users.create', { input: { name: 'dina', password: PASSWORD, role: 'drill' } })).ok);
    const { cookie } = await login(app.url, 'vera', PASSWORD);
    assert.equal((await call(app.url, 'drills.run', { input: { drillId: 'power-loss' }, headers: { cookie } })).status, 403);
    const dina = (await login(app.url, 'dina', PASSWORD)).cookie;
    assert.ok((await call(app.url, 'settings.update', { input: { flushDiskType: 'SYNC_FLUSH' }, headers: { cookie: dina } })).ok);
    assert.ok((await call(app.url, 'settings.update', { input: { flushDiskType: 'ASYNC_FLUSH' }, headers: { cookie: dina } })).ok);
    viewerContext = await chromium.browser.newContext({ viewport: { width: 1400, height: 1000 } });
    viewer = await viewerContext.newPage();
  });
  after(async () => {
    await chromium?.close();
    await app?.stop();
  });

  test('login page - a wrong password gets the generic error; the right one signs the viewer in', async () => {
    await viewer.goto(`${app.url}/login?next=/`);
    await viewer.getByTestId('login-name').fill('vera');
    await viewer.getByTestId('login-password').fill('not her password');
    await viewer.getByTestId('login-submit').click();
    assert.equal((await viewer.getByTestId('login-error').innerText({ timeout: 10_000 })).trim(), 'wrong user name or password');
    await viewer.getByTestId('login-password').fill(PASSWORD);
    await viewer.getByTestId('login-submit').click();
    await viewer.waitForURL(`${app.url}/`, { timeout: 15_000 });
    await viewer.getByTestId('session-user').filter({ hasText: 'vera' }).waitFor({ timeout: 15_000 });
    assert.equal(await viewer.getByTestId('session-role').innerText(), 'viewer');
    const cookies = await viewerContext.cookies();
    const session = cookies.find((c) => c.name === 'zl_session');
    assert.ok(session?.httpOnly && session.sameSite === 'Strict', 'an httpOnly, SameSite=Strict session cookie');
  });

  test('overview - a viewer sees the crash controls disabled, with the reason on screen and in the title', async () => {
    await viewer.getByTestId('broker-state').filter({ hasText: 'running' }).waitFor({ timeout: 60_000 });
    await viewer.getByTestId('live-status').filter({ hasText: 'connected' }).waitFor({ timeout: 15_000 });
    const kill = viewer.getByTestId('broker-kill');
    assert.equal(await kill.isDisabled(), true, 'Crash (SIGKILL) is disabled');
    assert.match((await kill.getAttribute('title')) ?? '', /needs the drill role .*you are vera, a viewer/);
    assert.equal(await viewer.getByTestId('broker-power-loss').isDisabled(), true);
    assert.match(await viewer.getByTestId('broker-role-hint').innerText(), /Crash and power loss: needs the drill role/);
    assert.equal(await viewer.getByTestId('flush-SYNC_FLUSH').isDisabled(), true, 'a viewer cannot flip flushDiskType');
    assert.match(await viewer.getByTestId('flush-role-hint').innerText(), /needs the operator role/);
    assert.equal(await viewer.getByTestId('nav-users').count(), 0, 'no Users link for a viewer');
    await viewer.goto(`${app.url}/audit`);
    assert.match(await viewer.getByTestId('audit-denied').innerText({ timeout: 15_000 }), /needs the drill role/);
  });

  test('confirmation - power loss asks for the target by name before it can be confirmed, and sends it to the API', async () => {
    // A fresh browser without a session on loopback is the local admin.
    const page = await chromium.browser.newPage({ viewport: { width: 1400, height: 1000 } });
    try {
      await page.goto(app.url);
      await page.getByTestId('session-user').filter({ hasText: 'local' }).waitFor({ timeout: 15_000 });
      await page.getByTestId('broker-state').filter({ hasText: 'running' }).waitFor({ timeout: 60_000 });
      await page.getByTestId('broker-power-loss').click();
      const ok = page.getByTestId('confirm-ok');
      assert.equal(await ok.isDisabled(), true, 'not before the name is typed');
      await page.getByTestId('confirm-text').fill('broker-a');
      assert.equal(await ok.isDisabled(), true, 'not with a partial name');
      await page.getByTestId('confirm-text').fill('broker-a master');
      assert.equal(await ok.isDisabled(), false, 'enabled with the exact name');
      // The API checks the typed name again (server/routers/confirm.ts): the dialog sends it.
      await ok.click();
      await page.getByTestId('broker-state').filter({ hasText: 'crashed' }).waitFor({ timeout: 15_000 });
      const entries = (await call<{ entries: { action: string; result: string; input: { confirm?: string } }[] }>(app.url, 'audit.list', { kind: 'query', input: { action: 'cluster.powerLoss', limit: 5 } })).data!.entries;
      assert.ok(entries.some((e) => e.result === 'ok' && e.input.confirm === 'broker-a master'), 'the power cut ran with the typed name as its confirmation');
    } finally {
      await page.close();
    }
  });

  test('audit page - lists the refused drill and the settings flips, filters them, and is screenshotted', async () => {
    const page = await chromium.browser.newPage({ viewport: { width: 1400, height: 900 } });
    try {
      await page.goto(`${app.url}/audit`);
      await page.getByTestId('audit-row').first().waitFor({ timeout: 15_000 });
      const refused = page.locator('[data-testid="audit-row"][data-action="drills.run"][data-result="error"]');
      assert.match(await refused.first().innerText(), /vera[\s\S]*FORBIDDEN: needs the drill role/);
      assert.match(await page.locator('[data-testid="audit-row"][data-action="settings.update"]').first().innerText(), /flushDiskType SYNC_FLUSH → ASYNC_FLUSH/);
      assert.equal(await page.getByTestId('audit-export-csv').getAttribute('href'), '/api/audit/export?format=csv');
      await page.screenshot({ path: path.join(PROJECT_ROOT, 'public', 'screenshots', 'audit.png'), fullPage: true });

      await page.getByTestId('audit-filter-result').selectOption('error');
      await page.getByTestId('audit-filter-apply').click();
      await page.waitForFunction(() => [...document.querySelectorAll('[data-testid="audit-row"]')].every((r) => r.getAttribute('data-result') === 'error'), undefined, { timeout: 10_000 });
      assert.match((await page.getByTestId('audit-export-csv').getAttribute('href')) ?? '', /result=error/);
    } finally {
      await page.close();
    }
  });
});
