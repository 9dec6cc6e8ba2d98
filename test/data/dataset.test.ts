import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fixtures, tempDir } from '../helpers.js';
import { allVideos, detectPattern, framePath, keyframesOf, loadDataset } from '../../src/data/dataset.js';
import { UserError } from '../../src/util/errors.js';

const data = join(fixtures, 'data');

async function rejectsUser(p: Promise<unknown>, ...patterns: RegExp[]): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof UserError, `expected a UserError, got ${String(e)}`);
    assert.ok(!e.message.includes('\n'));
    for (const re of patterns) assert.match(e.message, re);
    return true;
  });
}

test('the reference layout is inferred: splits, projects, proposals, frame folders, pattern, size and default fps', async () => {
  const ds = await loadDataset(join(data, 'ref-style'));
  assert.equal(ds.describedBy, 'layout');
  assert.deepEqual(Object.keys(ds.splits), ['train', 'test']);
  assert.deepEqual(ds.classes, ['None', 'handshake', 'point', 'hug', 'push', 'kick', 'punch']);
  const [seqA] = ds.splits.train!;
  const [seqB] = ds.splits.test!;
  assert.equal(seqA!.name, 'seqA');
  assert.ok(seqA!.proposals?.endsWith('seqA_proposal.json'));
  assert.equal(seqA!.proposalBoxes?.boxes.length, 4);
  assert.equal(seqB!.proposals, null);
  assert.equal(seqA!.frames.kind, 'frames');
  if (seqA!.frames.kind !== 'frames') return;
  assert.equal(seqA!.frames.pattern, '{video}_{frame:05d}.jpg');
  const f5 = framePath(seqA!.frames, 'seqA', 5);
  assert.ok(f5.endsWith(join('images', 'train', 'seqA', 'seqA_00005.jpg')));
  assert.ok(existsSync(f5));
  assert.deepEqual(seqA!.frameSize, { width: 64, height: 48 });
  assert.equal(seqA!.fps, 30);
  assert.equal(seqA!.fpsSource, 'default');
  assert.equal(allVideos(ds).length, 2);
});

test('dataset.json defaults apply to a video-project layout; the action attribute can be chosen', async () => {
  const ds = await loadDataset(join(data, 'video-style'));
  const v = ds.splits.train![0]!;
  assert.equal(v.fps, 10);
  assert.equal(v.fpsSource, 'dataset.json');
  assert.deepEqual(v.frameSize, { width: 320, height: 240 });
  assert.deepEqual(v.frames, { kind: 'none' });
  assert.deepEqual(ds.classes, ['None', 'walk', 'wave']);
  const vis = await loadDataset(join(data, 'video-style'), { actionAttribute: 'visibility' });
  assert.deepEqual(vis.classes, ['None', 'visible', 'occluded']);
});

test('dataset.json can list videos explicitly, with paths relative to it; box video ids follow the listed names', async () => {
  const t = tempDir();
  try {
    cpSync(join(data, 'ref-style'), t.dir, { recursive: true });
    writeFileSync(
      join(t.dir, 'dataset.json'),
      JSON.stringify({
        fps: 15,
        splits: {
          test: [{ name: 'B', annotations: 'annotations/test/seqB.json', frames: 'images/test/seqB', framePattern: 'seqB_{frame:05d}.jpg' }],
          train: [{ name: 'A', annotations: 'annotations/train/seqA.json', proposals: 'annotations/train/seqA_proposal.json', width: 640, height: 480, fps: 25 }],
        },
      }),
    );
    const ds = await loadDataset(t.dir);
    assert.equal(ds.describedBy, 'dataset.json');
    assert.deepEqual(Object.keys(ds.splits), ['train', 'test']);
    const a = ds.splits.train![0]!;
    assert.deepEqual([a.fps, a.frameSize, a.frames.kind], [25, { width: 640, height: 480 }, 'none']);
    assert.ok(a.gt.boxes.every((b) => b.videoId === 'A'));
    const b = ds.splits.test![0]!;
    assert.deepEqual([b.fps, b.frameSize], [15, { width: 64, height: 48 }]);
    assert.ok(b.frames.kind === 'frames' && existsSync(framePath(b.frames, 'B', 3)));

    writeFileSync(join(t.dir, 'dataset.json'), JSON.stringify({ splits: { train: [{ name: 'A', annotations: 'annotations/train/nope.json' }] } }));
    await rejectsUser(loadDataset(t.dir), /dataset\.json: splits\["train"\]\[0\]\.annotations: no such file/);
    writeFileSync(join(t.dir, 'dataset.json'), JSON.stringify({ fps: -1 }));
    await rejectsUser(loadDataset(t.dir), /dataset\.json: fps: /);
    writeFileSync(join(t.dir, 'dataset.json'), JSON.stringify({ splits: { train: [{ name: 'A', annotatons: 'x.json' }] } }));
    await rejectsUser(loadDataset(t.dir), /dataset\.json: splits\["train"\]\[0\]/);
    writeFileSync(join(t.dir, 'dataset.json'), JSON.stringify({ splits: { train: [3] } }));
    await rejectsUser(loadDataset(t.dir), /dataset\.json: splits\["train"\]\[0\]: expected string or object, got number$/);
    writeFileSync(join(t.dir, 'dataset.json'), JSON.stringify({ splits: { test: ['seqC'] } }));
    await rejectsUser(loadDataset(t.dir), /dataset\.json: splits\["test"\]\[0\]: video "seqC": no annotations\/test\/seqC\.json/);
  } finally {
    t.cleanup();
  }
});

test('a dataset.json that lists splits by video name (as stad synth writes it), with extra keys, uses the layout for files', async () => {
  const t = tempDir();
  try {
    cpSync(join(data, 'ref-style'), t.dir, { recursive: true });
    writeFileSync(
      join(t.dir, 'dataset.json'),
      JSON.stringify({ name: 'stad-synth', classes: ['None', 'handshake'], fps: 15, width: 64, height: 48, seed: 1, counts: {}, splits: { train: ['seqA'], test: ['seqB'] } }),
    );
    const ds = await loadDataset(t.dir);
    assert.equal(ds.describedBy, 'dataset.json');
    const a = ds.splits.train![0]!;
    assert.deepEqual([a.name, a.fps, a.fpsSource, a.frameSize], ['seqA', 15, 'dataset.json', { width: 64, height: 48 }]);
    assert.ok(a.proposals?.endsWith('seqA_proposal.json'));
    assert.ok(a.frames.kind === 'frames' && a.frames.pattern === '{video}_{frame:05d}.jpg');
    assert.equal(ds.splits.test![0]!.proposals, null);
  } finally {
    t.cleanup();
  }
});

test('missing folders, projects with different classes, and a bad project are one-line errors', async () => {
  await rejectsUser(loadDataset(join(data, 'no-such-dataset')), /no-such-dataset: no dataset folder here; run `stad synth`/);
  await rejectsUser(loadDataset(join(data, 'bad')), /bad: no dataset\.json and no annotations\/ folder/);
  const t = tempDir();
  try {
    cpSync(join(data, 'ref-style'), t.dir, { recursive: true });
    const p = join(t.dir, 'annotations', 'test', 'seqB.json');
    const project = JSON.parse(readFileSync(p, 'utf8')) as { attribute: Record<string, { options: Record<string, string> }> };
    project.attribute['1']!.options['6'] = 'slap';
    writeFileSync(p, JSON.stringify(project));
    await rejectsUser(loadDataset(t.dir), /seqB\.json: attribute\["1"\]\.options: classes \[None, .*slap\] differ from \[None, .*punch\] in annotations\/train\/seqA\.json/);
    cpSync(join(data, 'bad', 'truncated.json'), p);
    await rejectsUser(loadDataset(t.dir), /seqB\.json: not valid JSON/);
  } finally {
    t.cleanup();
  }
});

test('frame-name patterns are found from the first image of a folder', () => {
  const t = tempDir();
  try {
    mkdirSync(join(t.dir, 'a'));
    writeFileSync(join(t.dir, 'a', '000012.png'), '');
    writeFileSync(join(t.dir, 'a', '000013.png'), '');
    assert.equal(detectPattern(join(t.dir, 'a'), 'v'), '{frame:06d}.png');
    mkdirSync(join(t.dir, 'b'));
    writeFileSync(join(t.dir, 'b', 'clip_7_frame0003.jpg'), '');
    assert.equal(detectPattern(join(t.dir, 'b'), 'clip_7'), '{video}_frame{frame:04d}.jpg');
    assert.equal(detectPattern(join(t.dir, 'missing'), 'v'), null);
    assert.equal(framePath({ kind: 'frames', dir: '/f', pattern: '{video}_frame{frame:04d}.jpg' }, 'clip_7', 42), join('/f', 'clip_7_frame0042.jpg'));
  } finally {
    t.cleanup();
  }
});

const hasFfmpeg = spawnSync('ffmpeg', ['-version']).status === 0;
test('videos/<video>.mp4 is found and probed for size and frame rate', { skip: !hasFfmpeg && 'ffmpeg not installed' }, async () => {
  const t = tempDir();
  try {
    cpSync(join(data, 'video-style', 'annotations'), join(t.dir, 'annotations'), { recursive: true });
    mkdirSync(join(t.dir, 'videos'));
    const r = spawnSync('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc=size=96x64:rate=12:duration=1', '-pix_fmt', 'yuv420p', join(t.dir, 'videos', 'clip1.mp4')]);
    assert.equal(r.status, 0, String(r.stderr));
    const ds = await loadDataset(t.dir);
    const clip1 = ds.splits.train![0]!;
    assert.deepEqual(clip1.frames, { kind: 'video', file: join(t.dir, 'videos', 'clip1.mp4') });
    assert.deepEqual([clip1.frameSize, clip1.fps, clip1.fpsSource], [{ width: 96, height: 64 }, 12, 'video']);
    const clip2 = ds.splits.test![0]!;
    assert.deepEqual([clip2.frames, clip2.frameSize, clip2.fps], [{ kind: 'none' }, null, 30]);
    rmSync(join(t.dir, 'videos'), { recursive: true });
  } finally {
    t.cleanup();
  }
});

test('keyframes tie boxes to frame numbers and times, with the proposals of the same frame', async () => {
  const ref = await loadDataset(join(data, 'ref-style'));
  const seqA = keyframesOf(ref.splits.train![0]!);
  assert.deepEqual(
    seqA.map((k) => [k.video, k.frameNumber, k.time, k.avaTimestamp, k.gt.length, k.proposals.length]),
    [
      ['seqA', 1, 0, 1, 2, 2],
      ['seqA', 2, 1 / 30, 2, 2, 1],
      ['seqA', 5, 4 / 30, 5, 1, 1],
    ],
  );
  assert.deepEqual(keyframesOf(ref.splits.test![0]!).map((k) => [k.frameNumber, k.proposals.length]), [
    [3, 0],
    [4, 0],
  ]);
  const vid = await loadDataset(join(data, 'video-style'));
  assert.deepEqual(
    keyframesOf(vid.splits.train![0]!).map((k) => [k.frameNumber, k.time, k.avaTimestamp, k.gt.length, k.proposals.map((p) => p.score)]),
    [
      [11, 1, 1, 2, [0.93, 0.71]],
      [26, 2.5, 2.5, 1, [0.5]],
    ],
  );
  const t = tempDir();
  try {
    cpSync(join(data, 'video-style'), t.dir, { recursive: true });
    writeFileSync(join(t.dir, 'dataset.json'), JSON.stringify({ fps: 4, width: 320, height: 240, firstFrameNumber: 0 }));
    const ds = await loadDataset(t.dir);
    assert.deepEqual(keyframesOf(ds.splits.test![0]!).map((k) => [k.frameNumber, k.time]), [
      [2, 0.5],
      [5, 1.25],
    ]);
  } finally {
    t.cleanup();
  }
});
