/**
 * Runs a simulation: takes the SimClock's events one at a time and, after each, lets the promise
 * jobs it started finish, so a run is the same sequence of steps for the same seed.
 *
 * The barrier after a step is a `process.nextTick` queued from a promise job (a queueMicrotask
 * queued behind the step's own jobs): Node runs a tick queued while it drains the microtask queue
 * only once that queue is empty, so the step's promise jobs, and the jobs they start, all finish
 * first; the next step runs in that tick. That is what a real setImmediate gives too, without the
 * trip through the event loop (a poll of epoll per event, a sixth of a run's time). Every thousandth
 * step still takes that trip, so a worker hears a cancel and the loop's own housekeeping runs.
 * Nothing in broker/ queues ticks of its own in a simulation (only the real transport does), so the
 * order of a run's jobs is the same either way: the same seeds give the same trace hashes as with
 * setImmediate. The loop is callbacks, not an async function: an await per step cost a promise and
 * a resumption per event.
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

const STEPS_PER_TURN = 1000;
/** a reaction on a settled promise is queued as a microtask at once, as queueMicrotask's is, without its AsyncResource */
const RESOLVED = Promise.resolve();

export function drive(clock: SimClock, options: DriveOptions = {}): Promise<DriveOutcome> {
  const maxEvents = options.maxEvents ?? 1_000_000;
  return new Promise<DriveOutcome>((resolve, reject) => {
    let n = 0;
    const step = () => {
      try {
        if (options.until?.()) return resolve('until');
        if (n >= maxEvents) return resolve('budget');
        const next = clock.nextAtMs();
        if (next === undefined) return resolve('idle');
        if (options.deadlineMs !== undefined && next > options.deadlineMs) {
          clock.advanceTo(options.deadlineMs);
          return resolve('deadline');
        }
        clock.step();
        n++;
        if (n % STEPS_PER_TURN === 0) setImmediate(step);
        else void RESOLVED.then(afterJobs);
      } catch (error) {
        reject(error);
      }
    };
    // queued behind the step's own promise jobs: the tick runs once they and the jobs they start are done
    const afterJobs = () => process.nextTick(step);
    setImmediate(step);
  });
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
