/**
 * The run folder and its checkpoints.
 *
 *   <run>/config.json          the resolved run config (every default filled in)
 *   <run>/metrics.jsonl        one JSON object per line: train steps and validations
 *   <run>/latest.safetensors   weights, optimiser state and TrainState after the last finished epoch
 *   <run>/best.safetensors     the weights of the epoch with the best all_mAP
 *
 * Checkpoints are written atomically (nn/checkpoint.ts: temporary file, fsync, rename), so the previous
 * latest.safetensors stays whole until the new one is complete. Each carries the config and the state in
 * its metadata, so a checkpoint alone says what produced it.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { loadCheckpoint, saveCheckpoint, type Module, type Optimizer } from '../nn/index.js';
import { UserError } from '../util/errors.js';
import { writeFileAtomic } from '../util/fs.js';
import { RunConfigSchema, formatConfigIssue, type RunConfig } from './config.js';

export const CONFIG_FILE = 'config.json';
export const METRICS_FILE = 'metrics.jsonl';
export const LATEST_FILE = 'latest.safetensors';
export const BEST_FILE = 'best.safetensors';

/** Where a run stands; saved in every checkpoint's metadata under `state`. */
export const TrainStateSchema = z.strictObject({
  /** Epochs finished (the next epoch to run, 0-based). */
  epoch: z.number().int().min(0),
  /** Batches trained on so far, over all epochs. */
  iteration: z.number().int().min(0),
  /** The sampler's position: the epoch and batch the next step reads (resuming restarts the loader there). */
  sampler: z.strictObject({ epoch: z.number().int().min(0), batch: z.number().int().min(0) }),
  /** Best validation all_mAP so far and its epoch (1-based), or null before any validation. */
  best: z.strictObject({ allMAP: z.number(), epoch: z.number().int() }).nullable(),
  /** Seconds the last validation took (the remaining-time estimate of a resumed run). */
  lastValSeconds: z.number().nullable(),
  /** A checkpoint inside an epoch (sampler.batch > 0): the epoch's loss sum and count so far, for its mean. */
  epochLoss: z.strictObject({ sum: z.number(), counted: z.number().int().min(0) }).optional(),
  /** Steps skipped in a row for a non-finite loss or gradient when the checkpoint was taken. */
  nonFiniteInRow: z.number().int().min(0).optional(),
  /** Training clips skipped so far (data.onBadClip 'skip'). */
  skippedClips: z.number().int().min(0).optional(),
});
export type TrainState = z.infer<typeof TrainStateSchema>;

export const INITIAL_STATE: TrainState = { epoch: 0, iteration: 0, sampler: { epoch: 0, batch: 0 }, best: null, lastValSeconds: null };

/** A folder holding a config.json that validates as a run config. */
export function isRunDir(dir: string): boolean {
  const f = join(dir, CONFIG_FILE);
  if (!existsSync(f)) return false;
  try {
    return RunConfigSchema.safeParse(JSON.parse(readFileSync(f, 'utf8'))).success;
  } catch {
    return false;
  }
}

/**
 * Checks that `dir` can hold a new run: absent or empty. Refuses a non-empty folder (a stad run is
 * pointed to --resume). Creates nothing: the folder is created once everything is validated.
 */
export function checkNewRunDir(dir: string): void {
  if (!existsSync(dir)) return;
  if (!statSync(dir).isDirectory()) throw new UserError(`--out ${dir}: exists and is not a folder`);
  if (readdirSync(dir).length === 0) return;
  if (isRunDir(dir)) throw new UserError(`--out ${dir}: already holds a stad run; continue it with --resume ${dir}, or choose another --out`);
  throw new UserError(`--out ${dir}: exists, is not empty and is not a stad run; choose another --out`);
}

/** The resolved config of an existing run, for --resume. */
export function readRunConfig(dir: string): RunConfig {
  const f = join(dir, CONFIG_FILE);
  if (!existsSync(f)) throw new UserError(`--resume ${dir}: not a stad run (no ${CONFIG_FILE})`);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(f, 'utf8'));
  } catch (e) {
    throw new UserError(`${f}: not valid JSON (${(e as Error).message})`);
  }
  const r = RunConfigSchema.safeParse(raw);
  if (!r.success) throw new UserError(formatConfigIssue(f, r.error));
  return r.data;
}

export function writeRunConfig(dir: string, config: RunConfig): void {
  writeFileAtomic(join(dir, CONFIG_FILE), `${JSON.stringify(config, null, 2)}\n`);
}

export function saveRunCheckpoint(path: string, model: Module, config: RunConfig, state: TrainState, optimizer?: Optimizer<{ lr: number }>): void {
  saveCheckpoint(path, model, { config, state }, optimizer);
}

/** Loads weights (and the optimiser state) from a run checkpoint; returns its TrainState. */
export function loadRunCheckpoint(path: string, model: Module, optimizer?: Optimizer<{ lr: number }>): TrainState {
  if (!existsSync(path)) throw new UserError(`${path}: no checkpoint here (the run stopped before its first epoch ended?)`);
  const loaded = loadCheckpoint(path, model, optimizer);
  const r = TrainStateSchema.safeParse(loaded.state);
  if (!r.success) throw new UserError(formatConfigIssue(`${path}: __metadata__.state`, r.error));
  return r.data;
}
