/**
 * The Tensor: a typed, chainable handle to a libtorch tensor, with PyTorch's names and argument
 * meanings (`x.conv3d(w, {padding: 1}).relu()` reads like `F.relu(F.conv3d(x, w, padding=1))`).
 * Every operation returns a new Tensor registered with the innermost `tidy` scope; in-place operations
 * end in `_` and return `this`. Free tensors with `dispose()` or `tidy` (see scope.ts).
 */
import { leakTracking, recordOrigin, forgetOrigin } from './leak-report.js';
import { native, type Handle } from './native.js';
import { track, untrack, type Scope } from './scope.js';
import { type DType, type Device, type TypedArray, typedArrayFor, checkDType, checkDevice } from './dtype.js';

/** A number, or one number per spatial dimension. */
export type IntOrTuple = number | readonly number[];

export function expandTuple(v: IntOrTuple, n: number, name: string): number[] {
  if (typeof v === 'number') {
    if (!Number.isInteger(v)) throw new TypeError(`${name} must be an integer, got ${v}`);
    return new Array<number>(n).fill(v);
  }
  if (v.length !== n || !v.every(Number.isInteger)) throw new TypeError(`${name} must be an integer or ${n} integers, got [${v.join(', ')}]`);
  return [...v];
}

export interface ConvOptions {
  stride?: IntOrTuple;
  padding?: IntOrTuple;
  dilation?: IntOrTuple;
  groups?: number;
}

export interface PoolOptions {
  stride?: IntOrTuple;
  padding?: IntOrTuple;
  dilation?: IntOrTuple;
  ceilMode?: boolean;
}

export interface AvgPoolOptions {
  stride?: IntOrTuple;
  padding?: IntOrTuple;
  ceilMode?: boolean;
  countIncludePad?: boolean;
}

export interface BatchNormOptions {
  weight?: Tensor | null;
  bias?: Tensor | null;
  runningMean?: Tensor | null;
  runningVar?: Tensor | null;
  training?: boolean;
  momentum?: number;
  eps?: number;
}

export type InterpolateMode = 'nearest' | 'linear' | 'bilinear' | 'trilinear' | 'bicubic' | 'area';

function id(t: Tensor | null | undefined): Handle | undefined {
  return t ? t.id : undefined;
}

/**
 * Dims, indices and sizes must be integers: the binding would truncate 1.5 to 1 where PyTorch refuses
 * it, so it is checked here (cheaply: only where such arguments are passed).
 */
function int(v: number, name: string): number {
  if (!Number.isInteger(v)) throw new TypeError(`${name} must be an integer, got ${v}`);
  return v;
}

function optInt(v: number | undefined, name: string): number | undefined {
  return v === undefined ? undefined : int(v, name);
}

function dimsArg(dim: number | readonly number[] | undefined): number[] | undefined {
  if (dim === undefined) return undefined;
  if (typeof dim === 'number') return [int(dim, 'dim')];
  return dim.map((d) => int(d, 'dim'));
}

export class Tensor {
  /** The handle into the binding's tensor table. */
  readonly id: Handle;
  private disposed = false;
  private cachedShape: number[] | undefined;
  private cachedDType: DType | undefined;
  /** @internal scope bookkeeping */
  scope: Scope | null = null;
  /** @internal */
  scopeIndex = -1;

  /** @internal Wraps a handle returned by the binding. Use the creation functions instead. */
  constructor(handle: Handle) {
    this.id = handle;
    track(this);
    if (leakTracking) recordOrigin(handle);
  }

  // ---- lifetime --------------------------------------------------------------------------------

  /** Frees the tensor now. Using it afterwards throws; disposing twice is harmless. */
  dispose(): void {
    if (this.disposed) return;
    untrack(this);
    this.disposed = true;
    native.free(this.id);
    if (leakTracking) forgetOrigin(this.id);
  }

  get isDisposed(): boolean {
    return this.disposed;
  }

  /** @internal */
  markDisposed(): void {
    this.disposed = true;
    if (leakTracking) forgetOrigin(this.id);
  }

  /** @internal The handle, checking that the tensor is still alive. */
  get h(): Handle {
    if (this.disposed) throw new Error('tensor was disposed');
    return this.id;
  }

  // ---- metadata --------------------------------------------------------------------------------

  /** The shape, cached (it never changes), after checking that the tensor is alive: a disposed tensor throws. */
  private liveShape(): number[] {
    const h = this.h;
    return (this.cachedShape ??= native.shape(h));
  }

  get shape(): number[] {
    return this.liveShape().slice();
  }

  /** Number of dimensions. */
  get ndim(): number {
    return this.liveShape().length;
  }

  size(dim?: number): number {
    const s = this.liveShape();
    if (dim === undefined) return s.reduce((a, b) => a * b, 1);
    const d = dim < 0 ? dim + s.length : dim;
    if (d < 0 || d >= s.length) throw new RangeError(`dimension ${dim} out of range for a ${s.length}-d tensor`);
    return s[d]!;
  }

  get dtype(): DType {
    const h = this.h; // a disposed tensor throws even when its dtype is cached
    return (this.cachedDType ??= native.dtype(h) as DType);
  }

  get device(): Device {
    return native.device(this.h) as Device;
  }

  get strides(): number[] {
    return native.strides(this.h);
  }

  numel(): number {
    return native.numel(this.h);
  }

  isContiguous(): boolean {
    return native.isContiguous(this.h);
  }

  toString(): string {
    return `Tensor(shape=[${this.shape.join(', ')}], dtype=${this.dtype}, device=${this.device}${this.requiresGrad ? ', requiresGrad' : ''})`;
  }

  // ---- data out --------------------------------------------------------------------------------

  /** A copy of the elements in a TypedArray of the tensor's dtype (float16/bfloat16 as raw bits). */
  dataSync(): TypedArray {
    return typedArrayFor(this.dtype, native.toArray(this.h));
  }

  /** The elements as a Float32Array (converting the dtype if needed). */
  toFloat32Array(): Float32Array {
    if (this.dtype === 'float32') return new Float32Array(native.toArray(this.h));
    const h = native.to(this.h, 'float32');
    try {
      return new Float32Array(native.toArray(h));
    } finally {
      native.free(h);
    }
  }

  /** The elements as a Float64Array (converting the dtype if needed). */
  toFloat64Array(): Float64Array {
    if (this.dtype === 'float64') return new Float64Array(native.toArray(this.h));
    const h = native.to(this.h, 'float64');
    try {
      return new Float64Array(native.toArray(h));
    } finally {
      native.free(h);
    }
  }

  /** The elements as a flat array of numbers (booleans as 0/1). */
  toArray(): number[] {
    return Array.from(this.toFloat64Array());
  }

  /** Nested arrays of numbers, like tensor.tolist(). */
  tolist(): number | NestedArray {
    const flat = this.toArray();
    const shape = this.shape;
    if (shape.length === 0) return flat[0]!;
    let pos = 0;
    const build = (d: number): NestedArray => {
      const out: NestedArray = [];
      for (let i = 0; i < shape[d]!; i++) out.push(d === shape.length - 1 ? flat[pos++]! : build(d + 1));
      return out;
    };
    return build(0);
  }

  /** The single element as a number (or boolean). */
  item(): number {
    return Number(native.item(this.h));
  }

  // ---- conversion ------------------------------------------------------------------------------

  /**
   * A copy in page-locked host memory (a CPU tensor): copies from it to a GPU can be non-blocking.
   * Needs a CUDA libtorch (pinning is CUDA's).
   */
  pinMemory(): Tensor {
    return new Tensor(native.pinMemory(this.h));
  }

  isPinned(): boolean {
    return native.isPinned(this.h);
  }

  /**
   * Converts dtype and/or moves to a device. nonBlocking: the copy may return before it has finished
   * (host-to-GPU from pinned memory overlaps with the host; GPU-to-host frees the host meanwhile). Reads
   * of the data (dataSync, item, ...) and CPU operators on the result wait for it by themselves.
   */
  to(target: DType | Device | { dtype?: DType; device?: Device }, nonBlocking = false): Tensor {
    let dtype: DType | undefined;
    let device: Device | undefined;
    if (typeof target === 'string') {
      if (target === 'cpu' || target.startsWith('cuda')) device = checkDevice(target);
      else dtype = checkDType(target);
    } else {
      dtype = target.dtype && checkDType(target.dtype);
      device = target.device && checkDevice(target.device);
    }
    return new Tensor(native.to(this.h, dtype, device, nonBlocking));
  }

  float(): Tensor {
    return this.to('float32');
  }
  double(): Tensor {
    return this.to('float64');
  }
  long(): Tensor {
    return this.to('int64');
  }
  bool(): Tensor {
    return this.to('bool');
  }
  cpu(): Tensor {
    return this.to('cpu');
  }
  cuda(index?: number): Tensor {
    return this.to(index === undefined ? 'cuda' : `cuda:${index}`);
  }
  contiguous(): Tensor {
    return new Tensor(native.contiguous(this.h));
  }
  /** Channels-last layout (NHWC for 4-d, NDHWC for 5-d), which oneDNN and cuDNN convolve faster. */
  channelsLast(): Tensor {
    return new Tensor(native.toMemoryFormat(this.h, this.ndim === 5 ? 'channelsLast3d' : 'channelsLast'));
  }
  clone(): Tensor {
    return new Tensor(native.clone(this.h));
  }

  // ---- autograd --------------------------------------------------------------------------------

  get requiresGrad(): boolean {
    return native.requiresGrad(this.h);
  }
  set requiresGrad(flag: boolean) {
    native.setRequiresGrad(this.h, flag);
  }
  /** Sets requiresGrad in place and returns this, like requires_grad_(). */
  requiresGrad_(flag = true): this {
    native.setRequiresGrad(this.h, flag);
    return this;
  }
  get isLeaf(): boolean {
    return native.isLeaf(this.h);
  }
  /** A new handle to the accumulated gradient, or null. Dispose it (or use tidy) like any tensor. */
  get grad(): Tensor | null {
    const g = native.grad(this.h);
    return g === null ? null : new Tensor(g);
  }
  /**
   * Sets (or with null clears) the gradient. Like PyTorch, a gradient of another shape, dtype or
   * device is refused (the binding assigns without checking, and backward would fail much later).
   */
  set grad(g: Tensor | null) {
    if (g) {
      const what =
        g.dtype !== this.dtype ? `dtype ${g.dtype} for a ${this.dtype} tensor`
        : g.device !== this.device ? `device ${g.device} for a tensor on ${this.device}`
        : g.shape.join(',') !== this.shape.join(',') ? `shape [${g.shape.join(', ')}] for a tensor of shape [${this.shape.join(', ')}]`
        : null;
      if (what !== null) throw new Error(`setGrad: assigned grad has ${what}`);
    }
    native.setGrad(this.h, g ? g.h : undefined);
  }
  backward(gradient?: Tensor, opts: { retainGraph?: boolean; createGraph?: boolean } = {}): void {
    native.backward(this.h, id(gradient), opts.retainGraph, opts.createGraph);
  }
  retainGrad(): void {
    native.retainGrad(this.h);
  }
  detach(): Tensor {
    return new Tensor(native.detach(this.h));
  }

  // ---- arithmetic ------------------------------------------------------------------------------

  /** this + alpha * other (other a tensor or a number). */
  add(other: Tensor | number, alpha?: number): Tensor {
    if (typeof other === 'number') return new Tensor(native.addScalar(this.h, alpha === undefined ? other : other * alpha));
    // Two arguments when there is no alpha: the binding then skips decoding a third.
    return new Tensor(alpha === undefined ? native.add(this.h, other.h) : native.add(this.h, other.h, alpha));
  }
  sub(other: Tensor | number, alpha?: number): Tensor {
    if (typeof other === 'number') return new Tensor(native.subScalar(this.h, alpha === undefined ? other : other * alpha));
    return new Tensor(alpha === undefined ? native.sub(this.h, other.h) : native.sub(this.h, other.h, alpha));
  }
  /** other - this */
  rsub(other: number): Tensor {
    return new Tensor(native.rsubScalar(this.h, other));
  }
  mul(other: Tensor | number): Tensor {
    return new Tensor(typeof other === 'number' ? native.mulScalar(this.h, other) : native.mul(this.h, other.h));
  }
  div(other: Tensor | number): Tensor {
    return new Tensor(typeof other === 'number' ? native.divScalar(this.h, other) : native.div(this.h, other.h));
  }
  /** other / this */
  rdiv(other: number): Tensor {
    return new Tensor(native.rdivScalar(this.h, other));
  }
  pow(exponent: Tensor | number): Tensor {
    return new Tensor(typeof exponent === 'number' ? native.powScalar(this.h, exponent) : native.pow(this.h, exponent.h));
  }
  remainder(divisor: number): Tensor {
    return new Tensor(native.remainderScalar(this.h, divisor));
  }
  maximum(other: Tensor): Tensor {
    return new Tensor(native.maximum(this.h, other.h));
  }
  minimum(other: Tensor): Tensor {
    return new Tensor(native.minimum(this.h, other.h));
  }
  matmul(other: Tensor): Tensor {
    return new Tensor(native.matmul(this.h, other.h));
  }

  // ---- comparisons -----------------------------------------------------------------------------

  eq(other: Tensor | number): Tensor {
    return new Tensor(typeof other === 'number' ? native.eqScalar(this.h, other) : native.eq(this.h, other.h));
  }
  ne(other: Tensor | number): Tensor {
    return new Tensor(typeof other === 'number' ? native.neScalar(this.h, other) : native.ne(this.h, other.h));
  }
  lt(other: Tensor | number): Tensor {
    return new Tensor(typeof other === 'number' ? native.ltScalar(this.h, other) : native.lt(this.h, other.h));
  }
  le(other: Tensor | number): Tensor {
    return new Tensor(typeof other === 'number' ? native.leScalar(this.h, other) : native.le(this.h, other.h));
  }
  gt(other: Tensor | number): Tensor {
    return new Tensor(typeof other === 'number' ? native.gtScalar(this.h, other) : native.gt(this.h, other.h));
  }
  ge(other: Tensor | number): Tensor {
    return new Tensor(typeof other === 'number' ? native.geScalar(this.h, other) : native.ge(this.h, other.h));
  }
  logicalAnd(other: Tensor): Tensor {
    return new Tensor(native.logicalAnd(this.h, other.h));
  }
  logicalOr(other: Tensor): Tensor {
    return new Tensor(native.logicalOr(this.h, other.h));
  }
  logicalNot(): Tensor {
    return new Tensor(native.logicalNot(this.h));
  }
  isnan(): Tensor {
    return new Tensor(native.isnan(this.h));
  }
  isfinite(): Tensor {
    return new Tensor(native.isfinite(this.h));
  }
  /** Same shape and elements. */
  equal(other: Tensor): boolean {
    return native.equal(this.h, other.h);
  }
  allclose(other: Tensor, rtol = 1e-5, atol = 1e-8): boolean {
    return native.allclose(this.h, other.h, rtol, atol);
  }

  // ---- unary -----------------------------------------------------------------------------------

  neg(): Tensor { return new Tensor(native.neg(this.h)); }
  abs(): Tensor { return new Tensor(native.abs(this.h)); }
  exp(): Tensor { return new Tensor(native.exp(this.h)); }
  expm1(): Tensor { return new Tensor(native.expm1(this.h)); }
  log(): Tensor { return new Tensor(native.log(this.h)); }
  log1p(): Tensor { return new Tensor(native.log1p(this.h)); }
  log2(): Tensor { return new Tensor(native.log2(this.h)); }
  sqrt(): Tensor { return new Tensor(native.sqrt(this.h)); }
  rsqrt(): Tensor { return new Tensor(native.rsqrt(this.h)); }
  reciprocal(): Tensor { return new Tensor(native.reciprocal(this.h)); }
  square(): Tensor { return new Tensor(native.square(this.h)); }
  sigmoid(): Tensor { return new Tensor(native.sigmoid(this.h)); }
  /** log(sigmoid(x)), computed stably for large |x|. */
  logsigmoid(): Tensor { return new Tensor(native.logsigmoid(this.h)); }
  relu(): Tensor { return new Tensor(native.relu(this.h)); }
  tanh(): Tensor { return new Tensor(native.tanh(this.h)); }
  sin(): Tensor { return new Tensor(native.sin(this.h)); }
  cos(): Tensor { return new Tensor(native.cos(this.h)); }
  floor(): Tensor { return new Tensor(native.floor(this.h)); }
  ceil(): Tensor { return new Tensor(native.ceil(this.h)); }
  round(): Tensor { return new Tensor(native.round(this.h)); }
  trunc(): Tensor { return new Tensor(native.trunc(this.h)); }
  sign(): Tensor { return new Tensor(native.sign(this.h)); }
  gelu(): Tensor { return new Tensor(native.gelu(this.h)); }
  silu(): Tensor { return new Tensor(native.silu(this.h)); }
  softplus(opts: { beta?: number; threshold?: number } = {}): Tensor {
    return new Tensor(native.softplus(this.h, opts.beta ?? 1, opts.threshold ?? 20));
  }
  leakyRelu(negativeSlope = 0.01): Tensor {
    return new Tensor(native.leakyRelu(this.h, negativeSlope));
  }
  clamp(min?: number | null, max?: number | null): Tensor {
    if ((min === undefined || min === null) && (max === undefined || max === null)) throw new TypeError('clamp needs min or max');
    return new Tensor(native.clamp(this.h, min, max));
  }
  softmax(dim: number): Tensor {
    return new Tensor(native.softmax(this.h, int(dim, 'dim')));
  }
  logSoftmax(dim: number): Tensor {
    return new Tensor(native.logSoftmax(this.h, int(dim, 'dim')));
  }
  logsumexp(dim: number | readonly number[], keepdim = false): Tensor {
    return new Tensor(native.logsumexp(this.h, dimsArg(dim)!, keepdim));
  }
  cumsum(dim: number): Tensor {
    return new Tensor(native.cumsum(this.h, int(dim, 'dim')));
  }

  // ---- reductions ------------------------------------------------------------------------------

  /**
   * The dims to reduce: the given ones, or with keepdim and no dims every dim, because the binding's
   * all-dims form drops keepdim while PyTorch keeps each reduced dim as size 1 (x.sum(keepdim=True)).
   */
  private reduceDims(dim: number | readonly number[] | undefined, keepdim: boolean): number[] | undefined {
    const d = dimsArg(dim);
    if (d === undefined && keepdim) return Array.from({ length: this.ndim }, (_, i) => i);
    return d;
  }
  sum(dim?: number | readonly number[], keepdim = false): Tensor {
    return new Tensor(native.sum(this.h, this.reduceDims(dim, keepdim), keepdim));
  }
  mean(dim?: number | readonly number[], keepdim = false): Tensor {
    return new Tensor(native.mean(this.h, this.reduceDims(dim, keepdim), keepdim));
  }
  prod(dim?: number, keepdim = false): Tensor {
    if (dim === undefined && keepdim) {
      // prod reduces one dim at a time: the product of everything, shaped [1, 1, ...]
      const all = native.prod(this.h);
      try {
        return new Tensor(native.reshape(all, new Array<number>(this.ndim).fill(1)));
      } finally {
        native.free(all);
      }
    }
    return new Tensor(native.prod(this.h, dim, keepdim));
  }
  var(dim?: number | readonly number[], opts: { unbiased?: boolean; keepdim?: boolean } = {}): Tensor {
    const keepdim = opts.keepdim ?? false;
    return new Tensor(native.var(this.h, this.reduceDims(dim, keepdim), opts.unbiased ?? true, keepdim));
  }
  std(dim?: number | readonly number[], opts: { unbiased?: boolean; keepdim?: boolean } = {}): Tensor {
    const keepdim = opts.keepdim ?? false;
    return new Tensor(native.std(this.h, this.reduceDims(dim, keepdim), opts.unbiased ?? true, keepdim));
  }
  norm(p = 2, dim?: number | readonly number[], keepdim = false): Tensor {
    return new Tensor(native.norm(this.h, p, this.reduceDims(dim, keepdim), keepdim));
  }
  /** The largest element (0-d tensor). */
  max(): Tensor;
  /** Largest values along dim and their indices. */
  max(dim: number, keepdim?: boolean): { values: Tensor; indices: Tensor };
  max(dim?: number, keepdim = false): Tensor | { values: Tensor; indices: Tensor } {
    if (dim === undefined) return new Tensor(native.max(this.h));
    const [v, i] = native.max(this.h, int(dim, 'dim'), keepdim);
    return { values: new Tensor(v), indices: new Tensor(i) };
  }
  min(): Tensor;
  min(dim: number, keepdim?: boolean): { values: Tensor; indices: Tensor };
  min(dim?: number, keepdim = false): Tensor | { values: Tensor; indices: Tensor } {
    if (dim === undefined) return new Tensor(native.min(this.h));
    const [v, i] = native.min(this.h, int(dim, 'dim'), keepdim);
    return { values: new Tensor(v), indices: new Tensor(i) };
  }
  argmax(dim?: number, keepdim = false): Tensor {
    return new Tensor(native.argmax(this.h, optInt(dim, 'dim'), keepdim));
  }
  argmin(dim?: number, keepdim = false): Tensor {
    return new Tensor(native.argmin(this.h, optInt(dim, 'dim'), keepdim));
  }
  any(): Tensor {
    return new Tensor(native.any(this.h));
  }
  all(): Tensor {
    return new Tensor(native.all(this.h));
  }

  // ---- shape and indexing ------------------------------------------------------------------------

  reshape(...shape: number[] | [readonly number[]]): Tensor {
    return new Tensor(native.reshape(this.h, flatShape(shape)));
  }
  view(...shape: number[] | [readonly number[]]): Tensor {
    return new Tensor(native.view(this.h, flatShape(shape)));
  }
  permute(...dims: number[] | [readonly number[]]): Tensor {
    return new Tensor(native.permute(this.h, flatShape(dims)));
  }
  transpose(dim0: number, dim1: number): Tensor {
    return new Tensor(native.transpose(this.h, int(dim0, 'dim0'), int(dim1, 'dim1')));
  }
  /** 2-d transpose. */
  t(): Tensor {
    return this.transpose(0, 1);
  }
  squeeze(dim?: number): Tensor {
    return new Tensor(native.squeeze(this.h, optInt(dim, 'dim')));
  }
  unsqueeze(dim: number): Tensor {
    return new Tensor(native.unsqueeze(this.h, int(dim, 'dim')));
  }
  flatten(startDim = 0, endDim = -1): Tensor {
    return new Tensor(native.flatten(this.h, int(startDim, 'startDim'), int(endDim, 'endDim')));
  }
  flip(dims: number | readonly number[]): Tensor {
    return new Tensor(native.flip(this.h, dimsArg(dims)!));
  }
  repeat(...reps: number[] | [readonly number[]]): Tensor {
    return new Tensor(native.repeat(this.h, flatShape(reps)));
  }
  expand(...shape: number[] | [readonly number[]]): Tensor {
    return new Tensor(native.expand(this.h, flatShape(shape)));
  }
  expandAs(other: Tensor): Tensor {
    return this.expand(other.shape);
  }
  narrow(dim: number, start: number, length: number): Tensor {
    return new Tensor(native.narrow(this.h, int(dim, 'dim'), int(start, 'start'), int(length, 'length')));
  }
  /** Python slicing along one dimension: t[start:end:step] on `dim`. */
  slice(dim: number, start?: number, end?: number, step = 1): Tensor {
    return new Tensor(native.slice(this.h, int(dim, 'dim'), optInt(start, 'start'), optInt(end, 'end'), int(step, 'step')));
  }
  select(dim: number, index: number): Tensor {
    return new Tensor(native.select(this.h, int(dim, 'dim'), int(index, 'index')));
  }
  indexSelect(dim: number, index: Tensor): Tensor {
    return new Tensor(native.indexSelect(this.h, int(dim, 'dim'), index.h));
  }
  gather(dim: number, index: Tensor): Tensor {
    return new Tensor(native.gather(this.h, int(dim, 'dim'), index.h));
  }
  scatter(dim: number, index: Tensor, src: Tensor): Tensor {
    return new Tensor(native.scatter(this.h, dim, index.h, src.h));
  }
  indexAdd(dim: number, index: Tensor, src: Tensor): Tensor {
    return new Tensor(native.indexAdd(this.h, dim, index.h, src.h));
  }
  maskedFill(mask: Tensor, value: number): Tensor {
    return new Tensor(native.maskedFill(this.h, mask.h, value));
  }
  maskedSelect(mask: Tensor): Tensor {
    return new Tensor(native.maskedSelect(this.h, mask.h));
  }
  /** t[mask] for a boolean mask over the leading dimensions. */
  indexMask(mask: Tensor): Tensor {
    return new Tensor(native.indexMask(this.h, mask.h));
  }
  split(sizeOrSizes: number | readonly number[], dim = 0): Tensor[] {
    return native.split(this.h, typeof sizeOrSizes === 'number' ? int(sizeOrSizes, 'size') : sizeOrSizes.map((v) => int(v, 'size')), int(dim, 'dim')).map((h) => new Tensor(h));
  }
  chunk(chunks: number, dim = 0): Tensor[] {
    return native.chunk(this.h, int(chunks, 'chunks'), int(dim, 'dim')).map((h) => new Tensor(h));
  }
  unbind(dim = 0): Tensor[] {
    return native.unbind(this.h, int(dim, 'dim')).map((h) => new Tensor(h));
  }
  topk(k: number, dim = -1, largest = true, sorted = true): { values: Tensor; indices: Tensor } {
    const [v, i] = native.topk(this.h, int(k, 'k'), int(dim, 'dim'), largest, sorted);
    return { values: new Tensor(v), indices: new Tensor(i) };
  }
  sort(dim = -1, descending = false, stable = false): { values: Tensor; indices: Tensor } {
    const [v, i] = native.sort(this.h, int(dim, 'dim'), descending, stable);
    return { values: new Tensor(v), indices: new Tensor(i) };
  }
  argsort(dim = -1, descending = false, stable = false): Tensor {
    return new Tensor(native.argsort(this.h, int(dim, 'dim'), descending, stable));
  }
  /** Indices of non-zero elements, [nnz, ndim] int64. */
  nonzero(): Tensor {
    return new Tensor(native.nonzero(this.h));
  }
  tril(k = 0): Tensor {
    return new Tensor(native.tril(this.h, k));
  }
  triu(k = 0): Tensor {
    return new Tensor(native.triu(this.h, k));
  }

  // ---- neural-network operators (functional forms live in functional.ts) ----------------------------

  /** x [N, C_in, H, W] * weight [C_out, C_in/groups, kH, kW] */
  conv2d(weight: Tensor, opts: ConvOptions & { bias?: Tensor | null } = {}): Tensor {
    return new Tensor(
      native.conv2d(this.h, weight.h, id(opts.bias), expandTuple(opts.stride ?? 1, 2, 'stride'), expandTuple(opts.padding ?? 0, 2, 'padding'), expandTuple(opts.dilation ?? 1, 2, 'dilation'), opts.groups ?? 1),
    );
  }
  /** x [N, C_in, T, H, W] * weight [C_out, C_in/groups, kT, kH, kW] */
  conv3d(weight: Tensor, opts: ConvOptions & { bias?: Tensor | null } = {}): Tensor {
    return new Tensor(
      native.conv3d(this.h, weight.h, id(opts.bias), expandTuple(opts.stride ?? 1, 3, 'stride'), expandTuple(opts.padding ?? 0, 3, 'padding'), expandTuple(opts.dilation ?? 1, 3, 'dilation'), opts.groups ?? 1),
    );
  }
  /** x @ weight^T + bias */
  linear(weight: Tensor, bias?: Tensor | null): Tensor {
    return new Tensor(native.linear(this.h, weight.h, id(bias)));
  }
  batchNorm(opts: BatchNormOptions = {}): Tensor {
    return new Tensor(
      native.batchNorm(this.h, id(opts.weight), id(opts.bias), id(opts.runningMean), id(opts.runningVar), opts.training ?? false, opts.momentum ?? 0.1, opts.eps ?? 1e-5),
    );
  }
  layerNorm(normalizedShape: readonly number[], opts: { weight?: Tensor | null; bias?: Tensor | null; eps?: number } = {}): Tensor {
    return new Tensor(native.layerNorm(this.h, [...normalizedShape], id(opts.weight), id(opts.bias), opts.eps ?? 1e-5));
  }
  maxPool2d(kernelSize: IntOrTuple, opts: PoolOptions = {}): Tensor {
    const k = expandTuple(kernelSize, 2, 'kernelSize');
    return new Tensor(native.maxPool2d(this.h, k, expandTuple(opts.stride ?? k, 2, 'stride'), expandTuple(opts.padding ?? 0, 2, 'padding'), expandTuple(opts.dilation ?? 1, 2, 'dilation'), opts.ceilMode ?? false));
  }
  maxPool3d(kernelSize: IntOrTuple, opts: PoolOptions = {}): Tensor {
    const k = expandTuple(kernelSize, 3, 'kernelSize');
    return new Tensor(native.maxPool3d(this.h, k, expandTuple(opts.stride ?? k, 3, 'stride'), expandTuple(opts.padding ?? 0, 3, 'padding'), expandTuple(opts.dilation ?? 1, 3, 'dilation'), opts.ceilMode ?? false));
  }
  avgPool2d(kernelSize: IntOrTuple, opts: AvgPoolOptions = {}): Tensor {
    const k = expandTuple(kernelSize, 2, 'kernelSize');
    return new Tensor(native.avgPool2d(this.h, k, expandTuple(opts.stride ?? k, 2, 'stride'), expandTuple(opts.padding ?? 0, 2, 'padding'), opts.ceilMode ?? false, opts.countIncludePad ?? true));
  }
  avgPool3d(kernelSize: IntOrTuple, opts: AvgPoolOptions = {}): Tensor {
    const k = expandTuple(kernelSize, 3, 'kernelSize');
    return new Tensor(native.avgPool3d(this.h, k, expandTuple(opts.stride ?? k, 3, 'stride'), expandTuple(opts.padding ?? 0, 3, 'padding'), opts.ceilMode ?? false, opts.countIncludePad ?? true));
  }
  adaptiveAvgPool2d(outputSize: IntOrTuple): Tensor {
    return new Tensor(native.adaptiveAvgPool2d(this.h, expandTuple(outputSize, 2, 'outputSize')));
  }
  adaptiveAvgPool3d(outputSize: IntOrTuple): Tensor {
    return new Tensor(native.adaptiveAvgPool3d(this.h, expandTuple(outputSize, 3, 'outputSize')));
  }
  adaptiveMaxPool2d(outputSize: IntOrTuple): Tensor {
    return new Tensor(native.adaptiveMaxPool2d(this.h, expandTuple(outputSize, 2, 'outputSize')));
  }
  adaptiveMaxPool3d(outputSize: IntOrTuple): Tensor {
    return new Tensor(native.adaptiveMaxPool3d(this.h, expandTuple(outputSize, 3, 'outputSize')));
  }
  dropout(p = 0.5, training = true): Tensor {
    if (!(p >= 0 && p <= 1)) throw new RangeError(`dropout probability must be in [0, 1], got ${p}`);
    return new Tensor(native.dropout(this.h, p, training));
  }
  /**
   * Pads with a constant (PyTorch's F.pad, mode 'constant'): `pad` lists (before, after) pairs from the
   * last dimension backwards, as PyTorch does; negative amounts crop.
   */
  constantPad(pad: readonly number[], value = 0): Tensor {
    if (pad.length % 2 !== 0 || pad.length / 2 > this.ndim) throw new RangeError(`constantPad needs (before, after) pairs for at most ${this.ndim} dimensions, got ${pad.length} numbers`);
    for (const p of pad) int(p, 'pad');
    return new Tensor(native.constantPad(this.h, [...pad], value));
  }
  /** Samples this [N, C, H, W] (or 5-d) at grid [N, H_out, W_out, 2] in [-1, 1] coordinates. */
  gridSample(grid: Tensor, opts: { mode?: 'bilinear' | 'nearest' | 'bicubic'; paddingMode?: 'zeros' | 'border' | 'reflection'; alignCorners?: boolean } = {}): Tensor {
    return new Tensor(native.gridSample(this.h, grid.h, opts.mode ?? 'bilinear', opts.paddingMode ?? 'zeros', opts.alignCorners ?? false));
  }
  /**
   * Resizes the spatial (and temporal) dimensions to `size`. alignCorners defaults to false, PyTorch's
   * default; passing it explicitly also keeps libtorch's C++ API from logging a warning on every call.
   */
  interpolate(size: readonly number[], mode: InterpolateMode = 'nearest', alignCorners = false): Tensor {
    return new Tensor(native.interpolate(this.h, [...size], mode, alignCorners));
  }

  // ---- in place (optimisers) ------------------------------------------------------------------------

  /** this += alpha * other */
  add_(other: Tensor | number, alpha?: number): this {
    if (typeof other === 'number') native.addScalar_(this.h, alpha === undefined ? other : other * alpha);
    else native.add_(this.h, other.h, alpha);
    return this;
  }
  sub_(other: Tensor, alpha?: number): this {
    native.sub_(this.h, other.h, alpha);
    return this;
  }
  mul_(other: Tensor | number): this {
    if (typeof other === 'number') native.mulScalar_(this.h, other);
    else native.mul_(this.h, other.h);
    return this;
  }
  div_(other: Tensor | number): this {
    if (typeof other === 'number') native.divScalar_(this.h, other);
    else native.div_(this.h, other.h);
    return this;
  }
  /** this += value * t1 * t2 */
  addcmul_(t1: Tensor, t2: Tensor, value = 1): this {
    native.addcmul_(this.h, t1.h, t2.h, value);
    return this;
  }
  /** this += value * t1 / t2 */
  addcdiv_(t1: Tensor, t2: Tensor, value = 1): this {
    native.addcdiv_(this.h, t1.h, t2.h, value);
    return this;
  }
  lerp_(end: Tensor, weight: number): this {
    native.lerp_(this.h, end.h, weight);
    return this;
  }
  copy_(src: Tensor): this {
    native.copy_(this.h, src.h);
    return this;
  }
  zero_(): this {
    native.zero_(this.h);
    return this;
  }
  fill_(value: number): this {
    native.fill_(this.h, value);
    return this;
  }
  clamp_(min?: number | null, max?: number | null): this {
    native.clamp_(this.h, min, max);
    return this;
  }
  sqrt_(): this {
    native.sqrt_(this.h);
    return this;
  }
  normal_(mean = 0, std = 1): this {
    native.normal_(this.h, mean, std);
    return this;
  }
  uniform_(from = 0, to = 1): this {
    native.uniform_(this.h, from, to);
    return this;
  }
}

export type NestedArray = (number | NestedArray)[];

function flatShape(args: number[] | [readonly number[]]): number[] {
  const list = args.length === 1 && Array.isArray(args[0]) ? [...(args[0] as readonly number[])] : (args as number[]);
  for (const v of list) int(v, 'size');
  return list;
}
