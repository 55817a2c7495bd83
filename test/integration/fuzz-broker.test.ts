/**
 * A real broker process fuzzed over real TCP (a short seeded run; `npm run fuzz` is the long one):
 * hostile connections on its client port and on its HA port. Each connection whose stream holds a
 * bad frame must be closed by the broker, with a log line, and only that one; streams without one
 * are answered. Afterwards the process is alive, a connection opened before the run still sends and
 * answers, and its RSS has not grown by more than 64 MiB over its level after a warm-up. Then a real slave is fed hostile
 * transfer streams by a fake master: it closes each link, appends nothing and stays up.
 * FUZZ_SEED=<seed> replays a run.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { RequestCode, ResponseCode } from '../../broker/protocol/codes';
import { createRequest, encodeCommand } from '../../broker/protocol/remoting-command';
import { startBroker, waitFor, type BrokerProcess } from '../support/broker-process';
import { connectionFlood, halfFrame, idleConnection, slowloris, type HalfFrame } from '../support/hostile-connections';
import { Rng, SteadyClient, caseSeed, emptyTally, fuzzHaConnection, fuzzRemotingConnection, haSlaveCase, randomChunks, rssBytes, runPool } from '../support/fuzz';

const SEED = Number(process.env.FUZZ_SEED ?? 0xc0ffee);
const RSS_GROWTH_MAX = 64 * 1024 * 1024;
const REMOTING_CASES = 4000;
const HA_CASES = 1000;
const WARMUP_CASES = 4000;

describe(`fuzzing a real broker (seed ${SEED})`, () => {
  let broker: BrokerProcess;
  let steady: SteadyClient;
  let stderr = '';
  let baselineRss = 0;

  const alive = () => broker.child.exitCode === null && broker.child.signalCode === null;
  const badFrameLines = () => stderr.match(/closed a connection after a bad frame/g)?.length ?? 0;
  const haRefusals = () => broker.messages.filter((m) => m.type === 'ha' && (m.event.kind === 'badFrame' || m.event.kind === 'diverged')).length;

  before(async () => {
    broker = await startBroker();
    broker.child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    steady = await SteadyClient.connect(broker.port);
    // Something in the log, so that a hostile "slave" at offset 0 is shipped bytes.
    for (let i = 0; i < 20; i++) assert.equal((await steady.send('TopicTest', Buffer.alloc(512, i))).code, ResponseCode.SUCCESS);
    // Warm-up: the broker's heap grows to its working size over the first few thousand connections or
    // so (the long run shows it flat after that); growth is measured from there.
    await runPool(WARMUP_CASES, 8, (i) => fuzzRemotingConnection(broker.port, SEED ^ 0x77, i, emptyTally()));
    baselineRss = rssBytes(broker.child.pid!);
  });
  after(async () => {
    steady?.close();
    await broker?.stop();
    if (broker) fs.rmSync(broker.storeDir, { recursive: true, force: true });
  });

  test('a length prefix of 0x7fffffff closes the connection at once, without allocating it', async () => {
    const linesBefore = badFrameLines();
    const rssBefore = rssBytes(broker.child.pid!);
    const socket = net.connect({ host: '127.0.0.1', port: broker.port });
    await new Promise((r) => socket.once('connect', r));
    socket.on('error', () => {});
    const closed = new Promise((r) => socket.once('close', r));
    const prefix = Buffer.alloc(4);
    prefix.writeInt32BE(0x7fffffff, 0);
    const start = performance.now();
    socket.write(prefix);
    // keep streaming what the prefix announced: the broker must not wait for (or keep) any of it
    const streaming = setInterval(() => socket.writable && socket.write(Buffer.alloc(64 * 1024)), 1);
    await closed;
    clearInterval(streaming);
    const closeMs = performance.now() - start;
    assert.ok(closeMs < 1000, `closed after ${closeMs.toFixed(0)} ms`);
    assert.ok(alive());
    assert.ok(rssBytes(broker.child.pid!) - rssBefore < RSS_GROWTH_MAX);
    await waitFor('the bad-frame log line', () => badFrameLines() > linesBefore && /exceeds the limit of 16777216 bytes/.test(stderr));
  });

  test('a client that sends requests and never reads the answers is paused, not buffered for', async () => {
    const rssBefore = rssBytes(broker.child.pid!);
    const socket = net.connect({ host: '127.0.0.1', port: broker.port });
    await new Promise((r) => socket.once('connect', r));
    socket.on('error', () => {});
    socket.pause();
    // 100,000 requests whose answers (the broker's config, ~2 KiB each) would make some 200 MiB
    const request = encodeCommand(createRequest(RequestCode.GET_BROKER_CONFIG));
    const batch = Buffer.concat(Array.from({ length: 1000 }, () => request));
    for (let i = 0; i < 100; i++) socket.write(batch);
    const total = socket.writableLength;
    // wait until the broker stops taking our bytes (unsent bytes unchanged for 500 ms), 8 s at most
    let unsent = -1;
    for (let waited = 0; waited < 8000 && socket.writableLength !== unsent; waited += 500) {
      unsent = socket.writableLength;
      await new Promise((r) => setTimeout(r, 500));
    }
    assert.ok(socket.writableLength > total / 2, `the broker stopped reading: ${socket.writableLength} of our ${total} bytes still unsent`);
    const growth = rssBytes(broker.child.pid!) - rssBefore;
    assert.ok(growth < RSS_GROWTH_MAX, `RSS grew by ${(growth / 1048576).toFixed(1)} MiB`);
    socket.destroy();
    assert.ok(alive());
  });

  test(`${REMOTING_CASES} seeded hostile connections on the client port: each bad one closed, the rest answered`, async () => {
    const tally = emptyTally();
    const linesBefore = badFrameLines();
    await runPool(REMOTING_CASES, 8, (i) => fuzzRemotingConnection(broker.port, SEED, i, tally));
    assert.deepEqual(tally.failures.slice(0, 10), [], `${tally.failures.length} failures`);
    assert.equal(tally.connections, REMOTING_CASES);
    assert.ok(tally.refused > REMOTING_CASES / 3, `refused ${tally.refused}: the run must be mostly hostile`);
    assert.ok(tally.refused < REMOTING_CASES, 'some streams are clean and must be answered');
    // one log line per refused connection, and no other connection closed
    await waitFor('a log line per bad frame', () => badFrameLines() - linesBefore >= tally.refused);
    assert.equal(badFrameLines() - linesBefore, tally.refused);
    assert.ok(alive(), 'the broker process is alive');
    assert.equal(steady.closed, false, 'the steady connection was never closed');
  });

  test(`${HA_CASES} seeded hostile connections on the HA port: the master closes each`, async () => {
    assert.ok(broker.haPort, 'the master has an HA port');
    const tally = emptyTally();
    const before = haRefusals();
    await runPool(HA_CASES, 4, (i) => fuzzHaConnection(broker.haPort!, SEED, i, tally));
    assert.deepEqual(tally.failures.slice(0, 10), [], `${tally.failures.length} failures`);
    assert.equal(tally.refused, HA_CASES);
    await waitFor('an HA badFrame or diverged event per connection', () => haRefusals() - before >= HA_CASES);
    assert.equal(haRefusals() - before, HA_CASES);
    assert.ok(alive(), 'the broker process is alive');
  });

  test('after the run: the connection opened before it still sends and answers, and RSS stayed bounded', async (t) => {
    const sent = await steady.send('TopicTest', Buffer.from('after the fuzz run'));
    assert.equal(sent.code, ResponseCode.SUCCESS, sent.remark);
    assert.ok(Number(sent.extFields?.queueOffset) >= 20, 'stored behind the 20 messages sent before the run');
    const info = await steady.request(RequestCode.GET_BROKER_RUNTIME_INFO);
    assert.equal(info.code, ResponseCode.SUCCESS);
    assert.equal(steady.closed, false);
    const growth = rssBytes(broker.child.pid!) - baselineRss;
    t.diagnostic(`broker RSS ${(baselineRss / 1048576).toFixed(1)} MiB after warm-up, grew ${(growth / 1048576).toFixed(1)} MiB`);
    assert.ok(growth < RSS_GROWTH_MAX, `RSS grew by ${(growth / 1048576).toFixed(1)} MiB`);
    assert.ok(alive());
  });
});

describe('a real broker sheds connections that hold it without finishing a request', () => {
  // small limits, so each case takes seconds (the defaults: 120 s idle, 30 s a frame, 1024 connections, 64 MiB)
  const LIMITS = { serverChannelMaxIdleTimeSeconds: 2, serverFrameCompleteTimeoutMillis: 1000, serverMaxConnections: 40, serverPartialFramesMaxBytes: 8 * 1024 * 1024 };
  let broker: BrokerProcess;
  let steady: SteadyClient;
  let keepAlive: NodeJS.Timeout;
  let stderr = '';
  const alive = () => broker.child.exitCode === null && broker.child.signalCode === null;

  before(async () => {
    broker = await startBroker({ remoting: LIMITS });
    broker.child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    steady = await SteadyClient.connect(broker.port);
    // a client that talks every 500 ms is never idle
    keepAlive = setInterval(() => void steady.request(RequestCode.GET_BROKER_RUNTIME_INFO).catch(() => {}), 500);
  });
  after(async () => {
    clearInterval(keepAlive);
    steady?.close();
    await broker?.stop();
    if (broker) fs.rmSync(broker.storeDir, { recursive: true, force: true });
  });

  test('an idle connection is closed after serverChannelMaxIdleTimeSeconds, one that talks is not', async () => {
    const held = await idleConnection(broker.port, 10_000);
    assert.ok(held.closedByPeer, 'the broker closed the idle connection');
    assert.ok(held.afterMs >= 2000 && held.afterMs < 6000, `closed after ${held.afterMs.toFixed(0)} ms (limit 2 s)`);
    await waitFor('the idle log line', () => /closed the connection from 127\.0\.0\.1:\d+: nothing read or written for \d+ s \(serverChannelMaxIdleTimeSeconds 2\)/.test(stderr));
    assert.equal(steady.closed, false, 'the connection that talks every 500 ms stayed open');
  });

  test('a slowloris frame, one byte every 100 ms, is closed serverFrameCompleteTimeoutMillis after it began', async () => {
    const held = await slowloris(broker.port, 10_000, 100);
    assert.ok(held.closedByPeer, 'the broker closed the trickling connection');
    assert.ok(held.afterMs >= 1000 && held.afterMs < 5000, `closed after ${held.afterMs.toFixed(0)} ms (limit 1 s; it kept sending, so it was never idle)`);
    await waitFor('the unfinished-frame log line', () => /a frame was not finished \d+ ms after it began .*serverFrameCompleteTimeoutMillis 1000/.test(stderr));
  });

  test('half-sent frames past serverPartialFramesMaxBytes: the oldest are closed, the broker holds at most the budget', async () => {
    // a broker of its own, with the default timeouts: only the byte budget may close these
    const budget = await startBroker({ remoting: { serverPartialFramesMaxBytes: 8 * 1024 * 1024 } });
    let budgetStderr = '';
    budget.child.stderr!.on('data', (chunk: Buffer) => {
      budgetStderr += chunk.toString();
    });
    const rssBefore = rssBytes(budget.child.pid!);
    const frames: HalfFrame[] = [];
    // six connections each park 3 MiB of a frame that announced 16 MiB: 18 MiB against a budget of 8
    for (let i = 0; i < 6; i++) {
      frames.push(await halfFrame(budget.port, 3 * 1024 * 1024));
      await new Promise((r) => setTimeout(r, 300));
    }
    const outcome = await Promise.all(frames.map((f) => Promise.race([f.closed, new Promise<null>((r) => setTimeout(() => r(null), 1500))])));
    const shed = outcome.map((o) => o !== null && o.closedByPeer);
    assert.ok(shed.filter(Boolean).length >= 4, `closed by the broker: ${shed.join(', ')} (at most 2 × 3 MiB fit in 8 MiB)`);
    assert.equal(shed[5], false, 'the newest half frame was not the one shed');
    assert.match(budgetStderr, /over serverPartialFramesMaxBytes 8388608; this connection's \(\d+ bytes\) began first/);
    const growth = rssBytes(budget.child.pid!) - rssBefore;
    assert.ok(growth < RSS_GROWTH_MAX, `RSS grew by ${(growth / 1048576).toFixed(1)} MiB`);
    for (const f of frames) f.close();
    assert.equal(budget.child.exitCode, null, 'the broker is alive');
    await budget.stop();
    fs.rmSync(budget.storeDir, { recursive: true, force: true });
  });

  test('a flood of connections past serverMaxConnections is closed at accept, and the broker still answers', async () => {
    const flood = await connectionFlood(broker.port, 60);
    // 40 at most, the steady one among them
    assert.ok(flood.closedByPeer >= 21, `the broker closed ${flood.closedByPeer} of 60 (at most 39 fit beside the steady one)`);
    await waitFor('the refusal log line', () => /refused \d+ connections? at accept: \d+ open, serverMaxConnections 40/.test(stderr));
    flood.close();
    const sent = await steady.send('TopicTest', Buffer.from('after the flood'));
    assert.equal(sent.code, ResponseCode.SUCCESS, sent.remark);
    const fresh = await SteadyClient.connect(broker.port);
    assert.equal((await fresh.request(RequestCode.GET_BROKER_RUNTIME_INFO)).code, ResponseCode.SUCCESS, 'a new connection is accepted once the flood is gone');
    fresh.close();
    assert.equal(steady.closed, false);
    assert.ok(alive());
  });
});

describe(`fuzzing a real slave through a hostile master (seed ${SEED})`, () => {
  const CASES = 40;
  let fake: net.Server;
  let slave: BrokerProcess | undefined;
  const outcomes: Array<{ index: number; kind: string; closedBySlave: boolean }> = [];
  let accepted = 0;

  before(async () => {
    fake = net.createServer((socket) => {
      const index = accepted++;
      socket.on('error', () => {});
      if (index >= CASES) return void socket.destroy();
      const rng = new Rng(caseSeed(SEED, index) ^ 0x51a7e);
      const c = haSlaveCase(rng);
      let ourClose = false;
      const timer = setTimeout(() => {
        ourClose = true;
        socket.destroy();
      }, 3000);
      socket.on('close', () => {
        clearTimeout(timer);
        outcomes.push({ index, kind: c.kind, closedBySlave: !ourClose });
      });
      socket.resume(); // the slave's 8-byte reports
      for (const chunk of randomChunks(rng, c.bytes)) socket.write(chunk);
    });
    await new Promise<void>((r) => fake.listen(0, '127.0.0.1', () => r()));
    slave = await startBroker({
      settings: { brokerRole: 'SLAVE' },
      identity: { brokerId: 1, haMasterAddress: `127.0.0.1:${(fake.address() as net.AddressInfo).port}` },
      ha: { reconnectIntervalMs: 10 },
    });
  });
  after(async () => {
    await slave?.stop();
    if (slave) fs.rmSync(slave.storeDir, { recursive: true, force: true });
    await new Promise((r) => fake.close(r));
  });

  test(`${CASES} hostile master streams: the slave closes each link, appends nothing, and stays up`, async () => {
    await waitFor(`${CASES} links`, () => outcomes.length >= CASES, 25_000);
    const notClosed = outcomes.filter((o) => !o.closedBySlave).map((o) => `case ${o.index} (${o.kind})`);
    assert.deepEqual(notClosed, [], 'links the slave did not close');
    assert.ok(outcomes.some((o) => o.kind === 'garbage-header') && outcomes.some((o) => o.kind === 'diverged'), 'both kinds were sent');
    assert.equal(slave!.child.exitCode, null, 'the slave process is alive');
    assert.equal(slave!.child.signalCode, null);
    const haEvents = (kind: string) => slave!.messages.filter((m) => m.type === 'ha' && m.event.kind === kind).length;
    const garbage = outcomes.filter((o) => o.kind === 'garbage-header').length;
    await waitFor('each garbage header reported as a bad frame', () => haEvents('badFrame') >= garbage);
    await waitFor('the divergence reported', () => haEvents('diverged') > 0);
    const stats = slave!.messages.filter((m) => m.type === 'stats').at(-1);
    assert.equal(stats?.type === 'stats' && stats.stats.maxPhyOffset, 0, 'nothing from a hostile master was appended');
  });
});
