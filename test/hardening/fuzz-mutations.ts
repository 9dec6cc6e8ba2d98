/**
 * Byte-level mutations of a valid file, shared by the fuzz tests of every reader (fuzz-readers.test.ts,
 * fuzz-video.ts): truncation, flipped and inserted bytes, both, or the file unchanged.
 */
import fc from 'fast-check';

/** A mutated file and what was done to it (for the counts, and to reproduce a failure). */
export interface Mutation {
  bytes: Uint8Array;
  kind: 'truncated' | 'mutated bytes' | 'truncated + mutated' | 'unchanged';
  /** What was done, e.g. `cut at 1200; byte 17 = 0xff; insert 0x00 at 3`. */
  how: string;
}

/** Byte-level mutations of a valid file: truncation, up to 6 flipped or inserted bytes. */
export function mutated(seed: Uint8Array): fc.Arbitrary<Mutation> {
  return fc
    .record({
      cut: fc.integer({ min: 0, max: seed.length }),
      edits: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 }), fc.boolean()), { maxLength: 6 }),
      truncate: fc.boolean(),
    })
    .map(({ cut, edits, truncate }): Mutation => {
      const cutShort = truncate && cut < seed.length;
      let b = Array.from(truncate ? seed.subarray(0, cut) : seed);
      const how = cutShort ? [`cut at ${cut}`] : [];
      for (const [pos, byte, insert] of edits) {
        if (b.length === 0) b = [byte];
        const p = pos % b.length;
        if (insert) b.splice(p, 0, byte);
        else b[p] = byte;
        how.push(insert ? `insert 0x${byte.toString(16)} at ${p}` : `byte ${p} = 0x${byte.toString(16)}`);
      }
      const kind = cutShort ? (edits.length > 0 ? 'truncated + mutated' : 'truncated') : edits.length > 0 ? 'mutated bytes' : 'unchanged';
      return { bytes: new Uint8Array(b), kind, how: how.join('; ') || 'unchanged' };
    });
}
