/**
 * Chance goes through this interface: broker/ calls no Math.random or crypto.randomBytes outside
 * this file, so a simulation can replay a run from its seed.
 *
 * systemRandom is the real implementation (Math.random, and crypto.randomBytes for bytes), used
 * by default. seededRandom(seed) is the deterministic one (mulberry32, the project's seeded
 * generator: small, fast, the same sequence in every process for the same seed). Neither is for
 * cryptography.
 */
import { randomBytes } from 'node:crypto';

export interface Random {
  /** uniform in [0, 1), as Math.random */
  next(): number;
  /** a whole number in [0, bound): Math.floor(next() * bound) */
  int(bound: number): number;
  /** `length` random bytes */
  bytes(length: number): Buffer;
}

export const systemRandom: Random = {
  next: () => Math.random(),
  int: (bound) => Math.floor(Math.random() * bound),
  bytes: (length) => randomBytes(length),
};

/** mulberry32: uniform 32-bit unsigned integers from a 32-bit seed. */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

/** The same sequence for the same seed, in every process. */
export function seededRandom(seed: number): Random {
  const nextUint32 = mulberry32(seed);
  const next = () => nextUint32() / 4294967296;
  return {
    next,
    int: (bound) => Math.floor(next() * bound),
    bytes: (length) => {
      const out = Buffer.alloc(length);
      for (let i = 0; i < length; i++) out[i] = nextUint32() & 0xff;
      return out;
    },
  };
}

/** Uniform in [0, 1) from a seed: drill plans, the recovery property test and the fuzzers draw from it. */
export function prng(seed: number): () => number {
  return seededRandom(seed).next;
}
