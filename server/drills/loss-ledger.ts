/**
 * The loss ledger of one drill run, per message, in the manner of Jepsen's total-queue checker:
 * what producers attempted and were told (SendOutcome), what the broker stored and made durable
 * (stage batches: stored records, flushed and replicated offsets), what consumers were handed and
 * applied (ConsumeEvent). At the end it lists every lost message (never applied) with the status the
 * producer saw and the last stage it reached, every duplicate, every unexpected message (consumed
 * but never sent by this run), the open sequence gaps per producer and queue, and the recovery time.
 *
 * The per-message bookkeeping (stored copy, flushed and replicated watermarks, consumer reports) is
 * the message ledger core's (server/ledger/message-ledger.ts), with no bound and no eviction: a run
 * judges every message it saw. A long run stays in bounded memory by folding: past a number of held
 * messages, each one settled (applied, answered, quiet) leaves the map for a running tally counted by
 * the same rules (server/drills/ledger-tally.ts); what is still open (lost, unconsumed, in flight)
 * stays per message, and a later redelivery of a folded message is recognised by its sequence stamp. Offsets are compared within one broker incarnation (an epoch): after a power cut the
 * master re-uses the offsets past its flushed watermark, so a new epoch forgets the frontier of every
 * record not yet confirmed, and each epoch keeps its own watermarks for the report.
 */
import type { ConsumeEvent, SendOutcome } from '../../broker/ipc';
import type { TransactionEvent } from '../traffic/transaction-runner-types';
import { SequenceChecker } from '../../broker/client/sequence-checker';
import { BROKER_ANSWERED, MessageLedger } from '../ledger/message-ledger';
import { LedgerTally, isApplied, newRecord, zeroStatuses, type AnomalyRow, type MessageRecord, type TallyContext } from './ledger-tally';
import {
  ANOMALY_CAP, LEDGER_STATUSES,
  type DrillPrediction, type LedgerCounts, type LedgerStage, type LedgerStatus, type LedgerSummary, type RecoveryView, type SequenceGapView, type Verdict,
} from './types';

export type { AnomalyRow } from './ledger-tally';

/** The producer was told its message may not exist: losing it breaks nothing. */
const TOLD_FAILED = new Set<LedgerStatus>(['ERROR', 'TIMEOUT', 'UNKNOWN']);
/** When two outcomes name one message, the best one counts (a retry may succeed after a timeout). */
const STATUS_RANK: Record<LedgerStatus, number> = {
  SEND_OK: 7, FLUSH_DISK_TIMEOUT: 6, FLUSH_SLAVE_TIMEOUT: 5, SLAVE_NOT_AVAILABLE: 4, UNCHECKED: 3, TIMEOUT: 2, ERROR: 1, UNKNOWN: 0,
};

/**
 * When the ledger folds settled messages: once it holds more than `above` of them, every `everyMs`
 * of the run's clock, each message applied, answered and untouched for `quietMs` leaves the map for
 * the folded tally. Past `afterFaultKept` sends after the fault only the recovery's running figures are
 * kept, and past `unexpectedKept` foreign message ids each further report counts as a new one.
 */
export interface FoldOptions {
  above: number;
  quietMs: number;
  everyMs: number;
  afterFaultKept: number;
  unexpectedKept: number;
}

/**
 * Records waiting for a flushed or replicated watermark, per group: a group with no slave never
 * reports one, so past this many the oldest waiting are let go (their stage stays as last known).
 */
const PENDING_CAP = 1_000_000;

export const DEFAULT_FOLD: FoldOptions = { above: 200_000, quietMs: 10_000, everyMs: 1_000, afterFaultKept: 200_000, unexpectedKept: 10_000 };

export class LossLedger {
  /** never evicted (a run judges every message; a settled one is folded, not dropped); the copy first stored is judged, as the report has always done */
  private readonly messages = new MessageLedger<MessageRecord>({ create: newRecord, keepFirstCopy: true, pendingCap: PENDING_CAP });
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
  /** reports of foreign messages past fold.unexpectedKept distinct ids, each counted as one more */
  private unexpectedBeyondKept = 0;
  private readonly sequence = new SequenceChecker();
  private faultAtMs: number | undefined;
  /** outcomes of sends started after the fault: [sentAtMs, completedAtMs, ok], the first fold.afterFaultKept of them */
  private readonly afterFault: [number, number, boolean][] = [];
  /**
   * Running figures of the recovery: the earliest failure of all sends after the fault, and past the
   * kept ones the failed sends and the first success after that failure
   */
  private readonly recoveryFigures = { failedBeyondKept: 0, firstFailureMs: Infinity, firstOkAfterMs: Infinity };
  private powerCut: LedgerSummary['powerCut'] = null;
  private readonly errors = new Map<string, LedgerSummary['errors'][number]>();
  private readonly live = { stored: 0, delivered: 0, consumed: 0, duplicated: 0 };
  private transactional = false;
  private checksAnswered = 0;
  /** producerId|queue|seq of rolled-back messages: their sequence numbers are absent by design */
  private readonly rolledBackSeqs = new Set<string>();

  /** the messages folded away once settled, counted as the summary counts them */
  private readonly folded: LedgerTally;
  private foldedCount = 0;
  /** producer|queue|seq of folded messages applied twice (one duplicate each, however often it comes back) */
  private readonly foldedDuplicated = new Set<string>();
  /** the run's clock: the latest time an event carried (the simulator's clock in a simulated run) */
  private nowMs: number;
  private lastFoldMs = -Infinity;
  private stagesSeen = false;
  private readonly tallyContext: TallyContext;

  constructor(private readonly startedAtMs: number, private readonly anomalyCap = ANOMALY_CAP, private readonly fold: FoldOptions = DEFAULT_FOLD) {
    this.nowMs = startedAtMs;
    this.folded = new LedgerTally(anomalyCap);
    this.tallyContext = { startedAtMs, lastStage: (m) => this.lastStage(m), flushedOffsetOf: (epoch) => this.flushedByEpoch.get(epoch) };
  }

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
      const doneMs = o.sentAtMs + o.latencyMs;
      this.advance(doneMs);
      if (this.faultAtMs !== undefined && o.sentAtMs >= this.faultAtMs) this.afterFaultOutcome(o.sentAtMs, doneMs, o.status === 'SEND_OK');
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
      m.updatedAt = Math.max(m.updatedAt, doneMs);
    }
    this.foldSettled();
  }

  private afterFaultOutcome(sentMs: number, doneMs: number, ok: boolean): void {
    const figures = this.recoveryFigures;
    if (this.afterFault.length < this.fold.afterFaultKept) {
      this.afterFault.push([sentMs, doneMs, ok]);
      if (!ok) figures.firstFailureMs = Math.min(figures.firstFailureMs, sentMs);
      return;
    }
    // Past the kept window only a success after the earliest failure so far can set the recovery time
    // (outcomes arrive about in the order they were sent, so no earlier failure is still to come).
    if (!ok) {
      figures.failedBeyondKept++;
      figures.firstFailureMs = Math.min(figures.firstFailureMs, sentMs);
    } else if (sentMs > figures.firstFailureMs) figures.firstOkAfterMs = Math.min(figures.firstOkAfterMs, doneMs);
  }

  private advance(atMs: number): void {
    if (atMs > this.nowMs) this.nowMs = atMs;
  }

  /**
   * Folds settled messages into the running tally, so a long run holds only those in flight: applied,
   * answered, stamped (so a later redelivery is recognised by its producer, queue and sequence number),
   * stored when the broker reports stage batches, a transaction committed and ended, and untouched for
   * fold.quietMs. A message stored again after that (a retry seconds after it was consumed) would count
   * as one more attempted message of unknown status; a send outcome after it, as a new unconsumed one.
   */
  private foldSettled(): void {
    if (this.messages.size <= this.fold.above || this.nowMs - this.lastFoldMs < this.fold.everyMs) return;
    this.lastFoldMs = this.nowMs;
    const quietSince = this.nowMs - this.fold.quietMs;
    const settled: MessageRecord[] = [];
    for (const m of this.messages.values()) {
      if (m.updatedAt > quietSince || !isApplied(m) || m.status === undefined) continue;
      if (m.producerId === null || m.queue === null || m.seq === null) continue;
      if (this.stagesSeen && m.storedCount === 0) continue;
      if (m.tx && !(m.tx.decision === 'COMMIT' && (m.tx.ended || m.tx.checked))) continue;
      settled.push(m);
    }
    for (const m of settled) {
      this.folded.add(m, this.tallyContext);
      if (m.applied > 1) this.foldedDuplicated.add(`${m.producerId}|${m.queue}|${m.seq}`);
      this.messages.delete(m.id);
      this.foldedCount++;
    }
  }

  /** A consumer report on a message folded away: a redelivery, a suppressed duplicate or a second application. */
  private foldedConsumeEvent(e: ConsumeEvent & { producerId: string; queue: string; seq: number }): void {
    if (e.kind === 'delivered') this.folded.redeliveries++;
    else if (e.kind === 'duplicate-suppressed') this.folded.suppressed++;
    else if (e.kind === 'consumed') {
      const key = `${e.producerId}|${e.queue}|${e.seq}`;
      if (this.foldedDuplicated.has(key)) return;
      this.foldedDuplicated.add(key);
      this.folded.duplicated++;
      this.live.duplicated++;
      this.folded.push({ messageId: e.id, kind: 'duplicated', sendStatus: null, lastStage: 'consumed', detail: { folded: true, producerId: e.producerId, queue: e.queue, seq: e.seq } });
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
    this.advance(at);
    this.stagesSeen = true;
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
      this.advance(e.atMs);
      let m = this.messages.get(e.id);
      if (!m) {
        if (!e.producerId || !this.producers.has(e.producerId)) {
          const u = this.unexpected.get(e.id);
          if (u) u.count++;
          else if (this.unexpected.size < this.fold.unexpectedKept) this.unexpected.set(e.id, { count: 1, producerId: e.producerId, topic: e.topic });
          else this.unexpectedBeyondKept++;
          continue;
        }
        const { producerId, queue, seq } = e;
        if (this.foldedCount > 0 && queue !== undefined && seq !== undefined && this.sequence.hasSeen({ producerId, queue, seq })) {
          this.foldedConsumeEvent({ ...e, producerId, queue, seq });
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
    this.foldSettled();
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
    return this.messages.count((m) => m.tx !== undefined && m.status === 'SEND_OK' && !m.tx.ended && !m.tx.checked);
  }

  /** A number that moves whenever a consumer is handed, applies or re-applies a message (the drain's "nothing new" signal). */
  consumerProgress(): number {
    return this.live.delivered + this.live.consumed + this.live.duplicated;
  }

  /** Messages held one by one (the rest were folded into the counts). */
  heldMessages(): number {
    return this.messages.size;
  }

  /** Messages a consumer applied (counts().consumed, without a pass over the ledger). */
  appliedCount(): number {
    return this.live.consumed;
  }

  /** Messages the producer believes were sent (SEND_OK, a *_TIMEOUT answer, SLAVE_NOT_AVAILABLE, UNCHECKED) not applied yet. */
  outstanding(): number {
    return this.messages.count((m) => !isApplied(m) && m.status !== undefined && !TOLD_FAILED.has(m.status) && m.tx?.decision !== 'ROLLBACK');
  }

  counts(): LedgerCounts {
    const byStatus = { ...this.anonymous };
    for (const s of LEDGER_STATUSES) byStatus[s] += this.folded.acknowledged[s];
    let attempted = this.anonymousCount + this.folded.attempted;
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
      unexpected: this.unexpected.size + this.unexpectedBeyondKept,
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
    const figures = this.recoveryFigures;
    const failureMs = Number.isFinite(figures.firstFailureMs) ? figures.firstFailureMs : null;
    let firstOkAfter: number | null = Number.isFinite(figures.firstOkAfterMs) ? figures.firstOkAfterMs : null;
    let failedSends = figures.failedBeyondKept;
    for (const [sent, done, ok] of this.afterFault) {
      if (!ok) failedSends++;
      else if (failureMs !== null && sent > failureMs && (firstOkAfter === null || done < firstOkAfter)) firstOkAfter = done;
    }
    return {
      faultAtT: at(this.faultAtMs ?? null),
      firstFailureT: at(failureMs),
      firstOkAfterT: at(firstOkAfter),
      rtoMs: failureMs !== null && firstOkAfter !== null ? Math.round(Math.max(0, firstOkAfter - failureMs)) : null,
      failedSends,
    };
  }

  /** Judges the run: the summary, and the per-message anomaly rows (capped). */
  summarize(): { summary: LedgerSummary; anomalies: AnomalyRow[] } {
    const t = this.folded.clone();
    for (const m of this.messages.values()) if (!this.isSystemRecord(m)) t.add(m, this.tallyContext);
    const push = (row: AnomalyRow) => t.push(row);
    for (const [id, u] of this.unexpected) push({ messageId: id, kind: 'unexpected', sendStatus: null, lastStage: 'consumed', detail: u });
    t.anomalyTotal += this.unexpectedBeyondKept;
    const gapStreams: SequenceGapView[] = [];
    for (const open of this.sequence.openGaps()) {
      // A rolled-back transaction's number is absent by design, not a gap.
      const g = { ...open, missing: open.missing.filter((seq) => !this.rolledBackSeqs.has(`${open.producerId}|${open.queue}|${seq}`)) };
      if (g.missing.length === 0) continue;
      gapStreams.push({ producerId: g.producerId, queue: g.queue, missing: g.missing.slice(0, 50), missingCount: g.missing.length });
      push({ messageId: `${g.producerId}|${g.queue}`, kind: 'gap', sendStatus: null, lastStage: null, detail: { missing: g.missing.slice(0, 200), missingCount: g.missing.length } });
    }
    const acknowledged = { ...t.acknowledged };
    for (const s of LEDGER_STATUSES) acknowledged[s] += this.anonymous[s];
    const lostTotal = Object.values(t.lost).reduce((a, b) => a + b, 0);
    const lastEpoch = this.epoch;
    const summary: LedgerSummary = {
      attempted: t.attempted + this.anonymousCount,
      acknowledged,
      consumed: t.consumed,
      delivered: t.delivered,
      stored: t.stored,
      lost: t.lost,
      lostTotal,
      lostAcked: t.lost.SEND_OK,
      lostByStage: t.lostByStage,
      duplicated: t.duplicated,
      redeliveries: t.redeliveries,
      duplicatesSuppressed: t.suppressed,
      unexpected: this.unexpected.size + this.unexpectedBeyondKept + t.tx.rolledBackDelivered,
      ...(this.transactional ? { transactions: { ...t.tx, checksAnswered: this.checksAnswered } } : {}),
      gaps: gapStreams.reduce((n, g) => n + g.missingCount, 0),
      gapStreams,
      recovery: this.recovery(),
      flushedOffset: this.flushedByEpoch.get(lastEpoch) ?? null,
      replicatedOffset: this.replicatedByEpoch.get(lastEpoch) ?? null,
      powerCut: this.powerCut,
      errors: [...this.errors.values()].sort((a, b) => b.count - a.count),
      anomalies: { total: t.anomalyTotal, recorded: t.anomalies.length, capped: t.anomalyTotal > t.anomalies.length, cap: this.anomalyCap },
      ...(this.foldedCount > 0 ? { folded: this.foldedCount } : {}),
    };
    const anomalies = t.anomalies;
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
