/**
 * Sign-in throttling, per remote address and per user name: a few failures are free, then each
 * further one doubles the wait before the next attempt (up to a bound). An attempt during the wait
 * is refused before any password is compared (429 with Retry-After), so a flood costs no hashing.
 * Attempts still being judged count too: a parallel burst gets no more comparisons than the free
 * failures left (one at a time once they are used up), the rest are refused like a wait. A
 * success clears both keys. Kept in memory, bounded: the stalest key is forgotten first, and a key
 * with no failure for an hour is forgotten. docs/security.md#sign-in-throttling.
 */
export interface LoginThrottleOptions {
  /** failures allowed before any wait */
  freeFailures: number;
  /** the wait after the first failure past the free ones; doubled for each further one */
  baseDelayMs: number;
  maxDelayMs: number;
  /** a key with no failure for this long starts again from zero */
  forgetAfterMs: number;
  /** keys remembered at most (addresses and names together) */
  maxKeys: number;
}

export const LOGIN_THROTTLE: LoginThrottleOptions = { freeFailures: 5, baseDelayMs: 1000, maxDelayMs: 15 * 60_000, forgetAfterMs: 60 * 60_000, maxKeys: 10_000 };

interface Entry {
  failures: number;
  /** attempts admitted and not yet judged */
  inFlight: number;
  blockedUntil: number;
  lastFailureAt: number;
}

/** The throttle's keys for one attempt. */
export function loginThrottleKeys(remoteAddress: string, name: string): string[] {
  return [`address ${remoteAddress}`, `name ${name.trim().toLowerCase()}`];
}

export class LoginThrottle {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly options: LoginThrottleOptions = LOGIN_THROTTLE, private readonly now: () => number = Date.now) {}

  /**
   * Admits one attempt: 0 when it may be made now (it is then in flight until failed(), succeeded()
   * or abandoned() ends it), else how long to wait. While the attempts in flight could use up the
   * free failures left (at least one may be in flight), another is refused for baseDelayMs.
   */
  admit(keys: readonly string[]): number {
    const now = this.now();
    const wait = this.retryAfterMs(keys);
    if (wait > 0) return wait;
    const entries = keys.map((key) => this.current(key, now) ?? this.remember(key, { failures: 0, inFlight: 0, blockedUntil: 0, lastFailureAt: now }));
    if (entries.some((e) => e.inFlight >= Math.max(1, this.options.freeFailures - e.failures))) return this.options.baseDelayMs;
    for (const entry of entries) entry.inFlight++;
    return 0;
  }

  /** Ends an admitted attempt that was never judged (the comparison itself failed). */
  abandoned(keys: readonly string[]): void {
    for (const key of keys) {
      const entry = this.entries.get(key);
      if (entry) entry.inFlight = Math.max(0, entry.inFlight - 1);
    }
  }

  /** How long until an attempt under these keys may be made; 0 when it may be made now. */
  retryAfterMs(keys: readonly string[]): number {
    const now = this.now();
    let wait = 0;
    for (const key of keys) {
      const entry = this.current(key, now);
      if (entry) wait = Math.max(wait, entry.blockedUntil - now);
    }
    return wait;
  }

  failed(keys: readonly string[]): void {
    const now = this.now();
    for (const key of keys) {
      const entry = this.current(key, now) ?? { failures: 0, inFlight: 0, blockedUntil: 0, lastFailureAt: now };
      entry.failures++;
      entry.inFlight = Math.max(0, entry.inFlight - 1);
      entry.lastFailureAt = now;
      const past = entry.failures - this.options.freeFailures;
      if (past > 0) entry.blockedUntil = now + Math.min(this.options.maxDelayMs, this.options.baseDelayMs * 2 ** Math.min(past - 1, 30));
      this.remember(key, entry);
    }
  }

  /** (Re-)inserts a key last, so the map stays in last-change order, and drops the stalest past maxKeys. */
  private remember(key: string, entry: Entry): Entry {
    this.entries.delete(key);
    this.entries.set(key, entry);
    while (this.entries.size > this.options.maxKeys) this.entries.delete(this.entries.keys().next().value!);
    return entry;
  }

  succeeded(keys: readonly string[]): void {
    for (const key of keys) this.entries.delete(key);
  }

  private current(key: string, now: number): Entry | undefined {
    const entry = this.entries.get(key);
    if (entry && entry.inFlight === 0 && now - entry.lastFailureAt > this.options.forgetAfterMs && now >= entry.blockedUntil) {
      this.entries.delete(key);
      return undefined;
    }
    return entry;
  }
}
