/**
 * The transaction-crash drill's FAIL under SYNC_FLUSH + SYNC_MASTER, on an in-process store: a
 * committed transactional message must reach its consumers once it is durable, not whenever the
 * periodic flush's thorough pass (flushCommitLogThoroughInterval, 10 s) happens to cover it.
 * Consumers see no further than the flushed offset under SYNC_FLUSH (and than an in-sync slave's ack
 * under SYNC_MASTER); the group commit flushes only for puts that wait; the commit re-put used to be
 * WAIT=false, so at the end of a drill's traffic the last commits sat unflushed and invisible, and the
 * drill's drain gave up on them ("replicated", never delivered). Each case fails without the fix.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MessageSysFlag, PutMessageStatus, ResponseCode, RMQ_SYS_TRANS_HALF_TOPIC } from '../../broker/protocol/codes';
import { TransactionalMessageService } from '../../broker/transaction/transactional-message-service';
import { endMessageTransaction, parseHalfMessageInner } from '../../broker/transaction/transactional-message-bridge';
import type { BrokerSettings } from '../../broker/config/broker-config';
import type { DefaultMessageStore } from '../../broker/store/message-store';
import type { MessageExt } from '../../broker/store/types';
import { message, openStore, tempDir, testSettings } from '../support/store-fixtures';

/** Settings under which a WAIT=false record waits 10 s for the periodic flush (few dirty pages, a long thorough interval). */
function syncFlushSettings(overrides: Partial<BrokerSettings> = {}): BrokerSettings {
  return testSettings({ flushDiskType: 'SYNC_FLUSH', flushCommitLogLeastPages: 4, flushCommitLogThoroughInterval: 10_000, flushIntervalCommitLog: 500, ...overrides });
}

async function putHalf(store: DefaultMessageStore, uniqKey: string) {
  const m = message({ uniqKey, sysFlag: MessageSysFlag.TRANSACTION_PREPARED_TYPE, queueId: 1 });
  m.properties.set('TRAN_MSG', 'true');
  m.properties.set('PGROUP', 'pg');
  parseHalfMessageInner(m);
  const result = await store.putMessage(m);
  assert.equal(result.status, 'PUT_OK');
  assert.equal(store.getMaxOffsetInQueue(RMQ_SYS_TRANS_HALF_TOPIC, 0) > 0, true, 'the half is visible in the half topic (its put waited for the flush)');
  return result.append!;
}

/** A slave for the store's replica wait: it acks the master's end every few ms, as HAService's slave does. */
function fakeSlave(store: DefaultMessageStore): () => void {
  let ack = store.maxPhyOffset();
  const waiters: { next: number; resolve: (s: PutMessageStatus) => void }[] = [];
  const timer = setInterval(() => {
    ack = store.maxPhyOffset();
    const covered = waiters.filter((w) => w.next <= ack);
    waiters.splice(0, waiters.length, ...waiters.filter((w) => w.next > ack));
    for (const w of covered) w.resolve(PutMessageStatus.PUT_OK);
    store.replicaAdvanced();
  }, 3);
  store.setReplicaWait((next) => new Promise((resolve) => waiters.push({ next, resolve })));
  store.setReplicaVisibleOffset(() => ack);
  return () => {
    clearInterval(timer);
    store.setReplicaWait(undefined);
    store.setReplicaVisibleOffset(undefined);
  };
}

async function commitAndLook(settings: BrokerSettings, store: DefaultMessageStore): Promise<void> {
  const service = new TransactionalMessageService({ store, settings: () => settings, sendCheck: () => true });
  const half = await putHalf(store, 'TX-VISIBLE');
  assert.equal(store.getMaxOffsetInQueue('TopicTest', 1), 0, 'a half is invisible on its real topic');
  const started = Date.now();
  const result = await service.endTransaction({
    producerGroup: 'pg', tranStateTableOffset: half.queueOffset, commitLogOffset: half.wroteOffset,
    commitOrRollback: MessageSysFlag.TRANSACTION_COMMIT_TYPE, fromTransactionCheck: false, transactionId: 'TX-VISIBLE',
  });
  assert.equal(result.code, ResponseCode.SUCCESS, result.remark);
  // Nothing else is sent: no later waiting put flushes the commit for it (the end of a drill's traffic).
  while (store.getMaxOffsetInQueue('TopicTest', 1) === 0 && Date.now() - started < 2000) await new Promise((r) => setTimeout(r, 20));
  const ms = Date.now() - started;
  assert.equal(store.getMaxOffsetInQueue('TopicTest', 1), 1, `the committed message reached its queue (looked for ${ms} ms)`);
  assert.ok(ms < 1000, `and promptly: ${ms} ms`);
}

test('transactions - under SYNC_FLUSH a committed message is visible once its commit is flushed, not 10 s later', async (t) => {
  const settings = syncFlushSettings();
  const store = await openStore(tempDir(t), settings);
  t.after(() => store.shutdown());
  await commitAndLook(settings, store);
});

test('transactions - under SYNC_FLUSH + SYNC_MASTER a committed message is visible once flushed and acked by the slave', async (t) => {
  const settings = syncFlushSettings({ brokerRole: 'SYNC_MASTER' });
  const store = await openStore(tempDir(t), settings);
  const stopSlave = fakeSlave(store);
  t.after(async () => {
    stopSlave();
    await store.shutdown();
  });
  await commitAndLook(settings, store);
});

test('transactions - the commit re-put waits for the store\'s guarantees (no WAIT=false)', () => {
  const half: MessageExt = {
    ...message({ uniqKey: 'TX-W', queueId: 2 }),
    topic: RMQ_SYS_TRANS_HALF_TOPIC, queueId: 0, queueOffset: 0, commitLogOffset: 1234, storeSize: 100, storeTimestamp: Date.now(), storeHost: { ip: '127.0.0.1', port: 10911 }, msgId: 'X', bodyCRC: 0,
  };
  half.properties.set('REAL_TOPIC', 'TopicTest');
  half.properties.set('REAL_QID', '2');
  half.properties.set('WAIT', 'false');
  const inner = endMessageTransaction(half);
  assert.ok(inner);
  assert.equal(inner.properties.get('WAIT'), undefined, 'WAIT absent: the put waits for the flush (SYNC_FLUSH) and the slave (SYNC_MASTER)');
  assert.equal(inner.topic, 'TopicTest');
  assert.equal(inner.queueId, 2);
});
