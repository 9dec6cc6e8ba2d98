/**
 * Two fabricated training runs over a tiny generated dataset, in the exact files stad train and stad
 * test write: config.json, metrics.jsonl, test-test/{report.json, detections.csv, label_map.pbtxt}.
 * "bce" (the baseline) names the wrong class on every third person; "focal_bn" on every seventh, so
 * both kinds of example exist. Deterministic.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatAvaDetections, type AvaDetectionRow } from '../../src/data/ava.js';
import { labelMapOfClasses } from '../../src/data/convert.js';
import { keyframesOf, loadDataset, type Dataset } from '../../src/data/dataset.js';
import { formatLabelMap } from '../../src/data/labelmap.js';
import { generateSynthDataset } from '../../src/data/synth/generate.js';
import { tempDir } from '../helpers.js';
import { tinyConfig } from '../train/fixture.js';

export interface ReportFixture {
  dir: string;
  data: string;
  dataset: Dataset;
  runs: string[];
  cleanup: () => void;
}

interface Recipe {
  name: string;
  /** Every `wrongEvery`-th labelled box gets a wrong top class. */
  wrongEvery: number;
  /** Final all_mAP; the curves move towards it. */
  finalMAP: number;
  loss: Record<string, unknown>;
  logitNorm: 'none' | 'bn';
}

const RECIPES: Recipe[] = [
  { name: 'bce', wrongEvery: 3, finalMAP: 0.56, loss: { name: 'bce' }, logitNorm: 'none' },
  { name: 'focal_bn', wrongEvery: 7, finalMAP: 0.79, loss: { name: 'focal_bce' }, logitNorm: 'bn' },
];

const EPOCHS = 4;
const BATCHES = 12;

function writeRun(root: string, ds: Dataset, data: string, r: Recipe, k: number): string {
  const dir = join(root, r.name);
  const test = join(dir, 'test-test');
  mkdirSync(test, { recursive: true });
  const base = tinyConfig(data, { loss: r.loss, epochs: EPOCHS, description: `${r.name} on the tiny synthetic set` });
  const config = { ...base, model: { ...base.model, head: { ...base.model.head, logitNorm: r.logitNorm } } };
  writeFileSync(join(dir, 'config.json'), `${JSON.stringify(config, null, 2)}\n`);

  const classes = ds.classes.slice(1);
  const videos = ds.splits.test!.map((v) => v.name);
  const lines: string[] = [];
  let iter = 0;
  for (let e = 1; e <= EPOCHS; e++) {
    for (let b = 1; b <= BATCHES; b++) {
      iter++;
      const t = iter / (EPOCHS * BATCHES);
      const loss = (r.name === 'bce' ? 0.7 : 0.35) * Math.exp(-2 * t) + 0.03 * Math.sin(iter * 1.7 + k);
      const lr = 0.05 * 0.5 * (1 + Math.cos(Math.PI * t));
      lines.push(JSON.stringify({ type: 'train', epoch: e, batch: b, iter, loss, lr, clipsPerSec: 40 + k }));
    }
    const m = (v: number): number => Math.min(1, Math.max(0, r.finalMAP * (0.55 + 0.45 * (e / EPOCHS)) + v));
    const perVideo = videos.map((video, i) => ({ video, mAP: m(0.04 * (i - 1.5)) }));
    lines.push(
      JSON.stringify({
        type: 'val',
        epoch: e,
        all_mAP: perVideo.reduce((a, p) => a + p.mAP, 0) / perVideo.length,
        pooled_mAP: m(0.01),
        perVideo,
        perClass: classes.map((c, i) => ({ class: c, ap: m(0.08 - 0.04 * i) })),
        seconds: 3.2,
      }),
    );
  }
  writeFileSync(join(dir, 'metrics.jsonl'), `${lines.join('\n')}\n`);

  // Test outputs: one predicted box near every ground-truth box, scores for every class.
  const rows: AvaDetectionRow[] = [];
  let n = 0;
  for (const v of ds.splits.test!) {
    const size = v.frameSize!;
    for (const kf of keyframesOf(v)) {
      for (const g of kf.gt) {
        const labels = g.labels.filter((l) => l > 0);
        if (labels.length === 0) continue;
        n++;
        const truth = labels[0]!;
        const top = n % r.wrongEvery === 0 ? (truth % classes.length) + 1 : truth;
        const jitter = 0.01 * ((n % 5) - 2);
        const box: [number, number, number, number] = [
          Math.min(1, Math.max(0, g.box[0] / size.width + jitter)),
          Math.min(1, Math.max(0, g.box[1] / size.height)),
          Math.min(1, Math.max(0, g.box[2] / size.width + jitter)),
          Math.min(1, Math.max(0, g.box[3] / size.height)),
        ];
        for (let c = 1; c <= classes.length; c++) {
          const score = c === top ? 0.62 + 0.3 * ((n * 7) % 10) / 10 : 0.04 + 0.3 * (((n + c) * 3) % 10) / 10;
          rows.push({ videoId: v.name, timestamp: kf.avaTimestamp, box, actionId: c, score: Math.round(score * 1e4) / 1e4 });
        }
      }
    }
  }
  writeFileSync(join(test, 'detections.csv'), formatAvaDetections(rows));
  writeFileSync(join(test, 'label_map.pbtxt'), formatLabelMap(labelMapOfClasses(ds.classes)));
  const perVideo = videos.map((video, i) => ({ video, keyframes: 10, mAP: r.finalMAP + 0.05 * (i - 1.5), perClass: {} }));
  const perClass = Object.fromEntries(classes.map((c, i) => [c, Math.max(0, r.finalMAP + 0.15 - 0.07 * i * (r.name === 'bce' ? 1.5 : 1))]));
  const report = { mAP: r.finalMAP + 0.01, perClass, keyframes: 40, iouThreshold: 0.5, allMAP: perVideo.reduce((a, p) => a + p.mAP, 0) / perVideo.length, perVideo };
  writeFileSync(join(test, 'report.json'), `${JSON.stringify(report, null, 2)}\n`);
  return dir;
}

/** The tiny dataset (160 x 120 frames, no videos) and the two runs; a few seconds. */
export async function reportFixture(): Promise<ReportFixture> {
  const { dir, cleanup } = tempDir('stad-report-');
  const data = join(dir, 'data');
  await generateSynthDataset({ out: data, scale: 0.02, seed: 5, width: 160, height: 120, fps: 5, video: false, jobs: 1 });
  const dataset = await loadDataset(data);
  const runs = RECIPES.map((r, k) => writeRun(dir, dataset, data, r, k));
  return { dir, data, dataset, runs, cleanup };
}

/** A compare.json as stad compare writes it (src/compare/report.ts), with the fields the report reads. */
export function compareJson(classes: readonly string[]): string {
  const summary = (mean: number, half: number) => ({ mean, sd: half / 2, ci: [Math.max(0, mean - half), Math.min(1, mean + half)] });
  const recipe = (name: string, m: number) => ({
    name,
    kind: 'recipe',
    source: `configs/${name}.json`,
    runs: [0, 1, 2].map((seed) => ({ seed, dir: `runs/${name}-s${seed}`, allMAP: m + 0.01 * (seed - 1), pooledMAP: m, perVideo: [], perClass: classes.map((c) => ({ class: c, ap: m })), trainSeconds: 60 })),
    allMAP: summary(m, 0.03),
    pooledMAP: summary(m, 0.03),
    perVideo: [],
    perClass: classes.map((c, i) => ({ class: c, ...summary(m - 0.05 * i, 0.06) })),
    difference: null,
  });
  const out = {
    data: 'data/synth',
    split: 'test',
    checkpoint: 'best',
    seeds: [0, 1, 2],
    bootstrap: { resamples: 1000, seed: 0, level: 0.95 },
    classes,
    videos: [],
    recipes: [recipe('bce', 0.55), recipe('focal_bn', 0.78)],
    references: [],
  };
  return JSON.stringify(out, null, 2);
}
