// The pure parts of bench/train: its command line and the pairing arithmetic (per-pair ratios, their
// median and spread, which side goes first). The timings themselves are the benchmark's job.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_SWEEP, median, parseTrainBenchArgs, stadFirst, summarizePairs } from '../../bench/train/pairs.js';

test('bench/train arguments: defaults, flags, the threads sweep', () => {
  assert.deepEqual(parseTrainBenchArgs([]), { dir: 'data/synth', pairs: 6, steps: 8, keep: false, threadsSweep: null });
  const a = parseTrainBenchArgs(['/tmp/synth', '--pairs', '3', '--steps', '5', '--keep']);
  assert.equal(a.dir, '/tmp/synth');
  assert.equal(a.pairs, 3);
  assert.equal(a.steps, 5);
  assert.equal(a.keep, true);
  assert.deepEqual(parseTrainBenchArgs(['--threads-sweep']).threadsSweep, DEFAULT_SWEEP);
  // settings stop at the first token that is not threads,workers
  const s = parseTrainBenchArgs(['--threads-sweep', '2,1', '1,0', 'some/dir']);
  assert.deepEqual(s.threadsSweep, [
    [2, 1],
    [1, 0],
  ]);
  assert.equal(s.dir, 'some/dir');
});

test('bench/train arguments: bad values are refused', () => {
  assert.throws(() => parseTrainBenchArgs(['--pairs', '0']), /--pairs/);
  assert.throws(() => parseTrainBenchArgs(['--pairs']), /--pairs/);
  assert.throws(() => parseTrainBenchArgs(['--steps', '1']), /--steps needs an integer >= 2/);
  assert.throws(() => parseTrainBenchArgs(['--steps', '2.5']), /--steps/);
  assert.throws(() => parseTrainBenchArgs(['--threads-sweep', '0,1']), /threads must be >= 1/);
  assert.throws(() => parseTrainBenchArgs(['--fast']), /unknown argument --fast/);
  assert.throws(() => parseTrainBenchArgs(['a', 'b']), /one dataset folder/);
});

test('median: odd and even counts, input left unsorted', () => {
  const xs = [3, 1, 2];
  assert.equal(median(xs), 2);
  assert.deepEqual(xs, [3, 1, 2]);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.throws(() => median([]));
});

test('pair summary: per-pair clips/s and CPU ratios, median and spread', () => {
  const pairs = [
    // stad 10 clips/s vs 20: 0.5; CPU per clip stad 0.2, PyTorch 0.1: 0.5
    { stad: { clips: 20, wallS: 2, cpuS: 4 }, torch: { clips: 20, wallS: 1, cpuS: 2 } },
    // 8 vs 8: 1; CPU 0.1 vs 0.1: 1
    { stad: { clips: 16, wallS: 2, cpuS: 1.6 }, torch: { clips: 16, wallS: 2, cpuS: 1.6 } },
    // 12 vs 10: 1.2; CPU 0.05 vs 0.1: 2
    { stad: { clips: 24, wallS: 2, cpuS: 1.2 }, torch: { clips: 20, wallS: 2, cpuS: 2 } },
  ];
  const s = summarizePairs(pairs);
  const close = (a: number, b: number) => assert.ok(Math.abs(a - b) < 1e-9, `${a} vs ${b}`);
  [0.5, 1, 1.2].forEach((r, i) => close(s.ratios[i]!, r));
  close(s.ratio.median, 1);
  close(s.ratio.min, 0.5);
  close(s.ratio.max, 1.2);
  [0.5, 1, 2].forEach((r, i) => close(s.cpuRatios[i]!, r));
  close(s.cpuRatio.median, 1);
  close(s.stadClipsPerS.median, 10);
  close(s.torchClipsPerS.median, 10);
  close(s.torchClipsPerS.max, 20);
});

test('pairs alternate which side goes first', () => {
  assert.deepEqual([0, 1, 2, 3].map(stadFirst), [true, false, true, false]);
});
