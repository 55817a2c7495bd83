/** traffic.* and consumers.*: the test producer and the consumer fleet (child processes). */
import { TRPCError } from '@trpc/server';
import { z } from 'zod';
import { drillProcedure, operatorProcedure, noInput, router } from './trpc';
import { asTrpc } from '../messages/console-errors';
import { publishOne } from '../messages/publish';
import { ACK_MODES } from '../../broker/client/ack-mode';
import { SEND_MODES } from '../../broker/client/send-mode';
import { DEFAULT_CONSUMER_GROUP } from '../traffic/lab-clients';
import { TrafficTargetInputSchema } from '../traffic/traffic-target';

export const TrafficInputSchema = z.object({
  rate: z.number({ error: 'rate must be a number of messages per second' })
    .int('rate must be a whole number of messages per second')
    .min(1, 'rate must be at least 1 msg/s').max(20_000, 'rate must be at most 20000 msg/s').default(200),
  bodySize: z.number({ error: 'bodySize must be a number of bytes' }).int('bodySize must be a whole number of bytes')
    .min(0, 'bodySize must not be negative').max(4 * 1024 * 1024, 'bodySize must be at most 4194304 bytes (maxMessageSize)').default(1024),
  sendMode: z.enum(SEND_MODES, { error: `sendMode must be ${SEND_MODES.join(', ')}` }).default('sync'),
  count: z.number({ error: 'count must be a number' }).int('count must be a whole number').min(0, 'count must not be negative (0 = until stopped)').default(0),
  topic: z.string().regex(/^[%|a-zA-Z0-9_-]{1,127}$/, 'topic must be 1-127 characters of letters, digits, %, |, _ or -').default('TopicTest'),
  keyPattern: z.string({ error: 'keyPattern must be text such as order-{n}' })
    .max(64, 'keyPattern must be at most 64 characters')
    .regex(/^\S*$/, 'keyPattern must not contain spaces (a space separates keys in KEYS)')
    .refine((p) => p === '' || p.includes('{n}'), 'keyPattern must contain {n} (the message number), so every message gets its own key')
    .optional(),
}).strict();

export const PublishInputSchema = z.object({
  topic: z.string({ error: 'topic must be a topic name' }).regex(/^[|a-zA-Z0-9_-]{1,127}$/, 'topic must be 1-127 characters of letters, digits, |, _ or -').default('TopicTest'),
  body: z.string({ error: 'body must be text' }).max(65_536, 'body must be at most 65536 characters').default(''),
  keys: z.string({ error: 'keys must be text' }).trim().max(128, 'keys must be at most 128 characters').optional(),
  tags: z.string({ error: 'tags must be text' }).trim().max(64, 'tags must be at most 64 characters')
    .refine((t) => !t.includes('||') && !/\s/.test(t), 'tags must be one tag, without spaces or ||').optional(),
  queueId: z.number({ error: 'queueId must be a queue number' }).int('queueId must be a whole number').min(0, 'queueId must not be negative').max(1023, 'queueId must be at most 1023').optional(),
}).strict();

export const trafficRouter = router({
  start: operatorProcedure.input(TrafficInputSchema).mutation(async ({ ctx, input }) => {
    try {
      await ctx.controlPlane.startTraffic(input);
    } catch (error) {
      throw new TRPCError({ code: 'PRECONDITION_FAILED', message: (error as Error).message });
    }
    return ctx.controlPlane.state().traffic;
  }),
  stop: operatorProcedure.input(noInput).mutation(async ({ ctx }) => {
    await ctx.controlPlane.stopTraffic();
    return ctx.controlPlane.state().traffic;
  }),
  /**
   * Points the Traffic and Messages pages at an external cluster by its name servers, or back at the
   * embedded one; refused while traffic or consumers run, or when no name server answers.
   */
  setTarget: operatorProcedure.input(TrafficTargetInputSchema).mutation(async ({ ctx, input }) => {
    try {
      const listed = await ctx.controlPlane.setTrafficTarget(input);
      return { target: ctx.controlPlane.state().target, listed };
    } catch (error) {
      throw new TRPCError({ code: 'PRECONDITION_FAILED', message: (error as Error).message });
    }
  }),
  /** One message through the console's real producer (SEND_MESSAGE_V2); the SendResult comes back. */
  publish: operatorProcedure.input(PublishInputSchema).mutation(({ ctx, input }) => asTrpc(() => publishOne(ctx.controlPlane, ctx.messageConsole, input))),
});

export const ConsumersInputSchema = z.object({
  count: z.number({ error: 'count must be a number of consumer processes' }).int('count must be a whole number')
    .min(1, 'count must be at least 1 consumer').max(8, 'count must be at most 8 consumers').default(2),
  ackMode: z.enum(ACK_MODES, { error: `ackMode must be ${ACK_MODES.join(' or ')}` }).default('after-processing'),
  idempotent: z.boolean({ error: 'idempotent must be true or false' }).default(false),
  processingMs: z.number({ error: 'processingMs must be a number of milliseconds' }).int('processingMs must be a whole number')
    .min(0, 'processingMs must not be negative').max(60_000, 'processingMs must be at most 60000 ms').default(5),
  failRate: z.number({ error: 'failRate must be a number between 0 and 1' }).min(0, 'failRate must be at least 0').max(1, 'failRate must be at most 1').default(0),
  topic: z.string().regex(/^[%|a-zA-Z0-9_-]{1,127}$/, 'topic must be 1-127 characters of letters, digits, %, |, _ or -').default('TopicTest'),
  consumerGroup: z.string().regex(/^[%|a-zA-Z0-9_-]{1,120}$/, 'consumerGroup must be 1-120 characters of letters, digits, %, |, _ or -').default(DEFAULT_CONSUMER_GROUP),
}).strict();

const consumerIndex = z.object({
  index: z.number({ error: 'index must be a consumer number' }).int('index must be a whole number').min(0, 'index must not be negative').max(7, 'index must be at most 7'),
}).strict();

export const consumersRouter = router({
  start: operatorProcedure.input(ConsumersInputSchema).mutation(async ({ ctx, input }) => {
    await ctx.controlPlane.startConsumers(input);
    return ctx.controlPlane.state().consumers;
  }),
  stop: operatorProcedure.input(noInput).mutation(async ({ ctx }) => {
    await ctx.controlPlane.stopConsumers();
    return ctx.controlPlane.state().consumers;
  }),
  kill: drillProcedure.input(consumerIndex).mutation(({ ctx, input }) => {
    if (!ctx.controlPlane.killConsumer(input.index)) throw new TRPCError({ code: 'PRECONDITION_FAILED', message: `consumer ${input.index + 1} is not running` });
    return { ok: true };
  }),
  restart: operatorProcedure.input(consumerIndex).mutation(({ ctx, input }) => {
    if (!ctx.controlPlane.restartConsumer(input.index)) throw new TRPCError({ code: 'PRECONDITION_FAILED', message: `consumer ${input.index + 1} does not exist or is still running` });
    return { ok: true };
  }),
});

