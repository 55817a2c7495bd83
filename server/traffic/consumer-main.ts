/**
 * A consumer runner: its own child process, so a consumer crash is a real SIGKILL. One PushConsumer
 * of a clustering group, doing the lab consumer's work (consumer-work.ts). Every delivery, application, retry and suppressed duplicate is reported over IPC, batched. Its
 * lifecycle (ready, stop, fatal errors) is the child runtime's (broker/runtime/child-runtime.ts).
 */
import { PushConsumer } from '../../broker/client/push-consumer.js';
import { MQClientInstance } from '../../broker/client/mq-client-instance.js';
import { DedupeStore } from '../../broker/client/dedupe-store.js';
import type { ConsumeEvent, ConsumerConfig, ConsumerToParent, ParentToConsumer } from '../../broker/ipc.js';
import { parseLabBugs } from '../../broker/lab-bugs.js';
import { requireChildConfig } from '../../broker/config/environment.js';
import { childSessionCredentials } from '../../broker/acl/acl-signature.js';
import { ChildRuntime } from '../../broker/runtime/child-runtime.js';
import { systemClock } from '../../broker/io/clock.js';
import { systemRandom } from '../../broker/io/prng.js';
import { consumeEvent, consumerListener } from './consumer-work.js';

const runtime = new ChildRuntime<ConsumerToParent, ParentToConsumer>();
const send = (message: ConsumerToParent) => runtime.send(message);

async function main(): Promise<void> {
  const config = requireChildConfig('ZL_CONSUMER') as ConsumerConfig;
  const dedupe = config.idempotent ? new DedupeStore(config.dedupeFile) : undefined;
  let events: ConsumeEvent[] = [];
  /**
   * Reports an application of a message and waits until the report is in the IPC pipe, before the
   * consumer acknowledges: a SIGKILL after the ack can then never lose the report.
   */
  const reportApplied = (event: ConsumeEvent) => {
    events.push(event);
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
    clientInstance: new MQClientInstance({ namesrvAddr: config.namesrvAddr, clientId: config.clientId, credentials: childSessionCredentials(), heartbeatBrokerIntervalMs: 5000, pollNameServerIntervalMs: 5000 }),
    consumerGroup: config.consumerGroup,
    topic: config.topic,
    ackMode: config.ackMode,
    consumeFromWhere: config.consumeFromWhere,
    maxReconsumeTimes: config.maxReconsumeTimes,
    persistConsumerOffsetIntervalMs: config.persistConsumerOffsetIntervalMs,
    rebalanceIntervalMs: config.rebalanceIntervalMs,
    labBugs: parseLabBugs('labBugs', config.labBugs),
    events: {
      delivered: (m) => events.push(consumeEvent('delivered', m, systemClock.nowMs())),
      rebalanced: (queues) => send({ type: 'rebalanced', queues: queues.map((q) => `${q.topic}@${q.brokerName}@${q.queueId}`) }),
      error: (message) => send({ type: 'error', message }),
    },
    listener: consumerListener({
      config, clock: systemClock, random: systemRandom, dedupe,
      report: (event) => events.push(event),
      reportApplied,
    }),
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
