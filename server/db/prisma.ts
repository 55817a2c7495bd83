/**
 * The control plane's database: Prisma over the embedded SQLite file (data/zeroloss.db) through the
 * better-sqlite3 driver adapter. DATABASE_URL (server/environment.ts) selects another file.
 */
import { PrismaClient } from '@prisma/client';
import { PrismaBetterSQLite3 } from '@prisma/adapter-better-sqlite3';
import { DEFAULT_DATABASE_URL, readServerEnvironment } from '../environment';

export function databaseUrl(): string {
  return readServerEnvironment('DATABASE_URL').DATABASE_URL ?? DEFAULT_DATABASE_URL;
}

export function createPrisma(url = databaseUrl()): PrismaClient {
  return new PrismaClient({ adapter: new PrismaBetterSQLite3({ url }) });
}
