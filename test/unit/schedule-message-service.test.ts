/**
 * Delay levels and the ScheduleMessageService on an in-process store: the put path parks a delayed
 * message in SCHEDULE_TOPIC_XXXX with its delivery time as tagsCode, the service re-puts it on its
 * real topic when due (masters only), and its progress survives a restart through delayOffset.json.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { computeDeliverTimestamp, handleScheduleMessage, parseDelayLevel } from '../../broker/store/delay-level';
import { ScheduleMessageService } from '../../broker/store/schedule-message-service';
import { MessageSysFlag, RMQ_SYS_TRANS_HALF_TOPIC, SCHEDULE_TOPIC } from '../../broker/protocol/codes';
import { decodeMessageRecord } from '../../broker/protocol/message-record';
import { systemClock, type Clock } from '../../broker/io/clock';
import { message, openStore, tempDir, testSettings, waitFor } from '../support/store-fixtures';

const ahead = (ms: number): Clock => ({ ...systemClock, nowMs: () => Date.now() + ms });

function delayed(level: number, extra: Parameters<typeof message>[0] = {}) {
  const m = message({ queueId: 2, uniqKey: `U-${level}-${Math.random()}`, ...extra });
  m.properties.set('DELAY', String(level));
  return m;
}

test('parseDelayLevel - RocketMQ units s/m/h/d, one entry per level', () => {
  const table = parseDelayLevel('1s 5s 10s 30s 1m 2m 3m 4m 5m 6m 7m 8m 9m 10m 20m 30m 1h 2h');
  assert.equal(table.length, 18);
  assert.deepEqual(table.slice(0, 5), [1000, 5000, 10_000, 30_000, 60_000]);
  assert.equal(table[17], 7_200_000);
  assert.deepEqual(parseDelayLevel(' 1d  2h '), [86_400_000, 7_200_000]);
  assert.equal(computeDeliverTimestamp(table, 3, 1000), 11_000);
  assert.equal(computeDeliverTimestamp(table, 99, 0), 7_200_000, 'a level past the table uses the last');
});

test('parseDelayLevel - refuses what RocketMQ does not parse, naming the token', () => {
  assert.throws(() => parseDelayLevel('1s 100ms'), /"100ms" is not a duration/);
  assert.throws(() => parseDelayLevel('1.5s'), /"1.5s"/);
  assert.throws(() => parseDelayLevel('5'), /"5"/);
  assert.throws(() => parseDelayLevel('   '), /empty/);
});

test('handleScheduleMessage - rewrites NOT/COMMIT messages, clamps the level, leaves halves alone', () => {
  const m = delayed(7);
  assert.equal(handleScheduleMessage(m, '1s 2s'), true);
  assert.equal(m.topic, SCHEDULE_TOPIC);
  assert.equal(m.queueId, 1, 'level 7 clamped to the last level (2) → queue 1');
  assert.equal(m.properties.get('DELAY'), '2');
  assert.equal(m.properties.get('REAL_TOPIC'), 'TopicTest');
  assert.equal(m.properties.get('REAL_QID'), '2');

  const prepared = delayed(1, { sysFlag: MessageSysFlag.TRANSACTION_PREPARED_TYPE });
  assert.equal(handleScheduleMessage(prepared, '1s 2s'), false);
  const half = delayed(1, { topic: RMQ_SYS_TRANS_HALF_TOPIC });
  assert.equal(handleScheduleMessage(half, '1s 2s'), false);
  const commit = delayed(1, { sysFlag: MessageSysFlag.TRANSACTION_COMMIT_TYPE });
  assert.equal(handleScheduleMessage(commit, '1s 2s'), true);
  assert.equal(handleScheduleMessage(message(), '1s 2s'), false, 'no DELAY, no rewrite');
});

test('put path - a delayed message lands in SCHEDULE_TOPIC_XXXX with its delivery time as tagsCode', async (t) => {
  const dir = tempDir(t);
  const store = await openStore(dir, testSettings({ messageDelayLevel: '1s 2s' }));
  t.after(() => store.shutdown());
  const result = await store.putMessage(delayed(2));
  assert.equal(result.status, 'PUT_OK');
  assert.equal(store.getMaxOffsetInQueue('TopicTest', 2), 0, 'nothing visible on the real topic yet');
  const cq = store.findConsumeQueue(SCHEDULE_TOPIC, 1)!;
  assert.equal(cq.maxOffsetInQueue(), 1);
  const entry = cq.getEntry(0)!;
  assert.equal(entry.tagsCode, result.append!.storeTimestamp + 2000, 'tagsCode = store time + 2 s, kept as a 64-bit value');
  const stored = store.lookMessageByOffset(entry.commitLogOffset)!;
  assert.equal(stored.properties.get('REAL_TOPIC'), 'TopicTest');
  assert.equal(stored.properties.get('REAL_QID'), '2');
});

test('ScheduleMessageService - re-puts a due message on its real topic, DELAY removed, same body and UNIQ_KEY', async (t) => {
  const dir = tempDir(t);
  const settings = testSettings({ messageDelayLevel: '1s 2s' });
  const store = await openStore(dir, settings);
  t.after(() => store.shutdown());
  const service = new ScheduleMessageService({ store, settings: () => settings, pollIntervalMs: 20 });
  service.start();
  t.after(() => service.shutdown());
  const sentAt = Date.now();
  const m = delayed(1, { body: Buffer.from('later') });
  const uniq = m.properties.get('UNIQ_KEY');
  await store.putMessage(m);
  await waitFor(() => store.getMaxOffsetInQueue('TopicTest', 2) === 1, 5000, 'the delayed message on TopicTest/2');
  const elapsed = Date.now() - sentAt;
  // The consume-queue entry is dispatched at the append; the re-put is answered (and the service's
  // offset advanced) only after the end-of-turn write, so a poll may land in between.
  await waitFor(() => service.deliveredTotal === 1, 1000, 'the re-put to be answered');
  assert.ok(elapsed >= 950, `delivered after ${elapsed} ms, not before the 1 s level`);
  const got = store.getMessage('TopicTest', 2, 0, 1);
  const delivered = decodeMessageRecord(got.records[0]);
  assert.equal(delivered.body.toString(), 'later');
  assert.equal(delivered.properties.get('UNIQ_KEY'), uniq);
  assert.equal(delivered.properties.has('DELAY'), false);
  assert.equal(service.offsets().get(1), 1);
  assert.equal(service.deliveredTotal, 1);
});

test('ScheduleMessageService - a SLAVE delivers nothing; progress persists to delayOffset.json and reloads', async (t) => {
  const dir = tempDir(t);
  const settings = testSettings({ messageDelayLevel: '1s 2s', brokerRole: 'SLAVE' });
  let store = await openStore(dir, settings);
  // The service's clock runs 10 s ahead: every message is due at once.
  let service = new ScheduleMessageService({ store, settings: () => settings, clock: ahead(10_000), pollIntervalMs: 20 });
  service.start();
  for (let i = 0; i < 3; i++) await store.putMessage(delayed(1));
  await store.putMessage(delayed(2));
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(store.getMaxOffsetInQueue('TopicTest', 2), 0, 'a slave does not deliver');

  settings.brokerRole = 'ASYNC_MASTER';
  await waitFor(() => store.getMaxOffsetInQueue('TopicTest', 2) === 4, 3000, 'all four delivered once master');
  await service.shutdown();
  const file = path.join(dir, 'config', 'delayOffset.json');
  assert.deepEqual(JSON.parse(fs.readFileSync(file, 'utf8')), { offsetTable: { 1: 3, 2: 1 } });
  await store.shutdown();

  store = await openStore(dir, settings);
  t.after(() => store.shutdown());
  service = new ScheduleMessageService({ store, settings: () => settings, clock: ahead(10_000), pollIntervalMs: 20 });
  assert.deepEqual([...service.offsets()].sort(), [[1, 3], [2, 1]]);
  service.start();
  t.after(() => service.shutdown());
  await store.putMessage(delayed(1));
  await waitFor(() => store.getMaxOffsetInQueue('TopicTest', 2) === 5, 3000, 'the new one delivered');
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(store.getMaxOffsetInQueue('TopicTest', 2), 5, 'nothing delivered twice after the restart');
  assert.deepEqual(service.pendingByLevel(), new Map());
});
