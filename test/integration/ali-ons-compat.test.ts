/**
 * A real RocketMQ client that nobody here wrote: ali-ons 3.12 (unmodified, RocketMQ 4.x remoting)
 * against Zeroloss's name server and broker processes (docs/rocketmq-semantics.md#client-compatibility). It sends and gets
 * msgId/queueId/queueOffset back; a push consumer receives with the same msgId; a failed message is
 * redelivered through CONSUMER_SEND_MSG_BACK; topics are created with UPDATE_AND_CREATE_TOPIC as
 * mqadmin does; close unregisters; and in a drill, an ali-ons consumer receives every SEND_OK message
 * of an ali-ons producer across a master crash and slave promotion (SYNC_FLUSH + SYNC_MASTER).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { NamesrvController } from '../../broker/namesrv/namesrv-controller';
import { RemotingClient } from '../../broker/remoting/remoting-client';
import { createRequest } from '../../broker/protocol/remoting-command';
import { RequestCode, ResponseCode, RETRY_GROUP_TOPIC_PREFIX } from '../../broker/protocol/codes';
import { defaultSettings, type BrokerSettings } from '../../broker/config/broker-config';
import { startBroker, waitFor, type BrokerProcess } from '../support/broker-process';
import { clientTiming, consumer, ons, producer, type AliMessage } from '../support/ali-ons-client';

/** 18 delay levels of one second: a send-back is redelivered after 1 s instead of 10 s. */
const FAST_DELAYS = Array.from({ length: 18 }, () => '1s').join(' ');

async function createTopic(brokerAddr: string, topic: string, queueNums = 4): Promise<void> {
  const admin = new RemotingClient();
  try {
    const response = await admin.invoke(brokerAddr, createRequest(RequestCode.UPDATE_AND_CREATE_TOPIC, {
      topic, defaultTopic: 'TBW102', readQueueNums: queueNums, writeQueueNums: queueNums, perm: 6, topicFilterType: 'SINGLE_TAG', topicSysFlag: 0, order: false,
    }), 3000);
    assert.equal(response.code, ResponseCode.SUCCESS, response.remark);
  } finally {
    admin.close();
  }
}

describe('ali-ons against Zeroloss', () => {
  let namesrv: NamesrvController;
  let broker: BrokerProcess;

  before(async () => {
    namesrv = new NamesrvController();
    await namesrv.start(0);
    broker = await startBroker({ identity: { namesrvAddr: namesrv.address }, settings: { messageDelayLevel: FAST_DELAYS } });
    await waitFor('broker registered', () => namesrv.routes.pickupTopicRouteData('TopicTest') !== null);
  });
  after(async () => {
    await broker.stop();
    await namesrv.shutdown();
    fs.rmSync(broker.storeDir, { recursive: true, force: true });
  });

  test('send to TopicTest; a push consumer receives it with the same msgId; an unknown topic is error 17', async () => {
    const p = producer(namesrv.address, 'PID_compat');
    const c = consumer(namesrv.address, 'GID_compat');
    try {
      await p.ready();
      const sent = await p.send(new ons.Message('TopicTest', 'TagA', 'hello from ali-ons'));
      assert.equal(sent.sendStatus, 'SEND_OK');
      assert.match(sent.msgId, /^7F000001[0-9A-F]{24}$/, 'msgId is the offset message id');
      assert.ok(sent.queueOffset >= 0);
      await assert.rejects(p.send(new ons.Message('NoSuchTopicAnywhere', 'TagA', 'x')), (e: Error & { code?: number }) => {
        assert.match(String(e.code ?? e.message), /17|No topic route/);
        return true;
      });

      const received: AliMessage[] = [];
      c.subscribe('TopicTest', '*', async (msg) => {
        received.push(msg);
      });
      await c.ready();
      await waitFor('the consumer receives it', () => received.some((m) => m.msgId === sent.msgId), 20_000);
      const got = received.find((m) => m.msgId === sent.msgId)!;
      assert.equal(got.body.toString(), 'hello from ali-ons');
      assert.equal(got.tags, 'TagA');
    } finally {
      await c.close();
      await p.close();
    }
  });

  test('one client sends and long-polls on one connection: each message reaches the consumer after its SEND_OK reached the producer', async () => {
    // ali-ons's suite matches a delivery against the msgId its send returned; RocketMQ dispatches after
    // the put returns, so the SEND_OK goes out first. Here 2 of 3 deliveries used to come first.
    const topic = `CompatOrder${Date.now()}`;
    await createTopic(broker.addr, topic, 1);
    const c = consumer(namesrv.address, 'GID_compat_order');
    const p = producer(namesrv.address, 'PID_compat_order');
    const acknowledged = new Set<string>();
    const early: string[] = [];
    const delivered = new Set<string>();
    try {
      c.subscribe(topic, '*', async (msg) => {
        if (!acknowledged.has(msg.msgId)) early.push(msg.msgId);
        delivered.add(msg.msgId);
      });
      await c.ready();
      await p.ready();
      await new Promise((r) => setTimeout(r, 1000)); // the consumer's pull is held by now
      for (let i = 0; i < 20; i++) {
        const sent = await p.send(new ons.Message(topic, null, `in order ${i}`));
        acknowledged.add(sent.msgId);
        await new Promise((r) => setTimeout(r, 20));
      }
      await waitFor('every message delivered', () => delivered.size === 20, 10_000);
      assert.deepEqual(early, [], 'no message reached the consumer before its SEND_OK reached the producer');
    } finally {
      await c.close();
      await p.close();
    }
  });

  test('a topic made with UPDATE_AND_CREATE_TOPIC is routed when the answer comes; a failed message comes back via CONSUMER_SEND_MSG_BACK at once, on a new group; close unregisters', async () => {
    const topic = `CompatRetry${Date.now()}`;
    await createTopic(broker.addr, topic, 2);
    assert.equal(namesrv.routes.pickupTopicRouteData(topic)?.queueDatas[0]?.writeQueueNums, 2, 'the broker registered the topic before it answered');
    const p = producer(namesrv.address, 'PID_compat_retry');
    // ali-ons's own route poll (30 s): a new group's retry topic must be routed by the time its first
    // heartbeat is answered, or the consumer learns its route only at the next poll (ali-ons's suite).
    const c = consumer(namesrv.address, 'GID_compat_retry', { ...clientTiming, pollNameServerInteval: 30_000 });
    const deliveries: AliMessage[] = [];
    try {
      c.subscribe(topic, '*', async (msg) => {
        deliveries.push(msg);
        if (msg.reconsumeTimes === 0) throw new Error('first delivery fails on purpose');
      });
      await c.ready(); // the consumer's client starts first: ready() includes its first heartbeat
      assert.ok(namesrv.routes.pickupTopicRouteData(`${RETRY_GROUP_TOPIC_PREFIX}GID_compat_retry`), 'the new group\'s retry topic is routed once its first heartbeat is answered');
      await p.ready();
      const sent = await p.send(new ons.Message(topic, null, 'fail me once'));
      assert.equal(sent.sendStatus, 'SEND_OK');
      await waitFor('redelivered through the retry topic, before the next route poll', () => deliveries.some((m) => m.reconsumeTimes >= 1), 15_000);
      assert.equal(deliveries[0].reconsumeTimes, 0);
      assert.equal(deliveries.find((m) => m.reconsumeTimes >= 1)!.body.toString(), 'fail me once');
    } finally {
      await c.close();
      await p.close();
    }
    const admin = new RemotingClient();
    try {
      const list = await admin.invoke(broker.addr, createRequest(RequestCode.GET_CONSUMER_LIST_BY_GROUP, { consumerGroup: 'GID_compat_retry' }), 3000);
      assert.notEqual(list.code, ResponseCode.SUCCESS, 'after close the group has no consumer left');
    } finally {
      admin.close();
    }
  });
});

describe('ali-ons drill: master crash and slave promotion under SYNC_FLUSH + SYNC_MASTER', () => {
  test('an ali-ons consumer receives every SEND_OK message of an ali-ons producer', async () => {
    const namesrv = new NamesrvController();
    await namesrv.start(0);
    const settings: Partial<BrokerSettings> = { ...defaultSettings(), flushDiskType: 'SYNC_FLUSH', brokerRole: 'SYNC_MASTER' };
    const master = await startBroker({ settings, identity: { namesrvAddr: namesrv.address } });
    const slave = await startBroker({
      settings: { ...settings, brokerRole: 'SLAVE' },
      identity: { brokerId: 1, haMasterAddress: `127.0.0.1:${master.haPort}`, namesrvAddr: namesrv.address },
    });
    await waitFor('the slave replicates', () => master.messages.some((m) => m.type === 'stats' && (m.stats.ha?.slaveConnections ?? 0) > 0), 15_000);
    const topic = `CompatDrill${Date.now()}`;
    const p = producer(namesrv.address, 'PID_compat_drill');
    const c = consumer(namesrv.address, 'GID_compat_drill');
    const ok = new Set<string>();
    const received = new Set<string>();
    try {
      await createTopic(master.addr, topic);
      await waitFor('topic routed on both brokers', () => Object.keys(namesrv.routes.pickupTopicRouteData(topic)?.brokerDatas[0]?.brokerAddrs ?? {}).length === 2, 10_000);
      c.subscribe(topic, '*', async (msg) => {
        received.add(msg.body.toString());
      });
      await c.ready();
      await p.ready();
      const sendSome = async (from: number, count: number) => {
        for (let i = from; i < from + count; i++) {
          try {
            const r = await p.send(new ons.Message(topic, 'drill', `m${i}`));
            if (r.sendStatus === 'SEND_OK') ok.add(`m${i}`);
          } catch {
            // the master is gone: this one was never acknowledged
          }
        }
      };
      await sendSome(0, 40);
      assert.equal(ok.size, 40, 'every send before the crash was SEND_OK (the slave had each one)');
      await master.kill();
      fs.rmSync(master.storeDir, { recursive: true, force: true }); // its disk is lost too
      const admin = new RemotingClient();
      try {
        // The operator's choice after losing the master: no slave is left, so SYNC_MASTER would answer
        // SLAVE_NOT_AVAILABLE to every send; the promoted broker runs as ASYNC_MASTER.
        const promoted = await admin.invoke(slave.addr, createRequest(RequestCode.ZL_PROMOTE_SLAVE, { brokerRole: 'ASYNC_MASTER' }), 5000);
        assert.equal(promoted.code, ResponseCode.SUCCESS, promoted.remark);
      } finally {
        admin.close();
      }
      await waitFor('the promoted slave is brokerId 0 in the route', () => namesrv.routes.pickupTopicRouteData(topic)?.brokerDatas[0]?.brokerAddrs['0'] === slave.addr, 10_000);
      // ali-ons refreshes its routes every pollNameServerInteval; until then its sends fail fast on the dead master.
      let next = 40;
      await waitFor('the producer follows the route to the promoted broker', async () => {
        await sendSome(next++, 1);
        await new Promise((r) => setTimeout(r, 100));
        return ok.size > 40;
      }, 20_000);
      await sendSome(next, 40);
      await waitFor('every SEND_OK message consumed', () => [...ok].every((b) => received.has(b)), 40_000);
    } finally {
      // ali-ons's close persists offsets to every broker it knew, the dead master included: that may fail.
      await c.close().catch(() => undefined);
      await p.close().catch(() => undefined);
      await slave.stop();
      await master.kill();
      await namesrv.shutdown();
      fs.rmSync(slave.storeDir, { recursive: true, force: true });
    }
  });
});
