/**
 * `stad detect --boxes <file>`: person boxes for one video, read from an AVA proposals CSV
 * (`video_id,timestamp,x1,y1,x2,y2[,action_id[,score]]`, coordinates normalised, timestamps in seconds)
 * or a VIA3 proposals project (an image project per video, `<video>_<frame:05d>.jpg` frames numbered
 * from 1 as `stad synth` and the reference write them, or a video project with boxes at times `z`).
 *
 * The frames that carry boxes are the keyframes `stad detect` predicts at. Each keyframe keeps the AVA
 * timestamp that `stad convert` / `stad test` write for it (the frame number in image projects, seconds
 * otherwise), so that detect's CSV lines up with test's on the same boxes.
 */
import { basename, extname } from 'node:path';
import { readAvaDetections } from '../data/ava.js';
import { readVia3 } from '../data/via3/read.js';
import { DEFAULT_FIRST_FRAME_NUMBER } from '../data/dataset.js';
import type { Box } from '../data/transforms.js';
import type { Size } from '../data/frames.js';
import { fail } from '../util/errors.js';

export interface KeyframeBoxes {
  /** 0-based index of the frame in a sequential decode of the video. */
  frame: number;
  /** The AVA timestamp detections at this keyframe are written with. */
  timestamp: number;
  /** Person boxes in source pixels, in file order. */
  boxes: Box[];
  /** Each box's detector score (1 when the file has none). */
  scores: number[];
}

export interface BoxesFile {
  path: string;
  /** The video the file is about (its `video_id`s, or the video id of the VIA3 files). */
  videoId: string;
  /** Keyframes in frame order, each frame once. */
  keyframes: KeyframeBoxes[];
  /** How the file places boxes in time: on numbered frames (VIA3 image projects) or at seconds. */
  timing: 'frames' | 'seconds';
  /** Class names of the project's action attribute when its boxes are labelled (a ground-truth project); else []. */
  classes: string[];
}

export interface VideoFacts {
  /** The input's video id: its file name without the extension. */
  videoId: string;
  size: Size;
  fps: number;
  /** Number of frames (null for a live stream). */
  numFrames: number | null;
}

/** The id of a video file for boxes files: its name without extension (as dataset layouts name videos). */
export function videoIdOfFile(path: string): string {
  return basename(path, extname(path));
}

/** Reads `--boxes` for the video `v`; a file about another video, or past its end, is a UserError. */
export function readBoxesFile(path: string, v: VideoFacts, o: { anyVideo?: boolean } = {}): BoxesFile {
  const out = path.toLowerCase().endsWith('.csv') ? fromAvaCsv(path, v) : fromVia3(path, v);
  if (!o.anyVideo && out.videoId !== v.videoId) {
    fail(path, 'video_id', `boxes for video ${JSON.stringify(out.videoId)}, but the input is ${JSON.stringify(v.videoId)} (name the boxes file's video like the input file)`);
  }
  for (const k of out.keyframes) {
    if (k.frame < 0 || (v.numFrames !== null && k.frame >= v.numFrames)) {
      fail(path, `timestamp ${k.timestamp}`, `is frame ${k.frame}, outside the video's ${v.numFrames ?? '?'} frames (a boxes file for another video?)`);
    }
  }
  return out;
}

function group(rows: { frame: number; timestamp: number; box: Box; score: number }[]): KeyframeBoxes[] {
  const byFrame = new Map<number, KeyframeBoxes>();
  for (const r of rows) {
    let k = byFrame.get(r.frame);
    if (!k) {
      k = { frame: r.frame, timestamp: r.timestamp, boxes: [], scores: [] };
      byFrame.set(r.frame, k);
    }
    k.boxes.push(r.box);
    k.scores.push(r.score);
  }
  return [...byFrame.values()].sort((a, b) => a.frame - b.frame);
}

function fromAvaCsv(path: string, v: VideoFacts): BoxesFile {
  const rows = readAvaDetections(path);
  if (rows.length === 0) fail(path, undefined, 'no boxes');
  const ids = new Set(rows.map((r) => r.videoId));
  if (ids.size > 1) fail(path, 'video_id', `boxes for ${ids.size} videos (${[...ids].slice(0, 3).join(', ')}); give the boxes of one video`);
  const { width: W, height: H } = v.size;
  return {
    path,
    videoId: rows[0]!.videoId,
    timing: 'seconds',
    classes: [],
    keyframes: group(
      rows.map((r) => ({
        frame: Math.round(r.timestamp * v.fps),
        timestamp: r.timestamp,
        box: [r.box[0] * W, r.box[1] * H, r.box[2] * W, r.box[3] * H] as Box,
        score: Number.isFinite(r.score) ? r.score : 1,
      })),
    ),
  };
}

function fromVia3(path: string, v: VideoFacts): BoxesFile {
  const a = readVia3(path);
  if (a.boxes.length === 0) fail(path, 'metadata', 'no boxes');
  if (a.videos.length !== 1) fail(path, 'file', `refers to ${a.videos.length} videos (${a.videos.slice(0, 3).join(', ')}); give the boxes of one video`);
  // The reader takes a video project's id from its file name without the extension, an image project's from the frame names.
  const videoId = a.videos[0]!;
  return {
    path,
    videoId,
    timing: a.boxes.every((b) => b.frameIndex !== null) ? 'frames' : 'seconds',
    // Only a project whose boxes carry actions (a ground-truth project used as boxes) says which classes it means.
    classes: a.boxes.some((b) => b.labels.some((l) => l > 0)) ? a.classes : [],
    keyframes: group(
      a.boxes.map((b) =>
        b.frameIndex !== null
          ? { frame: b.frameIndex - DEFAULT_FIRST_FRAME_NUMBER, timestamp: b.frameIndex, box: [...b.box] as Box, score: b.score ?? 1 }
          : { frame: Math.round((b.time ?? 0) * v.fps), timestamp: b.time ?? 0, box: [...b.box] as Box, score: b.score ?? 1 },
      ),
    ),
  };
}
