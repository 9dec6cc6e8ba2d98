/**
 * Cuts ffmpeg's raw RGB output (chunks of any size) into frame-sized ArrayBuffers, reusing the buffers
 * of frames that are done with instead of allocating a new one per frame.
 *
 * Why reuse (issue #12, bench/RESULTS.md "detect-soak"): a live stream's frames are large (768x576 RGB:
 * 1.3 MB) and arrive tens of times a second. Made fresh for each frame in the reader thread and freed
 * whenever the main thread's garbage collector got to them, they came from the reader thread's malloc
 * arena (the binding turns glibc's mmap for large blocks off: native/src/malloc_tuning.cc), whose
 * resident size then followed the most frames that had ever been waiting for a collection at once,
 * and rose in steps over a long run. Recycled, the frames in circulation are a fixed set after the
 * first seconds. Chunks are also copied straight into their frame, not concatenated first (a second
 * frame-sized allocation per frame).
 */
export class RawFrameSplitter {
  private readonly free: ArrayBuffer[] = [];
  private current: Uint8Array | null = null;
  private filled = 0;
  private made = 0;

  /**
   * `frameBytes`: width * height * 3; `keep`: buffers held for reuse at most (more handed back are left
   * to the garbage collector).
   */
  constructor(
    readonly frameBytes: number,
    private readonly keep: number,
  ) {
    if (!Number.isInteger(frameBytes) || frameBytes <= 0) throw new Error(`RawFrameSplitter: frame size ${frameBytes}`);
  }

  /** Appends a chunk of the raw stream; returns the frames it completed, oldest first. */
  write(chunk: Uint8Array): ArrayBuffer[] {
    const done: ArrayBuffer[] = [];
    let at = 0;
    while (at < chunk.length) {
      if (this.current === null) {
        this.current = new Uint8Array(this.take());
        this.filled = 0;
      }
      const n = Math.min(chunk.length - at, this.frameBytes - this.filled);
      this.current.set(chunk.subarray(at, at + n), this.filled);
      this.filled += n;
      at += n;
      if (this.filled === this.frameBytes) {
        done.push(this.current.buffer as ArrayBuffer);
        this.current = null;
      }
    }
    return done;
  }

  /**
   * Takes back a frame's buffer for a later frame. The caller must hold no view of it any more; a buffer
   * of another size, or a detached one (byteLength 0, e.g. transferred away again), is ignored.
   */
  recycle(buf: ArrayBuffer): void {
    if (buf.byteLength !== this.frameBytes || this.free.length >= this.keep || this.free.includes(buf)) return;
    this.free.push(buf);
  }

  /** Buffers allocated so far (for tests and the soak benchmark). */
  get allocated(): number {
    return this.made;
  }

  private take(): ArrayBuffer {
    const reused = this.free.pop();
    if (reused !== undefined) return reused;
    this.made++;
    return new ArrayBuffer(this.frameBytes);
  }
}
