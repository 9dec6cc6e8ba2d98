/**
 * Runs of a recipe whose definition changed since (a new line in recipes.ts, other epochs in sizes.ts)
 * are moved aside, so that the demo trains the recipe as it is now instead of stopping, as `stad
 * compare` does, at a folder holding another configuration. Nothing is deleted: the old runs go to
 * <out>/stale/<recipe>-<time>/.
 */
import { existsSync, mkdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { resultKey } from '../compare/runs.js';
import { isRunDir, readRunConfig } from '../train/checkpoint.js';
import type { RunConfig } from '../train/config.js';

/** Moves `<compareDir>/<recipe>` aside when one of its seeds' runs holds another configuration; returns where it went. */
export function moveStaleRuns(compareDir: string, recipe: string, config: RunConfig, seeds: readonly number[], staleDir: string): string | null {
  const dir = join(compareDir, recipe);
  const changed = seeds.some((seed) => {
    const run = join(dir, `seed-${seed}`);
    return existsSync(run) && isRunDir(run) && resultKey(readRunConfig(run)) !== resultKey({ ...config, seed });
  });
  if (!changed) return null;
  mkdirSync(staleDir, { recursive: true });
  const to = join(staleDir, `${recipe}-${new Date().toISOString().replace(/[:.]/g, '-')}`);
  renameSync(dir, to);
  return to;
}
