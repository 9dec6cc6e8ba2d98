/**
 * One clip's decoding work, the unit the loader hands to worker threads: decode the clip's frames at
 * the planned size and render them into the network's layout, straight into the batch's (shared)
 * buffer. Plain data in, so it runs the same in a worker or in the main thread.
 */
import { ImageFolderSource, VideoFileSource, type FrameSource } from './frames.js';
import { renderClipInto, type ClipDestination, type GeometryPlan, type Normalization } from './transforms.js';

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
    // the loader decodes thousands of frames: torchvision's decoders where they load (frames.ts)
    s = spec.kind === 'images' ? ImageFolderSource.fromFolder(spec.dir, video, 'torch') : new VideoFileSource(spec.file, video);
    sources.set(key, s);
  }
  return s;
}

/** Decodes and renders one clip into `dst`: [3, T, H, W] float32 (padded planes: see ClipDestination). */
export async function runClipJob(job: ClipJob, dst: ClipDestination): Promise<void> {
  const src = openSource(job.video, job.source);
  const frames = await src.read(job.frames, job.plan.resize);
  renderClipInto(frames, job.plan, job.norm, dst);
}
