import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateSynthDataset, type SynthSummary } from '../../src/data/synth/generate.js';
import { REFERENCE_COUNTS, SYNTH_CLASSES, type SplitName } from '../../src/data/synth/reference.js';
import { tempDir } from '../helpers.js';
import { loadDataset } from '../../src/data/dataset.js';
import { proposalIouHistogram } from '../../src/data/proposal-iou.js';

// One small dataset shared by the tests below: scale 0.1 (the counts test), at a small size and frame
// rate so that it takes a couple of seconds.
const W = 64;
const H = 48;
let tmp: { dir: string; cleanup: () => void };
let out: string;
let summary: SynthSummary;
const progress: { done: number; total: number }[] = [];

before(async () => {
  tmp = tempDir('stad-synth-');
  out = join(tmp.dir, 'ds');
  summary = await generateSynthDataset({ out, scale: 0.1, seed: 5, width: W, height: H, fps: 5, video: false }, (e) => progress.push(e));
});
after(() => tmp.cleanup());

const TRAIN = ['seq1', 'seq2', 'seq3', 'seq4', 'seq6', 'seq7', 'seq8', 'seq9', 'seq11', 'seq12', 'seq13', 'seq14', 'seq16', 'seq17', 'seq18', 'seq19'];
const TEST = ['seq5', 'seq10', 'seq15', 'seq20'];

interface Project {
  project: Record<string, unknown>;
  attribute: Record<string, { aname: string; anchor_id: string; type: number; desc: string; options: Record<string, string>; default_option_id: string }>;
  file: Record<string, { fid: string; fname: string; type: number; loc: number; src: string }>;
  metadata: Record<string, { vid: string; flg: number; z: number[]; xy: number[]; av: Record<string, string> }>;
  view: Record<string, { fid_list: string[] }>;
}

function readProject(split: SplitName, name: string): { raw: string; p: Project } {
  const raw = readFileSync(join(out, 'annotations', split, `${name}.json`), 'utf8');
  return { raw, p: JSON.parse(raw) as Project };
}

test('the labelled-box counts read back from the written JSON are exactly the reference counts times the scale', () => {
  for (const [split, seqs] of [['train', TRAIN], ['test', TEST]] as const) {
    const counts = Object.fromEntries(SYNTH_CLASSES.map((c) => [c, 0])) as Record<string, number>;
    let twoLabel = 0;
    let none = 0;
    for (const seq of seqs) {
      const { p } = readProject(split, seq);
      for (const m of Object.values(p.metadata)) {
        const ids = m.av['1']!.split(',');
        if (ids.length > 1) twoLabel += 1;
        for (const id of ids) {
          if (id === '0') none += 1;
          else counts[p.attribute['1']!.options[id]!]! += 1;
        }
      }
    }
    for (const c of SYNTH_CLASSES) assert.equal(counts[c], Math.round(REFERENCE_COUNTS[split][c] * 0.1), `${split} ${c}`);
    assert.deepEqual(counts, summary.counts[split]);
    assert.ok(none > 0, `${split}: people labelled None`);
    if (split === 'train') assert.ok(twoLabel > 0, 'train has two-label boxes');
  }
});

test('the layout is the reference one: projects, proposals, every frame as JPEG, dataset.json', () => {
  assert.ok(!existsSync(`${out}.partial`), 'the temporary folder is gone');
  assert.deepEqual(readdirSync(join(out, 'annotations', 'test')).sort(), [...TEST.flatMap((s) => [`${s}.json`, `${s}_proposal.json`])].sort());
  assert.equal(readdirSync(join(out, 'annotations', 'train')).length, 2 * TRAIN.length);
  assert.ok(!existsSync(join(out, 'videos')), 'no videos with video: false');
  const ds = JSON.parse(readFileSync(join(out, 'dataset.json'), 'utf8')) as Record<string, unknown>;
  assert.deepEqual(ds.splits, { train: TRAIN, test: TEST });
  assert.deepEqual(ds.classes, [...SYNTH_CLASSES]);
  assert.equal(ds.fps, 5);
  assert.equal(ds.width, W);
  assert.equal(ds.height, H);
  assert.equal(ds.seed, 5);
  assert.equal(ds.scale, 0.1);
  assert.ok(existsSync(join(out, 'README.txt')));
  let frames = 0;
  for (const s of summary.sequences) {
    const dir = join(out, 'images', s.split, s.name);
    const files = readdirSync(dir).sort();
    assert.equal(files.length, s.frames);
    assert.equal(files[0], `${s.name}_00001.jpg`);
    assert.equal(files.at(-1), `${s.name}_${String(s.frames).padStart(5, '0')}.jpg`);
    frames += files.length;
    // Every annotated frame exists.
    const { p } = readProject(s.split, s.name);
    for (const f of Object.values(p.file)) assert.ok(existsSync(join(dir, f.fname)), f.fname);
  }
  assert.equal(frames, summary.frames);
  assert.equal(progress.at(-1)!.done, summary.frames);
  assert.equal(progress.at(-1)!.total, summary.frames);
  // A frame is a JPEG of the requested size.
  const jpg = readFileSync(join(out, 'images', 'test', 'seq5', 'seq5_00001.jpg'));
  assert.equal(jpg[0], 0xff);
  assert.equal(jpg[1], 0xd8);
});

test('ground-truth projects have the exact VIA3 structure the annotation tool writes', () => {
  for (const seq of [...TRAIN.slice(0, 3), ...TEST]) {
    const split: SplitName = TEST.includes(seq) ? 'test' : 'train';
    const { raw, p } = readProject(split, seq);
    assert.equal(JSON.stringify(p), raw, 'compact JSON');
    assert.deepEqual(Object.keys(p), ['project', 'config', 'attribute', 'file', 'metadata', 'view']);
    assert.deepEqual(Object.keys(p.project), ['pid', 'rev', 'rev_timestamp', 'pname', 'creator', 'created', 'vid_list']);
    assert.ok(!('data_format_version' in p.project));
    assert.deepEqual(p.attribute, {
      '1': {
        aname: 'person',
        anchor_id: 'FILE1_Z0_XY1',
        type: 2,
        desc: p.attribute['1']!.desc,
        options: { '0': 'None', '1': 'handshake', '2': 'point', '3': 'hug', '4': 'push', '5': 'kick', '6': 'punch' },
        default_option_id: '0',
      },
    });
    const fids = Object.keys(p.file);
    assert.ok(fids.length > 0);
    assert.deepEqual(p.project.vid_list, Object.keys(p.view));
    for (const [fid, f] of Object.entries(p.file)) {
      assert.deepEqual(Object.keys(f), ['fid', 'fname', 'type', 'loc', 'src']);
      assert.equal(f.fid, fid);
      assert.equal(typeof f.fid, 'string');
      assert.match(f.fname, new RegExp(`^${seq}_\\d{5}\\.jpg$`));
      assert.equal(f.type, 2);
      assert.equal(f.loc, 1);
      assert.equal(f.src, '');
      assert.deepEqual(p.view[fid], { fid_list: [fid] });
    }
    const withBoxes = new Set<string>();
    for (const [mid, m] of Object.entries(p.metadata)) {
      assert.deepEqual(Object.keys(m), ['vid', 'flg', 'z', 'xy', 'av']);
      assert.match(mid, /^\d+_[A-Za-z0-9]{8}$/);
      assert.equal(mid.split('_')[0], m.vid);
      assert.ok(m.vid in p.view);
      assert.equal(m.flg, 0);
      assert.deepEqual(m.z, []);
      assert.equal(m.xy.length, 5);
      assert.equal(m.xy[0], 2);
      const [, x, y, w, h] = m.xy as [number, number, number, number, number];
      assert.ok(x >= 0 && y >= 0 && w > 0 && h > 0 && x + w <= W && y + h <= H, `${seq} ${mid}: box ${m.xy.join(',')} inside ${W}x${H}`);
      assert.deepEqual(Object.keys(m.av), ['1']);
      assert.match(m.av['1']!, /^[0-6](,[1-6])*$/);
      withBoxes.add(m.vid);
    }
    // Frames with no box are not keyframes: every listed frame has at least one.
    assert.equal(withBoxes.size, fids.length);
  }
});

test('proposal projects list the same keyframes, with detector scores in a TEXT attribute', () => {
  for (const s of summary.sequences.slice(0, 6)) {
    const gt = readProject(s.split, s.name).p;
    const pr = readProject(s.split, `${s.name}_proposal`).p;
    assert.deepEqual(Object.keys(pr), ['project', 'config', 'attribute', 'file', 'metadata', 'view']);
    assert.equal(pr.attribute['2']!.aname, 'score');
    assert.equal(pr.attribute['2']!.type, 1);
    assert.equal(pr.attribute['2']!.anchor_id, 'FILE1_Z0_XY1');
    assert.deepEqual(pr.attribute['1'], gt.attribute['1']);
    assert.deepEqual(Object.values(pr.file).map((f) => f.fname), Object.values(gt.file).map((f) => f.fname));
    const n = Object.keys(pr.metadata).length;
    assert.ok(n > 0.8 * Object.keys(gt.metadata).length, `${s.name}: most people are proposed`);
    for (const m of Object.values(pr.metadata)) {
      assert.equal(m.av['1'], '0');
      const score = Number(m.av['2']);
      assert.ok(score >= 0.3 && score <= 1, `score ${m.av['2']}`);
      const [, x, y, w, h] = m.xy as [number, number, number, number, number];
      assert.ok(x >= 0 && y >= 0 && w > 0 && h > 0 && x + w <= W + 1e-9 && y + h <= H + 1e-9);
    }
  }
});

test('the simulated detector is realistic: most matched proposals at IoU >= 0.9, a tail below, misses, false positives scoring lower', async () => {
  const ds = await loadDataset(out, { probe: false });
  for (const split of ['train', 'test'] as const) {
    const h = proposalIouHistogram(ds.splits[split]!)!;
    // Read back from the files, the histogram is the one the generator computed for README.txt.
    assert.deepEqual(h, summary.proposalIou[split]);
    const [fp, , , below09, at09] = h.counts as [number, number, number, number, number];
    assert.ok(h.matchedAt09! >= 0.85, `${split}: ${(100 * h.matchedAt09!).toFixed(1)}% of matched proposals at IoU >= 0.9`);
    assert.ok(below09 > 0 && h.matched - at09 > 0, `${split}: a tail below 0.9`);
    assert.ok(fp > 0 && fp < 0.15 * h.proposals, `${split}: ${fp} false positives of ${h.proposals}`);
    assert.ok(h.misses > 0 && h.misses < 0.06 * h.gtBoxes, `${split}: ${h.misses} missed of ${h.gtBoxes}`);
    assert.ok(h.meanScore[0]! < h.meanScore[3]! && h.meanScore[3]! < h.meanScore[4]!, `${split}: scores rise with IoU: ${h.meanScore.join(', ')}`);
  }
  const text = readFileSync(join(out, 'README.txt'), 'utf8');
  assert.match(text, /\n  Proposals: each one's best IoU/);
  assert.match(text, /\n  train +\d+ /);
});

test('a non-empty output folder is refused unless forced', async () => {
  await assert.rejects(generateSynthDataset({ out, scale: 0.01, width: W, height: H, fps: 5, video: false }), /not empty \(pass --force/);
  assert.ok(existsSync(join(out, 'dataset.json')), 'the existing dataset is untouched');
});
