/**
 * A tiny rasteriser into raw RGB buffers: anti-aliased filled capsules (thick limbs, round heads), a
 * smooth random background texture, and per-frame sensor noise. Drawing ourselves keeps the generator
 * dependency-free and fast: sharp/libvips draws no thick anti-aliased segments into raw memory, and a
 * canvas library would be a native dependency for what is thirty lines here.
 *
 * Buffers are `Uint8ClampedArray`s (RGB, row-major), so that arithmetic saturates at 0 and 255 for free.
 */
import type { Capsule, Rgb } from './figure.js';
import type { Rng } from '../rng.js';

export interface Image {
  width: number;
  height: number;
  data: Uint8ClampedArray;
}

export function newImage(width: number, height: number): Image {
  return { width, height, data: new Uint8ClampedArray(width * height * 3) };
}

/** The pixel rectangle a capsule may touch (its edge included), and its axis. */
function capsuleSpan(c: Capsule, width: number, height: number) {
  const pad = c.r + 1;
  const dx = c.x1 - c.x0;
  const dy = c.y1 - c.y0;
  return {
    xa: Math.max(0, Math.floor(Math.min(c.x0, c.x1) - pad)),
    xb: Math.min(width - 1, Math.ceil(Math.max(c.x0, c.x1) + pad)),
    ya: Math.max(0, Math.floor(Math.min(c.y0, c.y1) - pad)),
    yb: Math.min(height - 1, Math.ceil(Math.max(c.y0, c.y1) + pad)),
    dx,
    dy,
    len2: dx * dx + dy * dy,
  };
}

/** Draws a filled capsule with a one-pixel anti-aliased edge (coverage from the distance to the axis). */
export function drawCapsule(img: Image, c: Capsule): void {
  const { width, height, data } = img;
  const { xa, xb, ya, yb, dx, dy, len2 } = capsuleSpan(c, width, height);
  const [cr, cg, cb] = c.color;
  for (let y = ya; y <= yb; y++) {
    const py = y + 0.5;
    for (let x = xa; x <= xb; x++) {
      const px = x + 0.5;
      let t = len2 > 0 ? ((px - c.x0) * dx + (py - c.y0) * dy) / len2 : 0;
      t = t < 0 ? 0 : t > 1 ? 1 : t;
      const ex = px - (c.x0 + t * dx);
      const ey = py - (c.y0 + t * dy);
      const dist = Math.sqrt(ex * ex + ey * ey);
      const cov = c.r + 0.5 - dist;
      if (cov <= 0) continue;
      const i = (y * width + x) * 3;
      if (cov >= 1) {
        data[i] = cr;
        data[i + 1] = cg;
        data[i + 2] = cb;
      } else {
        data[i] = data[i]! + (cr - data[i]!) * cov;
        data[i + 1] = data[i + 1]! + (cg - data[i + 1]!) * cov;
        data[i + 2] = data[i + 2]! + (cb - data[i + 2]!) * cov;
      }
    }
  }
}

/** Smooth value noise in [-1, 1]: a random lattice every `cell` pixels, cosine-interpolated. */
function valueNoise(width: number, height: number, cell: number, rng: Rng): Float32Array {
  const gw = Math.ceil(width / cell) + 2;
  const gh = Math.ceil(height / cell) + 2;
  const grid = new Float32Array(gw * gh);
  for (let i = 0; i < grid.length; i++) grid[i] = rng.uniform(-1, 1);
  const out = new Float32Array(width * height);
  const s = (t: number): number => (1 - Math.cos(Math.PI * t)) / 2;
  for (let y = 0; y < height; y++) {
    const gy = y / cell;
    const iy = Math.floor(gy);
    const fy = s(gy - iy);
    for (let x = 0; x < width; x++) {
      const gx = x / cell;
      const ix = Math.floor(gx);
      const fx = s(gx - ix);
      const a = grid[iy * gw + ix]!;
      const b = grid[iy * gw + ix + 1]!;
      const c = grid[(iy + 1) * gw + ix]!;
      const d = grid[(iy + 1) * gw + ix + 1]!;
      out[y * width + x] = (a + (b - a) * fx) * (1 - fy) + (c + (d - c) * fx) * fy;
    }
  }
  return out;
}

function randomColor(rng: Rng, lo: number, hi: number): Rgb {
  return [rng.int(lo, hi), rng.int(lo, hi), rng.int(lo, hi)];
}

/**
 * A static scene: a wall above a horizon and a floor below it, each a random colour modulated by
 * multi-octave value noise, plus a few soft-edged blocks (doors, crates, bushes) as clutter.
 * `horizon` is in pixels.
 */
export function drawBackground(width: number, height: number, horizon: number, rng: Rng): Image {
  const img = newImage(width, height);
  const wall = randomColor(rng, 70, 200);
  const floor = randomColor(rng, 60, 170);
  const scale = Math.max(width, height);
  const octaves = [
    { n: valueNoise(width, height, Math.max(4, scale / 3), rng), a: rng.uniform(14, 30) },
    { n: valueNoise(width, height, Math.max(3, scale / 10), rng), a: rng.uniform(8, 18) },
    { n: valueNoise(width, height, Math.max(2, scale / 32), rng), a: rng.uniform(4, 10) },
  ];
  const tint = [rng.uniform(0.8, 1.2), rng.uniform(0.8, 1.2), rng.uniform(0.8, 1.2)];
  const d = img.data;
  for (let y = 0; y < height; y++) {
    const base = y < horizon ? wall : floor;
    // Floors darken slightly towards the camera, walls towards the top: a cheap sense of depth.
    const shade = y < horizon ? 0.9 + 0.1 * (y / Math.max(1, horizon)) : 1 - 0.15 * ((y - horizon) / Math.max(1, height - horizon));
    for (let x = 0; x < width; x++) {
      const p = y * width + x;
      let v = 0;
      for (const o of octaves) v += o.n[p]! * o.a;
      const i = p * 3;
      d[i] = base[0] * shade + v * tint[0]!;
      d[i + 1] = base[1] * shade + v * tint[1]!;
      d[i + 2] = base[2] * shade + v * tint[2]!;
    }
  }
  // A soft horizon line (skirting board).
  const skirt = randomColor(rng, 30, 120);
  for (let x = 0; x < width; x++) {
    for (let dy = -1; dy <= 0; dy++) {
      const y = Math.round(horizon) + dy;
      if (y < 0 || y >= height) continue;
      const i = (y * width + x) * 3;
      d[i] = (d[i]! + skirt[0]) / 2;
      d[i + 1] = (d[i + 1]! + skirt[1]) / 2;
      d[i + 2] = (d[i + 2]! + skirt[2]) / 2;
    }
  }
  const blocks = rng.int(2, 5);
  for (let b = 0; b < blocks; b++) {
    const w = rng.uniform(0.06, 0.2) * width;
    const h = rng.uniform(0.1, 0.35) * height;
    const x0 = rng.uniform(-0.05, 1) * width;
    const y1 = horizon + rng.uniform(-0.05, 0.02) * height;
    const col = randomColor(rng, 40, 220);
    const alpha = rng.uniform(0.35, 0.7);
    for (let y = Math.max(0, Math.floor(y1 - h)); y < Math.min(height, Math.ceil(y1)); y++) {
      for (let x = Math.max(0, Math.floor(x0)); x < Math.min(width, Math.ceil(x0 + w)); x++) {
        const i = (y * width + x) * 3;
        d[i] = d[i]! + (col[0] - d[i]!) * alpha;
        d[i + 1] = d[i + 1]! + (col[1] - d[i + 1]!) * alpha;
        d[i + 2] = d[i + 2]! + (col[2] - d[i + 2]!) * alpha;
      }
    }
  }
  return img;
}

/**
 * Sensor noise: a table of Gaussian values (times `sigma`) read from a random offset per frame. Drawing
 * fresh Gaussians for every pixel of every frame would cost more than everything else together; a
 * table larger than a frame, read sequentially from a random start (cache-friendly), gives noise that
 * differs from frame to frame and stays deterministic.
 */
export class SensorNoise {
  private readonly table: Int8Array;
  private readonly mask: number;

  constructor(sigma: number, rng: Rng, log2Size = 17) {
    this.table = new Int8Array(1 << log2Size);
    this.mask = (1 << log2Size) - 1;
    for (let i = 0; i < this.table.length; i++) this.table[i] = Math.max(-127, Math.min(127, Math.round(rng.normal() * sigma)));
  }

  /**
   * Adds noise (and a brightness offset) to the pixels of `img` in the rectangle [x0, x1) x [y0, y1)
   * whose entry in `mask` (one byte per pixel) is 0, and marks them, so that overlapping rectangles get
   * noise once.
   */
  applyRect(img: Image, mask: Uint8Array, x0: number, y0: number, x1: number, y1: number, rng: Rng, brightness = 0): void {
    const d = img.data;
    const t = this.table;
    const m = this.mask;
    let off = rng.nextU32() & m;
    for (let y = y0; y < y1; y++) {
      for (let x = x0; x < x1; x++) {
        const p = y * img.width + x;
        if (mask[p]) continue;
        mask[p] = 1;
        const i = p * 3;
        for (let c = 0; c < 3; c++) {
          const v = d[i + c]! + t[off]! + brightness;
          d[i + c] = v < 0 ? 0 : v > 255 ? 255 : v;
          off = (off + 1) & m;
        }
      }
    }
  }

  /** Adds noise (and a global brightness offset) to `img` in place. */
  apply(img: Image, rng: Rng, brightness = 0): void {
    const d = img.data;
    const t = this.table;
    const m = this.mask;
    const off = rng.nextU32() & m;
    const n = d.length;
    for (let i = 0; i < n; i++) {
      const v = d[i]! + t[(off + i) & m]! + brightness;
      d[i] = v < 0 ? 0 : v > 255 ? 255 : v;
    }
  }
}

/**
 * The bounds [x0, y0, x1, y1) of the pixels inside a width x height frame that a set of capsules
 * covers (coverage > 0, as `drawCapsule` computes it); undefined when none is in the frame. Used for
 * the boxes of people who are partly out of the frame, where the box must hug what is visible.
 */
export function coveredBounds(caps: readonly Capsule[], width: number, height: number): [number, number, number, number] | undefined {
  let bx0 = Infinity;
  let by0 = Infinity;
  let bx1 = -Infinity;
  let by1 = -Infinity;
  for (const c of caps) {
    const { xa, xb, ya, yb, dx, dy, len2 } = capsuleSpan(c, width, height);
    for (let y = ya; y <= yb; y++) {
      for (let x = xa; x <= xb; x++) {
        let t = len2 > 0 ? ((x + 0.5 - c.x0) * dx + (y + 0.5 - c.y0) * dy) / len2 : 0;
        t = t < 0 ? 0 : t > 1 ? 1 : t;
        if (Math.hypot(x + 0.5 - (c.x0 + t * dx), y + 0.5 - (c.y0 + t * dy)) < c.r + 0.5) {
          if (x < bx0) bx0 = x;
          if (y < by0) by0 = y;
          if (x + 1 > bx1) bx1 = x + 1;
          if (y + 1 > by1) by1 = y + 1;
        }
      }
    }
  }
  return bx1 > bx0 ? [bx0, by0, bx1, by1] : undefined;
}
