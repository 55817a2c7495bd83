/**
 * The broker side of consumer retries (docs/rocketmq-semantics.md#retry-and-dead-letters):
 *
 * CONSUMER_SEND_MSG_BACK (36), B/processor/AbstractSendMessageProcessor.consumerSendMsgBack: the
 * original is looked up by its commit-log offset; when its reconsumeTimes >= maxReconsumeTimes (the
 * header's, else the broker's maxReconsumeTimes) or delayLevel < 0 a copy goes to `%DLQ%<group>`
 * (1 queue), else to `%RETRY%<group>` (1 queue) with delay level `3 + reconsumeTimes` when the header
 * says 0. The copy keeps body and properties (so the same UNIQ_KEY), has reconsumeTimes + 1,
 * RETRY_TOPIC = the original topic and ORIGIN_MESSAGE_ID = the first msgId, and WAIT=false.
 *
 * SEND_MESSAGE_V2 hook (createSendMessageBeforePut): a producer-sent `%RETRY%<group>` message whose
 * reconsumeTimes (`j`) exceeds maxReconsumeTimes (`l`) goes to the DLQ instead
 * (SendMessageProcessor.handleRetryAndDLQ, 5.x's strict >), and a TRAN_MSG=true send with the
 * PREPARED sysFlag becomes a half message.
 */
import type { BrokerSettings } from '../config/broker-config.js';
import type { Random } from '../io/prng.js';
import {
  DLQ_GROUP_TOPIC_PREFIX,
  DLQ_NUMS_PER_GROUP,
  MessageProperty,
  PutMessageStatus,
  RETRY_GROUP_TOPIC_PREFIX,
  RETRY_QUEUE_NUMS,
  ResponseCode,
} from '../protocol/codes.js';
import { createResponse, extNumber, extString, type RemotingCommand } from '../protocol/remoting-command.js';
import { restoreAs, type MessageExt, type MessageInner, type PutMessageResult } from '../store/types.js';
import { isPreparedSend, parseHalfMessageInner } from '../transaction/transactional-message-bridge.js';

export interface SendBackTarget {
  settings: () => BrokerSettings;
  lookMessageByOffset(commitLogOffset: number): MessageExt | null;
  putMessage(message: MessageInner): Promise<PutMessageResult>;
  /** creates a topic with `queueNums` read/write queues if it does not exist (throws at once if it cannot); settles once a new one is registered */
  ensureTopic(topic: string, queueNums: number): Promise<void>;
  /** picks the retry or DLQ queue of the copy */
  random: Random;
}

/** Statuses after which the copy is stored (only a guarantee may be missing). */
const STORED_STATUSES: ReadonlySet<string> = new Set([
  PutMessageStatus.PUT_OK, PutMessageStatus.FLUSH_DISK_TIMEOUT, PutMessageStatus.FLUSH_SLAVE_TIMEOUT, PutMessageStatus.SLAVE_NOT_AVAILABLE,
]);

export function retryTopicOf(group: string): string {
  return RETRY_GROUP_TOPIC_PREFIX + group;
}

export function dlqTopicOf(group: string): string {
  return DLQ_GROUP_TOPIC_PREFIX + group;
}

/** The message consumerSendMsgBack stores for `original`; `topic` is the retry or DLQ topic chosen. */
export function buildSendBackMessage(original: MessageExt, topic: string, queueId: number, delayLevel: number): MessageInner {
  const properties = new Map(original.properties);
  if (!properties.has(MessageProperty.RETRY_TOPIC)) properties.set(MessageProperty.RETRY_TOPIC, original.topic);
  properties.set(MessageProperty.WAIT, 'false');
  if (delayLevel > 0) properties.set(MessageProperty.DELAY, String(delayLevel));
  else properties.delete(MessageProperty.DELAY);
  const originMsgId = original.properties.get(MessageProperty.ORIGIN_MESSAGE_ID);
  properties.set(MessageProperty.ORIGIN_MESSAGE_ID, originMsgId ? originMsgId : original.msgId);
  return restoreAs(original, topic, queueId, properties, { reconsumeTimes: original.reconsumeTimes + 1 });
}

export function createConsumerSendMsgBackProcessor(target: SendBackTarget) {
  return async (request: RemotingCommand): Promise<RemotingCommand> => {
    const refuse = (remark: string) => createResponse(request, ResponseCode.SYSTEM_ERROR, { remark });
    const group = extString(request, 'group');
    if (!group) return refuse('CONSUMER_SEND_MSG_BACK header field group is missing');
    const offset = extNumber(request, 'offset');
    if (offset === undefined || !Number.isInteger(offset) || offset < 0) return refuse('CONSUMER_SEND_MSG_BACK header field offset (commit-log offset) is missing or not a non-negative integer');
    const delayLevelHeader = extNumber(request, 'delayLevel') ?? 0;
    const maxReconsumeTimes = extNumber(request, 'maxReconsumeTimes') ?? target.settings().maxReconsumeTimes;

    const original = target.lookMessageByOffset(offset);
    if (!original) return refuse(`look message by offset failed, ${offset}: no message at that commit-log offset`);

    let topic = retryTopicOf(group);
    let queueNums = RETRY_QUEUE_NUMS;
    let delayLevel = delayLevelHeader;
    if (original.reconsumeTimes >= maxReconsumeTimes || delayLevelHeader < 0) {
      topic = dlqTopicOf(group);
      queueNums = DLQ_NUMS_PER_GROUP;
      delayLevel = 0;
    } else if (delayLevel === 0) {
      delayLevel = 3 + original.reconsumeTimes;
    }
    try {
      await target.ensureTopic(topic, queueNums);
    } catch (error) {
      return refuse(`topic[${topic}] not exist: ${(error as Error).message}`);
    }
    const queueId = target.random.int(queueNums);
    const result = await target.putMessage(buildSendBackMessage(original, topic, queueId, delayLevel));
    if (!STORED_STATUSES.has(result.status)) return refuse(`${result.status}${result.remark ? `: ${result.remark}` : ''}`);
    return createResponse(request, ResponseCode.SUCCESS);
  };
}

/**
 * handleRetryAndDLQ: a `%RETRY%<group>` send with reconsumeTimes > maxReconsumeTimes goes to
 * `%DLQ%<group>` queue 0, undelayed. Mutates `message`; returns the DLQ topic or null.
 */
export function handleRetryAndDLQ(message: MessageInner, maxReconsumeTimes: number): string | null {
  if (!message.topic.startsWith(RETRY_GROUP_TOPIC_PREFIX)) return null;
  if (message.reconsumeTimes <= maxReconsumeTimes) return null;
  message.topic = dlqTopicOf(message.topic.slice(RETRY_GROUP_TOPIC_PREFIX.length));
  message.queueId = 0;
  message.properties.delete(MessageProperty.DELAY);
  return message.topic;
}

/** The SEND_MESSAGE_V2 hook: retry → DLQ redirection and half messages. Null, or a refusal remark. */
export function createSendMessageBeforePut(target: Pick<SendBackTarget, 'settings' | 'ensureTopic'>) {
  return (message: MessageInner, header: (name: string) => string | undefined): string | null => {
    const headerMax = Number(header('maxReconsumeTimes'));
    const max = header('maxReconsumeTimes') !== undefined && Number.isInteger(headerMax) ? headerMax : target.settings().maxReconsumeTimes;
    const dlq = handleRetryAndDLQ(message, max);
    if (dlq) {
      try {
        // a hook of the put cannot wait: the DLQ is created now and registered in the background
        void target.ensureTopic(dlq, DLQ_NUMS_PER_GROUP);
      } catch (error) {
        return `topic[${dlq}] not exist: ${(error as Error).message}`;
      }
    }
    if (isPreparedSend(message)) {
      if (!message.properties.get(MessageProperty.PGROUP)) message.properties.set(MessageProperty.PGROUP, header('producerGroup') ?? '');
      parseHalfMessageInner(message);
    }
    return null;
  };
}
