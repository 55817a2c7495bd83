/**
 * Runs a simulation: takes the SimClock's events one at a time and, after each, lets the promise
 * jobs it started finish (one real setImmediate: no real I/O is pending in a simulation, so the
 * macrotask only drains the microtasks), so a run is the same sequence of steps for the same seed.
 */
import type { SimClock } from '../../broker/sim/sim-clock.js';

export type DriveOutcome = 'until' | 'idle' | 'deadline' | 'budget';

export interface DriveOptions {
  /** stop as soon as this holds (checked after every event) */
  until?: () => boolean;
  /** stop before an event due after this simulated time (monotonic ms) */
  deadlineMs?: number;
  /** stop after this many events: a runaway run ends with 'budget', never hangs */
  maxEvents?: number;
}

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

export async function drive(clock: SimClock, options: DriveOptions = {}): Promise<DriveOutcome> {
  const maxEvents = options.maxEvents ?? 1_000_000;
  await turn();
  for (let n = 0; ; n++) {
    if (options.until?.()) return 'until';
    if (n >= maxEvents) return 'budget';
    const next = clock.nextAtMs();
    if (next === undefined) return 'idle';
    if (options.deadlineMs !== undefined && next > options.deadlineMs) {
      clock.advanceTo(options.deadlineMs);
      return 'deadline';
    }
    clock.step();
    await turn();
  }
}

/** Runs `promise` to its end on the simulated clock; fails when the clock runs out of events first. */
export async function settle<T>(clock: SimClock, promise: Promise<T>, maxEvents?: number): Promise<T> {
  let done = false;
  const watched = promise.finally(() => {
    done = true;
  });
  watched.catch(() => undefined);
  const outcome = await drive(clock, { until: () => done, maxEvents });
  if (!done) throw new Error(`the simulation went ${outcome} before the awaited operation finished`);
  return watched;
}
