/** The RoI head: temporal pooling and concatenation, RoIAlign at 1/16, classifier, gradients, scores. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as torch from '../../src/torch/index.js';
import { SingleRoIExtractor3D, BBoxHeadAVA, buildDetector, modelPreset } from '../../src/models/index.js';

const extractor = (temporalPool: 'avg' | 'max') => new SingleRoIExtractor3D({ outputSize: 8, featureStride: 16, samplingRatio: 0, temporalPool });

test('each pathway is pooled over its own time, then the pathways are concatenated (slow first)', () => {
  torch.tidy(() => {
    // slow [1, 2, 4, 6, 6]: channel c at time t holds (c + 1) * (t + 1); fast [1, 1, 8, 6, 6]: time t holds t
    const t4 = torch.arange(1, 5, 1, { dtype: 'float32' }).reshape(1, 1, 4, 1, 1);
    const slow = torch.cat([t4, t4.mul(2)], 1).expand(1, 2, 4, 6, 6);
    const fast = torch.arange(0, 8, 1, { dtype: 'float32' }).reshape(1, 1, 8, 1, 1).expand(1, 1, 8, 6, 6);
    const rois = torch.tensor([[0, 16, 16, 80, 80]]); // inside the 96x96 input
    const perChannel = (x: torch.Tensor) => x.mean([2, 3]).flatten().toArray();
    const avg = extractor('avg').forward([slow, fast], rois);
    assert.deepEqual(avg.shape, [1, 3, 8, 8]);
    assert.deepEqual(perChannel(avg), [2.5, 5, 3.5]);
    assert.deepEqual(perChannel(extractor('max').forward([slow, fast], rois)), [4, 8, 7]);
  });
});

test('RoIAlign samples at 1/16 of input pixels with the half-pixel (aligned) convention', () => {
  torch.tidy(() => {
    // a map whose value is its column index: RoIAlign of a linear function is exact
    const cols = torch.arange(0, 6, 1, { dtype: 'float32' }).reshape(1, 1, 1, 1, 6).expand(1, 1, 1, 6, 6);
    // pixels x in [16, 32) are feature x in [1, 2) - 0.5 = [0.5, 1.5): bin k of 8 centred at 0.5 + (k + 0.5) / 8
    const out = extractor('avg').forward([cols], torch.tensor([[0, 16, 16, 32, 32]]));
    const row = out.select(2, 0).flatten().toArray();
    row.forEach((v, k) => assert.ok(Math.abs(v - (0.5 + (k + 0.5) / 8)) < 1e-6, `bin ${k}: ${v}`));
  });
});

test('fc_cls starts as mmaction2 does: normal(0, 0.01) weights, zero bias', () => {
  const head = new BBoxHeadAVA({ inChannels: 2304, numClasses: 81, dropout: 0.5, logitNorm: 'none' });
  try {
    torch.tidy(() => {
      const std = head.fcCls.weight.std().item();
      assert.ok(std > 0.009 && std < 0.011, `std ${std}`);
      assert.equal(head.fcCls.bias!.abs().max().item(), 0);
    });
  } finally {
    head.dispose();
  }
});

test('detector: logits [K, numClasses] per box, gradients reach both pathways and the classifier', () => {
  torch.manualSeed(1);
  const det = buildDetector(modelPreset('slowfast_r18_tiny'));
  try {
    torch.tidy(() => {
      const clips = torch.randn([2, 3, 16, 32, 32]);
      const rois = torch.tensor([[0, 0, 0, 24, 30], [1, 10, 10, 30, 30], [1, 0, 16, 20, 32]]);
      const logits = det.forward(clips, rois);
      assert.deepEqual(logits.shape, [3, 7]);
      logits.pow(2).sum().backward();
      for (const name of ['backbone.slow_path.conv1.conv.weight', 'backbone.fast_path.conv1.conv.weight', 'backbone.slow_path.conv1_lateral.conv.weight', 'roi_head.bbox_head.fc_cls.weight']) {
        const g = det.stateDict().get(name)!.grad;
        assert.ok(g, `${name} has a gradient`);
        assert.ok(g.abs().sum().item() > 0, `${name} gradient is non-zero`);
      }
      assert.throws(() => det.forward(clips, torch.tensor([[0, 1, 2, 3]])), /rois must be \[K, 5\]/);
    });
  } finally {
    det.dispose();
  }
});

test('predict: sigmoid scores for every class of every box, repeatable in eval mode', () => {
  torch.manualSeed(2);
  const det = buildDetector(modelPreset('slowonly_r18_tiny')).eval();
  try {
    torch.tidy(() => {
      const clips = torch.randn([1, 3, 16, 48, 48]);
      const rois = torch.tensor([[0, 0, 0, 32, 32], [0, 16, 16, 48, 48]]);
      const s1 = det.predict(clips, rois);
      assert.deepEqual(s1.shape, [2, 7]);
      assert.equal(s1.requiresGrad, false);
      assert.ok(s1.gt(0).all().item() && s1.lt(1).all().item());
      assert.ok(s1.allclose(det.forward(clips, rois).sigmoid()));
      assert.ok(s1.equal(det.predict(clips, rois)), 'dropout is off in eval mode');
    });
  } finally {
    det.dispose();
  }
});

test("logitNorm 'bn' normalises each class's logits over the boxes in training (roi_head.bbox_head.logit_bn)", () => {
  torch.manualSeed(3);
  const c = modelPreset('slowonly_r18_tiny');
  const det = buildDetector({ ...c, head: { ...c.head, logitNorm: 'bn', dropout: 0 } });
  try {
    assert.ok(det.stateDict().has('roi_head.bbox_head.logit_bn.running_mean'));
    // BatchNorm's eps (1e-5) is not negligible against the spread of freshly initialised logits (fc_cls
    // weights have std 0.01): widen them so that the check is about the normalisation
    torch.noGrad(() => det.roiHead.bboxHead.fcCls.weight.mul_(1000));
    torch.tidy(() => {
      const rois = torch.tensor([[0, 0, 0, 32, 32], [0, 16, 16, 48, 48], [1, 0, 0, 48, 48], [1, 8, 0, 40, 45]]);
      const logits = det.forward(torch.randn([2, 3, 16, 48, 48]), rois);
      assert.ok(logits.mean(0).abs().max().item() < 1e-4);
      const v = logits.var(0, { unbiased: false }).toArray();
      // <= 1 up to float32 rounding (a variance of 1.0000001 occurs, depending on the summation order)
      assert.ok(v.every((x) => x > 0.99 && x <= 1 + 1e-5), `per-class variance ${v.join(', ')}`);
    });
  } finally {
    det.dispose();
  }
});
