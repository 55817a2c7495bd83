/**
 * Consumption against a real broker process found through a real name server: routes, heartbeats,
 * rebalancing, long-polling pulls, offsets. Three consumers of one group cover every queue exactly
 * once and together receive every SEND_OK message.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { NamesrvController } from '../../broker/namesrv/namesrv-controller';
import { Producer, type SendResult } from '../../broker/client/producer';
import { ConsumeStatus, PushConsumer, type ConsumedMessage } from '../../broker/client/push-consumer';
import { MQClientInstance, queueKey } from '../../broker/client/mq-client-instance';
import { RemotingClient } from '../../broker/remoting/remoting-client';
import { createRequest, extNumber } from '../../broker/protocol/remoting-command';
import { RequestCode, ResponseCode } from '../../broker/protocol/codes';
import { startBroker, waitFor, type BrokerProcess } from '../support/broker-process';

describe('consumption through the name server', () => {
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

  test('name server - routes name the master; an unknown topic is TOPIC_NOT_EXIST', async () => {
    const client = new RemotingClient();
    try {
      const ok = await client.invoke(namesrv.address, createRequest(RequestCode.GET_ROUTEINFO_BY_TOPIC, { topic: 'TopicTest' }), 3000);
      assert.equal(ok.code, ResponseCode.SUCCESS);
      const route = JSON.parse(ok.body!.toString());
      assert.equal(route.brokerDatas[0].brokerAddrs['0'], broker.addr);
      assert.equal(route.queueDatas[0].writeQueueNums, 4);
      const missing = await client.invoke(namesrv.address, createRequest(RequestCode.GET_ROUTEINFO_BY_TOPIC, { topic: 'NoSuchTopic' }), 3000);
      assert.equal(missing.code, ResponseCode.TOPIC_NOT_EXIST);
    } finally {
      client.close();
    }
  });

  test('three consumers share every queue exactly once and receive every SEND_OK message', async () => {
    const topic = `Rebalance${Date.now()}`;
    const producer = new Producer({ producerGroup: 'rebalance-p', producerId: 'p-rebalance', namesrvAddr: namesrv.address });
    // The first send creates the topic (4 queues); the broker registers it with the name server at once.
    await assert.rejects(producer.send({ topic, body: Buffer.from('x') }), /no route|TOPIC_NOT_EXIST/);
    const direct = new Producer({ producerGroup: 'rebalance-p', producerId: 'p-direct', brokerAddr: broker.addr });
    assert.equal((await direct.send({ topic, body: Buffer.from('create') })).sendStatus, 'SEND_OK');
    await direct.close();
    await waitFor('topic routed', () => namesrv.routes.pickupTopicRouteData(topic) !== null);

    const received = new Map<string, ConsumedMessage[]>();
    // Three client instances with their own client ids, as three consumer processes would have.
    const instances = ['c1', 'c2', 'c3'].map((name) => new MQClientInstance({ namesrvAddr: namesrv.address, clientId: `127.0.0.1@${name}` }));
    const consumers = ['c1', 'c2', 'c3'].map((name, i) => new PushConsumer({
      clientInstance: instances[i],
      consumerGroup: 'rebalance-g',
      topic,
      consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET',
      rebalanceIntervalMs: 500,
      listener: (m) => {
        const list = received.get(name) ?? [];
        list.push(m);
        received.set(name, list);
        return ConsumeStatus.CONSUME_SUCCESS;
      },
    }));
    try {
      for (const c of consumers) await c.start();
      await waitFor('queues spread over three consumers', () => {
        const all = consumers.flatMap((c) => c.assignedQueues().filter((q) => q.topic === topic).map(queueKey));
        return all.length === 4 && new Set(all).size === 4 && consumers.every((c) => c.assignedQueues().some((q) => q.topic === topic));
      }, 15_000);

      const sent: SendResult[] = [];
      for (let i = 0; i < 60; i++) sent.push(await producer.send({ topic, body: Buffer.from(`m${i}`) }));
      assert.ok(sent.every((r) => r.sendStatus === 'SEND_OK'));
      const ids = new Set(sent.map((r) => r.msgId));
      await waitFor('every message consumed', () => {
        const got = new Set([...received.values()].flat().map((m) => m.uniqKey));
        return [...ids].every((id) => got.has(id));
      }, 15_000);
      for (const [name, list] of received) {
        const c = consumers[Number(name.slice(1)) - 1];
        const mine = new Set(c.assignedQueues().map((q) => `${q.brokerName}:${q.queueId}`));
        for (const m of list.filter((x) => x.topic === topic)) assert.ok(mine.has(`${m.brokerName}:${m.queueId}`), `${name} only receives its own queues`);
      }
    } finally {
      for (const c of consumers) await c.shutdown();
      for (const instance of instances) await instance.shutdown([{ consumerGroup: 'rebalance-g' }]);
      await producer.close();
    }
  });

  test('a consumer that joins while another rebalances is seen at once: the notify is not absorbed by the rebalance in flight', async () => {
    const topic = `Join${Date.now()}`;
    const direct = new Producer({ producerGroup: 'join-p', producerId: 'p-join', brokerAddr: broker.addr });
    assert.equal((await direct.send({ topic, body: Buffer.from('create') })).sendStatus, 'SEND_OK');
    await direct.close();
    await waitFor('topic routed', () => namesrv.routes.pickupTopicRouteData(topic) !== null);
    const instances = ['j1', 'j2'].map((name) => new MQClientInstance({ namesrvAddr: namesrv.address, clientId: `127.0.0.1@${name}` }));
    // RocketMQ's rebalance period (20 s): only the notify can make the first consumer let go in time.
    const [first, second] = instances.map((instance) => new PushConsumer({
      clientInstance: instance, consumerGroup: 'join-g', topic, consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET', listener: () => ConsumeStatus.CONSUME_SUCCESS,
    })) as [PushConsumer, PushConsumer];
    const mine = (c: PushConsumer) => c.assignedQueues().filter((q) => q.topic === topic).map(queueKey);
    try {
      await first.start();
      assert.equal(mine(first).length, 4);
      // The first consumer's next rebalance reads the group's members (only itself), then waits at the gate
      // while the second joins: the broker's NOTIFY_CONSUMER_IDS_CHANGED reaches it mid-rebalance.
      let release!: () => void;
      const gate = new Promise<void>((resolve) => { release = resolve; });
      let held = false;
      const remoting = instances[0]!.remoting;
      const invoke = remoting.invoke.bind(remoting);
      remoting.invoke = async (...args: Parameters<typeof invoke>) => {
        const response = await invoke(...args);
        if (args[1].code === RequestCode.GET_CONSUMER_LIST_BY_GROUP && !held) {
          held = true;
          await gate;
        }
        return response;
      };
      const inFlight = first.rebalance();
      await waitFor('the first consumer read the members', () => held);
      await second.start();
      await new Promise((resolve) => setTimeout(resolve, 300));
      release();
      await inFlight;
      await waitFor('the queues split between the two, none held by both', () => {
        const a = mine(first);
        const b = mine(second);
        return a.length === 2 && b.length === 2 && a.every((k) => !b.includes(k));
      }, 5000);
    } finally {
      await first.shutdown();
      await second.shutdown();
      for (const instance of instances) await instance.shutdown([{ consumerGroup: 'join-g' }]);
    }
  });

  test('offsets - a committed offset is what the group resumes from; a pull out of range is PULL_OFFSET_MOVED with the range', async () => {
    const client = new RemotingClient();
    try {
      const update = await client.invoke(broker.addr, createRequest(RequestCode.UPDATE_CONSUMER_OFFSET, { consumerGroup: 'offset-g', topic: 'TopicTest', queueId: 1, commitOffset: 3 }), 3000);
      assert.equal(update.code, ResponseCode.SUCCESS);
      const ignored = await client.invoke(broker.addr, createRequest(RequestCode.UPDATE_CONSUMER_OFFSET, { consumerGroup: 'offset-g', topic: 'TopicTest', queueId: 1, commitOffset: -1 }), 3000);
      assert.equal(ignored.code, ResponseCode.SUCCESS);
      const query = await client.invoke(broker.addr, createRequest(RequestCode.QUERY_CONSUMER_OFFSET, { consumerGroup: 'offset-g', topic: 'TopicTest', queueId: 1 }), 3000);
      assert.equal(extNumber(query, 'offset'), 3, 'a commit of -1 is ignored');
      const pull = await client.invoke(broker.addr, createRequest(RequestCode.PULL_MESSAGE, {
        consumerGroup: 'offset-g', topic: 'TopicTest', queueId: 1, queueOffset: 999_999, maxMsgNums: 32, sysFlag: 0, commitOffset: 0, suspendTimeoutMillis: 0, subscription: '*', subVersion: 0,
      }), 3000);
      assert.equal(pull.code, ResponseCode.PULL_OFFSET_MOVED);
      assert.match(pull.remark ?? '', /out of range \[\d+, \d+\)/);
      for (const key of ['nextBeginOffset', 'minOffset', 'maxOffset', 'suggestWhichBrokerId']) assert.notEqual(extNumber(pull, key), undefined, `${key} present`);
    } finally {
      client.close();
    }
  });

  test('long polling - a pull at the end is held until a message arrives, not answered empty at once', async () => {
    const client = new RemotingClient();
    const producer = new Producer({ producerGroup: 'lp-p', producerId: 'lp', brokerAddr: broker.addr });
    try {
      const max = extNumber(await client.invoke(broker.addr, createRequest(RequestCode.GET_MAX_OFFSET, { topic: 'TopicTest', queueId: 2 }), 3000), 'offset')!;
      const started = Date.now();
      const pulled = client.invoke(broker.addr, createRequest(RequestCode.PULL_MESSAGE, {
        consumerGroup: 'lp-g', topic: 'TopicTest', queueId: 2, queueOffset: max, maxMsgNums: 32, sysFlag: 2 | 4, commitOffset: 0, suspendTimeoutMillis: 15000, subscription: '*', subVersion: 0,
      }), 20_000);
      await new Promise((r) => setTimeout(r, 400));
      await producer.send({ topic: 'TopicTest', queueId: 2, body: Buffer.from('wake up') });
      const response = await pulled;
      assert.equal(response.code, ResponseCode.SUCCESS);
      assert.ok(Date.now() - started >= 350, 'the pull was held until the message arrived');
    } finally {
      client.close();
      await producer.close();
    }
  });
});
