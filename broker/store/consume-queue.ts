/**
 * The consume queue of one topic/queueId (RocketMQ's ConsumeQueue): an index of 20-byte entries,
 * one per dispatched message, kept in segments of mappedFileSizeConsumeQueue bytes named by their
 * starting byte offset. Entry n (the message with queue offset n) sits at byte n * 20.
 *
 * Built only by the dispatcher (ReputMessageService) from the commit log, so it can always be
 * rebuilt; appends are idempotent. Flushed by the store's consume-queue flush loop, never on the
 * put path. It does not read the commit log itself.
 *
 * After a failed write (sticky, see MappedFile) entries are dropped rather than thrown at the put
 * path, and the queue counts as unflushed for good, so the checkpoint never vouches past them and
 * the restart's re-dispatch rebuilds them from the commit log.
 */
import path from 'node:path';
import { isZerolossError } from '../errors/errors.js';
import type { FileLayer } from '../io/file-layer.js';
import { MappedFileQueue } from './mapped-file-queue.js';
import { readLong } from '../protocol/message-record.js';

/*
 * Consume-queue entry, CQ_STORE_UNIT_SIZE = 20 bytes:
 *
 *   +---------------------------+-----------+---------------------------+
 *   | commitLogOffset (8)       | size (4)  | tagsCode (8)              |
 *   +---------------------------+-----------+---------------------------+
 *
 * tagsCode = Java String.hashCode of the TAGS property (0 without tags); in SCHEDULE_TOPIC_XXXX,
 * the delivery timestamp (ms).
 * A filler entry (commitLogOffset 0, size FILLER_ENTRY_SIZE, tagsCode 0) stands for a queue offset
 * with no message behind it, as RocketMQ's fillPreBlank writes; readers skip it.
 */
export const CQ_STORE_UNIT_SIZE = 20;
export const FILLER_ENTRY_SIZE = 0x7fffffff;

export interface ConsumeQueueEntry {
  commitLogOffset: number;
  size: number;
  tagsCode: number;
}

export const PutPositionStatus = {
  APPENDED: 'APPENDED',
  /** the entry was already there (re-dispatch after recovery) */
  DUPLICATE: 'DUPLICATE',
  /** a write of this queue failed: the entry is dropped until a restart rebuilds it */
  WRITE_FAILED: 'WRITE_FAILED',
} as const;
export type PutPositionStatus = (typeof PutPositionStatus)[keyof typeof PutPositionStatus];

export class ConsumeQueue {
  readonly topic: string;
  readonly queueId: number;
  private readonly queue: MappedFileQueue;
  /** end (offset + size) of the last entry's record in the commit log */
  private maxPhysicOffsetValue = 0;
  /** entries dropped after a failed write */
  private droppedEntries = 0;

  constructor(fileLayer: FileLayer, rootDir: string, topic: string, queueId: number, fileSize: number) {
    this.topic = topic;
    this.queueId = queueId;
    const unitAligned = fileSize - (fileSize % CQ_STORE_UNIT_SIZE);
    this.queue = new MappedFileQueue(fileLayer, path.join(rootDir, topic, String(queueId)), unitAligned);
  }

  get dir(): string {
    return this.queue.dir;
  }

  /**
   * Loads the segments and drops a torn tail: a partial entry, or entries from the first invalid one
   * (offset < 0 or size <= 0) on, as ConsumeQueue.recover does.
   */
  load(): void {
    this.queue.load();
    const end = this.queue.maxOffset();
    let valid = end - (end % CQ_STORE_UNIT_SIZE);
    // Scan backwards past invalid entries (only a torn tail can hold them).
    while (valid > this.queue.minOffset()) {
      const entry = this.readEntryAtByte(valid - CQ_STORE_UNIT_SIZE);
      if (entry && entry.commitLogOffset >= 0 && entry.size > 0) break;
      valid -= CQ_STORE_UNIT_SIZE;
    }
    if (valid < end) this.queue.truncateDirtyFiles(valid);
    this.refreshMaxPhysicOffset();
  }

  /** Queue offset of the first entry held. */
  minOffsetInQueue(): number {
    return this.queue.minOffset() / CQ_STORE_UNIT_SIZE;
  }

  /** One past the last entry's queue offset (the next offset to be assigned). */
  maxOffsetInQueue(): number {
    return this.queue.maxOffset() / CQ_STORE_UNIT_SIZE;
  }

  maxPhysicOffset(): number {
    return this.maxPhysicOffsetValue;
  }

  unflushedBytes(): number {
    return this.queue.unflushedBytes() + this.droppedEntries * CQ_STORE_UNIT_SIZE;
  }

  /**
   * ConsumeQueue.putMessagePositionInfo. Idempotent: an entry for a record at or before the last
   * one indexed, or for a queue offset already filled, is ignored. A gap (queue offset beyond the
   * next one) is filled with filler entries so queue offsets stay equal to the records' QUEUEOFFSET.
   */
  putMessagePositionInfo(commitLogOffset: number, size: number, tagsCode: number, queueOffset: number): PutPositionStatus {
    if (this.queue.failed()) {
      this.droppedEntries++;
      return PutPositionStatus.WRITE_FAILED;
    }
    try {
      return this.appendPositionInfo(commitLogOffset, size, tagsCode, queueOffset);
    } catch (error) {
      if (!isZerolossError(error, 'DISK_WRITE_FAILED')) throw error;
      this.droppedEntries++;
      console.error(`[ConsumeQueue] ${this.topic}/${this.queueId}: write failed, entries dropped until a restart`, error);
      return PutPositionStatus.WRITE_FAILED;
    }
  }

  private appendPositionInfo(commitLogOffset: number, size: number, tagsCode: number, queueOffset: number): PutPositionStatus {
    if (commitLogOffset + size <= this.maxPhysicOffsetValue) return PutPositionStatus.DUPLICATE;
    const next = this.maxOffsetInQueue();
    if (queueOffset < next) return PutPositionStatus.DUPLICATE;
    if (queueOffset > next) {
      console.warn(`[BUG] consume queue ${this.topic}/${this.queueId}: gap from ${next} to ${queueOffset}, filling`);
      if (next === 0 && this.queue.segments().length === 0) {
        // An empty queue simply starts at the right segment; only that segment's head needs filler.
        const startByte = queueOffset * CQ_STORE_UNIT_SIZE;
        this.queue.getLastMappedFile(startByte);
      }
      while (this.maxOffsetInQueue() < queueOffset) this.queue.appendFixed(encodeEntry(0, FILLER_ENTRY_SIZE, 0));
    }
    this.queue.appendFixed(encodeEntry(commitLogOffset, size, tagsCode));
    this.maxPhysicOffsetValue = commitLogOffset + size;
    return PutPositionStatus.APPENDED;
  }

  /** The entry at a queue offset, or null when the queue does not hold it. */
  getEntry(queueOffset: number): ConsumeQueueEntry | null {
    return this.readEntryAtByte(queueOffset * CQ_STORE_UNIT_SIZE);
  }

  /** Up to `count` consecutive entries starting at `queueOffset` (fewer at a segment end). */
  getEntries(queueOffset: number, count: number): ConsumeQueueEntry[] {
    const bytes = this.queue.read(queueOffset * CQ_STORE_UNIT_SIZE, count * CQ_STORE_UNIT_SIZE);
    const out: ConsumeQueueEntry[] = [];
    for (let p = 0; p + CQ_STORE_UNIT_SIZE <= bytes.length; p += CQ_STORE_UNIT_SIZE) out.push(decodeEntry(bytes, p));
    return out;
  }

  /** The first queue offset whose record starts at or past `physicalOffset` (the queue's end if none does). */
  queueOffsetAt(physicalOffset: number): number {
    let offset = this.maxOffsetInQueue();
    const min = this.minOffsetInQueue();
    while (offset > min) {
      const entry = this.getEntry(offset - 1);
      if (entry && entry.size !== FILLER_ENTRY_SIZE && entry.commitLogOffset < physicalOffset) break;
      offset--;
    }
    return offset;
  }

  /** Drops every entry whose record starts at or past `physicalOffset` (commit log truncated there). */
  truncateDirtyLogicFiles(physicalOffset: number): void {
    // Filler entries at the tail go too: they stand for nothing.
    const keep = this.queueOffsetAt(physicalOffset);
    if (keep < this.maxOffsetInQueue()) this.queue.truncateDirtyFiles(keep * CQ_STORE_UNIT_SIZE);
    this.refreshMaxPhysicOffset();
  }

  flush(): Promise<number> {
    return this.queue.flush(0);
  }

  freeze(): void {
    this.queue.freeze();
  }

  flushSync(): void {
    this.queue.flushAllSync();
  }

  close(): void {
    this.queue.close();
  }

  private refreshMaxPhysicOffset(): void {
    this.maxPhysicOffsetValue = 0;
    for (let offset = this.maxOffsetInQueue() - 1; offset >= this.minOffsetInQueue(); offset--) {
      const entry = this.getEntry(offset);
      if (entry && entry.size !== FILLER_ENTRY_SIZE) {
        this.maxPhysicOffsetValue = entry.commitLogOffset + entry.size;
        return;
      }
    }
  }

  private readEntryAtByte(byteOffset: number): ConsumeQueueEntry | null {
    const bytes = this.queue.read(byteOffset, CQ_STORE_UNIT_SIZE);
    return bytes.length === CQ_STORE_UNIT_SIZE ? decodeEntry(bytes, 0) : null;
  }
}

export function encodeEntry(commitLogOffset: number, size: number, tagsCode: number): Buffer {
  const buffer = Buffer.allocUnsafe(CQ_STORE_UNIT_SIZE);
  // Both longs fit a JS number: the offset is < 2^53; tagsCode is a Java int, sign-extended, or
  // (SCHEDULE_TOPIC_XXXX) a delivery timestamp in ms.
  const high = Math.floor(commitLogOffset / 0x1_0000_0000);
  buffer.writeUInt32BE(high, 0);
  buffer.writeUInt32BE(commitLogOffset - high * 0x1_0000_0000, 4);
  buffer.writeInt32BE(size, 8);
  if (tagsCode === (tagsCode | 0)) {
    buffer.writeInt32BE(tagsCode < 0 ? -1 : 0, 12);
    buffer.writeInt32BE(tagsCode, 16);
  } else {
    buffer.writeBigInt64BE(BigInt(Math.trunc(tagsCode)), 12);
  }
  return buffer;
}

function decodeEntry(buffer: Buffer, position: number): ConsumeQueueEntry {
  return {
    commitLogOffset: readLong(buffer, position),
    size: buffer.readInt32BE(position + 8),
    tagsCode: readLong(buffer, position + 12),
  };
}
