/**
 * Time goes through this interface: reading it, sleeping and timers. broker/ reads no other source
 * of time (no Date.now, performance.now, setTimeout, setInterval or setImmediate outside this file;
 * test/unit/tidy.test.ts, rule d, enforces it), so the same
 * broker code can later run on a simulated clock driven by a seeded scheduler (docs/architecture.md#nondeterminism-behind-interfaces).
 *
 * systemClock, below, is the real implementation and the only place the process's own clocks and
 * timers are touched. Objects that own services (BrokerController, DefaultMessageStore) take a Clock
 * and hand it down; small leaf constructors default to systemClock to keep their call sites short.
 */

/** A pending timer of a Clock. */
export interface Timer {
  /** Stops the timer; harmless once it has fired or was cancelled. */
  cancel(): void;
  /**
   * Lets the process exit while this timer is pending (Node's unref), for timers that only tidy
   * up; a simulated clock has no process to keep alive and may ignore it. Returns the timer.
   */
  unref(): Timer;
}

export interface Clock {
  /** wall-clock milliseconds since the epoch, as RocketMQ stores timestamps */
  nowMs(): number;
  /** monotonic milliseconds, for latencies and deadlines */
  monotonicMs(): number;
  sleep(ms: number): Promise<void>;
  /** Calls `callback` once, `ms` milliseconds from now. */
  setTimeout(callback: () => void, ms: number): Timer;
  /** Calls `callback` every `ms` milliseconds until the timer is cancelled. */
  setInterval(callback: () => void, ms: number): Timer;
  /**
   * Calls `callback` once the current turn is over: after the I/O callbacks of this event-loop turn
   * and the promise jobs they started (Node's setImmediate). The store's end-of-turn write, the group
   * commit and the HA wake-ups batch what one turn produced this way.
   */
  atEndOfTurn(callback: () => void): void;
}

function nodeTimer(handle: NodeJS.Timeout): Timer {
  const timer: Timer = {
    cancel: () => clearTimeout(handle),
    unref: () => {
      handle.unref();
      return timer;
    },
  };
  return timer;
}

export const systemClock: Clock = {
  nowMs: () => Date.now(),
  monotonicMs: () => performance.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  setTimeout: (callback, ms) => nodeTimer(setTimeout(callback, ms)),
  // clearTimeout and clearInterval are interchangeable in Node: one cancel serves both kinds.
  setInterval: (callback, ms) => nodeTimer(setInterval(callback, ms)),
  atEndOfTurn: (callback) => void setImmediate(callback),
};
