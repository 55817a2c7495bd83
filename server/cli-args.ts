/**
 * Reading a command line's flags, for the lab's headless commands (`npm run drill`, `drill:matrix`,
 * `sim`): the value after a flag and a whole number, each refused with a sentence naming the flag.
 */

/** A command line the command cannot take: printed with its usage, exit code 2. */
export class UsageError extends Error {}

/** The value after the flag at argv[i]; refused when it is missing or is the next flag. */
export function flagValue(argv: readonly string[], i: number, flag: string): string {
  const v = argv[i + 1];
  if (v === undefined || v.startsWith('--')) throw new UsageError(`${flag} needs a value`);
  return v;
}

/** A whole number of at least `min`. */
export function wholeNumber(v: string, flag: string, min = 0): number {
  if (!/^\d+$/.test(v) || Number(v) < min) throw new UsageError(`${flag} must be a whole number${min > 0 ? ` of at least ${min}` : ''}, got "${v}"`);
  return Number(v);
}
