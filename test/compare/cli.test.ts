/**
 * `stad compare` end to end on the tiny dataset and model (two recipes, one seed, one epoch): the table
 * and compare.json, reuse of finished runs (a second invocation trains nothing: the metrics files are
 * untouched), a resumable run recognised, and the errors a user can cause.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { assertUserError, runCli } from '../helpers.js';
import { tinyConfig, tinyDataset, writeTinyConfig } from '../train/fixture.js';
import { runStage } from '../../src/compare/runs.js';
import { parseRunConfig } from '../../src/train/config.js';

let fx: Awaited<ReturnType<typeof tinyDataset>>;
let bce: string;
let focal: string;
before(async () => {
  fx = await tinyDataset();
  bce = writeTinyConfig(fx, 'bce.json', { epochs: 1, valInterval: 0 });
  focal = writeTinyConfig(fx, 'focal.json', { epochs: 1, valInterval: 0, loss: { name: 'focal_bce' } });
});
after(() => fx.cleanup());

test('stad compare trains and tests each recipe, reports, and reuses finished runs', () => {
  const out = join(fx.dir, 'cmp');
  const r = runCli(['compare', bce, focal, '--seeds', '1', '--out', out, '--resamples', '100'], { env: { CI: 'true' } });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /2 recipes x 1 seeds = 2 runs .*; 2 to train/);
  assert.match(r.stderr, /comparison ETA/);
  assert.match(r.stdout, /^mean ±sd over seeds/);
  assert.match(r.stdout, /oracle-who \(ref\.\)/);
  assert.match(r.stdout, /focal - bce/);
  const json = JSON.parse(readFileSync(join(out, 'compare.json'), 'utf8')) as {
    recipes: { name: string; runs: unknown[]; allMAP: { mean: number }; difference: { allMAP: { perSeed: number[] } } | null }[];
    references: { name: string }[];
    classes: string[];
  };
  assert.deepEqual(json.recipes.map((x) => x.name), ['bce', 'focal']);
  assert.deepEqual(json.references.map((x) => x.name), ['random', 'oracle-who']);
  assert.equal(json.classes.length, 6);
  assert.equal(json.recipes[0]!.difference, null);
  assert.equal(json.recipes[1]!.difference!.allMAP.perSeed.length, 1);
  for (const rec of ['bce', 'focal']) assert.ok(existsSync(join(out, rec, 'seed-0', 'test-last', 'detections.csv')));

  const metrics = ['bce', 'focal'].map((rec) => join(out, rec, 'seed-0', 'metrics.jsonl'));
  const mtimes = metrics.map((f) => statSync(f).mtimeMs);
  const again = runCli(['compare', bce, focal, '--seeds', '1', '--out', out, '--resamples', '100'], { env: { CI: 'true' } });
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stderr, /0 to train, 0 to test only, 2 reused/);
  assert.match(again.stderr, /trained 0 runs, tested 0/);
  assert.deepEqual(metrics.map((f) => statSync(f).mtimeMs), mtimes);
  assert.equal(again.stdout, r.stdout);

  // a finished run folder whose config now asks for more epochs is resumed, not retrained
  const longer = join(fx.dir, 'resumable');
  cpSync(join(out, 'bce', 'seed-0'), longer, { recursive: true });
  const config = parseRunConfig({ ...tinyConfig(fx.data, { epochs: 2, valInterval: 0 }), seed: 0 }, 'test').config;
  writeFileSync(join(longer, 'config.json'), JSON.stringify(config));
  assert.equal(runStage({ recipe: 'bce', seed: 0, dir: longer, config }, 'last'), 'resume');
  assert.equal(runStage({ recipe: 'bce', seed: 0, dir: join(fx.dir, 'absent'), config }, 'last'), 'new');

  // the same folder with another recipe under an existing name is refused, before anything trains
  assertUserError(runCli(['compare', bce, focal, '--seeds', '1', '--out', out, '--set', 'optim.lr=0.01']), /holds a run of a different configuration than recipe 'bce'/);
});

test('stad compare: unknown preset, --seeds < 1, bad --checkpoint, a folder that is not a run: exit 2, one line', () => {
  const out = join(fx.dir, 'never');
  assertUserError(runCli(['compare', bce, 'no_such_preset', '--seeds', '1', '--out', out]), /recipe no_such_preset: no such file and no such preset/);
  assertUserError(runCli(['compare', bce, '--seeds', '0', '--out', out]), /--seeds: expected a positive integer, got "0"$/);
  assertUserError(runCli(['compare', bce, '--seeds', 'x', '--out', out]), /--seeds: expected a positive integer, got "x"$/);
  assertUserError(runCli(['compare', bce, '--seeds', '1', '--checkpoint', 'middle', '--out', out]), /--checkpoint: expected last or best/);
  assertUserError(runCli(['compare', bce, bce, '--seeds', '1', '--out', out]), /recipe 'bce' given twice/);
  assert.ok(!existsSync(out));
  const foreign = join(fx.dir, 'foreign');
  mkdirSync(join(foreign, 'bce', 'seed-0'), { recursive: true });
  writeFileSync(join(foreign, 'bce', 'seed-0', 'notes.txt'), 'mine');
  assertUserError(runCli(['compare', bce, '--seeds', '1', '--out', foreign]), /exists and is not a stad run/);
});
