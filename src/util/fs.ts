import { closeSync, fstatSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, writeSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, basename, join, resolve } from 'node:path';
import { fail, isUserError } from './errors.js';
import { midWrite } from './crash-points.js';

/** Plain words for the errno codes a user can cause (a full disk, a read-only folder, a name taken by a folder). */
const ERRNO_WORDS = new Map<string, string>([
  ['ENOENT', 'no such file or folder'],
  ['EACCES', 'permission denied'],
  ['EPERM', 'operation not permitted'],
  ['EROFS', 'read-only file system'],
  ['EISDIR', 'it is a folder'],
  ['ENOTDIR', 'a part of the path is not a folder'],
  ['EEXIST', 'it already exists'],
  ['ENOTEMPTY', 'the folder is not empty'],
  ['ENOSPC', 'no space left on the device'],
  ['EDQUOT', 'disk quota exceeded'],
  ['ENAMETOOLONG', 'the name is too long'],
  ['ELOOP', 'too many symbolic links'],
  ['EMFILE', 'too many open files'],
  ['EFBIG', 'file too large'],
  ['EIO', 'input/output error'],
  ['EXDEV', 'cannot move across file systems'],
  ['EBUSY', 'resource busy'],
]);

/**
 * `mkdir -p`, one component at a time. Node's `mkdirSync(p, { recursive: true })` never returns for a
 * path under /proc (mkdir there answers ENOENT for a missing parent that it cannot create either, and
 * Node retries forever); here the first component that cannot be made fails with its errno error.
 */
export function makeDirs(dir: string): void {
  const missing: string[] = [];
  let p = resolve(dir);
  for (;;) {
    let isDir: boolean;
    try {
      isDir = statSync(p).isDirectory();
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      missing.push(p);
      const parent = dirname(p);
      if (parent === p) break;
      p = parent;
      continue;
    }
    if (!isDir) throw Object.assign(new Error(`ENOTDIR: not a directory, mkdir '${dir}'`), { code: 'ENOTDIR', syscall: 'mkdir', path: p });
    break;
  }
  for (const m of missing.reverse()) {
    try {
      mkdirSync(m);
    } catch (e) {
      // another process made it meanwhile: fine, if it is a folder
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST' || !isDirectory(m)) throw e;
    }
  }
}

/** A file-system error (errno code + path) that a user can cause, as opposed to a bug. */
export function isFsUserError(e: unknown): e is NodeJS.ErrnoException & { code: string } {
  const err = e as NodeJS.ErrnoException | null;
  return typeof err === 'object' && err !== null && typeof err.code === 'string' && ERRNO_WORDS.has(err.code) && typeof err.syscall === 'string';
}

/** `permission denied (EACCES)` for an errno error, else its message. */
export function describeFsError(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  const words = code !== undefined ? ERRNO_WORDS.get(code) : undefined;
  return words ? `${words} (${code})` : ((e as Error).message ?? String(e));
}

/** Rethrows a file-system error while writing `path` as a one-line UserError naming it; other errors unchanged. */
export function cannotWrite(path: string, e: unknown): never {
  if (isUserError(e)) throw e;
  if (isFsUserError(e)) fail(path, undefined, `cannot write: ${describeFsError(e)}`);
  throw e;
}

/** The one-line error for a file that cannot be read: `<path>: cannot read <what>: no such file` (or the errno code). */
export function cannotRead(path: string, what: string | undefined, e: unknown): never {
  const code = (e as NodeJS.ErrnoException).code;
  fail(path, undefined, `cannot read${what ? ` ${what}` : ''}: ${code === 'ENOENT' ? 'no such file' : (code ?? (e as Error).message)}`);
}

/** Opens a file for reading; a missing or unreadable file is a UserError naming it and, if given, its role. */
export function openForReading(path: string, what?: string): number {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    cannotRead(path, what, e);
  }
  // A folder opens fine on Linux and fails only at the first read: say so now, by name.
  let isFile = false;
  try {
    isFile = fstatSync(fd).isFile();
  } catch {
    isFile = false;
  }
  if (!isFile) {
    closeSync(fd);
    fail(path, undefined, `cannot read${what ? ` ${what}` : ''}: ${isDirectory(path) ? 'it is a folder' : 'not a regular file'}`);
  }
  return fd;
}

/** Files read whole into memory (projects, label maps, configs, headers) are refused above this size. */
export const MAX_WHOLE_FILE_BYTES = 512 * 1024 * 1024;

/** Reads a whole file, with the same errors as openForReading; refuses one over `limit` bytes before allocating. */
export function readFileOrFail(path: string, what?: string, limit = MAX_WHOLE_FILE_BYTES): Buffer {
  const fd = openForReading(path, what);
  try {
    const size = fstatSync(fd).size;
    if (size > limit) fail(path, undefined, `${size} bytes is over the ${limit}-byte limit for ${what ?? 'this file'}`);
    try {
      return readFileSync(fd);
    } catch (e) {
      cannotRead(path, what, e);
    }
  } finally {
    closeSync(fd);
  }
}

/** Reads a whole UTF-8 text file, with the same errors as openForReading. */
export function readTextFile(path: string, what?: string): string {
  return stripBom(readFileOrFail(path, what).toString('utf8'));
}

/** Text without a leading UTF-8 byte-order mark: editors on Windows add one, and it is not content. */
export function stripBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/**
 * Writes a file atomically: into a temporary file beside it, fsync, then rename over the target, so a
 * crash or an error never leaves a half-written file where the user expects a whole one.
 */
export function writeFileAtomic(path: string, data: string | Uint8Array | readonly Uint8Array[]): void {
  try {
    writeFileAtomicRaw(path, data);
  } catch (e) {
    cannotWrite(path, e);
  }
}

function writeFileAtomicRaw(path: string, data: string | Uint8Array | readonly Uint8Array[]): void {
  if (isDirectory(path)) fail(path, undefined, 'cannot write: it is a folder');
  makeDirs(dirname(path));
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
  const fd = openSync(tmp, 'w');
  try {
    const parts = typeof data === 'string' ? [Buffer.from(data)] : data instanceof Uint8Array ? [data] : data;
    const total = parts.reduce((n, p) => n + p.length, 0);
    let written = 0;
    let pastMiddle = total === 0;
    for (const part of parts) {
      let off = 0;
      while (off < part.length) {
        // one stop at the middle of the file, where the crash-safety tests kill or fail the write
        const len = pastMiddle ? part.length - off : Math.min(part.length - off, Math.max(1, Math.ceil(total / 2) - written));
        const n = writeSync(fd, part, off, len);
        off += n;
        written += n;
        if (!pastMiddle && written >= total / 2) {
          pastMiddle = true;
          midWrite();
        }
      }
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
  syncDir(dirname(path));
}

/**
 * fsyncs a folder, so that a rename in it survives a power cut (the file's own fsync does not cover its
 * directory entry). Best effort: some file systems refuse to open or sync a folder, and the file itself
 * is already whole.
 */
export function syncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // not supported here: the rename is still atomic, only its durability across a power cut is weaker
  } finally {
    if (fd !== undefined) closeSync(fd);
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
  makeDirs(parent);
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

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/**
 * Writes a command's output files into `outDir` all or nothing: every file is first written into a
 * temporary folder inside `outDir` (same file system), and only when all of them were written are they
 * renamed into place; on any error the temporary folder is removed and nothing of the new output is
 * left. Other files in `outDir` are kept (unlike writeDirAtomic, which replaces the folder). `files` maps
 * paths relative to `outDir`, whose components the caller has validated (util/names.ts), to contents.
 * Errors are one-line UserErrors naming the file: `--out` naming a file, a read-only folder, a full disk.
 */
export function writeOutputFiles(outDir: string, files: ReadonlyMap<string, string | Uint8Array>): string[] {
  try {
    if (!isDirectory(outDir)) {
      try {
        statSync(outDir);
        fail(outDir, undefined, 'cannot write the output here: it exists and is not a folder');
      } catch (e) {
        if (isUserError(e)) throw e;
      }
    }
    for (const rel of files.keys()) {
      if (isDirectory(join(outDir, rel))) fail(join(outDir, rel), undefined, 'cannot write: it is a folder');
    }
    makeDirs(outDir);
  } catch (e) {
    cannotWrite(outDir, e);
  }
  const tmp = join(outDir, `.stad-tmp-${process.pid}-${Date.now()}`);
  let current = outDir;
  try {
    mkdirSync(tmp);
    for (const [rel, data] of files) {
      current = join(outDir, rel);
      const staged = join(tmp, rel);
      makeDirs(dirname(staged));
      writeFileSync(staged, data);
    }
    const written: string[] = [];
    for (const rel of files.keys()) {
      current = join(outDir, rel);
      makeDirs(dirname(current));
      renameSync(join(tmp, rel), current);
      written.push(current);
    }
    return written;
  } catch (e) {
    cannotWrite(current, e);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
