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
    // Exact on every CPU: the samples sit at multiples of 1/4 of a cell, so every weight, sample and
    // partial sum is a short dyadic fraction that float32 holds exactly, in any summation order.
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

/** A bare head with the reference's logit BatchNorm over numClasses - 1 = 6 columns. */
const bnHead = () => new BBoxHeadAVA({ inChannels: 8, numClasses: 7, dropout: 0, logitNorm: 'bn' });

test("logitNorm 'bn': lossLogits normalises each non-background class over the boxes in training and updates the running statistics", () => {
  const head = bnHead();
  try {
    torch.tidy(() => {
      const bn = head.logitBn!;
      assert.deepEqual(bn.runningMean!.shape, [6]);
      // [4, 6], columns of different means and spreads
      const rows = [
        [1, -2, 0.5, 3, 10, -1],
        [2, -2.5, 0.7, 1, 12, -1.5],
        [4, -1, 0.1, 2, 8, -0.5],
        [-1, -3, 0.3, 0, 14, -2],
      ];
      const x = torch.tensor(rows);
      const y = head.lossLogits(x);
      assert.deepEqual(y.shape, [4, 6]);
      // by hand: (x - mean) / sqrt(biased var + eps) per column; running = 0.9 * running + 0.1 * batch
      // (unbiased variance), PyTorch's rule
      const cols = [0, 1, 2, 3, 4, 5].map((c) => rows.map((r) => r[c]!));
      const mean = cols.map((v) => v.reduce((a, b) => a + b, 0) / v.length);
      const ss = cols.map((v, c) => v.reduce((a, b) => a + (b - mean[c]!) ** 2, 0));
      const want = rows.map((r) => r.map((v, c) => (v - mean[c]!) / Math.sqrt(ss[c]! / 4 + 1e-5)));
      (y.tolist() as number[][]).forEach((r, i) => r.forEach((v, c) => assert.ok(Math.abs(v - want[i]![c]!) < 1e-4, `[${i}, ${c}] ${v} vs ${want[i]![c]}`)));
      bn.runningMean!.toArray().forEach((v, c) => assert.ok(Math.abs(v - 0.1 * mean[c]!) < 1e-5, `running_mean[${c}] ${v}`));
      bn.runningVar!.toArray().forEach((v, c) => assert.ok(Math.abs(v - (0.9 + (0.1 * ss[c]!) / 3)) < 1e-4, `running_var[${c}] ${v}`));
      assert.equal(head.stateDict().get('logit_bn.num_batches_tracked')!.item(), 1);
    });
  } finally {
    head.dispose();
  }
});

test('lossLogits with fewer than 2 rows in training uses the running statistics, leaves them as they are, and still trains the affine parameters', () => {
  const head = bnHead();
  try {
    torch.tidy(() => {
      const bn = head.logitBn!;
      torch.noGrad(() => {
        bn.runningMean!.copy_(torch.tensor([1, 2, 3, 4, 5, 6]));
        bn.runningVar!.copy_(torch.tensor([4, 4, 1, 1, 0.25, 0.25]));
        bn.weight!.fill_(2);
        bn.bias!.fill_(0.5);
      });
      const x = torch.tensor([[3, 0, 4, 4, 5.5, 5]]);
      const y = head.lossLogits(x);
      const want = [3, 0, 4, 4, 5.5, 5].map((v, c) => ((v - [1, 2, 3, 4, 5, 6][c]!) / Math.sqrt([4, 4, 1, 1, 0.25, 0.25][c]! + 1e-5)) * 2 + 0.5);
      y.toArray().forEach((v, c) => assert.ok(Math.abs(v - want[c]!) < 1e-4, `[0, ${c}] ${v} vs ${want[c]}`));
      y.sum().backward();
      assert.ok(bn.weight!.grad!.abs().sum().item() > 0 && bn.bias!.grad!.abs().sum().item() > 0, 'weight and bias get a gradient');
      assert.deepEqual(bn.runningMean!.toArray(), [1, 2, 3, 4, 5, 6]);
      assert.deepEqual(bn.runningVar!.toArray(), [4, 4, 1, 1, 0.25, 0.25]);
      assert.equal(head.stateDict().get('logit_bn.num_batches_tracked')!.item(), 0);
      assert.deepEqual(head.lossLogits(torch.zeros([0, 6])).shape, [0, 6]);
    });
  } finally {
    head.dispose();
  }
});

test("lossLogits: the identity (the same tensor) with logitNorm 'none'; anything but [M, numClasses - 1] is refused", () => {
  const plain = new BBoxHeadAVA({ inChannels: 8, numClasses: 7, dropout: 0, logitNorm: 'none' });
  const head = bnHead();
  try {
    torch.tidy(() => {
      const x = torch.randn([3, 6]);
      assert.equal(plain.lossLogits(x), x);
      assert.equal(plain.logitBn, null);
      for (const h of [plain, head]) {
        assert.throws(() => h.lossLogits(torch.randn([3, 7])), /lossLogits: expects the non-background logits \[M, 6\], got \[3, 7\]/);
        assert.throws(() => h.lossLogits(torch.randn([6])), /lossLogits: expects/);
      }
    });
  } finally {
    plain.dispose();
    head.dispose();
  }
});

test("logitNorm 'bn': forward() and predict() give the raw logits; only lossLogits applies logit_bn (roi_head.bbox_head.logit_bn, 6 classes)", () => {
  torch.manualSeed(3);
  const c = modelPreset('slowonly_r18_tiny');
  const det = buildDetector({ ...c, head: { ...c.head, logitNorm: 'bn', dropout: 0 } });
  try {
    assert.deepEqual(det.stateDict().get('roi_head.bbox_head.logit_bn.running_mean')!.shape, [6]);
    torch.tidy(() => {
      const clips = torch.randn([2, 3, 16, 48, 48]);
      const rois = torch.tensor([[0, 0, 0, 32, 32], [0, 16, 16, 48, 48], [1, 0, 0, 48, 48], [1, 8, 0, 40, 45]]);
      // a logit BatchNorm far from the identity: if anything applied it, the scores would move
      const bn = det.roiHead.bboxHead.logitBn!;
      torch.noGrad(() => {
        bn.weight!.fill_(3);
        bn.bias!.fill_(2);
        bn.runningMean!.fill_(-1);
      });
      det.eval();
      const raw = torch.noGrad(() => det.forward(clips, rois)); // [4, 7]
      assert.deepEqual(raw.shape, [4, 7]);
      // fresh fc_cls weights (std 0.01) give logits near 0; through the BatchNorm above they would be near 5
      assert.ok(raw.abs().max().item() < 1, `raw logits ${raw.abs().max().item()}`);
      const scores = det.predict(clips, rois);
      assert.ok(scores.allclose(raw.sigmoid()), 'predict() is the sigmoid of the raw logits');
      const seen = torch.noGrad(() => det.lossLogits(raw.slice(1, 1))); // running statistics
      assert.ok(seen.allclose(raw.slice(1, 1).add(1).mul(3 / Math.sqrt(1 + 1e-5)).add(2), 1e-4, 1e-5), 'eval: (x - running_mean) / sqrt(running_var + eps) * weight + bias');
      assert.deepEqual(bn.runningMean!.toArray(), [-1, -1, -1, -1, -1, -1], 'eval mode updates nothing');
    });
  } finally {
    det.dispose();
  }
});
