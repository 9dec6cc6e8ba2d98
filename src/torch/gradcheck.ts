/**
 * Gradient checking against central finite differences, as torch.autograd.gradcheck: the autograd
 * tests (test/torch/autograd.test.ts) check the differentiable operators with it in float64.
 */
import { Tensor } from './tensor.js';
import { tensor } from './creation.js';
import { tidy } from './scope.js';
import { noGrad } from './functional.js';

export interface GradcheckResult {
  ok: boolean;
  /** Largest |analytic - numeric| over all checked elements. */
  maxAbsError: number;
  /** Where it was (input index, element index), for the failure message. */
  worst: { input: number; element: number; analytic: number; numeric: number } | null;
}

export interface GradcheckOptions {
  eps?: number;
  atol?: number;
  rtol?: number;
  /** Inputs (by index) that are not differentiated (e.g. integer indices, targets). */
  skip?: readonly number[];
}

/**
 * Checks d(sum(w * f(inputs)))/d(inputs) for fixed random weights w against central differences.
 * `inputs` are float64 values with shapes; fn receives fresh tensors built from them.
 */
export function gradcheck(
  fn: (inputs: Tensor[]) => Tensor,
  inputs: readonly { data: Float64Array | number[]; shape: readonly number[]; dtype?: 'float64' | 'int64' | 'bool' }[],
  opts: GradcheckOptions = {},
): GradcheckResult {
  const eps = opts.eps ?? 1e-6;
  const atol = opts.atol ?? 1e-5;
  const rtol = opts.rtol ?? 1e-3;
  const skip = new Set(opts.skip ?? []);
  const values = inputs.map((x) => Float64Array.from(x.data));

  // Output weights, fixed for the check (deterministic, non-trivial).
  const outShape = tidy(() => fn(values.map((v, i) => tensor(v, { shape: inputs[i]!.shape, dtype: inputs[i]!.dtype ?? 'float64' }))).shape);
  const outN = outShape.reduce((a, b) => a * b, 1);
  const w = Float64Array.from({ length: outN }, (_, i) => 0.5 + ((i * 7919) % 13) / 13);

  const objective = (vals: Float64Array[], requiresGrad: boolean): { value: number; grads: (Float64Array | null)[] } =>
    tidy(() => {
      const ts = vals.map((v, i) =>
        tensor(v, { shape: inputs[i]!.shape, dtype: inputs[i]!.dtype ?? 'float64', requiresGrad: requiresGrad && !skip.has(i) && (inputs[i]!.dtype ?? 'float64') === 'float64' }),
      );
      const out = fn(ts);
      const loss = out.mul(tensor(w, { shape: outShape, dtype: 'float64' })).sum();
      if (!requiresGrad) return { value: loss.item(), grads: [] };
      loss.backward();
      return {
        value: loss.item(),
        grads: ts.map((t) => {
          if (!t.requiresGrad) return null;
          const g = t.grad;
          return g ? g.toFloat64Array() : new Float64Array(t.numel());
        }),
      };
    });

  const analytic = objective(values, true).grads;
  let maxAbsError = 0;
  let worst: GradcheckResult['worst'] = null;
  let ok = true;
  noGrad(() => {
    values.forEach((v, i) => {
      const a = analytic[i];
      if (!a) return;
      for (let k = 0; k < v.length; k++) {
        const orig = v[k]!;
        v[k] = orig + eps;
        const plus = objective(values, false).value;
        v[k] = orig - eps;
        const minus = objective(values, false).value;
        v[k] = orig;
        const numeric = (plus - minus) / (2 * eps);
        const err = Math.abs(a[k]! - numeric);
        if (err > maxAbsError) {
          maxAbsError = err;
          worst = { input: i, element: k, analytic: a[k]!, numeric };
        }
        if (err > atol + rtol * Math.abs(numeric)) ok = false;
      }
    });
  });
  return { ok, maxAbsError, worst };
}
