/** Turns a ClipBatch (plain arrays from the loader) into the model's input tensor. */
import { tensor, type Tensor, type Device } from '../torch/index.js';
import type { ClipBatch } from './loader.js';

/**
 * [N, 3, T, H, W] float32 on `device`, always a copy of the loader's (pooled) buffer, so the caller may
 * `batch.release()` it right after. For a GPU the batch goes through pinned host memory and a
 * non-blocking copy, so the upload overlaps with the host's next work (as PyTorch's DataLoader with
 * pin_memory=True and .to(device, non_blocking=True)); the staging copies are freed at once (libtorch's
 * pinned-memory cache keeps a block until the copy that uses it has finished). The non-blocking copy
 * reads the pinned tensor, never the pooled buffer, which is why releasing the batch early is safe.
 */
export function clipsToTensor(batch: ClipBatch, device: Device = 'cpu'): Tensor {
  if (device === 'cpu') return tensor(batch.data, { shape: batch.shape });
  const host = tensor(batch.data, { shape: batch.shape });
  let pinned: Tensor | undefined;
  try {
    pinned = host.pinMemory();
    return pinned.to(device, true);
  } finally {
    pinned?.dispose();
    host.dispose();
  }
}
