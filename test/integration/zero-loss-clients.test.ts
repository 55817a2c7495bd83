/**
 * The production and consumption stages with real processes: a broker killed mid-traffic under each
 * send mode, and a consumer SIGKILLed mid-processing under each ack mode.
 *
 * - checked sync and async sends, with retries, lose no acknowledged (SEND_OK) message;
 * - unchecked async (fire and forget) loses messages the application believes were sent;
 * - ack after processing loses nothing (duplicates allowed; the idempotent store removes them);
 * - ack before processing loses the messages in flight at the crash.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { NamesrvController } from '../../broker/namesrv/namesrv-controller';
import { DefaultMessageStore } from '../../broker/store/message-store';
import { decodeMessageRecords } from '../../broker/protocol/message-record';
import { MessageProperty } from '../../broker/protocol/codes';
import { defaultSettings } from '../../broker/config/broker-config';
import { Producer } from '../../broker/client/producer';
import type { ConsumeEvent, ConsumerConfig, ConsumerToParent, SendOutcome, TrafficConfig, TrafficToParent } from '../../broker/ipc';
import type { SendMode } from '../../broker/client/send-mode';
import { startBroker, tempStoreDir, waitFor, type BrokerProcess } from '../support/broker-process';
import { startRunner } from '../support/child-process';

/** Every UNIQ_KEY stored on a topic, read back from a stopped broker's store. */
async function storedIds(storeDir: string, topic: string): Promise<Set<string>> {
  const settings = defaultSettings();
  const store = await DefaultMessageStore.open({ storePathRootDir: storeDir, storeHost: { ip: '127.0.0.1', port: 1 }, settings: () => settings });
  const ids = new Set<string>();
  try {
    for (let queueId = 0; queueId < 4; queueId++) {
      let offset = 0;
      for (;;) {
        const result = store.getMessage(topic, queueId, offset, 32);
        if (result.records.length === 0) break;
        for (const m of decodeMessageRecords(Buffer.concat(result.records)).messages) ids.add(m.properties.get(MessageProperty.UNIQ_KEY) ?? '');
        offset = result.nextBeginOffset;
      }
    }
  } finally {
    await store.shutdown();
  }
  return ids;
}

describe('zero loss, production and consumption', () => {
  let namesrv: NamesrvController;

  before(async () => {
    namesrv = new NamesrvController();
    await namesrv.start(0);
  });
  after(async () => {
    await namesrv.shutdown();
  });

  async function sendThroughACrash(sendMode: SendMode): Promise<{ outcomes: SendOutcome[]; stored: Set<string> }> {
    const storeDir = tempStoreDir();
    let broker: BrokerProcess = await startBroker({ storeDir, identity: { namesrvAddr: namesrv.address } });
    const port = broker.port;
    const topic = `Crash${sendMode.replace(/-/g, '')}${Date.now()}`;
    const seed = new Producer({ producerGroup: 'seed', producerId: 'seed', brokerAddr: broker.addr });
    await seed.send({ topic, body: Buffer.from('creates the topic') });
    await seed.close();
    await waitFor('topic routed', () => namesrv.routes.pickupTopicRouteData(topic) !== null);
    const config: TrafficConfig = { namesrvAddr: namesrv.address, topic, producerGroup: 'crash-p', producerId: `p-${sendMode}`, rate: 400, bodySize: 256, sendMode, count: 1600 };
    const runner = startRunner<TrafficToParent>('server/traffic/runner-main.ts', { ZL_TRAFFIC: JSON.stringify(config) });
    const outcomes = () => runner.messages.flatMap((m) => (m.type === 'outcomes' ? m.outcomes : []));
    try {
      await waitFor('traffic flowing', () => outcomes().length >= 300, 20_000);
      await broker.kill();
      await new Promise((r) => setTimeout(r, 1200));
      broker = await startBroker({ storeDir, port, identity: { namesrvAddr: namesrv.address } });
      await waitFor('runner done', () => runner.messages.some((m) => m.type === 'done'), 60_000);
      await broker.stop();
      return { outcomes: outcomes(), stored: await storedIds(storeDir, topic) };
    } finally {
      await runner.kill();
      await broker.kill();
      fs.rmSync(storeDir, { recursive: true, force: true });
    }
  }

  for (const sendMode of ['sync', 'async'] as const) {
    test(`${sendMode} send, checked, with retries: every SEND_OK message survives a broker crash, and every failure is known`, async () => {
      const { outcomes, stored } = await sendThroughACrash(sendMode);
      const ok = outcomes.filter((o) => o.status === 'SEND_OK');
      const failed = outcomes.filter((o) => o.status === 'ERROR' || o.status === 'TIMEOUT');
      assert.ok(ok.length > 0 && failed.length > 0, `the crash caused failures the producer saw (${ok.length} ok, ${failed.length} failed)`);
      for (const o of ok) assert.ok(stored.has(o.id), `SEND_OK ${o.id} is stored`);
    });
  }

  test('async send, unchecked (fire and forget): messages the application thinks were sent are lost', async () => {
    const { outcomes, stored } = await sendThroughACrash('async-unchecked');
    const believedSent = outcomes.filter((o) => o.status === 'UNCHECKED' && o.id !== '');
    const lost = believedSent.filter((o) => !stored.has(o.id));
    assert.ok(believedSent.length > 300);
    assert.ok(lost.length > 0, `some unchecked sends were silently lost (${lost.length} of ${believedSent.length})`);
  });

  /**
   * Consumes 300 messages, SIGKILLs the first consumer mid-work, and lets a second one drain the queue.
   * `firstPersistIntervalMs` is the first consumer's offset-commit period: 200 ms commits mid-work;
   * an hour means its applied messages are never committed (all 300 are pulled at once, and the long
   * poll that follows carries offset 0), so the kill lands between application and commit and every
   * applied message comes back to the second consumer.
   */
  async function consumeThroughACrash(ackMode: ConsumerConfig['ackMode'], idempotent: boolean, firstPersistIntervalMs = 200) {
    const storeDir = tempStoreDir();
    const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'zeroloss-consumers-'));
    const broker = await startBroker({ storeDir, identity: { namesrvAddr: namesrv.address } });
    const topic = `Consume${ackMode.replace(/-/g, '')}${idempotent ? 'Idem' : ''}${Date.now()}`;
    const producer = new Producer({ producerGroup: 'cc-p', producerId: 'cc', brokerAddr: broker.addr });
    const sent: string[] = [];
    for (let i = 0; i < 300; i++) sent.push((await producer.send({ topic, body: Buffer.from(`m${i}`) })).msgId);
    await producer.close();
    await waitFor('topic routed', () => namesrv.routes.pickupTopicRouteData(topic) !== null);
    const config = (clientId: string, persistConsumerOffsetIntervalMs = 200): ConsumerConfig => ({
      namesrvAddr: namesrv.address, consumerGroup: `cc-${ackMode}-${idempotent}`, topic, clientId, ackMode, idempotent,
      dedupeFile: path.join(workDir, 'applied.keys'), processingMs: 100, failRate: 0, maxReconsumeTimes: 16,
      consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET', persistConsumerOffsetIntervalMs, rebalanceIntervalMs: 1000,
    });
    const events: ConsumeEvent[] = [];
    const firstApplied: string[] = [];
    const collect = (messages: ConsumerToParent[]) => messages.flatMap((m) => (m.type === 'events' ? m.events : []));
    const first = startRunner<ConsumerToParent>('server/traffic/consumer-main.ts', { ZL_CONSUMER: JSON.stringify(config('127.0.0.1@first', firstPersistIntervalMs)) });
    try {
      await waitFor('first consumer mid-work', () => collect(first.messages).filter((e) => e.kind === 'consumed').length >= 60, 30_000);
      await new Promise((r) => setTimeout(r, 300)); // let an offset commit happen mid-work
      await first.kill();
      events.push(...collect(first.messages));
      firstApplied.push(...events.filter((e) => e.kind === 'consumed').map((e) => e.id));
      const second = startRunner<ConsumerToParent>('server/traffic/consumer-main.ts', { ZL_CONSUMER: JSON.stringify(config('127.0.0.1@second')) });
      try {
        await waitFor('second consumer ready', () => second.messages.some((m) => m.type === 'ready'), 20_000);
        // Drained: nothing new for three seconds (with the anti-pattern there may be nothing at all).
        let last = -1;
        let quietChecks = 0;
        await waitFor('the second consumer drains the queue', async () => {
          const n = collect(second.messages).length;
          quietChecks = n === last ? quietChecks + 1 : 0;
          last = n;
          await new Promise((r) => setTimeout(r, 1000));
          return quietChecks >= 3;
        }, 60_000);
      } finally {
        await second.stop();
        events.push(...collect(second.messages));
      }
    } finally {
      await first.kill();
      await broker.stop();
      fs.rmSync(storeDir, { recursive: true, force: true });
      fs.rmSync(workDir, { recursive: true, force: true });
    }
    const consumed = events.filter((e) => e.kind === 'consumed').map((e) => e.id);
    // A key the idempotent store suppressed was applied before: by a consumer that died before reporting it, or earlier.
    const consumedSet = new Set([...consumed, ...events.filter((e) => e.kind === 'duplicate-suppressed').map((e) => e.id)]);
    return {
      sent,
      lost: sent.filter((id) => !consumedSet.has(id)),
      duplicates: consumed.length - new Set(consumed).size,
      suppressed: events.filter((e) => e.kind === 'duplicate-suppressed').map((e) => e.id),
      firstApplied,
    };
  }

  test('ack after processing: a consumer SIGKILLed mid-processing loses nothing (redelivery may duplicate)', async () => {
    const r = await consumeThroughACrash('after-processing', false);
    assert.deepEqual(r.lost, [], 'every message was applied');
  });

  test('ack after processing with the idempotent store: a crash between applying and committing loses nothing and applies nothing twice', async () => {
    // The first consumer never commits an offset, so everything it applied is redelivered.
    const r = await consumeThroughACrash('after-processing', true, 3_600_000);
    assert.deepEqual(r.lost, []);
    assert.equal(r.duplicates, 0, 'no message applied twice');
    assert.ok(r.firstApplied.length > 0, 'the first consumer applied messages before its crash');
    const suppressed = new Set(r.suppressed);
    assert.deepEqual(r.firstApplied.filter((id) => !suppressed.has(id)), [], 'every message the first consumer applied came back and was suppressed');
  });

  test('ack before processing (the anti-pattern): a consumer crash loses the messages in flight', async () => {
    const r = await consumeThroughACrash('before-processing', false);
    assert.ok(r.lost.length > 0, `messages acknowledged but never processed are lost (${r.lost.length} of ${r.sent.length})`);
  });
});
