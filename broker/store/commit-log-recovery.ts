/**
 * The commit-log half of recovery (docs/rocketmq-semantics.md#recovery, CommitLog.recoverNormally /
 * recoverAbnormally): walk the tail segment by segment, validate every record (size bounds, magic,
 * recomputed length, PHYSICALOFFSET, body CRC), stop at the first invalid one and truncate there;
 * later segments are deleted. A segment counts as finished only if its BLANK record pads it exactly
 * to its capacity; anything else ends the log inside it.
 *
 * Normal recovery (no `abort`) starts at the third-last segment; abnormal recovery at the newest
 * segment whose first record is older than the checkpoint's minimum timestamp (else the first).
 * It does not touch consume queues: the store cuts and re-dispatches them afterwards.
 *
 * What it keeps it fdatasyncs: after a SIGKILL the tail may be only in the page cache, and a
 * record recovery kept (and consumers may see again) must not vanish in the next power cut.
 */
import { BLANK_MAGIC_CODE, END_FILE_MIN_BLANK_LENGTH } from '../protocol/codes.js';
import { RECORD_FIXED_OVERHEAD, RecordCheckStatus, checkMessageRecord, decodeMessageRecord } from '../protocol/message-record.js';
import type { MappedFile } from './mapped-file.js';
import type { MappedFileQueue } from './mapped-file-queue.js';
import { SegmentCursor } from './segment-cursor.js';
import type { MessageExt } from './types.js';

/** What recovery needs of the commit log. CommitLog has it; naming it here keeps this file below commit-log.ts. */
export interface RecoverableCommitLog {
  readonly mappedFileQueue: MappedFileQueue;
  lookMessageByOffset(offset: number): MessageExt | null;
}

export interface CommitLogRecovery {
  /** the new max offset: the end of the last valid record (or of the last finished segment) */
  validEnd: number;
  /** store time of the last valid record, so new timestamps stay monotonic */
  lastStoreTimestamp: number;
}

export function recoverCommitLog(commitLog: RecoverableCommitLog, abnormal: boolean, checkpointMinTimestamp: number): CommitLogRecovery {
  const queue = commitLog.mappedFileQueue;
  const files = queue.segments();
  if (files.length === 0) return { validEnd: 0, lastStoreTimestamp: 0 };
  const start = abnormal ? abnormalStartIndex(commitLog, checkpointMinTimestamp) : Math.max(0, files.length - 3);
  let validEnd = files[start]!.fileFromOffset;
  for (let index = start; index < files.length; index++) {
    const file = files[index]!;
    const scan = scanSegment(file, queue.fileSize);
    validEnd = file.fileFromOffset + scan.end;
    if (!scan.blank) break; // the log ends inside this segment
  }
  queue.truncateDirtyFiles(validEnd);
  queue.flushAllSync();
  return { validEnd, lastStoreTimestamp: validEnd > 0 ? lastRecordTimestampBefore(commitLog, validEnd) : 0 };
}

/**
 * Walks one segment from its start: where its valid data ends, and whether a proper BLANK record
 * (padding exactly to the capacity) finished it.
 */
function scanSegment(file: MappedFile, capacity: number): { end: number; blank: boolean } {
  const cursor = new SegmentCursor(file);
  let position = 0;
  while (position < file.wrotePosition) {
    const head = cursor.view(position, 8);
    if (head.length < 8) break;
    const size = head.readInt32BE(0);
    if (head.readInt32BE(4) === BLANK_MAGIC_CODE) {
      const whole = size === capacity - position && file.wrotePosition === capacity;
      return { end: whole ? capacity : position, blank: whole };
    }
    // A record always leaves room for the BLANK record behind it.
    if (size < RECORD_FIXED_OVERHEAD || size > capacity - position - END_FILE_MIN_BLANK_LENGTH) break;
    const record = cursor.view(position, size);
    const check = checkMessageRecord(record, 0, {
      checkCrc: true,
      maxRecordSize: size,
      expectedPhysicalOffset: file.fileFromOffset + position,
    });
    if (check.status !== RecordCheckStatus.OK) break;
    position += size;
  }
  return { end: position, blank: false };
}

function abnormalStartIndex(commitLog: RecoverableCommitLog, minTimestamp: number): number {
  const files = commitLog.mappedFileQueue.segments();
  if (minTimestamp <= 0) return 0;
  for (let index = files.length - 1; index >= 0; index--) {
    const file = files[index]!;
    const first = file.wrotePosition > 0 ? commitLog.lookMessageByOffset(file.fileFromOffset) : null;
    if (first && first.storeTimestamp <= minTimestamp) return index;
  }
  return 0;
}

/** Store time of the newest record before `end` (walks that record's segment). */
function lastRecordTimestampBefore(commitLog: RecoverableCommitLog, end: number): number {
  const file = commitLog.mappedFileQueue.findMappedFileByOffset(end - 1);
  if (!file) return 0;
  const cursor = new SegmentCursor(file);
  let position = 0;
  let last = 0;
  while (file.fileFromOffset + position < end) {
    const head = cursor.view(position, 8);
    if (head.length < 8 || head.readInt32BE(4) === BLANK_MAGIC_CODE) break;
    const size = head.readInt32BE(0);
    const record = cursor.view(position, size);
    if (size < RECORD_FIXED_OVERHEAD || record.length < size) break;
    last = decodeMessageRecord(record, 0).storeTimestamp;
    position += size;
  }
  return last;
}
