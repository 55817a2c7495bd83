import { TRPCError } from '@trpc/server';
import { drillProcedure, viewerProcedure, noInput, router } from './trpc';
import { DrillCancelInputSchema, DrillGetInputSchema, DrillHistoryInputSchema, DrillRerunInputSchema, DrillRunInputSchema } from '../drills/types';
import { DrillBusyError, DrillNotFoundError } from '../drills/drill-runner';
import type { SimulationService } from '../sim/sim-service';

/** A real drill must not share the CPU with the simulator: its timing would be the simulator's doing. */
function refuseWhileSimulating(simulator: SimulationService): void {
  if (simulator.running()) {
    throw new TRPCError({ code: 'CONFLICT', message: 'a simulation is running: a drill now would share the CPU with it and change its timing; wait for the simulation or cancel it' });
  }
}

/** Crash drills (server/drills/): the catalog, one run at a time, its live status, the recorded runs. */
export const drillsRouter = router({
  catalog: viewerProcedure.input(noInput).query(({ ctx }) => ctx.drillRunner.catalog()),
  run: drillProcedure.input(DrillRunInputSchema).mutation(async ({ ctx, input }) => {
    refuseWhileSimulating(ctx.simulator);
    try {
      return await ctx.drillRunner.run(input);
    } catch (error) {
      throw new TRPCError({ code: error instanceof DrillBusyError ? 'CONFLICT' : 'PRECONDITION_FAILED', message: (error as Error).message });
    }
  }),
  /** The same drill, seed and timing as a recorded run, under other settings; the two runs link to each other. */
  rerun: drillProcedure.input(DrillRerunInputSchema).mutation(async ({ ctx, input }) => {
    refuseWhileSimulating(ctx.simulator);
    try {
      return await ctx.drillRunner.rerun(input);
    } catch (error) {
      const code = error instanceof DrillBusyError ? 'CONFLICT' : error instanceof DrillNotFoundError ? 'NOT_FOUND' : 'PRECONDITION_FAILED';
      throw new TRPCError({ code, message: (error as Error).message });
    }
  }),
  status: viewerProcedure.input(noInput).query(({ ctx }) => ctx.drillRunner.status()),
  cancel: drillProcedure.input(DrillCancelInputSchema).mutation(({ ctx, input }) => {
    const result = ctx.drillRunner.cancel(input.runId);
    if (!result.cancelled) throw new TRPCError({ code: 'PRECONDITION_FAILED', message: input.runId ? `drill run ${input.runId} is not running` : 'no drill is running' });
    return result;
  }),
  history: viewerProcedure.input(DrillHistoryInputSchema.default({ limit: 20 })).query(({ ctx, input }) => ctx.drillRunner.history(input)),
  get: viewerProcedure.input(DrillGetInputSchema).query(async ({ ctx, input }) => {
    const run = await ctx.drillRunner.get(input);
    if (!run) throw new TRPCError({ code: 'NOT_FOUND', message: `runId: no drill run ${input.runId} is recorded` });
    return run;
  }),
});

