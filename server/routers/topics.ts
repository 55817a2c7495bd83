/** topics.*: the topics of the broker group. */
import { TRPCError } from '@trpc/server';
import { z } from 'zod';
import { operatorProcedure, viewerProcedure, noInput, router } from './trpc';
import { isSystemTopic } from '../../broker/protocol/codes';

export const topicsRouter = router({
  list: viewerProcedure.input(noInput).query(({ ctx }) => ctx.controlPlane.listTopics()),
  create: operatorProcedure.input(z.object({
    topic: z.string().regex(/^[|a-zA-Z0-9_-]{1,127}$/, 'topic must be 1-127 characters of letters, digits, |, _ or -')
      // '%RETRY%…' and '%DLQ%…' already fail the pattern (no '%'): left to it, so the error has one sentence per problem as before
      .refine((t) => t.startsWith('%') || !isSystemTopic(t), 'topic must not be a RocketMQ system topic'),
    queueNums: z.number({ error: 'queueNums must be a number' }).int('queueNums must be a whole number').min(1, 'queueNums must be at least 1').max(64, 'queueNums must be at most 64').default(4),
    perm: z.union([z.literal(2), z.literal(4), z.literal(6)], { error: 'perm must be 2 (write), 4 (read) or 6 (read and write)' }).default(6),
  }).strict()).mutation(async ({ ctx, input }) => {
    try {
      await ctx.controlPlane.createTopic(input);
    } catch (error) {
      throw new TRPCError({ code: 'PRECONDITION_FAILED', message: (error as Error).message });
    }
    return { ok: true };
  }),
});

