/**
 * A full disk during a checkpoint write: the previous checkpoint stays whole, the error is one line
 * naming the file and saying so (exit 2), no temporary file is left, and --resume goes on from it. For
 * real on a small tmpfs where mounting is permitted (root), and through the injected ENOSPC of the
 * write path's test hook (src/util/crash-points.ts) everywhere.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readSafetensors } from '../../src/serialization/safetensors.js';
import { tinyConfig, tinyDataset } from '../train/fixture.js';
import { stadTrain } from './run-files.js';

let fx: Awaited<ReturnType<typeof tinyDataset>>;
let cfg: string;
before(async () => {
  fx = await tinyDataset();
  cfg = join(fx.dir, 'tiny.json');
  writeFileSync(cfg, JSON.stringify(tinyConfig(fx.data, { epochs: 2, valInterval: 0, data: { ...tinyConfig(fx.data).data, valBoxes: 'gt' } })));
});
after(() => fx.cleanup());

function stateOf(file: string): { epoch: number; iteration: number } {
  return JSON.parse(readSafetensors(file).metadata.state!) as { epoch: number; iteration: number };
}

function assertFullDiskStop(r: { code: number | null; stderr: string }, out: string): void {
  assert.equal(r.code, 2, r.stderr);
  const errors = r.stderr.trim().split('\n').filter((l) => l.startsWith('stad: '));
  assert.equal(errors.length, 1, r.stderr);
  assert.match(errors[0]!, /latest\.safetensors: cannot write: no space left on the device \(ENOSPC\); the run stopped \(after epoch 2 not saved\), the previous .*latest\.safetensors is intact; free space and continue with --resume$/);
  // the previous checkpoint: whole, after epoch 1; nothing half-written beside it
  assert.equal(stateOf(join(out, 'latest.safetensors')).epoch, 1);
  assert.deepEqual(readdirSync(out).filter((f) => f.endsWith('.tmp')), []);
}

test('an injected ENOSPC half-way through a checkpoint write: previous checkpoint intact, one line, exit 2, resumable', () => {
  const ref = join(fx.dir, 'ref');
  const r0 = stadTrain(['--config', cfg, '--out', ref]);
  assert.equal(r0.code, 0, r0.stderr);
  const total = stateOf(join(ref, 'latest.safetensors')).iteration;

  const out = join(fx.dir, 'enospc');
  const r = stadTrain(['--config', cfg, '--out', out], { STAD_ENOSPC_AT: `checkpoint:${total}` });
  assertFullDiskStop(r, out);
  const again = stadTrain(['--resume', out]);
  assert.equal(again.code, 0, again.stderr);
  assert.equal(stateOf(join(out, 'latest.safetensors')).epoch, 2);
});

test('a real full disk (a small tmpfs): the same', (t) => {
  const ref = join(fx.dir, 'ref');
  const pages = (n: number): number => Math.ceil(n / 4096) * 4096;
  const sizeOf = (f: string): number => statSync(join(ref, f)).size;
  const mnt = join(fx.dir, 'small');
  mkdirSync(mnt);
  // room for config, metrics, one checkpoint and half of the next: the second checkpoint write fails
  const bytes = pages(sizeOf('config.json')) + pages(sizeOf('metrics.jsonl')) + pages(sizeOf('latest.safetensors')) + pages(sizeOf('latest.safetensors') / 2) + 2 * 4096;
  const m = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${bytes}`, 'tmpfs', mnt], { encoding: 'utf8' });
  if (m.status !== 0) {
    t.skip(`cannot mount a tmpfs here (${(m.stderr || m.error?.message || '').trim() || `exit ${m.status}`}): the injected ENOSPC test covers the write path`);
    return;
  }
  try {
    const out = join(mnt, 'run');
    const r = stadTrain(['--config', cfg, '--out', out]);
    assertFullDiskStop(r, out);
    assert.ok(readFileSync(join(out, 'metrics.jsonl'), 'utf8').endsWith('\n'));
  } finally {
    spawnSync('umount', [mnt]);
  }
});
