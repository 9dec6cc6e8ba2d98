/**
 * SIGINT/SIGTERM in `stad compare`: the run in training saves its checkpoint, the command exits 130
 * (143) with the line that continues, and running the same command again resumes that run, reuses the
 * finished one, and ends with the figures and weights of an uninterrupted comparison.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from '../helpers.js';
import { tinyDataset, writeTinyConfig } from '../train/fixture.js';
import { MAIN, assertSameRun, type ChildResult } from '../crash/run-files.js';

let fx: Awaited<ReturnType<typeof tinyDataset>>;
let bce: string;
let focal: string;
before(async () => {
  fx = await tinyDataset();
  bce = writeTinyConfig(fx, 'bce.json', { epochs: 1, valInterval: 0 });
  focal = writeTinyConfig(fx, 'focal.json', { epochs: 1, valInterval: 0, loss: { name: 'focal_bce' } });
});
after(() => fx.cleanup());

const ENV = { CI: 'true', FORCE_COLOR: '0' };

/** `stad compare args` in the background, with a pause after each training step (a test hook). */
function compareAsync(args: string[]): { child: ReturnType<typeof spawn>; done: Promise<ChildResult>; waitFor: (re: RegExp) => Promise<void> } {
  const child = spawn(process.execPath, [MAIN, 'compare', ...args], { env: { ...process.env, ...ENV, STAD_TEST_STEP_DELAY_MS: '300' } });
  let stdout = '';
  let stderr = '';
  const waiters: { re: RegExp; resolve: () => void }[] = [];
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
    for (const w of waiters.filter((x) => x.re.test(stderr))) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve();
    }
  });
  const done = new Promise<ChildResult>((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
  const waitFor = (re: RegExp): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      if (re.test(stderr)) return resolve();
      waiters.push({ re, resolve });
      void done.then((r) => reject(new Error(`exited (${r.signal ?? r.code}) before ${re}:\n${r.stderr}`)));
    });
  return { child, done, waitFor };
}

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

test('SIGINT during the second run: its checkpoint is saved, exit 130, and the same command resumes it and reuses the first', async () => {
  const straight = join(fx.dir, 'straight');
  const ref = runCli(['compare', bce, focal, '--seeds', '1', '--out', straight, '--resamples', '50'], { env: ENV });
  assert.equal(ref.code, 0, ref.stderr);

  const out = join(fx.dir, 'interrupted');
  const args = [bce, focal, '--seeds', '1', '--out', out, '--resamples', '50', '--log-every', '1'];
  const p = compareAsync(args);
  await p.waitFor(/run 2\/2 focal seed 0: epoch 1\/1 2\//);
  p.child.kill('SIGINT');
  const r = await p.done;
  assert.equal(r.code, 130, r.stderr);
  assert.match(r.stderr, /SIGINT: stopping after the current step/);
  assert.match(
    r.stderr,
    new RegExp(`SIGINT: saved ${escape(join(out, 'focal', 'seed-0', 'latest.safetensors'))} \\(focal seed 0\\); 1 of 2 runs finished and kept; continue with: stad compare ${args.map(escape).join(' ')}\\n`),
  );
  assert.equal(r.stdout, '', 'no table for a stopped comparison');
  assert.ok(!existsSync(join(out, 'compare.json')));
  assert.ok(!existsSync(join(out, 'focal', 'seed-0', 'test-last')));
  const bceMetrics = join(out, 'bce', 'seed-0', 'metrics.jsonl');
  const mtime = statSync(bceMetrics).mtimeMs;

  const again = runCli(['compare', ...args], { env: ENV });
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stderr, /2 runs in .*; 1 to train, 0 to test only, 1 reused/);
  assert.match(again.stderr, /trained 1 runs, tested 1/);
  assert.equal(statSync(bceMetrics).mtimeMs, mtime, 'the finished run is reused as it is');
  for (const rec of ['bce', 'focal']) assertSameRun(join(straight, rec, 'seed-0'), join(out, rec, 'seed-0'));
  const figures = (dir: string): unknown => (JSON.parse(readFileSync(join(dir, 'compare.json'), 'utf8')) as { recipes: { allMAP: unknown }[] }).recipes.map((x) => x.allMAP);
  assert.deepEqual(figures(out), figures(straight));
});

test('SIGTERM exits 143 with the same line, and the same command finishes the comparison', async () => {
  const out = join(fx.dir, 'term');
  const args = [bce, '--seeds', '1', '--out', out, '--resamples', '50', '--log-every', '1'];
  const p = compareAsync(args);
  await p.waitFor(/run 1\/1 bce seed 0: epoch 1\/1 1\//);
  p.child.kill('SIGTERM');
  const r = await p.done;
  assert.equal(r.code, 143, r.stderr);
  assert.match(r.stderr, /SIGTERM: saved .*latest\.safetensors \(bce seed 0\); 0 of 1 runs finished and kept; continue with: stad compare /);
  const again = runCli(['compare', ...args], { env: ENV });
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stderr, /1 to train, 0 to test only, 0 reused/);
  assert.ok(existsSync(join(out, 'compare.json')));
});
