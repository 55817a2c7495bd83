/**
 * Finds every gap: each producer stamps a sequence number per queue (ZL_PRODUCER, ZL_QUEUE, ZL_SEQ);
 * on the consumer side each (producer, queue) stream must show 1, 2, 3, … Anything else is a gap
 * (numbers skipped: lost or not yet arrived), a reordering (a gap filled late) or a duplicate.
 */
export interface SequenceStamp {
  producerId: string;
  queue: string;
  seq: number;
}

export type SequenceVerdict =
  | { kind: 'in-order' }
  | { kind: 'gap'; missingFrom: number; missingTo: number }
  | { kind: 'reordered' }
  | { kind: 'duplicate' };

interface Stream {
  max: number;
  /** numbers below max not seen yet */
  missing: Set<number>;
}

/** Bound on remembered missing numbers per stream; past it the oldest are forgotten and counted lost. */
const MAX_MISSING_PER_STREAM = 100_000;

export class SequenceChecker {
  private readonly streams = new Map<string, Stream>();
  counts = { inOrder: 0, gaps: 0, reordered: 0, duplicates: 0 };

  observe(stamp: SequenceStamp): SequenceVerdict {
    const key = `${stamp.producerId}|${stamp.queue}`;
    let stream = this.streams.get(key);
    if (!stream) this.streams.set(key, (stream = { max: 0, missing: new Set() }));
    if (stamp.seq === stream.max + 1) {
      stream.max = stamp.seq;
      this.counts.inOrder++;
      return { kind: 'in-order' };
    }
    if (stamp.seq > stream.max + 1) {
      const from = stream.max + 1;
      for (let s = from; s < stamp.seq && stream.missing.size < MAX_MISSING_PER_STREAM; s++) stream.missing.add(s);
      stream.max = stamp.seq;
      this.counts.gaps++;
      return { kind: 'gap', missingFrom: from, missingTo: stamp.seq - 1 };
    }
    if (stream.missing.delete(stamp.seq)) {
      this.counts.reordered++;
      return { kind: 'reordered' };
    }
    this.counts.duplicates++;
    return { kind: 'duplicate' };
  }

  /** Whether this number of its stream was seen (a number forgotten past the bound reads as seen). */
  hasSeen(stamp: SequenceStamp): boolean {
    const stream = this.streams.get(`${stamp.producerId}|${stamp.queue}`);
    return stream !== undefined && stamp.seq <= stream.max && !stream.missing.has(stamp.seq);
  }

  /** Numbers still missing, per stream: the open gaps. */
  openGaps(): { producerId: string; queue: string; missing: number[] }[] {
    const out: { producerId: string; queue: string; missing: number[] }[] = [];
    for (const [key, stream] of this.streams) {
      if (stream.missing.size === 0) continue;
      const [producerId, queue] = key.split('|');
      out.push({ producerId, queue, missing: [...stream.missing].sort((a, b) => a - b) });
    }
    return out;
  }

  missingCount(): number {
    let n = 0;
    for (const stream of this.streams.values()) n += stream.missing.size;
    return n;
  }
}
