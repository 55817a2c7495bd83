/**
 * The loss ledger folds settled messages into its counts so a long run fits in bounded memory. Folding
 * must not change what the run is judged to have done: the same seeded streams (losses, failed sends
 * after a fault, redeliveries soon and long after the first delivery, suppressed duplicates, foreign
 * messages) go into a ledger that never folds and one that folds eagerly, and their summaries, counts
 * and anomalies must agree, while the folding one holds only the messages still open.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_FOLD, LossLedger } from '../../server/drills/loss-ledger';
import { ledgerStream, type StreamShape } from '../support/ledger-stream';

const T0 = 1_700_000_000_000;
const shape = (seed: number): StreamShape => ({
  seed, startMs: T0, rate: 800, durationMs: 12_000, producers: 2, queues: 3,
  lossRate: 0.01, soonRedeliveryRate: 0.02, lateRedeliveryRate: 0.02, lateRedeliveryMs: 6_000,
  faultAtMs: T0 + 5_000, faultForMs: 400, foreignRate: 0.1,
});
const eager = { above: 100, quietMs: 2_000, everyMs: 200, afterFaultKept: 50, unexpectedKept: 3 };

function feed(ledger: LossLedger, s: StreamShape, onTick?: () => void): void {
  for (let p = 0; p < s.producers; p++) ledger.addProducer(`producer-${p}`);
  for (const tick of ledgerStream(s)) {
    if (tick.fault) ledger.markFault(s.faultAtMs!);
    ledger.addOutcomes(tick.outcomes);
    ledger.addStage(tick.stage);
    ledger.addConsumeEvents(tick.consumed);
    onTick?.();
  }
}

const rowKeys = (rows: { kind: string; messageId: string }[], kinds: string[]) =>
  rows.filter((r) => kinds.includes(r.kind)).map((r) => `${r.kind} ${r.messageId}`).sort();

for (const seed of [1, 2, 3]) {
  test(`loss-ledger fold - seed ${seed}: a ledger that folds judges the run exactly as one that holds every message`, () => {
    const whole = new LossLedger(T0, 5000, { ...DEFAULT_FOLD, above: Infinity });
    const folding = new LossLedger(T0, 5000, eager);
    feed(whole, shape(seed));
    let mostHeld = 0;
    feed(folding, shape(seed), () => (mostHeld = Math.max(mostHeld, folding.heldMessages())));

    const a = whole.summarize();
    const b = folding.summarize();
    assert.equal(a.summary.folded, undefined);
    assert.ok((b.summary.folded ?? 0) > 5_000, `folded ${b.summary.folded}`);
    // What the run did: every count, the gaps and the recovery time agree.
    const { folded: _f, anomalies: anomaliesB, ...restB } = b.summary;
    const { anomalies: anomaliesA, ...restA } = a.summary;
    assert.deepEqual(restB, restA);
    assert.equal(anomaliesB.total, anomaliesA.total);
    assert.ok(a.summary.lostAcked > 0 && a.summary.duplicated > 0 && a.summary.redeliveries > 0 && a.summary.duplicatesSuppressed > 0);
    assert.ok(a.summary.recovery.rtoMs !== null && a.summary.recovery.failedSends > eager.afterFaultKept, 'the fault outlasts the kept window');
    assert.ok(a.summary.unexpected > eager.unexpectedKept, 'foreign messages outnumber the kept ids');
    // The rows: every lost, duplicated and gap row of one is in the other.
    assert.deepEqual(rowKeys(b.anomalies, ['lost', 'duplicated', 'gap']), rowKeys(a.anomalies, ['lost', 'duplicated', 'gap']));
    assert.deepEqual(folding.counts(), whole.counts());
    assert.equal(folding.outstanding(), whole.outstanding());
    assert.equal(folding.consumerProgress(), whole.consumerProgress());
    // It held a few seconds of traffic, not the run (9,600 messages).
    assert.ok(mostHeld < 4_500, `held at most ${mostHeld}`);
    assert.ok(folding.heldMessages() < a.summary.lostTotal + eager.above + 1, `held at the end ${folding.heldMessages()}`);
  });
}

test('loss-ledger fold - a message still open is never folded: unconsumed, unanswered or an undecided transaction', () => {
  const ledger = new LossLedger(T0, 5000, { ...eager, above: 0, quietMs: 10, everyMs: 0 });
  ledger.addProducer('p');
  const base = { producerId: 'p', queue: 'broker-a:0', topic: 'T', brokerName: 'broker-a', queueId: 0, reconsumeTimes: 0 };
  ledger.addOutcomes([{ id: 'unconsumed', queueId: 0, seq: 1, sentAtMs: T0, latencyMs: 1, status: 'SEND_OK' }]);
  ledger.addStage({ atMs: T0, stored: [['unconsumed', 0, 100], ['unanswered', 100, 100], ['tx', 200, 100]] });
  ledger.addTransactionEvents('p', [{ kind: 'half', id: 'tx', queue: 'broker-a:0', queueId: 0, seq: 3, sentAtMs: T0, latencyMs: 1, status: 'SEND_OK' }]);
  ledger.addConsumeEvents([
    { ...base, kind: 'consumed', id: 'unanswered', seq: 2, queueOffset: 1, atMs: T0 + 1 },
    { ...base, kind: 'consumed', id: 'tx', seq: 3, queueOffset: 2, atMs: T0 + 1 },
  ]);
  ledger.addConsumeEvents([{ ...base, kind: 'delivered', id: 'later', seq: 9, queueOffset: 9, atMs: T0 + 60_000 }]);
  assert.equal(ledger.heldMessages(), 4);
  assert.equal(ledger.summarize().summary.folded, undefined);
});
