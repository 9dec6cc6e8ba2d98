// Neural-network operators on tiny inputs computed by hand: convolutions, batch and layer norm (with
// running statistics), pools, adaptive pools, dropout, gridSample, interpolate, the reference losses,
// and torchvision's roiAlign and nms.
import assert from 'node:assert/strict';
import * as torch from '../../src/torch/index.js';
import { ttest, vals, assertClose, assertTensor, ramp } from './check.js';

const T = (d: Parameters<typeof torch.tensor>[0], dtype?: torch.DType) => torch.tensor(d, dtype ? { dtype } : {});
/** 1..9 as [1, 1, 3, 3]. */
const nine = () => ramp([1, 1, 3, 3], { start: 1 });

// ---- conv2d ---------------------------------------------------------------------------------------

ttest('conv2d: a 1x1 identity kernel returns the input; a scalar kernel scales; bias adds', () => {
  const x = nine();
  assertTensor(x.conv2d(T([[[[1]]]])), [1, 1, 3, 3], [1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assertTensor(x.conv2d(T([[[[2]]]]), { bias: T([0.5]) }), [1, 1, 3, 3], [2.5, 4.5, 6.5, 8.5, 10.5, 12.5, 14.5, 16.5, 18.5]);
  // a 3x3 kernel with a single 1 at its centre is the identity with padding 1
  const centre = torch.zeros([1, 1, 3, 3]);
  centre.narrow(2, 1, 1).narrow(3, 1, 1).fill_(1);
  assertTensor(x.conv2d(centre, { padding: 1 }), [1, 1, 3, 3], [1, 2, 3, 4, 5, 6, 7, 8, 9]);
});

ttest('conv2d: ones kernel sums neighbourhoods (no padding, padding, stride, dilation)', () => {
  const x = nine();
  const k3 = torch.ones([1, 1, 3, 3]);
  assertTensor(x.conv2d(k3), [1, 1, 1, 1], [45]);
  // with zero padding 1: 3x3 neighbourhood sums of
  //   1 2 3
  //   4 5 6
  //   7 8 9
  assertTensor(x.conv2d(k3, { padding: 1 }), [1, 1, 3, 3], [12, 21, 16, 27, 45, 33, 24, 39, 28]);
  assertTensor(x.conv2d(k3, { padding: 1, stride: 2 }), [1, 1, 2, 2], [12, 16, 24, 28]);
  // per-axis padding [0, 1]: only columns padded
  assertTensor(x.conv2d(k3, { padding: [0, 1] }), [1, 1, 1, 3], [27, 45, 33]);
  // 2x2 kernel with dilation 2 reads the four corners
  assertTensor(x.conv2d(torch.ones([1, 1, 2, 2]), { dilation: 2 }), [1, 1, 1, 1], [1 + 3 + 7 + 9]);
  // stride per axis
  assertTensor(x.conv2d(T([[[[1]]]]), { stride: [2, 1] }), [1, 1, 2, 3], [1, 2, 3, 7, 8, 9]);
});

ttest('conv2d is cross-correlation (the kernel is not flipped)', () => {
  const x = T([[[[1, 2, 3]]]]);
  assertTensor(x.conv2d(T([[[[1, 10]]]])), [1, 1, 1, 2], [1 + 20, 2 + 30]);
});

ttest('conv2d: channels mix with groups = 1, stay separate with groups = C', () => {
  // two channels: c0 = [1,2,3,4], c1 = [10,20,30,40] as 2x2
  const x = T([[[[1, 2], [3, 4]], [[10, 20], [30, 40]]]]);
  assertTensor(x.conv2d(T([[[[1]], [[1]]]])), [1, 1, 2, 2], [11, 22, 33, 44]);
  // out0 = c0, out1 = c0 + c1
  assertTensor(x.conv2d(T([[[[1]], [[0]]], [[[1]], [[1]]]])), [1, 2, 2, 2], [1, 2, 3, 4, 11, 22, 33, 44]);
  // depthwise: out0 = 2 c0, out1 = 3 c1
  assertTensor(x.conv2d(T([[[[2]]], [[[3]]]]), { groups: 2 }), [1, 2, 2, 2], [2, 4, 6, 8, 30, 60, 90, 120]);
  // batch of two images
  const xb = torch.cat([x, x.mul(-1)]);
  assertTensor(xb.conv2d(T([[[[1]], [[1]]]])), [2, 1, 2, 2], [11, 22, 33, 44, -11, -22, -33, -44]);
});

// ---- conv3d ---------------------------------------------------------------------------------------

ttest('conv3d: identity, ones kernel (with and without padding), stride, dilation, groups, bias', () => {
  const x = ramp([1, 1, 2, 2, 2], { start: 1 }); // 1..8
  assertTensor(x.conv3d(T([[[[[1]]]]])), [1, 1, 2, 2, 2], [1, 2, 3, 4, 5, 6, 7, 8]);
  assertTensor(x.conv3d(torch.ones([1, 1, 2, 2, 2])), [1, 1, 1, 1, 1], [36]);
  // a 3x3x3 window around any voxel of a 2x2x2 volume (zero-padded) covers all of it
  assertTensor(x.conv3d(torch.ones([1, 1, 3, 3, 3]), { padding: 1 }), [1, 1, 2, 2, 2], new Array(8).fill(36));
  assertTensor(x.conv3d(torch.ones([1, 1, 2, 2, 2]), { bias: T([-36]) }), [1, 1, 1, 1, 1], [0]);
  // stride 2 with a 1x1x1 kernel picks voxels with even coordinates of a 3x3x3 ramp (9d + 3h + w)
  const y = ramp([1, 1, 3, 3, 3]);
  assertTensor(y.conv3d(T([[[[[1]]]]]), { stride: 2 }), [1, 1, 2, 2, 2], [0, 2, 6, 8, 18, 20, 24, 26]);
  // temporal kernel [1, 10] along T: cross-correlation, not flipped
  const t3 = T([[[[[1]], [[2]], [[3]]]]]); // [1, 1, 3, 1, 1]
  assertTensor(t3.conv3d(T([[[[[1]], [[10]]]]])), [1, 1, 2, 1, 1], [21, 32]);
  // dilation 2 along T reads frames 0 and 2
  assertTensor(t3.conv3d(torch.ones([1, 1, 2, 1, 1]), { dilation: [2, 1, 1] }), [1, 1, 1, 1, 1], [4]);
  // padding only along T
  assertTensor(t3.conv3d(torch.ones([1, 1, 3, 1, 1]), { padding: [1, 0, 0] }), [1, 1, 3, 1, 1], [3, 6, 5]);
  // groups: two channels scaled separately
  const two = torch.cat([t3, t3.mul(10)], 1); // [1, 2, 3, 1, 1]
  assertTensor(two.conv3d(T([[[[[2]]]], [[[[-1]]]]]), { groups: 2 }), [1, 2, 3, 1, 1], [2, 4, 6, -10, -20, -30]);
});

// ---- batch norm and layer norm ------------------------------------------------------------------

ttest('batchNorm (training) normalises with the batch statistics and updates running stats with PyTorch\'s rule', () => {
  // x [4, 2]: channel 0 = 1,2,3,4 (mean 2.5, biased var 1.25, unbiased 5/3); channel 1 constant 2
  const x = T([[1, 2], [2, 2], [3, 2], [4, 2]]);
  const rm = torch.zeros([2]);
  const rv = torch.ones([2]);
  const y = x.batchNorm({ weight: T([2, 1]), bias: T([0.5, -1]), runningMean: rm, runningVar: rv, training: true });
  const s = Math.sqrt(1.25 + 1e-5);
  assertTensor(y, [4, 2], [2 * (1 - 2.5) / s + 0.5, -1, 2 * (2 - 2.5) / s + 0.5, -1, 2 * (3 - 2.5) / s + 0.5, -1, 2 * (4 - 2.5) / s + 0.5, -1]);
  // new = (1 - 0.1) * old + 0.1 * batch, the variance unbiased
  assertClose(vals(rm), [0.25, 0.2]);
  assertClose(vals(rv), [0.9 + 0.1 * (5 / 3), 0.9]);
  // a second step compounds
  x.batchNorm({ runningMean: rm, runningVar: rv, training: true });
  assertClose(vals(rm), [0.9 * 0.25 + 0.25, 0.9 * 0.2 + 0.2]);
  assertClose(vals(rv), [0.9 * (0.9 + 0.1 * (5 / 3)) + 0.1 * (5 / 3), 0.81]);
  // another momentum
  const rm2 = torch.zeros([2]);
  const rv2 = torch.ones([2]);
  x.batchNorm({ runningMean: rm2, runningVar: rv2, training: true, momentum: 0.5 });
  assertClose(vals(rm2), [1.25, 1]);
  assertClose(vals(rv2), [0.5 + 0.5 * (5 / 3), 0.5]);
});

ttest('batchNorm (training) over N, H, W of a 4-d input; without affine or running stats', () => {
  // one channel, values 1, 3, 5, 7 spread over N and W: mean 4, biased var 5
  const x = T([[[[1, 3]]], [[[5, 7]]]]); // [2, 1, 1, 2]
  const s = Math.sqrt(5 + 1e-5);
  assertTensor(x.batchNorm({ training: true }), [2, 1, 1, 2], [-3 / s, -1 / s, 1 / s, 3 / s]);
  const rm = torch.zeros([1]);
  const rv = torch.ones([1]);
  x.batchNorm({ training: true, runningMean: rm, runningVar: rv });
  assertClose(vals(rm), [0.4]);
  assertClose(vals(rv), [0.9 + 0.1 * (20 / 3)]);
  // eps enters under the square root
  assertTensor(x.batchNorm({ training: true, eps: 4 }), [2, 1, 1, 2], [-1, -1 / 3, 1 / 3, 1]);
  // 5-d (BatchNorm3d): two channels, each constant-free
  const x5 = T([[[[[1, 3]]], [[[10, 30]]]]]); // [1, 2, 1, 1, 2]
  const y5 = x5.batchNorm({ training: true, eps: 0 });
  assertTensor(y5, [1, 2, 1, 1, 2], [-1, 1, -1, 1]);
});

ttest('batchNorm (eval) uses the running statistics and does not change them', () => {
  const rm = T([1, -1]);
  const rv = T([4, 0.25]);
  const x = T([[3, 0], [1, -1]]);
  const y = x.batchNorm({ runningMean: rm, runningVar: rv, training: false, eps: 0 });
  assertTensor(y, [2, 2], [1, 2, 0, 0]);
  const yw = x.batchNorm({ runningMean: rm, runningVar: rv, weight: T([10, 1]), bias: T([0, 5]), eps: 0 });
  assertTensor(yw, [2, 2], [10, 7, 0, 5]);
  assert.deepEqual(vals(rm), [1, -1]);
  assert.deepEqual(vals(rv), [4, 0.25]);
  // the default is eval (training: false) with eps 1e-5
  assertTensor(x.batchNorm({ runningMean: rm, runningVar: rv }), [2, 2], [2 / Math.sqrt(4 + 1e-5), 1 / Math.sqrt(0.25 + 1e-5), 0, 0]);
});

ttest('layerNorm over the trailing dims, with weight and bias', () => {
  const x = T([[1, 2, 3], [2, 2, 2]]);
  const s = Math.sqrt(2 / 3 + 1e-5);
  assertTensor(x.layerNorm([3]), [2, 3], [-1 / s, 0, 1 / s, 0, 0, 0]);
  assertTensor(x.layerNorm([3], { weight: T([1, 2, 3]), bias: T([0, 0, 1]) }), [2, 3], [-1 / s, 0, 3 / s + 1, 0, 0, 1]);
  // over both dims: mean 2, biased var (1 + 0 + 1 + 0 + 0 + 0) / 6
  const s2 = Math.sqrt(1 / 3 + 1e-5);
  assertTensor(x.layerNorm([2, 3]), [2, 3], [-1 / s2, 0, 1 / s2, 0, 0, 0]);
});

// ---- pooling ---------------------------------------------------------------------------------------

ttest('maxPool2d: kernel, stride, padding, dilation, ceilMode', () => {
  const x = ramp([1, 1, 4, 4]); // 0..15
  assertTensor(x.maxPool2d(2), [1, 1, 2, 2], [5, 7, 13, 15]);
  const y = ramp([1, 1, 3, 3]); // 0..8
  assertTensor(y.maxPool2d(2, { stride: 1 }), [1, 1, 2, 2], [4, 5, 7, 8]);
  // padding 1, kernel 2, stride 2: windows rows/cols {-1,0} and {1,2}
  assertTensor(y.maxPool2d(2, { stride: 2, padding: 1 }), [1, 1, 2, 2], [0, 2, 6, 8]);
  assertTensor(y.maxPool2d(2), [1, 1, 1, 1], [4]);
  assertTensor(y.maxPool2d(2, { ceilMode: true }), [1, 1, 2, 2], [4, 5, 7, 8]);
  assertTensor(y.maxPool2d(2, { dilation: 2 }), [1, 1, 1, 1], [8]);
  assertTensor(y.maxPool2d([1, 3]), [1, 1, 3, 1], [2, 5, 8]);
  // negative values: the maximum is taken, padding never wins
  assertTensor(y.neg().maxPool2d(2, { stride: 2, padding: 1 }), [1, 1, 2, 2], [0, -1, -3, -4]);
});

ttest('maxPool3d', () => {
  const x = ramp([1, 1, 2, 2, 2]); // 0..7
  assertTensor(x.maxPool3d(2), [1, 1, 1, 1, 1], [7]);
  assertTensor(x.maxPool3d([1, 2, 2]), [1, 1, 2, 1, 1], [3, 7]);
  assertTensor(x.maxPool3d([2, 1, 1]), [1, 1, 1, 2, 2], [4, 5, 6, 7]);
  assertTensor(x.maxPool3d(2, { stride: 1, padding: 1 }), [1, 1, 3, 3, 3], [
    0, 1, 1, 2, 3, 3, 2, 3, 3,
    4, 5, 5, 6, 7, 7, 6, 7, 7,
    4, 5, 5, 6, 7, 7, 6, 7, 7,
  ]);
  const y = ramp([1, 1, 3, 1, 1]);
  assertTensor(y.maxPool3d([2, 1, 1], { ceilMode: true }), [1, 1, 2, 1, 1], [1, 2]);
});

ttest('avgPool2d: kernel, stride, padding with and without counting the padding, ceilMode', () => {
  const x = ramp([1, 1, 4, 4]);
  assertTensor(x.avgPool2d(2), [1, 1, 2, 2], [2.5, 4.5, 10.5, 12.5]);
  const y = ramp([1, 1, 2, 2]); // 0 1 / 2 3
  // padding 1, kernel 2, stride 2: each window holds one real value and three zeros of padding
  assertTensor(y.avgPool2d(2, { stride: 2, padding: 1 }), [1, 1, 2, 2], [0, 0.25, 0.5, 0.75]);
  assertTensor(y.avgPool2d(2, { stride: 2, padding: 1, countIncludePad: false }), [1, 1, 2, 2], [0, 1, 2, 3]);
  const z = ramp([1, 1, 3, 3]);
  assertTensor(z.avgPool2d(2, { stride: 1 }), [1, 1, 2, 2], [2, 3, 5, 6]);
  // ceilMode: the extra window at the border averages what it covers
  assertTensor(z.avgPool2d(2, { ceilMode: true }), [1, 1, 2, 2], [2, 3.5, 6.5, 8]);
});

ttest('avgPool3d', () => {
  const x = ramp([1, 1, 2, 2, 2]);
  assertTensor(x.avgPool3d(2), [1, 1, 1, 1, 1], [3.5]);
  assertTensor(x.avgPool3d([2, 1, 1]), [1, 1, 1, 2, 2], [2, 3, 4, 5]);
  assertTensor(x.avgPool3d([1, 2, 2]), [1, 1, 2, 1, 1], [1.5, 5.5]);
  const y = ramp([1, 1, 2, 1, 1]); // 0, 1 along T
  assertTensor(y.avgPool3d([2, 1, 1], { stride: [2, 1, 1], padding: [1, 0, 0] }), [1, 1, 2, 1, 1], [0, 0.5]);
  assertTensor(y.avgPool3d([2, 1, 1], { stride: [2, 1, 1], padding: [1, 0, 0], countIncludePad: false }), [1, 1, 2, 1, 1], [0, 1]);
});

ttest('adaptive pools: global, divisible and non-divisible bins', () => {
  const x = ramp([1, 1, 4, 4]);
  assertTensor(x.adaptiveAvgPool2d(1), [1, 1, 1, 1], [7.5]);
  assertTensor(x.adaptiveAvgPool2d([2, 2]), [1, 1, 2, 2], [2.5, 4.5, 10.5, 12.5]);
  assertTensor(x.adaptiveMaxPool2d(1), [1, 1, 1, 1], [15]);
  assertTensor(x.adaptiveMaxPool2d([2, 2]), [1, 1, 2, 2], [5, 7, 13, 15]);
  // 3 -> 2 bins: [floor(i*3/2), ceil((i+1)*3/2)) = [0, 2) and [1, 3) overlap
  const r = T([[[[1, 2, 3]]]]);
  assertTensor(r.adaptiveAvgPool2d([1, 2]), [1, 1, 1, 2], [1.5, 2.5]);
  assertTensor(r.adaptiveMaxPool2d([1, 2]), [1, 1, 1, 2], [2, 3]);
  // upsampling by adaptive pooling repeats
  assertTensor(T([[[[1, 2]]]]).adaptiveAvgPool2d([1, 4]), [1, 1, 1, 4], [1, 1, 2, 2]);
  const v = ramp([1, 2, 2, 2, 2]); // channel 0: 0..7, channel 1: 8..15
  assertTensor(v.adaptiveAvgPool3d(1), [1, 2, 1, 1, 1], [3.5, 11.5]);
  assertTensor(v.adaptiveMaxPool3d(1), [1, 2, 1, 1, 1], [7, 15]);
  assertTensor(v.adaptiveAvgPool3d([2, 1, 1]), [1, 2, 2, 1, 1], [1.5, 5.5, 9.5, 13.5]);
  assertTensor(v.adaptiveMaxPool3d([1, 2, 1]), [1, 2, 1, 2, 1], [5, 7, 13, 15]);
});

// ---- dropout -------------------------------------------------------------------------------------------

ttest('dropout: p = 0 and training = false are the identity, p = 1 zeros everything', () => {
  const x = T([1, -2, 3]);
  assert.deepEqual(vals(x.dropout(0)), [1, -2, 3]);
  assert.deepEqual(vals(x.dropout(0.7, false)), [1, -2, 3]);
  // -0 for negative inputs: x * 0
  assertClose(vals(x.dropout(1)), [0, 0, 0], { atol: 0 });
});

ttest('dropout keeps elements scaled by 1/(1-p), drops about p of them, repeatably with manualSeed', () => {
  for (const p of [0.5, 0.25]) {
    torch.manualSeed(7);
    const y = vals(torch.ones([20000]).dropout(p));
    const kept = y.filter((v) => v !== 0);
    assert.ok(kept.every((v) => Math.abs(v - 1 / (1 - p)) < 1e-6), `kept values must be 1/(1-p) = ${1 / (1 - p)}`);
    const frac = 1 - kept.length / y.length;
    assert.ok(Math.abs(frac - p) < 0.02, `dropped fraction ${frac} for p = ${p}`);
    torch.manualSeed(7);
    assert.deepEqual(vals(torch.ones([20000]).dropout(p)), y);
  }
  // kept elements keep their own value (scaled), sign included
  torch.manualSeed(1);
  const x = T([1, -2, 3, -4, 5, -6, 7, -8]);
  const y = vals(x.dropout(0.5));
  y.forEach((v, i) => assert.ok(v === 0 || v === vals(x)[i]! * 2));
});

// ---- gridSample ----------------------------------------------------------------------------------------

/** The identity sampling grid [1, H, W, 2] of (x, y) in [-1, 1] with alignCorners = true. */
function identityGrid(h: number, w: number): torch.Tensor {
  const g: number[] = [];
  for (let i = 0; i < h; i++) for (let j = 0; j < w; j++) g.push(-1 + (2 * j) / (w - 1), -1 + (2 * i) / (h - 1));
  return torch.tensor(g).reshape(1, h, w, 2);
}

ttest('gridSample: the identity grid with alignCorners reproduces the input (bilinear and nearest)', () => {
  const x = ramp([1, 2, 2, 3], { start: 1 });
  assertTensor(x.gridSample(identityGrid(2, 3), { alignCorners: true }), [1, 2, 2, 3], vals(ramp([12], { start: 1 })));
  assertTensor(x.gridSample(identityGrid(2, 3), { alignCorners: true, mode: 'nearest' }), [1, 2, 2, 3], vals(ramp([12], { start: 1 })));
  // output size follows the grid: 1x1 grid at the centre averages a 2x2 input
  const y = T([[[[0, 1], [2, 3]]]]);
  assertTensor(y.gridSample(T([[[[0, 0]]]]), { alignCorners: true }), [1, 1, 1, 1], [1.5]);
  assertTensor(y.gridSample(T([[[[0, 0]]]]), { alignCorners: false }), [1, 1, 1, 1], [1.5]);
});

ttest('gridSample: alignCorners, padding modes and nearest at hand-computed points', () => {
  const x = T([[[[4, 8], [12, 16]]]]);
  const corner = T([[[[-1, -1]]]]);
  // alignCorners true: (-1, -1) is the centre of the top-left pixel
  assertTensor(x.gridSample(corner, { alignCorners: true }), [1, 1, 1, 1], [4]);
  // alignCorners false: (-1, -1) is the pixel's outer corner, pixel coordinate (-0.5, -0.5): a quarter
  // of the top-left pixel, the rest zeros padding; border padding repeats the edge
  assertTensor(x.gridSample(corner), [1, 1, 1, 1], [1]);
  assertTensor(x.gridSample(corner, { paddingMode: 'border' }), [1, 1, 1, 1], [4]);
  // x = 0.5, y = -1 with alignCorners: pixel (0.75, 0): 0.25 * 4 + 0.75 * 8
  assertTensor(x.gridSample(T([[[[0.5, -1]]]]), { alignCorners: true }), [1, 1, 1, 1], [7]);
  // nearest: pixel (0.8, 0.2) rounds to column 1, row 0
  assertTensor(x.gridSample(T([[[[0.6, -0.6]]]]), { alignCorners: true, mode: 'nearest' }), [1, 1, 1, 1], [8]);
  // outside the input with zeros padding
  assertTensor(x.gridSample(T([[[[3, 3]]]]), { alignCorners: true }), [1, 1, 1, 1], [0]);
  assertTensor(x.gridSample(T([[[[3, 3]]]]), { alignCorners: true, paddingMode: 'border' }), [1, 1, 1, 1], [16]);
  // reflection: with alignCorners pixel x = 1.25 reflects about 1 to 0.75 (0.25 * 4 + 0.75 * 8);
  // without, pixel x = 2 reflects about 1.5 to 1 and y = -0.5 stays at the edge
  assertTensor(x.gridSample(T([[[[1.5, -1]]]]), { alignCorners: true, paddingMode: 'reflection' }), [1, 1, 1, 1], [7]);
  assertTensor(x.gridSample(T([[[[1.5, -1]]]]), { alignCorners: false, paddingMode: 'reflection' }), [1, 1, 1, 1], [8]);
});

ttest('gridSample on 5-d input (trilinear) with the identity grid', () => {
  const x = ramp([1, 1, 2, 2, 2], { start: 1 });
  const g: number[] = [];
  for (let d = 0; d < 2; d++) for (let i = 0; i < 2; i++) for (let j = 0; j < 2; j++) g.push(j * 2 - 1, i * 2 - 1, d * 2 - 1);
  const grid = torch.tensor(g).reshape(1, 2, 2, 2, 3);
  assertTensor(x.gridSample(grid, { alignCorners: true }), [1, 1, 2, 2, 2], [1, 2, 3, 4, 5, 6, 7, 8]);
  // the centre of the cube is the mean
  assertTensor(x.gridSample(T([[[[[0, 0, 0]]]]]), { alignCorners: true }), [1, 1, 1, 1, 1], [4.5]);
});

// ---- interpolate ----------------------------------------------------------------------------------------

ttest('interpolate: nearest, bilinear (alignCorners true and false), linear, trilinear, area, bicubic', () => {
  const x = T([[[[1, 2], [3, 4]]]]);
  assertTensor(x.interpolate([4, 4]), [1, 1, 4, 4], [1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4]);
  assertTensor(x.interpolate([4, 4], 'nearest'), [1, 1, 4, 4], [1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4]);
  assertTensor(x.interpolate([3, 3], 'bilinear', true), [1, 1, 3, 3], [1, 1.5, 2, 2, 2.5, 3, 3, 3.5, 4]);
  // alignCorners false: source = (dst + 0.5) / 2 - 0.5, clamped at 0: 0, 0.25, 0.75, 1.25 -> 1, 1.25, 1.75, 2
  assertTensor(T([[[1, 2]]]).interpolate([4], 'linear', false), [1, 1, 4], [1, 1.25, 1.75, 2]);
  assertTensor(T([[[1, 2]]]).interpolate([4], 'linear'), [1, 1, 4], [1, 1.25, 1.75, 2]);
  assertTensor(T([[[1, 2]]]).interpolate([3], 'linear', true), [1, 1, 3], [1, 1.5, 2]);
  const b = x.interpolate([4, 4], 'bilinear', false);
  assertTensor(b.select(3, 0), [1, 1, 4], [1, 1.5, 2.5, 3]);
  // downsampling by 2 with bilinear (alignCorners false) samples between pixels
  assertTensor(ramp([1, 1, 2, 2]).interpolate([1, 1], 'bilinear', false), [1, 1, 1, 1], [1.5]);
  const v = ramp([1, 1, 2, 2, 2], { start: 1 });
  const tri = v.interpolate([3, 3, 3], 'trilinear', true);
  assert.deepEqual(tri.shape, [1, 1, 3, 3, 3]);
  // corners are the input's corners, the centre is the mean of all eight
  assertClose(vals(tri)[0]!, 1);
  assertClose(vals(tri)[13]!, 4.5);
  assertClose(vals(tri)[26]!, 8);
  assertClose(vals(tri)[1]!, 1.5);
  assertTensor(v.interpolate([2, 4, 4], 'nearest').flatten().narrow(0, 0, 4), [4], [1, 1, 2, 2]);
  assertTensor(T([[[[1, 2, 3, 4]]]]).interpolate([1, 2], 'area'), [1, 1, 1, 2], [1.5, 3.5]);
  // bicubic reproduces a constant
  assertTensor(torch.full([1, 1, 2, 2], 3).interpolate([5, 5], 'bicubic', false), [1, 1, 5, 5], new Array(25).fill(3));
});

// ---- losses --------------------------------------------------------------------------------------------------

ttest('binaryCrossEntropyWithLogits: none/sum/mean, weight and posWeight', () => {
  const logits = T([0, 2]);
  const targets = T([1, 0]);
  // -log(sigmoid(0)) = ln 2; -log(1 - sigmoid(2)) = log(1 + e^2)
  const l0 = Math.LN2;
  const l1 = Math.log(1 + Math.E ** 2);
  assertTensor(torch.binaryCrossEntropyWithLogits(logits, targets, { reduction: 'none' }), [2], [l0, l1]);
  assertTensor(torch.binaryCrossEntropyWithLogits(logits, targets, { reduction: 'sum' }), [], [l0 + l1]);
  assertTensor(torch.binaryCrossEntropyWithLogits(logits, targets), [], [(l0 + l1) / 2]);
  assertTensor(torch.binaryCrossEntropyWithLogits(logits, targets, { reduction: 'none', posWeight: T([3]) }), [2], [3 * l0, l1]);
  assertTensor(torch.binaryCrossEntropyWithLogits(logits, targets, { reduction: 'none', weight: T([2, 1]) }), [2], [2 * l0, l1]);
  // soft targets: t = 0.5 at logit 0 gives ln 2
  assertTensor(torch.binaryCrossEntropyWithLogits(T([0]), T([0.5]), { reduction: 'none' }), [1], [l0]);
  // stable for large logits
  assertTensor(torch.binaryCrossEntropyWithLogits(T([100, -100]), T([0, 1]), { reduction: 'none' }), [2], [100, 100], { atol: 1e-3 });
});

ttest('crossEntropy of logits against class indices', () => {
  const logits = T([[0, 0, 0], [1, 2, 3]]);
  const targets = T([2, 0], 'int64');
  const l0 = Math.log(3);
  const l1 = 3 + Math.log(1 + Math.exp(-1) + Math.exp(-2)) - 1;
  assertTensor(torch.crossEntropy(logits, targets, 'none'), [2], [l0, l1]);
  assertTensor(torch.crossEntropy(logits, targets), [], [(l0 + l1) / 2]);
  assertTensor(torch.crossEntropy(logits, targets, 'sum'), [], [l0 + l1]);
});

// ---- torchvision operators -----------------------------------------------------------------------------

ttest('roiAlign: a constant feature map gives the constant', () => {
  const f = torch.full([1, 3, 8, 8], 5);
  const rois = T([[0, 1, 1, 6, 5], [0, 0.5, 2.25, 3, 7]]);
  const out = torch.roiAlign(f, rois, { outputSize: [2, 3], spatialScale: 1, samplingRatio: 2 });
  assert.deepEqual(out.shape, [2, 3, 2, 3]);
  assertClose(vals(out), new Array(36).fill(5));
  // adaptive sampling ratio too
  assertClose(vals(torch.roiAlign(f, rois, { outputSize: 2, spatialScale: 1 })), new Array(24).fill(5));
});

ttest('roiAlign: a linear ramp gives the value at each bin centre (aligned and not)', () => {
  // f(y, x) = 10 y + x at integer pixel (y, x): bilinear interpolation reproduces it between pixels
  const g: number[] = [];
  for (let y = 0; y < 8; y++) for (let x = 0; x < 8; x++) g.push(10 * y + x);
  const f = torch.tensor(g).reshape(1, 1, 8, 8);
  // box (1, 1)-(5, 5), 2x2 bins of 2 pixels; aligned shifts by -0.5: centres at 1.5 and 3.5
  const box = T([[0, 1, 1, 5, 5]]);
  const a = torch.roiAlign(f, box, { outputSize: 2, spatialScale: 1, samplingRatio: 2, aligned: true });
  assertTensor(a, [1, 1, 2, 2], [16.5, 18.5, 36.5, 38.5], { atol: 1e-4 });
  // aligned is the default
  assertTensor(torch.roiAlign(f, box, { outputSize: 2, spatialScale: 1 }), [1, 1, 2, 2], [16.5, 18.5, 36.5, 38.5], { atol: 1e-4 });
  // not aligned: centres at 2 and 4
  const n = torch.roiAlign(f, box, { outputSize: 2, spatialScale: 1, samplingRatio: 2, aligned: false });
  assertTensor(n, [1, 1, 2, 2], [22, 24, 42, 44], { atol: 1e-4 });
  // spatialScale maps input pixels to the feature map: the box (2,2)-(10,10) at scale 1/2 is the same
  const s = torch.roiAlign(f, T([[0, 2, 2, 10, 10]]), { outputSize: 2, spatialScale: 0.5, samplingRatio: 2 });
  assertTensor(s, [1, 1, 2, 2], [16.5, 18.5, 36.5, 38.5], { atol: 1e-4 });
  // a 1x4 output over x in [1, 5): bin centres 1.5 + k - 0.5 ... = 1, 2, 3, 4 at row centre 2.5
  const w = torch.roiAlign(f, box, { outputSize: [1, 4], spatialScale: 1, samplingRatio: 2 });
  assertTensor(w, [1, 1, 1, 4], [26, 27, 28, 29], { atol: 1e-4 });
});

ttest('roiAlign picks the image by the batch index', () => {
  const f = torch.cat([torch.full([1, 1, 4, 4], 2), torch.full([1, 1, 4, 4], 7)]);
  const out = torch.roiAlign(f, T([[1, 0, 0, 2, 2], [0, 0, 0, 2, 2]]), { outputSize: 1, spatialScale: 1 });
  assertTensor(out, [2, 1, 1, 1], [7, 2]);
});

ttest('nms keeps boxes by decreasing score and suppresses overlaps above the threshold', () => {
  const boxes = T([[0, 0, 10, 10], [1, 1, 11, 11], [20, 20, 30, 30], [0, 0, 10, 10.5]]);
  const scores = T([0.9, 0.8, 0.7, 0.95]);
  // IoU(3, 0) = 100 / 105 = 0.952; IoU(3, 1) = 85.5 / 119.5 = 0.7155; IoU(0, 1) = 81 / 119 = 0.681
  const keep = (iou: number) => vals(torch.nms(boxes, scores, iou));
  assert.deepEqual(keep(0.5), [3, 2]);
  assert.deepEqual(keep(0.7), [3, 2]);
  // box 1 survives box 3 at 0.72 and is not suppressed by box 0, which was itself suppressed
  assert.deepEqual(keep(0.72), [3, 1, 2]);
  assert.deepEqual(keep(0.96), [3, 0, 1, 2]);
  assert.equal(torch.nms(boxes, scores, 0.5).dtype, 'int64');
  assertTensor(torch.nms(torch.zeros([0, 4]), torch.zeros([0]), 0.5), [0], []);
});
