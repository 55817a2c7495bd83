/**
 * Consumers keep reading from the slave while the master is down, as RocketMQ clients fall back
 * (docs/rocketmq-semantics.md#master-failure): the name server drops the dead master from the route, the consumer's
 * pulls go to brokerId 1, and every SEND_OK message is still consumed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { NamesrvController } from '../../broker/namesrv/namesrv-controller';
import { Producer } from '../../broker/client/producer';
import { ConsumeStatus, PushConsumer } from '../../broker/client/push-consumer';
import { defaultSettings } from '../../broker/config/broker-config';
import { startBroker, waitFor } from '../support/broker-process';

test('consumer failover - with the master SIGKILLed, a consumer reads the rest from the slave', async () => {
  const namesrv = new NamesrvController();
  await namesrv.start(0);
  const settings = { ...defaultSettings(), brokerRole: 'SYNC_MASTER' as const };
  const master = await startBroker({ settings, identity: { namesrvAddr: namesrv.address } });
  const slave = await startBroker({
    settings: { ...settings, brokerRole: 'SLAVE' },
    identity: { brokerId: 1, haMasterAddress: `127.0.0.1:${master.haPort}`, namesrvAddr: namesrv.address },
  });
  await waitFor('the slave replicates', () => master.messages.some((m) => m.type === 'stats' && (m.stats.ha?.slaveConnections ?? 0) > 0), 15_000);
  const consumed = new Set<string>();
  let consumer: PushConsumer | undefined;
  try {
    const topic = `Failover${Date.now()}`;
    const producer = new Producer({ producerGroup: 'fo-p', producerId: 'fo', brokerAddr: master.addr });
    const sent: string[] = [];
    for (let i = 0; i < 200; i++) {
      const r = await producer.send({ topic, body: Buffer.from(`m${i}`) });
      assert.equal(r.sendStatus, 'SEND_OK', 'SYNC_MASTER: the slave has every acknowledged message');
      sent.push(r.msgId);
    }
    await producer.close();
    await waitFor('both brokers route the topic', () => Object.keys(namesrv.routes.pickupTopicRouteData(topic)?.brokerDatas[0]?.brokerAddrs ?? {}).length === 2, 10_000);

    let gate = true;
    consumer = new PushConsumer({
      namesrvAddr: namesrv.address,
      consumerGroup: 'fo-g',
      topic,
      consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET',
      pullBatchSize: 8,
      listener: async (m) => {
        // Slow at first, so the master dies with most of the queue still unread.
        if (gate) await new Promise((r) => setTimeout(r, 50));
        consumed.add(m.uniqKey);
        return ConsumeStatus.CONSUME_SUCCESS;
      },
    });
    await consumer.start();
    await waitFor('some consumed from the master', () => consumed.size >= 20, 15_000);
    await master.kill();
    gate = false;
    await waitFor('the name server dropped the master', () => !namesrv.routes.pickupTopicRouteData(topic)?.brokerDatas[0]?.brokerAddrs['0'], 10_000);
    await waitFor('every message consumed, the rest from the slave', () => sent.every((id) => consumed.has(id)), 30_000);
  } finally {
    await consumer?.shutdown();
    await slave.stop();
    await master.kill();
    await namesrv.shutdown();
    fs.rmSync(master.storeDir, { recursive: true, force: true });
    fs.rmSync(slave.storeDir, { recursive: true, force: true });
  }
});
