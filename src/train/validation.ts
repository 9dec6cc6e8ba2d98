/**
 * Validation as the trainer sees it: `evaluateDetector` (src/train/evaluate.ts, written beside this
 * module) runs the detector over a split and scores it with the AVA frame mAP. The trainer depends on
 * this interface only, so a test can pass its own validator and the loop runs without evaluate.ts.
 */
import type { ActionDetector } from '../models/index.js';
import type { Dataset } from '../data/dataset.js';
import type { DetectionBox, FrameMapReport } from '../eval/index.js';
import type { EvaluateOptions } from './evaluate.js';

/** The same options as evaluateDetector takes. */
export type ValidationOptions = EvaluateOptions;

export interface ValidationResult {
  report: FrameMapReport;
  detections: DetectionBox[];
}

export type Validator = (det: ActionDetector, dataset: Dataset, split: string, o: ValidationOptions) => Promise<ValidationResult>;

/** src/train/evaluate.ts's `evaluateDetector`, the validator of every run. */
export async function defaultValidator(): Promise<Validator | null> {
  const { evaluateDetector } = await import('./evaluate.js');
  return evaluateDetector;
}
