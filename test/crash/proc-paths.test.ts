/** Output paths that Node's recursive mkdir never returns from (under /proc): a clear error, at once. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeDirs } from '../../src/util/fs.js';
import { repoRoot, tempDir } from '../helpers.js';

const onLinuxProc = existsSync('/proc/self');

function cli(args: string[]): { code: number | null; stderr: string; signal: NodeJS.Signals | null } {
  // a hang is the bug: a generous limit, far above the fraction of a second the error takes
  const r = spawnSync(process.execPath, [join(repoRoot, 'dist', 'src', 'cli', 'main.js'), ...args], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stderr: r.stderr, signal: r.signal };
}

test('makeDirs: creates missing folders, accepts existing ones, refuses a file in the way and a path under /proc', () => {
  const tmp = tempDir('stad-mkdirs-');
  try {
    const deep = join(tmp.dir, 'a', 'b', 'c');
    makeDirs(deep);
    makeDirs(deep);
    assert.ok(existsSync(deep));
    writeFileSync(join(tmp.dir, 'file'), 'x');
    assert.throws(() => makeDirs(join(tmp.dir, 'file', 'sub')), (e: NodeJS.ErrnoException) => e.code === 'ENOTDIR');
    mkdirSync(join(tmp.dir, 'made'));
    makeDirs(join(tmp.dir, 'made'));
    if (onLinuxProc) assert.throws(() => makeDirs('/proc/x/y'), (e: NodeJS.ErrnoException) => typeof e.code === 'string' && e.syscall === 'mkdir');
  } finally {
    tmp.cleanup();
  }
});

test('stad synth --out /proc/x/y: one line, exit 2, no hang', { skip: !onLinuxProc && 'no /proc here' }, () => {
  const r = cli(['synth', '--out', '/proc/x/y', '--scale', '0.01', '--no-video']);
  assert.equal(r.signal, null, 'stad synth hung');
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr.trim(), /^stad: \/proc\/x\/y\.partial: cannot write: .*\([A-Z]+\)$/);
});
