import { TRPCError } from '@trpc/server';
import { adminProcedure, drillProcedure, viewerProcedure, noInput, router } from './trpc';
import { credentialsOf } from '../external/acl-account';
import { ExternalDescribeInputSchema, ExternalInputError, ExternalRunInputSchema, ExternalSaveExecutorInputSchema, ExternalTargetBusyError, ExternalTargetInputSchema, type ExternalRunInput, type ExternalTargetService } from '../external/external-service';

/**
 * External targets (server/external/): read a RocketMQ cluster Zeroloss did not start, and drill it
 * through a fault executor. Reading it (the control plane connects to the addresses given) needs the
 * drill role; running a drill needs admin, because a `command` executor runs shell commands on the
 * control plane's machine. A dry run, which runs nothing, needs the drill role.
 */
export const externalRouter = router({
  describe: drillProcedure.input(ExternalDescribeInputSchema).mutation(async ({ ctx, input }) => {
    try {
      return await ctx.external.describe(input.namesrvAddr, credentialsOf(input));
    } catch (error) {
      throw new TRPCError({ code: 'PRECONDITION_FAILED', message: (error as Error).message });
    }
  }),
  dryRun: drillProcedure.input(ExternalRunInputSchema).mutation(({ ctx, input }) => start(ctx.external, { ...input, dryRun: true })),
  run: adminProcedure.input(ExternalRunInputSchema).mutation(({ ctx, input }) => {
    if (ctx.drillRunner.status()) throw new TRPCError({ code: 'CONFLICT', message: 'a drill is running on the embedded cluster: wait for it or cancel it' });
    return start(ctx.external, { ...input, dryRun: false });
  }),
  /** The fault executor saved for a target (its file, as --executors takes it), or null. */
  savedExecutor: drillProcedure.input(ExternalTargetInputSchema).query(({ ctx, input }) => ctx.external.savedExecutor(input.namesrvAddr)),
  /** Admin: the executor's commands run on this machine at the next run. Refused, and nothing written, unless it parses. */
  saveExecutor: adminProcedure.input(ExternalSaveExecutorInputSchema).mutation(({ ctx, input }) => refusalsAsErrors(() => ctx.external.saveExecutor(input.namesrvAddr, input.executor))),
  status: viewerProcedure.input(noInput).query(({ ctx }) => ctx.external.status()),
  cancel: adminProcedure.input(noInput).mutation(({ ctx }) => {
    if (!ctx.external.cancel()) throw new TRPCError({ code: 'PRECONDITION_FAILED', message: 'no external run is running' });
    return { cancelled: true };
  }),
});

function start(service: ExternalTargetService, input: ExternalRunInput) {
  return refusalsAsErrors(() => service.start(input));
}

/** The service's refusals as tRPC errors: busy is CONFLICT, bad input BAD_REQUEST (its message names the field). */
function refusalsAsErrors<T>(call: () => T): T {
  try {
    return call();
  } catch (error) {
    if (error instanceof ExternalTargetBusyError) throw new TRPCError({ code: 'CONFLICT', message: error.message });
    if (error instanceof ExternalInputError) throw new TRPCError({ code: 'BAD_REQUEST', message: error.message });
    throw error;
  }
}
