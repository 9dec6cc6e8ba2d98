/**
 * `stad compare` without the command line: resolves every recipe, checks that they share one dataset
 * and test split, trains and tests each recipe with seeds 0..N-1 (the config's `seed` replaced; the same
 * seeds for every recipe, so the differences are paired), reusing finished runs, adds the two
 * references (src/compare/references.ts), bootstraps the intervals and writes compare.json.
 *
 *   <out>/<recipe>/seed-<s>/   one stad train run folder each (src/compare/runs.ts)
 *   <out>/compare.json         the figures (src/compare/report.ts)
 */
import { join } from 'node:path';
import { loadDataset, type Dataset } from '../data/dataset.js';
import { groundTruthOfSplit } from '../train/evaluate.js';
import { labelMapOfClasses } from '../data/convert.js';
import { boxTableFromRows, evaluateFrameMAP, matchDetections, type AvaBoxTable, type FrameMatches } from '../eval/index.js';
import { loadRunConfig, type RunConfig } from '../train/config.js';
import { UserError } from '../util/errors.js';
import { writeFileAtomic } from '../util/fs.js';
import { bootstrap, type BootstrapGroup } from './bootstrap.js';
import { CompareProgress, type CompareObserver, type PlannedRun } from './progress.js';
import { oracleDetections, randomDetections, referenceInputs } from './references.js';
import { compareJson, formatCompareTable, summarize, type CompareSummary, type GroupInput } from './report.js';
import { readRunDetections, runStage, testRun, trainRun, trainSecondsOf, type CheckpointChoice, type RunSpec, type RunStage } from './runs.js';

export interface CompareOptions {
  /** Preset names or JSON files; the first is the baseline. */
  recipes: readonly string[];
  seeds: number;
  data?: string;
  out?: string;
  /** Overrides applied to every recipe. */
  sets?: readonly string[];
  epochs?: number;
  checkpoint: CheckpointChoice;
  resamples: number;
  bootstrapSeed: number;
  logEvery?: number;
  stream?: NodeJS.WriteStream;
  /** Who hears about the work (default: CompareProgress, stad compare's progress lines on `stream`). */
  observer?: CompareObserver;
}

export interface CompareResult {
  outDir: string;
  summary: CompareSummary;
  table: string;
  /** Runs trained or resumed by this call (0 when everything was reused). */
  trained: number;
  /** Runs tested by this call. */
  tested: number;
  /** Seconds the bootstrap took. */
  bootstrapSeconds: number;
  /** Every recipe's and reference's per-seed reports, in the order of the summary's groups. */
  groups: GroupInput[];
}

const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/;

interface Recipe {
  name: string;
  source: string;
  config: RunConfig;
  modelFromPreset: boolean;
}

function resolveRecipes(o: CompareOptions): Recipe[] {
  if (o.recipes.length === 0) throw new UserError('stad compare: give at least one recipe (a configs/ preset name or a JSON file)');
  const recipes = o.recipes.map((r) => {
    let res;
    try {
      res = loadRunConfig(r, { sets: o.sets, data: o.data, epochs: o.epochs });
    } catch (e) {
      // findConfigFile speaks of stad train's --config flag; here the recipe is an argument
      if (e instanceof UserError && e.message.startsWith('--config ')) throw new UserError(`recipe ${e.message.slice('--config '.length)}`);
      throw e;
    }
    if (!SAFE_NAME.test(res.name)) throw new UserError(`${res.source}: recipe name '${res.name}' cannot name a folder (letters, digits, '_', '-', '.'); rename the file`);
    return { name: res.name, source: res.source, config: res.config, modelFromPreset: res.modelFromPreset };
  });
  const seen = new Set<string>();
  for (const r of recipes) {
    if (seen.has(r.name)) throw new UserError(`stad compare: recipe '${r.name}' given twice`);
    seen.add(r.name);
  }
  const first = recipes[0]!.config;
  for (const r of recipes.slice(1)) {
    for (const [field, a, b] of [
      ['data.dir', r.config.data.dir, first.data.dir],
      ['data.testSplit', r.config.data.testSplit, first.data.testSplit],
      ['data.valBoxes', r.config.data.valBoxes, first.data.valBoxes],
    ] as const) {
      if (a !== b) throw new UserError(`${r.source}: ${field}: '${a}' differs from the first recipe's '${b}'; recipes are compared on the same test split (--data sets it for all)`);
    }
  }
  return recipes;
}

/** The model's head follows the dataset when the recipe named a model preset (as stad train does). */
function fitToDataset(r: Recipe, ds: Dataset): RunConfig {
  const n = ds.classes.length;
  if (r.modelFromPreset && n >= 2 && r.config.model.head.numClasses !== n) {
    return { ...r.config, model: { ...r.config.model, head: { ...r.config.model.head, numClasses: n } } };
  }
  return r.config;
}

function defaultOutDir(names: readonly string[]): string {
  const joined = names.join('-vs-');
  return join('runs', joined.length <= 80 ? `compare-${joined}` : `compare-${new Date().toISOString().replace(/[:.]/g, '-')}`);
}

export async function runComparison(o: CompareOptions): Promise<CompareResult> {
  const err = o.stream ?? process.stderr;
  if (!Number.isInteger(o.seeds) || o.seeds < 1) throw new UserError(`--seeds: expected a positive integer, got ${o.seeds}`);
  const recipes = resolveRecipes(o);
  const ds = await loadDataset(recipes[0]!.config.data.dir, { actionAttribute: recipes[0]!.config.data.actionAttribute });
  const { checkClasses } = await import('../train/loop.js');
  const split = recipes[0]!.config.data.testSplit;
  const outDir = o.out ?? defaultOutDir(recipes.map((r) => r.name));
  const seeds = Array.from({ length: o.seeds }, (_, i) => i);

  // Every run's spec and stage first: a config error or a foreign folder stops the comparison before any training.
  const plan: { spec: RunSpec; stage: RunStage }[] = [];
  for (const r of recipes) {
    const base = fitToDataset(r, ds);
    checkClasses(base, ds);
    for (const seed of seeds) {
      const spec: RunSpec = { recipe: r.name, seed, dir: join(outDir, r.name, `seed-${seed}`), config: { ...base, seed } };
      plan.push({ spec, stage: runStage(spec, o.checkpoint) });
    }
  }
  const gtRows = groundTruthOfSplit(ds, split);
  const labelMap = labelMapOfClasses(ds.classes);
  const gt = boxTableFromRows(gtRows, 'ground truth');

  const todo = plan.filter((p) => p.stage === 'new' || p.stage === 'resume');
  const planned: PlannedRun[] = plan.map((p) => ({ recipe: p.spec.recipe, seed: p.spec.seed, dir: p.spec.dir, stage: p.stage, epochs: p.spec.config.epochs, trainIndex: todo.indexOf(p) }));
  const observer =
    o.observer ??
    new CompareProgress(
      todo.map((p) => ({ label: `${p.spec.recipe} seed ${p.spec.seed}`, share: p.stage === 'new' ? 1 : 0.5 })),
      err,
      o.logEvery,
    );
  err.write(`compare: ${recipes.length} recipes x ${seeds.length} seeds = ${plan.length} runs in ${outDir}; ${todo.length} to train, ${plan.filter((p) => p.stage === 'test').length} to test only, ${plan.filter((p) => p.stage === 'done').length} reused\n`);
  observer.plan(planned);
  let trained = 0;
  let tested = 0;
  for (const [i, p] of plan.entries()) {
    const run = planned[i]!;
    if (p.stage === 'new' || p.stage === 'resume') {
      observer.trainStart(run);
      await trainRun(p.spec, ds, p.stage, (e) => observer.trainEvent(e));
      observer.trainEnd(run);
      trained++;
    }
    if (p.stage !== 'done') {
      observer.testStart(run, o.checkpoint);
      await testRun(p.spec, ds, o.checkpoint, (done, total) => observer.testProgress(done, total));
      observer.testEnd(run);
      tested++;
    }
  }

  // Figures: every run's detections as written, matched once; the references beside them.
  const groups: GroupInput[] = [];
  const bootGroups: BootstrapGroup[] = [];
  const add = (g: GroupInput, tables: AvaBoxTable[], paired: boolean): void => {
    groups.push(g);
    bootGroups.push({ runs: tables.map((t): FrameMatches => matchDetections(gt, t, labelMap)), paired });
  };
  for (const r of recipes) {
    const specs = plan.filter((p) => p.spec.recipe === r.name).map((p) => p.spec);
    const tables = specs.map((s) => readRunDetections(s, o.checkpoint));
    add(
      {
        name: r.name,
        kind: 'recipe',
        source: r.source,
        seeds: specs.map((s, i) => ({ seed: s.seed, dir: s.dir, report: evaluateFrameMAP(gt, tables[i]!, labelMap, { perVideo: true }), trainSeconds: trainSecondsOf(s) || null })),
      },
      tables,
      true,
    );
  }
  const refs = referenceInputs(ds, split, recipes[0]!.config.data.valBoxes);
  const classIds = labelMap.ids;
  const randomTables = seeds.map((s) => boxTableFromRows(randomDetections(refs.boxes, classIds, s), 'random detections'));
  add(
    { name: 'random', kind: 'reference', source: 'seeded uniform scores for every class of every box', seeds: seeds.map((s, i) => ({ seed: s, dir: null, report: evaluateFrameMAP(gt, randomTables[i]!, labelMap), trainSeconds: null })) },
    randomTables,
    false,
  );
  const oracleTable = boxTableFromRows(oracleDetections(refs.boxes, refs.persons, classIds), 'oracle detections');
  add(
    { name: 'oracle-who', kind: 'reference', source: 'score 1 on every class for a box on a person doing any action, else 0', seeds: [{ seed: 0, dir: null, report: evaluateFrameMAP(gt, oracleTable, labelMap), trainSeconds: null }] },
    [oracleTable],
    false,
  );

  const b0 = performance.now();
  const boot = bootstrap(bootGroups, { resamples: o.resamples, seed: o.bootstrapSeed });
  const bootstrapSeconds = (performance.now() - b0) / 1000;
  const summary = summarize(groups, boot);
  const meta = { data: ds.root, split, checkpoint: o.checkpoint, seeds, bootstrap: { resamples: o.resamples, seed: o.bootstrapSeed, level: boot.level } };
  writeFileAtomic(join(outDir, 'compare.json'), `${JSON.stringify(compareJson(summary, meta), null, 2)}\n`);
  const table = formatCompareTable(summary, { seeds: seeds.length, resamples: o.resamples, checkpoint: o.checkpoint });
  return { outDir, summary, table, trained, tested, bootstrapSeconds, groups };
}
