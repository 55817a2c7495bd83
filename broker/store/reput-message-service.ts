/**
 * ReputMessageService, the dispatcher (docs/rocketmq-semantics.md#consume-queue, #visibility): follows the commit log from
 * reputFromOffset and hands every appended record to `dispatch`, which appends the consume-queue
 * entry (NOT and COMMIT transaction types only) and wakes long-polling pulls.
 *
 * RocketMQ polls every 1 ms on its own thread; here the commit log hands each appended record to
 * dispatchAppended() right away (synchronously), with what the append already knows (topic, queue,
 * tags code, keys). A record not visible yet (below) is held in memory, in log order, and dispatched
 * from there once the bound passes it (after its flush or the slave's ack), so the master never
 * reads back and decodes what it just wrote. doReput() reads the log itself where memory has no
 * record: recovery from the checkpoint's offset, the slave's raw appends, the records around a
 * segment roll, and whatever was appended while more than HELD_MAX records were waiting.
 *
 * Dispatch never goes past `visibleLimit()`. RocketMQ 4.x dispatches up to the written position, so
 * a consumer can read (and move its offset past) records a power cut then takes back; after the
 * restart new records reuse those queue offsets and that consumer skips them. The store therefore
 * sets the limit to the flushed offset under SYNC_FLUSH (docs/architecture.md#departures): what a consumer
 * sees there has survived an fdatasync.
 */
import { BLANK_MAGIC_CODE, MessageProperty } from '../protocol/codes.js';
import { RECORD_FIXED_OVERHEAD, decodeMessageRecord } from '../protocol/message-record.js';
import type { CommitLog } from './commit-log.js';
import { isDispatchedType, type DispatchRequest } from './dispatch-request.js';
import { SegmentCursor } from './segment-cursor.js';

/** Appended records waiting for the visible bound at most; past it the dispatcher reads them back instead. */
const HELD_MAX = 65_536;

export class ReputMessageService {
  private readonly commitLog: CommitLog;
  private readonly dispatch: (request: DispatchRequest) => void;
  reputFromOffset = 0;
  /** records dispatched by reading them back from the log, not from memory */
  readBackCount = 0;
  private running = false;
  /** appended records not dispatched yet, contiguous in log order from held[heldHead] */
  private held: DispatchRequest[] = [];
  private heldHead = 0;

  private readonly visibleLimit: () => number;

  constructor(commitLog: CommitLog, dispatch: (request: DispatchRequest) => void, visibleLimit?: () => number) {
    this.commitLog = commitLog;
    this.dispatch = dispatch;
    this.visibleLimit = visibleLimit ?? (() => commitLog.maxOffset());
  }

  /** Bytes appended but not dispatched yet. */
  behindBytes(): number {
    return this.commitLog.maxOffset() - this.reputFromOffset;
  }

  /** Records held in memory for dispatch (for tests). */
  heldCount(): number {
    return this.held.length - this.heldHead;
  }

  /**
   * The append path: the record just written is held (it continues the held run, or starts a new
   * one after a gap such as a segment roll, which reading fills), then everything visible is
   * dispatched.
   */
  dispatchAppended(request: DispatchRequest): void {
    const last = this.held.at(-1);
    const continues = this.heldCount() > 0 ? last!.commitLogOffset + last!.size === request.commitLogOffset : request.commitLogOffset >= this.reputFromOffset;
    if (!continues || this.heldCount() >= HELD_MAX) this.dropHeld();
    this.held.push(request);
    this.doReput();
  }

  /** Dispatches everything visible from reputFromOffset: from memory where held, else read from the log; returns records dispatched. */
  doReput(): number {
    if (this.running) return 0; // a dispatch callback appended: the outer pass picks it up
    this.running = true;
    let count = 0;
    try {
      for (;;) {
        const limit = Math.min(this.visibleLimit(), this.commitLog.maxOffset());
        const next = this.heldCount() > 0 ? this.held[this.heldHead]! : undefined;
        if (next && next.commitLogOffset < this.reputFromOffset) {
          this.dropHeld(); // read back already (the held run and the log disagree): reading goes on
          continue;
        }
        if (next && next.commitLogOffset === this.reputFromOffset) {
          if (next.commitLogOffset + next.size > limit) break; // dispatched once the bound passes it
          this.heldHead++;
          this.compactHeld();
          this.reputFromOffset = next.commitLogOffset + next.size;
          if (isDispatchedType(next.sysFlag)) this.dispatch(next);
          count++;
          continue;
        }
        const read = this.readLog(Math.min(limit, next?.commitLogOffset ?? Infinity));
        count += read;
        if (this.reputFromOffset !== next?.commitLogOffset) break; // caught up with the limit, or reading stopped
      }
    } finally {
      this.running = false;
    }
    return count;
  }

  private dropHeld(): void {
    this.held = [];
    this.heldHead = 0;
  }

  private compactHeld(): void {
    if (this.heldHead === this.held.length) this.dropHeld();
    else if (this.heldHead > 4096 && this.heldHead * 2 > this.held.length) {
      this.held = this.held.slice(this.heldHead);
      this.heldHead = 0;
    }
  }

  /** Reads and dispatches the records between reputFromOffset and `limit`; returns records dispatched. */
  private readLog(limit: number): number {
    let count = 0;
    const queue = this.commitLog.mappedFileQueue;
    while (this.reputFromOffset < limit) {
      if (this.reputFromOffset < this.commitLog.minOffset()) this.reputFromOffset = this.commitLog.minOffset();
      const file = queue.findMappedFileByOffset(this.reputFromOffset);
      if (!file) break;
      const cursor = new SegmentCursor(file);
      let position = this.reputFromOffset - file.fileFromOffset;
      while (position < file.wrotePosition && file.fileFromOffset + position < limit) {
        const head = cursor.view(position, 8);
        if (head.length < 8) break;
        const size = head.readInt32BE(0);
        if (head.readInt32BE(4) === BLANK_MAGIC_CODE) {
          position = file.fileSize; // roll to the next segment
          break;
        }
        // A slave's raw append may end inside a record (HA frames are byte ranges): the rest follows.
        if (size >= RECORD_FIXED_OVERHEAD && position + size > file.wrotePosition && position + size <= file.fileSize) break;
        if (file.fileFromOffset + position + size > limit) break; // not visible yet
        const record = cursor.view(position, size);
        if (size < RECORD_FIXED_OVERHEAD || record.length < size) {
          throw new Error(`dispatcher found an unreadable record at ${file.fileFromOffset + position} (size ${size})`);
        }
        this.dispatchRecord(record, file.fileFromOffset + position, size);
        position += size;
        count++;
        this.readBackCount++;
        this.reputFromOffset = file.fileFromOffset + position;
      }
      this.reputFromOffset = file.fileFromOffset + position;
      if (position < file.fileSize) break; // caught up (or at the limit) inside this segment
    }
    return count;
  }

  private dispatchRecord(record: Buffer, commitLogOffset: number, size: number): void {
    const message = decodeMessageRecord(record, 0);
    if (!isDispatchedType(message.sysFlag)) return;
    this.dispatch({
      topic: message.topic,
      queueId: message.queueId,
      commitLogOffset,
      size,
      tagsCode: this.commitLog.tagsCodeFor(message, message.storeTimestamp),
      storeTimestamp: message.storeTimestamp,
      queueOffset: message.queueOffset,
      sysFlag: message.sysFlag,
      uniqKey: message.properties.get(MessageProperty.UNIQ_KEY),
      keys: message.properties.get(MessageProperty.KEYS),
    });
  }
}
