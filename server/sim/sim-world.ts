/**
 * The machine a simulated run lives on: one SimClock, one seeded random source (every disk, link and
 * client gets its own stream forked from it), one SimNetwork, the run's trace (hashed, kept when
 * asked), and the event budget. Moving time forward goes through here, so a runaway run ends as
 * BudgetExceeded wherever it is.
 */
import { createHash } from 'node:crypto';
import { seededRandom, type Random } from '../../broker/io/prng.js';
import { resetOpaqueSequence } from '../../broker/protocol/remoting-command.js';
import { SimClock } from '../../broker/sim/sim-clock.js';
import { SimDisk } from '../../broker/sim/sim-disk.js';
import { SimNetwork } from '../../broker/sim/sim-network.js';
import { drive, settle } from './driver.js';

/** the lab's loopback: a twentieth of a millisecond, plus up to a tenth, jittered */
const LOOPBACK = { latencyMs: 0.05, jitterMs: 0.1 };
/** an SSD's fdatasync, ms: base plus a uniform spread */
const FSYNC_MS = { base: 0.5, spread: 1.5 };
/**
 * How late the control plane's timed fault actions land, ms (base plus a uniform spread): the real
 * drill's proxy ends its long drop 20–30 ms after sendMsgTimeout, as its matrix shows (2–3
 * unchecked sends of 100 msg/s run out of time before the reset).
 */
const CONTROL_LAG_MS = { base: 10, spread: 20 };
/** How long a restarted broker process takes before it listens, ms (base plus spread): the lab's brokers take 0.6–1 s on two cores. */
const PROCESS_START_MS = { base: 600, spread: 400 };
export const DEFAULT_MAX_EVENTS = 3_000_000;
const HASH_RUN_LINES = 512;

/** The run went past its event budget. */
export class BudgetExceeded extends Error {}

export class SimWorld {
  readonly clock = new SimClock();
  readonly network: SimNetwork;
  private readonly random: Random;
  private readonly controlRandom: Random;
  private readonly hash = createHash('sha256');
  private unhashed: string[] = [];
  readonly trace: string[] | undefined;

  constructor(seed: number, keepTrace: boolean, readonly maxEvents = DEFAULT_MAX_EVENTS) {
    // Every simulated process starts its request ids at 1, whatever ran before in this worker.
    resetOpaqueSequence();
    this.random = seededRandom(seed);
    this.network = new SimNetwork(this.clock, this.fork(), LOOPBACK);
    this.controlRandom = this.fork();
    this.trace = keepTrace ? [] : undefined;
  }

  /** A random stream of its own for one part of the world. */
  fork(): Random {
    return seededRandom(this.random.int(0x1_0000_0000));
  }

  /** A node's disk, with seeded fdatasync latencies. */
  newDisk(): SimDisk {
    const random = this.fork();
    return new SimDisk(this.clock, { syncLatencyMs: () => FSYNC_MS.base + random.next() * FSYNC_MS.spread });
  }

  /** The lab's control plane acts through its own timers and the fault proxy: a few ms late, never on the dot. */
  controlLagMs(): number {
    return CONTROL_LAG_MS.base + this.controlRandom.next() * CONTROL_LAG_MS.spread;
  }

  processStartMs(): number {
    return PROCESS_START_MS.base + this.controlRandom.next() * PROCESS_START_MS.spread;
  }

  /** One line of the trace, stamped with the simulated time. */
  log(line: string): void {
    const text = `${this.clock.monotonicMs().toFixed(3)} ${line}`;
    // hashed a run of lines at a time: the same digest as line by line, without a native call per line
    this.unhashed.push(text);
    if (this.unhashed.length >= HASH_RUN_LINES) this.hashLines();
    this.trace?.push(text);
  }

  traceHash(): string {
    this.hashLines();
    return this.hash.copy().digest('hex').slice(0, 16);
  }

  private hashLines(): void {
    if (this.unhashed.length === 0) return;
    this.hash.update(this.unhashed.join('\n') + '\n');
    this.unhashed = [];
  }

  eventsLeft(): number {
    return Math.max(0, this.maxEvents - this.clock.eventsRun);
  }

  /** Runs the world until simulated time `atMs`. */
  async until(atMs: number): Promise<void> {
    const outcome = await drive(this.clock, { deadlineMs: atMs, maxEvents: this.eventsLeft() });
    if (outcome === 'budget') throw new BudgetExceeded();
    if (outcome === 'idle') this.clock.advanceTo(atMs);
  }

  /** Runs the world until `condition` holds; false when `withinMs` of simulated time pass first. */
  async untilHolds(condition: () => boolean, withinMs: number): Promise<boolean> {
    const outcome = await drive(this.clock, { until: condition, deadlineMs: this.clock.monotonicMs() + withinMs, maxEvents: this.eventsLeft() });
    if (outcome === 'budget') throw new BudgetExceeded();
    return outcome === 'until';
  }

  /** Runs the world until `promise` settles. */
  async settle<T>(promise: Promise<T>): Promise<T> {
    try {
      return await settle(this.clock, promise, this.eventsLeft());
    } catch (error) {
      if (this.eventsLeft() === 0) throw new BudgetExceeded();
      throw error;
    }
  }
}
