/** Presets are plain JSON, validated with zod; bad configurations name the field. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MODEL_PRESETS, modelPreset, parseModelConfig } from '../../src/models/presets.js';
import { UserError } from '../../src/util/errors.js';

test('every preset validates and survives a JSON round trip', () => {
  for (const name of Object.keys(MODEL_PRESETS)) {
    const c = modelPreset(name);
    assert.deepEqual(parseModelConfig(JSON.parse(JSON.stringify(c)), name), c, name);
  }
});

test('slowfast_r50_8x8x1 is the mmaction2 AVA configuration', () => {
  const c = modelPreset('slowfast_r50_8x8x1');
  assert.equal(c.backbone.type, 'slowfast');
  if (c.backbone.type !== 'slowfast') return;
  assert.deepEqual(
    [c.backbone.depth, c.backbone.baseChannels, c.backbone.resampleRate, c.backbone.speedRatio, c.backbone.channelRatio, c.backbone.fusionKernel],
    [50, 64, 4, 4, 8, 7],
  );
  assert.deepEqual(c.backbone.spatialStrides, [1, 2, 2, 1]);
  assert.deepEqual(c.head, { numClasses: 81, temporalPool: 'avg', roiOutputSize: 8, samplingRatio: 0, dropout: 0.5, logitNorm: 'none' });
  assert.deepEqual(c.input, { frames: 32, frameInterval: 2, size: 256 });
});

test('modelPreset returns a copy', () => {
  const a = modelPreset('slowfast_r18_tiny');
  a.head.numClasses = 3;
  assert.equal(modelPreset('slowfast_r18_tiny').head.numClasses, 7);
});

test('bad configurations are UserErrors naming the source and the field', () => {
  const c = modelPreset('slowfast_r50_8x8x1');
  const bad = (v: unknown, re: RegExp) =>
    assert.throws(() => parseModelConfig(v, 'model.json'), (e: unknown) => e instanceof UserError && re.test(e.message));
  bad({ ...c, backbone: { ...c.backbone, fusionKernel: 4 } }, /^model\.json: backbone\.fusionKernel: fusionKernel must be odd$/);
  bad({ ...c, backbone: { ...c.backbone, depth: 34 } }, /^model\.json: backbone\.depth: /);
  bad({ ...c, head: { ...c.head, dropout: 2 } }, /^model\.json: head\.dropout: /);
  bad({ ...c, head: { ...c.head, logitNorm: 'layer' } }, /^model\.json: head\.logitNorm: /);
  bad({ ...c, extra: 1 }, /^model\.json: /);
  bad({ ...c, backbone: { ...c.backbone, type: 'x3d' } }, /^model\.json: backbone\.type: /);
  assert.throws(() => modelPreset('slowfast_r34'), (e: unknown) => e instanceof UserError && /unknown model preset 'slowfast_r34' \(known: slowfast_r50_8x8x1, /.test(e.message));
});
