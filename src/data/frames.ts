/**
 * Frame sources: where a clip's pixels come from. Two kinds, both decoding straight to the size the
 * pipeline needs (decoding at full size and then resizing would double the work):
 * - a folder of JPEG/PNG frames (the reference layout, `<video>_<frame:05d>.jpg`), decoded with sharp
 *   or, for the clip loader, by torchvision's decoders through libtorch (src/torch/image.ts);
 * - a video file, decoded by ffmpeg, seeking to the clip instead of decoding from the start, streamed
 *   as raw RGB at the target size.
 * Frames are RGB, interleaved, uint8: [H, W, 3].
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import sharp from 'sharp';
import { UserError } from '../util/errors.js';
import { requireFrameNumber } from './frame-number.js';
import { decodeImage, imageDecoderAvailable, isJpegOrPng } from '../torch/image.js';
import { probeVideo, type VideoInfo } from './video-probe.js';

export { probeVideo };

export interface Size {
  width: number;
  height: number;
}

export interface RGBFrame extends Size {
  /** [H, W, 3] interleaved RGB. */
  data: Uint8Array;
}

export interface FrameSource {
  /** Name used in error messages (the video id). */
  readonly video: string;
  /**
   * The first and last frame numbers. Image folders use the numbers in their file names
   * (`seq1_00001.jpg` is frame 1); videos number frames from 0.
   */
  frameRange(): Promise<{ first: number; last: number }>;
  /** Native frame size. */
  size(): Promise<Size>;
  /** Decodes the given frames (in order, repeats allowed), resized to `size` if given. */
  read(indices: readonly number[], size?: Size): Promise<RGBFrame[]>;
}

// sharp's own thread pool would compete with libtorch's and with our decoding workers; one thread per
// decode and parallelism across clips (worker threads) is faster on small frames.
sharp.concurrency(1);
sharp.cache(false);

/**
 * Which decoder reads frame images. `sharp` always works; `torch` (torchvision's decoders through
 * libtorch, where they load; else sharp) is the clip loader's choice, and `STAD_IMAGE_DECODER=sharp`
 * overrides it (to compare). One-off readers (the report's example frames) keep sharp, so that they do
 * not load libtorch for a few frames. Measured on the 2-core machine for 160x120 JPEG frames resized to
 * ~90x68, sharp cost several CPU-ms per frame (a libvips pipeline, a JS options object and a thread-pool
 * round trip per image) against well under one for libjpeg-turbo through torchvision in one native call
 * (bench/RESULTS.md, "train").
 */
export type ImageDecoder = 'sharp' | 'torch';

/**
 * A folder of frame images, numbered by the digits at the end of their names (`seq1_00042.jpg` is frame
 * 42), as the reference layout `<video>_<frame:05d>.jpg` does.
 */
export class ImageFolderSource implements FrameSource {
  private constructor(
    readonly video: string,
    private readonly dir: string,
    private readonly files: ReadonlyMap<number, string>,
    private readonly range: { first: number; last: number },
    private readonly decoder: ImageDecoder,
  ) {}

  static fromFolder(dir: string, video = basename(dir), decoder: ImageDecoder = 'sharp'): ImageFolderSource {
    if (!existsSync(dir)) throw new UserError(`${dir}: frame folder of video '${video}' does not exist`);
    const files = new Map<number, string>();
    for (const f of readdirSync(dir)) {
      const m = /(\d+)\.(jpe?g|png)$/i.exec(f);
      if (!m) continue;
      const n = requireFrameNumber(m[1]!, join(dir, f), undefined, f);
      if (files.has(n)) throw new UserError(`${join(dir, f)}: frame ${n} of video '${video}' also exists as ${files.get(n)}`);
      files.set(n, f);
    }
    if (files.size === 0) throw new UserError(`${dir}: no numbered .jpg or .png frames for video '${video}'`);
    const nums = [...files.keys()];
    return new ImageFolderSource(video, dir, files, { first: Math.min(...nums), last: Math.max(...nums) }, decoder);
  }

  async frameRange(): Promise<{ first: number; last: number }> {
    return this.range;
  }

  /** The file of a frame number. */
  fileOf(frame: number): string {
    const f = this.files.get(frame);
    if (f === undefined) throw new UserError(`${this.dir}: frame ${frame} of video '${this.video}' is missing (frames ${this.range.first}-${this.range.last})`);
    return join(this.dir, f);
  }

  async size(): Promise<Size> {
    const file = this.fileOf(this.range.first);
    try {
      const m = await sharp(file).metadata();
      return { width: m.width ?? 0, height: m.height ?? 0 };
    } catch (e) {
      throw new UserError(`${file}: cannot read the first frame of video '${this.video}': ${(e as Error).message}`);
    }
  }

  async read(indices: readonly number[], size?: Size): Promise<RGBFrame[]> {
    // Repeated indices (clips padded at the video's ends) are decoded once.
    const unique = [...new Set(indices)];
    const decoded = new Map<number, RGBFrame>();
    await Promise.all(
      unique.map(async (i) => {
        decoded.set(i, await this.decode(i, size));
      }),
    );
    return indices.map((i) => decoded.get(i)!);
  }

  private async decode(index: number, size?: Size): Promise<RGBFrame> {
    const file = this.fileOf(index);
    if (this.decoder === 'torch' && process.env.STAD_IMAGE_DECODER !== 'sharp' && imageDecoderAvailable()) {
      let bytes: Buffer | undefined;
      try {
        bytes = readFileSync(file);
      } catch (e) {
        throw new UserError(`${file}: cannot read frame ${index} of video '${this.video}': ${(e as Error).message.split('\n')[0]}`);
      }
      if (isJpegOrPng(bytes)) {
        try {
          return decodeImage(bytes, size);
        } catch {
          // sharp decides: it reads what libtorch's decoders cannot (CMYK JPEG, 16-bit PNG...) or says why not
        }
      }
    }
    try {
      let img = sharp(file).removeAlpha().toColourspace('srgb');
      if (size) img = img.resize(size.width, size.height, { fit: 'fill', kernel: 'linear' });
      const { data, info } = await img.raw().toBuffer({ resolveWithObject: true });
      if (info.channels !== 3) throw new Error(`expected 3 channels, got ${info.channels}`);
      return { width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
    } catch (e) {
      throw new UserError(`${file}: cannot decode frame ${index} of video '${this.video}': ${(e as Error).message.split('\n')[0]}`);
    }
  }
}

/** Where each decoded frame of a video is: its presentation time and whether decoding can start there. */
interface FrameIndex {
  /** Presentation time (seconds) of frame i, in decoding output order; NaN when the stream has none. */
  times: number[];
  /**
   * Whether a seek by time lands on a known frame: every frame has its own timestamp (not one guessed by
   * ffmpeg, as for packed B-frames in AVI) and they strictly increase.
   */
  seekable: boolean;
  /** Frames that are keyframes, ascending. */
  keyframes: number[];
}

/**
 * Lists every frame of the first video stream as ffmpeg's decoder outputs it (one full decode with
 * ffprobe, once per video): frame i of stad is the i-th frame of a sequential decode, whatever the codec,
 * container, B-frames (packed or not) or timestamps say.
 */
export function indexVideoFrames(file: string): FrameIndex {
  const r = spawnSync('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'frame=key_frame,pts_time', '-of', 'compact=p=0', file], {
    encoding: 'utf8',
    maxBuffer: 1 << 30,
  });
  if (r.error) throw new UserError(`ffprobe not found (install Debian's ffmpeg): ${r.error.message}`);
  if (r.status !== 0) throw new UserError(`${file}: not a readable video: ${r.stderr.trim().split('\n')[0] ?? ''}`);
  const times: number[] = [];
  const keyframes: number[] = [];
  for (const line of r.stdout.split('\n')) {
    if (line.trim() === '') continue;
    const fields = new Map(line.split('|').map((kv) => kv.split('=', 2) as [string, string]));
    // pts_time is N/A where the container has no timestamp and ffmpeg would guess one.
    const raw = fields.get('pts_time');
    const t = raw === undefined || raw === 'N/A' ? Number.NaN : Number(raw);
    if (fields.get('key_frame') === '1') keyframes.push(times.length);
    times.push(Number.isFinite(t) ? t : Number.NaN);
  }
  const seekable = times.every((t, i) => Number.isFinite(t) && (i === 0 || t > times[i - 1]!));
  return { times, keyframes, seekable };
}

/**
 * A video file decoded by ffmpeg. Frame i is the i-th frame of a sequential decode (indexVideoFrames).
 * A clip's frames are a contiguous range (possibly strided), so one ffmpeg process seeks to the last
 * keyframe at or before the first wanted frame (by its own timestamp, so the seek lands exactly there),
 * decodes every frame from there without dropping or duplicating any (`-fps_mode passthrough`), and the
 * frames before the wanted ones are skipped by count. When timestamps are missing or not increasing the
 * decode starts at the beginning: slower, never wrong.
 */
export class VideoFileSource implements FrameSource {
  private info: (VideoInfo & { numFrames: number }) | undefined;
  private index: FrameIndex | undefined;

  constructor(
    private readonly file: string,
    readonly video: string = basename(file).replace(/\.[^.]+$/, ''),
  ) {}

  private meta(): VideoInfo & { numFrames: number } {
    if (!this.info) {
      const info = probeVideo(this.file);
      const index = indexVideoFrames(this.file);
      // a damaged file ffprobe still opens may decode to nothing: no frame 0 to read, no range to sample
      if (index.times.length === 0) throw new UserError(`${this.file}: video '${this.video}' has no decodable frame`);
      this.index = index;
      this.info = { ...info, numFrames: index.times.length };
    }
    return this.info;
  }

  async frameRange(): Promise<{ first: number; last: number }> {
    return { first: 0, last: this.meta().numFrames - 1 };
  }

  async size(): Promise<Size> {
    const m = this.meta();
    return { width: m.width, height: m.height };
  }

  /** Frames per second; 0 when the file gives none. */
  async fps(): Promise<number> {
    return this.meta().fps;
  }

  async read(indices: readonly number[], size?: Size): Promise<RGBFrame[]> {
    if (indices.length === 0) return [];
    const m = this.meta();
    for (const i of indices) {
      if (!Number.isInteger(i) || i < 0 || i >= m.numFrames) {
        throw new UserError(`${this.file}: video '${this.video}' has no frame ${i} (it has ${m.numFrames})`);
      }
    }
    const first = Math.min(...indices);
    const last = Math.max(...indices);
    const out = size ?? { width: m.width, height: m.height };
    const start = this.seekFrame(first);
    const frames = await this.decodeRange(start.frame, start.seconds, last - start.frame + 1, out);
    return indices.map((i) => frames[i - start.frame]!);
  }

  /** The frame to start decoding at for `first`, and the time to seek to (null: from the beginning). */
  private seekFrame(first: number): { frame: number; seconds: number | null } {
    const { times, keyframes, seekable } = this.index!;
    if (!seekable) return { frame: 0, seconds: null };
    let k = -1;
    for (const f of keyframes) {
      if (f > first) break;
      k = f;
    }
    if (k <= 0) return { frame: 0, seconds: null };
    // Half-way back to the previous frame: the seek lands on k whatever the rounding of printed times.
    return { frame: k, seconds: (times[k]! + times[k - 1]!) / 2 };
  }

  private decodeRange(start: number, seconds: number | null, count: number, size: Size): Promise<RGBFrame[]> {
    const frameBytes = size.width * size.height * 3;
    const args = [
      '-v', 'error', '-nostdin', '-threads', '1',
      ...(seconds !== null ? ['-ss', seconds.toFixed(6)] : []),
      '-i', this.file,
      '-map', '0:v:0',
      '-fps_mode', 'passthrough',
      '-frames:v', String(count),
      '-vf', `scale=${size.width}:${size.height}:flags=bilinear`,
      '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1',
    ];
    const first = start;
    return new Promise((resolve, reject) => {
      const p = spawn('ffmpeg', args, { stdio: ['ignore', 'pipe', 'pipe'] });
      const chunks: Buffer[] = [];
      let stderr = '';
      p.stdout.on('data', (c: Buffer) => chunks.push(c));
      p.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      p.on('error', (e) => reject(new UserError(`ffmpeg not found (install Debian's ffmpeg): ${e.message}`)));
      p.on('close', (code) => {
        const buf = Buffer.concat(chunks);
        const got = Math.floor(buf.length / frameBytes);
        if (code !== 0 || got < count) {
          reject(new UserError(`${this.file}: cannot decode frames ${first}-${first + count - 1} of video '${this.video}'${stderr ? `: ${stderr.trim().split('\n')[0]}` : ` (got ${got})`}`));
          return;
        }
        const frames: RGBFrame[] = [];
        for (let k = 0; k < count; k++) {
          frames.push({ width: size.width, height: size.height, data: new Uint8Array(buf.buffer, buf.byteOffset + k * frameBytes, frameBytes) });
        }
        resolve(frames);
      });
    });
  }

}
