/**
 * The drill matrix (`npm run drill:matrix`): every drill of the catalog × its safe and its unsafe
 * configuration (the catalog's `contrast`) × N seeds, each run headless on a cluster of the matrix's
 * own (name server, master, slave in a temp directory), then one table per drill and configuration:
 * verdicts, SEND_OK (and UNCHECKED) lost per seed, lost by last stage, duplicates, what the producer
 * was told, recovery time. The table is printed and written as JSON and Markdown after every run, so
 * a matrix stopped halfway still leaves the rows it finished.
 *
 * A contrast holds when the ledger tells the two sides apart as the catalog says (types.ts,
 * DrillContrast): for 'lost', the unsafe side loses messages its producer believed sent in every
 * seed and the safe side loses none in any; for 'told', neither loses one, the safe side tells the
 * producer the guarantee is missing in every seed and the unsafe side never does.
 *
 * Clusters: one is reused from run to run, and replaced by a fresh one when a run leaves it unable to
 * run the next drill (a promoted slave after master-disk-loss, a slave diverged by a power cut, a run
 * that failed).
 */
import { DEFAULT_TOPOLOGY, describeTopology, type Topology } from '../cluster/topology';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { UsageError, flagValue, wholeNumber } from '../cli-args';
import { readServerEnvironment } from '../environment';
import { pathToFileURL } from 'node:url';
import type { PrismaClient } from '@prisma/client';
import { DRILLS, drillSpec, type DrillSpec } from './catalog';
import { DRILL_IDS, DrillRunInputSchema, LEDGER_STAGES, type DrillContrastSide, type DrillId, type DrillRunDetail, type DrillRunInput, type LedgerStage, type Verdict } from './types';
import type { ControlPlane } from '../control-plane';
import type { DrillRunner } from './drill-runner';

export type ContrastSideName = 'safe' | 'unsafe';
export const CONTRAST_SIDES: readonly ContrastSideName[] = ['safe', 'unsafe'];

/** Statuses with which the broker says the message is stored but a guarantee is missing. */
const TOLD_STATUSES = ['FLUSH_DISK_TIMEOUT', 'FLUSH_SLAVE_TIMEOUT', 'SLAVE_NOT_AVAILABLE'] as const;

export interface MatrixOptions {
  drills: DrillId[];
  /** seeds per configuration */
  seeds: number;
  /** the first seed; the others follow it (firstSeed, firstSeed + 1, …) */
  firstSeed: number;
  /** traffic seconds for every run (default: each drill's own) */
  durationSec?: number;
  /** messages per second for every run (default: each drill's own) */
  rate?: number;
}

/** One run of the matrix, as the table needs it. */
export interface MatrixRun {
  drillId: DrillId;
  side: ContrastSideName;
  label: string;
  seed: number;
  runId: string | null;
  status: string;
  verdict: Verdict | null;
  verdictReason: string | null;
  error: string | null;
  attempted: number;
  sendOk: number;
  /** SEND_OK messages never consumed */
  lostSendOk: number;
  /** UNCHECKED messages (a producer that never looked) never consumed */
  lostUnchecked: number;
  lostTotal: number;
  lostByStage: Record<LedgerStage, number>;
  duplicates: number;
  /** sends answered FLUSH_DISK_TIMEOUT, FLUSH_SLAVE_TIMEOUT or SLAVE_NOT_AVAILABLE */
  told: number;
  rtoMs: number | null;
  wallMs: number;
}

/** One row of the table: a drill under one side of its contrast, over its seeds. */
export interface MatrixRow {
  drillId: DrillId;
  side: ContrastSideName;
  label: string;
  measure: 'lost' | 'told';
  runs: MatrixRun[];
}

export interface MatrixResult {
  startedAt: string;
  options: MatrixOptions;
  rows: MatrixRow[];
  /** per drill: does the contrast show on this machine (null while a side has no judged run) */
  contrasts: { drillId: DrillId; measure: 'lost' | 'told'; teaches: string; holds: boolean | null; why: string }[];
  finishedAt?: string;
}

/** The run input of one side of a drill's contrast, for one seed. */
export function contrastInput(spec: DrillSpec, side: ContrastSideName, seed: number, options: Pick<MatrixOptions, 'durationSec' | 'rate'> = {}): DrillRunInput {
  const s: DrillContrastSide = spec.contrast[side];
  return DrillRunInputSchema.parse({
    drillId: spec.id,
    seed,
    label: `matrix-${side}`,
    ...(options.durationSec !== undefined ? { durationSec: options.durationSec } : {}),
    ...(options.rate !== undefined ? { rate: options.rate } : {}),
    ...(s.traffic ?? {}),
    ...(s.broker && Object.keys(s.broker).length > 0 ? { broker: s.broker } : {}),
  });
}

/** What the matrix keeps of a recorded run (or of a simulated one: the simulator's matrix builds the same fields). */
export function matrixRun(
  spec: DrillSpec, side: ContrastSideName, seed: number,
  run: Pick<DrillRunDetail, 'runId' | 'status' | 'verdict' | 'verdictReason' | 'error' | 'summary'> | null, wallMs: number, error?: string,
): MatrixRun {
  const s = run?.summary ?? null;
  const zeroStages = Object.fromEntries(LEDGER_STAGES.map((st) => [st, 0])) as Record<LedgerStage, number>;
  return {
    drillId: spec.id,
    side,
    label: spec.contrast[side].label,
    seed,
    runId: run?.runId ?? null,
    status: run?.status ?? 'failed',
    verdict: run?.verdict ?? null,
    verdictReason: run?.verdictReason ?? null,
    error: run?.error ?? error ?? null,
    attempted: s?.attempted ?? 0,
    sendOk: s?.acknowledged.SEND_OK ?? 0,
    lostSendOk: s?.lostAcked ?? 0,
    lostUnchecked: s?.lost.UNCHECKED ?? 0,
    lostTotal: s?.lostTotal ?? 0,
    lostByStage: s ? { ...s.lostByStage } : zeroStages,
    duplicates: s?.duplicated ?? 0,
    told: s ? TOLD_STATUSES.reduce((n, st) => n + s.acknowledged[st], 0) : 0,
    rtoMs: s?.recovery.rtoMs ?? null,
    wallMs,
  };
}

/** Messages the producer believed sent and nobody consumed: SEND_OK, and UNCHECKED (it never looked). */
export function lostBelievedSent(run: MatrixRun): number {
  return run.lostSendOk + run.lostUnchecked;
}

/** Does the drill's contrast show in these runs? See the file comment. */
export function judgeContrast(measure: 'lost' | 'told', safe: MatrixRun[], unsafe: MatrixRun[]): { holds: boolean | null; why: string } {
  const judged = (runs: MatrixRun[]) => runs.filter((r) => r.status === 'done');
  const s = judged(safe);
  const u = judged(unsafe);
  const failedRuns = safe.length + unsafe.length - s.length - u.length;
  const failedNote = failedRuns > 0 ? `; ${failedRuns} run(s) did not finish` : '';
  if (s.length === 0 || u.length === 0) return { holds: null, why: `not judged: ${s.length === 0 ? 'no safe run' : 'no unsafe run'} finished${failedNote}` };
  const safeLost = s.map(lostBelievedSent);
  const unsafeLost = u.map(lostBelievedSent);
  if (measure === 'lost') {
    const problems: string[] = [];
    if (safeLost.some((n) => n > 0)) problems.push(`the safe side lost ${safeLost.join('/')} message(s) its producer believed sent`);
    if (unsafeLost.some((n) => n === 0)) problems.push(`the unsafe side lost none in ${unsafeLost.filter((n) => n === 0).length} of ${u.length} seed(s) (${unsafeLost.join('/')})`);
    return problems.length === 0
      ? { holds: true, why: `safe lost 0 in ${s.length} seed(s); unsafe lost ${unsafeLost.join('/')}${failedNote}` }
      : { holds: false, why: problems.join('; ') + failedNote };
  }
  const problems: string[] = [];
  if (safeLost.some((n) => n > 0) || unsafeLost.some((n) => n > 0)) problems.push(`a side lost messages its producer believed sent (safe ${safeLost.join('/')}, unsafe ${unsafeLost.join('/')})`);
  if (s.some((r) => r.told === 0)) problems.push(`the safe side never told the producer in ${s.filter((r) => r.told === 0).length} seed(s)`);
  if (u.some((r) => r.told > 0)) problems.push(`the unsafe side told the producer (${u.map((r) => r.told).join('/')})`);
  return problems.length === 0
    ? { holds: true, why: `safe told ${s.map((r) => r.told).join('/')} send(s) the guarantee was missing; unsafe answered SEND_OK throughout; nothing lost${failedNote}` }
    : { holds: false, why: problems.join('; ') + failedNote };
}

export function summarizeContrasts(rows: MatrixRow[]): MatrixResult['contrasts'] {
  const ids = [...new Set(rows.map((r) => r.drillId))];
  return ids.map((drillId) => {
    const spec = drillSpec(drillId);
    const of = (side: ContrastSideName) => rows.find((r) => r.drillId === drillId && r.side === side)?.runs ?? [];
    const { holds, why } = judgeContrast(spec.contrast.measure, of('safe'), of('unsafe'));
    return { drillId, measure: spec.contrast.measure, teaches: spec.contrast.teaches, holds, why };
  });
}

// ---- the table ----

const perSeed = (runs: MatrixRun[], value: (r: MatrixRun) => number | null | string) => runs.map((r) => (r.status === 'done' ? String(value(r) ?? '–') : 'x')).join(' / ');

function verdicts(runs: MatrixRun[]): string {
  const counts = new Map<string, number>();
  for (const r of runs) {
    const key = r.status === 'done' ? r.verdict ?? '?' : r.status;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts].map(([k, n]) => `${k}×${n}`).join(' ');
}

function stages(runs: MatrixRun[]): string {
  const total = Object.fromEntries(LEDGER_STAGES.map((st) => [st, 0])) as Record<LedgerStage, number>;
  for (const r of runs) for (const st of LEDGER_STAGES) total[st] += r.lostByStage[st];
  return LEDGER_STAGES.filter((st) => total[st] > 0).map((st) => `${st} ${total[st]}`).join(', ') || '–';
}

export const TABLE_HEADER = ['drill', 'config', 'seeds', 'verdicts', 'SEND_OK lost per seed', 'UNCHECKED lost per seed', 'lost by stage (all seeds)', 'duplicates per seed', 'told per seed', 'RTO ms per seed'];

export function tableRows(result: MatrixResult): string[][] {
  return result.rows.map((row) => [
    row.drillId,
    `${row.side}: ${row.label}`,
    String(row.runs.length),
    verdicts(row.runs),
    perSeed(row.runs, (r) => r.lostSendOk),
    perSeed(row.runs, (r) => r.lostUnchecked),
    stages(row.runs.filter((r) => r.status === 'done')),
    perSeed(row.runs, (r) => r.duplicates),
    perSeed(row.runs, (r) => r.told),
    perSeed(row.runs, (r) => r.rtoMs),
  ]);
}

export function matrixMarkdown(result: MatrixResult): string {
  const esc = (c: string) => c.replace(/\|/g, '\\|');
  const lines = [
    `# Drill matrix`,
    '',
    `Started ${result.startedAt}${result.finishedAt ? `, finished ${result.finishedAt}` : ' (not finished)'}; ${result.options.seeds} seed(s) from ${result.options.firstSeed}`
      + `${result.options.durationSec ? `, ${result.options.durationSec} s of traffic` : ''}${result.options.rate ? `, ${result.options.rate} msg/s` : ''}.`
      + ' "told": sends answered FLUSH_DISK_TIMEOUT / FLUSH_SLAVE_TIMEOUT / SLAVE_NOT_AVAILABLE; "x": the run did not finish.',
    '',
    `| ${TABLE_HEADER.join(' | ')} |`,
    `|${TABLE_HEADER.map(() => '---').join('|')}|`,
    ...tableRows(result).map((cells) => `| ${cells.map(esc).join(' | ')} |`),
    '',
    '| drill | measure | contrast shows | why |',
    '|---|---|---|---|',
    ...result.contrasts.map((c) => `| ${c.drillId} | ${c.measure} | ${c.holds === null ? 'not judged' : c.holds ? 'yes' : 'NO'} | ${esc(c.why)} |`),
  ];
  const failed = result.rows.flatMap((r) => r.runs).filter((r) => r.status !== 'done' || r.verdict === 'FAIL');
  if (failed.length > 0) {
    lines.push('', 'Runs that failed or were judged FAIL:', '');
    for (const r of failed) lines.push(`- ${r.drillId} ${r.side} seed ${r.seed} (run ${r.runId ?? '-'}): ${r.status === 'done' ? `FAIL: ${r.verdictReason}` : `${r.status}: ${r.error}`}`);
  }
  return `${lines.join('\n')}\n`;
}

/** The table for a terminal: fixed-width columns. */
export function matrixText(result: MatrixResult): string {
  const rows = [TABLE_HEADER, ...tableRows(result)];
  const widths = TABLE_HEADER.map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd();
  return [
    line(rows[0]),
    ...rows.slice(1).map(line),
    '',
    ...result.contrasts.map((c) => `${c.drillId.padEnd(24)}${c.holds === null ? 'not judged' : c.holds ? 'contrast shows' : 'CONTRAST MISSING'}: ${c.why}`),
  ].join('\n');
}

// ---- clusters and the run loop ----

/** A control plane of the matrix's own, in a temp directory with its own database. */
export interface MatrixCluster {
  controlPlane: ControlPlane;
  runner: DrillRunner;
  close(): Promise<void>;
}

/** Starts a cluster as `zeroloss drill` does: name server, masters and slaves of `topology` on free ports. */
export async function startMatrixCluster(topology: Topology = DEFAULT_TOPOLOGY): Promise<MatrixCluster> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'zeroloss-matrix-'));
  const databaseUrl = `file:${path.join(dataDir, 'zeroloss.db')}`;
  const { ensureSetup } = await import('../setup');
  ensureSetup({ databaseUrl, skipBuild: true });
  const [{ createPrisma }, { createLab }] = await Promise.all([import('../db/prisma'), import('../lab')]);
  const prisma: PrismaClient = createPrisma(databaseUrl);
  const lab = createLab({ prisma, dataDir, brokerPort: 0, namesrvPort: 0, startSlave: true, topology });
  const { controlPlane } = lab;
  const close = async () => {
    await lab.stop().catch(() => {});
    await prisma.$disconnect().catch(() => {});
    // ZL_MATRIX_KEEP_DATA=1 keeps every cluster's directory (its database holds each run's events)
    if (readServerEnvironment('ZL_MATRIX_KEEP_DATA').ZL_MATRIX_KEEP_DATA) console.log(`[matrix] cluster data kept in ${dataDir}`);
    else fs.rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    await controlPlane.start();
    const deadline = Date.now() + 30_000;
    while (!controlPlane.secondReplica.running && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    if (!controlPlane.secondReplica.running) throw new Error('the slave did not start within 30 s');
  } catch (error) {
    await close();
    throw error;
  }
  return { controlPlane, runner: lab.drillRunner, close };
}

/**
 * A cluster that cannot run the next drill as it is: another shape than the drill's, a slave was
 * promoted (the original master is gone), or a group lost its master (group-loss).
 */
function spent(cluster: MatrixCluster, topology: Topology): boolean {
  const cp = cluster.controlPlane;
  return cp.topology.groups !== topology.groups || cp.topology.replicas !== topology.replicas
    || cp.classicGroups.some((g) => g.promotion !== undefined || !g.master.running || g.view()?.connectionState === 'DIVERGED') || !cp.slaveRunning;
}

export interface MatrixHooks {
  /** a cluster of this shape to run on; the matrix calls it again when the one it has is spent */
  cluster: (topology: Topology) => Promise<MatrixCluster>;
  /** after every run, with the result so far */
  progress?: (result: MatrixResult, run: MatrixRun) => void;
  log?: (line: string) => void;
  /** a bound on one run, ms (default 6 minutes) */
  runTimeoutMs?: number;
}

/** Runs the matrix: for each drill, seed by seed, the safe then the unsafe configuration. */
export async function runMatrix(options: MatrixOptions, hooks: MatrixHooks): Promise<MatrixResult> {
  const log = hooks.log ?? (() => {});
  const result: MatrixResult = { startedAt: new Date().toISOString(), options, rows: [], contrasts: [] };
  let cluster: MatrixCluster | undefined;
  try {
    for (const drillId of options.drills) {
      const spec = drillSpec(drillId);
      const rows = Object.fromEntries(CONTRAST_SIDES.map((side) => {
        const row: MatrixRow = { drillId, side, label: spec.contrast[side].label, measure: spec.contrast.measure, runs: [] };
        result.rows.push(row);
        return [side, row];
      })) as Record<ContrastSideName, MatrixRow>;
      for (let i = 0; i < options.seeds; i++) {
        const seed = options.firstSeed + i;
        for (const side of CONTRAST_SIDES) {
          const started = Date.now();
          let run: MatrixRun;
          try {
            const topology = spec.topology ?? DEFAULT_TOPOLOGY;
            if (cluster && spent(cluster, topology)) {
              log(`[matrix] the cluster is spent or of another shape (a promoted slave, a lost master, no slave or a diverged one, not ${describeTopology(topology)}): starting a fresh one`);
              await cluster.close();
              cluster = undefined;
            }
            cluster ??= await hooks.cluster(topology);
            const input = contrastInput(spec, side, seed, options);
            log(`[matrix] ${drillId} ${side} (${spec.contrast[side].label}) seed ${seed} ...`);
            const { runId } = await cluster.runner.run(input);
            const outcome = await withTimeout(cluster.runner.wait(runId) ?? Promise.resolve(undefined), hooks.runTimeoutMs ?? 360_000, `${drillId} ${side} seed ${seed}`);
            const detail = await cluster.runner.get({ runId, anomalyLimit: 0 });
            run = matrixRun(spec, side, seed, detail, Date.now() - started, outcome?.error);
            if (run.status !== 'done') {
              // A failed run may leave the cluster half-way (a fault not undone): the next run gets a fresh one.
              await cluster.close();
              cluster = undefined;
            }
          } catch (error) {
            run = matrixRun(spec, side, seed, null, Date.now() - started, (error as Error).message);
            await cluster?.close();
            cluster = undefined;
          }
          rows[side].runs.push(run);
          result.contrasts = summarizeContrasts(result.rows);
          log(`[matrix] ${drillId} ${side} seed ${seed}: ${run.status}${run.verdict ? ` ${run.verdict}` : ''}, SEND_OK lost ${run.lostSendOk}, UNCHECKED lost ${run.lostUnchecked}, told ${run.told}, duplicates ${run.duplicates}, RTO ${run.rtoMs ?? '–'} ms (${Math.round(run.wallMs / 1000)} s)${run.error ? `: ${run.error}` : ''}`);
          hooks.progress?.(result, run);
        }
      }
    }
  } finally {
    await cluster?.close();
  }
  result.finishedAt = new Date().toISOString();
  result.contrasts = summarizeContrasts(result.rows);
  return result;
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} did not end within ${Math.round(ms / 1000)} s`)), ms);
    promise.then((v) => { clearTimeout(timer); resolve(v); }, (e: unknown) => { clearTimeout(timer); reject(e as Error); });
  });
}

// ---- the command ----

export const MATRIX_USAGE = `usage: npm run drill:matrix -- [options]

Runs every drill (or those named) under its safe and its unsafe configuration (the catalog's
contrast), N seeds each, on clusters of its own; prints one table and writes it as JSON and Markdown.

options:
  --seeds N            seeds per configuration (default 5)
  --first-seed S       the first seed (default 1); the others follow it
  --drills a,b         only these drills: ${DRILL_IDS.join(', ')}
  --duration S         seconds of traffic for every run (default: each drill's own)
  --rate N             messages per second for every run (default: each drill's own)
  --out PATH           where to write PATH.json and PATH.md (default data/drill-matrix/matrix-<time>)
  -h, --help           this text

  ZL_MATRIX_KEEP_DATA=1 keeps each cluster's data directory (database, logs) instead of deleting it

  exit status: 0 every contrast shows, 1 some contrast does not (or was not judged), 2 a usage error`;


export function parseMatrixArgs(argv: string[]): { options: MatrixOptions; out: string } {
  const options: MatrixOptions = { drills: DRILLS.map((d) => d.id), seeds: 5, firstSeed: 1 };
  let out: string | undefined;
  const value = (i: number, flag: string) => flagValue(argv, i, flag);
  const int = (v: string, flag: string, min: number) => wholeNumber(v, flag, min);
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    switch (arg) {
      case '--seeds': options.seeds = int(value(i, arg), arg, 1); i++; break;
      case '--first-seed': options.firstSeed = int(value(i, arg), arg, 0); i++; break;
      case '--duration': options.durationSec = int(value(i, arg), arg, 3); i++; break;
      case '--rate': options.rate = int(value(i, arg), arg, 1); i++; break;
      case '--out': out = value(i, arg); i++; break;
      case '--drills': {
        const names = value(i, arg).split(',').map((d) => d.trim()).filter(Boolean);
        i++;
        const unknown = names.filter((d) => !(DRILL_IDS as readonly string[]).includes(d));
        if (unknown.length > 0) throw new UsageError(`--drills: unknown drill ${unknown.join(', ')}: one of ${DRILL_IDS.join(', ')}`);
        if (names.length === 0) throw new UsageError('--drills needs at least one drill');
        options.drills = names as DrillId[];
        break;
      }
      default:
        throw new UsageError(`unknown option ${arg}`);
    }
  }
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  return { options, out: out ?? path.join('data', 'drill-matrix', `matrix-${stamp}`) };
}

function write(out: string, result: MatrixResult): void {
  fs.mkdirSync(path.dirname(path.resolve(out)), { recursive: true });
  fs.writeFileSync(`${out}.json`, `${JSON.stringify(result, null, 2)}\n`);
  fs.writeFileSync(`${out}.md`, matrixMarkdown(result));
}

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  if (argv.includes('-h') || argv.includes('--help')) {
    console.log(MATRIX_USAGE);
    return 0;
  }
  let parsed: { options: MatrixOptions; out: string };
  try {
    parsed = parseMatrixArgs(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`${error.message}\n\n${MATRIX_USAGE}`);
    return 2;
  }
  const { options, out } = parsed;
  console.log(`[matrix] ${options.drills.length} drill(s) × safe/unsafe × ${options.seeds} seed(s); writing ${out}.json and ${out}.md after every run`);
  const result = await runMatrix(options, {
    cluster: startMatrixCluster,
    log: (line) => console.log(line),
    progress: (partial) => write(out, partial),
  });
  write(out, result);
  console.log(`\n${matrixText(result)}\n\n[matrix] written: ${out}.json, ${out}.md`);
  return result.contrasts.every((c) => c.holds === true) ? 0 : 1;
}

// Run as a command only (the test imports the functions).
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().then((code) => process.exit(code), (error: Error) => {
    console.error(`[matrix] ${error.stack ?? error.message}`);
    process.exit(2);
  });
}
