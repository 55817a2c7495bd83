/**
 * The loss ledger with hand-made events: what producers were told, what the broker stored and made
 * durable, what consumers applied; lost (by status and last stage), duplicated, unexpected, gaps,
 * recovery time and the verdict against a prediction.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LossLedger, judge } from '../../server/drills/loss-ledger';
import type { ConsumeEvent, SendOutcome } from '../../broker/ipc';
import type { DrillPrediction } from '../../server/drills/types';

const T0 = 1_000_000;
const P = 'p1';
const sent = (id: string, seq: number, status: SendOutcome['status'] = 'SEND_OK', sentAtMs = T0 + seq * 10, latencyMs = 2): SendOutcome =>
  ({ id, queueId: 0, seq, sentAtMs, latencyMs, status });
const consume = (id: string, seq: number, kind: ConsumeEvent['kind'] = 'consumed', producerId = P): ConsumeEvent =>
  ({ kind, id, producerId, queue: 'broker-a:0', seq, topic: 'T', brokerName: 'broker-a', queueId: 0, queueOffset: seq - 1, reconsumeTimes: 0, atMs: T0 + 5000 });
const deliverAndConsume = (id: string, seq: number): ConsumeEvent[] => [consume(id, seq, 'delivered'), consume(id, seq)];

const noLoss: DrillPrediction = { text: 'SYNC_FLUSH + power loss: no SEND_OK message is lost.', sendOkLossPossible: false, mayLose: ['FLUSH_DISK_TIMEOUT'], expectedStatuses: [], duplicatesPossible: true };
const lossOk: DrillPrediction = { ...noLoss, text: 'ASYNC_FLUSH + power loss: SEND_OK messages in the unflushed window may be lost.', sendOkLossPossible: true };

test('loss-ledger - a message consumed once is not an anomaly; the counts add up', () => {
  const ledger = new LossLedger(T0);
  ledger.addProducer(P);
  ledger.addOutcomes([sent('a', 1), sent('b', 2)]);
  ledger.addStage({ stored: [['a', 0, 100], ['b', 100, 100]], flushedOffset: 200 });
  ledger.addConsumeEvents([...deliverAndConsume('a', 1), ...deliverAndConsume('b', 2)]);
  const { summary, anomalies } = ledger.summarize();
  assert.equal(summary.attempted, 2);
  assert.equal(summary.acknowledged.SEND_OK, 2);
  assert.equal(summary.consumed, 2);
  assert.equal(summary.lostTotal, 0);
  assert.equal(summary.duplicated, 0);
  assert.equal(summary.gaps, 0);
  assert.deepEqual(anomalies, []);
  assert.equal(ledger.outstanding(), 0);
  assert.equal(judge(summary, noLoss).verdict, 'PASS');
});

test('loss-ledger - a lost SEND_OK message carries the last stage it reached, judged per epoch', () => {
  const ledger = new LossLedger(T0);
  ledger.addProducer(P);
  ledger.addOutcomes([sent('a', 1), sent('b', 2), sent('c', 3), sent('d', 4), sent('e', 5)]);
  // a: flushed (end 100 ≤ 150); b: stored past the flushed offset; d: delivered but never applied;
  // e: answered SEND_OK but its stage batch never arrived (the broker died first).
  ledger.addStage({ stored: [['a', 0, 100], ['b', 100, 100], ['d', 250, 50]], flushedOffset: 150 });
  ledger.addConsumeEvents([consume('d', 4, 'delivered')]);
  // After a power cut the master re-uses offsets past its flushed watermark: a later, higher flushed
  // offset of the new incarnation must not make b look durable. c (new epoch) reached the slave.
  ledger.newEpoch();
  ledger.addStage({ stored: [['c', 0, 50], ['z', 100, 500]], flushedOffset: 10_000, replicatedOffset: 50 });
  const { summary, anomalies } = ledger.summarize();
  assert.equal(summary.lostAcked, 5);
  const stageOf = (id: string) => anomalies.find((a) => a.messageId === id && a.kind === 'lost')?.lastStage;
  assert.equal(stageOf('a'), 'flushed');
  assert.equal(stageOf('b'), 'stored');
  assert.equal(stageOf('c'), 'replicated');
  assert.equal(stageOf('d'), 'delivered');
  assert.equal(stageOf('e'), 'stored');
  assert.equal(summary.lostByStage.stored, 2);
  assert.equal(judge(summary, noLoss).verdict, 'FAIL');
  assert.equal(judge(summary, lossOk).verdict, 'LOSS_EXPECTED');
});

test('loss-ledger - lost messages are broken down by the status the producer saw', () => {
  const ledger = new LossLedger(T0);
  ledger.addProducer(P);
  ledger.addOutcomes([sent('a', 1, 'ERROR'), sent('b', 2, 'TIMEOUT'), sent('c', 3, 'FLUSH_DISK_TIMEOUT'), sent('d', 4), { ...sent('', -1, 'ERROR') }]);
  ledger.addConsumeEvents(deliverAndConsume('d', 4));
  const { summary } = ledger.summarize();
  assert.equal(summary.attempted, 5, 'an outcome without an id (refused before it was stamped) is still an attempt');
  assert.equal(summary.acknowledged.ERROR, 2);
  assert.deepEqual([summary.lost.ERROR, summary.lost.TIMEOUT, summary.lost.FLUSH_DISK_TIMEOUT, summary.lost.SEND_OK], [1, 1, 1, 0]);
  // FLUSH_DISK_TIMEOUT may be lost under this prediction; ERROR and TIMEOUT were told failed.
  const verdict = judge(summary, noLoss);
  assert.equal(verdict.verdict, 'LOSS_EXPECTED');
  // Without FLUSH_DISK_TIMEOUT in mayLose, losing it breaks a guarantee.
  assert.equal(judge(summary, { ...noLoss, mayLose: [] }).verdict, 'FAIL');
  // Only failed sends lost: that is no loss at all.
  const onlyFailed = new LossLedger(T0);
  onlyFailed.addProducer(P);
  onlyFailed.addOutcomes([sent('a', 1, 'ERROR')]);
  assert.equal(judge(onlyFailed.summarize().summary, noLoss).verdict, 'PASS');
});

test('loss-ledger - duplicates, suppressed redeliveries and the best status of a retried send', () => {
  const ledger = new LossLedger(T0);
  ledger.addProducer(P);
  ledger.addOutcomes([sent('a', 1, 'TIMEOUT'), sent('a', 1, 'SEND_OK'), sent('b', 2), sent('c', 3)]);
  ledger.addConsumeEvents([...deliverAndConsume('a', 1), ...deliverAndConsume('a', 1), ...deliverAndConsume('b', 2), consume('c', 3, 'delivered'), consume('c', 3), consume('c', 3, 'delivered'), consume('c', 3, 'duplicate-suppressed')]);
  const { summary, anomalies } = ledger.summarize();
  assert.equal(summary.acknowledged.SEND_OK, 3, 'a retried send that ended SEND_OK counts once, as SEND_OK');
  assert.equal(summary.duplicated, 1);
  assert.equal(summary.redeliveries, 2);
  assert.equal(summary.duplicatesSuppressed, 1);
  assert.equal(summary.lostTotal, 0);
  assert.deepEqual(anomalies.map((a) => [a.messageId, a.kind]), [['a', 'duplicated']]);
  assert.match(judge(summary, noLoss).reason, /applied twice/);
});

test('loss-ledger - unexpected messages, in-flight messages of a dead producer, and open sequence gaps', () => {
  const ledger = new LossLedger(T0);
  ledger.addProducer(P);
  ledger.addOutcomes([sent('a', 1), sent('c', 3)]);
  // b's outcome never arrived (the producer died); it was stored and consumed: ours, status UNKNOWN.
  ledger.addConsumeEvents([...deliverAndConsume('a', 1), ...deliverAndConsume('b', 2), ...deliverAndConsume('x', 1).map((e) => ({ ...e, producerId: 'stranger' }))]);
  ledger.addConsumeEvents(deliverAndConsume('c', 4));
  ledger.addOutcomes([sent('d', 5)]);
  ledger.addConsumeEvents(deliverAndConsume('d', 6));
  const { summary, anomalies } = ledger.summarize();
  assert.equal(summary.unexpected, 1);
  assert.equal(summary.acknowledged.UNKNOWN, 1);
  assert.equal(summary.consumed, 4);
  assert.equal(summary.gaps, 2, 'numbers 3 and 5 of the stream were never applied');
  assert.deepEqual(summary.gapStreams[0].missing, [3, 5]);
  assert.ok(anomalies.some((a) => a.kind === 'unexpected' && a.messageId === 'x'));
  assert.ok(anomalies.some((a) => a.kind === 'gap'));
  assert.equal(judge(summary, lossOk).verdict, 'FAIL', 'a message nobody sent is always a failure');
});

test('loss-ledger - recovery time runs from the first failed send after the fault to the first SEND_OK after it', () => {
  const ledger = new LossLedger(T0);
  ledger.addProducer(P);
  ledger.addOutcomes([sent('a', 1, 'SEND_OK', T0 + 100)]);
  ledger.markFault(T0 + 1000);
  ledger.addOutcomes([
    sent('b', 2, 'SEND_OK', T0 + 1001, 1),
    sent('c', 3, 'ERROR', T0 + 1100, 50),
    sent('d', 4, 'TIMEOUT', T0 + 1200, 3000),
    sent('e', 5, 'SEND_OK', T0 + 2500, 20),
  ]);
  const { summary } = ledger.summarize();
  assert.equal(summary.recovery.faultAtT, 1000);
  assert.equal(summary.recovery.firstFailureT, 1100);
  assert.equal(summary.recovery.firstOkAfterT, 2520);
  assert.equal(summary.recovery.rtoMs, 1420);
  assert.equal(summary.recovery.failedSends, 2);
});

test('loss-ledger - anomaly rows are capped and the summary says so', () => {
  const ledger = new LossLedger(T0, 3);
  ledger.addProducer(P);
  ledger.addOutcomes(Array.from({ length: 10 }, (_, i) => sent(`m${i}`, i + 1)));
  const { summary, anomalies } = ledger.summarize();
  assert.equal(anomalies.length, 3);
  assert.deepEqual(summary.anomalies, { total: 10, recorded: 3, capped: true, cap: 3 });
  assert.equal(summary.lostAcked, 10);
});

test('loss-ledger - a power cut report sets the durable watermark of its epoch', () => {
  const ledger = new LossLedger(T0);
  ledger.addProducer(P);
  ledger.addOutcomes([sent('a', 1), sent('b', 2)]);
  ledger.addStage({ stored: [['a', 0, 100], ['b', 100, 100]] });
  ledger.addPowerCut({ cut: [{ lostBytes: 100 }], flushedOffset: 100, maxOffset: 200 });
  const { summary, anomalies } = ledger.summarize();
  assert.deepEqual(summary.powerCut, { lostBytes: 100, flushedOffset: 100, maxOffset: 200 });
  assert.equal(anomalies.find((a) => a.messageId === 'a')?.lastStage, 'flushed');
  assert.equal(anomalies.find((a) => a.messageId === 'b')?.lastStage, 'stored');
});
