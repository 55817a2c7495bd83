/**
 * TransactionalMessageCheckService (B/transaction/TransactionalMessageCheckService.java): every
 * transactionCheckInterval (re-read each pass, so a drill may shorten it live) runs one check pass
 * of the TransactionalMessageService. Masters only: a SLAVE's loop idles.
 */
import type { BrokerSettings } from '../config/broker-config.js';
import { systemClock, type Clock } from '../io/clock.js';
import { ServiceThread } from '../store/service-thread.js';
import type { TransactionalMessageService } from './transactional-message-service.js';

const CHECK_WAIT_SLICE_MS = 1000;

export class TransactionalMessageCheckService extends ServiceThread {
  passes = 0;

  constructor(
    private readonly service: TransactionalMessageService,
    private readonly settings: () => BrokerSettings,
    clock: Clock = systemClock,
  ) {
    super('TransactionalMessageCheckService', clock);
  }

  protected async run(): Promise<void> {
    while (!this.stopped) {
      // Waits in slices of at most CHECK_WAIT_SLICE_MS, re-reading the interval, so a shortened
      // transactionCheckInterval takes effect within a second rather than after the old (60 s) wait.
      let waitedMs = 0;
      while (!this.stopped && waitedMs < this.settings().transactionCheckInterval) {
        const sliceMs = Math.min(CHECK_WAIT_SLICE_MS, this.settings().transactionCheckInterval - waitedMs);
        await this.waitForRunning(sliceMs);
        waitedMs += sliceMs;
      }
      if (this.stopped) break;
      if (this.settings().brokerRole === 'SLAVE') continue;
      try {
        await this.service.check();
        this.passes++;
      } catch (error) {
        console.error('[TransactionalMessageCheckService] check failed', error);
      }
    }
  }
}
