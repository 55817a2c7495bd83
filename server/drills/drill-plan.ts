/**
 * A drill run's plan: everything random in a run, decided up front from one seed (TigerBeetle's VOPR
 * habit: print the seed, and the seed plus the settings replay the run). The plan fixes when the fault
 * starts (the catalog's faultAt plus a seeded jitter), which consumer is killed, the producer-flap
 * bursts, and the seed the traffic runners derive their message bodies and transaction decisions
 * from. Pure functions only: same seed + same spec + same settings → the same plan.
 *
 * What a seed cannot fix: the operating system's scheduling, the disk's fdatasync times and the
 * message ids (UNIQ_KEY carries a clock and a pid, as RocketMQ's does). So a re-run reproduces the
 * drill's plan, not every message's fate.
 */
import type { DrillSpec } from './catalog';
import { prng } from '../../broker/io/prng';
import type { DrillRunSettings, LinkShape } from './types';

/** The largest seed: seeds are printed and typed by people, so they stay 32-bit unsigned integers. */
export const SEED_MAX = 0xffff_ffff;

/** FNV-1a over a string: a stable 32-bit hash, the same in every process. */
export function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** A seed for a run that was given none: random, and printed so that the run can be repeated. */
export function freshSeed(): number {
  return Math.floor(Math.random() * SEED_MAX) >>> 0;
}

/** One burst of the producer-link flap: a reset of every connection, or a drop (blackhole, then reset). */
export interface FlapBurst {
  /** ms after the fault's start */
  atMs: number;
  kind: 'reset' | 'drop';
  /** how long a drop holds the link (0 for a reset) */
  forMs: number;
  /** which directions a drop blackholes: both, or only the answers (the broker stored the request) */
  direction: 'both' | 'downstream';
}

export interface DrillPlan {
  seed: number;
  /** ms after the traffic's start when the fault is injected */
  faultAtMs: number;
  /** how long the fault lasts before the recovery step, ms */
  faultForMs: number;
  /** the consumer a consumer-crash kills (0-based) */
  consumerIndex: number;
  /** producer-network-flap: the bursts, in order */
  bursts: FlapBurst[];
  /** what the traffic runners seed their message bodies and transaction decisions with */
  trafficSeed: number;
  /** the replication link's shape for the run (the catalog's haLink), or null: the slave on loopback as it is */
  haLink: LinkShape | null;
  /** the producer's link to the broker (the catalog's clientLink), or null */
  clientLink: LinkShape | null;
}

/** The fault moves by at most this share of the run around the catalog's faultAt. */
const FAULT_JITTER_SHARE = 0.1;

export function planFor(spec: DrillSpec, settings: DrillRunSettings, seed: number): DrillPlan {
  const random = prng(seed);
  const durationMs = settings.traffic.durationSec * 1000;
  const jitter = (random() - 0.5) * 2 * FAULT_JITTER_SHARE;
  const share = Math.min(0.8, Math.max(0.15, spec.timing.faultAt + jitter));
  const faultForMs = Math.round(spec.timing.faultForSec * 1000);
  const consumerIndex = Math.floor(random() * Math.max(1, settings.traffic.consumers));
  const bursts = spec.inject?.kind === 'flap-producer-link' ? flapBursts(random, faultForMs, settings.broker.sendMsgTimeout) : [];
  const trafficSeed = Math.floor(random() * SEED_MAX) >>> 0;
  return { seed, faultAtMs: Math.round(durationMs * share), faultForMs, consumerIndex, bursts, trafficSeed, haLink: spec.haLink ? { ...spec.haLink } : null, clientLink: spec.clientLink ? { ...spec.clientLink } : null };
}

/**
 * The flap: first one drop longer than the producer's whole sendMsgTimeout budget (sends caught in it
 * run out of time: a checked producer is told, an unchecked one never learns), then short bursts
 * (resets, short drops, answer-only drops that make a retry duplicate a stored message) that retries
 * should hide, spread over the fault window.
 */
function flapBursts(random: () => number, windowMs: number, sendMsgTimeoutMs: number): FlapBurst[] {
  const bursts: FlapBurst[] = [];
  const longDrop = Math.round(Math.min(windowMs * 0.6, sendMsgTimeoutMs * (1.2 + random() * 0.3)));
  bursts.push({ atMs: 0, kind: 'drop', forMs: longDrop, direction: 'both' });
  let at = longDrop + 200 + Math.round(random() * 200);
  while (at < windowMs) {
    const r = random();
    const burst: FlapBurst = r < 0.4
      ? { atMs: at, kind: 'reset', forMs: 0, direction: 'both' }
      : { atMs: at, kind: 'drop', forMs: 100 + Math.round(random() * 300), direction: r < 0.7 ? 'both' : 'downstream' };
    bursts.push(burst);
    at += burst.forMs + 150 + Math.round(random() * 250);
  }
  return bursts;
}

/** The plan in one line, for the report and the timeline. */
export function describePlan(plan: DrillPlan): string {
  const bursts = plan.bursts.length > 0 ? `; flap: ${plan.bursts.map((b) => (b.kind === 'reset' ? `reset@${b.atMs}` : `drop(${b.direction})@${b.atMs}+${b.forMs}`)).join(', ')}` : '';
  const link = `${plan.haLink ? `; HA link: ${plan.haLink.label}` : ''}${plan.clientLink ? `; producer link: ${plan.clientLink.label}` : ''}`;
  return `seed ${plan.seed}: fault at ${plan.faultAtMs} ms for ${plan.faultForMs} ms, consumer ${plan.consumerIndex + 1}${bursts}${link}`;
}

/**
 * A transaction's seeded decision: COMMIT or ROLLBACK, from the seed, the producer's ordinal and the
 * transaction's number (its KEYS are "<ordinal>-<n>"). The transaction runner decides with it, and a
 * later runner of the same group answers check-backs with it: the decision is the "database" a
 * check-back consults.
 */
export const COMMIT_SHARE = 0.7;
export function transactionDecision(seed: number, producerOrdinal: string, n: number): 'COMMIT' | 'ROLLBACK' {
  const r = prng(hash32(`${seed}|${producerOrdinal}|${n}`))();
  return r < COMMIT_SHARE ? 'COMMIT' : 'ROLLBACK';
}

/** "tx2-dabc123" → "tx2": the producer's ordinal within its run, the same on every re-run. */
export function producerOrdinal(producerId: string): string {
  return producerId.split('-')[0];
}

/** n bytes from the seed: a drill's message bodies are the same on every re-run. */
export function seededBytes(seed: number, n: number): Buffer {
  const random = prng(seed);
  const bytes = Buffer.alloc(n);
  for (let i = 0; i < n; i++) bytes[i] = Math.floor(random() * 256);
  return bytes;
}
