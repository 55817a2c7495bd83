/**
 * FlushRealTimeService (ASYNC_FLUSH, docs/rocketmq-semantics.md#flushrealtimeservice): every flushIntervalCommitLog ms,
 * flush the commit log if at least flushCommitLogLeastPages 4 KiB pages are dirty; at least every
 * flushCommitLogThoroughInterval ms flush whatever is dirty (leastPages 0). Every setting is re-read
 * on each pass, so a change applies on the next one.
 *
 * It runs whatever flushDiskType says: under SYNC_FLUSH the group commit has usually flushed
 * already (the pass is then a no-op), and records sent with WAIT=false still get flushed. That makes
 * a live flip of flushDiskType safe both ways: no record ever depends on a service that is stopped.
 */
import type { BrokerSettings } from '../config/broker-config.js';
import type { Clock } from '../io/clock.js';
import { ServiceThread } from '../store/service-thread.js';

export interface FlushRealTimeDeps {
  flush: (leastPages: number) => Promise<number>;
  settings: () => BrokerSettings;
  clock: Clock;
}

export class FlushRealTimeService extends ServiceThread {
  private readonly deps: FlushRealTimeDeps;
  private lastThoroughMs: number;
  /** passes that found enough dirty pages and called flush */
  flushRounds = 0;

  constructor(deps: FlushRealTimeDeps) {
    super('FlushRealTimeService', deps.clock);
    this.deps = deps;
    this.lastThoroughMs = deps.clock.monotonicMs();
  }

  protected async run(): Promise<void> {
    while (!this.stopped) {
      await this.waitForRunning(this.deps.settings().flushIntervalCommitLog);
      if (this.stopped) break;
      const settings = this.deps.settings();
      let leastPages = settings.flushCommitLogLeastPages;
      const now = this.clock.monotonicMs();
      if (now >= this.lastThoroughMs + settings.flushCommitLogThoroughInterval) {
        leastPages = 0;
        this.lastThoroughMs = now;
      }
      try {
        await this.deps.flush(leastPages);
        this.flushRounds++;
      } catch (error) {
        console.error('[FlushRealTimeService] flush failed', error);
      }
    }
  }
}
