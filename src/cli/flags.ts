/**
 * Numeric command-line flags, parsed and checked before any work starts, with one error wording for
 * every command: `--flag: expected <what>, got "<value>"` (a UserError: one line, exit code 2).
 *
 * `intFlag`/`numberFlag` take the flag's raw string (for flags read in an action);
 * `intOption`/`numberOption` return commander argument parsers (`.option(..., intOption('--n', 1))`).
 */
import { UserError } from '../util/errors.js';

/** Bounds of a numeric flag; `above` is an exclusive lower bound, `min`/`max` inclusive ones. */
export interface NumberRange {
  min?: number;
  above?: number;
  max?: number;
}

/** The one wording of a bad flag value. */
export function flagError(flag: string, expected: string, value: string): UserError {
  return new UserError(`${flag}: expected ${expected}, got ${JSON.stringify(value)}`);
}

function intExpected(min: number | undefined): string {
  if (min === undefined) return 'an integer';
  return min === 1 ? 'a positive integer' : `an integer >= ${min}`;
}

function numberExpected(r: NumberRange): string {
  const lo = r.above !== undefined ? `(${r.above}` : r.min !== undefined ? `[${r.min}` : null;
  if (lo !== null && r.max !== undefined) return `a number in ${lo}, ${r.max}]`;
  if (r.above !== undefined) return r.above === 0 ? 'a positive number' : `a number > ${r.above}`;
  if (r.min !== undefined) return `a number >= ${r.min}`;
  if (r.max !== undefined) return `a number <= ${r.max}`;
  return 'a number';
}

// Number('') and Number(' ') are 0: an empty value is not a number.
function toNumber(value: string): number {
  return value.trim() === '' ? Number.NaN : Number(value);
}

/** An integer flag, at least `min` when given (`--flag: expected a positive integer, got "0"`). */
export function intFlag(flag: string, value: string, min?: number): number {
  const n = toNumber(value);
  if (!Number.isSafeInteger(n) || (min !== undefined && n < min)) throw flagError(flag, intExpected(min), value);
  return n;
}

/** A finite number flag within `range` (`--iou: expected a number in (0, 1], got "0"`). */
export function numberFlag(flag: string, value: string, range: NumberRange = {}): number {
  const n = toNumber(value);
  const ok =
    Number.isFinite(n) &&
    (range.min === undefined || n >= range.min) &&
    (range.above === undefined || n > range.above) &&
    (range.max === undefined || n <= range.max);
  if (!ok) throw flagError(flag, numberExpected(range), value);
  return n;
}

/** A commander argument parser for an integer flag (see intFlag). */
export function intOption(flag: string, min?: number): (value: string) => number {
  return (value) => intFlag(flag, value, min);
}

/** A commander argument parser for a number flag (see numberFlag). */
export function numberOption(flag: string, range: NumberRange = {}): (value: string) => number {
  return (value) => numberFlag(flag, value, range);
}
