/** Gradient clipping by global norm (torch.nn.utils.clip_grad_norm_). */
import { Tensor, tidy, noGrad, stack } from '../../torch/index.js';

/**
 * Scales every gradient so that their joint L2 norm is at most maxNorm. Returns the norm before
 * clipping (Infinity/NaN propagate, as in PyTorch, so the caller can skip a bad step).
 */
export function clipGradNorm_(params: readonly Tensor[], maxNorm: number): number {
  return tidy(() =>
    noGrad(() => {
      const grads = params.map((p) => p.grad).filter((g): g is Tensor => g !== null);
      if (grads.length === 0) return 0;
      const total = stack(grads.map((g) => g.norm(2))).norm(2).item();
      const coef = maxNorm / (total + 1e-6);
      if (coef < 1) for (const g of grads) g.mul_(coef);
      return total;
    }),
  );
}
