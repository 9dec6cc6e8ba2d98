/** Test helpers: the fake nvidia-smi on PATH (test/fixtures/gpu/bin) and a made-up procfs. */
import { join, delimiter } from 'node:path';
import { mkdirSync, writeFileSync } from 'node:fs';
import { fixtures } from '../helpers.js';

export const gpuFixtures = join(fixtures, 'gpu');

/** Environment variables that make `nvidia-smi` replay the recording in test/fixtures/gpu/<name>. */
export function fakeSmiEnv(name: string, extra: Record<string, string> = {}): Record<string, string> {
  return { PATH: `${join(gpuFixtures, 'bin')}${delimiter}${process.env.PATH ?? ''}`, STAD_FAKE_NVIDIA_SMI: join(gpuFixtures, name), ...extra };
}

/** Sets `vars` in this process's environment for the duration of `fn`. */
export async function withEnv<T>(vars: Record<string, string>, fn: () => Promise<T>): Promise<T> {
  const saved = new Map(Object.keys(vars).map((k) => [k, process.env[k]]));
  Object.assign(process.env, vars);
  try {
    return await fn();
  } finally {
    for (const [k, v] of saved) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

export interface FakeProcess {
  uid: number;
  /** argv; written NUL-terminated as the kernel does */
  argv: string[];
  comm?: string;
}

/** Writes `<dir>/<pid>/{status,cmdline,comm}` for each process, as Linux's procfs shows them. */
export function writeProcfs(dir: string, procs: Record<number, FakeProcess>): void {
  for (const [pid, p] of Object.entries(procs)) {
    const d = join(dir, pid);
    mkdirSync(d, { recursive: true });
    const comm = p.comm ?? (p.argv[0] ?? '').split('/').pop()!.slice(0, 15);
    writeFileSync(join(d, 'status'), `Name:\t${comm}\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t${pid}\nPid:\t${pid}\nPPid:\t1\nUid:\t${p.uid}\t${p.uid}\t${p.uid}\t${p.uid}\nGid:\t${p.uid}\t${p.uid}\t${p.uid}\t${p.uid}\n`);
    writeFileSync(join(d, 'cmdline'), p.argv.map((a) => `${a}\0`).join(''));
    writeFileSync(join(d, 'comm'), `${comm}\n`);
  }
}
