/**
 * AVA frame mAP: the public entry points.
 *
 * In memory (no files):
 *   evaluateFrameMAP(boxTableFromRows(gtRows), boxTableFromRows(detRows), labelMap, options)
 * From files (AVA CSVs and a .pbtxt label map):
 *   evaluateFiles({ groundTruth, detections, labelMap, excluded }, options)
 */
import { readLabelMap, type LabelMap } from '../data/labelmap.js';
import type { ProgressCallback } from '../util/progress.js';
import { readAvaBoxCsv, readExcludedTimestamps } from '../data/ava.js';
import { evaluateFrameMAP, type FrameMapOptions, type FrameMapReport } from './frame-map.js';

export { evaluateFrameMAP, matchDetections } from './frame-map.js';
export type { ClassResult, FrameMatches, FrameMapOptions, FrameMapReport, MapResult, VideoResult } from './frame-map.js';
export { boxTableFromRows } from './rows.js';
export type { AvaBox, DetectionBox, GroundTruthBox } from './rows.js';
export { readAvaBoxCsv, readExcludedTimestamps } from '../data/ava.js';
export type { AvaBoxTable, FrameRef } from '../data/ava.js';
export { formatTextReport, jsonReport } from './report.js';
export type { JsonReport, JsonVideoReport } from './report.js';

export interface EvalFiles {
  groundTruth: string;
  detections: string;
  /** A label-map path or an already loaded map. */
  labelMap: string | LabelMap;
  /** Excluded-timestamps CSV. */
  excluded?: string;
}

/** Reads the files (streaming) and evaluates. Progress covers reading then evaluating. */
export function evaluateFiles(files: EvalFiles, options: Omit<FrameMapOptions, 'excluded'> & { onProgress?: ProgressCallback } = {}): FrameMapReport {
  const labelMap = typeof files.labelMap === 'string' ? readLabelMap(files.labelMap) : files.labelMap;
  const excluded = files.excluded ? readExcludedTimestamps(files.excluded) : [];
  const { onProgress, ...rest } = options;
  const gt = readAvaBoxCsv(files.groundTruth, 'ground truth', { onProgress: onProgress && ((e) => onProgress({ ...e, info: 'reading ground truth' })) });
  const det = readAvaBoxCsv(files.detections, 'detections', { onProgress: onProgress && ((e) => onProgress({ ...e, info: 'reading detections' })) });
  return evaluateFrameMAP(gt, det, labelMap, { ...rest, excluded });
}
