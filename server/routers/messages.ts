import { TRPCError } from '@trpc/server';
import { z } from 'zod';
import { viewerProcedure, router } from './trpc';
import { messageLadder, type MessageRecord } from '../live/message-tracker';

/** Per-message records (server/live/message-tracker.ts): one message's durability ladder, and the latest ones. */
export const MessageLookupInputSchema = z.object({
  id: z.string().trim().min(1, 'id must be a UNIQ_KEY (msgId), not empty').max(128, 'id must be at most 128 characters').optional(),
  offsetMsgId: z.string().trim().regex(/^[0-9A-Fa-f]{32}$|^[0-9A-Fa-f]{56}$/, 'offsetMsgId must be 32 hex characters (store IP + port + commit-log offset; 56 for an IPv6 store host)').optional(),
  offset: z.number({ error: 'offset must be a commit-log offset (a number)' }).int('offset must be a whole number').min(0, 'offset must not be negative').optional(),
}).strict().refine((input) => [input.id, input.offsetMsgId, input.offset].filter((v) => v !== undefined).length === 1, {
  message: 'give exactly one of id (UNIQ_KEY), offsetMsgId or offset (commit-log offset)',
  path: ['id'],
});

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
});

