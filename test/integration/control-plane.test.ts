/**
 * The control plane as `npm start` runs it: settings persist through Prisma across a restart and
 * reach the new broker; a broker that cannot start leaves the control plane serving, with the reason.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { startAppServer, trpc } from '../support/app-server';
import { waitFor } from '../support/broker-process';
import type { LiveState } from '../../server/live/types';

const state = async (url: string) => {
  const r = await trpc<LiveState>(url, 'cluster.state', undefined, 'query');
  assert.ok(r.ok, !r.ok ? r.message : '');
  return r.data;
};

test('control plane - a flushDiskType flip survives a restart of the control plane', async () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'zeroloss-cp-'));
  try {
    const first = await startAppServer({ dataDir, keepData: true });
    try {
      await waitFor('broker running', async () => (await state(first.url)).broker.state === 'running', 30_000);
      const updated = await trpc(first.url, 'settings.update', { flushDiskType: 'SYNC_FLUSH', syncFlushTimeout: 1500 });
      assert.ok(updated.ok, !updated.ok ? updated.message : '');
    } finally {
      await first.stop();
    }
    const second = await startAppServer({ dataDir, keepData: true });
    try {
      await waitFor('broker running', async () => (await state(second.url)).broker.state === 'running', 30_000);
      const s = await trpc<{ settings: { flushDiskType: string; syncFlushTimeout: number } }>(second.url, 'settings.get', undefined, 'query');
      assert.ok(s.ok);
      assert.equal(s.data.settings.flushDiskType, 'SYNC_FLUSH');
      assert.equal(s.data.settings.syncFlushTimeout, 1500);
      assert.equal((await state(second.url)).settings.flushDiskType, 'SYNC_FLUSH');
      const events = await trpc<{ kind: string; message: string }[]>(second.url, 'cluster.events', { limit: 50 }, 'query');
      assert.ok(events.ok && events.data.some((e) => e.kind === 'settings.changed' && /flushDiskType → SYNC_FLUSH/.test(e.message)), 'the flip was recorded');
    } finally {
      await second.stop();
    }
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
});

test('control plane - a broker that cannot start is reported with its reason, and the control plane keeps serving', async () => {
  const blocker = net.createServer();
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
  const port = (blocker.address() as net.AddressInfo).port;
  const app = await startAppServer({ env: { BROKER_PORT: String(port) } });
  try {
    const s = await waitFor('broker crashed', async () => {
      const st = await state(app.url);
      return st.broker.state === 'crashed' ? st : undefined;
    }, 30_000);
    assert.match(s.broker.exitReason ?? '', /EADDRINUSE|address already in use/i);
    const health = await fetch(`${app.url}/api/health`);
    assert.equal(health.status, 200);
    const traffic = await trpc(app.url, 'traffic.start', { rate: 10 });
    assert.equal(traffic.ok, false, 'traffic cannot start without a broker');
  } finally {
    await app.stop();
    blocker.close();
  }
});

test('control plane - traffic through the name server reaches two consumer processes; the sequence check finds no gap', async () => {
  const app = await startAppServer();
  try {
    await waitFor('broker running', async () => (await state(app.url)).broker.state === 'running', 30_000);
    const consumers = await trpc(app.url, 'consumers.start', { count: 2, processingMs: 1 });
    assert.ok(consumers.ok, !consumers.ok ? consumers.message : '');
    await waitFor('consumers running', async () => (await state(app.url)).consumers.members.every((m) => m.state === 'running' && m.queues.length > 0), 20_000);
    const traffic = await trpc(app.url, 'traffic.start', { rate: 200, count: 400 });
    assert.ok(traffic.ok, !traffic.ok ? traffic.message : '');
    const s = await waitFor('every message consumed', async () => {
      const st = await state(app.url);
      return st.totals.byStatus.SEND_OK === 400 && st.totals.consumed >= 400 ? st : undefined;
    }, 30_000);
    assert.equal(s.totals.sequence.gaps, 0, 'no sequence gap');
    assert.equal(s.totals.sequence.missingNow, 0);
    assert.ok(s.namesrv?.address, 'the name server runs in the control plane');
    const bad = await trpc(app.url, 'consumers.start', { count: 0, ackMode: 'whenever' });
    assert.equal(bad.ok, false);
    assert.match(!bad.ok ? bad.message : '', /count must be at least 1 consumer/);
    assert.match(!bad.ok ? bad.message : '', /ackMode must be after-processing or before-processing/);
  } finally {
    await app.stop();
  }
});
