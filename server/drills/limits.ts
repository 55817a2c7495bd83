/**
 * The bounds of a drill's traffic, one table for the run schema (server/drills/types.ts) and the
 * Drills page's form. The rate is what one traffic runner process is asked for; the ledger folds
 * settled messages (server/drills/loss-ledger.ts), so neither bound is about memory.
 */
export const DRILL_TRAFFIC_LIMITS = {
  rate: { min: 1, max: 10_000, unit: 'msg/s' },
  durationSec: { min: 3, max: 3_600, unit: 's' },
  consumers: { min: 1, max: 4, unit: 'consumers' },
} as const;
