/**
 * Streaming CSV reading for the AVA formats, straight from bytes into typed arrays: the file is read
 * in chunks (never as one string), each line is split at commas in place, and numbers are parsed from
 * the bytes (src/eval/numbers.ts). This is what makes `stad eval` fast on AVA-sized files.
 *
 * Formats (AVA, https://research.google.com/ava/download.html):
 *   boxes:      video_id,timestamp,x1,y1,x2,y2,action_id[,score|person_id]
 *   exclusions: video_id,timestamp
 * Coordinates are normalised to [0, 1]. Timestamps are integer seconds: `0902` and `902` are one
 * frame. A UTF-8 BOM, CRLF line ends and blank lines are accepted; fields may be double-quoted.
 * Every malformed row is a UserError naming the file and the line.
 */
import { closeSync, fstatSync, openSync, readSync, statSync } from 'node:fs';
import { fail, UserError } from '../util/errors.js';
import type { ProgressCallback } from '../util/progress.js';
import { parseFloatBytes, parseIntBytes, scanEnd, scanNumber } from './numbers.js';

/**
 * Rows of an AVA box CSV, column by column. Row r is video `videoIds[video[r]]` at second
 * `timestamp[r]`, box (x1, y1, x2, y2), action `action[r]`, and `score[r]`: the 8th column as a
 * number (the detection score, or the person id of a ground-truth row), or 1.0 when the row has 7
 * columns (as the official reader does).
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

export interface CsvReadOptions {
  /** Called as bytes are read (done/total in bytes). */
  onProgress?: ProgressCallback;
  /** Chunk size in bytes (tests use small ones to exercise lines split across chunks). */
  chunkSize?: number;
}

const COMMA = 0x2c;
const NEWLINE = 0x0a;
const CR = 0x0d;
const QUOTE = 0x22;
const MAX_FIELDS = 64;

/** Field boundaries of one row: field k is bytes [starts[k], ends[k]) of `buf`. */
interface RowView {
  buf: Uint8Array;
  starts: Int32Array;
  ends: Int32Array;
  /** Number of fields (may exceed MAX_FIELDS, in which case only the first MAX_FIELDS are located). */
  count: number;
}

function openForReading(path: string, what: string): number {
  try {
    return openSync(path, 'r');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UserError(`${path}: cannot read ${what}: ${code === 'ENOENT' ? 'no such file' : (code ?? String(e))}`);
  }
}

/** Splits a line holding double quotes the way Python's csv module does (quotes around fields, "" inside). */
function splitQuoted(line: Uint8Array, path: string, lineNo: number, row: RowView): void {
  const text = Buffer.from(line.buffer, line.byteOffset, line.length).toString('utf8');
  const fields: string[] = [];
  let cur = '';
  let i = 0;
  let inQuotes = false;
  while (i < text.length) {
    const c = text[i]!;
    if (inQuotes) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          cur += '"';
          i += 2;
          continue;
        }
        inQuotes = false;
      } else cur += c;
    } else if (c === '"' && cur.length === 0) inQuotes = true;
    else if (c === ',') {
      fields.push(cur);
      cur = '';
    } else cur += c;
    i++;
  }
  if (inQuotes) fail(path, `line ${lineNo}`, 'unterminated quoted field');
  fields.push(cur);
  const enc = Buffer.from(fields.join('\u0000'), 'utf8');
  row.buf = enc;
  row.count = fields.length;
  let pos = 0;
  for (let k = 0; k < fields.length && k < MAX_FIELDS; k++) {
    const len = Buffer.byteLength(fields[k]!, 'utf8');
    row.starts[k] = pos;
    row.ends[k] = pos + len;
    pos += len + 1;
  }
}

/**
 * Calls `onLine(buf, start, end, lineNo)` for every non-blank line of a file, streaming it in chunks:
 * bytes [start, end) of `buf` without the line break (a CR before the LF is dropped too). `lineNo`
 * is 1-based. `buf` is only valid during the call.
 */
export function forEachLine(path: string, what: string, onLine: (buf: Buffer, start: number, end: number, lineNo: number) => void, opts: CsvReadOptions = {}): void {
  const fd = openForReading(path, what);
  try {
    const total = fstatSync(fd).size;
    const chunkSize = Math.max(16, opts.chunkSize ?? 1 << 22);
    let buf = Buffer.allocUnsafe(chunkSize * 2);
    let have = 0; // bytes valid in buf
    let lineNo = 0;
    let read = 0;
    let bomChecked = false;
    let eof = false;
    while (!eof) {
      if (have + chunkSize > buf.length) {
        const bigger = Buffer.allocUnsafe(Math.max(buf.length * 2, have + chunkSize));
        buf.copy(bigger, 0, 0, have);
        buf = bigger;
      }
      const n = readSync(fd, buf, have, chunkSize, null);
      if (n === 0) eof = true;
      read += n;
      have += n;
      let start = 0;
      if (!bomChecked) {
        if (have < 3 && !eof) continue;
        bomChecked = true;
        if (have >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) start = 3;
      }
      for (;;) {
        let nl = buf.indexOf(NEWLINE, start);
        if (nl === -1 || nl >= have) {
          if (!eof || start >= have) break;
          nl = have; // last line without a line break
        }
        lineNo++;
        let end = nl;
        if (end > start && buf[end - 1] === CR) end--;
        if (end > start) onLine(buf, start, end, lineNo);
        start = nl + 1;
      }
      // keep the partial last line at the front of the buffer
      if (start > 0) {
        if (start < have) buf.copy(buf, 0, start, have);
        have = Math.max(0, have - start);
      }
      opts.onProgress?.({ done: read, total: Math.max(total, read) });
    }
  } finally {
    closeSync(fd);
  }
}

/** Splits bytes [start, end) of `buf` into comma-separated fields (Python csv rules when quoted). */
function splitRow(buf: Buffer, start: number, end: number, path: string, lineNo: number, row: RowView): void {
  let hasQuote = false;
  let count = 0;
  let fieldStart = start;
  for (let p = start; p < end; p++) {
    const c = buf[p]!;
    if (c === COMMA) {
      if (count < MAX_FIELDS) {
        row.starts[count] = fieldStart;
        row.ends[count] = p;
      }
      count++;
      fieldStart = p + 1;
    } else if (c === QUOTE) hasQuote = true;
  }
  if (count < MAX_FIELDS) {
    row.starts[count] = fieldStart;
    row.ends[count] = end;
  }
  row.buf = buf;
  row.count = count + 1;
  if (hasQuote) splitQuoted(buf.subarray(start, end), path, lineNo, row);
}

/**
 * Calls `onRow` for every non-blank line of a CSV file, streaming it in chunks. `lineNo` is 1-based.
 * The row view is reused between calls; copy what you keep.
 */
export function forEachCsvRow(path: string, what: string, onRow: (row: RowView, lineNo: number) => void, opts: CsvReadOptions = {}): void {
  const row: RowView = { buf: Buffer.alloc(0), starts: new Int32Array(MAX_FIELDS), ends: new Int32Array(MAX_FIELDS), count: 0 };
  forEachLine(
    path,
    what,
    (buf, start, end, lineNo) => {
      splitRow(buf, start, end, path, lineNo, row);
      onRow(row, lineNo);
    },
    opts,
  );
}

class Growable {
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
 * Interns video ids from raw bytes without making a string per row: consecutive rows of one video
 * (the usual layout) compare bytes with the previous row's id only.
 */
class VideoInterner {
  readonly ids: string[] = [];
  private readonly index = new Map<string, number>();
  private last = Buffer.alloc(256);
  private lastLen = -1;
  private lastIdx = -1;

  intern(buf: Uint8Array, start: number, end: number): number {
    const len = end - start;
    if (len === this.lastLen) {
      let same = true;
      for (let k = 0; k < len; k++) {
        if (buf[start + k] !== this.last[k]) {
          same = false;
          break;
        }
      }
      if (same) return this.lastIdx;
    }
    const s = Buffer.from(buf.buffer, buf.byteOffset + start, len).toString('utf8');
    let idx = this.index.get(s);
    if (idx === undefined) {
      idx = this.ids.length;
      this.ids.push(s);
      this.index.set(s, idx);
    }
    if (len > this.last.length) this.last = Buffer.alloc(len * 2);
    for (let k = 0; k < len; k++) this.last[k] = buf[start + k]!;
    this.lastLen = len;
    this.lastIdx = idx;
    return idx;
  }
}

function fieldText(row: RowView, k: number): string {
  const s = Buffer.from(row.buf.buffer, row.buf.byteOffset + row.starts[k]!, row.ends[k]! - row.starts[k]!).toString('utf8');
  return JSON.stringify(s.length > 40 ? `${s.slice(0, 40)}...` : s);
}

const COLUMN_NAMES = ['video_id', 'timestamp', 'x1', 'y1', 'x2', 'y2', 'action_id', 'score'];

/**
 * Reads an AVA box CSV (ground truth or detections) into columns. `what` names the file's role in
 * messages (e.g. 'ground truth'). Rows must have 7 or 8 columns; timestamps and action ids must be
 * integers; coordinates and the 8th column finite numbers.
 */
export function readAvaBoxCsv(path: string, what: string, opts: CsvReadOptions = {}): AvaBoxTable {
  // AVA rows take about 45-60 bytes: size the columns from the file size so they rarely grow
  let size = 0;
  try {
    size = statSync(path).size;
  } catch {
    size = 0; // forEachLine reports the missing file
  }
  const g = new Growable(Math.ceil(size / 45) + 1024);
  const videos = new VideoInterner();
  const eighth = what === 'ground truth' ? 'person_id' : 'score';
  const row: RowView = { buf: Buffer.alloc(0), starts: new Int32Array(MAX_FIELDS), ends: new Int32Array(MAX_FIELDS), count: 0 };

  // The checked path: splits the line, parses each field and names the first bad one.
  const slowRow = (buf: Buffer, start: number, end: number, lineNo: number): void => {
    splitRow(buf, start, end, path, lineNo, row);
    if (row.count !== 7 && row.count !== 8) {
      fail(path, `line ${lineNo}`, `expected 7 or 8 comma-separated columns (video_id,timestamp,x1,y1,x2,y2,action_id[,${eighth}]), got ${row.count}`);
    }
    const b = row.buf;
    const s = row.starts;
    const e = row.ends;
    if (e[0]! === s[0]!) fail(path, `line ${lineNo}`, 'video_id is empty');
    const ts = parseIntBytes(b, s[1]!, e[1]!);
    if (Number.isNaN(ts)) fail(path, `line ${lineNo}`, `timestamp: expected integer seconds, got ${fieldText(row, 1)}`);
    const x1 = parseFloatBytes(b, s[2]!, e[2]!);
    const y1 = parseFloatBytes(b, s[3]!, e[3]!);
    const x2 = parseFloatBytes(b, s[4]!, e[4]!);
    const y2 = parseFloatBytes(b, s[5]!, e[5]!);
    if (Number.isNaN(x1) || Number.isNaN(y1) || Number.isNaN(x2) || Number.isNaN(y2)) {
      const k = Number.isNaN(x1) ? 2 : Number.isNaN(y1) ? 3 : Number.isNaN(x2) ? 4 : 5;
      fail(path, `line ${lineNo}`, `${COLUMN_NAMES[k]}: expected a number, got ${fieldText(row, k)}`);
    }
    const action = parseIntBytes(b, s[6]!, e[6]!);
    if (Number.isNaN(action)) fail(path, `line ${lineNo}`, `action_id: expected an integer, got ${fieldText(row, 6)}`);
    let score = 1.0;
    if (row.count === 8) {
      score = parseFloatBytes(b, s[7]!, e[7]!);
      if (Number.isNaN(score)) fail(path, `line ${lineNo}`, `${eighth}: expected a number, got ${fieldText(row, 7)}`);
    }
    g.push(videos.intern(b, s[0]!, e[0]!), ts, x1, y1, x2, y2, action, score);
  };

  forEachLine(
    path,
    what,
    (buf, start, end, lineNo) => {
      // The fast path: plain unquoted fields, numbers without spaces. Anything else (and every error)
      // goes through slowRow, which parses the same text to the same values or names the problem.
      let p = start;
      while (p < end && buf[p] !== COMMA && buf[p] !== QUOTE) p++;
      if (p === start || p >= end || buf[p] !== COMMA) return slowRow(buf, start, end, lineNo);
      const vEnd = p++;
      let ts = 0;
      let nd = 0;
      let c = 0;
      while (p < end && (c = buf[p]!) >= 0x30 && c <= 0x39) {
        ts = ts * 10 + (c - 0x30);
        p++;
        nd++;
      }
      if (nd === 0 || nd > 9 || buf[p] !== COMMA) return slowRow(buf, start, end, lineNo);
      const x1 = scanNumber(buf, p + 1, end);
      if (buf[(p = scanEnd)] !== COMMA || x1 !== x1) return slowRow(buf, start, end, lineNo);
      const y1 = scanNumber(buf, p + 1, end);
      if (buf[(p = scanEnd)] !== COMMA || y1 !== y1) return slowRow(buf, start, end, lineNo);
      const x2 = scanNumber(buf, p + 1, end);
      if (buf[(p = scanEnd)] !== COMMA || x2 !== x2) return slowRow(buf, start, end, lineNo);
      const y2 = scanNumber(buf, p + 1, end);
      if (buf[(p = scanEnd)] !== COMMA || y2 !== y2) return slowRow(buf, start, end, lineNo);
      p++;
      let action = 0;
      nd = 0;
      while (p < end && (c = buf[p]!) >= 0x30 && c <= 0x39) {
        action = action * 10 + (c - 0x30);
        p++;
        nd++;
      }
      if (nd === 0 || nd > 9) return slowRow(buf, start, end, lineNo);
      let score = 1.0;
      if (p < end) {
        if (buf[p] !== COMMA) return slowRow(buf, start, end, lineNo);
        score = scanNumber(buf, p + 1, end);
        if (scanEnd !== end || score !== score) return slowRow(buf, start, end, lineNo);
      }
      g.push(videos.intern(buf, start, vEnd), ts, x1, y1, x2, y2, action, score);
    },
    opts,
  );
  const n = g.length;
  return {
    length: n,
    videoIds: videos.ids,
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

/** One excluded keyframe: a video id and an integer second. */
export interface FrameRef {
  videoId: string;
  timestamp: number;
}

/** Reads an excluded-timestamps CSV (`video_id,timestamp` per line). */
export function readExcludedTimestamps(path: string, opts: CsvReadOptions = {}): FrameRef[] {
  const out: FrameRef[] = [];
  forEachCsvRow(
    path,
    'excluded timestamps',
    (row, lineNo) => {
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
