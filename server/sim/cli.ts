/**
 * `npm run sim -- [options]`: the deterministic simulator from the command line (docs/simulation.md).
 *
 *   npm run sim -- --seeds 1000 --drills all --side safe      every seed judged; prints failed seeds, seeds/minute
 *   npm run sim -- --seed 42 --drills power-loss --trace      replays one seed and prints its event trace
 *   npm run sim -- --seeds 20 --check-determinism             runs every seed twice; differing traces fail
 *   npm run sim -- --matrix --seeds 5                         the drill matrix's table, simulated (safe and unsafe sides)
 *
 * Exit codes: 0 no seed failed (FAIL, BUDGET or ERROR), 1 some did, 2 a usage error.
 */
import { LAB_BUG_NAMES } from '../../broker/lab-bugs.js';
import { UsageError, flagValue, wholeNumber } from '../cli-args.js';
import { SIMULATED_DRILLS } from './simulation.js';
import { SimBatchInputSchema, isFailure, runSeed, shrink, summarize, type SeedOutcome, type SimBatch, type SimBatchInput } from './sim-batch.js';
import { defaultWorkers, runPool } from './sim-pool.js';
import { simulate, simulationSettings } from './simulation.js';
import { drillSpec } from '../drills/catalog.js';
import { matrixMarkdown, matrixRun, summarizeContrasts, type MatrixResult, type MatrixRow } from '../drills/matrix.js';
import type { LabBug } from '../../broker/lab-bugs.js';

const USAGE = `usage: npm run sim -- [options]

Runs drills of the catalog on the deterministic simulator: the real broker, client and ledger code
on a simulated clock, network and disks, one seed per run. Every result is simulated.

options:
  --drills LIST          drills to run (a seed picks one): ${SIMULATED_DRILLS.join(', ')}, or all (default)
  --side safe|unsafe     run each drill's safe or unsafe configuration (default: RocketMQ's defaults)
  --config KEY=VALUE     a broker setting (RocketMQ's name) or traffic key (sendMode, ackMode, idempotent,
                         rate, durationSec, consumers); repeatable
  --lab-bug NAME         switch a deliberate bug on (${LAB_BUG_NAMES.join(', ')}); repeatable
  --seeds N              how many seeds (default 100), from --from (default 1)
  --from S               the first seed
  --seed S               one seed: the same as --from S --seeds 1
  --trace                print the event trace of each seed (with --seed)
  --workers N            worker threads (default ${defaultWorkers()})
  --check-determinism    run every seed twice; a seed whose two traces differ fails
  --matrix               the drill matrix's table for --drills: safe and unsafe side × --seeds, simulated
  --no-shrink            do not shrink failed seeds to a shorter run
  --json                 one JSON object instead of the report`;


interface CliOptions {
  input: SimBatchInput;
  trace: boolean;
  workers: number;
  determinism: boolean;
  matrix: boolean;
  shrink: boolean;
  json: boolean;
}

export function parseSimArgs(argv: string[]): CliOptions {
  const input: SimBatchInput & { config: Record<string, string | number | boolean>; labBugs: string[] } = { drills: [...SIMULATED_DRILLS], seeds: 100, config: {}, labBugs: [] };
  const options = { trace: false, workers: defaultWorkers(), determinism: false, matrix: false, shrink: true, json: false };
  const value = (i: number, flag: string) => flagValue(argv, i, flag);
  const whole = (v: string, flag: string) => wholeNumber(v, flag);
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    switch (arg) {
      case '--drills': {
        const v = value(i++, arg);
        input.drills = (v === 'all' ? [...SIMULATED_DRILLS] : v.split(',')) as SimBatchInput['drills'];
        break;
      }
      case '--side': input.side = value(i++, arg) as 'safe' | 'unsafe'; break;
      case '--config': {
        const v = value(i++, arg);
        const eq = v.indexOf('=');
        if (eq <= 0) throw new UsageError(`--config takes KEY=VALUE, got "${v}"`);
        const raw = v.slice(eq + 1);
        input.config[v.slice(0, eq)] = raw === 'true' ? true : raw === 'false' ? false : /^-?\d+$/.test(raw) ? Number(raw) : raw;
        break;
      }
      case '--lab-bug': input.labBugs.push(value(i++, arg)); break;
      case '--seeds': input.seeds = whole(value(i++, arg), arg); break;
      case '--from': input.fromSeed = whole(value(i++, arg), arg); break;
      case '--seed': input.fromSeed = whole(value(i++, arg), arg); input.seeds = 1; break;
      case '--trace': options.trace = true; break;
      case '--workers': options.workers = whole(value(i++, arg), arg); break;
      case '--check-determinism': options.determinism = true; break;
      case '--matrix': options.matrix = true; break;
      case '--no-shrink': options.shrink = false; break;
      case '--json': options.json = true; break;
      case '--help': case '-h': throw new UsageError('');
      default: throw new UsageError(`unknown option ${arg}`);
    }
  }
  const parsed = SimBatchInputSchema.safeParse(input);
  if (!parsed.success) throw new UsageError(parsed.error.issues.map((i) => i.message).join('; '));
  return { input, ...options };
}

function line(o: SeedOutcome): string {
  const rto = o.rtoMs === null ? '' : `, RTO ${Math.round(o.rtoMs)} ms`;
  return `seed ${o.seed} ${o.drillId}: ${o.verdict} (lost ${o.lostAcked} SEND_OK, ${o.lostBelievedSent} believed sent; ${o.duplicated} duplicated${rto}; ${o.events} events, trace ${o.traceHash})`;
}

async function main(): Promise<number> {
  let options: CliOptions;
  try {
    options = parseSimArgs(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(error.message ? `${error.message}\n\n${USAGE}` : USAGE);
    return 2;
  }
  const batch: SimBatch = SimBatchInputSchema.parse(options.input);

  if (options.trace) {
    for (let seed = batch.fromSeed; seed < batch.fromSeed + batch.seeds; seed++) {
      const { outcome, result } = await runSeed(batch, seed, true);
      for (const text of result?.trace ?? []) console.log(text);
      console.log(`simulated: ${line(outcome)}\n  ${outcome.reason}`);
    }
    return 0;
  }

  if (options.determinism) {
    let differ = 0;
    for (let seed = batch.fromSeed; seed < batch.fromSeed + batch.seeds; seed++) {
      const [a, b] = [(await runSeed(batch, seed)).outcome, (await runSeed(batch, seed)).outcome];
      if (a.traceHash !== b.traceHash) {
        differ++;
        console.log(`seed ${seed} ${a.drillId}: traces differ (${a.traceHash} then ${b.traceHash})`);
      }
    }
    console.log(`simulated: ${batch.seeds} seed(s) run twice, ${differ} with differing traces`);
    return differ > 0 ? 1 : 0;
  }

  if (options.matrix) {
    const result = await simulatedMatrix(batch);
    console.log(options.json ? JSON.stringify(result, null, 2) : `Simulated (npm run sim -- --matrix), not real-process runs.\n\n${matrixMarkdown(result)}`);
    return result.contrasts.every((c) => c.holds) ? 0 : 1;
  }

  const progressEvery = Math.max(1, Math.floor(batch.seeds / 20));
  const summary = await runPool(batch, {
    workers: options.workers,
    onOutcome: (o, done, total) => {
      if (!options.json && (done % progressEvery === 0 || isFailure(o))) process.stderr.write(`  ${done}/${total}${isFailure(o) ? `  ${line(o)}` : ''}\n`);
    },
  });
  const shrunk = options.shrink ? await Promise.all(summary.failed.slice(0, 5).map(async (o) => ({ seed: o.seed, ...(await shrink(batch, o)) }))) : [];
  if (options.json) {
    console.log(JSON.stringify({ ...summarize(batch, summary.outcomes, summary.wallMs), shrunk }, null, 2));
    return summary.failed.length > 0 ? 1 : 0;
  }
  console.log(`simulated: ${batch.seeds} seed(s) from ${batch.fromSeed}${batch.side ? `, ${batch.side} side` : ''}${batch.labBugs.length ? `, lab bugs ${batch.labBugs.join(', ')}` : ''}, ${options.workers} worker(s): ${summary.seedsPerMinute.toFixed(0)} seeds/minute`);
  for (const [drill, verdicts] of Object.entries(summary.byDrill)) {
    console.log(`  ${drill.padEnd(24)} ${Object.entries(verdicts).map(([v, n]) => `${v}×${n}`).join('  ')}`);
  }
  if (summary.failed.length === 0) {
    console.log('no seed failed');
    return 0;
  }
  console.log(`${summary.failed.length} seed(s) failed:`);
  for (const o of summary.failed.slice(0, 50)) console.log(`  ${line(o)}\n    ${o.reason.split('\n')[0]}`);
  for (const s of shrunk) {
    const args = Object.entries(s.config).map(([k, v]) => `--config ${k}=${v}`).join(' ');
    console.log(`  shrunk seed ${s.seed}: still ${s.outcome.verdict} with ${args || 'no change'}; replay: npm run sim -- --seed ${s.seed} --drills ${s.outcome.drillId}${batch.side ? ` --side ${batch.side}` : ''} ${args} --trace`);
  }
  return 1;
}

/** The drill matrix's table, from simulated runs: each drill's safe and unsafe side over the batch's seeds. */
async function simulatedMatrix(batch: SimBatch): Promise<MatrixResult> {
  const startedAt = new Date().toISOString();
  const rows: MatrixRow[] = [];
  for (const drillId of batch.drills) {
    const spec = drillSpec(drillId);
    for (const side of ['safe', 'unsafe'] as const) {
      const runs = [];
      for (let seed = batch.fromSeed; seed < batch.fromSeed + batch.seeds; seed++) {
        const started = performance.now();
        const r = await simulate({ drillId, settings: simulationSettings(drillId, side), seed, labBugs: batch.labBugs as LabBug[] });
        const judged = r.verdict !== 'BUDGET';
        runs.push(matrixRun(spec, side, seed, {
          runId: `sim-${seed}`, status: judged ? 'done' : 'failed', verdict: judged ? r.verdict as MatrixRow['runs'][number]['verdict'] : null,
          verdictReason: r.reason, error: judged ? null : r.reason, summary: r.summary,
        }, performance.now() - started));
        process.stderr.write(`  ${drillId} ${side} seed ${seed}: ${r.verdict}\n`);
      }
      rows.push({ drillId, side, label: spec.contrast[side].label, measure: spec.contrast.measure, runs });
    }
  }
  return { startedAt, finishedAt: new Date().toISOString(), options: { drills: [...batch.drills], seeds: batch.seeds, firstSeed: batch.fromSeed }, rows, contrasts: summarizeContrasts(rows) };
}

main().then((code) => process.exit(code), (error: Error) => {
  console.error(`simulator failed: ${error.stack ?? error.message}`);
  process.exit(2);
});
