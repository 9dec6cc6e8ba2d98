/** Recognises a file as an HTML report that stad wrote (html.ts marks every page), so that it may be replaced. */
import { closeSync, openSync, readSync } from 'node:fs';
import { REPORT_GENERATOR } from './html.js';

/** True when the file's head carries stad's generator mark; false for anything else or an unreadable file. */
export function isStadReport(path: string): boolean {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    // The mark is in <head>, within the first lines; the page's CSS comes after it.
    const head = Buffer.alloc(1024);
    const n = readSync(fd, head, 0, head.length, 0);
    return head.subarray(0, n).toString('utf8').includes(`<meta name="generator" content="${REPORT_GENERATOR}">`);
  } catch {
    return false;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
