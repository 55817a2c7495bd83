/**
 * The producer's latency-fault avoidance (broker/client/latency-fault.ts, RocketMQ's MQFaultStrategy):
 * RocketMQ's latency classes, a failed attempt isolating its group for 10 minutes, the group coming
 * back once its time is over, and the least bad group chosen when every one is avoided.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LatencyFaultTolerance, notAvailableDuration } from '../../broker/client/latency-fault';
import type { Clock } from '../../broker/io/clock';

function manualClock(): Clock & { advance(ms: number): void } {
  let now = 1_000;
  const timer = { cancel() {}, unref() { return timer; } };
  return {
    nowMs: () => now,
    monotonicMs: () => now,
    advance: (ms) => { now += ms; },
    sleep: () => Promise.resolve(),
    setTimeout: () => timer,
    setInterval: () => timer,
    atEndOfTurn: (callback: () => void) => void setImmediate(callback),
  };
}

test('latency-fault - RocketMQ\'s latency classes', () => {
  assert.deepEqual([0, 49, 100, 549, 550, 999, 1000, 2000, 3000, 14_999, 15_000, 30_000].map(notAvailableDuration),
    [0, 0, 0, 0, 30_000, 30_000, 60_000, 120_000, 180_000, 180_000, 600_000, 600_000]);
});

test('latency-fault - a failure isolates its group for 10 minutes; a slow answer for its class; then it is back', () => {
  const clock = manualClock();
  const faults = new LatencyFaultTolerance(clock);
  faults.update('broker-a', 20, false);
  assert.ok(faults.isAvailable('broker-a'), 'a fast answer avoids nothing');
  faults.update('broker-b', 5, true);
  assert.ok(!faults.isAvailable('broker-b'));
  assert.deepEqual(faults.avoided(), [{ brokerName: 'broker-b', currentLatencyMs: 30_000, backInMs: 600_000 }]);
  faults.update('broker-c', 700, false);
  assert.ok(!faults.isAvailable('broker-c'));
  clock.advance(30_000);
  assert.ok(faults.isAvailable('broker-c'), 'back after its 30 s');
  assert.ok(!faults.isAvailable('broker-b'));
  clock.advance(570_000);
  assert.ok(faults.isAvailable('broker-b'), 'back after 10 minutes');
  assert.deepEqual(faults.avoided(), []);
});

test('latency-fault - when every group is avoided, the least bad one is used', () => {
  const clock = manualClock();
  const faults = new LatencyFaultTolerance(clock);
  assert.equal(faults.pickOneAtLeast(), undefined);
  faults.update('broker-a', 0, true);
  faults.update('broker-b', 2_500, false);
  assert.equal(faults.pickOneAtLeast(), 'broker-b', 'the lower latency of the better half');
  faults.update('broker-c', 600, false);
  faults.update('broker-d', 1_200, false);
  // the better half, broker-c (600 ms) and broker-d (1200 ms), in turn; never the slower or isolated ones
  const picks = [faults.pickOneAtLeast(), faults.pickOneAtLeast(), faults.pickOneAtLeast(), faults.pickOneAtLeast()];
  assert.deepEqual(new Set(picks), new Set(['broker-c', 'broker-d']));
  assert.notEqual(picks[0], picks[1]);
});
