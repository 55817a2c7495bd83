/**
 * Consume queues on real files: 20-byte entries, roll-over into files named by their starting byte
 * offset, idempotent appends, reload and truncation; through the store, dispatch (only NOT/COMMIT
 * transaction types), tag hash codes, onDispatched wake-ups, getMessage statuses and the flush loop.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { FileLayer } from '../../broker/io/file-layer';
import { MessageSysFlag } from '../../broker/protocol/codes';
import { decodeMessageRecord, javaStringHashCode } from '../../broker/protocol/message-record';
import { CQ_STORE_UNIT_SIZE, ConsumeQueue, PutPositionStatus } from '../../broker/store/consume-queue';
import { message, openStore, tempDir, testSettings, waitFor } from '../support/store-fixtures';

const CQ_FILE_SIZE = 16 * CQ_STORE_UNIT_SIZE; // 16 entries per file

test('consume-queue - entries, roll-over, idempotence, reload, truncation', (t) => {
  const root = tempDir(t);
  const queue = new ConsumeQueue(new FileLayer(), root, 'TopicA', 3, CQ_FILE_SIZE);
  queue.load();
  for (let i = 0; i < 40; i++) {
    assert.equal(queue.putMessagePositionInfo(i * 100, 100, i, i), PutPositionStatus.APPENDED);
  }
  assert.equal(queue.putMessagePositionInfo(39 * 100, 100, 39, 39), PutPositionStatus.DUPLICATE, 'a re-dispatched entry is ignored');
  assert.equal(queue.putMessagePositionInfo(10 * 100, 100, 10, 10), PutPositionStatus.DUPLICATE);
  assert.equal(queue.maxOffsetInQueue(), 40);
  assert.equal(queue.minOffsetInQueue(), 0);
  assert.deepEqual(queue.getEntry(17), { commitLogOffset: 1700, size: 100, tagsCode: 17 });
  assert.equal(queue.getEntry(40), null);
  assert.equal(queue.getEntries(14, 10).length, 2, 'a read stops at the end of a file, as in RocketMQ');
  const dir = path.join(root, 'TopicA', '3');
  assert.deepEqual(fs.readdirSync(dir).sort(), ['00000000000000000000', '00000000000000000320', '00000000000000000640']);
  assert.equal(fs.statSync(path.join(dir, '00000000000000000640')).size, 8 * CQ_STORE_UNIT_SIZE);
  queue.flushSync();
  queue.close();

  const reopened = new ConsumeQueue(new FileLayer(), root, 'TopicA', 3, CQ_FILE_SIZE);
  reopened.load();
  assert.equal(reopened.maxOffsetInQueue(), 40);
  assert.equal(reopened.maxPhysicOffset(), 4000);
  reopened.truncateDirtyLogicFiles(2000); // commit log cut at 2000: entries 20.. go
  assert.equal(reopened.maxOffsetInQueue(), 20);
  assert.equal(reopened.maxPhysicOffset(), 2000);
  assert.deepEqual(fs.readdirSync(dir).sort(), ['00000000000000000000', '00000000000000000320']);
  reopened.close();

  // A torn entry at the tail (a crash mid-write) is dropped on load.
  fs.appendFileSync(path.join(dir, '00000000000000000320'), Buffer.alloc(7, 1));
  const torn = new ConsumeQueue(new FileLayer(), root, 'TopicA', 3, CQ_FILE_SIZE);
  torn.load();
  assert.equal(torn.maxOffsetInQueue(), 20);
  torn.close();
});

test('consume-queue - dispatch builds queues with tag hash codes; prepared/rollback are not dispatched', async (t) => {
  const settings = testSettings({ mappedFileSizeConsumeQueue: CQ_FILE_SIZE });
  const wakeups: string[] = [];
  const store = await openStore(tempDir(t), settings, { onDispatched: (topic, queueId, max) => wakeups.push(`${topic}/${queueId}@${max}`) });
  t.after(() => store.shutdown());
  await store.putMessage(message({ queueId: 1, tags: 'TagA' }));
  await store.putMessage(message({ queueId: 1, sysFlag: MessageSysFlag.TRANSACTION_PREPARED_TYPE }));
  await store.putMessage(message({ queueId: 1, sysFlag: MessageSysFlag.TRANSACTION_ROLLBACK_TYPE }));
  const commit = await store.putMessage(message({ queueId: 1, sysFlag: MessageSysFlag.TRANSACTION_COMMIT_TYPE, tags: 'TagB' }));
  assert.equal(commit.append!.queueOffset, 1, 'prepared and rollback records take no queue offset');
  assert.deepEqual(wakeups, ['TopicTest/1@1', 'TopicTest/1@2']);
  const queue = store.findConsumeQueue('TopicTest', 1)!;
  assert.equal(queue.maxOffsetInQueue(), 2);
  assert.equal(queue.getEntry(0)!.tagsCode, javaStringHashCode('TagA'));
  assert.equal(queue.getEntry(1)!.tagsCode, javaStringHashCode('TagB'));
  assert.equal(queue.getEntry(1)!.commitLogOffset, commit.append!.wroteOffset);
  assert.equal(queue.getEntry(1)!.size, commit.append!.wroteBytes);
});

test('consume-queue - getMessage statuses and nextBeginOffset follow RocketMQ', async (t) => {
  const settings = testSettings({ mappedFileSizeConsumeQueue: CQ_FILE_SIZE });
  const store = await openStore(tempDir(t), settings);
  t.after(() => store.shutdown());
  assert.deepEqual(store.getMessage('Nope', 0, 0, 32), { status: 'NO_MATCHED_LOGIC_QUEUE', records: [], nextBeginOffset: 0, minOffset: 0, maxOffset: 0 });
  assert.equal(store.getMinOffsetInQueue('Nope', 0), -1);
  assert.equal(store.getMaxOffsetInQueue('Nope', 0), 0);
  for (let i = 0; i < 20; i++) await store.putMessage(message({ queueId: 0, uniqKey: `K${i}` }));

  const found = store.getMessage('TopicTest', 0, 3, 4);
  assert.equal(found.status, 'FOUND');
  assert.equal(found.nextBeginOffset, 7);
  assert.equal(found.maxOffset, 20);
  assert.deepEqual(found.records.map((r) => decodeMessageRecord(r).properties.get('UNIQ_KEY')), ['K3', 'K4', 'K5', 'K6']);
  const atFileEnd = store.getMessage('TopicTest', 0, 14, 32);
  assert.equal(atFileEnd.records.length, 2);
  assert.equal(atFileEnd.nextBeginOffset, 16);
  const rest = store.getMessage('TopicTest', 0, 16, 32);
  assert.equal(rest.nextBeginOffset, 20);
  assert.equal(store.getMessage('TopicTest', 0, 20, 32).status, 'OFFSET_OVERFLOW_ONE');
  assert.equal(store.getMessage('TopicTest', 0, 20, 32).nextBeginOffset, 20);
  const badly = store.getMessage('TopicTest', 0, 99, 32);
  assert.equal(badly.status, 'OFFSET_OVERFLOW_BADLY');
  assert.equal(badly.nextBeginOffset, 0, 'min offset 0: the consumer is sent back to 0');
  assert.equal(store.getMessage('TopicTest', 0, -1, 32).status, 'OFFSET_TOO_SMALL');
  assert.equal(store.getMaxOffsetInQueue('TopicTest', 0), 20);
  assert.equal(store.getMinOffsetInQueue('TopicTest', 0), 0);
});

test('consume-queue - the flush loop makes entries durable and records them in the checkpoint', async (t) => {
  const settings = testSettings({ flushIntervalConsumeQueue: 20 });
  const store = await openStore(tempDir(t), settings);
  t.after(() => store.shutdown());
  for (let i = 0; i < 10; i++) await store.putMessage(message({ queueId: i % 2 }));
  await waitFor(() => store.consumeQueues().every((q) => q.unflushedBytes() === 0), 3000, 'consume-queue flush');
  await waitFor(() => store.checkpoint.logicsPhyOffset === store.maxPhyOffset(), 3000, 'checkpoint');
});

test('consume-queue - a new topic gets defaultTopicQueueNums queues; TopicTest has 4', async (t) => {
  const dir = tempDir(t);
  const settings = testSettings({ defaultTopicQueueNums: 6 });
  const store = await openStore(dir, settings);
  assert.equal(store.topics.selectTopicConfig('TopicTest')?.writeQueueNums, 4);
  await store.putMessage(message({ topic: 'Orders' }));
  assert.equal(store.topics.selectTopicConfig('Orders')?.writeQueueNums, 6);
  await store.shutdown();
  const json = JSON.parse(fs.readFileSync(path.join(dir, 'config', 'topics.json'), 'utf8'));
  assert.equal(json.topicConfigTable.Orders.readQueueNums, 6);
});
