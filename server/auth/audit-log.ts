/**
 * The audit log (Prisma's AuditEntry): who did what, to what, when, from where, and how it ended.
 * Every tRPC mutation lands here through the middleware in server/routers/trpc.ts, refused ones too;
 * sign-ins, sign-outs and exports are recorded by their procedures and routes. Passwords and tokens
 * in an input are redacted before anything is written.
 */
import type { PrismaClient } from '@prisma/client';
import { z } from 'zod';

export const AUDIT_PAGE_MAX = 500;
export const AUDIT_EXPORT_MAX = 10_000;
/** JSON cells longer than this are cut (a broker.conf import can be 200 kB) */
const JSON_CELL_MAX = 8_000;
const SECRET_KEY = /password|token|secret|authorization|cookie/i;

export interface AuditRecord {
  actor: string;
  role?: string | null;
  action: string;
  target?: string | null;
  input?: unknown;
  before?: unknown;
  after?: unknown;
  result: 'ok' | 'error';
  error?: string | null;
  remoteAddress: string;
}

export interface AuditEntryView extends Omit<AuditRecord, 'input' | 'before' | 'after'> {
  id: number;
  at: number;
  input: unknown;
  before: unknown;
  after: unknown;
}

export const AuditFilterSchema = z.object({
  actor: z.string().trim().max(80, 'actor must be at most 80 characters').optional(),
  /** an exact action (settings.update) or a prefix ending in "." (cluster.) */
  action: z.string().trim().max(80, 'action must be at most 80 characters').optional(),
  result: z.enum(['ok', 'error'], { error: 'result must be ok or error' }).optional(),
  /** ms since the epoch, inclusive */
  from: z.number({ error: 'from must be a time (ms since 1970)' }).int().nonnegative().optional(),
  to: z.number({ error: 'to must be a time (ms since 1970)' }).int().nonnegative().optional(),
  /** entries older than this id (the previous page's nextCursor) */
  cursor: z.number().int().positive().optional(),
  limit: z.number().int('limit must be a whole number').min(1, 'limit must be at least 1').max(AUDIT_PAGE_MAX, `limit must be at most ${AUDIT_PAGE_MAX}`).default(100),
}).strict();
export type AuditFilter = z.input<typeof AuditFilterSchema>;

/** What a procedure tells the audit middleware beyond its input: the state it changed. */
export class AuditNote {
  target?: string;
  before?: unknown;
  after?: unknown;
  /** who the entry is about when the caller is nobody yet (a sign-in names the user it tried) */
  actor?: string;
  /** the role to record; null records none (a failed sign-in has no role yet) */
  role?: string | null;

  /** Keeps only the keys whose value changed: a settings flip reads { flushDiskType: ASYNC_FLUSH } → { … SYNC_FLUSH }. */
  change<T extends object>(before: T, after: T): void {
    const b: Record<string, unknown> = {};
    const a: Record<string, unknown> = {};
    for (const key of Object.keys(after) as (keyof T & string)[]) {
      if (JSON.stringify(before[key]) !== JSON.stringify(after[key])) {
        b[key] = before[key];
        a[key] = after[key];
      }
    }
    this.before = b;
    this.after = a;
  }
}

/** Nesting kept in an audit cell; deeper subtrees are replaced by a note, never walked. */
const REDACT_DEPTH = 8;

export function redact(value: unknown, depth = 0): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (depth > REDACT_DEPTH) return `[nested deeper than ${REDACT_DEPTH} levels: not kept]`;
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, SECRET_KEY.test(k) ? '[redacted]' : redact(v, depth + 1)]));
}

/** The cell's JSON text; an input that cannot be serialized is recorded as a note saying so, never skipped. */
function json(value: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(redact(value)) ?? 'null';
  } catch (error) {
    text = JSON.stringify({ unserializable: true, reason: (error as Error).message.slice(0, 200) });
  }
  return text.length > JSON_CELL_MAX ? JSON.stringify({ truncated: true, head: text.slice(0, JSON_CELL_MAX) }) : text;
}

function parse(text: string | null): unknown {
  if (text === null) return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** The process or record each procedure without a naming input acts on. */
const PATH_TARGETS: [RegExp, string][] = [
  [/^cluster\.(start|stop|kill)Broker$|^cluster\.powerLoss$/, 'broker-a master'],
  [/^cluster\.\w+Slave$/, 'broker-a slave'],
  [/^cluster\.setLinkFault$/, 'HA link'],
  [/^traffic\./, 'traffic runner'],
  [/^consumers\./, 'consumer fleet'],
  [/^settings\./, 'broker settings'],
];

/** What a call is aimed at: the input's naming field (a drill, a topic, a user), else the process its path acts on. */
export function auditTarget(path: string, input: unknown): string | null {
  const i = input && typeof input === 'object' ? (input as Record<string, unknown>) : {};
  const noun = path.split('.')[0];
  if (typeof i.drillId === 'string') return `drill ${i.drillId}`;
  if (typeof i.runId === 'string') return `drill run ${i.runId}`;
  if (typeof i.topic === 'string') return `topic ${i.topic}`;
  if (typeof i.index === 'number') return `consumer ${i.index + 1}`;
  if (typeof i.name === 'string' && (noun === 'users' || noun === 'tokens')) return `${noun === 'users' ? 'user' : 'token'} ${i.name}`;
  if (typeof i.id === 'number' && noun === 'tokens') return `token #${i.id}`;
  return PATH_TARGETS.find(([re]) => re.test(path))?.[1] ?? null;
}

/** How long and how much of the log is kept, and how fast an address nobody vouches for may add to it. */
export interface AuditRetention {
  /** entries older than this many days are pruned */
  keepDays: number;
  /** at most this many entries are kept (the oldest pruned first) */
  keepRows: number;
  /** rows per minute an anonymous caller's address may add; the rest are counted in one summary row */
  anonymousRowsPerMinute: number;
}

interface AnonymousSlot {
  minuteStart: number;
  rows: number;
  suppressed: number;
}

export const AUDIT_RETENTION: AuditRetention = { keepDays: 90, keepRows: 100_000, anonymousRowsPerMinute: 30 };
const MINUTE_MS = 60_000;
const PRUNE_EVERY_MS = 60 * MINUTE_MS;

export class AuditLog {
  /** per address: the current minute's anonymous rows, and how many were left out */
  private readonly anonymous = new Map<string, AnonymousSlot>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly prisma: PrismaClient, private readonly retention: AuditRetention = AUDIT_RETENTION, private readonly now: () => number = Date.now) {}

  /**
   * Prunes now and then every hour (each pruning that removed something is itself recorded), and
   * writes the summaries of suppressed anonymous rows once a minute. The timer keeps nothing alive.
   */
  start(): void {
    if (this.timer) return;
    void this.prune();
    let ticks = 0;
    this.timer = setInterval(() => {
      void this.flushSuppressed();
      if (++ticks % (PRUNE_EVERY_MS / MINUTE_MS) === 0) void this.prune();
    }, MINUTE_MS);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.flushSuppressed(true);
  }

  /** Removes entries past the retention (age, then count); records what it removed. Returns the count. */
  async prune(): Promise<number> {
    try {
      const cutoff = new Date(this.now() - this.retention.keepDays * 24 * 3600_000);
      const old = await this.prisma.auditEntry.deleteMany({ where: { at: { lt: cutoff } } });
      let excess = 0;
      // Room is left for the row that records this pruning, so the next pass finds nothing to do.
      const total = await this.prisma.auditEntry.count();
      if (total > this.retention.keepRows) {
        const boundary = await this.prisma.auditEntry.findFirst({ orderBy: { id: 'desc' }, skip: this.retention.keepRows - 2, select: { id: true } });
        if (boundary) excess = (await this.prisma.auditEntry.deleteMany({ where: { id: { lt: boundary.id } } })).count;
      }
      const removed = old.count + excess;
      if (removed > 0) {
        await this.write({
          actor: 'zeroloss', role: null, action: 'audit.prune', target: 'audit log', result: 'ok', remoteAddress: 'control plane',
          input: { olderThanDays: this.retention.keepDays, keepRows: this.retention.keepRows }, after: { removedOld: old.count, removedExcess: excess },
        });
      }
      return removed;
    } catch (error) {
      console.error(`[audit] pruning failed: ${(error as Error).message}`);
      return 0;
    }
  }

  /**
   * Never throws: a failed write is reported on stderr (the action it describes has happened). Rows
   * of anonymous callers are limited per address (AuditRetention.anonymousRowsPerMinute); past the
   * limit they are counted, and one row per address and minute says how many were left out.
   */
  async record(entry: AuditRecord): Promise<void> {
    if (entry.actor === 'anonymous') {
      const { admitted, summaries } = this.admitAnonymous(entry.remoteAddress);
      for (const [address, slot] of summaries) await this.writeSuppressed(address, slot);
      if (!admitted) return;
    }
    await this.write(entry);
  }

  /** Whether an anonymous row from `address` is written; and the summaries of closed minutes to write first. */
  private admitAnonymous(address: string): { admitted: boolean; summaries: [string, AnonymousSlot][] } {
    const now = this.now();
    const minuteStart = now - (now % MINUTE_MS);
    const summaries: [string, AnonymousSlot][] = [];
    let slot = this.anonymous.get(address);
    if (!slot || slot.minuteStart !== minuteStart) {
      if (slot && slot.suppressed > 0) summaries.push([address, slot]);
      slot = { minuteStart, rows: 0, suppressed: 0 };
      this.anonymous.delete(address);
      this.anonymous.set(address, slot);
      // Bounded: past 10,000 addresses, those of earlier minutes are forgotten (their summaries written first).
      for (const [key, old] of this.anonymous) {
        if (old.minuteStart >= minuteStart || this.anonymous.size <= 10_000) break;
        if (old.suppressed > 0) summaries.push([key, old]);
        this.anonymous.delete(key);
      }
    }
    if (slot.rows < this.retention.anonymousRowsPerMinute) {
      slot.rows++;
      return { admitted: true, summaries };
    }
    slot.suppressed++;
    return { admitted: false, summaries };
  }

  private async flushSuppressed(all = false): Promise<void> {
    const now = this.now();
    const minuteStart = now - (now % MINUTE_MS);
    for (const [address, slot] of this.anonymous) {
      if (slot.minuteStart === minuteStart && !all) continue;
      this.anonymous.delete(address);
      if (slot.suppressed > 0) await this.writeSuppressed(address, slot);
    }
  }

  private writeSuppressed(address: string, slot: AnonymousSlot): Promise<void> {
    return this.write({
      actor: 'anonymous', role: null, action: 'audit.suppressed', target: 'audit log', result: 'error', remoteAddress: address,
      input: { minuteStart: slot.minuteStart, suppressed: slot.suppressed, limitPerMinute: this.retention.anonymousRowsPerMinute },
      error: `${slot.suppressed} more anonymous row(s) from ${address} in this minute were counted, not written`,
    });
  }

  private async write(entry: AuditRecord): Promise<void> {
    try {
      await this.prisma.auditEntry.create({
        data: {
          actor: entry.actor,
          role: entry.role ?? null,
          action: entry.action,
          target: entry.target ?? null,
          input: json(entry.input ?? null),
          before: entry.before === undefined ? null : json(entry.before),
          after: entry.after === undefined ? null : json(entry.after),
          result: entry.result,
          error: entry.error?.slice(0, 2000) ?? null,
          remoteAddress: entry.remoteAddress,
        },
      });
    } catch (error) {
      console.error(`[audit] could not record ${entry.action} by ${entry.actor}: ${(error as Error).message}`);
    }
  }

  async list(filter: AuditFilter, max = AUDIT_PAGE_MAX): Promise<{ entries: AuditEntryView[]; nextCursor: number | null }> {
    const f = AuditFilterSchema.extend({ limit: z.number().int().min(1).max(max).default(100) }).parse(filter);
    const action = f.action ? (f.action.endsWith('.') ? { startsWith: f.action } : f.action) : undefined;
    const rows = await this.prisma.auditEntry.findMany({
      where: {
        actor: f.actor ? { contains: f.actor } : undefined,
        action,
        result: f.result,
        at: f.from !== undefined || f.to !== undefined ? { gte: f.from !== undefined ? new Date(f.from) : undefined, lte: f.to !== undefined ? new Date(f.to) : undefined } : undefined,
        id: f.cursor ? { lt: f.cursor } : undefined,
      },
      orderBy: { id: 'desc' },
      take: f.limit + 1,
    });
    const page = rows.slice(0, f.limit);
    return {
      entries: page.map((r) => ({ ...r, at: r.at.getTime(), result: r.result === 'ok' ? 'ok' : 'error', input: parse(r.input), before: parse(r.before), after: parse(r.after) })),
      nextCursor: rows.length > f.limit ? page[page.length - 1].id : null,
    };
  }

  /** The distinct actors and actions, for the page's filter suggestions. */
  async facets(): Promise<{ actors: string[]; actions: string[] }> {
    const [actors, actions] = await Promise.all([
      this.prisma.auditEntry.findMany({ distinct: ['actor'], select: { actor: true }, orderBy: { actor: 'asc' }, take: 200 }),
      this.prisma.auditEntry.findMany({ distinct: ['action'], select: { action: true }, orderBy: { action: 'asc' }, take: 200 }),
    ]);
    return { actors: actors.map((a) => a.actor), actions: actions.map((a) => a.action) };
  }
}

const CSV_COLUMNS = ['id', 'at', 'actor', 'role', 'action', 'target', 'result', 'error', 'remoteAddress', 'input', 'before', 'after'] as const;

/**
 * A cell a spreadsheet could run as a formula: after any leading whitespace (spaces, tabs, line
 * breaks, the ideographic space), it starts with = + - @ or their full-width forms.
 */
const FORMULA_START = /^[\s\u3000]*[=+\-@\uFF1D\uFF0B\uFF0D\uFF20]|^[\t\r\n]/;

/** RFC 4180 CSV. A cell that could be read as a formula (FORMULA_START) gets a leading ' so opening the file runs nothing. */
export function auditCsv(entries: AuditEntryView[]): string {
  const cell = (value: unknown): string => {
    let text = value === null || value === undefined ? '' : typeof value === 'string' ? value : JSON.stringify(value);
    if (FORMULA_START.test(text)) text = `'${text}`;
    return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
  };
  const lines = entries.map((e) => CSV_COLUMNS.map((c) => cell(c === 'at' ? new Date(e.at).toISOString() : e[c])).join(','));
  return `${CSV_COLUMNS.join(',')}\r\n${lines.join('\r\n')}${lines.length > 0 ? '\r\n' : ''}`;
}
