/**
 * `npm run fuzz -- [--frames N] [--seed S] [--concurrency C]`: the long fuzz run against a real broker
 * process (test/integration/fuzz-broker.test.ts is the short one). Seeded hostile connections on the
 * client port and (up to 4 at a time) on the HA port, until N frames (default one million) were sent;
 * progress and the broker's RSS every few seconds, a summary at the end.
 * Exits 1 when the broker died, a connection was not handled as it must be (the first few are
 * listed with their seed and case to replay), the connection opened before the run stopped working,
 * or the broker's RSS grew more than 64 MiB over its level after warm-up.
 */
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { RequestCode, ResponseCode } from '../../broker/protocol/codes';
import { startBroker } from '../support/broker-process';
import { SteadyClient, emptyTally, fuzzHaConnection, fuzzRemotingConnection, rssBytes } from '../support/fuzz';

const RSS_GROWTH_MAX = 64 * 1024 * 1024;
const WARMUP_CONNECTIONS = 10_000;
const PROGRESS_EVERY_MS = 5000;

const { values } = parseArgs({
  options: {
    frames: { type: 'string', default: '1000000' },
    seed: { type: 'string', default: String(0xf022) },
    concurrency: { type: 'string', default: '16' },
  },
});
const frames = Number(values.frames);
const seed = Number(values.seed);
const concurrency = Number(values.concurrency);
if (!Number.isSafeInteger(frames) || frames <= 0 || !Number.isSafeInteger(seed) || !Number.isInteger(concurrency) || concurrency <= 0) {
  console.error('usage: npm run fuzz -- [--frames N] [--seed S] [--concurrency C]');
  process.exit(2);
}

const mib = (bytes: number) => `${(bytes / 1048576).toFixed(1)} MiB`;

async function main(): Promise<number> {
  const broker = await startBroker();
  const pid = broker.child.pid!;
  const steady = await SteadyClient.connect(broker.port);
  let died: string | undefined;
  void broker.exited.then(({ code, signal }) => {
    died = `the broker exited (${code ?? signal})`;
  });
  const remoting = emptyTally();
  const ha = emptyTally();
  const startRss = rssBytes(pid);
  let baselineRss = 0;
  let peakRss = startRss;
  const samples: Array<{ atS: number; frames: number; rss: number }> = [];
  const started = Date.now();
  const totalFrames = () => remoting.frames + ha.frames;
  const sample = () => {
    if (died) return;
    const rss = rssBytes(pid);
    peakRss = Math.max(peakRss, rss);
    samples.push({ atS: (Date.now() - started) / 1000, frames: totalFrames(), rss });
    // The harness keeps the broker's output and messages; a long run must not keep them all.
    broker.output.length = 0;
    broker.messages.length = 0;
    return rss;
  };
  console.log(`fuzzing broker pid ${pid} (client port ${broker.port}, HA port ${broker.haPort}): ${frames} frames, seed ${seed}, ${concurrency} connections at a time`);
  const progress = setInterval(() => {
    const rss = sample();
    if (rss === undefined) return;
    const s = (Date.now() - started) / 1000;
    console.log(`${s.toFixed(0).padStart(5)} s  ${String(totalFrames()).padStart(8)} frames  ${String(remoting.connections + ha.connections).padStart(7)} connections  ${(totalFrames() / s).toFixed(0)} frames/s  RSS ${mib(rss)}  failures ${remoting.failures.length + ha.failures.length}`);
  }, PROGRESS_EVERY_MS);

  // Client-port workers, and up to 4 HA-port workers (the master takes 8 slaves); each kind
  // numbers its own cases, so `--seed S` replays the same cases.
  let nextRemoting = 0;
  let nextHa = 0;
  const haWorkers = Math.min(4, Math.max(1, Math.round(concurrency / 5)));
  await Promise.all([
    ...Array.from({ length: concurrency }, async () => {
      while (!died && totalFrames() < frames) {
        const index = nextRemoting++;
        if (index === WARMUP_CONNECTIONS) baselineRss = rssBytes(pid);
        await fuzzRemotingConnection(broker.port, seed, index, remoting);
      }
    }),
    ...Array.from({ length: haWorkers }, async () => {
      while (!died && totalFrames() < frames) await fuzzHaConnection(broker.haPort!, seed, nextHa++, ha);
    }),
  ]);
  clearInterval(progress);
  const endRss = sample() ?? 0;
  if (baselineRss === 0) baselineRss = startRss;

  let steadyOk = false;
  if (!died) {
    try {
      const sent = await steady.send('TopicTest', Buffer.from('after the fuzz run'));
      const answered = await steady.request(RequestCode.GET_BROKER_RUNTIME_INFO);
      steadyOk = sent.code === ResponseCode.SUCCESS && answered.code === ResponseCode.SUCCESS && !steady.closed;
    } catch (error) {
      console.error(`the steady connection failed: ${(error as Error).message}`);
    }
  }
  const seconds = (Date.now() - started) / 1000;
  const failures = [...remoting.failures, ...ha.failures];
  const growth = endRss - baselineRss;
  console.log('');
  console.log(`frames            ${totalFrames()} in ${seconds.toFixed(1)} s (${(totalFrames() / seconds).toFixed(0)} frames/s)`);
  console.log(`connections       ${remoting.connections} client port (${remoting.refused} closed by the broker for a bad frame), ${ha.connections} HA port (${ha.refused} closed)`);
  console.log(`slowest close     ${Math.max(remoting.slowestCloseMs, ha.slowestCloseMs).toFixed(1)} ms after the last byte written`);
  console.log(`broker RSS        start ${mib(startRss)}, after warm-up ${mib(baselineRss)}, peak ${mib(peakRss)}, end ${mib(endRss)} (growth ${mib(growth)}, bound ${mib(RSS_GROWTH_MAX)})`);
  console.log(`broker alive      ${died ? `no: ${died}` : 'yes'}`);
  console.log(`steady connection ${steadyOk ? 'still sends and answers' : 'FAILED'}`);
  console.log(`failures          ${failures.length}`);
  for (const failure of failures.slice(0, 20)) console.log(`  ${failure}`);

  const ok = !died && failures.length === 0 && steadyOk && growth < RSS_GROWTH_MAX;
  steady.close();
  await broker.stop();
  fs.rmSync(broker.storeDir, { recursive: true, force: true });
  console.log(ok ? 'PASS' : 'FAIL');
  return ok ? 0 : 1;
}

main().then((code) => process.exit(code), (error: unknown) => {
  console.error(error);
  process.exit(1);
});
