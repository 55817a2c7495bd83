/**
 * GroupTransferService: a waiter is answered PUT_OK once an ack covers it and FLUSH_SLAVE_TIMEOUT at its
 * deadline, exactly once either way; the queue is bounded; shutdown answers everyone.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GroupTransferService } from '../../broker/ha/group-transfer-service';
import { ReplicationLagTracker } from '../../broker/ha/replication-lag';
import { systemClock } from '../../broker/io/clock';

function service(options: { timeoutMs?: number; maxWaiters?: number } = {}) {
  let acked = -1;
  const gts = new GroupTransferService({
    ackedOffset: () => acked,
    slaveTimeoutMs: () => options.timeoutMs ?? 200,
    clock: systemClock,
    maxWaiters: options.maxWaiters,
  });
  return { gts, ack: (offset: number) => { acked = offset; gts.notifyTransferSome(offset); } };
}

test('group transfer - acks complete the covered prefix, in offset order', async () => {
  const { gts, ack } = service({ timeoutMs: 5000 });
  const answers: string[] = [];
  const waits = [100, 200, 300].map((offset) => gts.waitForTransfer(offset).then((s) => answers.push(`${offset}:${s}`)));
  ack(250);
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(answers, ['100:PUT_OK', '200:PUT_OK']);
  assert.equal(gts.pendingCount(), 1);
  ack(300);
  await Promise.all(waits);
  assert.deepEqual(answers, ['100:PUT_OK', '200:PUT_OK', '300:PUT_OK']);
  assert.equal(await gts.waitForTransfer(299), 'PUT_OK', 'already covered: answered at once');
});

test('group transfer - a waiter not covered in slaveTimeout gets FLUSH_SLAVE_TIMEOUT, exactly once', async () => {
  const { gts, ack } = service({ timeoutMs: 100 });
  let calls = 0;
  const started = Date.now();
  const status = await gts.waitForTransfer(500).then((s) => {
    calls++;
    return s;
  });
  assert.equal(status, 'FLUSH_SLAVE_TIMEOUT');
  assert.ok(Date.now() - started >= 95, 'not before the deadline');
  ack(1000); // a late ack must not answer it again
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(calls, 1);
  assert.deepEqual(gts.answered, { ok: 0, timeout: 1 });
});

test('group transfer - the queue is bounded; shutdown answers every waiter', async () => {
  const { gts } = service({ timeoutMs: 10_000, maxWaiters: 2 });
  const a = gts.waitForTransfer(10);
  const b = gts.waitForTransfer(20);
  assert.equal(await gts.waitForTransfer(30), 'FLUSH_SLAVE_TIMEOUT', 'a full queue answers at once');
  gts.shutdown(10);
  assert.equal(await a, 'PUT_OK');
  assert.equal(await b, 'FLUSH_SLAVE_TIMEOUT');
  assert.equal(gts.pendingCount(), 0);
});

test('replication lag - messages and age of the oldest unreplicated record, bounded', () => {
  const lag = new ReplicationLagTracker(3);
  for (let i = 0; i < 5; i++) lag.appended(i * 100, 100, 1000 + i);
  assert.deepEqual(lag.lag(500, 0, 2000), { bytes: 500, messages: 5, ms: 1000 });
  assert.equal(lag.acked(150), 0, 'the overflow bucket leaves only as a whole');
  assert.equal(lag.acked(200), 2);
  assert.deepEqual(lag.lag(500, 200, 2000), { bytes: 300, messages: 3, ms: 998 });
  assert.equal(lag.acked(500), 3);
  assert.deepEqual(lag.lag(500, 500, 2000), { bytes: 0, messages: 0, ms: 0 });
});
