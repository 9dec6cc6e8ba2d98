/** stad report without a browser: input validation, the curves, the example choice, the CLI. */
import assert from 'node:assert/strict';
import { appendFileSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { readCompareInput } from '../../src/report/compare-input.js';
import { contender, findCases, outcome } from '../../src/report/examples-section.js';
import { escapeHtml, htmlTable } from '../../src/report/html.js';
import { CONFIG_FILE, METRICS_FILE, readRuns, type PredictedBox } from '../../src/report/runs.js';
import * as checkpoint from '../../src/train/checkpoint.js';
import { trainCurve } from '../../src/report/training-section.js';
import { UserError } from '../../src/util/errors.js';
import { runCli, tempDir, withTempFile } from '../helpers.js';
import { compareJson, reportFixture, type ReportFixture } from './fixture.js';

let fx: ReportFixture;
before(async () => {
  fx = await reportFixture();
});
after(() => fx?.cleanup());

describe('run folders', () => {
  test("the file names are stad train's", () => {
    assert.equal(CONFIG_FILE, checkpoint.CONFIG_FILE);
    assert.equal(METRICS_FILE, checkpoint.METRICS_FILE);
  });

  test('reads config, metrics and the test outputs', () => {
    const [bce, focal] = readRuns(fx.runs);
    assert.equal(bce!.name, 'bce');
    assert.equal(bce!.train.length, 48);
    assert.deepEqual(bce!.val.map((v) => v.epoch), [1, 2, 3, 4]);
    assert.ok(focal!.test!.boxes!.size > 0);
    assert.equal(focal!.test!.perClass.size, 6);
    const box = [...focal!.test!.boxes!.values()][0]![0]!;
    assert.equal(box.scores.size, 6, 'the six rows of one box are grouped into one box');
  });

  test('a folder that is not a run, or without metrics, is one UserError naming the file', () => {
    const { dir, cleanup } = tempDir();
    try {
      assert.throws(() => readRuns([dir]), (e: unknown) => e instanceof UserError && e.message.includes(dir) && e.message.includes('config.json'));
      mkdirSync(join(dir, 'run'));
      writeFileSync(join(dir, 'run', 'config.json'), readFileSync(join(fx.runs[0]!, 'config.json')));
      assert.throws(() => readRuns([join(dir, 'run')]), (e: unknown) => e instanceof UserError && e.message.includes(join(dir, 'run', 'metrics.jsonl')));
      writeFileSync(join(dir, 'run', 'metrics.jsonl'), '{"type":"train","epoch":1,"batch":1,"iter":1,"loss":"x","lr":0.1}\n{}\n');
      assert.throws(() => readRuns([join(dir, 'run')]), /metrics\.jsonl: line 1: loss/);
    } finally {
      cleanup();
    }
  });

  test('runs sharing a folder name are told apart by their parent (stad compare: <recipe>/seed-<n>)', () => {
    const { dir, cleanup } = tempDir();
    try {
      const dirs = ['bce', 'focal'].map((r) => join(dir, r, 'seed-0'));
      for (const d of dirs) {
        mkdirSync(d, { recursive: true });
        for (const f of ['config.json', 'metrics.jsonl']) writeFileSync(join(d, f), readFileSync(join(fx.runs[0]!, f)));
      }
      assert.deepEqual(readRuns([...dirs, dirs[0]!]).map((r) => r.name), ['bce/seed-0', 'focal/seed-0', 'bce/seed-0 (2)']);
    } finally {
      cleanup();
    }
  });

  test('a partial last line (a run killed mid-write) is skipped', () => {
    const { dir, cleanup } = tempDir();
    try {
      const run = join(dir, 'run');
      mkdirSync(run);
      writeFileSync(join(run, 'config.json'), readFileSync(join(fx.runs[0]!, 'config.json')));
      writeFileSync(join(run, 'metrics.jsonl'), readFileSync(join(fx.runs[0]!, 'metrics.jsonl')));
      appendFileSync(join(run, 'metrics.jsonl'), '{"type":"tra');
      const [r] = readRuns([run]);
      assert.equal(r!.train.length, 48);
      assert.equal(r!.test, null);
    } finally {
      cleanup();
    }
  });
});

test('compare.json: the input contract is validated, with the field named', () => {
  const classes = fx.dataset.classes.slice(1);
  withTempFile('compare.json', compareJson(classes), (p) => assert.equal(readCompareInput(p).recipes.length, 2));
  const bad = JSON.parse(compareJson(classes)) as { recipes: { allMAP: { ci: number[] } }[] };
  bad.recipes[1]!.allMAP.ci = [0.9, 0.8];
  withTempFile('compare.json', JSON.stringify(bad), (p) => assert.throws(() => readCompareInput(p), /compare\.json: recipes\[1\]\.allMAP\.ci: expected \[lo, hi\] with lo <= hi/));
  withTempFile('compare.json', '{"bootstrap": {"level": 2}, "recipes": []}', (p) => assert.throws(() => readCompareInput(p), /compare\.json: bootstrap\["level"\]: Too big/));
});

test('training curves are binned to at most maxPoints per run, on a fractional-epoch axis', () => {
  const lines = Array.from({ length: 1000 }, (_, i) => ({ type: 'train' as const, epoch: Math.floor(i / 500) + 1, batch: (i % 500) + 1, iter: i + 1, loss: i < 500 ? 1 : 3, lr: 0.1 }));
  const pts = trainCurve('r', lines, 100);
  assert.equal(pts.length, 100);
  assert.ok(Math.abs(pts[49]!.epoch - 1) < 1e-9);
  assert.ok(Math.abs(pts[99]!.epoch - 2) < 1e-9);
  assert.equal(pts[0]!.loss, 1);
  assert.equal(pts[99]!.loss, 3);
});

test('outcome: the predicted box overlapping most decides, by its top class', () => {
  const box = (b: [number, number, number, number], s: [string, number][]): PredictedBox => ({ box: b, scores: new Map(s) });
  const gt: [number, number, number, number] = [0.1, 0.1, 0.5, 0.9];
  const preds = [box([0.6, 0.1, 0.9, 0.9], [['kick', 0.9]]), box([0.12, 0.1, 0.5, 0.9], [['kick', 0.3], ['push', 0.6]])];
  assert.deepEqual({ ...outcome(gt, ['push'], preds), box: null }, { top: 'push', topScore: 0.6, trueScore: 0.6, right: true, box: null });
  assert.equal(outcome(gt, ['kick'], preds).right, false);
  assert.equal(outcome(gt, ['kick'], [preds[0]!]).top, null, 'no box with IoU >= 0.5: missed');
});

test('examples: cases the baseline gets wrong and the other run right, and the reverse, one per keyframe', () => {
  const runs = readRuns(fx.runs);
  assert.equal(contender(runs)?.name, 'focal_bn');
  const { fixed, broken } = findCases(fx.dataset.splits.test!, fx.dataset.classes, runs[0]!, runs[1]!, 50);
  assert.ok(fixed.length > 0 && broken.length > 0);
  for (const c of fixed) assert.ok(!c.baseline.right && c.other.right);
  for (const c of broken) assert.ok(c.baseline.right && !c.other.right);
  const keys = fixed.map((c) => `${c.video.name}/${c.frameNumber}`);
  assert.equal(new Set(keys).size, keys.length);
  assert.equal(findCases(fx.dataset.splits.test!, fx.dataset.classes, runs[0]!, runs[1]!, 2).fixed.length, 2);
});

test('html: names from files are escaped', () => {
  assert.equal(escapeHtml('<b a="1">&\''), '&lt;b a=&quot;1&quot;&gt;&amp;&#39;');
  assert.match(htmlTable(['<x>'], [['<script>']]), /&lt;script&gt;/);
});

describe('stad report (CLI)', () => {
  test('writes one self-contained file', () => {
    const out = join(fx.dir, 'cli', 'report.html');
    const r = runCli(['report', ...fx.runs, '--data', fx.data, '-o', out, '--examples', '2']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /wrote .*report\.html/);
    const html = readFileSync(out, 'utf8');
    assert.ok(!/(src|href)="(https?:)?\/\//.test(html), 'nothing loaded from the network');
    assert.equal((html.match(/<figure class="example">/g) ?? []).length, 4);
    assert.deepEqual(readdirSync(join(fx.dir, 'cli')), ['report.html'], 'no temporary file left');
  });

  test('bad input: one line naming the file, exit 2, nothing written', () => {
    const out = join(fx.dir, 'bad', 'report.html');
    const r = runCli(['report', fx.data, '-o', out]);
    assert.equal(r.code, 2);
    assert.equal(r.stderr.trim().split('\n').length, 1);
    assert.match(r.stderr, /not a stad run \(no config\.json/);
    assert.equal(existsSync(out), false);
    assert.equal(runCli(['report', fx.runs[0]!, '--examples', 'x']).code, 2);
  });
});
