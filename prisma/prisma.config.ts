// Prisma 6 offline with the better-sqlite3 driver adapter: the CLI runs its schema engine as
// WebAssembly (see docs/setup-notes.md), so `migrate deploy` and `generate` need no download.
import path from 'node:path';
import { defineConfig } from 'prisma/config';
import { PrismaBetterSQLite3 } from '@prisma/adapter-better-sqlite3';

export default defineConfig({
  schema: path.join(import.meta.dirname ?? 'prisma', 'schema.prisma'),
  experimental: { adapter: true },
  engine: 'js',
  async adapter() {
    return new PrismaBetterSQLite3({ url: process.env.DATABASE_URL ?? 'file:./data/zeroloss.db' });
  },
});
