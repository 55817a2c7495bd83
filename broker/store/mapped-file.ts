/**
 * One segment of a commit log or consume queue (RocketMQ's MappedFile, without the mmap): a file
 * named by its 20-digit zero-padded starting offset, with a fixed capacity, a wrote position (bytes
 * appended, visible to readers) and a flushed position (bytes an fdatasync has covered).
 *
 * Invariants: flushedPosition <= wrotePosition <= capacity; the file on disk is exactly
 * wrotePosition bytes long once pending bytes are written (a segment grows as written, nothing is
 * preallocated). It does not decide what to write: the owning MappedFileQueue does that, one
 * writer at a time.
 *
 * Deferred appends: bytes appended with `defer` are kept in memory and written with one pwrite
 * for the whole run, before any read, flush, truncation, non-deferred append or close, and at the
 * latest at the end of the event-loop turn (the queue schedules it). Nobody is told a deferred byte
 * is stored before it is written: a put is answered only after its bytes are in the page cache
 * (MappedFileQueue.whenWritten, or the fdatasync under SYNC_FLUSH), so a crash in between loses
 * nothing that was acknowledged. A deferred run counts in wrotePosition from its append on, so
 * it always starts at wrotePosition - pendingBytes.
 *
 * A failed write is sticky: the file layer cut the file back to where the write began, wrotePosition
 * goes back there too (bytes that never reached the page cache are not counted), and from then on
 * append and flush throw DISK_WRITE_FAILED until a restart recovers the store. So nothing is ever
 * written, flushed or acknowledged past a failed write: there is no hole for an fdatasync to cover.
 */
import path from 'node:path';
import type { FileLayer, StoreFile } from '../io/file-layer.js';
import { ZerolossError, isZerolossError } from '../errors/errors.js';

/** Deferred bytes kept in memory at most; beyond this they are written at once (a bounded buffer). */
export const PENDING_WRITE_MAX_BYTES = 1024 * 1024;

/** Size of the page the flush rules count in (flushCommitLogLeastPages is in these). */
export const OS_PAGE_SIZE = 4096;

/** CM/UtilAll.java offset2FileName: 20 digits, zero-padded. */
export function offset2FileName(offset: number): string {
  return String(offset).padStart(20, '0');
}

export const SEGMENT_FILE_NAME = /^\d{20}$/;

export class MappedFile {
  readonly fileFromOffset: number;
  readonly fileSize: number;
  readonly file: StoreFile;
  /** bytes appended so far */
  wrotePosition: number;
  /** bytes covered by a completed fdatasync */
  flushedPosition: number;
  /** bytes the fdatasync in flight will cover when it returns (0 when none is) */
  private syncingPosition = 0;
  /** deferred bytes not yet written, in order; they end at wrotePosition */
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;
  /**
   * The bytes of the last deferred write and where they start: reads inside them (the slave's link
   * shipping what was just appended, a consumer at the head of its queue) are served from memory.
   */
  private recent: { at: number; data: Buffer } | undefined;
  /** set by the power cut: deferred bytes are dropped and nothing is written any more */
  private frozen = false;
  /** the first write that failed; sticky until a restart */
  private failure: ZerolossError | undefined;
  /** bytes appended (counted in wrotePosition) whose write failed: they never reached the page cache */
  private failedBytesValue = 0;

  private constructor(file: StoreFile, fileFromOffset: number, fileSize: number) {
    this.file = file;
    this.fileFromOffset = fileFromOffset;
    this.fileSize = fileSize;
    this.wrotePosition = file.size();
    this.flushedPosition = file.durableSize();
  }

  /** Opens an existing segment or creates an empty one (FileLayer.open syncs the directory then). */
  static open(fileLayer: FileLayer, dir: string, fileFromOffset: number, fileSize: number, create: boolean): MappedFile {
    const file = fileLayer.open(path.join(dir, offset2FileName(fileFromOffset)), { create });
    if (file.size() > fileSize) {
      file.close();
      throw new ZerolossError('STORE_CORRUPT', `segment ${file.path} is ${file.size()} bytes, larger than its capacity ${fileSize}`);
    }
    return new MappedFile(file, fileFromOffset, fileSize);
  }

  get fileName(): string {
    return this.file.path;
  }

  remaining(): number {
    return this.fileSize - this.wrotePosition;
  }

  isFull(): boolean {
    return this.wrotePosition === this.fileSize;
  }

  /**
   * Appends at the wrote position, with one pwrite now or (defer) together with the other deferred
   * bytes later; the caller made sure it fits. Returns the position within the segment.
   */
  append(data: Uint8Array, defer = false): number {
    this.throwIfFailed();
    if (data.length > this.remaining()) {
      throw new Error(`append of ${data.length} bytes overflows ${this.fileName} at ${this.wrotePosition}/${this.fileSize}`);
    }
    const at = this.wrotePosition;
    if (defer) {
      this.pending.push(data);
      this.pendingBytes += data.length;
      this.wrotePosition += data.length;
      if (this.pendingBytes >= PENDING_WRITE_MAX_BYTES) this.writePending();
    } else {
      this.writePending();
      this.write(data, at);
      this.wrotePosition += data.length;
    }
    return at;
  }

  /** The power cut: what was deferred never reached the page cache, and nothing will. */
  freeze(): void {
    this.frozen = true;
    this.recent = undefined;
    this.wrotePosition -= this.pendingBytes;
    this.pending = [];
    this.pendingBytes = 0;
  }

  /** Deferred bytes not yet written (they end at wrotePosition). */
  pendingLength(): number {
    return this.pendingBytes;
  }

  /** The write failure that stopped this segment, if one did. */
  failed(): ZerolossError | undefined {
    return this.failure;
  }

  /** Appended bytes lost to the failed write (0 while none failed). */
  failedBytes(): number {
    return this.failedBytesValue;
  }

  /** Writes every deferred byte with one pwrite. */
  writePending(): void {
    if (this.pendingBytes === 0 || this.frozen) return;
    const chunks = this.pending;
    const at = this.wrotePosition - this.pendingBytes;
    this.pending = [];
    this.pendingBytes = 0;
    const data = chunks.length === 1 ? Buffer.from(chunks[0]!.buffer, chunks[0]!.byteOffset, chunks[0]!.length) : Buffer.concat(chunks);
    this.recent = undefined;
    this.write(data, at);
    this.recent = { at, data };
  }

  /** One pwrite at `at`; a failure stops the segment at `at` for good (see the top of this file). */
  private write(data: Uint8Array, at: number): void {
    try {
      this.file.writeAt(data, at);
    } catch (error) {
      this.fail(error, `write of ${data.length} bytes at ${at}`);
      this.failedBytesValue = this.wrotePosition - at;
      this.wrotePosition = at;
      this.flushedPosition = Math.min(this.flushedPosition, at);
      this.pending = [];
      this.pendingBytes = 0;
      throw this.failure;
    }
  }

  private fail(error: unknown, what: string): ZerolossError {
    this.failure = isZerolossError(error)
      ? error
      : new ZerolossError('DISK_WRITE_FAILED', `${what} to ${this.fileName} failed: ${(error as Error).message}`, { cause: error });
    return this.failure;
  }

  private throwIfFailed(): void {
    if (!this.failure) return;
    throw new ZerolossError(
      'DISK_WRITE_FAILED',
      `${this.fileName} stopped at ${this.wrotePosition} after a failed write (${this.failure.message}); a restart recovers it`,
      { cause: this.failure },
    );
  }

  /**
   * Pads the segment to its capacity without writing the zeroes (ftruncate extends the file); used
   * after the 8-byte BLANK header so a finished segment is exactly fileSize bytes long.
   */
  padToCapacity(): void {
    this.writePending();
    if (this.wrotePosition < this.fileSize) {
      try {
        this.file.truncate(this.fileSize);
      } catch (error) {
        // Unpadded, the BLANK record ends the log for recovery: nothing may follow it.
        throw this.fail(error, `padding to ${this.fileSize} bytes`);
      }
      this.wrotePosition = this.fileSize;
    }
  }

  /** Reads up to `length` bytes of appended data starting at `position` within this segment. */
  read(position: number, length: number): Buffer {
    if (this.pendingBytes > 0 && position + length > this.wrotePosition - this.pendingBytes) {
      try {
        this.writePending();
      } catch {
        // Recorded in `failure`; the reader gets what reached the page cache.
      }
    }
    const end = Math.min(this.wrotePosition, position + length);
    if (position >= end) return Buffer.alloc(0);
    const recent = this.recent;
    if (recent && position >= recent.at && end <= recent.at + recent.data.length) return recent.data.subarray(position - recent.at, end - recent.at);
    const buffer = Buffer.allocUnsafe(end - position);
    const got = this.file.readAt(buffer, position);
    return got === buffer.length ? buffer : buffer.subarray(0, got);
  }

  /** DefaultMappedFile.isAbleToFlush: full, or enough dirty pages, or (leastPages 0) anything dirty. */
  isAbleToFlush(leastPages: number): boolean {
    if (this.flushedPosition >= this.wrotePosition) return false;
    if (this.isFull()) return true;
    if (leastPages > 0) {
      return Math.floor(this.wrotePosition / OS_PAGE_SIZE) - Math.floor(this.flushedPosition / OS_PAGE_SIZE) >= leastPages;
    }
    return true;
  }

  /**
   * One fdatasync; the wrote position captured before it becomes the flushed position. Rejects
   * with the failure once a write failed: nothing of this segment is confirmed any more.
   */
  async flush(): Promise<number> {
    this.writePending();
    this.throwIfFailed();
    const covered = this.wrotePosition;
    this.syncingPosition = covered;
    try {
      await this.file.datasync();
    } finally {
      this.syncingPosition = 0;
    }
    // A truncation (recovery, power cut) may have cut the file meanwhile: never claim more than exists.
    const durable = Math.min(covered, this.file.durableSize(), this.wrotePosition);
    if (durable > this.flushedPosition) this.flushedPosition = durable;
    return this.flushedPosition;
  }

  /**
   * Bytes in the page cache that no fdatasync covers, neither a completed one nor the one in flight:
   * what a power cut now is sure to take (a cut during an fdatasync may or may not keep what it covers).
   */
  pageCacheUncoveredBytes(): number {
    const inPageCache = this.wrotePosition - this.pendingBytes;
    return Math.max(0, inPageCache - Math.max(this.flushedPosition, this.syncingPosition));
  }

  /** Cuts the segment back to `position` bytes (recovery). */
  truncate(position: number): void {
    this.writePending();
    this.recent = undefined;
    this.file.truncate(position);
    this.wrotePosition = position;
    this.flushedPosition = Math.min(this.flushedPosition, position);
  }

  close(): void {
    try {
      this.writePending();
    } finally {
      this.file.close();
    }
  }
}
