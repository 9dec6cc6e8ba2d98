/**
 * The PyTorch side of bench/train: bench/reference/train_step.py --serve in one long-lived process
 * (Debian's /usr/bin/python3, the same libtorch), driven line by line over pipes: "load PATH" hands it a
 * slice's batches (outside any timing), "step I" trains on batch I and answers the step's wall and CPU
 * seconds measured inside Python.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface ReferenceStep {
  step_s: number;
  cpu_s: number;
  sys_s: number;
  loss: number;
}

export class ReferenceTrainer {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly waiting: ((line: string) => void)[] = [];
  private readonly buffered: string[] = [];
  private stderr = '';
  private exited: string | null = null;

  constructor(python: string, script: string, args: readonly string[]) {
    this.child = spawn(python, [script, '--serve', ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stderr.on('data', (d: Buffer) => {
      this.stderr = (this.stderr + d.toString()).slice(-4000);
    });
    createInterface({ input: this.child.stdout }).on('line', (l) => {
      const w = this.waiting.shift();
      if (w) w(l);
      else this.buffered.push(l);
    });
    this.child.on('exit', (code, signal) => {
      this.exited = `train_step.py exited (${code ?? signal}): ${this.stderr.trim().split('\n').slice(-3).join(' | ')}`;
      for (const w of this.waiting.splice(0)) w('');
    });
  }

  private async next(): Promise<Record<string, unknown>> {
    const line = this.buffered.shift() ?? (this.exited ? '' : await new Promise<string>((r) => this.waiting.push(r)));
    if (!line) throw new Error(this.exited ?? 'train_step.py: no answer');
    const v = JSON.parse(line) as Record<string, unknown>;
    if (typeof v.error === 'string') throw new Error(`train_step.py: ${v.error}`);
    return v;
  }

  /** The ready line: {"ready", "parameters", "threads", "torch"}. */
  ready(): Promise<Record<string, unknown>> {
    return this.next();
  }

  async load(path: string): Promise<number> {
    this.child.stdin.write(`load ${path}\n`);
    return Number((await this.next()).loaded);
  }

  async step(index: number): Promise<ReferenceStep> {
    this.child.stdin.write(`step ${index}\n`);
    return (await this.next()) as unknown as ReferenceStep;
  }

  async close(): Promise<void> {
    if (this.exited) return;
    const done = new Promise<void>((r) => this.child.once('exit', () => r()));
    this.child.stdin.end('quit\n');
    await done;
  }
}
