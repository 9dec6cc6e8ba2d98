import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fixtures, runCli, sharedFixtures, tempDir } from '../helpers.js';
import { loadDataset, type Dataset } from '../../src/data/dataset.js';
import { AVA_SIDECAR, avaToVia3, via3ToAva } from '../../src/data/convert.js';
import { formatLabelMap, parseLabelMap } from '../../src/data/labelmap.js';
import { readAvaDetections, readAvaGroundTruth } from '../../src/data/ava.js';
import { UserError } from '../../src/util/errors.js';

const data = join(fixtures, 'data');

/** Every box of every video as comparable tuples (pixels rounded to 1e-6). */
function boxesOf(ds: Dataset, which: 'gt' | 'proposals'): Record<string, unknown[]> {
  const out: Record<string, unknown[]> = {};
  for (const vids of Object.values(ds.splits)) {
    for (const v of vids) {
      const a = which === 'gt' ? v.gt : v.proposalBoxes;
      if (!a) continue;
      out[`${v.split}/${v.name}`] = a.boxes.map((b) => [b.frameIndex, b.time, b.box.map((x) => Math.round(x * 1e6) / 1e6), b.labels, b.score]);
    }
  }
  return out;
}

async function roundTrip(src: string, opts: { actionAttribute?: string } = {}): Promise<{ before: Dataset; after: Dataset; ava: string }> {
  const t = tempDir();
  const ava = join(t.dir, 'ava');
  const back = join(t.dir, 'back');
  try {
    const before = await loadDataset(src, opts);
    via3ToAva(before, ava);
    avaToVia3(ava, back);
    const after = await loadDataset(back, { probe: false });
    // Keep the AVA files for inspection by the caller: copy out before cleanup.
    const keep = tempDir('stad-ava-');
    cpSync(ava, keep.dir, { recursive: true });
    return { before, after, ava: keep.dir };
  } finally {
    t.cleanup();
  }
}

test('VIA3 image projects -> AVA -> VIA3 keeps every box, label, frame and split', async () => {
  const { before, after, ava } = await roundTrip(join(data, 'ref-style'));
  try {
    assert.deepEqual(Object.keys(after.splits), ['train', 'test']);
    assert.deepEqual(after.classes, before.classes);
    assert.deepEqual(boxesOf(after, 'gt'), boxesOf(before, 'gt'));
    // Reference proposals carry no score: AVA gets 1.0, which comes back as the score.
    const pb = boxesOf(before, 'proposals');
    const pa = boxesOf(after, 'proposals');
    assert.deepEqual(Object.keys(pa), ['train/seqA']);
    assert.deepEqual(pa['train/seqA'], (pb['train/seqA'] as unknown[][]).map((b) => [...b.slice(0, 4), 1]));

    const gt = readAvaGroundTruth(join(ava, 'train.csv'));
    // seqA: 5 boxes, one with two labels -> 6 rows; the None box has action_id 0; timestamps are frame numbers.
    assert.equal(gt.length, 6);
    assert.deepEqual([...new Set(gt.map((r) => r.timestamp))], [1, 2, 5]);
    assert.deepEqual(gt.filter((r) => r.timestamp === 2).map((r) => [r.actionId, r.personId]), [[1, 0], [3, 0], [0, 1]]);
    assert.deepEqual(gt[0]!.box, [10 / 64, 5 / 48, 30 / 64, 35 / 48]);
    assert.ok(readAvaDetections(join(ava, 'train_proposals.csv')).every((r) => r.score === 1 && r.actionId === null));
    const lm = parseLabelMap(readFileSync(join(ava, 'label_map.pbtxt'), 'utf8'), 'lm');
    assert.deepEqual([...lm.ids].map((id) => [id, lm.names.get(id)]), ['handshake', 'point', 'hug', 'push', 'kick', 'punch'].map((name, i) => [i + 1, name]));
  } finally {
    rmSync(ava, { recursive: true, force: true });
  }
});

test('VIA3 video projects -> AVA -> VIA3 keeps times in seconds, scores, and boxes with no label', async () => {
  for (const actionAttribute of [undefined, 'visibility']) {
    const { before, after, ava } = await roundTrip(join(data, 'video-style'), { actionAttribute });
    try {
      assert.deepEqual(after.classes, before.classes);
      assert.deepEqual(boxesOf(after, 'gt'), boxesOf(before, 'gt'));
      // Proposal labels are not kept (AVA proposals are class-agnostic); they come back as None, like the reference's.
      const noLabels = (m: Record<string, unknown[]>): unknown[] => Object.entries(m).map(([k, v]) => [k, (v as unknown[][]).map((b) => [b[0], b[1], b[2], b[4]])]);
      assert.deepEqual(noLabels(boxesOf(after, 'proposals')), noLabels(boxesOf(before, 'proposals')));
      assert.ok(after.splits.train![0]!.proposalBoxes!.boxes.every((b) => b.labels.join() === '0'));
      assert.deepEqual(after.splits.train![0]!.gt.files.map((f) => [f.kind, f.fileName]), [['video', 'clip1.mp4']]);
      const sidecar = JSON.parse(readFileSync(join(ava, AVA_SIDECAR), 'utf8')) as { videos: Record<string, { timestamp: string; fps: number }> };
      assert.deepEqual(sidecar.videos.clip2, { split: 'test', width: 320, height: 240, fps: 10, timestamp: 'seconds', videoFile: 'clip2.mp4' });
    } finally {
      rmSync(ava, { recursive: true, force: true });
    }
  }
});

test('--no-background leaves out None-only boxes', async () => {
  const t = tempDir();
  try {
    const s = via3ToAva(await loadDataset(join(data, 'ref-style')), t.dir, { includeBackground: false });
    assert.equal(s.omitted, 1);
    assert.deepEqual(s.splits.train, { videos: 1, boxes: 4, rows: 5, proposalRows: 4 });
    assert.ok(readAvaGroundTruth(join(t.dir, 'train.csv')).every((r) => r.actionId !== null && r.actionId > 0));
  } finally {
    t.cleanup();
  }
});

test('AVA files from elsewhere (no stad-ava.json): classes from the label map, size from the caller', async () => {
  const t = tempDir();
  try {
    via3ToAva(await loadDataset(join(data, 'ref-style')), t.dir);
    rmSync(join(t.dir, AVA_SIDECAR));
    assert.throws(() => avaToVia3(t.dir, join(t.dir, 'x')), (e: unknown) => e instanceof UserError && /frame size of video "seqB" unknown; give --frame-size/.test(e.message));
    avaToVia3(t.dir, join(t.dir, 'back'), { frameSize: { width: 64, height: 48 } });
    const after = await loadDataset(join(t.dir, 'back'), { probe: false });
    const before = await loadDataset(join(data, 'ref-style'));
    assert.deepEqual(after.classes, before.classes);
    assert.deepEqual(boxesOf(after, 'gt'), boxesOf(before, 'gt'));
  } finally {
    t.cleanup();
  }
});

test('a frame size that is unknown is a clear error before anything is written', async () => {
  const t = tempDir();
  try {
    cpSync(join(data, 'video-style', 'annotations'), join(t.dir, 'annotations'), { recursive: true });
    const ds = await loadDataset(t.dir);
    assert.throws(
      () => via3ToAva(ds, join(t.dir, 'ava')),
      (e: unknown) => e instanceof UserError && /clip1\.json: frame size of video "clip1" unknown \(no frames or video found\).*width.*height.*dataset\.json/.test(e.message),
    );
  } finally {
    t.cleanup();
  }
});

test('label maps: the official AVA v2.1 file parses; the writer produces the official layout', () => {
  const path = join(sharedFixtures, 'ava', 'ava_action_list_v2.1_for_activitynet_2018.pbtxt');
  const text = readFileSync(path, 'utf8');
  const lm = parseLabelMap(text, path);
  assert.equal(lm.ids.length, 60);
  assert.equal(lm.names.get(1), 'bend/bow (at the waist)');
  assert.equal(lm.names.get(80), 'watch (a person)');
  // What `stad convert` writes is the official file's layout, byte for byte.
  assert.equal(formatLabelMap(lm), text.endsWith('\n') ? text : `${text}\n`);
  assert.throws(() => parseLabelMap('item {\n  name: "x"\n}\n', 'lm.pbtxt'), /lm\.pbtxt: line 1: item has no 'id'/);
});

test('stad convert both ways on the command line, and flag errors exit with code 2', () => {
  const t = tempDir();
  try {
    const a = runCli(['convert', 'via3-to-ava', '--data', join(data, 'ref-style'), '--out', join(t.dir, 'ava')]);
    assert.equal(a.code, 0, a.stderr);
    assert.match(a.stdout, /train: 1 videos, 5 boxes -> 6 ground-truth rows, 4 proposal rows/);
    const b = runCli(['convert', 'ava-to-via3', '--in', join(t.dir, 'ava'), '--out', join(t.dir, 'back')]);
    assert.equal(b.code, 0, b.stderr);
    assert.match(b.stdout, /2 videos, 8 boxes, 4 proposals -> 3 VIA3 projects/);
    const s = runCli(['stats', '--data', join(t.dir, 'back'), '--json', '--no-chart']);
    assert.deepEqual((JSON.parse(s.stdout) as { splits: unknown }).splits, {
      train: { handshake: 3, point: 0, hug: 1, push: 1, kick: 0, punch: 0 },
      test: { handshake: 0, point: 2, hug: 0, push: 0, kick: 0, punch: 2 },
    });
    for (const [args, re] of [
      [['--frame-size', '64by48'], /--frame-size: expected WIDTHxHEIGHT/],
      [['--style', 'film'], /--style: expected image or video/],
    ] as const) {
      const r = runCli(['convert', 'ava-to-via3', '--in', join(t.dir, 'ava'), '--out', join(t.dir, 'x'), ...args]);
      assert.equal(r.code, 2);
      assert.match(r.stderr, re);
    }
    assert.equal(runCli(['convert', 'via3-to-ava', '--data', join(data, 'ref-style')]).code, 2); // --out is required
    const bare = runCli(['convert']);
    assert.equal(bare.code, 2);
    assert.match(bare.stderr, /^stad: convert: expected a subcommand, via3-to-ava, ava-to-via3 or checkpoint/);
  } finally {
    t.cleanup();
  }
});

test('every file `stad convert via3-to-ava` writes for a generated dataset is read by `stad eval`: the ground truth against itself scores mAP 1', () => {
  const t = tempDir();
  try {
    const synth = join(t.dir, 'synth');
    const ava = join(t.dir, 'ava');
    const s = runCli(['synth', '--out', synth, '--no-video', '--scale', '0.01', '--width', '64', '--height', '48', '--fps', '5']);
    assert.equal(s.code, 0, s.stderr);
    const c = runCli(['convert', 'via3-to-ava', '--data', synth, '--out', ava]);
    assert.equal(c.code, 0, c.stderr);
    // A new kind of output must be added here, with how `stad eval` reads it.
    assert.deepEqual(readdirSync(ava).sort(), ['label_map.pbtxt', 'stad-ava.json', 'test.csv', 'test_proposals.csv', 'train.csv', 'train_proposals.csv']);
    const labels = join(ava, 'label_map.pbtxt');
    for (const split of ['train', 'test']) {
      const gt = join(ava, `${split}.csv`);
      const r = runCli(['eval', '--gt', gt, '--pred', gt, '--labels', labels, '--json', '--per-video']);
      assert.equal(r.code, 0, r.stderr);
      const rep = JSON.parse(r.stdout) as { mAP: number; allMAP: number; perClass: Record<string, number | null>; perVideo: { mAP: number | null }[] };
      assert.equal(rep.mAP, 1, split);
      assert.equal(rep.allMAP, 1, split);
      // Every class has ground truth in both splits of the generated data, so every AP is defined.
      assert.deepEqual(Object.values(rep.perClass), [1, 1, 1, 1, 1, 1], split);
      assert.ok(rep.perVideo.every((v) => v.mAP === null || v.mAP === 1), split);
      // Proposals are class-agnostic (an empty action_id, PySlowFast's form): the conversion reader takes
      // them; `stad eval` cannot score them per class and says so in one line instead of guessing.
      const proposals = join(ava, `${split}_proposals.csv`);
      const rows = readAvaDetections(proposals);
      assert.ok(rows.length > 0 && rows.every((p) => p.actionId === null && p.score > 0 && p.score <= 1), split);
      const p = runCli(['eval', '--gt', gt, '--pred', proposals, '--labels', labels]);
      assert.equal(p.code, 2, p.stderr);
      assert.match(p.stderr, /^stad: .*_proposals\.csv: line 1: action_id is empty: .*class-agnostic boxes \(person proposals\) cannot be scored per class\n$/);
    }
  } finally {
    t.cleanup();
  }
});
