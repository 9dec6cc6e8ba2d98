// Intra-op threads at load: STAD_NUM_THREADS when set, else the quota-aware core count; a bad value is
// one clear line. Each case loads the binding in a fresh process.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';
import { repoRoot } from '../helpers.js';
import { availableCores } from '../../src/util/cpu.js';

const torchUrl = pathToFileURL(join(repoRoot, 'dist', 'src', 'torch', 'index.js')).href;

function threadsAtLoad(env: Record<string, string | undefined>): { code: number | null; stdout: string; stderr: string } {
  const script = `const t = await import(${JSON.stringify(torchUrl)}); console.log(t.getNumThreads());`;
  const childEnv = { ...process.env, ...env };
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete childEnv[k];
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', env: childEnv });
  return { code: r.status, stdout: r.stdout.trim(), stderr: r.stderr };
}

test('STAD_NUM_THREADS sets the intra-op threads at load', () => {
  const r = threadsAtLoad({ STAD_NUM_THREADS: '1' });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, '1');
});

test('without STAD_NUM_THREADS: the cores the CPU quota allows', () => {
  const r = threadsAtLoad({ STAD_NUM_THREADS: undefined, OMP_NUM_THREADS: undefined });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(Number(r.stdout), availableCores());
});

test('a bad STAD_NUM_THREADS stops loading with a message naming it', () => {
  const r = threadsAtLoad({ STAD_NUM_THREADS: 'lots' });
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /STAD_NUM_THREADS: expected a positive integer, got 'lots'/);
});
