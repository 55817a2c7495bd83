/**
 * GroupCommitService (SYNC_FLUSH, docs/rocketmq-semantics.md#groupcommitservice): producers queue a waiter
 * {nextOffset, deadline}; one fdatasync is in flight at a time; when it completes, every waiter whose
 * nextOffset is covered by the flushed offset is answered PUT_OK, and if waiters remain the next
 * fdatasync starts. Everything appended while one fdatasync runs rides on the next one: that
 * batching is group commit.
 *
 * The deadline timer (RocketMQ's FlushDiskWatcher) answers a waiter still pending at its deadline
 * (syncFlushTimeout, read when the waiter is queued) with FLUSH_DISK_TIMEOUT. Each waiter is
 * answered exactly once: it leaves the queue before its promise is resolved, whichever path wins.
 * The queue, its bound and its deadlines are OffsetWaitQueue's (shared with GroupTransferService);
 * this service adds the flush rounds.
 *
 * The service does not look at flushDiskType: a waiter queued under SYNC_FLUSH is served to the end
 * even if the store flips to ASYNC_FLUSH meanwhile. The queue is bounded (maxWaiters); a put that
 * finds it full is answered FLUSH_DISK_TIMEOUT at once (the record is stored, its durability is
 * not confirmed), which is the status RocketMQ gives when a flush does not come in time.
 */
import { PutMessageStatus } from '../protocol/codes.js';
import type { Clock } from '../io/clock.js';
import { OffsetWaitQueue } from '../util/offset-wait-queue.js';

export const GROUP_COMMIT_MAX_WAITERS = 100_000;

export interface GroupCommitDeps {
  /** flush everything appended so far (leastPages 0); resolves to the flushed offset */
  flush: () => Promise<number>;
  flushedWhere: () => number;
  /** read for each new waiter */
  syncFlushTimeoutMs: () => number;
  clock: Clock;
  maxWaiters?: number;
}

export class GroupCommitService {
  private readonly deps: GroupCommitDeps;
  /** in queue order, which is nextOffset order: the single writer queues right after appending */
  private readonly waiters: OffsetWaitQueue;
  private flushing = false;
  private scheduled = false;
  /** fdatasync rounds run by this service; a test and the bench compare it with the puts */
  commitRounds = 0;
  /**
   * Lab bug ack-before-fsync (broker/lab-bugs.ts), set only from the broker's lab flags: a put is
   * queued for the next fdatasync as usual, but answered PUT_OK at once instead of after it.
   */
  labAckBeforeFsync = false;

  constructor(deps: GroupCommitDeps) {
    this.deps = deps;
    this.waiters = new OffsetWaitQueue({
      reachedOffset: deps.flushedWhere,
      timeoutMs: deps.syncFlushTimeoutMs,
      timeoutStatus: PutMessageStatus.FLUSH_DISK_TIMEOUT,
      maxWaiters: deps.maxWaiters ?? GROUP_COMMIT_MAX_WAITERS,
      clock: deps.clock,
      // The FlushDiskWatcher answers each waiter at its own deadline, even one queued behind
      // older waiters after syncFlushTimeout was lowered live.
      expiry: 'eachOnItsOwn',
      // Only the service's own fdatasync rounds confirm a waiter.
      progressWinsAtDeadline: false,
      onQueued: () => this.scheduleCommit(),
    });
  }

  pendingCount(): number {
    return this.waiters.pendingCount();
  }

  /** Resolves once an fdatasync covers `nextOffset` (PUT_OK) or the deadline passes (FLUSH_DISK_TIMEOUT). */
  waitForFlush(nextOffset: number): Promise<PutMessageStatus> {
    const flushed = this.waiters.wait(nextOffset);
    return this.labAckBeforeFsync ? Promise.resolve(PutMessageStatus.PUT_OK) : flushed;
  }

  /**
   * Starts a commit round after the current burst of puts: deferring to the end of the turn lets every
   * producer answered by the previous round append its next record first, so they share one fdatasync.
   */
  private scheduleCommit(): void {
    if (this.flushing || this.scheduled || this.waiters.isStopped()) return;
    this.scheduled = true;
    this.deps.clock.atEndOfTurn(() => {
      this.scheduled = false;
      void this.doCommit();
    });
  }

  private async doCommit(): Promise<void> {
    if (this.flushing || this.waiters.isStopped() || this.waiters.pendingCount() === 0) return;
    this.flushing = true;
    let flushed: number;
    try {
      flushed = await this.deps.flush();
      this.commitRounds++;
    } catch (error) {
      // The disk refused: no waiter can be confirmed. Answer them now rather than spin on a dead disk.
      console.error('[GroupCommitService] fdatasync failed', error);
      this.flushing = false;
      this.waiters.answerAll();
      return;
    }
    this.flushing = false;
    this.completeUpTo(flushed);
    if (this.waiters.pendingCount() > 0) this.scheduleCommit();
  }

  /** Answers PUT_OK to every waiter covered by `flushedOffset`. */
  completeUpTo(flushedOffset: number): void {
    this.waiters.completeUpTo(flushedOffset);
  }

  /**
   * Shutdown after the store's final flush: waiters covered by it get PUT_OK, any other
   * FLUSH_DISK_TIMEOUT. No waiter is left unanswered.
   */
  shutdown(finalFlushedOffset: number): void {
    this.waiters.shutdown(finalFlushedOffset);
  }

  /** The power cut: stop without answering (the process is about to die). */
  stopSync(): void {
    this.waiters.stopSync();
  }
}
