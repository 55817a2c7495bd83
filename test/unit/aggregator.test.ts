import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Aggregator, percentile } from '../../server/live/aggregator';
import type { SendOutcome } from '../../broker/ipc';

const outcome = (latencyMs: number, status: SendOutcome['status'] = 'SEND_OK'): SendOutcome => ({ id: 'x', queueId: 0, seq: 1, sentAtMs: 0, latencyMs, status });

test('aggregator - percentiles use the nearest rank', () => {
  const sorted = Array.from({ length: 100 }, (_, i) => i + 1);
  assert.equal(percentile(sorted, 50), 50);
  assert.equal(percentile(sorted, 99), 99);
  assert.equal(percentile([], 50), null);
  assert.equal(percentile([7], 99), 7);
});

test('aggregator - rates cover the last second and totals count every status', () => {
  const agg = new Aggregator();
  agg.addOutcomes([outcome(1), outcome(2), outcome(3, 'FLUSH_DISK_TIMEOUT')], 1000);
  agg.addOutcomes([outcome(10, 'ERROR')], 1900);
  agg.addStored(4, 1900);
  const a = agg.sample(2000);
  assert.equal(a.sentPerSec, 1, 'outcomes older than the window are dropped');
  assert.equal(a.statusPerSec.ERROR, 1);
  assert.equal(a.storedPerSec, 4);
  assert.equal(agg.totals.sent, 4);
  assert.equal(agg.totals.byStatus.SEND_OK, 2);
  assert.equal(agg.totals.byStatus.FLUSH_DISK_TIMEOUT, 1);
  const b = agg.sample(1950);
  assert.equal(b.latencyP50Ms, 10);
});
