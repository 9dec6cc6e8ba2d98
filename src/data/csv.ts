/**
 * Streaming CSV reading straight from bytes: the file is read in chunks (never as one string), each line is
 * split at commas in place, and callers parse fields from the bytes (src/data/byte-numbers.ts). What makes
 * reading AVA-sized files fast (src/data/ava.ts holds the AVA rules on top of this).
 *
 * A UTF-8 BOM, CRLF line ends and blank lines are accepted; fields may be double-quoted (Python's csv
 * rules: quotes around a field, "" inside). Errors are UserErrors naming the file and the line.
 */
import { closeSync, fstatSync, readSync } from 'node:fs';
import { fail } from '../util/errors.js';
import { openForReading } from '../util/fs.js';
import type { ProgressCallback } from '../util/progress.js';

export interface CsvReadOptions {
  /** Called as bytes are read (done/total in bytes). */
  onProgress?: ProgressCallback;
  /** Chunk size in bytes (tests use small ones to exercise lines split across chunks). */
  chunkSize?: number;
}

export const COMMA = 0x2c;
const NEWLINE = 0x0a;
const CR = 0x0d;
export const QUOTE = 0x22;
export const MAX_FIELDS = 64;
/** The longest line read (1 MiB): far beyond any CSV row, small enough never to exhaust memory. */
export const MAX_LINE_BYTES = 1 << 20;

/** Field boundaries of one row: field k is bytes [starts[k], ends[k]) of `buf`. */
export interface RowView {
  buf: Uint8Array;
  starts: Int32Array;
  ends: Int32Array;
  /** Number of fields (may exceed MAX_FIELDS, in which case only the first MAX_FIELDS are located). */
  count: number;
}

/** A row view with room for MAX_FIELDS fields, to reuse across rows. */
export function newRowView(): RowView {
  return { buf: Buffer.alloc(0), starts: new Int32Array(MAX_FIELDS), ends: new Int32Array(MAX_FIELDS), count: 0 };
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
        // A line of only spaces and tabs is blank, like an empty one.
        if (end > start && !isBlank(buf, start, end)) onLine(buf, start, end, lineNo);
        start = nl + 1;
      }
      // keep the partial last line at the front of the buffer
      if (start > 0) {
        if (start < have) buf.copy(buf, 0, start, have);
        have = Math.max(0, have - start);
      }
      // A line longer than any CSV row could be (a binary or sparse file) is refused before the buffer grows without bound.
      if (have > MAX_LINE_BYTES) fail(path, `line ${lineNo + 1}`, `longer than ${MAX_LINE_BYTES} bytes without a line break; not a CSV file?`);
      opts.onProgress?.({ done: read, total: Math.max(total, read) });
    }
  } finally {
    closeSync(fd);
  }
}

function isBlank(buf: Buffer, start: number, end: number): boolean {
  for (let p = start; p < end; p++) if (buf[p] !== 0x20 && buf[p] !== 0x09) return false;
  return true;
}

/** Splits bytes [start, end) of `buf` into comma-separated fields (Python csv rules when quoted). */
export function splitRow(buf: Buffer, start: number, end: number, path: string, lineNo: number, row: RowView): void {
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
  const row = newRowView();
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

/**
 * Interns strings (video ids) from raw bytes without making a string per row: consecutive rows of one
 * value (the usual layout of a file sorted by video) compare bytes with the previous row's only.
 */
export class BytesInterner {
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

/** Field k as a short quoted string, for messages. */
export function fieldText(row: RowView, k: number): string {
  const s = Buffer.from(row.buf.buffer, row.buf.byteOffset + row.starts[k]!, row.ends[k]! - row.starts[k]!).toString('utf8');
  return JSON.stringify(s.length > 40 ? `${s.slice(0, 40)}...` : s);
}
