/** The one dtype table (src/torch/dtype.ts) and the lookups derived from it. Pure: no libtorch. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DTYPE_BYTES, DTYPE_INFO, DTYPES, SAFETENSORS_DTYPES, STORAGE_CLASSES, dtypeOfSafetensors, dtypeOfStorage, isFloatingDType, typedArrayFor } from '../../src/torch/dtype.js';

test('every dtype maps to one safetensors code and one storage class, and back', () => {
  assert.equal(new Set(SAFETENSORS_DTYPES).size, DTYPES.length);
  assert.equal(new Set(STORAGE_CLASSES).size, DTYPES.length);
  for (const d of DTYPES) {
    assert.equal(dtypeOfSafetensors(DTYPE_INFO[d].safetensors), d);
    assert.equal(dtypeOfStorage(DTYPE_INFO[d].storage), d);
    assert.equal(DTYPE_BYTES[d], DTYPE_INFO[d].bytes);
  }
  // Spot checks against the formats' own names (safetensors' Dtype enum, torch's legacy storages).
  assert.deepEqual([DTYPE_INFO.bfloat16.safetensors, DTYPE_INFO.bfloat16.storage, DTYPE_INFO.bfloat16.bytes], ['BF16', 'torch.BFloat16Storage', 2]);
  assert.deepEqual([DTYPE_INFO.int8.safetensors, DTYPE_INFO.int8.storage], ['I8', 'torch.CharStorage']);
  assert.deepEqual(DTYPES.filter(isFloatingDType), ['float32', 'float64', 'float16', 'bfloat16']);
});

test('the byte size agrees with the TypedArray that holds the elements', () => {
  for (const d of DTYPES) assert.equal(typedArrayFor(d, new ArrayBuffer(8)).BYTES_PER_ELEMENT, DTYPE_BYTES[d], d);
});

test('names from files that are not in the table, prototype keys included, are unknown', () => {
  for (const s of ['U32', 'F8_E4M3', 'f32', 'constructor', '__proto__', 'toString']) assert.equal(dtypeOfSafetensors(s), undefined, s);
  for (const s of ['torch.UntypedStorage', 'torch.cuda.FloatStorage', 'constructor', '__proto__']) assert.equal(dtypeOfStorage(s), undefined, s);
});
