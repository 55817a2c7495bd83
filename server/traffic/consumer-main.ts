/**
 * A consumer runner: its own child process, so a consumer crash is a real SIGKILL. One PushConsumer
 * of a clustering group; "processing" a message takes processingMs and then applies it — with
 * idempotence on, through the persisted dedupe store, so a redelivered message is applied once.
 * Every delivery, application, retry and suppressed duplicate is reported over IPC, batched. Its
 * lifecycle (ready, stop, fatal errors) is the child runtime's (broker/runtime/child-runtime.ts).
 */
import { PushConsumer, ConsumeStatus, type ConsumedMessage } from '../../broker/client/push-consumer.js';
import { MQClientInstance } from '../../broker/client/mq-client-instance.js';
import { DedupeStore } from '../../broker/client/dedupe-store.js';
import { MessageProperty } from '../../broker/protocol/codes.js';
import type { ConsumeEvent, ConsumerConfig, ConsumerToParent, ParentToConsumer } from '../../broker/ipc.js';
import { parseLabBugs } from '../../broker/lab-bugs.js';
import { requireChildConfig } from '../../broker/config/environment.js';
import { ChildRuntime } from '../../broker/runtime/child-runtime.js';

const runtime = new ChildRuntime<ConsumerToParent, ParentToConsumer>();
const send = (message: ConsumerToParent) => runtime.send(message);

async function main(): Promise<void> {
  const config = requireChildConfig('ZL_CONSUMER') as ConsumerConfig;
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
    return runtime.sendAndWait({ type: 'events', events: batch });
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

  runtime.onStop(async () => {
    await consumer.shutdown();
    await consumer.instance.shutdown([{ consumerGroup: config.consumerGroup }]);
    clearInterval(flushTimer);
    if (events.length > 0) send({ type: 'events', events });
    dedupe?.close();
  });
  runtime.onMessage((message) => {
    if (message.type === 'stop') void runtime.stop('asked by the control plane');
  });

  await consumer.start();
  runtime.ready({ clientId: consumer.clientId });
}

runtime.run(main, (error) => console.error(`[consumer] failed: ${error.message}`));
