/**
 * The PyTorch peer of the binding benchmark: bench/binding/reference.py run as a long-lived child
 * (`reference.py serve`) that answers one JSON command per line. Keeping one process lets the benchmark
 * interleave stad and PyTorch block by block (the machine is shared and noisy) without paying Python's
 * `import torch` for every block.
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface, type Interface } from 'node:readline';
import { z } from 'zod';
import type { CallTiming, StepTimes } from './cases.js';

/** Debian's Python, which has python3-torch (a plain `python3` may be a pyenv Python without torch). */
export const DEFAULT_PYTHON = '/usr/bin/python3';

const INSTALL_COMMAND =
  'apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends python3-torch';

export type EnsureResult = { ok: true; installed: boolean } | { ok: false; message: string };

/**
 * Makes sure `python` can `import torch`. With Debian's Python and running as root, installs
 * python3-torch when it is missing; otherwise says which command to run.
 */
export function ensureTorchPython(python: string, log: (line: string) => void): EnsureResult {
  const importsTorch = (): boolean => spawnSync(python, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;
  if (importsTorch()) return { ok: true, installed: false };
  if (python !== DEFAULT_PYTHON) {
    return { ok: false, message: `${python} cannot import torch: install PyTorch for it, or drop --python to use Debian's ${DEFAULT_PYTHON}` };
  }
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!isRoot) {
    return { ok: false, message: `PyTorch for ${DEFAULT_PYTHON} is missing (Debian's python3-torch). Run as root:\n  ${INSTALL_COMMAND}` };
  }
  log(`installing python3-torch: ${INSTALL_COMMAND}`);
  const r = spawnSync('sh', ['-c', INSTALL_COMMAND], { stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.status !== 0 || !importsTorch()) {
    return { ok: false, message: `installing python3-torch failed (exit ${r.status ?? r.signal}); run:\n  ${INSTALL_COMMAND}` };
  }
  return { ok: true, installed: true };
}

const ErrorReply = z.object({ error: z.string() });
const InfoReply = z.object({ torchVersion: z.string(), threads: z.number(), parallelInfo: z.string(), python: z.string() });
const ThreadsReply = z.object({ threads: z.number() });
const OverheadReply = z.object({ us: z.number(), cpuUs: z.number() });
const Conv3dReply = z.object({ seconds: z.array(z.number()), cpuSeconds: z.array(z.number()) });

export type PeerInfo = z.infer<typeof InfoReply>;
/** How the Python loop adds: `a.add(b)` (the mirror of stad's `a.add(b)`), `a + b`, `torch.add(a, b)`. */
export type PythonAddVariant = 'method' | 'operator' | 'function';

export class PythonPeer {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly lines: Interface;
  private readonly pending: ((line: string | null) => void)[] = [];
  private stderr = '';

  constructor(python: string, script: string) {
    this.child = spawn(python, [script, 'serve'], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stderr.on('data', (d: Buffer) => {
      this.stderr = (this.stderr + d.toString()).slice(-4000);
    });
    this.lines = createInterface({ input: this.child.stdout });
    this.lines.on('line', (line) => this.pending.shift()?.(line));
    this.lines.on('close', () => {
      for (const p of this.pending.splice(0)) p(null);
    });
  }

  private async request<T>(cmd: Record<string, unknown>, schema: z.ZodType<T>): Promise<T> {
    const line = await new Promise<string | null>((resolve) => {
      this.pending.push(resolve);
      this.child.stdin.write(JSON.stringify(cmd) + '\n');
    });
    if (line === null) throw new Error(`the PyTorch reference exited during ${JSON.stringify(cmd)}:\n${this.stderr}`);
    const value: unknown = JSON.parse(line);
    const err = ErrorReply.safeParse(value);
    if (err.success) throw new Error(`the PyTorch reference failed on ${JSON.stringify(cmd)}: ${err.data.error}`);
    return schema.parse(value);
  }

  info(): Promise<PeerInfo> {
    return this.request({ cmd: 'info' }, InfoReply);
  }

  async setThreads(n: number): Promise<number> {
    return (await this.request({ cmd: 'threads', n }, ThreadsReply)).threads;
  }

  /** Microseconds per addition of two 4-element float32 tensors, over `iters` additions. */
  overhead(variant: PythonAddVariant, iters: number): Promise<CallTiming> {
    return this.request({ cmd: 'overhead', variant, iters }, OverheadReply);
  }

  /** Times of each of `reps` conv3d forward+backward steps. */
  conv3d(reps: number): Promise<StepTimes> {
    return this.request({ cmd: 'conv3d', reps }, Conv3dReply);
  }

  async close(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.stdin.end(JSON.stringify({ cmd: 'quit' }) + '\n');
    await exited;
  }
}
