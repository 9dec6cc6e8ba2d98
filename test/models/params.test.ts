/**
 * Parameter counts and state-dict names against the same architecture built in PyTorch
 * (test/fixtures/models/reference_model.py, run with Debian's python3-torch 1.13), and names spot-checked
 * against mmaction2's modules (resnet3d.py, resnet3d_slowfast.py, bbox_head.py) so that its
 * checkpoints load by identity.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fixtures } from '../helpers.js';
import * as torch from '../../src/torch/index.js';
import { StateDictError } from '../../src/nn/index.js';
import { buildDetector, modelPreset, type ModelConfig, type ActionDetector } from '../../src/models/index.js';

/** Printed by `/usr/bin/python3 test/fixtures/models/reference_model.py`. */
const PYTORCH_PARAMS = {
  slowfast_r50_8x8x1: 33_830_265,
  slowfast_r50_8x8x1_logit_bn: 33_830_425,
  slowfast_r50_4x16x1: 33_743_993,
  slowonly_r50_8x8: 31_800_465,
  slowfast_r101_8x8x1: 62_177_017,
  slowfast_r18_tiny: 2_277_419,
  slowonly_r18_tiny: 1_993_239,
};

function withDetector<T>(config: ModelConfig, fn: (d: ActionDetector) => T): T {
  const d = buildDetector(config);
  try {
    return fn(d);
  } finally {
    d.dispose();
  }
}

function shapesOf(d: ActionDetector): [string, number[]][] {
  return [...d.stateDict()].map(([k, t]) => [k, t.shape]);
}

function pytorchShapes(name: string): [string, number[]][] {
  return Object.entries(JSON.parse(readFileSync(join(fixtures, 'models', `state_dict_${name}.json`), 'utf8')) as Record<string, number[]>);
}

test('SlowFast R50 8x8x1 with 81 classes has as many parameters as in PyTorch', () => {
  const n = withDetector(modelPreset('slowfast_r50_8x8x1'), (d) => d.numParameters());
  assert.equal(n, PYTORCH_PARAMS.slowfast_r50_8x8x1); // stad 33,830,265 = PyTorch 33,830,265
});

test('the logit BatchNorm adds 2 x 80 parameters (the non-background classes), as in PyTorch', () => {
  const c = modelPreset('slowfast_r50_8x8x1');
  const n = withDetector({ ...c, head: { ...c.head, logitNorm: 'bn' } }, (d) => d.numParameters());
  assert.equal(n, PYTORCH_PARAMS.slowfast_r50_8x8x1_logit_bn);
});

test('other presets and depths match PyTorch counts', () => {
  for (const name of ['slowfast_r50_4x16x1', 'slowonly_r50_8x8', 'slowfast_r18_tiny', 'slowonly_r18_tiny'] as const) {
    assert.equal(withDetector(modelPreset(name), (d) => d.numParameters()), PYTORCH_PARAMS[name], name);
  }
});

test('SlowFast R101 8x8x1 matches PyTorch (STAD_HEAVY_TESTS=1: 62M parameters to initialise)', { skip: process.env.STAD_HEAVY_TESTS !== '1' }, () => {
  const c = modelPreset('slowfast_r50_8x8x1');
  const r101 = { ...c, backbone: { ...c.backbone, depth: 101 as const } };
  assert.equal(withDetector(r101, (d) => d.numParameters()), PYTORCH_PARAMS.slowfast_r101_8x8x1);
});

test('state-dict names, shapes and order equal the PyTorch build (R50 8x8x1 and the tiny preset)', () => {
  for (const name of ['slowfast_r50_8x8x1', 'slowfast_r18_tiny'] as const) {
    const ours = withDetector(modelPreset(name), shapesOf);
    assert.deepEqual(ours, pytorchShapes(name), name);
  }
});

test("state-dict names follow mmaction2's checkpoints", () => {
  const keys = new Set(withDetector(modelPreset('slowfast_r50_8x8x1'), (d) => [...d.stateDict().keys()]));
  // ConvModule registers `conv` and `bn`; bottlenecks conv1/conv2/conv3 and downsample; the laterals
  // are ConvModules without norm; BBoxHeadAVA's classifier is fc_cls.
  for (const k of [
    'backbone.slow_path.conv1.conv.weight',
    'backbone.slow_path.conv1.bn.weight',
    'backbone.slow_path.conv1.bn.running_var',
    'backbone.slow_path.conv1.bn.num_batches_tracked',
    'backbone.slow_path.layer1.0.conv1.conv.weight',
    'backbone.slow_path.layer1.0.conv3.bn.bias',
    'backbone.slow_path.layer1.0.downsample.conv.weight',
    'backbone.slow_path.layer1.0.downsample.bn.weight',
    'backbone.slow_path.layer3.5.conv2.conv.weight',
    'backbone.slow_path.conv1_lateral.conv.weight',
    'backbone.slow_path.layer1_lateral.conv.weight',
    'backbone.slow_path.layer3_lateral.conv.weight',
    'backbone.fast_path.conv1.conv.weight',
    'backbone.fast_path.layer4.2.conv3.bn.weight',
    'roi_head.bbox_head.fc_cls.weight',
    'roi_head.bbox_head.fc_cls.bias',
  ]) {
    assert.ok(keys.has(k), k);
  }
  for (const k of keys) {
    assert.ok(!k.includes('layer4_lateral') && !k.includes('conv1_lateral.bn') && !k.includes('fast_path.conv1_lateral'), k);
  }
});

test('lateral and stem shapes: C_fast -> 2 C_fast with kernel (7, 1, 1); slow blocks see the fused channels', () => {
  const shapes = new Map(withDetector(modelPreset('slowfast_r50_8x8x1'), shapesOf));
  assert.deepEqual(shapes.get('backbone.slow_path.conv1.conv.weight'), [64, 3, 1, 7, 7]);
  assert.deepEqual(shapes.get('backbone.fast_path.conv1.conv.weight'), [8, 3, 5, 7, 7]);
  assert.deepEqual(shapes.get('backbone.slow_path.conv1_lateral.conv.weight'), [16, 8, 7, 1, 1]);
  assert.deepEqual(shapes.get('backbone.slow_path.layer3_lateral.conv.weight'), [256, 128, 7, 1, 1]);
  // res2 of the slow pathway takes 64 + 16 channels; res5 takes 1024 + 256
  assert.deepEqual(shapes.get('backbone.slow_path.layer1.0.conv1.conv.weight'), [64, 80, 1, 1, 1]);
  assert.deepEqual(shapes.get('backbone.slow_path.layer4.0.downsample.conv.weight'), [2048, 1280, 1, 1, 1]);
  // temporal kernels: slow res4/res5 and every fast stage
  assert.deepEqual(shapes.get('backbone.slow_path.layer2.0.conv1.conv.weight'), [128, 320, 1, 1, 1]);
  assert.deepEqual(shapes.get('backbone.slow_path.layer3.0.conv1.conv.weight'), [256, 640, 3, 1, 1]);
  assert.deepEqual(shapes.get('backbone.fast_path.layer1.0.conv1.conv.weight'), [8, 8, 3, 1, 1]);
  assert.deepEqual(shapes.get('roi_head.bbox_head.fc_cls.weight'), [81, 2304]);
});

test("SlowOnly's keys have no pathway prefix, as mmaction2's ResNet3dSlowOnly", () => {
  const keys = withDetector(modelPreset('slowonly_r18_tiny'), (d) => [...d.stateDict().keys()]);
  assert.equal(keys[0], 'backbone.conv1.conv.weight');
  assert.ok(keys.includes('backbone.layer4.1.conv2.bn.weight'));
  assert.ok(keys.includes('backbone.layer2.0.downsample.conv.weight'));
  assert.ok(!keys.some((k) => k.includes('lateral') || k.includes('slow_path')));
  assert.deepEqual(keys.slice(-2), ['roi_head.bbox_head.fc_cls.weight', 'roi_head.bbox_head.fc_cls.bias']);
});

test('loadBackbone takes a recognizer-style state dict: backbone.* strictly, the rest ignored', () => {
  const a = buildDetector(modelPreset('slowonly_r18_tiny'));
  const b = buildDetector(modelPreset('slowonly_r18_tiny'));
  try {
    torch.tidy(() => {
      const recognizer = new Map([...a.stateDict()].filter(([k]) => k.startsWith('backbone.')));
      recognizer.set('cls_head.fc_cls.weight', torch.zeros([400, 128]));
      const w = 'backbone.layer3.0.conv1.conv.weight';
      assert.ok(!a.stateDict().get(w)!.equal(b.stateDict().get(w)!));
      assert.deepEqual(b.loadBackbone(recognizer).ignored, ['cls_head.fc_cls.weight']);
      assert.ok(a.stateDict().get(w)!.equal(b.stateDict().get(w)!));
      recognizer.delete(w);
      assert.throws(() => b.loadBackbone(recognizer, 'k400.pth'), (e: unknown) => e instanceof StateDictError && /k400\.pth \(backbone\.\*\) does not match the model: missing 1 \(layer3\.0\.conv1\.conv\.weight\)/.test(e.message));
    });
  } finally {
    a.dispose();
    b.dispose();
  }
});
