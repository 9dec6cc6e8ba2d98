/**
 * The demo's dataset: the built-in one, generated once and reused while its dataset.json says it was
 * generated with the same options (scale, seed, frame size, fps). A folder holding anything else is
 * the user's and is never replaced.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../util/errors.js';
import type { ProgressCallback } from '../util/progress.js';
import type { SynthOptions } from '../data/synth/generate.js';

export interface DemoDataset {
  dir: string;
  /** True when an existing dataset was reused. */
  reused: boolean;
  frames: number | null;
}

type Wanted = Omit<SynthOptions, 'out' | 'force' | 'jobs'>;

/** The fields of dataset.json that must match for reuse (the video is optional: the demo reads frames). */
const MATCHED = ['scale', 'seed', 'width', 'height', 'fps'] as const;

/** Why `dir` does not hold the wanted dataset, or null when it does; throws when it is not a stad dataset. */
export function mismatch(dir: string, wanted: Wanted): string | null {
  const file = join(dir, 'dataset.json');
  if (!existsSync(file)) throw new UserError(`${dir}: exists and holds no dataset.json of stad synth; remove it, or pass --data to use it as the demo's dataset`);
  let meta: Record<string, unknown>;
  try {
    meta = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch (e) {
    throw new UserError(`${file}: not valid JSON (${(e as Error).message})`);
  }
  if (meta === null || typeof meta !== 'object' || meta.name !== 'stad-synth') throw new UserError(`${file}: name: not a dataset written by stad synth; pass --data to use it as the demo's dataset`);
  for (const k of MATCHED) {
    if (wanted[k] !== undefined && meta[k] !== wanted[k]) return `${k} ${JSON.stringify(meta[k])} instead of ${JSON.stringify(wanted[k])}`;
  }
  return null;
}

/** Reuses `dir` when it holds the wanted dataset, generates it when absent (or empty). */
export async function ensureDemoDataset(dir: string, wanted: Wanted, onProgress?: ProgressCallback): Promise<DemoDataset> {
  if (existsSync(dir) && !(statSync(dir).isDirectory() && readdirSync(dir).length === 0)) {
    const why = mismatch(dir, wanted);
    if (why !== null) throw new UserError(`${join(dir, 'dataset.json')}: a different built-in dataset (${why}); remove the folder or pass --data`);
    return { dir, reused: true, frames: null };
  }
  const { generateSynthDataset } = await import('../data/synth/generate.js');
  const s = await generateSynthDataset({ ...wanted, out: dir }, onProgress);
  return { dir, reused: false, frames: s.frames };
}
