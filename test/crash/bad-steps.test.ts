/**
 * What training does with bad steps and bad data: a non-finite loss is skipped (no update) and reported,
 * N in a row stop the run naming the last good checkpoint; a corrupt frame stops the run naming the
 * clip (video, time), or with data.onBadClip 'skip' is left out and counted.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readSafetensors } from '../../src/serialization/safetensors.js';
import { tinyConfig, tinyDataset } from '../train/fixture.js';
import { stadTrain } from './run-files.js';

let fx: Awaited<ReturnType<typeof tinyDataset>>;
let cfg: string;
before(async () => {
  fx = await tinyDataset();
  cfg = join(fx.dir, 'tiny.json');
  writeFileSync(cfg, JSON.stringify(tinyConfig(fx.data, { epochs: 1, checkpointEvery: 2, data: { ...tinyConfig(fx.data).data, valBoxes: 'gt' } })));
});
after(() => fx.cleanup());

function metrics(dir: string): { type: string; iter: number; skippedClips?: number; reason?: string }[] {
  return readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { type: string; iter: number });
}

function allFinite(file: string): boolean {
  const { tensors } = readSafetensors(file);
  return Object.values(tensors).every((t) => t.dtype !== 'F32' || new Float32Array(t.data.buffer.slice(t.data.byteOffset, t.data.byteOffset + t.data.byteLength)).every(Number.isFinite));
}

test('a non-finite loss: the step is skipped and reported, training goes on with finite weights', () => {
  const out = join(fx.dir, 'one-nan');
  const r = stadTrain(['--config', cfg, '--out', out], { STAD_TEST_NONFINITE: '3' });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /epoch 1 batch 3 \(iteration 3\): loss NaN: step skipped \(no update\)/);
  const skipped = metrics(out).filter((m) => m.type === 'skipped-step');
  assert.deepEqual(skipped.map((m) => m.iter), [3]);
  assert.ok(allFinite(join(out, 'latest.safetensors')));
});

test('maxNonFinite non-finite steps in a row stop the run, naming the last good checkpoint', () => {
  const out = join(fx.dir, 'many-nan');
  const r = stadTrain(['--config', cfg, '--out', out, '--set', 'maxNonFinite=3'], { STAD_TEST_NONFINITE: '5,6,7,8' });
  assert.equal(r.code, 2, r.stderr);
  const errors = r.stderr.trim().split('\n').filter((l) => l.startsWith('stad: '));
  assert.equal(errors.length, 1, r.stderr);
  assert.match(errors[0]!, /epoch 1 batch 7 \(iteration 7\): loss NaN; 3 steps in a row skipped, so the run stopped \(maxNonFinite 3\)\. Last good checkpoint: .*latest\.safetensors \(epoch 1, after batch 4\)\./);
  assert.ok(allFinite(join(out, 'latest.safetensors')));
});

test('a corrupt frame: the run stops naming the video and time; with data.onBadClip "skip" the clip is left out and counted', () => {
  const data = join(fx.dir, 'corrupt');
  cpSync(fx.data, data, { recursive: true });
  const seq = join(data, 'images', 'train', 'seq1');
  // every frame of one video: each of its clips is bad wherever the sampler looks
  for (const f of readdirSync(seq)) writeFileSync(join(seq, f), Buffer.from('not a JPEG at all'));
  const stop = stadTrain(['--config', cfg, '--out', join(fx.dir, 'bad-stop'), '--data', data]);
  assert.equal(stop.code, 2, stop.stderr);
  assert.match(stop.stderr.trim().split('\n').pop()!, /^stad: video 'seq1' at \d+\.\d\d s \(keyframe \d+\): .*\(data\.onBadClip 'skip' leaves such clips out\)$/);

  const out = join(fx.dir, 'bad-skip');
  const skip = stadTrain(['--config', cfg, '--out', out, '--data', data, '--set', 'data.onBadClip=skip', '--log-every', '1']);
  assert.equal(skip.code, 0, skip.stderr);
  assert.match(skip.stderr, /skipped video 'seq1' at \d+\.\d\d s \(keyframe \d+\): .* \(1 skipped so far\)/);
  assert.match(skip.stderr, / skipped clips \d+/);
  const counts = metrics(out).filter((m) => m.type === 'train').map((m) => m.skippedClips ?? 0);
  assert.ok(counts[counts.length - 1]! > 0, `skippedClips per step: ${counts.join(' ')}`);
  assert.ok(allFinite(join(out, 'latest.safetensors')));
});
