/** A checkpoint's float32 tensors by name (the model's and the optimiser's), for comparing two runs. */
import { readSafetensors } from '../../src/serialization/safetensors.js';

export function checkpointWeights(path: string): Map<string, Float32Array> {
  const out = new Map<string, Float32Array>();
  for (const [k, t] of Object.entries(readSafetensors(path).tensors)) {
    if (t.dtype !== 'F32') continue;
    out.set(k, new Float32Array(t.data.buffer.slice(t.data.byteOffset, t.data.byteOffset + t.data.byteLength)));
  }
  return out;
}
