/**
 * "Publish one test message": one sync send through the console's real producer over the remoting
 * protocol, and the SendResult as the producer got it (status, UNIQ_KEY, offsetMsgId, queue, queue
 * offset). The message is tracked, so its durability ladder fills in on the Messages page.
 */
import type { ControlPlane } from '../control-plane';
import { ConsoleError, type MessageConsole } from './message-console';

export interface PublishInput {
  topic: string;
  body: string;
  keys?: string;
  tags?: string;
  queueId?: number;
}

export interface PublishResult {
  topic: string;
  sendStatus: string;
  msgId: string;
  offsetMsgId: string;
  brokerName: string;
  queueId: number;
  queueOffset: number;
  attempts: number;
  latencyMs: number;
  keys: string | null;
}

export async function publishOne(plane: ControlPlane, messageConsole: MessageConsole, input: PublishInput): Promise<PublishResult> {
  messageConsole.assertBrokerUp('publish');
  const route = plane.listTopics().find((t) => t.topic === input.topic);
  if (!route) throw new ConsoleError(`topic: no topic ${input.topic} on the name server (create it on the Topics page)`, 'not-found');
  const writeQueues = route.brokers[0]?.writeQueueNums ?? 0;
  if (input.queueId !== undefined && input.queueId >= writeQueues) {
    throw new ConsoleError(`queueId: topic ${input.topic} has ${writeQueues} write queue${writeQueues === 1 ? '' : 's'} (0–${writeQueues - 1}); ${input.queueId} is not one of them`, 'not-found');
  }
  const keys = input.keys ? input.keys : undefined;
  const t0 = performance.now();
  const result = await messageConsole.send({
    topic: input.topic, body: Buffer.from(input.body, 'utf8'),
    ...(keys ? { keys } : {}), ...(input.tags ? { tags: input.tags } : {}), ...(input.queueId !== undefined ? { queueId: input.queueId } : {}),
  });
  return {
    topic: input.topic, sendStatus: result.sendStatus, msgId: result.msgId, offsetMsgId: result.offsetMsgId, brokerName: result.brokerName,
    queueId: result.queueId, queueOffset: result.queueOffset, attempts: result.attempts, latencyMs: performance.now() - t0, keys: keys ?? null,
  };
}
