/**
 * The commit log (RocketMQ's CommitLog): one append-only run of segments holding every topic's
 * records. Owns the put path — validate, assign the queue offset, append, then wait for the flush
 * (per the current flushDiskType) and, in parallel, for the replica — and the commit-log half of
 * recovery (validate the tail record by record, truncate at the first invalid one).
 *
 * Single writer: everything from validation to the append runs synchronously on the event loop, so
 * the store timestamp, the physical offset and the queue offset are assigned in one order (the
 * putMessageLock of RocketMQ). Expected outcomes are statuses, never exceptions.
 * It does not build consume queues: `onAppended` lets the dispatcher follow the log.
 */
import path from 'node:path';
import type { BrokerSettings } from '../config/broker-config.js';
import { isZerolossError } from '../errors/errors.js';
import type { Clock } from '../io/clock.js';
import type { FileLayer } from '../io/file-layer.js';
import { FlushRealTimeService } from '../flush/flush-real-time-service.js';
import { GroupCommitService } from '../flush/group-commit-service.js';
import { BLANK_MAGIC_CODE, MessageProperty, PutMessageStatus, SCHEDULE_TOPIC } from '../protocol/codes.js';
import { scheduleTagsCode } from './delay-level.js';
import {
  PROPERTIES_LENGTH_MAX,
  RECORD_FIXED_OVERHEAD,
  RecordCheckStatus,
  TOPIC_LENGTH_MAX,
  checkMessageRecord,
  createOffsetMsgId,
  decodeMessageRecord,
  encodePreparedRecord,
  javaStringHashCode,
  prepareRecord,
} from '../protocol/message-record.js';
import { END_FILE_MIN_BLANK_LENGTH } from '../protocol/codes.js';
import { MappedFileQueue } from './mapped-file-queue.js';
import type { StoreCheckpoint } from './store-checkpoint.js';
import { isDispatchedType, type DispatchRequest } from './dispatch-request.js';
import { recoverCommitLog } from './commit-log-recovery.js';
import type { AppendResult, HostAddress, MessageExt, MessageInner, PutMessageResult, StoreEvents } from './types.js';

/** RocketMQ's encoder buffer is maxMessageSize + 64 KiB: no record may be larger. */
const RECORD_HEADROOM_BYTES = 64 * 1024;
/** TopicValidator: the characters RocketMQ allows in a topic name. */
export const TOPIC_PATTERN = /^[%|a-zA-Z0-9_-]+$/;

export type ReplicaWait = (nextOffset: number) => Promise<PutMessageStatus>;

export interface CommitLogOptions {
  fileLayer: FileLayer;
  storePathRootDir: string;
  storeHost: HostAddress;
  settings: () => BrokerSettings;
  clock: Clock;
  checkpoint: StoreCheckpoint;
  events?: StoreEvents;
  replicaWait?: ReplicaWait;
}

/** MessageExt.isWaitStoreMsgOK: property WAIT absent, or "true" (any case). */
export function isWaitStoreMsgOK(message: MessageInner): boolean {
  const wait = message.properties.get(MessageProperty.WAIT);
  return wait === undefined || wait.toLowerCase() === 'true';
}

export class CommitLog {
  readonly mappedFileQueue: MappedFileQueue;
  readonly groupCommitService: GroupCommitService;
  readonly flushRealTimeService: FlushRealTimeService;
  /** `${topic}-${queueId}` → next queue offset (topicQueueTable) */
  private readonly topicQueueTable = new Map<string, number>();
  private readonly options: CommitLogOptions;
  private lastStoreTimestamp = 0;
  private stopped = false;
  replicaWait: ReplicaWait | undefined;
  /**
   * Called after every append, synchronously, with what the dispatcher needs to know about the
   * record just written (so it need not read it back); the dispatcher follows the log from here.
   */
  onAppended: ((request: DispatchRequest) => void) | undefined;
  /** Called after a flush advanced the flushed offset (the dispatcher follows it under SYNC_FLUSH). */
  onFlushed: ((flushedOffset: number) => void) | undefined;

  constructor(options: CommitLogOptions) {
    this.options = options;
    this.replicaWait = options.replicaWait;
    this.mappedFileQueue = new MappedFileQueue(
      options.fileLayer,
      path.join(options.storePathRootDir, 'commitlog'),
      options.settings().mappedFileSizeCommitLog,
    );
    this.groupCommitService = new GroupCommitService({
      flush: () => this.flush(0),
      flushedWhere: () => this.mappedFileQueue.flushedWhere(),
      syncFlushTimeoutMs: () => options.settings().syncFlushTimeout,
      clock: options.clock,
    });
    this.flushRealTimeService = new FlushRealTimeService({
      flush: (leastPages) => this.flush(leastPages),
      settings: options.settings,
      clock: options.clock,
    });
  }

  load(): void {
    this.mappedFileQueue.load();
  }

  start(): void {
    this.flushRealTimeService.start();
  }

  maxOffset(): number {
    return this.mappedFileQueue.maxOffset();
  }

  minOffset(): number {
    return this.mappedFileQueue.minOffset();
  }

  flushedWhere(): number {
    return this.mappedFileQueue.flushedWhere();
  }

  // -------------------------------------------------------------------------------------------
  // Put path
  // -------------------------------------------------------------------------------------------

  async putMessage(message: MessageInner): Promise<PutMessageResult> {
    if (this.stopped) return { status: PutMessageStatus.SERVICE_NOT_AVAILABLE, remark: 'the store is shut down' };
    const settings = this.options.settings();
    const appended = this.append(message, settings);
    if (!('wroteOffset' in appended)) return appended;
    const nextOffset = appended.wroteOffset + appended.wroteBytes;
    const sync = settings.flushDiskType === 'SYNC_FLUSH' && isWaitStoreMsgOK(message);
    // The record was appended in memory with the others of this turn. Nothing answers it before
    // its bytes are in the page cache: the turn's one write (below), or under SYNC_FLUSH the
    // group commit's fdatasync, which writes first.
    if (!sync) {
      try {
        await this.mappedFileQueue.whenWritten(nextOffset);
      } catch (error) {
        return { status: PutMessageStatus.UNKNOWN_ERROR, remark: `append failed: ${(error as Error).message}` };
      }
    }
    if (!isWaitStoreMsgOK(message)) return { status: PutMessageStatus.PUT_OK, append: appended };

    // Flush wait per the flushDiskType of this very put; replica wait in parallel (docs/rocketmq-semantics.md#grouptransferservice).
    if (!this.replicaWait) {
      return { status: sync ? await this.groupCommitService.waitForFlush(nextOffset) : PutMessageStatus.PUT_OK, append: appended };
    }
    // Both waits start now; awaiting one after the other ends when the later one does, as Promise.all would.
    const flushWait = sync ? this.groupCommitService.waitForFlush(nextOffset) : PutMessageStatus.PUT_OK;
    const replicaWait = this.callReplicaWait(nextOffset);
    const flushStatus = await flushWait;
    const replicaStatus = await replicaWait;
    // The replica status is applied last in RocketMQ's thenCombine, so it wins when both fail.
    const status = replicaStatus !== PutMessageStatus.PUT_OK ? replicaStatus : flushStatus;
    return { status, append: appended };
  }

  private async callReplicaWait(nextOffset: number): Promise<PutMessageStatus> {
    try {
      return await this.replicaWait!(nextOffset);
    } catch (error) {
      console.error('[CommitLog] replicaWait failed', error);
      return PutMessageStatus.FLUSH_SLAVE_TIMEOUT;
    }
  }

  /** Validation and the append itself: synchronous, the single-writer section. */
  private append(message: MessageInner, settings: BrokerSettings): AppendResult | PutMessageResult {
    const refusal = validateMessage(message, settings);
    if (refusal) return refusal;
    const prepared = prepareRecord(message);
    if (prepared.propertiesBytes.length > PROPERTIES_LENGTH_MAX) {
      return {
        status: PutMessageStatus.PROPERTIES_SIZE_EXCEEDED,
        remark: `properties size ${prepared.propertiesBytes.length} exceeds the limit ${PROPERTIES_LENGTH_MAX}`,
      };
    }
    if (prepared.totalSize > settings.maxMessageSize + RECORD_HEADROOM_BYTES) {
      return {
        status: PutMessageStatus.MESSAGE_ILLEGAL,
        remark: `record size ${prepared.totalSize} exceeds maxMessageSize ${settings.maxMessageSize} + ${RECORD_HEADROOM_BYTES}`,
      };
    }
    const segmentBytes = this.mappedFileQueue.fileSize;
    if (prepared.totalSize + END_FILE_MIN_BLANK_LENGTH > segmentBytes) {
      return {
        status: PutMessageStatus.MESSAGE_ILLEGAL,
        remark: `record size ${prepared.totalSize} does not fit a commit-log segment of mappedFileSizeCommitLog ${segmentBytes} bytes`,
      };
    }

    const key = `${message.topic}-${message.queueId}`;
    const dispatched = isDispatchedType(prepared.sysFlag);
    // Legacy PREPARED/ROLLBACK records carry queue offset 0 and take no slot.
    const queueOffset = dispatched ? (this.topicQueueTable.get(key) ?? 0) : 0;
    const storeTimestamp = Math.max(this.options.clock.nowMs(), this.lastStoreTimestamp);
    const storeHost = this.options.storeHost;
    // Every record is written together with the others of this event-loop turn: one pwrite for
    // the batch at the end of the turn (or right before the group commit's fdatasync). putMessage
    // answers only after it.
    let wrote;
    try {
      wrote = this.mappedFileQueue.appendRecord(
        prepared.totalSize,
        (physicalOffset) => encodePreparedRecord(prepared, { queueOffset, physicalOffset, storeTimestamp, storeHost }),
        true,
      );
    } catch (error) {
      const creating = isZerolossError(error) && error.code !== 'DISK_WRITE_FAILED';
      return {
        status: creating ? PutMessageStatus.CREATE_MAPPED_FILE_FAILED : PutMessageStatus.UNKNOWN_ERROR,
        remark: `append failed: ${(error as Error).message}`,
      };
    }
    if (dispatched) this.topicQueueTable.set(key, queueOffset + 1);
    this.lastStoreTimestamp = storeTimestamp;
    const append: AppendResult = {
      wroteOffset: wrote.wroteOffset,
      wroteBytes: wrote.wroteBytes,
      msgId: createOffsetMsgId(storeHost, wrote.wroteOffset),
      queueOffset,
      storeTimestamp,
    };
    if (this.onAppended) {
      this.onAppended({
        topic: message.topic,
        queueId: message.queueId,
        commitLogOffset: wrote.wroteOffset,
        size: wrote.wroteBytes,
        tagsCode: this.tagsCodeFor(message, storeTimestamp),
        storeTimestamp,
        queueOffset,
        sysFlag: prepared.sysFlag,
        uniqKey: message.properties.get(MessageProperty.UNIQ_KEY),
        keys: message.properties.get(MessageProperty.KEYS),
      });
    }
    this.emitStored(message, append);
    return append;
  }

  /**
   * The consume-queue tagsCode of a record: for SCHEDULE_TOPIC_XXXX its delivery timestamp (4.x
   * checkMessageAndReturnSize), else the tags hash.
   */
  tagsCodeFor(message: { topic: string; properties: ReadonlyMap<string, string> }, storeTimestamp: number): number {
    if (message.topic === SCHEDULE_TOPIC) return scheduleTagsCode(message.properties, storeTimestamp, this.options.settings().messageDelayLevel);
    return tagsCodeOf(message);
  }

  private emitStored(message: MessageInner, append: AppendResult): void {
    const stored = this.options.events?.stored;
    if (!stored) return;
    try {
      stored({
        msgId: append.msgId,
        uniqKey: message.properties.get(MessageProperty.UNIQ_KEY),
        topic: message.topic,
        queueId: message.queueId,
        queueOffset: append.queueOffset,
        commitLogOffset: append.wroteOffset,
        size: append.wroteBytes,
        storeTimestamp: append.storeTimestamp,
        properties: message.properties,
      });
    } catch (error) {
      console.error('[CommitLog] stored listener failed', error);
    }
  }

  // -------------------------------------------------------------------------------------------
  // Flush
  // -------------------------------------------------------------------------------------------

  /**
   * Flushes (serialized with every other flush of the log) and, when it advanced, records the
   * store time of the last flushed record in the checkpoint and emits `flushed`.
   */
  async flush(leastPages: number): Promise<number> {
    const before = this.mappedFileQueue.flushedWhere();
    const maxAtStart = this.mappedFileQueue.maxOffset();
    const timestampAtStart = this.lastStoreTimestamp;
    const where = await this.mappedFileQueue.flush(leastPages);
    if (where > before) {
      if (where >= maxAtStart) this.options.checkpoint.physicMsgTimestamp = timestampAtStart;
      this.options.checkpoint.masterFlushedOffset = where;
      this.onFlushed?.(where);
      try {
        this.options.events?.flushed?.({ flushedOffset: where, atMs: this.options.clock.nowMs() });
      } catch (error) {
        console.error('[CommitLog] flushed listener failed', error);
      }
    }
    return where;
  }

  // -------------------------------------------------------------------------------------------
  // Read
  // -------------------------------------------------------------------------------------------

  /** The raw record at a physical offset with a known size, or null when it is not (or no longer) there. */
  getMessage(offset: number, size: number): Buffer | null {
    const bytes = this.mappedFileQueue.read(offset, size);
    return bytes.length === size ? bytes : null;
  }

  /** Reads and decodes the record starting at `offset`; null unless a whole, valid record is there. */
  lookMessageByOffset(offset: number): MessageExt | null {
    if (offset < this.minOffset() || offset >= this.maxOffset()) return null;
    const head = this.mappedFileQueue.read(offset, 8);
    if (head.length < 8 || head.readInt32BE(4) === BLANK_MAGIC_CODE) return null;
    const size = head.readInt32BE(0);
    if (size < RECORD_FIXED_OVERHEAD) return null;
    const record = this.getMessage(offset, size);
    if (!record) return null;
    const check = checkMessageRecord(record, 0, { checkCrc: false, maxRecordSize: size, expectedPhysicalOffset: offset });
    return check.status === RecordCheckStatus.OK ? decodeMessageRecord(record, 0) : null;
  }

  // -------------------------------------------------------------------------------------------
  // Queue offsets
  // -------------------------------------------------------------------------------------------

  /** Rebuilt after recovery from the consume queues' max offsets. */
  setTopicQueueOffset(topic: string, queueId: number, nextQueueOffset: number): void {
    this.topicQueueTable.set(`${topic}-${queueId}`, nextQueueOffset);
  }

  // -------------------------------------------------------------------------------------------
  // Recovery (the walk itself lives in commit-log-recovery.ts)
  // -------------------------------------------------------------------------------------------

  /**
   * Validates the tail of the log and truncates at the first invalid record
   * (docs/rocketmq-semantics.md#recovery); returns the valid end, the new max offset.
   */
  recover(abnormal: boolean, checkpointMinTimestamp: number): number {
    const { validEnd, lastStoreTimestamp } = recoverCommitLog(this, abnormal, checkpointMinTimestamp);
    this.lastStoreTimestamp = lastStoreTimestamp;
    return validEnd;
  }

  // -------------------------------------------------------------------------------------------
  // Lifecycle
  // -------------------------------------------------------------------------------------------

  /** Stops the flush services after a final full flush; every pending SYNC waiter is answered. */
  async shutdown(): Promise<void> {
    this.stopped = true;
    await this.flushRealTimeService.shutdown();
    let where: number;
    try {
      where = await this.flush(0);
    } catch (error) {
      // A failed write stopped the log (MappedFile): what was flushed before it stays confirmed.
      console.error('[CommitLog] final flush failed', error);
      where = this.mappedFileQueue.flushedWhere();
    }
    this.groupCommitService.shutdown(where);
    this.mappedFileQueue.close();
  }

  /** The power cut: stop everything at once, answer nothing, close nothing. */
  stopSync(): void {
    this.stopped = true;
    this.mappedFileQueue.freeze();
    this.flushRealTimeService.stopSync();
    this.groupCommitService.stopSync();
  }
}

/** RocketMQ's tagsCode: Java String.hashCode of TAGS, 0 without tags. */
export function tagsCodeOf(message: { properties: ReadonlyMap<string, string> }): number {
  const tags = message.properties.get(MessageProperty.TAGS);
  return tags === undefined ? 0 : javaStringHashCode(tags);
}

/** The store-side checks of a message before it is encoded; null when it may be appended. */
const illegal = (remark: string): PutMessageResult => ({ status: PutMessageStatus.MESSAGE_ILLEGAL, remark });

export function validateMessage(message: MessageInner, settings: BrokerSettings): PutMessageResult | null {
  const topic = message.topic;
  if (topic.length === 0) return illegal('topic is empty');
  if (topic.length > TOPIC_LENGTH_MAX) {
    return illegal(`topic "${topic.slice(0, 32)}..." is ${topic.length} characters, over the limit of ${TOPIC_LENGTH_MAX}`);
  }
  if (!TOPIC_PATTERN.test(topic)) return illegal(`topic "${topic}" contains characters outside ${TOPIC_PATTERN.source}`);
  if (!Number.isInteger(message.queueId) || message.queueId < 0) return illegal(`queueId ${message.queueId} is not a non-negative integer`);
  if (message.body.length > settings.maxMessageSize) {
    return illegal(`body size ${message.body.length} exceeds maxMessageSize ${settings.maxMessageSize}`);
  }
  return null;
}
