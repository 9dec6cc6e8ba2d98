/**
 * Writes boxes back as a VIA3 project that VGG Image Annotator 3 opens and `readVia3` reads: the reverse
 * of the reader, used by `stad convert ava-to-via3`. Two styles, as the reader accepts:
 *
 * - `image`: one file (and one view) per keyframe, named `<video>_<frame:05d>.jpg`, `z = []`; the
 *   action attribute is anchored `FILE1_Z0_XY1` (the reference dataset's form);
 * - `video`: one video file and view, boxes at `z = [t]` seconds, anchor `FILE1_Z1_XY1`.
 *
 * The action attribute is a CHECKBOX with one option per class (`optionIds[i]` -> `classes[i]`), default
 * option = the background's id. Boxes with a score get a TEXT attribute `score`, as the reader expects.
 * Output is deterministic (ids are counters) and compact, as VIA itself saves.
 */
import { VIA3_ANCHOR, VIA3_ATTRIBUTE_TYPE, VIA3_FILE_TYPE, VIA3_SHAPE } from './schema.js';

export interface Via3BoxToWrite {
  /** Image style: the frame index (required there). */
  frameIndex?: number | null;
  /** Video style: seconds (required there). */
  time?: number | null;
  /** [x1, y1, x2, y2] pixels. */
  box: readonly [number, number, number, number];
  /** Indices into `classes` (0 = background). */
  labels: readonly number[];
  score?: number | null;
}

export interface Via3WriteOptions {
  style: 'image' | 'video';
  videoId: string;
  /** Class names, index 0 = background, as `Via3Annotations.classes`. */
  classes: readonly string[];
  /** VIA3 option id per class; default the index as a string. A null entry gets a fresh id. */
  optionIds?: readonly (string | null)[];
  /** Name of the action attribute (default `person`, the reference's). */
  attributeName?: string;
  /** Image style: the file name of a frame (default `<video>_<frame:05d>.jpg`). */
  frameFileName?: (videoId: string, frameIndex: number) => string;
  /** Video style: the video file name (default `<video>.mp4`). */
  videoFileName?: string;
  projectName?: string;
}

export function defaultFrameFileName(videoId: string, frameIndex: number): string {
  return `${videoId}_${String(frameIndex).padStart(5, '0')}.jpg`;
}

/** The project as a plain JSON value (keys in the order VIA writes them). */
export function buildVia3Project(boxes: readonly Via3BoxToWrite[], opts: Via3WriteOptions): Record<string, unknown> {
  const optionIds = resolveOptionIds(opts.classes, opts.optionIds);
  const anchor = opts.style === 'image' ? VIA3_ANCHOR.IMAGE_REGION : VIA3_ANCHOR.VIDEO_REGION;
  // Null prototype: option ids come from files, and `__proto__` must stay an ordinary key.
  const options = Object.create(null) as Record<string, string>;
  opts.classes.forEach((name, i) => {
    options[optionIds[i]!] = name;
  });
  const attribute: Record<string, unknown> = {
    '1': { aname: opts.attributeName ?? 'person', anchor_id: anchor, type: VIA3_ATTRIBUTE_TYPE.CHECKBOX, desc: '', options, default_option_id: optionIds[0] ?? '' },
  };
  const withScore = boxes.some((b) => b.score !== undefined && b.score !== null);
  if (withScore) {
    attribute['2'] = { aname: 'score', anchor_id: anchor, type: VIA3_ATTRIBUTE_TYPE.TEXT, desc: 'detector score', options: {}, default_option_id: '' };
  }

  const file: Record<string, unknown> = {};
  const view: Record<string, unknown> = {};
  const vidList: string[] = [];
  const vidOfBox: string[] = [];
  if (opts.style === 'image') {
    const nameOf = opts.frameFileName ?? defaultFrameFileName;
    const frames = [...new Set(boxes.map((b, i) => frameOf(b, i)))].sort((a, b) => a - b);
    const vidOfFrame = new Map<number, string>();
    frames.forEach((frame, i) => {
      const id = String(i + 1);
      file[id] = { fid: id, fname: nameOf(opts.videoId, frame), type: VIA3_FILE_TYPE.IMAGE, loc: 1, src: '' };
      view[id] = { fid_list: [id] };
      vidList.push(id);
      vidOfFrame.set(frame, id);
    });
    boxes.forEach((b, i) => vidOfBox.push(vidOfFrame.get(frameOf(b, i))!));
  } else {
    file['1'] = { fid: '1', fname: opts.videoFileName ?? `${opts.videoId}.mp4`, type: VIA3_FILE_TYPE.VIDEO, loc: 1, src: '' };
    view['1'] = { fid_list: ['1'] };
    vidList.push('1');
    boxes.forEach(() => vidOfBox.push('1'));
  }

  const metadata: Record<string, unknown> = {};
  boxes.forEach((b, i) => {
    const vid = vidOfBox[i]!;
    const [x1, y1, x2, y2] = b.box;
    const av: Record<string, string> = { '1': b.labels.map((l) => labelId(l, optionIds, opts.classes.length)).join(',') };
    if (withScore && b.score !== undefined && b.score !== null) av['2'] = String(b.score);
    const z = opts.style === 'image' ? [] : [timeOf(b, i)];
    metadata[`${vid}_${(i + 1).toString(36).padStart(8, '0')}`] = { vid, flg: 0, z, xy: [VIA3_SHAPE.RECTANGLE, x1, y1, x2 - x1, y2 - y1], av };
  });

  return {
    project: {
      pid: '__VIA_PROJECT_ID__',
      rev: '__VIA_PROJECT_REV_ID__',
      rev_timestamp: '__VIA_PROJECT_REV_TIMESTAMP__',
      pname: opts.projectName ?? opts.videoId,
      creator: 'stad',
      created: 0,
      vid_list: vidList,
    },
    config: { file: { loc_prefix: { '1': '', '2': '', '3': '', '4': '' } }, ui: {} },
    attribute,
    file,
    metadata,
    view,
  };
}

/** Compact JSON, as VIA saves. */
export function serializeVia3Project(boxes: readonly Via3BoxToWrite[], opts: Via3WriteOptions): string {
  return JSON.stringify(buildVia3Project(boxes, opts));
}

function frameOf(b: Via3BoxToWrite, i: number): number {
  if (b.frameIndex === undefined || b.frameIndex === null || !Number.isInteger(b.frameIndex) || b.frameIndex < 0) {
    throw new Error(`box ${i}: an image-style VIA3 project needs an integer frameIndex >= 0, got ${String(b.frameIndex)}`);
  }
  return b.frameIndex;
}

function timeOf(b: Via3BoxToWrite, i: number): number {
  if (b.time === undefined || b.time === null || !Number.isFinite(b.time) || b.time < 0) {
    throw new Error(`box ${i}: a video-style VIA3 project needs a time >= 0 in seconds, got ${String(b.time)}`);
  }
  return b.time;
}

function labelId(label: number, optionIds: readonly string[], n: number): string {
  if (!Number.isInteger(label) || label < 0 || label >= n) throw new Error(`label ${label} is not a class index in [0, ${n})`);
  return optionIds[label]!;
}

function resolveOptionIds(classes: readonly string[], given: readonly (string | null)[] | undefined): string[] {
  if (!given) return classes.map((_, i) => String(i));
  if (given.length !== classes.length) throw new Error(`optionIds has ${given.length} entries for ${classes.length} classes`);
  const taken = new Set(given.filter((id): id is string => id !== null));
  let next = 0;
  return given.map((id) => {
    if (id !== null) return id;
    while (taken.has(String(next))) next++;
    taken.add(String(next));
    return String(next);
  });
}
