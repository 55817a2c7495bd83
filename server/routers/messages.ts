import { TRPCError } from '@trpc/server';
import { z } from 'zod';
import { operatorProcedure, viewerProcedure, noInput, router } from './trpc';
import { messageLadder, type MessageRecord } from '../live/message-tracker';
import { asTrpc } from '../messages/console-errors';
import { dlqMessages, listDlqTopics, resendFromDlq } from '../messages/dlq';
import { searchByKey } from '../messages/key-search';
import { browseQueue, BROWSE_LIMIT_MAX } from '../messages/queue-browser';
import { DLQ_GROUP_TOPIC_PREFIX } from '../../broker/protocol/codes';

/** Per-message records (server/live/message-tracker.ts): one message's durability ladder, and the latest ones. */
export const MessageLookupInputSchema = z.object({
  id: z.string().trim().min(1, 'id must be a UNIQ_KEY (msgId), not empty').max(128, 'id must be at most 128 characters').optional(),
  offsetMsgId: z.string().trim().regex(/^[0-9A-Fa-f]{32}$|^[0-9A-Fa-f]{56}$/, 'offsetMsgId must be 32 hex characters (store IP + port + commit-log offset; 56 for an IPv6 store host)').optional(),
  offset: z.number({ error: 'offset must be a commit-log offset (a number)' }).int('offset must be a whole number').min(0, 'offset must not be negative').optional(),
}).strict().refine((input) => [input.id, input.offsetMsgId, input.offset].filter((v) => v !== undefined).length === 1, {
  message: 'give exactly one of id (UNIQ_KEY), offsetMsgId or offset (commit-log offset)',
  path: ['id'],
});

const topicField = (what = 'topic') => z.string({ error: `${what} must be a topic name` })
  .regex(/^[%|a-zA-Z0-9_-]{1,127}$/, `${what} must be 1-127 characters of letters, digits, %, |, _ or -`);
const queueIdField = z.number({ error: 'queueId must be a queue number' }).int('queueId must be a whole number')
  .min(0, 'queueId must not be negative').max(1023, 'queueId must be at most 1023');
const startOffsetField = z.number({ error: 'startOffset must be a queue offset (a number)' }).int('startOffset must be a whole number')
  .min(0, 'startOffset must not be negative').optional();
const limitField = (fallback: number) => z.number({ error: 'limit must be a number of messages' }).int('limit must be a whole number')
  .min(1, 'limit must be at least 1').max(BROWSE_LIMIT_MAX, `limit must be at most ${BROWSE_LIMIT_MAX}`).default(fallback);
const dlqTopicField = topicField().refine((t) => t.startsWith(DLQ_GROUP_TOPIC_PREFIX), `topic must be a dead-letter queue: ${DLQ_GROUP_TOPIC_PREFIX}<consumerGroup>`);

export const KeyLookupInputSchema = z.object({
  key: z.string({ error: 'key must be a message key (KEYS)' }).trim().min(1, 'key must not be empty')
    .max(128, 'key must be at most 128 characters').regex(/^\S+$/, 'key must be one key, without spaces (a space separates keys in KEYS)'),
}).strict();

export const BrowseInputSchema = z.object({ topic: topicField(), queueId: queueIdField, startOffset: startOffsetField, limit: limitField(20) }).strict();

export const DlqMessagesInputSchema = z.object({ topic: dlqTopicField, queueId: queueIdField.default(0), startOffset: startOffsetField, limit: limitField(50) }).strict();

export const ResendInputSchema = z.object({
  topic: dlqTopicField,
  queueId: queueIdField.default(0),
  queueOffsets: z.array(z.number({ error: 'queueOffsets must hold queue offsets (numbers)' }).int('queueOffsets must hold whole numbers').min(0, 'queueOffsets must not hold negative numbers'), { error: 'queueOffsets must be a list of queue offsets' })
    .min(1, 'queueOffsets must name at least one message').max(32, 'queueOffsets must name at most 32 messages at once')
    .refine((offsets) => new Set(offsets).size === offsets.length, 'queueOffsets must not name a message twice'),
}).strict();

/** The queue counts of a topic the name server routes, or a readable NOT_FOUND naming the field. */
function queueNumsOf(topics: { topic: string; brokers: { readQueueNums: number }[] }[], topic: string): number {
  const route = topics.find((t) => t.topic === topic);
  if (!route) throw new TRPCError({ code: 'NOT_FOUND', message: `topic: no topic ${topic} on the name server (create it on the Topics page)` });
  return route.brokers[0]?.readQueueNums ?? 0;
}

const withLadder = (record: MessageRecord) => ({ ...record, ladder: messageLadder(record) });

export const messagesRouter = router({
  lookup: viewerProcedure.input(MessageLookupInputSchema).query(({ ctx, input }) => {
    const tracker = ctx.controlPlane.messages;
    const record = input.id !== undefined ? tracker.get(input.id)
      : input.offsetMsgId !== undefined ? tracker.byOffsetMessageId(input.offsetMsgId)
        : tracker.byCommitLogOffset(input.offset!);
    if (!record) {
      const what = input.id !== undefined ? `id: no message with UNIQ_KEY ${input.id}`
        : input.offsetMsgId !== undefined ? `offsetMsgId: no message with offsetMsgId ${input.offsetMsgId}`
          : `offset: no message stored at commit-log offset ${input.offset}`;
      throw new TRPCError({ code: 'NOT_FOUND', message: `${what} is tracked (the lab keeps the last ${tracker.capacityLimit} messages it saw since the server started)` });
    }
    return withLadder(record);
  }),
  recent: viewerProcedure
    .input(z.object({
      limit: z.number({ error: 'limit must be a number of messages' }).int('limit must be a whole number').min(1, 'limit must be at least 1').max(500, 'limit must be at most 500').default(50),
      filter: z.enum(['all', 'lost', 'not-consumed', 'dlq'], { error: 'filter must be all, lost, not-consumed or dlq' }).default('all'),
    }).strict().default({ limit: 50, filter: 'all' }))
    .query(({ ctx, input }) => ({
      tracked: ctx.controlPlane.messages.size,
      messages: ctx.controlPlane.messages.recent(input.limit, input.filter).map(withLadder),
    })),
  byKey: viewerProcedure.input(KeyLookupInputSchema).query(({ ctx, input }) => asTrpc(async () => {
    // With the broker down only the lab's key index answers (scanSkipped says why).
    return searchByKey(ctx.controlPlane, ctx.messageConsole, input.key);
  })),
  browse: viewerProcedure.input(BrowseInputSchema).query(({ ctx, input }) => asTrpc(async () => {
    const plane = ctx.controlPlane;
    ctx.messageConsole.assertBrokerUp('read the queue');
    const queueNums = queueNumsOf(plane.listTopics(), input.topic);
    return browseQueue(ctx.messageConsole, queueNums, input, (id) => plane.messages.get(id) !== undefined);
  })),
  dlqTopics: viewerProcedure.input(noInput).query(({ ctx }) => asTrpc(async () => {
    ctx.messageConsole.assertBrokerUp('list the dead-letter queues');
    return listDlqTopics(ctx.controlPlane, ctx.messageConsole);
  })),
  dlqMessages: viewerProcedure.input(DlqMessagesInputSchema).query(({ ctx, input }) => asTrpc(async () => {
    ctx.messageConsole.assertBrokerUp('read the dead-letter queue');
    return dlqMessages(ctx.controlPlane, ctx.messageConsole, input);
  })),
  resend: operatorProcedure.input(ResendInputSchema).mutation(({ ctx, input }) => asTrpc(async () => {
    ctx.messageConsole.assertBrokerUp('resend');
    queueNumsOf(ctx.controlPlane.listTopics(), input.topic);
    return resendFromDlq(ctx.messageConsole, input);
  })),
});
