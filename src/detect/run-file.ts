/**
 * `stad detect` on a video file: one sequential decode; at every prediction point, once the frames of
 * the clip centred there have been decoded, the person boxes are classified; every frame is drawn with
 * the boxes of the latest prediction at or before it and piped to the MP4 encoder. Memory holds one
 * clip span of model-size frames and the full-size frames not yet drawn (at most a clip's half-span plus
 * the gap between two points). Everything is written into a temporary folder moved into place at the end.
 */
import { writeFileSync } from 'node:fs';
import { probeVideo, type RGBFrame, type Size } from '../data/frames.js';
import { sampleClipFrames } from '../data/clip.js';
import { planTest } from '../data/transforms.js';
import type { ProgressCallback } from '../util/progress.js';
import { UserError } from '../util/errors.js';
import { classifyClip } from './classify.js';
import { decodeVideo } from './video-decode.js';
import { blendOverlay, EMPTY_OVERLAY, overlaySvg, renderOverlay, type Overlay } from './draw.js';
import { Mp4Encoder } from './encoder.js';
import { contactSheet, sheetPicks, thumbnail, type Thumbnail } from './contact-sheet.js';
import { CSV_FILE, JSON_FILE, SHEET_FILE, VIDEO_FILE, detectionsCsv, detectionsJson, type Prediction } from './outputs.js';
import { PredictionPoints } from './person-boxes.js';
import { StagedDir } from './staged-dir.js';
import type { DetectRunBase } from './run-options.js';

export interface DetectFileOptions extends DetectRunBase {
  contactSheet: boolean;
  onProgress?: ProgressCallback;
}

export interface DetectFileResult {
  outDir: string;
  frames: number;
  predictions: number;
  boxes: number;
  files: string[];
}

/**
 * Size, rate and frame count of a video file; a file ffmpeg cannot read is a UserError. The count is the
 * packet count (null when ffprobe could not count): exact for an intact file, an estimate for a damaged one.
 */
export function videoFacts(file: string): { size: Size; fps: number; numFrames: number | null } {
  const info = probeVideo(file);
  if (!(info.width > 0 && info.height > 0)) throw new UserError(`${file}: no decodable video stream`);
  return { size: { width: info.width, height: info.height }, fps: info.fps > 0 ? info.fps : 25, numFrames: info.numFrames };
}

export async function detectFile(o: DetectFileOptions, facts: { size: Size; fps: number; numFrames: number | null }): Promise<DetectFileResult> {
  const { size, fps } = facts;
  const spec = { clipLen: o.model.input.frames, frameInterval: o.model.input.frameInterval };
  const half = Math.floor(spec.clipLen / 2) * spec.frameInterval; // frames before the point
  const after = (spec.clipLen - 1) * spec.frameInterval - half; // frames after it
  const plan = planTest(size, o.model.input.size);
  const points = new PredictionPoints(o.people, o.predictEvery, facts.numFrames);
  const picks = o.contactSheet ? sheetPicks(points.count ?? 0) : new Set<number>();

  const stage = new StagedDir(o.out);
  const encoder = new Mp4Encoder(stage.path(VIDEO_FILE), size, fps);
  const predictions: Prediction[] = [];
  const thumbs: Thumbnail[] = [];
  const modelFrames = new Map<number, RGBFrame>();
  const fullQueue: { index: number; frame: RGBFrame }[] = [];
  // Processed points whose frames have not all been drawn yet, oldest first.
  const overlays: { frame: number; overlay: Overlay; pick: boolean }[] = [];
  let active: Overlay = EMPTY_OVERLAY;
  let activePick = -1;
  let next = 0; // the next point to process
  let last = -1; // the newest decoded frame

  const predict = async (frame: number): Promise<void> => {
    const clip = sampleClipFrames(frame, spec, { first: 0, last }).map((i) => modelFrames.get(i)!);
    const full = fullQueue.find((f) => f.index === frame)?.frame ?? null;
    const pb = await points.boxesAt(frame, full, size, fps);
    const boxes = classifyClip(o.det, clip, size, plan, pb.boxes, pb.scores, o.device);
    const pred: Prediction = { frame, time: frame / fps, timestamp: pb.timestamp, boxes };
    predictions.push(pred);
    o.onPrediction?.(pred);
    const overlay = boxes.length > 0 ? await renderOverlay(overlaySvg(boxes, size, o.classes, o.scoreThreshold), size) : EMPTY_OVERLAY;
    overlays.push({ frame, overlay, pick: picks.has(next) });
  };

  const processDue = async (atEnd: boolean): Promise<void> => {
    for (let f = points.at(next); f !== null && (f + after <= last || (atEnd && f <= last)); f = points.at(next)) {
      await predict(f);
      next++;
    }
  };

  /** Draws and encodes the frames whose prediction is settled (before the next unprocessed point). */
  const flush = async (): Promise<void> => {
    const limit = points.at(next) ?? Number.POSITIVE_INFINITY;
    while (fullQueue.length > 0 && fullQueue[0]!.index < limit) {
      const { index, frame } = fullQueue.shift()!;
      while (overlays.length > 0 && overlays[0]!.frame <= index) {
        const o2 = overlays.shift()!;
        active = o2.overlay;
        activePick = o2.pick ? o2.frame : -1;
      }
      blendOverlay(frame, active);
      await encoder.write(frame);
      if (index === activePick) {
        thumbs.push(await thumbnail(frame, `frame ${index}  ${(index / fps).toFixed(1)} s`));
        activePick = -1;
      }
    }
  };

  // Ctrl-C leaves nothing behind: the loop stops at the next frame and the temporary folder goes.
  let interrupted = false;
  const onSignal = (): void => {
    interrupted = true;
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    for await (const f of decodeVideo(o.input, size, plan.resize, true)) {
      if (interrupted) throw new UserError(`${o.input}: interrupted; nothing written to ${stage.target}`);
      last = f.index;
      modelFrames.set(f.index, f.model);
      fullQueue.push({ index: f.index, frame: f.full! });
      await processDue(false);
      // Model frames older than the next point's clip are no longer needed.
      const keepFrom = (points.at(next) ?? last + 1) - half;
      for (const k of modelFrames.keys()) if (k < keepFrom) modelFrames.delete(k);
      await flush();
      o.onProgress?.({ done: f.index + 1, total: Math.max(facts.numFrames ?? 0, f.index + 1), info: `${predictions.length} predictions` });
    }
    await processDue(true);
    const missing = points.at(next);
    // Points past the last decoded frame: an error for a boxes file's keyframes; for the built-in detector
    // they come from the packet count, which a damaged file's decode can fall short of (not an error).
    if (missing !== null && o.people.kind === 'file') throw new UserError(`${o.people.kind === 'file' ? o.people.file.path : o.input}: boxes at frame ${missing}, past the video's last frame ${last} (a boxes file for another video?)`);
    await flush();
    await encoder.close();
    const info = { input: o.input, videoId: o.videoId, checkpoint: o.checkpoint, boxes: o.people.kind === 'file' ? o.people.file.path : o.people.detector.name, classes: o.classes, scoreThreshold: o.scoreThreshold, width: size.width, height: size.height, fps, frames: last + 1 };
    writeFileSync(stage.path(CSV_FILE), detectionsCsv(o.videoId, predictions));
    writeFileSync(stage.path(JSON_FILE), detectionsJson(info, predictions));
    const files = [CSV_FILE, JSON_FILE, VIDEO_FILE];
    if (o.contactSheet) {
      writeFileSync(stage.path(SHEET_FILE), await contactSheet(thumbs, `${o.videoId}: ${predictions.length} predictions, labels at score >= ${o.scoreThreshold}`));
      files.push(SHEET_FILE);
    }
    stage.commit();
    return { outDir: stage.target, frames: last + 1, predictions: predictions.length, boxes: predictions.reduce((n, p) => n + p.boxes.length, 0), files };
  } catch (e) {
    encoder.abort();
    stage.abort();
    throw e;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
