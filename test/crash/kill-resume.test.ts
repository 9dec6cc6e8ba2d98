/**
 * SIGKILL at 10 moments of a training run (during a step, during a validation, half-way through a
 * checkpoint write), each followed by `--resume`: the run ends exactly as an uninterrupted one with the
 * same seed (weights, optimiser state, best checkpoint, metrics). The moments are drawn by a seeded
 * generator from the points of the uninterrupted run and reached through the STAD_CRASH_AT hook
 * (src/util/crash-points.ts), so each kill lands where it is meant to.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Rng } from '../../src/data/rng.js';
import { tinyConfig, tinyDataset } from '../train/fixture.js';
import { assertSameRun, stadTrain, stadTrainAsync } from './run-files.js';

let fx: Awaited<ReturnType<typeof tinyDataset>>;
let cfg: string;
before(async () => {
  fx = await tinyDataset();
  cfg = join(fx.dir, 'tiny.json');
  // a checkpoint every 3 batches inside an epoch as well, and validation after every epoch
  writeFileSync(cfg, JSON.stringify(tinyConfig(fx.data, { epochs: 2, checkpointEvery: 3, valInterval: 1, data: { ...tinyConfig(fx.data).data, valBoxes: 'gt' } })));
});
after(() => fx.cleanup());

interface Point {
  name: string;
  /** Order in the run: iteration, then step < validation < best < latest. */
  at: number;
}

/** Every crash point an uninterrupted run passes, from its metrics.jsonl. */
function pointsOf(dir: string, checkpointEvery: number): Point[] {
  const lines = readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { type: string; epoch: number; batch: number; iter: number });
  const train = lines.filter((l) => l.type === 'train');
  const lastOfEpoch = new Map<number, { batch: number; iter: number }>();
  for (const l of train) lastOfEpoch.set(l.epoch, { batch: l.batch, iter: l.iter });
  const points: Point[] = [];
  for (const l of train) {
    points.push({ name: `step:${l.iter}`, at: l.iter });
    const last = lastOfEpoch.get(l.epoch)!;
    if (l.batch % checkpointEvery === 0 && l.batch < last.batch) points.push({ name: `checkpoint:${l.iter}`, at: l.iter + 0.3 });
  }
  for (const [epoch, last] of lastOfEpoch) {
    points.push({ name: `val:${epoch}`, at: last.iter + 0.1 });
    points.push({ name: `checkpoint:${last.iter}`, at: last.iter + 0.3 });
  }
  return points.sort((a, b) => a.at - b.at);
}

/** 10 distinct points, at least 3 steps, 2 validations and 3 checkpoint writes, in run order. */
function drawPoints(all: Point[], seed: number): Point[] {
  const rng = new Rng(seed, 'kill points');
  const pick = (kind: string, n: number): Point[] => {
    const of = all.filter((p) => p.name.startsWith(kind));
    const out: Point[] = [];
    while (out.length < Math.min(n, of.length)) {
      const p = of[Math.floor(rng.next() * of.length)]!;
      if (!out.includes(p)) out.push(p);
    }
    return out;
  };
  const chosen = [...pick('step:', 5), ...pick('val:', 2), ...pick('checkpoint:', 3)];
  return chosen.sort((a, b) => a.at - b.at);
}

test('SIGKILL at 10 moments (steps, validations, checkpoint writes), resumed each time: the same final run as without kills', () => {
  const ref = join(fx.dir, 'straight');
  const r = stadTrain(['--config', cfg, '--out', ref]);
  assert.equal(r.code, 0, r.stderr);

  const points = drawPoints(pointsOf(ref, 3), 12);
  assert.equal(points.length, 10);
  const out = join(fx.dir, 'killed');
  const log: string[] = [];
  for (const [i, p] of points.entries()) {
    const args = i === 0 ? ['--config', cfg, '--out', out] : ['--resume', out];
    const k = stadTrain(args, { STAD_CRASH_AT: p.name });
    log.push(`${p.name}: ${k.signal ?? k.code}`);
    assert.equal(k.signal, 'SIGKILL', `expected a kill at ${p.name} (${log.join(', ')}):\n${k.stderr}`);
  }
  const last = stadTrain(['--resume', out]);
  assert.equal(last.code, 0, last.stderr);
  assert.match(last.stdout, /^done: 2 epochs/);
  assert.ok(existsSync(join(out, 'latest.safetensors')));
  assertSameRun(ref, out);
});

test('SIGINT inside an epoch saves a resumable checkpoint and exits 130; the resumed run ends as the uninterrupted one', async () => {
  const ref = join(fx.dir, 'straight');
  const out = join(fx.dir, 'interrupted');
  // a pause after each step (a test hook) so that the signal lands inside the first epoch
  const p = stadTrainAsync(['--config', cfg, '--out', out, '--log-every', '1'], { STAD_TEST_STEP_DELAY_MS: '300' });
  await waitFor(p, /epoch 1\/2 2\//);
  p.child.kill('SIGINT');
  const r = await p.done;
  assert.equal(r.code, 130, r.stderr);
  assert.match(r.stderr, /SIGINT: stopping after the current step/);
  assert.match(r.stderr, new RegExp(`SIGINT: saved .*latest\\.safetensors \\(iteration \\d+\\); continue with: stad train --resume ${out.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}`));
  const again = stadTrain(['--resume', out]);
  assert.equal(again.code, 0, again.stderr);
  assertSameRun(ref, out);
});

test('SIGTERM exits 143 after saving; a second SIGINT exits at once', async () => {
  const a = stadTrainAsync(['--config', cfg, '--out', join(fx.dir, 'term'), '--log-every', '1'], { STAD_TEST_STEP_DELAY_MS: '300' });
  await waitFor(a, /epoch 1\/2 1\//);
  a.child.kill('SIGTERM');
  const ra = await a.done;
  assert.equal(ra.code, 143, ra.stderr);
  assert.match(ra.stderr, /SIGTERM: saved /);

  const b = stadTrainAsync(['--config', cfg, '--out', join(fx.dir, 'twice'), '--log-every', '1'], { STAD_TEST_STEP_DELAY_MS: '3000' });
  await waitFor(b, /epoch 1\/2 1\//);
  b.child.kill('SIGINT');
  await waitFor(b, /SIGINT: stopping/);
  b.child.kill('SIGINT');
  const rb = await b.done;
  assert.equal(rb.code, 130, rb.stderr);
  assert.match(rb.stderr, /SIGINT again: exiting now without saving/);
  assert.doesNotMatch(rb.stderr, /SIGINT: saved/);
});

/** Resolves when the child's stderr matches `re` (fails the test if it exits first). */
async function waitFor(p: ReturnType<typeof stadTrainAsync>, re: RegExp): Promise<void> {
  let text = '';
  await new Promise<void>((resolve, reject) => {
    const onData = (d: string): void => {
      text += d;
      if (re.test(text)) {
        p.child.stderr!.off('data', onData);
        resolve();
      }
    };
    p.child.stderr!.on('data', onData);
    void p.done.then((r) => reject(new Error(`exited (${r.signal ?? r.code}) before ${re}:\n${r.stderr}`)));
  });
}
