/**
 * From a dataset's annotations to the loader's samples: one ClipSample per keyframe, with its
 * ground-truth boxes and labels (background 0 removed: a box labelled only None is a person doing none
 * of the actions) and the person detector's proposals.
 */
import { join } from 'node:path';
import { keyframesOf, type Dataset, type DatasetVideo } from './dataset.js';
import type { ClipSample } from './loader.js';
import type { FrameSourceSpec } from './clip-job.js';
import type { Box } from './transforms.js';
import { UserError } from '../util/errors.js';

function sourceOf(v: DatasetVideo): { spec: FrameSourceSpec; frameOffset: number } {
  switch (v.frames.kind) {
    case 'frames':
      // Image folders are numbered by their file names, as the annotations number keyframes.
      return { spec: { kind: 'images', dir: v.frames.dir }, frameOffset: 0 };
    case 'video':
      // Video frames are numbered from 0; the annotations number them from firstFrameNumber.
      return { spec: { kind: 'video', file: v.frames.file }, frameOffset: -v.firstFrameNumber };
    case 'none':
      throw new UserError(`${v.annotations}: no frames or video found for video '${v.name}' (looked for images/, frames/ and videos/ beside annotations/)`);
  }
}

export function samplesOfVideo(v: DatasetVideo): ClipSample[] {
  const { spec, frameOffset } = sourceOf(v);
  return keyframesOf(v).map((k) => ({
    video: v.name,
    source: spec,
    keyframe: k.frameNumber + frameOffset,
    time: k.time,
    boxes: k.gt.map((b) => [...b.box] as Box),
    labels: k.gt.map((b) => b.labels.filter((c) => c !== 0)),
    proposals: k.proposals.map((p) => ({ box: [...p.box] as Box, score: p.score ?? 1 })),
  }));
}

/** The videos of a split; a UserError naming the dataset's splits when it has no such split. */
export function videosOfSplit(ds: Dataset, split: string): DatasetVideo[] {
  const videos = Object.hasOwn(ds.splits, split) ? ds.splits[split] : undefined;
  if (!videos) throw new UserError(`${join(ds.root, 'annotations')}: the dataset has no split '${split}' (it has ${Object.keys(ds.splits).join(', ')})`);
  return videos;
}

/** Every keyframe of a split, in video then time order. */
export function samplesOfSplit(ds: Dataset, split: string): ClipSample[] {
  return videosOfSplit(ds, split).flatMap(samplesOfVideo);
}
