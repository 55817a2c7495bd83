/**
 * The audit log's own limits (server/auth/audit-log.ts) on a real SQLite database through Prisma,
 * with a hand-driven clock: an address nobody vouches for adds at most anonymousRowsPerMinute rows a
 * minute, the rest are counted in one summary row; pruning removes what is past the retention (age,
 * then count) and records that it did.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { PrismaClient } from '@prisma/client';
import { tempDatabase, type TempDatabase } from '../support/temp-lab';
import { AuditLog, type AuditRecord } from '../../server/auth/audit-log';

let db: TempDatabase;
let prisma: PrismaClient;

before(async () => {
  db = await tempDatabase('zeroloss-audit-');
  prisma = db.prisma;
});

after(async () => {
  await db?.remove();
});

const refused = (remoteAddress: string): AuditRecord => ({ actor: 'anonymous', role: null, action: 'cluster.killBroker', result: 'error', error: 'UNAUTHORIZED: sign in first', remoteAddress });

test('audit retention - an anonymous address adds at most its rows per minute; the rest become one summary row; signed-in callers are not limited', async () => {
  await prisma.auditEntry.deleteMany();
  let now = 10 * 60_000;
  const log = new AuditLog(prisma, { keepDays: 90, keepRows: 100_000, anonymousRowsPerMinute: 5 }, () => now);
  for (let i = 0; i < 12; i++) await log.record(refused('10.0.0.9'));
  for (let i = 0; i < 3; i++) await log.record(refused('10.0.0.8'));
  for (let i = 0; i < 8; i++) await log.record({ actor: 'otto', role: 'operator', action: 'traffic.start', result: 'ok', remoteAddress: '10.0.0.9' });
  assert.equal(await prisma.auditEntry.count({ where: { remoteAddress: '10.0.0.9', actor: 'anonymous' } }), 5, 'five anonymous rows, not twelve');
  assert.equal(await prisma.auditEntry.count({ where: { remoteAddress: '10.0.0.8' } }), 3, 'each address has its own allowance');
  assert.equal(await prisma.auditEntry.count({ where: { actor: 'otto' } }), 8, 'a signed-in caller is never limited');
  now += 60_000; // the next minute: the first row from that address writes the summary of the last
  await log.record(refused('10.0.0.9'));
  const summary = await prisma.auditEntry.findFirst({ where: { action: 'audit.suppressed', remoteAddress: '10.0.0.9' } });
  assert.ok(summary, 'the suppressed rows are summarised');
  assert.deepEqual(JSON.parse(summary.input), { minuteStart: 10 * 60_000, suppressed: 7, limitPerMinute: 5 });
  assert.match(summary.error ?? '', /^7 more anonymous row\(s\) from 10\.0\.0\.9/);
  await log.stop();
});

test('audit retention - pruning removes entries older than keepDays, then the oldest past keepRows, and records what it removed', async () => {
  await prisma.auditEntry.deleteMany();
  const day = 24 * 3600_000;
  const now = 1_000 * day;
  const row = (ageDays: number) => ({ actor: 'otto', action: 'traffic.start', result: 'ok', remoteAddress: '127.0.0.1', at: new Date(now - ageDays * day) });
  await prisma.auditEntry.createMany({ data: [row(40), row(31), ...Array.from({ length: 12 }, () => row(1))] });
  const log = new AuditLog(prisma, { keepDays: 30, keepRows: 10, anonymousRowsPerMinute: 30 }, () => now);
  assert.equal(await log.prune(), 5, 'two too old, then three: nine kept and the pruning\'s own row make ten');
  const kept = await prisma.auditEntry.findMany({ orderBy: { id: 'asc' } });
  const note = kept.find((e) => e.action === 'audit.prune');
  assert.ok(note, 'the pruning is itself recorded');
  assert.deepEqual(JSON.parse(note.after ?? 'null'), { removedOld: 2, removedExcess: 3 });
  assert.equal(kept.length, 10);
  assert.ok(kept.every((e) => now - e.at.getTime() <= 30 * day), 'nothing older than keepDays is left');
  assert.equal(await log.prune(), 0, 'a second pass finds nothing to do');
  await log.stop();
});
