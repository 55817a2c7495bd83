/**
 * The loss ledger of one drill run, per message, in the manner of Jepsen's total-queue checker:
 * what producers attempted and were told (SendOutcome), what the broker stored and made durable
 * (stage batches: stored records, flushed and replicated offsets), what consumers were handed and
 * applied (ConsumeEvent). At the end it lists every lost message (never applied) with the status the
 * producer saw and the last stage it reached, every duplicate, every unexpected message (consumed
 * but never sent by this run), the open sequence gaps per producer and queue, and the recovery time.
 *
 * The per-message bookkeeping (stored copy, flushed and replicated watermarks, consumer reports) is
 * the message ledger core's (server/ledger/message-ledger.ts), unbounded here: a run judges every
 * message it saw. Offsets are compared within one broker incarnation (an epoch): after a power cut the
 * master re-uses the offsets past its flushed watermark, so a new epoch forgets the frontier of every
 * record not yet confirmed, and each epoch keeps its own watermarks for the report.
 */
import type { ConsumeEvent, SendOutcome } from '../../broker/ipc';
import type { TransactionEvent } from '../traffic/transaction-runner-types';
import { SequenceChecker } from '../../broker/client/sequence-checker';
import { BROKER_ANSWERED, MessageLedger, newMessageEntry, type MessageEntry } from '../ledger/message-ledger';
import {
  ANOMALY_CAP, LEDGER_STAGES, LEDGER_STATUSES,
  type AnomalyKind, type DrillPrediction, type LedgerCounts, type LedgerStage, type LedgerStatus, type LedgerSummary, type RecoveryView, type SequenceGapView, type Verdict,
} from './types';

interface MessageRecord extends MessageEntry {
  status?: LedgerStatus;
  sentAtMs?: number;
  error?: string;
  /** the epoch of the stored copy that counts */
  epoch?: number;
  /** times a consumer applied it (CONSUME_SUCCESS); more than one is a duplicate */
  applied: number;
  /** a transactional message: the seeded decision, whether its producer ended it, whether a check-back resolved it */
  tx?: { decision?: 'COMMIT' | 'ROLLBACK'; ended: boolean; checked: boolean };
}

function newRecord(id: string, at: number): MessageRecord {
  return { ...newMessageEntry(id, at), applied: 0 };
}

/** Consumed, in the ledger's sense: applied, or suppressed as a duplicate of an earlier application. */
const isApplied = (m: MessageRecord) => m.applied + m.duplicatesSuppressed > 0;
/** The anomaly detail keeps the JSON it always had: a field never reported is left out, not null. */
const orUndefined = <T>(v: T | null): T | undefined => v ?? undefined;

export interface AnomalyRow {
  messageId: string;
  kind: AnomalyKind;
  sendStatus: LedgerStatus | null;
  lastStage: LedgerStage | null;
  detail: Record<string, unknown>;
}

/** The producer was told its message may not exist: losing it breaks nothing. */
const TOLD_FAILED = new Set<LedgerStatus>(['ERROR', 'TIMEOUT', 'UNKNOWN']);
/** When two outcomes name one message, the best one counts (a retry may succeed after a timeout). */
const STATUS_RANK: Record<LedgerStatus, number> = {
  SEND_OK: 7, FLUSH_DISK_TIMEOUT: 6, FLUSH_SLAVE_TIMEOUT: 5, SLAVE_NOT_AVAILABLE: 4, UNCHECKED: 3, TIMEOUT: 2, ERROR: 1, UNKNOWN: 0,
};

const zeroStatuses = (): Record<LedgerStatus, number> => Object.fromEntries(LEDGER_STATUSES.map((s) => [s, 0])) as Record<LedgerStatus, number>;
const zeroStages = (): Record<LedgerStage, number> => Object.fromEntries(LEDGER_STAGES.map((s) => [s, 0])) as Record<LedgerStage, number>;

export class LossLedger {
  /** unbounded: a run judges every message; the copy first stored is judged, as the report has always done */
  private readonly messages = new MessageLedger<MessageRecord>({ create: newRecord, keepFirstCopy: true });
  private readonly producers = new Set<string>();
  /** outcomes without a message id (the send failed before the message was stamped) */
  private readonly anonymous = zeroStatuses();
  private anonymousCount = 0;
  private epoch = 0;
  private readonly flushedByEpoch = new Map<number, number>();
  private readonly replicatedByEpoch = new Map<number, number>();
  /** the group whose watermarks the report's epochs show (the first that reported) */
  private reportedGroup: string | undefined;
  private readonly unexpected = new Map<string, { count: number; producerId?: string; topic: string }>();
  private readonly sequence = new SequenceChecker();
  private faultAtMs: number | undefined;
  /** outcomes of sends started after the fault: [sentAtMs, completedAtMs, ok] */
  private readonly afterFault: [number, number, boolean][] = [];
  private powerCut: LedgerSummary['powerCut'] = null;
  private readonly errors = new Map<string, LedgerSummary['errors'][number]>();
  private readonly live = { stored: 0, delivered: 0, consumed: 0, duplicated: 0 };
  private transactional = false;
  private checksAnswered = 0;
  /** producerId|queue|seq of rolled-back messages: their sequence numbers are absent by design */
  private readonly rolledBackSeqs = new Set<string>();

  constructor(private readonly startedAtMs: number, private readonly anomalyCap = ANOMALY_CAP) {}

  /** A producer of this run: its messages are expected, anyone else's are unexpected. */
  addProducer(producerId: string): void {
    this.producers.add(producerId);
  }

  /** The master restarted (or a slave was promoted): offsets after this are of a new incarnation. */
  newEpoch(atMs = Date.now()): void {
    this.epoch++;
    this.messages.forgetFrontier(atMs);
  }

  /** The fault started now: the recovery time is measured from the first failed send after it. */
  markFault(atMs: number): void {
    if (this.faultAtMs === undefined) this.faultAtMs = atMs;
  }

  addOutcomes(outcomes: SendOutcome[]): void {
    for (const o of outcomes) {
      if (o.error) {
        // Group by the message without numbers (offsets, ports and timings differ from send to send).
        const key = `${o.status}|${o.error.replace(/\d+/g, 'N').slice(0, 200)}`;
        const e = this.errors.get(key);
        if (e) e.count++;
        else if (this.errors.size < 10) this.errors.set(key, { status: o.status, error: o.error.slice(0, 300), count: 1 });
      }
      if (this.faultAtMs !== undefined && o.sentAtMs >= this.faultAtMs) {
        this.afterFault.push([o.sentAtMs, o.sentAtMs + o.latencyMs, o.status === 'SEND_OK']);
      }
      if (!o.id) {
        this.anonymous[o.status]++;
        this.anonymousCount++;
        continue;
      }
      const m = this.messages.entry(o.id, o.sentAtMs);
      if (m.status === undefined || m.status === 'UNKNOWN' || STATUS_RANK[o.status] > STATUS_RANK[m.status]) {
        m.status = o.status;
        m.error = o.error;
      }
      m.sentAtMs ??= o.sentAtMs;
      if (o.seq >= 0) m.seq ??= o.seq;
    }
  }

  /**
   * What a transaction runner reported: half messages (their send outcome and seeded decision), the
   * transactions it ended, the check-backs it answered. A rolled-back message must never be consumed;
   * a committed one is judged like any SEND_OK message.
   */
  addTransactionEvents(producerId: string, events: TransactionEvent[]): void {
    this.transactional = true;
    const outcomes: SendOutcome[] = [];
    for (const e of events) {
      if (e.kind === 'half') {
        outcomes.push({ id: e.id, queueId: e.queueId, seq: e.seq, sentAtMs: e.sentAtMs, latencyMs: e.latencyMs, status: e.status, ...(e.error ? { error: e.error } : {}) });
        if (!e.id) continue;
        const m = this.messages.entry(e.id, e.sentAtMs);
        m.producerId ??= producerId;
        if (e.queue) m.queue ??= e.queue;
        m.tx ??= { ended: false, checked: false };
        if (e.decision) m.tx.decision = e.decision;
        if (e.decision === 'ROLLBACK' && e.queue) this.rolledBackSeqs.add(`${producerId}|${e.queue}|${e.seq}`);
        continue;
      }
      const m = this.messages.entry(e.id, e.atMs);
      m.tx ??= { ended: false, checked: false };
      m.tx.decision = e.decision;
      if (e.kind === 'ended') m.tx.ended = true;
      else {
        m.tx.checked = true;
        this.checksAnswered++;
        m.producerId ??= e.producerId;
      }
    }
    this.addOutcomes(outcomes);
  }

  /**
   * A master's stage batch; `brokerName` names its group when there are several (each has its own
   * commit log). The epochs' watermarks of the report are the first group's that reported.
   */
  addStage(batch: { atMs?: number; stored: [string, number, number][]; flushedOffset?: number; replicatedOffset?: number; brokerName?: string }): void {
    const at = batch.atMs ?? Date.now();
    const group = batch.brokerName ?? '';
    for (const [id, offset, size] of batch.stored) {
      const { record: m, counts } = this.messages.stored(id, offset, size, at, group);
      if (counts) m.epoch = this.epoch;
      if (m.storedCount === 1) this.live.stored++;
    }
    this.messages.watermarks(batch, at, group);
    this.reportedGroup ??= group;
    if (group !== this.reportedGroup) return;
    if (batch.flushedOffset !== undefined) this.flushedByEpoch.set(this.epoch, Math.max(this.flushedByEpoch.get(this.epoch) ?? 0, batch.flushedOffset));
    if (batch.replicatedOffset !== undefined) this.replicatedByEpoch.set(this.epoch, Math.max(this.replicatedByEpoch.get(this.epoch) ?? 0, batch.replicatedOffset));
  }

  /** The broker's power-cut report: its files were cut to flushedOffset; that is the epoch's durable watermark. */
  addPowerCut(cut: { cut: { lostBytes: number }[]; flushedOffset: number; maxOffset: number; brokerName?: string }, atMs = Date.now()): void {
    this.powerCut = { lostBytes: cut.cut.reduce((n, c) => n + c.lostBytes, 0), flushedOffset: cut.flushedOffset, maxOffset: cut.maxOffset };
    this.flushedByEpoch.set(this.epoch, cut.flushedOffset);
    this.messages.powerCut(cut.flushedOffset, atMs, cut.brokerName ?? '');
  }

  addConsumeEvents(events: ConsumeEvent[]): void {
    for (const e of events) {
      if (e.kind === 'reconsume') continue;
      let m = this.messages.get(e.id);
      if (!m) {
        if (!e.producerId || !this.producers.has(e.producerId)) {
          const u = this.unexpected.get(e.id) ?? { count: 0, producerId: e.producerId, topic: e.topic };
          u.count++;
          this.unexpected.set(e.id, u);
          continue;
        }
        // One of ours whose outcome never reached us (the producer died with it in flight).
        m = this.messages.entry(e.id, e.atMs);
      }
      const firstDelivery = m.deliveryCount === 0;
      const firstApplied = !isApplied(m);
      this.messages.consume(m, e);
      if (e.kind === 'delivered') {
        if (firstDelivery) this.live.delivered++;
        continue;
      }
      if (firstApplied) {
        this.live.consumed++;
        if (e.producerId && e.queue && e.seq !== undefined) this.sequence.observe({ producerId: e.producerId, queue: e.queue, seq: e.seq });
      }
      if (e.kind === 'consumed') {
        m.applied++;
        if (m.applied === 2) this.live.duplicated++;
      }
    }
  }

  /**
   * In a transactional run the broker also stores its own records (the op messages that mark a half
   * message ended): ids nobody sent, nobody reported and nobody consumed are not the run's messages.
   */
  private isSystemRecord(m: MessageRecord): boolean {
    return this.transactional && !m.tx && m.status === undefined && !isApplied(m) && m.deliveryCount === 0;
  }

  /** Half messages whose producer never ended them and no check-back has resolved yet. */
  unresolvedHalves(): number {
    let n = 0;
    for (const m of this.messages.values()) if (m.tx && m.status === 'SEND_OK' && !m.tx.ended && !m.tx.checked) n++;
    return n;
  }

  /** A number that moves whenever a consumer is handed, applies or re-applies a message (the drain's "nothing new" signal). */
  consumerProgress(): number {
    return this.live.delivered + this.live.consumed + this.live.duplicated;
  }

  /** Messages a consumer applied (counts().consumed, without a pass over the ledger). */
  appliedCount(): number {
    return this.live.consumed;
  }

  /** Messages the producer believes were sent (SEND_OK, a *_TIMEOUT answer, SLAVE_NOT_AVAILABLE, UNCHECKED) not applied yet. */
  outstanding(): number {
    let n = 0;
    for (const m of this.messages.values()) {
      if (!isApplied(m) && m.status !== undefined && !TOLD_FAILED.has(m.status) && m.tx?.decision !== 'ROLLBACK') n++;
    }
    return n;
  }

  counts(): LedgerCounts {
    const byStatus = { ...this.anonymous };
    let attempted = this.anonymousCount;
    for (const m of this.messages.values()) {
      if (this.isSystemRecord(m)) continue;
      byStatus[m.status ?? 'UNKNOWN']++;
      attempted++;
    }
    return {
      attempted,
      byStatus,
      stored: this.live.stored,
      delivered: this.live.delivered,
      consumed: this.live.consumed,
      duplicated: this.live.duplicated,
      unexpected: this.unexpected.size,
    };
  }

  /** The furthest stage a message reached (delivered and consumed come from consumers, the rest from the broker). */
  lastStage(m: MessageRecord): LedgerStage {
    if (isApplied(m)) return 'consumed';
    if (m.deliveryCount > 0) return 'delivered';
    const durable = this.messages.durableStage(m);
    if (durable) return durable;
    // The broker answered, so the record was appended even if its stage batch never arrived (it died first).
    if (m.status && BROKER_ANSWERED.has(m.status)) return 'stored';
    return 'sent';
  }

  private recovery(): RecoveryView {
    const at = (ms: number | null) => (ms === null ? null : Math.round(ms - this.startedAtMs));
    const sorted = [...this.afterFault].sort((a, b) => a[0] - b[0]);
    const firstFailure = sorted.find(([, , ok]) => !ok);
    let firstOkAfter: number | null = null;
    if (firstFailure) {
      for (const [sent, done, ok] of sorted) {
        if (ok && sent > firstFailure[0] && (firstOkAfter === null || done < firstOkAfter)) firstOkAfter = done;
      }
    }
    const failureMs = firstFailure ? firstFailure[0] : null;
    return {
      faultAtT: at(this.faultAtMs ?? null),
      firstFailureT: at(failureMs),
      firstOkAfterT: at(firstOkAfter),
      rtoMs: failureMs !== null && firstOkAfter !== null ? Math.round(Math.max(0, firstOkAfter - failureMs)) : null,
      failedSends: sorted.filter(([, , ok]) => !ok).length,
    };
  }

  /** Judges the run: the summary, and the per-message anomaly rows (capped). */
  summarize(): { summary: LedgerSummary; anomalies: AnomalyRow[] } {
    const acknowledged = { ...this.anonymous };
    const lost = zeroStatuses();
    const lostByStage = zeroStages();
    const anomalies: AnomalyRow[] = [];
    let total = 0;
    const push = (row: AnomalyRow) => {
      total++;
      if (anomalies.length < this.anomalyCap) anomalies.push(row);
    };
    let consumed = 0;
    let delivered = 0;
    let stored = 0;
    let duplicated = 0;
    let redeliveries = 0;
    let suppressed = 0;
    const tx = { committed: 0, rolledBack: 0, rolledBackDelivered: 0, openAtEnd: 0, halfOpenResolved: 0, halfOpen: 0, checksAnswered: this.checksAnswered };
    let attempted = this.anonymousCount;
    for (const m of this.messages.values()) {
      if (this.isSystemRecord(m)) continue;
      attempted++;
      const status = m.status ?? 'UNKNOWN';
      acknowledged[status]++;
      if (m.tx?.decision === 'COMMIT') tx.committed++;
      if (m.tx && status === 'SEND_OK' && !m.tx.ended) {
        // A half message its producer never ended (it died first): only a check-back can resolve it.
        tx.halfOpen++;
        // Resolved: a check-back answered for it, or it was committed and consumed (either way it is not left half).
        if (m.tx.checked || isApplied(m)) tx.halfOpenResolved++;
      }
      if (m.tx?.decision === 'ROLLBACK') {
        tx.rolledBack++;
        if (m.storedAt !== null) stored++;
        if (m.deliveryCount > 0) delivered++;
        if (isApplied(m) || m.deliveryCount > 0) {
          tx.rolledBackDelivered++;
          push({ messageId: m.id, kind: 'unexpected', sendStatus: status, lastStage: this.lastStage(m), detail: { rolledBack: true, producerId: orUndefined(m.producerId), queue: orUndefined(m.queue), seq: orUndefined(m.seq), deliveries: m.deliveryCount } });
        }
        continue;
      }
      if (m.tx && status === 'SEND_OK' && m.tx.decision === undefined) tx.openAtEnd++;
      if (m.storedAt !== null) stored++;
      if (m.deliveryCount > 0) delivered++;
      redeliveries += Math.max(0, m.deliveryCount - 1);
      suppressed += m.duplicatesSuppressed;
      const stage = this.lastStage(m);
      if (isApplied(m)) {
        consumed++;
        if (m.applied > 1) {
          duplicated++;
          push({ messageId: m.id, kind: 'duplicated', sendStatus: status, lastStage: stage, detail: { applied: m.applied, deliveries: m.deliveryCount, producerId: orUndefined(m.producerId), queue: orUndefined(m.queue), seq: orUndefined(m.seq) } });
        }
        continue;
      }
      lost[status]++;
      lostByStage[stage]++;
      push({
        messageId: m.id, kind: 'lost', sendStatus: status, lastStage: stage,
        detail: {
          producerId: orUndefined(m.producerId), queue: orUndefined(m.queue), seq: orUndefined(m.seq), error: m.error,
          sentT: m.sentAtMs === undefined ? undefined : m.sentAtMs - this.startedAtMs,
          commitLogOffset: orUndefined(m.commitLogOffset), size: orUndefined(m.size), epoch: m.epoch,
          flushedOffset: m.epoch === undefined ? undefined : this.flushedByEpoch.get(m.epoch),
        },
      });
    }
    for (const [id, u] of this.unexpected) push({ messageId: id, kind: 'unexpected', sendStatus: null, lastStage: 'consumed', detail: u });
    const gapStreams: SequenceGapView[] = [];
    for (const open of this.sequence.openGaps()) {
      // A rolled-back transaction's number is absent by design, not a gap.
      const g = { ...open, missing: open.missing.filter((seq) => !this.rolledBackSeqs.has(`${open.producerId}|${open.queue}|${seq}`)) };
      if (g.missing.length === 0) continue;
      gapStreams.push({ producerId: g.producerId, queue: g.queue, missing: g.missing.slice(0, 50), missingCount: g.missing.length });
      push({ messageId: `${g.producerId}|${g.queue}`, kind: 'gap', sendStatus: null, lastStage: null, detail: { missing: g.missing.slice(0, 200), missingCount: g.missing.length } });
    }
    const lostTotal = Object.values(lost).reduce((a, b) => a + b, 0);
    const lastEpoch = this.epoch;
    const summary: LedgerSummary = {
      attempted,
      acknowledged,
      consumed,
      delivered,
      stored,
      lost,
      lostTotal,
      lostAcked: lost.SEND_OK,
      lostByStage,
      duplicated,
      redeliveries,
      duplicatesSuppressed: suppressed,
      unexpected: this.unexpected.size + tx.rolledBackDelivered,
      ...(this.transactional ? { transactions: tx } : {}),
      gaps: gapStreams.reduce((n, g) => n + g.missingCount, 0),
      gapStreams,
      recovery: this.recovery(),
      flushedOffset: this.flushedByEpoch.get(lastEpoch) ?? null,
      replicatedOffset: this.replicatedByEpoch.get(lastEpoch) ?? null,
      powerCut: this.powerCut,
      errors: [...this.errors.values()].sort((a, b) => b.count - a.count),
      anomalies: { total, recorded: anomalies.length, capped: total > anomalies.length, cap: this.anomalyCap },
    };
    return { summary, anomalies };
  }
}

/**
 * The verdict: FAIL when a guarantee was broken (a message consumed that was never sent; a SEND_OK
 * message lost where the settings promise none is; a message the broker stored lost where the
 * prediction allows no loss of that status), LOSS_EXPECTED when messages the producer believed sent
 * were lost and the prediction said they might be, PASS otherwise.
 */
export function judge(summary: LedgerSummary, prediction: DrillPrediction): { verdict: Verdict; reason: string } {
  const tx = summary.transactions;
  if (tx && tx.rolledBackDelivered > 0) {
    return { verdict: 'FAIL', reason: `${tx.rolledBackDelivered} rolled-back transactional message(s) were delivered to a consumer` };
  }
  if (summary.unexpected > 0) {
    return { verdict: 'FAIL', reason: `${summary.unexpected} message(s) were consumed that no producer of this run sent` };
  }
  const unresolved = tx ? tx.halfOpen - tx.halfOpenResolved : 0;
  if (unresolved > 0 && !prediction.unresolvedHalvesPossible) {
    return { verdict: 'FAIL', reason: `${unresolved} of ${tx!.halfOpen} half message(s) left by the killed producer were never resolved by a check-back` };
  }
  if (summary.lostAcked > 0 && !prediction.sendOkLossPossible) {
    return { verdict: 'FAIL', reason: `${summary.lostAcked} SEND_OK message(s) were never consumed, and these settings promise none is lost (${prediction.text})` };
  }
  const broken = LEDGER_STATUSES.filter((s) => s !== 'SEND_OK' && !TOLD_FAILED.has(s) && summary.lost[s] > 0 && !prediction.mayLose.includes(s));
  if (broken.length > 0) {
    return { verdict: 'FAIL', reason: `messages were lost that these settings keep: ${broken.map((s) => `${summary.lost[s]} ${s}`).join(', ')}` };
  }
  const believedSent = LEDGER_STATUSES.filter((s) => !TOLD_FAILED.has(s)).reduce((n, s) => n + summary.lost[s], 0);
  const failedLost = summary.lost.ERROR + summary.lost.TIMEOUT + summary.lost.UNKNOWN;
  const failedNote = failedLost > 0 ? `; ${failedLost} message(s) whose send failed or was never answered did not arrive, as the producer was told` : '';
  // Half messages the broker discarded unanswered, where the settings allow it (transactionCheckMax ran out).
  const halvesNote = unresolved > 0 ? `; ${unresolved} of ${tx!.halfOpen} half message(s) left by the killed producer were discarded unresolved` : '';
  if (believedSent > 0 || unresolved > 0) {
    const parts = LEDGER_STATUSES.filter((s) => !TOLD_FAILED.has(s) && summary.lost[s] > 0).map((s) => `${summary.lost[s]} ${s}`);
    const what = parts.length > 0 ? `lost ${parts.join(', ')}` : 'no message the producer believed sent is lost';
    return { verdict: 'LOSS_EXPECTED', reason: `${what}${halvesNote}, as predicted: ${prediction.text.replace(/\.$/, "")}${failedNote}` };
  }
  const dupNote = summary.duplicated > 0 ? `; ${summary.duplicated} message(s) applied twice (at-least-once)` : '';
  const chance = prediction.sendOkLossPossible ? ' (these settings allow a loss; none happened this time)' : '';
  const txNote = tx ? `; ${tx.committed} committed, ${tx.rolledBack} rolled back (none delivered), ${tx.halfOpenResolved} half message(s) of the killed producer resolved by check-back` : '';
  return { verdict: 'PASS', reason: `no message the producer was told was sent is lost${chance}${failedNote}${dupNote}${txNote}` };
}
