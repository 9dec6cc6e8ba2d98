/**
 * One clip's decoding work, the unit the loader hands to worker threads: decode the clip's frames at
 * the planned size and render them into the network's layout. Plain data in, plain data out, so it runs
 * the same in a worker or in the main thread.
 */
import { ImageFolderSource, VideoFileSource, type FrameSource } from './frames.js';
import { renderClip, type GeometryPlan, type Normalization } from './transforms.js';

export type FrameSourceSpec = { kind: 'images'; dir: string } | { kind: 'video'; file: string };

export interface ClipJob {
  video: string;
  source: FrameSourceSpec;
  frames: number[];
  plan: GeometryPlan;
  norm: Normalization;
}

/** Frame sources are reused across jobs (a video file is probed once per thread). */
const sources = new Map<string, FrameSource>();

export function openSource(video: string, spec: FrameSourceSpec): FrameSource {
  const key = `${spec.kind}:${spec.kind === 'images' ? spec.dir : spec.file}`;
  let s = sources.get(key);
  if (!s) {
    s = spec.kind === 'images' ? ImageFolderSource.fromFolder(spec.dir, video) : new VideoFileSource(spec.file, video);
    sources.set(key, s);
  }
  return s;
}

/** Decodes and renders one clip: [3, T, H, W] float32. */
export async function runClipJob(job: ClipJob): Promise<Float32Array> {
  const src = openSource(job.video, job.source);
  const frames = await src.read(job.frames, job.plan.resize);
  return renderClip(frames, job.plan, job.norm);
}
