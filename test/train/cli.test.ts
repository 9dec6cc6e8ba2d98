/** `stad train`: a short run end to end, and the errors a user can cause (exit 2, one line, nothing written). */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { assertUserError, runCli } from '../helpers.js';
import { tinyConfig, tinyDataset, writeTinyConfig } from './fixture.js';

let fx: Awaited<ReturnType<typeof tinyDataset>>;
let cfg: string;
before(async () => {
  fx = await tinyDataset();
  cfg = writeTinyConfig(fx, 'tiny.json', { epochs: 1 });
});
after(() => fx.cleanup());

test('stad train runs, writes config.json, metrics.jsonl and latest.safetensors, and --resume continues', () => {
  const out = join(fx.dir, 'run-ok');
  const r = runCli(['train', '--config', cfg, '--out', out, '--batch-size', '2'], { env: { CI: 'true' } });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /lr 0\.025 = 0\.05 x 2 \/ 4 \(scaled linearly/);
  assert.match(r.stdout, /^done: 1 epochs, \d+ iterations/);
  const saved = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')) as { batchSize: number; epochs: number };
  assert.equal(saved.batchSize, 2);
  const metrics = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { type: string; loss?: number });
  assert.ok(metrics.some((m) => m.type === 'train' && Number.isFinite(m.loss)));
  assert.ok(existsSync(join(out, 'latest.safetensors')));
  // the same --out again is refused (it is a run: --resume it)
  assertUserError(runCli(['train', '--config', cfg, '--out', out]), /already holds a stad run; continue it with --resume/);
  // a backbone checkpoint that does not fit the model: refused before anything is written
  const never = join(fx.dir, 'never3');
  assertUserError(
    runCli(['train', '--config', cfg, '--out', never, '--set', 'model.backbone.baseChannels=8', '--load-from', join(out, 'latest.safetensors')]),
    /latest\.safetensors \(backbone\.\*\) does not match the model/,
  );
  assert.ok(!existsSync(never));
  const again = runCli(['train', '--resume', out, '--epochs', '2'], { env: { CI: 'true' } });
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout, /^done: 2 epochs/);
});

test('stad train: bad config, bad --set, unknown preset, missing --config: exit 2, one line, no run folder', () => {
  const out = join(fx.dir, 'never');
  const bad = join(fx.dir, 'bad.json');
  writeFileSync(bad, JSON.stringify({ ...tinyConfig(fx.data), optim: { name: 'sgd', lr: 0, lrBatchSize: 4 } }));
  assertUserError(runCli(['train', '--config', bad, '--out', out]), /bad\.json: optim\.lr: expected a positive number$/);
  assertUserError(runCli(['train', '--config', cfg, '--out', out, '--set', 'optim.lr=-1']), /tiny\.json: optim\.lr: expected a positive number$/);
  assertUserError(runCli(['train', '--config', cfg, '--out', out, '--set', 'optim.bogus=1']), /tiny\.json: optim: unknown field 'bogus'$/);
  assertUserError(runCli(['train', '--config', 'nope', '--out', out]), /--config nope: no such file and no such preset/);
  assertUserError(runCli(['train', '--out', out]), /--config: required/);
  assertUserError(runCli(['train', '--config', cfg, '--out', out, '--epochs', '0']), /--epochs: expected a positive integer/);
  assert.ok(!existsSync(out));
});

test('stad train: dataset problems and a refused --out: exit 2, one line, nothing written', () => {
  const out = join(fx.dir, 'never2');
  assertUserError(runCli(['train', '--config', cfg, '--out', out, '--set', 'data.testSplit=val']), /has no split 'val'/);
  assertUserError(runCli(['train', '--config', cfg, '--out', out, '--data', join(fx.dir, 'nowhere')]), /no dataset folder here/);
  // a dataset whose class count differs from the model's
  assertUserError(runCli(['train', '--config', cfg, '--out', out, '--set', 'model.head.numClasses=5']), /model\.head\.numClasses: 5 but the dataset has 7 classes/);
  assert.ok(!existsSync(out));
  // a missing frame
  const broken = join(fx.dir, 'broken');
  copyDir(fx.data, broken);
  const seq = join(broken, 'images', 'train', 'seq1');
  const victim = readdirSync(seq).sort()[10]!;
  rmSync(join(seq, victim));
  assertUserError(runCli(['train', '--config', cfg, '--out', out, '--data', broken]), new RegExp(`frame \\d+ of video 'seq1' is missing`));
  assert.ok(!existsSync(out));
  // a non-empty folder that is not a run
  const other = join(fx.dir, 'other');
  mkdirSync(other);
  writeFileSync(join(other, 'notes.txt'), 'mine');
  assertUserError(runCli(['train', '--config', cfg, '--out', other]), /exists, is not empty and is not a stad run/);
  assert.deepEqual(readdirSync(other), ['notes.txt']);
  assertUserError(runCli(['train', '--resume', other]), /not a stad run \(no config\.json\)/);
});

function copyDir(from: string, to: string): void {
  mkdirSync(to, { recursive: true });
  for (const e of readdirSync(from, { withFileTypes: true })) {
    if (e.isDirectory()) copyDir(join(from, e.name), join(to, e.name));
    else writeFileSync(join(to, e.name), readFileSync(join(from, e.name)));
  }
}
