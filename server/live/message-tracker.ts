/**
 * Per-message records for the Messages page: what happened to one UNIQ_KEY, stage by stage (sent,
 * stored, flushed, replicated, delivered, consumed) and its consumption history (reconsumes, DLQ,
 * duplicates suppressed). Fed by the control plane's typed events; bounded (the oldest records are
 * evicted first).
 *
 * Flushed and replicated come from watermarks (flushedOffset / replicatedOffset): a record is
 * flushed once a watermark reaches its end (commit-log offset + size). After a power cut or a broker
 * exit the commit log may be cut and its offsets reused, so the frontier of every record not yet
 * confirmed is forgotten (frontierLostAt) rather than confirmed later by bytes that are not its own.
 */
import type { EventEmitter } from 'node:events';
import type { BrokerToParent, ConsumeEvent, SendOutcome } from '../../broker/ipc';
import type { ControlPlaneEvents } from '../control-plane';

export const MESSAGES_KEPT = 100_000;
/** deliveries kept per record (the count is kept exactly) */
const DELIVERIES_KEPT = 32;

export type LadderStage = 'sent' | 'stored' | 'flushed' | 'replicated' | 'delivered' | 'consumed';
export const LADDER_STAGES: readonly LadderStage[] = ['sent', 'stored', 'flushed', 'replicated', 'delivered', 'consumed'];

export interface MessageDelivery {
  atMs: number;
  reconsumeTimes: number;
  queueOffset: number;
}

export interface MessageRecord {
  /** UNIQ_KEY */
  id: string;
  producerId: string | null;
  /** the producer's queue stamp (brokerName:queueId) */
  queue: string | null;
  seq: number | null;
  topic: string | null;
  queueId: number | null;
  queueOffset: number | null;
  /** what the producer was told; null when no outcome was reported (an external producer) */
  send: { status: SendOutcome['status']; sentAtMs: number; latencyMs: number; offsetMsgId: string | null; error: string | null } | null;
  storedAt: number | null;
  commitLogOffset: number | null;
  size: number | null;
  /** how many times the broker stored this UNIQ_KEY (a producer retry stores it again) */
  storedCount: number;
  flushedAt: number | null;
  replicatedAt: number | null;
  /** a power cut or broker exit made the flushed / replicated frontier unknown before this record reached it */
  frontierLostAt: number | null;
  /** a power cut removed its bytes from the commit log (they were past the fdatasync'd length) */
  cutAt: number | null;
  deliveries: MessageDelivery[];
  deliveryCount: number;
  consumedAt: number | null;
  reconsumes: number;
  dlqAt: number | null;
  duplicatesSuppressed: number;
  updatedAt: number;
}

export interface LadderStep {
  stage: LadderStage;
  atMs: number | null;
  /** ms since the previous reached stage (null for the first, or when this stage was not reached) */
  deltaMs: number | null;
}

export type MessageFilter = 'all' | 'lost' | 'not-consumed' | 'dlq';

/** A producer told the broker has it (any SendStatus, not ERROR / TIMEOUT / UNCHECKED). */
export function acknowledged(record: MessageRecord): boolean {
  const status = record.send?.status;
  return status === 'SEND_OK' || status === 'FLUSH_DISK_TIMEOUT' || status === 'FLUSH_SLAVE_TIMEOUT' || status === 'SLAVE_NOT_AVAILABLE';
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
  const times: Record<LadderStage, number | null> = {
    sent: record.send?.sentAtMs ?? null,
    stored: record.storedAt,
    flushed: record.flushedAt,
    replicated: record.replicatedAt,
    delivered: record.deliveries[0]?.atMs ?? null,
    consumed: record.consumedAt,
  };
  let previous: number | null = null;
  return LADDER_STAGES.map((stage) => {
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

interface Pending {
  id: string;
  offset: number;
  end: number;
}

/** A FIFO of records waiting for a watermark, in commit-log order. */
class PendingQueue {
  private items: Pending[] = [];
  private head = 0;

  get size(): number {
    return this.items.length - this.head;
  }

  push(item: Pending, max: number): void {
    this.items.push(item);
    if (this.size > max) this.head++;
    if (this.head > 4096 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }

  /** Removes and returns every item whose end the watermark reaches (items are in offset order). */
  reach(watermark: number): Pending[] {
    const out: Pending[] = [];
    while (this.head < this.items.length && this.items[this.head].end <= watermark) out.push(this.items[this.head++]);
    return out;
  }

  drain(): Pending[] {
    const out = this.items.slice(this.head);
    this.items = [];
    this.head = 0;
    return out;
  }
}

type StageBatch = Extract<BrokerToParent, { type: 'stage' }>;
type PowerCut = Extract<BrokerToParent, { type: 'powerCut' }>;

/** What MessageTracker.attach listens to: the control plane (its outcomes, stage, consumeEvents, powerCut and clusterEvent). */
export type MessageTrackerSource = Pick<EventEmitter<ControlPlaneEvents>, 'on'>;

export class MessageTracker {
  private readonly records = new Map<string, MessageRecord>();
  private readonly byOffset = new Map<number, string>();
  private readonly byOffsetMsgId = new Map<string, string>();
  private readonly unflushed = new PendingQueue();
  private readonly unreplicated = new PendingQueue();
  /** the end of the newest stored record: an offset below it means the commit log was cut and reused */
  private storedEnd = 0;

  constructor(private readonly capacity = MESSAGES_KEPT) {}

  get size(): number {
    return this.records.size;
  }

  /** how many records are kept at most */
  get capacityLimit(): number {
    return this.capacity;
  }

  /** Subscribes to a control plane's events; context names the producer and topic of the lab's traffic runner. */
  attach(source: MessageTrackerSource, context?: () => { producerId?: string; topic?: string } | undefined): void {
    source.on('outcomes', (outcomes) => this.addOutcomes(outcomes, context?.()));
    source.on('stage', (batch) => this.addStage(batch));
    source.on('consumeEvents', (events) => this.addConsumeEvents(events));
    source.on('powerCut', (cut) => this.powerCut(cut, Date.now()));
    source.on('clusterEvent', (event) => {
      if (event.subject === 'broker' && (event.kind === 'process.crashed' || event.kind === 'process.stopped')) this.brokerExited(event.atMs);
    });
  }

  get(id: string): MessageRecord | undefined {
    return this.records.get(id);
  }

  byCommitLogOffset(offset: number): MessageRecord | undefined {
    const id = this.byOffset.get(offset);
    return id === undefined ? undefined : this.records.get(id);
  }

  byOffsetMessageId(offsetMsgId: string): MessageRecord | undefined {
    const id = this.byOffsetMsgId.get(offsetMsgId.toUpperCase());
    if (id !== undefined) return this.records.get(id);
    const offset = offsetFromOffsetMsgId(offsetMsgId);
    return offset === null ? undefined : this.byCommitLogOffset(offset);
  }

  /** The newest records first (by their last update) that pass the filter. */
  recent(limit: number, filter: MessageFilter = 'all'): MessageRecord[] {
    const out: MessageRecord[] = [];
    const all = [...this.records.values()];
    for (let i = all.length - 1; i >= 0 && out.length < limit; i--) {
      if (matchesFilter(all[i], filter)) out.push(all[i]);
    }
    return out;
  }

  addOutcomes(outcomes: SendOutcome[], context?: { producerId?: string; topic?: string }): void {
    for (const o of outcomes) {
      const r = this.record(o.id, o.sentAtMs);
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
    for (const [id, offset, size] of batch.stored) {
      if (offset < this.storedEnd) this.forgetFrontier(at, offset);
      this.storedEnd = Math.max(this.storedEnd, offset + size);
      const r = this.record(id, at);
      r.storedCount++;
      if (r.storedAt === null || r.cutAt !== null) {
        // first storage, or a resend after its bytes were cut: this copy is the one that counts
        r.storedAt = at;
        r.commitLogOffset = offset;
        r.size = size;
      }
      r.updatedAt = at;
      this.byOffset.set(offset, id);
      if (r.commitLogOffset !== offset) continue; // a second copy of a stored message: the first one counts
      const item = { id, offset, end: offset + size };
      if (r.flushedAt === null) this.unflushed.push(item, this.capacity);
      if (r.replicatedAt === null) this.unreplicated.push(item, this.capacity);
    }
    if (batch.flushedOffset !== undefined) {
      for (const p of this.unflushed.reach(batch.flushedOffset)) {
        const r = this.live(p);
        if (r && r.flushedAt === null) {
          r.flushedAt = at;
          r.updatedAt = at;
        }
      }
    }
    if (batch.replicatedOffset !== undefined) {
      for (const p of this.unreplicated.reach(batch.replicatedOffset)) {
        const r = this.live(p);
        if (r && r.replicatedAt === null) {
          r.replicatedAt = at;
          r.updatedAt = at;
        }
      }
    }
    for (const id of batch.dlq ?? []) {
      const r = this.record(id, at);
      r.dlqAt ??= at;
      r.updatedAt = at;
    }
  }

  addConsumeEvents(events: ConsumeEvent[]): void {
    for (const e of events) {
      const r = this.record(e.id, e.atMs);
      r.topic ??= e.topic;
      r.queueId ??= e.queueId;
      r.queueOffset ??= e.queueOffset;
      if (e.producerId) r.producerId ??= e.producerId;
      if (e.queue) r.queue ??= e.queue;
      if (e.seq !== undefined) r.seq ??= e.seq;
      switch (e.kind) {
        case 'delivered':
          r.deliveryCount++;
          if (r.deliveries.length < DELIVERIES_KEPT) r.deliveries.push({ atMs: e.atMs, reconsumeTimes: e.reconsumeTimes, queueOffset: e.queueOffset });
          break;
        case 'consumed':
          r.consumedAt ??= e.atMs;
          break;
        case 'reconsume':
          r.reconsumes++;
          break;
        case 'duplicate-suppressed':
          r.duplicatesSuppressed++;
          break;
      }
      r.updatedAt = Math.max(r.updatedAt, e.atMs);
    }
  }

  /**
   * The master cut its files to the fdatasync'd length: records ending at or below it survived (flushed);
   * records past it lost their bytes. Either way no later watermark may confirm them.
   */
  powerCut(cut: PowerCut, at: number): void {
    for (const p of this.unflushed.drain()) {
      const r = this.live(p);
      if (!r || r.flushedAt !== null) continue;
      if (p.end <= cut.flushedOffset) r.flushedAt = at;
      else r.cutAt ??= at;
      r.updatedAt = at;
    }
    for (const p of this.unreplicated.drain()) {
      const r = this.live(p);
      if (!r || r.replicatedAt !== null) continue;
      r.frontierLostAt ??= at;
      if (p.end > cut.flushedOffset) r.cutAt ??= at;
      r.updatedAt = at;
    }
    this.storedEnd = Math.min(this.storedEnd, cut.flushedOffset);
  }

  /** The broker exited: what it had not confirmed yet stays unconfirmed (offsets may be reused after a restart). */
  brokerExited(at: number): void {
    this.forgetFrontier(at);
  }

  private forgetFrontier(at: number, from = -Infinity): void {
    for (const queue of [this.unflushed, this.unreplicated]) {
      for (const p of queue.drain()) {
        const r = this.live(p);
        if (!r) continue;
        if (queue === this.unflushed ? r.flushedAt !== null : r.replicatedAt !== null) continue;
        r.frontierLostAt ??= at;
        r.updatedAt = at;
      }
    }
    if (from !== -Infinity) this.storedEnd = from;
  }

  /** The record a pending item stands for, unless it was evicted or stored again elsewhere. */
  private live(p: Pending): MessageRecord | undefined {
    const r = this.records.get(p.id);
    return r && r.commitLogOffset === p.offset ? r : undefined;
  }

  private record(id: string, at: number): MessageRecord {
    let r = this.records.get(id);
    if (r) {
      // keep the map in last-touched order, so eviction drops the stalest record
      this.records.delete(id);
      this.records.set(id, r);
      return r;
    }
    r = {
      id, producerId: null, queue: null, seq: null, topic: null, queueId: null, queueOffset: null, send: null,
      storedAt: null, commitLogOffset: null, size: null, storedCount: 0, flushedAt: null, replicatedAt: null,
      frontierLostAt: null, cutAt: null, deliveries: [], deliveryCount: 0, consumedAt: null, reconsumes: 0, dlqAt: null,
      duplicatesSuppressed: 0, updatedAt: at,
    };
    this.records.set(id, r);
    while (this.records.size > this.capacity) this.evictOldest();
    return r;
  }

  private evictOldest(): void {
    const first = this.records.keys().next();
    if (first.done) return;
    const r = this.records.get(first.value)!;
    this.records.delete(first.value);
    if (r.commitLogOffset !== null && this.byOffset.get(r.commitLogOffset) === r.id) this.byOffset.delete(r.commitLogOffset);
    const omid = r.send?.offsetMsgId?.toUpperCase();
    if (omid && this.byOffsetMsgId.get(omid) === r.id) this.byOffsetMsgId.delete(omid);
  }
}
