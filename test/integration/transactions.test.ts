/**
 * Transactional messages against a real broker process with a fast check service
 * (transactionCheckInterval 500 ms, transactionTimeOut 300 ms, transactionCheckMax 3):
 * a committed transaction is visible on the real topic exactly once, a rolled-back one never, an
 * UNKNOW one becomes visible once the check-back commits it, one whose checker keeps answering
 * UNKNOW is discarded to TRANS_CHECK_MAX_TIME_TOPIC and counted, and END_TRANSACTION naming no
 * half message is refused with a remark saying what did not match.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { TransactionProducer } from '../../broker/client/transaction-producer';
import { RemotingClient } from '../../broker/remoting/remoting-client';
import { createRequest } from '../../broker/protocol/remoting-command';
import { LocalTransactionState, MessageSysFlag, RequestCode, ResponseCode } from '../../broker/protocol/codes';
import { decodeMessageRecords, parseOffsetMsgId, transactionType } from '../../broker/protocol/message-record';
import type { MessageExt } from '../../broker/store/types';
import { DefaultMessageStore } from '../../broker/store/message-store';
import { defaultSettings } from '../../broker/config/broker-config';
import { startBroker, waitFor, type BrokerProcess } from '../support/broker-process';

const TOPIC = 'TxTopic';
const GROUP = 'it-tx-producer';

describe('transactional messages', () => {
  let broker: BrokerProcess;
  let producer: TransactionProducer;
  const client = new RemotingClient();
  /** what the checker answers, by KEYS; absent = COMMIT */
  const checkAnswers = new Map<string, LocalTransactionState>();
  const checkedKeys: string[] = [];

  before(async () => {
    broker = await startBroker({ settings: { transactionCheckInterval: 500, transactionTimeOut: 300, transactionCheckMax: 3 } });
    producer = new TransactionProducer({
      producerGroup: GROUP,
      producerId: 'it-tx-1',
      brokerAddr: broker.addr,
      checkLocalTransaction: (message) => {
        const key = message.properties.get('KEYS') ?? '';
        checkedKeys.push(key);
        assert.equal(message.topic, TOPIC, 'the checker sees the real topic');
        return checkAnswers.get(key) ?? LocalTransactionState.COMMIT_MESSAGE;
      },
    });
    await producer.start();
  });
  after(async () => {
    await producer.close();
    client.close();
    await broker.stop();
    fs.rmSync(broker.storeDir, { recursive: true, force: true });
  });

  async function visible(): Promise<MessageExt[]> {
    const response = await client.invoke(broker.addr, createRequest(RequestCode.PULL_MESSAGE, {
      consumerGroup: 'it-tx-consumer', topic: TOPIC, queueId: 0, queueOffset: 0, maxMsgNums: 32, sysFlag: 4,
      commitOffset: -1, suspendTimeoutMillis: 0, subscription: '*', subVersion: 0,
    }), 3000);
    if (response.code !== ResponseCode.SUCCESS) return [];
    return decodeMessageRecords(response.body ?? Buffer.alloc(0), { copyBody: true }).messages;
  }

  const visibleKeys = async () => (await visible()).map((m) => m.properties.get('KEYS'));

  async function runtimeInfo(): Promise<Record<string, string>> {
    const response = await client.invoke(broker.addr, createRequest(RequestCode.GET_BROKER_RUNTIME_INFO), 3000);
    return (JSON.parse(response.body!.toString('utf8')) as { table: Record<string, string> }).table;
  }

  const send = (key: string, state: LocalTransactionState | (() => LocalTransactionState)) =>
    producer.sendMessageInTransaction({ topic: TOPIC, queueId: 0, keys: key, body: Buffer.from(`body-${key}`) },
      () => (typeof state === 'function' ? state() : state));

  test('COMMIT: visible on the real topic once, with the same UNIQ_KEY and the COMMIT type', async () => {
    const result = await send('commit-1', LocalTransactionState.COMMIT_MESSAGE);
    assert.equal(result.sendResult.sendStatus, 'SEND_OK');
    assert.equal(result.localTransactionState, 'COMMIT_MESSAGE');
    const [message] = await waitFor('the committed message', async () => {
      const all = await visible();
      return all.length > 0 ? all : undefined;
    });
    assert.equal(message.properties.get('KEYS'), 'commit-1');
    assert.equal(message.properties.get('UNIQ_KEY'), result.transactionId);
    assert.equal(message.properties.has('REAL_TOPIC'), false);
    assert.equal(message.properties.has('TRAN_MSG'), false);
    assert.equal(transactionType(message.sysFlag), MessageSysFlag.TRANSACTION_COMMIT_TYPE);
    assert.equal(message.preparedTransactionOffset, parseOffsetMsgId(result.sendResult.offsetMsgId)!.commitLogOffset);
    assert.equal(message.body.toString(), 'body-commit-1');
  });

  test('ROLLBACK: never visible; a failed local transaction (throw) stays UNKNOW until checked', async () => {
    const result = await send('rollback-1', LocalTransactionState.ROLLBACK_MESSAGE);
    assert.equal(result.localTransactionState, 'ROLLBACK_MESSAGE');
    await waitFor('the rollback counted', async () => Number((await runtimeInfo()).transactionRolledBack) >= 1);
    checkAnswers.set('throws-1', LocalTransactionState.ROLLBACK_MESSAGE);
    const thrown = await send('throws-1', () => { throw new Error('local database down'); });
    assert.equal(thrown.localTransactionState, 'UNKNOW');
    await waitFor('the check-back rolls it back', async () => Number((await runtimeInfo()).transactionRolledBack) >= 2, 10_000);
    assert.deepEqual(await visibleKeys(), ['commit-1']);
  });

  test('UNKNOW: the check-back asks the producer, which commits; then visible once', async () => {
    const result = await send('unknown-1', LocalTransactionState.UNKNOW);
    assert.equal(result.localTransactionState, 'UNKNOW');
    assert.deepEqual(await visibleKeys(), ['commit-1'], 'invisible while open');
    await waitFor('the check-back commit', async () => (await visibleKeys()).includes('unknown-1'), 10_000);
    assert.ok(checkedKeys.includes('unknown-1'));
    await new Promise((r) => setTimeout(r, 1200)); // two more check passes
    assert.deepEqual(await visibleKeys(), ['commit-1', 'unknown-1'], 'committed once, not again by later passes');
  });

  test('a checker that keeps answering UNKNOW: discarded after transactionCheckMax checks, and counted', async () => {
    checkAnswers.set('forever-1', LocalTransactionState.UNKNOW);
    await send('forever-1', LocalTransactionState.UNKNOW);
    const info = await waitFor('the discard', async () => {
      const table = await runtimeInfo();
      return Number(table.transactionCheckMaxDiscarded) >= 1 ? table : undefined;
    }, 15_000);
    assert.equal(Number(info.transactionCheckMaxDiscarded), 1);
    assert.equal(checkedKeys.filter((k) => k === 'forever-1').length, 3, 'asked exactly transactionCheckMax times');
    assert.equal((await visibleKeys()).includes('forever-1'), false);
  });

  test('END_TRANSACTION for an unknown or mismatched transaction is refused with a clear remark', async () => {
    const end = (fields: Record<string, string | number | boolean>) => client.invoke(broker.addr, createRequest(RequestCode.END_TRANSACTION, {
      producerGroup: GROUP, tranStateTableOffset: 0, commitLogOffset: 0, commitOrRollback: MessageSysFlag.TRANSACTION_COMMIT_TYPE,
      fromTransactionCheck: false, msgId: 'NO-SUCH-TX', transactionId: 'NO-SUCH-TX', ...fields,
    }), 3000);
    const nowhere = await end({ commitLogOffset: 987_654_321 });
    assert.equal(nowhere.code, ResponseCode.SYSTEM_ERROR);
    assert.match(nowhere.remark ?? '', /unknown transaction NO-SUCH-TX: no prepared transaction message at commitLogOffset 987654321/);

    const [committed] = await visible();
    const notHalf = await end({ commitLogOffset: committed.commitLogOffset });
    assert.equal(notHalf.code, ResponseCode.SYSTEM_ERROR);
    assert.match(notHalf.remark ?? '', new RegExp(`the message at commitLogOffset ${committed.commitLogOffset} is on topic ${TOPIC}, not a half message of RMQ_SYS_TRANS_HALF_TOPIC`));

    checkAnswers.set('open-1', LocalTransactionState.ROLLBACK_MESSAGE);
    const open = await send('open-1', LocalTransactionState.UNKNOW);
    const commitLogOffset = parseOffsetMsgId(open.sendResult.offsetMsgId)!.commitLogOffset;
    const wrongGroup = await end({ producerGroup: 'someone-else', commitLogOffset, tranStateTableOffset: open.sendResult.queueOffset, transactionId: open.transactionId });
    assert.equal(wrongGroup.code, ResponseCode.SYSTEM_ERROR);
    assert.match(wrongGroup.remark ?? '', new RegExp(`producer group wrong.*belongs to producer group ${GROUP}, the request names someone-else`));
    const wrongOffset = await end({ commitLogOffset, tranStateTableOffset: open.sendResult.queueOffset + 100, transactionId: open.transactionId });
    assert.match(wrongOffset.remark ?? '', /transaction state table offset wrong/);
    const wrongId = await end({ commitLogOffset, tranStateTableOffset: open.sendResult.queueOffset });
    assert.match(wrongId.remark ?? '', new RegExp(`transaction id wrong: .* is transaction ${open.transactionId}, the request names NO-SUCH-TX`));
    const badVerdict = await end({ commitLogOffset, tranStateTableOffset: open.sendResult.queueOffset, commitOrRollback: 5 });
    assert.match(badVerdict.remark ?? '', /commitOrRollback 5 is none of 0 \(UNKNOW\), 8 \(COMMIT\), 12 \(ROLLBACK\)/);
    const missing = await client.invoke(broker.addr, createRequest(RequestCode.END_TRANSACTION, { producerGroup: GROUP }), 3000);
    assert.match(missing.remark ?? '', /tranStateTableOffset is missing/);
    assert.equal((await visibleKeys()).includes('open-1'), false);
  });

  test('after a restart of the store: the discarded half sits in TRANS_CHECK_MAX_TIME_TOPIC, nothing else leaked', async () => {
    await waitFor('open-1 rolled back by its check', async () => Number((await runtimeInfo()).transactionRolledBack) >= 3, 10_000);
    await producer.close();
    await broker.stop();
    const settings = defaultSettings();
    const store = await DefaultMessageStore.open({ storePathRootDir: broker.storeDir, storeHost: { ip: '127.0.0.1', port: broker.port }, settings: () => settings });
    try {
      const read = (topic: string) => decodeMessageRecords(Buffer.concat(store.getMessage(topic, 0, 0, 32).records)).messages;
      assert.deepEqual(read(TOPIC).map((m) => m.properties.get('KEYS')), ['commit-1', 'unknown-1']);
      assert.deepEqual(read('TRANS_CHECK_MAX_TIME_TOPIC').map((m) => m.properties.get('KEYS')), ['forever-1']);
      const halves = read('RMQ_SYS_TRANS_HALF_TOPIC');
      assert.ok(halves.every((m) => m.properties.get('REAL_TOPIC') === TOPIC && m.properties.get('PGROUP') === GROUP));
      assert.ok(halves.every((m) => m.properties.get('__transactionId__') === m.properties.get('UNIQ_KEY')));
    } finally {
      await store.shutdown();
    }
  });
});
