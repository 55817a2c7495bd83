/**
 * The control plane's environment variables, each declared once with its rule and default (the
 * variables of the child processes, and the reader itself, are in broker/config/environment.ts).
 * An entry reads the ones it uses, `readServerEnvironment('HOST', 'PORT')`, so a bad value of a
 * variable it does not use never stops it. docs/cli.md lists them for operators.
 */
import path from 'node:path';
import { z } from 'zod';
import { environmentText, portVariable, readEnvironment } from '../broker/config/environment';
import { parseLabBugs } from '../broker/lab-bugs';
import { RemotingServerConfigSchema, describeSettingsError, type RemotingServerConfig } from '../broker/config/broker-config';
import { PROJECT_ROOT } from './cluster/child-process';
import { AUDIT_RETENTION } from './auth/audit-log';

/** The control plane's database when DATABASE_URL is unset: data/zeroloss.db in the project. */
export const DEFAULT_DATABASE_URL = `file:${path.join(PROJECT_ROOT, 'data', 'zeroloss.db')}`;

const ORIGIN = /^https?:\/\/[^/\s]+$/;

/** A whole number of at least `min`, `fallback` when unset. */
function wholeNumberVariable(name: string, fallback: number, min: number) {
  return environmentText.transform((value, ctx) => {
    if (value === undefined) return fallback;
    if (/^\d{1,9}$/.test(value) && Number(value) >= min) return Number(value);
    ctx.addIssue({ code: 'custom', message: `${name} must be a whole number of at least ${min}, got "${value}"` });
    return z.NEVER;
  });
}

export const ServerEnvironmentSchema = z.object({
  /** where the dashboard listens; beyond loopback every client needs a sign-in or a token */
  HOST: environmentText.transform((value) => value ?? '127.0.0.1'),
  /** the dashboard's port (tRPC and the live stream share it) */
  PORT: portVariable('PORT', 3000),
  /** the master's remoting port (RocketMQ's default) */
  BROKER_PORT: portVariable('BROKER_PORT', 10911),
  /** the name server's port (RocketMQ's default) */
  NAMESRV_PORT: portVariable('NAMESRV_PORT', 9876),
  /** where broker stores and consumer dedupe stores live */
  ZL_DATA_DIR: environmentText.transform((value) => value ?? 'data'),
  /** "0" runs the master alone; the slave starts beside it by default */
  ZL_START_SLAVE: environmentText.transform((value, ctx) => {
    if (value === undefined || value === '1') return true;
    if (value === '0') return false;
    ctx.addIssue({ code: 'custom', message: `ZL_START_SLAVE must be 0 (the master alone) or 1 (with its slave, the default), got "${value}"` });
    return z.NEVER;
  }),
  /** the control plane's SQLite database; unset: DEFAULT_DATABASE_URL (a cluster with its own --data-dir keeps its own) */
  DATABASE_URL: environmentText,
  /** deliberate bugs (broker/lab-bugs.ts) in every process the lab starts, comma-separated */
  ZL_LAB_BUGS: environmentText.transform((value, ctx) => {
    try {
      return parseLabBugs('ZL_LAB_BUGS', value);
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: (error as Error).message });
      return z.NEVER;
    }
  }),
  /** "required": loopback clients need a sign-in too; "local" (the default): a loopback client is the local admin */
  ZL_AUTH: environmentText.transform((value, ctx) => {
    if (value === undefined || value === 'local') return 'local' as const;
    if (value === 'required') return 'required' as const;
    ctx.addIssue({ code: 'custom', message: `ZL_AUTH must be "required" (every client signs in) or "local" (loopback clients are the local admin, the default), not "${value}"` });
    return z.NEVER;
  }),
  /** the admin token; unset while HOST is beyond loopback: one is generated and printed once at start */
  ZL_ADMIN_TOKEN: environmentText.refine((value) => value === undefined || (value.length >= 16 && !/\s/.test(value)), {
    // The value is a secret: the message never quotes it.
    message: 'ZL_ADMIN_TOKEN must be at least 16 characters without spaces (generate one with: node -e "console.log(crypto.randomBytes(32).toString(\'base64url\'))")',
  }),
  /** comma-separated origins browsers may also call from (a reverse proxy's https://…) */
  ZL_ORIGINS: environmentText.transform((value, ctx) => {
    const origins = (value ?? '').split(',').map((o) => o.trim()).filter(Boolean);
    const bad = origins.find((origin) => !ORIGIN.test(origin));
    if (bad === undefined) return origins;
    ctx.addIssue({ code: 'custom', message: `ZL_ORIGINS: ${bad} must be an origin such as https://lab.example.com (scheme, host, optional port; no path)` });
    return z.NEVER;
  }),
  /** audit entries older than this many days are pruned (hourly, the pruning itself recorded) */
  ZL_AUDIT_KEEP_DAYS: wholeNumberVariable('ZL_AUDIT_KEEP_DAYS', AUDIT_RETENTION.keepDays, 1),
  /** at most this many audit entries are kept, the oldest pruned first */
  ZL_AUDIT_KEEP_ROWS: wholeNumberVariable('ZL_AUDIT_KEEP_ROWS', AUDIT_RETENTION.keepRows, 1000),
  /**
   * the remoting listeners' connection hygiene (name server and brokers), RocketMQ's NettyServerConfig
   * keys as `key=value;key=value`, e.g. `serverChannelMaxIdleTimeSeconds=60;serverMaxConnections=256`
   */
  ZL_REMOTING: environmentText.transform((value, ctx): Partial<RemotingServerConfig> => {
    if (value === undefined) return {};
    const raw: Record<string, unknown> = {};
    for (const pair of value.split(/[;,]/).map((p) => p.trim()).filter(Boolean)) {
      const i = pair.indexOf('=');
      const key = i < 0 ? pair : pair.slice(0, i).trim();
      const text = i < 0 ? '' : pair.slice(i + 1).trim();
      raw[key] = /^\d+$/.test(text) ? Number(text) : text;
    }
    const parsed = RemotingServerConfigSchema.partial().strict().safeParse(raw);
    if (parsed.success) return parsed.data;
    ctx.addIssue({ code: 'custom', message: `ZL_REMOTING: ${describeSettingsError(parsed.error)} (keys: ${Object.keys(RemotingServerConfigSchema.shape).join(', ')})` });
    return z.NEVER;
  }),
  /** `npm run drill:matrix`: "1" keeps each cluster's data directory (database, logs) instead of deleting it */
  ZL_MATRIX_KEEP_DATA: environmentText.transform((value, ctx) => {
    if (value === undefined || value === '0') return false;
    if (value === '1') return true;
    ctx.addIssue({ code: 'custom', message: `ZL_MATRIX_KEEP_DATA must be 0 (delete each cluster's data, the default) or 1 (keep it), got "${value}"` });
    return z.NEVER;
  }),
  /** the password of `zeroloss user add` and `user passwd`; unset: asked twice on the terminal */
  ZL_PASSWORD: environmentText,
  /** `zeroloss drill --target external --access-key AK`: that ACL account's secret key, never a flag */
  ZEROLOSS_SECRET_KEY: environmentText,
  /**
   * Prisma's own engine paths, passed on to the Prisma CLI during setup; unset, setup points them at
   * a placeholder file so the CLI downloads nothing (its schema engine runs as WebAssembly).
   */
  PRISMA_QUERY_ENGINE_LIBRARY: environmentText,
  PRISMA_SCHEMA_ENGINE_BINARY: environmentText,
});

export type ServerVariable = keyof typeof ServerEnvironmentSchema.shape;
export type ServerEnvironment = z.output<typeof ServerEnvironmentSchema>;

/** The named variables, validated; throws an EnvironmentError naming every bad one. */
export function readServerEnvironment<Name extends ServerVariable>(...names: Name[]): Pick<ServerEnvironment, Name> {
  const only = Object.fromEntries(names.map((name) => [name, true])) as Record<ServerVariable, true>;
  return readEnvironment(ServerEnvironmentSchema.pick(only)) as Pick<ServerEnvironment, Name>;
}
