/**
 * How many seeds a minute the deterministic simulator judges on this machine: the catalog's drills
 * as they are (safe sides, 10–12 s of traffic at 100–200 msg/s, about 2,000 messages a run), one
 * seed after another on one worker thread per core, as `npm run sim` runs them (with Node's
 * --single-threaded-gc, as its script does). Target (issue 14): at least 1,000 seeds a minute on 2
 * cores. Every result is simulated; a failed seed is printed and makes the bench exit 1.
 *
 * `node --single-threaded-gc --import tsx test/bench/sim-bench.ts` (npm run bench:sim);
 * BENCH_SIM_SEEDS (default 1000), BENCH_SIM_WORKERS (default: one per core).
 */
import os from 'node:os';
import { runPool, defaultWorkers } from '../../server/sim/sim-pool';
import { SIMULATED_DRILLS } from '../../server/sim/simulation';

const TARGET_SEEDS_PER_MINUTE = 1000;
const seeds = Number(process.env.BENCH_SIM_SEEDS ?? 1000);
const workers = Number(process.env.BENCH_SIM_WORKERS ?? defaultWorkers());

const summary = await runPool({ drills: [...SIMULATED_DRILLS], side: 'safe', seeds }, { workers });
const meanRunMs = summary.outcomes.reduce((n, o) => n + o.wallMs, 0) / Math.max(1, summary.outcomes.length);
const meanEvents = summary.outcomes.reduce((n, o) => n + o.events, 0) / Math.max(1, summary.outcomes.length);
console.log(`simulator: ${seeds} seeds of the catalog's safe sides, ${workers} worker(s) on ${os.availableParallelism()} core(s)`);
console.log(`  ${summary.seedsPerMinute.toFixed(0)} seeds a minute (target >= ${TARGET_SEEDS_PER_MINUTE} on 2 cores); ${(summary.wallMs / 1000).toFixed(1)} s in all`);
console.log(`  a run: ${meanRunMs.toFixed(0)} ms on its worker, ${meanEvents.toFixed(0)} events`);
for (const [drill, verdicts] of Object.entries(summary.byDrill)) console.log(`  ${drill.padEnd(24)} ${Object.entries(verdicts).map(([v, n]) => `${v}×${n}`).join(' ')}`);
if (summary.failed.length > 0) {
  for (const o of summary.failed.slice(0, 10)) console.log(`  FAILED seed ${o.seed} (${o.drillId}): ${o.verdict} ${o.reason.slice(0, 200)}`);
  process.exitCode = 1;
}
