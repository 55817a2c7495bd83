/**
 * Replication lag of a master in messages and milliseconds: a bounded FIFO of (record end offset,
 * store timestamp) for every record appended since this process started, trimmed as the slave's
 * ack offset passes them. Lag in bytes needs no tracking (max offset − ack offset).
 *
 * Bound: at most LAG_TRACKED_MAX records are kept. Beyond that the oldest are folded into one
 * "overflow" bucket (count, end offset, oldest timestamp) that leaves as a whole once the ack passes
 * its end: the message count is then exact again, and until then it is exact too (the bucket's
 * count is added whole), only its partial acks are not seen.
 * Records stored before this process started are not counted in messages (their bytes are).
 */
export const LAG_TRACKED_MAX = 200_000;

export interface ReplicationLag {
  bytes: number;
  messages: number;
  /** age of the oldest record not yet acked by a slave; 0 when none */
  ms: number;
}

export class ReplicationLagTracker {
  private ends: number[] = [];
  private timestamps: number[] = [];
  private head = 0;
  private overflow: { count: number; endOffset: number; oldestTimestamp: number } | undefined;

  constructor(private readonly maxTracked = LAG_TRACKED_MAX) {}

  /** A record [offset, offset+size) stored at `storeTimestamp`. */
  appended(offset: number, size: number, storeTimestamp: number): void {
    this.ends.push(offset + size);
    this.timestamps.push(storeTimestamp);
    if (this.ends.length - this.head > this.maxTracked) {
      const end = this.ends[this.head]!;
      const ts = this.timestamps[this.head]!;
      this.head++;
      if (this.overflow) {
        this.overflow.count++;
        this.overflow.endOffset = end;
      } else this.overflow = { count: 1, endOffset: end, oldestTimestamp: ts };
    }
    this.compact();
  }

  /** Forgets every record the slave's ack covers; returns how many left the lag. */
  acked(ackOffset: number): number {
    let gone = 0;
    if (this.overflow && this.overflow.endOffset <= ackOffset) {
      gone += this.overflow.count;
      this.overflow = undefined;
    }
    if (this.overflow) return gone;
    while (this.head < this.ends.length && this.ends[this.head]! <= ackOffset) {
      this.head++;
      gone++;
    }
    this.compact();
    return gone;
  }

  lag(maxPhyOffset: number, ackOffset: number, nowMs: number): ReplicationLag {
    const oldest = this.overflow?.oldestTimestamp ?? this.timestamps[this.head];
    return {
      bytes: Math.max(0, maxPhyOffset - ackOffset),
      messages: (this.overflow?.count ?? 0) + (this.ends.length - this.head),
      ms: oldest === undefined ? 0 : Math.max(0, nowMs - oldest),
    };
  }

  private compact(): void {
    if (this.head === this.ends.length) {
      this.ends = [];
      this.timestamps = [];
      this.head = 0;
    } else if (this.head > 4096 && this.head * 2 > this.ends.length) {
      this.ends = this.ends.slice(this.head);
      this.timestamps = this.timestamps.slice(this.head);
      this.head = 0;
    }
  }
}
