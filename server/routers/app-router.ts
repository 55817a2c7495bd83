/** The API: one router per domain noun, combined here. */
import { TRPCError } from '@trpc/server';
import { z } from 'zod';
import { BrokerSettingsPatchSchema, describeSettingsError, settingInfo, defaultSettings } from '../../broker/config/broker-config';
import { parseBrokerConf, toBrokerConf } from '../../broker/config/properties';
import { createCallerFactory, publicProcedure, router } from './trpc';
import { DrillCancelInputSchema, DrillGetInputSchema, DrillHistoryInputSchema, DrillRunInputSchema } from '../drills/types';
import { DrillBusyError, drillRunnerFor } from '../drills/drill-runner';
import { messageLadder, type MessageRecord } from '../live/message-tracker';

/** A settings combination the schema refuses is the caller's mistake (400); a broker that refuses is a server-side failure. */
function badSettings(error: unknown): TRPCError {
  if (error instanceof z.ZodError) return new TRPCError({ code: 'BAD_REQUEST', message: describeSettingsError(error), cause: error });
  return new TRPCError({ code: 'INTERNAL_SERVER_ERROR', message: (error as Error).message, cause: error });
}

const settingsRouter = router({
  /** A RocketMQ broker.conf: known keys are validated and applied, unknown ones reported back. */
  importConf: publicProcedure
    .input(z.object({ text: z.string({ error: 'text must be the broker.conf content' }).max(200_000, 'text must be at most 200000 characters') }).strict())
    .mutation(async ({ ctx, input }) => {
      let parsed: ReturnType<typeof parseBrokerConf>;
      try {
        parsed = parseBrokerConf(input.text);
      } catch (error) {
        throw badSettings(error);
      }
      const { patch, ignoredKeys } = parsed;
      try {
        const settings = await ctx.controlPlane.updateSettings(patch);
        return { settings, applied: Object.keys(patch), ignoredKeys };
      } catch (error) {
        throw badSettings(error);
      }
    }),
  /** The current settings as broker.conf text (RocketMQ's key names). */
  exportConf: publicProcedure.query(({ ctx }) => toBrokerConf(ctx.controlPlane.settings.get())),
  get: publicProcedure.query(({ ctx }) => ({
    settings: ctx.controlPlane.settings.get(),
    defaults: defaultSettings(),
    info: settingInfo,
  })),
  update: publicProcedure.input(BrokerSettingsPatchSchema).mutation(async ({ ctx, input }) => {
    if (input.brokerRole === 'SLAVE') {
      // The group's settings are the master's; the slave process has its own role.
      throw new TRPCError({ code: 'BAD_REQUEST', message: 'brokerRole: SLAVE is the slave process\'s role, not a setting of the master; start a slave with cluster.startSlave' });
    }
    try {
      return await ctx.controlPlane.updateSettings(input);
    } catch (error) {
      if (error instanceof z.ZodError) throw error;
      throw new TRPCError({ code: 'INTERNAL_SERVER_ERROR', message: (error as Error).message, cause: error });
    }
  }),
});

export const TrafficInputSchema = z.object({
  rate: z.number({ error: 'rate must be a number of messages per second' })
    .int('rate must be a whole number of messages per second')
    .min(1, 'rate must be at least 1 msg/s').max(20_000, 'rate must be at most 20000 msg/s').default(200),
  bodySize: z.number({ error: 'bodySize must be a number of bytes' }).int('bodySize must be a whole number of bytes')
    .min(0, 'bodySize must not be negative').max(4 * 1024 * 1024, 'bodySize must be at most 4194304 bytes (maxMessageSize)').default(1024),
  sendMode: z.enum(['sync', 'async', 'async-unchecked', 'oneway'], { error: 'sendMode must be sync, async, async-unchecked or oneway' }).default('sync'),
  count: z.number({ error: 'count must be a number' }).int('count must be a whole number').min(0, 'count must not be negative (0 = until stopped)').default(0),
  topic: z.string().regex(/^[%|a-zA-Z0-9_-]{1,127}$/, 'topic must be 1-127 characters of letters, digits, %, |, _ or -').default('TopicTest'),
}).strict();

const trafficRouter = router({
  start: publicProcedure.input(TrafficInputSchema).mutation(async ({ ctx, input }) => {
    try {
      await ctx.controlPlane.startTraffic(input);
    } catch (error) {
      throw new TRPCError({ code: 'PRECONDITION_FAILED', message: (error as Error).message });
    }
    return ctx.controlPlane.state().traffic;
  }),
  stop: publicProcedure.mutation(async ({ ctx }) => {
    await ctx.controlPlane.stopTraffic();
    return ctx.controlPlane.state().traffic;
  }),
});

export const ConsumersInputSchema = z.object({
  count: z.number({ error: 'count must be a number of consumer processes' }).int('count must be a whole number')
    .min(1, 'count must be at least 1 consumer').max(8, 'count must be at most 8 consumers').default(2),
  ackMode: z.enum(['after-processing', 'before-processing'], { error: 'ackMode must be after-processing or before-processing' }).default('after-processing'),
  idempotent: z.boolean({ error: 'idempotent must be true or false' }).default(false),
  processingMs: z.number({ error: 'processingMs must be a number of milliseconds' }).int('processingMs must be a whole number')
    .min(0, 'processingMs must not be negative').max(60_000, 'processingMs must be at most 60000 ms').default(5),
  failRate: z.number({ error: 'failRate must be a number between 0 and 1' }).min(0, 'failRate must be at least 0').max(1, 'failRate must be at most 1').default(0),
  topic: z.string().regex(/^[%|a-zA-Z0-9_-]{1,127}$/, 'topic must be 1-127 characters of letters, digits, %, |, _ or -').default('TopicTest'),
  consumerGroup: z.string().regex(/^[%|a-zA-Z0-9_-]{1,120}$/, 'consumerGroup must be 1-120 characters of letters, digits, %, |, _ or -').default('zeroloss-consumer'),
}).strict();

const consumerIndex = z.object({
  index: z.number({ error: 'index must be a consumer number' }).int('index must be a whole number').min(0, 'index must not be negative').max(7, 'index must be at most 7'),
}).strict();

const consumersRouter = router({
  start: publicProcedure.input(ConsumersInputSchema).mutation(async ({ ctx, input }) => {
    await ctx.controlPlane.startConsumers(input);
    return ctx.controlPlane.state().consumers;
  }),
  stop: publicProcedure.mutation(async ({ ctx }) => {
    await ctx.controlPlane.stopConsumers();
    return ctx.controlPlane.state().consumers;
  }),
  kill: publicProcedure.input(consumerIndex).mutation(({ ctx, input }) => {
    if (!ctx.controlPlane.killConsumer(input.index)) throw new TRPCError({ code: 'PRECONDITION_FAILED', message: `consumer ${input.index + 1} is not running` });
    return { ok: true };
  }),
  restart: publicProcedure.input(consumerIndex).mutation(({ ctx, input }) => {
    if (!ctx.controlPlane.restartConsumer(input.index)) throw new TRPCError({ code: 'PRECONDITION_FAILED', message: `consumer ${input.index + 1} does not exist or is still running` });
    return { ok: true };
  }),
});

export const LinkFaultInputSchema = z.object({
  direction: z.enum(['upstream', 'downstream', 'both'], { error: 'direction must be upstream (slave → master), downstream (master → slave) or both' }).default('both'),
  latencyMs: z.number({ error: 'latencyMs must be a number of milliseconds' }).int('latencyMs must be a whole number of milliseconds')
    .min(0, 'latencyMs must not be negative').max(60_000, 'latencyMs must be at most 60000 ms').optional(),
  blackhole: z.boolean({ error: 'blackhole must be true or false' }).optional(),
  /** end every open HA connection with a TCP reset */
  reset: z.boolean({ error: 'reset must be true or false' }).optional(),
}).strict();

/** The slave, its HA link (through the fault proxy), promotion and rebuild (server/cluster/slave-node.ts). */
const replicationProcedures = {
  startSlave: publicProcedure.mutation(async ({ ctx }) => {
    try {
      await ctx.controlPlane.slaveNode.start();
    } catch (error) {
      throw new TRPCError({ code: 'PRECONDITION_FAILED', message: `the slave did not start: ${(error as Error).message}` });
    }
    return ctx.controlPlane.slaveNode.view();
  }),
  stopSlave: publicProcedure.mutation(async ({ ctx }) => {
    await ctx.controlPlane.slaveNode.stop();
    return ctx.controlPlane.slaveNode.view();
  }),
  killSlave: publicProcedure.mutation(({ ctx }) => {
    if (!ctx.controlPlane.slaveNode.running) throw new TRPCError({ code: 'PRECONDITION_FAILED', message: 'no slave is running' });
    ctx.controlPlane.slaveNode.kill();
    return { ok: true };
  }),
  promoteSlave: publicProcedure
    .input(z.object({ brokerRole: z.enum(['SYNC_MASTER', 'ASYNC_MASTER'], { error: 'brokerRole must be SYNC_MASTER or ASYNC_MASTER' }).default('ASYNC_MASTER') }).strict().default({ brokerRole: 'ASYNC_MASTER' }))
    .mutation(async ({ ctx, input }) => {
      try {
        return await ctx.controlPlane.slaveNode.promote(input.brokerRole);
      } catch (error) {
        throw new TRPCError({ code: 'PRECONDITION_FAILED', message: (error as Error).message });
      }
    }),
  rebuildSlave: publicProcedure
    .input(z.object({ mode: z.enum(['empty', 'common-prefix'], { error: 'mode must be empty (copy everything) or common-prefix (cut to the last promotion offset)' }).default('empty') }).strict().default({ mode: 'empty' }))
    .mutation(async ({ ctx, input }) => {
      try {
        return await ctx.controlPlane.slaveNode.rebuild(input.mode);
      } catch (error) {
        throw new TRPCError({ code: 'PRECONDITION_FAILED', message: `the slave was not rebuilt: ${(error as Error).message}` });
      }
    }),
  setLinkFault: publicProcedure.input(LinkFaultInputSchema).mutation(({ ctx, input }) => {
    const { direction, ...faults } = input;
    return ctx.controlPlane.slaveNode.setLinkFault(direction, faults);
  }),
};

const topicsRouter = router({
  list: publicProcedure.query(({ ctx }) => ctx.controlPlane.listTopics()),
  create: publicProcedure.input(z.object({
    topic: z.string().regex(/^[|a-zA-Z0-9_-]{1,127}$/, 'topic must be 1-127 characters of letters, digits, |, _ or -')
      .refine((t) => !t.startsWith('RMQ_SYS_') && t !== 'SCHEDULE_TOPIC_XXXX', 'topic must not be a RocketMQ system topic'),
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

const clusterRouter = router({
  state: publicProcedure.query(({ ctx }) => ctx.controlPlane.state()),
  events: publicProcedure
    .input(z.object({ limit: z.number().int('limit must be a whole number').min(1, 'limit must be at least 1').max(500, 'limit must be at most 500').default(50) }).strict().default({ limit: 50 }))
    .query(async ({ ctx, input }) => (await ctx.controlPlane.recentEvents(input.limit)).map((e) => ({ ...e, at: e.at.getTime() }))),
  brokerOutput: publicProcedure.query(({ ctx }) => ctx.controlPlane.brokerOutput()),
  startBroker: publicProcedure.mutation(async ({ ctx }) => {
    try {
      await ctx.controlPlane.startBroker();
    } catch (error) {
      throw new TRPCError({ code: 'INTERNAL_SERVER_ERROR', message: `the broker did not start: ${(error as Error).message}` });
    }
    return ctx.controlPlane.state().broker;
  }),
  stopBroker: publicProcedure.mutation(async ({ ctx }) => {
    await ctx.controlPlane.stopBroker();
    return ctx.controlPlane.state().broker;
  }),
  killBroker: publicProcedure.mutation(({ ctx }) => {
    ctx.controlPlane.killBroker();
    return { ok: true };
  }),
  powerLoss: publicProcedure.mutation(({ ctx }) => {
    if (!ctx.controlPlane.powerLoss()) throw new TRPCError({ code: 'PRECONDITION_FAILED', message: 'the broker is not running' });
    return { ok: true };
  }),
  ...replicationProcedures,
});

/** Crash drills (server/drills/): the catalog, one run at a time, its live status, the recorded runs. */
const drillsRouter = router({
  catalog: publicProcedure.query(({ ctx }) => drillRunnerFor(ctx.controlPlane).catalog()),
  run: publicProcedure.input(DrillRunInputSchema).mutation(async ({ ctx, input }) => {
    try {
      return await drillRunnerFor(ctx.controlPlane).run(input);
    } catch (error) {
      throw new TRPCError({ code: error instanceof DrillBusyError ? 'CONFLICT' : 'PRECONDITION_FAILED', message: (error as Error).message });
    }
  }),
  status: publicProcedure.query(({ ctx }) => drillRunnerFor(ctx.controlPlane).status()),
  cancel: publicProcedure.input(DrillCancelInputSchema).mutation(({ ctx, input }) => {
    const result = drillRunnerFor(ctx.controlPlane).cancel(input.runId);
    if (!result.cancelled) throw new TRPCError({ code: 'PRECONDITION_FAILED', message: input.runId ? `drill run ${input.runId} is not running` : 'no drill is running' });
    return result;
  }),
  history: publicProcedure.input(DrillHistoryInputSchema.default({ limit: 20 })).query(({ ctx, input }) => drillRunnerFor(ctx.controlPlane).history(input)),
  get: publicProcedure.input(DrillGetInputSchema).query(async ({ ctx, input }) => {
    const run = await drillRunnerFor(ctx.controlPlane).get(input);
    if (!run) throw new TRPCError({ code: 'NOT_FOUND', message: `runId: no drill run ${input.runId} is recorded` });
    return run;
  }),
});

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

const messagesRouter = router({
  lookup: publicProcedure.input(MessageLookupInputSchema).query(({ ctx, input }) => {
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
  recent: publicProcedure
    .input(z.object({
      limit: z.number({ error: 'limit must be a number of messages' }).int('limit must be a whole number').min(1, 'limit must be at least 1').max(500, 'limit must be at most 500').default(50),
      filter: z.enum(['all', 'lost', 'not-consumed', 'dlq'], { error: 'filter must be all, lost, not-consumed or dlq' }).default('all'),
    }).strict().default({ limit: 50, filter: 'all' }))
    .query(({ ctx, input }) => ({
      tracked: ctx.controlPlane.messages.size,
      messages: ctx.controlPlane.messages.recent(input.limit, input.filter).map(withLadder),
    })),
});

export const appRouter = router({
  settings: settingsRouter,
  traffic: trafficRouter,
  consumers: consumersRouter,
  topics: topicsRouter,
  cluster: clusterRouter,
  drills: drillsRouter,
  messages: messagesRouter,
});

export type AppRouter = typeof appRouter;
export const createCaller = createCallerFactory(appRouter);
