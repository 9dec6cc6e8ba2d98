/**
 * One rule each, the same in every command (issue #12): frame numbers are safe integers, what a video
 * file is, a BOM is accepted in every text file, a whitespace-only CSV line is blank, errors name the
 * file they are about.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, tempDir } from '../helpers.js';
import { parseVia3, readVia3 } from '../../src/data/via3/read.js';
import { loadDataset } from '../../src/data/dataset.js';
import { formatLabelMap, makeLabelMap, readLabelMap } from '../../src/data/labelmap.js';
import { readAvaGroundTruth } from '../../src/data/ava.js';
import { frameNumberOf } from '../../src/data/frame-number.js';
import { findVideoFile, isVideoFileName } from '../../src/data/video-files.js';
import { UserError } from '../../src/util/errors.js';

function imageProject(fname: string): string {
  return JSON.stringify({
    attribute: { '1': { aname: 'a', anchor_id: 'FILE1_Z0_XY1', type: 2, options: { '0': 'None', '1': 'walk' }, default_option_id: '0' } },
    file: { '1': { fid: '1', fname, type: 2 } },
    view: { '1': { fid_list: ['1'] } },
    metadata: { m: { vid: '1', z: [], xy: [2, 1, 1, 2, 2], av: { '1': '1' } } },
  });
}

test('frame numbers: safe integers only, the same rule for projects (stats, convert) and frame folders', () => {
  assert.equal(frameNumberOf('00042'), 42);
  assert.equal(frameNumberOf(String(Number.MAX_SAFE_INTEGER)), Number.MAX_SAFE_INTEGER);
  assert.equal(frameNumberOf('9'.repeat(400)), null);
  assert.equal(frameNumberOf('9007199254740993'), null);
  const big = `v_${'9'.repeat(400)}.jpg`;
  assert.throws(() => parseVia3(imageProject(big), 'p.json'), (e: unknown) => e instanceof UserError && /^p\.json: file\["1"\]\.fname: frame number .* too large/.test(e.message));
  const t = tempDir();
  try {
    const root = join(t.dir, 'ds');
    mkdirSync(join(root, 'annotations', 'train'), { recursive: true });
    writeFileSync(join(root, 'annotations', 'train', 'v.json'), imageProject(big));
    writeFileSync(join(root, 'dataset.json'), '{"width":10,"height":10}');
    for (const args of [['stats', '--data', root, '--no-chart'], ['convert', 'via3-to-ava', '--data', root, '--out', join(t.dir, 'out')]]) {
      const r = runCli(args);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /v\.json: file\["1"\]\.fname: frame number .* too large/);
    }
  } finally {
    t.cleanup();
  }
});

test('one rule for video files: extension in any case, .ts and .m4v included', () => {
  for (const ok of ['a.mp4', 'a.AVI', 'a.Mkv', 'a.ts', 'a.m4v', 'a.webm', 'a.MOV']) assert.ok(isVideoFileName(ok), ok);
  for (const no of ['a.jpg', 'a', 'a.json', 'mp4']) assert.ok(!isVideoFileName(no), no);
  const t = tempDir();
  try {
    writeFileSync(join(t.dir, 'clip.AVI'), '');
    writeFileSync(join(t.dir, 'other.ts'), '');
    assert.equal(findVideoFile(t.dir, 'clip'), join(t.dir, 'clip.AVI'));
    assert.equal(findVideoFile(t.dir, 'other'), join(t.dir, 'other.ts'));
    assert.equal(findVideoFile(t.dir, 'none'), null);
    assert.equal(findVideoFile(join(t.dir, 'missing'), 'clip'), null);
  } finally {
    t.cleanup();
  }
});

test('a BOM is accepted in VIA3 projects, label maps and CSVs; a whitespace-only CSV line is blank', () => {
  const t = tempDir();
  try {
    const p = join(t.dir, 'p.json');
    writeFileSync(p, `\ufeff${imageProject('v_00001.jpg')}`);
    assert.equal(readVia3(p).boxes.length, 1);
    const lm = join(t.dir, 'l.pbtxt');
    writeFileSync(lm, '\ufeffitem { name: "walk" id: 1 }\n');
    assert.deepEqual([...readLabelMap(lm).names], [[1, 'walk']]);
    const csv = join(t.dir, 'g.csv');
    writeFileSync(csv, '\ufeffv,1,0.1,0.1,0.5,0.5,1,0\n   \n\t\nv,2,0.1,0.1,0.5,0.5,1,0\n \t \n');
    assert.equal(readAvaGroundTruth(csv).length, 2);
  } finally {
    t.cleanup();
  }
});

test('errors name the file: label maps written from classes, a duplicate video without dataset.json', async () => {
  assert.throws(() => formatLabelMap(makeLabelMap([[1, 'a"b']]), 'data/x: classes'), (e: unknown) => e instanceof UserError && /^data\/x: classes: id 1: /.test(e.message));
  const t = tempDir();
  try {
    for (const split of ['train', 'test']) {
      mkdirSync(join(t.dir, 'annotations', split), { recursive: true });
      writeFileSync(join(t.dir, 'annotations', split, 'v.json'), imageProject('v_00001.jpg'));
    }
    await assert.rejects(loadDataset(t.dir, { probe: false }), (e: unknown) => e instanceof UserError && !e.message.includes('dataset.json') && /annotations: video "v": appears twice/.test(e.message));
  } finally {
    t.cleanup();
  }
});
