/** Turns a ClipBatch (plain arrays from the loader) into the model's input tensor. */
import { tensor, type Tensor, type Device } from '../torch/index.js';
import type { ClipBatch } from './loader.js';

/**
 * [N, 3, T, H, W] float32 on `device`: a copy, so the caller may `batch.release()` the loader's buffer
 * right after.
 */
export function clipsToTensor(batch: ClipBatch, device: Device = 'cpu'): Tensor {
  return tensor(batch.data, { shape: batch.shape, device });
}
