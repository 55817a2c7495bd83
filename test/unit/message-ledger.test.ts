/**
 * The message ledger core (server/ledger/message-ledger.ts) that the drill's loss ledger and the
 * Messages page's tracker share, with hand-made stage batches and consumer reports: how far the
 * broker's side got, which stored copy counts after a power cut, and the order records are kept in,
 * bounded and unbounded.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MessageLedger, newMessageEntry } from '../../server/ledger/message-ledger';
import { LEDGER_STAGES } from '../../server/ledger/message-stages';
import type { ConsumeEvent } from '../../broker/ipc';
import { seededRandom } from '../../broker/io/prng';

const entry = newMessageEntry;
const consume = (id: string, kind: ConsumeEvent['kind'], atMs: number): ConsumeEvent => ({
  kind, id, topic: 'T', brokerName: 'broker-a', queueId: 0, queueOffset: 0, reconsumeTimes: 0, atMs, producerId: 'p1', queue: 'broker-a:0', seq: 1,
});

test('message-ledger - one stage vocabulary, in order', () => {
  assert.deepEqual([...LEDGER_STAGES], ['sent', 'stored', 'flushed', 'replicated', 'delivered', 'consumed']);
});

test('message-ledger - the durable stage follows the watermarks past a record\'s end, per incarnation', () => {
  const ledger = new MessageLedger({ create: entry });
  ledger.stored('a', 0, 100, 1);
  ledger.stored('b', 100, 100, 1);
  ledger.watermarks({ flushedOffset: 150, replicatedOffset: 100 }, 2);
  assert.equal(ledger.durableStage(ledger.get('a')!), 'replicated');
  assert.equal(ledger.durableStage(ledger.get('b')!), 'stored');
  // A new incarnation: b's bytes are not the new broker's, so its watermarks never confirm b.
  ledger.forgetFrontier(3);
  ledger.stored('c', 200, 10, 4);
  ledger.watermarks({ flushedOffset: 1000 }, 5);
  assert.equal(ledger.durableStage(ledger.get('b')!), 'stored');
  assert.equal(ledger.get('b')!.frontierLostAt, 3);
  assert.equal(ledger.durableStage(ledger.get('c')!), 'flushed');
  const unseen = new MessageLedger({ create: entry }).entry('x', 0);
  assert.equal(ledger.durableStage(unseen), null, 'no stage batch named it');
});

test('message-ledger - after a power cut a resend counts, unless the ledger keeps the first copy', () => {
  for (const keepFirstCopy of [false, true]) {
    const ledger = new MessageLedger({ create: entry, keepFirstCopy });
    ledger.stored('a', 0, 100, 1);
    ledger.powerCut(0, 2);
    assert.equal(ledger.get('a')!.cutAt, 2);
    ledger.stored('a', 0, 100, 3);
    ledger.watermarks({ flushedOffset: 100 }, 4);
    const a = ledger.get('a')!;
    assert.equal(a.storedCount, 2);
    assert.equal(ledger.durableStage(a), keepFirstCopy ? 'stored' : 'flushed');
    assert.equal(a.storedAt, keepFirstCopy ? 1 : 3);
  }
});

test('message-ledger - consumer reports: counts, first CONSUME_SUCCESS, first sender wins', () => {
  const ledger = new MessageLedger({ create: entry });
  const a = ledger.entry('a', 0);
  for (const e of [consume('a', 'delivered', 10), consume('a', 'reconsume', 11), consume('a', 'delivered', 20), consume('a', 'consumed', 21), consume('a', 'consumed', 30), consume('a', 'duplicate-suppressed', 40)]) {
    ledger.consume(a, e);
  }
  ledger.consume(a, { ...consume('a', 'delivered', 50), producerId: 'p2' });
  assert.deepEqual([a.deliveryCount, a.reconsumes, a.consumedAt, a.duplicatesSuppressed, a.producerId, a.queue, a.seq, a.updatedAt], [3, 1, 21, 1, 'p1', 'broker-a:0', 1, 50]);
});

test('message-ledger - bounded: last-touched order, the stalest evicted; unbounded: first-seen order, none evicted', () => {
  const evicted: string[] = [];
  const bounded = new MessageLedger({ create: entry, capacity: 2, evicted: (r) => evicted.push(r.id) });
  bounded.entry('a', 1);
  bounded.entry('b', 2);
  bounded.entry('a', 3);
  bounded.entry('c', 4);
  assert.deepEqual(evicted, ['b']);
  assert.deepEqual([...bounded.values()].map((r) => r.id), ['a', 'c']);
  const unbounded = new MessageLedger({ create: entry });
  for (const id of ['a', 'b', 'a', 'c']) unbounded.entry(id, 0);
  assert.deepEqual([...unbounded.values()].map((r) => r.id), ['a', 'b', 'c']);
  assert.equal(unbounded.capacity, Infinity);
});

test('message-ledger - bounded order under 20,000 seeded touches matches a plain model: newest first, oldest evicted', () => {
  const random = seededRandom(7);
  const capacity = 50;
  const evicted: string[] = [];
  const ledger = new MessageLedger({ create: entry, capacity, evicted: (r) => evicted.push(r.id) });
  const model: string[] = []; // stalest first
  const modelEvicted: string[] = [];
  for (let i = 0; i < 20_000; i++) {
    const id = `m${Math.floor(random.next() * 120)}`;
    ledger.entry(id, i);
    const at = model.indexOf(id);
    if (at >= 0) model.splice(at, 1);
    model.push(id);
    if (model.length > capacity) modelEvicted.push(model.shift()!);
  }
  assert.deepEqual([...ledger.values()].map((r) => r.id), model);
  assert.deepEqual([...ledger.newestFirst()].map((r) => r.id), [...model].reverse());
  assert.deepEqual(evicted, modelEvicted);
  assert.equal(ledger.size, capacity);
  for (const id of modelEvicted.slice(-10)) if (!model.includes(id)) assert.equal(ledger.get(id), undefined);
});

test('message-ledger - each broker group\'s watermarks confirm only what that group stored', () => {
  const ledger = new MessageLedger({ create: entry });
  // The same offsets on two commit logs: broker-a's and broker-b's.
  ledger.stored('a', 0, 100, 1, 'broker-a');
  ledger.stored('b', 0, 100, 1, 'broker-b');
  ledger.watermarks({ flushedOffset: 100 }, 2, 'broker-b');
  assert.equal(ledger.get('b')!.flushedAt, 2);
  assert.equal(ledger.get('a')!.flushedAt, null, 'broker-b\'s fsync says nothing of broker-a\'s log');
  assert.equal(ledger.get('a')!.storedOn, 'broker-a');
  // broker-b's log cut back to 0 and reused: broker-a's pending record keeps waiting for its own watermark.
  ledger.stored('c', 0, 50, 3, 'broker-b');
  ledger.forgetFrontier(4, 'broker-b');
  ledger.watermarks({ flushedOffset: 100, replicatedOffset: 100 }, 5, 'broker-a');
  assert.equal(ledger.get('a')!.flushedAt, 5);
  assert.equal(ledger.get('a')!.replicatedAt, 5);
  assert.equal(ledger.get('c')!.flushedAt, null);
  assert.equal(ledger.get('c')!.frontierLostAt, 4);
  // A power cut on broker-a cuts only broker-a's unflushed tail.
  ledger.stored('d', 100, 10, 6, 'broker-a');
  ledger.stored('e', 50, 10, 6, 'broker-b');
  ledger.powerCut(100, 7, 'broker-a');
  assert.equal(ledger.get('d')!.cutAt, 7);
  assert.equal(ledger.get('e')!.cutAt, null);
});
