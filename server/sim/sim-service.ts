/**
 * "Simulate" on the dashboard: the drill a card shows, under the settings it would run under now
 * (the drill runner's own settingsFor) with the card's overrides, over N seeds on the simulator's
 * worker threads. One batch at a time; its progress and outcomes while it runs, the last few batches
 * after (in memory: a batch is replayable from its seeds, nothing of it needs keeping). Every view is
 * marked simulated.
 */
import { z } from 'zod';
import { drillSpec } from '../drills/catalog.js';
import { DrillRunInputSchema, type DrillRunSettings } from '../drills/types.js';
import type { DrillRunner } from '../drills/drill-runner.js';
import { SEED_MAX, freshSeed } from '../drills/drill-plan.js';
import { SIMULATED_DRILLS } from './simulation.js';
import type { SeedOutcome, SimBatch } from './sim-batch.js';
import { runPool, traceSeed } from './sim-pool.js';

export const SimulateInputSchema = DrillRunInputSchema.pick({ durationSec: true, rate: true, sendMode: true, ackMode: true, idempotent: true, consumers: true, labBug: true })
  .extend({
    drillId: z.enum(SIMULATED_DRILLS, { error: `drillId must be a drill the simulator runs: ${SIMULATED_DRILLS.join(', ')}` }),
    seeds: z.number({ error: 'seeds must be a number' }).int('seeds must be a whole number').min(1, 'seeds must be at least 1').max(5000, 'seeds must be at most 5000').default(200),
    fromSeed: z.number({ error: 'fromSeed must be a number' }).int('fromSeed must be a whole number').min(0, 'fromSeed must not be negative').max(SEED_MAX, `fromSeed must be at most ${SEED_MAX}`).optional(),
  }).strict();
export type SimulateInput = z.input<typeof SimulateInputSchema>;

export const SimTraceInputSchema = z.object({
  batchId: z.string().regex(/^sim-[0-9a-z]+$/, 'batchId must be a simulation batch id'),
  seed: z.number({ error: 'seed must be a number' }).int('seed must be a whole number').min(0, 'seed must not be negative').max(SEED_MAX, `seed must be at most ${SEED_MAX}`),
}).strict();

export interface SimBatchView {
  simulated: true;
  batchId: string;
  drillId: string;
  title: string;
  state: 'running' | 'done' | 'cancelled';
  startedAtMs: number;
  wallMs: number;
  total: number;
  done: number;
  fromSeed: number;
  settings: DrillRunSettings;
  prediction: string;
  outcomes: SeedOutcome[];
  seedsPerMinute: number;
}

interface Batch {
  view: SimBatchView;
  batch: SimBatch;
  abort: AbortController;
}

const KEEP_BATCHES = 5;

export class SimulationBusyError extends Error {}
export class SimulationNotFoundError extends Error {}

export class SimulationService {
  private readonly batches: Batch[] = [];
  private counter = 0;

  constructor(private readonly drillRunner: DrillRunner) {}

  start(raw: SimulateInput): { batchId: string } {
    const input = SimulateInputSchema.parse(raw);
    const running = this.batches.find((b) => b.view.state === 'running');
    if (running) throw new SimulationBusyError(`a simulation of ${running.view.drillId} runs (${running.view.done}/${running.view.total} seeds): wait for it or cancel it`);
    const drill = this.drillRunner.status();
    if (drill) throw new SimulationBusyError(`drill ${drill.title} is running: the simulator would compete with its processes for the CPU and change its timing; simulate once it is done`);
    const spec = drillSpec(input.drillId);
    const settings = this.drillRunner.settingsFor(spec, input);
    const fromSeed = input.fromSeed ?? Math.min(freshSeed(), SEED_MAX - input.seeds);
    const batch: SimBatch = {
      drills: [input.drillId],
      config: { ...settings.broker, ...settings.traffic },
      labBugs: input.labBug ? [input.labBug] : [],
      fromSeed,
      seeds: input.seeds,
    };
    const batchId = `sim-${Date.now().toString(36)}${(this.counter++).toString(36)}`;
    const view: SimBatchView = {
      simulated: true, batchId, drillId: spec.id, title: spec.title, state: 'running', startedAtMs: Date.now(), wallMs: 0,
      total: input.seeds, done: 0, fromSeed, settings, prediction: spec.predict(settings).text, outcomes: [], seedsPerMinute: 0,
    };
    const entry: Batch = { view, batch, abort: new AbortController() };
    this.batches.unshift(entry);
    this.batches.splice(KEEP_BATCHES);
    void runPool(batch, {
      signal: entry.abort.signal,
      onOutcome: (outcome, done) => {
        view.outcomes.push(outcome);
        view.done = done;
        view.wallMs = Date.now() - view.startedAtMs;
        view.seedsPerMinute = (done * 60_000) / Math.max(1, view.wallMs);
      },
    }).then(() => {
      view.state = entry.abort.signal.aborted ? 'cancelled' : 'done';
      view.wallMs = Date.now() - view.startedAtMs;
      view.outcomes.sort((a, b) => a.seed - b.seed);
    });
    return { batchId };
  }

  cancel(): { cancelled: boolean } {
    const running = this.batches.find((b) => b.view.state === 'running');
    running?.abort.abort();
    return { cancelled: Boolean(running) };
  }

  /** A simulation runs now (a real drill must not start meanwhile: same CPU). */
  running(): boolean {
    return this.batches.some((b) => b.view.state === 'running');
  }

  /** The running batch, else the latest, or null. */
  current(): SimBatchView | null {
    return this.batches[0]?.view ?? null;
  }

  get(batchId: string): SimBatchView {
    const found = this.batches.find((b) => b.view.batchId === batchId);
    if (!found) throw new SimulationNotFoundError(`batchId: no simulation ${batchId} is kept (the last ${KEEP_BATCHES} are)`);
    return found.view;
  }

  /** Replays one seed of a batch (on a worker thread) and returns its event trace. */
  async trace(batchId: string, seed: number): Promise<{ simulated: true; outcome: SeedOutcome; trace: string[] }> {
    const found = this.batches.find((b) => b.view.batchId === batchId);
    if (!found) throw new SimulationNotFoundError(`batchId: no simulation ${batchId} is kept (the last ${KEEP_BATCHES} are)`);
    return { simulated: true, ...(await traceSeed(found.batch, seed)) };
  }
}

