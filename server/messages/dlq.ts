/**
 * The dead-letter queues: `%DLQ%<group>` topics (created by the broker when a message of <group>
 * failed maxReconsumeTimes + 1 times), their messages with the original topic (RETRY_TOPIC), the
 * retry count (reconsumeTimes) and, for messages the lab tracked, why they failed; and resend, which
 * sends a copy back to the original topic through a real producer (a new UNIQ_KEY, so the resend
 * has a durability ladder of its own; ZL_RESENT_FROM names the dead message).
 */
import { DLQ_GROUP_TOPIC_PREFIX, MessageProperty, RETRY_GROUP_TOPIC_PREFIX } from '../../broker/protocol/codes';
import type { SendResult } from '../../broker/client/producer';
import type { ControlPlane } from '../control-plane';
import { ConsoleError, type MessageConsole } from './message-console';
import { browseQueue, pullMessages, storedMessageView, type BrowsePage, type StoredMessageView } from './queue-browser';

/** the property a resent message carries: the UNIQ_KEY of the dead message it copies */
export const RESENT_FROM_PROPERTY = 'ZL_RESENT_FROM';
/** properties the broker or the producer set; a resend gets fresh ones */
const SYSTEM_PROPERTIES = new Set<string>([
  MessageProperty.UNIQ_KEY, MessageProperty.WAIT, MessageProperty.DELAY, MessageProperty.RETRY_TOPIC, MessageProperty.REAL_TOPIC,
  MessageProperty.REAL_QID, MessageProperty.TRAN_MSG, MessageProperty.PGROUP, MessageProperty.ORIGIN_MESSAGE_ID,
  MessageProperty.MAX_RECONSUME_TIMES, MessageProperty.RECONSUME_TIME, MessageProperty.TRANSACTION_ID, MessageProperty.TRANSACTION_CHECK_TIMES,
  MessageProperty.ZL_PRODUCER, MessageProperty.ZL_SEQ, MessageProperty.ZL_QUEUE, MessageProperty.KEYS, MessageProperty.TAGS,
  'MIN_OFFSET', 'MAX_OFFSET', 'CONSUME_START_TIME', RESENT_FROM_PROPERTY,
]);

export interface DlqTopicView {
  topic: string;
  consumerGroup: string;
  queueNums: number;
  /** messages stored now (maxOffset − minOffset over its queues) */
  messages: number;
}

export interface DlqMessageView extends StoredMessageView {
  /** RETRY_TOPIC: where it was sent first */
  originalTopic: string | null;
  originMsgId: string | null;
  /** why it is here, when the lab saw its deliveries; null otherwise */
  reason: string | null;
  tracked: boolean;
  /** UNIQ_KEYs of resends the console made of it */
  resentAs: string[];
}

export async function listDlqTopics(plane: ControlPlane, client: MessageConsole): Promise<DlqTopicView[]> {
  const topics = plane.listTopics().filter((t) => t.topic.startsWith(DLQ_GROUP_TOPIC_PREFIX));
  return Promise.all(topics.map(async (t) => {
    const queueNums = t.brokers[0]?.readQueueNums ?? 1;
    let messages = 0;
    const address = await client.readAddress(t.topic);
    for (let queueId = 0; queueId < queueNums; queueId++) {
      const range = await client.queueRange(address, t.topic, queueId);
      messages += Math.max(0, range.maxOffset - range.minOffset);
    }
    return { topic: t.topic, consumerGroup: t.topic.slice(DLQ_GROUP_TOPIC_PREFIX.length), queueNums, messages };
  }));
}

export function dlqReason(plane: ControlPlane, m: StoredMessageView): string | null {
  const r = plane.messages.get(m.msgId);
  if (!r || r.deliveryCount === 0) return null;
  const max = plane.settings.get().maxReconsumeTimes;
  return `delivered ${r.deliveryCount} time${r.deliveryCount === 1 ? '' : 's'}; the consumer answered RECONSUME_LATER ${r.reconsumes} time${r.reconsumes === 1 ? '' : 's'} (maxReconsumeTimes ${max})`;
}

export async function dlqMessages(plane: ControlPlane, client: MessageConsole, input: { topic: string; queueId: number; startOffset?: number; limit: number }): Promise<Omit<BrowsePage, 'messages'> & { messages: DlqMessageView[] }> {
  const route = plane.listTopics().find((t) => t.topic === input.topic);
  if (!route) throw new ConsoleError(`topic: ${input.topic} is not a dead-letter queue the name server knows (none has been created yet?)`, 'not-found');
  const page = await browseQueue(client, route.brokers[0]?.readQueueNums ?? 1, input, (id) => plane.messages.get(id) !== undefined);
  return {
    ...page,
    messages: page.messages.map((m) => ({
      ...m,
      originalTopic: m.properties[MessageProperty.RETRY_TOPIC] ?? null,
      originMsgId: m.properties[MessageProperty.ORIGIN_MESSAGE_ID] ?? null,
      reason: dlqReason(plane, m),
      resentAs: client.resends.get(m.msgId),
    })),
  };
}

export interface ResendResult {
  queueOffset: number;
  /** UNIQ_KEY of the dead message */
  originalMsgId: string | null;
  targetTopic: string | null;
  result: (Pick<SendResult, 'sendStatus' | 'msgId' | 'offsetMsgId' | 'queueId' | 'queueOffset'> & { brokerName: string }) | null;
  error: string | null;
}

/** Sends a copy of each chosen DLQ message back to its original topic, one at a time, in order. */
export async function resendFromDlq(client: MessageConsole, input: { topic: string; queueId: number; queueOffsets: number[] }): Promise<ResendResult[]> {
  const address = await client.readAddress(input.topic);
  const results: ResendResult[] = [];
  for (const queueOffset of input.queueOffsets) {
    const { messages } = await pullMessages(client, address, input.topic, input.queueId, queueOffset, 1);
    const dead = messages[0];
    if (!dead || dead.queueOffset !== queueOffset) {
      results.push({ queueOffset, originalMsgId: null, targetTopic: null, result: null, error: `queueOffsets: no message at queue offset ${queueOffset} of ${input.topic} queue ${input.queueId}` });
      continue;
    }
    const view = storedMessageView(dead);
    const target = dead.properties.get(MessageProperty.RETRY_TOPIC) ?? null;
    if (!target || target.startsWith(RETRY_GROUP_TOPIC_PREFIX) || target.startsWith(DLQ_GROUP_TOPIC_PREFIX)) {
      results.push({ queueOffset, originalMsgId: view.msgId, targetTopic: target, result: null, error: `the message names no original topic (RETRY_TOPIC is ${target ?? 'absent'}): it cannot be resent` });
      continue;
    }
    const properties: Record<string, string> = {};
    for (const [name, value] of dead.properties) if (!SYSTEM_PROPERTIES.has(name)) properties[name] = value;
    properties[RESENT_FROM_PROPERTY] = view.msgId;
    try {
      const sent = await client.send({
        topic: target, body: Buffer.from(dead.body), properties,
        ...(view.keys ? { keys: view.keys } : {}), ...(view.tags ? { tags: view.tags } : {}),
      });
      client.resends.add(view.msgId, sent.msgId);
      results.push({
        queueOffset, originalMsgId: view.msgId, targetTopic: target, error: null,
        result: { sendStatus: sent.sendStatus, msgId: sent.msgId, offsetMsgId: sent.offsetMsgId, queueId: sent.queueId, queueOffset: sent.queueOffset, brokerName: sent.brokerName },
      });
    } catch (error) {
      results.push({ queueOffset, originalMsgId: view.msgId, targetTopic: target, result: null, error: (error as Error).message });
    }
  }
  return results;
}
