/**
 * `stad detect` without the command line: checks everything a user can get wrong before any tensor work
 * (the input, the checkpoint, the boxes file and the class lists), loads the model and the person boxes,
 * and runs the file or the live path.
 */
import { existsSync, statSync } from 'node:fs';
import sharp from 'sharp';
import type { Device } from '../torch/index.js';
import type { PersonDetector } from '../proposals/person-detector.js';
import type { ProgressCallback } from '../util/progress.js';
import { readLabelMap } from '../data/labelmap.js';
import { fail } from '../util/errors.js';
import { readBoxesFile, videoIdOfFile, type BoxesFile } from './boxes-file.js';
import { isLiveInput } from './live-input.js';
import { loadDetectModel, readDetectModel } from './model.js';
import { detectFile, videoFacts, type DetectFileResult } from './run-file.js';
import { detectLive, type DetectLiveResult } from './run-live.js';
import { loadBuiltinDetector } from './builtin-detector.js';
import type { PersonBoxes } from './person-boxes.js';
import type { DetectRunBase } from './run-options.js';

export interface DetectOptions {
  input: string;
  checkpoint: string;
  out: string;
  /** AVA proposals CSV or VIA3 proposals project; without it, `detector` or the built-in detector. */
  boxes?: string;
  /** A person detector to use instead of the built-in one (tests, other detectors). */
  detector?: PersonDetector;
  /** A label map whose classes the checkpoint must have. */
  labelMap?: string;
  predictEvery: number;
  scoreThreshold: number;
  contactSheet: boolean;
  device: Device;
  /** Live input: seconds without a frame that end the stream. */
  inputTimeout: number;
  statusEvery: number;
  onProgress?: ProgressCallback;
  onStatus?: (line: string) => void;
  /** Called with every prediction as it is made. */
  onPrediction?: DetectRunBase['onPrediction'];
  signal?: AbortSignal;
}

export type DetectResult = ({ kind: 'file' } & DetectFileResult) | ({ kind: 'live' } & DetectLiveResult);

/** Class names of a label map as a class list (background first); ids must be 1..n. */
function labelMapClasses(path: string): string[] {
  const map = readLabelMap(path);
  const ids = [...map.ids].sort((a, b) => a - b);
  ids.forEach((id, i) => {
    if (id !== i + 1) fail(path, `id ${id}`, 'stad detect needs the ids 1..N of the model\'s classes');
  });
  return ['None', ...ids.map((id) => map.names.get(id)!)];
}

export async function runDetect(o: DetectOptions): Promise<DetectResult> {
  // Every frame resized or drawn is new: libvips' operation cache (50 MB by default) can only fill up.
  sharp.cache(false);
  const live = isLiveInput(o.input);
  if (!live) {
    if (!existsSync(o.input)) fail(o.input, undefined, 'no such video file');
    if (!statSync(o.input).isFile()) fail(o.input, undefined, 'is not a file (expected a video file, a stream URL or /dev/videoN)');
  }
  // Cheap checks first: the checkpoint's header, the video's header, the boxes file.
  readDetectModel(o.checkpoint, null);
  const facts = live ? null : videoFacts(o.input);
  let boxesFile: BoxesFile | null = null;
  if (o.boxes !== undefined) {
    if (!existsSync(o.boxes)) fail(o.boxes, undefined, 'no such boxes file');
    boxesFile = facts
      ? readBoxesFile(o.boxes, { videoId: videoIdOfFile(o.input), size: facts.size, fps: facts.fps, numFrames: facts.numFrames })
      : null;
  }
  const other = o.labelMap !== undefined ? { file: o.labelMap, classes: labelMapClasses(o.labelMap) } : boxesFile && boxesFile.classes.length > 0 ? { file: boxesFile.path, classes: boxesFile.classes } : null;
  const model = readDetectModel(o.checkpoint, other);

  let ownDetector: PersonDetector | null = null;
  let people: PersonBoxes;
  if (boxesFile) people = { kind: 'file', file: boxesFile };
  else if (o.boxes !== undefined) people = { kind: 'file', file: liveBoxes(o.boxes) };
  else if (o.detector) people = { kind: 'detector', detector: o.detector };
  else {
    ownDetector = await loadBuiltinDetector(o.device);
    people = { kind: 'detector', detector: ownDetector };
  }
  const det = loadDetectModel(o.checkpoint, model, o.device);
  try {
    const common: Omit<DetectRunBase, 'videoId'> = { input: o.input, out: o.out, det, model: model.ck.model, classes: model.classes, checkpoint: o.checkpoint, people, predictEvery: o.predictEvery, scoreThreshold: o.scoreThreshold, device: o.device, onPrediction: o.onPrediction };
    if (facts) {
      const r = await detectFile({ ...common, videoId: videoIdOfFile(o.input), contactSheet: o.contactSheet, onProgress: o.onProgress }, facts);
      return { kind: 'file', ...r };
    }
    const videoId = people.kind === 'file' ? people.file.videoId : 'live';
    const r = await detectLive({ ...common, videoId, inputTimeout: o.inputTimeout, statusEvery: o.statusEvery, onStatus: o.onStatus, signal: o.signal });
    return { kind: 'live', ...r };
  } finally {
    det.dispose();
    ownDetector?.dispose();
  }
}

/**
 * A boxes file for a live stream: its keyframes count frames from the first frame received; its video
 * id names the detections. Sizes and rates are not known before the stream starts, so only files in
 * pixels with frame numbers apply (VIA3 image projects).
 */
function liveBoxes(path: string): BoxesFile {
  if (path.toLowerCase().endsWith('.csv')) fail(path, undefined, 'an AVA CSV (normalised boxes at seconds) cannot be used with a live stream: give a VIA3 image project (boxes in pixels on numbered frames)');
  const f = readBoxesFile(path, { videoId: '', size: { width: 1, height: 1 }, fps: 1, numFrames: null }, { anyVideo: true });
  if (f.timing !== 'frames') fail(path, undefined, 'a video project (boxes at seconds) cannot be used with a live stream: give a VIA3 image project (boxes on numbered frames)');
  return f;
}
