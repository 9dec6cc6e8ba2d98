/**
 * stad's own launcher (`stad train --nproc-per-node N`), the part of torchrun stad needs: it starts N
 * worker processes on this machine with torchrun's environment (src/distributed/env.ts), shows their
 * output (local rank 0 keeps the terminal, so its progress bar works; the others' lines are prefixed
 * with their rank), and supervises them: when one fails (an exit code other than 0, or a signal) it
 * says which and why in one line and stops the others (SIGTERM, then SIGKILL after a grace period),
 * instead of leaving them waiting on a collective.
 *
 * Signals. The workers run in their own process group, so a Ctrl-C on the terminal reaches the
 * launcher alone, which passes each SIGINT/SIGTERM on to every worker exactly once: at the first, the
 * workers agree on a step to stop after, rank 0 saves a checkpoint and they exit 130/143 (src/train/
 * signals.ts); at the second they quit at once; at a third the launcher kills them. Workers started by
 * this launcher stop by themselves when it dies (STAD_LAUNCHER_PID, watched in src/distributed/orphan.ts).
 *
 * The launcher never loads libtorch; each worker is this same program (`stad train ...`) started again.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';
import { workerEnv, type DistEnv } from './env.js';
import { LAUNCHER_PID_VAR } from './orphan.js';

export interface LaunchOptions {
  nprocPerNode: number;
  nnodes: number;
  nodeRank: number;
  masterAddr: string;
  /** Undefined: a free port on a single machine, 29500 (torchrun's default) across machines. */
  masterPort?: number;
  /** Node's arguments for one worker after the executable (script and its arguments). */
  workerArgv: readonly string[];
  /** Extra environment of every worker (e.g. STAD_NUM_THREADS). */
  env?: Readonly<Record<string, string>>;
  /** Between SIGTERM and SIGKILL when stopping workers. */
  graceMs?: number;
  /** Where the launcher's own lines and the prefixed worker lines go. */
  out?: NodeJS.WritableStream;
  err?: NodeJS.WritableStream;
}

export interface LaunchResult {
  /** 0 when every worker succeeded; else the first failure's exit code (1 for a signal). */
  exitCode: number;
  /** One line about the first failure, or null. */
  failure: string | null;
}

/** A free TCP port on this machine (for a single-machine job's rendezvous). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

function prefixLines(stream: NodeJS.ReadableStream, prefix: string, to: NodeJS.WritableStream): void {
  const rl = createInterface({ input: stream, crlfDelay: Infinity });
  // a worker's progress redraws (\r) become separate lines here: only rank 0 has the terminal
  rl.on('line', (line) => {
    const last = line.split('\r').pop()!;
    if (last.trim() !== '') to.write(`${prefix}${last}\n`); // a bare '[rank 1] ' says nothing
  });
}

function describeExit(code: number | null, signal: NodeJS.Signals | null): string {
  return signal ? `was killed by ${signal}` : `exited with code ${code}`;
}

/** Starts and supervises this node's workers; resolves when all have ended. */
export async function launchWorkers(o: LaunchOptions): Promise<LaunchResult> {
  const out = o.out ?? process.stdout;
  const err = o.err ?? process.stderr;
  const grace = o.graceMs ?? 5000;
  const worldSize = o.nprocPerNode * o.nnodes;
  const masterPort = o.masterPort ?? (o.nnodes === 1 ? await freePort() : 29500);
  const children: { child: ChildProcess; rank: number; done: boolean }[] = [];
  let failure: string | null = null;
  let exitCode = 0;
  let killTimer: NodeJS.Timeout | null = null;
  let signalled: NodeJS.Signals | null = null; // a user's signal, passed on
  let signals = 0;

  const stopAll = () => {
    for (const c of children) if (!c.done) c.child.kill('SIGTERM');
    killTimer ??= setTimeout(() => {
      for (const c of children) if (!c.done) c.child.kill('SIGKILL');
    }, grace);
  };
  const onSignal = (sig: NodeJS.Signals) => {
    signals++;
    signalled ??= sig;
    if (signals >= 3) {
      err.write(`stad train: ${sig} a third time: killing the workers\n`);
      for (const c of children) if (!c.done) c.child.kill('SIGKILL');
      return;
    }
    if (signals === 1 && failure === null) err.write(`stad train: ${sig}: passed to the workers (they stop after the current step, rank 0 saves)\n`);
    for (const c of children) if (!c.done) c.child.kill(sig);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  try {
    const ended = Array.from({ length: o.nprocPerNode }, (_, localRank) => {
      const d: DistEnv = { rank: o.nodeRank * o.nprocPerNode + localRank, worldSize, localRank, localWorldSize: o.nprocPerNode, masterAddr: o.masterAddr, masterPort };
      const keepsTerminal = localRank === 0;
      const child = spawn(process.execPath, [...process.execArgv, ...o.workerArgv], {
        env: { ...process.env, ...o.env, ...workerEnv(d), [LAUNCHER_PID_VAR]: String(process.pid) },
        stdio: keepsTerminal ? ['ignore', 'inherit', 'inherit'] : ['ignore', 'pipe', 'pipe'],
        // a process group of its own: the terminal's Ctrl-C reaches the launcher only, which passes it on once
        detached: true,
      });
      const entry = { child, rank: d.rank, done: false };
      children.push(entry);
      if (!keepsTerminal) {
        prefixLines(child.stdout!, `[rank ${d.rank}] `, out);
        prefixLines(child.stderr!, `[rank ${d.rank}] `, err);
      }
      return new Promise<void>((resolve) => {
        child.once('error', (e) => {
          entry.done = true;
          if (failure === null) {
            failure = `stad train: rank ${d.rank} could not start: ${e.message}; stopping the other workers`;
            exitCode = 1;
            err.write(`${failure}\n`);
            stopAll();
          }
          resolve();
        });
        child.once('exit', (code, signal) => {
          entry.done = true;
          // after a user's signal, a worker that saved and stopped (130/143) is no failure
          const stoppedBySignal = signalled !== null && (code === 130 || code === 143 || signal === signalled);
          if (stoppedBySignal && failure === null) exitCode = signalled === 'SIGTERM' ? 143 : 130;
          if ((code !== 0 || signal) && !stoppedBySignal && failure === null) {
            const others = children.filter((c) => !c.done).length;
            failure = `stad train: rank ${d.rank} (pid ${child.pid}) ${describeExit(code, signal)}${others ? `; stopping the other ${others} worker${others > 1 ? 's' : ''}` : ''}`;
            exitCode = signal ? 1 : (code ?? 1);
            err.write(`${failure}\n`);
            stopAll();
          }
          resolve();
        });
      });
    });
    await Promise.all(ended);
  } finally {
    if (killTimer) clearTimeout(killTimer);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  return { exitCode, failure };
}
