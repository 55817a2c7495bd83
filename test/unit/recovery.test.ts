/**
 * Recovery on reopen, with the power cut of the fault model (every file cut back to its durable
 * watermark): a clean reopen keeps everything; under SYNC_FLUSH every PUT_OK message survives;
 * under ASYNC_FLUSH exactly the records past the durable watermark are gone; the consume queues
 * always match the commit log afterwards, and queue offsets continue where they stopped; what
 * recovery keeps it makes durable itself, so a power cut right after a restart loses none of it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { FileLayer, type StoreFile } from '../../broker/io/file-layer';
import { PutMessageStatus } from '../../broker/protocol/codes';
import type { PutMessageResult } from '../../broker/store/types';
import { assertConsumeQueuesMatch, message, openStore, sleep, tempDir, testSettings } from '../support/store-fixtures';

test('recovery - a clean reopen keeps messages, queues, offsets and topics', async (t) => {
  const dir = tempDir(t);
  const settings = testSettings();
  const store = await openStore(dir, settings);
  const results: PutMessageResult[] = [];
  for (let i = 0; i < 200; i++) results.push(await store.putMessage(message({ topic: i % 2 ? 'TopicTest' : 'Orders', queueId: i % 3, body: Buffer.alloc(700, i) })));
  store.consumerOffsets.commitOffset('groupA', 'TopicTest', 1, 17);
  const maxBefore = store.maxPhyOffset();
  await store.shutdown();
  assert.equal(fs.existsSync(path.join(dir, 'abort')), false);
  assert.equal(fs.existsSync(path.join(dir, 'lock')), false);

  const reopened = await openStore(dir, settings);
  t.after(() => reopened.shutdown());
  assert.deepEqual(reopened.recoveryReport(), { abnormal: false, truncatedBytes: 0, redispatched: 0, maxPhyOffset: maxBefore });
  for (const result of results) assert.ok(reopened.lookMessageByOffset(result.append!.wroteOffset));
  assertConsumeQueuesMatch(reopened);
  assert.equal(reopened.consumerOffsets.queryOffset('groupA', 'TopicTest', 1), 17);
  assert.equal(reopened.topics.selectTopicConfig('Orders')?.writeQueueNums, 4);
  const next = await reopened.putMessage(message({ topic: 'Orders', queueId: 0 }));
  assert.equal(next.append!.queueOffset, results.filter((_, i) => i % 2 === 0 && i % 3 === 0).length, 'queue offsets continue');
});

test('recovery - power cut under SYNC_FLUSH keeps every PUT_OK message', async (t) => {
  const dir = tempDir(t);
  const settings = testSettings({ flushDiskType: 'SYNC_FLUSH', slowDiskDelayMs: 5, flushIntervalConsumeQueue: 3_600_000 });
  const store = await openStore(dir, settings);
  const acked: { result: PutMessageResult; body: Buffer }[] = [];
  let cut = false;
  let sent = 0;
  const sender = async (id: number) => {
    while (!cut) {
      const body = Buffer.from(`sender-${id}-msg-${sent++}-`.padEnd(300, 'x'));
      const result = await store.putMessage(message({ queueId: id % 4, body }));
      if (cut) return; // an answer after the cut would never reach the producer
      assert.equal(result.status, PutMessageStatus.PUT_OK);
      acked.push({ result, body });
    }
  };
  const senders = Array.from({ length: 16 }, (_, i) => sender(i));
  while (acked.length < 300) await sleep(2);
  cut = true;
  store.simulatePowerCutSync();
  void senders; // puts pending at the cut are never answered, as after a real power cut

  const reopened = await openStore(dir, settings);
  t.after(() => reopened.shutdown());
  assert.equal(reopened.recoveryReport().abnormal, true);
  for (const { result, body } of acked) {
    const stored = reopened.lookMessageByOffset(result.append!.wroteOffset);
    assert.ok(stored, `PUT_OK message at ${result.append!.wroteOffset} lost`);
    assert.deepEqual(stored.body, body);
    assert.equal(stored.queueOffset, result.append!.queueOffset);
    const entry = reopened.findConsumeQueue('TopicTest', stored.queueId)!.getEntry(stored.queueOffset);
    assert.equal(entry?.commitLogOffset, result.append!.wroteOffset, 'the consume queue was rebuilt');
  }
  assertConsumeQueuesMatch(reopened);
});

test('recovery - power cut under ASYNC_FLUSH loses exactly the records past the durable watermark', async (t) => {
  const dir = tempDir(t);
  const settings = testSettings({
    mappedFileSizeCommitLog: 1024 * 1024,
    flushIntervalCommitLog: 3_600_000,
    flushCommitLogThoroughInterval: 3_600_000,
    flushIntervalConsumeQueue: 3_600_000,
  });
  const store = await openStore(dir, settings);
  const results: PutMessageResult[] = [];
  for (let i = 0; i < 40; i++) results.push(await store.putMessage(message({ queueId: i % 4, body: Buffer.alloc(500 + i, i) })));
  const durableEnd = await store.commitLog.flush(0);
  for (let i = 40; i < 80; i++) results.push(await store.putMessage(message({ queueId: i % 4, body: Buffer.alloc(500 + i, i) })));
  assert.equal(store.unflushedBytes(), store.maxPhyOffset() - durableEnd);

  const lost = store.simulatePowerCutSync();
  const commitLogLost = lost.filter((c) => c.path.includes(`${path.sep}commitlog${path.sep}`)).reduce((n, c) => n + c.lostBytes, 0);
  assert.equal(commitLogLost, results.slice(40).reduce((n, r) => n + r.append!.wroteBytes, 0));

  const reopened = await openStore(dir, settings);
  t.after(() => reopened.shutdown());
  assert.equal(reopened.maxPhyOffset(), durableEnd);
  assert.equal(reopened.recoveryReport().abnormal, true);
  for (const [i, result] of results.entries()) {
    const stored = reopened.lookMessageByOffset(result.append!.wroteOffset);
    if (i < 40) assert.deepEqual(stored?.body, Buffer.alloc(500 + i, i), `record ${i} should have survived`);
    else assert.equal(stored, null, `record ${i} was past the durable watermark`);
  }
  for (let queueId = 0; queueId < 4; queueId++) assert.equal(reopened.getMaxOffsetInQueue('TopicTest', queueId), 10);
  assertConsumeQueuesMatch(reopened);
  const next = await reopened.putMessage(message({ queueId: 2 }));
  assert.equal(next.append!.queueOffset, 10, 'queue offsets continue after the survivors');
  assert.equal(next.append!.wroteOffset, durableEnd);
});

test('recovery - a process crash (abort left behind) keeps the page cache and rebuilds queues', async (t) => {
  const dir = tempDir(t);
  const settings = testSettings({ flushIntervalConsumeQueue: 3_600_000 });
  const store = await openStore(dir, settings);
  for (let i = 0; i < 100; i++) await store.putMessage(message({ queueId: i % 4, body: Buffer.alloc(900, i) }));
  const max = store.maxPhyOffset();
  // SIGKILL keeps every write in the page cache: nothing is cut, only nothing is shut down.
  store.fileLayer.revertAllToDurableSync = () => [];
  store.simulatePowerCutSync();
  // Wipe the consume queues to force a full rebuild from the commit log.
  fs.rmSync(path.join(dir, 'consumequeue'), { recursive: true });

  const reopened = await openStore(dir, settings);
  t.after(() => reopened.shutdown());
  assert.equal(reopened.maxPhyOffset(), max);
  assert.equal(reopened.recoveryReport().abnormal, true);
  for (let queueId = 0; queueId < 4; queueId++) assert.equal(reopened.getMaxOffsetInQueue('TopicTest', queueId), 25);
  assertConsumeQueuesMatch(reopened);
});

/** A FileLayer that remembers which files an fdatasync of this process covered. */
class SyncWitnessLayer extends FileLayer {
  readonly synced = new Set<string>();

  override open(filePath: string, options: { create: boolean }): StoreFile {
    const file = super.open(filePath, options);
    const synced = this.synced;
    return {
      ...file,
      datasyncSync() {
        file.datasyncSync();
        synced.add(filePath);
      },
      async datasync() {
        await file.datasync();
        synced.add(filePath);
      },
    };
  }
}

test('recovery - fdatasyncs what it keeps: a power cut right after a restart loses nothing recovery kept', async (t) => {
  const dir = tempDir(t);
  const settings = testSettings({ flushIntervalCommitLog: 3_600_000, flushCommitLogThoroughInterval: 3_600_000, flushIntervalConsumeQueue: 3_600_000 });
  const store = await openStore(dir, settings);
  const results: PutMessageResult[] = [];
  for (let i = 0; i < 150; i++) results.push(await store.putMessage(message({ queueId: i % 4, body: Buffer.alloc(800, i) })));
  const max = store.maxPhyOffset();
  assert.ok(store.commitLog.mappedFileQueue.segments().length > 1);
  assert.ok(store.unflushedBytes() > 0, 'ASYNC_FLUSH: the tail is only in the page cache');
  // SIGKILL: the page cache keeps every write, but none of the tail is on disk yet.
  store.fileLayer.revertAllToDurableSync = () => [];
  store.simulatePowerCutSync();

  const witness = new SyncWitnessLayer();
  const restarted = await openStore(dir, settings, { fileLayer: witness });
  assert.equal(restarted.maxPhyOffset(), max);
  for (const [filePath, { size }] of witness.durableSizes()) {
    if (size > 0) assert.ok(witness.synced.has(filePath), `recovery kept ${filePath} without an fdatasync`);
  }
  // The power cut comes right after the restart, before any flush of the new process.
  const cut = restarted.simulatePowerCutSync();
  assert.equal(cut.reduce((n, c) => n + c.lostBytes, 0), 0);

  const reopened = await openStore(dir, settings);
  t.after(() => reopened.shutdown());
  assert.equal(reopened.maxPhyOffset(), max);
  for (const [i, result] of results.entries()) assert.deepEqual(reopened.lookMessageByOffset(result.append!.wroteOffset)?.body, Buffer.alloc(800, i));
  for (let queueId = 0; queueId < 4; queueId++) assert.ok(reopened.getMaxOffsetInQueue('TopicTest', queueId) >= 37);
  assertConsumeQueuesMatch(reopened);
});

test('recovery - a failed consume-queue write leaves no hole: puts stay PUT_OK and the restart rebuilds every entry', async (t) => {
  const dir = tempDir(t);
  const settings = testSettings({ flushIntervalConsumeQueue: 10 });
  let armed = false;
  const layer = new FileLayer({
    writeFault: (filePath) => (armed && filePath.includes(`${path.sep}consumequeue${path.sep}`) ? ((armed = false), 0) : undefined),
  });
  const store = await openStore(dir, settings, { fileLayer: layer });
  const results: PutMessageResult[] = [];
  const put = async (i: number) => {
    results.push(await store.putMessage(message({ queueId: 0, body: Buffer.alloc(200, i) })));
    await sleep(1); // the deferred consume-queue write runs in between
  };
  for (let i = 0; i < 20; i++) await put(i);
  await sleep(40); // a consume-queue flush and checkpoint
  armed = true;
  for (let i = 20; i < 40; i++) await put(i);
  await sleep(40); // more flush passes: none may vouch past the failed write
  assert.ok(results.every((r) => r.status === PutMessageStatus.PUT_OK), 'the commit log took every message');
  assert.equal(await store.commitLog.flush(0), store.maxPhyOffset());
  store.simulatePowerCutSync();

  const reopened = await openStore(dir, settings);
  t.after(() => reopened.shutdown());
  assert.equal(reopened.getMaxOffsetInQueue('TopicTest', 0), 40);
  assertConsumeQueuesMatch(reopened);
  const pulled = reopened.getMessage('TopicTest', 0, 0, 32);
  assert.equal(pulled.records.length, 32);
});

test('recovery - the report counts the bytes recovery removed, not the offsets of empty segments a power cut left behind', async (t) => {
  const dir = tempDir(t);
  const settings = testSettings({ flushIntervalCommitLog: 3_600_000, flushCommitLogThoroughInterval: 3_600_000 });
  const store = await openStore(dir, settings);
  for (let i = 0; i < 60; i++) await store.putMessage(message({ body: Buffer.alloc(1000, i) }));
  const durableEnd = await store.commitLog.flush(0);
  // Two more segments' worth that never reach an fdatasync: the cut leaves their files empty.
  for (let i = 0; i < 150; i++) await store.putMessage(message({ body: Buffer.alloc(1000, i) }));
  const segments = store.commitLog.mappedFileQueue.segments().length;
  store.simulatePowerCutSync();

  const reopened = await openStore(dir, settings);
  t.after(() => reopened.shutdown());
  assert.ok(segments >= 3, `the log spanned ${segments} segments of 64 KiB`);
  assert.equal(reopened.maxPhyOffset(), durableEnd, 'recovery kept exactly what was flushed');
  assert.equal(reopened.recoveryReport().truncatedBytes, 0, 'the cut had already taken the unflushed bytes; recovery removed no byte, only empty files');
});
