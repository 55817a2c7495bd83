/**
 * A real drill of an hour, and the memory of the process that judges it: `zeroloss cluster` (one group,
 * master + slave, RocketMQ's defaults, `--restart-crashed 500` as a service manager would) started as
 * its own process; then `runExternalDrill` in this process, exactly as `zeroloss drill --target
 * external` runs it: process-crash through the `command` executor (the master SIGKILLed by pid at the
 * planned moment, back by itself), `BENCH_HOUR_PRODUCERS` traffic runner processes (default 1) at
 * `BENCH_HOUR_RATE` msg/s in all (default 8,000) for `BENCH_HOUR_SECONDS` (default 3,600), two consumer
 * processes, one loss ledger. Every minute it collects garbage and prints this process's heap and RSS
 * beside what the broker stored and the consumer group committed (so the consumers' lag shows: a ledger
 * holds a message until it is consumed, so only a run whose consumers keep up can have flat memory).
 * At the end: the verdict and whether the heap stayed flat (its peak over the second half within 1.2x
 * of its peak over the first).
 *
 * `node --expose-gc --import tsx test/bench/hour-bench.ts` (npm run bench:hour; not part of npm run
 * bench: it takes the hour, and both cores).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startClusterProcess } from '../support/cluster-process';
import { ExternalCluster } from '../../server/external/external-cluster';
import { runExternalDrill } from '../../server/external/external-drill';
import { parseExecutorConfig } from '../../server/external/fault-executors';
import { routeQueues } from '../../server/drills/group-caught-up';

const seconds = Number(process.env.BENCH_HOUR_SECONDS ?? 3600);
const rate = Number(process.env.BENCH_HOUR_RATE ?? 8000);
const producers = Number(process.env.BENCH_HOUR_PRODUCERS ?? 1);
const sampleEveryMs = Number(process.env.BENCH_HOUR_SAMPLE_SECONDS ?? 60) * 1000;
const exposedGc = (globalThis as { gc?: () => void }).gc;
if (!exposedGc) throw new Error('run with node --expose-gc (npm run bench:hour)');
const gc: () => void = exposedGc;

interface Sample { minute: number; heap: number; rss: number; stored: number; committed: number }

/** What the master stored on the run's topic and what its consumer group committed, summed over the queues. */
async function brokerCounts(cluster: ExternalCluster, topic: string, group: string): Promise<{ stored: number; committed: number }> {
  let stored = 0;
  let committed = 0;
  for (const { master, queueNums } of routeQueues(await cluster.route(topic))) {
    if (!master) continue;
    for (let q = 0; q < queueNums; q++) {
      stored += await cluster.admin.maxOffset(master, topic, q);
      committed += await cluster.admin.queryConsumerOffset(master, group, topic, q).catch(() => 0);
    }
  }
  return { stored, committed };
}

/** 0 when the run was judged and the heap stayed flat; 1 otherwise (a failed run, a loss, or a growing heap). */
async function main(): Promise<number> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'zeroloss-hour-bench-'));
  const cluster = await startClusterProcess(dir, ['--restart-crashed', '500']);
  // Stopped early (Ctrl-C): the cluster, in its own process group, goes too.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => void cluster.stop().finally(() => process.exit(130)));
  }
  const reader = new ExternalCluster([cluster.namesrv]);
  const executor = parseExecutorConfig(JSON.stringify({
    type: 'command', timeoutMs: 10_000,
    commands: { 'kill-broker': 'kill -KILL "$(sed -E \'s/.*"pid": *([0-9]+).*/\\1/\' {config.storePathRootDir}/lock)"' },
  }), 'executor');
  const samples: Sample[] = [];
  let topic: string | undefined;
  const started = Date.now();
  console.log(`hour bench: process-crash on zeroloss cluster (ASYNC_FLUSH, ASYNC_MASTER + slave), ${rate.toLocaleString('en-US')} msg/s from ${producers} runner(s) for ${seconds} s, 2 consumers, one ledger in this process`);
  console.log('| minute | heap MiB (after GC) | RSS MiB | stored | committed by the consumers | lag |');
  console.log('|--:|--:|--:|--:|--:|--:|');
  const sampler = setInterval(() => {
    if (!topic) return;
    const group = `zeroloss-ext-${topic.slice('ZL_EXT_'.length)}`;
    gc();
    const memory = process.memoryUsage();
    void brokerCounts(reader, topic, group).then(({ stored, committed }) => {
      const s: Sample = { minute: Math.round((Date.now() - started) / 60_000), heap: memory.heapUsed / 2 ** 20, rss: memory.rss / 2 ** 20, stored, committed };
      samples.push(s);
      console.log(`| ${s.minute} | ${s.heap.toFixed(1)} | ${s.rss.toFixed(0)} | ${stored.toLocaleString('en-US')} | ${committed.toLocaleString('en-US')} | ${(stored - committed).toLocaleString('en-US')} |`);
    }, (error: Error) => console.log(`| ${Math.round((Date.now() - started) / 60_000)} | ${(memory.heapUsed / 2 ** 20).toFixed(1)} | ${(memory.rss / 2 ** 20).toFixed(0)} | (broker: ${error.message}) | | |`));
  }, sampleEveryMs);
  try {
    const outcome = await runExternalDrill({
      namesrvAddrs: [cluster.namesrv], executor, scenario: 'process-crash', queueNums: 8, producers, seed: 1,
      traffic: { sendMode: 'sync', ackMode: 'after-processing', idempotent: false, consumers: 2, rate, durationSec: seconds },
      dataDir: path.join(dir, 'drill'), dryRun: false,
      log: (line) => {
        const created = /topic (ZL_EXT_\w+) created/.exec(line);
        if (created) topic = created[1];
        if (/fault|back at|verdict|PASS|FAIL|LOSS|failed|draining/.test(line)) console.log(`  ${new Date().toISOString().slice(11, 19)} ${line}`);
      },
    });
    clearInterval(sampler);
    const r = outcome.result;
    const s = r.summary;
    console.log(`\nrun ${r.status}: ${r.verdict ?? r.error}: ${r.verdictReason ?? ''}`);
    if (s) console.log(`attempted ${s.attempted.toLocaleString('en-US')}, SEND_OK ${(s.acknowledged.SEND_OK ?? 0).toLocaleString('en-US')}, consumed ${s.consumed.toLocaleString('en-US')}, SEND_OK lost ${s.lostAcked}, duplicated ${s.duplicated.toLocaleString('en-US')}, folded ${(s.folded ?? 0).toLocaleString('en-US')}, RTO ${s.recovery.rtoMs ?? '-'} ms`);
    const half = seconds / 60 / 2;
    const first = samples.filter((x) => x.minute <= half).map((x) => x.heap);
    const second = samples.filter((x) => x.minute > half).map((x) => x.heap);
    if (first.length === 0 || second.length === 0) {
      console.log('too short to compare the two halves');
      return 1;
    }
    const ratio = Math.max(...second) / Math.max(...first);
    const flat = ratio <= 1.2;
    console.log(`heap peak, second half / first half: ${ratio.toFixed(2)}x (${Math.max(...second).toFixed(1)} / ${Math.max(...first).toFixed(1)} MiB): ${flat ? 'FLAT' : 'GROWING'}`);
    return r.status === 'done' && (s?.lostAcked ?? 1) === 0 && flat ? 0 : 1;
  } finally {
    clearInterval(sampler);
    reader.close();
    await cluster.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().then((code) => process.exit(code), (error: unknown) => {
  console.error(error);
  process.exit(1);
});
