/**
 * Checkpoints: a module's parameters and buffers (and optionally an optimiser's state) as safetensors,
 * with the run's configuration and training state as JSON in the header's `__metadata__`. Written
 * atomically (temporary file, fsync, rename). Loading checks every name, shape and dtype against the
 * model before reading any data, and reports all mismatches in one line.
 */
import { Tensor, fromBytes, toBytes, tidy, noGrad } from '../torch/index.js';
import { DTYPE_INFO, dtypeOfSafetensors } from '../torch/dtype.js';
import type { Module } from './module.js';
import type { Optimizer, OptimizerState } from './optim/optimizer.js';
import { checkSafetensorsAgainst, readSafetensors, writeSafetensors, type RawTensor, type TensorSpec } from '../serialization/safetensors.js';
import { fail } from '../util/errors.js';

/** Prefix of optimiser state tensors inside a checkpoint. */
const OPTIM_PREFIX = '__optimizer__.';

export interface CheckpointMetadata {
  /** The run's configuration (any JSON). */
  config?: unknown;
  /** Training state: epoch, iteration, best metric... (any JSON). */
  state?: unknown;
}

export function toRaw(t: Tensor): RawTensor {
  return { dtype: DTYPE_INFO[t.dtype].safetensors, shape: t.shape, data: toBytes(t) };
}

export function specOf(t: Tensor): TensorSpec {
  return { dtype: DTYPE_INFO[t.dtype].safetensors, shape: t.shape };
}

/** Writes the module's state (and optionally the optimiser's) to `path`, atomically. */
export function saveCheckpoint(path: string, module: Module, meta: CheckpointMetadata = {}, optimizer?: Optimizer<{ lr: number }>): void {
  const tensors: Record<string, RawTensor> = {};
  for (const [name, t] of module.stateDict()) tensors[name] = toRaw(t);
  const metadata: Record<string, string> = { format: 'stad-checkpoint-v1' };
  if (meta.config !== undefined) metadata.config = JSON.stringify(meta.config);
  if (meta.state !== undefined) metadata.state = JSON.stringify(meta.state);
  if (optimizer) {
    const s = optimizer.stateDict();
    metadata.optimizer = JSON.stringify({ step: s.step, groups: s.groups });
    for (const [k, t] of s.tensors) tensors[OPTIM_PREFIX + k] = toRaw(t);
  }
  writeSafetensors(path, tensors, metadata);
}

export interface LoadedCheckpoint {
  config?: unknown;
  state?: unknown;
  metadata: Record<string, string>;
}

function parseJsonField(path: string, metadata: Record<string, string>, key: string): unknown {
  const v = metadata[key];
  if (v === undefined) return undefined;
  try {
    return JSON.parse(v);
  } catch {
    return fail(path, `__metadata__.${key}`, 'is not valid JSON');
  }
}

/**
 * Loads a checkpoint into `module` (in place) and, when given and present, into `optimizer`. Every name,
 * shape and dtype of the model must match the file (strict); mismatches are listed in one UserError.
 */
export function loadCheckpoint(path: string, module: Module, optimizer?: Optimizer<{ lr: number }>): LoadedCheckpoint {
  const expected: Record<string, TensorSpec> = {};
  for (const [name, t] of module.stateDict()) expected[name] = specOf(t);
  checkSafetensorsAgainst(path, expected, (name) => name.startsWith(OPTIM_PREFIX));
  const { tensors, metadata } = readSafetensors(path);
  tidy(() => {
    const state = new Map<string, Tensor>();
    for (const name of Object.keys(expected)) {
      const raw = tensors[name]!;
      state.set(name, fromBytes(raw.data, raw.shape, dtypeOfSafetensors(raw.dtype)));
    }
    module.loadStateDict(state, { source: path });
  });
  if (optimizer && metadata.optimizer !== undefined) {
    const o = parseJsonField(path, metadata, 'optimizer') as { step: number; groups: Record<string, number | boolean>[] };
    tidy(() => {
      const ts = new Map<string, Tensor>();
      for (const [k, raw] of Object.entries(tensors)) {
        if (!k.startsWith(OPTIM_PREFIX)) continue;
        ts.set(k.slice(OPTIM_PREFIX.length), fromBytes(raw.data, raw.shape, dtypeOfSafetensors(raw.dtype)));
      }
      const s: OptimizerState = { step: o.step, groups: o.groups, tensors: ts };
      noGrad(() => optimizer.loadStateDict(s));
    });
  }
  return { config: parseJsonField(path, metadata, 'config'), state: parseJsonField(path, metadata, 'state'), metadata };
}
