/**
 * What a lab consumer does with a message, apart from the process it runs in: "processing" takes
 * processingMs, a share failRate of messages asks RECONSUME_LATER, and the rest are applied — with
 * idempotence on, through the persisted dedupe store, so a redelivered message is applied once.
 * Every step is reported as the ledger reads it (ConsumeEvent). The consumer runner
 * (consumer-main.ts, a child process) runs it on the system clock; the simulator on a simulated one.
 */
import { ConsumeStatus, type ConsumedMessage } from '../../broker/client/push-consumer.js';
import type { DedupeStore } from '../../broker/client/dedupe-store.js';
import { MessageProperty } from '../../broker/protocol/codes.js';
import type { ConsumeEvent, ConsumerConfig } from '../../broker/ipc.js';
import type { Clock } from '../../broker/io/clock.js';
import type { Random } from '../../broker/io/prng.js';

/** A consume event of `m`, stamped now. */
export function consumeEvent(kind: ConsumeEvent['kind'], m: ConsumedMessage, atMs: number): ConsumeEvent {
  const seq = m.properties.get(MessageProperty.ZL_SEQ);
  return {
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
    atMs,
  };
}

export interface ConsumerWork {
  config: Pick<ConsumerConfig, 'processingMs' | 'failRate'>;
  clock: Clock;
  random: Random;
  dedupe: DedupeStore | undefined;
  /** a retry asked for */
  report: (event: ConsumeEvent) => void;
  /** an application (or a suppressed duplicate): resolves once the report can no longer be lost, before the ack */
  reportApplied: (event: ConsumeEvent) => Promise<void>;
}

/** The PushConsumer listener of a lab consumer. */
export function consumerListener(work: ConsumerWork): (m: ConsumedMessage) => Promise<ConsumeStatus> {
  const { config, clock, random, dedupe } = work;
  return async (m) => {
    if (config.processingMs > 0) await clock.sleep(config.processingMs);
    if (config.failRate > 0 && random.next() < config.failRate) {
      work.report(consumeEvent('reconsume', m, clock.nowMs()));
      return ConsumeStatus.RECONSUME_LATER;
    }
    if (dedupe && !dedupe.apply(m.uniqKey)) {
      await work.reportApplied(consumeEvent('duplicate-suppressed', m, clock.nowMs()));
      return ConsumeStatus.CONSUME_SUCCESS;
    }
    await work.reportApplied(consumeEvent('consumed', m, clock.nowMs()));
    return ConsumeStatus.CONSUME_SUCCESS;
  };
}
