/**
 * `npm test`: unit, then integration (real broker processes), then end-to-end (real Chromium)
 * tests, each suite through Node's own test runner. `npm test -- unit` (or integration, e2e) runs one.
 * Suites run one file at a time: they start real processes and share two cores.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../server/cluster/child-process';
import { ensureSetup } from '../server/setup';

const suites = ['unit', 'integration', 'e2e'] as const;
const wanted = process.argv.slice(2).filter((a) => (suites as readonly string[]).includes(a));
const selected = wanted.length > 0 ? wanted : [...suites];

function testFiles(suite: string): string[] {
  const dir = path.join(PROJECT_ROOT, 'test', suite);
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir).filter((f) => f.endsWith('.test.ts')).sort().map((f) => path.join('test', suite, f));
}

const files = selected.flatMap(testFiles);
if (files.length === 0) {
  console.error(`no test files found for: ${selected.join(', ')}`);
  process.exit(1);
}
// The whole tree, tests included, is type-checked first (tsx runs TypeScript without checking it,
// and `next build` checks only what it builds).
if (wanted.length === 0) {
  const typecheck = spawnSync(process.execPath, [path.join(PROJECT_ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '--noEmit', '-p', 'test/tsconfig.json'], { cwd: PROJECT_ROOT, stdio: 'inherit' });
  if (typecheck.status !== 0) {
    console.error('type check failed: no test ran');
    process.exit(1);
  }
}
// The control plane builds and migrates on first start; do it once here, outside any test's timeout.
if (selected.includes('e2e') || selected.includes('integration')) ensureSetup();

/**
 * ali-ons cannot close its client after a broker it knew has died (its close() fails unregistering
 * from the dead master and leaves its timers running), so the files that drive it run in a second
 * pass with --test-force-exit. Every other file must leave nothing running.
 */
const forceExit = (file: string) => /ali-ons/.test(file);
let status = 0;
for (const [group, extra] of [[files.filter((f) => !forceExit(f)), []], [files.filter(forceExit), ['--test-force-exit']]] as const) {
  if (group.length === 0) continue;
  const result = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=1', '--test-reporter=spec', ...extra, ...group], {
    cwd: PROJECT_ROOT,
    stdio: 'inherit',
    env: { ...process.env, NODE_ENV: 'test' },
  });
  if (result.status !== 0) status = result.status ?? 1;
}
process.exit(status);
