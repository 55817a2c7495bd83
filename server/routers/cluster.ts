/**
 * cluster.*: the topology (server/cluster/topology.ts), the broker replicas, their faults, and the
 * cluster's event log. "The broker" is replica broker-a/0 and "the slave" is broker-a/1, whatever
 * roles they have now (server/control-plane.ts).
 */
import { TRPCError } from '@trpc/server';
import { z } from 'zod';
import { drillProcedure, operatorProcedure, viewerProcedure, noInput, router } from './trpc';
import { ConfirmSchema, requireConfirmation } from './confirm';
import { TopologySchema } from '../cluster/topology';
import type { ControlPlane } from '../control-plane';
import type { BrokerNode } from '../cluster/broker-node';

/** broker-a/1, or a PRECONDITION_FAILED saying the topology runs a master alone. */
function slaveOf(controlPlane: ControlPlane): BrokerNode {
  try {
    return controlPlane.secondReplica;
  } catch (error) {
    throw new TRPCError({ code: 'PRECONDITION_FAILED', message: (error as Error).message });
  }
}

export const LinkFaultInputSchema = z.object({
  direction: z.enum(['upstream', 'downstream', 'both'], { error: 'direction must be upstream (slave → master), downstream (master → slave) or both' }).default('both'),
  latencyMs: z.number({ error: 'latencyMs must be a number of milliseconds' }).int('latencyMs must be a whole number of milliseconds')
    .min(0, 'latencyMs must not be negative').max(60_000, 'latencyMs must be at most 60000 ms').optional(),
  blackhole: z.boolean({ error: 'blackhole must be true or false' }).optional(),
  /** end every open HA connection with a TCP reset */
  reset: z.boolean({ error: 'reset must be true or false' }).optional(),
}).strict();

/** The slave, its HA link (through the fault proxy), promotion and rebuild (server/cluster/broker-group.ts). */
const replicationProcedures = {
  startSlave: operatorProcedure.input(noInput).mutation(async ({ ctx }) => {
    slaveOf(ctx.controlPlane);
    try {
      await ctx.controlPlane.startSlave();
    } catch (error) {
      throw new TRPCError({ code: 'PRECONDITION_FAILED', message: `the slave did not start: ${(error as Error).message}` });
    }
    return ctx.controlPlane.group.view();
  }),
  stopSlave: operatorProcedure.input(noInput).mutation(async ({ ctx }) => {
    slaveOf(ctx.controlPlane);
    await ctx.controlPlane.stopSlave();
    return ctx.controlPlane.group.view();
  }),
  killSlave: drillProcedure.input(noInput).mutation(async ({ ctx }) => {
    if (!slaveOf(ctx.controlPlane).running) throw new TRPCError({ code: 'PRECONDITION_FAILED', message: 'no slave is running' });
    // Answered once the exit is seen: a start right after the answer finds the process gone, not still running.
    await ctx.controlPlane.killSlave();
    return { ok: true };
  }),
  promoteSlave: drillProcedure
    .input(z.object({ brokerRole: z.enum(['SYNC_MASTER', 'ASYNC_MASTER'], { error: 'brokerRole must be SYNC_MASTER or ASYNC_MASTER' }).default('ASYNC_MASTER'), confirm: ConfirmSchema }).strict())
    .mutation(async ({ ctx, input }) => {
      const slave = slaveOf(ctx.controlPlane);
      requireConfirmation(input.confirm, slave.processName);
      try {
        return await ctx.controlPlane.group.promote(slave, input.brokerRole);
      } catch (error) {
        throw new TRPCError({ code: 'PRECONDITION_FAILED', message: (error as Error).message });
      }
    }),
  rebuildSlave: drillProcedure
    .input(z.object({ mode: z.enum(['empty', 'common-prefix'], { error: 'mode must be empty (copy everything) or common-prefix (cut to where both logs agree)' }).default('empty'), confirm: ConfirmSchema }).strict())
    .mutation(async ({ ctx, input }) => {
      const slave = slaveOf(ctx.controlPlane);
      requireConfirmation(input.confirm, slave.processName);
      try {
        return await ctx.controlPlane.group.rebuild(slave, input.mode);
      } catch (error) {
        throw new TRPCError({ code: 'PRECONDITION_FAILED', message: `the slave was not rebuilt: ${(error as Error).message}` });
      }
    }),
  setLinkFault: drillProcedure.input(LinkFaultInputSchema).mutation(({ ctx, input }) => {
    const { direction, ...faults } = input;
    return ctx.controlPlane.group.setLinkFault(direction, faults);
  }),
};

export const IsolateReplicaInputSchema = z.object({
  replica: z.string({ error: 'replica must be a replica name such as broker-a/1' }).regex(/^broker-[a-z]\/[0-9]$/, 'replica must be a replica name such as broker-a/1 (group/id)'),
  isolated: z.boolean({ error: 'isolated must be true (cut it off) or false (heal it)' }),
}).strict();

export const clusterRouter = router({
  /**
   * Controller mode: cut a replica from its peers and the controller, not from its clients, or heal it.
   * Refused while a drill runs (its faults are its own).
   */
  isolateReplica: drillProcedure.input(IsolateReplicaInputSchema).mutation(({ ctx, input }) => {
    const drill = ctx.drillRunner.status();
    if (drill) throw new TRPCError({ code: 'CONFLICT', message: `drill ${drill.drillId} is running: its faults are its own; wait for it or cancel it` });
    try {
      return ctx.controlPlane.isolateReplica(input.replica, input.isolated);
    } catch (error) {
      throw new TRPCError({ code: 'PRECONDITION_FAILED', message: (error as Error).message });
    }
  }),
  state: viewerProcedure.input(noInput).query(({ ctx }) => ctx.controlPlane.state()),
  /**
   * N groups × R replicas: every replica stops cleanly, the groups are rebuilt and start again (stores
   * kept), the shape is saved. Refused while a drill or a simulation runs, and with the reason when
   * this machine cannot run it.
   */
  setTopology: operatorProcedure.input(TopologySchema).mutation(async ({ ctx, input }) => {
    const drill = ctx.drillRunner.status();
    if (drill) throw new TRPCError({ code: 'CONFLICT', message: `drill ${drill.drillId} is running: changing the topology would stop its brokers; wait for it or cancel it` });
    if (ctx.simulator.running()) throw new TRPCError({ code: 'CONFLICT', message: 'a simulation is running: wait for it or cancel it' });
    try {
      await ctx.controlPlane.setTopology(input);
    } catch (error) {
      throw new TRPCError({ code: 'PRECONDITION_FAILED', message: (error as Error).message });
    }
    return ctx.controlPlane.state().topology;
  }),
  events: viewerProcedure
    .input(z.object({ limit: z.number().int('limit must be a whole number').min(1, 'limit must be at least 1').max(500, 'limit must be at most 500').default(50) }).strict().default({ limit: 50 }))
    .query(async ({ ctx, input }) => (await ctx.controlPlane.recentEvents(input.limit)).map((e) => ({ ...e, at: e.at.getTime() }))),
  brokerOutput: viewerProcedure.input(noInput).query(({ ctx }) => ctx.controlPlane.brokerOutput()),
  startBroker: operatorProcedure.input(noInput).mutation(async ({ ctx }) => {
    try {
      await ctx.controlPlane.startBroker();
    } catch (error) {
      throw new TRPCError({ code: 'INTERNAL_SERVER_ERROR', message: `the broker did not start: ${(error as Error).message}` });
    }
    return ctx.controlPlane.state().broker;
  }),
  stopBroker: operatorProcedure.input(noInput).mutation(async ({ ctx }) => {
    await ctx.controlPlane.stopBroker();
    return ctx.controlPlane.state().broker;
  }),
  killBroker: drillProcedure.input(noInput).mutation(async ({ ctx }) => {
    await ctx.controlPlane.killBroker();
    return { ok: true };
  }),
  powerLoss: drillProcedure.input(z.object({ confirm: ConfirmSchema }).strict()).mutation(({ ctx, input }) => {
    requireConfirmation(input.confirm, ctx.controlPlane.state().broker.name);
    if (!ctx.controlPlane.powerLoss()) throw new TRPCError({ code: 'PRECONDITION_FAILED', message: 'the broker is not running' });
    return { ok: true };
  }),
  ...replicationProcedures,
});

