/**
 * The put path through DefaultMessageStore on real files: append and read back; SYNC_FLUSH answers
 * only once an fdatasync covers the record; group commit shares fdatasyncs between concurrent puts;
 * FLUSH_DISK_TIMEOUT on a slow disk, answered once; flushDiskType flipped live both ways with
 * waiters pending; WAIT=false; the replica hook; refusals with remarks; records of 1 and 4 MiB
 * among small ones stay whole; a failed write is never answered PUT_OK, nor is anything after it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { BrokerSettings } from '../../broker/config/broker-config';
import { FileLayer } from '../../broker/io/file-layer';
import { PutMessageStatus } from '../../broker/protocol/codes';
import { RecordCheckStatus, checkMessageRecord, decodeMessageRecord } from '../../broker/protocol/message-record';
import type { DefaultMessageStore } from '../../broker/store/message-store';
import type { PutMessageResult } from '../../broker/store/types';
import { assertConsumeQueuesMatch, message, openStore, sleep, tempDir, testSettings, waitFor } from '../support/store-fixtures';

/** Durable bytes of the commit-log segment holding the end of a put's record. */
function durableCovers(store: DefaultMessageStore, result: PutMessageResult): boolean {
  const end = result.append!.wroteOffset + result.append!.wroteBytes;
  const segment = store.commitLog.mappedFileQueue.findMappedFileByOffset(result.append!.wroteOffset)!;
  return segment.file.durableSize() >= end - segment.fileFromOffset;
}

test('commit-log - append and read back across segments', async (t) => {
  const settings = testSettings();
  const store = await openStore(tempDir(t), settings);
  t.after(() => store.shutdown());
  const results: PutMessageResult[] = [];
  for (let i = 0; i < 300; i++) {
    results.push(await store.putMessage(message({ queueId: i % 4, body: Buffer.alloc(500 + (i % 7) * 100, i), tags: `T${i % 3}`, uniqKey: `K${i}` })));
  }
  assert.ok(store.commitLog.mappedFileQueue.segments().length > 3, 'the 64 KiB segments rolled');
  for (const [i, result] of results.entries()) {
    assert.equal(result.status, PutMessageStatus.PUT_OK);
    assert.equal(result.append!.queueOffset, Math.floor(i / 4));
    const stored = store.lookMessageByOffset(result.append!.wroteOffset)!;
    assert.equal(stored.msgId, result.append!.msgId);
    assert.equal(stored.queueId, i % 4);
    assert.equal(stored.queueOffset, Math.floor(i / 4));
    assert.equal(stored.properties.get('UNIQ_KEY'), `K${i}`);
    assert.deepEqual(stored.body, Buffer.alloc(500 + (i % 7) * 100, i));
  }
  const pulled = store.getMessage('TopicTest', 2, 10, 5);
  assert.equal(pulled.status, 'FOUND');
  assert.deepEqual(pulled.records.map((r) => decodeMessageRecord(r).properties.get('UNIQ_KEY')), ['K42', 'K46', 'K50', 'K54', 'K58']);
  assert.equal(store.maxPhyOffset(), results.at(-1)!.append!.wroteOffset + results.at(-1)!.append!.wroteBytes);
});

test('commit-log - SYNC_FLUSH answers only after the fdatasync covers the record', async (t) => {
  const settings = testSettings({ flushDiskType: 'SYNC_FLUSH', slowDiskDelayMs: 60, flushIntervalCommitLog: 3_600_000, flushCommitLogThoroughInterval: 3_600_000 });
  const store = await openStore(tempDir(t), settings);
  t.after(() => store.shutdown());
  for (let i = 0; i < 5; i++) {
    let answered = false;
    const put = store.putMessage(message({ body: Buffer.alloc(2000, i) })).then((r) => ((answered = true), r));
    await sleep(20);
    assert.equal(answered, false, 'no answer before the slow fdatasync completes');
    const result = await put;
    assert.equal(result.status, PutMessageStatus.PUT_OK);
    assert.ok(durableCovers(store, result), 'PUT_OK only once the durable watermark covers the record');
    assert.ok(store.flushedPhyOffset() >= result.append!.wroteOffset + result.append!.wroteBytes);
  }
});

test('commit-log - group commit: 64 concurrent puts share few fdatasyncs', async (t) => {
  const settings = testSettings({ flushDiskType: 'SYNC_FLUSH', slowDiskDelayMs: 5, mappedFileSizeCommitLog: 1024 * 1024 });
  const store = await openStore(tempDir(t), settings);
  t.after(() => store.shutdown());
  await store.putMessage(message()); // warm up: files and directories exist
  const before = store.fileLayer.syncCount;
  const results = await Promise.all(Array.from({ length: 64 }, (_, i) => store.putMessage(message({ queueId: i % 4, body: Buffer.alloc(1024, i) }))));
  const syncs = store.fileLayer.syncCount - before;
  assert.ok(results.every((r) => r.status === PutMessageStatus.PUT_OK && durableCovers(store, r)));
  assert.ok(syncs <= 8, `64 concurrent SYNC_FLUSH puts took ${syncs} fdatasyncs; group commit should need only a few`);
  assert.equal(store.commitLog.groupCommitService.pendingCount(), 0);
});

test('commit-log - FLUSH_DISK_TIMEOUT when the disk is slower than syncFlushTimeout, answered once', async (t) => {
  const settings = testSettings({ flushDiskType: 'SYNC_FLUSH', syncFlushTimeout: 100, slowDiskDelayMs: 400 });
  const store = await openStore(tempDir(t), settings);
  t.after(() => store.shutdown());
  const answers: string[] = [];
  const started = performance.now();
  const results = await Promise.all(
    Array.from({ length: 3 }, (_, i) =>
      store.putMessage(message({ body: Buffer.from(`slow-${i}`) })).then((r) => (answers.push(r.status), r)),
    ),
  );
  const elapsed = performance.now() - started;
  assert.ok(elapsed >= 95 && elapsed < 380, `answered after ${elapsed.toFixed(0)} ms`);
  for (const result of results) {
    assert.equal(result.status, PutMessageStatus.FLUSH_DISK_TIMEOUT);
    assert.ok(result.append, 'the message is stored all the same');
    assert.equal(store.lookMessageByOffset(result.append.wroteOffset)?.body.toString().startsWith('slow-'), true);
  }
  assert.equal(store.commitLog.groupCommitService.pendingCount(), 0);
  await waitFor(() => store.flushedPhyOffset() === store.maxPhyOffset(), 3000, 'the slow flush to land');
  await sleep(50);
  assert.equal(answers.length, 3, 'each put answered exactly once');
});

test('commit-log - flushDiskType flips live both ways with waiters pending', async (t) => {
  const settings = testSettings({ flushDiskType: 'SYNC_FLUSH', slowDiskDelayMs: 150, flushIntervalCommitLog: 20, flushCommitLogThoroughInterval: 40 });
  const store = await openStore(tempDir(t), settings);
  t.after(() => store.shutdown());
  const answers = new Map<number, string[]>();
  const put = (i: number) =>
    store.putMessage(message({ body: Buffer.from(`m${i}`) })).then((r) => {
      answers.set(i, [...(answers.get(i) ?? []), r.status]);
      return r;
    });

  // SYNC waiters pending, then flip to ASYNC: new puts answer at once, old ones still get their flush.
  const pendingSync = [0, 1, 2, 3].map(put);
  await sleep(10);
  assert.ok(store.commitLog.groupCommitService.pendingCount() > 0);
  settings.flushDiskType = 'ASYNC_FLUSH';
  const started = performance.now();
  const asyncResult = await put(4);
  assert.equal(asyncResult.status, PutMessageStatus.PUT_OK);
  assert.ok(performance.now() - started < 100, 'ASYNC_FLUSH answers without waiting for the disk');
  for (const result of await Promise.all(pendingSync)) {
    assert.equal(result.status, PutMessageStatus.PUT_OK);
    assert.ok(durableCovers(store, result), 'a waiter queued under SYNC_FLUSH is answered after its fdatasync');
  }
  // The async loop keeps flushing: the ASYNC put becomes durable on its own.
  await waitFor(() => durableCovers(store, asyncResult), 3000, 'the async flush');

  // Flip back to SYNC while async flushes may be in flight: a new put waits for its own fdatasync.
  settings.flushDiskType = 'SYNC_FLUSH';
  const syncResult = await put(5);
  assert.equal(syncResult.status, PutMessageStatus.PUT_OK);
  assert.ok(durableCovers(store, syncResult));
  await sleep(50);
  assert.deepEqual([...answers.values()].map((a) => a.length), [1, 1, 1, 1, 1, 1], 'no put answered twice');
  assert.equal(store.commitLog.groupCommitService.pendingCount(), 0);
});

test('commit-log - under SYNC_FLUSH a consumer sees a record only once an fdatasync covered it; under ASYNC_FLUSH at once', async (t) => {
  // A consumer that read a record a power cut then takes back would sit past queue offsets that new
  // records reuse after the restart, and skip them (reput-message-service.ts).
  const settings = testSettings({ flushDiskType: 'SYNC_FLUSH', slowDiskDelayMs: 200, flushIntervalCommitLog: 3_600_000, flushCommitLogThoroughInterval: 3_600_000 });
  const store = await openStore(tempDir(t), settings);
  t.after(() => store.shutdown());
  const put = store.putMessage(message({ queueId: 1, uniqKey: 'durable-first' }));
  await sleep(60);
  assert.equal(store.flushedPhyOffset(), 0, 'the slow fdatasync is still running');
  assert.notEqual(store.getMessage('TopicTest', 1, 0, 1).status, 'FOUND', 'not visible before its fdatasync');
  assert.equal((await put).status, PutMessageStatus.PUT_OK);
  const visible = store.getMessage('TopicTest', 1, 0, 1);
  assert.equal(visible.status, 'FOUND', 'visible once flushed');
  assert.equal(decodeMessageRecord(visible.records[0]!).properties.get('UNIQ_KEY'), 'durable-first');

  settings.flushDiskType = 'ASYNC_FLUSH';
  const result = await store.putMessage(message({ queueId: 1, uniqKey: 'page-cache' }));
  assert.equal(durableCovers(store, result), false, 'ASYNC_FLUSH answers from the page cache');
  const next = store.getMessage('TopicTest', 1, 1, 1);
  assert.equal(next.status, 'FOUND', 'ASYNC_FLUSH: visible before any fdatasync, as in RocketMQ');
});

test('commit-log - under SYNC_FLUSH the dispatcher takes flushed records from memory, in log order, across segment rolls', async (t) => {
  for (const segmentBytes of [64 * 1024 * 1024, 64 * 1024]) {
    const settings = testSettings({ flushDiskType: 'SYNC_FLUSH', mappedFileSizeCommitLog: segmentBytes });
    const store = await openStore(tempDir(t), settings);
    t.after(() => store.shutdown());
    const readBackAtStart = store.recordsReadBack();
    let sent = 0;
    for (let round = 0; round < 10; round++) {
      const puts = Array.from({ length: 30 }, () => {
        const i = sent++;
        return store.putMessage(message({ queueId: i % 4, body: Buffer.alloc(300 + (i % 5) * 200, i), uniqKey: `K${i}` }));
      });
      for (const result of await Promise.all(puts)) assert.equal(result.status, PutMessageStatus.PUT_OK);
    }
    assert.equal(store.dispatchBehindBytes(), 0, 'every flushed record was dispatched');
    assertConsumeQueuesMatch(store);
    for (let queueId = 0; queueId < 4; queueId++) {
      const keys: (string | undefined)[] = [];
      for (let pulled = store.getMessage('TopicTest', queueId, 0, 32); pulled.status === 'FOUND'; pulled = store.getMessage('TopicTest', queueId, keys.length, 32)) {
        keys.push(...pulled.records.map((r) => decodeMessageRecord(r).properties.get('UNIQ_KEY')));
      }
      assert.deepEqual(
        keys,
        Array.from({ length: sent / 4 + (queueId < sent % 4 ? 1 : 0) }, (_, k) => `K${k * 4 + queueId}`),
      );
    }
    const readBack = store.recordsReadBack() - readBackAtStart;
    const rolls = store.commitLog.mappedFileQueue.segments().length - 1;
    if (rolls === 0) assert.equal(readBack, 0, 'without a roll nothing is read back');
    else assert.ok(readBack < sent / 2, `${readBack} of ${sent} records read back around ${rolls} rolls`);
  }
});

test('commit-log - consumers see no further than the replication bound (a SYNC_MASTER slave in sync), and catch up as it moves', async (t) => {
  const settings = testSettings({ flushDiskType: 'ASYNC_FLUSH' });
  const store = await openStore(tempDir(t), settings);
  t.after(() => store.shutdown());
  let bound = 0;
  store.setReplicaVisibleOffset(() => bound);
  const first = await store.putMessage(message({ queueId: 2, uniqKey: 'r1' }));
  const second = await store.putMessage(message({ queueId: 2, uniqKey: 'r2' }));
  assert.notEqual(store.getMessage('TopicTest', 2, 0, 2).status, 'FOUND', 'nothing acked by the slave yet');
  bound = first.append!.wroteOffset + first.append!.wroteBytes;
  store.replicaAdvanced();
  const one = store.getMessage('TopicTest', 2, 0, 2);
  assert.deepEqual(one.records.map((r) => decodeMessageRecord(r).properties.get('UNIQ_KEY')), ['r1'], 'only the acked record');
  bound = Infinity; // the slave fell out of sync: nothing is held back
  store.replicaAdvanced();
  assert.equal(store.getMessage('TopicTest', 2, 1, 1).status, 'FOUND');
  assert.equal(second.status, PutMessageStatus.PUT_OK);
});

test('commit-log - WAIT=false does not wait for the flush', async (t) => {
  const settings = testSettings({ flushDiskType: 'SYNC_FLUSH', slowDiskDelayMs: 300, flushIntervalCommitLog: 20, flushCommitLogThoroughInterval: 20 });
  const store = await openStore(tempDir(t), settings);
  t.after(() => store.shutdown());
  const msg = message();
  msg.properties.set('WAIT', 'false');
  const started = performance.now();
  const result = await store.putMessage(msg);
  assert.equal(result.status, PutMessageStatus.PUT_OK);
  assert.ok(performance.now() - started < 150);
  assert.equal(durableCovers(store, result), false);
  await waitFor(() => durableCovers(store, result), 3000, 'the interval flush to cover a WAIT=false record');
});

test('commit-log - replica wait runs beside the flush wait and wins when both fail', async (t) => {
  const settings = testSettings({ flushDiskType: 'SYNC_FLUSH', syncFlushTimeout: 50, slowDiskDelayMs: 200 });
  const offsets: number[] = [];
  const store = await openStore(tempDir(t), settings, {
    replicaWait: async (nextOffset) => {
      offsets.push(nextOffset);
      return PutMessageStatus.FLUSH_SLAVE_TIMEOUT;
    },
  });
  t.after(() => store.shutdown());
  const result = await store.putMessage(message());
  assert.equal(result.status, PutMessageStatus.FLUSH_SLAVE_TIMEOUT);
  assert.deepEqual(offsets, [result.append!.wroteOffset + result.append!.wroteBytes]);
  settings.slowDiskDelayMs = 0;
  await waitFor(() => store.flushedPhyOffset() === store.maxPhyOffset(), 3000, 'the slow flush to land');
  store.setReplicaWait(async () => PutMessageStatus.PUT_OK);
  assert.equal((await store.putMessage(message())).status, PutMessageStatus.PUT_OK);
});

test('commit-log - refusals name the rule', async (t) => {
  const settings = testSettings({ maxMessageSize: 4096 });
  const store = await openStore(tempDir(t), settings);
  t.after(() => store.shutdown());
  const big = await store.putMessage(message({ body: Buffer.alloc(5000) }));
  assert.equal(big.status, PutMessageStatus.MESSAGE_ILLEGAL);
  assert.equal(big.remark, 'body size 5000 exceeds maxMessageSize 4096');
  const badTopic = await store.putMessage(message({ topic: 'a b' }));
  assert.equal(badTopic.status, PutMessageStatus.MESSAGE_ILLEGAL);
  assert.match(badTopic.remark!, /topic "a b" contains characters outside/);
  assert.match((await store.putMessage(message({ topic: 'x'.repeat(128) }))).remark!, /over the limit of 127/);
  assert.match((await store.putMessage(message({ topic: '' }))).remark!, /topic is empty/);
  const props = message();
  props.properties.set('BIG', 'v'.repeat(40_000));
  const tooManyProps = await store.putMessage(props);
  assert.equal(tooManyProps.status, PutMessageStatus.PROPERTIES_SIZE_EXCEEDED);
  assert.match(tooManyProps.remark!, /32767/);
  assert.equal(store.maxPhyOffset(), 0, 'nothing refused was appended');
  assert.equal(store.topics.selectTopicConfig('a b'), undefined);
});

/** Every record reads back whole at its offset: CRC, PHYSICALOFFSET and body as put. */
function assertRecordsIntact(store: DefaultMessageStore, records: { result: PutMessageResult; body: Buffer }[], when: string): void {
  for (const [i, { result, body }] of records.entries()) {
    const { wroteOffset, wroteBytes } = result.append!;
    const raw = store.commitLog.getMessage(wroteOffset, wroteBytes);
    assert.ok(raw, `${when}: record ${i} at ${wroteOffset} is not there`);
    const check = checkMessageRecord(raw, 0, { checkCrc: true, maxRecordSize: wroteBytes, expectedPhysicalOffset: wroteOffset });
    assert.equal(check.status, RecordCheckStatus.OK, `${when}: record ${i} at ${wroteOffset} (${wroteBytes} bytes)`);
    assert.ok(decodeMessageRecord(raw).body.equals(body), `${when}: record ${i} body`);
  }
}

test('commit-log - SYNC_FLUSH puts of 1 MiB and 4 MiB records never overwrite acknowledged ones', async (t) => {
  const dir = tempDir(t);
  const MiB = 1024 * 1024;
  const settings = testSettings({ flushDiskType: 'SYNC_FLUSH', mappedFileSizeCommitLog: 16 * MiB });
  const store = await openStore(dir, settings);
  const acked: { result: PutMessageResult; body: Buffer }[] = [];
  let fill = 0;
  const put = async (size: number) => {
    const body = Buffer.alloc(size, ++fill);
    const result = await store.putMessage(message({ queueId: fill % 4, body }));
    assert.equal(result.status, PutMessageStatus.PUT_OK, `put of ${size} bytes`);
    acked.push({ result, body });
    return result;
  };
  for (let i = 0; i < 40; i++) await put(30 * 1024); // 1.2 MiB of acknowledged records
  await put(MiB);
  assertRecordsIntact(store, acked, 'after a 1 MiB put');
  await put(100);
  await put(4 * MiB);
  assertRecordsIntact(store, acked, 'after a 4 MiB put');
  // Concurrent puts share one deferred run: small ones before, between and after the large ones.
  for (const sizes of [[100, 2000, MiB, 300], [500, 4 * MiB, 700, MiB - 500, 64], [MiB + 1, 10, 10, 4 * MiB]]) {
    await Promise.all(sizes.map(put));
    assertRecordsIntact(store, acked, `after concurrent puts of ${sizes.join(', ')} bytes`);
  }
  assert.ok(store.commitLog.mappedFileQueue.segments().length > 1, 'the large records rolled the log');
  assert.equal(store.flushedPhyOffset(), store.maxPhyOffset());
  assertRecordsIntact(store, acked, 'after the flush');
  await store.shutdown();

  const reopened = await openStore(dir, settings);
  assert.equal(reopened.recoveryReport().truncatedBytes, 0);
  assertRecordsIntact(reopened, acked, 'after a clean reopen');
  reopened.simulatePowerCutSync();
  const recovered = await openStore(dir, settings);
  t.after(() => recovered.shutdown());
  assertRecordsIntact(recovered, acked, 'after a power cut and recovery');
  assert.equal(recovered.maxPhyOffset(), acked.at(-1)!.result.append!.wroteOffset + acked.at(-1)!.result.append!.wroteBytes);
});

for (const flushDiskType of ['ASYNC_FLUSH', 'SYNC_FLUSH'] as const) {
  test(`commit-log - ${flushDiskType}: the puts of one turn are written with one pwrite, and each is answered only once its bytes are in the file`, async (t) => {
    const settings = testSettings({ flushDiskType, flushIntervalCommitLog: 3_600_000, flushCommitLogThoroughInterval: 3_600_000 });
    const writes: { position: number; length: number }[] = [];
    const layer = new FileLayer({
      writeFault: (filePath, position, length) => {
        if (filePath.includes(`${path.sep}commitlog${path.sep}`)) writes.push({ position, length });
        return undefined;
      },
    });
    const store = await openStore(tempDir(t), settings, { fileLayer: layer });
    t.after(() => store.shutdown());
    const segment = () => store.commitLog.mappedFileQueue.lastMappedFile()!;
    for (const batch of [1, 40, 7]) {
      writes.length = 0;
      const answeredWithin: boolean[] = [];
      // Every put of the batch is appended in this synchronous loop: one event-loop turn.
      const puts = Array.from({ length: batch }, (_, i) =>
        store.putMessage(message({ queueId: i % 4, body: Buffer.alloc(700, i) })).then((result) => {
          const end = result.append!.wroteOffset + result.append!.wroteBytes - segment().fileFromOffset;
          // What the answer stands on: the bytes are in the file (the page cache), and under SYNC_FLUSH durable.
          answeredWithin.push(fs.statSync(segment().fileName).size >= end && (flushDiskType === 'ASYNC_FLUSH' || segment().file.durableSize() >= end));
          return result;
        }),
      );
      assert.equal(writes.length, 0, 'nothing is written while the turn is still appending');
      const results = await Promise.all(puts);
      for (const result of results) assert.equal(result.status, PutMessageStatus.PUT_OK);
      assert.equal(writes.length, 1, `the ${batch} records of the turn went out in one pwrite`);
      assert.equal(writes[0]!.length, results.reduce((sum, r) => sum + r.append!.wroteBytes, 0));
      assert.deepEqual(answeredWithin, Array(batch).fill(true), 'no put was answered before its bytes were in the file');
    }
  });
}

/** A FileLayer whose next commit-log write fails with EIO after half its bytes, when armed. */
function faultyLayer(settings: BrokerSettings): { layer: FileLayer; failNextCommitLogWrite: () => void; failures: () => number } {
  let armed = false;
  let failures = 0;
  const layer = new FileLayer({
    slowDiskDelayMs: () => settings.slowDiskDelayMs,
    writeFault: (filePath, _position, length) => {
      if (!armed || !filePath.includes(`${path.sep}commitlog${path.sep}`)) return undefined;
      armed = false;
      failures++;
      return Math.floor(length / 2);
    },
  });
  return { layer, failNextCommitLogWrite: () => (armed = true), failures: () => failures };
}

test('commit-log - SYNC_FLUSH: a failed write answers no PUT_OK to the puts it covers nor to any later put, and recovery returns none of them', async (t) => {
  const dir = tempDir(t);
  const settings = testSettings({ flushDiskType: 'SYNC_FLUSH', mappedFileSizeCommitLog: 4 * 1024 * 1024 });
  const faulty = faultyLayer(settings);
  const store = await openStore(dir, settings, { fileLayer: faulty.layer });
  const acked: { result: PutMessageResult; body: Buffer }[] = [];
  const put = async (body: Buffer) => {
    const result = await store.putMessage(message({ queueId: body[0]! % 4, body }));
    if (result.status === PutMessageStatus.PUT_OK) acked.push({ result, body });
    return result;
  };
  for (const result of await Promise.all(Array.from({ length: 10 }, (_, i) => put(Buffer.alloc(3000, i + 1))))) {
    assert.equal(result.status, PutMessageStatus.PUT_OK);
  }
  const durableEnd = store.maxPhyOffset();

  faulty.failNextCommitLogWrite();
  const covered = await Promise.all(Array.from({ length: 8 }, (_, i) => put(Buffer.alloc(2000, 20 + i))));
  assert.equal(faulty.failures(), 1, 'one pwrite carried the whole batch, and it failed');
  for (const result of covered) assert.notEqual(result.status, PutMessageStatus.PUT_OK, 'a put whose bytes never reached the page cache');
  // Later puts, small and large (a large one writes the deferred run at once): the log refuses them all.
  const later = [await put(Buffer.alloc(100, 40)), ...(await Promise.all([put(Buffer.alloc(50, 41)), put(Buffer.alloc(1024 * 1024, 42))]))];
  for (const result of later) assert.notEqual(result.status, PutMessageStatus.PUT_OK, 'nothing is acknowledged past the failed write');
  assert.equal(store.maxPhyOffset(), durableEnd, 'the log ends where the failed write began');
  assert.equal(fs.statSync(store.commitLog.mappedFileQueue.lastMappedFile()!.fileName).size, durableEnd, 'and so does the file');
  await store.shutdown();

  const reopened = await openStore(dir, settings);
  t.after(() => reopened.shutdown());
  assert.equal(reopened.maxPhyOffset(), durableEnd, 'recovery returns none of the refused records');
  assertRecordsIntact(reopened, acked, 'after the restart');
  assert.equal(acked.length, 10);
  assert.equal((await reopened.putMessage(message())).status, PutMessageStatus.PUT_OK, 'a restart clears the failure');
});

test('commit-log - ASYNC_FLUSH: a failed write answers an error, the log refuses every later put, and a power cut keeps what was acknowledged', async (t) => {
  const dir = tempDir(t);
  const settings = testSettings({ flushIntervalCommitLog: 10, flushCommitLogThoroughInterval: 10 });
  const faulty = faultyLayer(settings);
  const store = await openStore(dir, settings, { fileLayer: faulty.layer });
  const acked: { result: PutMessageResult; body: Buffer }[] = [];
  for (let i = 0; i < 5; i++) {
    const body = Buffer.alloc(1000, i + 1);
    const result = await store.putMessage(message({ body }));
    assert.equal(result.status, PutMessageStatus.PUT_OK);
    acked.push({ result, body });
  }
  const end = store.maxPhyOffset();
  assert.equal(await store.commitLog.flush(0), end);
  faulty.failNextCommitLogWrite();
  const failed = await store.putMessage(message({ body: Buffer.alloc(1000, 9) }));
  assert.equal(failed.status, PutMessageStatus.UNKNOWN_ERROR);
  assert.match(failed.remark!, /failed/);
  for (let i = 0; i < 3; i++) {
    const later = await store.putMessage(message({ body: Buffer.alloc(1000, 10 + i) }));
    assert.notEqual(later.status, PutMessageStatus.PUT_OK, 'the log refuses until a restart recovers it');
  }
  assert.equal(store.maxPhyOffset(), end);
  await sleep(50); // interval flushes run (and fail) meanwhile
  store.simulatePowerCutSync();

  const reopened = await openStore(dir, settings);
  t.after(() => reopened.shutdown());
  assert.equal(reopened.maxPhyOffset(), end, 'everything acknowledged and flushed, nothing past the failed write');
  assertRecordsIntact(reopened, acked, 'after the power cut');
});

test('commit-log - SYNC_FLUSH: when the write of a deferred run fails inside a large put, no put of the run is answered PUT_OK', async (t) => {
  const dir = tempDir(t);
  const settings = testSettings({ flushDiskType: 'SYNC_FLUSH', mappedFileSizeCommitLog: 4 * 1024 * 1024 });
  const faulty = faultyLayer(settings);
  const store = await openStore(dir, settings, { fileLayer: faulty.layer });
  t.after(() => store.shutdown());
  assert.equal((await store.putMessage(message({ body: Buffer.alloc(500, 1) }))).status, PutMessageStatus.PUT_OK);
  const durableEnd = store.maxPhyOffset();
  faulty.failNextCommitLogWrite();
  // The 1 MiB put fills the deferred run past PENDING_WRITE_MAX_BYTES: the run is written in its append, and fails there.
  const sizes = [100, 200, 1024 * 1024, 300];
  const results = await Promise.all(sizes.map((size, i) => store.putMessage(message({ body: Buffer.alloc(size, 10 + i) }))));
  assert.equal(faulty.failures(), 1);
  assert.deepEqual(results.map((r) => r.status === PutMessageStatus.PUT_OK), [false, false, false, false]);
  assert.equal(results[2]!.status, PutMessageStatus.UNKNOWN_ERROR, 'the put whose append hit the failure learns at once');
  assert.equal(store.maxPhyOffset(), durableEnd);
  assert.equal(store.flushedPhyOffset(), durableEnd);
});
