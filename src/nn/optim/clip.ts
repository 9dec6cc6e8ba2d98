/** Gradient clipping by global norm (torch.nn.utils.clip_grad_norm_). */
import { Tensor, tidy, noGrad, stack } from '../../torch/index.js';

/**
 * Scales every gradient so that their joint L2 norm is at most maxNorm, entirely with tensor operations
 * on the gradients' device: the norm, the clip coefficient min(1, maxNorm / (norm + 1e-6)) and the
 * scaling never leave it, so a training step on a GPU does not wait for the device here (PyTorch's
 * clip_grad_norm_ works the same way). Returns the norm before clipping as a 0-d tensor (the caller
 * disposes it), or null when no parameter has a gradient. A non-finite norm makes every gradient
 * non-finite (NaN), as in PyTorch; the caller can read the norm when it wants to skip such a step.
 */
export function clipGradNormTensor_(params: readonly Tensor[], maxNorm: number): Tensor | null {
  return tidy(() =>
    noGrad(() => {
      const grads = params.map((p) => p.grad).filter((g): g is Tensor => g !== null);
      if (grads.length === 0) return null;
      const total = stack(grads.map((g) => g.norm(2))).norm(2); // []
      const coef = total.add(1e-6).reciprocal().mul(maxNorm).clamp(null, 1); // []
      for (const g of grads) g.mul_(coef);
      return total;
    }),
  );
}

/**
 * clipGradNormTensor_, then the norm before clipping as a number (one read from the device; 0 when no
 * parameter has a gradient). Infinity/NaN propagate so that the caller can skip a bad step.
 */
export function clipGradNorm_(params: readonly Tensor[], maxNorm: number): number {
  return tidy(() => clipGradNormTensor_(params, maxNorm)?.item() ?? 0);
}
