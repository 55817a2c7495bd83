import { test, type TestContext } from 'node:test';
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

/** An echo server behind a fault proxy, both closed when the test ends. */
async function proxiedEcho(t: TestContext): Promise<FaultProxy> {
  const echo = await echoServer();
  const proxy = new FaultProxy('test', `127.0.0.1:${echo.port}`);
  await proxy.listen(0);
  t.after(async () => {
    await proxy.close();
    echo.close();
  });
  return proxy;
}

test('fault proxy - passes bytes through, then adds latency, blackholes and resets live', async (t) => {
  const proxy = await proxiedEcho(t);

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

/** Sends `total` bytes in `chunks` writes through the proxy to the echo server; resolves with what came back and when. */
async function stream(port: number, total: number, chunks: number): Promise<{ echoed: Buffer; ms: number }> {
  const socket = net.connect({ host: '127.0.0.1', port });
  socket.setNoDelay(true);
  socket.on('error', () => {});
  await new Promise((r) => socket.once('connect', r));
  const payload = Buffer.alloc(total);
  for (let i = 0; i < total; i++) payload[i] = i % 251;
  const started = Date.now();
  const got: Buffer[] = [];
  let received = 0;
  const done = new Promise<void>((resolve) => socket.on('data', (d: Buffer) => {
    got.push(d);
    received += d.length;
    if (received >= total) resolve();
  }));
  const size = Math.ceil(total / chunks);
  for (let at = 0; at < total; at += size) {
    socket.write(payload.subarray(at, Math.min(total, at + size)));
    await new Promise((r) => setImmediate(r));
  }
  await done;
  socket.destroy();
  const echoed = Buffer.concat(got);
  assert.deepEqual(echoed, payload, 'every byte arrives, in order');
  return { echoed, ms: Date.now() - started };
}

test('fault proxy - a bandwidth cap paces the bytes, latency comes on top of it, jitter never reorders', async (t) => {
  const proxy = await proxiedEcho(t);

  const free = await stream(proxy.port, 32 * 1024, 16);
  assert.ok(free.ms < 300, `an unshaped link is fast (${free.ms} ms)`);

  // 32 KiB at 64 KiB/s take 500 ms to go out, one way (the echo comes back unshaped).
  proxy.setFaults('upstream', { bandwidthBytesPerSec: 64 * 1024 });
  const capped = await stream(proxy.port, 32 * 1024, 16);
  assert.ok(capped.ms >= 450, `the cap paced 32 KiB at 64 KiB/s: ${capped.ms} ms`);
  assert.ok(capped.ms < 3000, `and no slower than that by much: ${capped.ms} ms`);

  // Latency is paid after the serialization, not hidden inside it: 16 KiB (250 ms) + 200 ms.
  proxy.setFaults('upstream', { bandwidthBytesPerSec: 64 * 1024, latencyMs: 200 });
  const both = await stream(proxy.port, 16 * 1024, 8);
  assert.ok(both.ms >= 420, `serialization 250 ms + latency 200 ms: ${both.ms} ms`);

  // Jitter on both directions: many small chunks still arrive in order (stream() checks every byte).
  proxy.clearFaults();
  proxy.setFaults('both', { latencyMs: 5, jitterMs: 20 });
  const jittered = await stream(proxy.port, 8 * 1024, 128);
  assert.ok(jittered.ms >= 10, `two ways of at least 5 ms: ${jittered.ms} ms`);
  assert.deepEqual(proxy.getFaults().upstream, { latencyMs: 5, jitterMs: 20, blackhole: false, bandwidthBytesPerSec: 0 });
});
