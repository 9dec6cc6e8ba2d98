/** Shared by the crash-safety tests: a `stad train` child process, and run folders compared exactly. */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readSafetensors } from '../../src/serialization/safetensors.js';
import { repoRoot } from '../helpers.js';

export const MAIN = join(repoRoot, 'dist', 'src', 'cli', 'main.js');

export interface ChildResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** `stad train ...` in a child process, with extra environment (the crash points). */
export function stadTrain(args: string[], env: Record<string, string> = {}): ChildResult {
  const r = spawnSync(process.execPath, [MAIN, 'train', ...args], {
    encoding: 'utf8',
    env: { ...process.env, CI: 'true', FORCE_COLOR: '0', ...env },
    timeout: 1_200_000, // a hang is a failure; the machine may be slow and shared
  });
  return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

/** `stad train ...` started in the background; `signal(s)` sends it a signal; `done` resolves at its exit. */
export function stadTrainAsync(args: string[], env: Record<string, string> = {}): { child: ReturnType<typeof spawn>; done: Promise<ChildResult> } {
  const child = spawn(process.execPath, [MAIN, 'train', ...args], { env: { ...process.env, CI: 'true', FORCE_COLOR: '0', ...env } });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const done = new Promise<ChildResult>((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
  return { child, done };
}

/** metrics.jsonl without what depends on the wall clock (clips per second, validation seconds). */
export function metricsWithoutTimes(dir: string): Record<string, unknown>[] {
  return readFileSync(join(dir, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => {
      const o = JSON.parse(l) as Record<string, unknown>;
      delete o.clipsPerSec;
      delete o.seconds;
      return o;
    });
}

/** A checkpoint's tensors (bytes) and its state, less the timing it records (lastValSeconds). */
function checkpointContent(file: string): { tensors: Map<string, Buffer>; state: unknown; config: unknown } {
  const { tensors, metadata } = readSafetensors(file);
  const m = new Map<string, Buffer>();
  for (const [k, t] of Object.entries(tensors)) m.set(k, Buffer.from(t.data));
  const state = JSON.parse(metadata.state ?? 'null') as Record<string, unknown> | null;
  if (state) delete state.lastValSeconds;
  return { tensors: m, state, config: JSON.parse(metadata.config ?? 'null') };
}

/** Asserts that two run folders end the same: weights, optimiser state, run state, best, metrics. */
export function assertSameRun(a: string, b: string): void {
  for (const f of ['latest.safetensors', 'best.safetensors']) {
    assert.equal(existsSync(join(a, f)), existsSync(join(b, f)), f);
    if (!existsSync(join(a, f))) continue;
    const x = checkpointContent(join(a, f));
    const y = checkpointContent(join(b, f));
    assert.deepEqual([...x.tensors.keys()].sort(), [...y.tensors.keys()].sort(), `${f}: tensor names`);
    const differ = [...x.tensors].filter(([k, v]) => !v.equals(y.tensors.get(k)!)).map(([k]) => k);
    assert.deepEqual(differ, [], `${f}: tensors that differ`);
    assert.deepEqual(x.state, y.state, `${f}: state`);
  }
  assert.deepEqual(metricsWithoutTimes(b), metricsWithoutTimes(a), 'metrics.jsonl');
}
