import { test } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { decodeImage, imageDecoderAvailable, isJpegOrPng } from '../../src/torch/image.js';

const available = imageDecoderAvailable();
const skip = available ? false : "torchvision's image library is not installed (frames are decoded with sharp)";

/** A smooth colour gradient, W x H, as raw RGB. */
function gradient(W: number, H: number): Buffer {
  const raw = Buffer.alloc(W * H * 3);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const p = (y * W + x) * 3;
      raw[p] = Math.round((255 * x) / (W - 1));
      raw[p + 1] = Math.round((255 * y) / (H - 1));
      raw[p + 2] = Math.round(128 + 100 * Math.sin((x + y) / 20));
    }
  }
  return raw;
}

test('file signatures: JPEG and PNG only', async () => {
  assert.ok(isJpegOrPng(await sharp(gradient(8, 8), { raw: { width: 8, height: 8, channels: 3 } }).png().toBuffer()));
  assert.ok(isJpegOrPng(await sharp(gradient(8, 8), { raw: { width: 8, height: 8, channels: 3 } }).jpeg().toBuffer()));
  assert.ok(!isJpegOrPng(await sharp(gradient(8, 8), { raw: { width: 8, height: 8, channels: 3 } }).webp().toBuffer()));
  assert.ok(!isJpegOrPng(new Uint8Array([0xff, 0xd8])));
});

test('a PNG decodes to its exact pixels, and resizes as sharp does (antialiased linear) within a few levels', { skip }, async () => {
  const W = 160;
  const H = 120;
  const raw = gradient(W, H);
  const png = await sharp(raw, { raw: { width: W, height: H, channels: 3 } }).png().toBuffer();
  const full = decodeImage(png);
  assert.equal(full.width, W);
  assert.equal(full.height, H);
  assert.ok(Buffer.from(full.data).equals(raw));
  for (const size of [{ width: 96, height: 72 }, { width: 341, height: 256 }]) {
    const ours = decodeImage(png, size);
    const theirs = await sharp(png).resize(size.width, size.height, { fit: 'fill', kernel: 'linear' }).raw().toBuffer();
    assert.equal(ours.data.length, size.width * size.height * 3);
    let sum = 0;
    let max = 0;
    for (let i = 0; i < theirs.length; i++) {
      const d = Math.abs(ours.data[i]! - theirs[i]!);
      sum += d;
      max = Math.max(max, d);
    }
    // two implementations of the same filter (ATen's and libvips'): their rounding and edge handling differ
    assert.ok(sum / theirs.length < 1.5 && max <= 12, `${size.width}x${size.height}: mean |diff| ${(sum / theirs.length).toFixed(3)}, max ${max}`);
  }
});

test('a grey JPEG comes back as RGB; a corrupt one throws', { skip }, async () => {
  const grey = await sharp(Buffer.alloc(32 * 24, 90), { raw: { width: 32, height: 24, channels: 1 } }).jpeg().toBuffer();
  const img = decodeImage(grey, { width: 16, height: 12 });
  assert.equal(img.data.length, 16 * 12 * 3);
  for (const v of img.data) assert.ok(Math.abs(v - 90) <= 1, `grey level ${v}`);
  assert.throws(() => decodeImage(new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 4, 5])));
});
