/**
 * `npm run bench -- dist [--batches K] [--batch B] [--rounds R] [--threads1 T]`: data-parallel scaling
 * on this machine. Steps per second of the real training loop (src/train/loop.ts, preset
 * synth_tiny_bce, B clips per process per step, no validation) with 1 process and with 2 processes
 * (stad's launcher, Gloo on loopback, c10d's Reducer), libtorch threads per process = cores / processes
 * (the 1-process run: T when given), loader in the main thread. Each run times steps 2..K of one epoch;
 * R rounds alternate a 1-process and a 2-process run (so that a change in the machine's load hits both
 * sides alike) and the figures are the medians over the rounds. The global batch doubles with 2
 * processes (weak scaling), so
 *   efficiency = (2-process clips/s) / (2 x 1-process clips/s) = 2-process steps/s / 1-process steps/s.
 * On a machine with fewer free cores than processes x threads the processes only share the cores:
 * the figure then measures the communication and synchronisation overhead, not a speed-up.
 * A control in each round separates the two: two independent 1-process runs at once (no process group,
 * each with the 2-process run's threads), whose mean steps/s over the 1-process run's is what sharing
 * the machine alone costs (memory bandwidth, caches, the loader's threads); the 2-process run's steps/s
 * over theirs (`commEfficiency`) is what the gradient all-reduce and the ranks' waiting on each other cost.
 * Each worker also profiles its steps (bench/dist/worker.ts): the JSON line's collectiveMsPerStep is the
 * 2-process run's mean time per step and rank inside DataParallel's collectives outside the backward
 * pass (the step's agreement, src/distributed/step-agreement.ts), backwardMsPerStep the backward pass with
 * the wait for the Reducer's all-reduces; `--profile DIR` keeps every run's per-step profile in DIR.
 * Prints a line per run, then LAST one JSON line:
 *   {"bench":"dist","steps1","steps2","clipsPerSec1","clipsPerSec2","efficiency",...}
 * About 2-4 minutes on the 2-core machine (a small dataset is generated first).
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawn, spawnSync } from 'node:child_process';
import { generateSynthDataset } from '../../src/data/synth/generate.js';
import { launchWorkers } from '../../src/distributed/launcher.js';
import { availableCores } from '../../src/util/cpu.js';

interface RunResult {
  world: number;
  steps: number;
  seconds: number;
  stepsPerSec: number;
  clipsPerStep: number;
}

/** Runs the worker as a plain (rank-less) process; resolves with its result file's content. */
function runAlone(argv: string[], resultFile: string): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, argv, { stdio: 'inherit' });
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0) reject(new Error(`an independent run failed (exit ${code})`));
      else resolve(JSON.parse(readFileSync(resultFile, 'utf8')) as RunResult);
    });
  });
}

/** The mean over the ranks' profiles and their timed steps of the ms per step in each kind of call. */
function meanCallMs(files: readonly string[]): Record<string, number> {
  const sum = new Map<string, number>();
  let steps = 0;
  for (const f of files) {
    const p = JSON.parse(readFileSync(f, 'utf8')) as { inCalls: Record<string, number>[] };
    for (const step of p.inCalls) for (const [k, ms] of Object.entries(step)) sum.set(k, (sum.get(k) ?? 0) + ms);
    steps += p.inCalls.length;
  }
  return Object.fromEntries([...sum].map(([k, ms]) => [k, ms / Math.max(1, steps)]));
}

/** The mean over the processes' profiles of their CPU ms per timed step. */
function cpuPerStep(files: readonly string[]): number {
  return files.reduce((a, f) => a + (JSON.parse(readFileSync(f, 'utf8')) as { cpuMsPerStep: number }).cpuMsPerStep, 0) / files.length;
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
}

const batches = arg('--batches', 12);
const batch = arg('--batch', 4);
const rounds = arg('--rounds', 2);
// --profile DIR: keeps each run's per-step profile (step times, time in each collective) in DIR
const profileAt = process.argv.indexOf('--profile');
const profileDir = profileAt >= 0 ? process.argv[profileAt + 1]! : null;
if (profileDir !== null) mkdirSync(profileDir, { recursive: true });
function keepProfiles(round: number): void {
  if (profileDir === null) return;
  for (const [file, name] of [['one.json.profile', 'one'], ['two.json.profile0', 'two-r0'], ['two.json.profile1', 'two-r1'], ['alone0.json.profile', 'alone0'], ['alone1.json.profile', 'alone1']] as const) {
    if (existsSync(join(work, file))) copyFileSync(join(work, file), join(profileDir, `${name}-${round}.json`));
  }
}
const cores = availableCores();
const worker = join(dirname(fileURLToPath(import.meta.url)), 'worker.js');
const work = mkdtempSync(join(tmpdir(), 'stad-bench-dist-'));
try {
  const data = join(work, 'data');
  await generateSynthDataset({ out: data, scale: 0.03, seed: 1, fps: 5, video: false, jobs: 1 });
  const load0 = loadavg();

  const t1 = arg('--threads1', Math.max(1, cores));
  const t2 = Math.max(1, Math.floor(cores / 2));
  const ones: RunResult[] = [];
  const twos: RunResult[] = [];
  const alones: number[] = [];
  // per round, the 2-process run's mean over steps and ranks of the ms in each kind of DataParallel call
  const inCalls: Record<string, number>[] = [];
  // per round, CPU ms per step (all threads of a process): 1 process, the independent pair (mean), 2 processes (mean over ranks)
  const cpu: { one: number; alone: number; two: number }[] = [];
  for (let r = 0; r < rounds; r++) {
    const r1 = spawnSync(process.execPath, [worker, data, String(batches), String(batch), String(t1), join(work, 'one.json'), join(work, `run1-${r}`)], { stdio: 'inherit' });
    if (r1.status !== 0) throw new Error(`the 1-process run failed (exit ${r1.status})`);
    const one = JSON.parse(readFileSync(join(work, 'one.json'), 'utf8')) as RunResult;
    ones.push(one);
    console.log(`round ${r + 1}: 1 process  x ${t1} threads: ${one.stepsPerSec.toFixed(3)} steps/s, ${(one.stepsPerSec * one.clipsPerStep).toFixed(2)} clips/s (${one.steps} steps of ${one.clipsPerStep} clips)`);
    const r2 = await launchWorkers({
      nprocPerNode: 2,
      nnodes: 1,
      nodeRank: 0,
      masterAddr: '127.0.0.1',
      workerArgv: [worker, data, String(batches), String(batch), String(t2), join(work, 'two.json'), join(work, `run2-${r}`)],
    });
    if (r2.exitCode !== 0) throw new Error(`the 2-process run failed: ${r2.failure}`);
    const two = JSON.parse(readFileSync(join(work, 'two.json'), 'utf8')) as RunResult;
    twos.push(two);
    inCalls.push(meanCallMs([0, 1].map((k) => join(work, `two.json.profile${k}`))));
    // the control: two independent 1-process runs at the same time, no communication
    const pair = await Promise.all(
      [0, 1].map((k) =>
        runAlone([worker, data, String(batches), String(batch), String(t2), join(work, `alone${k}.json`), join(work, `alone${k}-${r}`)], join(work, `alone${k}.json`)),
      ),
    );
    keepProfiles(r);
    cpu.push({
      one: cpuPerStep([join(work, 'one.json.profile')]),
      alone: cpuPerStep([0, 1].map((k) => join(work, `alone${k}.json.profile`))),
      two: cpuPerStep([0, 1].map((k) => join(work, `two.json.profile${k}`))),
    });
    const aloneSteps = (pair[0]!.stepsPerSec + pair[1]!.stepsPerSec) / 2;
    alones.push(aloneSteps);
    console.log(`round ${r + 1}: 2 independent processes x ${t2} threads at once: ${aloneSteps.toFixed(3)} steps/s each (mean); sharing ${(100 * (aloneSteps / one.stepsPerSec)).toFixed(1)}%, communication ${(100 * (two.stepsPerSec / aloneSteps)).toFixed(1)}%`);
    console.log(`round ${r + 1}: 2 processes x ${t2} threads: ${two.stepsPerSec.toFixed(3)} steps/s, ${(two.stepsPerSec * two.clipsPerStep).toFixed(2)} clips/s (${two.steps} steps of ${two.clipsPerStep} clips); efficiency ${(100 * (two.stepsPerSec / one.stepsPerSec)).toFixed(1)}%`);
  }
  const one = { ...ones[0]!, stepsPerSec: median(ones.map((x) => x.stepsPerSec)) };
  const two = { ...twos[0]!, stepsPerSec: median(twos.map((x) => x.stepsPerSec)) };
  const efficiency = median(ones.map((o, i) => twos[i]!.stepsPerSec / o.stepsPerSec));
  const load1 = loadavg();
  console.log(
    `median over ${rounds} rounds: 1 process ${one.stepsPerSec.toFixed(3)} steps/s, 2 processes ${two.stepsPerSec.toFixed(3)} steps/s; ` +
      `scaling efficiency (2-process clips/s over twice the 1-process clips/s) ${(100 * efficiency).toFixed(1)}%; load average before ${load0.map((x) => x.toFixed(2)).join(' ')}, after ${load1.map((x) => x.toFixed(2)).join(' ')}`,
  );
  console.log(
    JSON.stringify({
      bench: 'dist',
      date: new Date().toISOString(),
      preset: 'synth_tiny_bce',
      cores,
      perRankBatch: batch,
      timedSteps: one.steps,
      rounds,
      threads1: t1,
      threads2: t2,
      steps1: one.stepsPerSec,
      steps2: two.stepsPerSec,
      clipsPerSec1: one.stepsPerSec * one.clipsPerStep,
      clipsPerSec2: two.stepsPerSec * two.clipsPerStep,
      efficiency,
      efficiencyPerRound: ones.map((o, i) => twos[i]!.stepsPerSec / o.stepsPerSec),
      stepsAlone: median(alones),
      sharingEfficiency: median(ones.map((o, i) => alones[i]! / o.stepsPerSec)),
      commEfficiency: median(twos.map((t, i) => t.stepsPerSec / alones[i]!)),
      // 2 processes, ms per step in the collectives outside the backward pass, and in the backward pass (its
      // computation and the wait for the Reducer's all-reduces), medians over the rounds
      collectiveMsPerStep: median(inCalls.map((c) => Object.entries(c).reduce((a, [k, ms]) => (k === 'backward' ? a : a + ms), 0))),
      backwardMsPerStep: median(inCalls.map((c) => c.backward ?? 0)),
      msPerStep2: 1000 / two.stepsPerSec,
      // CPU ms per step and process (every thread), medians over the rounds: what the process group adds in
      // CPU work, which the load on a shared machine does not change the way it changes wall time
      cpuMsPerStep1: median(cpu.map((x) => x.one)),
      cpuMsPerStepAlone: median(cpu.map((x) => x.alone)),
      cpuMsPerStep2: median(cpu.map((x) => x.two)),
      cpuCommEfficiency: median(cpu.map((x) => x.alone / x.two)),
      load: load0,
      loadAfter: load1,
    }),
  );
} finally {
  rmSync(work, { recursive: true, force: true });
}
