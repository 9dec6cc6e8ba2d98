// RawFrameSplitter: ffmpeg's raw output cut into frames whatever the chunk sizes, with the buffers of
// frames handed back reused (a long live stream allocates a fixed set of frame buffers, issue #12).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RawFrameSplitter } from '../../src/detect/raw-frame-splitter.js';

/** A stream of `frames` frames of `bytes` bytes, byte i of frame f = (f * 31 + i) & 255. */
function stream(frames: number, bytes: number): Uint8Array {
  const s = new Uint8Array(frames * bytes);
  for (let f = 0; f < frames; f++) for (let i = 0; i < bytes; i++) s[f * bytes + i] = (f * 31 + i) & 255;
  return s;
}

test('frames come out whole and in order whatever the chunk sizes', () => {
  const bytes = 7 * 5 * 3;
  const all = stream(12, bytes);
  for (const sizes of [[1], [bytes], [bytes - 1, 2], [3 * bytes + 4], [64, 13, 200, 1]]) {
    const s = new RawFrameSplitter(bytes, 4);
    const out: Uint8Array[] = [];
    let at = 0;
    for (let k = 0; at < all.length; k++) {
      const n = Math.min(sizes[k % sizes.length]!, all.length - at);
      for (const f of s.write(all.subarray(at, at + n))) out.push(new Uint8Array(f).slice()); // copied: not recycled here
      at += n;
    }
    assert.equal(out.length, 12, `chunks ${sizes}`);
    out.forEach((f, i) => assert.deepEqual(f, all.subarray(i * bytes, (i + 1) * bytes), `frame ${i}, chunks ${sizes}`));
  }
});

test('buffers handed back are reused: a long stream allocates a fixed set', () => {
  const bytes = 48;
  const all = stream(1000, bytes);
  const s = new RawFrameSplitter(bytes, 6);
  const held: ArrayBuffer[] = [];
  let frames = 0;
  for (let at = 0; at < all.length; at += 100) {
    for (const f of s.write(all.subarray(at, Math.min(all.length, at + 100)))) {
      // the contents are right even in a reused buffer
      assert.deepEqual(new Uint8Array(f), all.subarray(frames * bytes, (frames + 1) * bytes));
      frames++;
      held.push(f);
      if (held.length > 3) s.recycle(held.shift()!); // the consumer keeps the newest 3
    }
  }
  assert.equal(frames, 1000);
  // at most the 3 kept plus the 3 that one 100-byte chunk can touch (2 completed, 1 begun)
  assert.ok(s.allocated <= 6, `${s.allocated} buffers for 1000 frames`);
});

test('a buffer of another size or a detached one is not taken back, nor more than `keep`', () => {
  const s = new RawFrameSplitter(16, 2);
  s.recycle(new ArrayBuffer(8));
  const detached = new ArrayBuffer(16);
  structuredClone(detached, { transfer: [detached] }); // byteLength 0 from now on
  s.recycle(detached);
  s.write(new Uint8Array(16));
  assert.equal(s.allocated, 1);
  for (let i = 0; i < 5; i++) s.recycle(new ArrayBuffer(16));
  s.write(new Uint8Array(16 * 3)); // two from the free list, one new
  assert.equal(s.allocated, 2);
  assert.throws(() => new RawFrameSplitter(0, 1));
});
