/**
 * OffsetWaitQueue: the core shared by GroupCommitService (waits for an fdatasync) and
 * GroupTransferService (waits for a slave's ack). A put queues one waiter {nextOffset, deadline};
 * the waiter is answered PUT_OK once the offset reached (flushed, acked) covers nextOffset, or
 * `timeoutStatus` (FLUSH_DISK_TIMEOUT, FLUSH_SLAVE_TIMEOUT) once its deadline passes.
 *
 * Invariants:
 * - Each waiter is answered exactly once: it leaves the queue before its promise is resolved,
 *   whichever path (progress, deadline, shutdown) wins.
 * - Waiters are queued in nextOffset order (the store's single writer queues right after appending),
 *   so progress always completes a prefix of the queue, answered in queue order.
 * - The queue is bounded (maxWaiters). A put that finds it full, or comes after shutdown, is
 *   answered `timeoutStatus` at once: its record is stored, the guarantee it waited for is not
 *   confirmed, which is the status RocketMQ gives when the flush or the slave does not come in time.
 * - One timer, armed for the earliest deadline that can expire next, and none while the queue is empty.
 *
 * It does not decide when progress happens: its owner calls completeUpTo() after an fdatasync or an ack.
 */
import type { Clock, Timer } from '../io/clock.js';
import { PutMessageStatus } from '../protocol/codes.js';

/** Past this many answered waiters at the front, the array is compacted once they are half of it. */
const COMPACT_AFTER_WAITERS = 1024;

interface OffsetWaiter {
  nextOffset: number;
  deadline: number;
  resolve: (status: PutMessageStatus) => void;
}

export interface OffsetWaitQueueOptions {
  /** the offset reached so far (flushed, or acked by a slave): a waiter it covers is answered at once */
  reachedOffset: () => number;
  /** read when a waiter is queued, so a setting changed live applies to the next put */
  timeoutMs: () => number;
  /** the answer at a deadline, to a put that finds the queue full, and to what shutdown leaves */
  timeoutStatus: PutMessageStatus;
  maxWaiters: number;
  clock: Clock;
  /**
   * Which waiters a deadline expires. Deadlines follow queue order unless the timeout is lowered
   * live; then 'queueOrder' lets a waiter time out only once those queued before it are gone (at
   * most the old timeout later), while 'eachOnItsOwn' answers every overdue waiter wherever it sits.
   */
  expiry: 'queueOrder' | 'eachOnItsOwn';
  /**
   * When a deadline is due, first complete what reachedOffset() already covers, so progress that
   * arrived in the same turn as the deadline wins over it.
   */
  progressWinsAtDeadline: boolean;
  /** called each time a waiter joins the queue (group commit starts a flush round from it) */
  onQueued?: () => void;
}

export class OffsetWaitQueue {
  private readonly options: OffsetWaitQueueOptions;
  /** waiters[head..] are pending, in nextOffset order */
  private waiters: OffsetWaiter[] = [];
  private head = 0;
  private timer: Timer | undefined;
  private timerDueMs = Infinity;
  private stopped = false;
  /** answered PUT_OK / timeoutStatus so far */
  readonly answered = { ok: 0, timeout: 0 };

  constructor(options: OffsetWaitQueueOptions) {
    this.options = options;
  }

  pendingCount(): number {
    return this.waiters.length - this.head;
  }

  /** Resolves PUT_OK once `nextOffset` is reached, or `timeoutStatus` at the deadline. */
  wait(nextOffset: number): Promise<PutMessageStatus> {
    if (this.options.reachedOffset() >= nextOffset) return Promise.resolve(this.count(PutMessageStatus.PUT_OK));
    if (this.stopped || this.pendingCount() >= this.options.maxWaiters) {
      return Promise.resolve(this.count(this.options.timeoutStatus));
    }
    return new Promise<PutMessageStatus>((resolve) => {
      const deadline = this.options.clock.monotonicMs() + this.options.timeoutMs();
      this.waiters.push({ nextOffset, deadline, resolve });
      this.armTimer(deadline);
      this.options.onQueued?.();
    });
  }

  /** Progress reached `reachedOffset`: every waiter it covers gets PUT_OK. */
  completeUpTo(reachedOffset: number): void {
    let end = this.head;
    while (end < this.waiters.length && this.waiters[end]!.nextOffset <= reachedOffset) end++;
    this.answerPrefix(end, PutMessageStatus.PUT_OK);
  }

  /** Answers every pending waiter `timeoutStatus` now (the disk refused: nothing can be confirmed). */
  answerAll(): void {
    this.answerPrefix(this.waiters.length, this.options.timeoutStatus);
  }

  /** Shutdown: whatever `reachedOffset` covers gets PUT_OK, the rest `timeoutStatus`; later puts too. */
  shutdown(reachedOffset: number): void {
    this.completeUpTo(reachedOffset);
    this.stopped = true;
    this.answerAll();
  }

  /** The power cut: stop without answering anyone (the process is about to die). */
  stopSync(): void {
    this.stopped = true;
    this.cancelTimer();
  }

  isStopped(): boolean {
    return this.stopped;
  }

  private count(status: PutMessageStatus): PutMessageStatus {
    if (status === PutMessageStatus.PUT_OK) this.answered.ok++;
    else this.answered.timeout++;
    return status;
  }

  /** Removes waiters[head..end) first, then resolves them. */
  private answerPrefix(end: number, status: PutMessageStatus): void {
    if (end <= this.head) return;
    const done = this.waiters.slice(this.head, end);
    this.head = end;
    if (this.head === this.waiters.length) {
      this.waiters = [];
      this.head = 0;
      this.cancelTimer();
    } else if (this.head > COMPACT_AFTER_WAITERS && this.head * 2 > this.waiters.length) {
      this.waiters = this.waiters.slice(this.head);
      this.head = 0;
    }
    for (const waiter of done) waiter.resolve(this.count(status));
  }

  /** Arms the timer for `deadline` unless it is already due no later. */
  private armTimer(deadline: number): void {
    if (this.timer && this.timerDueMs <= deadline) return;
    this.timer?.cancel();
    this.timerDueMs = deadline;
    const clock = this.options.clock;
    this.timer = clock.setTimeout(() => this.expire(), Math.max(1, Math.ceil(deadline - clock.monotonicMs())));
  }

  private cancelTimer(): void {
    this.timer?.cancel();
    this.timer = undefined;
    this.timerDueMs = Infinity;
  }

  /** Answers `timeoutStatus` to the overdue waiters (per `expiry`), then re-arms for the next deadline. */
  private expire(): void {
    this.timer = undefined;
    this.timerDueMs = Infinity;
    if (this.stopped) return;
    const now = this.options.clock.monotonicMs();
    if (this.options.progressWinsAtDeadline) this.completeUpTo(this.options.reachedOffset());
    const next = this.options.expiry === 'queueOrder' ? this.expireFront(now) : this.expireEach(now);
    if (next < Infinity && !this.stopped) this.armTimer(next);
  }

  /** Expires the overdue run at the front; returns the deadline of the new front. */
  private expireFront(now: number): number {
    let end = this.head;
    while (end < this.waiters.length && this.waiters[end]!.deadline <= now) end++;
    this.answerPrefix(end, this.options.timeoutStatus);
    return this.waiters[this.head]?.deadline ?? Infinity;
  }

  /** Expires every overdue waiter, keeping the others in order; returns the earliest deadline left. */
  private expireEach(now: number): number {
    const overdue: OffsetWaiter[] = [];
    const pending: OffsetWaiter[] = [];
    let earliest = Infinity;
    for (let i = this.head; i < this.waiters.length; i++) {
      const waiter = this.waiters[i]!;
      if (waiter.deadline <= now) overdue.push(waiter);
      else {
        pending.push(waiter);
        if (waiter.deadline < earliest) earliest = waiter.deadline;
      }
    }
    if (overdue.length === 0) return earliest;
    this.waiters = pending;
    this.head = 0;
    if (pending.length === 0) this.cancelTimer();
    for (const waiter of overdue) waiter.resolve(this.count(this.options.timeoutStatus));
    return earliest;
  }
}
