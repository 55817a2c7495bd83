import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { FaultProxy } from '../../server/cluster/fault-proxy';

async function echoServer(): Promise<{ port: number; close(): void }> {
  const server = net.createServer((s) => s.on('data', (d) => s.write(d)).on('error', () => {}));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { port: (server.address() as net.AddressInfo).port, close: () => server.close() };
}

async function roundTrip(port: number, payload: string, timeoutMs = 2000): Promise<{ reply: string | null; ms: number }> {
  const socket = net.connect({ host: '127.0.0.1', port });
  socket.on('error', () => {});
  await new Promise((r) => socket.once('connect', r));
  const started = Date.now();
  socket.write(payload);
  const reply = await new Promise<string | null>((resolve) => {
    let got = '';
    const timer = setTimeout(() => resolve(null), timeoutMs);
    socket.on('data', (d) => {
      got += d.toString();
      if (got.length >= payload.length) {
        clearTimeout(timer);
        resolve(got);
      }
    });
  });
  socket.destroy();
  return { reply, ms: Date.now() - started };
}

test('fault proxy - passes bytes through, then adds latency, blackholes and resets live', async (t) => {
  const echo = await echoServer();
  const proxy = new FaultProxy('test', `127.0.0.1:${echo.port}`);
  await proxy.listen(0);
  t.after(async () => {
    await proxy.close();
    echo.close();
  });

  assert.equal((await roundTrip(proxy.port, 'hello')).reply, 'hello');

  proxy.setFaults('upstream', { latencyMs: 150 });
  const slow = await roundTrip(proxy.port, 'slow');
  assert.equal(slow.reply, 'slow');
  assert.ok(slow.ms >= 140, `latency applied (${slow.ms} ms)`);

  proxy.clearFaults();
  proxy.setFaults('downstream', { blackhole: true });
  assert.equal((await roundTrip(proxy.port, 'lost', 300)).reply, null, 'a blackholed direction delivers nothing');

  // A partition holds what was sent and delivers it, in order, when it heals (as TCP's retransmits would).
  const held = net.connect({ host: '127.0.0.1', port: proxy.port });
  held.on('error', () => {});
  await new Promise((r) => held.once('connect', r));
  let got = '';
  held.on('data', (d) => (got += d.toString()));
  held.write('one-');
  held.write('two');
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(got, '', 'nothing gets through the partition');
  assert.ok(proxy.stats().heldBytes.downstream >= 7, 'the echo is held, not dropped');
  proxy.clearFaults();
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(got, 'one-two', 'healed: everything arrives, in order');
  held.destroy();

  proxy.clearFaults();
  const socket = net.connect({ host: '127.0.0.1', port: proxy.port });
  await new Promise((r) => socket.once('connect', r));
  await new Promise((r) => setTimeout(r, 50));
  socket.on('error', () => {});
  const closed = new Promise<string>((resolve) => socket.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error')).once('close', () => resolve('close')));
  proxy.resetConnections();
  assert.match(await closed, /ECONNRESET|close/);
});
