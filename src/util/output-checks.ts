/**
 * Checks of a command's output location, made before the command does its work (a detector over a
 * whole video, a report over several runs, a demo that trains for minutes), so that a wrong `-o` is
 * one line at once instead of an error, or a lost file, at the end:
 *   - `--out` naming an existing file where a folder is expected (or a folder where a file is);
 *   - a location that cannot be written (read-only, no permission, under /proc): found by making and
 *     removing an empty probe folder in the nearest existing ancestor, the one test that tells the
 *     truth for root, read-only mounts and pseudo file systems alike;
 *   - files of the user's in the way: an output file that exists is replaced only when the command
 *     recognises it as its own or the user said so (`--force`); a folder that must be the command's
 *     alone (the demo's) is refused when it holds anything else.
 * Nothing here writes anything that stays. The writers (fs.ts) keep their own checks: these only move
 * the failure to the start.
 */
import { lstatSync, mkdtempSync, readdirSync, rmdirSync, statSync, type Stats } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fail, isUserError } from './errors.js';
import { cannotWrite } from './fs.js';

function statOrUndefined(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    // ENOTDIR: a file where a folder of the path should be; the probe below says so by name.
    if (code === 'ENOTDIR') return undefined;
    throw e;
  }
}

/** Makes and removes an empty folder beside where the output will go: the location is writable. */
function probeWritable(target: string): void {
  let dir = resolve(target);
  // The nearest ancestor that exists: the one the output's folders will be made in.
  for (;;) {
    const st = statOrUndefined(dir);
    if (st !== undefined) {
      if (!st.isDirectory()) fail(dir, undefined, 'cannot write the output here: it is a file, not a folder');
      break;
    }
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  let probe: string;
  try {
    probe = mkdtempSync(join(dir, '.stad-probe-'));
  } catch (e) {
    cannotWrite(target, e);
  }
  rmdirSync(probe);
}

export interface OutputDirCheck {
  /** The flag that named the folder, for the messages (`--out`, `-o/--out`). */
  flag: string;
  /** Files (relative to the folder) the command will write: one that exists is in the way unless replaceable. */
  files?: readonly string[];
  /** Existing output files may be replaced (`--force`, or the command knows them as its own). */
  replace?: boolean | ((path: string) => boolean);
  /** How the user says "replace", named in the message (default `--force`). */
  replaceFlag?: string;
  /**
   * For a folder that must be the command's alone: true for the names of entries the command itself
   * makes there. Any other entry is the user's, and the folder is refused.
   */
  ownEntry?: (name: string) => boolean;
}

/** Refuses, with one line, an output folder the command cannot or must not write into. */
export function checkOutputDir(dir: string, o: OutputDirCheck): void {
  try {
    const st = statOrUndefined(dir);
    if (st !== undefined && !st.isDirectory()) fail(dir, undefined, `${o.flag} names an existing file; expected a folder (new or one of stad's)`);
    if (st !== undefined && o.ownEntry) {
      const foreign = readdirSync(dir)
        .filter((n) => !o.ownEntry!(n))
        .sort();
      if (foreign.length > 0) {
        const shown = foreign.slice(0, 3).join(', ') + (foreign.length > 3 ? `, ... (${foreign.length} in all)` : '');
        fail(dir, undefined, `${o.flag} names a folder with files stad did not write there (${shown}); choose a new or empty folder`);
      }
    }
    for (const rel of o.files ?? []) {
      const path = join(dir, rel);
      const f = statOrUndefined(path);
      if (f === undefined) continue;
      if (f.isDirectory()) fail(path, undefined, 'cannot write: it is a folder');
      const replace = typeof o.replace === 'function' ? o.replace(path) : o.replace === true;
      if (!replace) fail(path, undefined, `exists; pass ${o.replaceFlag ?? '--force'} to replace it, or choose another ${o.flag}`);
    }
    probeWritable(dir);
  } catch (e) {
    if (isUserError(e)) throw e;
    cannotWrite(dir, e);
  }
}

export interface OutputFileCheck {
  /** The flag that named the file, for the messages. */
  flag: string;
  /** True when an existing file at the path is the command's own output (so it may be replaced). */
  isOwn: (path: string) => boolean;
  /** What the command writes, for the messages (`an HTML report`). */
  what: string;
}

/** Refuses, with one line, an output file path the command cannot or must not write. */
export function checkOutputFile(path: string, o: OutputFileCheck): void {
  try {
    const lst = (() => {
      try {
        return lstatSync(path);
      } catch {
        return undefined;
      }
    })();
    const st = statOrUndefined(path);
    if (st?.isDirectory()) fail(path, undefined, `${o.flag} names a folder; expected the name of ${o.what} to write`);
    if (lst !== undefined && st === undefined) fail(path, undefined, `${o.flag} names a broken symbolic link; remove it or choose another file`);
    if (st !== undefined && !st.isFile()) fail(path, undefined, `${o.flag} names something that is not a regular file`);
    if (st !== undefined && !o.isOwn(path)) fail(path, undefined, `exists and is not ${o.what} written by stad; remove it or choose another ${o.flag}`);
    probeWritable(dirname(resolve(path)));
  } catch (e) {
    if (isUserError(e)) throw e;
    cannotWrite(path, e);
  }
}
