/**
 * A video file's size, frame rate and packet count from ffprobe, checked: ffprobe exits 0 on many files
 * it cannot really read (a truncated or damaged header), printing a stream of size 0x0, no packet count
 * or a rate of 0/0. Found by the video fuzz (test/hardening/fuzz-video.ts): a probe of 0x0 became a frame
 * source of zero frames (`last` -1) and a `detect` frame count of NaN.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { UserError } from '../util/errors.js';

export interface VideoInfo {
  width: number;
  height: number;
  /** Frames per second; 0 when the file gives none (the caller picks a default). */
  fps: number;
  /**
   * The stream's packet count: the frame count of an intact file, an estimate of a damaged one (a packet
   * may not decode). Null when ffprobe could not count them (it stopped at a read error).
   */
  numFrames: number | null;
}

/** `num/den` or a plain number; 0 when not a finite positive rate. */
function rate(text: unknown): number {
  const [num, den] = String(text ?? '').split('/').map(Number);
  const r = den === undefined ? num! : num! / den;
  return Number.isFinite(r) && r > 0 ? r : 0;
}

/** Reads a video's size, frame rate and packet count with ffprobe; a file it cannot read is a UserError. */
export function probeVideo(file: string): VideoInfo {
  if (!existsSync(file)) throw new UserError(`${file}: video file does not exist`);
  const r = spawnSync(
    'ffprobe',
    ['-v', 'error', '-select_streams', 'v:0', '-count_packets', '-show_entries', 'stream=width,height,avg_frame_rate,r_frame_rate,nb_read_packets', '-of', 'json', file],
    { encoding: 'utf8' },
  );
  if (r.error) throw new UserError(`ffprobe not found (install Debian's ffmpeg): ${r.error.message}`);
  if (r.status !== 0) throw new UserError(`${file}: not a readable video: ${r.stderr.trim().split('\n')[0] ?? ''}`);
  let s: Record<string, unknown> | undefined;
  try {
    s = (JSON.parse(r.stdout) as { streams?: Record<string, unknown>[] }).streams?.[0];
  } catch {
    throw new UserError(`${file}: not a readable video (ffprobe printed no JSON)`);
  }
  if (!s) throw new UserError(`${file}: no video stream`);
  const width = Number(s.width);
  const height = Number(s.height);
  if (!(Number.isInteger(width) && Number.isInteger(height) && width > 0 && height > 0)) {
    throw new UserError(`${file}: no decodable video stream (ffprobe finds no frame size${r.stderr.trim() ? `: ${r.stderr.trim().split('\n')[0]}` : ''})`);
  }
  const packets = Number(s.nb_read_packets);
  return { width, height, fps: rate(s.avg_frame_rate) || rate(s.r_frame_rate), numFrames: Number.isInteger(packets) && packets >= 0 ? packets : null };
}
