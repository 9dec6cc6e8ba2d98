/**
 * The one rule for frame numbers read from file names (`seq1_00042.jpg`, `000042.png`): decimal digits
 * whose value is a safe integer (at most 2^53 - 1). A longer number would turn into an inexact float or
 * Infinity further on (a CSV that cannot be written, frames that collide), so it is refused where it is read.
 */
import { fail } from '../util/errors.js';

/** The value of a run of decimal digits, or null when it is not a safe integer. */
export function frameNumberOf(digits: string): number | null {
  if (!/^\d+$/.test(digits)) return null;
  const n = Number(digits);
  return Number.isSafeInteger(n) ? n : null;
}

/** Like frameNumberOf, but a number that is not a safe integer is a UserError naming the file and the name. */
export function requireFrameNumber(digits: string, file: string, where: string | undefined, name: string): number {
  const n = frameNumberOf(digits);
  if (n === null) fail(file, where, `frame number in ${JSON.stringify(name)} is too large (frame numbers must be integers up to ${Number.MAX_SAFE_INTEGER})`);
  return n;
}
