import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { MessageTracker, messageLadder, offsetFromOffsetMsgId, isLost } from '../../server/live/message-tracker';
import type { ControlPlaneEvents } from '../../server/control-plane';
import type { ConsumeEvent, SendOutcome } from '../../broker/ipc';

const outcome = (id: string, seq: number, extra: Partial<SendOutcome> = {}): SendOutcome => ({ id, queueId: 1, seq, sentAtMs: 1000, latencyMs: 3, status: 'SEND_OK', ...extra });
const consume = (id: string, kind: ConsumeEvent['kind'], atMs: number, reconsumeTimes = 0): ConsumeEvent => ({
  kind, id, topic: 'TopicTest', brokerName: 'broker-a', queueId: 1, queueOffset: 7, reconsumeTimes, atMs, producerId: 'p1', queue: 'broker-a:1', seq: 1,
});
const stage = (atMs: number, stored: [string, number, number][], extra: { flushedOffset?: number; replicatedOffset?: number; dlq?: string[] } = {}) => ({ type: 'stage' as const, atMs, stored, ...extra });

test('message tracker - a message climbs the whole ladder', () => {
  const t = new MessageTracker();
  const omid = `7F00000100002A9F${(100).toString(16).toUpperCase().padStart(16, '0')}`;
  t.addOutcomes([outcome('A', 1, { offsetMsgId: omid, queueOffset: 7 })], { producerId: 'p1', topic: 'TopicTest' });
  t.addStage(stage(1002, [['A', 100, 50]]));
  t.addStage(stage(1010, [], { flushedOffset: 149 }));
  assert.equal(t.get('A')!.flushedAt, null, 'a watermark short of the end does not flush');
  t.addStage(stage(1020, [], { flushedOffset: 150, replicatedOffset: 150 }));
  t.addConsumeEvents([consume('A', 'delivered', 1030), consume('A', 'consumed', 1035)]);
  const r = t.get('A')!;
  assert.equal(r.storedAt, 1002);
  assert.equal(r.flushedAt, 1020);
  assert.equal(r.replicatedAt, 1020);
  assert.equal(r.consumedAt, 1035);
  assert.equal(r.producerId, 'p1');
  assert.equal(r.queue, 'broker-a:1');
  assert.deepEqual(messageLadder(r).map((s) => [s.stage, s.atMs, s.deltaMs]), [
    ['sent', 1000, null], ['stored', 1002, 2], ['flushed', 1020, 18], ['replicated', 1020, 0], ['delivered', 1030, 10], ['consumed', 1035, 5],
  ]);
  assert.equal(t.byCommitLogOffset(100)?.id, 'A');
  assert.equal(t.byOffsetMessageId(omid.toLowerCase())?.id, 'A');
  assert.equal(offsetFromOffsetMsgId(omid), 100);
  assert.equal(offsetFromOffsetMsgId('nope'), null);
});

test('message tracker - reconsumes, DLQ and suppressed duplicates are counted', () => {
  const t = new MessageTracker();
  t.addConsumeEvents([
    consume('B', 'delivered', 10), consume('B', 'reconsume', 11),
    consume('B', 'delivered', 20, 1), consume('B', 'reconsume', 21),
    consume('B', 'duplicate-suppressed', 30),
  ]);
  t.addStage(stage(40, [], { dlq: ['B'] }));
  const r = t.get('B')!;
  assert.equal(r.deliveryCount, 2);
  assert.deepEqual(r.deliveries.map((d) => d.reconsumeTimes), [0, 1]);
  assert.equal(r.reconsumes, 2);
  assert.equal(r.duplicatesSuppressed, 1);
  assert.equal(r.dlqAt, 40);
  assert.equal(r.consumedAt, null);
  assert.deepEqual(t.recent(10, 'dlq').map((m) => m.id), ['B']);
  assert.deepEqual(t.recent(10, 'not-consumed').map((m) => m.id), []);
});

test('message tracker - a power cut confirms what survived and never confirms what was cut', () => {
  const t = new MessageTracker();
  t.addOutcomes([outcome('A', 1), outcome('B', 2)]);
  t.addStage(stage(1, [['A', 0, 10], ['B', 10, 10]]));
  t.powerCut({ type: 'powerCut', cut: [], flushedOffset: 10, maxOffset: 20 }, 5);
  assert.equal(t.get('A')!.flushedAt, 5, 'its bytes were inside the fdatasync\'d length');
  assert.equal(t.get('B')!.cutAt, 5);
  assert.equal(t.get('A')!.frontierLostAt, 5, 'replication was not confirmed before the cut');
  // after the restart a new message reuses B's offset; the watermark passes it
  t.addStage(stage(9, [['C', 10, 10]], { flushedOffset: 20, replicatedOffset: 20 }));
  assert.equal(t.get('B')!.flushedAt, null);
  assert.equal(t.get('B')!.replicatedAt, null);
  assert.equal(t.get('C')!.flushedAt, 9);
  assert.equal(t.byCommitLogOffset(10)?.id, 'C', 'the offset now names the new record');
  assert.ok(isLost(t.get('B')!));
  assert.deepEqual(t.recent(10, 'lost').map((m) => m.id), ['B']);
});

test('message tracker - a broker exit forgets the frontier of unconfirmed messages', () => {
  const t = new MessageTracker();
  const source = new EventEmitter<ControlPlaneEvents>();
  t.attach(source);
  source.emit('stage', stage(1, [['A', 0, 10], ['B', 10, 10]], { flushedOffset: 10 }));
  source.emit('clusterEvent', { kind: 'process.crashed', subject: 'broker', message: 'crashed', detail: {}, atMs: 3 });
  source.emit('stage', stage(5, [], { flushedOffset: 20, replicatedOffset: 20 }));
  assert.equal(t.get('A')!.flushedAt, 1);
  assert.equal(t.get('B')!.flushedAt, null, 'not marked by the restarted broker\'s watermark');
  assert.equal(t.get('B')!.frontierLostAt, 3);
  assert.equal(t.get('A')!.replicatedAt, null);
});

test('message tracker - offsets going backwards also reset the frontier', () => {
  const t = new MessageTracker();
  t.addStage(stage(1, [['A', 100, 10]]));
  t.addStage(stage(2, [['B', 0, 10]], { flushedOffset: 110 }));
  assert.equal(t.get('A')!.flushedAt, null);
  assert.equal(t.get('A')!.frontierLostAt, 2);
  assert.equal(t.get('B')!.flushedAt, 2);
});

test('message tracker - bounded: the oldest records are evicted with their indexes', () => {
  const t = new MessageTracker(3);
  t.addStage(stage(1, [['A', 0, 10], ['B', 10, 10], ['C', 20, 10], ['D', 30, 10]]));
  assert.equal(t.size, 3);
  assert.equal(t.get('A'), undefined);
  assert.equal(t.byCommitLogOffset(0), undefined);
  assert.deepEqual(t.recent(2).map((m) => m.id), ['D', 'C']);
  t.addStage(stage(2, [], { flushedOffset: 40 }));
  assert.equal(t.get('D')!.flushedAt, 2);
});
