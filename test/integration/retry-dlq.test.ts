/**
 * Retry and DLQ against a real broker process with a short delay table: a message sent back with
 * CONSUMER_SEND_MSG_BACK goes to %RETRY%<group> after its delay level, again and again with
 * reconsumeTimes + 1 and the same UNIQ_KEY, and to %DLQ%<group> once maxReconsumeTimes is reached;
 * a producer-sent %RETRY% message past maxReconsumeTimes goes to the DLQ (handleRetryAndDLQ).
 * Messages are read with PULL_MESSAGE (no suspend) and, at the end, from the store itself.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { Producer } from '../../broker/client/producer';
import { RemotingClient } from '../../broker/remoting/remoting-client';
import { createRequest } from '../../broker/protocol/remoting-command';
import { RequestCode, ResponseCode } from '../../broker/protocol/codes';
import { decodeMessageRecords } from '../../broker/protocol/message-record';
import type { MessageExt } from '../../broker/store/types';
import { DefaultMessageStore } from '../../broker/store/message-store';
import { defaultSettings } from '../../broker/config/broker-config';
import { startBroker, waitFor, type BrokerProcess } from '../support/broker-process';

const GROUP = 'it-retry-group';
const MAX_RECONSUME_TIMES = 2;

describe('retry and DLQ', () => {
  let broker: BrokerProcess;
  let producer: Producer;
  const client = new RemotingClient();

  before(async () => {
    // Levels 3.. are all 1 s: each retry is due after about a second.
    broker = await startBroker({ settings: { messageDelayLevel: '1s 1s 1s 1s 1s 1s' } });
    producer = new Producer({ producerGroup: 'it-retry-producer', producerId: 'it-retry-1', brokerAddr: broker.addr });
  });
  after(async () => {
    await producer.close();
    client.close();
    await broker.stop();
    fs.rmSync(broker.storeDir, { recursive: true, force: true });
  });

  async function pull(topic: string, queueId: number, queueOffset: number): Promise<MessageExt[]> {
    const response = await client.invoke(broker.addr, createRequest(RequestCode.PULL_MESSAGE, {
      consumerGroup: GROUP, topic, queueId, queueOffset, maxMsgNums: 32, sysFlag: 4, commitOffset: -1,
      suspendTimeoutMillis: 0, subscription: '*', subVersion: 0,
    }), 3000);
    if (response.code !== ResponseCode.SUCCESS) return [];
    return decodeMessageRecords(response.body ?? Buffer.alloc(0), { copyBody: true }).messages;
  }

  /** The first message at `queueOffset`, once there is one (for waitFor: undefined until then). */
  const first = async (topic: string, queueId: number, queueOffset: number): Promise<MessageExt | undefined> =>
    (await pull(topic, queueId, queueOffset))[0];

  const sendBack = (commitLogOffset: number, extra: Record<string, string | number | boolean> = {}) =>
    client.invoke(broker.addr, createRequest(RequestCode.CONSUMER_SEND_MSG_BACK, {
      offset: commitLogOffset, group: GROUP, delayLevel: 0, originMsgId: '', originTopic: '', unitMode: false,
      maxReconsumeTimes: MAX_RECONSUME_TIMES, ...extra,
    }), 3000);

  test('RECONSUME_LATER twice, then the DLQ: same UNIQ_KEY, reconsumeTimes 1, 2, 3, ORIGIN_MESSAGE_ID kept', async () => {
    const sent = await producer.send({ topic: 'RetryTopic', queueId: 0, body: Buffer.from('fails-every-time'), keys: 'order-1' });
    const original = await waitFor('the original on RetryTopic/0', () => first('RetryTopic', 0, sent.queueOffset));
    assert.equal(original.reconsumeTimes, 0);

    let current = original;
    const retryTopic = `%RETRY%${GROUP}`;
    for (let round = 1; round <= MAX_RECONSUME_TIMES; round++) {
      const sentBackAt = Date.now();
      const response = await sendBack(current.commitLogOffset);
      assert.equal(response.code, ResponseCode.SUCCESS, response.remark);
      const retry = await waitFor(`retry ${round} on ${retryTopic}`, () => first(retryTopic, 0, round - 1), 10_000);
      assert.ok(Date.now() - sentBackAt >= 900, `retry ${round} waited for its delay level`);
      assert.equal(retry.reconsumeTimes, round);
      assert.equal(retry.properties.get('UNIQ_KEY'), sent.msgId, 'the same UNIQ_KEY on every copy');
      assert.equal(retry.properties.get('ORIGIN_MESSAGE_ID'), original.msgId, 'ORIGIN_MESSAGE_ID = the first offsetMsgId');
      assert.equal(retry.properties.get('RETRY_TOPIC'), 'RetryTopic');
      assert.equal(retry.properties.get('KEYS'), 'order-1');
      assert.equal(retry.properties.has('DELAY'), false);
      assert.equal(retry.body.toString(), 'fails-every-time');
      current = retry;
    }
    // reconsumeTimes 2 >= maxReconsumeTimes 2: the next send-back goes to the DLQ at once.
    const response = await sendBack(current.commitLogOffset);
    assert.equal(response.code, ResponseCode.SUCCESS, response.remark);
    const dead = await waitFor('the DLQ copy', () => first(`%DLQ%${GROUP}`, 0, 0), 3000);
    assert.equal(dead.reconsumeTimes, MAX_RECONSUME_TIMES + 1);
    assert.equal(dead.properties.get('UNIQ_KEY'), sent.msgId);
    assert.equal(dead.properties.get('ORIGIN_MESSAGE_ID'), original.msgId);
    assert.equal(dead.properties.get('RETRY_TOPIC'), 'RetryTopic');
    assert.equal((await pull(retryTopic, 0, MAX_RECONSUME_TIMES)).length, 0, 'no further retry');
  });

  test('delayLevel -1 sends straight to the DLQ', async () => {
    const sent = await producer.send({ topic: 'RetryTopic', queueId: 1, body: Buffer.from('poison') });
    const original = await waitFor('the original', () => first('RetryTopic', 1, sent.queueOffset));
    const response = await sendBack(original.commitLogOffset, { delayLevel: -1 });
    assert.equal(response.code, ResponseCode.SUCCESS, response.remark);
    const dlq = await waitFor('the DLQ copy', async () => {
      const all = await pull(`%DLQ%${GROUP}`, 0, 0);
      return all.find((m) => m.properties.get('UNIQ_KEY') === sent.msgId);
    }, 3000);
    assert.equal(dlq.reconsumeTimes, 1);
  });

  test('a send-back naming no message is refused with the offset in the remark', async () => {
    const response = await sendBack(987_654_321);
    assert.equal(response.code, ResponseCode.SYSTEM_ERROR);
    assert.match(response.remark ?? '', /look message by offset failed, 987654321/);
  });

  test('SEND_MESSAGE_V2 to %RETRY% honours j: past l it lands in the DLQ, within l in the retry topic', async () => {
    const send = (j: number, body: string) => client.invoke(broker.addr, createRequest(RequestCode.SEND_MESSAGE_V2, {
      a: 'CLIENT_INNER_PRODUCER', b: '%RETRY%it-fallback', c: 'TBW102', d: 4, e: 0, f: 0, g: Date.now(), h: 0,
      i: `UNIQ_KEY\u0001U-${body}\u0002RETRY_TOPIC\u0001RetryTopic\u0002`, j, k: false, l: 2,
    }, Buffer.from(body)), 3000);
    const within = await send(2, 'within');
    assert.equal(within.code, ResponseCode.SUCCESS, within.remark);
    const past = await send(3, 'past');
    assert.equal(past.code, ResponseCode.SUCCESS, past.remark);
    const retry = await waitFor('retry copy', () => first('%RETRY%it-fallback', 0, 0));
    assert.equal(retry.body.toString(), 'within');
    assert.equal(retry.reconsumeTimes, 2, 'j is stored as RECONSUMETIMES');
    const dead = await waitFor('DLQ copy', () => first('%DLQ%it-fallback', 0, 0));
    assert.equal(dead.body.toString(), 'past');
    assert.equal(dead.reconsumeTimes, 3);
  });

  test('after a restart of the store: one DLQ copy per message, retry topic and DLQ have one queue each', async () => {
    await broker.stop();
    const settings = defaultSettings();
    const store = await DefaultMessageStore.open({ storePathRootDir: broker.storeDir, storeHost: { ip: '127.0.0.1', port: broker.port }, settings: () => settings });
    try {
      assert.equal(store.topics.selectTopicConfig(`%RETRY%${GROUP}`)?.writeQueueNums, 1);
      assert.equal(store.topics.selectTopicConfig(`%DLQ%${GROUP}`)?.writeQueueNums, 1);
      assert.equal(store.getMaxOffsetInQueue(`%DLQ%${GROUP}`, 0), 2, 'two messages died: the retried one and the poison one');
      assert.equal(store.getMaxOffsetInQueue(`%RETRY%${GROUP}`, 0), MAX_RECONSUME_TIMES);
      assert.ok(fs.existsSync(`${broker.storeDir}/config/delayOffset.json`), 'the schedule progress was persisted at shutdown');
    } finally {
      await store.shutdown();
    }
  });
});
