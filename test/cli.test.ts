import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runCli } from './helpers.js';
import { fakeSmiEnv } from './gpu/fake-nvidia-smi.js';

test('stad --help lists the command and exits 0', () => {
  const r = runCli(['--help']);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /Usage: stad/);
});

test('an unknown subcommand is a usage error with exit code 2', () => {
  const r = runCli(['no-such-command']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /unknown command/);
});

test('tensor-free commands never load libtorch (they work with the binding made unloadable)', () => {
  const env = { STAD_NATIVE: '/nonexistent/stad_native.node' };
  for (const args of [['--help'], ['eval', '--help'], ['stats', '--help'], ['convert', '--help'], ['gpustat', '--help']]) {
    const r = runCli(args, { env });
    assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
  }
  const r = runCli(['eval', '--gt', '/nonexistent.csv', '--pred', '/nonexistent.csv', '--labels', '/nonexistent.pbtxt'], { env });
  assert.equal(r.code, 2);
  assert.doesNotMatch(r.stderr, /native binding/);
});

test('stad gpustat never loads libtorch: it runs with the binding made unloadable', () => {
  const env = fakeSmiEnv('h200', { STAD_NATIVE: '/nonexistent/stad_native.node' });
  const r = runCli(['gpustat', '-cp'], { env });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /\[0\] NVIDIA H200 \| /);
  const noDriver = runCli(['gpustat'], { env: fakeSmiEnv('driver-error', { STAD_NATIVE: '/nonexistent/stad_native.node' }) });
  assert.equal(noDriver.code, 1);
  assert.doesNotMatch(noDriver.stderr, /native binding/);
});
