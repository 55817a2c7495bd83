/**
 * UPDATE_AND_CREATE_TOPIC (17), as `mqadmin updateTopic` sends it (B/processor/AdminBrokerProcessor.java):
 * header fields topic, readQueueNums, writeQueueNums, perm (READ 4 | WRITE 2 | INHERIT 1), topicSysFlag, order.
 * Answered once the broker has registered the topic with its name servers, as RocketMQ's
 * registerIncrementBrokerData does, so a route query right after `mqadmin updateTopic` finds it.
 */
import { ResponseCode, isSystemTopic } from '../protocol/codes.js';
import { createResponse, extBoolean, extNumber, extString, type RemotingCommand } from '../protocol/remoting-command.js';
import { TOPIC_PATTERN } from '../store/commit-log.js';
import { TOPIC_LENGTH_MAX } from '../protocol/message-record.js';
import type { TopicConfigManager } from '../store/topic-config-manager.js';

/** The most queues one topic may have on one broker (RocketMQ does not cap it; a lab does). */
export const MAX_QUEUE_NUMS = 1024;

export interface UpdateAndCreateTopicTarget {
  topics: () => TopicConfigManager;
  isMaster: () => boolean;
  /** registers the broker's topics with the name servers now; settles when they have answered */
  registered: () => Promise<void>;
}

export function createUpdateAndCreateTopicProcessor(target: UpdateAndCreateTopicTarget) {
  return async (request: RemotingCommand): Promise<RemotingCommand> => {
    const refuse = (remark: string) => createResponse(request, ResponseCode.SYSTEM_ERROR, { remark });
    if (!target.isMaster()) return createResponse(request, ResponseCode.NO_PERMISSION, { remark: 'a SLAVE does not create topics: send UPDATE_AND_CREATE_TOPIC to the master' });
    const topic = extString(request, 'topic') ?? '';
    if (topic.length === 0 || topic.length > TOPIC_LENGTH_MAX || !TOPIC_PATTERN.test(topic)) {
      return refuse(`topic '${topic}' is illegal: 1-${TOPIC_LENGTH_MAX} characters of letters, digits, %, |, _ or -`);
    }
    if (isSystemTopic(topic)) {
      return refuse(`topic '${topic}' is a system topic and cannot be created by hand`);
    }
    const readQueueNums = extNumber(request, 'readQueueNums') ?? 4;
    const writeQueueNums = extNumber(request, 'writeQueueNums') ?? 4;
    for (const [name, value] of [['readQueueNums', readQueueNums], ['writeQueueNums', writeQueueNums]] as const) {
      if (!Number.isInteger(value) || value < 1 || value > MAX_QUEUE_NUMS) return refuse(`${name} must be a whole number from 1 to ${MAX_QUEUE_NUMS}, got ${value}`);
    }
    const perm = extNumber(request, 'perm') ?? 6;
    if (!Number.isInteger(perm) || perm < 0 || perm > 7) return refuse(`perm must be a combination of READ 4, WRITE 2 and INHERIT 1, got ${perm}`);
    const existing = target.topics().selectTopicConfig(topic);
    target.topics().updateTopicConfig({
      topicName: topic,
      readQueueNums,
      writeQueueNums,
      perm,
      topicFilterType: existing?.topicFilterType ?? 'SINGLE_TAG',
      topicSysFlag: extNumber(request, 'topicSysFlag') ?? existing?.topicSysFlag ?? 0,
      order: extBoolean(request, 'order') ?? existing?.order ?? false,
    });
    await target.registered();
    return createResponse(request, ResponseCode.SUCCESS);
  };
}
