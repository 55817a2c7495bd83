/**
 * Many seeds of the simulator: which drill and settings each seed runs, the compact outcome of a
 * seed, the batch's summary (verdicts per drill, the seeds that failed, seeds per minute), and the
 * shrinking of a failed seed to a shorter run that still fails. Runs in the calling thread; the pool
 * (sim-pool.ts) spreads a batch over worker threads.
 */
import { z } from 'zod';
import { BrokerSettingsSchema, type BrokerSettings } from '../../broker/config/broker-config.js';
import { LAB_BUG_NAMES, type LabBug } from '../../broker/lab-bugs.js';
import { seededRandom } from '../../broker/io/prng.js';
import { SEED_MAX } from '../drills/drill-plan.js';
import type { DrillRunSettings, Verdict } from '../drills/types.js';
import { SIMULATED_DRILLS, simulate, simulationSettings, type SimulatedDrillId, type SimulationResult } from './simulation.js';

const TRAFFIC_KEYS = ['sendMode', 'ackMode', 'idempotent', 'rate', 'durationSec', 'consumers', 'bodySize'] as const;
type TrafficKey = (typeof TRAFFIC_KEYS)[number];

export const SimBatchInputSchema = z.object({
  drills: z.array(z.enum(SIMULATED_DRILLS, { error: (i) => `drills: ${String(i.input)} is not a drill the simulator runs (${SIMULATED_DRILLS.join(', ')})` }))
    .min(1, 'drills: name at least one drill'),
  /** the side of each drill's contrast to run, or none (RocketMQ's defaults with `config`) */
  side: z.enum(['safe', 'unsafe'], { error: 'side must be safe or unsafe' }).optional(),
  /** setting overrides, broker keys (RocketMQ's names) or traffic keys */
  config: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).default({}),
  labBugs: z.array(z.enum(LAB_BUG_NAMES, { error: (i) => `labBugs: ${String(i.input)} is not a deliberate bug (${LAB_BUG_NAMES.join(', ')})` })).default([]),
  fromSeed: z.number({ error: 'fromSeed must be a number' }).int('fromSeed must be a whole number').min(0, 'fromSeed must be 0 or more').max(SEED_MAX, `fromSeed must be at most ${SEED_MAX}`).default(1),
  seeds: z.number({ error: 'seeds must be a number' }).int('seeds must be a whole number').min(1, 'seeds must be at least 1').max(100_000, 'seeds must be at most 100000'),
  maxEvents: z.number().int().min(1000, 'maxEvents must be at least 1000').max(100_000_000).optional(),
});
export type SimBatchInput = z.input<typeof SimBatchInputSchema>;
export type SimBatch = z.output<typeof SimBatchInputSchema>;

/** What a batch keeps of one seed. */
export interface SeedOutcome {
  seed: number;
  drillId: SimulatedDrillId;
  verdict: Verdict | 'BUDGET' | 'ERROR';
  reason: string;
  /** SEND_OK messages never consumed */
  lostAcked: number;
  /** messages the producer believed sent (SEND_OK and UNCHECKED …) never consumed */
  lostBelievedSent: number;
  /** of those, sends nobody checked (async-unchecked, oneway) */
  lostUnchecked: number;
  /** sends answered FLUSH_DISK_TIMEOUT / FLUSH_SLAVE_TIMEOUT / SLAVE_NOT_AVAILABLE */
  told: number;
  duplicated: number;
  /** recovery time, simulated ms, or null when no send failed */
  rtoMs: number | null;
  events: number;
  traceHash: string;
  wallMs: number;
}

export interface SimBatchSummary {
  simulated: true;
  batch: SimBatch;
  outcomes: SeedOutcome[];
  /** FAIL, BUDGET and ERROR seeds */
  failed: SeedOutcome[];
  byDrill: Record<string, Partial<Record<SeedOutcome['verdict'], number>>>;
  seedsPerMinute: number;
  wallMs: number;
}

/** The drill a seed of the batch runs: one of the batch's drills, picked by the seed. */
export function drillForSeed(batch: SimBatch, seed: number): SimulatedDrillId {
  return batch.drills.length === 1 ? batch.drills[0]! : batch.drills[seededRandom(seed).int(batch.drills.length)]!;
}

/** The settings of a seed: the drill's, its side's, then the batch's config (validated: unknown keys are refused with the known ones). */
export function settingsForSeed(batch: SimBatch, drillId: SimulatedDrillId): DrillRunSettings {
  const broker: Record<string, unknown> = {};
  const traffic: Record<string, unknown> = {};
  const brokerKeys = Object.keys(BrokerSettingsSchema.shape);
  for (const [key, value] of Object.entries(batch.config)) {
    if ((TRAFFIC_KEYS as readonly string[]).includes(key)) traffic[key as TrafficKey] = value;
    else if (brokerKeys.includes(key)) broker[key] = value;
    else throw new Error(`config: ${key} is not a setting (broker settings: ${brokerKeys.join(', ')}; traffic: ${TRAFFIC_KEYS.join(', ')})`);
  }
  return simulationSettings(drillId, batch.side, { broker: broker as Partial<BrokerSettings>, traffic: traffic as Partial<DrillRunSettings['traffic']> });
}

export function outcomeOf(result: SimulationResult, wallMs: number): SeedOutcome {
  const s = result.summary;
  const believedSent = (['SEND_OK', 'FLUSH_DISK_TIMEOUT', 'FLUSH_SLAVE_TIMEOUT', 'SLAVE_NOT_AVAILABLE', 'UNCHECKED'] as const).reduce((n, k) => n + s.lost[k], 0);
  return {
    seed: result.seed, drillId: result.drillId, verdict: result.verdict, reason: result.reason,
    lostAcked: s.lostAcked, lostBelievedSent: believedSent, lostUnchecked: s.lost.UNCHECKED,
    told: s.acknowledged.FLUSH_DISK_TIMEOUT + s.acknowledged.FLUSH_SLAVE_TIMEOUT + s.acknowledged.SLAVE_NOT_AVAILABLE, duplicated: s.duplicated, rtoMs: s.recovery?.rtoMs ?? null,
    events: result.events, traceHash: result.traceHash, wallMs,
  };
}

/** Runs one seed of the batch here; an exception becomes an ERROR outcome naming the seed. */
export async function runSeed(batch: SimBatch, seed: number, keepTrace = false): Promise<{ outcome: SeedOutcome; result?: SimulationResult }> {
  const drillId = drillForSeed(batch, seed);
  const started = performance.now();
  try {
    const result = await simulate({ drillId, settings: settingsForSeed(batch, drillId), seed, labBugs: batch.labBugs as LabBug[], keepTrace, ...(batch.maxEvents ? { maxEvents: batch.maxEvents } : {}) });
    return { outcome: outcomeOf(result, performance.now() - started), result };
  } catch (error) {
    const reason = `the simulation threw: ${(error as Error).stack ?? String(error)}`;
    return { outcome: { seed, drillId, verdict: 'ERROR', reason, lostAcked: 0, lostBelievedSent: 0, lostUnchecked: 0, told: 0, duplicated: 0, rtoMs: null, events: 0, traceHash: '', wallMs: performance.now() - started } };
  }
}

export const isFailure = (o: SeedOutcome) => o.verdict === 'FAIL' || o.verdict === 'BUDGET' || o.verdict === 'ERROR';

export function summarize(batch: SimBatch, outcomes: SeedOutcome[], wallMs: number): SimBatchSummary {
  const byDrill: SimBatchSummary['byDrill'] = {};
  for (const o of outcomes) {
    const row = (byDrill[o.drillId] ??= {});
    row[o.verdict] = (row[o.verdict] ?? 0) + 1;
  }
  const sorted = [...outcomes].sort((a, b) => a.seed - b.seed);
  return { simulated: true, batch, outcomes: sorted, failed: sorted.filter(isFailure), byDrill, seedsPerMinute: wallMs > 0 ? (outcomes.length * 60_000) / wallMs : 0, wallMs };
}

/**
 * A failed seed made smaller: the same seed and drill with the traffic's duration and rate halved
 * while the run still fails the same way (its verdict), down to 2 s and 10 msg/s. Returns the
 * smallest config that still fails and its outcome.
 */
export async function shrink(batch: SimBatch, failed: SeedOutcome): Promise<{ config: Record<string, string | number | boolean>; outcome: SeedOutcome }> {
  const drillId = failed.drillId;
  const base = settingsForSeed(batch, drillId).traffic;
  let best = { config: { ...batch.config }, outcome: failed };
  let durationSec = base.durationSec;
  let rate = base.rate;
  for (let step = 0; step < 8; step++) {
    const candidates = [
      ...(durationSec > 2 ? [{ durationSec: Math.max(2, Math.floor(durationSec / 2)), rate }] : []),
      ...(rate > 10 ? [{ durationSec, rate: Math.max(10, Math.floor(rate / 2)) }] : []),
    ];
    let moved = false;
    for (const c of candidates) {
      const config = { ...batch.config, durationSec: c.durationSec, rate: c.rate };
      const { outcome } = await runSeed({ ...batch, drills: [drillId], config }, failed.seed);
      if (outcome.verdict === failed.verdict) {
        best = { config, outcome };
        ({ durationSec, rate } = c);
        moved = true;
        break;
      }
    }
    if (!moved) break;
  }
  return best;
}
