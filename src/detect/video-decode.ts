/**
 * Sequential decoding of a video file through one ffmpeg pipe, for `stad detect`: every frame once, in
 * decoding order (frame i is the i-th frame of a sequential decode, as src/data/frames.ts numbers them),
 * both at full size (to draw on) and at the model's input size. The two come from one filter graph
 * stacked into one raw frame, so that one pipe carries both and the model's frames are scaled exactly as
 * `VideoFileSource` scales them for `stad test` (the same bilinear swscale straight to rgb24).
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable } from 'node:stream';
import type { RGBFrame, Size } from '../data/frames.js';
import { UserError } from '../util/errors.js';

export interface DecodedFrame {
  index: number;
  /** At the video's size (null when not asked for). */
  full: RGBFrame | null;
  /** At the model's input size. */
  model: RGBFrame;
}

/** The ffmpeg filter graph: [full | model] stacked vertically, both padded to the wider one. */
export function stackFilter(full: Size, model: Size, withFull: boolean): { filter: string; frame: Size } {
  const scaled = `scale=${model.width}:${model.height}:flags=bilinear,format=rgb24`;
  if (!withFull) return { filter: `[0:v]${scaled}[o]`, frame: model };
  const W = Math.max(full.width, model.width);
  return {
    filter: `[0:v]split=2[a][b];[b]${scaled},pad=${W}:${model.height}[s];[a]format=rgb24,pad=${W}:${full.height}[f];[f][s]vstack=inputs=2,format=rgb24[o]`,
    frame: { width: W, height: full.height + model.height },
  };
}

/** Copies a w x h window at row `y0` out of a stacked frame of width `stride`. */
function cut(buf: Buffer, stride: number, y0: number, size: Size): RGBFrame {
  const row = size.width * 3;
  const data = new Uint8Array(row * size.height);
  for (let y = 0; y < size.height; y++) {
    const from = ((y0 + y) * stride) * 3;
    data.set(buf.subarray(from, from + row), y * row);
  }
  return { width: size.width, height: size.height, data };
}

/**
 * Decodes `file` frame by frame. The consumer's pace is the decoder's: the pipe is read only as frames
 * are asked for, so memory stays at a few frames whatever the video's length.
 */
export async function* decodeVideo(file: string, full: Size, model: Size, withFull: boolean): AsyncGenerator<DecodedFrame> {
  const { filter, frame } = stackFilter(full, model, withFull);
  const frameBytes = frame.width * frame.height * 3;
  const args = ['-v', 'error', '-nostdin', '-i', file, '-filter_complex', filter, '-map', '[o]', '-fps_mode', 'passthrough', '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1'];
  const p: ChildProcessByStdio<null, Readable, Readable> = spawn('ffmpeg', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  p.stderr.on('data', (c: Buffer) => {
    if (stderr.length < 4096) stderr += c.toString();
  });
  const exited = new Promise<number | null>((resolve, reject) => {
    p.on('error', (e) => reject(new UserError(`ffmpeg not found (install Debian's ffmpeg): ${e.message}`)));
    p.on('close', (code) => resolve(code));
  });
  exited.catch(() => undefined); // awaited below; a spawn error must not be an unhandled rejection meanwhile
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let index = 0;
  let finished = false;
  try {
    for await (const chunk of p.stdout as AsyncIterable<Buffer>) {
      pending.push(chunk);
      pendingBytes += chunk.length;
      while (pendingBytes >= frameBytes) {
        const all = pending.length === 1 ? pending[0]! : Buffer.concat(pending);
        const one = all.subarray(0, frameBytes);
        const rest = all.subarray(frameBytes);
        pending = rest.length > 0 ? [rest] : [];
        pendingBytes = rest.length;
        const fullFrame = withFull ? cut(one, frame.width, 0, full) : null;
        const modelFrame = cut(one, frame.width, withFull ? full.height : 0, model);
        yield { index: index++, full: fullFrame, model: modelFrame };
      }
    }
    const code = await exited;
    finished = true;
    if (code !== 0) throw new UserError(`${file}: cannot decode the video after frame ${index}: ${stderr.trim().split('\n')[0] || `ffmpeg exited with ${code}`}`);
  } finally {
    if (!finished) p.kill('SIGKILL');
  }
}
