/**
 * Reusable batch buffers for the clip loader. A batch's clips are rendered straight into one of these
 * (by the worker threads: they are SharedArrayBuffers, so nothing is copied or transferred back), and the
 * consumer gives the buffer back once it has copied the batch into a tensor. Reusing a few buffers
 * instead of allocating a fresh multi-megabyte array per batch is what keeps the loader's main-thread
 * cost near zero: measured on the 2-core machine, the fresh arrays' page faults and their garbage
 * collection cost more than decoding a clip (bench/RESULTS.md, "train").
 */
export class BatchPool {
  private readonly free: SharedArrayBuffer[] = [];

  /** `keep`: buffers held for reuse at most (the loader's batches in flight, plus one being consumed). */
  constructor(private readonly keep: number) {}

  /**
   * A zeroed-or-not Float32Array of `length` elements over a shared buffer: reused when one is free and
   * large enough. Its contents are whatever the last batch left (the loader zeroes what it pads).
   */
  acquire(length: number): Float32Array {
    const bytes = length * Float32Array.BYTES_PER_ELEMENT;
    // the smallest free buffer that fits, so that a large one stays for a large batch
    let best = -1;
    for (let i = 0; i < this.free.length; i++) {
      const b = this.free[i]!;
      if (b.byteLength >= bytes && (best < 0 || b.byteLength < this.free[best]!.byteLength)) best = i;
    }
    const buf = best >= 0 ? this.free.splice(best, 1)[0]! : new SharedArrayBuffer(bytes);
    return new Float32Array(buf, 0, length);
  }

  /** Gives a buffer back; the caller must not touch the array afterwards. */
  release(data: Float32Array): void {
    const buf = data.buffer;
    if (!(buf instanceof SharedArrayBuffer) || this.free.includes(buf)) return;
    this.free.push(buf);
    // keep the largest: a smaller one would only be reallocated for the next large batch
    if (this.free.length > this.keep) {
      this.free.sort((a, b) => b.byteLength - a.byteLength);
      this.free.length = this.keep;
    }
  }

  /** Buffers held for reuse (for tests). */
  get size(): number {
    return this.free.length;
  }
}
