/**
 * `npm run bench` (second table): send throughput and latency over the remoting protocol against
 * real broker processes, 1 KiB bodies, ASYNC_FLUSH: a single master with no slave, then the same
 * master with a real slave process replicating through the HA link, as ASYNC_MASTER and as
 * SYNC_MASTER (brokerRole flipped live between cells), × 1 and 16 concurrent sync senders,
 * ~3 s a cell (BENCH_CELL_MS). For the ASYNC_MASTER cells the largest replication lag seen is
 * reported too. Not part of `npm test`; no pass/fail.
 */
import fs from 'node:fs';
import os from 'node:os';
import { Producer } from '../../broker/client/producer';
import { defaultSettings } from '../../broker/config/broker-config';
import { RequestCode, ResponseCode } from '../../broker/protocol/codes';
import { createRequest } from '../../broker/protocol/remoting-command';
import { RemotingClient } from '../../broker/remoting/remoting-client';
import { startBroker, waitFor, type BrokerProcess } from '../support/broker-process';

const CELL_MS = Number(process.env.BENCH_CELL_MS ?? 3000);
const BODY_BYTES = 1024;
const SENDERS = [1, 16];

interface Row {
  name: string;
  msgsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  notOk: string;
  lagBytesMax?: number;
}

function percentile(sorted: number[], p: number): number {
  return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function lastHaLag(master: BrokerProcess): number {
  for (let i = master.messages.length - 1; i >= 0; i--) {
    const m = master.messages[i]!;
    if (m.type === 'stats' && m.stats.ha) return m.stats.ha.lagBytes;
  }
  return 0;
}

async function cell(name: string, master: BrokerProcess, senders: number): Promise<Row> {
  const producer = new Producer({ producerGroup: 'bench', producerId: `bench-${name}`, brokerAddr: master.addr, retryTimesWhenSendFailed: 0 });
  const body = Buffer.alloc(BODY_BYTES, 1);
  const latencies: number[] = [];
  const statuses = new Map<string, number>();
  let lagBytesMax = 0;
  const lagTimer = setInterval(() => (lagBytesMax = Math.max(lagBytesMax, lastHaLag(master))), 100);
  const started = performance.now();
  const deadline = started + CELL_MS;
  await Promise.all(Array.from({ length: senders }, async () => {
    while (performance.now() < deadline) {
      const t0 = performance.now();
      try {
        const result = await producer.send({ topic: 'BenchTopic', body });
        latencies.push(performance.now() - t0);
        if (result.sendStatus !== 'SEND_OK') statuses.set(result.sendStatus, (statuses.get(result.sendStatus) ?? 0) + 1);
      } catch (error) {
        statuses.set('ERROR', (statuses.get('ERROR') ?? 0) + 1);
      }
    }
  }));
  const seconds = (performance.now() - started) / 1000;
  clearInterval(lagTimer);
  producer.close();
  latencies.sort((a, b) => a - b);
  return {
    name: `${name} x${senders}`,
    msgsPerSec: latencies.length / seconds,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    notOk: [...statuses].map(([s, n]) => `${s} ${n}`).join(', ') || '-',
    lagBytesMax,
  };
}

async function setRole(master: BrokerProcess, role: string): Promise<void> {
  const client = new RemotingClient();
  try {
    const response = await client.invoke(master.addr, createRequest(RequestCode.UPDATE_BROKER_CONFIG, {}, Buffer.from(`brokerRole=${role}\n`)), 3000);
    if (response.code !== ResponseCode.SUCCESS) throw new Error(`brokerRole=${role} refused: ${response.remark}`);
  } finally {
    client.close();
  }
}

function format(rows: Row[]): string {
  const header = ['case', 'msgs/s', 'p50 ms', 'p99 ms', 'max lag KiB', 'not SEND_OK'];
  const lines = rows.map((r) => [
    r.name,
    Math.round(r.msgsPerSec).toLocaleString('en-US'),
    r.p50Ms.toFixed(3),
    r.p99Ms.toFixed(3),
    r.name.startsWith('ASYNC_MASTER + slave') ? (r.lagBytesMax! / 1024).toFixed(1) : '-',
    r.notOk,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const row = (cells: string[]) => '| ' + cells.map((c, i) => (i === 0 || i === 5 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ') + ' |';
  const rule = '|' + widths.map((w, i) => (i === 0 || i === 5 ? '-'.repeat(w + 2) : '-'.repeat(w + 1) + ':')).join('|') + '|';
  return [
    `Zeroloss replication bench: 1 KiB bodies, sync sends over TCP to real broker processes, ASYNC_FLUSH, ${CELL_MS / 1000} s per cell, ${os.cpus().length} cores, node ${process.version}`,
    row(header),
    rule,
    ...lines.map(row),
  ].join('\n');
}

async function main(): Promise<void> {
  const settings = { ...defaultSettings(), flushDiskType: 'ASYNC_FLUSH' as const };
  const rows: Row[] = [];
  const master = await startBroker({ settings: { ...settings, brokerRole: 'ASYNC_MASTER' } });
  let slave: BrokerProcess | undefined;
  try {
    for (const senders of SENDERS) rows.push(await cell('single master, no slave', master, senders));
    slave = await startBroker({ settings: { ...settings, brokerRole: 'SLAVE' }, identity: { brokerId: 1, haMasterAddress: `127.0.0.1:${master.haPort}` } });
    await waitFor('the slave caught up', () => {
      const m = master.messages.findLast((x) => x.type === 'stats');
      return m?.type === 'stats' && m.stats.ha?.slaveConnections === 1 && m.stats.ha.lagBytes === 0;
    }, 30_000);
    for (const senders of SENDERS) rows.push(await cell('ASYNC_MASTER + slave', master, senders));
    await setRole(master, 'SYNC_MASTER');
    for (const senders of SENDERS) rows.push(await cell('SYNC_MASTER + slave', master, senders));
    console.log(format(rows));
  } finally {
    await slave?.stop();
    await master.stop();
    fs.rmSync(master.storeDir, { recursive: true, force: true });
    if (slave) fs.rmSync(slave.storeDir, { recursive: true, force: true });
  }
}

await main();
