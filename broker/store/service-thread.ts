/**
 * Base of the store's background loops (RocketMQ's ServiceThread): start, shutdown, wakeup and
 * waitForRunning. Waits sleep through the Clock in slices of at most WAIT_SLICE_MS, so a stop is
 * seen within one slice and no long timer outlives a stopped service (nothing keeps the process
 * alive after shutdown, and a power-cut store goes quiet at once).
 */
import type { Clock } from '../io/clock.js';

export const WAIT_SLICE_MS = 100;

export abstract class ServiceThread {
  protected readonly clock: Clock;
  readonly name: string;
  protected stopped = false;
  private woken = false;
  private wake: (() => void) | undefined;
  private loop: Promise<void> | undefined;

  constructor(name: string, clock: Clock) {
    this.name = name;
    this.clock = clock;
  }

  /** One pass of the loop body per wait; errors are reported and the loop keeps running. */
  protected abstract run(): Promise<void>;

  start(): void {
    if (this.loop) return;
    this.loop = this.run().catch((error: unknown) => {
      console.error(`[${this.name}] stopped by an error`, error);
    });
  }

  isStopped(): boolean {
    return this.stopped;
  }

  wakeup(): void {
    this.woken = true;
    this.wake?.();
  }

  /** Stops the loop and waits for its current pass to end. */
  async shutdown(): Promise<void> {
    this.stopped = true;
    this.wakeup();
    await this.loop;
  }

  /** Stops without waiting (the power cut: nothing may run afterwards, nothing is awaited). */
  stopSync(): void {
    this.stopped = true;
    this.wakeup();
  }

  /** Waits up to `intervalMs`, returning early on wakeup() or shutdown. */
  protected async waitForRunning(intervalMs: number): Promise<void> {
    const until = this.clock.monotonicMs() + intervalMs;
    while (!this.stopped && !this.woken) {
      const left = until - this.clock.monotonicMs();
      if (left <= 0) break;
      // One promise, settled by the slice's timer or by wakeup(), which cancels the timer (a sleep
      // raced against the wakeup left its timer behind at every early wakeup).
      await new Promise<void>((resolve) => {
        const timer = this.clock.setTimeout(resolve, Math.min(left, WAIT_SLICE_MS));
        this.wake = () => {
          timer.cancel();
          resolve();
        };
      });
      this.wake = undefined;
    }
    this.woken = false;
  }
}
