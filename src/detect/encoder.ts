/**
 * The annotated MP4: raw RGB frames piped to ffmpeg (H.264, yuv420p, sizes padded to even), one output
 * frame per frame written, at the input's rate. Writes wait for the pipe to drain, so a slow encoder
 * slows the producer instead of filling memory.
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import type { RGBFrame, Size } from '../data/frames.js';
import { UserError } from '../util/errors.js';

export class Mp4Encoder {
  private readonly p: ChildProcessByStdio<Writable, null, Readable>;
  private stderr = '';
  private failed: Error | null = null;
  private readonly exited: Promise<number | null>;
  frames = 0;

  constructor(
    private readonly path: string,
    private readonly size: Size,
    fps: number,
  ) {
    const rate = fps > 0 && Number.isFinite(fps) ? fps : 25;
    this.p = spawn(
      'ffmpeg',
      [
        '-v', 'error', '-nostdin', '-y',
        '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-s', `${size.width}x${size.height}`, '-framerate', String(rate), '-i', 'pipe:0',
        '-vf', 'pad=ceil(iw/2)*2:ceil(ih/2)*2',
        '-fps_mode', 'passthrough',
        '-c:v', 'libx264', '-preset', 'veryfast', '-crf', '23', '-pix_fmt', 'yuv420p', '-movflags', '+faststart',
        path,
      ],
      { stdio: ['pipe', 'ignore', 'pipe'] },
    );
    this.p.stderr.on('data', (c: Buffer) => {
      if (this.stderr.length < 4096) this.stderr += c.toString();
    });
    this.p.stdin.on('error', (e) => (this.failed ??= e));
    this.exited = new Promise((resolve) => {
      this.p.on('error', (e) => {
        this.failed ??= new UserError(`ffmpeg not found (install Debian's ffmpeg): ${e.message}`);
        resolve(null);
      });
      this.p.on('close', (code) => resolve(code));
    });
  }

  async write(frame: RGBFrame): Promise<void> {
    if (this.failed) throw this.error();
    if (frame.width !== this.size.width || frame.height !== this.size.height) throw new RangeError(`frame is ${frame.width}x${frame.height}, the video ${this.size.width}x${this.size.height}`);
    this.frames++;
    if (!this.p.stdin.write(frame.data)) {
      await new Promise<void>((resolve) => {
        const done = (): void => {
          this.p.stdin.off('drain', done);
          this.p.off('close', done);
          resolve();
        };
        this.p.stdin.on('drain', done);
        this.p.on('close', done);
      });
    }
  }

  /** Ends the stream and waits for ffmpeg to finish the file. */
  async close(): Promise<void> {
    this.p.stdin.end();
    const code = await this.exited;
    if (this.failed || code !== 0) throw this.error();
  }

  /** Stops ffmpeg without finishing the file (on an error elsewhere). */
  abort(): void {
    this.p.kill('SIGKILL');
  }

  private error(): Error {
    if (this.failed instanceof UserError) return this.failed;
    return new UserError(`${this.path}: cannot encode the annotated video: ${this.stderr.trim().split('\n')[0] || this.failed?.message || 'ffmpeg failed'}`);
  }
}
