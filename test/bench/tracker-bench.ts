/**
 * `npm run bench` (third and fourth tables). First the order the message ledger keeps its bounded
 * records in (server/ledger/message-ledger.ts): one new record and one touch of a recent one per
 * message, past the capacity each new record evicting the stalest; per-insert cost at 10k, 100k and
 * 1M. (A Map re-inserted on every touch and evicted through keys().next() costs about 2 µs before its
 * capacity and 27-31 µs after, on this machine; the linked order stays at about 2 µs.) Then the
 * control plane's bookkeeping cost per message in the Messages page's tracker (server/live/message-tracker.ts), bounded at MESSAGES_KEPT, fed as the control plane
 * feeds it: a batch of 64 send outcomes, the broker's stage batch for them (stored, then the flushed
 * watermark past them), and the consumer's delivered and consumed reports. The time spent in the
 * tracker (not in building the batches) is measured over the last 10,000 messages before 10k, 100k,
 * 1M (and, with BENCH_TRACKER_MAX, more) messages have gone through, after a warm-up on a tracker of
 * its own, so a cost that grows with the history shows as a rising column. Target: flat (±20%)
 * from 10k to 1M. Not part of `npm test`.
 */
import { performance } from 'node:perf_hooks';
import type { ConsumeEvent, SendOutcome, StageBatch } from '../../broker/ipc';
import { MESSAGES_KEPT, MessageTracker } from '../../server/live/message-tracker';
import { MessageLedger, newMessageEntry } from '../../server/ledger/message-ledger';

const BATCH = 64;
const WINDOW = 10_000;
const BODY = 1024 + 180;
const MAX = Number(process.env.BENCH_TRACKER_MAX ?? 1_000_000);
const CHECKPOINTS = [10_000, 100_000, 1_000_000, 10_000_000].filter((n) => n <= MAX);

/** A UNIQ_KEY-shaped id (32 hex digits) for message n. */
const uniqKey = (n: number) => `7F000001${n.toString(16).toUpperCase().padStart(24, '0')}`;

/** Builds the batches for messages first..first+count, then feeds them; returns the ms spent in the tracker. */
function feed(tracker: MessageTracker, first: number, count: number, atMs: number): number {
  const outcomes: SendOutcome[] = [];
  const stored: StageBatch['stored'] = [];
  const delivered: ConsumeEvent[] = [];
  const consumed: ConsumeEvent[] = [];
  for (let n = first; n < first + count; n++) {
    const id = uniqKey(n);
    const queueId = n % 4;
    outcomes.push({ id, queueId, seq: n, sentAtMs: atMs, latencyMs: 1, status: 'SEND_OK', queueOffset: n >> 2 });
    stored.push([id, n * BODY, BODY]);
    const event: ConsumeEvent = { kind: 'delivered', id, producerId: 'p1', queue: `broker-a:${queueId}`, seq: n, topic: 'TopicTest', brokerName: 'broker-a', queueId, queueOffset: n >> 2, reconsumeTimes: 0, atMs };
    delivered.push(event);
    consumed.push({ ...event, kind: 'consumed' });
  }
  const started = performance.now();
  tracker.addOutcomes(outcomes, { producerId: 'p1', topic: 'TopicTest' });
  tracker.addStage({ type: 'stage', atMs, stored });
  tracker.addStage({ type: 'stage', atMs, stored: [], flushedOffset: (first + count) * BODY });
  tracker.addConsumeEvents(delivered);
  tracker.addConsumeEvents(consumed);
  return performance.now() - started;
}

/** The ledger's order alone: µs per message (a new record and a touch of the one 5 before it). */
function ledgerOrderCost(): { messages: number; usPerMessage: number }[] {
  const ledger = new MessageLedger({ create: newMessageEntry, capacity: MESSAGES_KEPT });
  const out: { messages: number; usPerMessage: number }[] = [];
  let n = 0;
  for (const checkpoint of CHECKPOINTS) {
    let started = 0;
    for (; n < checkpoint; n++) {
      if (n === checkpoint - WINDOW) started = performance.now();
      ledger.entry(uniqKey(n), n);
      ledger.entry(uniqKey(n - 5), n);
    }
    out.push({ messages: checkpoint, usPerMessage: ((performance.now() - started) * 1000) / WINDOW });
  }
  return out;
}
const order = ledgerOrderCost();
console.log(`\nmessage ledger order (bounded at ${MESSAGES_KEPT.toLocaleString('en')}): a new record and a touch per message, over the last ${WINDOW.toLocaleString('en')}`);
console.log('messages through   µs per message   vs 10k');
for (const r of order) console.log(`${r.messages.toLocaleString('en').padStart(16)}   ${r.usPerMessage.toFixed(2).padStart(14)}   ${(r.usPerMessage / order[0]!.usPerMessage).toFixed(2).padStart(6)}×`);

// Warm-up on a tracker of its own, so the first checkpoint does not carry the JIT's cost.
const warm = new MessageTracker();
for (let n = 0; n < 50_000; n += BATCH) feed(warm, n, BATCH, Date.now());

const tracker = new MessageTracker();
const rows: { messages: number; usPerMessage: number; kept: number }[] = [];
let sent = 0;
for (const checkpoint of CHECKPOINTS) {
  let windowMs = 0;
  let windowMessages = 0;
  while (sent < checkpoint) {
    const count = Math.min(BATCH, checkpoint - sent);
    const ms = feed(tracker, sent, count, Date.now());
    if (sent >= checkpoint - WINDOW) {
      windowMs += ms;
      windowMessages += count;
    }
    sent += count;
  }
  rows.push({ messages: checkpoint, usPerMessage: (windowMs * 1000) / windowMessages, kept: tracker.size });
}

const base = rows[0]!.usPerMessage;
console.log(`\nmessage tracker (bounded at ${MESSAGES_KEPT.toLocaleString('en')} records): cost per message over the last ${WINDOW.toLocaleString('en')} messages`);
console.log('messages through   µs per message   vs 10k   records kept');
for (const r of rows) {
  console.log(`${r.messages.toLocaleString('en').padStart(16)}   ${r.usPerMessage.toFixed(2).padStart(14)}   ${(r.usPerMessage / base).toFixed(2).padStart(6)}×   ${r.kept.toLocaleString('en').padStart(12)}`);
}
const worst = Math.max(...rows.map((r) => r.usPerMessage / base));
console.log(`flat within ±20% from 10k to ${rows[rows.length - 1]!.messages.toLocaleString('en')}: ${worst <= 1.2 ? 'yes' : 'no'} (worst ${worst.toFixed(2)}×; most of this cost is garbage collection of the kept records, which grows with the live set up to the bound)`);
