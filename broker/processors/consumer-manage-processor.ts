/**
 * Consumer offsets and groups: B/processor/ConsumerManageProcessor.java, plus the offset
 * look-ups of AdminBrokerProcessor (GET_MAX_OFFSET, GET_MIN_OFFSET, SEARCH_OFFSET_BY_TIMESTAMP).
 */
import { ResponseCode } from '../protocol/codes.js';
import { createResponse, extNumber, extString, type RemotingCommand } from '../protocol/remoting-command.js';
import type { ClientRegistry } from '../client-registry.js';
import type { DefaultMessageStore } from '../store/message-store.js';

export interface ConsumerManageTarget {
  store: DefaultMessageStore;
  registry: ClientRegistry;
}

type Processor = (request: RemotingCommand) => RemotingCommand;

function queueHeader(request: RemotingCommand): { topic: string; queueId: number } | string {
  const topic = extString(request, 'topic');
  const queueId = extNumber(request, 'queueId');
  if (!topic) return 'topic is missing';
  if (queueId === undefined || !Number.isInteger(queueId) || queueId < 0) return 'queueId is missing or not a non-negative integer';
  return { topic, queueId };
}

export function createConsumerManageProcessors(target: ConsumerManageTarget): Record<'consumerList' | 'queryOffset' | 'updateOffset' | 'maxOffset' | 'minOffset' | 'searchOffset', Processor> {
  const { store, registry } = target;
  return {
    /** GET_CONSUMER_LIST_BY_GROUP (38) */
    consumerList(request) {
      const group = extString(request, 'consumerGroup') ?? '';
      const ids = registry.consumerIds(group);
      if (ids.length === 0) return createResponse(request, ResponseCode.SYSTEM_ERROR, { remark: `no consumer for this group, ${group}` });
      return createResponse(request, ResponseCode.SUCCESS, { body: Buffer.from(JSON.stringify({ consumerIdList: ids })) });
    },

    /**
     * QUERY_CONSUMER_OFFSET (14). A group with no committed offset starts at 0 when the queue still
     * holds message 0 (or is empty), as Java's broker answers; otherwise QUERY_NOT_FOUND and the
     * client applies consumeFromWhere.
     */
    queryOffset(request) {
      const q = queueHeader(request);
      const group = extString(request, 'consumerGroup');
      if (typeof q === 'string' || !group) return createResponse(request, ResponseCode.SYSTEM_ERROR, { remark: typeof q === 'string' ? q : 'consumerGroup is missing' });
      const offset = store.consumerOffsets.queryOffset(group, q.topic, q.queueId);
      if (offset >= 0) return createResponse(request, ResponseCode.SUCCESS, { extFields: { offset } });
      if (store.getMinOffsetInQueue(q.topic, q.queueId) <= 0) return createResponse(request, ResponseCode.SUCCESS, { extFields: { offset: 0 } });
      return createResponse(request, ResponseCode.QUERY_NOT_FOUND, { remark: 'Not found, V3_0_6_SNAPSHOT maybe this group consumer boot first' });
    },

    /** UPDATE_CONSUMER_OFFSET (15). A negative commit (ali-ons writes -1 for "none") is ignored. */
    updateOffset(request) {
      const q = queueHeader(request);
      const group = extString(request, 'consumerGroup');
      const commitOffset = extNumber(request, 'commitOffset');
      if (typeof q === 'string' || !group || commitOffset === undefined) {
        return createResponse(request, ResponseCode.SYSTEM_ERROR, { remark: typeof q === 'string' ? q : 'consumerGroup and commitOffset are required' });
      }
      if (commitOffset >= 0) store.consumerOffsets.commitOffset(group, q.topic, q.queueId, commitOffset);
      return createResponse(request, ResponseCode.SUCCESS);
    },

    /** GET_MAX_OFFSET (30) */
    maxOffset(request) {
      const q = queueHeader(request);
      if (typeof q === 'string') return createResponse(request, ResponseCode.SYSTEM_ERROR, { remark: q });
      return createResponse(request, ResponseCode.SUCCESS, { extFields: { offset: store.getMaxOffsetInQueue(q.topic, q.queueId) } });
    },

    /** GET_MIN_OFFSET (31) */
    minOffset(request) {
      const q = queueHeader(request);
      if (typeof q === 'string') return createResponse(request, ResponseCode.SYSTEM_ERROR, { remark: q });
      return createResponse(request, ResponseCode.SUCCESS, { extFields: { offset: Math.max(0, store.getMinOffsetInQueue(q.topic, q.queueId)) } });
    },

    /** SEARCH_OFFSET_BY_TIMESTAMP (29): the first queue offset stored at or after `timestamp`. */
    searchOffset(request) {
      const q = queueHeader(request);
      const timestamp = extNumber(request, 'timestamp');
      if (typeof q === 'string' || timestamp === undefined) return createResponse(request, ResponseCode.SYSTEM_ERROR, { remark: typeof q === 'string' ? q : 'timestamp is missing' });
      let lo = Math.max(0, store.getMinOffsetInQueue(q.topic, q.queueId));
      let hi = store.getMaxOffsetInQueue(q.topic, q.queueId);
      while (lo < hi) {
        const mid = Math.floor((lo + hi) / 2);
        const message = store.lookMessageByOffset(store.getCommitLogOffsetInQueue(q.topic, q.queueId, mid));
        if (message && message.storeTimestamp < timestamp) lo = mid + 1;
        else hi = mid;
      }
      return createResponse(request, ResponseCode.SUCCESS, { extFields: { offset: lo } });
    },
  };
}
