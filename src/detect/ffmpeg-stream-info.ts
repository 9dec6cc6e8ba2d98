/**
 * The size and rate of the raw video ffmpeg writes, read from its stderr (`-v info`), as the live
 * reader needs them before the first frame: the output stream's line, printed once probing is done,
 *
 *   Output #0, rawvideo, to 'pipe:1':
 *     Stream #0:0: Video: rawvideo (RGB[24] / 0x18424752), rgb24(pc, ...), 768x576, q=2-31, 106168 kb/s, 10 fps, 10 tbn
 *
 * Only a complete line counts: stderr arrives in chunks, and a line cut after its size would lose its rate.
 */
export interface RawStreamInfo {
  width: number;
  height: number;
  /** Frames per second (its `fps`, else its `tbr`); 0 when the line gives neither. */
  fps: number;
}

export function parseRawOutputStream(stderr: string): RawStreamInfo | null {
  const out = stderr.indexOf('Output #0');
  if (out < 0) return null;
  const line = /Stream #\d+:\d+[^\n]*: Video: rawvideo[^\n]*\n/.exec(stderr.slice(out))?.[0];
  if (!line) return null;
  const size = /, (\d+)x(\d+)[, ]/.exec(line);
  if (!size) return null;
  const rate = /, ([\d.]+)(k?) fps/.exec(line) ?? /, ([\d.]+)(k?) tbr/.exec(line);
  const fps = rate ? Number(rate[1]) * (rate[2] ? 1000 : 1) : 0;
  return { width: Number(size[1]), height: Number(size[2]), fps: Number.isFinite(fps) ? fps : 0 };
}
