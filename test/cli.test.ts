import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runCli } from './helpers.js';

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
  for (const args of [['--help'], ['eval', '--help'], ['stats', '--help'], ['convert', '--help']]) {
    const r = runCli(args, { env });
    assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
  }
  const r = runCli(['eval', '--gt', '/nonexistent.csv', '--pred', '/nonexistent.csv', '--labels', '/nonexistent.pbtxt'], { env });
  assert.equal(r.code, 2);
  assert.doesNotMatch(r.stderr, /native binding/);
});
