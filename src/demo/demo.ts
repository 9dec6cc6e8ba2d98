/**
 * `stad demo` without the command line: the whole reference workflow on the built-in dataset.
 *
 *   1. the dataset: generated once (sizes.ts says how big and where), reused afterwards;
 *   2. its statistics, as `stad stats` prints them;
 *   3. each recipe of recipes.ts trained and tested on the same split with the same seeds: a
 *      `stad compare` (src/compare) in <out>/compare, which reuses finished runs and resumes others;
 *   4. the comparison in the reference's form (side-by-side.ts) and compare's table with intervals;
 *   5. the HTML report (`stad report`, src/report) in <out>/report.html.
 *
 * <out>/recipes/<name>.json holds each recipe as trained (`stad train --config` takes it as it is).
 * Progress and one ETA for the whole demo on `stderr` (progress.ts, eta.ts); results on `stdout`.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadRunConfig, type RunConfig } from '../train/config.js';
import { valPassesFrom } from '../train/progress.js';
import type { PlannedRun } from '../compare/progress.js';
import { UserError } from '../util/errors.js';
import { writeFileAtomic } from '../util/fs.js';
import { isSafeFileName } from '../util/names.js';
import { formatDuration } from '../util/progress.js';
import { ensureDemoDataset } from './dataset.js';
import { DemoClock, REFERENCE_RATES, type DemoStep } from './eta.js';
import { DemoProgress, testStepId, trainStepId } from './progress.js';
import { DEMO_RECIPES, type DemoRecipe } from './recipes.js';
import { formatSideBySide } from './side-by-side.js';
import { moveStaleRuns } from './stale.js';
import type { DemoSize } from './sizes.js';

export interface DemoOptions {
  size: DemoSize;
  /** An existing dataset to use instead of the built-in one. */
  data?: string;
  /** The demo's folder (default: the size's). */
  out?: string;
  recipes?: readonly DemoRecipe[];
  /** Off a terminal: one progress line every this many training steps. */
  logEvery?: number;
  stdout?: NodeJS.WritableStream;
  stderr?: NodeJS.WriteStream;
}

export interface DemoResult {
  outDir: string;
  dataDir: string;
  datasetReused: boolean;
  compareJson: string;
  report: string;
  /** Runs trained (or resumed) and tested by this call: 0 and 0 when everything was reused. */
  trained: number;
  tested: number;
  seconds: number;
}

interface ResolvedRecipe {
  recipe: DemoRecipe;
  config: RunConfig;
  file: string;
}

/** Test keyframes per unit of scale and train keyframes per unit, for the ETA before the dataset exists (stad synth: 121 and 465 at 0.1). */
const KEYFRAMES_PER_SCALE = { train: 4650, test: 1210 };

function resolveRecipes(recipes: readonly DemoRecipe[], size: DemoSize, dataDir: string, outDir: string): ResolvedRecipe[] {
  const seen = new Set<string>();
  return recipes.map((recipe) => {
    if (!isSafeFileName(recipe.name) || seen.has(recipe.name)) throw new UserError(`demo recipe '${recipe.name}': a name must be unique and a safe folder name`);
    seen.add(recipe.name);
    const { config } = loadRunConfig(recipe.config, { sets: [...recipe.sets, ...size.sets], epochs: size.epochs, data: dataDir });
    return { recipe, config, file: join(outDir, 'recipes', `${recipe.name}.json`) };
  });
}

/** Writes a recipe file unless it already holds the same config (its time then tells when it was made). */
function writeRecipe(r: ResolvedRecipe): void {
  const text = `${JSON.stringify(r.config, null, 2)}\n`;
  if (existsSync(r.file) && statSync(r.file).isFile() && readFileSync(r.file, 'utf8') === text) return;
  writeFileAtomic(r.file, text);
}

function trainEstimate(c: RunConfig, keyframes: { train: number; test: number }, share: number): number {
  const train = c.epochs * keyframes.train * REFERENCE_RATES.trainClip;
  const val = valPassesFrom(1, c.epochs, c.valInterval) * keyframes.test * REFERENCE_RATES.testKeyframe;
  return share * (train + val);
}

export async function runDemo(o: DemoOptions): Promise<DemoResult> {
  const t0 = performance.now() / 1000;
  const size = o.size;
  const out = o.stdout ?? process.stdout;
  const err = o.stderr ?? process.stderr;
  const outDir = o.out ?? size.outDir;
  const dataDir = o.data ?? size.dataDir;
  if (o.data !== undefined && !existsSync(o.data)) throw new UserError(`--data ${o.data}: no such folder`);
  const recipes = resolveRecipes(o.recipes ?? DEMO_RECIPES, size, dataDir, outDir);
  const byName = new Map(recipes.map((r) => [r.recipe.name, r]));

  const torch = await import('../torch/index.js');
  const b = torch.buildInfo();
  err.write(
    `libtorch ${b.torchVersion} from ${b.torchSource}; CUDA ${b.cudaAvailable ? `available (${b.cudaDeviceCount} GPU)` : 'not available'}; ${b.numThreads} threads; oneDNN ${b.mkldnn ? 'on' : 'off'}\n` +
      `demo (${size.name}): ${recipes.map((r) => r.recipe.name).join(', ')} x ${size.seeds} seed${size.seeds > 1 ? 's' : ''} on ${dataDir}, into ${outDir}\n`,
  );

  // The plan with a-priori costs; the runs' steps are re-planned once the dataset's size and the
  // comparison's own plan (which runs are finished) are known.
  const scale = size.synth.scale ?? 1;
  let keyframes = { train: KEYFRAMES_PER_SCALE.train * scale, test: KEYFRAMES_PER_SCALE.test * scale };
  const seeds = Array.from({ length: size.seeds }, (_, i) => i);
  const runSteps = (runs: readonly PlannedRun[]): DemoStep[] => {
    const steps: DemoStep[] = [];
    const label = (r: PlannedRun): string => (size.seeds > 1 ? `${r.recipe} seed ${r.seed}` : r.recipe);
    for (const r of runs) {
      const c = byName.get(r.recipe)?.config;
      if (c && (r.stage === 'new' || r.stage === 'resume')) {
        steps.push({ id: trainStepId(r), kind: 'train', label: `${r.stage === 'new' ? 'training' : 'resuming'} ${label(r)}`, estimate: trainEstimate(c, keyframes, r.stage === 'new' ? 1 : 0.5) });
      }
      if (r.stage !== 'done') steps.push({ id: testStepId(r), kind: 'test', label: `testing ${label(r)} on the test videos`, estimate: keyframes.test * REFERENCE_RATES.testKeyframe });
    }
    steps.push({ id: 'report', kind: 'report', label: 'writing the report', estimate: REFERENCE_RATES.report });
    return steps;
  };
  const guess: PlannedRun[] = recipes.flatMap((r) => seeds.map((seed) => ({ recipe: r.recipe.name, seed, dir: '', stage: 'new' as const, epochs: r.config.epochs, trainIndex: 0 })));
  const dataStep: DemoStep = { id: 'dataset', kind: 'dataset', label: o.data === undefined ? `the built-in dataset in ${dataDir}` : `the dataset in ${dataDir}`, estimate: size.datasetSeconds };
  const firstRunStep = runSteps(guess)[0]!.id;
  const clock = new DemoClock([dataStep, ...runSteps(guess)], undefined, t0);
  const progress = new DemoProgress(clock, runSteps, firstRunStep, err, o.logEvery ?? 20, size.seeds);

  // 1. the dataset
  progress.beginStep('dataset');
  let datasetReused = true;
  if (o.data === undefined) {
    const d = await ensureDemoDataset(dataDir, size.synth, (e) => progress.unitProgress('frames', e));
    datasetReused = d.reused;
    progress.endStep(d.reused ? `reusing the built-in dataset in ${resolve(dataDir)}` : `generated the built-in dataset in ${resolve(dataDir)}: ${d.frames} frames (stad synth --scale ${scale}${size.synth.video ? '' : ' --no-video'})`);
  } else {
    progress.endStep(`using the dataset in ${resolve(dataDir)}`);
  }

  // 2. its statistics
  const { loadDataset } = await import('../data/dataset.js');
  const { computeStats, formatStatsTable } = await import('../data/stats.js');
  const stats = computeStats(await loadDataset(dataDir, { actionAttribute: recipes[0]!.config.data.actionAttribute, probe: false }));
  const split = (name: string): number => stats.splits[name]?.keyframes ?? 0;
  keyframes = { train: split(recipes[0]!.config.data.trainSplit), test: split(recipes[0]!.config.data.testSplit) };
  clock.replan(firstRunStep, runSteps(guess));
  out.write(`\nThe dataset (${resolve(dataDir)}), as stad stats shows it:\n\n${formatStatsTable(stats)}\n`);

  // 3. training and testing, 4. the comparison
  const compareDir = join(outDir, 'compare');
  for (const r of recipes) {
    writeRecipe(r);
    const moved = moveStaleRuns(compareDir, r.recipe.name, r.config, seeds, join(outDir, 'stale'));
    if (moved) progress.note(`recipe ${r.recipe.name} changed since its runs were trained: moved them to ${moved}`);
  }
  out.write(`Recipes (in ${join(outDir, 'recipes')}; the first is the baseline):\n${recipes.map((r) => `  ${r.recipe.name.padEnd(10)} ${r.recipe.about}`).join('\n')}\n\n`);
  const { runComparison } = await import('../compare/compare.js');
  const cmp = await runComparison({
    recipes: recipes.map((r) => r.file),
    seeds: size.seeds,
    data: dataDir,
    out: compareDir,
    checkpoint: 'last',
    resamples: 1000,
    bootstrapSeed: 0,
    stream: err,
    observer: progress,
  });
  const runs = recipes.length * size.seeds;
  progress.note(cmp.tested === 0 ? `reused all ${runs} finished runs in ${cmp.outDir}` : `trained ${cmp.trained} runs, tested ${cmp.tested}, reused ${runs - cmp.tested}`);
  const columns = cmp.groups.map((g) => ({ name: g.kind === 'reference' ? `${g.name} (ref.)` : g.name, reports: g.seeds.map((s) => s.report) }));
  out.write(
    `Test videos, last checkpoint${size.seeds > 1 ? `, mean over ${size.seeds} seeds` : ''} (the references: random scores, and an oracle that knows who acts but not what):\n\n` +
      `${formatSideBySide(columns)}\n${cmp.table}\n`,
  );

  // 5. the report
  progress.beginStep('report');
  const { buildReport } = await import('../report/build.js');
  const compareJson = join(cmp.outDir, 'compare.json');
  const report = await buildReport({
    runs: recipes.map((r) => join(cmp.outDir, r.recipe.name, 'seed-0')),
    data: dataDir,
    out: join(outDir, 'report.html'),
    compare: compareJson,
    testDir: 'test-last',
  });
  progress.endStep(`wrote the report (${Math.round(report.bytes / 1024)} KiB)`);
  const seconds = clock.elapsed();
  out.write(`Report: ${report.out}\nAll figures: ${resolve(compareJson)}; the demo took ${formatDuration(seconds)}.\n`);
  return { outDir, dataDir, datasetReused, compareJson, report: report.out, trained: cmp.trained, tested: cmp.tested, seconds };
}
