/**
 * SyncBatchNorm: BatchNorm whose batch statistics are those of the global batch (every rank's part),
 * as torch.nn.SyncBatchNorm computes them. Without it each rank normalises with the statistics of its
 * own per-rank batch, which is noisier for small per-rank batches and not what one process with the
 * global batch computes.
 *
 * The statistics are sums over ranks taken with a differentiable all-reduce (src/torch/distributed.ts:
 * its gradient is the sum over ranks of the gradients), so autograd gives exactly the gradient of the
 * global-batch normalisation; two passes (the mean, then the squared deviations from it) as a
 * 1-process BatchNorm computes them, so that the results agree with it to float rounding. Every rank
 * must run the same layers in the same order (same model, same control flow), which training does.
 * Frozen layers and eval mode use the running statistics, with no communication.
 */
import * as torch from '../torch/index.js';
import { allReduceSumWithGrad } from '../torch/distributed.js';
import { BatchNorm1d, BatchNorm2d, BatchNorm3d, type Module } from '../nn/index.js';

type BatchNormLayer = BatchNorm1d | BatchNorm2d | BatchNorm3d;

/** Normalises x ([N, C, ...]) with the global batch's statistics and updates the running ones. */
export function syncBatchNorm(bn: BatchNormLayer, x: torch.Tensor): torch.Tensor {
  const C = x.shape[1]!;
  const dims = x.shape.map((_, i) => i).filter((i) => i !== 1);
  const bshape = x.shape.map((_, i) => (i === 1 ? C : 1)); // [1, C, 1, ...]
  return torch.tidy(() => {
    const localCount = x.numel() / C;
    // [C + 1]: the per-channel sums and the element count, summed over ranks
    const first = allReduceSumWithGrad(torch.cat([x.sum(dims), torch.full([1], localCount, { dtype: x.dtype })]));
    const count = first.narrow(0, C, 1).item();
    if (count <= 1) throw new RangeError(`SyncBatchNorm expects more than 1 value per channel when training, got ${count} over all ranks`);
    const mean = first.narrow(0, 0, C).div(count); // [C]
    const centred = x.sub(mean.reshape(bshape));
    const variance = allReduceSumWithGrad(centred.square().sum(dims)).div(count); // [C], biased
    let y = centred.mul(variance.add(bn.eps).rsqrt().reshape(bshape));
    if (bn.weight && bn.bias) y = y.mul(bn.weight.reshape(bshape)).add(bn.bias.reshape(bshape));
    if (bn.training && bn.trackRunningStats) {
      torch.noGrad(() => {
        const m = bn.momentum;
        bn.runningMean!.mul_(1 - m).add_(mean.detach().mul(m));
        bn.runningVar!.mul_(1 - m).add_(variance.detach().mul((m * count) / (count - 1))); // unbiased, as BatchNorm keeps it
        for (const [name, b] of bn.namedBuffers()) if (name === 'num_batches_tracked') b.add_(1);
      });
    }
    return y;
  });
}

/**
 * Makes every BatchNorm of `model` a SyncBatchNorm (in place; parameters, buffers and checkpoints are
 * unchanged), except those whose name `skip` picks. Returns how many layers it converted.
 */
export function convertSyncBatchNorm(model: Module, skip: (name: string) => boolean = () => false): number {
  let n = 0;
  for (const [name, m] of model.namedModules()) {
    if (!(m instanceof BatchNorm1d || m instanceof BatchNorm2d || m instanceof BatchNorm3d) || skip(name)) continue;
    const bn: BatchNormLayer = m;
    const local = bn.forward.bind(bn);
    // As BatchNorm: batch statistics when training (and not frozen) or when there are no running ones.
    bn.forward = (x: torch.Tensor) => ((bn.training && !bn.frozen) || !bn.trackRunningStats ? syncBatchNorm(bn, x) : local(x));
    n++;
  }
  return n;
}
