/**
 * AVA CSV files, the interchange format of spatio-temporal action detection: the one reader (for
 * `stad eval` and for conversion alike) and the writers. No header, one box and one action per row,
 * coordinates normalised to [0, 1]:
 *
 *   ground truth:  video_id,timestamp,x1,y1,x2,y2,action_id[,person_id]
 *   detections:    video_id,timestamp,x1,y1,x2,y2,action_id[,score]
 *   excluded:      video_id,timestamp
 *
 * A box with several actions is several rows with the same box (and person id). Files are streamed from
 * bytes (src/data/csv.ts: BOM, CRLF, blank lines and Python-style quoting accepted).
 *
 * One set of rules, two modes, because two kinds of file use the format:
 * - `strict`: the official evaluator's rules (ActivityNet `get_ava_performance.py`), what `stad eval`
 *   reads. A frame is keyed by `int(timestamp)`, so a timestamp is an integer as Python's `int()` reads
 *   it (`0902` and `902` are one frame; `902.5` is an error there and here); action_id is a required
 *   integer; coordinates and the 8th column any finite numbers; a 7-column row gets the score 1.0.
 * - `lenient`: conversion input (`stad convert ava-to-via3`), and what `stad convert via3-to-ava` itself
 *   writes for what the official format cannot say: decimal timestamps >= 0 (video projects whose
 *   keyframes are not on whole seconds), an empty action_id (a class-agnostic proposal, as in PySlowFast's
 *   predicted-box files, or a ground-truth box without a label), an empty person_id. Since conversion
 *   turns boxes into pixels, a box must be a normalised box: coordinates in [0, 1], x1 <= x2, y1 <= y2.
 *
 * Every malformed row is a UserError naming the file, the line and the column.
 */
import { statSync } from 'node:fs';
import { fail, UserError } from '../util/errors.js';
import { parseFloatBytes, parseIntBytes, scanEnd, scanNumber } from './byte-numbers.js';
import { BytesInterner, COMMA, QUOTE, fieldText, forEachCsvRow, forEachLine, newRowView, splitRow, type CsvReadOptions, type RowView } from './csv.js';

export type { CsvReadOptions } from './csv.js';

export type AvaCsvMode = 'strict' | 'lenient';

/** Which file a box CSV is: it names the 8th column (person_id or score) and the file in messages. */
export type AvaBoxKind = 'ground truth' | 'detections';

export type NormalizedBox = [number, number, number, number];

/** One row of a box CSV as an object (conversion works on these; the evaluator on AvaBoxTable). */
interface AvaBoxRow {
  videoId: string;
  timestamp: number;
  /** [x1, y1, x2, y2] in [0, 1]. */
  box: NormalizedBox;
  /** Action id (label map id); null when the column is empty (no label, or a class-agnostic proposal). */
  actionId: number | null;
}

export interface AvaGroundTruthRow extends AvaBoxRow {
  /** Person (track) id; null when absent or empty. */
  personId: number | null;
}

export interface AvaDetectionRow extends AvaBoxRow {
  score: number;
}

/**
 * Rows of a box CSV read with the strict rules, column by column (what the evaluator works on). Row r is
 * video `videoIds[video[r]]` at second `timestamp[r]`, box (x1, y1, x2, y2), action `action[r]`, and
 * `score[r]`: the 8th column as a number (the detection score, or the person id of a ground-truth row),
 * or 1.0 when the row has 7 columns (as the official reader does).
 */
export interface AvaBoxTable {
  readonly length: number;
  /** Distinct video ids, in order of first appearance. */
  readonly videoIds: readonly string[];
  readonly video: Int32Array;
  readonly timestamp: Int32Array;
  readonly x1: Float64Array;
  readonly y1: Float64Array;
  readonly x2: Float64Array;
  readonly y2: Float64Array;
  readonly action: Int32Array;
  readonly score: Float64Array;
}

/** One keyframe: a video id and its timestamp (an excluded frame, in the strict rules an integer second). */
export interface FrameRef {
  videoId: string;
  timestamp: number;
}

/**
 * Receives one row of a box CSV. `action` is NaN when the column is empty and `eighth` (person id or score)
 * NaN when absent or empty; only the lenient rules let either happen.
 */
export type AvaBoxSink = (video: number, timestamp: number, x1: number, y1: number, x2: number, y2: number, action: number, eighth: number) => void;

const COORDINATES = ['x1', 'y1', 'x2', 'y2'] as const;

function isBlank(b: Uint8Array, start: number, end: number): boolean {
  for (let p = start; p < end; p++) if (b[p] !== 0x20 && b[p] !== 0x09) return false;
  return true;
}

/**
 * Reads a box CSV with the given rules, calling `sink` for every row, in file order; returns the distinct
 * video ids (the sink's `video` indexes them).
 */
export function scanAvaBoxCsv(path: string, kind: AvaBoxKind, mode: AvaCsvMode, sink: AvaBoxSink, opts: CsvReadOptions = {}): string[] {
  const strict = mode === 'strict';
  const eighthName = kind === 'ground truth' ? 'person_id' : 'score';
  const videos = new BytesInterner();
  const row = newRowView();

  // The checked path: splits the line, parses each field and names the first bad one.
  const checkedRow = (buf: Buffer, start: number, end: number, lineNo: number): void => {
    splitRow(buf, start, end, path, lineNo, row);
    const at = `line ${lineNo}`;
    if (row.count !== 7 && row.count !== 8) {
      fail(path, at, `expected 7 or 8 comma-separated columns (video_id,timestamp,x1,y1,x2,y2,action_id[,${eighthName}]), got ${row.count}`);
    }
    const b = row.buf;
    const s = row.starts;
    const e = row.ends;
    if (e[0]! === s[0]!) fail(path, at, 'video_id is empty');

    let ts: number;
    if (strict) {
      ts = parseIntBytes(b, s[1]!, e[1]!);
      if (Number.isNaN(ts)) fail(path, at, `timestamp: expected integer seconds (the official evaluator keys frames by int(timestamp)), got ${fieldText(row, 1)}`);
    } else {
      ts = parseFloatBytes(b, s[1]!, e[1]!);
      if (!(ts >= 0)) fail(path, at, `timestamp: expected a number >= 0, got ${fieldText(row, 1)}`);
    }

    const c = [0, 0, 0, 0];
    for (let k = 0; k < 4; k++) {
      const v = parseFloatBytes(b, s[k + 2]!, e[k + 2]!);
      if (Number.isNaN(v)) fail(path, at, `${COORDINATES[k]}: expected a number, got ${fieldText(row, k + 2)}`);
      if (!strict && (v < 0 || v > 1)) fail(path, at, `${COORDINATES[k]}: expected a coordinate normalised to [0, 1], got ${v}`);
      c[k] = v;
    }
    if (!strict && c[2]! < c[0]!) fail(path, at, `x2 ${c[2]} is left of x1 ${c[0]}`);
    if (!strict && c[3]! < c[1]!) fail(path, at, `y2 ${c[3]} is above y1 ${c[1]}`);

    let action = Number.NaN;
    if (isBlank(b, s[6]!, e[6]!)) {
      if (strict) {
        const why = kind === 'ground truth' ? 'a box without a label (`stad convert via3-to-ava --no-background` leaves those out)' : 'class-agnostic boxes (person proposals) cannot be scored per class';
        fail(path, at, `action_id is empty: the official evaluator needs an action per row; ${why}`);
      }
    } else {
      action = parseIntBytes(b, s[6]!, e[6]!);
      if (Number.isNaN(action) || (!strict && action < 0)) fail(path, at, `action_id: expected an integer${strict ? '' : ' >= 0'}, got ${fieldText(row, 6)}`);
    }

    // Absent: the official reader's 1.0 in strict mode; in lenient mode a ground-truth row has no person id.
    let eighth = strict || kind === 'detections' ? 1.0 : Number.NaN;
    if (row.count === 8) {
      if (!strict && kind === 'ground truth') {
        if (isBlank(b, s[7]!, e[7]!)) eighth = Number.NaN;
        else {
          eighth = parseIntBytes(b, s[7]!, e[7]!);
          if (!(eighth >= 0)) fail(path, at, `person_id: expected an integer >= 0, got ${fieldText(row, 7)}`);
        }
      } else {
        eighth = parseFloatBytes(b, s[7]!, e[7]!);
        if (Number.isNaN(eighth)) fail(path, at, `${eighthName}: expected a number, got ${fieldText(row, 7)}`);
      }
    }
    sink(videos.intern(b, s[0]!, e[0]!), ts, c[0]!, c[1]!, c[2]!, c[3]!, action, eighth);
  };

  // The fast path (strict rules only): plain unquoted fields, numbers without spaces. Anything else (and
  // every error) goes through checkedRow, which parses the same text to the same values or names the problem.
  const fastRow = (buf: Buffer, start: number, end: number, lineNo: number): void => {
    let p = start;
    while (p < end && buf[p] !== COMMA && buf[p] !== QUOTE) p++;
    if (p === start || p >= end || buf[p] !== COMMA) return checkedRow(buf, start, end, lineNo);
    const vEnd = p++;
    let ts = 0;
    let nd = 0;
    let c = 0;
    while (p < end && (c = buf[p]!) >= 0x30 && c <= 0x39) {
      ts = ts * 10 + (c - 0x30);
      p++;
      nd++;
    }
    if (nd === 0 || nd > 9 || buf[p] !== COMMA) return checkedRow(buf, start, end, lineNo);
    const x1 = scanNumber(buf, p + 1, end);
    if (buf[(p = scanEnd)] !== COMMA || x1 !== x1) return checkedRow(buf, start, end, lineNo);
    const y1 = scanNumber(buf, p + 1, end);
    if (buf[(p = scanEnd)] !== COMMA || y1 !== y1) return checkedRow(buf, start, end, lineNo);
    const x2 = scanNumber(buf, p + 1, end);
    if (buf[(p = scanEnd)] !== COMMA || x2 !== x2) return checkedRow(buf, start, end, lineNo);
    const y2 = scanNumber(buf, p + 1, end);
    if (buf[(p = scanEnd)] !== COMMA || y2 !== y2) return checkedRow(buf, start, end, lineNo);
    p++;
    let action = 0;
    nd = 0;
    while (p < end && (c = buf[p]!) >= 0x30 && c <= 0x39) {
      action = action * 10 + (c - 0x30);
      p++;
      nd++;
    }
    if (nd === 0 || nd > 9) return checkedRow(buf, start, end, lineNo);
    let score = 1.0;
    if (p < end) {
      if (buf[p] !== COMMA) return checkedRow(buf, start, end, lineNo);
      score = scanNumber(buf, p + 1, end);
      if (scanEnd !== end || score !== score) return checkedRow(buf, start, end, lineNo);
    }
    sink(videos.intern(buf, start, vEnd), ts, x1, y1, x2, y2, action, score);
  };

  forEachLine(path, kind, strict ? fastRow : checkedRow, opts);
  return videos.ids;
}

/** Growable columns of an AvaBoxTable. */
class Columns {
  video: Int32Array;
  timestamp: Int32Array;
  x1: Float64Array;
  y1: Float64Array;
  x2: Float64Array;
  y2: Float64Array;
  action: Int32Array;
  score: Float64Array;
  length = 0;

  constructor(capacity: number) {
    this.video = new Int32Array(capacity);
    this.timestamp = new Int32Array(capacity);
    this.x1 = new Float64Array(capacity);
    this.y1 = new Float64Array(capacity);
    this.x2 = new Float64Array(capacity);
    this.y2 = new Float64Array(capacity);
    this.action = new Int32Array(capacity);
    this.score = new Float64Array(capacity);
  }

  push(video: number, timestamp: number, x1: number, y1: number, x2: number, y2: number, action: number, score: number): void {
    if (this.length === this.video.length) this.grow();
    const r = this.length++;
    this.video[r] = video;
    this.timestamp[r] = timestamp;
    this.x1[r] = x1;
    this.y1[r] = y1;
    this.x2[r] = x2;
    this.y2[r] = y2;
    this.action[r] = action;
    this.score[r] = score;
  }

  private grow(): void {
    const cap = Math.ceil(this.video.length * 1.5) + 1024;
    const grow = <T extends Int32Array | Float64Array>(a: T): T => {
      const b = new (a.constructor as new (n: number) => T)(cap);
      b.set(a);
      return b;
    };
    this.video = grow(this.video);
    this.timestamp = grow(this.timestamp);
    this.x1 = grow(this.x1);
    this.y1 = grow(this.y1);
    this.x2 = grow(this.x2);
    this.y2 = grow(this.y2);
    this.action = grow(this.action);
    this.score = grow(this.score);
  }
}

/**
 * Reads a box CSV (ground truth or detections) with the strict rules into columns: what `stad eval`
 * evaluates. `kind` names the file's role in messages.
 */
export function readAvaBoxCsv(path: string, kind: AvaBoxKind, opts: CsvReadOptions = {}): AvaBoxTable {
  // AVA rows take about 45-60 bytes: size the columns from the file size so they rarely grow
  let size = 0;
  try {
    size = statSync(path).size;
  } catch {
    size = 0; // the scan reports the missing file
  }
  // Capped: the size is only a hint (a sparse or lying file must not allocate before a row is read).
  const g = new Columns(Math.min(Math.ceil(size / 45), 1 << 20) + 1024);
  const videoIds = scanAvaBoxCsv(path, kind, 'strict', (v, ts, x1, y1, x2, y2, action, score) => g.push(v, ts, x1, y1, x2, y2, action, score), opts);
  const n = g.length;
  return {
    length: n,
    videoIds,
    video: g.video.subarray(0, n),
    timestamp: g.timestamp.subarray(0, n),
    x1: g.x1.subarray(0, n),
    y1: g.y1.subarray(0, n),
    x2: g.x2.subarray(0, n),
    y2: g.y2.subarray(0, n),
    action: g.action.subarray(0, n),
    score: g.score.subarray(0, n),
  };
}

const orNull = (v: number): number | null => (Number.isNaN(v) ? null : v);

/** Reads a ground-truth CSV with the lenient rules (conversion input) into rows. */
export function readAvaGroundTruth(path: string, opts: CsvReadOptions = {}): AvaGroundTruthRow[] {
  const rows: { video: number; timestamp: number; box: NormalizedBox; actionId: number | null; personId: number | null }[] = [];
  const ids = scanAvaBoxCsv(path, 'ground truth', 'lenient', (video, timestamp, x1, y1, x2, y2, action, person) => rows.push({ video, timestamp, box: [x1, y1, x2, y2], actionId: orNull(action), personId: orNull(person) }), opts);
  return rows.map(({ video, ...r }) => ({ videoId: ids[video]!, ...r }));
}

/** Reads a detections or proposals CSV with the lenient rules (conversion input) into rows. */
export function readAvaDetections(path: string, opts: CsvReadOptions = {}): AvaDetectionRow[] {
  const rows: { video: number; timestamp: number; box: NormalizedBox; actionId: number | null; score: number }[] = [];
  const ids = scanAvaBoxCsv(path, 'detections', 'lenient', (video, timestamp, x1, y1, x2, y2, action, score) => rows.push({ video, timestamp, box: [x1, y1, x2, y2], actionId: orNull(action), score }), opts);
  return rows.map(({ video, ...r }) => ({ videoId: ids[video]!, ...r }));
}

/** Reads an excluded-timestamps CSV (`video_id,timestamp` per line; strict rules: integer seconds). */
export function readExcludedTimestamps(path: string, opts: CsvReadOptions = {}): FrameRef[] {
  const out: FrameRef[] = [];
  forEachCsvRow(
    path,
    'excluded timestamps',
    (row: RowView, lineNo) => {
      if (row.count !== 2) fail(path, `line ${lineNo}`, `expected 2 comma-separated columns (video_id,timestamp), got ${row.count}`);
      const ts = parseIntBytes(row.buf, row.starts[1]!, row.ends[1]!);
      if (Number.isNaN(ts)) fail(path, `line ${lineNo}`, `timestamp: expected integer seconds, got ${fieldText(row, 1)}`);
      if (row.ends[0]! === row.starts[0]!) fail(path, `line ${lineNo}`, 'video_id is empty');
      const videoId = Buffer.from(row.buf.buffer, row.buf.byteOffset + row.starts[0]!, row.ends[0]! - row.starts[0]!).toString('utf8');
      out.push({ videoId, timestamp: ts });
    },
    opts,
  );
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// Writing

/**
 * Numbers as the shortest text that reads back to the same double, so a write/read cycle is exact.
 * (Official AVA files use 3 decimals; readers accept any.)
 */
function num(v: number): string {
  if (!Number.isFinite(v)) throw new Error(`cannot write non-finite number ${v} to an AVA CSV`);
  return Object.is(v, -0) ? '0' : String(v);
}

function checkVideoId(id: string): string {
  // A leading quote would make CSV readers (Python's, ours) take the field as quoted.
  if (id === '' || /^"|[,\r\n]/.test(id)) throw new UserError(`video id ${JSON.stringify(id)} cannot be written to an AVA CSV (empty, starts with a quote, or contains a comma or newline)`);
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
