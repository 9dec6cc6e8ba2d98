/**
 * The comparison in the reference's text form (`stad eval`'s, src/eval/report.ts), one column per
 * recipe and reference: each test video's block (`Evaluating seq5 with N keyframes`, `mAP@0.5IOU=`,
 * `PerformanceByCategory/AP@0.5IOU/<class>=`), then `all_mAP@0.5IOU:` and the pooled figures. With
 * several seeds a cell is the mean over the seeds (`stad compare`'s table has the spread and intervals).
 */
import type { FrameMapReport, MapResult } from '../eval/index.js';

export interface Column {
  name: string;
  /** One report per seed (the same videos and classes in each). */
  reports: readonly FrameMapReport[];
}

function mean(values: readonly (number | null)[]): number | null {
  const v = values.filter((x): x is number => x !== null && Number.isFinite(x));
  return v.length === 0 ? null : v.reduce((a, b) => a + b, 0) / v.length;
}

const cell = (v: number | null): string => (v === null ? 'nan' : v.toFixed(4));

export function formatSideBySide(columns: readonly Column[]): string {
  const first = columns[0]?.reports[0];
  if (!first) return '';
  const iou = String(first.iouThreshold);
  const rows: [string, string[]][] = [];
  const header = (text: string): void => void rows.push([text, []]);
  const row = (label: string, pick: (r: FrameMapReport) => number | null): void => void rows.push([label, columns.map((c) => cell(mean(c.reports.map(pick))))]);
  const classRows = (of: (r: FrameMapReport) => MapResult | undefined, classes: readonly string[]): void => {
    classes.forEach((name, k) => row(`PerformanceByCategory/AP@${iou}IOU/${name}=`, (r) => of(r)?.classes[k]?.ap ?? null));
  };
  const classes = first.pooled.classes.map((c) => c.name);
  for (const v of first.videos) {
    header(`Evaluating ${v.videoId} with ${v.keyframes} keyframes`);
    const of = (r: FrameMapReport): MapResult | undefined => r.videos.find((x) => x.videoId === v.videoId);
    row(`mAP@${iou}IOU=`, (r) => of(r)?.mAP ?? null);
    classRows(of, classes);
  }
  row(`all_mAP@${iou}IOU:`, (r) => r.allMAP);
  row(`mAP@${iou}IOU (pooled over all test videos):`, (r) => r.pooled.mAP);
  classRows((r) => r.pooled, classes);

  const labelWidth = Math.max(...rows.filter(([, c]) => c.length > 0).map(([l]) => l.length));
  const widths = columns.map((c, i) => Math.max(c.name.length, ...rows.map(([, cells]) => cells[i]?.length ?? 0)));
  const line = (label: string, cells: readonly string[]): string => [label.padEnd(labelWidth), ...cells.map((x, i) => x.padStart(widths[i]!))].join('  ').trimEnd();
  const out = [line('', columns.map((c) => c.name))];
  for (const [label, cells] of rows) out.push(cells.length === 0 ? label : line(label, cells));
  return `${out.join('\n')}\n`;
}
