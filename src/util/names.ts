/**
 * Names from files (split names, video ids) that become folder or file names. The one rule, used
 * everywhere a name turns into a path: a single path component, so that nothing a file says can make
 * stad read or write outside the folder it was given.
 */
import { fail } from './errors.js';

/** Why `name` cannot be one path component, or null when it can. */
export function unsafeNameReason(name: string): string | null {
  if (name.length === 0) return 'it is empty';
  if (name.includes('\0')) return 'it contains a NUL character';
  if (/[/\\]/.test(name)) return 'it contains a path separator';
  if (name === '.' || name === '..') return `"${name}" names a folder`;
  if (/^[A-Za-z]:/.test(name)) return 'it starts with a drive letter';
  // 255 bytes is the limit of a file name on every common file system; leave room for a suffix.
  if (Buffer.byteLength(name) > 200) return 'it is longer than 200 bytes';
  return null;
}

/** A name that is safe as one path component. */
export function isSafeFileName(name: string): boolean {
  return unsafeNameReason(name) === null;
}

/** Fails with `<file>: <where>: <what> "<name>" cannot be used as a file name (<reason>)` unless the name is safe. */
export function requireSafeName(name: string, file: string, where: string | undefined, what: string): string {
  const reason = unsafeNameReason(name);
  if (reason !== null) fail(file, where, `${what} ${JSON.stringify(name)} cannot be used as a file or folder name (${reason})`);
  return name;
}
