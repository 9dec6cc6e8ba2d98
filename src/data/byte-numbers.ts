/**
 * Strict number parsing straight from bytes, for the CSV reader's hot loop. The results are exactly
 * what Python's `float()` / `int()` give for the same text (the official evaluator parses with them),
 * because the fast path only handles the cases where the decimal value converts exactly (at most 15
 * significant digits and a power of ten up to 1e22: both operands exact, one correctly rounded
 * division or product), and everything else falls back to `Number()`, which is correctly rounded.
 *
 * Accepted: optional surrounding spaces/tabs, optional sign, digits with an optional `.` and an
 * optional exponent (`1`, `-0.5`, `.25`, `3.`, `1e-3`). Rejected (returns NaN): empty fields, `nan`,
 * `inf`, hex, anything else. Python would accept `nan`/`inf`/`1_0`, but no box coordinate or score
 * should be one of those, and a NaN would poison the sort.
 */

const POW10 = [1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22];

const SPACE = 0x20;
const TAB = 0x09;
const PLUS = 0x2b;
const MINUS = 0x2d;
const DOT = 0x2e;
const ZERO = 0x30;
const NINE = 0x39;
const LOWER_E = 0x65;
const UPPER_E = 0x45;

const DECIMAL = /^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$/;

/** Parses bytes [start, end) of `buf` as a finite decimal number; NaN when the text is not one. */
export function parseFloatBytes(buf: Uint8Array, start: number, end: number): number {
  while (start < end && (buf[start] === SPACE || buf[start] === TAB)) start++;
  while (end > start && (buf[end - 1] === SPACE || buf[end - 1] === TAB)) end--;
  if (start >= end) return Number.NaN;
  const v = scanNumber(buf, start, end);
  if (scanEnd !== end) return Number.NaN;
  if (v === v) return v;
  // not one the fast path converts exactly (or not a number at all): let Number() round it
  const text = Buffer.from(buf.buffer, buf.byteOffset + start, end - start).toString('latin1');
  if (!DECIMAL.test(text)) return Number.NaN;
  const slow = Number(text);
  return Number.isFinite(slow) ? slow : Number.NaN;
}

/**
 * Parses bytes [start, end) as a decimal integer (optional spaces and sign; leading zeros fine, so
 * `0902` is 902, as Python's `int()` reads it). Returns NaN for anything else or beyond 2^31.
 */
export function parseIntBytes(buf: Uint8Array, start: number, end: number): number {
  while (start < end && (buf[start] === SPACE || buf[start] === TAB)) start++;
  while (end > start && (buf[end - 1] === SPACE || buf[end - 1] === TAB)) end--;
  if (start >= end) return Number.NaN;
  let i = start;
  let negative = false;
  if (buf[i] === MINUS || buf[i] === PLUS) {
    negative = buf[i] === MINUS;
    i++;
  }
  if (i >= end) return Number.NaN;
  let v = 0;
  for (; i < end; i++) {
    const c = buf[i]!;
    if (c < ZERO || c > NINE) return Number.NaN;
    v = v * 10 + (c - ZERO);
    if (v > 2147483647) return Number.NaN;
  }
  return negative ? -v : v;
}

/** Where the last `scanNumber` stopped (module state: a second return value without allocation). */
export let scanEnd = 0;

/**
 * Reads a decimal number starting at `start` (sign, digits, `.`, exponent, no spaces) and stops at the
 * first byte that cannot continue it, leaving that position in `scanEnd`. Returns NaN when no number
 * starts there or when it is not one the fast path converts exactly (the caller then falls back to
 * `parseFloatBytes` on the whole field).
 */
export function scanNumber(buf: Uint8Array, start: number, end: number): number {
  let i = start;
  let negative = false;
  let c = i < end ? buf[i]! : 0;
  if (c === MINUS || c === PLUS) {
    negative = c === MINUS;
    i++;
  }
  let mantissa = 0;
  let significant = 0;
  let exp10 = 0;
  let digits = 0;
  while (i < end && (c = buf[i]!) >= ZERO && c <= NINE) {
    if (mantissa !== 0 || c !== ZERO) {
      mantissa = mantissa * 10 + (c - ZERO);
      significant++;
    }
    digits++;
    i++;
  }
  if (i < end && buf[i] === DOT) {
    i++;
    while (i < end && (c = buf[i]!) >= ZERO && c <= NINE) {
      if (mantissa !== 0 || c !== ZERO) {
        mantissa = mantissa * 10 + (c - ZERO);
        significant++;
      }
      exp10--;
      digits++;
      i++;
    }
  }
  if (digits === 0) {
    scanEnd = i;
    return Number.NaN;
  }
  if (i < end && (buf[i] === LOWER_E || buf[i] === UPPER_E)) {
    i++;
    let expNegative = false;
    if (i < end && (buf[i] === MINUS || buf[i] === PLUS)) {
      expNegative = buf[i] === MINUS;
      i++;
    }
    let e = 0;
    let expDigits = 0;
    while (i < end && (c = buf[i]!) >= ZERO && c <= NINE) {
      if (e < 100000) e = e * 10 + (c - ZERO);
      expDigits++;
      i++;
    }
    scanEnd = i;
    if (expDigits === 0) return Number.NaN;
    exp10 += expNegative ? -e : e;
  }
  scanEnd = i;
  if (significant > 15 || exp10 < -22 || exp10 > 22) return Number.NaN;
  const value = exp10 < 0 ? mantissa / POW10[-exp10]! : mantissa * POW10[exp10]!;
  return negative ? -value : value;
}
