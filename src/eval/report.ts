/**
 * The evaluation report in the reference's text form and as JSON for programs.
 *
 * Text (one block per ground-truth video with `perVideo`, then the overall figures):
 *
 *     Evaluating seq5 with 556 keyframes
 *     mAP@0.5IOU= 0.8223
 *     PerformanceByCategory/AP@0.5IOU/handshake= 0.8868
 *     ...
 *     all_mAP@0.5IOU: 0.5650
 *     mAP@0.5IOU (pooled over all test videos): 0.5702
 *     PerformanceByCategory/AP@0.5IOU/handshake= 0.8731
 *     ...
 *
 * A class without ground truth prints `nan` (as numpy would) and is null in JSON.
 */
import type { FrameMapReport, MapResult } from './frame-map.js';

function fmt(v: number | null, digits: number): string {
  return v === null ? 'nan' : v.toFixed(digits);
}

function thrLabel(iou: number): string {
  return String(iou);
}

function classLines(res: MapResult, iou: string, digits: number): string[] {
  return res.classes.map((c) => `PerformanceByCategory/AP@${iou}IOU/${c.name}= ${fmt(c.ap, digits)}`);
}

export interface TextReportOptions {
  /** Print one block per video (default true). */
  perVideo?: boolean;
  /** Decimals (default 4). */
  digits?: number;
}

export function formatTextReport(report: FrameMapReport, opts: TextReportOptions = {}): string {
  const digits = opts.digits ?? 4;
  const iou = thrLabel(report.iouThreshold);
  const lines: string[] = [];
  if (opts.perVideo ?? true) {
    for (const v of report.videos) {
      lines.push(`Evaluating ${v.videoId} with ${v.keyframes} keyframes`);
      lines.push(`mAP@${iou}IOU= ${fmt(v.mAP, digits)}`);
      lines.push(...classLines(v, iou, digits));
    }
  }
  if (report.videos.length > 0) lines.push(`all_mAP@${iou}IOU: ${fmt(report.allMAP, digits)}`);
  lines.push(`mAP@${iou}IOU (pooled over all test videos): ${fmt(report.pooled.mAP, digits)}`);
  lines.push(...classLines(report.pooled, iou, digits));
  return `${lines.join('\n')}\n`;
}

export interface JsonClassMap {
  [name: string]: number | null;
}

export interface JsonVideoReport {
  video: string;
  keyframes: number;
  mAP: number | null;
  perClass: JsonClassMap;
}

export interface JsonReport {
  mAP: number | null;
  perClass: JsonClassMap;
  keyframes: number;
  iouThreshold: number;
  /** Mean of the per-video mAPs (present when per-video results were computed). */
  allMAP?: number | null;
  perVideo?: JsonVideoReport[];
}

function perClass(res: MapResult): JsonClassMap {
  // Null prototype: class names come from the label map file.
  const out = Object.create(null) as JsonClassMap;
  for (const c of res.classes) out[c.name] = c.ap;
  return out;
}

/** The JSON form: pooled figures, plus all_mAP and per-video entries when `perVideo`. */
export function jsonReport(report: FrameMapReport, perVideo: boolean): JsonReport {
  const out: JsonReport = { mAP: report.pooled.mAP, perClass: perClass(report.pooled), keyframes: report.pooled.keyframes, iouThreshold: report.iouThreshold };
  if (perVideo) {
    out.allMAP = report.allMAP;
    out.perVideo = report.videos.map((v) => ({ video: v.videoId, keyframes: v.keyframes, mAP: v.mAP, perClass: perClass(v) }));
  }
  return out;
}
