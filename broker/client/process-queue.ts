/**
 * ProcessQueue (C/impl/consumer/ProcessQueue.java, docs/rocketmq-semantics.md#processqueue): the pulled messages of
 * one queue not yet consumed, by queue offset. The offset a consumer may commit is the smallest offset
 * still in it, or (when empty) one past the largest offset ever pulled: one slow message pins it, so
 * after a crash everything after it is delivered again (at-least-once, never a loss).
 */
import type { MessageExt } from '../store/types.js';

export class ProcessQueue {
  private readonly messages = new Map<number, MessageExt>();
  private maxPulledOffset = -1;
  dropped = false;

  get size(): number {
    return this.messages.size;
  }

  putMessages(messages: MessageExt[]): void {
    for (const m of messages) {
      this.messages.set(m.queueOffset, m);
      if (m.queueOffset > this.maxPulledOffset) this.maxPulledOffset = m.queueOffset;
    }
  }

  /** Removes consumed messages; returns the offset to commit, or -1 when nothing was ever pulled. */
  removeMessages(messages: MessageExt[]): number {
    for (const m of messages) this.messages.delete(m.queueOffset);
    return this.commitableOffset();
  }

  commitableOffset(): number {
    if (this.maxPulledOffset < 0) return -1;
    if (this.messages.size === 0) return this.maxPulledOffset + 1;
    let min = Infinity;
    for (const offset of this.messages.keys()) if (offset < min) min = offset;
    return min;
  }

  /** max − min offset in flight; pulling pauses past consumeConcurrentlyMaxSpan */
  span(): number {
    if (this.messages.size === 0) return 0;
    let min = Infinity;
    let max = -Infinity;
    for (const offset of this.messages.keys()) {
      if (offset < min) min = offset;
      if (offset > max) max = offset;
    }
    return max - min;
  }
}
