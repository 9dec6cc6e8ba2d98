/**
 * One process of `npm run bench -- dist`: trains the preset on the first global batches of the
 * training split (one epoch, no validation) and writes its rank's timing to the file given. Joins the
 * process group when started with torchrun's environment (by the benchmark's launcher).
 * Arguments: <dataset dir> <batches> <per-rank batch> <threads> <result file> <run folder>
 */
import { writeFileSync } from 'node:fs';
import { loadRunConfig, type RunConfig } from '../../src/train/config.js';
import { loadDataset, type Dataset } from '../../src/data/dataset.js';
import { samplesOfVideo, videosOfSplit } from '../../src/data/samples.js';
import { train } from '../../src/train/loop.js';
import { distEnvFromProcess } from '../../src/distributed/env.js';
import { DataParallel } from '../../src/distributed/data-parallel.js';

const [dir, batchesArg, batchArg, threadsArg, resultFile, runDir] = process.argv.slice(2) as [string, string, string, string, string, string];
const env = distEnvFromProcess();
const world = env?.worldSize ?? 1;
const batches = Number(batchesArg);
const { config: preset } = loadRunConfig('synth_tiny_bce');
const c: RunConfig = { ...preset, epochs: 1, batchSize: Number(batchArg), threads: Number(threadsArg), workers: 0 };

/** The dataset with its training split cut to the first videos that fill `batches` global batches. */
function trainSubset(d: Dataset, need: number): Dataset {
  const videos = [];
  let n = 0;
  for (const v of videosOfSplit(d, c.data.trainSplit)) {
    if (n >= need) break;
    videos.push(v);
    n += samplesOfVideo(v).length;
  }
  return { ...d, splits: { ...d.splits, [c.data.trainSplit]: videos } };
}

const ds = trainSubset(await loadDataset(dir), batches * c.batchSize * world);
const parallel = env ? await DataParallel.join(env, { syncBN: false }) : null;
let t0 = 0;
let steps = 0;
let seconds = 0;
let tPrev = 0;
// CPU time of the whole process (every thread: Gloo's, the Reducer's hooks) over the timed steps: on
// cores that other work also wants, wall time follows the CPU share a process gets, CPU time does not
let cpu0 = process.cpuUsage();
let cpuMs = 0;
// per timed step: its wall time and, distributed, the time in each kind of collective (profile)
const stepMs: number[] = [];
const inCalls: Record<string, number>[] = [];
const r = await train({
  config: c,
  dataset: ds,
  outDir: runDir,
  validator: null,
  parallel,
  onEvent: (e) => {
    if (e.kind !== 'step') return;
    const t = performance.now();
    // steps 2..batches: the first step (the loader's start, first allocations) is not timed
    if (e.batch === 1) {
      t0 = t;
      cpu0 = process.cpuUsage();
    } else if (e.batch <= batches) {
      const u = process.cpuUsage(cpu0);
      cpuMs = (u.user + u.system) / 1000;
      steps = e.batch - 1;
      seconds = (t - t0) / 1000;
      stepMs.push(t - tPrev);
      inCalls.push(Object.fromEntries([...(parallel?.timings() ?? [])].map(([k, v]) => [k, v.ms])));
    }
    parallel?.timings(true);
    tPrev = t;
  },
});
r.detector.dispose();
parallel?.close();
writeFileSync(`${resultFile}.profile${env?.rank ?? ''}`, JSON.stringify({ stepMs, inCalls, cpuMsPerStep: cpuMs / Math.max(1, steps) }));
if (!env || env.rank === 0) writeFileSync(resultFile, JSON.stringify({ world, steps, seconds, stepsPerSec: steps / seconds, clipsPerStep: c.batchSize * world }));
