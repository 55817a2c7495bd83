/**
 * GroupTransferService (SYNC_MASTER, docs/rocketmq-semantics.md#grouptransferservice): each put that must wait for a slave
 * queues one waiter {nextOffset, deadline}; when a slave's ack reaches nextOffset the waiter gets
 * PUT_OK, at its deadline (slaveTimeout, read when it is queued) FLUSH_SLAVE_TIMEOUT. Any one slave
 * suffices (4.x). Each waiter is answered exactly once: it leaves the queue before it is resolved,
 * whichever path wins.
 *
 * Waiters are queued in nextOffset order (the single writer queues right after appending), so acks
 * complete a prefix. Deadlines are expired from the front too: a slaveTimeout lowered live applies
 * to waiters queued behind older ones only once those have gone (at most the old timeout later).
 * The queue is bounded (maxWaiters); a put that finds it full is answered FLUSH_SLAVE_TIMEOUT at
 * once: the record is stored, its replication is not confirmed.
 */
import { PutMessageStatus } from '../protocol/codes.js';
import type { Clock } from '../io/clock.js';

export const GROUP_TRANSFER_MAX_WAITERS = 100_000;

interface TransferWaiter {
  nextOffset: number;
  deadline: number;
  resolve: (status: PutMessageStatus) => void;
}

export interface GroupTransferDeps {
  /** the highest offset any connected slave has acked (push2SlaveMaxOffset) */
  ackedOffset: () => number;
  /** read for each new waiter */
  slaveTimeoutMs: () => number;
  clock: Clock;
  maxWaiters?: number;
}

export class GroupTransferService {
  private readonly deps: GroupTransferDeps;
  private readonly maxWaiters: number;
  /** waiters[head..] are pending, in nextOffset order */
  private waiters: TransferWaiter[] = [];
  private head = 0;
  private timer: NodeJS.Timeout | undefined;
  private timerDueMs = Infinity;
  private stopped = false;
  /** answered PUT_OK / FLUSH_SLAVE_TIMEOUT so far */
  readonly answered = { ok: 0, timeout: 0 };

  constructor(deps: GroupTransferDeps) {
    this.deps = deps;
    this.maxWaiters = deps.maxWaiters ?? GROUP_TRANSFER_MAX_WAITERS;
  }

  pendingCount(): number {
    return this.waiters.length - this.head;
  }

  /** Resolves once a slave acked `nextOffset` (PUT_OK) or the deadline passed (FLUSH_SLAVE_TIMEOUT). */
  waitForTransfer(nextOffset: number): Promise<PutMessageStatus> {
    if (this.deps.ackedOffset() >= nextOffset) return Promise.resolve(this.count(PutMessageStatus.PUT_OK));
    if (this.stopped || this.pendingCount() >= this.maxWaiters) return Promise.resolve(this.count(PutMessageStatus.FLUSH_SLAVE_TIMEOUT));
    return new Promise<PutMessageStatus>((resolve) => {
      const deadline = this.deps.clock.monotonicMs() + this.deps.slaveTimeoutMs();
      this.waiters.push({ nextOffset, deadline, resolve });
      this.schedule(deadline);
    });
  }

  /** notifyTransferSome: a slave acked `ackedOffset`; every waiter it covers gets PUT_OK. */
  notifyTransferSome(ackedOffset: number): void {
    let end = this.head;
    while (end < this.waiters.length && this.waiters[end]!.nextOffset <= ackedOffset) end++;
    this.answerRange(end, PutMessageStatus.PUT_OK);
  }

  /** Shutdown: whatever is covered by `ackedOffset` gets PUT_OK, the rest FLUSH_SLAVE_TIMEOUT. */
  shutdown(ackedOffset: number): void {
    this.notifyTransferSome(ackedOffset);
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.answerRange(this.waiters.length, PutMessageStatus.FLUSH_SLAVE_TIMEOUT);
  }

  private count(status: PutMessageStatus): PutMessageStatus {
    if (status === PutMessageStatus.PUT_OK) this.answered.ok++;
    else this.answered.timeout++;
    return status;
  }

  /** Removes waiters[head..end) first, then resolves them. */
  private answerRange(end: number, status: PutMessageStatus): void {
    if (end <= this.head) return;
    const done = this.waiters.slice(this.head, end);
    this.head = end;
    if (this.head === this.waiters.length) {
      this.waiters = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.waiters.length) {
      this.waiters = this.waiters.slice(this.head);
      this.head = 0;
    }
    for (const waiter of done) waiter.resolve(this.count(status));
  }

  private schedule(deadline: number): void {
    if (this.timer && this.timerDueMs <= deadline) return;
    clearTimeout(this.timer);
    this.timerDueMs = deadline;
    this.timer = setTimeout(() => this.expire(), Math.max(1, Math.ceil(deadline - this.deps.clock.monotonicMs())));
  }

  /** FLUSH_SLAVE_TIMEOUT for every overdue waiter at the front; re-arms for the next one. */
  private expire(): void {
    this.timer = undefined;
    this.timerDueMs = Infinity;
    const now = this.deps.clock.monotonicMs();
    // A last look at the acks first: an ack that arrived in the same turn wins over the deadline.
    this.notifyTransferSome(this.deps.ackedOffset());
    let end = this.head;
    while (end < this.waiters.length && this.waiters[end]!.deadline <= now) end++;
    this.answerRange(end, PutMessageStatus.FLUSH_SLAVE_TIMEOUT);
    const next = this.waiters[this.head];
    if (next && !this.stopped) this.schedule(next.deadline);
  }
}
