/**
 * How fast the drills' traffic runner processes send on this machine, with a drill's consumers and
 * loss ledger on the receiving end: `zeroloss cluster` (one group, master + slave, RocketMQ's defaults:
 * ASYNC_FLUSH, ASYNC_MASTER) started as its own process, then for each row N traffic runners
 * (server/traffic/runner-main.ts, sync sends of 1 KiB) asked for a total rate, two consumer processes,
 * every outcome and consume event into one LossLedger, for `BENCH_RUNNER_SECONDS` (default 15) each.
 * Prints the SEND_OK rate reached, the consumed rate and what the ledger judged.
 *
 * `node --import tsx test/bench/runner-bench.ts` (npm run bench:runner).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SupervisedChild } from '../../server/cluster/child-process';
import { startClusterProcess } from '../support/cluster-process';
import { ConsumerFleet } from '../../server/traffic/consumer-fleet';
import { LossLedger } from '../../server/drills/loss-ledger';
import { splitRate } from '../../server/drills/limits';
import { ExternalCluster } from '../../server/external/external-cluster';
import { MASTER_ID } from '../../broker/protocol/codes';
import type { ParentToTraffic, TrafficConfig, TrafficToParent } from '../../broker/ipc';

const seconds = Number(process.env.BENCH_RUNNER_SECONDS ?? 15);
const ROWS: { producers: number; rate: number }[] = [
  { producers: 1, rate: 10_000 },
  { producers: 2, rate: 10_000 },
  { producers: 4, rate: 10_000 },
];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function row(namesrv: string, cluster: ExternalCluster, dir: string, producers: number, rate: number, n: number) {
  const topic = `ZL_BENCH_RUNNER_${n}`;
  const view = await cluster.describe();
  await cluster.createTopic(topic, 8, view.brokers.filter((b) => b.brokerId === MASTER_ID));
  while (((await cluster.route(topic))?.queueDatas.length ?? 0) === 0) await sleep(200);
  const startedAt = Date.now();
  const ledger = new LossLedger(startedAt);
  const consumers = new ConsumerFleet(path.join(dir, `consumers-${n}`), () => namesrv, { events: (e) => ledger.addConsumeEvents(e), lifecycle: () => {} }, () => 16);
  await consumers.start({ count: 2, ackMode: 'after-processing', idempotent: false, processingMs: 0, failRate: 0, topic, consumerGroup: `bench-runner-${n}`, consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET', rebalanceIntervalMs: 1000 });
  while (!consumers.views().every((v) => v.state === 'running')) await sleep(100);
  const runners = splitRate(rate, producers).map((r, i) => {
    const producerId = `bench${i + 1}`;
    ledger.addProducer(producerId);
    const child: SupervisedChild<ParentToTraffic, TrafficToParent> = new SupervisedChild<ParentToTraffic, TrafficToParent>(`runner ${i + 1}`, 'server/traffic/runner-main.ts', {
      message: (m) => {
        if (m.type === 'ready') child.markRunning();
        else if (m.type === 'outcomes') ledger.addOutcomes(m.outcomes);
      },
      exit: () => {},
    });
    const config: TrafficConfig = { namesrvAddr: namesrv, topic, producerGroup: `bench-producer-${n}`, producerId, rate: r, bodySize: 1024, sendMode: 'sync', count: 0, bodySeed: i };
    child.start({ ZL_TRAFFIC: JSON.stringify(config) });
    return child;
  });
  while (!runners.every((c) => c.status.state === 'running')) await sleep(100);
  const t0 = Date.now();
  const ok0 = ledger.counts().byStatus.SEND_OK;
  const consumed0 = ledger.appliedCount();
  await sleep(seconds * 1000);
  const elapsed = (Date.now() - t0) / 1000;
  const ok = ledger.counts().byStatus.SEND_OK - ok0;
  const consumed = ledger.appliedCount() - consumed0;
  await Promise.all(runners.map((c) => c.stop({ type: 'stop' }, 8000)));
  // Let the consumers catch up before judging.
  let last = -1;
  while (ledger.consumerProgress() !== last) {
    last = ledger.consumerProgress();
    await sleep(2000);
  }
  await consumers.stop();
  const { summary } = ledger.summarize();
  return { producers, rate, sendOk: ok / elapsed, consumed: consumed / elapsed, summary };
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'zeroloss-runner-bench-'));
  const { namesrv, stop } = await startClusterProcess(dir);
  const cluster = new ExternalCluster([namesrv]);
  try {
    console.log(`traffic runners, sync sends of 1 KiB, 2 consumers, one ledger; zeroloss cluster (ASYNC_FLUSH, ASYNC_MASTER + slave) on this machine; ${seconds} s a row`);
    console.log('| runners | asked msg/s | SEND_OK msg/s | consumed msg/s | attempted | lost SEND_OK | verdict inputs |');
    console.log('|--:|--:|--:|--:|--:|--:|---|');
    for (const [n, r] of ROWS.entries()) {
      const res = await row(namesrv, cluster, dir, r.producers, r.rate, n);
      const s = res.summary;
      console.log(`| ${res.producers} | ${res.rate.toLocaleString('en-US')} | ${Math.round(res.sendOk).toLocaleString('en-US')} | ${Math.round(res.consumed).toLocaleString('en-US')} | ${s.attempted.toLocaleString('en-US')} | ${s.lostAcked} | duplicated ${s.duplicated}, gaps ${s.gaps}, unexpected ${s.unexpected} |`);
    }
  } finally {
    cluster.close();
    await stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().then(() => process.exit(0), (error: unknown) => {
  console.error(error);
  process.exit(1);
});
