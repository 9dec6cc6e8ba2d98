/**
 * Loads the native binding (native/build/stad_native.node) and types it. Only src/torch imports this
 * module: importing it is what loads libtorch, so commands that need no tensors never reach it.
 * Handles are plain integers into the binding's tensor table (see native/src/table.h for why): a slot
 * index and a generation, so that a handle kept after its tensor was freed is refused, not aliased.
 * Each Node environment that loads the binding (the main thread, a worker thread) has its own table.
 */
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { defaultThreadCount } from '../util/cpu.js';
import { bindingPath, chosenTorchvisionLibrary, loadTorchvisionPreloads } from './library-files.js';

export { packageRoot } from './library-files.js';

export type Handle = number;
type H = Handle;
type Ints = number | readonly number[];
type Opt<T> = T | undefined | null;

/** Elementwise binary operators of two tensors (broadcasting); add/sub take an alpha. */
export type BinaryOpName =
  | 'add' | 'sub' | 'mul' | 'div' | 'pow' | 'maximum' | 'minimum' | 'atan2'
  | 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge' | 'logicalAnd' | 'logicalOr' | 'matmul';
/** Operators of a tensor and a scalar. */
export type ScalarOpName =
  | 'addScalar' | 'subScalar' | 'rsubScalar' | 'mulScalar' | 'divScalar' | 'rdivScalar' | 'powScalar'
  | 'rpowScalar' | 'remainderScalar' | 'eqScalar' | 'neScalar' | 'ltScalar' | 'leScalar' | 'gtScalar' | 'geScalar';
/** Elementwise unary operators. */
export type UnaryOpName =
  | 'neg' | 'abs' | 'exp' | 'expm1' | 'log' | 'log1p' | 'log2' | 'sqrt' | 'rsqrt' | 'reciprocal' | 'square'
  | 'sigmoid' | 'logsigmoid' | 'relu' | 'tanh' | 'sin' | 'cos' | 'floor' | 'ceil' | 'round' | 'trunc' | 'sign'
  | 'gelu' | 'silu' | 'logicalNot' | 'isnan' | 'isfinite' | 'contiguous' | 'clone' | 'detach' | 'nonzero'
  | 'any' | 'all';

/** The raw binding: every function takes and returns plain values and handles. */
export interface NativeBinding
  extends Record<BinaryOpName, (a: H, b: H, alpha?: number) => H>,
    Record<ScalarOpName, (a: H, s: number | boolean) => H>,
    Record<UnaryOpName, (a: H) => H> {
  /** Frees a handle; a handle that is not live (freed twice, stale, never issued) throws. */
  free(h: H): void;
  /** Frees every handle; throws for one that is not live, after freeing the others. */
  freeMany(hs: readonly H[]): void;
  isLive(h: H): boolean;
  memory(): { liveTensors: number; bytes: number };
  setNumThreads(n: number): void;
  getNumThreads(): number;
  manualSeed(seed: number): void;
  buildInfo(): NativeBuildInfo;

  shape(h: H): number[];
  strides(h: H): number[];
  dtype(h: H): string;
  device(h: H): string;
  numel(h: H): number;
  isContiguous(h: H): boolean;
  requiresGrad(h: H): boolean;
  isLeaf(h: H): boolean;

  zeros(shape: Ints, dtype?: string, device?: string): H;
  ones(shape: Ints, dtype?: string, device?: string): H;
  empty(shape: Ints, dtype?: string, device?: string): H;
  rand(shape: Ints, dtype?: string, device?: string): H;
  randn(shape: Ints, dtype?: string, device?: string): H;
  full(shape: Ints, value: number | boolean, dtype?: string, device?: string): H;
  randint(low: number, high: number, shape: Ints, dtype?: string, device?: string): H;
  arange(start: number, end: number, step: number, dtype?: string, device?: string): H;
  linspace(start: number, end: number, steps: number, dtype?: string, device?: string): H;
  eye(n: number, m: number, dtype?: string, device?: string): H;
  zerosLike(h: H, dtype?: string): H;
  onesLike(h: H, dtype?: string): H;
  randLike(h: H, dtype?: string): H;
  randnLike(h: H, dtype?: string): H;
  fullLike(h: H, value: number, dtype?: string): H;
  fromArray(data: ArrayBufferView, shape: readonly number[], dtype: string, device?: string): H;
  toArray(h: H): ArrayBuffer;
  item(h: H): number | boolean;
  to(h: H, dtype?: Opt<string>, device?: Opt<string>, nonBlocking?: boolean): H;
  toMemoryFormat(h: H, format: string): H;

  add_(h: H, o: H, alpha?: number): void;
  addScalar_(h: H, s: number): void;
  sub_(h: H, o: H, alpha?: number): void;
  mul_(h: H, o: H): void;
  mulScalar_(h: H, s: number): void;
  div_(h: H, o: H): void;
  divScalar_(h: H, s: number): void;
  addcmul_(h: H, t1: H, t2: H, value?: number): void;
  addcdiv_(h: H, t1: H, t2: H, value?: number): void;
  lerp_(h: H, end: H, weight: number): void;
  copy_(h: H, src: H): void;
  zero_(h: H): void;
  fill_(h: H, v: number): void;
  clamp_(h: H, min?: Opt<number>, max?: Opt<number>): void;
  sqrt_(h: H): void;
  normal_(h: H, mean: number, std: number): void;
  uniform_(h: H, from: number, to: number): void;


  conv2d(x: H, w: H, b: Opt<H>, stride: number[], padding: number[], dilation: number[], groups: number): H;
  conv3d(x: H, w: H, b: Opt<H>, stride: number[], padding: number[], dilation: number[], groups: number): H;
  batchNorm(x: H, w: Opt<H>, b: Opt<H>, rm: Opt<H>, rv: Opt<H>, training: boolean, momentum: number, eps: number): H;
  layerNorm(x: H, shape: number[], w: Opt<H>, b: Opt<H>, eps: number): H;
  maxPool2d(x: H, k: number[], s: number[], p: number[], d: number[], ceil: boolean): H;
  maxPool3d(x: H, k: number[], s: number[], p: number[], d: number[], ceil: boolean): H;
  avgPool2d(x: H, k: number[], s: number[], p: number[], ceil: boolean, countIncludePad: boolean): H;
  avgPool3d(x: H, k: number[], s: number[], p: number[], ceil: boolean, countIncludePad: boolean): H;
  adaptiveAvgPool2d(x: H, size: number[]): H;
  adaptiveAvgPool3d(x: H, size: number[]): H;
  adaptiveMaxPool2d(x: H, size: number[]): H;
  adaptiveMaxPool3d(x: H, size: number[]): H;
  dropout(x: H, p: number, training: boolean): H;
  gridSample(x: H, grid: H, mode: string, padding: string, alignCorners: boolean): H;
  interpolate(x: H, size: number[], mode: string, alignCorners?: boolean): H;
  binaryCrossEntropyWithLogits(x: H, t: H, w: Opt<H>, pw: Opt<H>, reduction: string): H;
  crossEntropy(x: H, t: H, reduction: string): H;

  setRequiresGrad(h: H, flag: boolean): void;
  backward(h: H, grad?: Opt<H>, retainGraph?: boolean, createGraph?: boolean): void;
  grad(h: H): H | null;
  setGrad(h: H, g?: Opt<H>): void;
  retainGrad(h: H): void;
  setGradEnabled(flag: boolean): void;
  isGradEnabled(): boolean;

  where(c: H, x: H, y: H): H;
  whereScalarOther(c: H, x: H, y: number): H;
  whereScalarSelf(c: H, x: number, y: H): H;
  equal(a: H, b: H): boolean;
  allclose(a: H, b: H, rtol: number, atol: number): boolean;
  softplus(h: H, beta: number, threshold: number): H;
  leakyRelu(h: H, slope: number): H;
  clamp(h: H, min?: Opt<number>, max?: Opt<number>): H;
  softmax(h: H, dim: number): H;
  logSoftmax(h: H, dim: number): H;
  logsumexp(h: H, dims: Ints, keepdim?: boolean): H;
  cumsum(h: H, dim: number): H;
  sum(h: H, dims?: Opt<Ints>, keepdim?: boolean): H;
  mean(h: H, dims?: Opt<Ints>, keepdim?: boolean): H;
  prod(h: H, dim?: Opt<number>, keepdim?: boolean): H;
  var(h: H, dims: Opt<Ints>, unbiased: boolean, keepdim?: boolean): H;
  std(h: H, dims: Opt<Ints>, unbiased: boolean, keepdim?: boolean): H;
  norm(h: H, p: number, dims?: Opt<Ints>, keepdim?: boolean): H;
  max(h: H): H;
  max(h: H, dim: number, keepdim?: boolean): [H, H];
  min(h: H): H;
  min(h: H, dim: number, keepdim?: boolean): [H, H];
  argmax(h: H, dim?: Opt<number>, keepdim?: boolean): H;
  argmin(h: H, dim?: Opt<number>, keepdim?: boolean): H;
  linear(x: H, w: H, b?: Opt<H>): H;

  cat(hs: readonly H[], dim: number): H;
  stack(hs: readonly H[], dim: number): H;
  split(h: H, sizes: Ints, dim: number): H[];
  chunk(h: H, chunks: number, dim: number): H[];
  unbind(h: H, dim: number): H[];
  narrow(h: H, dim: number, start: number, length: number): H;
  slice(h: H, dim: number, start: Opt<number>, end: Opt<number>, step: number): H;
  select(h: H, dim: number, index: number): H;
  indexSelect(h: H, dim: number, index: H): H;
  gather(h: H, dim: number, index: H): H;
  scatter(h: H, dim: number, index: H, src: H): H;
  indexAdd(h: H, dim: number, index: H, src: H): H;
  maskedFill(h: H, mask: H, value: number): H;
  maskedSelect(h: H, mask: H): H;
  indexMask(h: H, mask: H): H;
  reshape(h: H, shape: readonly number[]): H;
  view(h: H, shape: readonly number[]): H;
  permute(h: H, dims: readonly number[]): H;
  transpose(h: H, d0: number, d1: number): H;
  squeeze(h: H, dim?: Opt<number>): H;
  unsqueeze(h: H, dim: number): H;
  flatten(h: H, start: number, end: number): H;
  flip(h: H, dims: readonly number[]): H;
  repeat(h: H, reps: readonly number[]): H;
  expand(h: H, shape: readonly number[]): H;
  tril(h: H, k?: number): H;
  triu(h: H, k?: number): H;
  topk(h: H, k: number, dim: number, largest: boolean, sorted: boolean): [H, H];
  sort(h: H, dim: number, descending: boolean, stable?: boolean): [H, H];
  argsort(h: H, dim: number, descending: boolean, stable?: boolean): H;

  cudaIsAvailable(): boolean;
  cudaDeviceCount(): number;
  /** Waits for one device's queued work, or every device's (and any non-blocking copy to the host). */
  cudaSynchronize(index?: number): void;
  cudaMemoryStats(index: number): NativeCudaMemoryStats | null;
  cudaResetPeakMemoryStats(index: number): void;
  cudaMemoryStatsSupported(): boolean;
  pinMemory(h: H): H;
  isPinned(h: H): boolean;
  setCudnnBenchmark(on: boolean): void;
  cudnnBenchmark(): boolean;
  setDeterministic(on: boolean): void;
  deterministic(): boolean;
  autocastEnter(deviceType: 'cpu' | 'cuda', dtype: string): void;
  autocastExit(): void;
  isAutocastEnabled(deviceType: 'cpu' | 'cuda'): boolean;
  /** The torchvision library resolved at build time from this libtorch's installation ('' if none). */
  torchvisionLibrary(): string;

  /** dlopen: RTLD_LOCAL unless `global` (see native/src/ops_vision.cc). */
  loadLibrary(path: string, global?: boolean): void;
  hasOperator(name: string): boolean;
  roiAlign(x: H, rois: H, scale: number, outH: number, outW: number, samplingRatio: number, aligned: boolean): H;
  nms(boxes: H, scores: H, iou: number): H;

  constantPad(x: H, pad: number[], value: number): H;
}

/** Bytes held by libtorch's CUDA caching allocator on one device. */
export interface NativeCudaMemoryStats {
  allocated: number;
  reserved: number;
  peakAllocated: number;
  peakReserved: number;
}

export interface NativeBuildInfo {
  torchVersion: string;
  torchSource: string;
  cudaAvailable: boolean;
  cudaDeviceCount: number;
  cudnnAvailable: boolean;
  mkldnn: boolean;
  numThreads: number;
  parallelInfo: string;
  /** What the binding did to glibc malloc at load (native/src/malloc_tuning.cc): "tuned: ...", "environment: VAR", "not glibc". */
  malloc: string;
}

function loadBinding(): NativeBinding {
  const path = bindingPath();
  if (!existsSync(path)) {
    throw new Error(`stad's native binding is not built (${path}); run \`npm run build\``);
  }
  const require = createRequire(import.meta.url);
  return require(path) as NativeBinding;
}

export const native: NativeBinding = loadBinding();
// Intra-op threads: STAD_NUM_THREADS, else the cores this process may use (the container's CPU quota
// counts; Debian's libtorch alone starts with 1, and measured here a conv3d forward+backward ran at 173
// GFLOP/s with 1 thread and 278 with 2). `setNumThreads` changes it later.
native.setNumThreads(defaultThreadCount());

let visionLoaded = false;

/**
 * torchvision's compiled operator library: $STAD_TORCHVISION_LIB, else the one scripts/build-native.mjs
 * resolved from the same installation as the libtorch the binding was built against (and checked
 * against it). No other place is searched: a torchvision of another installation would load a second
 * libtorch into the process.
 */
export function findTorchvisionLibrary(): string | undefined {
  return chosenTorchvisionLibrary(() => native.torchvisionLibrary());
}

/** Loads torchvision's operators (roi_align, nms) into libtorch's dispatcher once. */
export function ensureVisionOps(): void {
  if (visionLoaded) return;
  if (!native.hasOperator('torchvision::roi_align')) {
    const lib = findTorchvisionLibrary();
    if (!lib && process.env.STAD_TORCHVISION_LIB === 'none') {
      throw new Error('STAD_TORCHVISION_LIB=none: without torchvision, RoIAlign and NMS are unavailable (unset it to use the torchvision the build found)');
    }
    if (!lib) {
      throw new Error(
        "torchvision's operator library was not found beside this libtorch when the binding was built (needed for RoIAlign): install the matching torchvision (Debian: python3-torchvision) and rebuild (npm run build), or set STAD_TORCHVISION_LIB",
      );
    }
    // a wheel's torchvision needs libpython and libraries of its libtorch folder that the binding does
    // not link (scripts/build-native.mjs wrote which)
    loadTorchvisionPreloads(native);
    native.loadLibrary(lib);
  }
  visionLoaded = true;
}
