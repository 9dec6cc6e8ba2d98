import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, tempDir } from '../helpers.js';

const tmp = tempDir('stad-synth-cli-');
after(() => tmp.cleanup());
const small = ['--scale', '0.01', '--width', '64', '--height', '48', '--fps', '5'];

test('stad synth --help lists its options', () => {
  const r = runCli(['synth', '--help']);
  assert.equal(r.code, 0);
  for (const flag of ['--out', '--scale', '--seed', '--width', '--height', '--fps', '--no-video', '--force']) assert.ok(r.stdout.includes(flag), flag);
});

test('bad flags are one-line errors with exit code 2', () => {
  for (const [args, re] of [
    [['--scale', 'abc'], /--scale: expected a number, got "abc"/],
    [['--scale', '0'], /--scale: expected a number in \(0, 1000\]/],
    [['--seed', '1.5'], /--seed: expected an integer/],
    [['--width', '65'], /needs even sizes.*--no-video/],
  ] as const) {
    const r = runCli(['synth', '--out', join(tmp.dir, 'never'), ...args]);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, re);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.ok(!existsSync(join(tmp.dir, 'never')) && !existsSync(join(tmp.dir, 'never.partial')));
  }
});

test('refuses a non-empty --out unless --force, then replaces it whole', () => {
  const out = join(tmp.dir, 'busy');
  mkdirSync(out);
  writeFileSync(join(out, 'keep.txt'), 'x');
  const r = runCli(['synth', '--out', out, '--no-video', ...small]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /^stad: .*busy: folder exists and is not empty \(pass --force to replace it\)\n$/);
  assert.ok(existsSync(join(out, 'keep.txt')));
  const f = runCli(['synth', '--out', out, '--no-video', '--force', ...small]);
  assert.equal(f.code, 0, f.stderr);
  assert.match(f.stdout, /wrote .*20 sequences/);
  assert.ok(!existsSync(join(out, 'keep.txt')));
  assert.ok(existsSync(join(out, 'dataset.json')));
  assert.ok(!existsSync(`${out}.partial`));
});

const hasFfmpeg = spawnSync('ffmpeg', ['-version']).status === 0 && spawnSync('ffprobe', ['-version']).status === 0;

test('videos hold the same number of frames as the image folders', { skip: !hasFfmpeg && 'ffmpeg not installed' }, () => {
  const out = join(tmp.dir, 'vid');
  const r = runCli(['synth', '--out', out, ...small, '--seed', '4']);
  assert.equal(r.code, 0, r.stderr);
  const ds = JSON.parse(readFileSync(join(out, 'dataset.json'), 'utf8')) as { sequences: { name: string; split: string; frames: number }[] };
  for (const s of ds.sequences.filter((q) => ['seq1', 'seq5'].includes(q.name))) {
    const mp4 = join(out, 'videos', s.split, `${s.name}.mp4`);
    const p = spawnSync('ffprobe', ['-v', 'error', '-count_frames', '-select_streams', 'v:0', '-show_entries', 'stream=nb_read_frames,width,height,pix_fmt,codec_name', '-of', 'json', mp4], { encoding: 'utf8' });
    const st = (JSON.parse(p.stdout) as { streams: Record<string, string | number>[] }).streams[0]!;
    assert.equal(Number(st.nb_read_frames), s.frames);
    assert.equal(readdirSync(join(out, 'images', s.split, s.name)).length, s.frames);
    assert.equal(st.codec_name, 'h264');
    assert.equal(st.pix_fmt, 'yuv420p');
    assert.equal(st.width, 64);
    assert.equal(st.height, 48);
  }
  assert.equal(readdirSync(join(out, 'videos', 'train')).length, 16);
  assert.equal(readdirSync(join(out, 'videos', 'test')).length, 4);
});
