/**
 * Encodes raw RGB frames into an H.264 MP4 with the system's ffmpeg (libx264, yuv420p), streaming the
 * frames through a pipe so that no frame is held longer than it takes to write it.
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { UserError } from '../../util/errors.js';

export class VideoEncoder {
  private readonly proc: ChildProcessByStdio<Writable, null, Readable>;
  private readonly done: Promise<void>;
  private stderr = '';
  private failure: Error | undefined;

  constructor(
    private readonly path: string,
    width: number,
    height: number,
    fps: number,
    ffmpeg = 'ffmpeg',
  ) {
    if (width % 2 !== 0 || height % 2 !== 0) {
      throw new UserError(`--width/--height: H.264 in yuv420p needs even sizes, got ${width}x${height} (or pass --no-video)`);
    }
    // prettier-ignore
    const args = [
      '-hide_banner', '-loglevel', 'error', '-nostdin', '-y',
      '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-s', `${width}x${height}`, '-framerate', String(fps), '-i', 'pipe:0',
      '-c:v', 'libx264', '-preset', 'veryfast', '-crf', '23', '-pix_fmt', 'yuv420p',
      '-map_metadata', '-1', '-movflags', '+faststart', '-f', 'mp4', path,
    ];
    this.proc = spawn(ffmpeg, args, { stdio: ['pipe', 'ignore', 'pipe'] });
    this.proc.stderr.setEncoding('utf8');
    this.proc.stderr.on('data', (s: string) => {
      if (this.stderr.length < 4000) this.stderr += s;
    });
    // A broken pipe is reported through the exit status below.
    this.proc.stdin.on('error', () => {});
    this.done = new Promise((resolve, reject) => {
      this.proc.on('error', (e: NodeJS.ErrnoException) => {
        this.failure =
          e.code === 'ENOENT' ? new UserError(`ffmpeg: not found on PATH (install ffmpeg, or pass --no-video)`) : new Error(`ffmpeg: ${e.message}`);
        reject(this.failure);
      });
      this.proc.on('close', (code) => {
        if (this.failure) return;
        if (code === 0) resolve();
        else {
          this.failure = new Error(`ffmpeg exited with code ${code} writing ${this.path}: ${this.stderr.trim()}`);
          reject(this.failure);
        }
      });
    });
    // Avoid an unhandled rejection if the caller fails before awaiting close().
    this.done.catch(() => {});
  }

  /** Queues one frame (width * height * 3 bytes of RGB); resolves when the pipe can take more. */
  async write(rgb: Uint8Array): Promise<void> {
    if (this.failure) throw this.failure;
    if (!this.proc.stdin.write(rgb)) {
      await new Promise<void>((resolve, reject) => {
        const onDrain = (): void => {
          this.proc.removeListener('close', onClose);
          resolve();
        };
        const onClose = (): void => {
          this.proc.stdin.removeListener('drain', onDrain);
          reject(this.failure ?? new Error(`ffmpeg stopped while writing ${this.path}`));
        };
        this.proc.stdin.once('drain', onDrain);
        this.proc.once('close', onClose);
      });
    }
  }

  /** Ends the stream and waits for ffmpeg to finish the file. */
  async close(): Promise<void> {
    this.proc.stdin.end();
    await this.done;
  }

  /** Stops ffmpeg without waiting (after an error elsewhere). */
  abort(): void {
    this.proc.stdin.destroy();
    this.proc.kill('SIGKILL');
  }
}
