/**
 * A small preset trains with the reference recipe (loss-side logit BatchNorm, focal BCE): forward,
 * backward and an SGD step, with the live tensor count flat.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as torch from '../../src/torch/index.js';
import { SGD } from '../../src/nn/index.js';
import { assignTargets, buildDetector, lossInputs, modelPreset, type ClipBoxes } from '../../src/models/index.js';
import { buildLoss } from '../../src/losses/index.js';

test('slowfast_r18_tiny with logit BN and focal_bce: forward, backward and SGD steps give finite losses and leak no tensors', () => {
  torch.manualSeed(4);
  const c = modelPreset('slowfast_r18_tiny');
  const det = buildDetector({ ...c, head: { ...c.head, logitNorm: 'bn' } }).train();
  const lossFn = buildLoss({ name: 'focal_bce' }, { classCounts: [3, 1, 1, 2, 1, 2], numBoxes: 8 });
  const opt = new SGD(det.parameters(), { lr: 0.01, momentum: 0.9, weightDecay: 1e-5 });
  const clips = torch.keep(torch.randn([2, 3, 16, 32, 32]));
  const batch: ClipBoxes[] = [
    { gtBoxes: [[2, 2, 20, 30]], gtLabels: [[1, 4]], proposals: [[2, 2, 20, 29.5], [16, 4, 31, 31]] },
    { gtBoxes: [[5, 0, 25, 20]], gtLabels: [[6]], proposals: [] },
  ];
  const fc = det.roiHead.bboxHead.fcCls.weight;
  const fcBefore = torch.keep(fc.clone());
  const live: number[] = [];
  const losses: number[] = [];
  try {
    for (let step = 0; step < 3; step++) {
      losses.push(
        torch.tidy(() => {
          const t = assignTargets(batch, { numClasses: 7, negatives: 'include', random: () => 0.5 });
          const { logits, targets } = lossInputs(det.forward(clips, t.rois), t);
          const loss = lossFn(det.lossLogits(logits), targets);
          opt.zeroGrad();
          loss.backward();
          opt.step();
          return loss.item();
        }),
      );
      live.push(torch.memory().liveTensors);
    }
    assert.ok(losses.every(Number.isFinite), `losses ${losses.join(', ')}`);
    // the first step creates the momentum buffers; from then on the count stays put
    assert.deepEqual(live.slice(1), [live[0], live[0]]);
    assert.ok(!fc.equal(fcBefore), 'the classifier was updated');
    assert.equal(det.stateDict().get('roi_head.bbox_head.logit_bn.num_batches_tracked')!.item(), 3, 'the logit BatchNorm saw each step');
  } finally {
    opt.zeroGrad();
    torch.dispose([clips, fcBefore]);
    det.dispose();
  }
});
