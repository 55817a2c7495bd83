/**
 * The Traffic and Messages pages end to end, in Chromium against the real control plane and broker:
 * traffic with KEYS started from the Traffic page, one test message published and its SendResult read,
 * messages looked up by key (the lab's index and the broker scan for an external producer's key), a
 * queue browsed, dead letters produced by consumers that fail every delivery and one resent from the
 * DLQ view back to its original topic, where a healthy consumer then consumes it.
 * The Traffic page's Target card refuses an unreachable name server and points the pages at a cluster
 * that answers (the lab's own, addressed like any other), and back.
 * Also takes the screenshots traffic.png, queue-browse.png and dlq.png of docs/dashboard.md, and
 * external.png of docs/external-clusters.md.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { startAppServer, trpc, type AppServer } from '../support/app-server';
import { launchChromium } from '../support/browser';
import { waitFor } from '../support/broker-process';
import { PROJECT_ROOT } from '../../server/cluster/child-process';
import { Producer } from '../../broker/client/producer';
import type { LiveState } from '../../server/live/types';

/** The whole page from its top: scrolled down, the sticky header would be drawn over the middle of it. */
const screenshot = async (page: Page, name: string) => {
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: path.join(PROJECT_ROOT, 'public', 'screenshots', name), fullPage: true });
};
const DLQ_TOPIC = '%DLQ%zeroloss-consumer';

describe('traffic and messages in the dashboard', () => {
  let app: AppServer;
  let chromium: Awaited<ReturnType<typeof launchChromium>>;
  let page: Page;

  const state = async () => {
    const r = await trpc<LiveState>(app.url, 'cluster.state', undefined, 'query');
    assert.ok(r.ok, !r.ok ? r.message : '');
    return r.data;
  };

  /**
   * Loads a page (`load`) and waits until the button `testId` is enabled: the role known (auth.me
   * answered) and the page hydrated, before anything is typed into it.
   * CI saw this wait time out three times on the External page (at 4065d9c, ca1b65f and 731b43f),
   * never in runs by hand; what it printed ruled out console errors and failed requests. Playwright's
   * default 'raf' polling re-reads the condition only when the page draws a frame, so a renderer that
   * stops drawing would look like a page that never hydrated: the wait polls on a timer instead. On
   * another timeout it says what the browser asked and got, what was still pending, and whether the
   * button had hydrated and was enabled.
   */
  const openUsable = async (load: () => Promise<unknown>, testId: string) => {
    const seen: string[] = [];
    const pending = new Map<unknown, string>();
    const t0 = Date.now();
    const at = () => `+${Date.now() - t0} ms`;
    const onConsole = (m: { type(): string; text(): string }) => { if (m.type() === 'error' || m.type() === 'warning') seen.push(`${at()} console ${m.type()}: ${m.text()}`); };
    const onPageError = (e: Error) => seen.push(`${at()} page error: ${e.message}`);
    const onRequest = (r: { url(): string; method(): string }) => pending.set(r, `${at()} ${r.method()} ${r.url()}`);
    const onFinished = (r: { url(): string }) => pending.delete(r);
    const onFailed = (r: { url(): string; failure(): { errorText: string } | null }) => { pending.delete(r); seen.push(`${at()} request failed: ${r.url()} ${r.failure()?.errorText ?? ''}`); };
    const onResponse = (r: { url(): string; status(): number }) => { if (r.status() >= 400 || r.url().includes('/api/')) seen.push(`${at()} ${r.status()} ${r.url()}`); };
    // Playwright types each event's listener apart; the table only pairs each with its own.
    const listeners = [['console', onConsole], ['pageerror', onPageError], ['request', onRequest], ['requestfinished', onFinished], ['requestfailed', onFailed], ['response', onResponse]] as unknown as [string, () => void][];
    for (const [event, listener] of listeners) page.on(event as 'load', listener);
    try {
      await load();
      await page.waitForFunction((id) => !document.querySelector(`[data-testid="${id}"]`)?.hasAttribute('disabled'), testId, { timeout: 30_000, polling: 100 });
    } catch (error) {
      const button = await page.evaluate((id) => {
        const b = document.querySelector(`[data-testid="${id}"]`);
        return b ? { disabled: b.hasAttribute('disabled'), title: b.getAttribute('title'), hydrated: Object.keys(b).some((k) => k.startsWith('__react')), online: navigator.onLine, visibility: document.visibilityState } : null;
      }, testId).catch((e: Error) => e.message);
      assert.fail(`the page did not become usable (${testId}): ${(error as Error).message}\nbutton: ${JSON.stringify(button)}\nbrowser:\n${seen.join('\n') || '(nothing)'}\nstill pending:\n${[...pending.values()].join('\n') || '(nothing)'}\nserver (last 40 lines):\n${app.output.slice(-40).join('\n')}`);
    } finally {
      for (const [event, listener] of listeners) page.off(event as 'load', listener);
    }
  };

  before(async () => {
    app = await startAppServer({ env: { ZL_START_SLAVE: '0' } });
    chromium = await launchChromium();
    page = await chromium.browser.newPage({ viewport: { width: 1400, height: 1000 } });
    await waitFor('broker running', async () => (await state()).broker.state === 'running', 60_000);
    // A message that fails once goes straight to the DLQ: no retry delay to wait for.
    const settings = await trpc(app.url, 'settings.update', { maxReconsumeTimes: 0 });
    assert.ok(settings.ok, !settings.ok ? settings.message : '');
  });
  after(async () => {
    await chromium?.close();
    await app?.stop();
  });

  test('traffic with keys and failing consumers start from the Traffic page; a bad key pattern is refused beside its field', async () => {
    await page.goto(`${app.url}/traffic`);
    await page.getByTestId('traffic-state').waitFor({ timeout: 60_000 });
    await page.getByTestId('consumers-count').fill('1');
    await page.getByTestId('consumers-fail-rate').fill('100');
    await page.getByTestId('consumers-start').click();
    await waitFor('consumer running with queues', async () => (await state()).consumers.members.some((m) => m.state === 'running' && m.queues.length > 0), 30_000);

    await page.getByTestId('traffic-keys-mode').selectOption('pattern');
    await page.getByTestId('traffic-key-pattern').fill('order-x');
    await page.getByTestId('traffic-start').click();
    const fieldError = page.getByTestId('traffic-keyPattern-error');
    await fieldError.waitFor({ timeout: 10_000 });
    assert.match(await fieldError.innerText(), /keyPattern must contain \{n\}/);
    assert.equal(await page.getByTestId('traffic-key-pattern').getAttribute('aria-invalid'), 'true');

    await page.getByTestId('traffic-key-pattern').fill('e2e-{n}');
    await page.getByTestId('traffic-rate').fill('40');
    await page.getByTestId('traffic-count').fill('60');
    await page.getByTestId('traffic-start').click();
    await page.getByTestId('traffic-keys').filter({ hasText: 'e2e-{n}' }).waitFor({ timeout: 15_000 });
    await waitFor('60 messages sent and acknowledged', async () => (await state()).totals.byStatus.SEND_OK >= 60, 30_000);
  });

  test('publish one test message: its SendResult is shown and links to its durability ladder', async () => {
    await page.getByTestId('publish-keys').fill('e2e-published');
    await page.getByTestId('publish-body').fill('one message from the e2e test');
    await page.getByTestId('publish-send').click();
    await page.getByTestId('publish-result').waitFor({ timeout: 15_000 });
    assert.equal((await page.getByTestId('publish-status').innerText()).trim(), 'SEND_OK');
    const msgId = (await page.getByTestId('publish-msg-id').innerText()).trim();
    assert.match(msgId, /^[0-9A-F]{32}$/);
    assert.match((await page.getByTestId('publish-offset-msg-id').innerText()).trim(), /^[0-9A-F]{32}$/);
    assert.match(await page.getByTestId('publish-queue').innerText(), /^TopicTest \/ broker-a \/ [0-3]$/);
    assert.ok(Number(await page.getByTestId('publish-queue-offset').innerText()) >= 0);
    await screenshot(page, 'traffic.png');

    await page.getByTestId('publish-ladder-link').click();
    await page.getByTestId('message-ladder').waitFor({ timeout: 15_000 });
    assert.equal((await page.getByTestId('message-id').innerText()).trim(), msgId);
    assert.equal((await page.getByTestId('message-send-status').innerText()).split(' ')[0], 'SEND_OK');
    assert.equal(await page.getByTestId('ladder-stage-stored').getAttribute('data-reached'), 'true');
  });

  test('a message is found by its key: the lab\'s own from its index, an external producer\'s by scanning the broker', async () => {
    await page.goto(`${app.url}/messages`);
    await page.getByTestId('message-search-kind').selectOption('key');
    await page.getByTestId('message-search').fill('e2e-7');
    await page.getByTestId('message-search-submit').click();
    const match = page.getByTestId('key-match');
    await match.first().waitFor({ timeout: 15_000 });
    assert.equal(await match.count(), 1, 'exactly one message carried e2e-7');
    assert.equal((await page.getByTestId('key-match-keys').innerText()).trim(), 'e2e-7');
    assert.match(await match.innerText(), /index \+ scan/);

    // An external client's message: not sent by the lab, so only the broker scan can find its key.
    const producer = new Producer({ producerGroup: 'PID_e2e_external', producerId: 'external-1', namesrvAddr: (await state()).namesrv!.address });
    try {
      const sent = await producer.send({ topic: 'TopicTest', body: Buffer.from('external'), keys: 'ext-order-1 ext-customer-9' });
      assert.equal(sent.sendStatus, 'SEND_OK');
      // The lab's consumers (failing every message, maxReconsumeTimes 0) send it on to %DLQ%: a second
      // stored copy, same UNIQ_KEY and KEYS. The search shows one match, in TopicTest, with two copies.
      type ByKey = { matches: { msgId: string; foundBy: string[]; topic: string | null; storedCopies: number }[]; complete: boolean };
      const found = await waitFor('the external message and its dead-letter copy found by key', async () => {
        const r = await trpc<ByKey>(app.url, 'messages.byKey', { key: 'ext-customer-9' }, 'query');
        assert.ok(r.ok, !r.ok ? r.message : '');
        return r.data.matches[0]?.storedCopies === 2 ? r : undefined;
      }, 20_000);
      assert.deepEqual(found.data.matches.map((m) => [m.msgId, m.foundBy, m.topic]), [[sent.msgId, ['scan'], 'TopicTest']]);
      assert.equal(found.data.complete, true, 'a small store is scanned whole');
    } finally {
      await producer.close();
    }
    await page.getByTestId('message-search').fill('ext-customer-9');
    await page.getByTestId('message-search-submit').click();
    await page.getByTestId('key-match-keys').filter({ hasText: 'ext-order-1 ext-customer-9' }).waitFor({ timeout: 15_000 });
    await page.getByTestId('message-search').fill('no-such-key');
    await page.getByTestId('message-search-submit').click();
    await page.getByTestId('key-not-found').waitFor({ timeout: 15_000 });
  });

  test('browse a queue: a page read from the broker from a start offset, with keys, offsets and properties, committing no offset', async () => {
    await page.getByTestId('messages-tab-browse').click();
    await page.getByTestId('queue-browser').waitFor();
    assert.match(page.url(), /tab=browse/);
    await page.getByTestId('browse-topic').selectOption('TopicTest');
    await page.getByTestId('browse-queue').selectOption('1');
    await page.getByTestId('browse-start-offset').fill('0');
    await page.getByTestId('browse-limit').selectOption('10');
    await page.getByTestId('browse-read').click();
    await page.getByTestId('browse-row').first().waitFor({ timeout: 15_000 });
    assert.equal(await page.getByTestId('browse-row').count(), 10);
    const offsets = await page.getByTestId('browse-row-offset').allInnerTexts();
    assert.deepEqual(offsets.map(Number), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    // The first message of queue 1 is the one the lab recorded there (round-robin puts e2e-2 there,
    // unless a retried send moved to the next queue and shifted the rest).
    const firstKey = (await page.getByTestId('browse-row-keys').first().innerText()).split('\n')[0].trim();
    assert.match(firstKey, /^e2e-\d+$/);
    const recorded = await trpc<{ matches: { topic: string | null; queueId: number | null; queueOffset: number | null }[] }>(app.url, 'messages.byKey', { key: firstKey }, 'query');
    assert.ok(recorded.ok, !recorded.ok ? recorded.message : '');
    assert.deepEqual(recorded.data.matches.map((m) => [m.topic, m.queueId, m.queueOffset]), [['TopicTest', 1, 0]]);
    await page.getByTestId('browse-row').first().locator('summary').click();
    assert.match(await page.getByTestId('browse-row').first().innerText(), /UNIQ_KEY/);
    await page.getByTestId('browse-newer').click();
    await page.getByTestId('browse-row-offset').first().filter({ hasText: /^10$/ }).waitFor({ timeout: 15_000 });
    await screenshot(page, 'queue-browse.png');

    const bad = await trpc(app.url, 'messages.browse', { topic: 'TopicTest', queueId: 9 }, 'query');
    assert.match(!bad.ok ? bad.message : '', /queueId: topic TopicTest has 4 queues/);
  });

  test('the DLQ view lists the dead letters; one resent after a confirmation reaches the original topic and is consumed', async () => {
    await waitFor('dead letters', async () => {
      const topics = await trpc<{ topic: string; messages: number }[]>(app.url, 'messages.dlqTopics', undefined, 'query');
      return topics.ok && topics.data.some((t) => t.topic === DLQ_TOPIC && t.messages >= 20);
    }, 30_000);
    // A healthy consumer from now on, so the resent copy is consumed.
    const restarted = await trpc(app.url, 'consumers.start', { count: 1, failRate: 0 });
    assert.ok(restarted.ok, !restarted.ok ? restarted.message : '');

    await page.getByTestId('messages-tab-dlq').click();
    await page.getByTestId('dlq-topic').filter({ hasText: DLQ_TOPIC }).waitFor({ timeout: 15_000 });
    const row = page.getByTestId('dlq-row').first();
    await row.waitFor({ timeout: 15_000 });
    assert.equal((await row.getByTestId('dlq-original-topic').innerText()).trim(), 'TopicTest');
    assert.match(await row.innerText(), /RECONSUME_LATER 1 time/);
    const offset = Number(await row.getAttribute('data-offset'));

    const resendButton = page.getByTestId(`dlq-resend-${offset}`);
    await resendButton.click();
    await page.getByRole('dialog').waitFor();
    await page.keyboard.press('Escape');
    await page.getByRole('dialog').waitFor({ state: 'hidden' });
    assert.equal(await resendButton.evaluate((el) => el === document.activeElement), true, 'Escape closes the dialog and returns focus to its opener');
    assert.equal(await page.getByTestId('dlq-resend-result').count(), 0, 'nothing was resent after Escape');

    await resendButton.click();
    await page.getByTestId('confirm-ok').click();
    await page.getByTestId('dlq-resend-result').waitFor({ timeout: 15_000 });
    assert.equal((await page.getByTestId('dlq-resend-status').innerText()).trim(), 'SEND_OK');
    const newId = (await page.getByTestId('dlq-resend-msg-id').innerText()).trim();
    assert.match(newId, /^[0-9A-F]{32}$/);
    await screenshot(page, 'dlq.png');

    const consumed = await waitFor('the resent copy consumed from TopicTest', async () => {
      const r = await trpc<{ topic: string | null; storedAt: number | null; consumedAt: number | null; producerId: string | null }>(app.url, 'messages.lookup', { id: newId }, 'query');
      return r.ok && r.data.consumedAt !== null ? r.data : undefined;
    }, 30_000);
    assert.equal(consumed.topic, 'TopicTest');
    assert.notEqual(consumed.storedAt, null);
    assert.match(consumed.producerId ?? '', /^console-/);
    await page.getByTestId('dlq-resent-as').first().waitFor({ timeout: 10_000 });
  });

  test('the External page reads a cluster through its name server (the lab\'s own, addressed like any other) and prints a dry run; a bad executor is refused by name; the executor saved for the target comes back when the cluster is read again', async () => {
    const namesrv = (await state()).namesrv!.address;
    await openUsable(() => page.goto(`${app.url}/external`), 'external-read');
    await page.getByTestId('external-namesrv').fill(namesrv);
    await page.getByTestId('external-read').click();
    const master = page.getByTestId('external-broker-broker-a-0');
    await master.waitFor({ timeout: 15_000 });
    assert.match(await master.innerText(), /ASYNC_MASTER\s+ASYNC_FLUSH|SYNC_MASTER\s+(A?SYNC_FLUSH)/);

    await page.getByTestId('external-executor').fill('{"type":"command","commands":{}}');
    await page.getByTestId('external-dry-run').click();
    // Refused beside its field: the server's message names it (executor: commands.kill-broker: Required …).
    const refused = page.getByTestId('external-executor-error');
    await refused.waitFor({ timeout: 10_000 });
    assert.match(await refused.innerText(), /commands\.kill-broker: Required/);
    assert.equal(await page.getByTestId('external-executor').getAttribute('aria-invalid'), 'true');

    await page.getByTestId('external-executor').fill(JSON.stringify({ type: 'command', commands: { 'kill-broker': 'kill -KILL "$(cat {config.storePathRootDir}/broker.pid)"' } }));
    await page.getByTestId('external-dry-run').click();
    const plan = page.getByTestId('external-plan');
    await plan.waitFor({ timeout: 15_000 });
    const text = await plan.innerText();
    assert.match(text, /kill -KILL/);
    assert.match(text, /predicted: /);
    assert.equal((await state()).broker.state, 'running', 'a dry run kills nothing');

    // Saved for this target as the file the CLI's --executors reads; a page that reads the same
    // cluster again finds it in the field.
    await page.getByTestId('external-save-executor').click();
    await page.waitForFunction(() => /Saved in .*\.json/.test(document.querySelector('[data-testid="external-executor-file"]')?.textContent ?? ''), undefined, { timeout: 10_000, polling: 100 });
    const savedFile = (await page.getByTestId('external-executor-file').locator('code').first().innerText()).trim();
    assert.match(fs.readFileSync(savedFile, 'utf8'), /kill -KILL/);
    await screenshot(page, 'external.png');
    await openUsable(() => page.reload(), 'external-read');
    assert.doesNotMatch(await page.getByTestId('external-executor').inputValue(), /kill -KILL/, 'a fresh page shows the example');
    await page.getByTestId('external-namesrv').fill(namesrv);
    await page.getByTestId('external-read').click();
    await page.waitForFunction(() => /kill -KILL/.test((document.querySelector('[data-testid="external-executor"]') as HTMLTextAreaElement | null)?.value ?? ''), undefined, { timeout: 15_000, polling: 100 });
    assert.equal((await page.getByTestId('external-executor-file').locator('code').first().innerText()).trim(), savedFile);

    // producer-network-flap needs no executor: its field goes, and the plan says the proxy is here.
    await page.getByTestId('external-scenario').selectOption('producer-network-flap');
    assert.equal(await page.getByTestId('external-executor').count(), 0, 'no executor field for a scenario that needs none');
    await page.getByTestId('external-dry-run').click();
    await page.waitForFunction(() => /the proxy is in this process/.test(document.querySelector('[data-testid="external-plan"]')?.textContent ?? ''), undefined, { timeout: 15_000, polling: 100 });
    assert.match(await page.getByTestId('external-plan').innerText(), /fault: the traffic runners reach broker-a's master \S+ through a fault proxy/);
  });

  test('the Traffic page\'s Target card: an unreachable name server is refused with the reason; a cluster that answers becomes the target, and the Traffic and Messages pages say so', async () => {
    for (const procedure of ['traffic.stop', 'consumers.stop']) {
      const stopped = await trpc(app.url, procedure, undefined);
      assert.ok(stopped.ok, !stopped.ok ? stopped.message : '');
    }
    await openUsable(() => page.goto(`${app.url}/traffic`), 'target-use-external');
    const use = page.getByTestId('target-use-external');
    await page.getByTestId('target-namesrv').fill('127.0.0.1:1');
    await use.click();
    const refused = page.getByTestId('target-error');
    await refused.waitFor({ timeout: 15_000 });
    assert.match(await refused.innerText(), /no name server answered/);
    assert.equal((await state()).target.kind, 'embedded');

    // The lab's own name server, addressed like any other cluster's.
    const namesrv = (await state()).namesrv!.address;
    await page.getByTestId('target-namesrv').fill(namesrv);
    await use.click();
    await page.getByTestId('target-listed').waitFor({ timeout: 15_000 });
    assert.deepEqual((await state()).target, { kind: 'external', namesrv });
    await page.getByTestId('target-note').waitFor({ timeout: 10_000 });
    assert.match(await page.getByTestId('target-current').innerText(), new RegExp(`external cluster at ${namesrv.replace(/\./g, '\\.')}`));
    await page.goto(`${app.url}/messages`);
    await page.getByTestId('target-note').waitFor({ timeout: 15_000 });
    await page.goto(`${app.url}/traffic`);
    await page.getByTestId('target-use-embedded').click();
    await waitFor('back on the embedded cluster', async () => (await state()).target.kind === 'embedded', 15_000);
    await page.getByTestId('target-note').waitFor({ state: 'detached', timeout: 10_000 });
  });
});
