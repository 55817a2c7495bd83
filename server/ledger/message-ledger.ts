/**
 * The per-message core of the lab's two ledgers: the drill's loss ledger (server/drills/loss-ledger.ts,
 * which adds the verdict, anomalies, predictions and sequence gaps) and the Messages page's tracker
 * (server/live/message-tracker.ts, which adds the send result, lookups by offset and a bound). One entry
 * per UNIQ_KEY holds what the broker and the consumers reported: the copy the broker stored (commit-log
 * offset and size), when the flushed and replicated watermarks passed its end, and what consumers did
 * with it. What the producer was told stays with each ledger, since each has its own rule for a
 * retried send (the best status for a verdict, the latest one for the page).
 *
 * Flushed and replicated come from watermarks (flushedOffset / replicatedOffset): an entry is flushed
 * once a watermark reaches its end (commit-log offset + size). Offsets and watermarks are per broker
 * group (each group's master has its own commit log): every call names the group ('' when there is
 * one), and a group's watermark confirms only what that group stored. After a power cut, a broker exit or a new
 * broker incarnation the commit log may be cut and its offsets reused, so the frontier of every entry
 * not yet confirmed is forgotten (frontierLostAt) rather than confirmed later by bytes that are not its
 * own. Stored offsets going backwards mean the same, even when no exit was reported.
 *
 * With a capacity the entries are kept in last-touched order and the stalest is evicted first; without
 * one (a drill run, which must judge every message) they stay in first-seen order and none is evicted.
 * The order is a doubly linked list beside the map, so a touch and an eviction cost the same at 10k
 * entries as at 10M (a Map re-inserted on every touch and evicted through keys().next() walks the
 * deleted slots at its front: 0.5 µs per insert grew to 7–58 µs past 100,000 entries).
 */
import type { ConsumeEvent, PowerCutReport, SendOutcome, StageBatch } from '../../broker/ipc';
import type { LedgerStage } from './message-stages';


/**
 * The events a ledger follows, as the control plane emits them (server/control-plane.ts emits these
 * and more). A ledger takes this narrow source, not the control plane, so it does not import it.
 */
export interface MessageEventSource {
  on(event: 'outcomes', listener: (outcomes: SendOutcome[]) => void): unknown;
  on(event: 'consumeEvents', listener: (events: ConsumeEvent[]) => void): unknown;
  on(event: 'stage', listener: (batch: StageBatch) => void): unknown;
  on(event: 'powerCut', listener: (cut: PowerCutReport) => void): unknown;
  on(event: 'clusterEvent', listener: (event: { kind: string; subject: string; atMs: number }) => void): unknown;
}

/** Statuses the broker answered (RocketMQ's SendStatus): the message was appended to the commit log. */
export const BROKER_ANSWERED: ReadonlySet<string> = new Set<SendOutcome['status']>(['SEND_OK', 'FLUSH_DISK_TIMEOUT', 'FLUSH_SLAVE_TIMEOUT', 'SLAVE_NOT_AVAILABLE']);

/**
 * What the core keeps per UNIQ_KEY; each ledger's record extends it. Times are Unix ms.
 *
 * A class, so every field is set at construction in one order and every record of a ledger shares
 * one hidden class: records built by spreading a literal and growing fields later, in whatever
 * order a run reached them, each had a shape of their own, and every access to them was
 * polymorphic (the drill ledger cost a quarter of a simulated run; docs/simulation.md#how-fast).
 * A ledger's record type extends it with its own fields, all initialised.
 */
export class MessageEntry {
  producerId: string | null = null;
  /** the producer's queue stamp (brokerName:queueId) */
  queue: string | null = null;
  seq: number | null = null;
  /** the copy that counts: the first one stored, or (unless keepFirstCopy) a resend stored after its bytes were cut */
  storedAt: number | null = null;
  /** the broker group whose commit log holds that copy ('' when the ledger follows one group) */
  storedOn: string | null = null;
  commitLogOffset: number | null = null;
  size: number | null = null;
  /** how many times the broker stored this UNIQ_KEY (a producer retry stores it again) */
  storedCount = 0;
  flushedAt: number | null = null;
  replicatedAt: number | null = null;
  /** a power cut or broker exit made the flushed / replicated frontier unknown before this record reached it */
  frontierLostAt: number | null = null;
  /** a power cut removed its bytes from the commit log (they were past the fdatasync'd length) */
  cutAt: number | null = null;
  deliveryCount = 0;
  /** the first CONSUME_SUCCESS */
  consumedAt: number | null = null;
  reconsumes = 0;
  duplicatesSuppressed = 0;

  /** `id` (UNIQ_KEY), first seen at `updatedAt` */
  constructor(
    readonly id: string,
    public updatedAt: number,
  ) {}
}

/** A record of `id` nothing has happened to yet, first seen at `at`. */
export function newMessageEntry(id: string, at: number): MessageEntry {
  return new MessageEntry(id, at);
}

interface Pending {
  id: string;
  offset: number;
  end: number;
}

/** One group's commit log as the ledger follows it: what waits for its watermarks, and where it ends. */
class CommitLogFrontier {
  constructor(readonly group: string) {}
  readonly unflushed = new PendingQueue();
  readonly unreplicated = new PendingQueue();
  /** the end of the newest stored record: an offset below it means the commit log was cut and reused */
  storedEnd = 0;
}

/** A FIFO of entries waiting for a watermark, in commit-log order. */
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

export interface MessageLedgerOptions<R extends MessageEntry> {
  /** a new record for a UNIQ_KEY first seen at `at` */
  create(id: string, at: number): R;
  /** how many records are kept at most; unbounded when left out */
  capacity?: number;
  /** how many records wait for a watermark per group at most (the oldest are let go); the capacity when left out */
  pendingCap?: number;
  /** called for each record evicted to stay within the capacity */
  evicted?(record: R): void;
  /**
   * Keep the first stored copy as the one that counts even after a power cut removed its bytes. By
   * default a resend stored after the cut takes its place, since it is the copy that exists.
   */
  keepFirstCopy?: boolean;
}

/** A record's place in the ledger's order. */
interface Link<R> {
  id: string;
  record: R;
  older: Link<R> | null;
  newer: Link<R> | null;
}

export class MessageLedger<R extends MessageEntry> {
  private readonly links = new Map<string, Link<R>>();
  private oldest: Link<R> | null = null;
  private newest: Link<R> | null = null;
  /** per broker group ('' when there is one) */
  private readonly logs = new Map<string, CommitLogFrontier>();
  readonly capacity: number;
  private readonly pendingCap: number;

  constructor(private readonly options: MessageLedgerOptions<R>) {
    this.capacity = options.capacity ?? Infinity;
    this.pendingCap = options.pendingCap ?? this.capacity;
  }

  get size(): number {
    return this.links.size;
  }

  get(id: string): R | undefined {
    return this.links.get(id)?.record;
  }

  /** Every record: last-touched order when bounded, first-seen order otherwise. */
  *values(): IterableIterator<R> {
    for (let link = this.oldest; link; link = link.newer) yield link.record;
  }

  /** How many records satisfy `test` (a plain walk of the order, without an iterator per record). */
  count(test: (record: R) => boolean): number {
    let n = 0;
    for (let link = this.oldest; link; link = link.newer) if (test(link.record)) n++;
    return n;
  }

  /** Every record, the other way round: the last touched (or last seen) first. */
  *newestFirst(): IterableIterator<R> {
    for (let link = this.newest; link; link = link.older) yield link.record;
  }

  /** The record of `id`, created if new (evicting the stalest beyond the capacity). */
  entry(id: string, at: number): R {
    const found = this.links.get(id);
    if (found) {
      // Bounded: the touched record moves to the newest end, so eviction drops the stalest.
      if (this.capacity !== Infinity && found !== this.newest) {
        this.unlink(found);
        this.append(found);
      }
      return found.record;
    }
    const link: Link<R> = { id, record: this.options.create(id, at), older: null, newer: null };
    this.links.set(id, link);
    this.append(link);
    while (this.links.size > this.capacity) this.evictOldest();
    return link.record;
  }

  /** Forgets `id` (a ledger that folds settled records); a watermark reaching it later finds nothing. */
  delete(id: string): void {
    const link = this.links.get(id);
    if (!link) return;
    this.unlink(link);
    this.links.delete(id);
  }

  private log(group: string): CommitLogFrontier {
    let log = this.logs.get(group);
    if (!log) this.logs.set(group, (log = new CommitLogFrontier(group)));
    return log;
  }

  /**
   * Group `group`'s master stored a copy of `id` at `offset`; the first copy counts, or (unless
   * keepFirstCopy) a resend after its bytes were cut.
   */
  stored(id: string, offset: number, size: number, at: number, group = ''): { record: R; counts: boolean } {
    const log = this.log(group);
    if (offset < log.storedEnd) {
      this.dropPending(at, log);
      log.storedEnd = offset;
    }
    log.storedEnd = Math.max(log.storedEnd, offset + size);
    const r = this.entry(id, at);
    r.storedCount++;
    const replaces = r.storedAt === null || (r.cutAt !== null && !this.options.keepFirstCopy);
    if (replaces) {
      r.storedAt = at;
      r.storedOn = group;
      r.commitLogOffset = offset;
      r.size = size;
    }
    r.updatedAt = at;
    // Only the copy that counts waits for the watermarks. Without keepFirstCopy a copy stored at its
    // offset stands for it (a new incarnation reused the offset, and the bytes there are this message's).
    const counts = this.options.keepFirstCopy ? replaces : r.commitLogOffset === offset && r.storedOn === group;
    if (!counts) return { record: r, counts: false };
    const item = { id, offset, end: offset + size };
    if (r.flushedAt === null) log.unflushed.push(item, this.pendingCap);
    if (r.replicatedAt === null) log.unreplicated.push(item, this.pendingCap);
    return { record: r, counts: true };
  }

  /** Group `group`'s master's durable watermarks: every waiting record whose end they reach is flushed / replicated now. */
  watermarks(batch: { flushedOffset?: number; replicatedOffset?: number }, at: number, group = ''): void {
    const log = this.log(group);
    if (batch.flushedOffset !== undefined) {
      for (const p of log.unflushed.reach(batch.flushedOffset)) {
        const r = this.live(p, group);
        if (r && r.flushedAt === null) {
          r.flushedAt = at;
          r.updatedAt = at;
        }
      }
    }
    if (batch.replicatedOffset !== undefined) {
      for (const p of log.unreplicated.reach(batch.replicatedOffset)) {
        const r = this.live(p, group);
        if (r && r.replicatedAt === null) {
          r.replicatedAt = at;
          r.updatedAt = at;
        }
      }
    }
  }

  /**
   * The master cut its files to the fdatasync'd length: records ending at or below it survived (flushed);
   * records past it lost their bytes. Either way no later watermark may confirm them.
   */
  powerCut(flushedOffset: number, at: number, group = ''): void {
    const log = this.log(group);
    for (const p of log.unflushed.drain()) {
      const r = this.live(p, group);
      if (!r || r.flushedAt !== null) continue;
      if (p.end <= flushedOffset) r.flushedAt = at;
      else r.cutAt ??= at;
      r.updatedAt = at;
    }
    for (const p of log.unreplicated.drain()) {
      const r = this.live(p, group);
      if (!r || r.replicatedAt !== null) continue;
      r.frontierLostAt ??= at;
      if (p.end > flushedOffset) r.cutAt ??= at;
      r.updatedAt = at;
    }
    log.storedEnd = Math.min(log.storedEnd, flushedOffset);
  }

  /**
   * Group `group`'s master exited, or a new one took over (every group's when `group` is left out):
   * what it had not confirmed stays unconfirmed (offsets may be reused).
   */
  forgetFrontier(at: number, group?: string): void {
    if (group !== undefined) this.dropPending(at, this.log(group));
    else for (const log of this.logs.values()) this.dropPending(at, log);
  }

  /** One consumer report on its record: who sent it (the first report wins) and what the consumer did. */
  consume(r: R, e: ConsumeEvent): void {
    if (e.producerId) r.producerId ??= e.producerId;
    if (e.queue) r.queue ??= e.queue;
    if (e.seq !== undefined) r.seq ??= e.seq;
    switch (e.kind) {
      case 'delivered':
        r.deliveryCount++;
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

  /** How far the broker's side got: replicated, flushed or stored; null when no stage batch named the record. */
  durableStage(r: R): Extract<LedgerStage, 'stored' | 'flushed' | 'replicated'> | null {
    if (r.storedAt === null) return null;
    if (r.replicatedAt !== null) return 'replicated';
    if (r.flushedAt !== null) return 'flushed';
    return 'stored';
  }

  private dropPending(at: number, log: CommitLogFrontier): void {
    for (const queue of [log.unflushed, log.unreplicated]) {
      for (const p of queue.drain()) {
        const r = this.live(p, log.group);
        if (!r) continue;
        if (queue === log.unflushed ? r.flushedAt !== null : r.replicatedAt !== null) continue;
        r.frontierLostAt ??= at;
        r.updatedAt = at;
      }
    }
  }

  /** The record a pending item of `group` stands for, unless it was evicted or stored again elsewhere. */
  private live(p: Pending, group: string): R | undefined {
    const r = this.links.get(p.id)?.record;
    return r && r.commitLogOffset === p.offset && r.storedOn === group ? r : undefined;
  }

  private append(link: Link<R>): void {
    link.older = this.newest;
    link.newer = null;
    if (this.newest) this.newest.newer = link;
    else this.oldest = link;
    this.newest = link;
  }

  private unlink(link: Link<R>): void {
    if (link.older) link.older.newer = link.newer;
    else this.oldest = link.newer;
    if (link.newer) link.newer.older = link.older;
    else this.newest = link.older;
    link.older = null;
    link.newer = null;
  }

  private evictOldest(): void {
    const link = this.oldest;
    if (!link) return;
    this.unlink(link);
    this.links.delete(link.id);
    this.options.evicted?.(link.record);
  }
}
