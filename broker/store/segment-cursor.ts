/**
 * SegmentCursor: reads one commit-log segment sequentially through a buffer, so walking records
 * (recovery, dispatch) costs one pread per chunk rather than two per record. It only reads; it
 * knows nothing of record layout.
 */
import type { MappedFile } from './mapped-file.js';

/** Bytes read at once when walking records (recovery, dispatch). */
const READ_CHUNK_BYTES = 1024 * 1024;

export class SegmentCursor {
  private buffer: Buffer = Buffer.alloc(0);
  private bufferStart = 0;
  constructor(readonly file: MappedFile) {}

  /** Bytes [position, position + length) of the segment, or fewer where its data ends. */
  view(position: number, length: number): Buffer {
    const rel = position - this.bufferStart;
    if (rel >= 0 && rel + length <= this.buffer.length) return this.buffer.subarray(rel, rel + length);
    this.buffer = this.file.read(position, Math.max(length, READ_CHUNK_BYTES));
    this.bufferStart = position;
    return this.buffer.subarray(0, Math.min(length, this.buffer.length));
  }
}
