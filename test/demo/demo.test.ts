/**
 * `stad demo` end to end at the tests' size (STAD_DEMO_SIZE=tiny: a 64x48 dataset at 2 % of the
 * reference counts, the tests' tiny model, one epoch): the dataset's statistics, the comparison in
 * the reference's form with all_mAP for every recipe, the report, a second run that reuses the
 * dataset and every run (trains and tests nothing), and a third after one recipe changed (only it
 * trains again). Then the errors a user can cause.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, tempDir } from '../helpers.js';
import { DEMO_RECIPES } from '../../src/demo/recipes.js';

let cwd: string;
let cleanup: () => void;
before(() => {
  ({ dir: cwd, cleanup } = tempDir('stad-demo-'));
});
after(() => cleanup());

const env = { CI: 'true', STAD_DEMO_SIZE: 'tiny' };
const names = DEMO_RECIPES.map((r) => r.name);

test('stad demo: dataset, statistics, every recipe trained and tested side by side, the report; a re-run reuses it all', () => {
  const r = runCli(['demo'], { cwd, env });
  assert.equal(r.code, 0, r.stderr);
  // progress: every step with the whole demo's ETA
  assert.match(r.stderr, /^libtorch .* threads/m);
  assert.match(r.stderr, /\[demo 1\/8, \d+:\d\d elapsed, ETA \d+:\d\d\] the built-in dataset in data\/synth-tiny/);
  assert.match(r.stderr, /generated the built-in dataset in .*synth-tiny: \d+ frames/);
  assert.match(r.stderr, /3 recipes x 1 seeds = 3 runs .*; 3 to train, 0 to test only, 0 reused/);
  for (const n of names) {
    assert.match(r.stderr, new RegExp(`\\] training ${n}\\n`));
    assert.match(r.stderr, new RegExp(`\\] testing ${n} on the test videos\\n`));
  }
  assert.match(r.stderr, /\[demo 8\/8, .*\] writing the report/);
  assert.match(r.stderr, /trained 3 runs, tested 3, reused 0/);

  // the statistics, as stad stats prints them
  assert.match(r.stdout, /Labelled boxes per class/);
  assert.match(r.stdout, /^kick\s+\d+/m);
  // the comparison in the reference's form: one column per recipe and reference
  const header = r.stdout.split('\n').find((l) => /^\s+bce\s+focal_bn/.test(l));
  assert.ok(header, r.stdout);
  assert.deepEqual(header.trim().split(/\s{2,}/), [...names, 'random (ref.)', 'oracle-who (ref.)']);
  for (const v of ['seq5', 'seq10', 'seq15', 'seq20']) assert.match(r.stdout, new RegExp(`^Evaluating ${v} with \\d+ keyframes$`, 'm'));
  const allMap = r.stdout.split('\n').find((l) => l.startsWith('all_mAP@0.5IOU:'));
  assert.ok(allMap);
  const values = allMap.slice('all_mAP@0.5IOU:'.length).trim().split(/\s+/).map(Number);
  assert.equal(values.length, names.length + 2);
  for (const v of values) assert.ok(v >= 0 && v <= 1, allMap);
  assert.match(r.stdout, /^PerformanceByCategory\/AP@0\.5IOU\/punch=/m);
  // compare's table with intervals and the paired differences
  assert.match(r.stdout, /^mean ±sd over seeds/m);
  assert.match(r.stdout, /focal_bn - bce/);

  const out = join(cwd, 'runs', 'demo-tiny');
  const report = join(out, 'report.html');
  assert.match(r.stdout, new RegExp(`^Report: ${report.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm'));
  const html = readFileSync(report, 'utf8');
  assert.match(html, /^<!doctype html>/i);
  for (const n of names) assert.ok(html.includes(n), n);
  for (const n of names) {
    assert.ok(existsSync(join(out, 'recipes', `${n}.json`)));
    assert.ok(existsSync(join(out, 'compare', n, 'seed-0', 'test-last', 'detections.csv')));
  }
  const recipe = JSON.parse(readFileSync(join(out, 'recipes', 'best.json'), 'utf8')) as { loss: { classWeights: string }; epochs: number; data: { dir: string } };
  assert.equal(recipe.epochs, 1);
  assert.equal(recipe.data.dir, 'data/synth-tiny');

  // again: nothing is generated, trained or tested; the same figures
  const files = [...names.map((n) => join(out, 'compare', n, 'seed-0', 'metrics.jsonl')), join(cwd, 'data', 'synth-tiny', 'dataset.json'), join(out, 'recipes', 'bce.json')];
  const mtimes = files.map((f) => statSync(f).mtimeMs);
  const again = runCli(['demo'], { cwd, env });
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stderr, /reusing the built-in dataset/);
  assert.match(again.stderr, /0 to train, 0 to test only, 3 reused/);
  assert.match(again.stderr, /reused all 3 finished runs/);
  assert.doesNotMatch(again.stderr, /\] training /);
  assert.deepEqual(files.map((f) => statSync(f).mtimeMs), mtimes);
  const figures = (s: string): string => s.slice(s.indexOf('Test videos'), s.indexOf('Report: '));
  assert.equal(figures(again.stdout), figures(r.stdout));
  assert.ok(existsSync(report));

  // a recipe that changed since its runs were trained: they move aside, and only it trains again
  const config = join(out, 'compare', 'best', 'seed-0', 'config.json');
  writeFileSync(config, JSON.stringify({ ...(JSON.parse(readFileSync(config, 'utf8')) as object), epochs: 2 }));
  const third = runCli(['demo'], { cwd, env });
  assert.equal(third.code, 0, third.stderr);
  assert.match(third.stderr, /recipe best changed since its runs were trained: moved them to .*stale\/best-/);
  assert.match(third.stderr, /1 to train, 0 to test only, 2 reused/);
  assert.match(third.stderr, /\] training best\n/);
  assert.doesNotMatch(third.stderr, /\] training bce\n/);
});

function assertUserError(r: { code: number; stderr: string }, re: RegExp): void {
  assert.equal(r.code, 2, r.stderr);
  const errors = r.stderr.trim().split('\n').filter((l) => l.startsWith('stad: '));
  assert.equal(errors.length, 1, r.stderr);
  assert.match(errors[0]!, re);
}

test('stad demo: a folder holding another dataset, a bad STAD_DEMO_SIZE, a missing --data: exit 2, one line, nothing written', () => {
  const { dir, cleanup: done } = tempDir('stad-demo-err-');
  try {
    const data = join(dir, 'data', 'synth-tiny');
    mkdirSync(data, { recursive: true });
    writeFileSync(join(data, 'notes.txt'), 'mine');
    assertUserError(runCli(['demo'], { cwd: dir, env }), /data\/synth-tiny: exists and holds no dataset\.json of stad synth/);
    writeFileSync(join(data, 'dataset.json'), JSON.stringify({ name: 'stad-synth', scale: 0.5, seed: 3, width: 64, height: 48, fps: 5 }));
    assertUserError(runCli(['demo'], { cwd: dir, env }), /dataset\.json: a different built-in dataset \(scale 0\.5 instead of 0\.02\)/);
    assertUserError(runCli(['demo'], { cwd: dir, env: { ...env, STAD_DEMO_SIZE: 'huge' } }), /STAD_DEMO_SIZE: expected 'tiny' or unset/);
    assertUserError(runCli(['demo', '--data', join(dir, 'absent')], { cwd: dir, env }), /--data .*absent: no such folder/);
    assertUserError(runCli(['demo', '--log-every', '0'], { cwd: dir, env }), /--log-every: expected a positive integer/);
    assert.ok(!existsSync(join(dir, 'runs')));
  } finally {
    done();
  }
});
