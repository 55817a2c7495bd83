/**
 * DefaultMessageStore: the store facade the broker's processors use. Owns the store directory's
 * lifecycle — lock, abort marker, recovery, background services, shutdown, the simulated power
 * cut — and the read side (getMessage over the consume queues). The write path is the CommitLog's.
 *
 * Directory (docs/rocketmq-semantics.md#store-directory):
 *   <root>/lock  abort  checkpoint  commitlog/<20-digit offset>...
 *   <root>/consumequeue/<topic>/<queueId>/<20-digit byte offset>...
 *   <root>/config/topics.json  consumerOffset.json   (+ .bak of the previous version)
 *
 * Invariant after open(): every consume-queue entry points at a valid commit-log record below
 * maxPhyOffset(), every record of a NOT/COMMIT type below it has its entry, and the next queue
 * offset of each queue equals its consume queue's max offset.
 */
import path from 'node:path';
import type { BrokerSettings } from '../config/broker-config.js';
import { systemClock, type Clock } from '../io/clock.js';
import { FileLayer, type PowerCutEntry } from '../io/file-layer.js';
import { writeFileAtomicSync } from '../io/disk.js';
import { BLANK_MAGIC_CODE, PutMessageStatus } from '../protocol/codes.js';
import { CommitLog, validateMessage, type ReplicaWait } from './commit-log.js';
import { ConsumeQueue, FILLER_ENTRY_SIZE } from './consume-queue.js';
import { ConsumerOffsetManager, FLUSH_CONSUMER_OFFSET_INTERVAL_MS } from './consumer-offset-manager.js';
import { ConsumerOffsetPersistService, FlushConsumeQueueService } from './flush-consume-queue-service.js';
import type { DispatchRequest } from './dispatch-request.js';
import { ReputMessageService } from './reput-message-service.js';
import { delayLevelOf, handleScheduleMessage } from './delay-level.js';
import { StoreCheckpoint } from './store-checkpoint.js';
import { StoreLock } from './store-lock.js';
import { TopicConfigManager } from './topic-config-manager.js';
import { NO_LAB_BUGS, type LabBugSet } from '../lab-bugs.js';
import {
  GetMessageStatus,
  type GetMessageResult,
  type HostAddress,
  type MessageExt,
  type MessageInner,
  type PutMessageResult,
  type StoreEvents,
} from './types.js';

/** maxTransferBytesOnMessageInMemory / maxTransferCountOnMessageInMemory (MessageStoreConfig). */
export const MAX_TRANSFER_BYTES = 256 * 1024;
export const MAX_TRANSFER_COUNT = 32;

export type DispatchListener = (topic: string, queueId: number, maxOffset: number) => void;

export interface MessageStoreOptions {
  storePathRootDir: string;
  storeHost: HostAddress;
  /** read on every use, so a settings change applies at once */
  settings: () => BrokerSettings;
  fileLayer?: FileLayer;
  clock?: Clock;
  events?: StoreEvents;
  /** the SYNC_MASTER wait; defaults to PUT_OK at once */
  replicaWait?: ReplicaWait;
  /** called after each consume-queue append (wakes long-polling pulls) */
  onDispatched?: DispatchListener;
  /** deliberate bugs switched on in this process (broker/lab-bugs.ts); none by default */
  labBugs?: LabBugSet;
}

export interface RecoveryReport {
  abnormal: boolean;
  /** commit-log bytes cut off as invalid */
  truncatedBytes: number;
  /** records dispatched again to the consume queues */
  redispatched: number;
  maxPhyOffset: number;
}

type StoreState = 'running' | 'shut-down' | 'power-cut';

export class DefaultMessageStore {
  readonly storePathRootDir: string;
  readonly storeHost: HostAddress;
  readonly fileLayer: FileLayer;
  readonly clock: Clock;
  readonly commitLog: CommitLog;
  readonly checkpoint: StoreCheckpoint;
  readonly topics: TopicConfigManager;
  readonly consumerOffsets: ConsumerOffsetManager;
  private recovery: RecoveryReport = { abnormal: false, truncatedBytes: 0, redispatched: 0, maxPhyOffset: 0 };
  onDispatched: DispatchListener | undefined;

  private readonly settings: () => BrokerSettings;
  private readonly lock: StoreLock;
  private readonly consumeQueueTable = new Map<string, ConsumeQueue>();
  private readonly reput: ReputMessageService;
  private readonly flushConsumeQueueService: FlushConsumeQueueService;
  private readonly offsetPersistService: ConsumerOffsetPersistService;
  private lastDispatchedTimestamp = 0;
  private replicaVisibleOffset: (() => number) | undefined;
  private recovering = true;
  private readonly labBugs: LabBugSet;
  private state: StoreState = 'running';

  private constructor(options: MessageStoreOptions, fileLayer: FileLayer, lock: StoreLock) {
    this.storePathRootDir = path.resolve(options.storePathRootDir);
    this.storeHost = options.storeHost;
    this.settings = options.settings;
    this.clock = options.clock ?? systemClock;
    this.fileLayer = fileLayer;
    this.onDispatched = options.onDispatched;
    this.labBugs = options.labBugs ?? NO_LAB_BUGS;
    this.lock = lock;
    this.checkpoint = StoreCheckpoint.open(this.fileLayer, path.join(this.storePathRootDir, 'checkpoint'));
    this.commitLog = new CommitLog({
      fileLayer: this.fileLayer,
      storePathRootDir: this.storePathRootDir,
      storeHost: options.storeHost,
      settings: options.settings,
      clock: this.clock,
      checkpoint: this.checkpoint,
      events: options.events,
      replicaWait: options.replicaWait,
    });
    this.commitLog.groupCommitService.labAckBeforeFsync = this.labBugs.has('ack-before-fsync');
    const configDir = path.join(this.storePathRootDir, 'config');
    this.topics = TopicConfigManager.load(fileLayer.disk, path.join(configDir, 'topics.json'), () => options.settings().defaultTopicQueueNums);
    this.consumerOffsets = ConsumerOffsetManager.load(fileLayer.disk, path.join(configDir, 'consumerOffset.json'));
    // Consumers see only what the configured guarantees cover (reput-message-service.ts): under
    // SYNC_FLUSH what an fdatasync covered, under SYNC_MASTER with a slave in sync what it acked.
    this.reput = new ReputMessageService(this.commitLog, (request) => this.dispatch(request), () => {
      const { brokerRole, flushDiskType } = options.settings();
      if (brokerRole === 'SLAVE' || this.recovering) return this.commitLog.maxOffset();
      // Lab bug dispatch-before-flush (broker/lab-bugs.ts): SYNC_FLUSH records visible before their flush.
      const flushed = flushDiskType === 'SYNC_FLUSH' && !this.labBugs.has('dispatch-before-flush') ? this.commitLog.flushedWhere() : this.commitLog.maxOffset();
      return Math.min(flushed, this.replicaVisibleOffset?.() ?? Infinity);
    });
    this.flushConsumeQueueService = new FlushConsumeQueueService({
      settings: options.settings,
      clock: this.clock,
      flushPass: () => this.flushConsumeQueues(),
    });
    this.offsetPersistService = new ConsumerOffsetPersistService(this.clock, FLUSH_CONSUMER_OFFSET_INTERVAL_MS, () =>
      this.consumerOffsets.persist(),
    );
  }

  /**
   * Takes the lock (STORE_LOCKED if a live store holds it), loads and recovers the directory, writes
   * `abort`, and starts the background services.
   */
  static async open(options: MessageStoreOptions): Promise<DefaultMessageStore> {
    const root = path.resolve(options.storePathRootDir);
    const fileLayer = options.fileLayer ?? new FileLayer({ clock: options.clock, slowDiskDelayMs: () => options.settings().slowDiskDelayMs });
    const disk = fileLayer.disk;
    disk.mkdirp(root);
    const lock = StoreLock.acquire(disk, root);
    let store: DefaultMessageStore | undefined;
    try {
      store = new DefaultMessageStore(options, fileLayer, lock);
      store.load();
      store.recover();
      // 5.x writes the pid into abort; the old one goes first so no abort.bak is left behind.
      disk.remove(path.join(root, 'abort'));
      writeFileAtomicSync(disk, path.join(root, 'abort'), String(process.pid));
      store.start();
      return store;
    } catch (error) {
      store?.closeFilesQuietly();
      lock.release();
      throw error;
    }
  }

  // -------------------------------------------------------------------------------------------
  // Load, recover, start
  // -------------------------------------------------------------------------------------------

  private load(): void {
    this.commitLog.load();
    const root = path.join(this.storePathRootDir, 'consumequeue');
    const disk = this.fileLayer.disk;
    if (!disk.exists(root)) return;
    for (const topic of disk.readdir(root).sort()) {
      const topicDir = path.join(root, topic);
      if (!disk.isDirectory(topicDir)) continue;
      for (const queueDir of disk.readdir(topicDir).sort()) {
        if (!/^\d+$/.test(queueDir)) continue;
        this.createConsumeQueue(topic, Number(queueDir));
      }
    }
  }

  /**
   * docs/rocketmq-semantics.md#recovery: validate the commit-log tail (from the checkpoint when `abort` says the
   * last run did not shut down), truncate at the first invalid record, cut consume-queue entries
   * pointing at or past it, re-dispatch from where the consume queues were last known durable, and
   * rebuild the next-queue-offset table from the consume queues.
   */
  private recover(): void {
    const abnormal = this.fileLayer.disk.exists(path.join(this.storePathRootDir, 'abort'));
    // Bytes, not offsets: empty segments past a power cut's durable end span offsets but hold nothing.
    const bytesBefore = this.commitLog.mappedFileQueue.bytesHeld();
    const validEnd = this.commitLog.recover(abnormal, this.checkpoint.minTimestamp());
    for (const queue of this.consumeQueueTable.values()) queue.truncateDirtyLogicFiles(validEnd);

    // Lab bug recovery-trusts-consume-queues (broker/lab-bugs.ts): after an unclean stop the consume
    // queues on disk are taken for complete; nothing is re-dispatched from the checkpoint.
    this.reput.reputFromOffset = abnormal && this.labBugs.has('recovery-trusts-consume-queues') ? validEnd : this.redispatchStart(validEnd);
    const redispatched = this.reput.doReput();
    // The next queue offsets come from every record in the log, also those past the confirm offset
    // (apache/rocketmq#7690). Lab bug queue-offsets-from-confirm-offset (apache/rocketmq#7689): they
    // come from the records before the confirm offset the checkpoint holds, so new records reuse the
    // queue offsets of the records past it; the consume queue keeps the first and drops the second.
    const confirm = this.labBugs.has('queue-offsets-from-confirm-offset') ? this.checkpoint.confirmPhyOffset : 0;
    for (const queue of this.consumeQueueTable.values()) {
      this.commitLog.setTopicQueueOffset(queue.topic, queue.queueId, confirm > 0 ? queue.queueOffsetAt(confirm) : queue.maxOffsetInQueue());
    }
    // Make the rebuilt consume queues and the checkpoint agree before anything new is written.
    for (const queue of this.consumeQueueTable.values()) queue.flushSync();
    this.checkpoint.logicsPhyOffset = this.reput.reputFromOffset;
    this.checkpoint.logicsMsgTimestamp = Math.max(this.checkpoint.logicsMsgTimestamp, this.lastDispatchedTimestamp);
    this.checkpoint.indexMsgTimestamp = this.checkpoint.logicsMsgTimestamp;
    this.checkpoint.flushSync();
    this.recovery = { abnormal, truncatedBytes: bytesBefore - this.commitLog.mappedFileQueue.bytesHeld(), redispatched, maxPhyOffset: validEnd };
    this.recovering = false;
  }

  /**
   * Where re-dispatch starts: the checkpoint's durable consume-queue offset, never past the valid
   * end, never before the log's start, and always at a record boundary (else its segment's start).
   */
  private redispatchStart(validEnd: number): number {
    const minOffset = this.commitLog.minOffset();
    const offset = Math.max(minOffset, Math.min(this.checkpoint.logicsPhyOffset, validEnd));
    if (offset === validEnd || offset === minOffset) return offset;
    const file = this.commitLog.mappedFileQueue.findMappedFileByOffset(offset);
    if (!file || offset === file.fileFromOffset) return offset;
    const head = this.commitLog.mappedFileQueue.read(offset, 8);
    const isBlank = head.length === 8 && head.readInt32BE(4) === BLANK_MAGIC_CODE;
    return isBlank || this.commitLog.lookMessageByOffset(offset) ? offset : file.fileFromOffset;
  }

  private start(): void {
    this.commitLog.onAppended = (request) => this.reput.dispatchAppended(request);
    this.commitLog.onFlushed = () => this.reput.doReput();
    this.commitLog.start();
    this.flushConsumeQueueService.start();
    this.offsetPersistService.start();
  }

  // -------------------------------------------------------------------------------------------
  // Dispatch and consume queues
  // -------------------------------------------------------------------------------------------

  private dispatch(request: DispatchRequest): void {
    const queue = this.findConsumeQueue(request.topic, request.queueId) ?? this.createConsumeQueue(request.topic, request.queueId);
    queue.putMessagePositionInfo(request.commitLogOffset, request.size, request.tagsCode, request.queueOffset);
    this.lastDispatchedTimestamp = request.storeTimestamp;
    if (this.recovering || !this.onDispatched) return;
    try {
      this.onDispatched(request.topic, request.queueId, queue.maxOffsetInQueue());
    } catch (error) {
      console.error('[DefaultMessageStore] onDispatched listener failed', error);
    }
  }

  private createConsumeQueue(topic: string, queueId: number): ConsumeQueue {
    const root = path.join(this.storePathRootDir, 'consumequeue');
    const disk = this.fileLayer.disk;
    const fresh = !disk.exists(path.join(root, topic));
    const queue = new ConsumeQueue(this.fileLayer, root, topic, queueId, this.settings().mappedFileSizeConsumeQueue);
    queue.load(); // creates the directory when new; drops a torn tail when not
    // New directory entries must survive a power cut like the files in them.
    if (fresh) disk.syncDirectory(root);
    disk.syncDirectory(path.dirname(queue.dir));
    this.consumeQueueTable.set(`${topic}@${queueId}`, queue);
    return queue;
  }

  findConsumeQueue(topic: string, queueId: number): ConsumeQueue | undefined {
    return this.consumeQueueTable.get(`${topic}@${queueId}`);
  }

  /** Every consume queue, for the dashboard and tests. */
  consumeQueues(): ConsumeQueue[] {
    return [...this.consumeQueueTable.values()];
  }

  /** One pass of the consume-queue flush loop: queues first, then the checkpoint that vouches for them. */
  private async flushConsumeQueues(): Promise<void> {
    const reputOffset = this.reput.reputFromOffset;
    const dispatchedTimestamp = this.lastDispatchedTimestamp;
    const dirty = [...this.consumeQueueTable.values()].filter((queue) => queue.unflushedBytes() > 0);
    if (dirty.length === 0 && reputOffset === this.checkpoint.logicsPhyOffset) return;
    for (const queue of dirty) {
      await queue.flush();
      if (this.state !== 'running') return;
    }
    this.checkpoint.logicsPhyOffset = reputOffset;
    this.checkpoint.logicsMsgTimestamp = dispatchedTimestamp;
    this.checkpoint.indexMsgTimestamp = dispatchedTimestamp;
    await this.checkpoint.flush();
  }

  // -------------------------------------------------------------------------------------------
  // Write
  // -------------------------------------------------------------------------------------------

  /** Appends a message; the status says whether it is stored and how durable (docs/rocketmq-semantics.md#when-each-status-is-returned). */
  async putMessage(message: MessageInner): Promise<PutMessageResult> {
    if (this.state !== 'running') return { status: PutMessageStatus.SERVICE_NOT_AVAILABLE, remark: `the store is ${this.state}` };
    // A delayed message waits in SCHEDULE_TOPIC_XXXX (delay-level.ts); its real topic is checked first.
    if (delayLevelOf(message.properties) > 0) {
      const refusal = validateMessage(message, this.settings());
      if (refusal) return refusal;
      handleScheduleMessage(message, this.settings().messageDelayLevel);
    }
    if (!this.topics.selectTopicConfig(message.topic)) {
      // Only a message that passes validation may create its topic (the commit log validates again).
      const refusal = validateMessage(message, this.settings());
      if (refusal) return refusal;
      try {
        this.topics.createTopicInSendMessageMethod(message.topic);
      } catch (error) {
        return { status: PutMessageStatus.UNKNOWN_ERROR, remark: (error as Error).message };
      }
    }
    return this.commitLog.putMessage(message);
  }

  /**
   * Controller mode's confirm offset (CommitLog.setConfirmOffset): kept in the checkpoint and written
   * with its next flush. Recovery reads it only under the lab bug queue-offsets-from-confirm-offset.
   */
  setConfirmOffset(offset: number): void {
    this.checkpoint.confirmPhyOffset = offset;
  }

  /** What open() found and did: abnormal recovery, bytes cut, records re-dispatched. */
  recoveryReport(): RecoveryReport {
    return { ...this.recovery };
  }

  /** Replaces the replica wait (the HA service installs its own when it starts). */
  /**
   * The HA service's bound on what consumers may see (a slave in sync under SYNC_MASTER: its ack;
   * otherwise Infinity). Call replicaAdvanced() whenever that bound may have moved.
   */
  setReplicaVisibleOffset(bound: (() => number) | undefined): void {
    this.replicaVisibleOffset = bound;
    this.reput.doReput();
  }

  /** Records the dispatcher read back from the commit log (recovery, a slave, a roll) rather than took from the append. */
  recordsReadBack(): number {
    return this.reput.readBackCount;
  }

  /** A slave acked more, or replication's state changed: dispatch what became visible. */
  replicaAdvanced(): void {
    if (this.state === 'running') this.reput.doReput();
  }

  setReplicaWait(replicaWait: ReplicaWait | undefined): void {
    this.commitLog.replicaWait = replicaWait;
  }

  /**
   * The slave path: appends raw commit-log bytes shipped by the master at exactly maxPhyOffset()
   * (never across a segment boundary, as the master never ships across one) and dispatches them.
   * Returns false when `physicalOffset` is not the current end.
   */
  appendToCommitLog(physicalOffset: number, data: Buffer): boolean {
    if (this.state !== 'running' || physicalOffset !== this.commitLog.maxOffset()) return false;
    const queue = this.commitLog.mappedFileQueue;
    const file = queue.getLastMappedFile(physicalOffset);
    if (file.fileFromOffset + file.wrotePosition !== physicalOffset || data.length > file.remaining()) return false;
    file.append(data);
    this.reput.doReput();
    for (const cq of this.consumeQueueTable.values()) this.commitLog.setTopicQueueOffset(cq.topic, cq.queueId, cq.maxOffsetInQueue());
    return true;
  }

  // -------------------------------------------------------------------------------------------
  // Read
  // -------------------------------------------------------------------------------------------

  /**
   * DefaultMessageStore.getMessage without a filter: up to maxMsgNums raw records from `queueOffset`
   * (at most MAX_TRANSFER_COUNT and, after the first, MAX_TRANSFER_BYTES), with RocketMQ's statuses
   * and nextBeginOffset corrections as a master gives them.
   */
  getMessage(topic: string, queueId: number, queueOffset: number, maxMsgNums: number): GetMessageResult {
    const queue = this.findConsumeQueue(topic, queueId);
    if (!queue) return { status: GetMessageStatus.NO_MATCHED_LOGIC_QUEUE, records: [], nextBeginOffset: 0, minOffset: 0, maxOffset: 0 };
    const minOffset = queue.minOffsetInQueue();
    const maxOffset = queue.maxOffsetInQueue();
    if (maxOffset === 0) return { status: GetMessageStatus.NO_MESSAGE_IN_QUEUE, records: [], nextBeginOffset: 0, minOffset, maxOffset };
    if (queueOffset < minOffset) return { status: GetMessageStatus.OFFSET_TOO_SMALL, records: [], nextBeginOffset: minOffset, minOffset, maxOffset };
    if (queueOffset === maxOffset) return { status: GetMessageStatus.OFFSET_OVERFLOW_ONE, records: [], nextBeginOffset: queueOffset, minOffset, maxOffset };
    if (queueOffset > maxOffset) {
      return { status: GetMessageStatus.OFFSET_OVERFLOW_BADLY, records: [], nextBeginOffset: minOffset === 0 ? minOffset : maxOffset, minOffset, maxOffset };
    }

    const wanted = Math.max(1, Math.min(maxMsgNums, MAX_TRANSFER_COUNT));
    const entries = queue.getEntries(queueOffset, wanted);
    const records: Buffer[] = [];
    let status: GetMessageStatus = GetMessageStatus.NO_MATCHED_MESSAGE;
    let next = queueOffset;
    let bytes = 0;
    const minPhyOffset = this.commitLog.minOffset();
    for (const entry of entries) {
      if (records.length > 0 && bytes + entry.size > MAX_TRANSFER_BYTES) break;
      next++;
      if (entry.size === FILLER_ENTRY_SIZE || entry.commitLogOffset < minPhyOffset) continue;
      const record = this.commitLog.getMessage(entry.commitLogOffset, entry.size);
      if (!record) continue;
      records.push(record);
      bytes += entry.size;
      status = GetMessageStatus.FOUND;
    }
    return { status, records, nextBeginOffset: next, minOffset, maxOffset };
  }

  /** The message stored at a commit-log offset (VIEW_MESSAGE_BY_ID, send-back, transactions). */
  lookMessageByOffset(commitLogOffset: number): MessageExt | null {
    return this.commitLog.lookMessageByOffset(commitLogOffset);
  }

  /** Raw commit-log bytes from `physicalOffset`, at most `maxBytes`, never across a segment (HA transfer). */
  readCommitLog(physicalOffset: number, maxBytes: number): Buffer {
    return this.commitLog.mappedFileQueue.read(physicalOffset, maxBytes);
  }

  getMaxOffsetInQueue(topic: string, queueId: number): number {
    return this.findConsumeQueue(topic, queueId)?.maxOffsetInQueue() ?? 0;
  }

  /** -1 for a queue that does not exist, as 4.x answers. */
  getMinOffsetInQueue(topic: string, queueId: number): number {
    return this.findConsumeQueue(topic, queueId)?.minOffsetInQueue() ?? -1;
  }

  /** Commit-log offset of the message at a queue offset, or -1. */
  getCommitLogOffsetInQueue(topic: string, queueId: number, queueOffset: number): number {
    return this.findConsumeQueue(topic, queueId)?.getEntry(queueOffset)?.commitLogOffset ?? -1;
  }

  maxPhyOffset(): number {
    return this.commitLog.maxOffset();
  }

  minPhyOffset(): number {
    return this.commitLog.minOffset();
  }

  flushedPhyOffset(): number {
    return this.commitLog.flushedWhere();
  }

  /** Commit-log bytes appended but not yet covered by an fdatasync. */
  unflushedBytes(): number {
    return this.commitLog.mappedFileQueue.unflushedBytes();
  }

  /**
   * Commit-log bytes in the page cache that no fdatasync covers, neither a completed one nor the one
   * in flight: what a power cut now is sure to take.
   */
  pageCacheOnlyBytes(): number {
    return this.commitLog.mappedFileQueue.pageCacheUncoveredBytes();
  }

  dispatchBehindBytes(): number {
    return this.reput.behindBytes();
  }

  isRunning(): boolean {
    return this.state === 'running';
  }

  // -------------------------------------------------------------------------------------------
  // Stop
  // -------------------------------------------------------------------------------------------

  /**
   * The power cut of the fault model: stops every service at once, then puts every store file back
   * to what fdatasync covered (FileLayer.revertAllToDurableSync), in one synchronous step, and
   * returns the per-file report. The broker SIGKILLs itself right after; in a test the directory is
   * simply reopened by a fresh store (the lock allows it). Nothing of this store writes afterwards;
   * pending puts are never answered.
   */
  simulatePowerCutSync(): PowerCutEntry[] {
    this.haltSync();
    return this.fileLayer.revertAllToDurableSync();
  }

  /**
   * Calls `cut` at a power cut's worst moment: while the page cache holds commit-log bytes that no
   * fdatasync covers, completed or in flight. Right after a flush starts there are none for a moment,
   * and a cut then would take nothing for sure whatever flushDiskType says (the in-flight fdatasync
   * may complete in the kernel before the power goes; an strace witness saw exactly that once, in
   * CI, and found no unflushed tail under ASYNC_FLUSH); so this waits (checking every millisecond on `clock`, a few
   * ms at any traffic rate, `maxWaitMs` at most) until there are. Under SYNC_FLUSH those bytes were
   * never answered; under ASYNC_FLUSH they were. `cut` gets how long it waited.
   */
  atWorstMomentForPowerCut(clock: Clock, maxWaitMs: number, cut: (waitedMs: number) => void): void {
    const startedMs = clock.monotonicMs();
    const check = () => {
      const waitedMs = clock.monotonicMs() - startedMs;
      if (this.pageCacheOnlyBytes() > 0 || waitedMs >= maxWaitMs) cut(waitedMs);
      else clock.setTimeout(check, 1);
    };
    check();
  }

  /**
   * Stops at once, as a SIGKILL would: no service runs, nothing more is written, answered or made
   * durable, and the lock is left for a successor in this process. The simulator's process crash
   * (the page cache stays: the simulated disk decides what survives).
   */
  haltSync(): void {
    this.state = 'power-cut';
    this.commitLog.stopSync();
    this.flushConsumeQueueService.stopSync();
    this.offsetPersistService.stopSync();
    this.checkpoint.freeze();
    for (const queue of this.consumeQueueTable.values()) queue.freeze();
    this.lock.abandon();
    this.fileLayer.halt();
  }

  /** Final flush of the commit log, consume queues and checkpoint; persists offsets; removes `abort`; releases the lock. */
  async shutdown(): Promise<void> {
    if (this.state !== 'running') return;
    this.state = 'shut-down';
    await this.flushConsumeQueueService.shutdown();
    await this.offsetPersistService.shutdown();
    await this.commitLog.shutdown();
    for (const queue of this.consumeQueueTable.values()) {
      queue.flushSync();
      queue.close();
    }
    this.checkpoint.logicsPhyOffset = this.reput.reputFromOffset;
    this.checkpoint.logicsMsgTimestamp = Math.max(this.checkpoint.logicsMsgTimestamp, this.lastDispatchedTimestamp);
    this.checkpoint.indexMsgTimestamp = this.checkpoint.logicsMsgTimestamp;
    this.checkpoint.flushSync();
    this.checkpoint.close();
    this.consumerOffsets.persist(true);
    // RocketMQ removes abort only when dispatch caught up; here dispatch is synchronous with the append.
    if (this.reput.behindBytes() === 0) this.fileLayer.disk.remove(path.join(this.storePathRootDir, 'abort'));
    this.lock.release();
  }

  private closeFilesQuietly(): void {
    try {
      this.commitLog.stopSync();
      this.commitLog.mappedFileQueue.close();
      for (const queue of this.consumeQueueTable.values()) queue.close();
      this.checkpoint.close();
    } catch {
      // Best effort: open() is already failing with the real error.
    }
  }
}
