// `stad detect` on input it did not write and flags it cannot honour: hostile `--boxes` files (keys that
// are Object.prototype's names, path-like names, huge and non-finite numbers, truncated lines, a 1 GiB
// sparse file) and `--device cuda` without CUDA. Each is one clear line naming the file (or flag) and
// the field, exit code 2, nothing written. Most cases call the reader directly (fast); a few go through
// the command line to check the whole contract.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, existsSync, ftruncateSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, tempDir } from '../helpers.js';
import { readBoxesFile, type VideoFacts } from '../../src/detect/boxes-file.js';
import { UserError } from '../../src/util/errors.js';
import { cuda } from '../../src/torch/index.js';
import { makeDetectFixture, hasFfmpeg, type DetectFixture } from './fixture.js';

const skip = hasFfmpeg() ? false : 'ffmpeg is not installed';
let tmp: { dir: string; cleanup: () => void };
let fx: DetectFixture;
// The fixture's video: 64x48, 5 fps, 40 frames.
const CLIP: VideoFacts = { videoId: 'clipA', size: { width: 64, height: 48 }, fps: 5, numFrames: 40 };

before(() => {
  tmp = tempDir('stad-detect-hostile-');
  if (!skip) fx = makeDetectFixture(tmp.dir);
});
after(() => tmp.cleanup());

function write(name: string, content: string): string {
  const p = join(tmp.dir, name);
  writeFileSync(p, content);
  return p;
}

/** The reader's UserError for `path`: its message matches `re` and names the file. */
function refused(path: string, re: RegExp, v: VideoFacts = CLIP): void {
  assert.throws(
    () => readBoxesFile(path, v),
    (e: unknown) => {
      assert.ok(e instanceof UserError, String(e));
      assert.ok(e.message.startsWith(`${path}: `), e.message);
      assert.match(e.message, re);
      assert.doesNotMatch(e.message, /\n/);
      return true;
    },
  );
}

/** A VIA3 proposals project of the fixture with `edit` applied to its text. */
function via3(name: string, edit: (text: string) => string): string {
  return write(name, edit(readFileSync(fx.proposals, 'utf8')));
}

test('AVA CSV boxes: prototype keys and path-like names as video ids, bad numbers, truncated lines', { skip }, () => {
  const row = (id: string, t = '1', x2 = '0.5') => `${id},${t},0.1,0.1,${x2},0.5,,0.9\n`;
  for (const id of ['__proto__', 'constructor', 'toString', '../../x', '/etc/passwd']) {
    refused(write(`id-${id.replace(/\W/g, '_')}.csv`, row(id)), new RegExp(`video_id: boxes for video ${JSON.stringify(id).replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}, but the input is "clipA"`));
  }
  refused(write('two.csv', row('clipA') + row('constructor')), /video_id: boxes for 2 videos \(clipA, constructor\)/);
  refused(write('huge-t.csv', row('clipA', '1e300')), /timestamp 1e\+300: is frame 5e\+300, outside the video's 40 frames/);
  refused(write('digits-t.csv', row('clipA', '9'.repeat(400))), /line 1: timestamp: expected a number >= 0/);
  refused(write('nan-t.csv', row('clipA', 'NaN')), /line 1: timestamp: expected a number >= 0, got "NaN"/);
  refused(write('inf-t.csv', row('clipA', 'Infinity')), /line 1: timestamp: expected a number >= 0/);
  refused(write('neg-t.csv', row('clipA', '-1')), /line 1: timestamp: expected a number >= 0, got "-1"/);
  refused(write('huge-x.csv', row('clipA', '1', '1e308')), /line 1: x2: expected a coordinate normalised to \[0, 1\], got 1e\+308/);
  refused(write('nan-x.csv', 'clipA,1,NaN,0.1,0.5,0.5,,0.9\n'), /line 1: x1: expected a number, got "NaN"/);
  refused(write('nan-score.csv', 'clipA,1,0.1,0.1,0.5,0.5,,NaN\n'), /line 1: score: expected a number, got "NaN"/);
  refused(write('truncated.csv', `${row('clipA')}clipA,1,0.1,0.`), /line 2: expected 7 or 8 comma-separated columns/);
  refused(write('empty.csv', ''), /no boxes/);
});

test('VIA3 boxes: prototype keys are data, not object members; names, numbers and truncation are refused', { skip }, () => {
  // Entries keyed `__proto__`, `constructor`, `toString` are ordinary entries: read as boxes, not dropped.
  const n = readBoxesFile(fx.proposals, CLIP).keyframes.reduce((k, f) => k + f.boxes.length, 0);
  const firstBox = JSON.stringify(Object.values((JSON.parse(readFileSync(fx.proposals, 'utf8')) as { metadata: Record<string, unknown> }).metadata)[0]);
  for (const key of ['__proto__', 'constructor', 'toString']) {
    const p = via3(`meta-${key.replace(/\W/g, '_')}.json`, (t) => t.replace('"metadata":{', `"metadata":{"${key}":${firstBox},`));
    const f = readBoxesFile(p, CLIP);
    assert.equal(f.keyframes.reduce((k, x) => k + x.boxes.length, 0), n + 1, key);
    assert.equal(f.videoId, 'clipA');
  }
  for (const name of ['__proto__', 'constructor']) {
    refused(via3(`fname-${name.replace(/\W/g, '_')}.json`, (t) => t.replaceAll('clipA_', `${name}_`)), new RegExp(`video_id: boxes for video "${name}", but the input is "clipA"`));
  }
  // A path in a frame name: the video id is its base name, never a path.
  refused(via3('fname-dots.json', (t) => t.replaceAll('"clipA_', '"../../x_')), /video_id: boxes for video "x", but the input is "clipA"/);
  refused(via3('frame-digits.json', (t) => t.replace(/clipA_\d+\.jpg/, `clipA_${'9'.repeat(400)}.jpg`)), /fname: frame number in/);
  // Each number finite, their sum not: x + w overflows.
  refused(via3('xy-overflow.json', (t) => t.replace(/"xy":\[2,[^\]]*\]/, '"xy":[2,1e308,1,1e308,3]')), /\.xy: the box \[1e\+308, 1, Infinity, 4\] is not finite/);
  refused(via3('xy-string.json', (t) => t.replace(/"xy":\[2,[^\]]*\]/, '"xy":[2,"NaN",1,2,3]')), /\.xy/);
  refused(via3('truncated.json', (t) => t.slice(0, 300)), /not valid JSON/);
});

test('a 1 GiB sparse boxes file is refused at once, without reading it into memory', { skip }, () => {
  for (const name of ['sparse.csv', 'sparse.json']) {
    const p = join(tmp.dir, name);
    const fd = openSync(p, 'w');
    if (name.endsWith('.csv')) writeSync(fd, 'clipA,1,0.1,0.1,0.5,0.5,,0.9\n'); // a valid line, then 1 GiB of NUL bytes
    ftruncateSync(fd, 2 ** 30);
    closeSync(fd);
    const rss = process.memoryUsage().rss;
    refused(p, name.endsWith('.csv') ? /line 2: longer than \d+ bytes without a line break/ : /1073741824 bytes is over the \d+-byte limit/);
    assert.ok(process.memoryUsage().rss - rss < 256 * 2 ** 20, 'read without holding the file');
  }
});

test('hostile boxes through the command line: one line, exit code 2, nothing written', { skip }, () => {
  const out = join(tmp.dir, 'never');
  for (const [file, re] of [
    [write('cli-proto.csv', '__proto__,1,0.1,0.1,0.5,0.5,,0.9\n'), /^stad: .*cli-proto\.csv: video_id: boxes for video "__proto__", but the input is "clipA"/],
    [join(tmp.dir, 'sparse.csv'), /^stad: .*sparse\.csv: line 2: longer than/],
    [via3('cli-overflow.json', (t) => t.replace(/"xy":\[2,[^\]]*\]/, '"xy":[2,1e308,1,1e308,3]')), /^stad: .*cli-overflow\.json: metadata\[.*\]\.xy: the box .* is not finite$/],
  ] as const) {
    const r = runCli(['detect', fx.video, '--checkpoint', fx.checkpoint, '--boxes', file, '-o', out]);
    assert.equal(r.code, 2, r.stderr);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr.trim(), re);
    assert.equal(existsSync(out), false);
  }
});

test('stad detect --device: a malformed value, and CUDA where it is not available, are one line and exit code 2', { skip }, () => {
  const out = join(tmp.dir, 'never-device');
  const bad = runCli(['detect', fx.video, '--checkpoint', fx.checkpoint, '--boxes', fx.proposals, '-o', out, '--device', 'gpu0']);
  assert.equal(bad.code, 2, bad.stderr);
  assert.equal(bad.stderr.trim(), 'stad: --device: expected cpu, cuda or cuda:N, got "gpu0"');
  if (cuda.isAvailable()) return; // the rest is about a machine without CUDA
  for (const device of ['cuda', 'cuda:1']) {
    const r = runCli(['detect', fx.video, '--checkpoint', fx.checkpoint, '--boxes', fx.proposals, '-o', out, '--device', device]);
    assert.equal(r.code, 2, r.stderr);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, new RegExp(`^stad: --device ${device}: CUDA is not available`));
    assert.equal(existsSync(out), false);
  }
});
