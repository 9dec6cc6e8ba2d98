import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { fixtures, runCli, sharedFixtures, tempDir } from '../helpers.js';
import { loadDataset } from '../../src/data/dataset.js';
import { computeStats, effectiveNumberWeights, formatStatsTable, inverseFrequencyWeights, statsToJson } from '../../src/data/stats.js';
import { classCountsSpec, renderVegaLite } from '../../src/report/charts.js';

const ref = join(fixtures, 'data', 'ref-style');
const close = (a: number, b: number, eps = 1e-9): void => assert.ok(Math.abs(a - b) <= eps, `${a} != ${b}`);

test('class counts per split are exact; a box with two labels counts for both; None is apart', async () => {
  const st = computeStats(await loadDataset(ref));
  assert.deepEqual(st.classes, ['handshake', 'point', 'hug', 'push', 'kick', 'punch']);
  assert.equal(st.background, 'None');
  const train = st.splits.train!;
  const test = st.splits.test!;
  assert.deepEqual(train.counts, [3, 0, 1, 1, 0, 0]);
  assert.deepEqual(test.counts, [0, 2, 0, 0, 0, 2]);
  assert.deepEqual([train.boxes, train.actionBoxes, train.backgroundBoxes, train.unlabelledBoxes, train.keyframes, train.labels], [5, 4, 1, 0, 3, 5]);
  assert.deepEqual(train.share, [0.6, 0, 0.2, 0.2, 0, 0]);
  assert.equal(train.largestToSmallest, 3);
  assert.deepEqual(train.absentClasses, ['point', 'kick', 'punch']);
  assert.equal(train.cooccurrence[0]![2], 1); // handshake + hug on one box
  assert.equal(train.cooccurrence[2]![0], 1);
  assert.equal(train.cooccurrence[0]![0], 3);
  assert.equal(test.cooccurrence[1]![5], 1); // point + punch
  assert.deepEqual(
    st.videos.map((v) => [v.name, v.split, v.boxes, v.keyframes, v.people, v.backgroundBoxes, v.proposals]),
    [
      ['seqA', 'train', 5, 3, 2, 1, 4],
      ['seqB', 'test', 3, 2, 2, 0, null],
    ],
  );
  assert.deepEqual(st.skipped, { temporalSegment: 0, fileLevel: 1, nonRectangle: 2, otherFile: 0 });
});

test('class weights: inverse frequency and effective number, from train, summing to the number of present classes', async () => {
  const st = computeStats(await loadDataset(ref));
  assert.equal(st.weights.basis, 'train');
  const inv = st.weights.inverseFrequency;
  [3 / 7, 0, 9 / 7, 9 / 7, 0, 0].forEach((w, i) => close(inv[i]!, w));
  for (const w of Object.values(st.weights.effectiveNumber)) close(w.reduce((a, b) => a + b, 0), 3);
  // Cui et al.: (1 - beta) / (1 - beta^n), by hand for n = 1000 and 10 at beta = 0.999.
  const en = effectiveNumberWeights([1000, 10], 0.999);
  close(en[0]!, 0.031, 5e-4);
  close(en[1]!, 1.969, 5e-4);
  // Large beta tends to inverse frequency, small beta to equal weights.
  const inv2 = inverseFrequencyWeights([1000, 10]);
  close(effectiveNumberWeights([1000, 10], 0.9999999)[0]!, inv2[0]!, 1e-4);
  close(effectiveNumberWeights([1000, 10], 0.01)[0]!, 1, 1e-6);
});

test('the table lists every class and video; the JSON has classes and per-split counts by name', async () => {
  const st = computeStats(await loadDataset(ref));
  const text = formatStatsTable(st);
  for (const s of ['handshake', 'punch', 'seqA', 'seqB', 'handshake + hug: 1', 'largest/smallest class 3.00']) assert.ok(text.includes(s), s);
  const json = statsToJson(st) as { classes: string[]; splits: Record<string, Record<string, number>> };
  assert.deepEqual(json.classes, st.classes);
  assert.deepEqual(json.splits.test, { handshake: 0, point: 2, hug: 0, push: 0, kick: 0, punch: 2 });
});

test('the grouped bar chart renders to SVG with text and to a PNG', async () => {
  const chart = await renderVegaLite(classCountsSpec(['a', 'bb'], { train: [5, 2], test: [1, 0] }));
  assert.match(chart.svg, /^<svg/);
  assert.match(chart.svg, /<text[^>]*>bb<\/text>/);
  // One bar per class and split, side by side, each labelled with its data.
  const bars = [...chart.svg.matchAll(/aria-label="([^"]*)"[^>]*aria-roledescription="bar"/g)].map((m) => m[1]);
  assert.deepEqual(bars, ['class: a; boxes: 5; split: train', 'class: a; boxes: 1; split: test', 'class: bb; boxes: 2; split: train', 'class: bb; boxes: 0; split: test']);
  const meta = await sharp(chart.png).metadata();
  assert.equal(meta.format, 'png');
  assert.ok(meta.width! > 300 && meta.height! > 200);
});

test('stad stats --json prints the stable shape and writes the chart and stats.json', () => {
  const t = tempDir();
  try {
    const r = runCli(['stats', '--data', ref, '--json', '--out', t.dir]);
    assert.equal(r.code, 0, r.stderr);
    const json = JSON.parse(r.stdout) as { classes: string[]; splits: Record<string, Record<string, number>>; classWeights: { inverseFrequency: Record<string, number> } };
    assert.deepEqual(json.classes, ['handshake', 'point', 'hug', 'push', 'kick', 'punch']);
    assert.deepEqual(json.splits.train, { handshake: 3, point: 0, hug: 1, push: 1, kick: 0, punch: 0 });
    assert.deepEqual(Object.keys(json.splits), ['train', 'test']);
    assert.match(readFileSync(join(t.dir, 'class_counts.svg'), 'utf8'), /handshake/);
    assert.deepEqual([...readFileSync(join(t.dir, 'class_counts.png')).subarray(1, 4)], [0x50, 0x4e, 0x47]);
    assert.deepEqual(JSON.parse(readFileSync(join(t.dir, 'stats.json'), 'utf8')), json);
    const table = runCli(['stats', '--data', ref, '--no-chart']);
    assert.equal(table.code, 0);
    assert.match(table.stdout, /^class\s+train\s+share\s+test\s+share/m);
  } finally {
    t.cleanup();
  }
});

test('stad stats on a missing folder or a broken project: one line on stderr, exit code 2', () => {
  const r = runCli(['stats', '--data', join(fixtures, 'data', 'no-such'), '--no-chart']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /^stad: .*no-such: no dataset folder here/);
  assert.equal(r.stderr.trim().split('\n').length, 1);
  const t = tempDir();
  try {
    cpSync(ref, t.dir, { recursive: true });
    cpSync(join(fixtures, 'data', 'bad', 'unknown-option.json'), join(t.dir, 'annotations', 'test', 'seqB.json'));
    const u = runCli(['stats', '--data', t.dir, '--no-chart']);
    assert.equal(u.code, 2);
    assert.match(u.stderr, /^stad: .*seqB\.json: metadata\["2_k0000002"\]\.av\["1"\]: option id "9" is not an option/);
    assert.equal(u.stderr.trim().split('\n').length, 1);
  } finally {
    t.cleanup();
  }
});

test('on a generated dataset at the reference scale the counts come out exactly', async () => {
  const { mkdirSync, writeFileSync } = await import('node:fs');
  const { serializeVia3Project } = await import('../../src/data/via3/write.js');
  const classes = ['None', 'handshake', 'point', 'hug', 'push', 'kick', 'punch'];
  const want: Record<string, number[]> = { train: [1011, 709, 757, 358, 250, 320], test: [243, 132, 209, 95, 64, 94] };
  const videos: Record<string, string[]> = { train: ['seq1', 'seq2', 'seq3', 'seq4'], test: ['seq5', 'seq10'] };
  const t = tempDir();
  try {
    for (const [split, counts] of Object.entries(want)) {
      // One label set per box: single labels, then 40 handshake boxes merged with 40 hug boxes, then 100 None.
      const sets: number[][] = counts.flatMap((n, c) => Array.from({ length: n }, () => [c + 1]));
      const hs = sets.filter((s) => s[0] === 1).slice(0, 40);
      const hug = new Set(sets.filter((s) => s[0] === 3).slice(0, 40));
      hs.forEach((s) => s.push(3));
      const labelSets = [...sets.filter((s) => !hug.has(s)), ...Array.from({ length: 100 }, () => [0])];
      mkdirSync(join(t.dir, 'annotations', split), { recursive: true });
      videos[split]!.forEach((video, vi) => {
        const mine = labelSets.filter((_, i) => i % videos[split]!.length === vi);
        const boxes = mine.map((labels, i) => ({ frameIndex: 1 + Math.floor(i / 3), box: [i % 3, 0, (i % 3) + 10, 20] as const, labels }));
        writeFileSync(join(t.dir, 'annotations', split, `${video}.json`), serializeVia3Project(boxes, { style: 'image', videoId: video, classes }));
      });
    }
    const r = runCli(['stats', '--data', t.dir, '--json', '--no-chart']);
    assert.equal(r.code, 0, r.stderr);
    const json = JSON.parse(r.stdout) as { splits: Record<string, Record<string, number>>; splitDetails: Record<string, { boxes: number; backgroundBoxes: number; cooccurrence: number[][] }> };
    for (const [split, counts] of Object.entries(want)) {
      assert.deepEqual(json.splits[split], Object.fromEntries(classes.slice(1).map((c, i) => [c, counts[i]])));
      const d = json.splitDetails[split]!;
      assert.equal(d.boxes, counts.reduce((a, b) => a + b, 0) - 40 + 100);
      assert.equal(d.backgroundBoxes, 100);
      assert.equal(d.cooccurrence[0]![2], 40);
    }
  } finally {
    t.cleanup();
  }
});

test('real VIA3 projects with temporal segments only: no classes, every entry counted as skipped, and convert refuses', async () => {
  const { mkdirSync } = await import('node:fs');
  const t = tempDir();
  try {
    const real = (name: string): string => join(sharedFixtures, 'via3', `vital-ultrasound_ai-echocardiography-for-low-resource-countries__${name}`);
    mkdirSync(join(t.dir, 'annotations', 'train'), { recursive: true });
    mkdirSync(join(t.dir, 'annotations', 'test'), { recursive: true });
    cpSync(real('01NVb-003-070-2-4CV.json'), join(t.dir, 'annotations', 'train', 'a.json'));
    cpSync(real('01NVb_003_072_T2_4CV.json'), join(t.dir, 'annotations', 'test', 'b.json'));
    const st = computeStats(await loadDataset(t.dir));
    assert.deepEqual(st.classes, []);
    assert.equal(st.skipped.temporalSegment, 4 + 3);
    assert.match(formatStatsTable(st), /No project has an action attribute/);
    const r = runCli(['convert', 'via3-to-ava', '--data', t.dir, '--out', join(t.dir, 'ava')]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /no project has a CHECKBOX action attribute on regions; nothing to convert/);
    // A project of four videos cannot stand for one video of the dataset.
    cpSync(real('via_project_06Oct2021_19h11m26s.json'), join(t.dir, 'annotations', 'test', 'c.json'));
    await assert.rejects(loadDataset(t.dir), /c\.json: file: refers to 4 videos .*one project per video/);
  } finally {
    t.cleanup();
  }
});
