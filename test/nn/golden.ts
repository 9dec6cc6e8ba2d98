/**
 * Reading the PyTorch golden files of test/fixtures/nn (written by make_golden.py) and comparing
 * stad's tensors with them.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { Tensor, tensor, type DType } from '../../src/torch/index.js';
import type { Module } from '../../src/nn/index.js';
import { fixtures } from '../helpers.js';

/** A tensor as make_golden.py stores it: shape and row-major elements. */
export interface GoldenTensor {
  shape: number[];
  data: number[];
}

export function readGolden<T>(name: string): T {
  return JSON.parse(readFileSync(join(fixtures, 'nn', name), 'utf8')) as T;
}

/** A new float64 (or other dtype) tensor with the golden values. */
export function fromGolden(g: GoldenTensor, dtype: DType = 'float64'): Tensor {
  const data = dtype === 'int64' ? BigInt64Array.from(g.data.map((v) => BigInt(v))) : Float64Array.from(g.data);
  const t = tensor(data, { shape: g.shape });
  if (t.dtype === dtype) return t;
  const converted = t.to(dtype);
  t.dispose();
  return converted;
}

/** Tolerance of every comparison with PyTorch: |a - b| <= TOL * (1 + |b|). */
export const TOL = 1e-6;

/** Asserts that a tensor has the golden shape and values (to TOL, relative to the magnitude). */
export function assertCloseTo(actual: Tensor | null, expected: GoldenTensor, what: string, tol = TOL): void {
  assert.ok(actual, `${what}: no tensor`);
  assert.deepEqual(actual.shape, expected.shape, `${what}: shape`);
  assertValuesClose(actual.toArray(), expected.data, what, tol);
}

export function assertValuesClose(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string, tol = TOL): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  let worst = 0;
  let worstAt = -1;
  for (let i = 0; i < expected.length; i++) {
    const err = Math.abs(actual[i]! - expected[i]!) / (1 + Math.abs(expected[i]!));
    if (!(err <= worst)) {
      worst = err;
      worstAt = i;
    }
  }
  assert.ok(worst <= tol, `${what}: element ${worstAt} is ${actual[worstAt]}, PyTorch gives ${expected[worstAt]} (relative error ${worst})`);
}

export function assertNumberClose(actual: number, expected: number, what: string, tol = TOL): void {
  assertValuesClose([actual], [expected], what, tol);
}

/**
 * Makes a freshly built layer float64 and gives it the golden parameters and buffers (every name
 * must match: loadStateDict is strict).
 */
export function loadGoldenState(m: Module, state: Record<string, GoldenTensor>): void {
  m.to('float64');
  const tensors = new Map<string, Tensor>();
  for (const [k, g] of Object.entries(state)) tensors.set(k, fromGolden(g, k.endsWith('num_batches_tracked') ? 'int64' : 'float64'));
  try {
    m.loadStateDict(tensors);
  } finally {
    for (const t of tensors.values()) t.dispose();
  }
}
