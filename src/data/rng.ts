/**
 * A small seeded pseudo-random generator for the synthetic dataset, the loader's augmentation and the
 * sampler's epoch order.
 *
 * Why our own: `Math.random` cannot be seeded, and the dataset must be byte-identical for a seed on
 * every machine and Node version. sfc32 (Chris Doty-Humphrey's "small fast counting" generator) uses
 * only 32-bit integer operations, which JavaScript performs exactly via `| 0` and `Math.imul`, passes
 * PractRand far beyond the handful of millions of draws a dataset needs, and costs a few nanoseconds a
 * draw. Independent streams (one per split, per sequence, per frame) come from hashing a list of keys
 * into the four state words, so that the content of one sequence does not depend on how many random
 * numbers another one consumed.
 */

/** Mixes a 32-bit value (the murmur3 finaliser): small input changes flip about half the output bits. */
function mix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Hashes a list of numbers and strings into a 32-bit seed (order matters). */
export function hashKeys(keys: readonly (number | string)[]): number {
  let h = 0x9e3779b9;
  for (const key of keys) {
    const s = typeof key === 'number' ? `n${key}` : `s${key}`;
    for (let i = 0; i < s.length; i++) h = mix32(h ^ Math.imul(s.charCodeAt(i) + 1, 0x27d4eb2d));
    h = mix32(h ^ 0x165667b1);
  }
  return h;
}

export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  /** A generator whose stream is determined by `keys` (e.g. `[seed, 'seq', 3]`). */
  constructor(...keys: (number | string)[]) {
    const h = hashKeys(keys);
    this.a = h;
    this.b = mix32(h ^ 0x6a09e667);
    this.c = mix32(h ^ 0xbb67ae85);
    this.d = 1;
    // Discard the first outputs, as the generator's author recommends, so that similar seeds diverge.
    for (let i = 0; i < 12; i++) this.nextU32();
  }

  /** The next 32-bit unsigned integer. */
  nextU32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.nextU32() / 4294967296;
  }

  /** Uniform in [lo, hi). */
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  /** Integer uniform in [lo, hi] (both inclusive). */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  /** Standard normal (Box-Muller; one value per call keeps the stream simple to reason about). */
  normal(): number {
    const u = 1 - this.next();
    const v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('Rng.pick: empty list');
    return items[Math.floor(this.next() * items.length)] as T;
  }

  /** Fisher-Yates shuffle in place; returns the array. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      const tmp = items[i] as T;
      items[i] = items[j] as T;
      items[j] = tmp;
    }
    return items;
  }
}
