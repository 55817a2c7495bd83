/**
 * What the loss ledger counts per message when it judges a run: the status the producer saw, how far
 * the message got, whether it was applied, applied twice or lost, and its anomaly row. One tally is
 * filled at the end from the messages still held; a second one, kept for the whole run, takes each
 * message the ledger folds away once it is settled (server/drills/loss-ledger.ts), so a run of hours
 * is judged with the same rules in bounded memory: the final summary starts from the folded tally.
 */
import { MessageEntry } from '../ledger/message-ledger';
import { LEDGER_STAGES, LEDGER_STATUSES, type AnomalyKind, type LedgerStage, type LedgerStatus } from './types';

/** A message as the drill's ledger holds it: the core entry, what its producer was told, and how often it was applied. */
export class MessageRecord extends MessageEntry {
  status: LedgerStatus | undefined = undefined;
  sentAtMs: number | undefined = undefined;
  error: string | undefined = undefined;
  /** the epoch of the stored copy that counts */
  epoch: number | undefined = undefined;
  /** times a consumer applied it (CONSUME_SUCCESS); more than one is a duplicate */
  applied = 0;
  /** a transactional message: the seeded decision, whether its producer ended it, whether a check-back resolved it */
  tx: { decision?: 'COMMIT' | 'ROLLBACK'; ended: boolean; checked: boolean } | undefined = undefined;
}

export const newRecord = (id: string, at: number): MessageRecord => new MessageRecord(id, at);

/** Consumed, in the ledger's sense: applied, or suppressed as a duplicate of an earlier application. */
export const isApplied = (m: MessageRecord) => m.applied + m.duplicatesSuppressed > 0;
/** The anomaly detail keeps the JSON it always had: a field never reported is left out, not null. */
const orUndefined = <T>(v: T | null): T | undefined => v ?? undefined;

export interface AnomalyRow {
  messageId: string;
  kind: AnomalyKind;
  sendStatus: LedgerStatus | null;
  lastStage: LedgerStage | null;
  detail: Record<string, unknown>;
}

export const zeroStatuses = (): Record<LedgerStatus, number> => Object.fromEntries(LEDGER_STATUSES.map((s) => [s, 0])) as Record<LedgerStatus, number>;
const zeroStages = (): Record<LedgerStage, number> => Object.fromEntries(LEDGER_STAGES.map((s) => [s, 0])) as Record<LedgerStage, number>;

/** What the tally needs of the ledger to describe a lost message. */
export interface TallyContext {
  startedAtMs: number;
  lastStage(m: MessageRecord): LedgerStage;
  flushedOffsetOf(epoch: number): number | undefined;
}

export class LedgerTally {
  attempted = 0;
  readonly acknowledged = zeroStatuses();
  readonly lost = zeroStatuses();
  readonly lostByStage = zeroStages();
  consumed = 0;
  delivered = 0;
  stored = 0;
  duplicated = 0;
  redeliveries = 0;
  suppressed = 0;
  readonly tx = { committed: 0, rolledBack: 0, rolledBackDelivered: 0, openAtEnd: 0, halfOpenResolved: 0, halfOpen: 0 };
  readonly anomalies: AnomalyRow[] = [];
  /** anomalies found, recorded or not */
  anomalyTotal = 0;

  constructor(readonly anomalyCap: number) {}

  push(row: AnomalyRow): void {
    this.anomalyTotal++;
    if (this.anomalies.length < this.anomalyCap) this.anomalies.push(row);
  }

  /** A copy to finish a summary on, leaving this one to go on counting. */
  clone(): LedgerTally {
    const t = new LedgerTally(this.anomalyCap);
    Object.assign(t, { attempted: this.attempted, consumed: this.consumed, delivered: this.delivered, stored: this.stored });
    Object.assign(t, { duplicated: this.duplicated, redeliveries: this.redeliveries, suppressed: this.suppressed, anomalyTotal: this.anomalyTotal });
    Object.assign(t.acknowledged, this.acknowledged);
    Object.assign(t.lost, this.lost);
    Object.assign(t.lostByStage, this.lostByStage);
    Object.assign(t.tx, this.tx);
    t.anomalies.push(...this.anomalies);
    return t;
  }

  /** Counts one message of the run (the broker's own records are left out by the caller). */
  add(m: MessageRecord, ctx: TallyContext): void {
    this.attempted++;
    const status = m.status ?? 'UNKNOWN';
    this.acknowledged[status]++;
    if (m.tx?.decision === 'COMMIT') this.tx.committed++;
    if (m.tx && status === 'SEND_OK' && !m.tx.ended) {
      // A half message its producer never ended (it died first): only a check-back can resolve it.
      this.tx.halfOpen++;
      // Resolved: a check-back answered for it, or it was committed and consumed (either way it is not left half).
      if (m.tx.checked || isApplied(m)) this.tx.halfOpenResolved++;
    }
    if (m.storedAt !== null) this.stored++;
    if (m.deliveryCount > 0) this.delivered++;
    if (m.tx?.decision === 'ROLLBACK') {
      this.tx.rolledBack++;
      if (isApplied(m) || m.deliveryCount > 0) {
        this.tx.rolledBackDelivered++;
        this.push({ messageId: m.id, kind: 'unexpected', sendStatus: status, lastStage: ctx.lastStage(m), detail: { rolledBack: true, producerId: orUndefined(m.producerId), queue: orUndefined(m.queue), seq: orUndefined(m.seq), deliveries: m.deliveryCount } });
      }
      return;
    }
    if (m.tx && status === 'SEND_OK' && m.tx.decision === undefined) this.tx.openAtEnd++;
    this.redeliveries += Math.max(0, m.deliveryCount - 1);
    this.suppressed += m.duplicatesSuppressed;
    const stage = ctx.lastStage(m);
    if (isApplied(m)) {
      this.consumed++;
      if (m.applied > 1) {
        this.duplicated++;
        this.push({ messageId: m.id, kind: 'duplicated', sendStatus: status, lastStage: stage, detail: { applied: m.applied, deliveries: m.deliveryCount, producerId: orUndefined(m.producerId), queue: orUndefined(m.queue), seq: orUndefined(m.seq) } });
      }
      return;
    }
    this.lost[status]++;
    this.lostByStage[stage]++;
    this.push({
      messageId: m.id, kind: 'lost', sendStatus: status, lastStage: stage,
      detail: {
        producerId: orUndefined(m.producerId), queue: orUndefined(m.queue), seq: orUndefined(m.seq), error: m.error,
        sentT: m.sentAtMs === undefined ? undefined : m.sentAtMs - ctx.startedAtMs,
        commitLogOffset: orUndefined(m.commitLogOffset), size: orUndefined(m.size), epoch: m.epoch,
        flushedOffset: m.epoch === undefined ? undefined : ctx.flushedOffsetOf(m.epoch),
      },
    });
  }
}
