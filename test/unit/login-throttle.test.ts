/** Sign-in throttling (server/auth/login-throttle.ts) on a hand-driven clock. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LoginThrottle, loginThrottleKeys } from '../../server/auth/login-throttle';

const options = { freeFailures: 2, baseDelayMs: 1000, maxDelayMs: 8000, forgetAfterMs: 60_000, maxKeys: 3 };

test('login throttle - free failures, then a doubling wait up to the bound, per key; a success clears', () => {
  let now = 0;
  const t = new LoginThrottle(options, () => now);
  const keys = loginThrottleKeys('10.0.0.1', 'Bob ');
  assert.deepEqual(keys, ['address 10.0.0.1', 'name bob']);
  t.failed(keys);
  t.failed(keys);
  assert.equal(t.retryAfterMs(keys), 0, 'the free failures cost no wait');
  const waits: number[] = [];
  for (let i = 0; i < 6; i++) {
    t.failed(keys);
    waits.push(t.retryAfterMs(keys));
  }
  assert.deepEqual(waits, [1000, 2000, 4000, 8000, 8000, 8000]);
  assert.equal(t.retryAfterMs(loginThrottleKeys('10.0.0.2', 'bob')), 8000, 'the name alone waits too');
  assert.equal(t.retryAfterMs(loginThrottleKeys('10.0.0.1', 'alice')), 8000, 'and the address alone');
  now += 8000;
  assert.equal(t.retryAfterMs(keys), 0, 'the wait ends');
  t.succeeded(keys);
  t.failed(keys);
  t.failed(keys);
  assert.equal(t.retryAfterMs(keys), 0, 'after a success the free failures are free again');
});

test('login throttle - a key with no failure for forgetAfterMs is forgotten; at most maxKeys are kept, the stalest dropped', () => {
  let now = 0;
  const t = new LoginThrottle(options, () => now);
  for (let i = 0; i < 3; i++) t.failed(['a']);
  assert.equal(t.retryAfterMs(['a']), 1000);
  now += 61_000;
  t.failed(['a']);
  assert.equal(t.retryAfterMs(['a']), 0, 'forgotten: this is its first failure again');
  for (const key of ['b', 'c', 'd']) for (let i = 0; i < 3; i++) t.failed([key]);
  assert.equal(t.retryAfterMs(['a']), 0, 'the stalest key was dropped past maxKeys');
  assert.equal(t.retryAfterMs(['d']), 1000);
});

test('login throttle - attempts in flight count: a parallel burst is compared no more often than the free failures left', () => {
  let now = 0;
  const t = new LoginThrottle(options, () => now);
  const keys = loginThrottleKeys('10.0.0.1', 'bob');
  // 2 free failures: two attempts are admitted at once, the third waits for them
  assert.deepEqual([t.admit(keys), t.admit(keys), t.admit(keys)], [0, 0, 1000]);
  assert.equal(t.admit(loginThrottleKeys('10.0.0.1', 'alice')), 1000, 'the address is busy whatever the name');
  t.failed(keys);
  t.failed(keys);
  assert.equal(t.admit(keys), 0, 'the free failures are used up and the wait is over: one at a time');
  assert.equal(t.admit(keys), 1000, 'a second in parallel is refused');
  t.failed(keys);
  assert.equal(t.admit(keys), 1000, 'now the doubling wait applies');
  now += 1000;
  assert.equal(t.admit(keys), 0);
  t.abandoned(keys);
  assert.equal(t.admit(keys), 0, 'an abandoned attempt frees its place without counting as a failure');
  t.succeeded(keys);
  assert.deepEqual([t.admit(keys), t.admit(keys)], [0, 0], 'a success clears the counts');
});
