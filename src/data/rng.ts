/**
 * A small seeded PRNG for data augmentation and sampling. Math.random cannot be seeded, and the loader
 * must give identical batches for a fixed seed whatever the worker count, so every clip derives its own
 * generator from (seed, epoch, sample index). sfc32 (Chris Doty-Humphrey's Small Fast Counting
 * generator) passes PractRand and is four 32-bit words of state: nothing bigger is needed here.
 */
export type RNG = () => number;

export function sfc32(a: number, b: number, c: number, d: number): RNG {
  return () => {
    a >>>= 0;
    b >>>= 0;
    c >>>= 0;
    d >>>= 0;
    let t = (a + b) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    d = (d + 1) | 0;
    t = (t + d) | 0;
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
}

/** Mixes integers into a 32-bit hash (splitmix-style finaliser), to seed independent streams. */
function mix(h: number, v: number): number {
  h = Math.imul(h ^ (v >>> 0), 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** A generator for the stream identified by these integers (e.g. seed, epoch, index). */
export function rngFor(...keys: number[]): RNG {
  let h = 0x9e3779b9;
  for (const k of keys) h = mix(h, k);
  const r = sfc32(h, mix(h, 1), mix(h, 2), mix(h, 3));
  for (let i = 0; i < 12; i++) r(); // warm up, as sfc32's author recommends
  return r;
}

/** Uniform float in [lo, hi). */
export function uniform(r: RNG, lo: number, hi: number): number {
  return lo + (hi - lo) * r();
}

/** Uniform integer in [lo, hi]. */
export function randInt(r: RNG, lo: number, hi: number): number {
  return lo + Math.floor(r() * (hi - lo + 1));
}

/** Fisher-Yates shuffle in place. */
export function shuffle<T>(r: RNG, xs: T[]): T[] {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [xs[i], xs[j]] = [xs[j]!, xs[i]!];
  }
  return xs;
}
