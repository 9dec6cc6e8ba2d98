/**
 * Shared helpers of the tensor API tests: closeness assertions, a test wrapper that runs each body in
 * `tidy` and checks that it leaves no live tensor behind, and a gradcheck wrapper with a useful message.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import * as torch from '../../src/torch/index.js';

type TestOptions = { todo?: string | boolean; skip?: string | boolean };

/**
 * The float32 machine epsilon, 2^-23 (the gap between 1 and the next float32). libtorch picks its CPU
 * kernels per machine (vector width, oneDNN ISA, BLAS, thread count), and each choice rounds in its
 * own order, so a float32 result is only reproducible to a few of these relative to its magnitude:
 * tolerances for float32 results are written as multiples of it.
 */
export const FLOAT32_EPS = 2 ** -23;

/**
 * A node:test test whose body runs inside `tidy`; afterwards the binding's live tensor count must be
 * back where it was, so every test also checks that its operators free what they create.
 */
export function ttest(name: string, fn: (t: TestContext) => void, opts: TestOptions = {}): void {
  test(name, opts, (t) => {
    const before = torch.memory().liveTensors;
    torch.tidy(() => {
      fn(t);
    });
    assert.equal(torch.memory().liveTensors, before, `${name}: live tensors leaked`);
  });
}

/** Flat values of a tensor as plain numbers. */
export function vals(t: torch.Tensor): number[] {
  return t.toArray();
}

/** Asserts two numbers (or flat number arrays) agree within atol + rtol * |expected|. */
export function assertClose(actual: number | readonly number[], expected: number | readonly number[], tol: { atol?: number; rtol?: number } = {}, what = ''): void {
  const atol = tol.atol ?? 1e-5;
  const rtol = tol.rtol ?? 1e-5;
  const a = typeof actual === 'number' ? [actual] : actual;
  const e = typeof expected === 'number' ? [expected] : expected;
  assert.equal(a.length, e.length, `${what} length: got ${a.length}, expected ${e.length}`);
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = e[i]!;
    if (Number.isNaN(y)) {
      assert.ok(Number.isNaN(x), `${what}[${i}]: got ${x}, expected NaN`);
      continue;
    }
    if (!Number.isFinite(y)) {
      assert.equal(x, y, `${what}[${i}]`);
      continue;
    }
    assert.ok(Math.abs(x - y) <= atol + rtol * Math.abs(y), `${what}[${i}]: got ${x}, expected ${y}\n  actual   [${a.join(', ')}]\n  expected [${e.join(', ')}]`);
  }
}

/** Asserts a tensor's shape and (flat) values. */
export function assertTensor(t: torch.Tensor, shape: readonly number[], expected: readonly number[], tol: { atol?: number; rtol?: number } = {}): void {
  assert.deepEqual(t.shape, [...shape], 'shape');
  assertClose(vals(t), expected, tol);
}

/** Deterministic, distinct, non-round float64 values (no ties, none at zero), for gradchecks. */
export function data(n: number, seed = 1, scale = 1): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    // A golden-ratio stride modulo 1 (well spread, no repeats), mapped to (-1, 1) and pushed away from 0.
    const u = ((i * 0.6180339887 + seed * 0.3819660113) % 1) * 2 - 1;
    out.push(scale * (u >= 0 ? u + 0.05 : u - 0.05));
  }
  return out;
}

/** Positive variant of `data` (for log, sqrt, pow bases, ...): values in (0.2, 2.2). */
export function positive(n: number, seed = 1): number[] {
  return data(n, seed).map((v) => Math.abs(v) * 2 + 0.2);
}

export type GradInput = { data: number[]; shape: number[]; dtype?: 'float64' | 'int64' | 'bool' };

export function input(shape: number[], seed = 1, gen: (n: number, seed: number) => number[] = data): GradInput {
  const n = shape.reduce((a, b) => a * b, 1);
  return { data: gen(n, seed), shape };
}

/** Runs gradcheck and fails with the worst element when analytic and numeric gradients disagree. */
export function assertGrad(fn: (x: torch.Tensor[]) => torch.Tensor, inputs: GradInput[], opts: torch.GradcheckOptions = {}): void {
  const r = torch.gradcheck(fn, inputs, opts);
  assert.ok(r.ok, `gradcheck failed: max |analytic - numeric| = ${r.maxAbsError}, worst ${JSON.stringify(r.worst)}`);
}

/** The ramp start, start + step, ... in row-major order, float32 unless told (easy to reason about). */
export function ramp(shape: number[], opts: { dtype?: torch.DType; start?: number; step?: number } = {}): torch.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const start = opts.start ?? 0;
  const step = opts.step ?? 1;
  return torch.tensor(
    Array.from({ length: n }, (_, i) => start + i * step),
    { dtype: opts.dtype ?? 'float32' },
  ).reshape(shape);
}

/** The raw elements from dataSync() as numbers (bigint int64 converted; float16 as bit patterns). */
export function raw(t: torch.Tensor): number[] {
  return Array.from(t.dataSync() as unknown as ArrayLike<number | bigint>, (v) => Number(v));
}
