/** Time goes through this interface so a seeded simulation can plug in later (docs/architecture.md#nondeterminism-behind-interfaces). */
export interface Clock {
  /** wall-clock milliseconds since the epoch, as RocketMQ stores timestamps */
  nowMs(): number;
  /** monotonic milliseconds, for latencies and deadlines */
  monotonicMs(): number;
  sleep(ms: number): Promise<void>;
}

export const systemClock: Clock = {
  nowMs: () => Date.now(),
  monotonicMs: () => performance.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};
