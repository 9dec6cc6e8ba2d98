/**
 * What the synthetic dataset imitates: the reference dataset's classes, sequence names, split and
 * per-class labelled-box counts (../shared/DESIGN.md, "The problem it solves").
 */

/** Action classes in option-id order: option id = index + 1 (option "0" is None). */
export const SYNTH_CLASSES = ['handshake', 'point', 'hug', 'push', 'kick', 'punch'] as const;
export type SynthClass = (typeof SYNTH_CLASSES)[number];

/** The VIA3 option map of the action attribute, exactly as the reference projects have it. */
export const ACTION_OPTIONS: Readonly<Record<string, string>> = {
  '0': 'None',
  '1': 'handshake',
  '2': 'point',
  '3': 'hug',
  '4': 'push',
  '5': 'kick',
  '6': 'punch',
};

export type SplitName = 'train' | 'test';
export const SPLITS: readonly SplitName[] = ['train', 'test'];

/** Labelled boxes per class at scale 1 (a box with two labels counts once for each). */
export const REFERENCE_COUNTS: Readonly<Record<SplitName, Readonly<Record<SynthClass, number>>>> = {
  train: { handshake: 1011, point: 709, hug: 757, push: 358, kick: 250, punch: 320 },
  test: { handshake: 243, point: 132, hug: 209, push: 95, kick: 64, punch: 94 },
};

/** seq1..seq20; every fifth sequence is a test sequence (seq5, seq10, seq15, seq20). */
export const SEQUENCES: readonly { name: string; split: SplitName }[] = Array.from({ length: 20 }, (_, i) => ({
  name: `seq${i + 1}`,
  split: (i + 1) % 5 === 0 ? 'test' : 'train',
}));

/** Option id ("1".."6") of a class. */
export function classOptionId(c: SynthClass): string {
  return String(SYNTH_CLASSES.indexOf(c) + 1);
}

/** The per-class targets for a split at a scale: the reference counts times `scale`, rounded. */
export function targetCounts(split: SplitName, scale: number): Record<SynthClass, number> {
  const out = {} as Record<SynthClass, number>;
  for (const c of SYNTH_CLASSES) out[c] = Math.round(REFERENCE_COUNTS[split][c] * scale);
  return out;
}
