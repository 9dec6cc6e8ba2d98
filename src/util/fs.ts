import { closeSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, writeSync, mkdirSync } from 'node:fs';
import { dirname, basename, join } from 'node:path';
import { fail } from './errors.js';

/** The one-line error for a file that cannot be read: `<path>: cannot read <what>: no such file` (or the errno code). */
export function cannotRead(path: string, what: string | undefined, e: unknown): never {
  const code = (e as NodeJS.ErrnoException).code;
  fail(path, undefined, `cannot read${what ? ` ${what}` : ''}: ${code === 'ENOENT' ? 'no such file' : (code ?? (e as Error).message)}`);
}

/** Opens a file for reading; a missing or unreadable file is a UserError naming it and, if given, its role. */
export function openForReading(path: string, what?: string): number {
  try {
    return openSync(path, 'r');
  } catch (e) {
    cannotRead(path, what, e);
  }
}

/** Reads a whole file, with the same errors as openForReading. */
export function readFileOrFail(path: string, what?: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    cannotRead(path, what, e);
  }
}

/** Reads a whole UTF-8 text file, with the same errors as openForReading. */
export function readTextFile(path: string, what?: string): string {
  return readFileOrFail(path, what).toString('utf8');
}

/**
 * Writes a file atomically: into a temporary file beside it, fsync, then rename over the target, so a
 * crash or an error never leaves a half-written file where the user expects a whole one.
 */
export function writeFileAtomic(path: string, data: string | Uint8Array | readonly Uint8Array[]): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
  const fd = openSync(tmp, 'w');
  try {
    const parts = typeof data === 'string' ? [Buffer.from(data)] : data instanceof Uint8Array ? [data] : data;
    for (const part of parts) {
      let off = 0;
      while (off < part.length) off += writeSync(fd, part, off, part.length - off);
    }
    fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw e;
  }
  closeSync(fd);
  try {
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

/**
 * Writes a folder of files all at once: into a temporary folder beside `dir`, then renamed into place,
 * so that an error leaves no partial output and a reader never sees a mix of old and new files. An
 * existing `dir` is replaced (moved aside first, removed once the new one is in place). `files` maps
 * paths relative to `dir` (already validated by the caller) to their contents.
 */
export function writeDirAtomic(dir: string, files: ReadonlyMap<string, string | Uint8Array>): void {
  const parent = dirname(dir);
  mkdirSync(parent, { recursive: true });
  const stamp = `${process.pid}.${Date.now()}`;
  const tmp = join(parent, `.${basename(dir)}.${stamp}.tmp`);
  const old = join(parent, `.${basename(dir)}.${stamp}.old`);
  try {
    for (const [rel, data] of files) writeFileAtomic(join(tmp, rel), data);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
  let movedAside = false;
  try {
    try {
      renameSync(dir, old);
      movedAside = true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    renameSync(tmp, dir);
  } catch (e) {
    if (movedAside) renameSync(old, dir);
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
  if (movedAside) rmSync(old, { recursive: true, force: true });
}
