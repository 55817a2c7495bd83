/**
 * The loss ledger over a long run: `BENCH_LEDGER_MINUTES` (default 60) of traffic at
 * `BENCH_LEDGER_RATE` msg/s (default 10,000), fed as the control plane feeds a drill (send outcomes,
 * stage batches with watermarks, consumer reports with redeliveries, a fault with a window of failed
 * sends, foreign messages), on the run's own clock, as fast as this process can. Every simulated
 * 5 minutes it collects garbage and prints the heap, the messages held one by one and the ledger's
 * cost per message; at the end the verdict's inputs and whether the heap stayed flat: its peak over
 * the second half of the run (from the 10-minute mark) within 1.2x of its peak over the first half
 * (the heap follows the number of messages held, a sawtooth between two folds, so single marks mislead).
 *
 * `node --expose-gc --import tsx test/bench/ledger-bench.ts` (npm run bench:ledger).
 */
import { LossLedger } from '../../server/drills/loss-ledger';
import { ledgerStream } from '../support/ledger-stream';

const minutes = Number(process.env.BENCH_LEDGER_MINUTES ?? 60);
const rate = Number(process.env.BENCH_LEDGER_RATE ?? 10_000);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc (npm run bench:ledger)');

const T0 = 1_700_000_000_000;
const durationMs = minutes * 60_000;
const shape = {
  seed: 7, startMs: T0, rate, durationMs, producers: 4, queues: 8,
  lossRate: 0.00001, soonRedeliveryRate: 0.001, lateRedeliveryRate: 0.0005, lateRedeliveryMs: 30_000,
  faultAtMs: T0 + 120_000, faultForMs: 3_000, foreignRate: 0.001,
};
const ledger = new LossLedger(T0);
for (let p = 0; p < shape.producers; p++) ledger.addProducer(`producer-${p}`);

const heapMiB = () => {
  gc();
  return process.memoryUsage().heapUsed / 2 ** 20;
};
const rows: { minute: number; messages: number; heap: number; rss: number; held: number; usPerMsg: number }[] = [];
const markEveryMs = 5 * 60_000;
let nextMark = T0 + Math.min(markEveryMs, durationMs);
let messages = 0;
let ledgerMs = 0;
let sinceMarkMs = 0;
let sinceMarkMessages = 0;
const wallStart = performance.now();
console.log(`ledger bench: ${minutes} min at ${rate.toLocaleString('en-US')} msg/s (${(rate * minutes * 60).toLocaleString('en-US')} messages), default folding`);
console.log('| minute | messages | heap MiB (after GC) | RSS MiB | held one by one | ledger µs/msg (since last mark) |');
console.log('|--:|--:|--:|--:|--:|--:|');
for (const tick of ledgerStream(shape)) {
  const t = performance.now();
  if (tick.fault) ledger.markFault(shape.faultAtMs);
  ledger.addOutcomes(tick.outcomes);
  ledger.addStage(tick.stage);
  ledger.addConsumeEvents(tick.consumed);
  const spent = performance.now() - t;
  ledgerMs += spent;
  sinceMarkMs += spent;
  messages += tick.outcomes.length;
  sinceMarkMessages += tick.outcomes.length;
  if (tick.atMs >= nextMark && nextMark <= T0 + durationMs) {
    const row = { minute: (nextMark - T0) / 60_000, messages, heap: heapMiB(), rss: process.memoryUsage().rss / 2 ** 20, held: ledger.heldMessages(), usPerMsg: (sinceMarkMs * 1000) / Math.max(1, sinceMarkMessages) };
    rows.push(row);
    console.log(`| ${row.minute} | ${row.messages.toLocaleString('en-US')} | ${row.heap.toFixed(1)} | ${row.rss.toFixed(0)} | ${row.held.toLocaleString('en-US')} | ${row.usPerMsg.toFixed(2)} |`);
    nextMark += markEveryMs;
    sinceMarkMs = 0;
    sinceMarkMessages = 0;
  }
}
const t = performance.now();
const { summary } = ledger.summarize();
const summarizeMs = performance.now() - t;
const wallS = (performance.now() - wallStart) / 1000;
console.log('');
console.log(`messages ${messages.toLocaleString('en-US')}; ledger ${(ledgerMs / 1000).toFixed(1)} s (${((ledgerMs * 1000) / messages).toFixed(2)} µs/msg, ${Math.round(messages / (ledgerMs / 1000)).toLocaleString('en-US')} msg/s on one core); the bench ${wallS.toFixed(0)} s with its event generator; summarize ${summarizeMs.toFixed(0)} ms`);
console.log(`summary: attempted ${summary.attempted}, consumed ${summary.consumed}, lost ${summary.lostTotal} (SEND_OK ${summary.lostAcked}), duplicated ${summary.duplicated}, redeliveries ${summary.redeliveries}, unexpected ${summary.unexpected}, gaps ${summary.gaps}, RTO ${summary.recovery.rtoMs} ms, failed sends ${summary.recovery.failedSends}, folded ${summary.folded ?? 0}`);
// The heap follows how many messages are held, a sawtooth between folds: compare peaks, not two marks.
const warm = rows.filter((r) => r.minute >= 10);
const half = Math.ceil(warm.length / 2);
const peak = (list: typeof rows, key: 'heap' | 'rss') => Math.max(...list.map((r) => r[key]));
if (warm.length >= 2) {
  const [first, second] = [warm.slice(0, half), warm.slice(half)];
  const ratio = peak(second, 'heap') / peak(first, 'heap');
  console.log(`heap peak: ${peak(first, 'heap').toFixed(1)} MiB in minutes ${first[0]!.minute}-${first[first.length - 1]!.minute}, ${peak(second, 'heap').toFixed(1)} MiB in minutes ${second[0]!.minute}-${second[second.length - 1]!.minute} (${ratio.toFixed(2)}x): ${ratio <= 1.2 ? 'flat' : 'GROWING'}; RSS peak ${peak(first, 'rss').toFixed(0)} → ${peak(second, 'rss').toFixed(0)} MiB`);
}
