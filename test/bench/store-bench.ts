/**
 * `npm run bench`: put throughput and latency of the in-process DefaultMessageStore for 1 KiB
 * messages, ASYNC_FLUSH and SYNC_FLUSH × 1, 16 and 64 concurrent senders (~3 s a cell), beside this
 * disk's raw ceiling measured in the same run: one fdatasync per 1 KiB append, and one fdatasync
 * per batch of 64 appends. The figure of merit is SYNC_FLUSH×64 / raw batch-of-64 (target ≥ 0.5):
 * how much of what group commit could at best reach on this disk it does reach.
 * Prints one table. Not part of `npm test`. fsync costs on a shared virtual disk swing by several
 * times within minutes, so the batch-of-64 ceiling is measured again right before and right after
 * the SYNC_FLUSH×64 cell and the ratio uses the mean of those two neighbours.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { defaultSettings, type BrokerSettings, type FlushDiskType } from '../../broker/config/broker-config';
import { DefaultMessageStore } from '../../broker/store/message-store';
import type { MessageInner } from '../../broker/store/types';

const MESSAGE_BYTES = 1024;
const CELL_MS = Number(process.env.BENCH_CELL_MS ?? 3000);
const RAW_MS = Number(process.env.BENCH_RAW_MS ?? 2000);
const SENDERS = [1, 16, 64];
const YIELD_EVERY = 16;

interface Row {
  name: string;
  msgsPerSec: number;
  mbPerSec: number;
  p50Ms?: number;
  p99Ms?: number;
  syncs?: number;
}

function percentile(sorted: number[], p: number): number {
  return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** Raw ceiling: appends of 1 KiB with one async fdatasync per `batch` appends, for RAW_MS. */
async function rawCeiling(dir: string, batch: number, label = ''): Promise<Row> {
  const file = path.join(dir, `raw-${batch}`);
  const fd = fs.openSync(file, 'w');
  const payload = Buffer.alloc(MESSAGE_BYTES, 7);
  let position = 0;
  let messages = 0;
  let syncs = 0;
  const started = performance.now();
  while (performance.now() - started < RAW_MS) {
    for (let i = 0; i < batch; i++) {
      fs.writeSync(fd, payload, 0, payload.length, position);
      position += payload.length;
    }
    await new Promise<void>((resolve, reject) => fs.fdatasync(fd, (error) => (error ? reject(error) : resolve())));
    messages += batch;
    syncs++;
  }
  const seconds = (performance.now() - started) / 1000;
  fs.closeSync(fd);
  fs.rmSync(file);
  return { name: `raw fdatasync per ${batch === 1 ? '1 KiB append' : `batch of ${batch}`}${label}`, msgsPerSec: messages / seconds, mbPerSec: (messages * MESSAGE_BYTES) / seconds / 1e6, syncs };
}

function benchMessage(queueId: number, body: Buffer): MessageInner {
  return {
    topic: 'BenchTopic',
    queueId,
    flag: 0,
    sysFlag: 0,
    bornTimestamp: Date.now(),
    bornHost: { ip: '127.0.0.1', port: 40000 },
    reconsumeTimes: 0,
    preparedTransactionOffset: 0,
    body,
    properties: new Map([['TAGS', 'bench']]),
  };
}

/** One cell: `senders` concurrent loops of put-and-await for CELL_MS. */
async function storeCell(root: string, flushDiskType: FlushDiskType, senders: number): Promise<Row> {
  const dir = fs.mkdtempSync(path.join(root, `store-${flushDiskType}-${senders}-`));
  const settings: BrokerSettings = { ...defaultSettings(), flushDiskType };
  const store = await DefaultMessageStore.open({ storePathRootDir: dir, storeHost: { ip: '127.0.0.1', port: 10911 }, settings: () => settings });
  const body = Buffer.alloc(MESSAGE_BYTES - 120, 1); // record = 1 KiB with the header, topic and properties
  const latencies: number[] = [];
  let bytes = 0;
  let failures = 0;
  const syncsBefore = store.fileLayer.syncCount;
  const started = performance.now();
  const deadline = started + CELL_MS;
  // A producer behind a socket lets the event loop turn between requests; an in-process loop of
  // puts that resolve at once (ASYNC_FLUSH) would not, and would starve the flush timers. So every
  // sender yields to the event loop every YIELD_EVERY puts.
  const sender = async (id: number) => {
    let sent = 0;
    while (performance.now() < deadline) {
      if (++sent % YIELD_EVERY === 0) await new Promise((resolve) => setImmediate(resolve));
      const t0 = performance.now();
      const result = await store.putMessage(benchMessage(id % 4, body));
      latencies.push(performance.now() - t0);
      if (result.status !== 'PUT_OK') failures++;
      bytes += result.append?.wroteBytes ?? 0;
    }
  };
  await Promise.all(Array.from({ length: senders }, (_, i) => sender(i)));
  const seconds = (performance.now() - started) / 1000;
  const syncs = store.fileLayer.syncCount - syncsBefore;
  await store.shutdown();
  fs.rmSync(dir, { recursive: true, force: true });
  if (failures > 0) console.error(`${flushDiskType} x${senders}: ${failures} puts were not PUT_OK`);
  latencies.sort((a, b) => a - b);
  return {
    name: `${flushDiskType} x${senders}`,
    msgsPerSec: latencies.length / seconds,
    mbPerSec: bytes / seconds / 1e6,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    syncs,
  };
}

function format(rows: Row[], ratio: number): string {
  const header = ['case', 'msgs/s', 'MB/s', 'p50 ms', 'p99 ms', 'fdatasyncs'];
  const lines = rows.map((r) => [
    r.name,
    Math.round(r.msgsPerSec).toLocaleString('en-US'),
    r.mbPerSec.toFixed(1),
    r.p50Ms === undefined ? '-' : r.p50Ms.toFixed(3),
    r.p99Ms === undefined ? '-' : r.p99Ms.toFixed(3),
    r.syncs === undefined ? '-' : String(r.syncs),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const row = (cells: string[]) => '| ' + cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ') + ' |';
  const rule = '|' + widths.map((w, i) => (i === 0 ? '-'.repeat(w + 2) : '-'.repeat(w + 1) + ':')).join('|') + '|';
  return [
    `Zeroloss store bench: 1 KiB records, in-process DefaultMessageStore, ${CELL_MS / 1000} s per cell, ${os.cpus().length} cores, node ${process.version}`,
    row(header),
    rule,
    ...lines.map(row),
    '',
    `SYNC_FLUSH x64 / raw batch-of-64 ceiling (mean of the measurements before and after it) = ${ratio.toFixed(2)} (target >= 0.5)`,
  ].join('\n');
}

async function main(): Promise<void> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'zl-bench-'));
  try {
    const rows: Row[] = [];
    rows.push(await rawCeiling(root, 1), await rawCeiling(root, 64, ' (start)'));
    let sync64 = 0;
    const neighbours: Row[] = [];
    for (const flushDiskType of ['ASYNC_FLUSH', 'SYNC_FLUSH'] as const) {
      for (const senders of SENDERS) {
        const measureNeighbours = flushDiskType === 'SYNC_FLUSH' && senders === 64;
        if (measureNeighbours) neighbours.push(await rawCeiling(root, 64, ' (before SYNC x64)'));
        const cell = await storeCell(root, flushDiskType, senders);
        rows.push(cell);
        if (measureNeighbours) {
          sync64 = cell.msgsPerSec;
          neighbours.push(await rawCeiling(root, 64, ' (after SYNC x64)'));
        }
      }
    }
    rows.push(...neighbours);
    const ceiling = (neighbours[0]!.msgsPerSec + neighbours[1]!.msgsPerSec) / 2;
    console.log(format(rows, sync64 / ceiling));
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}

await main();
