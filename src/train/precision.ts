/**
 * A run's numeric settings on libtorch: cuDNN's autotuner, the deterministic mode, and mixed precision
 * for the forward pass (the training loop and the benchmarks share them).
 *
 * Mixed precision as torch.autocast does it: the forward pass runs under autocast in bfloat16
 * (convolutions and matrix products in bf16, BatchNorm statistics and reductions in float32 where
 * libtorch's autocast lists them), the parameters stay float32 (the master weights the optimiser
 * updates), and the logits are returned as float32 so that the loss (and the reference's BatchNorm on
 * the logits) is computed in float32. bf16 keeps float32's exponent range, so no loss scaling is needed
 * (unlike float16).
 */
import * as torch from '../torch/index.js';
import type { RunConfig } from './config.js';

export type AmpMode = RunConfig['amp'];

/** Sets cuDNN's autotuner and the deterministic mode (process-wide in libtorch) as the run says. */
export function applyBackendOptions(c: Pick<RunConfig, 'cudnnBenchmark' | 'deterministic'>): void {
  torch.setDeterministic(c.deterministic);
  // the autotuner picks algorithms by timing, which may differ between runs: never in deterministic mode
  torch.backends.cudnn.setBenchmark(c.cudnnBenchmark && !c.deterministic);
}

/** Runs a forward pass in the run's precision; the result is float32 either way. */
export function forwardIn(amp: AmpMode, device: torch.Device, forward: () => torch.Tensor): torch.Tensor {
  if (amp === 'none') return forward();
  const out = torch.autocast(device, 'bfloat16', forward);
  return out.dtype === 'float32' ? out : out.float();
}
