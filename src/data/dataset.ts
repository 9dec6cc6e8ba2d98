/**
 * What `--data <dir>` means: the videos of each split, their annotation and proposal projects, where
 * their frames come from, their frame rate and frame size, and the class names.
 *
 * A dataset is described either by a `dataset.json` in the folder, or by the conventional layout:
 *
 *     annotations/<split>/<video>.json            VIA3 project (ground truth), one per video
 *     annotations/<split>/<video>_proposal.json   person-detector boxes (optional)
 *     images/<split>/<video>/<video>_<frame:05d>.jpg   frames (the reference layout), or
 *     frames/<split>/<video>/...  or  frames/<video>/...   frames, or
 *     videos/<split>/<video>.mp4  or  videos/<video>.mp4   a video file (any extension of video-files.ts, any case)
 *
 * Splits are the sub-folders of `annotations/` (train, val, test first, then by name). The frame-name
 * pattern is found from the first image in a frames folder (`{video}_{frame:05d}.jpg`, `{frame:06d}.png`,
 * ...). `dataset.json` (see `datasetFileSchema`) may list everything explicitly under `splits`, or only set
 * defaults (fps, frame size, action attribute) and leave the videos to the layout. Paths in it are
 * relative to the dataset folder.
 *
 * Keyframes (`keyframesOf`) tie annotations to frames: a frame number in the frame names and a time in
 * seconds, through fps and the first frame's number (`firstFrameNumber`, default 1).
 *
 * Frame rate: `dataset.json` (per video, then global), else the video file's (ffprobe), else
 * `DEFAULT_FPS` (`fpsSource` says which). Frame size: `dataset.json`, else the first frame (sharp) or
 * the video (ffprobe); null when neither is there.
 *
 * Classes come from the VIA3 action attribute's options (see via3/read.ts: index 0 is the background);
 * every ground-truth project that has an action attribute must have the same class names.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join, resolve, relative } from 'node:path';
import { z } from 'zod';
import { fail, UserError } from '../util/errors.js';
import { readVia3, type Via3Annotations, type Via3Box } from './via3/read.js';
import { formatJsonPath } from './via3/schema.js';
import { readJsonFile } from './json-file.js';
import { jsonMap } from '../util/json-map.js';
import { findVideoFile } from './video-files.js';
import { requireSafeName } from '../util/names.js';

export { DEFAULT_DATA_DIR } from './defaults.js';
export const DATASET_FILE = 'dataset.json';
/** Frame rate assumed for folders of frames when nothing says otherwise (the reference videos' rate). */
export const DEFAULT_FPS = 30;
/** Frames extracted with ffmpeg (`%05d.jpg`) are numbered from 1, as the reference's and stad synth's are. */
export const DEFAULT_FIRST_FRAME_NUMBER = 1;
/** The reference frame-name pattern. */
export const DEFAULT_FRAME_PATTERN = '{video}_{frame:05d}.jpg';
const IMAGE_NAME = /\.(jpe?g|png)$/i;

export type FrameSource =
  /** A folder of frames; `pattern` uses `{video}` and `{frame}` / `{frame:05d}`. */
  | { kind: 'frames'; dir: string; pattern: string }
  | { kind: 'video'; file: string }
  /** Annotations only (enough for `stats` and `convert` with a known frame size). */
  | { kind: 'none' };

export interface FrameSize {
  width: number;
  height: number;
}

export interface DatasetVideo {
  name: string;
  split: string;
  /** Absolute path of the ground-truth VIA3 project. */
  annotations: string;
  /** Absolute path of the proposals project, or null. */
  proposals: string | null;
  frames: FrameSource;
  fps: number;
  fpsSource: 'dataset.json' | 'video' | 'default';
  /** Number of the video's first frame in frame names (`dataset.json` `firstFrameNumber`, default 1). */
  firstFrameNumber: number;
  frameSize: FrameSize | null;
  /** Parsed ground truth; every box's `videoId` is `name`. */
  gt: Via3Annotations;
  /** Parsed proposals, or null. */
  proposalBoxes: Via3Annotations | null;
}

export interface Dataset {
  /** Absolute dataset folder. */
  root: string;
  /** How the videos were found. */
  describedBy: 'dataset.json' | 'layout';
  /** Videos per split, in split order (train, val, test, then others by name). */
  splits: Record<string, DatasetVideo[]>;
  /** Class names, index 0 = background; [] when no project has an action attribute. */
  classes: string[];
}

const positiveInt = z.number().int().positive();
const videoEntrySchema = z.strictObject({
  name: z.string().min(1),
  annotations: z.string().min(1),
  proposals: z.string().nullable().optional(),
  frames: z.string().optional(),
  framePattern: z.string().optional(),
  video: z.string().optional(),
  fps: z.number().positive().optional(),
  width: positiveInt.optional(),
  height: positiveInt.optional(),
});

/**
 * `dataset.json`. Every field is optional; `splits` replaces the layout's split folders when present.
 * A split lists videos either by name (found in the conventional layout under that split) or as an
 * object naming its files. Other keys are allowed and ignored, so generators can record their own
 * metadata (`stad synth` writes its seed, scale and counts there).
 */
export const datasetFileSchema = z.looseObject({
  name: z.string().optional(),
  description: z.string().optional(),
  fps: z.number().positive().optional(),
  width: positiveInt.optional(),
  height: positiveInt.optional(),
  framePattern: z.string().optional(),
  /** Number of the first frame of a video in frame names (default 1). */
  firstFrameNumber: z.number().int().nonnegative().optional(),
  /** Name or id of the VIA3 action attribute (when projects have several region checkboxes). */
  actionAttribute: z.string().optional(),
  splits: jsonMap(z.array(z.union([z.string().min(1), videoEntrySchema]))).optional(),
});
export type DatasetFile = z.infer<typeof datasetFileSchema>;
type VideoEntry = z.infer<typeof videoEntrySchema>;

export interface LoadDatasetOptions {
  /** Overrides the action attribute named in dataset.json. */
  actionAttribute?: string;
  /** Look at the first frame / the video for frame size and fps (default true). */
  probe?: boolean;
}

/** Finds the videos, parses their projects, and settles classes, fps and frame sizes. */
export async function loadDataset(dir: string, options: LoadDatasetOptions = {}): Promise<Dataset> {
  const root = resolve(dir);
  if (!existsSync(root) || !statSync(root).isDirectory()) {
    throw new UserError(`${dir}: no dataset folder here; run \`stad synth\` to make the built-in dataset, or pass --data <dir>`);
  }
  const descFile = join(root, DATASET_FILE);
  const desc = existsSync(descFile) ? readDatasetFile(descFile) : null;
  const entries = desc?.splits ? explicitEntries(root, desc, descFile) : inferLayout(root, desc);
  const actionAttribute = options.actionAttribute ?? desc?.actionAttribute;
  const probe = options.probe ?? true;

  // Null prototype: split names come from files, and `constructor` or `__proto__` is a name like any other.
  const splits = Object.create(null) as Record<string, DatasetVideo[]>;
  const seen = new Map<string, string>();
  for (const e of entries) {
    const prev = seen.get(e.name);
    if (prev !== undefined) fail(desc?.splits ? descFile : join(root, 'annotations'), `video ${JSON.stringify(e.name)}`, `appears twice (in ${prev} and ${e.split}); video names must be unique`);
    seen.set(e.name, e.split);
    const gt = relabel(readVia3(e.annotations, { actionAttribute }), e.name);
    // Proposals are class-agnostic: their projects are read with the default attribute rule, so naming
    // an action attribute that only the ground truth has does not break them.
    const proposalBoxes = e.proposals ? relabel(readVia3(e.proposals), e.name) : null;
    let fps = e.fps ?? desc?.fps;
    let fpsSource: DatasetVideo['fpsSource'] = fps !== undefined ? 'dataset.json' : 'default';
    let frameSize: FrameSize | null = (e.width ?? desc?.width) && (e.height ?? desc?.height) ? { width: (e.width ?? desc?.width)!, height: (e.height ?? desc?.height)! } : null;
    if (probe && (frameSize === null || fps === undefined)) {
      if (e.frames.kind === 'video') {
        const info = probeVideo(e.frames.file);
        if (info) {
          frameSize ??= { width: info.width, height: info.height };
          if (fps === undefined && info.fps > 0) {
            fps = info.fps;
            fpsSource = 'video';
          }
        }
      } else if (e.frames.kind === 'frames' && frameSize === null) {
        frameSize = await probeFirstFrame(e.frames.dir);
      }
    }
    (splits[e.split] ??= []).push({
      name: e.name,
      split: e.split,
      annotations: e.annotations,
      proposals: e.proposals,
      frames: e.frames,
      fps: fps ?? DEFAULT_FPS,
      fpsSource,
      firstFrameNumber: desc?.firstFrameNumber ?? DEFAULT_FIRST_FRAME_NUMBER,
      frameSize,
      gt,
      proposalBoxes,
    });
  }
  return { root, describedBy: desc?.splits ? 'dataset.json' : 'layout', splits, classes: agreeOnClasses(Object.values(splits).flat(), root) };
}

/** One annotated keyframe of a video: its ground-truth boxes and the proposals on the same frame. */
export interface Keyframe {
  video: string;
  /**
   * Frame number in the video's frame numbering (the one in frame names): from the file name in image
   * projects; `round(t * fps) + firstFrameNumber` in video projects.
   */
  frameNumber: number;
  /** Seconds from the video's start: `z[0]` in video projects, `(frameNumber - firstFrameNumber) / fps` in image projects. */
  time: number;
  /** The AVA `timestamp` that `stad convert` writes for it: frame number (image projects) or seconds (video projects). */
  avaTimestamp: number;
  gt: Via3Box[];
  /** Proposals on this keyframe (empty when the video has none there). */
  proposals: Via3Box[];
}

/**
 * The keyframes of a video in time order: the frames (image projects) or times (video projects) that
 * carry at least one ground-truth box. Proposals on frames without ground truth are not keyframes.
 */
export function keyframesOf(v: DatasetVideo): Keyframe[] {
  const keyOf = (b: Via3Box): number => b.frameIndex ?? b.time ?? 0;
  const proposals = new Map<number, Via3Box[]>();
  for (const b of v.proposalBoxes?.boxes ?? []) {
    const list = proposals.get(keyOf(b));
    if (list) list.push(b);
    else proposals.set(keyOf(b), [b]);
  }
  const byKey = new Map<number, Keyframe>();
  for (const b of v.gt.boxes) {
    const key = keyOf(b);
    let k = byKey.get(key);
    if (!k) {
      const image = b.frameIndex !== null;
      k = {
        video: v.name,
        frameNumber: image ? b.frameIndex! : Math.round(b.time! * v.fps) + v.firstFrameNumber,
        time: image ? (b.frameIndex! - v.firstFrameNumber) / v.fps : b.time!,
        avaTimestamp: key,
        gt: [],
        proposals: proposals.get(key) ?? [],
      };
      byKey.set(key, k);
    }
    k.gt.push(b);
  }
  return [...byKey.values()].sort((a, b) => a.time - b.time);
}

/** All videos of all splits, in split order. */
export function allVideos(ds: Dataset): DatasetVideo[] {
  return Object.values(ds.splits).flat();
}

/** The path of frame `frameIndex` of a video stored as a folder of frames. */
export function framePath(source: Extract<FrameSource, { kind: 'frames' }>, video: string, frameIndex: number): string {
  const name = source.pattern
    .replaceAll('{video}', video)
    .replace(/\{frame(?::0(\d+)d)?\}/g, (_m, width: string | undefined) => String(frameIndex).padStart(width ? Number(width) : 0, '0'));
  return join(source.dir, name);
}

interface ResolvedEntry {
  name: string;
  split: string;
  annotations: string;
  proposals: string | null;
  frames: FrameSource;
  fps?: number;
  width?: number;
  height?: number;
}

function readDatasetFile(path: string): DatasetFile {
  return readJsonFile(path, datasetFileSchema);
}

function explicitEntries(root: string, desc: DatasetFile, descFile: string): ResolvedEntry[] {
  const out: ResolvedEntry[] = [];
  for (const split of orderSplits([...desc.splits!.keys()])) {
    // Split and video names become folder and file names (annotations/<split>/<video>.json, <split>.csv).
    requireSafeName(split, descFile, formatJsonPath(['splits', split]), 'split name');
    desc.splits!.get(split)!.forEach((item, i) => {
      const where = formatJsonPath(['splits', split, i]);
      requireSafeName(typeof item === 'string' ? item : item.name, descFile, where, 'video name');
      if (typeof item === 'string') {
        const annotations = join(root, 'annotations', split, `${item}.json`);
        if (!existsSync(annotations)) fail(descFile, where, `video ${JSON.stringify(item)}: no annotations/${split}/${item}.json`);
        const proposals = join(root, 'annotations', split, `${item}_proposal.json`);
        out.push({ name: item, split, annotations, proposals: existsSync(proposals) ? proposals : null, frames: findFrames(root, split, item, desc.framePattern) });
        return;
      }
      const v: VideoEntry = item;
      const annotations = join(root, v.annotations);
      if (!existsSync(annotations)) fail(descFile, `${where}.annotations`, `no such file ${relative(process.cwd(), annotations)}`);
      const proposals = v.proposals ? join(root, v.proposals) : null;
      if (proposals && !existsSync(proposals)) fail(descFile, `${where}.proposals`, `no such file ${relative(process.cwd(), proposals)}`);
      if (v.frames && v.video) fail(descFile, where, 'give either "frames" (a folder) or "video" (a file), not both');
      let frames: FrameSource = { kind: 'none' };
      if (v.video) frames = { kind: 'video', file: join(root, v.video) };
      else if (v.frames) {
        const dir = join(root, v.frames);
        frames = { kind: 'frames', dir, pattern: v.framePattern ?? desc.framePattern ?? detectPattern(dir, v.name) ?? DEFAULT_FRAME_PATTERN };
      }
      out.push({ name: v.name, split, annotations, proposals, frames, fps: v.fps, width: v.width, height: v.height });
    });
  }
  return out;
}

function inferLayout(root: string, desc: DatasetFile | null): ResolvedEntry[] {
  const annDir = join(root, 'annotations');
  if (!isDir(annDir)) {
    fail(root, undefined, `no ${DATASET_FILE} and no annotations/ folder; expected annotations/{train,test}/<video>.json (or run \`stad synth\`)`);
  }
  const splits = orderSplits(readdirSync(annDir, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name));
  if (splits.length === 0) fail(annDir, undefined, 'no split folders; expected annotations/train/ and annotations/test/');
  const out: ResolvedEntry[] = [];
  for (const split of splits) {
    const dir = join(annDir, split);
    const names = readdirSync(dir)
      .filter((f) => f.endsWith('.json') && !f.endsWith('_proposal.json') && !f.startsWith('.'))
      .map((f) => f.slice(0, -'.json'.length))
      .sort(naturalCompare);
    for (const name of names) {
      const proposals = join(dir, `${name}_proposal.json`);
      out.push({
        name,
        split,
        annotations: join(dir, `${name}.json`),
        proposals: existsSync(proposals) ? proposals : null,
        frames: findFrames(root, split, name, desc?.framePattern),
      });
    }
  }
  return out;
}

function findFrames(root: string, split: string, video: string, pattern: string | undefined): FrameSource {
  for (const dir of [join(root, 'images', split, video), join(root, 'frames', split, video), join(root, 'frames', video)]) {
    if (isDir(dir)) return { kind: 'frames', dir, pattern: pattern ?? detectPattern(dir, video) ?? DEFAULT_FRAME_PATTERN };
  }
  for (const dir of [join(root, 'videos', split), join(root, 'videos')]) {
    const file = findVideoFile(dir, video);
    if (file) return { kind: 'video', file };
  }
  return { kind: 'none' };
}

/** The frame-name pattern of a folder, from its first image (by name); null when it has none. */
export function detectPattern(dir: string, video: string): string | null {
  if (!isDir(dir)) return null;
  const first = readdirSync(dir).filter((f) => IMAGE_NAME.test(f)).sort()[0];
  if (!first) return null;
  const m = /^(.*?)(\d+)\.([A-Za-z]+)$/.exec(first);
  if (!m) return null;
  let prefix = m[1]!;
  if (prefix.startsWith(video)) prefix = `{video}${prefix.slice(video.length)}`;
  return `${prefix}{frame:0${m[2]!.length}d}.${m[3]}`;
}

function relabel(a: Via3Annotations, video: string): Via3Annotations {
  if (a.videos.length > 1) {
    fail(a.file, 'file', `refers to ${a.videos.length} videos (${a.videos.slice(0, 3).join(', ')}${a.videos.length > 3 ? ', ...' : ''}); stad expects one project per video`);
  }
  for (const b of a.boxes) b.videoId = video;
  for (const f of a.files) f.videoId = video;
  a.videos = a.videos.length ? [video] : [];
  return a;
}

function agreeOnClasses(videos: DatasetVideo[], root: string): string[] {
  let classes: string[] | null = null;
  let from = '';
  for (const v of videos) {
    if (!v.gt.actionAttribute) continue;
    if (classes === null) {
      classes = v.gt.classes;
      from = v.annotations;
    } else if (classes.join('\u0000') !== v.gt.classes.join('\u0000')) {
      fail(
        relative(process.cwd(), v.annotations) || v.annotations,
        `attribute[${JSON.stringify(v.gt.actionAttribute.id)}].options`,
        `classes [${v.gt.classes.join(', ')}] differ from [${classes.join(', ')}] in ${relative(root, from)}; all projects of a dataset must share one class list`,
      );
    }
  }
  return classes ?? [];
}

const SPLIT_ORDER = ['train', 'val', 'test'];
function orderSplits(names: string[]): string[] {
  return [...names].sort((a, b) => {
    const ia = SPLIT_ORDER.indexOf(a);
    const ib = SPLIT_ORDER.indexOf(b);
    if (ia >= 0 || ib >= 0) return (ia < 0 ? 99 : ia) - (ib < 0 ? 99 : ib);
    return a < b ? -1 : a > b ? 1 : 0;
  });
}

/** seq2 before seq10. */
export function naturalCompare(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

async function probeFirstFrame(dir: string): Promise<FrameSize | null> {
  if (!isDir(dir)) return null;
  const first = readdirSync(dir).filter((f) => IMAGE_NAME.test(f)).sort()[0];
  if (!first) return null;
  const { default: sharp } = await import('sharp');
  try {
    const meta = await sharp(join(dir, first)).metadata();
    return meta.width && meta.height ? { width: meta.width, height: meta.height } : null;
  } catch (e) {
    throw new UserError(`${join(dir, first)}: cannot read image (${(e as Error).message})`);
  }
}

/** Width, height and frame rate of a video's first video stream, or null if ffprobe is missing or fails. */
export function probeVideo(file: string): { width: number; height: number; fps: number } | null {
  const r = spawnSync('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'stream=width,height,avg_frame_rate,r_frame_rate', '-of', 'json', file], { encoding: 'utf8' });
  if (r.status !== 0 || !r.stdout) return null;
  try {
    const s = (JSON.parse(r.stdout) as { streams?: { width?: number; height?: number; avg_frame_rate?: string; r_frame_rate?: string }[] }).streams?.[0];
    if (!s?.width || !s.height) return null;
    const rate = (txt: string | undefined): number => {
      const [n, d] = (txt ?? '0/1').split('/').map(Number);
      return d ? n! / d : 0;
    };
    return { width: s.width, height: s.height, fps: rate(s.avg_frame_rate) || rate(s.r_frame_rate) };
  } catch {
    return null;
  }
}
