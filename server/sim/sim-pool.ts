/**
 * Spreads a batch of seeds over worker threads (one per core by default, two on this machine), each
 * running the simulator on its own (sim-worker.ts); reports progress as outcomes arrive, and stops
 * every worker when the batch is done, cancelled, or a worker dies (the seed it held is reported as
 * ERROR, never lost).
 */
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { SimBatchInputSchema, drillForSeed, summarize, type SeedOutcome, type SimBatchInput, type SimBatchSummary } from './sim-batch.js';
import type { FromWorker, ToWorker } from './sim-worker.js';

const WORKER_FILE = new URL('./sim-worker.ts', import.meta.url).href;
/**
 * A worker runs TypeScript through tsx's loader, registered in the worker itself (Node 20 does not
 * carry a parent's --import hooks into a worker thread).
 */
const WORKER_BOOT = `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then((tsx) => { tsx.register(); return import(${JSON.stringify(WORKER_FILE)}); })`;
/**
 * A worker's young generation, MB (about three semi-spaces): a run allocates about 100 MB, mostly
 * short-lived; with 64 MB semi-spaces instead of 16 fewer scavenges copy what is in flight.
 */
const YOUNG_GENERATION_MB = 192;
/** a worker that dies this many times in a row before answering a seed is not started again */
const MAX_FAILED_STARTS = 3;

export interface PoolOptions {
  workers?: number;
  onOutcome?: (outcome: SeedOutcome, done: number, total: number) => void;
  signal?: AbortSignal;
}

export function defaultWorkers(): number {
  return Math.max(1, Math.min(os.availableParallelism(), 8));
}

export async function runPool(input: SimBatchInput, options: PoolOptions = {}): Promise<SimBatchSummary> {
  const batch = SimBatchInputSchema.parse(input);
  const started = performance.now();
  const total = batch.seeds;
  const outcomes: SeedOutcome[] = [];
  let next = 0;
  const workers = Math.max(1, Math.min(options.workers ?? defaultWorkers(), total));
  const report = (outcome: SeedOutcome) => {
    outcomes.push(outcome);
    options.onOutcome?.(outcome, outcomes.length, total);
  };
  const errorOutcome = (seed: number, reason: string): SeedOutcome => ({
    seed, drillId: drillForSeed(batch, seed), verdict: 'ERROR', reason, lostAcked: 0, lostBelievedSent: 0, lostUnchecked: 0, told: 0, duplicated: 0, rtoMs: null, events: 0, traceHash: '', wallMs: 0,
  });
  await new Promise<void>((resolve) => {
    let live = 0;
    let failedStarts = 0;
    const start = () => {
      live++;
      const worker = new Worker(WORKER_BOOT, { eval: true, workerData: { batch }, resourceLimits: { maxYoungGenerationSizeMb: YOUNG_GENERATION_MB } });
      let holding: number | undefined;
      let answered = false;
      const give = () => {
        if (options.signal?.aborted || next >= total) {
          worker.postMessage({ type: 'stop' } satisfies ToWorker);
          void worker.terminate();
          return;
        }
        holding = batch.fromSeed + next++;
        worker.postMessage({ type: 'seed', seed: holding } satisfies ToWorker);
      };
      worker.on('message', (message: FromWorker) => {
        holding = undefined;
        answered = true;
        failedStarts = 0;
        report(message.outcome);
        give();
      });
      worker.on('error', (error) => {
        if (holding !== undefined) report(errorOutcome(holding, `the worker died: ${error.message}`));
        holding = undefined;
        if (!answered) failedStarts++;
      });
      worker.on('exit', () => {
        live--;
        // A dead worker is replaced while seeds remain, unless workers keep dying before their first answer.
        if (next < total && !options.signal?.aborted && failedStarts < MAX_FAILED_STARTS) start();
        else if (live === 0) {
          while (next < total) report(errorOutcome(batch.fromSeed + next++, 'not run: the simulator workers could not start'));
          resolve();
        }
      });
      give();
    };
    for (let w = 0; w < workers; w++) start();
  });
  return summarize(batch, outcomes, performance.now() - started);
}

/** Replays one seed of a batch on a worker thread and returns its outcome and event trace. */
export async function traceSeed(input: SimBatchInput, seed: number): Promise<{ outcome: SeedOutcome; trace: string[] }> {
  const batch = SimBatchInputSchema.parse(input);
  const worker = new Worker(WORKER_BOOT, { eval: true, workerData: { batch } });
  try {
    return await new Promise((resolve, reject) => {
      worker.once('message', (message: FromWorker) => resolve({ outcome: message.outcome, trace: message.trace ?? [] }));
      worker.once('error', reject);
      worker.once('exit', (code) => reject(new Error(`the simulator worker exited (${code}) before tracing seed ${seed}`)));
      worker.postMessage({ type: 'seed', seed, trace: true } satisfies ToWorker);
    });
  } finally {
    void worker.terminate();
  }
}
