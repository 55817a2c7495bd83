/**
 * Security of the control plane, against the real server (`server/main.ts`), its real database and
 * real sockets: roles enforced in tRPC and on the live stream, sign-in with a generic error, the
 * origin check, the non-loopback rule with the admin token, and the audit row each action leaves.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import { startAppServer, type AppServer } from '../support/app-server';
import { waitFor } from '../support/broker-process';
import WebSocket from 'ws';
import { call, login, openLive } from '../support/security-client';
import type { AuditEntryView } from '../../server/auth/audit-log';
import type { LiveState } from '../../server/live/types';
import { MAX_BODY_BYTES } from '../../server/auth/request-limits';

const PASSWORD = 'correct horse battery';

/** The first IPv4 address of this machine that is not loopback (eth0 here), so a request really comes from outside 127/8. */
function externalIPv4(): string {
  const address = Object.values(os.networkInterfaces()).flat().find((i) => i && i.family === 'IPv4' && !i.internal)?.address;
  assert.ok(address, 'this test needs a non-loopback IPv4 interface');
  return address;
}

/** The control plane's resident memory, in bytes, from /proc. */
async function serverRss(app: AppServer): Promise<number> {
  const status = await fs.promises.readFile(`/proc/${app.process.pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) * 1024;
}

/** A POST with a chunked body (no Content-Length), written as fast as the server takes it; the status line answered. */
function rawPost(baseUrl: string, path: string, body: Buffer): Promise<string> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), hostname, () => {
      socket.write(`POST ${path} HTTP/1.1\r\nHost: ${hostname}:${port}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n`);
      for (let at = 0; at < body.length; at += 64 * 1024) {
        const chunk = body.subarray(at, at + 64 * 1024);
        socket.write(`${chunk.length.toString(16)}\r\n`);
        socket.write(chunk);
        socket.write('\r\n');
      }
      socket.write('0\r\n\r\n');
    });
    let answer = '';
    socket.on('data', (b) => {
      answer += b.toString('latin1');
      if (answer.includes('\r\n')) {
        socket.destroy();
        resolve(answer);
      }
    });
    socket.on('error', (error) => (answer ? resolve(answer) : reject(error)));
    socket.on('close', () => resolve(answer));
  });
}

async function audit(url: string, filter: Record<string, unknown> = {}): Promise<AuditEntryView[]> {
  const r = await call<{ entries: AuditEntryView[] }>(url, 'audit.list', { kind: 'query', input: { limit: 500, ...filter } });
  assert.ok(r.ok, `audit.list: ${r.message}`);
  return r.data!.entries;
}

describe('security - loopback server', () => {
  let app: AppServer;
  const cookies: Record<string, string> = {};
  const as = (user: string) => ({ cookie: cookies[user] });

  before(async () => {
    app = await startAppServer({ env: { ZL_START_SLAVE: '0' } });
    await waitFor('broker running', async () => (await call<LiveState>(app.url, 'cluster.state', { kind: 'query' })).data?.broker.state === 'running', 30_000);
    // The local admin (a loopback request without credential) creates one user per role.
    for (const [name, role] of [['vera', 'viewer'], ['otto', 'operator'], ['dina', 'drill']] as const) {
      const created = await call(app.url, 'users.create', { input: { name, password: PASSWORD, role } });
      assert.ok(created.ok, `users.create ${name}: ${created.message}`);
    }
    for (const name of ['vera', 'otto', 'dina']) cookies[name] = (await login(app.url, name, PASSWORD)).cookie;
  });
  after(async () => {
    await app?.stop();
  });

  test('sign-in - sets an httpOnly, SameSite=Strict session cookie; the session knows its user and role', async () => {
    const { setCookie, cookie } = await login(app.url, 'otto', PASSWORD);
    assert.match(setCookie, /HttpOnly/);
    assert.match(setCookie, /SameSite=Strict/);
    assert.match(setCookie, /Path=\//);
    const me = await call<{ signedIn: boolean; user: string; role: string; via: string }>(app.url, 'auth.me', { kind: 'query', headers: { cookie } });
    assert.deepEqual({ ...me.data }, { signedIn: true, user: 'otto', role: 'operator', via: 'session', requireLogin: false });
  });

  test('sign-in - a wrong password and an unknown user get the same generic error, after a delay', async () => {
    for (const [name, password] of [['otto', 'not the password'], ['nobody-here', PASSWORD]]) {
      const started = Date.now();
      const r = await call(app.url, 'auth.login', { input: { name, password } });
      const tookMs = Date.now() - started;
      assert.equal(r.status, 401);
      assert.equal(r.code, 'UNAUTHORIZED');
      assert.equal(r.message, 'wrong user name or password');
      assert.equal(r.setCookies.length, 0, 'no cookie for a failed sign-in');
      assert.ok(tookMs >= 500, `a failed sign-in answers after a delay (took ${tookMs} ms)`);
    }
  });

  test('roles - a viewer may read but not start a drill (403); operator and drill users do what their role allows', async () => {
    assert.ok((await call(app.url, 'settings.get', { kind: 'query', headers: as('vera') })).ok, 'a viewer reads the settings');
    const run = await call(app.url, 'drills.run', { input: { drillId: 'process-crash' }, headers: as('vera') });
    assert.equal(run.status, 403);
    assert.equal(run.code, 'FORBIDDEN');
    assert.match(run.message ?? '', /needs the drill role; vera is a viewer/);
    const flip = await call(app.url, 'settings.update', { input: { flushDiskType: 'SYNC_FLUSH' }, headers: as('vera') });
    assert.equal(flip.status, 403, 'a viewer cannot change settings');

    const otto = await call<{ flushDiskType: string }>(app.url, 'settings.update', { input: { flushDiskType: 'SYNC_FLUSH' }, headers: as('otto') });
    assert.ok(otto.ok, `an operator flips flushDiskType: ${otto.message}`);
    assert.equal(otto.data!.flushDiskType, 'SYNC_FLUSH');
    assert.ok((await call(app.url, 'traffic.start', { input: { rate: 50, count: 0 }, headers: as('otto') })).ok, 'an operator starts traffic');
    assert.ok((await call(app.url, 'traffic.stop', { headers: as('otto') })).ok, 'an operator stops traffic');
    const ottoKill = await call(app.url, 'cluster.killBroker', { headers: as('otto') });
    assert.equal(ottoKill.status, 403, 'an operator cannot crash the broker');

    const kill = await call(app.url, 'cluster.killBroker', { headers: as('dina') });
    assert.ok(kill.ok, `a drill user crashes the broker: ${kill.message}`);
    const cancel = await call(app.url, 'drills.cancel', { input: {}, headers: as('dina') });
    assert.equal(cancel.code, 'PRECONDITION_FAILED', `a drill user passes the role check (no drill runs): ${cancel.code} ${cancel.message}`);
    assert.ok((await call(app.url, 'cluster.startBroker', { headers: as('otto') })).ok, 'an operator restarts the broker');
    const users = await call(app.url, 'users.list', { kind: 'query', headers: as('dina') });
    assert.equal(users.status, 403, 'only an admin lists users');
  });

  test('credentials - a malformed, unknown or signed-out credential is refused (401), also on loopback: never the local admin', async () => {
    const bad: Record<string, string>[] = [
      { cookie: 'zl_session=not-a-session' },
      { cookie: `zl_session=${'A'.repeat(43)}` },
      { authorization: 'Bearer nonsense' },
      { authorization: `Bearer zl_${'B'.repeat(43)}` },
      { authorization: 'Basic dXNlcjpwYXNz' },
    ];
    for (const headers of bad) {
      const r = await call(app.url, 'cluster.state', { kind: 'query', headers });
      assert.equal(r.status, 401, `refused: ${JSON.stringify(headers)}`);
      const m = await call(app.url, 'settings.update', { input: { flushDiskType: 'ASYNC_FLUSH' }, headers });
      assert.equal(m.status, 401);
    }
    const { cookie } = await login(app.url, 'vera', PASSWORD);
    assert.ok((await call(app.url, 'cluster.state', { kind: 'query', headers: { cookie } })).ok);
    const out = await call(app.url, 'auth.logout', { headers: { cookie } });
    assert.ok(out.ok);
    assert.match(out.setCookies.join('\n'), /zl_session=;.*Max-Age=0/);
    assert.equal((await call(app.url, 'cluster.state', { kind: 'query', headers: { cookie } })).status, 401, 'a signed-out session is gone');
  });

  test('API tokens - shown once, carry their role, and stop working when revoked', async () => {
    const created = await call<{ token: string; view: { id: number; role: string } }>(app.url, 'tokens.create', { input: { name: 'ci reader', role: 'viewer' } });
    assert.ok(created.ok, created.message);
    const bearer = { authorization: `Bearer ${created.data!.token}` };
    assert.ok((await call(app.url, 'cluster.state', { kind: 'query', headers: bearer })).ok);
    assert.equal((await call(app.url, 'drills.run', { input: { drillId: 'process-crash' }, headers: bearer })).status, 403);
    const listed = await call<{ id: number }[]>(app.url, 'tokens.list', { kind: 'query' });
    assert.ok(!JSON.stringify(listed.data).includes(created.data!.token), 'the token is never listed again');
    // Revoking is destructive: the API wants the token's name typed as confirm, as the dialog asks.
    const unconfirmed = await call(app.url, 'tokens.revoke', { input: { id: created.data!.view.id } });
    assert.equal(unconfirmed.status, 400);
    assert.match(unconfirmed.message ?? '', /confirm/);
    assert.equal((await call(app.url, 'tokens.revoke', { input: { id: created.data!.view.id, confirm: 'ci readers' } })).status, 400, 'another name is refused');
    assert.ok((await call(app.url, 'cluster.state', { kind: 'query', headers: bearer })).ok, 'a refused revoke leaves the token working');
    assert.ok((await call(app.url, 'tokens.revoke', { input: { id: created.data!.view.id, confirm: 'ci reader' } })).ok);
    assert.equal((await call(app.url, 'cluster.state', { kind: 'query', headers: bearer })).status, 401);
    assert.equal((await call(app.url, 'tokens.create', { input: { name: 'x', role: 'admin' }, headers: as('otto') })).status, 403, 'only an admin creates tokens');
  });

  test('live stream - an open stream closes (4401) once its token is revoked or its session signed out; another stays open', async () => {
    const created = await call<{ token: string; view: { id: number } }>(app.url, 'tokens.create', { input: { name: 'wall screen', role: 'viewer' } });
    assert.ok(created.ok, created.message);
    const kept = (await login(app.url, 'vera', PASSWORD)).cookie;
    const ended = (await login(app.url, 'vera', PASSWORD)).cookie;
    const open = (headers: Record<string, string>) => new Promise<{ closed: Promise<number>; ws: WebSocket }>((resolve, reject) => {
      const ws = new WebSocket(`${app.url.replace(/^http/, 'ws')}/api/live`, { headers });
      const closed = new Promise<number>((done) => ws.once('close', (code) => done(code)));
      ws.once('message', () => resolve({ closed, ws }));
      ws.once('error', reject);
    });
    const byToken = await open({ authorization: `Bearer ${created.data!.token}` });
    const bySession = await open({ cookie: ended });
    const stays = await open({ cookie: kept });
    assert.ok((await call(app.url, 'tokens.revoke', { input: { id: created.data!.view.id, confirm: 'wall screen' } })).ok);
    assert.ok((await call(app.url, 'auth.logout', { headers: { cookie: ended } })).ok);
    const within = (p: Promise<number>) => Promise.race([p, new Promise<number>((_, reject) => setTimeout(() => reject(new Error('still open after 15 s')), 15_000))]);
    assert.equal(await within(byToken.closed), 4401, 'the revoked token\'s stream is closed');
    assert.equal(await within(bySession.closed), 4401, 'the signed-out session\'s stream is closed');
    assert.equal(stays.ws.readyState, WebSocket.OPEN, 'a stream whose session is still valid stays open');
    stays.ws.close();
  });

  test('errors - a refused or failed call answers a sentence, never the server\'s stack trace', async () => {
    for (const [path, init] of [
      ['drills.run', { method: 'POST', headers: { 'content-type': 'application/json', cookie: cookies.vera! }, body: JSON.stringify({ drillId: 'process-crash' }) }],
      ['settings.update', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ flushDiskType: 'NOPE' }) }],
    ] as const) {
      const res = await fetch(`${app.url}/api/trpc/${path}`, init);
      const body = await res.text();
      assert.ok(res.status >= 400, `${path} is refused`);
      assert.doesNotMatch(body, /"stack"|\bat [\w.<>]+ \(/, `${path}: no stack trace in ${body.slice(0, 300)}`);
    }
  });

  test('origin - a cross-origin mutation and a cross-origin WebSocket are refused (403); same origin passes', async () => {
    const host = new URL(app.url).host;
    const evil = await call(app.url, 'settings.update', { input: { flushDiskType: 'ASYNC_FLUSH' }, headers: { origin: 'http://evil.example' } });
    assert.equal(evil.status, 403);
    assert.match(evil.message ?? '', /origin http:\/\/evil\.example is not this server's origin/);
    const evilLogin = await call(app.url, 'auth.login', { input: { name: 'otto', password: PASSWORD }, headers: { origin: 'http://evil.example' } });
    assert.equal(evilLogin.status, 403, 'sign-in is origin-checked too');
    const crossSite = await call(app.url, 'traffic.stop', { headers: { 'sec-fetch-site': 'cross-site' } });
    assert.equal(crossSite.status, 403, 'without Origin, Sec-Fetch-Site: cross-site is refused');
    const own = await call(app.url, 'traffic.stop', { headers: { origin: `http://${host}`, 'sec-fetch-site': 'same-origin' } });
    assert.ok(own.ok, `same origin passes: ${own.message}`);

    const wsEvil = await openLive(app.url, { origin: 'http://evil.example' });
    assert.equal(wsEvil.status, 403);
    assert.match(wsEvil.body ?? '', /evil\.example/);
    assert.equal((await openLive(app.url, { origin: `http://${host}`, cookie: 'zl_session=garbage' })).status, 401, 'a bad cookie on the live stream is refused');
    const wsOwn = await openLive(app.url, { origin: `http://${host}`, ...as('vera') });
    assert.deepEqual(wsOwn, { status: 101, firstMessage: 'hello' }, 'a viewer gets the live stream');
    const upgrades = await audit(app.url, { action: 'live.refused' });
    assert.ok(upgrades.some((e) => /^403: .*evil\.example/.test(e.error ?? '')), 'the refused upgrade is audited');
    assert.ok(upgrades.some((e) => /^401: /.test(e.error ?? '')), 'and the one with a bad cookie');
  });

  test('confirmations - power loss and removing a user need the target\'s name typed as confirm, checked by the API, not only the dialog', async () => {
    const none = await call(app.url, 'cluster.powerLoss', { input: {}, headers: as('dina') });
    assert.equal(none.status, 400);
    assert.match(none.message ?? '', /confirm must be the name of the target/);
    const wrong = await call(app.url, 'cluster.powerLoss', { input: { confirm: 'broker-a slave' }, headers: as('dina') });
    assert.equal(wrong.status, 400);
    assert.match(wrong.message ?? '', /^confirm: type "broker-a master", the name of the target, to confirm/);
    assert.equal((await call<LiveState>(app.url, 'cluster.state', { kind: 'query' })).data?.broker.state, 'running', 'no power was cut');
    assert.ok((await call(app.url, 'users.create', { input: { name: 'tmp-user', password: PASSWORD, role: 'viewer' } })).ok);
    assert.equal((await call(app.url, 'users.remove', { input: { name: 'tmp-user', confirm: 'tmp' } })).status, 400);
    assert.ok((await call(app.url, 'users.remove', { input: { name: 'tmp-user', confirm: 'tmp-user' } })).ok);
  });

  test('request limits - an oversized body (declared or chunked) is 413, deep JSON 400, before anything reads or runs it; each refusal is audited by size', async () => {
    const rssBefore = await serverRss(app);
    const flushNow = async () => (await call<{ settings: { flushDiskType: string } }>(app.url, 'settings.get', { kind: 'query' })).data?.settings.flushDiskType;
    const flushBefore = await flushNow();
    assert.ok(flushBefore);
    const big = JSON.stringify({ flushDiskType: flushBefore === 'SYNC_FLUSH' ? 'ASYNC_FLUSH' : 'SYNC_FLUSH', pad: 'x'.repeat(MAX_BODY_BYTES) });
    const declared = await fetch(`${app.url}/api/trpc/settings.update`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: big });
    assert.equal(declared.status, 413);
    assert.match(((await declared.json()) as { error: { message: string } }).error.message, /larger than 1048576 bytes/);
    // No Content-Length: the body streams in chunks and is cut once past the bound.
    const chunked = await rawPost(app.url, '/api/trpc/settings.update', Buffer.from(big));
    assert.match(chunked, /^HTTP\/1\.1 413 /);
    const deep = '['.repeat(5000) + ']'.repeat(5000);
    const deepPost = await fetch(`${app.url}/api/trpc/cluster.killBroker`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: deep });
    assert.equal(deepPost.status, 400);
    assert.match(((await deepPost.json()) as { error: { message: string } }).error.message, /nests deeper than 32 levels/);
    // A query's input rides in the URL (Node caps the request head at 16 KiB): 100 levels.
    const deepQuery = await fetch(`${app.url}/api/trpc/audit.list?input=${encodeURIComponent('['.repeat(100) + ']'.repeat(100))}`);
    assert.equal(deepQuery.status, 400);
    const live = await call<LiveState>(app.url, 'cluster.state', { kind: 'query' });
    assert.equal(live.data?.broker.state, 'running', 'the killBroker call with a deep body never ran');
    assert.equal(await flushNow(), flushBefore, 'the oversized settings change never ran');
    // tRPC's own refusals, before any procedure ran: a GET of a mutation (405), an unknown procedure (404).
    assert.equal((await fetch(`${app.url}/api/trpc/settings.update`)).status, 405);
    assert.equal((await fetch(`${app.url}/api/trpc/no.such.procedure`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).status, 404);
    const refused = (await audit(app.url, { action: 'http.refused' })).filter((e) => e.actor === 'anonymous');
    assert.ok(refused.length >= 6, `every refusal is audited (${refused.length})`);
    assert.ok(refused.some((e) => e.error === '405: METHOD_NOT_SUPPORTED' && e.target === '/api/trpc/settings.update'), 'the 405 is recorded');
    assert.ok(refused.some((e) => e.error === '404: NOT_FOUND'), 'the unknown procedure is recorded');
    const sizes = refused.map((e) => e.input as { method: string; bytes: number });
    assert.ok(sizes.some((i) => i.method === 'POST' && i.bytes === Buffer.byteLength(big)), `the declared size is recorded: ${JSON.stringify(sizes)}`);
    assert.ok(refused.every((e) => JSON.stringify(e.input).length < 100), 'the refused content is never stored');
    // The oversized bodies were never held: the control plane did not grow by their size.
    assert.ok(await serverRss(app) - rssBefore < 64 * 1024 * 1024, 'the control plane did not keep the refused bodies');
  });

  test('audit - each action leaves a row: settings flip with before/after, traffic, a kill, a refused drill, sign-ins, users, tokens', async () => {
    const rows = await audit(app.url);
    const find = (what: string, pred: (e: AuditEntryView) => boolean) => {
      const row = rows.find(pred);
      assert.ok(row, `an audit row for ${what}`);
      return row;
    };
    const flip = find('the flush flip', (e) => e.action === 'settings.update' && e.actor === 'otto' && e.result === 'ok');
    assert.deepEqual(flip.before, { flushDiskType: 'ASYNC_FLUSH' });
    assert.deepEqual(flip.after, { flushDiskType: 'SYNC_FLUSH' });
    assert.equal(flip.role, 'operator');
    assert.equal(flip.target, 'broker settings');
    assert.match(flip.remoteAddress, /127\.0\.0\.1/);
    find('traffic start', (e) => e.action === 'traffic.start' && e.actor === 'otto' && e.result === 'ok' && (e.input as { rate: number }).rate === 50);
    find('traffic stop', (e) => e.action === 'traffic.stop' && e.actor === 'otto');
    const kill = find('the kill', (e) => e.action === 'cluster.killBroker' && e.actor === 'dina' && e.result === 'ok');
    assert.equal(kill.target, 'broker-a master');
    const refused = find('the refused drill', (e) => e.action === 'drills.run' && e.actor === 'vera');
    assert.equal(refused.result, 'error');
    assert.match(refused.error ?? '', /^FORBIDDEN: needs the drill role/);
    assert.equal(refused.target, 'drill process-crash');
    find('a refused kill by an operator', (e) => e.action === 'cluster.killBroker' && e.actor === 'otto' && e.result === 'error');
    find('a cross-origin call', (e) => e.action === 'settings.update' && e.result === 'error' && /evil\.example/.test(e.error ?? ''));
    find('an anonymous refused call', (e) => e.actor === 'anonymous' && /^UNAUTHORIZED/.test(e.error ?? ''));
    const ok = find('a sign-in', (e) => e.action === 'auth.login' && e.actor === 'otto' && e.result === 'ok');
    assert.equal(ok.role, 'operator');
    assert.equal((ok.input as { password: string }).password, '[redacted]', 'the password is not stored');
    // A refused sign-in's name is a claim: the actor is anonymous, the claimed user the target.
    const failed = find('a failed sign-in of a real user', (e) => e.action === 'auth.login' && e.target === 'user otto' && e.result === 'error');
    assert.equal(failed.actor, 'anonymous', 'the claimed name is not recorded as the actor');
    assert.equal(failed.role, null, 'a failed sign-in records no role (not the local admin it came from)');
    find('a failed sign-in of an unknown name', (e) => e.action === 'auth.login' && e.actor === 'anonymous' && e.target === 'user nobody-here' && e.result === 'error');
    find('a sign-out', (e) => e.action === 'auth.logout' && e.actor === 'vera');
    find('a user created', (e) => e.action === 'users.create' && e.actor === 'local' && e.target === 'user dina');
    find('a token created', (e) => e.action === 'tokens.create' && (e.after as { name?: string } | null)?.name === 'ci reader');
    find('a token revoked', (e) => e.action === 'tokens.revoke' && e.target === 'token ci reader');
    assert.ok(!JSON.stringify(rows).includes(PASSWORD), 'no password anywhere in the log');

    const filtered = await audit(app.url, { actor: 'dina', result: 'ok' });
    assert.ok(filtered.length > 0 && filtered.every((e) => e.actor === 'dina' && e.result === 'ok'), 'the actor and result filters apply');
    const prefix = await audit(app.url, { action: 'auth.' });
    assert.ok(prefix.length > 0 && prefix.every((e) => e.action.startsWith('auth.')));
    const future = await audit(app.url, { from: Date.now() + 60_000 });
    assert.equal(future.length, 0, 'the time range applies');
    assert.equal((await call(app.url, 'audit.list', { kind: 'query', headers: as('otto') })).status, 403, 'an operator cannot read the audit log');
  });

  test('audit export - CSV and JSON for a drill user, refused for an operator', async () => {
    const csv = await fetch(`${app.url}/api/audit/export?format=csv&action=settings.update`, { headers: as('dina') });
    assert.equal(csv.status, 200);
    assert.match(csv.headers.get('content-type') ?? '', /text\/csv/);
    assert.match(csv.headers.get('content-disposition') ?? '', /attachment; filename="zeroloss-audit-.*\.csv"/);
    const text = await csv.text();
    const lines = text.trim().split('\r\n');
    assert.equal(lines[0], 'id,at,actor,role,action,target,result,error,remoteAddress,input,before,after');
    assert.ok(lines.length >= 2 && lines.slice(1).every((l) => l.includes(',settings.update,')), text);
    const json = await fetch(`${app.url}/api/audit/export?format=json&actor=dina`, { headers: as('dina') });
    const entries = (await json.json()) as AuditEntryView[];
    assert.ok(entries.length > 0 && entries.every((e) => e.actor === 'dina'));
    assert.equal((await fetch(`${app.url}/api/audit/export?format=csv`, { headers: as('otto') })).status, 403);
    assert.equal((await fetch(`${app.url}/api/audit/export?format=xml`, { headers: as('dina') })).status, 400);
    assert.ok((await audit(app.url, { action: 'audit.export', actor: 'dina' })).length >= 2, 'exports are audited');
  });
});

describe('security - bound beyond loopback', () => {
  let app: AppServer;
  let adminToken: string;
  let remote: string;
  let local: string;

  before(async () => {
    app = await startAppServer({ env: { HOST: '0.0.0.0', ZL_START_SLAVE: '0' } });
    const port = new URL(app.url).port;
    remote = `http://${externalIPv4()}:${port}`;
    local = `http://127.0.0.1:${port}`;
    const line = await waitFor('the admin token line', () => app.output.find((l) => /Admin token \(shown once/.test(l)), 5_000);
    adminToken = /(zl_[A-Za-z0-9_-]{43})/.exec(line)![1];
  });
  after(async () => {
    await app?.stop();
  });

  test('non-loopback - without a credential every call and the live stream get 401; the admin token is accepted; a malformed one is not', async () => {
    const none = await call(remote, 'cluster.state', { kind: 'query' });
    assert.equal(none.status, 401);
    assert.match(none.message ?? '', /only loopback clients are trusted/);
    assert.equal((await call(remote, 'settings.update', { input: { flushDiskType: 'SYNC_FLUSH' } })).status, 401);
    assert.equal((await openLive(remote)).status, 401);
    assert.equal((await fetch(`${remote}/api/audit/export?format=json`)).status, 401);

    const bearer = { authorization: `Bearer ${adminToken}` };
    const state = await call<LiveState>(remote, 'cluster.state', { kind: 'query', headers: bearer });
    assert.ok(state.ok, `the admin token is accepted: ${state.message}`);
    const me = await call<{ user: string; role: string }>(remote, 'auth.me', { kind: 'query', headers: bearer });
    assert.equal(me.data?.user, 'admin-token');
    assert.equal(me.data?.role, 'admin');
    assert.deepEqual(await openLive(remote, bearer), { status: 101, firstMessage: 'hello' });
    for (const token of [`${adminToken}x`, 'zl_short', adminToken.slice(0, -1)]) {
      assert.equal((await call(remote, 'cluster.state', { kind: 'query', headers: { authorization: `Bearer ${token}` } })).status, 401, `refused: ${token}`);
    }
    // A user created with the admin token signs in from outside and gets a session like on loopback.
    assert.ok((await call(remote, 'users.create', { input: { name: 'rita', password: PASSWORD, role: 'viewer' }, headers: bearer })).ok);
    const { cookie } = await login(remote, 'rita', PASSWORD);
    assert.ok((await call(remote, 'cluster.state', { kind: 'query', headers: { cookie } })).ok);
    const row = (await call<{ entries: AuditEntryView[] }>(remote, 'audit.list', { kind: 'query', input: { action: 'auth.login' }, headers: bearer })).data!.entries[0];
    assert.equal(row.actor, 'rita');
    assert.match(row.remoteAddress, new RegExp(externalIPv4().replace(/\./g, '\\.')), 'the audit row names the outside address');
  });

  test('non-loopback - the login page\'s token sign-in: the admin token becomes an httpOnly cookie that works for tRPC and the live stream; a wrong token gets none', async () => {
    const wrong = await call(remote, 'auth.loginWithToken', { input: { token: `${adminToken}x` } });
    assert.equal(wrong.status, 401);
    assert.equal(wrong.message, 'token: unknown, revoked or malformed');
    assert.deepEqual(wrong.setCookies, [], 'no cookie for a wrong token');
    const signedIn = await call<{ user: string; role: string }>(remote, 'auth.loginWithToken', { input: { token: adminToken } });
    assert.ok(signedIn.ok, signedIn.message);
    assert.deepEqual(signedIn.data, { user: 'admin-token', role: 'admin' });
    const setCookie = signedIn.setCookies.find((c) => c.startsWith('zl_token='));
    assert.ok(setCookie, 'a zl_token cookie is set');
    assert.match(setCookie!, /HttpOnly/);
    assert.match(setCookie!, /SameSite=Strict/);
    const cookie = { cookie: setCookie!.split(';')[0]! };
    assert.ok((await call(remote, 'cluster.state', { kind: 'query', headers: cookie })).ok, 'the cookie is a credential from outside');
    assert.deepEqual(await openLive(remote, cookie), { status: 101, firstMessage: 'hello' });
    const out = await call(remote, 'auth.logout', { headers: cookie });
    assert.ok(out.setCookies.some((c) => /^zl_token=;.*Max-Age=0/.test(c)), 'sign-out clears the token cookie');
    const row = (await call<{ entries: AuditEntryView[] }>(remote, 'audit.list', { kind: 'query', input: { action: 'auth.loginWithToken' }, headers: { authorization: `Bearer ${adminToken}` } })).data!.entries;
    assert.deepEqual(row.map((r) => [r.actor, r.result]), [['admin-token', 'ok'], ['(token)', 'error']]);
    assert.ok(!JSON.stringify(row).includes(adminToken), 'the token itself is never written to the audit log');
  });

  test('non-loopback - a loopback client is still the local admin; the broker and name server listen on loopback only', async () => {
    const state = await call<LiveState>(local, 'cluster.state', { kind: 'query' });
    assert.ok(state.ok, state.message);
    await waitFor('broker running', async () => (await call<LiveState>(local, 'cluster.state', { kind: 'query' })).data?.broker.state === 'running', 30_000);
    const s = (await call<LiveState>(local, 'cluster.state', { kind: 'query' })).data!;
    const ports = [s.broker.address, s.namesrv?.address].map((a) => Number(a?.split(':').pop()));
    assert.ok(ports.every((p) => p > 0), `ports known: ${JSON.stringify(ports)}`);
    for (const port of ports) {
      const outside = await new Promise<string>((resolve) => {
        const socket = net.connect({ host: externalIPv4(), port });
        socket.once('connect', () => { socket.destroy(); resolve('connected'); });
        socket.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
      });
      assert.equal(outside, 'ECONNREFUSED', `port ${port} is not reachable on ${externalIPv4()}`);
    }
  });
});

describe('security - ZL_AUTH=required', () => {
  let app: AppServer;
  before(async () => {
    app = await startAppServer({ env: { ZL_AUTH: 'required', ZL_START_SLAVE: '0', ZL_ADMIN_TOKEN: 'a-test-admin-token-0123456789' } });
  });
  after(async () => {
    await app?.stop();
  });

  test('required login - a loopback client without credential gets 401; the admin token and a session work', async () => {
    const none = await call(app.url, 'cluster.state', { kind: 'query' });
    assert.equal(none.status, 401);
    assert.equal((await openLive(app.url)).status, 401);
    const me = await call<{ signedIn: boolean; requireLogin: boolean }>(app.url, 'auth.me', { kind: 'query' });
    assert.deepEqual({ signedIn: me.data?.signedIn, requireLogin: me.data?.requireLogin }, { signedIn: false, requireLogin: true });
    const bearer = { authorization: 'Bearer a-test-admin-token-0123456789' };
    assert.ok((await call(app.url, 'users.create', { input: { name: 'ada', password: PASSWORD, role: 'admin' }, headers: bearer })).ok);
    const { cookie } = await login(app.url, 'ada', PASSWORD);
    assert.ok((await call(app.url, 'cluster.state', { kind: 'query', headers: { cookie } })).ok);
    const self = await call(app.url, 'users.setRole', { input: { name: 'ada', role: 'viewer' }, headers: { cookie } });
    assert.equal(self.code, 'BAD_REQUEST', 'an admin cannot demote itself');
  });

  test('sign-in throttling - past five failures from one address, sign-ins wait (429 with Retry-After) before any password is compared; the wait ends; a success clears it', async () => {
    const bearer = { authorization: 'Bearer a-test-admin-token-0123456789' };
    assert.ok((await call(app.url, 'users.create', { input: { name: 'bob', password: PASSWORD, role: 'viewer' }, headers: bearer })).ok);
    const attempt = (name: string, password: string) => fetch(`${app.url}/api/trpc/auth.login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name, password }) });
    // Five free failures, a sixth that starts a 1 s wait (they alternate names: the address is the key).
    for (let i = 0; i < 6; i++) assert.equal((await attempt(i % 2 ? 'bob' : 'mallory', 'wrong password')).status, 401);
    const started = Date.now();
    const throttled = await attempt('bob', PASSWORD);
    assert.equal(throttled.status, 429, 'even the right password waits: nothing is compared');
    assert.equal(throttled.headers.get('retry-after'), '1');
    assert.match(((await throttled.json()) as { error: { message: string } }).error.message, /too many failed sign-ins .* try again in 1 s/);
    assert.ok(Date.now() - started < 500, 'refused at once, without the failure delay or a hash');
    await new Promise((r) => setTimeout(r, 1100));
    assert.equal((await attempt('bob', PASSWORD)).status, 200, 'after the wait the right password signs in, and clears the count');
    assert.equal((await attempt('bob', 'wrong again')).status, 401, 'a failure after a success is free again');
    const refused = (await call<{ entries: AuditEntryView[] }>(app.url, 'audit.list', { kind: 'query', input: { action: 'auth.login', limit: 50 }, headers: bearer })).data!.entries;
    assert.ok(refused.some((e) => e.result === 'error' && /^TOO_MANY_REQUESTS/.test(e.error ?? '') && e.actor === 'anonymous' && e.target === 'user bob'), 'the throttled attempt is audited');
  });
});
