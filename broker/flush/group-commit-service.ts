/**
 * GroupCommitService (SYNC_FLUSH, docs/rocketmq-semantics.md#groupcommitservice): producers queue a waiter
 * {nextOffset, deadline}; one fdatasync is in flight at a time; when it completes, every waiter whose
 * nextOffset is covered by the flushed offset is answered PUT_OK, and if waiters remain the next
 * fdatasync starts. Everything appended while one fdatasync runs rides on the next one: that
 * batching is group commit.
 *
 * A watchdog (RocketMQ's FlushDiskWatcher) answers a waiter still pending at its deadline
 * (syncFlushTimeout, read when the waiter is queued) with FLUSH_DISK_TIMEOUT. Each waiter is
 * answered exactly once: it leaves the queue before its promise is resolved, whichever path wins.
 *
 * The service does not look at flushDiskType: a waiter queued under SYNC_FLUSH is served to the end
 * even if the store flips to ASYNC_FLUSH meanwhile. The queue is bounded (maxWaiters); a put that
 * finds it full is answered FLUSH_DISK_TIMEOUT at once (the record is stored, its durability is
 * not confirmed), which is the status RocketMQ gives when a flush does not come in time.
 */
import { PutMessageStatus } from '../protocol/codes.js';
import type { Clock } from '../io/clock.js';

export const GROUP_COMMIT_MAX_WAITERS = 100_000;
/** The watchdog looks at deadlines at least this often while waiters exist. */
const WATCHDOG_SLICE_MS = 20;

interface FlushWaiter {
  nextOffset: number;
  deadline: number;
  resolve: (status: PutMessageStatus) => void;
}

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
  private readonly maxWaiters: number;
  /** in queue order, which is nextOffset order: the single writer queues right after appending */
  private waiters: FlushWaiter[] = [];
  private flushing = false;
  private scheduled = false;
  private watchdogRunning = false;
  private stopped = false;
  /** fdatasync rounds run by this service; a test and the bench compare it with the puts */
  commitRounds = 0;
  /**
   * Lab bug ack-before-fsync (broker/lab-bugs.ts), set only from the broker's lab flags: a put is
   * queued for the next fdatasync as usual, but answered PUT_OK at once instead of after it.
   */
  labAckBeforeFsync = false;

  constructor(deps: GroupCommitDeps) {
    this.deps = deps;
    this.maxWaiters = deps.maxWaiters ?? GROUP_COMMIT_MAX_WAITERS;
  }

  pendingCount(): number {
    return this.waiters.length;
  }

  /** Resolves once an fdatasync covers `nextOffset` (PUT_OK) or the deadline passes (FLUSH_DISK_TIMEOUT). */
  waitForFlush(nextOffset: number): Promise<PutMessageStatus> {
    if (this.deps.flushedWhere() >= nextOffset) return Promise.resolve(PutMessageStatus.PUT_OK);
    if (this.stopped || this.waiters.length >= this.maxWaiters) return Promise.resolve(PutMessageStatus.FLUSH_DISK_TIMEOUT);
    const flushed = new Promise<PutMessageStatus>((resolve) => {
      const deadline = this.deps.clock.monotonicMs() + this.deps.syncFlushTimeoutMs();
      this.waiters.push({ nextOffset, deadline, resolve });
      this.scheduleCommit();
      void this.runWatchdog();
    });
    return this.labAckBeforeFsync ? Promise.resolve(PutMessageStatus.PUT_OK) : flushed;
  }

  /**
   * Starts a commit round after the current burst of puts: deferring to setImmediate lets every
   * producer answered by the previous round append its next record first, so they share one fdatasync.
   */
  private scheduleCommit(): void {
    if (this.flushing || this.scheduled || this.stopped) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.doCommit();
    });
  }

  private async doCommit(): Promise<void> {
    if (this.flushing || this.stopped || this.waiters.length === 0) return;
    this.flushing = true;
    let flushed: number;
    try {
      flushed = await this.deps.flush();
      this.commitRounds++;
    } catch (error) {
      // The disk refused: no waiter can be confirmed. Answer them now rather than spin on a dead disk.
      console.error('[GroupCommitService] fdatasync failed', error);
      this.flushing = false;
      this.answerAll(PutMessageStatus.FLUSH_DISK_TIMEOUT);
      return;
    }
    this.flushing = false;
    this.completeUpTo(flushed);
    if (this.waiters.length > 0) this.scheduleCommit();
  }

  /** Answers PUT_OK to every waiter covered by `flushedOffset`. */
  completeUpTo(flushedOffset: number): void {
    let covered = 0;
    while (covered < this.waiters.length && this.waiters[covered]!.nextOffset <= flushedOffset) covered++;
    if (covered === 0) return;
    const done = this.waiters.splice(0, covered);
    for (const waiter of done) waiter.resolve(PutMessageStatus.PUT_OK);
  }

  private answerAll(status: PutMessageStatus): void {
    const all = this.waiters;
    this.waiters = [];
    for (const waiter of all) waiter.resolve(status);
  }

  /** FlushDiskWatcher: expires overdue waiters; runs only while waiters exist. */
  private async runWatchdog(): Promise<void> {
    if (this.watchdogRunning) return;
    this.watchdogRunning = true;
    try {
      while (this.waiters.length > 0 && !this.stopped) {
        const now = this.deps.clock.monotonicMs();
        let earliest = Infinity;
        const overdue: FlushWaiter[] = [];
        const pending: FlushWaiter[] = [];
        for (const waiter of this.waiters) {
          if (waiter.deadline <= now) overdue.push(waiter);
          else {
            pending.push(waiter);
            if (waiter.deadline < earliest) earliest = waiter.deadline;
          }
        }
        if (overdue.length > 0) {
          this.waiters = pending;
          for (const waiter of overdue) waiter.resolve(PutMessageStatus.FLUSH_DISK_TIMEOUT);
        }
        if (this.waiters.length === 0) break;
        await this.deps.clock.sleep(Math.max(1, Math.min(WATCHDOG_SLICE_MS, earliest - now)));
      }
    } finally {
      this.watchdogRunning = false;
    }
  }

  /**
   * Shutdown after the store's final flush: waiters covered by it get PUT_OK, any other
   * FLUSH_DISK_TIMEOUT. No waiter is left unanswered.
   */
  shutdown(finalFlushedOffset: number): void {
    this.stopped = true;
    this.completeUpTo(finalFlushedOffset);
    this.answerAll(PutMessageStatus.FLUSH_DISK_TIMEOUT);
  }

  /** The power cut: stop without answering (the process is about to die). */
  stopSync(): void {
    this.stopped = true;
  }
}
