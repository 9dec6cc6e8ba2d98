/**
 * AVA CSV files, the interchange format of spatio-temporal action detection (no header, one box and one
 * action per row, coordinates normalised to [0, 1]):
 *
 * - ground truth: `video_id,timestamp,x1,y1,x2,y2,action_id,person_id` (person_id may be missing);
 * - detections and proposals: `video_id,timestamp,x1,y1,x2,y2,action_id,score`; proposals from a person
 *   detector have an empty action_id (as PySlowFast's predicted-box files);
 * - excluded timestamps: `video_id,timestamp`.
 *
 * A box with several actions is several rows with the same box (and person id). `timestamp` is an integer
 * in AVA proper (seconds); stad also reads and writes decimals, used for video projects whose keyframes
 * are not on whole seconds (the official evaluator truncates them to integers). An empty action_id in
 * ground truth marks a box without any label (written by `stad convert` so no box is lost).
 *
 * Bad rows are UserErrors naming `file:line` and the column.
 */
import { readFileSync } from 'node:fs';
import { UserError } from '../util/errors.js';

export type NormalizedBox = [number, number, number, number];

export interface AvaGroundTruthRow {
  videoId: string;
  timestamp: number;
  /** [x1, y1, x2, y2] in [0, 1]. */
  box: NormalizedBox;
  /** Action id (label map id); null when the column is empty. */
  actionId: number | null;
  /** Person (track) id; null when absent. */
  personId: number | null;
}

export interface AvaDetectionRow {
  videoId: string;
  timestamp: number;
  box: NormalizedBox;
  /** Action id; null for a class-agnostic proposal. */
  actionId: number | null;
  score: number;
}

export interface AvaExcludedTimestamp {
  videoId: string;
  timestamp: number;
}

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new UserError(`${path}: cannot read AVA CSV: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

/** Yields [lineNumber (1-based), fields] for every non-blank line. */
function* csvRows(text: string): Generator<[number, string[]]> {
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === '') continue;
    yield [i + 1, line.split(',').map((f) => f.trim())];
  }
}

class RowReader {
  constructor(
    private readonly file: string,
    private readonly line: number,
    private readonly fields: string[],
    private readonly layout: string,
  ) {}

  fail(message: string): never {
    throw new UserError(`${this.file}:${this.line}: ${message}`);
  }

  columns(min: number, max: number): void {
    const n = this.fields.length;
    if (n < min || n > max) this.fail(`expected ${min === max ? min : `${min} or ${max}`} columns (${this.layout}), got ${n}`);
  }

  videoId(): string {
    const v = this.fields[0]!;
    if (v === '') this.fail('video_id (column 1) is empty');
    return v;
  }

  number(col: number, name: string): number {
    const raw = this.fields[col - 1] ?? '';
    const v = raw === '' ? Number.NaN : Number(raw);
    if (!Number.isFinite(v)) this.fail(`${name} (column ${col}): expected a number, got ${JSON.stringify(raw)}`);
    return v;
  }

  timestamp(): number {
    const t = this.number(2, 'timestamp');
    if (t < 0) this.fail(`timestamp (column 2): expected >= 0, got ${t}`);
    return t;
  }

  box(): NormalizedBox {
    const names = ['x1', 'y1', 'x2', 'y2'];
    const b = [3, 4, 5, 6].map((c, i) => {
      const v = this.number(c, names[i]!);
      if (v < 0 || v > 1) this.fail(`${names[i]} (column ${c}): expected a coordinate normalised to [0, 1], got ${v}`);
      return v;
    }) as NormalizedBox;
    if (b[2] < b[0]) this.fail(`x2 (column 5) ${b[2]} is left of x1 ${b[0]}`);
    if (b[3] < b[1]) this.fail(`y2 (column 6) ${b[3]} is above y1 ${b[1]}`);
    return b;
  }

  optionalInt(col: number, name: string): number | null {
    const raw = this.fields[col - 1];
    if (raw === undefined || raw === '') return null;
    const v = Number(raw);
    if (!Number.isInteger(v) || v < 0) this.fail(`${name} (column ${col}): expected an integer >= 0, got ${JSON.stringify(raw)}`);
    return v;
  }
}

const GT_LAYOUT = 'video_id,timestamp,x1,y1,x2,y2,action_id,person_id';
const DET_LAYOUT = 'video_id,timestamp,x1,y1,x2,y2,action_id,score';

export function parseAvaGroundTruth(text: string, file: string): AvaGroundTruthRow[] {
  const rows: AvaGroundTruthRow[] = [];
  for (const [line, fields] of csvRows(text)) {
    const r = new RowReader(file, line, fields, GT_LAYOUT);
    r.columns(7, 8);
    rows.push({ videoId: r.videoId(), timestamp: r.timestamp(), box: r.box(), actionId: r.optionalInt(7, 'action_id'), personId: r.optionalInt(8, 'person_id') });
  }
  return rows;
}

export function parseAvaDetections(text: string, file: string): AvaDetectionRow[] {
  const rows: AvaDetectionRow[] = [];
  for (const [line, fields] of csvRows(text)) {
    const r = new RowReader(file, line, fields, DET_LAYOUT);
    r.columns(8, 8);
    rows.push({ videoId: r.videoId(), timestamp: r.timestamp(), box: r.box(), actionId: r.optionalInt(7, 'action_id'), score: r.number(8, 'score') });
  }
  return rows;
}

export function parseAvaExcluded(text: string, file: string): AvaExcludedTimestamp[] {
  const rows: AvaExcludedTimestamp[] = [];
  for (const [line, fields] of csvRows(text)) {
    const r = new RowReader(file, line, fields, 'video_id,timestamp');
    r.columns(2, 2);
    rows.push({ videoId: r.videoId(), timestamp: r.timestamp() });
  }
  return rows;
}

export const readAvaGroundTruth = (path: string): AvaGroundTruthRow[] => parseAvaGroundTruth(readText(path), path);
export const readAvaDetections = (path: string): AvaDetectionRow[] => parseAvaDetections(readText(path), path);
export const readAvaExcluded = (path: string): AvaExcludedTimestamp[] => parseAvaExcluded(readText(path), path);

/**
 * Numbers as the shortest text that reads back to the same double, so a write/read cycle is exact.
 * (Official AVA files use 3 decimals; readers accept any.)
 */
function num(v: number): string {
  if (!Number.isFinite(v)) throw new Error(`cannot write non-finite number ${v} to an AVA CSV`);
  return Object.is(v, -0) ? '0' : String(v);
}

function checkVideoId(id: string): string {
  if (id === '' || /[,\r\n]/.test(id)) throw new UserError(`video id ${JSON.stringify(id)} cannot be written to an AVA CSV (empty, or contains a comma or newline)`);
  return id;
}

function boxCols(b: readonly number[]): string {
  return b.map(num).join(',');
}

export function formatAvaGroundTruth(rows: readonly AvaGroundTruthRow[]): string {
  return rows
    .map((r) => `${checkVideoId(r.videoId)},${num(r.timestamp)},${boxCols(r.box)},${r.actionId ?? ''},${r.personId ?? ''}\n`)
    .join('');
}

export function formatAvaDetections(rows: readonly AvaDetectionRow[]): string {
  return rows.map((r) => `${checkVideoId(r.videoId)},${num(r.timestamp)},${boxCols(r.box)},${r.actionId ?? ''},${num(r.score)}\n`).join('');
}

export function formatAvaExcluded(rows: readonly AvaExcludedTimestamp[]): string {
  return rows.map((r) => `${checkVideoId(r.videoId)},${num(r.timestamp)}\n`).join('');
}
