/**
 * A consumer runner: its own child process, so a consumer crash is a real SIGKILL. One PushConsumer
 * of a clustering group; "processing" a message takes processingMs and then applies it — with
 * idempotence on, through the persisted dedupe store, so a redelivered message is applied once.
 * Every delivery, application, retry and suppressed duplicate is reported over IPC, batched.
 */
import { PushConsumer, ConsumeStatus, type ConsumedMessage } from '../../broker/client/push-consumer.js';
import { MQClientInstance } from '../../broker/client/mq-client-instance.js';
import { DedupeStore } from '../../broker/client/dedupe-store.js';
import { MessageProperty } from '../../broker/protocol/codes.js';
import type { ConsumeEvent, ConsumerConfig, ConsumerToParent, ParentToConsumer } from '../../broker/ipc.js';
import { parseLabBugs } from '../../broker/lab-bugs.js';

const send = (message: ConsumerToParent) => {
  if (process.send && process.connected) process.send(message);
};

async function main(): Promise<void> {
  const config = JSON.parse(process.env.ZL_CONSUMER ?? '') as ConsumerConfig;
  const dedupe = config.idempotent ? new DedupeStore(config.dedupeFile) : undefined;
  let events: ConsumeEvent[] = [];
  const report = (kind: ConsumeEvent['kind'], m: ConsumedMessage) => {
    const seq = m.properties.get(MessageProperty.ZL_SEQ);
    events.push({
      kind,
      id: m.uniqKey,
      producerId: m.properties.get(MessageProperty.ZL_PRODUCER),
      queue: m.properties.get(MessageProperty.ZL_QUEUE),
      seq: seq === undefined ? undefined : Number(seq),
      topic: m.originTopic,
      brokerName: m.brokerName,
      queueId: m.queueId,
      queueOffset: m.queueOffset,
      reconsumeTimes: m.reconsumeTimes,
      atMs: Date.now(),
    });
  };
  /**
   * Reports an application of a message and waits until the report is in the IPC pipe, before the
   * consumer acknowledges: a SIGKILL after the ack can then never lose the report.
   */
  const reportApplied = (kind: 'consumed' | 'duplicate-suppressed', m: ConsumedMessage) => {
    report(kind, m);
    const batch = events;
    events = [];
    return new Promise<void>((resolve) => {
      if (!process.send || !process.connected) return resolve();
      process.send({ type: 'events', events: batch } satisfies ConsumerToParent, undefined, {}, () => resolve());
    });
  };
  const flushTimer = setInterval(() => {
    if (events.length === 0) return;
    send({ type: 'events', events });
    events = [];
  }, 50);

  const consumer = new PushConsumer({
    clientInstance: new MQClientInstance({ namesrvAddr: config.namesrvAddr, clientId: config.clientId, heartbeatBrokerIntervalMs: 5000, pollNameServerIntervalMs: 5000 }),
    consumerGroup: config.consumerGroup,
    topic: config.topic,
    ackMode: config.ackMode,
    consumeFromWhere: config.consumeFromWhere,
    maxReconsumeTimes: config.maxReconsumeTimes,
    persistConsumerOffsetIntervalMs: config.persistConsumerOffsetIntervalMs,
    rebalanceIntervalMs: config.rebalanceIntervalMs,
    labBugs: parseLabBugs('labBugs', config.labBugs),
    events: {
      delivered: (m) => report('delivered', m),
      rebalanced: (queues) => send({ type: 'rebalanced', queues: queues.map((q) => `${q.topic}@${q.brokerName}@${q.queueId}`) }),
      error: (message) => send({ type: 'error', message }),
    },
    listener: async (m) => {
      if (config.processingMs > 0) await new Promise((r) => setTimeout(r, config.processingMs));
      if (config.failRate > 0 && Math.random() < config.failRate) {
        report('reconsume', m);
        return ConsumeStatus.RECONSUME_LATER;
      }
      if (dedupe && !dedupe.apply(m.uniqKey)) {
        await reportApplied('duplicate-suppressed', m);
        return ConsumeStatus.CONSUME_SUCCESS;
      }
      await reportApplied('consumed', m);
      return ConsumeStatus.CONSUME_SUCCESS;
    },
  });

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await consumer.shutdown();
    await consumer.instance.shutdown([{ consumerGroup: config.consumerGroup }]);
    clearInterval(flushTimer);
    if (events.length > 0) send({ type: 'events', events });
    dedupe?.close();
    setTimeout(() => process.exit(0), 20);
  };
  process.on('message', (raw) => {
    if ((raw as ParentToConsumer).type === 'stop') void stop();
  });
  process.on('disconnect', () => void stop());
  process.on('SIGTERM', () => void stop());

  await consumer.start();
  send({ type: 'ready', pid: process.pid, clientId: consumer.clientId });
}

main().catch((error: Error) => {
  console.error(`[consumer] failed: ${error.message}`);
  send({ type: 'fatal', message: error.message });
  setTimeout(() => process.exit(2), 20);
});
