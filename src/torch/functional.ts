/**
 * Functions over several tensors (PyTorch's `torch.*` and `torch.nn.functional`): joining, selecting,
 * grad mode, threads, and torchvision's detection operators.
 */
import { native, ensureVisionOps, type NativeBuildInfo } from './native.js';
import { Tensor } from './tensor.js';

export function cat(tensors: readonly Tensor[], dim = 0): Tensor {
  if (tensors.length === 0) throw new TypeError('cat needs at least one tensor');
  return new Tensor(native.cat(tensors.map((t) => t.h), dim));
}

export function stack(tensors: readonly Tensor[], dim = 0): Tensor {
  if (tensors.length === 0) throw new TypeError('stack needs at least one tensor');
  return new Tensor(native.stack(tensors.map((t) => t.h), dim));
}

/** Elementwise cond ? x : y (either side may be a number). */
export function where(cond: Tensor, x: Tensor | number, y: Tensor | number): Tensor {
  if (typeof x === 'number' && typeof y === 'number') throw new TypeError('where needs at least one tensor branch');
  if (typeof x === 'number') return new Tensor(native.whereScalarSelf(cond.h, x, (y as Tensor).h));
  if (typeof y === 'number') return new Tensor(native.whereScalarOther(cond.h, x.h, y));
  return new Tensor(native.where(cond.h, x.h, y.h));
}

export function matmul(a: Tensor, b: Tensor): Tensor {
  return a.matmul(b);
}

/** PyTorch's binary_cross_entropy_with_logits (the elementwise BCE of src/losses/bce.ts). */
export function binaryCrossEntropyWithLogits(
  logits: Tensor,
  targets: Tensor,
  opts: { weight?: Tensor; posWeight?: Tensor; reduction?: 'none' | 'mean' | 'sum' } = {},
): Tensor {
  return new Tensor(native.binaryCrossEntropyWithLogits(logits.h, targets.h, opts.weight?.h, opts.posWeight?.h, opts.reduction ?? 'mean'));
}

/** Softmax cross entropy of logits [N, C] against class indices [N]. */
export function crossEntropy(logits: Tensor, targets: Tensor, reduction: 'none' | 'mean' | 'sum' = 'mean'): Tensor {
  return new Tensor(native.crossEntropy(logits.h, targets.h, reduction));
}

// ---- grad mode ---------------------------------------------------------------------------------------

/** Runs fn without recording autograd history (torch.no_grad()). Synchronous only. */
export function noGrad<T>(fn: () => T): T {
  const prev = native.isGradEnabled();
  native.setGradEnabled(false);
  try {
    const r = fn();
    if (r instanceof Promise) throw new Error('noGrad() takes a synchronous function');
    return r;
  } finally {
    native.setGradEnabled(prev);
  }
}

/** Runs fn with autograd recording on (inside a noGrad region). */
export function enableGrad<T>(fn: () => T): T {
  const prev = native.isGradEnabled();
  native.setGradEnabled(true);
  try {
    return fn();
  } finally {
    native.setGradEnabled(prev);
  }
}

export function isGradEnabled(): boolean {
  return native.isGradEnabled();
}

// ---- threads and build ---------------------------------------------------------------------------

/** Intra-op threads (default: $STAD_NUM_THREADS, else the cores the container's CPU quota allows; see src/util/cpu.ts). */
export function setNumThreads(n: number): void {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`thread count must be a positive integer, got ${n}`);
  native.setNumThreads(n);
}

export function getNumThreads(): number {
  return native.getNumThreads();
}

/** Which libtorch the binding was built against, and whether CUDA is available. */
export function buildInfo(): NativeBuildInfo {
  return native.buildInfo();
}

export function cudaIsAvailable(): boolean {
  return native.buildInfo().cudaAvailable;
}

// ---- torchvision operators ------------------------------------------------------------------------

export interface RoiAlignOptions {
  /** Output size (height, width). */
  outputSize: number | readonly [number, number];
  /** Input-pixel to feature-map scale, e.g. 1/16. */
  spatialScale: number;
  /** Sampling points per bin side; -1 (default) chooses ceil(bin size) adaptively, as torchvision. */
  samplingRatio?: number;
  /** Half-pixel offset (torchvision `aligned=True`, the detectron2 convention). Default true. */
  aligned?: boolean;
}

/**
 * RoIAlign over features [N, C, H, W] for boxes [K, 5] (batchIndex, x1, y1, x2, y2) in input pixels:
 * torchvision's own kernel, with autograd. Returns [K, C, outH, outW].
 */
export function roiAlign(features: Tensor, rois: Tensor, opts: RoiAlignOptions): Tensor {
  ensureVisionOps();
  const [oh, ow] = typeof opts.outputSize === 'number' ? [opts.outputSize, opts.outputSize] : opts.outputSize;
  return new Tensor(native.roiAlign(features.h, rois.h, opts.spatialScale, oh, ow, opts.samplingRatio ?? -1, opts.aligned ?? true));
}

/** Non-maximum suppression: indices of kept boxes [K, 4] (x1, y1, x2, y2), by decreasing score. */
export function nms(boxes: Tensor, scores: Tensor, iouThreshold: number): Tensor {
  ensureVisionOps();
  return new Tensor(native.nms(boxes.h, scores.h, iouThreshold));
}
