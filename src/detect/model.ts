/**
 * The action model of `stad detect`: built from a checkpoint's own metadata (src/train/checkpoint-model.ts),
 * with the class names it was trained on, checked against whatever else names classes (a label map, or
 * the action attribute of a VIA3 project given as boxes) before any tensor work.
 */
import { readCheckpointModel, type CheckpointModel } from '../train/checkpoint-model.js';
import { buildDetector } from '../models/presets.js';
import { loadCheckpoint } from '../nn/checkpoint.js';
import type { ActionDetector } from '../models/detector.js';
import type { Device } from '../torch/index.js';
import { fail } from '../util/errors.js';

export interface DetectModel {
  ck: CheckpointModel;
  /** Class names, index = class id, 0 = background; from the checkpoint, else `class1`, `class2`, ... */
  classes: string[];
}

/** The checkpoint's model config and class names, checked against `otherClasses` from `otherFile`. */
export function readDetectModel(checkpoint: string, other: { file: string; classes: readonly string[] } | null): DetectModel {
  const ck = readCheckpointModel(checkpoint);
  const n = ck.model.head.numClasses;
  let classes: string[];
  if (ck.classes) {
    classes = ck.classes.length === n ? [...ck.classes] : ck.classes.length === n - 1 ? ['None', ...ck.classes] : [];
    if (classes.length === 0) fail(checkpoint, ck.classesKey ?? 'classes', `${ck.classes.length} class names for a model with ${n} outputs`);
  } else {
    classes = ['None', ...Array.from({ length: n - 1 }, (_, i) => `class${i + 1}`)];
  }
  if (other && other.classes.length > 0) {
    const same = (a: readonly string[]) => a.length === other.classes.length && a.every((c, i) => c === other.classes[i]);
    if (ck.classes === null) {
      if (other.classes.length !== n) fail(checkpoint, `${ck.modelKey}.head.numClasses`, `the model has ${n} classes (with the background) but ${other.file} has ${other.classes.length} (${other.classes.join(', ')})`);
      classes = [...other.classes];
    } else if (!same(classes) && !same(classes.slice(1))) {
      fail(checkpoint, ck.classesKey ?? 'classes', `the checkpoint's classes [${classes.join(', ')}] differ from [${other.classes.join(', ')}] in ${other.file}`);
    }
  }
  return { ck, classes };
}

/** Builds the detector and loads its weights, in eval mode on `device`. The caller disposes it. */
export function loadDetectModel(checkpoint: string, m: DetectModel, device: Device): ActionDetector {
  const det = buildDetector(m.ck.model);
  try {
    loadCheckpoint(checkpoint, det);
    if (device !== 'cpu') det.to(device);
    det.eval();
    return det;
  } catch (e) {
    det.dispose();
    throw e;
  }
}
