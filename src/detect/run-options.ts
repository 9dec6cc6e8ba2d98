/**
 * What the file path (run-file.ts) and the live path (run-live.ts) of `stad detect` both take: the
 * input, the loaded model and its classes, where the person boxes come from, and how predictions are
 * made and reported. Each path adds its own fields.
 */
import type { ActionDetector } from '../models/detector.js';
import type { ModelConfig } from '../models/presets.js';
import type { Device } from '../torch/index.js';
import type { PersonBoxes } from './person-boxes.js';
import type { Prediction } from './outputs.js';

export interface DetectRunBase {
  input: string;
  /** The video id the detections are written with. */
  videoId: string;
  out: string;
  det: ActionDetector;
  model: ModelConfig;
  /** Class names, index = class id, 0 = background. */
  classes: readonly string[];
  /** The checkpoint's path (recorded in detections.json). */
  checkpoint: string;
  people: PersonBoxes;
  predictEvery: number;
  scoreThreshold: number;
  /** Where the model runs; frames are decoded and resized on the CPU. */
  device: Device;
  /** Called with every prediction as it is made (after it is written, for a live stream). */
  onPrediction?: (p: Prediction) => void;
}
