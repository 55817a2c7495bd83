/**
 * Turns the stream of send outcomes and stage events from every child process into live samples:
 * rates over a sliding window, latency percentiles, SendStatus counts, the store's watermarks.
 */
import type { BrokerStats, ConsumeEvent, SendOutcome } from '../../broker/ipc';
import { SequenceChecker } from '../../broker/client/sequence-checker';
import { HISTORY_SAMPLES, OUTCOME_STATUSES, RATE_WINDOW_MS, type LiveSample, type OutcomeStatus } from './types';

interface Timed<T> {
  at: number;
  value: T;
}

export function zeroStatusCounts(): Record<OutcomeStatus, number> {
  return Object.fromEntries(OUTCOME_STATUSES.map((s) => [s, 0])) as Record<OutcomeStatus, number>;
}

export function percentile(sorted: number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
}

export class Aggregator {
  private outcomes: Timed<SendOutcome>[] = [];
  private storedCounts: Timed<number>[] = [];
  private consumeCounts: Timed<{ delivered: number; consumed: number }>[] = [];
  readonly sequence = new SequenceChecker();
  private stats: BrokerStats = { maxPhyOffset: 0, flushedPhyOffset: 0, unflushedBytes: 0, connections: 0, storedTotal: 0 };
  readonly history: LiveSample[] = [];
  readonly totals = { sent: 0, stored: 0, byStatus: zeroStatusCounts(), delivered: 0, consumed: 0, reconsumed: 0, duplicatesSuppressed: 0, dlq: 0 };

  addOutcomes(outcomes: SendOutcome[], now = Date.now()): void {
    for (const outcome of outcomes) {
      this.outcomes.push({ at: now, value: outcome });
      this.totals.sent++;
      this.totals.byStatus[outcome.status]++;
    }
  }

  addStored(count: number, now = Date.now()): void {
    if (count === 0) return;
    this.storedCounts.push({ at: now, value: count });
    this.totals.stored += count;
  }

  /** Consumer reports; every applied message also goes through the sequence checker. */
  addConsumeEvents(events: ConsumeEvent[], now = Date.now()): { gaps: { producerId: string; queue: string; from: number; to: number }[] } {
    let delivered = 0;
    let consumed = 0;
    const gaps: { producerId: string; queue: string; from: number; to: number }[] = [];
    for (const e of events) {
      switch (e.kind) {
        case 'delivered':
          delivered++;
          this.totals.delivered++;
          break;
        case 'consumed': {
          consumed++;
          this.totals.consumed++;
          if (e.producerId && e.queue && e.seq !== undefined) {
            const verdict = this.sequence.observe({ producerId: e.producerId, queue: e.queue, seq: e.seq });
            if (verdict.kind === 'gap') gaps.push({ producerId: e.producerId, queue: e.queue, from: verdict.missingFrom, to: verdict.missingTo });
          }
          break;
        }
        case 'reconsume':
          this.totals.reconsumed++;
          break;
        case 'duplicate-suppressed':
          this.totals.duplicatesSuppressed++;
          break;
      }
    }
    if (delivered + consumed > 0) this.consumeCounts.push({ at: now, value: { delivered, consumed } });
    return { gaps };
  }

  setBrokerStats(stats: BrokerStats): void {
    this.stats = stats;
  }

  /** A dead broker has no watermarks: its last figures must not linger on the dashboard. */
  resetBrokerStats(): void {
    this.stats = { maxPhyOffset: 0, flushedPhyOffset: 0, unflushedBytes: 0, connections: 0, storedTotal: 0 };
  }

  sample(now = Date.now()): LiveSample {
    const since = now - RATE_WINDOW_MS;
    this.outcomes = this.outcomes.filter((o) => o.at > since);
    this.storedCounts = this.storedCounts.filter((o) => o.at > since);
    this.consumeCounts = this.consumeCounts.filter((o) => o.at > since);
    const perSec = 1000 / RATE_WINDOW_MS;
    const statusPerSec = zeroStatusCounts();
    const latencies: number[] = [];
    for (const { value } of this.outcomes) {
      statusPerSec[value.status] += perSec;
      if (value.status !== 'UNCHECKED') latencies.push(value.latencyMs);
    }
    latencies.sort((a, b) => a - b);
    const sample: LiveSample = {
      t: now,
      sentPerSec: this.outcomes.length * perSec,
      storedPerSec: this.storedCounts.reduce((n, o) => n + o.value, 0) * perSec,
      deliveredPerSec: this.consumeCounts.reduce((n, o) => n + o.value.delivered, 0) * perSec,
      consumedPerSec: this.consumeCounts.reduce((n, o) => n + o.value.consumed, 0) * perSec,
      latencyP50Ms: round(percentile(latencies, 50)),
      latencyP99Ms: round(percentile(latencies, 99)),
      statusPerSec,
      maxPhyOffset: this.stats.maxPhyOffset,
      flushedPhyOffset: this.stats.flushedPhyOffset,
      unflushedBytes: this.stats.unflushedBytes,
      ...replicationLag(this.stats),
    };
    this.history.push(sample);
    if (this.history.length > HISTORY_SAMPLES) this.history.shift();
    return sample;
  }
}

/** Lag figures of a master that replicates; nulls when it has no slave link at all. */
function replicationLag(stats: BrokerStats): Pick<LiveSample, 'replicationLagBytes' | 'replicationLagMessages' | 'replicationLagMs'> {
  const ha = stats.ha;
  if (!ha || ha.role === 'SLAVE' || (ha.slaveConnections === 0 && ha.slaveAckOffset < 0)) {
    return { replicationLagBytes: null, replicationLagMessages: null, replicationLagMs: null };
  }
  return { replicationLagBytes: ha.lagBytes, replicationLagMessages: ha.lagMessages, replicationLagMs: ha.lagMs };
}

function round(value: number | null): number | null {
  return value === null ? null : Math.round(value * 100) / 100;
}
