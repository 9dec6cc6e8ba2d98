/**
 * Reads a VIA3 project into the boxes stad trains on. Both styles of ../../../../shared/VIA3_FORMAT.md load:
 *
 * - an *image project per video* (the reference dataset): every `file` is one extracted frame named
 *   `<video>_<frame>.jpg`; the video id and the frame index come from that name; `z` is unused;
 * - a *video project*: `file`s of type 4 (video); a box is a rectangle at a time `z = [t]` in seconds.
 *
 * A metadata entry reaches its file through `view[vid].fid_list` (view and file ids are separate
 * namespaces). A box is a rectangle `[2, x, y, w, h]`, or an extreme rectangle `[8, four points]` (its
 * bounding box). Entries that are not a box on a frame are skipped and counted in `skipped`: temporal
 * segments (`z = [t0, t1]`, `xy = []`), whole-file labels (`xy = []`), and other shapes.
 *
 * Action labels come from one CHECKBOX attribute anchored on regions (`FILE1_Z0_XY1` on images or
 * `FILE1_Z1_XY1` on video frames). Rule when there are several: the one named by
 * `options.actionAttribute` (attribute name or id) if given, otherwise the one with the lowest attribute
 * id (the first created in VIA, shown first in its editor). With none, boxes have no labels.
 *
 * Classes: `classes[i]` is the name of the option at position i; index 0 is always the background
 * ("None"): the option named "None" (any case) moves to index 0, and without one a synthetic "None" is
 * put there (its `optionIds` entry is null). The other options keep their order in the attribute.
 *
 * A proposals project (a person detector's boxes) may carry a detector score in a TEXT attribute named
 * `score` on the same region anchors; its value is parsed as a number. Without one, `score` is null
 * (consumers treat that as 1.0).
 */
import { basename, extname } from 'node:path';
import { fail } from '../../util/errors.js';
import { readTextFile, stripBom } from '../../util/fs.js';
import { requireFrameNumber } from '../frame-number.js';
import {
  describeZodIssue,
  VIA3_ATTRIBUTE_TYPE,
  VIA3_FILE_TYPE,
  VIA3_REGION_ANCHORS,
  VIA3_SHAPE,
  via3ProjectSchema,
  type Via3Attribute,
  type Via3File,
  type Via3Project,
} from './schema.js';

/** One rectangle at one keyframe. Coordinates are pixels of the original frame. */
export interface Via3Box {
  /** The metadata entry id in the project (kept for messages and round trips). */
  entryId: string;
  /** Video the box belongs to: from the frame file name (image projects) or the video file name. */
  videoId: string;
  /** `fname` of the VIA3 file the box is drawn on. */
  fileName: string;
  /** Frame index from `<video>_<frame>.jpg` (image projects); null in video projects. */
  frameIndex: number | null;
  /** Time in seconds (`z[0]`, video projects); null in image projects. */
  time: number | null;
  /** [x1, y1, x2, y2] in pixels, x2 >= x1, y2 >= y1. */
  box: [number, number, number, number];
  /** Indices into `classes`, ascending and unique; [0] = background only; [] = no option ticked. */
  labels: number[];
  /** Detector score from a `score` attribute (proposals), or null when the project carries none. */
  score: number | null;
}

/** A file of the project that boxes can lie on, with where it sits in its video. */
export interface Via3FrameFile {
  fid: string;
  fileName: string;
  /** 'other' = audio or an unknown type: boxes on it are skipped. */
  kind: 'image' | 'video' | 'other';
  videoId: string;
  frameIndex: number | null;
}

export interface Via3SkipCounts {
  /** `z = [t0, t1]` with no region. */
  temporalSegment: number;
  /** `xy = []` with `z` of length 0 or 1: a label on the whole file. */
  fileLevel: number;
  /** A region of another shape than a rectangle (point, circle, ellipse, line, polygon, ...). */
  nonRectangle: number;
  /** A rectangle on a file that is neither an image nor a video (audio). */
  otherFile: number;
}

export interface Via3Annotations {
  /** The path it was read from (as given), for messages. */
  file: string;
  /** Project name (`project.pname`), '' when absent. */
  projectName: string;
  /** The chosen action attribute, or null when the project has no CHECKBOX on regions. */
  actionAttribute: { id: string; name: string; anchor: string } | null;
  /** Class names; index 0 is the background. Empty when there is no action attribute. */
  classes: string[];
  /** The VIA3 option id of each class (parallel to `classes`); null for a synthetic background. */
  optionIds: (string | null)[];
  /** Every rectangle, in metadata order. */
  boxes: Via3Box[];
  /** Files in project order (`vid_list`, then any view not in it). */
  files: Via3FrameFile[];
  /** Distinct video ids the files refer to, in order of first appearance. */
  videos: string[];
  skipped: Via3SkipCounts;
}

export interface ReadVia3Options {
  /** Name or id of the action attribute, when a project has several region CHECKBOX attributes. */
  actionAttribute?: string;
}

/** Reads and parses a project file. Bad JSON, a bad field or an inconsistent entry is a UserError. */
export function readVia3(path: string, options: ReadVia3Options = {}): Via3Annotations {
  return parseVia3(readTextFile(path, 'VIA3 project'), path, options);
}

/** Parses project text; `file` names the source in messages. */
export function parseVia3(text: string, file: string, options: ReadVia3Options = {}): Via3Annotations {
  let json: unknown;
  try {
    json = JSON.parse(stripBom(text));
  } catch (e) {
    const truncated = text.trim().length === 0 ? 'the file is empty' : (e as Error).message;
    fail(file, undefined, `not valid JSON (${truncated}); expected a VIA3 project saved by VGG Image Annotator 3`);
  }
  return via3FromJson(json, file, options);
}

/** Validates an already-parsed JSON value as a project and extracts its boxes. */
export function via3FromJson(json: unknown, file: string, options: ReadVia3Options = {}): Via3Annotations {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    fail(file, undefined, 'expected a JSON object with keys project, config, attribute, file, view, metadata');
  }
  const parsed = via3ProjectSchema.safeParse(json);
  if (!parsed.success) {
    const { where, message } = describeZodIssue(parsed.error.issues[0]!);
    fail(file, where, message);
  }
  return extract(parsed.data, file, options);
}

const FRAME_NAME = /^(.*)_(\d+)\.[^.]+$/;

function extract(project: Via3Project, file: string, options: ReadVia3Options): Via3Annotations {
  const action = chooseActionAttribute(project, file, options.actionAttribute);
  const { classes, optionIds, indexOfOption } = action ? classesOf(action.attr) : { classes: [], optionIds: [], indexOfOption: new Map<string, number>() };
  const scoreAttrId = findScoreAttribute(project);

  const filesByFid = new Map<string, Via3FrameFile>();
  for (const [key, f] of project.file) {
    filesByFid.set(f.fid, describeFile(f, file, key));
  }

  // Order files by the project's view order, then any other view.
  const viewOrder = [...(project.project?.vid_list ?? []), ...project.view.keys()];
  const seenFid = new Set<string>();
  const files: Via3FrameFile[] = [];
  for (const vid of viewOrder) {
    const view = project.view.get(vid);
    if (!view) continue;
    for (const fid of view.fid_list) {
      const f = filesByFid.get(fid);
      if (!f) fail(file, `view[${JSON.stringify(vid)}].fid_list`, `file id ${JSON.stringify(fid)} is not in "file"`);
      if (!seenFid.has(fid)) {
        seenFid.add(fid);
        files.push(f);
      }
    }
  }
  const videos = [...new Set(files.filter((f) => f.kind !== 'other').map((f) => f.videoId))];

  const skipped: Via3SkipCounts = { temporalSegment: 0, fileLevel: 0, nonRectangle: 0, otherFile: 0 };
  const boxes: Via3Box[] = [];
  for (const [mid, m] of project.metadata) {
    const where = `metadata[${JSON.stringify(mid)}]`;
    if (m.xy.length === 0) {
      if (m.z.length === 2) skipped.temporalSegment++;
      else skipped.fileLevel++;
      continue;
    }
    const shape = m.xy[0];
    let box: [number, number, number, number];
    if (shape === VIA3_SHAPE.RECTANGLE) {
      if (m.xy.length !== 5) fail(file, `${where}.xy`, `expected a rectangle [2, x, y, w, h], got ${JSON.stringify(m.xy)}`);
      const [, x, y, w, h] = m.xy as [number, number, number, number, number];
      if (w < 0) fail(file, `${where}.xy`, `negative width ${w} in [2, x, y, w, h]`);
      if (h < 0) fail(file, `${where}.xy`, `negative height ${h} in [2, x, y, w, h]`);
      box = [x, y, x + w, y + h];
    } else if (shape === VIA3_SHAPE.EXTREME_RECTANGLE) {
      // A rectangle drawn by clicking its four extreme points: the box is their bounding box.
      if (m.xy.length !== 9) fail(file, `${where}.xy`, `expected an extreme rectangle [8, x1, y1, ..., x4, y4], got ${JSON.stringify(m.xy)}`);
      const xs = [m.xy[1]!, m.xy[3]!, m.xy[5]!, m.xy[7]!];
      const ys = [m.xy[2]!, m.xy[4]!, m.xy[6]!, m.xy[8]!];
      box = [Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)];
    } else {
      if (!Object.values(VIA3_SHAPE).includes(shape as never)) {
        fail(file, `${where}.xy[0]`, `unknown shape ${shape}; expected 1..9 (2 = rectangle)`);
      }
      skipped.nonRectangle++;
      continue;
    }
    // Each number is finite, but x + w can still overflow.
    if (!box.every((v) => Number.isFinite(v))) fail(file, `${where}.xy`, `the box [${box.join(', ')}] is not finite`);

    const view = project.view.get(m.vid);
    if (!view) fail(file, `${where}.vid`, `view ${JSON.stringify(m.vid)} is not in "view"`);
    if (view.fid_list.length !== 1) {
      fail(file, `${where}.vid`, `view ${JSON.stringify(m.vid)} shows ${view.fid_list.length} files; a box must lie on exactly one`);
    }
    const frame = filesByFid.get(view.fid_list[0]!);
    if (!frame) fail(file, `view[${JSON.stringify(m.vid)}].fid_list`, `file id ${JSON.stringify(view.fid_list[0])} is not in "file"`);
    if (frame.kind === 'other') {
      skipped.otherFile++;
      continue;
    }
    if (frame.kind === 'video' && m.z.length !== 1) {
      fail(file, `${where}.z`, `a box on a video frame needs z = [t] (seconds), got ${JSON.stringify(m.z)}`);
    }
    if (frame.kind === 'video' && m.z[0]! < 0) fail(file, `${where}.z`, `negative time ${m.z[0]}`);

    let labels: number[] = [];
    if (action) {
      const raw = m.av.get(action.id) ?? action.attr.default_option_id;
      labels = parseCheckbox(raw, indexOfOption, file, `${where}.av[${JSON.stringify(action.id)}]`, action);
    }
    let score: number | null = null;
    const rawScore = scoreAttrId !== null ? m.av.get(scoreAttrId) : undefined;
    if (scoreAttrId !== null && rawScore !== undefined && rawScore.trim() !== '') {
      score = Number(rawScore);
      if (!Number.isFinite(score)) {
        fail(file, `${where}.av[${JSON.stringify(scoreAttrId)}]`, `expected a number (detector score), got ${JSON.stringify(rawScore)}`);
      }
    }
    boxes.push({
      entryId: mid,
      videoId: frame.videoId,
      fileName: frame.fileName,
      frameIndex: frame.frameIndex,
      time: frame.kind === 'video' ? m.z[0]! : null,
      box,
      labels,
      score,
    });
  }

  return {
    file,
    projectName: project.project?.pname ?? '',
    actionAttribute: action ? { id: action.id, name: action.attr.aname, anchor: action.attr.anchor_id } : null,
    classes,
    optionIds,
    boxes,
    files,
    videos,
    skipped,
  };
}

interface ChosenAttribute {
  id: string;
  attr: Via3Attribute;
}

/** Sorts attribute ids numerically when they are numbers (VIA3 creates "1", "2", ...), else by text. */
function compareIds(a: string, b: string): number {
  const na = Number(a);
  const nb = Number(b);
  if (Number.isInteger(na) && Number.isInteger(nb)) return na - nb;
  return a < b ? -1 : a > b ? 1 : 0;
}

function isRegionAnchor(anchor: string): boolean {
  return (VIA3_REGION_ANCHORS as readonly string[]).includes(anchor);
}

function chooseActionAttribute(project: Via3Project, file: string, wanted: string | undefined): ChosenAttribute | null {
  const candidates = [...project.attribute]
    .filter(([, a]) => a.type === VIA3_ATTRIBUTE_TYPE.CHECKBOX && isRegionAnchor(a.anchor_id))
    .sort(([a], [b]) => compareIds(a, b));
  if (wanted !== undefined) {
    const hit = candidates.find(([, a]) => a.aname === wanted) ?? candidates.find(([id]) => id === wanted);
    if (!hit) {
      const names = candidates.map(([id, a]) => `${JSON.stringify(a.aname)} (id ${id})`).join(', ') || 'none';
      fail(file, 'attribute', `no CHECKBOX attribute on regions named or numbered ${JSON.stringify(wanted)}; candidates: ${names}`);
    }
    return { id: hit[0], attr: hit[1] };
  }
  const first = candidates[0];
  return first ? { id: first[0], attr: first[1] } : null;
}

function findScoreAttribute(project: Via3Project): string | null {
  const hit = [...project.attribute]
    .filter(([, a]) => a.type === VIA3_ATTRIBUTE_TYPE.TEXT && a.aname.toLowerCase() === 'score' && isRegionAnchor(a.anchor_id))
    .sort(([a], [b]) => compareIds(a, b))[0];
  return hit ? hit[0] : null;
}

/** Class list with the background at index 0 (see the module comment). */
export function classesOf(attr: Via3Attribute): { classes: string[]; optionIds: (string | null)[]; indexOfOption: Map<string, number> } {
  const entries = [...attr.options];
  const bg = entries.findIndex(([, name]) => name.trim().toLowerCase() === 'none');
  const ordered: [string | null, string][] = bg >= 0 ? [entries[bg]!, ...entries.filter((_, i) => i !== bg)] : [[null, 'None'], ...entries];
  const indexOfOption = new Map<string, number>();
  ordered.forEach(([id], i) => {
    if (id !== null) indexOfOption.set(id, i);
  });
  return { classes: ordered.map(([, n]) => n), optionIds: ordered.map(([id]) => id), indexOfOption };
}

function parseCheckbox(raw: string, indexOfOption: Map<string, number>, file: string, where: string, action: ChosenAttribute): number[] {
  if (raw.trim() === '') return [];
  const out = new Set<number>();
  for (const part of raw.split(',')) {
    const id = part.trim();
    const idx = indexOfOption.get(id);
    if (idx === undefined) {
      const known = [...action.attr.options.keys()].map((k) => JSON.stringify(k)).join(', ');
      fail(file, where, `option id ${JSON.stringify(id)} is not an option of attribute ${JSON.stringify(action.attr.aname)} (options: ${known})`);
    }
    out.add(idx);
  }
  return [...out].sort((a, b) => a - b);
}

function describeFile(f: Via3File, file: string, key: string): Via3FrameFile {
  const name = basename(f.fname.replace(/\\/g, '/'));
  if (f.type === VIA3_FILE_TYPE.VIDEO) {
    return { fid: f.fid, fileName: f.fname, kind: 'video', videoId: name.slice(0, name.length - extname(name).length) || name, frameIndex: null };
  }
  if (f.type === VIA3_FILE_TYPE.IMAGE) {
    const m = FRAME_NAME.exec(name);
    if (!m || m[1] === '') {
      fail(file, `file[${JSON.stringify(key)}].fname`, `expected an extracted frame named <video>_<frame number>.jpg, got ${JSON.stringify(f.fname)}`);
    }
    const frameIndex = requireFrameNumber(m[2]!, file, `file[${JSON.stringify(key)}].fname`, f.fname);
    return { fid: f.fid, fileName: f.fname, kind: 'image', videoId: m[1]!, frameIndex };
  }
  // Audio and unknown types: kept so views resolve; boxes on them are counted as skipped.
  return { fid: f.fid, fileName: f.fname, kind: 'other', videoId: name, frameIndex: null };
}
