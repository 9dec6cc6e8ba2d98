/**
 * `stad proposals`: person boxes for every N-th frame of a video file or a folder of frames, from a
 * PersonDetector (the built-in NanoDet by default), written as a VIA3 proposals project and/or an AVA
 * proposals CSV (outputs.ts). Frames are decoded and detected a few at a time, so memory does not grow
 * with the video's length; the files are written all at once at the end (nothing on an error).
 */
import { existsSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { ImageFolderSource, VideoFileSource, type FrameSource } from '../data/frames.js';
import { UserError } from '../util/errors.js';
import { writeOutputFiles } from '../util/fs.js';
import { requireSafeName } from '../util/names.js';
import type { ProgressCallback } from '../util/progress.js';
import { avaProposalCsv, via3ProposalProject, type FrameProposals } from './outputs.js';
import type { PersonDetector } from './person-detector.js';

export type ProposalFormat = 'via3' | 'ava';

export interface ProposalsOptions {
  /** A video file, or a folder of numbered frames (`<video>_<frame:05d>.jpg`). */
  input: string;
  out: string;
  detector: PersonDetector;
  /** Every N-th frame, starting with the first (default 1: every frame). */
  every?: number;
  formats?: ReadonlySet<ProposalFormat>;
  /** The video id (default: the file name without extension, or the folder's name). */
  video?: string;
  onProgress?: ProgressCallback;
  /** The input already opened with openFrameSource (a video is indexed once, not twice). */
  opened?: OpenedSource;
}

export interface OpenedSource {
  readonly source: FrameSource;
  readonly video: string;
  readonly isVideo: boolean;
}

export interface ProposalsSummary {
  video: string;
  frames: number;
  boxes: number;
  files: string[];
}

/** Frames decoded and detected per step: enough to amortise a seek in a video, few enough to stay small. */
const CHUNK = 8;

export function openFrameSource(input: string, video?: string): OpenedSource {
  if (!existsSync(input)) throw new UserError(`${input}: no such video file or frame folder`);
  const isDir = statSync(input).isDirectory();
  const name = video ?? (isDir ? basename(input) : basename(input).replace(/\.[^.]+$/, ''));
  requireSafeName(name, input, undefined, 'video id');
  return isDir ? { source: ImageFolderSource.fromFolder(input, name), video: name, isVideo: false } : { source: new VideoFileSource(input, name), video: name, isVideo: true };
}

export async function runProposals(o: ProposalsOptions): Promise<ProposalsSummary> {
  const every = o.every ?? 1;
  if (!Number.isInteger(every) || every < 1) throw new UserError(`--every: expected a positive integer, got ${every}`);
  const formats = o.formats ?? new Set<ProposalFormat>(['via3', 'ava']);
  if (formats.size === 0) throw new UserError('--format: expected via3, ava or both');
  const { source, video, isVideo } = o.opened ?? openFrameSource(o.input, o.video);
  const { first, last } = await source.frameRange();
  const size = await source.size();
  const indices: number[] = [];
  for (let i = first; i <= last; i += every) indices.push(i);

  const results: FrameProposals[] = [];
  let boxes = 0;
  o.onProgress?.({ done: 0, total: indices.length });
  for (let c = 0; c < indices.length; c += CHUNK) {
    const chunk = indices.slice(c, c + CHUNK);
    const frames = await source.read(chunk);
    const found = await o.detector.detect(frames);
    chunk.forEach((index, k) => {
      // Video frames are numbered from 1 in file names, as `stad synth` and the reference extract them.
      const frame = isVideo ? index + 1 : index;
      const fname = isVideo ? `${video}_${String(frame).padStart(5, '0')}.jpg` : basename((source as ImageFolderSource).fileOf(index));
      const b = found[k] ?? [];
      boxes += b.length;
      results.push({ frame, fname, boxes: b });
    });
    o.onProgress?.({ done: Math.min(indices.length, c + CHUNK), total: indices.length, info: `${boxes} boxes` });
  }

  const files = new Map<string, string>();
  if (formats.has('via3')) files.set(`${video}_proposal.json`, via3ProposalProject(video, results, size));
  if (formats.has('ava')) files.set(`${video}_proposals.csv`, avaProposalCsv(video, results));
  const written = writeOutputFiles(o.out, files);
  return { video, frames: results.length, boxes, files: written };
}
