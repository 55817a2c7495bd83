import { TRPCError } from '@trpc/server';
import { drillProcedure, viewerProcedure, noInput, router } from './trpc';
import { SimTraceInputSchema, SimulateInputSchema, SimulationBusyError, SimulationNotFoundError } from '../sim/sim-service';

/** The deterministic simulator (server/sim/): a drill over many seeds, its progress and outcomes, one seed's trace. Simulated, always. */
export const simRouter = router({
  start: drillProcedure.input(SimulateInputSchema).mutation(({ ctx, input }) => {
    try {
      return ctx.simulator.start(input);
    } catch (error) {
      throw new TRPCError({ code: error instanceof SimulationBusyError ? 'CONFLICT' : 'PRECONDITION_FAILED', message: (error as Error).message });
    }
  }),
  cancel: drillProcedure.input(noInput).mutation(({ ctx }) => {
    const result = ctx.simulator.cancel();
    if (!result.cancelled) throw new TRPCError({ code: 'PRECONDITION_FAILED', message: 'no simulation is running' });
    return result;
  }),
  /** the running simulation, else the latest one, or null */
  current: viewerProcedure.input(noInput).query(({ ctx }) => ctx.simulator.current()),
  trace: viewerProcedure.input(SimTraceInputSchema).query(async ({ ctx, input }) => {
    try {
      return await ctx.simulator.trace(input.batchId, input.seed);
    } catch (error) {
      throw new TRPCError({ code: error instanceof SimulationNotFoundError ? 'NOT_FOUND' : 'INTERNAL_SERVER_ERROR', message: (error as Error).message });
    }
  }),
});
