/**
 * The simulator's clock: events run in (time, scheduling order) whatever is cancelled meanwhile,
 * and cancelled timers are swept out of the heap instead of piling up in it.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { seededRandom } from '../../broker/io/prng.js';
import { SimClock } from '../../broker/sim/sim-clock.js';

test('events run in time order, ties in scheduling order; cancelled ones never run, and sweeping them changes nothing', () => {
  const clock = new SimClock();
  const random = seededRandom(7);
  const ran: number[] = [];
  const timers = Array.from({ length: 2000 }, (_, i) => ({ i, atMs: random.int(50), timer: clock.setTimeout(() => ran.push(i), 0) }));
  // rescheduled at their times: the first batch above all runs at 0 ms; these are the real ones
  const scheduled = Array.from({ length: 2000 }, (_, i) => {
    const atMs = random.int(500);
    return { i: 10_000 + i, atMs, timer: clock.setTimeout(() => ran.push(10_000 + i), atMs) };
  });
  for (const t of timers) t.timer.cancel();
  const cancelled = new Set<number>();
  for (const t of scheduled) if (random.next() < 0.7) { t.timer.cancel(); cancelled.add(t.i); }
  assert.ok(clock.queuedEvents < 4000 - 1000, `swept: ${clock.queuedEvents} events left of 4000 with 3,400 cancelled`);
  while (clock.step()) { /* run all */ }
  const expected = scheduled.filter((t) => !cancelled.has(t.i)).sort((a, b) => a.atMs - b.atMs || a.i - b.i).map((t) => t.i);
  assert.deepEqual(ran, expected);
  assert.equal(clock.queuedEvents, 0);
});

test('a timer cancelled after it ran, or twice, is not counted as cancelled in the heap (no early sweep)', () => {
  const clock = new SimClock();
  let runs = 0;
  const early = clock.setTimeout(() => runs++, 1);
  clock.step();
  early.cancel();
  const kept = Array.from({ length: 600 }, () => clock.setTimeout(() => runs++, 5));
  for (const t of kept.slice(0, 300)) {
    t.cancel();
    t.cancel();
  }
  // 300 of 600 cancelled is not more than half: nothing is swept yet
  assert.equal(clock.queuedEvents, 600);
  kept[300]!.cancel();
  assert.equal(clock.queuedEvents, 299, 'the 301st cancel sweeps');
  while (clock.step()) { /* run all */ }
  assert.equal(runs, 1 + 299);
});

test('a cancelled interval stops, and its queued repetition is swept like a timer', () => {
  const clock = new SimClock();
  let ticks = 0;
  const interval = clock.setInterval(() => ticks++, 10);
  clock.step();
  clock.step();
  interval.cancel();
  while (clock.step()) { /* run all */ }
  assert.equal(ticks, 2);
  assert.equal(clock.queuedEvents, 0);
});
