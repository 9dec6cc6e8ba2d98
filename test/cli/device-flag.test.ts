/**
 * `--device` in `stad train` and `stad test`: a malformed value, and a device this machine cannot use
 * (here: CUDA on a CPU-only libtorch), are one line naming the flag, exit code 2, nothing written.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, tempDir } from '../helpers.js';
import { cuda } from '../../src/torch/index.js';

test('a malformed --device is refused before anything is loaded', () => {
  for (const cmd of [['train', '--config', 'synth_tiny_bce'], ['test', '--checkpoint', 'x.safetensors']]) {
    const r = runCli([...cmd, '--device', 'gpu0']);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr.trim(), /^stad: --device: expected cpu, cuda or cuda:N, got "gpu0"$/);
  }
});

test('an unavailable device is one line and exit code 2, and the run folder is not created', { skip: cuda.isAvailable() && 'CUDA is available here' }, () => {
  const { dir, cleanup } = tempDir();
  try {
    const out = join(dir, 'run');
    const t = runCli(['train', '--config', 'synth_tiny_bce', '--out', out, '--device', 'cuda']);
    assert.equal(t.code, 2, t.stderr);
    assert.match(t.stderr, /--device cuda: CUDA is not available \(the binding is built against libtorch /);
    assert.equal(t.stderr.trim().split('\n').length, 1, t.stderr);
    assert.equal(existsSync(out), false);
    const s = runCli(['test', '--checkpoint', join(dir, 'none.safetensors'), '--device', 'cuda:1']);
    assert.equal(s.code, 2, s.stderr);
    assert.match(s.stderr, /--device cuda:1: CUDA is not available/);
  } finally {
    cleanup();
  }
});

test('--amp takes bf16 or none', () => {
  const r = runCli(['train', '--config', 'synth_tiny_bce', '--amp', 'fp16']);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /--amp: expected bf16 or none, got "fp16"/);
});
