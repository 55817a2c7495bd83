/**
 * FlushConsumeQueueService: every flushIntervalConsumeQueue ms (re-read each pass) flushes every
 * consume queue with unflushed entries and then records in the checkpoint how far the consume
 * queues are durable, so recovery re-dispatches only what a crash could have taken. Zeroloss
 * flushes whatever is dirty on each pass (RocketMQ waits for 2 dirty pages, with a 60 s thorough
 * pass): consume-queue files are small and this keeps the re-dispatch window about one interval.
 */
import type { BrokerSettings } from '../config/broker-config.js';
import type { Clock } from '../io/clock.js';
import { ServiceThread } from './service-thread.js';

export interface FlushConsumeQueueDeps {
  settings: () => BrokerSettings;
  clock: Clock;
  /** one pass: flush the consume queues, then the checkpoint */
  flushPass: () => Promise<void>;
}

export class FlushConsumeQueueService extends ServiceThread {
  private readonly deps: FlushConsumeQueueDeps;

  constructor(deps: FlushConsumeQueueDeps) {
    super('FlushConsumeQueueService', deps.clock);
    this.deps = deps;
  }

  protected async run(): Promise<void> {
    while (!this.stopped) {
      await this.waitForRunning(this.deps.settings().flushIntervalConsumeQueue);
      if (this.stopped) break;
      try {
        await this.deps.flushPass();
      } catch (error) {
        console.error('[FlushConsumeQueueService] flush failed', error);
      }
    }
  }
}

/** Persists consumer offsets every `intervalMs` (flushConsumerOffsetInterval). */
export class ConsumerOffsetPersistService extends ServiceThread {
  private readonly persist: () => void;
  private readonly intervalMs: number;

  constructor(clock: Clock, intervalMs: number, persist: () => void) {
    super('ConsumerOffsetPersistService', clock);
    this.intervalMs = intervalMs;
    this.persist = persist;
  }

  protected async run(): Promise<void> {
    while (!this.stopped) {
      await this.waitForRunning(this.intervalMs);
      if (this.stopped) break;
      try {
        this.persist();
      } catch (error) {
        console.error('[ConsumerOffsetPersistService] persist failed', error);
      }
    }
  }
}
