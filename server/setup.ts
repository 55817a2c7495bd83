/**
 * First-run work for `npm start` (and the tests): generate the Prisma client, apply migrations to
 * the SQLite database, and build the Next.js app when it was never built or its sources changed.
 * Everything runs offline: Prisma 6's schema engine runs as WebAssembly (see docs/setup-notes.md).
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { createRequire } from 'node:module';
import { PROJECT_ROOT } from './cluster/child-process';
import { DEFAULT_DATABASE_URL, readServerEnvironment } from './environment';
import { childProcessEnvironment } from '../broker/config/environment';

/** The Prisma CLI skips its engine downloads when these point at any existing file; nothing runs it. */
function prismaEnv(databaseUrl: string): NodeJS.ProcessEnv {
  const placeholder = path.join(PROJECT_ROOT, 'package.json');
  const env = readServerEnvironment('PRISMA_QUERY_ENGINE_LIBRARY', 'PRISMA_SCHEMA_ENGINE_BINARY');
  return childProcessEnvironment({
    DATABASE_URL: databaseUrl,
    PRISMA_QUERY_ENGINE_LIBRARY: env.PRISMA_QUERY_ENGINE_LIBRARY ?? placeholder,
    PRISMA_SCHEMA_ENGINE_BINARY: env.PRISMA_SCHEMA_ENGINE_BINARY ?? placeholder,
    PRISMA_HIDE_UPDATE_MESSAGE: '1',
    CHECKPOINT_DISABLE: '1',
  });
}

function run(label: string, args: string[], env: NodeJS.ProcessEnv): void {
  const started = Date.now();
  process.stdout.write(`[setup] ${label} ...`);
  try {
    execFileSync(process.execPath, args, { cwd: PROJECT_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    const e = error as { stdout?: Buffer; stderr?: Buffer; message: string };
    process.stdout.write(' failed\n');
    throw new Error(`${label} failed:\n${e.stdout?.toString() ?? ''}${e.stderr?.toString() ?? e.message}`);
  }
  process.stdout.write(` done in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
}

/** The newest modification time under `paths`, leaving out the directories in `skip` (project-relative). */
function newestMtime(paths: string[], skip: string[] = []): number {
  let newest = 0;
  const skipped = new Set(skip.map((p) => path.join(PROJECT_ROOT, p)));
  const visit = (p: string) => {
    if (!fs.existsSync(p) || skipped.has(p)) return;
    const stat = fs.statSync(p);
    if (stat.isDirectory()) for (const entry of fs.readdirSync(p)) visit(path.join(p, entry));
    else newest = Math.max(newest, stat.mtimeMs);
  };
  paths.forEach((p) => visit(path.join(PROJECT_ROOT, p)));
  return newest;
}

/** The migrations as Prisma records them once applied: the directory's name and the SHA-256 of its SQL. */
function migrationsOnDisk(): { name: string; checksum: string }[] {
  const dir = path.join(PROJECT_ROOT, 'prisma', 'migrations');
  return fs.readdirSync(dir).filter((name) => fs.existsSync(path.join(dir, name, 'migration.sql'))).sort()
    .map((name) => ({ name, checksum: createHash('sha256').update(fs.readFileSync(path.join(dir, name, 'migration.sql'))).digest('hex') }));
}

/** Whether Prisma's own table in this SQLite file records every migration applied, unchanged; no file or table: no. */
function allApplied(file: string, wanted: { name: string; checksum: string }[]): boolean {
  if (!fs.existsSync(file)) return false;
  try {
    const require = createRequire(import.meta.url);
    const Database = require('better-sqlite3') as typeof import('better-sqlite3');
    const db = new Database(file, { readonly: true, fileMustExist: true });
    try {
      const rows = db.prepare('SELECT migration_name, checksum FROM _prisma_migrations WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL').all() as { migration_name: string; checksum: string }[];
      return wanted.every((m) => rows.some((r) => r.migration_name === m.name && r.checksum === m.checksum));
    } finally {
      db.close();
    }
  } catch {
    return false;
  }
}

/**
 * Brings the database to the migrations on disk. `prisma migrate deploy` starts the Prisma CLI and
 * its WebAssembly engine (1.3 to 2.3 s, each time): it runs only when Prisma's table in the file
 * lacks a migration. A new file is a copy of a migrated template (data/, named by the migrations'
 * checksums), made by the first migrate deploy into a new file; every test database, every
 * `zeroloss drill` and `zeroloss cluster` database starts that way.
 */
function migrate(databaseUrl: string, deploy: () => void): void {
  if (!databaseUrl.startsWith('file:')) return deploy();
  const file = path.resolve(PROJECT_ROOT, databaseUrl.slice('file:'.length));
  const wanted = migrationsOnDisk();
  if (allApplied(file, wanted)) return;
  const template = path.join(PROJECT_ROOT, 'data', `.migrated-${createHash('sha256').update(JSON.stringify(wanted)).digest('hex').slice(0, 16)}.db`);
  const fresh = !fs.existsSync(file);
  if (fresh && allApplied(template, wanted)) {
    fs.copyFileSync(template, file);
    process.stdout.write(`[setup] database created from the migrated template (${wanted.length} migrations)\n`);
    return;
  }
  deploy();
  if (fresh && allApplied(file, wanted) && !fs.existsSync(template)) {
    // Copied aside, then renamed: a process reading the template never sees half of it.
    const partial = `${template}.${process.pid}.tmp`;
    fs.copyFileSync(file, partial);
    fs.renameSync(partial, template);
  }
}

export interface SetupOptions {
  databaseUrl?: string;
  forceBuild?: boolean;
  /** skip the Next.js build (integration tests that need no pages) */
  skipBuild?: boolean;
}

export const NEXT_BUILD_LABEL = 'next build (first run or sources changed; about a minute)';

/** The `next build` command when the app was never built or its sources changed since; else null. */
export function staleNextBuild(force = false): { args: string[]; env: NodeJS.ProcessEnv } | null {
  const buildId = path.join(PROJECT_ROOT, '.next', 'BUILD_ID');
  // app/ imports types and tables from server/ and broker/ (live types, drill types, the settings schema,
  // the lab bugs): a change anywhere there may change the build. public/screenshots holds the docs'
  // images, which the end-to-end tests rewrite as they run: counting them rebuilt the app in the
  // middle of the suite, once per test file after the first that took a screenshot.
  const sources = newestMtime(['app', 'public', 'next.config.js', '.postcssrc.json', 'server', 'broker', 'package.json', 'tsconfig.json'], ['public/screenshots']);
  if (!force && fs.existsSync(buildId) && fs.statSync(buildId).mtimeMs >= sources) return null;
  return { args: [path.join(PROJECT_ROOT, 'node_modules', 'next', 'dist', 'bin', 'next'), 'build'], env: childProcessEnvironment({ NEXT_TELEMETRY_DISABLED: '1' }) };
}

export function ensureSetup(options: SetupOptions = {}): { databaseUrl: string } {
  const databaseUrl = options.databaseUrl ?? readServerEnvironment('DATABASE_URL').DATABASE_URL ?? DEFAULT_DATABASE_URL;
  const env = prismaEnv(databaseUrl);
  const prismaCli = path.join(PROJECT_ROOT, 'node_modules', 'prisma', 'build', 'index.js');
  const prismaConfig = ['--config', path.join(PROJECT_ROOT, 'prisma', 'prisma.config.ts')];
  fs.mkdirSync(path.join(PROJECT_ROOT, 'data'), { recursive: true });
  // SQLite creates the file, not its directory: a DATABASE_URL in a directory that does not exist yet
  // made migrate deploy fail with only "External error id#0".
  if (databaseUrl.startsWith('file:')) fs.mkdirSync(path.dirname(path.resolve(PROJECT_ROOT, databaseUrl.slice('file:'.length))), { recursive: true });

  // The client is generated for this schema exactly: @prisma/client's own postinstall leaves a stub
  // without models, so "a client exists" is not enough; a stamp of the schema's hash decides.
  const schemaHash = createHash('sha256').update(fs.readFileSync(path.join(PROJECT_ROOT, 'prisma', 'schema.prisma'))).digest('hex');
  const stamp = path.join(PROJECT_ROOT, 'node_modules', '.prisma', 'client', '.zeroloss-schema-sha256');
  if (!fs.existsSync(stamp) || fs.readFileSync(stamp, 'utf8') !== schemaHash) {
    run('prisma generate', [prismaCli, 'generate', ...prismaConfig], env);
    fs.writeFileSync(stamp, schemaHash);
  }
  migrate(databaseUrl, () => run('prisma migrate deploy', [prismaCli, 'migrate', 'deploy', ...prismaConfig], env));

  if (!options.skipBuild) {
    const build = staleNextBuild(options.forceBuild);
    if (build) run(NEXT_BUILD_LABEL, build.args, build.env);
  }
  return { databaseUrl };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  ensureSetup({ forceBuild: process.argv.includes('--force-build') });
}
