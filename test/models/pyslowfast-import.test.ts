import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildDetector, modelPreset } from '../../src/models/presets.js';
import { convertStateDict } from '../../src/models/checkpoint-import.js';
import type { RawTensor } from '../../src/serialization/safetensors.js';

/** PySlowFast names of one lateral fusion (conv + BatchNorm), as its FuseFastToSlow registers them. */
function pyslowfastFuse(stage: number, channels: number): Record<string, RawTensor> {
  const t = (shape: number[]): RawTensor => ({ dtype: 'F32', shape, data: new Uint8Array(4 * shape.reduce((a, b) => a * b, 1)) });
  return {
    [`s${stage}_fuse.conv_f2s.weight`]: t([2 * channels, channels, 5, 1, 1]),
    [`s${stage}_fuse.bn.weight`]: t([2 * channels]),
    [`s${stage}_fuse.bn.bias`]: t([2 * channels]),
    [`s${stage}_fuse.bn.running_mean`]: t([2 * channels]),
    [`s${stage}_fuse.bn.running_var`]: t([2 * channels]),
    [`s${stage}_fuse.bn.num_batches_tracked`]: { dtype: 'I64', shape: [], data: new Uint8Array(8) },
  };
}

test('lateralNorm gives the laterals the BatchNorm that PySlowFast checkpoints carry, under the converted names', () => {
  const base = modelPreset('slowfast_r18_tiny');
  const plain = buildDetector(base);
  const withNorm = buildDetector({ ...base, backbone: { ...base.backbone, lateralNorm: true } as typeof base.backbone });
  const plainNames = [...plain.stateDict().keys()].filter((k) => k.includes('_lateral'));
  const normNames = [...withNorm.stateDict().keys()].filter((k) => k.includes('_lateral'));
  assert.ok(plainNames.every((k) => k.endsWith('.conv.weight')), 'mmaction2 laterals are bare convs');
  assert.ok(normNames.includes('backbone.slow_path.conv1_lateral.bn.running_var'));
  assert.ok(normNames.includes('backbone.slow_path.layer3_lateral.bn.num_batches_tracked'));

  // The converter's names for PySlowFast's first fusion are exactly the model's.
  const fastStem = withNorm.stateDict().get('backbone.slow_path.conv1_lateral.conv.weight')!.shape[1]!;
  const converted = convertStateDict('pyslowfast.pth', pyslowfastFuse(1, fastStem));
  const names = Object.keys(converted.tensors).sort();
  const expected = normNames.filter((k) => k.startsWith('backbone.slow_path.conv1_lateral.')).sort();
  assert.deepEqual(names, expected);
  plain.dispose();
  withNorm.dispose();
});
