/**
 * tRPC is initialised once here. Input validation errors become one readable sentence per problem,
 * naming the field and the rule ("rate: must be at least 1 msg/s"); the issues ride along as data.
 */
import { initTRPC } from '@trpc/server';
import { z } from 'zod';
import { describeSettingsError } from '../../broker/config/broker-config';
import type { ControlPlane } from '../control-plane';

export interface Context {
  controlPlane: ControlPlane;
}

const t = initTRPC.context<Context>().create({
  errorFormatter({ shape, error }) {
    const zodError = error.cause instanceof z.ZodError ? error.cause : undefined;
    return {
      ...shape,
      message: zodError ? describeSettingsError(zodError) : shape.message,
      data: { ...shape.data, issues: zodError?.issues.map((i) => ({ path: i.path.map(String), message: i.message })) ?? null },
    };
  },
});

export const router = t.router;
export const publicProcedure = t.procedure;

/** One procedure builder per role (server/auth/roles.ts): the role a caller needs for it. */
export const viewerProcedure = t.procedure;
export const operatorProcedure = t.procedure;
export const drillProcedure = t.procedure;
export const adminProcedure = t.procedure;
export const createCallerFactory = t.createCallerFactory;
