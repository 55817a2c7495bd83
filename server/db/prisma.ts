/**
 * The control plane's database: Prisma over the embedded SQLite file (data/zeroloss.db) through the
 * better-sqlite3 driver adapter. DATABASE_URL selects another file.
 */
import { PrismaClient } from '@prisma/client';
import { PrismaBetterSQLite3 } from '@prisma/adapter-better-sqlite3';

export const DEFAULT_DATABASE_URL = 'file:./data/zeroloss.db';

export function databaseUrl(): string {
  return process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL;
}

export function createPrisma(url = databaseUrl()): PrismaClient {
  return new PrismaClient({ adapter: new PrismaBetterSQLite3({ url }) });
}
