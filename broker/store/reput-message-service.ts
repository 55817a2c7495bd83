/**
 * ReputMessageService, the dispatcher (docs/rocketmq-semantics.md#consume-queue, #visibility): follows the commit log from
 * reputFromOffset and hands every appended record to `dispatch`, which appends the consume-queue
 * entry (NOT and COMMIT transaction types only) and wakes long-polling pulls.
 *
 * RocketMQ polls every 1 ms on its own thread; here the commit log hands each appended record to
 * dispatchAppended() right away (synchronously). doReput() reads the log itself: recovery calls it
 * from the checkpoint's offset to rebuild whatever the consume queues lost, the slave path after raw
 * appends, and the store after each flush.
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

export class ReputMessageService {
  private readonly commitLog: CommitLog;
  private readonly dispatch: (request: DispatchRequest) => void;
  reputFromOffset = 0;
  private running = false;

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

  /**
   * The append fast path: the record just written at `request.commitLogOffset` is dispatched from
   * what the commit log already knows, unless the dispatcher is not exactly there (after a roll,
   * or when behind), in which case it reads the log as usual.
   */
  dispatchAppended(request: DispatchRequest): void {
    if (this.running || request.commitLogOffset !== this.reputFromOffset) {
      this.doReput();
      return;
    }
    if (request.commitLogOffset + request.size > this.visibleLimit()) return; // dispatched after its flush
    this.reputFromOffset = request.commitLogOffset + request.size;
    if (isDispatchedType(request.sysFlag)) this.dispatch(request);
  }

  /** Dispatches everything between reputFromOffset and the log's max offset; returns records dispatched. */
  doReput(): number {
    if (this.running) return 0; // a dispatch callback appended: the outer pass picks it up
    this.running = true;
    let count = 0;
    try {
      const queue = this.commitLog.mappedFileQueue;
      const limit = Math.min(this.visibleLimit(), this.commitLog.maxOffset());
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
          this.reputFromOffset = file.fileFromOffset + position;
        }
        this.reputFromOffset = file.fileFromOffset + position;
        if (position < file.fileSize) break; // caught up (or at the limit) inside this segment
      }
    } finally {
      this.running = false;
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
