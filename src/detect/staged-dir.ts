/**
 * An output folder written all at once for work that takes long and writes through other programs
 * (ffmpeg writes the MP4 itself): everything goes into a temporary folder beside the target, renamed
 * into place when complete (an existing folder is replaced), removed on failure. The same rule as
 * writeDirAtomic (src/util/fs.ts) for files that are not in memory.
 */
import { mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { cannotWrite } from '../util/fs.js';
import { fail } from '../util/errors.js';

export class StagedDir {
  readonly dir: string;
  readonly target: string;

  constructor(target: string) {
    this.target = resolve(target);
    try {
      if (statSync(this.target).isFile()) fail(this.target, undefined, 'cannot write the output here: it exists and is not a folder');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    const parent = dirname(this.target);
    this.dir = join(parent, `.${basename(this.target)}.${process.pid}.${Date.now()}.tmp`);
    try {
      mkdirSync(this.dir, { recursive: true });
    } catch (e) {
      cannotWrite(this.target, e);
    }
  }

  path(rel: string): string {
    return join(this.dir, rel);
  }

  /** Moves the finished folder into place. */
  commit(): void {
    const old = join(dirname(this.target), `.${basename(this.target)}.${process.pid}.${Date.now()}.old`);
    let movedAside = false;
    try {
      try {
        renameSync(this.target, old);
        movedAside = true;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      }
      renameSync(this.dir, this.target);
    } catch (e) {
      if (movedAside) renameSync(old, this.target);
      this.abort();
      cannotWrite(this.target, e);
    }
    if (movedAside) rmSync(old, { recursive: true, force: true });
  }

  abort(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
