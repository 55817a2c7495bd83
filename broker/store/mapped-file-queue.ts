/**
 * An ordered run of equal-capacity segments that together form one logical byte log (RocketMQ's
 * MappedFileQueue): the commit log, or one consume queue. Owns rolling to a new segment, finding
 * the segment of an offset, flushing in order, and cutting a dirty tail on recovery.
 *
 * Invariants:
 *  - segments are contiguous: segment i+1 starts at segment i's start + fileSize;
 *  - only the last segment may be shorter than fileSize; a finished commit-log segment is padded to
 *    exactly fileSize by its BLANK record, so no record is ever split across two files;
 *  - flushes are serialized and go in file order, so a byte of segment i+1 is never durable before
 *    every byte of segment i is (recovery relies on this to find one clean end);
 *  - after a failed write (MappedFile, "sticky") the queue appends, rolls and flushes nothing more
 *    until a restart: appends throw and flushes reject with DISK_WRITE_FAILED.
 */
import type { FileLayer } from '../io/file-layer.js';
import { ZerolossError } from '../errors/errors.js';
import { END_FILE_MIN_BLANK_LENGTH } from '../protocol/codes.js';
import { encodeBlankRecord } from '../protocol/message-record.js';
import { MappedFile, SEGMENT_FILE_NAME } from './mapped-file.js';

export interface AppendRecordResult {
  /** logical offset the record was written at */
  wroteOffset: number;
  wroteBytes: number;
  /** a new segment was started for this record (the previous one got a BLANK record) */
  rolled: boolean;
}

export class MappedFileQueue {
  readonly dir: string;
  readonly fileSize: number;
  private readonly fileLayer: FileLayer;
  private readonly files: MappedFile[] = [];
  /** logical offset up to which every byte is durable */
  private flushedWhereValue = 0;
  private flushChain: Promise<unknown> = Promise.resolve();
  private writeBehindScheduled = false;
  /** settled by the end-of-turn write: the puts of this turn wait on it before they are answered */
  private turnWritten: { promise: Promise<void>; resolve: () => void } | undefined;
  /** set by the power cut: the end-of-turn write never happens and its waiters are never answered */
  private frozen = false;

  constructor(fileLayer: FileLayer, dir: string, fileSize: number) {
    this.fileLayer = fileLayer;
    this.dir = dir;
    this.fileSize = fileSize;
  }

  /** Opens every segment in the directory (creating the directory if missing). */
  load(): void {
    this.fileLayer.disk.mkdirp(this.dir);
    const names = this.fileLayer.disk.readdir(this.dir).filter((name) => SEGMENT_FILE_NAME.test(name)).sort();
    for (const name of names) {
      const fileFromOffset = Number(name);
      const previous = this.files.at(-1);
      if (previous && previous.fileFromOffset + this.fileSize !== fileFromOffset) {
        throw new ZerolossError('STORE_CORRUPT', `segment ${name} in ${this.dir} does not follow ${previous.fileName} (capacity ${this.fileSize})`);
      }
      if (fileFromOffset % this.fileSize !== 0) {
        throw new ZerolossError('STORE_CORRUPT', `segment ${name} in ${this.dir} is not a multiple of the capacity ${this.fileSize}`);
      }
      this.files.push(MappedFile.open(this.fileLayer, this.dir, fileFromOffset, this.fileSize, false));
    }
    // A file opened is durable only once this process fdatasyncs it (FileLayer): recovery does that.
    this.flushedWhereValue = this.minOffset();
    for (const file of this.files) {
      this.flushedWhereValue = file.fileFromOffset + file.flushedPosition;
      if (file.flushedPosition < file.wrotePosition) break;
    }
  }

  segments(): readonly MappedFile[] {
    return this.files;
  }

  lastMappedFile(): MappedFile | undefined {
    return this.files.at(-1);
  }

  /** First byte still held (0 for an empty queue). */
  minOffset(): number {
    return this.files[0]?.fileFromOffset ?? 0;
  }

  /** One past the last appended byte. */
  maxOffset(): number {
    const last = this.files.at(-1);
    return last ? last.fileFromOffset + last.wrotePosition : 0;
  }

  flushedWhere(): number {
    return this.flushedWhereValue;
  }

  /** Bytes the segments hold (each segment's appended length): what a truncation removes is measured in these, not in offsets. */
  bytesHeld(): number {
    let sum = 0;
    for (const file of this.files) sum += file.wrotePosition;
    return sum;
  }

  /** One past the last byte in the page cache: appended and written (deferred bytes of this turn are not). */
  writtenWhere(): number {
    return this.maxOffset() - (this.lastMappedFile()?.pendingLength() ?? 0);
  }

  /** Bytes in the page cache that no fdatasync covers, completed or in flight (MappedFile.pageCacheUncoveredBytes). */
  pageCacheUncoveredBytes(): number {
    const first = this.findMappedFileByOffset(this.flushedWhereValue) ?? this.files.at(-1);
    if (!first) return 0;
    let total = 0;
    for (let i = this.files.indexOf(first); i < this.files.length; i++) total += this.files[i]!.pageCacheUncoveredBytes();
    return total;
  }

  /** Appended bytes not yet covered by an fdatasync (after a failed write, its bytes too, for good). */
  unflushedBytes(): number {
    return this.maxOffset() - this.flushedWhereValue + (this.files.at(-1)?.failedBytes() ?? 0);
  }

  /**
   * The write failure that stopped this queue (sticky until a restart), if one did. Only the last
   * segment is ever written, so only it can have failed.
   */
  failed(): ZerolossError | undefined {
    return this.files.at(-1)?.failed();
  }

  /** The segment holding `offset`, or undefined when no segment does. */
  findMappedFileByOffset(offset: number): MappedFile | undefined {
    const first = this.files[0];
    if (!first || offset < first.fileFromOffset) return undefined;
    const index = Math.floor((offset - first.fileFromOffset) / this.fileSize);
    return this.files[index];
  }

  /**
   * The segment to append to: the last one unless it is full (or there is none), in which case a
   * new one starts at the next multiple of fileSize (or at `startOffset` for an empty queue).
   */
  getLastMappedFile(startOffset = 0): MappedFile {
    const last = this.files.at(-1);
    if (last && !last.isFull()) return last;
    const from = last ? last.fileFromOffset + this.fileSize : startOffset - (startOffset % this.fileSize);
    const created = MappedFile.open(this.fileLayer, this.dir, from, this.fileSize, true);
    this.files.push(created);
    if (!last) this.flushedWhereValue = from;
    return created;
  }

  /**
   * Appends one commit-log record of `length` bytes, never splitting it: when `length + 8` does not
   * fit in the current segment, an 8-byte BLANK record [remaining][BLANK_MAGIC_CODE] finishes that
   * segment (padded to its capacity) and the record goes at the start of the next one.
   * `encode` receives the final offset so PHYSICALOFFSET can be written into the record.
   */
  appendRecord(length: number, encode: (wroteOffset: number) => Uint8Array, defer = false): AppendRecordResult {
    if (length + END_FILE_MIN_BLANK_LENGTH > this.fileSize) {
      throw new Error(`record of ${length} bytes can never fit a segment of ${this.fileSize} bytes`);
    }
    this.throwIfFailed();
    let file = this.getLastMappedFile();
    let rolled = false;
    if (length + END_FILE_MIN_BLANK_LENGTH > file.remaining()) {
      file.append(encodeBlankRecord(file.remaining()));
      file.padToCapacity();
      file = this.getLastMappedFile();
      rolled = true;
    }
    const wroteOffset = file.fileFromOffset + file.wrotePosition;
    const bytes = encode(wroteOffset);
    if (bytes.length !== length) throw new Error(`encoder produced ${bytes.length} bytes, announced ${length}`);
    file.append(bytes, defer);
    if (defer) this.scheduleWriteBehind();
    return { wroteOffset, wroteBytes: length, rolled };
  }

  /**
   * Appends raw bytes to the last segment; the caller keeps entries aligned with fileSize (consume
   * queue). Deferred: written with the other appends of this event-loop turn.
   */
  appendFixed(data: Uint8Array, startOffset = 0): number {
    this.throwIfFailed();
    const file = this.getLastMappedFile(startOffset);
    const at = file.fileFromOffset + file.wrotePosition;
    file.append(data, true);
    this.scheduleWriteBehind();
    return at;
  }

  /** Writes deferred bytes of every segment now. */
  writePending(): void {
    for (let i = this.files.length - 1; i >= 0 && this.files[i]!.pendingLength() > 0; i--) this.files[i]!.writePending();
  }

  /**
   * Resolves once the bytes up to `end` are in the page cache: at the end of this event-loop turn,
   * after the one write that carries every deferred byte of the turn (at once when nothing is
   * deferred). Rejects with DISK_WRITE_FAILED when that write failed, so nobody is told a record is
   * stored that never reached the page cache. After a power cut it never settles: nothing is answered.
   */
  whenWritten(end: number): Promise<void> {
    if (!this.writeBehindScheduled) return this.checkWritten(end) ?? Promise.resolve();
    if (!this.turnWritten) {
      let resolve!: () => void;
      const promise = new Promise<void>((r) => (resolve = r));
      this.turnWritten = { promise, resolve };
    }
    return this.turnWritten.promise.then(() => {
      const failure = this.checkWritten(end);
      if (failure) return failure;
    });
  }

  /** A rejection when the bytes up to `end` did not reach the page cache, undefined when they did. */
  private checkWritten(end: number): Promise<never> | undefined {
    // Only the last segment holds deferred bytes (a roll writes the previous one's), and a failed
    // write moved its end back to where the write began.
    if (end <= this.writtenWhere()) return undefined;
    const failure = this.failed();
    return Promise.reject(
      new ZerolossError('DISK_WRITE_FAILED', `the write of ${this.dir} up to ${end} did not reach the page cache${failure ? ` (${failure.message})` : ''}`, { cause: failure }),
    );
  }

  private throwIfFailed(): void {
    const failure = this.failed();
    if (failure) throw new ZerolossError('DISK_WRITE_FAILED', `${this.dir} stopped after a failed write (${failure.message}); a restart recovers it`, { cause: failure });
  }

  /**
   * The end-of-turn step: deferred bytes reach the page cache once this turn's I/O callbacks are done
   * (Clock.atEndOfTurn: after the poll phase), in one write, and only then are the puts waiting in
   * whenWritten released to be answered.
   */
  private scheduleWriteBehind(): void {
    if (this.writeBehindScheduled) return;
    this.writeBehindScheduled = true;
    this.fileLayer.clock.atEndOfTurn(() => {
      if (this.frozen) return;
      this.writeBehindScheduled = false;
      try {
        this.writePending();
      } catch (error) {
        console.error(`[MappedFileQueue] deferred write in ${this.dir} failed`, error);
      }
      const turn = this.turnWritten;
      this.turnWritten = undefined;
      turn?.resolve();
    });
  }

  /** Reads up to `length` bytes at `offset`, never across a segment boundary. */
  read(offset: number, length: number): Buffer {
    const file = this.findMappedFileByOffset(offset);
    if (!file) return Buffer.alloc(0);
    return file.read(offset - file.fileFromOffset, length);
  }

  /**
   * Flushes in file order: every full segment past flushedWhere, then the last one when
   * isAbleToFlush(leastPages). Calls are serialized so at most one fdatasync of this queue is in
   * flight. Returns flushedWhere afterwards.
   */
  flush(leastPages: number): Promise<number> {
    const run = this.flushChain.then(() => {
      this.throwIfFailed();
      return this.doFlush(leastPages);
    });
    this.flushChain = run.catch(() => undefined);
    return run;
  }

  private async doFlush(leastPages: number): Promise<number> {
    for (;;) {
      const file = this.findMappedFileByOffset(this.flushedWhereValue) ?? this.files.at(-1);
      if (!file) return this.flushedWhereValue;
      if (file.isAbleToFlush(leastPages)) await file.flush();
      const where = file.fileFromOffset + file.flushedPosition;
      if (where > this.flushedWhereValue) this.flushedWhereValue = where;
      // Move on only past a completely flushed, full segment.
      if (!(file.isFull() && file.flushedPosition === this.fileSize) || file === this.files.at(-1)) {
        return this.flushedWhereValue;
      }
    }
  }

  /** Synchronous full flush, for shutdown and the end of recovery. */
  flushAllSync(): number {
    for (const file of this.files) {
      file.writePending();
      if (file.flushedPosition < file.wrotePosition) {
        file.file.datasyncSync();
        file.flushedPosition = file.wrotePosition;
      }
    }
    this.flushedWhereValue = this.maxOffset();
    return this.flushedWhereValue;
  }

  /**
   * MappedFileQueue.truncateDirtyFiles: cut the log back to `offset`. Segments starting after it are
   * deleted; the segment holding it is cut to length (files grow as written, so the cut is physical).
   */
  truncateDirtyFiles(offset: number): void {
    while (this.files.length > 0) {
      const last = this.files.at(-1)!;
      if (last.fileFromOffset > offset || (last.fileFromOffset === offset && this.files.length > 1 && offset > 0 && this.isEmptyTail(last))) {
        this.deleteFile(last);
        this.files.pop();
        continue;
      }
      if (offset < last.fileFromOffset + last.wrotePosition) last.truncate(offset - last.fileFromOffset);
      break;
    }
    this.flushedWhereValue = Math.min(this.flushedWhereValue, this.maxOffset());
  }

  /**
   * A segment starting exactly at the cut is kept empty when it is the only one (the queue must
   * remember where it starts) and deleted otherwise, after the previous segment turned out full.
   */
  private isEmptyTail(file: MappedFile): boolean {
    const index = this.files.indexOf(file);
    return index > 0 && this.files[index - 1]!.isFull();
  }

  /** Drops every segment (a consume queue whose whole content is gone). */
  destroy(): void {
    for (const file of this.files) this.deleteFile(file);
    this.files.length = 0;
    this.flushedWhereValue = 0;
  }

  private deleteFile(file: MappedFile): void {
    file.file.unlink();
  }

  /** The power cut: deferred bytes are dropped and no segment writes again. */
  freeze(): void {
    this.frozen = true;
    for (const file of this.files) file.freeze();
  }

  close(): void {
    for (const file of this.files) file.close();
  }
}
