/**
 * Per-message records for the Messages page: what happened to one UNIQ_KEY, stage by stage (sent,
 * stored, flushed, replicated, delivered, consumed) and its consumption history (reconsumes, DLQ,
 * duplicates suppressed). Fed by the control plane's typed events; bounded (the oldest records are
 * evicted first). Built on the message ledger core (server/ledger/message-ledger.ts), which keeps the
 * stored copy, the flushed and replicated watermarks and the consumer reports; this file adds what the
 * producer was last told, the page's fields and its lookups by commit-log offset and offsetMsgId.
 */
import { groupName } from '../cluster/topology';
import type { ConsumeEvent, SendOutcome } from '../../broker/ipc';
import { LEDGER_STAGES, type LedgerStage } from '../ledger/message-stages';
import { BROKER_ANSWERED, MessageEntry, MessageLedger, type MessageEventSource } from '../ledger/message-ledger';
import type { PowerCutReport, StageBatch } from '../../broker/ipc';

export const MESSAGES_KEPT = 100_000;
/** deliveries kept per record (the count is kept exactly) */
const DELIVERIES_KEPT = 32;

export interface MessageDelivery {
  atMs: number;
  reconsumeTimes: number;
  queueOffset: number;
}

/** One message as the Messages page shows it (the messages.lookup and messages.recent outputs). */
/** A message as the Messages page follows it: the core entry, where it was stored, what its producer was told, its deliveries. */
export class MessageRecord extends MessageEntry {
  topic: string | null = null;
  queueId: number | null = null;
  queueOffset: number | null = null;
  /** what the producer was told; null when no outcome was reported (an external producer) */
  send: { status: SendOutcome['status']; sentAtMs: number; latencyMs: number; offsetMsgId: string | null; error: string | null } | null = null;
  deliveries: MessageDelivery[] = [];
  dlqAt: number | null = null;
}

export interface LadderStep {
  stage: LedgerStage;
  atMs: number | null;
  /** ms since the previous reached stage (null for the first, or when this stage was not reached) */
  deltaMs: number | null;
}

export type MessageFilter = 'all' | 'lost' | 'not-consumed' | 'dlq';

/** A producer told the broker has it (any SendStatus, not ERROR / TIMEOUT / UNCHECKED). */
export function acknowledged(record: MessageRecord): boolean {
  return record.send !== null && BROKER_ANSWERED.has(record.send.status);
}

/** Acknowledged or stored, then cut by a power loss, and never consumed: the loss this lab hunts. */
export function isLost(record: MessageRecord): boolean {
  return (acknowledged(record) || record.storedAt !== null) && record.cutAt !== null && record.consumedAt === null;
}

export function matchesFilter(record: MessageRecord, filter: MessageFilter): boolean {
  switch (filter) {
    case 'all':
      return true;
    case 'lost':
      return isLost(record);
    case 'not-consumed':
      return record.consumedAt === null && record.dlqAt === null;
    case 'dlq':
      return record.dlqAt !== null;
  }
}

/** The durability ladder: each stage with the time it was first reached, or null. */
export function messageLadder(record: MessageRecord): LadderStep[] {
  const times: Record<LedgerStage, number | null> = {
    sent: record.send?.sentAtMs ?? null,
    stored: record.storedAt,
    flushed: record.flushedAt,
    replicated: record.replicatedAt,
    delivered: record.deliveries[0]?.atMs ?? null,
    consumed: record.consumedAt,
  };
  let previous: number | null = null;
  return LEDGER_STAGES.map((stage) => {
    const atMs = times[stage];
    const deltaMs = atMs !== null && previous !== null ? atMs - previous : null;
    if (atMs !== null) previous = atMs;
    return { stage, atMs, deltaMs };
  });
}

/** The commit-log offset inside an offsetMsgId (its last 8 bytes, as 16 hex characters), or null. */
export function offsetFromOffsetMsgId(offsetMsgId: string): number | null {
  if (!/^[0-9A-Fa-f]{32}$|^[0-9A-Fa-f]{56}$/.test(offsetMsgId)) return null;
  const offset = Number(BigInt(`0x${offsetMsgId.slice(-16)}`));
  return Number.isSafeInteger(offset) ? offset : null;
}

const newRecord = (id: string, at: number): MessageRecord => new MessageRecord(id, at);

/** broker-a: the group of the lab's first broker, and of every batch that names none */
const FIRST_GROUP = groupName(0);

export class MessageTracker {
  private readonly ledger: MessageLedger<MessageRecord>;
  private readonly byOffset = new Map<number, string>();
  private readonly byOffsetMsgId = new Map<string, string>();

  constructor(capacity = MESSAGES_KEPT) {
    this.ledger = new MessageLedger({ create: newRecord, capacity, evicted: (r) => this.unindex(r) });
  }

  get size(): number {
    return this.ledger.size;
  }

  /** how many records are kept at most */
  get capacityLimit(): number {
    return this.ledger.capacity;
  }

  /**
   * Subscribes to a control plane's events (outcomes, stage, consumeEvents, powerCut and clusterEvent);
   * context names the producer and topic of the lab's traffic runner.
   */
  attach(source: MessageEventSource, context?: () => { producerId?: string; topic?: string } | undefined): void {
    source.on('outcomes', (outcomes) => this.addOutcomes(outcomes, context?.()));
    source.on('stage', (batch) => this.addStage(batch));
    source.on('consumeEvents', (events) => this.addConsumeEvents(events));
    source.on('powerCut', (cut) => this.powerCut(cut, Date.now()));
    source.on('clusterEvent', (event) => {
      if (event.kind !== 'process.crashed' && event.kind !== 'process.stopped') return;
      // broker-a/0's subject is 'broker'; the replicas named by identity (broker-a/2, broker-b/0, …) count
      // for their group whatever their role: a slave's exit makes its group's frontier unknown, never wrong.
      const group = event.subject === 'broker' ? FIRST_GROUP : /^(broker-[a-z])\/\d+$/.exec(event.subject)?.[1];
      if (group) this.brokerExited(event.atMs, group);
    });
  }

  get(id: string): MessageRecord | undefined {
    return this.ledger.get(id);
  }

  byCommitLogOffset(offset: number): MessageRecord | undefined {
    const id = this.byOffset.get(offset);
    return id === undefined ? undefined : this.ledger.get(id);
  }

  byOffsetMessageId(offsetMsgId: string): MessageRecord | undefined {
    const id = this.byOffsetMsgId.get(offsetMsgId.toUpperCase());
    if (id !== undefined) return this.ledger.get(id);
    const offset = offsetFromOffsetMsgId(offsetMsgId);
    return offset === null ? undefined : this.byCommitLogOffset(offset);
  }

  /** The newest records first (by their last update) that pass the filter. */
  recent(limit: number, filter: MessageFilter = 'all'): MessageRecord[] {
    const out: MessageRecord[] = [];
    for (const r of this.ledger.newestFirst()) {
      if (out.length >= limit) break;
      if (matchesFilter(r, filter)) out.push(r);
    }
    return out;
  }

  addOutcomes(outcomes: SendOutcome[], context?: { producerId?: string; topic?: string }): void {
    for (const o of outcomes) {
      const r = this.ledger.entry(o.id, o.sentAtMs);
      r.send = { status: o.status, sentAtMs: o.sentAtMs, latencyMs: o.latencyMs, offsetMsgId: o.offsetMsgId ?? null, error: o.error ?? null };
      r.seq ??= o.seq;
      r.queueId ??= o.queueId;
      if (o.queueOffset !== undefined) r.queueOffset ??= o.queueOffset;
      if (context?.producerId) r.producerId ??= context.producerId;
      if (context?.topic) r.topic ??= context.topic;
      if (o.offsetMsgId) this.byOffsetMsgId.set(o.offsetMsgId.toUpperCase(), o.id);
      r.updatedAt = Math.max(r.updatedAt, o.sentAtMs + o.latencyMs);
    }
  }

  addStage(batch: StageBatch): void {
    const at = batch.atMs;
    const group = batch.brokerName ?? FIRST_GROUP;
    for (const [id, offset, size] of batch.stored) {
      this.ledger.stored(id, offset, size, at, group);
      // Lookups by commit-log offset are broker-a's (offsets repeat across groups).
      if (group === FIRST_GROUP) this.byOffset.set(offset, id);
    }
    this.ledger.watermarks(batch, at, group);
    for (const id of batch.dlq ?? []) {
      const r = this.ledger.entry(id, at);
      r.dlqAt ??= at;
      r.updatedAt = at;
    }
  }

  addConsumeEvents(events: ConsumeEvent[]): void {
    for (const e of events) {
      const r = this.ledger.entry(e.id, e.atMs);
      r.topic ??= e.topic;
      r.queueId ??= e.queueId;
      r.queueOffset ??= e.queueOffset;
      this.ledger.consume(r, e);
      if (e.kind === 'delivered' && r.deliveries.length < DELIVERIES_KEPT) {
        r.deliveries.push({ atMs: e.atMs, reconsumeTimes: e.reconsumeTimes, queueOffset: e.queueOffset });
      }
    }
  }

  /** The master cut its files to the fdatasync'd length (see MessageLedger.powerCut). */
  powerCut(cut: PowerCutReport, at: number): void {
    this.ledger.powerCut(cut.flushedOffset, at, cut.brokerName ?? FIRST_GROUP);
  }

  /** A group's broker exited: what it had not confirmed yet stays unconfirmed (offsets may be reused after a restart). */
  brokerExited(at: number, group = FIRST_GROUP): void {
    this.ledger.forgetFrontier(at, group);
  }

  /** Drops an evicted record from the lookups that still name it. */
  private unindex(r: MessageRecord): void {
    if (r.commitLogOffset !== null && this.byOffset.get(r.commitLogOffset) === r.id) this.byOffset.delete(r.commitLogOffset);
    const omid = r.send?.offsetMsgId?.toUpperCase();
    if (omid && this.byOffsetMsgId.get(omid) === r.id) this.byOffsetMsgId.delete(omid);
  }
}
