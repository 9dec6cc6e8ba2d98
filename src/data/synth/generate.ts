/**
 * `generateSynthDataset`: the built-in dataset, a synthetic stand-in of the reference dataset (same
 * layout, sequence names, split, classes and per-class counts; see ../shared/DESIGN.md).
 *
 * Layout under `out` (the reference's):
 *   annotations/{train,test}/<seq>.json            ground truth, one VIA3 image project per sequence
 *   annotations/{train,test}/<seq>_proposal.json   person-detector boxes, same form, av {"1":"0","2":score}
 *   images/{train,test}/<seq>/<seq>_<frame:05d>.jpg every frame, numbered from 1
 *   videos/{train,test}/<seq>.mp4                  the same frames as H.264 (unless video: false)
 *   dataset.json, README.txt
 *
 * Everything is written into `<out>.partial` and renamed into place at the end, so an interrupted or
 * failed run never leaves a half-written dataset where a complete one is expected.
 */
import { existsSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import { UserError } from '../../util/errors.js';
import { cannotWrite, makeDirs } from '../../util/fs.js';
import type { ProgressCallback } from '../../util/progress.js';
import { corners, groundTruth, proposals, type KeyframeAnnotation, type ProposalBox } from './annotate.js';
import { frameFileName, writeSequenceFrames, type FrameOutput } from './frames.js';
import { ProposalIouAccumulator, type ProposalIouHistogram } from '../proposal-iou.js';
import { formatProposalIou } from '../stats.js';
import { buildScenes } from './plan.js';
import { Rng } from '../rng.js';
import { ACTION_OPTIONS, SPLITS, SYNTH_CLASSES, targetCounts, type SplitName, type SynthClass } from './reference.js';
import type { SequenceScene } from './scene.js';
import type { WorkerMessage, WorkerRequest } from './worker.js';
import { buildImageProject, serialiseProject, type Via3AttributeJson } from './via3-writer.js';
import { VIA3_ANCHOR, VIA3_ATTRIBUTE_TYPE } from '../via3/schema.js';

export interface SynthOptions {
  /** Output folder. */
  out: string;
  /** Multiplies the reference class counts (default 1). */
  scale?: number;
  /** Default 1. */
  seed?: number;
  /** Frame size in pixels (default 160 x 120). */
  width?: number;
  height?: number;
  /** Frames per second (default 15). */
  fps?: number;
  /** Frames between keyframes (default: fps, one keyframe per second as in AVA). */
  keyframeStride?: number;
  /** Also encode one MP4 per sequence with ffmpeg (default true). */
  video?: boolean;
  /** Replace a non-empty `out` (default false: refuse). */
  force?: boolean;
  /** JPEG quality (default 90). */
  jpegQuality?: number;
  /**
   * Sequences rendered in parallel by worker threads (default: the number of CPUs, at most 8; 1
   * renders in this thread). The output does not depend on it.
   */
  jobs?: number;
}

export interface SynthSequenceSummary {
  name: string;
  split: SplitName;
  frames: number;
  keyframes: number;
  /** Ground-truth boxes, labelled or None. */
  boxes: number;
  proposals: number;
}

export interface SynthSummary {
  out: string;
  /** The options used, defaults filled in. */
  options: Required<Omit<SynthOptions, 'out' | 'force'>>;
  /** Labelled boxes per class and split (a two-label box counts once for each). */
  counts: Record<SplitName, Record<SynthClass, number>>;
  /** Boxes labelled None, per split. */
  noneBoxes: Record<SplitName, number>;
  /** Boxes carrying two labels, per split. */
  multiLabelBoxes: Record<SplitName, number>;
  /** How the simulated detector's proposals cover the ground truth, per split (as `stad stats` reports it). */
  proposalIou: Record<SplitName, ProposalIouHistogram>;
  frames: number;
  sequences: SynthSequenceSummary[];
  paths: { annotations: string; images: string; videos: string | null; dataset: string; readme: string };
}

/** The action attribute of the reference projects. */
export const PERSON_ATTRIBUTE: Via3AttributeJson = {
  aname: 'person',
  anchor_id: VIA3_ANCHOR.IMAGE_REGION,
  type: VIA3_ATTRIBUTE_TYPE.CHECKBOX,
  desc: 'Action of the person in the box',
  options: { ...ACTION_OPTIONS },
  default_option_id: '0',
};

/** VIA3 has no score field: proposals carry the detector score as text in attribute "2". */
export const SCORE_ATTRIBUTE: Via3AttributeJson = {
  aname: 'score',
  anchor_id: VIA3_ANCHOR.IMAGE_REGION,
  type: VIA3_ATTRIBUTE_TYPE.TEXT,
  desc: 'Person detector score in [0, 1]',
  options: {},
  default_option_id: '',
};

/** A fixed creation time so that the projects are byte-identical for a seed (2026-01-01T00:00:00Z). */
const CREATED_MS = Date.UTC(2026, 0, 1);

export { frameFileName, buildScenes };

type ResolvedOptions = Required<Omit<SynthOptions, 'out' | 'force'>>;

function resolveOptions(o: SynthOptions): ResolvedOptions {
  const scale = o.scale ?? 1;
  const seed = o.seed ?? 1;
  const width = o.width ?? 160;
  const height = o.height ?? 120;
  const fps = o.fps ?? 15;
  const keyframeStride = o.keyframeStride ?? Math.max(1, Math.round(fps));
  const jpegQuality = o.jpegQuality ?? 90;
  const int = (name: string, v: number, lo: number, hi: number): void => {
    if (!Number.isInteger(v) || v < lo || v > hi) throw new UserError(`${name}: expected an integer in [${lo}, ${hi}], got ${v}`);
  };
  if (!Number.isFinite(scale) || scale <= 0 || scale > 1000) throw new UserError(`--scale: expected a number in (0, 1000], got ${scale}`);
  int('--seed', seed, 0, 0xffffffff);
  int('--width', width, 48, 4096);
  int('--height', height, 48, 4096);
  int('--fps', fps, 1, 240);
  int('--keyframe-stride', keyframeStride, 1, 10000);
  int('jpegQuality', jpegQuality, 1, 100);
  const jobs = o.jobs ?? Math.min(8, availableParallelism());
  int('--jobs', jobs, 1, 256);
  const video = o.video ?? true;
  if (video && (width % 2 !== 0 || height % 2 !== 0)) {
    throw new UserError(`--width/--height: H.264 video in yuv420p needs even sizes, got ${width}x${height} (or pass --no-video)`);
  }
  return { scale, seed, width, height, fps, keyframeStride, video, jpegQuality, jobs };
}

/** Refuses to replace a file, or a non-empty folder unless forced. */
/** The file that marks a `<out>.partial` folder as stad's own work in progress. */
export const PARTIAL_MARKER = '.stad-synth-partial';

/**
 * Removes a `<out>.partial` left by an interrupted run, but only when stad made it (it holds the marker):
 * a folder of that name without the marker is the user's, and is never deleted.
 */
function clearOwnPartial(partial: string): void {
  if (!existsSync(partial)) return;
  if (!statSync(partial).isDirectory() || !existsSync(join(partial, PARTIAL_MARKER))) {
    throw new UserError(`${partial}: exists and was not made by stad synth (no ${PARTIAL_MARKER} in it); move it away or choose another --out`);
  }
  rmSync(partial, { recursive: true, force: true });
}

function checkOut(out: string, force: boolean): void {
  if (!existsSync(out)) return;
  if (!statSync(out).isDirectory()) throw new UserError(`${out}: exists and is not a folder`);
  if (readdirSync(out).length > 0 && !force) throw new UserError(`${out}: folder exists and is not empty (pass --force to replace it)`);
}

/** The ground-truth project of a sequence. */
export function groundTruthProject(scene: SequenceScene, gt: readonly KeyframeAnnotation[]): string {
  return serialiseProject(
    buildImageProject({
      pname: scene.name,
      created: CREATED_MS,
      attributes: { '1': PERSON_ATTRIBUTE },
      images: gt.map((k) => ({
        fname: frameFileName(scene.name, k.frame),
        rects: k.boxes.map((b) => ({ x: b.x, y: b.y, w: b.w, h: b.h, av: { '1': b.labels.length > 0 ? b.labels.join(',') : '0' } })),
      })),
      rng: new Rng(scene.seed, 'gt-ids', scene.name),
    }),
  );
}

/** The proposals project of a sequence (same keyframes as the ground truth). */
export function proposalProject(scene: SequenceScene, gt: readonly KeyframeAnnotation[], props: ReadonlyMap<number, ProposalBox[]>): string {
  return serialiseProject(
    buildImageProject({
      pname: `${scene.name}_proposal`,
      created: CREATED_MS,
      attributes: { '1': PERSON_ATTRIBUTE, '2': SCORE_ATTRIBUTE },
      images: gt.map((k) => ({
        fname: frameFileName(scene.name, k.frame),
        rects: (props.get(k.frame) ?? []).map((b) => ({ x: b.x, y: b.y, w: b.w, h: b.h, av: { '1': '0', '2': b.score.toFixed(3) } })),
      })),
      rng: new Rng(scene.seed, 'proposal-ids', scene.name),
    }),
  );
}

function zeroCounts(): Record<SynthClass, number> {
  return Object.fromEntries(SYNTH_CLASSES.map((c) => [c, 0])) as Record<SynthClass, number>;
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n');
}

function readme(s: SynthSummary): string {
  const o = s.options;
  const row = (split: SplitName): string => SYNTH_CLASSES.map((c) => `${c} ${s.counts[split][c]}`).join(', ');
  return `stad built-in dataset (synthetic)
==================================

Generated by \`stad synth --scale ${o.scale} --seed ${o.seed} --width ${o.width} --height ${o.height} --fps ${o.fps} --keyframe-stride ${o.keyframeStride}${o.video ? '' : ' --no-video'}\`.
A synthetic stand-in of the reference dataset: the same layout, sequence names, split, classes and
class imbalance. Articulated figures on a textured, noisy background; in every episode two figures
walk in, face each other and perform one interaction, then leave, while others walk by. All figures
are drawn the same way: the classes differ only in motion over time.

Layout
  annotations/{train,test}/<seq>.json           ground truth: one VIA3 image project per sequence
  annotations/{train,test}/<seq>_proposal.json  person-detector boxes in the same form
  images/{train,test}/<seq>/<seq>_<frame:05d>.jpg  every frame, numbered from 00001 (frame n is at
                                                time (n - 1) / fps in the video)
  videos/{train,test}/<seq>.mp4                 the same frames, H.264 (absent with --no-video)
  dataset.json                                  classes, size, fps, split, seed, scale, counts

Split: train ${s.sequences.filter((q) => q.split === 'train').map((q) => q.name).join(' ')}
       test  ${s.sequences.filter((q) => q.split === 'test').map((q) => q.name).join(' ')}

Annotations
  Keyframes every ${o.keyframeStride} frames (${(o.keyframeStride / o.fps).toFixed(2)} s); a project lists only the keyframes
  (frames with at least one box). Every visible person has a box [2, x, y, w, h] in pixels. Attribute
  "1" (CHECKBOX "person", anchor FILE1_Z0_XY1) holds the action: 0 None, 1 handshake, 2 point, 3 hug,
  4 push, 5 kick, 6 punch. Both participants of an interaction carry its label, except point (only the
  pointer) and the first keyframe of some interactions, where only the actor has begun. A push that
  turns into a punch, or a handshake that becomes a hug, has one transition keyframe with both labels
  ("4,6", "1,3"). Passers-by and people between interactions are None ("0").
  Proposals: av {"1": "0", "2": "<score>"}; VIA3 has no score field, so the detector score is the
  TEXT attribute "2" named "score". They imitate a person detector whose boxes the annotators then
  labelled, as in the reference workflow: most coincide with the ground truth (IoU >= 0.9, where
  training takes a proposal for the labelled person), with a tail of looser boxes (more often where
  people overlap or are cut by the frame edge), a few missed people and a few false positives. Scores
  are >= 0.3 (the detector's threshold) and fall with the box's quality; false positives score
  0.3-0.6.

${indent(formatProposalIou(s.proposalIou))}

Labelled boxes (a two-label box counts once for each)
  train: ${row('train')}
  test:  ${row('test')}
  None boxes: train ${s.noneBoxes.train}, test ${s.noneBoxes.test}
`;
}

interface SequenceJob {
  scene: SequenceScene;
  output: FrameOutput;
}

/**
 * Writes the frames of `jobs` in up to `o.jobs` worker threads, longest sequences first so that the
 * last one to finish is short. The first failure stops every worker and is rethrown (a UserError
 * stays one).
 */
async function writeInWorkers(jobs: readonly SequenceJob[], o: ResolvedOptions, onFrames: (n: number, name: string) => void): Promise<void> {
  const queue = [...jobs].sort((a, b) => b.scene.nFrames - a.scene.nFrames);
  const sceneOptions = { scale: o.scale, seed: o.seed, width: o.width, height: o.height, fps: o.fps, keyframeStride: o.keyframeStride };
  const workers: Worker[] = [];
  try {
    await new Promise<void>((resolvePromise, reject) => {
      let running = 0;
      let failed = false;
      const fail = (e: Error): void => {
        if (failed) return;
        failed = true;
        reject(e);
      };
      const next = (w: Worker): void => {
        const job = queue.shift();
        if (!job) {
          running -= 1;
          if (running === 0 && !failed) resolvePromise();
          return;
        }
        w.removeAllListeners('message');
        w.on('message', (m: WorkerMessage) => {
          if (m.type === 'frames') onFrames(m.n, job.scene.name);
          else if (m.type === 'done') next(w);
          else fail(m.user ? new UserError(m.message) : Object.assign(new Error(m.message), { stack: m.stack }));
        });
        w.postMessage({ ...job.output, scene: sceneOptions, sequence: job.scene.name } satisfies WorkerRequest);
      };
      const n = Math.min(o.jobs, queue.length);
      if (n === 0) resolvePromise();
      for (let i = 0; i < n; i++) {
        const w = new Worker(new URL('./worker.js', import.meta.url));
        workers.push(w);
        w.on('error', (e) => fail(e));
        w.on('exit', (code) => {
          if (code !== 0) fail(new Error(`synth worker exited with code ${code}`));
        });
        running += 1;
        next(w);
      }
    });
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

/**
 * Generates the dataset into `options.out`. Reports progress in frames. Returns what was written.
 */
export async function generateSynthDataset(options: SynthOptions, onProgress?: ProgressCallback): Promise<SynthSummary> {
  const o = resolveOptions(options);
  const out = resolve(options.out);
  checkOut(out, options.force ?? false);
  const partial = `${out}.partial`;
  clearOwnPartial(partial);
  try {
    makeDirs(partial);
  } catch (e) {
    cannotWrite(partial, e);
  }
  // The marker says this folder is stad's own, so that a later run may remove it (and nothing else).
  await writeFile(join(partial, PARTIAL_MARKER), 'written by stad synth; removed when the dataset is complete\n');

  const scenes = buildScenes(o);
  const totalFrames = scenes.reduce((n, s) => n + s.nFrames, 0);
  const counts = { train: zeroCounts(), test: zeroCounts() };
  const noneBoxes = { train: 0, test: 0 };
  const multiLabelBoxes = { train: 0, test: 0 };
  const proposalIou = { train: new ProposalIouAccumulator(), test: new ProposalIouAccumulator() };
  const sequences: SynthSequenceSummary[] = [];
  let done = 0;
  onProgress?.({ done, total: totalFrames });

  try {
    const jobs: SequenceJob[] = [];
    for (const scene of scenes) {
      const split = scene.split;
      const gt = groundTruth(scene);
      const props = proposals(scene, gt);
      for (const k of gt) {
        for (const b of k.boxes) {
          if (b.labels.length === 0) noneBoxes[split] += 1;
          if (b.labels.length > 1) multiLabelBoxes[split] += 1;
          for (const id of b.labels) counts[split][SYNTH_CLASSES[Number(id) - 1]!] += 1;
        }
      }
      proposalIou[split].addKeyframes(
        gt.map((k) => ({ gt: k.boxes.map(corners), proposals: (props.get(k.frame) ?? []).map((p) => ({ box: corners(p), score: p.score })) })),
      );
      const annDir = join(partial, 'annotations', split);
      makeDirs(annDir);
      await writeFile(join(annDir, `${scene.name}.json`), groundTruthProject(scene, gt));
      await writeFile(join(annDir, `${scene.name}_proposal.json`), proposalProject(scene, gt, props));
      jobs.push({
        scene,
        output: {
          imageDir: join(partial, 'images', split, scene.name),
          videoPath: o.video ? join(partial, 'videos', split, `${scene.name}.mp4`) : null,
          jpegQuality: o.jpegQuality,
        },
      });
      sequences.push({
        name: scene.name,
        split,
        frames: scene.nFrames,
        keyframes: gt.length,
        boxes: gt.reduce((n, k) => n + k.boxes.length, 0),
        proposals: [...props.values()].reduce((n, l) => n + l.length, 0),
      });
    }

    const onFrames = (n: number, name: string): void => {
      done += n;
      onProgress?.({ done, total: totalFrames, info: name });
    };
    if (o.jobs <= 1) {
      for (const job of jobs) await writeSequenceFrames(job.scene, job.output, (n) => onFrames(n, job.scene.name));
    } else {
      await writeInWorkers(jobs, o, onFrames);
    }

    // The counts the files hold must be the ones asked for.
    for (const split of SPLITS) {
      const want = targetCounts(split, o.scale);
      for (const c of SYNTH_CLASSES) {
        if (counts[split][c] !== want[c]) throw new Error(`synth: wrote ${counts[split][c]} ${c} boxes in ${split}, wanted ${want[c]}`);
      }
    }

    const summary: SynthSummary = {
      out,
      options: o,
      counts,
      noneBoxes,
      multiLabelBoxes,
      proposalIou: { train: proposalIou.train.result(), test: proposalIou.test.result() },
      frames: totalFrames,
      sequences,
      paths: {
        annotations: join(out, 'annotations'),
        images: join(out, 'images'),
        videos: o.video ? join(out, 'videos') : null,
        dataset: join(out, 'dataset.json'),
        readme: join(out, 'README.txt'),
      },
    };
    const dataset = {
      name: 'stad-synth',
      description: 'Synthetic stand-in of the reference dataset (stad synth)',
      classes: [...SYNTH_CLASSES],
      labelMap: { ...ACTION_OPTIONS },
      fps: o.fps,
      width: o.width,
      height: o.height,
      keyframeStride: o.keyframeStride,
      firstFrameNumber: 1,
      splits: {
        train: sequences.filter((s) => s.split === 'train').map((s) => s.name),
        test: sequences.filter((s) => s.split === 'test').map((s) => s.name),
      },
      seed: o.seed,
      scale: o.scale,
      video: o.video,
      proposals: { suffix: '_proposal', scoreAttribute: { id: '2', name: 'score' } },
      counts,
      sequences,
    };
    await writeFile(join(partial, 'dataset.json'), `${JSON.stringify(dataset, null, 2)}\n`);
    await writeFile(join(partial, 'README.txt'), readme(summary));

    rmSync(join(partial, PARTIAL_MARKER));
    if (existsSync(out)) rmSync(out, { recursive: true, force: true });
    renameSync(partial, out);
    return summary;
  } catch (e) {
    // Ours: created (and marked) above, after checking that nothing of the user's was there.
    rmSync(partial, { recursive: true, force: true });
    throw e;
  }
}
