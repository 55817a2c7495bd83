/**
 * The simulator's time: a Clock whose timers are events in one seeded scheduler, and whose time
 * moves only when the scheduler takes the next event. Nothing here reads the machine's clock, so a
 * run is a function of its seed (docs/simulation.md).
 *
 * Events at the same instant run in the order they were scheduled (a sequence number breaks ties),
 * which is what makes two runs of one seed identical. `atEndOfTurn` callbacks are events at the
 * current instant: they run after whatever the current event started, as Node's setImmediate runs
 * after the turn's I/O callbacks.
 */
import type { Clock, Timer } from '../io/clock.js';

/** 2026-01-01T00:00:00Z: wall-clock time of the start of every simulated run */
export const SIM_EPOCH_MS = Date.UTC(2026, 0, 1);
/** a heap with fewer cancelled events than this is not swept */
const SWEEP_ABOVE = 256;

/** What a simulated process's events carry: once it is dead they are dropped; while it is frozen, held. */
interface Owner {
  alive: boolean;
  /** frozen (SIGSTOP): its due events wait in `held` until it is thawed */
  held?: SimEvent[];
}

export interface SimEvent {
  atMs: number;
  owner: Owner | undefined;
  seq: number;
  run: () => void;
  /** cancelled timers stay in the heap and are skipped */
  cancelled: boolean;
  /** for setInterval: reschedules itself */
  everyMs?: number;
  /** in the heap now (popped events are not) */
  queued: boolean;
}

export class SimClock implements Clock {
  private nowValue = 0;
  private seq = 0;
  private heap: SimEvent[] = [];
  /** cancelled events still in the heap: past half of it they are swept out, so the heap holds mostly live events */
  private cancelledQueued = 0;
  /** events run so far */
  eventsRun = 0;

  /** events in the heap, cancelled ones not swept yet included */
  get queuedEvents(): number {
    return this.heap.length;
  }

  nowMs(): number {
    return Math.floor(SIM_EPOCH_MS + this.nowValue);
  }

  monotonicMs(): number {
    return this.nowValue;
  }

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.schedule(undefined, ms, resolve));
  }

  setTimeout(callback: () => void, ms: number): Timer {
    return this.timerOf(this.schedule(undefined, ms, callback));
  }

  setInterval(callback: () => void, ms: number): Timer {
    return this.timerOf(this.schedule(undefined, ms, callback, Math.max(1, ms)));
  }

  atEndOfTurn(callback: () => void): void {
    this.schedule(undefined, 0, callback);
  }

  /**
   * A clock for one simulated process: the same time, but its events die with it (`kill`), as a
   * SIGKILLed process's timers and pending I/O completions never run.
   */
  process(): SimProcessClock {
    return new SimProcessClock(this);
  }

  /** @internal schedules an event owned by `owner` (none: the simulator's own) */
  schedule(owner: Owner | undefined, ms: number, run: () => void, everyMs?: number): SimEvent {
    const event: SimEvent = { atMs: this.nowValue + Math.max(0, ms), owner, seq: this.seq++, run, cancelled: false, everyMs, queued: false };
    this.push(event);
    return event;
  }

  /** When the next live event is due, or undefined when none is. */
  nextAtMs(): number | undefined {
    while (this.heap.length > 0 && (this.heap[0]!.cancelled || this.heap[0]!.owner?.alive === false)) this.pop();
    return this.heap[0]?.atMs;
  }

  /**
   * Takes the next event, moves time to it and runs it. Returns false when there is none. The
   * caller must let the promise jobs it started finish before the next step (the driver does).
   */
  step(): boolean {
    const event = this.nextAtMs() === undefined ? undefined : this.pop();
    if (!event) return false;
    this.nowValue = event.atMs;
    this.eventsRun++;
    if (event.everyMs !== undefined) {
      event.atMs += event.everyMs;
      event.seq = this.seq++;
      this.push(event);
    }
    if (event.owner?.held) {
      // An interval that comes due again while frozen still fires once at the thaw, as Node's does.
      if (!event.owner.held.includes(event)) event.owner.held.push(event);
      return true;
    }
    event.run();
    return true;
  }

  /** @internal a Timer whose cancel marks its event, and sweeps the heap once cancelled events are half of it */
  timerOf(event: SimEvent): Timer {
    return new SimTimer(this, event);
  }

  /** @internal a queued event was cancelled */
  cancelled(): void {
    this.cancelledQueued++;
    if (this.cancelledQueued > SWEEP_ABOVE && this.cancelledQueued * 2 > this.heap.length) this.sweep();
  }

  /**
   * Drops the cancelled events and rebuilds the heap. The order events run in is the total order
   * on (atMs, seq), whatever the heap's layout, so a sweep changes no run.
   */
  private sweep(): void {
    const live: SimEvent[] = [];
    for (const event of this.heap) {
      if (event.cancelled) event.queued = false;
      else live.push(event);
    }
    this.heap = live;
    this.cancelledQueued = 0;
    for (let i = (live.length >> 1) - 1; i >= 0; i--) this.siftDown(i);
  }

  /** Moves time forward to `atMs` without running anything (nothing may be due before it). */
  advanceTo(atMs: number): void {
    const next = this.nextAtMs();
    if (next !== undefined && next < atMs) throw new Error(`cannot skip the event due at ${next} ms`);
    this.nowValue = Math.max(this.nowValue, atMs);
  }


  // A binary min-heap on (atMs, seq).
  private push(event: SimEvent): void {
    const heap = this.heap;
    event.queued = true;
    heap.push(event);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(heap[i]!, heap[parent]!)) break;
      const moved = heap[i]!;
      heap[i] = heap[parent]!;
      heap[parent] = moved;
      i = parent;
    }
  }

  private pop(): SimEvent | undefined {
    const heap = this.heap;
    const top = heap[0];
    const last = heap.pop();
    if (heap.length > 0 && last) {
      heap[0] = last;
      this.siftDown(0);
    }
    if (top) {
      top.queued = false;
      if (top.cancelled) this.cancelledQueued--;
    }
    return top;
  }

  private siftDown(from: number): void {
    const heap = this.heap;
    let i = from;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let smallest = i;
      if (left < heap.length && before(heap[left]!, heap[smallest]!)) smallest = left;
      if (right < heap.length && before(heap[right]!, heap[smallest]!)) smallest = right;
      if (smallest === i) break;
      // a swap through a local, not a destructuring one (its array was allocated on every step)
      const moved = heap[i]!;
      heap[i] = heap[smallest]!;
      heap[smallest] = moved;
      i = smallest;
    }
  }
}

/** One simulated process's view of the SimClock. */
export class SimProcessClock implements Clock {
  private readonly owner: Owner = { alive: true };

  constructor(private readonly sim: SimClock) {}

  get alive(): boolean {
    return this.owner.alive;
  }

  /** The process is gone: none of its pending events runs, and it schedules no more. */
  kill(): void {
    this.owner.alive = false;
  }

  /** SIGSTOP: nothing of the process runs; its timers that come due wait for the thaw. */
  freeze(): void {
    this.owner.held ??= [];
  }

  /** SIGCONT: what came due while frozen runs now, in the order it came due. */
  thaw(): void {
    const held = this.owner.held ?? [];
    this.owner.held = undefined;
    for (const event of held) this.sim.schedule(this.owner, 0, event.run);
  }

  nowMs(): number {
    return this.sim.nowMs();
  }

  monotonicMs(): number {
    return this.sim.monotonicMs();
  }

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.sim.schedule(this.owner, ms, resolve));
  }

  setTimeout(callback: () => void, ms: number): Timer {
    return this.sim.timerOf(this.sim.schedule(this.owner, ms, callback));
  }

  setInterval(callback: () => void, ms: number): Timer {
    return this.sim.timerOf(this.sim.schedule(this.owner, ms, callback, Math.max(1, ms)));
  }

  atEndOfTurn(callback: () => void): void {
    this.sim.schedule(this.owner, 0, callback);
  }
}

/** A timer of the SimClock (a class: a closure pair per timer was two named functions made per call). */
class SimTimer implements Timer {
  constructor(
    private readonly clock: SimClock,
    private readonly event: SimEvent,
  ) {}

  cancel(): void {
    if (this.event.cancelled) return;
    this.event.cancelled = true;
    if (this.event.queued) this.clock.cancelled();
  }

  unref(): Timer {
    return this;
  }
}

function before(a: SimEvent, b: SimEvent): boolean {
  return a.atMs < b.atMs || (a.atMs === b.atMs && a.seq < b.seq);
}
