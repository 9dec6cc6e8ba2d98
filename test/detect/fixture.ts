/**
 * A generated video with annotations for `stad detect` tests: ffmpeg's moving test pattern (64x48,
 * 5 fps, 40 frames, H.264 with B-frames) in the dataset layout (`videos/test/clipA.mp4`), an image-style
 * ground-truth project and a proposals project on five keyframes (the last one at the final frame, so
 * that a clip runs past the end), and a random-init tiny checkpoint of its classes.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { serializeVia3Project, type Via3BoxToWrite } from '../../src/data/via3/write.js';
import { buildDetector } from '../../src/models/presets.js';
import { saveCheckpoint } from '../../src/nn/checkpoint.js';
import { tinyModelConfig } from '../train/tiny-model.js';

export const CLASSES = ['None', 'walk', 'wave'];
export const FRAMES = 40;
export const KEYFRAMES = [3, 11, 19, 27, 40]; // frame numbers (from 1), as image projects number them

export interface DetectFixture {
  data: string;
  video: string;
  proposals: string;
  gt: string;
  checkpoint: string;
}

export function hasFfmpeg(): boolean {
  return spawnSync('ffmpeg', ['-version']).status === 0;
}

export function makeDetectFixture(dir: string): DetectFixture {
  const data = join(dir, 'data');
  mkdirSync(join(data, 'videos', 'test'), { recursive: true });
  mkdirSync(join(data, 'annotations', 'test'), { recursive: true });
  const video = join(data, 'videos', 'test', 'clipA.mp4');
  const r = spawnSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', `testsrc2=size=64x48:rate=5`, '-frames:v', String(FRAMES), '-c:v', 'libx264', '-bf', '2', '-pix_fmt', 'yuv420p', video]);
  if (r.status !== 0) throw new Error(`ffmpeg: ${r.stderr.toString()}`);
  const gtBoxes: Via3BoxToWrite[] = [];
  const propBoxes: Via3BoxToWrite[] = [];
  KEYFRAMES.forEach((k, i) => {
    gtBoxes.push({ frameIndex: k, box: [4 + i, 6, 30 + i, 44], labels: [1 + (i % 2)] });
    gtBoxes.push({ frameIndex: k, box: [34, 4, 60 - i, 40], labels: [2] });
    propBoxes.push({ frameIndex: k, box: [5 + i, 7, 31 + i, 45], labels: [0], score: 0.9 });
    propBoxes.push({ frameIndex: k, box: [33.5, 4.25, 59 - i, 41], labels: [0], score: 0.7 });
    if (i === 2) propBoxes.push({ frameIndex: k, box: [0, 0, 64, 48], labels: [0], score: 0.4 });
  });
  const gt = join(data, 'annotations', 'test', 'clipA.json');
  const proposals = join(data, 'annotations', 'test', 'clipA_proposal.json');
  writeFileSync(gt, serializeVia3Project(gtBoxes, { style: 'image', videoId: 'clipA', classes: CLASSES, attributeName: 'action' }));
  writeFileSync(proposals, serializeVia3Project(propBoxes, { style: 'image', videoId: 'clipA', classes: CLASSES, attributeName: 'action' }));
  const model = tinyModelConfig(CLASSES.length);
  model.input = { frames: 4, frameInterval: 2, size: 32 };
  const det = buildDetector(model);
  const checkpoint = join(dir, 'run', 'best.safetensors');
  try {
    saveCheckpoint(checkpoint, det, { config: { model, classes: CLASSES } });
  } finally {
    det.dispose();
  }
  return { data, video, proposals, gt, checkpoint };
}
