/** Creating tensors: from JavaScript data, constants, ranges, random numbers. */
import { native } from './native.js';
import { Tensor } from './tensor.js';
import { type DType, type Device, type Shape, type TypedArray, checkDType, checkDevice, dtypeOfTypedArray, DTYPE_BYTES } from './dtype.js';

export interface CreateOptions {
  dtype?: DType;
  device?: Device;
  requiresGrad?: boolean;
}

function checkShape(shape: Shape): number[] {
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new TypeError(`invalid shape [${shape.join(', ')}]: sizes must be non-negative integers`);
  }
  return [...shape];
}

function finish(t: Tensor, opts: CreateOptions): Tensor {
  if (opts.requiresGrad) {
    try {
      t.requiresGrad = true;
    } catch (e) {
      // e.g. an integer dtype: do not leak the tensor outside any scope
      t.dispose();
      throw e;
    }
  }
  return t;
}

function dt(opts: CreateOptions, dflt: DType = 'float32'): DType {
  return opts.dtype ? checkDType(opts.dtype) : dflt;
}

function dev(opts: CreateOptions): Device | undefined {
  return opts.device ? checkDevice(opts.device) : undefined;
}

type Nested = number | boolean | readonly Nested[];

function inferShape(data: Nested): number[] {
  const shape: number[] = [];
  let cur: Nested = data;
  while (Array.isArray(cur)) {
    shape.push(cur.length);
    cur = cur[0] as Nested;
  }
  return shape;
}

function flatten(data: Nested, shape: number[], depth: number, out: number[]): void {
  if (depth === shape.length) {
    out.push(typeof data === 'boolean' ? (data ? 1 : 0) : (data as number));
    return;
  }
  if (!Array.isArray(data) || data.length !== shape[depth]) throw new TypeError(`ragged nested array at depth ${depth}`);
  for (const d of data) flatten(d as Nested, shape, depth + 1, out);
}

/**
 * A tensor from JavaScript data (copied): a number, nested arrays of numbers/booleans, or a TypedArray
 * (with `shape`; default 1-d). dtype defaults to float32 for numbers, bool for booleans, and the
 * TypedArray's own type (BigInt64Array -> int64).
 */
export function tensor(data: Nested | TypedArray, opts: CreateOptions & { shape?: Shape } = {}): Tensor {
  if (ArrayBuffer.isView(data)) {
    const shape = checkShape(opts.shape ?? [data.length]);
    const natural = data instanceof Uint16Array ? 'float16' : dtypeOfTypedArray(data);
    const dtype = dt(opts, natural);
    const n = shape.reduce((a, b) => a * b, 1);
    if (n !== data.length) throw new TypeError(`data has ${data.length} elements but shape [${shape.join(', ')}] needs ${n}`);
    // Raw bytes only where they mean the same thing; uint8 -> bool converts (a byte 2 is not a valid bool).
    if (DTYPE_BYTES[dtype] === DTYPE_BYTES[natural] && (dtype === natural || data instanceof Uint16Array)) {
      return finish(new Tensor(native.fromArray(data, shape, dtype, dev(opts))), opts);
    }
    // Different element type: build in the natural type, then convert.
    const h = native.fromArray(data, shape, natural);
    try {
      return finish(new Tensor(native.to(h, dtype, dev(opts))), opts);
    } finally {
      native.free(h);
    }
  }
  const shape = inferShape(data);
  const flat: number[] = [];
  flatten(data, shape, 0, flat);
  const isBool = typeof (shape.length === 0 ? data : flatFirst(data)) === 'boolean';
  const dtype = dt(opts, isBool ? 'bool' : 'float32');
  const h = native.fromArray(Float64Array.from(flat), shape, 'float64');
  try {
    return finish(new Tensor(native.to(h, dtype, dev(opts))), opts);
  } finally {
    native.free(h);
  }
}

function flatFirst(d: Nested): Nested {
  let cur = d;
  while (Array.isArray(cur)) cur = cur[0] as Nested;
  return cur;
}

/** A 0-d tensor holding one number. */
export function scalar(value: number, opts: CreateOptions = {}): Tensor {
  return tensor(value, opts);
}

export function zeros(shape: Shape, opts: CreateOptions = {}): Tensor {
  return finish(new Tensor(native.zeros(checkShape(shape), dt(opts), dev(opts))), opts);
}
export function ones(shape: Shape, opts: CreateOptions = {}): Tensor {
  return finish(new Tensor(native.ones(checkShape(shape), dt(opts), dev(opts))), opts);
}
export function empty(shape: Shape, opts: CreateOptions = {}): Tensor {
  return finish(new Tensor(native.empty(checkShape(shape), dt(opts), dev(opts))), opts);
}
export function full(shape: Shape, value: number | boolean, opts: CreateOptions = {}): Tensor {
  return finish(new Tensor(native.full(checkShape(shape), value, dt(opts, typeof value === 'boolean' ? 'bool' : 'float32'), dev(opts))), opts);
}
/** Uniform on [0, 1). */
export function rand(shape: Shape, opts: CreateOptions = {}): Tensor {
  return finish(new Tensor(native.rand(checkShape(shape), dt(opts), dev(opts))), opts);
}
/** Standard normal. */
export function randn(shape: Shape, opts: CreateOptions = {}): Tensor {
  return finish(new Tensor(native.randn(checkShape(shape), dt(opts), dev(opts))), opts);
}
/** Integers uniform on [low, high). */
export function randint(low: number, high: number, shape: Shape, opts: CreateOptions = {}): Tensor {
  return finish(new Tensor(native.randint(low, high, checkShape(shape), dt(opts, 'int64'), dev(opts))), opts);
}
/**
 * Values from start (inclusive) to end (exclusive) by step; `arange(n)` is 0..n-1. dtype defaults to
 * int64 when every argument is an integer, float32 otherwise, as in PyTorch.
 */
export function arange(startOrEnd: number, end?: number, step = 1, opts: CreateOptions = {}): Tensor {
  const [s, e] = end === undefined ? [0, startOrEnd] : [startOrEnd, end];
  const allInt = Number.isInteger(s) && Number.isInteger(e) && Number.isInteger(step);
  return finish(new Tensor(native.arange(s, e, step, dt(opts, allInt ? 'int64' : 'float32'), dev(opts))), opts);
}
export function linspace(start: number, end: number, steps: number, opts: CreateOptions = {}): Tensor {
  return finish(new Tensor(native.linspace(start, end, steps, dt(opts), dev(opts))), opts);
}
export function eye(n: number, m = n, opts: CreateOptions = {}): Tensor {
  return finish(new Tensor(native.eye(n, m, dt(opts), dev(opts))), opts);
}
export function zerosLike(t: Tensor, opts: { dtype?: DType } = {}): Tensor {
  return new Tensor(native.zerosLike(t.h, opts.dtype));
}
export function onesLike(t: Tensor, opts: { dtype?: DType } = {}): Tensor {
  return new Tensor(native.onesLike(t.h, opts.dtype));
}
export function fullLike(t: Tensor, value: number, opts: { dtype?: DType } = {}): Tensor {
  return new Tensor(native.fullLike(t.h, value, opts.dtype));
}
export function randLike(t: Tensor, opts: { dtype?: DType } = {}): Tensor {
  return new Tensor(native.randLike(t.h, opts.dtype));
}
export function randnLike(t: Tensor, opts: { dtype?: DType } = {}): Tensor {
  return new Tensor(native.randnLike(t.h, opts.dtype));
}

/** Seeds libtorch's CPU (and CUDA) generators: random creation, dropout and init become repeatable. */
export function manualSeed(seed: number): void {
  if (!Number.isInteger(seed) || seed < 0) throw new TypeError(`seed must be a non-negative integer, got ${seed}`);
  native.manualSeed(seed);
}

/**
 * A tensor from raw little-endian bytes of `dtype` (copied): what checkpoint files hold. The bytes may
 * start at any offset (they are copied, so alignment does not matter).
 */
export function fromBytes(bytes: Uint8Array, shape: Shape, dtype: DType, opts: { device?: Device } = {}): Tensor {
  return new Tensor(native.fromArray(bytes, checkShape(shape), checkDType(dtype), dev(opts)));
}

/** The tensor's elements as raw little-endian bytes (contiguous, on the CPU). */
export function toBytes(t: Tensor): Uint8Array {
  return new Uint8Array(native.toArray(t.h));
}
