/**
 * Converts Kinetics-pretrained SlowFast / SlowOnly checkpoints into stad's parameter names, which are
 * mmaction2's state-dict names (so an mmaction2 checkpoint maps by identity):
 *
 *   backbone.slow_path.conv1.conv.weight            (SlowFast; SlowOnly drops `slow_path.`)
 *   backbone.slow_path.conv1.bn.{weight,bias,running_mean,running_var,num_batches_tracked}
 *   backbone.slow_path.layer{1-4}.{j}.conv{1-3}.{conv,bn}.*   and  .downsample.{conv,bn}.*
 *   backbone.slow_path.{conv1,layer1,layer2,layer3}_lateral.conv.weight
 *   roi_head.bbox_head.fc_cls.{weight,bias}
 *
 * PySlowFast (facebookresearch/SlowFast) names map as follows (pathway0 = slow, pathway1 = fast):
 *
 *   s1.pathway{p}_stem.{conv,bn}.*          -> backbone.{slow,fast}_path.conv1.{conv,bn}.*
 *   s{k}.pathway{p}_res{j}.branch2.a|b|c.*  -> backbone.{...}.layer{k-1}.{j}.conv1|conv2|conv3.conv.*
 *   s{k}.pathway{p}_res{j}.branch2.a_bn|b_bn|c_bn.* -> ....conv1|conv2|conv3.bn.*
 *   s{k}.pathway{p}_res{j}.branch1.*        -> ....downsample.conv.*
 *   s{k}.pathway{p}_res{j}.branch1_bn.*     -> ....downsample.bn.*
 *   s1_fuse|s2_fuse|s3_fuse|s4_fuse.conv_f2s.* -> backbone.slow_path.conv1|layer1|layer2|layer3_lateral.conv.*
 *   s{n}_fuse.bn.*                          -> backbone.slow_path.{...}_lateral.bn.*
 *
 * The last line is the one real architectural difference: PySlowFast's fast-to-slow fusion is conv -> BN ->
 * ReLU, mmaction2's lateral is a bare conv. The BN is kept under the mmaction2-style name a lateral
 * ConvModule with a norm layer would have (`..._lateral.bn.*`), so a model built with normalised laterals
 * loads it and a model without them reports the names as unexpected rather than silently dropping them.
 *
 * Classification heads are dropped (a Kinetics head's 400 classes are of no use to a detector):
 * mmaction2's `cls_head.*` and PySlowFast's `head.*` (whose AVA variant has 80 classes without mmaction2's
 * background column, so it does not map either). mmaction2's `roi_head.*` is kept. DataParallel's
 * `module.` prefix is stripped. BatchNorm layers without `num_batches_tracked` (old or Caffe2-converted
 * checkpoints) get a zero int64 counter, which PyTorch's own loader would also accept.
 */
import { statSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { fail } from '../util/errors.js';
import type { ProgressCallback } from '../util/progress.js';
import { readPthStateDict, type PthContainer, type ReadPthOptions } from '../serialization/pth.js';
import { writeSafetensors, type RawTensor } from '../serialization/safetensors.js';

export type CheckpointFormat = 'mmaction2' | 'pyslowfast';
export type Architecture = 'slowfast' | 'slowonly';

export interface ConvertedStateDict {
  tensors: Record<string, RawTensor>;
  format: CheckpointFormat;
  architecture: Architecture;
  /** Source names dropped, with the reason (heads). */
  dropped: { name: string; reason: string }[];
  /** Human-readable notes about what the conversion did (one line each). */
  notes: string[];
}

/** Recognises the naming scheme of a state dict by its keys. */
export function detectFormat(names: readonly string[]): CheckpointFormat {
  const stripped = names.map(stripModulePrefix);
  if (stripped.some((n) => /^s\d+(_fuse)?\./.test(n) || n.startsWith('head.projection.'))) {
    if (stripped.some((n) => n.startsWith('backbone.'))) throw new Error('mixed PySlowFast and mmaction2 names');
    return 'pyslowfast';
  }
  return 'mmaction2';
}

/** SlowFast if any name mentions a second pathway. */
export function detectArchitecture(names: readonly string[], format: CheckpointFormat): Architecture {
  const stripped = names.map(stripModulePrefix);
  if (format === 'pyslowfast') return stripped.some((n) => /\.pathway1_/.test(n) || /^s\d+_fuse\./.test(n)) ? 'slowfast' : 'slowonly';
  return stripped.some((n) => n.startsWith('backbone.slow_path.') || n.startsWith('backbone.fast_path.')) ? 'slowfast' : 'slowonly';
}

export function stripModulePrefix(name: string): string {
  return name.startsWith('module.') ? name.slice('module.'.length) : name;
}

const BRANCH2: Record<string, string> = { a: 'conv1.conv', a_bn: 'conv1.bn', b: 'conv2.conv', b_bn: 'conv2.bn', c: 'conv3.conv', c_bn: 'conv3.bn' };
const FUSE_TO_LATERAL = ['conv1_lateral', 'layer1_lateral', 'layer2_lateral', 'layer3_lateral'];

/**
 * Maps one PySlowFast name to stad's (mmaction2) name; `null` for a head that is dropped. Throws a plain
 * Error (the caller adds the file name) for a name it does not know, so nothing is silently lost.
 */
export function pyslowfastToStad(name: string, arch: Architecture): string | null {
  if (name.startsWith('head.')) return null;
  const path = (p: string): string => {
    if (arch === 'slowonly') {
      if (p !== '0') throw new Error(`pathway${p} in a SlowOnly checkpoint`);
      return 'backbone';
    }
    if (p === '0') return 'backbone.slow_path';
    if (p === '1') return 'backbone.fast_path';
    throw new Error(`unknown pathway${p}`);
  };
  let m = /^s1\.pathway(\d)_stem\.(conv|bn)\.(\w+)$/.exec(name);
  if (m) return `${path(m[1]!)}.conv1.${m[2]}.${m[3]}`;
  m = /^s([2-5])\.pathway(\d)_res(\d+)\.(branch2\.(a|a_bn|b|b_bn|c|c_bn)|branch1|branch1_bn)\.(\w+)$/.exec(name);
  if (m) {
    const layer = `${path(m[2]!)}.layer${Number(m[1]) - 1}.${m[3]}`;
    const part = m[5] ? BRANCH2[m[5]]! : m[4] === 'branch1' ? 'downsample.conv' : 'downsample.bn';
    return `${layer}.${part}.${m[6]}`;
  }
  m = /^s([1-4])_fuse\.(conv_f2s|bn)\.(\w+)$/.exec(name);
  if (m && arch === 'slowfast') return `backbone.slow_path.${FUSE_TO_LATERAL[Number(m[1]) - 1]}.${m[2] === 'conv_f2s' ? 'conv' : 'bn'}.${m[3]}`;
  throw new Error(`no stad name for PySlowFast parameter "${name}"`);
}

/** Maps one mmaction2 name: identity, except that Kinetics classification heads are dropped. */
export function mmaction2ToStad(name: string): string | null {
  return name.startsWith('cls_head.') ? null : name;
}

/** Converts a state dict's names; throws a UserError naming `file` for anything it cannot place. */
export function convertStateDict(file: string, source: Record<string, RawTensor>): ConvertedStateDict {
  const names = Object.keys(source);
  if (names.length === 0) fail(file, undefined, 'the state dict is empty');
  let format: CheckpointFormat;
  try {
    format = detectFormat(names);
  } catch (e) {
    fail(file, undefined, `cannot tell the checkpoint's naming: ${(e as Error).message}`);
  }
  const architecture = detectArchitecture(names, format);
  // Null prototype: names come from the file, and `__proto__` is a name like any other.
  const tensors = Object.create(null) as Record<string, RawTensor>;
  const dropped: ConvertedStateDict['dropped'] = [];
  const notes: string[] = [];
  let stripped = 0;
  for (const original of names) {
    const name = stripModulePrefix(original);
    if (name !== original) stripped++;
    let target: string | null;
    try {
      target = format === 'pyslowfast' ? pyslowfastToStad(name, architecture) : mmaction2ToStad(name);
    } catch (e) {
      fail(file, original, (e as Error).message);
    }
    if (target === null) {
      dropped.push({ name: original, reason: 'classification head (not used by the detector)' });
      continue;
    }
    if (Object.prototype.hasOwnProperty.call(tensors, target)) fail(file, original, `maps to "${target}", which another parameter already maps to`);
    tensors[target] = source[original]!;
  }
  if (stripped > 0) notes.push(`stripped the "module." prefix from ${stripped} names`);
  if (dropped.length > 0) {
    const heads = [...new Set(dropped.map((d) => stripModulePrefix(d.name).split('.')[0]))].join(', ');
    notes.push(`dropped ${dropped.length} classification-head tensors (${heads}.*): the detector trains its own RoI head`);
  }
  // BatchNorm layers (recognised by running_mean) must have a num_batches_tracked counter.
  let added = 0;
  for (const name of Object.keys(tensors)) {
    if (!name.endsWith('.running_mean')) continue;
    const prefix = name.slice(0, -'running_mean'.length);
    if (!tensors[`${prefix}num_batches_tracked`]) {
      tensors[`${prefix}num_batches_tracked`] = { dtype: 'I64', shape: [], data: new Uint8Array(8) };
      added++;
    }
  }
  if (added > 0) notes.push(`added num_batches_tracked = 0 to ${added} BatchNorm layers that had none`);
  const lateralBn = Object.keys(tensors).filter((n) => /_lateral\.bn\./.test(n)).length;
  if (lateralBn > 0) notes.push(`kept ${lateralBn} BatchNorm tensors of PySlowFast's fast-to-slow fusion as *_lateral.bn.* (mmaction2's laterals have none)`);
  return { tensors, format, architecture, dropped, notes };
}

/** The output must not replace the input: the same path, or another name (a link) for the same file. */
function refuseSameFile(inPath: string, outPath: string): void {
  let same = resolve(inPath) === resolve(outPath);
  if (!same) {
    try {
      const a = statSync(inPath);
      const b = statSync(outPath);
      same = a.dev === b.dev && a.ino === b.ino;
    } catch {
      // One of them does not exist (yet): they are different files.
    }
  }
  if (same) fail(outPath, undefined, `is the input checkpoint ${inPath}; give another output file (stad never overwrites its input)`);
}

export interface ConvertCheckpointResult {
  format: CheckpointFormat;
  architecture: Architecture;
  container: PthContainer;
  tensorCount: number;
  parameterCount: number;
  dropped: number;
  notes: string[];
}

/**
 * Reads a `.pth` checkpoint (mmaction2 or PySlowFast), converts its names to stad's and writes a
 * safetensors file atomically, with metadata `{source, format, architecture, container, notes}`.
 */
export function convertCheckpoint(inPath: string, outPath: string, opts: ReadPthOptions & { onProgress?: ProgressCallback } = {}): ConvertCheckpointResult {
  refuseSameFile(inPath, outPath);
  opts.onProgress?.({ done: 0, total: 3, info: 'reading' });
  const sd = readPthStateDict(inPath, opts);
  opts.onProgress?.({ done: 1, total: 3, info: 'converting names' });
  const c = convertStateDict(inPath, sd.tensors);
  opts.onProgress?.({ done: 2, total: 3, info: 'writing' });
  writeSafetensors(outPath, c.tensors, {
    source: basename(inPath),
    format: c.format,
    architecture: c.architecture,
    container: sd.container,
    converted_by: 'stad convert checkpoint',
    notes: JSON.stringify(c.notes),
  });
  opts.onProgress?.({ done: 3, total: 3 });
  let parameterCount = 0;
  for (const [name, t] of Object.entries(c.tensors)) {
    if (/\.(running_mean|running_var|num_batches_tracked)$/.test(name)) continue;
    parameterCount += t.shape.reduce((a, b) => a * b, 1);
  }
  return {
    format: c.format,
    architecture: c.architecture,
    container: sd.container,
    tensorCount: Object.keys(c.tensors).length,
    parameterCount,
    dropped: c.dropped.length,
    notes: c.notes,
  };
}
