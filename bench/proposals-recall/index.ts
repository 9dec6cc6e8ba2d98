/**
 * `npm run bench -- proposals-recall [--data <dir>] [--split test] [--every N] [--score-thr X]`: how many
 * ground-truth persons the built-in detector (NanoDet) finds on a dataset's keyframes — recall at IoU
 * >= 0.5 (and 0.3), boxes with person score >= the threshold — beside the dataset's own proposals
 * (for the built-in dataset: the simulated detector `stad synth` writes). The built-in dataset's figures
 * are synthetic stick figures, not the COCO people NanoDet learnt, so its recall there is whatever it is.
 *
 * Prints a table, then LAST one JSON line:
 *   {"bench":"proposals-recall","recall50","recall30","gt","frames","boxesPerFrame","datasetProposalsRecall50",...}
 */
import * as torch from '../../src/torch/index.js';
import { boxIou, type Box } from '../../src/data/box-iou.js';
import { ImageFolderSource, VideoFileSource, type FrameSource } from '../../src/data/frames.js';
import { DEFAULT_DATA_DIR, keyframesOf, loadDataset, type DatasetVideo } from '../../src/data/dataset.js';
import { NanoDetPersonDetector } from '../../src/proposals/nanodet.js';

interface Options {
  data: string;
  split: string;
  every: number;
  scoreThr: number;
}

function parseArgs(argv: string[]): Options {
  const o: Options = { data: DEFAULT_DATA_DIR, split: 'test', every: 1, scoreThr: 0.3 };
  for (let i = 0; i < argv.length; i += 2) {
    const [a, v] = [argv[i], argv[i + 1] ?? ''];
    if (a === '--data') o.data = v;
    else if (a === '--split') o.split = v;
    else if (a === '--every') o.every = Number(v);
    else if (a === '--score-thr') o.scoreThr = Number(v);
    else throw new Error(`unknown argument ${a} (expected --data DIR, --split NAME, --every N, --score-thr X)`);
  }
  if (!Number.isInteger(o.every) || o.every < 1) throw new Error('--every: expected a positive integer');
  return o;
}

function sourceOf(v: DatasetVideo): FrameSource {
  if (v.frames.kind === 'frames') return ImageFolderSource.fromFolder(v.frames.dir, v.name);
  if (v.frames.kind === 'video') return new VideoFileSource(v.frames.file, v.name);
  throw new Error(`${v.name}: the dataset has no frames for it`);
}

/** Greedy matching by IoU, best pairs first: how many ground-truth boxes a prediction covers at `thr`. */
function matched(gt: readonly Box[], pred: readonly Box[], thr: number): number {
  const pairs: [number, number, number][] = [];
  gt.forEach((g, i) => pred.forEach((p, j) => pairs.push([boxIou(g, p), i, j])));
  pairs.sort((a, b) => b[0] - a[0]);
  const gUsed = new Set<number>();
  const pUsed = new Set<number>();
  for (const [iou, i, j] of pairs) {
    if (iou < thr) break;
    if (gUsed.has(i) || pUsed.has(j)) continue;
    gUsed.add(i);
    pUsed.add(j);
  }
  return gUsed.size;
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  const ds = await loadDataset(o.data, { probe: false });
  const videos = ds.splits[o.split];
  if (!videos || videos.length === 0) throw new Error(`${o.data}: no videos in split '${o.split}'`);
  const det = await NanoDetPersonDetector.load({ scoreThreshold: o.scoreThr });
  let gtCount = 0;
  let hit50 = 0;
  let hit30 = 0;
  let dsHit50 = 0;
  let frames = 0;
  let boxes = 0;
  const t0 = performance.now();
  const perVideo: Record<string, number> = {};
  for (const v of videos) {
    const src = sourceOf(v);
    const kfs = keyframesOf(v).filter((_, i) => i % o.every === 0);
    // Image folders are numbered as in the annotations; a video file's frame i is frame number i + first.
    const index = (n: number): number => (v.frames.kind === 'video' ? n - v.firstFrameNumber : n);
    let vGt = 0;
    let vHit = 0;
    for (let c = 0; c < kfs.length; c += 8) {
      const chunk = kfs.slice(c, c + 8);
      const imgs = await src.read(chunk.map((k) => index(k.frameNumber)));
      const found = await det.detect(imgs);
      chunk.forEach((k, i) => {
        const img = imgs[i]!;
        const pred = found[i]!.map((b) => [b.x1 * img.width, b.y1 * img.height, b.x2 * img.width, b.y2 * img.height] as Box);
        const gt = k.gt.map((b) => b.box as Box);
        gtCount += gt.length;
        vGt += gt.length;
        const m = matched(gt, pred, 0.5);
        hit50 += m;
        vHit += m;
        hit30 += matched(gt, pred, 0.3);
        dsHit50 += matched(gt, k.proposals.map((b) => b.box as Box), 0.5);
        frames++;
        boxes += pred.length;
      });
    }
    perVideo[v.name] = Math.round((vHit / Math.max(1, vGt)) * 1000) / 1000;
    process.stderr.write(`${v.name}: recall@0.5 ${perVideo[v.name]} on ${kfs.length} keyframes\n`);
  }
  det.dispose();
  const r3 = (x: number): number => Math.round(x * 1000) / 1000;
  const result = {
    bench: 'proposals-recall',
    data: o.data,
    split: o.split,
    scoreThr: o.scoreThr,
    recall50: r3(hit50 / Math.max(1, gtCount)),
    recall30: r3(hit30 / Math.max(1, gtCount)),
    datasetProposalsRecall50: r3(dsHit50 / Math.max(1, gtCount)),
    gt: gtCount,
    frames,
    boxesPerFrame: r3(boxes / Math.max(1, frames)),
    perVideo,
    seconds: Math.round((performance.now() - t0) / 1000),
    threads: torch.getNumThreads(),
  };
  console.log(`NanoDet person recall on ${o.data} split ${o.split}: ${frames} keyframes, ${gtCount} ground-truth persons, score >= ${o.scoreThr}`);
  console.log(`  recall@IoU0.5 ${result.recall50}  recall@IoU0.3 ${result.recall30}  (${result.boxesPerFrame} boxes per frame)`);
  console.log(`  the dataset's own proposals: recall@IoU0.5 ${result.datasetProposalsRecall50}`);
  console.log(JSON.stringify(result));
}

main().catch((e: unknown) => {
  process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
