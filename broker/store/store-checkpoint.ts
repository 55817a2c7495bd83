/**
 * StoreCheckpoint (docs/rocketmq-semantics.md#store-checkpoint): the 4 KiB `checkpoint` file telling recovery how far
 * the commit log and the consume queues were durable. Rewritten in place and fdatasync'd by the
 * consume-queue flush loop, at the end of recovery and on shutdown.
 *
 * Invariant kept by the writer: logicsPhyOffset is written only after every consume queue was
 * flushed with all entries for records before it, so re-dispatching from it rebuilds anything a
 * power cut took from the consume queues.
 */
import type { FileLayer, StoreFile } from '../io/file-layer.js';

/*
 * checkpoint file, longs, big-endian:
 *
 *   offset  field                  meaning
 *   ------  ---------------------  ----------------------------------------------------------
 *        0  physicMsgTimestamp     store time of the last flushed commit-log record
 *        8  logicsMsgTimestamp     store time of the last record dispatched to a flushed CQ
 *       16  indexMsgTimestamp      (no IndexFile in Zeroloss: mirrors logicsMsgTimestamp)
 *       24  masterFlushedOffset    (5.x) commit-log flushed offset
 *       32  confirmPhyOffset       (5.x) controller mode's confirm offset, as last flushed
 *       40  logicsPhyOffset        Zeroloss: commit-log offset up to which the CQs are durable
 *     ...   zero up to 4096
 */
export const CHECKPOINT_FILE_SIZE = 4096;
/** RocketMQ subtracts 3 s from the checkpoint times to cover clock jitter between threads. */
const MIN_TIMESTAMP_SLACK_MS = 3000;

export class StoreCheckpoint {
  physicMsgTimestamp = 0;
  logicsMsgTimestamp = 0;
  indexMsgTimestamp = 0;
  masterFlushedOffset = 0;
  confirmPhyOffset = 0;
  logicsPhyOffset = 0;
  private readonly file: StoreFile;
  /** set by the power cut: a dead store must never write again (its successor owns the file) */
  private frozen = false;

  private constructor(file: StoreFile) {
    this.file = file;
    if (file.size() >= 48) {
      const buffer = Buffer.alloc(48);
      file.readAt(buffer, 0);
      this.physicMsgTimestamp = Number(buffer.readBigInt64BE(0));
      this.logicsMsgTimestamp = Number(buffer.readBigInt64BE(8));
      this.indexMsgTimestamp = Number(buffer.readBigInt64BE(16));
      this.masterFlushedOffset = Number(buffer.readBigInt64BE(24));
      this.confirmPhyOffset = Number(buffer.readBigInt64BE(32));
      this.logicsPhyOffset = Number(buffer.readBigInt64BE(40));
    }
  }

  static open(fileLayer: FileLayer, filePath: string): StoreCheckpoint {
    return new StoreCheckpoint(fileLayer.open(filePath, { create: true }));
  }

  /** getMinTimestamp: max(0, min(physic, logics) - 3000 ms). */
  minTimestamp(): number {
    return Math.max(0, Math.min(this.physicMsgTimestamp, this.logicsMsgTimestamp) - MIN_TIMESTAMP_SLACK_MS);
  }

  private encode(): Buffer {
    const buffer = Buffer.alloc(CHECKPOINT_FILE_SIZE);
    buffer.writeBigInt64BE(BigInt(this.physicMsgTimestamp), 0);
    buffer.writeBigInt64BE(BigInt(this.logicsMsgTimestamp), 8);
    buffer.writeBigInt64BE(BigInt(this.indexMsgTimestamp), 16);
    buffer.writeBigInt64BE(BigInt(this.masterFlushedOffset), 24);
    buffer.writeBigInt64BE(BigInt(this.confirmPhyOffset), 32);
    buffer.writeBigInt64BE(BigInt(this.logicsPhyOffset), 40);
    return buffer;
  }

  freeze(): void {
    this.frozen = true;
  }

  async flush(): Promise<void> {
    if (this.frozen) return;
    this.file.writeAt(this.encode(), 0);
    await this.file.datasync();
  }

  flushSync(): void {
    if (this.frozen) return;
    this.file.writeAt(this.encode(), 0);
    this.file.datasyncSync();
  }

  close(): void {
    this.file.close();
  }
}
