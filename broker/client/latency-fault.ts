/**
 * The producer's latency-fault avoidance (RocketMQ's MQFaultStrategy and LatencyFaultToleranceImpl,
 * C/latency/, in outline), switched on by `sendLatencyFaultEnable` (false by default, as in
 * RocketMQ 4.x). After every attempt the producer notes the broker group's latency; a slow answer,
 * or a failed attempt (counted as 30 s: isolation), keeps the group out of the queue choice for the
 * duration of its latency class. When every group is out, the least bad one is used anyway.
 */
import type { Clock } from '../io/clock.js';

/** latency classes (ms) and how long a group answering that slowly is avoided (ms), RocketMQ's tables */
export const LATENCY_MAX_MS = [50, 100, 550, 1000, 2000, 3000, 15000] as const;
export const NOT_AVAILABLE_DURATION_MS = [0, 0, 30_000, 60_000, 120_000, 180_000, 600_000] as const;
/** the latency a failed attempt counts as (updateFaultItem(..., isolation = true)) */
export const ISOLATION_LATENCY_MS = 30_000;

/** One group the producer avoids, or avoided: what it measured and when the group is back in the choice. */
export interface FaultItem {
  brokerName: string;
  /** the last attempt's latency, ISOLATION_LATENCY_MS after a failure */
  currentLatencyMs: number;
  /** monotonic ms from which the group may be chosen again */
  availableAtMs: number;
}

/** How long a group that answered in `latencyMs` is avoided (computeNotAvailableDuration). */
export function notAvailableDuration(latencyMs: number): number {
  for (let i = LATENCY_MAX_MS.length - 1; i >= 0; i--) {
    if (latencyMs >= LATENCY_MAX_MS[i]!) return NOT_AVAILABLE_DURATION_MS[i]!;
  }
  return 0;
}

export class LatencyFaultTolerance {
  private readonly items = new Map<string, FaultItem>();
  private worst = 0;

  constructor(private readonly clock: Clock) {}

  /** After an attempt on `brokerName` that took `latencyMs`; `isolation` when it failed. */
  update(brokerName: string, latencyMs: number, isolation: boolean): void {
    const latency = isolation ? ISOLATION_LATENCY_MS : latencyMs;
    this.items.set(brokerName, { brokerName, currentLatencyMs: latency, availableAtMs: this.clock.monotonicMs() + notAvailableDuration(latency) });
  }

  isAvailable(brokerName: string): boolean {
    const item = this.items.get(brokerName);
    return !item || this.clock.monotonicMs() >= item.availableAtMs;
  }

  /**
   * The group to use when every group is avoided: from the better half by (available, latency, back
   * soonest), in turn. RocketMQ shuffles before sorting; the order here is deterministic (the
   * simulator replays it from a seed).
   */
  pickOneAtLeast(): string | undefined {
    const now = this.clock.monotonicMs();
    const sorted = [...this.items.values()].sort((a, b) =>
      Number(now < a.availableAtMs) - Number(now < b.availableAtMs) || a.currentLatencyMs - b.currentLatencyMs || a.availableAtMs - b.availableAtMs);
    if (sorted.length === 0) return undefined;
    const half = Math.floor(sorted.length / 2);
    return half <= 0 ? sorted[0]!.brokerName : sorted[this.worst++ % half]!.brokerName;
  }

  remove(brokerName: string): void {
    this.items.delete(brokerName);
  }

  /** The groups avoided now, with when each is back (ms from now). */
  avoided(): { brokerName: string; currentLatencyMs: number; backInMs: number }[] {
    const now = this.clock.monotonicMs();
    return [...this.items.values()].filter((i) => now < i.availableAtMs)
      .map((i) => ({ brokerName: i.brokerName, currentLatencyMs: i.currentLatencyMs, backInMs: i.availableAtMs - now }));
  }
}
