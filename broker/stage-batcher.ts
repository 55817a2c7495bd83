/** Batches stage events so one IPC message carries ~50 ms of them. */
import { systemClock, type Clock, type Timer } from './io/clock.js';
import { DLQ_GROUP_TOPIC_PREFIX } from './protocol/codes.js';
import type { StoreEvents } from './store/types.js';
import type { HaListeners } from './ha/ha-types.js';

const MAX_BATCH = 5000;

export class StageBatcher {
  private pending: [string, number, number][] = [];
  private flushedOffset: number | undefined;
  private replicatedOffset: number | undefined;
  private replicatedCount = 0;
  /** ids of messages that ended in a %DLQ% topic */
  private dlqIds: string[] = [];
  private timer: Timer | undefined;
  storedTotal = 0;

  constructor(
    private readonly emit: (batch: { atMs: number; stored: [string, number, number][]; flushedOffset?: number; replicatedOffset?: number; replicatedCount?: number; dlq?: string[] }) => void,
    private readonly intervalMs = 50,
    private readonly clock: Clock = systemClock,
  ) {}

  stored(id: string, commitLogOffset: number, size: number): void {
    this.pending.push([id, commitLogOffset, size]);
    this.storedTotal++;
    if (this.pending.length >= MAX_BATCH) this.flush();
    else this.schedule();
  }

  flushed(offset: number): void {
    this.flushedOffset = offset;
    this.schedule();
  }

  /** A message was stored in a dead-letter queue: the 'dlq' stage. */
  dlq(id: string): void {
    this.dlqIds.push(id);
    this.schedule();
  }

  /** A slave acked `offset` (the 'replicated' stage); `count` records were replicated with it. */
  replicated(offset: number, count: number): void {
    this.replicatedOffset = offset;
    this.replicatedCount += count;
    this.schedule();
  }

  flush(): void {
    this.timer?.cancel();
    this.timer = undefined;
    if (this.pending.length === 0 && this.flushedOffset === undefined && this.replicatedOffset === undefined && this.dlqIds.length === 0) return;
    const replicated = this.replicatedOffset === undefined ? {} : { replicatedOffset: this.replicatedOffset, replicatedCount: this.replicatedCount };
    const dlq = this.dlqIds.length === 0 ? {} : { dlq: this.dlqIds };
    this.emit({ atMs: this.clock.nowMs(), stored: this.pending, flushedOffset: this.flushedOffset, ...replicated, ...dlq });
    this.dlqIds = [];
    this.pending = [];
    this.flushedOffset = undefined;
    this.replicatedOffset = undefined;
    this.replicatedCount = 0;
  }

  private schedule(): void {
    this.timer ??= this.clock.setTimeout(() => this.flush(), this.intervalMs);
  }
}

/**
 * The broker listeners that feed `stage`: every stored record (by UNIQ_KEY), the flushed and the
 * replicated offsets, and the records that reached a dead-letter queue — what the ledger reads of a
 * broker, in the broker process and in the simulator alike.
 */
export function stageListeners(stage: StageBatcher): Required<Pick<StoreEvents, 'stored' | 'flushed'>> & Required<Pick<HaListeners, 'replicated'>> {
  return {
    stored: (event) => {
      const id = event.properties.get('UNIQ_KEY') ?? event.msgId;
      stage.stored(id, event.commitLogOffset, event.size);
      if (event.topic.startsWith(DLQ_GROUP_TOPIC_PREFIX)) stage.dlq(id);
    },
    flushed: (event) => stage.flushed(event.flushedOffset),
    replicated: (ackOffset, count) => stage.replicated(ackOffset, count),
  };
}
