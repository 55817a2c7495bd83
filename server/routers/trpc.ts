/**
 * tRPC is initialised once here. Input validation errors become one readable sentence per problem,
 * naming the field and the rule ("rate: must be at least 1 msg/s"); the fields ride along as data
 * (`data.fieldErrors`, see errorFormatter), so a form marks its inputs without reading the sentence.
 *
 * Every procedure is built from one base that (1) records each mutation in the audit log, allowed or
 * refused, (2) refuses a mutation a browser sent from another origin (403), and then, per role
 * builder, (3) refuses a caller who is nobody (401) or whose role is too low (403). A new mutation
 * built from these is audited and guarded without anything more.
 */
import { initTRPC, TRPCError, type TRPCDefaultErrorShape } from '@trpc/server';
import { z } from 'zod';
import { describeSettingsError } from '../../broker/config/broker-config';
import type { ControlPlane } from '../control-plane';
import type { DrillRunner } from '../drills/drill-runner';
import type { ExternalTargetService } from '../external/external-service';
import type { SimulationService } from '../sim/sim-service';
import type { MessageConsole } from '../messages/message-console';
import { auditTarget, type AuditNote } from '../auth/audit-log';
import type { Principal } from '../auth/principal';
import { roleAtLeast, type Role } from '../auth/roles';
import type { Security } from '../auth/security';

export interface Context {
  controlPlane: ControlPlane;
  drillRunner: DrillRunner;
  simulator: SimulationService;
  external: ExternalTargetService;
  messageConsole: MessageConsole;
  security: Security;
  /** who is calling; null = nobody (then `authFailure` says why) */
  principal: Principal | null;
  authFailure: string | null;
  /** why this request counts as cross-origin (CSRF), or null */
  originProblem: string | null;
  remoteAddress: string;
  /** what the procedure adds to its audit entry (before/after of a settings flip) */
  audit: AuditNote;
  /** sets a cookie on the response (sign-in, sign-out) */
  setCookie(cookie: string): void;
  /** sets a header on the response (Retry-After of a throttled sign-in) */
  setHeader(name: string, value: string): void;
  /** the cookie attributes for this request (Secure over TLS) */
  sessionCookie(value: string, maxAgeSeconds: number): string;
  /** the cookie of a browser signed in with an API token */
  tokenCookie(value: string, maxAgeSeconds: number): string;
}

/** One problem with one input field: its path in the input (`['traffic', 'rate']`) and the sentence. */
export interface FieldError {
  path: string[];
  message: string;
}

/**
 * An operating error that names the field it is about starts with that field and a colon, the
 * server's convention for its own refusals ("topic: no topic X on the name server", "queueId: topic X
 * has 4 queues ..."). Only a lowerCamelCase word counts, so "EIO: i/o error" or "cannot publish: ..."
 * name no field. Read here, once, so that no form has to read sentences.
 */
const FIELD_PREFIX = /^([a-z][A-Za-z0-9]*): ./s;

/**
 * What a form needs to mark its inputs: a zod input error's issues (each path and message), or, for
 * any other error, the field its message names by the prefix convention above (the whole message,
 * under a one-element path). Empty when the error is about no field.
 */
function fieldErrorsOf(error: TRPCError, zodError: z.ZodError | undefined): FieldError[] {
  if (zodError) return zodError.issues.map((issue) => ({ path: issue.path.map(String), message: issue.message }));
  const named = FIELD_PREFIX.exec(error.message);
  return named ? [{ path: [named[1]!], message: error.message }] : [];
}

/**
 * The error shape every client gets. `message` is one sentence per problem (tests and the CLI read
 * it; keep it as it is); `data.fieldErrors` says which input each problem is about.
 */
export function errorFormatter({ shape, error }: { shape: TRPCDefaultErrorShape; error: TRPCError }) {
  const zodError = error.cause instanceof z.ZodError ? error.cause : undefined;
  return {
    ...shape,
    message: zodError ? describeSettingsError(zodError, 'input') : shape.message,
    data: { ...shape.data, fieldErrors: fieldErrorsOf(error, zodError) },
  };
}

const t = initTRPC.context<Context>().create({
  // Never send server stack traces to a client (tRPC adds them outside production by default).
  isDev: false,
  errorFormatter,
});

function errorText(error: TRPCError): string {
  return error.cause instanceof z.ZodError ? describeSettingsError(error.cause, 'input') : error.message;
}

const auditTrail = t.middleware(async ({ ctx, path, type, getRawInput, next }) => {
  if (type !== 'mutation') return next();
  const result = await next();
  const input = await getRawInput().catch(() => null);
  const note = ctx.audit;
  await ctx.security.audit.record({
    actor: note.actor ?? ctx.principal?.name ?? 'anonymous',
    role: note.role !== undefined ? note.role : (ctx.principal?.role ?? null),
    action: path,
    target: note.target ?? auditTarget(path, input),
    input,
    before: note.before,
    after: note.after,
    result: result.ok ? 'ok' : 'error',
    error: result.ok ? null : `${result.error.code}: ${errorText(result.error)}`,
    remoteAddress: ctx.remoteAddress,
  });
  return result;
});

const sameOrigin = t.middleware(({ ctx, type, next }) => {
  if (type === 'mutation' && ctx.originProblem) throw new TRPCError({ code: 'FORBIDDEN', message: ctx.originProblem });
  return next();
});

function requireRole(need: Role) {
  return t.middleware(({ ctx, next }) => {
    const principal = ctx.principal;
    if (!principal) throw new TRPCError({ code: 'UNAUTHORIZED', message: ctx.authFailure ?? 'sign in first' });
    if (!roleAtLeast(principal.role, need)) {
      throw new TRPCError({ code: 'FORBIDDEN', message: `needs the ${need} role; ${principal.name} is a ${principal.role}` });
    }
    return next({ ctx: { principal } });
  });
}

const base = t.procedure.use(auditTrail).use(sameOrigin);

export const router = t.router;

/**
 * The input of a procedure that takes none: a call that sends one anyway (a deep or huge body to
 * `cluster.killBroker`) is refused, not ignored. Every procedure declares an input (a unit test checks).
 */
export const noInput = z.null({ error: 'this procedure takes no input' }).optional();
/** Anyone, signed in or not (sign-in itself, who-am-I). Mutations are still audited and origin-checked. */
export const publicProcedure = base;

/** One procedure builder per role (server/auth/roles.ts): the role a caller needs for it. */
export const viewerProcedure = base.use(requireRole('viewer'));
export const operatorProcedure = base.use(requireRole('operator'));
export const drillProcedure = base.use(requireRole('drill'));
export const adminProcedure = base.use(requireRole('admin'));
export const createCallerFactory = t.createCallerFactory;
