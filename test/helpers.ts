import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { spawnSync } from 'node:child_process';
import assert from 'node:assert/strict';

/** The repository root (tests run compiled from dist/test/). */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** ../shared beside the checkout: read-only fixtures written by other tools. */
export const sharedDir = resolve(repoRoot, '..', 'shared');
export const sharedFixtures = join(sharedDir, 'fixtures');
/** test/fixtures: small committed data of our own. */
export const fixtures = join(repoRoot, 'test', 'fixtures');

/** A fresh temporary directory, removed by the returned cleanup function. */
export function tempDir(prefix = 'stad-test-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Calls `fn` with the path of a temporary file `name` holding `content`; the file is removed afterwards. */
export function withTempFile<T>(name: string, content: string | Uint8Array, fn: (path: string) => T): T {
  const { dir, cleanup } = tempDir();
  try {
    const p = join(dir, name);
    writeFileSync(p, content);
    return fn(p);
  } finally {
    cleanup();
  }
}

/** Runs the compiled CLI in a child process; returns exit code, stdout and stderr. */
export function runCli(args: string[], opts: { cwd?: string; input?: string; env?: Record<string, string> } = {}): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [join(repoRoot, 'dist', 'src', 'cli', 'main.js'), ...args], {
    cwd: opts.cwd ?? repoRoot,
    encoding: 'utf8',
    input: opts.input,
    env: { ...process.env, FORCE_COLOR: '0', ...(opts.env ?? {}) },
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/**
 * The device the device-neutral tests run on: $STAD_TEST_DEVICE (cpu, cuda, cuda:N), default cpu.
 * bench/gpu.sh runs the binding's and the models' tests with STAD_TEST_DEVICE=cuda.
 */
export function testDevice(): 'cpu' | 'cuda' | `cuda:${number}` {
  const d = process.env.STAD_TEST_DEVICE ?? 'cpu';
  if (!/^(cpu|cuda(:\d+)?)$/.test(d)) throw new Error(`STAD_TEST_DEVICE: expected cpu, cuda or cuda:N, got ${JSON.stringify(d)}`);
  return d as 'cpu' | 'cuda' | `cuda:${number}`;
}

/**
 * A user error from the CLI: exit code 2 and exactly one `stad: ` line matching `re`, the last thing on
 * stderr (informational lines such as the lr may come first when the error is found late).
 */
export function assertUserError(r: { code: number; stderr: string }, re: RegExp): void {
  assert.equal(r.code, 2, r.stderr);
  const errors = r.stderr.trim().split('\n').filter((l) => l.startsWith('stad: '));
  assert.equal(errors.length, 1, r.stderr);
  assert.match(errors[0]!, re);
  assert.ok(r.stderr.trim().endsWith(errors[0]!), r.stderr);
}
