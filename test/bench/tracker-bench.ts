/**
 * `npm run bench` (third table): the control plane's bookkeeping cost per message in the Messages
 * page's tracker (server/live/message-tracker.ts), bounded at MESSAGES_KEPT, fed as the control plane
 * feeds it: a batch of 64 send outcomes, the broker's stage batch for them (stored, then the flushed
 * watermark past them), and the consumer's delivered and consumed reports. The cost is measured over
 * the last 10,000 messages after 10k, 100k, 1M (and, with BENCH_TRACKER_MAX, more) messages have
 * gone through, so a cost that grows with the history shows as a rising column. Target: flat (±20%)
 * from 10k to 1M. Not part of `npm test`.
 */
import { performance } from 'node:perf_hooks';
import type { ConsumeEvent, SendOutcome, StageBatch } from '../../broker/ipc';
import { MESSAGES_KEPT, MessageTracker } from '../../server/live/message-tracker';

const BATCH = 64;
const WINDOW = 10_000;
const BODY = 1024 + 180;
const MAX = Number(process.env.BENCH_TRACKER_MAX ?? 1_000_000);
const CHECKPOINTS = [10_000, 100_000, 1_000_000, 10_000_000].filter((n) => n <= MAX);

/** A UNIQ_KEY-shaped id (32 hex digits) for message n. */
const uniqKey = (n: number) => `7F000001${n.toString(16).toUpperCase().padStart(24, '0')}`;

function feed(tracker: MessageTracker, first: number, count: number, atMs: number): void {
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
  tracker.addOutcomes(outcomes, { producerId: 'p1', topic: 'TopicTest' });
  tracker.addStage({ type: 'stage', atMs, stored });
  tracker.addStage({ type: 'stage', atMs, stored: [], flushedOffset: (first + count) * BODY });
  tracker.addConsumeEvents(delivered);
  tracker.addConsumeEvents(consumed);
}

const tracker = new MessageTracker();
const rows: { messages: number; usPerMessage: number; kept: number }[] = [];
let sent = 0;
let windowStart = 0;
let windowFrom = 0;
for (const checkpoint of CHECKPOINTS) {
  while (sent < checkpoint) {
    if (sent === checkpoint - WINDOW) {
      windowStart = performance.now();
      windowFrom = sent;
    }
    const count = Math.min(BATCH, checkpoint - sent);
    feed(tracker, sent, count, Date.now());
    sent += count;
  }
  const us = ((performance.now() - windowStart) * 1000) / (sent - windowFrom);
  rows.push({ messages: checkpoint, usPerMessage: us, kept: tracker.size });
}

const base = rows[0]!.usPerMessage;
console.log(`\nmessage tracker (bounded at ${MESSAGES_KEPT.toLocaleString('en')} records): cost per message over the last ${WINDOW.toLocaleString('en')} messages`);
console.log('messages through   µs per message   vs 10k   records kept');
for (const r of rows) {
  console.log(`${r.messages.toLocaleString('en').padStart(16)}   ${r.usPerMessage.toFixed(2).padStart(14)}   ${(r.usPerMessage / base).toFixed(2).padStart(6)}×   ${r.kept.toLocaleString('en').padStart(12)}`);
}
const worst = Math.max(...rows.map((r) => r.usPerMessage / base));
console.log(`flat within ±20% from 10k to ${rows[rows.length - 1]!.messages.toLocaleString('en')}: ${worst <= 1.2 ? 'yes' : 'no'} (worst ${worst.toFixed(2)}×)`);
