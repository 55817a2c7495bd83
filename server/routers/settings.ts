/** settings.*: the broker group's settings (the one zod schema in broker/config), broker.conf import and export. */
import { TRPCError } from '@trpc/server';
import { z } from 'zod';
import { BrokerSettingsPatchSchema, describeSettingsError, settingInfo, defaultSettings } from '../../broker/config/broker-config';
import { parseBrokerConf, toBrokerConf } from '../../broker/config/properties';
import { SettingsContradiction } from '../cluster/topology';
import { operatorProcedure, viewerProcedure, noInput, router } from './trpc';

/** A settings combination the schema refuses is the caller's mistake (400); a broker that refuses is a server-side failure. */
function badSettings(error: unknown): TRPCError {
  if (error instanceof SettingsContradiction) return new TRPCError({ code: 'BAD_REQUEST', message: error.message, cause: error });
  if (error instanceof z.ZodError) return new TRPCError({ code: 'BAD_REQUEST', message: describeSettingsError(error), cause: error });
  return new TRPCError({ code: 'INTERNAL_SERVER_ERROR', message: (error as Error).message, cause: error });
}

export const settingsRouter = router({
  /** A RocketMQ broker.conf: known keys are validated and applied, unknown ones reported back. */
  importConf: operatorProcedure
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
        const before = ctx.controlPlane.settings.get();
        const settings = await ctx.controlPlane.updateSettings(patch);
        ctx.audit.change(before, settings);
        return { settings, applied: Object.keys(patch), ignoredKeys };
      } catch (error) {
        throw badSettings(error);
      }
    }),
  /** The current settings as broker.conf text (RocketMQ's key names). */
  exportConf: viewerProcedure.input(noInput).query(({ ctx }) => toBrokerConf(ctx.controlPlane.settings.get())),
  get: viewerProcedure.input(noInput).query(({ ctx }) => ({
    settings: ctx.controlPlane.settings.get(),
    defaults: defaultSettings(),
    info: settingInfo,
    /** what each node confirmed it runs, and its drift from the saved settings */
    nodes: ctx.controlPlane.nodeSettings(),
  })),
  /** Sets every drifted node back to the saved settings (each read first, then pushed and read back). */
  reconcile: operatorProcedure.input(noInput).mutation(async ({ ctx }) => {
    try {
      return await ctx.controlPlane.reconcileNodes();
    } catch (error) {
      throw new TRPCError({ code: 'INTERNAL_SERVER_ERROR', message: `reconciling the nodes failed: ${(error as Error).message}`, cause: error });
    }
  }),
  update: operatorProcedure.input(BrokerSettingsPatchSchema).mutation(async ({ ctx, input }) => {
    if (input.brokerRole === 'SLAVE') {
      // The group's settings are the master's; the slave process has its own role.
      throw new TRPCError({ code: 'BAD_REQUEST', message: 'brokerRole: SLAVE is the slave process\'s role, not a setting of the master; start a slave with cluster.startSlave' });
    }
    try {
      const before = ctx.controlPlane.settings.get();
      const settings = await ctx.controlPlane.updateSettings(input);
      ctx.audit.change(before, settings); // the audit entry shows each flipped key, before and after
      return settings;
    } catch (error) {
      if (error instanceof z.ZodError) throw error;
      throw badSettings(error);
    }
  }),
});

