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
 * once: the record is stored, its replication is not confirmed. The queue, its bound and its
 * deadlines are OffsetWaitQueue's (shared with GroupCommitService).
 */
import { PutMessageStatus } from '../protocol/codes.js';
import type { Clock } from '../io/clock.js';
import { OffsetWaitQueue } from '../util/offset-wait-queue.js';

export const GROUP_TRANSFER_MAX_WAITERS = 100_000;

export interface GroupTransferDeps {
  /** the highest offset any connected slave has acked (push2SlaveMaxOffset) */
  ackedOffset: () => number;
  /** read for each new waiter */
  slaveTimeoutMs: () => number;
  clock: Clock;
  maxWaiters?: number;
}

export class GroupTransferService {
  private readonly waiters: OffsetWaitQueue;

  constructor(deps: GroupTransferDeps) {
    this.waiters = new OffsetWaitQueue({
      reachedOffset: deps.ackedOffset,
      timeoutMs: deps.slaveTimeoutMs,
      timeoutStatus: PutMessageStatus.FLUSH_SLAVE_TIMEOUT,
      maxWaiters: deps.maxWaiters ?? GROUP_TRANSFER_MAX_WAITERS,
      clock: deps.clock,
      expiry: 'queueOrder',
      // A last look at the acks first: an ack that arrived in the same turn wins over the deadline.
      progressWinsAtDeadline: true,
    });
  }

  /** answered PUT_OK / FLUSH_SLAVE_TIMEOUT so far */
  get answered(): { readonly ok: number; readonly timeout: number } {
    return this.waiters.answered;
  }

  pendingCount(): number {
    return this.waiters.pendingCount();
  }

  /** Resolves once a slave acked `nextOffset` (PUT_OK) or the deadline passed (FLUSH_SLAVE_TIMEOUT). */
  waitForTransfer(nextOffset: number): Promise<PutMessageStatus> {
    return this.waiters.wait(nextOffset);
  }

  /** notifyTransferSome: a slave acked `ackedOffset`; every waiter it covers gets PUT_OK. */
  notifyTransferSome(ackedOffset: number): void {
    this.waiters.completeUpTo(ackedOffset);
  }

  /** Shutdown: whatever is covered by `ackedOffset` gets PUT_OK, the rest FLUSH_SLAVE_TIMEOUT. */
  shutdown(ackedOffset: number): void {
    this.waiters.shutdown(ackedOffset);
  }
}
