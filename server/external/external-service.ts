/**
 * The dashboard's side of external targets (the External page): read a cluster Zeroloss did not
 * start, print what a fault would run (dry run), run one external drill at a time with its progress,
 * keep the last run's result. The drill itself is server/external/external-drill.ts, the same code
 * `zeroloss drill --target external` runs.
 *
 * A target's fault executor is kept as a file the CLI reads too (executor-files.ts), saved only when it
 * parses. The name server addresses and the ACL account come with each request and live only as long
 * as the run. The account's secret key is never stored, shown
 * back or logged: it is not in the run's status, its record in the drill history or the live state, and
 * the audit log redacts it (its field is named secretKey); the accessKey is shown.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { ExternalCluster, NamesrvAddrSchema, type ExternalClusterView } from './external-cluster';
import { EXTERNAL_SCENARIOS, runExternalDrill, type ExternalDrillOutcome, type ExternalRunRecord } from './external-drill';
import type { DrillRecorder } from '../drills/recorder';
import type { DrillTarget } from '../drills/types';
import { parseExecutorConfig } from './fault-executors';
import { EXECUTOR_FILES_DIR, ExecutorConfigRefused, ExecutorFiles, type ExecutorFile } from './executor-files';
import { DrillRunInputSchema } from '../drills/types';
import { DRILL_TRAFFIC_LIMITS } from '../drills/limits';
import type { DrillResult } from '../drills/reports';
import type { SessionCredentials } from '../../broker/acl/acl-signature';
import { aclAccountFields, credentialsOf, refineAclPair } from './acl-account';

export const ExternalDescribeInputSchema = z.object({ namesrvAddr: NamesrvAddrSchema, ...aclAccountFields }).superRefine(refineAclPair);

/** the executor configuration as JSON text (docs/fault-executors.md), validated by parseExecutorConfig */
const ExecutorTextSchema = z.string().max(20_000, 'executor: at most 20,000 characters');

/** A target's name servers, whose saved executor is asked for. */
export const ExternalTargetInputSchema = z.object({ namesrvAddr: NamesrvAddrSchema });

export const ExternalSaveExecutorInputSchema = z.object({
  namesrvAddr: NamesrvAddrSchema,
  executor: ExecutorTextSchema.refine((v) => v.trim().length > 0, 'executor: paste the configuration (JSON) to save'),
});

const run = DrillRunInputSchema.shape;

export const ExternalRunInputSchema = z.object({
  namesrvAddr: NamesrvAddrSchema,
  /** required by process-crash; producer-network-flap faults a proxy of its own */
  executor: ExecutorTextSchema.optional().transform((v) => (v?.trim() ? v : undefined)),
  scenario: z.enum(EXTERNAL_SCENARIOS, { error: `scenario must be ${EXTERNAL_SCENARIOS.join(', ')}` }).default('process-crash'),
  brokerName: z.string().trim().min(1).max(64).optional(),
  // The traffic's rules are an embedded drill's (one schema), with the External page's defaults.
  durationSec: run.durationSec.unwrap().default(20),
  rate: run.rate.unwrap().default(200),
  sendMode: run.sendMode.unwrap().default('sync'),
  ackMode: run.ackMode.unwrap().default('after-processing'),
  consumers: run.consumers.unwrap().default(2),
  producers: z.number({ error: 'producers must be a number of traffic runner processes' }).int('producers must be a whole number')
    .min(DRILL_TRAFFIC_LIMITS.producers.min, `producers must be at least ${DRILL_TRAFFIC_LIMITS.producers.min}`)
    .max(DRILL_TRAFFIC_LIMITS.producers.max, `producers must be at most ${DRILL_TRAFFIC_LIMITS.producers.max}`).default(1),
  seed: run.seed,
  dryRun: z.boolean().default(false),
  ...aclAccountFields,
}).superRefine((input, ctx) => {
  refineAclPair(input, ctx);
  if (input.scenario === 'process-crash' && input.executor === undefined) ctx.addIssue({ code: 'custom', path: ['executor'], message: 'executor: process-crash kills a broker through a fault executor: paste its configuration (JSON)' });
  if (input.producers > input.rate) ctx.addIssue({ code: 'custom', path: ['producers'], message: `producers (${input.producers}) must not exceed the rate (${input.rate} msg/s): each traffic runner sends at least 1 msg/s` });
});
export type ExternalRunInput = z.infer<typeof ExternalRunInputSchema>;

export interface ExternalRunStatus {
  runId: number;
  state: 'running' | 'done' | 'failed';
  startedAt: number;
  target: string;
  dryRun: boolean;
  /** progress, as the CLI prints it */
  lines: string[];
  result?: DrillResult;
  /** a dry run's commands and manifests */
  plan?: string;
  error?: string;
  /** the run's id in the drill history (its replay page), once it is recorded */
  recordedRunId?: string;
}

export class ExternalTargetBusyError extends Error {}
export class ExternalInputError extends Error {}

const LINES_KEPT = 200;

export class ExternalTargetService {
  private current: ExternalRunStatus | undefined;
  private abort: AbortController | undefined;
  private runs = 0;
  private readonly executorFiles: ExecutorFiles;

  /**
   * `busy` says why a run may not start now (an embedded drill or a simulation holds the CPU), or
   * undefined; `recorder`, when given, keeps each run (not a dry run) in the drill history.
   */
  constructor(private readonly dataRoot: string, private readonly busy: () => string | undefined, private readonly recorder?: DrillRecorder) {
    this.executorFiles = new ExecutorFiles(path.join(dataRoot, EXECUTOR_FILES_DIR));
  }

  /** The fault executor saved for these name servers, or null. */
  savedExecutor(namesrvAddrs: readonly string[]): ExecutorFile | null {
    return this.executorFiles.read(namesrvAddrs);
  }

  /** Saves a target's fault executor once it parses; a configuration that does not is refused with its field and rule. */
  saveExecutor(namesrvAddrs: readonly string[], text: string): ExecutorFile & { type: string } {
    try {
      const { file, text: saved, config } = this.executorFiles.save(namesrvAddrs, text);
      return { file, text: saved, type: config.type };
    } catch (error) {
      if (error instanceof ExecutorConfigRefused) throw new ExternalInputError(error.message);
      throw error;
    }
  }

  async describe(namesrvAddrs: string[], credentials?: SessionCredentials): Promise<ExternalClusterView> {
    const cluster = new ExternalCluster(namesrvAddrs, credentials);
    try {
      return await cluster.describe();
    } finally {
      cluster.close();
    }
  }

  status(): ExternalRunStatus | null {
    return this.current ? { ...this.current, lines: [...this.current.lines] } : null;
  }

  /** Starts a run (or a dry run) and returns its status at once; its progress is read with status(). */
  start(input: ExternalRunInput): ExternalRunStatus {
    if (this.current?.state === 'running') throw new ExternalTargetBusyError(`external run ${this.current.runId} is still running: wait for it or cancel it`);
    const why = this.busy();
    if (why && !input.dryRun) throw new ExternalTargetBusyError(why);
    let executor;
    try {
      executor = input.executor === undefined ? undefined : parseExecutorConfig(input.executor, 'executor');
    } catch (error) {
      throw new ExternalInputError((error as Error).message);
    }
    const status: ExternalRunStatus = { runId: ++this.runs, state: 'running', startedAt: Date.now(), target: input.namesrvAddr.join(';'), dryRun: input.dryRun, lines: [] };
    this.current = status;
    const abort = new AbortController();
    this.abort = abort;
    const dataDir = fs.mkdtempSync(path.join(fs.existsSync(this.dataRoot) ? this.dataRoot : os.tmpdir(), 'external-'));
    const log = (line: string) => {
      status.lines.push(line);
      if (status.lines.length > LINES_KEPT) status.lines.shift();
    };
    const record = this.recorder && !input.dryRun ? this.recordTo(this.recorder, status, { kind: 'external', namesrv: status.target, executor: executor?.type ?? 'fault proxy' }) : undefined;
    void runExternalDrill({
      namesrvAddrs: input.namesrvAddr, ...(executor ? { executor } : {}), scenario: input.scenario, queueNums: 4, producers: input.producers, dataDir, dryRun: input.dryRun, log, signal: abort.signal,
      ...(record ? { record } : {}),
      credentials: credentialsOf(input),
      traffic: { sendMode: input.sendMode, ackMode: input.ackMode, idempotent: false, consumers: input.consumers, rate: input.rate, durationSec: input.durationSec },
      ...(input.seed !== undefined ? { seed: input.seed } : {}), ...(input.brokerName ? { brokerName: input.brokerName } : {}),
    }).then(async (outcome: ExternalDrillOutcome) => {
      // The record first: once the status says the run ended, its history row says so too.
      if (this.recorder && status.recordedRunId) {
        const r = outcome.result;
        await this.recorder.finish(status.recordedRunId, {
          status: r.status === 'done' ? 'done' : abort.signal.aborted ? 'cancelled' : 'failed', anomalies: outcome.anomalies,
          ...(r.verdict ? { verdict: r.verdict } : {}), ...(r.verdictReason ? { verdictReason: r.verdictReason } : {}),
          ...(r.summary ? { summary: r.summary } : {}), ...(r.error ? { error: r.error } : {}),
        }).catch((error: Error) => log(`could not record the run's end: ${error.message}`));
      }
      status.result = outcome.result;
      if (outcome.dryRun !== undefined) status.plan = outcome.dryRun;
      status.state = outcome.result.status === 'done' ? 'done' : 'failed';
      if (outcome.result.error) status.error = outcome.result.error;
    }, (error: Error) => {
      status.state = 'failed';
      status.error = error.message;
      log(`failed: ${error.message}`);
    }).finally(() => {
      fs.rmSync(dataDir, { recursive: true, force: true });
      if (this.abort === abort) this.abort = undefined;
    });
    return this.status()!;
  }

  /** The run's record: created once it is planned, its timeline written as it goes. */
  private recordTo(recorder: DrillRecorder, status: ExternalRunStatus, target: DrillTarget): ExternalRunRecord {
    let startedAt = 0;
    return {
      started: async (run) => {
        await recorder.createRun({ ...run, target });
        startedAt = run.startedAt;
        status.recordedRunId = run.runId;
      },
      event: (atMs, kind, message) => {
        if (!status.recordedRunId) return;
        recorder.event(atMs - startedAt, kind, message);
        void recorder.flush(status.recordedRunId);
      },
    };
  }

  cancel(): boolean {
    if (!this.abort || this.current?.state !== 'running') return false;
    this.abort.abort(new Error('cancelled from the dashboard'));
    return true;
  }

  /** Stops a run in progress (the control plane is shutting down); its faults are healed by the run itself. */
  async stop(): Promise<void> {
    this.cancel();
  }
}
