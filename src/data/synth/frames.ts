/**
 * Writes the pixels of one sequence: every frame as a JPEG (sharp, from the raw RGB buffer) and,
 * optionally, the same frames as an MP4 through ffmpeg. Used in-process and by the worker threads.
 */
import { writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import sharp from 'sharp';
import { SequenceRenderer } from './render.js';
import type { SequenceScene } from './scene.js';
import { VideoEncoder } from './video.js';
import { makeDirs } from '../../util/fs.js';

export interface FrameOutput {
  /** Folder for `<seq>_<frame:05d>.jpg`. */
  imageDir: string;
  /** The MP4 to write, or null for none. */
  videoPath: string | null;
  jpegQuality: number;
}

/** `<seq>_<n:05d>.jpg` for 0-based frame index `frame` (files are numbered from 1). */
export function frameFileName(seq: string, frame: number): string {
  return `${seq}_${String(frame + 1).padStart(5, '0')}.jpg`;
}

/** A small pool that keeps at most `limit` promises in flight. */
class Pool {
  private readonly active = new Set<Promise<void>>();
  private error: unknown;
  constructor(private readonly limit: number) {}
  async add(task: () => Promise<void>): Promise<void> {
    if (this.error !== undefined) throw this.error;
    while (this.active.size >= this.limit) await Promise.race(this.active);
    if (this.error !== undefined) throw this.error;
    const p: Promise<void> = task()
      .catch((e: unknown) => {
        this.error ??= e;
      })
      .finally(() => this.active.delete(p));
    this.active.add(p);
  }
  async drain(): Promise<void> {
    await Promise.all(this.active);
    if (this.error !== undefined) throw this.error;
  }
}

/** Renders and writes every frame of `scene`; `onFrames(n)` reports n more frames written. */
export async function writeSequenceFrames(scene: SequenceScene, out: FrameOutput, onFrames?: (n: number) => void): Promise<void> {
  const { width, height } = scene.geometry;
  sharp.cache(false);
  makeDirs(out.imageDir);
  let encoder: VideoEncoder | undefined;
  if (out.videoPath) {
    makeDirs(dirname(out.videoPath));
    encoder = new VideoEncoder(out.videoPath, width, height, scene.geometry.fps);
  }
  // Enough JPEG encodes in flight to keep libvips' threads busy while this thread renders.
  const pool = new Pool(8);
  try {
    const renderer = new SequenceRenderer(scene);
    for (let f = 0; f < scene.nFrames; f++) {
      const img = renderer.render(f);
      const raw = Buffer.from(img.data.buffer, img.data.byteOffset, img.data.byteLength);
      if (encoder) await encoder.write(raw);
      const file = join(out.imageDir, frameFileName(scene.name, f));
      await pool.add(async () => {
        const jpg = await sharp(raw, { raw: { width, height, channels: 3 } }).jpeg({ quality: out.jpegQuality }).toBuffer();
        await writeFile(file, jpg);
        onFrames?.(1);
      });
    }
    await pool.drain();
    if (encoder) await encoder.close();
  } catch (e) {
    encoder?.abort();
    await pool.drain().catch(() => {});
    throw e;
  }
}
