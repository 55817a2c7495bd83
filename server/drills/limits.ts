/**
 * The bounds of a drill's traffic, one table for the run schema (server/drills/types.ts) and the
 * Drills page's form. The rate is what one traffic runner process is asked for; the ledger folds
 * settled messages (server/drills/loss-ledger.ts), so neither bound is about memory.
 */
export const DRILL_TRAFFIC_LIMITS = {
  rate: { min: 1, max: 10_000, unit: 'msg/s' },
  durationSec: { min: 3, max: 3_600, unit: 's' },
  consumers: { min: 1, max: 4, unit: 'consumers' },
  /** traffic runner processes of an external drill, the rate split between them */
  producers: { min: 1, max: 4, unit: 'producers' },
} as const;

/**
 * The rate of each of `producers` traffic runners sharing `rate` msg/s (the first ones take the
 * remainder); a usage error names the rule when some runner would send nothing.
 */
export function splitRate(rate: number, producers: number): number[] {
  if (producers > rate) throw new Error(`producers (${producers}) must not exceed the rate (${rate} msg/s): each traffic runner sends at least 1 msg/s`);
  return Array.from({ length: producers }, (_, i) => Math.floor(rate / producers) + (i < rate % producers ? 1 : 0));
}
