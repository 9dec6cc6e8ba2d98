/**
 * The configuration of a training run: ONE flat, validated zod schema that documents every field once
 * (`.describe()`), as PySlowFast's defaults file does, without mmaction2's inheritance. A run is a JSON
 * file (the presets live in `configs/`), plus `--set a.b=value` overrides applied before validation,
 * plus a few flags (`--epochs`, `--batch-size`, `--no-scale-lr`). The resolved configuration, with every
 * default filled in, is what a run saves (`config.json`, and every checkpoint's metadata).
 *
 *   const { config, notes } = loadRunConfig('synth_tiny_bce', { sets: ['optim.lr=0.05'] });
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { ModelConfigSchema, modelPreset } from '../models/presets.js';
import { LossConfigSchema } from '../losses/index.js';
import { DEFAULT_DATA_DIR } from '../data/defaults.js';
import { UserError } from '../util/errors.js';

const posInt = (what = 'a positive integer') => z.number({ error: `expected ${what}` }).int(`expected ${what}`).min(1, `expected ${what}`);
const positive = () => z.number({ error: 'expected a positive number' }).positive('expected a positive number');
const nonNegative = () => z.number({ error: 'expected a number >= 0' }).min(0, 'expected a number >= 0');
const fraction = () => z.number({ error: 'expected a number in [0, 1]' }).min(0, 'expected a number in [0, 1]').max(1, 'expected a number in [0, 1]');

/** mmaction2's AVA training pipeline (src/data/transforms.ts `TrainAugmentation`). */
export const AugmentationSchema = z
  .strictObject({
    shortSideRange: z.tuple([posInt(), posInt()]).default([256, 320]).describe('random short side [min, max] in pixels before the crop (RandomRescale 256-320)'),
    cropSize: posInt().default(256).describe('square random crop side in pixels, clamped to the image (RandomCrop 256)'),
    flipRatio: fraction().default(0.5).describe('probability of a horizontal flip'),
    colorJitter: fraction().default(0).describe('max relative change of brightness, contrast and saturation; 0: none (the reference has none)'),
    minBoxVisible: fraction().default(0.5).describe('a crop keeps at least this share of every box, if one of cropTries random crops does'),
    cropTries: posInt().default(10).describe('random crops tried to keep the boxes in view'),
  })
  .refine((a) => a.shortSideRange[0] <= a.shortSideRange[1], { message: 'expected [min, max] with min <= max', path: ['shortSideRange'] });

export const DataConfigSchema = z.strictObject({
  dir: z.string().min(1).default(DEFAULT_DATA_DIR).describe('dataset folder (dataset.json, or annotations/{train,test}/<video>.json); --data overrides it'),
  trainSplit: z.string().min(1).default('train').describe('split to train on'),
  testSplit: z.string().min(1).default('test').describe('split to validate on'),
  actionAttribute: z.string().min(1).optional().describe('VIA3 action attribute (name or id) when projects have several'),
  augmentation: AugmentationSchema.default(AugmentationSchema.parse({})).describe('training augmentation; clips are sampled as the model input says (frames, frameInterval)'),
  testShortSide: posInt().default(256).describe('validation: the short side frames are resized to (no crop, no flip)'),
  valBoxes: z.enum(['proposals', 'gt']).default('proposals').describe("validation boxes: the person detector's proposals (the reference) or the ground-truth boxes"),
  onBadClip: z
    .enum(['stop', 'skip'])
    .default('stop')
    .describe("a training clip whose frames cannot be read or decoded (a corrupt JPEG or video): 'stop' the run with an error naming the video and time, or 'skip' the clip and go on (skips are counted in the progress line and metrics.jsonl)"),
});

const optimCommon = {
  lr: positive().describe('learning rate for lrBatchSize clips per optimiser step; scaled linearly to the run\'s batch unless scaleLr is false'),
  lrBatchSize: posInt().describe('clips per optimiser step that lr is meant for (the reference: 4)'),
  scaleLr: z.boolean().default(true).describe('scale lr by batchSize * accumulate / lrBatchSize (--no-scale-lr sets false)'),
  weightDecay: nonNegative().default(0).describe('weight decay (SGD: L2 added to the gradient; AdamW: decoupled)'),
  decayNormAndBias: z.boolean().default(true).describe('false: no weight decay on BatchNorm weights and on biases'),
};

export const OptimConfigSchema = z.discriminatedUnion('name', [
  z.strictObject({
    name: z.literal('sgd').describe('SGD with (Nesterov) momentum, PyTorch update rule'),
    ...optimCommon,
    momentum: z.number().min(0).max(1).default(0.9).describe('momentum (0.9)'),
    nesterov: z.boolean().default(false).describe('Nesterov momentum'),
  }),
  z.strictObject({
    name: z.literal('adamw').describe('AdamW (decoupled weight decay)'),
    ...optimCommon,
    beta1: z.number().min(0).lt(1).default(0.9).describe('first-moment decay'),
    beta2: z.number().min(0).lt(1).default(0.999).describe('second-moment decay'),
    eps: positive().default(1e-8).describe('denominator epsilon'),
  }),
]);

export const ScheduleConfigSchema = z.strictObject({
  warmupEpochs: nonNegative().default(0).describe('linear warm-up over this many epochs (fractions allowed), per iteration'),
  warmupFactor: fraction().default(0.1).describe('the warm-up starts at warmupFactor * lr (mmaction2 start_factor)'),
  decay: z
    .discriminatedUnion('kind', [
      z.strictObject({
        kind: z.literal('step'),
        milestones: z.array(nonNegative()).default([]).describe('epochs at which lr is multiplied by gamma'),
        gamma: positive().default(0.1).describe('factor at each milestone'),
      }),
      z.strictObject({ kind: z.literal('cosine'), minLR: nonNegative().default(0).describe('lr at the end of the run') }),
      z.strictObject({ kind: z.literal('constant') }),
    ])
    .default({ kind: 'constant' })
    .describe("after the warm-up: 'step' (milestones, gamma), 'cosine' to minLR at the last iteration, or 'constant'"),
});

export const AssignerConfigSchema = z.strictObject({
  posIou: fraction().default(0.9).describe('a proposal overlapping a ground-truth box by this IoU inherits its labels (MaxIoUAssignerAVA 0.9)'),
  numRois: posInt().default(32).describe('boxes sampled per clip (RandomSampler num 32, all positives first)'),
  addGtAsProposals: z.boolean().default(true).describe('the ground-truth boxes are also boxes to classify'),
  minProposalScore: fraction().default(0.9).describe("training: proposals scoring below this are not used (mmaction2's person_det_score_thr 0.9)"),
  negatives: z.enum(['include', 'ignore']).default('include').describe("boxes without a label: 'include' with all-zero targets (the reference's code) or 'ignore' (upstream mmaction2)"),
});

export const RunConfigSchema = z.strictObject({
  description: z.string().optional().describe('one line: what this run is'),
  model: ModelConfigSchema.describe('a model preset name (src/models/presets.ts), resolved to its full config, or a full model config'),
  data: DataConfigSchema.default(DataConfigSchema.parse({})).describe('the dataset and what the loader does with it'),
  loss: LossConfigSchema.describe('the classification loss (src/losses): name and its options'),
  optim: OptimConfigSchema.describe("the optimiser: 'sgd' or 'adamw'"),
  schedule: ScheduleConfigSchema.default(ScheduleConfigSchema.parse({})).describe('learning rate per iteration'),
  batchSize: posInt().describe('clips per batch'),
  accumulate: posInt().default(1).describe('batches whose gradients are summed before an optimiser step (effective batch = batchSize * accumulate)'),
  epochs: posInt().describe('passes over the training split'),
  valInterval: z.number().int().min(0).default(1).describe('validate every this many epochs (and after the last); 0: only after the last'),
  gradClip: positive().nullable().default(null).describe('max L2 norm of all gradients together (clip_grad_norm_), or null'),
  repeatThreshold: z.number().gt(0).max(1).nullable().default(null).describe('repeat factor sampling threshold t (LVIS) for rare classes, or null'),
  assigner: AssignerConfigSchema.default(AssignerConfigSchema.parse({})).describe('which boxes of a clip are trained on, with which targets'),
  seed: z.number().int().min(0).default(0).describe('seed of everything random: init, order, augmentation, sampling, dropout'),
  workers: z.number().int().min(0).default(1).describe('loader worker threads decoding clips (0: in the main thread); results do not depend on it'),
  checkpointEvery: z.number().int().min(0).default(0).describe('also save latest.safetensors every this many batches inside an epoch (0: only at the end of each epoch); a crash loses at most this much work'),
  maxNonFinite: posInt().default(5).describe('a step whose loss or gradient is not finite is skipped (no update); after this many skipped in a row the run stops'),
  amp: z.enum(['none', 'bf16']).default('none').describe("mixed precision: 'bf16' runs the forward pass under autocast in bfloat16 (float32 master weights, loss in float32; CPU and CUDA), 'none' all float32; --amp"),
  cudnnBenchmark: z.boolean().default(false).describe("cuDNN's autotuner (torch.backends.cudnn.benchmark): faster convolutions on a GPU once each input shape was timed; --cudnn-benchmark"),
  deterministic: z.boolean().default(false).describe('deterministic algorithms only (torch.use_deterministic_algorithms, cuDNN deterministic, fixed cuBLAS workspace): reproducible GPU runs, slower; --deterministic'),
  threads: posInt().default(1).describe("libtorch's intra-op threads (1 measured fastest for the tiny preset on the shared 2-core machine: bench/RESULTS.md, train)"),
});

export type RunConfig = z.infer<typeof RunConfigSchema>;
export type OptimConfig = RunConfig['optim'];
export type ScheduleConfig = RunConfig['schedule'];

/** Folder of the presets: configs/ at the repository (package) root. */
export const CONFIGS_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'configs');

const PRESET_NAME = /^[A-Za-z0-9_-]+$/;

export function configPresetNames(dir = CONFIGS_DIR): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.slice(0, -'.json'.length))
    .sort();
}

/** One line for the first problem zod found; unknown fields first (they are the likeliest typo). */
export function formatConfigIssue(source: string, error: z.ZodError): string {
  const issues = [...error.issues].sort((a, b) => Number(b.code === 'unrecognized_keys') - Number(a.code === 'unrecognized_keys'));
  const issue = issues[0]!;
  const where = issue.path.length ? issue.path.map(String).join('.') : '(top level)';
  if (issue.code === 'unrecognized_keys') {
    const keys = (issue as { keys: string[] }).keys;
    return `${source}: ${where}: unknown field${keys.length > 1 ? 's' : ''} ${keys.map((k) => `'${k}'`).join(', ')}`;
  }
  return `${source}: ${where}: ${issue.message.replace(/^Invalid input: /, '')}`;
}

const FORBIDDEN_KEYS = new Set(['__proto__', 'prototype', 'constructor']);

/** `a.b=value` -> path and value (JSON if it parses, else the text). */
export function parseSet(arg: string): { path: string[]; value: unknown } {
  const eq = arg.indexOf('=');
  if (eq <= 0) throw new UserError(`--set ${arg}: expected key.path=value`);
  const path = arg.slice(0, eq).trim().split('.');
  if (path.some((k) => k === '' || FORBIDDEN_KEYS.has(k))) throw new UserError(`--set ${arg}: bad key path '${arg.slice(0, eq)}'`);
  const text = arg.slice(eq + 1);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    value = text;
  }
  return { path, value };
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Applies one override in place; missing objects on the way are created. */
export function applySet(target: Record<string, unknown>, arg: string): void {
  const { path, value } = parseSet(arg);
  // A preset name in `model` becomes its full config first, so that `--set model.head.dropout=0` works.
  if (path[0] === 'model' && path.length > 1 && typeof target.model === 'string') target.model = resolveModel(target.model, '--set');
  let node: Record<string, unknown> | unknown[] = target;
  for (let i = 0; i < path.length - 1; i++) {
    const key = path[i]!;
    const at: unknown = Array.isArray(node) ? node[Number(key)] : Object.hasOwn(node, key) ? node[key] : undefined;
    if (at === undefined) {
      if (Array.isArray(node)) throw new UserError(`--set ${arg}: ${path.slice(0, i + 1).join('.')} is not an element of the list`);
      node[key] = {};
      node = node[key] as Record<string, unknown>;
    } else if (isPlainObject(at) || Array.isArray(at)) {
      node = at;
    } else {
      throw new UserError(`--set ${arg}: ${path.slice(0, i + 1).join('.')} is not an object`);
    }
  }
  const last = path[path.length - 1]!;
  if (Array.isArray(node)) {
    const i = Number(last);
    if (!Number.isInteger(i) || i < 0 || i > node.length) throw new UserError(`--set ${arg}: ${last} is not an index of ${path.slice(0, -1).join('.')}`);
    node[i] = value;
  } else {
    node[last] = value;
  }
}

function resolveModel(name: string, source: string): unknown {
  try {
    return modelPreset(name);
  } catch (e) {
    throw new UserError(`${source}: model: ${(e as Error).message}`);
  }
}

/** Finds a config: an existing file, or the name of a preset in configs/. */
export function findConfigFile(nameOrPath: string, dir = CONFIGS_DIR): string {
  if (existsSync(nameOrPath) && statSync(nameOrPath).isFile()) return nameOrPath;
  if (PRESET_NAME.test(nameOrPath) && existsSync(join(dir, `${nameOrPath}.json`))) return join(dir, `${nameOrPath}.json`);
  throw new UserError(`--config ${nameOrPath}: no such file and no such preset (presets: ${configPresetNames(dir).join(', ') || 'none'})`);
}

export interface ConfigOverrides {
  sets?: readonly string[];
  epochs?: number;
  batchSize?: number;
  /** false: --no-scale-lr. */
  scaleLr?: boolean;
  data?: string;
}

export interface ResolvedRunConfig {
  config: RunConfig;
  /** Where it came from (for messages). */
  source: string;
  /** Preset name or file name without .json (a default run folder name). */
  name: string;
  /** True when `model` was a preset name: the head's class count then follows the dataset. */
  modelFromPreset: boolean;
}

/** Validates a raw config object (after overrides). */
export function parseRunConfig(raw: unknown, source: string): { config: RunConfig; modelFromPreset: boolean } {
  if (!isPlainObject(raw)) throw new UserError(`${source}: (top level): expected a JSON object`);
  const obj = structuredClone(raw);
  const modelFromPreset = typeof obj.model === 'string';
  if (modelFromPreset) obj.model = resolveModel(obj.model as string, source);
  const r = RunConfigSchema.safeParse(obj);
  if (!r.success) throw new UserError(formatConfigIssue(source, r.error));
  return { config: r.data, modelFromPreset };
}

/** Reads, overrides and validates a run config; UserError (one line naming file and field) otherwise. */
export function loadRunConfig(nameOrPath: string, o: ConfigOverrides = {}, dir = CONFIGS_DIR): ResolvedRunConfig {
  const file = findConfigFile(nameOrPath, dir);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new UserError(`${file}: not valid JSON (${(e as Error).message})`);
  }
  if (!isPlainObject(raw)) throw new UserError(`${file}: (top level): expected a JSON object`);
  return resolveRunConfig(raw, file, o);
}

/** Applies overrides to a raw config object and validates it. */
export function resolveRunConfig(raw: Record<string, unknown>, file: string, o: ConfigOverrides = {}): ResolvedRunConfig {
  const obj = structuredClone(raw);
  const modelFromPreset = typeof obj.model === 'string';
  for (const s of o.sets ?? []) applySet(obj, s);
  if (o.epochs !== undefined) obj.epochs = o.epochs;
  if (o.batchSize !== undefined) obj.batchSize = o.batchSize;
  if (o.scaleLr === false && isPlainObject(obj.optim)) obj.optim.scaleLr = false;
  if (o.data !== undefined) obj.data = { ...(isPlainObject(obj.data) ? obj.data : {}), dir: o.data };
  const { config } = parseRunConfig(obj, file);
  return { config, source: file, name: basename(file).replace(/\.json$/, ''), modelFromPreset };
}

/** Clips per optimiser step. */
export function effectiveBatch(c: Pick<RunConfig, 'batchSize' | 'accumulate'>): number {
  return c.batchSize * c.accumulate;
}

/** The learning rate the run uses: lr * (batchSize * accumulate) / lrBatchSize when scaleLr. */
export function effectiveLR(c: Pick<RunConfig, 'batchSize' | 'accumulate' | 'optim'>): number {
  return c.optim.scaleLr ? (c.optim.lr * effectiveBatch(c)) / c.optim.lrBatchSize : c.optim.lr;
}

/** One log line about the learning rate (whether and how it was scaled). */
export function describeLR(c: Pick<RunConfig, 'batchSize' | 'accumulate' | 'optim'>): string {
  const b = effectiveBatch(c);
  if (b === c.optim.lrBatchSize) return `lr ${fmt(c.optim.lr)} for ${b} clips per step`;
  if (!c.optim.scaleLr) return `lr ${fmt(c.optim.lr)} (set for ${c.optim.lrBatchSize} clips per step, not scaled to ${b}: --no-scale-lr)`;
  return `lr ${fmt(effectiveLR(c))} = ${fmt(c.optim.lr)} x ${b} / ${c.optim.lrBatchSize} (scaled linearly from ${c.optim.lrBatchSize} to ${b} clips per step; --no-scale-lr to keep it)`;
}

function fmt(x: number): string {
  return Number(x.toPrecision(6)).toString();
}
