/**
 * RoIAlign against torchvision (test/fixtures/roi-align/golden.json): first a plain float64 JavaScript
 * RoIAlign written from the algorithm's definition, which pins down what the fixture means (aligned =
 * half-pixel offset, adaptive sampling grid, zero outside [-1, size]); then `torch.roiAlign` (torchvision's
 * kernel loaded into libtorch), forward and input gradient, in float64 and float32.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fixtures } from '../helpers.js';
import * as torch from '../../src/torch/index.js';

interface Case {
  spatial_scale: number;
  output_size: [number, number];
  sampling_ratio: number;
  rois: number[][];
  output_shape: number[];
  output: number[];
  grad_out: number[];
  grad_input: number[];
}
const golden = JSON.parse(readFileSync(join(fixtures, 'roi-align', 'golden.json'), 'utf8')) as { input_shape: number[]; input: number[]; cases: Case[] };

/**
 * RoIAlign (aligned) forward; also accumulates d(sum(out * gradOut))/d(input) into `gradIn` when given.
 * Each output bin averages a grid of bilinear samples; samples more than one pixel outside the map are 0.
 */
function roiAlign(input: number[], shape: number[], rois: number[][], out: [number, number], scale: number, ratio: number, gradOut?: number[], gradIn?: number[]): number[] {
  const [, C, H, W] = shape as [number, number, number, number];
  const [PH, PW] = out;
  const result: number[] = [];
  rois.forEach((roi, k) => {
    const [b, x1, y1, x2, y2] = roi as [number, number, number, number, number];
    const sx = x1 * scale - 0.5;
    const sy = y1 * scale - 0.5;
    const rw = x2 * scale - 0.5 - sx;
    const rh = y2 * scale - 0.5 - sy;
    const bw = rw / PW;
    const bh = rh / PH;
    const gh = ratio > 0 ? ratio : Math.ceil(rh / PH);
    const gw = ratio > 0 ? ratio : Math.ceil(rw / PW);
    const count = Math.max(gh * gw, 1);
    for (let c = 0; c < C; c++) {
      const base = (b * C + c) * H * W;
      for (let ph = 0; ph < PH; ph++) {
        for (let pw = 0; pw < PW; pw++) {
          const outIndex = ((k * C + c) * PH + ph) * PW + pw;
          let sum = 0;
          for (let iy = 0; iy < gh; iy++) {
            for (let ix = 0; ix < gw; ix++) {
              let y = sy + ph * bh + ((iy + 0.5) * bh) / gh;
              let x = sx + pw * bw + ((ix + 0.5) * bw) / gw;
              if (y < -1 || y > H || x < -1 || x > W) continue;
              y = Math.max(y, 0);
              x = Math.max(x, 0);
              let y0 = Math.floor(y);
              let x0 = Math.floor(x);
              let y1i = y0 + 1;
              let x1i = x0 + 1;
              if (y0 >= H - 1) (y0 = y1i = H - 1), (y = y0);
              if (x0 >= W - 1) (x0 = x1i = W - 1), (x = x0);
              const ly = y - y0;
              const lx = x - x0;
              const taps: [number, number][] = [
                [y0 * W + x0, (1 - ly) * (1 - lx)],
                [y0 * W + x1i, (1 - ly) * lx],
                [y1i * W + x0, ly * (1 - lx)],
                [y1i * W + x1i, ly * lx],
              ];
              for (const [i, w] of taps) {
                sum += w * input[base + i]!;
                if (gradIn && gradOut) gradIn[base + i]! += (w * gradOut[outIndex]!) / count;
              }
            }
          }
          result[outIndex] = sum / count;
        }
      }
    }
  });
  return result;
}

test('the golden fixture covers both scales, both output sizes, adaptive and fixed sampling', () => {
  assert.deepEqual(golden.input_shape, [2, 3, 12, 16]);
  assert.equal(golden.cases.length, 8);
  const keys = golden.cases.map((c) => `${c.spatial_scale}/${c.output_size[0]}/${c.sampling_ratio}`);
  assert.equal(new Set(keys).size, 8);
  for (const c of golden.cases) {
    assert.equal(c.rois.length, 6);
    assert.equal(c.output.length, c.output_shape.reduce((a, b) => a * b, 1));
    assert.equal(c.grad_out.length, c.output.length);
    assert.equal(c.grad_input.length, golden.input.length);
  }
});

test('a plain JS RoIAlign reproduces the torchvision golden outputs and input gradients (1e-6)', () => {
  for (const c of golden.cases) {
    const label = `scale ${c.spatial_scale}, ${c.output_size[0]}x${c.output_size[1]}, ratio ${c.sampling_ratio}`;
    const gradIn = new Array<number>(golden.input.length).fill(0);
    const out = roiAlign(golden.input, golden.input_shape, c.rois, c.output_size, c.spatial_scale, c.sampling_ratio, c.grad_out, gradIn);
    let maxOut = 0;
    for (let i = 0; i < out.length; i++) maxOut = Math.max(maxOut, Math.abs(out[i]! - c.output[i]!));
    assert.ok(maxOut < 1e-6, `${label}: output differs by ${maxOut}`);
    let maxGrad = 0;
    for (let i = 0; i < gradIn.length; i++) maxGrad = Math.max(maxGrad, Math.abs(gradIn[i]! - c.grad_input[i]!));
    assert.ok(maxGrad < 1e-6, `${label}: gradient differs by ${maxGrad}`);
  }
});

test('boxes partly outside the map produce zeros where every sample is outside', () => {
  // Box 2 reaches beyond W and H: with scale 1/16 its bottom-right bins sample only beyond the map edge + 1.
  const c = golden.cases.find((x) => x.spatial_scale === 1 / 16 && x.output_size[0] === 8 && x.sampling_ratio === 2)!;
  const [, C, PH, PW] = c.output_shape as [number, number, number, number];
  const bin = (k: number, ch: number, y: number, x: number): number => c.output[((k * C + ch) * PH + y) * PW + x]!;
  assert.equal(bin(2, 0, 7, 7), 0);
  assert.notEqual(bin(2, 0, 0, 0), 0);
});

test('torch.roiAlign matches the golden outputs and input gradients, in float64 and float32', () => {
  // The golden values have 9 significant digits. float64 agrees to far below 1e-6; float32 kernels round
  // each bilinear tap and sum (gradients accumulate up to a few dozen taps per input pixel), so 1e-4 of
  // the magnitude, which still catches a wrong tap or a wrong bin (errors of order 0.1-1).
  for (const [dtype, tol] of [['float64', 1e-6], ['float32', 1e-4]] as const) {
    for (const c of golden.cases) {
      const label = `${dtype}, scale ${c.spatial_scale}, ${c.output_size[0]}x${c.output_size[1]}, ratio ${c.sampling_ratio}`;
      const [out, grad] = torch.tidy(() => {
        const x = torch.tensor(Float64Array.from(golden.input), { shape: golden.input_shape, dtype, requiresGrad: true });
        const rois = torch.tensor(c.rois, { dtype });
        const y = torch.roiAlign(x, rois, { outputSize: c.output_size, spatialScale: c.spatial_scale, samplingRatio: c.sampling_ratio, aligned: true });
        y.mul(torch.tensor(Float64Array.from(c.grad_out), { shape: c.output_shape, dtype })).sum().backward();
        assert.deepEqual(y.shape, c.output_shape, label);
        return [y.toArray(), x.grad!.toArray()];
      });
      const worst = (got: number[], want: number[]): number => got.reduce((m, g, i) => Math.max(m, Math.abs(g - want[i]!) / Math.max(1, Math.abs(want[i]!))), 0);
      assert.ok(worst(out, c.output) < tol, `${label}: output differs by ${worst(out, c.output)}`);
      assert.ok(worst(grad, c.grad_input) < tol, `${label}: gradient differs by ${worst(grad, c.grad_input)}`);
    }
  }
});
