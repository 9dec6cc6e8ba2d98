/**
 * The one rule for what is a video file: its extension, compared without case (`clip.AVI` is a video).
 * Every place that looks for videos (the dataset layout, convert, stats, synth's checks) uses this list.
 */
import { readdirSync } from 'node:fs';
import { extname, join } from 'node:path';

/** Containers ffmpeg reads that cameras and tools write, lower case, in order of preference. */
export const VIDEO_EXTENSIONS: readonly string[] = ['.mp4', '.m4v', '.mkv', '.webm', '.avi', '.mov', '.ts', '.mts', '.m2ts', '.mpg', '.mpeg', '.wmv', '.flv', '.ogv', '.3gp'];

/** Whether `name` has a video extension (any case). */
export function isVideoFileName(name: string): boolean {
  return VIDEO_EXTENSIONS.includes(extname(name).toLowerCase());
}

/**
 * The video `<stem>.<ext>` in `dir`, whatever the case of the extension; the preferred extension when
 * there are several. Null when there is none (or no such folder).
 */
export function findVideoFile(dir: string, stem: string): string | null {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return null;
  }
  let best: { name: string; rank: number } | null = null;
  for (const name of names) {
    const ext = extname(name);
    if (name.slice(0, name.length - ext.length) !== stem) continue;
    const rank = VIDEO_EXTENSIONS.indexOf(ext.toLowerCase());
    if (rank >= 0 && (best === null || rank < best.rank)) best = { name, rank };
  }
  return best ? join(dir, best.name) : null;
}
