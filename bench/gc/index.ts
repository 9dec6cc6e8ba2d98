/**
 * `npm run bench -- gc [--steps N] [--warmup N] [--runs R] [--size PX] [--env NAME=VALUE,...]`
 *
 * What V8's garbage collector does during a training loop: SlowFast `slowfast_r18_tiny` (batch 2,
 * 16 frames at --size px, 2 RoIs per clip), forward + BCE + backward + SGD, every tensor freed by
 * tidy/dispose as in a real trainer (which awaits its loader between steps: so does this loop). Each
 * run is a fresh child process; it reports the median step (wall and CPU seconds), the peak RSS, and
 * the collector's work (counts by kind and total pause from perf_hooks 'gc' entries).
 *
 * `--env A=1,A=0` runs the children alternately (ABBA over --runs rounds) under each environment
 * setting, to compare two configurations in one run (it was used to decide whether the binding should
 * report libtorch's memory to V8: bench/RESULTS.md, section gc).
 *
 * Prints a table, then last one JSON line of the figures.
 */
import { spawnSync } from 'node:child_process';
import { PerformanceObserver, constants } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import * as torch from '../../src/torch/index.js';
import { SGD } from '../../src/nn/index.js';
import { buildDetector, modelPreset } from '../../src/models/index.js';

interface Options {
  steps: number;
  warmup: number;
  runs: number;
  size: number;
  envs: string[];
}

interface ChildResult {
  env: string;
  stepS: number;
  cpuS: number;
  peakRssMb: number;
  gc: { minor: number; major: number; incremental: number; other: number; pauseMs: number };
  liveTensors: number;
}

function parseArgs(argv: readonly string[]): Options & { child: boolean } {
  const o = { steps: 20, warmup: 3, runs: 2, size: 112, envs: [''], child: false };
  const int = (flag: string, v: string | undefined, min: number): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new Error(`bench gc: ${flag} needs an integer >= ${min}, got ${v}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--child') o.child = true;
    else if (a === '--steps') o.steps = int(a, argv[++i], 1);
    else if (a === '--warmup') o.warmup = int(a, argv[++i], 0);
    else if (a === '--runs') o.runs = int(a, argv[++i], 1);
    else if (a === '--size') o.size = int(a, argv[++i], 32);
    else if (a === '--env') {
      const v = argv[++i] ?? '';
      o.envs = v.split(',');
      if (o.envs.some((e) => !/^[A-Z_][A-Z0-9_]*=.*$/.test(e))) throw new Error(`bench gc: --env takes NAME=VALUE[,NAME=VALUE...], got '${v}'`);
    } else throw new Error(`bench gc: unknown argument ${a}; flags: --steps --warmup --runs --size --env`);
  }
  return o;
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/** The child: one training loop, its figures as one JSON line. */
async function child(o: Options): Promise<void> {
  const gc = { minor: 0, major: 0, incremental: 0, other: 0, pauseMs: 0 };
  let counting = false;
  const obs = new PerformanceObserver((list) => {
    if (!counting) return;
    for (const e of list.getEntries()) {
      const kind = (e as unknown as { detail?: { kind?: number } }).detail?.kind;
      if (kind === constants.NODE_PERFORMANCE_GC_MINOR) gc.minor++;
      else if (kind === constants.NODE_PERFORMANCE_GC_MAJOR) gc.major++;
      else if (kind === constants.NODE_PERFORMANCE_GC_INCREMENTAL) gc.incremental++;
      else gc.other++;
      gc.pauseMs += e.duration;
    }
  });
  obs.observe({ entryTypes: ['gc'] });

  torch.manualSeed(0);
  const config = modelPreset('slowfast_r18_tiny');
  const det = buildDetector(config).train();
  const opt = new SGD(det.parameters(), { lr: 0.01, momentum: 0.9, weightDecay: 1e-5 });
  const clips = torch.keep(torch.randn([2, 3, config.input.frames, o.size, o.size]));
  const s = o.size;
  const rois = torch.keep(torch.tensor([[0, 0.1 * s, 0.1 * s, 0.6 * s, 0.9 * s], [1, 0.3 * s, 0.2 * s, 0.9 * s, 0.8 * s]]));
  const targets = torch.keep(torch.tidy(() => torch.rand([2, config.head.numClasses - 1]).lt(0.3).float()));
  const step = (): void => {
    opt.zeroGrad();
    torch.tidy(() => {
      const logits = det.forward(clips, rois);
      const loss = torch.binaryCrossEntropyWithLogits(logits.slice(1, 1), targets);
      loss.backward();
    });
    opt.step();
  };
  const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

  for (let i = 0; i < o.warmup; i++) {
    step();
    await tick();
  }
  counting = true;
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < o.steps; i++) {
    const t0 = process.hrtime.bigint();
    const c0 = process.cpuUsage();
    step();
    const c = process.cpuUsage(c0);
    wall.push(Number(process.hrtime.bigint() - t0) / 1e9);
    cpu.push((c.user + c.system) / 1e6);
    await tick();
  }
  await tick();
  counting = false;
  obs.disconnect();
  const liveTensors = torch.memory().liveTensors;
  opt.zeroGrad();
  opt.dispose();
  torch.dispose([clips, rois, targets]);
  det.dispose();
  const result: Omit<ChildResult, 'env'> = {
    stepS: median(wall),
    cpuS: median(cpu),
    peakRssMb: process.resourceUsage().maxRSS / 1024,
    gc,
    liveTensors,
  };
  console.log(JSON.stringify(result));
}

function runChild(o: Options, env: string): ChildResult {
  const extra: Record<string, string> = {};
  if (env !== '') {
    const eq = env.indexOf('=');
    extra[env.slice(0, eq)] = env.slice(eq + 1);
  }
  const args = [fileURLToPath(import.meta.url), '--child', '--steps', String(o.steps), '--warmup', String(o.warmup), '--size', String(o.size)];
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', env: { ...process.env, ...extra } });
  if (r.status !== 0) throw new Error(`bench gc: child (${env || 'default env'}) failed (${r.status}): ${r.stderr.trim()}`);
  const last = r.stdout.trim().split('\n').pop() ?? '';
  return { env, ...(JSON.parse(last) as Omit<ChildResult, 'env'>) };
}

async function main(): Promise<void> {
  let o: ReturnType<typeof parseArgs>;
  try {
    o = parseArgs(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n`);
    process.exitCode = 2;
    return;
  }
  if (o.child) return child(o);

  const results: ChildResult[] = [];
  for (let r = 0; r < o.runs; r++) {
    // ABBA: each setting goes first equally often
    const order = r % 2 === 0 ? o.envs : [...o.envs].reverse();
    for (const env of order) {
      process.stderr.write(`[bench gc] run ${r + 1}/${o.runs} ${env || '(default env)'}\n`);
      results.push(runChild(o, env));
    }
  }
  const lines = [
    `Training loop slowfast_r18_tiny, batch 2, 16x${o.size}x${o.size}, ${o.steps} timed steps after ${o.warmup} warm-up, per child process; ${o.runs} runs per setting`,
    ['setting', 'step s', 'CPU s', 'peak RSS MB', 'GC minor', 'major', 'incr.', 'GC pause ms', 'live'].map((c, i) => (i === 0 ? c.padEnd(28) : c.padStart(12))).join(''),
  ];
  for (const x of results) {
    lines.push(
      [x.env || '(default)', x.stepS.toFixed(3), x.cpuS.toFixed(3), x.peakRssMb.toFixed(0), String(x.gc.minor), String(x.gc.major), String(x.gc.incremental), x.gc.pauseMs.toFixed(1), String(x.liveTensors)]
        .map((c, i) => (i === 0 ? c.padEnd(28) : c.padStart(12)))
        .join(''),
    );
  }
  console.log(lines.join('\n'));
  const summary = Object.fromEntries(
    o.envs.map((env) => {
      const mine = results.filter((x) => x.env === env);
      return [
        env || 'default',
        {
          stepS: Number(median(mine.map((x) => x.stepS)).toFixed(4)),
          cpuS: Number(median(mine.map((x) => x.cpuS)).toFixed(4)),
          peakRssMb: Number(median(mine.map((x) => x.peakRssMb)).toFixed(1)),
          gcMajor: median(mine.map((x) => x.gc.major)),
          gcMinor: median(mine.map((x) => x.gc.minor)),
          gcPauseMs: Number(median(mine.map((x) => x.gc.pauseMs)).toFixed(2)),
        },
      ];
    }),
  );
  console.log(JSON.stringify({ bench: 'gc', steps: o.steps, size: o.size, runs: o.runs, settings: summary }));
}

await main();
