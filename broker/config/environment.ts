/**
 * The process environment, read in one place. Every variable Zeroloss reads is declared once, in a
 * zod schema that states its rule and default: this file declares the variables a parent hands its
 * child processes (their configuration, as JSON), server/environment.ts the control plane's own
 * (HOST, PORT, DATABASE_URL, ...). Nothing else in broker/, server/ or app/ reads process.env;
 * a spawn that passes variables to a child builds its environment with childProcessEnvironment().
 *
 * A bad value is refused with an EnvironmentError that names the variable and its rule, before the
 * process does anything. An empty value counts as unset.
 */
import { z } from 'zod';

export class EnvironmentError extends Error {}

/** A variable's raw text: unset and empty are both undefined. */
export const environmentText = z.string().optional().transform((value) => (value === '' ? undefined : value));

/** A port number, 0 (any free port) to 65535. */
export function portVariable(name: string, fallback: number) {
  return environmentText.transform((value, ctx) => {
    if (value === undefined) return fallback;
    const port = Number(value);
    if (/^\d{1,5}$/.test(value) && port <= 65535) return port;
    ctx.addIssue({ code: 'custom', message: `${name} must be a port number from 0 to 65535 (0 picks a free port), got "${value}"` });
    return z.NEVER;
  });
}

/** JSON text, parsed; what it must hold is checked by whoever reads it. */
function jsonVariable(name: string) {
  return environmentText.transform((value, ctx): unknown => {
    if (value === undefined) return undefined;
    try {
      return JSON.parse(value) as unknown;
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: `${name} must be JSON: ${(error as Error).message}` });
      return z.NEVER;
    }
  });
}

/**
 * The configuration a parent hands each of its children: the parent writes JSON.stringify(config)
 * into the variable, the child reads it back with readChildConfig().
 */
export const ChildConfigEnvironmentSchema = z.object({
  /** broker/main.ts: BrokerOptionsSchema (identity, settings, lab bugs, HA start-up); unset when started by hand */
  ZL_BROKER_OPTIONS: jsonVariable('ZL_BROKER_OPTIONS'),
  /** broker/controller/main.ts: ControllerOptionsSchema (port, data directory, settings); unset when started by hand */
  ZL_CONTROLLER_OPTIONS: jsonVariable('ZL_CONTROLLER_OPTIONS'),
  /** server/traffic/runner-main.ts: a TrafficConfig */
  ZL_TRAFFIC: jsonVariable('ZL_TRAFFIC'),
  /** server/traffic/consumer-main.ts: a ConsumerConfig */
  ZL_CONSUMER: jsonVariable('ZL_CONSUMER'),
  /** server/traffic/transaction-runner-main.ts: a TransactionRunnerConfig */
  ZL_TX_TRAFFIC: jsonVariable('ZL_TX_TRAFFIC'),
  /**
   * a traffic runner's or consumer's ACL account (SessionCredentialsSchema), for a cluster with ACL;
   * apart from ZL_TRAFFIC / ZL_CONSUMER so that no configuration the control plane keeps or shows holds the secret
   */
  ZL_SESSION_CREDENTIALS: jsonVariable('ZL_SESSION_CREDENTIALS'),
});

export type ChildConfigVariable = keyof typeof ChildConfigEnvironmentSchema.shape;

/** What a spawn may hand a child of this project: its configuration variable, as JSON text. */
export type ChildConfigEnvironment = { [Name in ChildConfigVariable]?: string };

/** Every issue, one sentence each, each naming its variable. */
function describeEnvironmentError(error: z.ZodError): string {
  return error.issues.map((issue) => {
    const name = issue.path.map(String).join('.');
    return issue.message.startsWith(name) ? issue.message : `${name}: ${issue.message}`;
  }).join('; ');
}

/**
 * Reads the variables a schema declares (a whole environment schema, or a .pick() of it) from this
 * process's environment; throws an EnvironmentError naming every bad one.
 */
export function readEnvironment<Schema extends z.ZodObject>(schema: Schema, source: NodeJS.ProcessEnv = process.env): z.output<Schema> {
  const parsed = schema.safeParse(source);
  if (!parsed.success) throw new EnvironmentError(describeEnvironmentError(parsed.error));
  return parsed.data;
}

/** The configuration this process's parent handed it in `name`, or undefined when it is unset. */
export function readChildConfig(name: ChildConfigVariable): unknown {
  return readEnvironment(ChildConfigEnvironmentSchema.pick({ [name]: true } as Record<ChildConfigVariable, true>))[name];
}

/** As readChildConfig, for a process that cannot run without it. */
export function requireChildConfig(name: ChildConfigVariable): unknown {
  const config = readChildConfig(name);
  if (config === undefined) throw new EnvironmentError(`${name} is not set: this process is started by the control plane, which passes its configuration there as JSON`);
  return config;
}

/** A child process's environment: this process's own, with `variables` set on top. */
export function childProcessEnvironment(variables: Readonly<Record<string, string>> = {}): NodeJS.ProcessEnv {
  return { ...process.env, ...variables };
}

/** Removes a variable from this process, so no child it spawns (nor any command it runs) inherits it: a secret read once. */
export function forgetVariable(name: string): void {
  delete process.env[name];
}

/**
 * Sets a variable of this process for what reads it later outside this code (Prisma's schema names
 * DATABASE_URL) and for the children spawned after.
 */
export function exportVariable(name: string, value: string): void {
  process.env[name] = value;
}
