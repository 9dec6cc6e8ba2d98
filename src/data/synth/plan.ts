/**
 * The whole dataset as timelines, before any pixel: each split's interactions planned to the exact
 * class counts, dealt to the split's sequences, and laid out as scenes. Cheap (well under a second at
 * scale 1) and deterministic, so that worker threads can rebuild the same scenes from the options.
 */
import { countEventLabels, distributeEvents, planEvents, type PlannedEvent } from './events.js';
import { Rng } from '../rng.js';
import { SEQUENCES, SPLITS, SYNTH_CLASSES, targetCounts, type SplitName } from './reference.js';
import { buildScene, type SceneGeometry, type SequenceScene } from './scene.js';

export interface SceneOptions {
  scale: number;
  seed: number;
  width: number;
  height: number;
  fps: number;
  /** Frames between keyframes. */
  keyframeStride: number;
}

export interface PlannedSequence {
  name: string;
  split: SplitName;
  events: PlannedEvent[];
}


/** Plans every split's interactions and deals them to the split's sequences. */
export function planDataset(scale: number, seed: number, keyframesPerSecond: number): PlannedSequence[] {
  const out: PlannedSequence[] = [];
  for (const split of SPLITS) {
    const targets = targetCounts(split, scale);
    const events = planEvents(targets, keyframesPerSecond, new Rng(seed, 'plan', split));
    const got = countEventLabels(events);
    for (const c of SYNTH_CLASSES) if (got[c] !== targets[c]) throw new Error(`synth: planned ${got[c]} ${c} boxes for ${split}, wanted ${targets[c]}`);
    const seqs = SEQUENCES.filter((s) => s.split === split);
    const dealt = distributeEvents(events, seqs.length, new Rng(seed, 'deal', split));
    seqs.forEach((s, i) => out.push({ name: s.name, split, events: dealt[i]! }));
  }
  // Sequence order seq1..seq20.
  return out.sort((a, b) => Number(a.name.slice(3)) - Number(b.name.slice(3)));
}

/** Builds the scenes of every sequence (cheap: no pixels). */
export function buildScenes(o: SceneOptions): SequenceScene[] {
  const g: SceneGeometry = { width: o.width, height: o.height, fps: o.fps, stride: o.keyframeStride };
  return planDataset(o.scale, o.seed, o.fps / o.keyframeStride).map((p) => buildScene(p.name, p.split, p.events, g, o.seed));
}

