/**
 * Rendering the frames of a sequence: the static background, the figures far to near, then sensor
 * noise and a slight brightness flicker. Any frame can be rendered on its own.
 */
import { Rng } from '../rng.js';
import { drawBackground, drawCapsule, newImage, SensorNoise, type Image } from './raster.js';
import type { SequenceScene } from './scene.js';
import { figuresAt } from './scene.js';

export interface RenderOptions {
  /** Add per-frame sensor noise and flicker (default true; tests switch it off to compare pixels). */
  noise?: boolean;
  /** Draw the figures (default true). */
  figures?: boolean;
}

/** Noisy copies of the background, reused at random across frames (see `SequenceRenderer`). */
const BACKGROUND_VARIANTS = 24;

/**
 * Sensor noise is the costliest part of a frame when drawn over every pixel, so the renderer keeps a
 * few dozen noisy copies of the static background (each with its own noise and brightness), starts
 * each frame from one picked at random, and draws fresh noise only where the figures are: around each
 * figure the clean background is restored, the figure drawn, and noise of the same strength and the
 * same brightness added, so that the noise level says nothing about where people are.
 */
export class SequenceRenderer {
  private readonly background: Image;
  private readonly noise: SensorNoise;
  private readonly variants: { img: Image; brightness: number }[] = [];
  private readonly mask: Uint8Array;

  constructor(private readonly scene: SequenceScene) {
    const { width, height } = scene.geometry;
    this.background = drawBackground(width, height, scene.horizon, new Rng(scene.seed, 'background', scene.name));
    this.noise = new SensorNoise(scene.noiseSigma, new Rng(scene.seed, 'noise-table', scene.name));
    this.mask = new Uint8Array(width * height);
  }

  private variant(i: number): { img: Image; brightness: number } {
    for (let k = this.variants.length; k <= i; k++) {
      const { width, height } = this.scene.geometry;
      const rng = new Rng(this.scene.seed, 'background-variant', this.scene.name, k);
      const img = newImage(width, height);
      img.data.set(this.background.data);
      const brightness = Math.round(rng.normal() * 1.5);
      this.noise.apply(img, rng, brightness);
      this.variants.push({ img, brightness });
    }
    return this.variants[i]!;
  }

  /** The RGB pixels of frame `frame` (0-based), a fresh buffer. */
  render(frame: number, opts: RenderOptions = {}): Image {
    const { width, height } = this.scene.geometry;
    const noisy = opts.noise !== false;
    const rng = new Rng(this.scene.seed, 'frame', this.scene.name, frame);
    const v = noisy ? this.variant(rng.int(0, BACKGROUND_VARIANTS - 1)) : undefined;
    const img = newImage(width, height);
    img.data.set((v?.img ?? this.background).data);
    if (opts.figures === false) return img;
    const figs = figuresAt(this.scene, frame);
    // Rectangles around the figures (with a margin for anti-aliased edges), clipped to the frame.
    const rects: [number, number, number, number][] = [];
    for (const f of figs) {
      const x0 = Math.max(0, Math.floor(f.box.x0) - 2);
      const y0 = Math.max(0, Math.floor(f.box.y0) - 2);
      const x1 = Math.min(width, Math.ceil(f.box.x1) + 2);
      const y1 = Math.min(height, Math.ceil(f.box.y1) + 2);
      if (x1 > x0 && y1 > y0) rects.push([x0, y0, x1, y1]);
    }
    if (v) {
      const bg = this.background.data;
      for (const [x0, y0, x1, y1] of rects) {
        for (let y = y0; y < y1; y++) img.data.set(bg.subarray((y * width + x0) * 3, (y * width + x1) * 3), (y * width + x0) * 3);
      }
    }
    for (const f of figs) for (const c of f.capsules) drawCapsule(img, c);
    if (v) {
      this.mask.fill(0);
      for (const [x0, y0, x1, y1] of rects) this.noise.applyRect(img, this.mask, x0, y0, x1, y1, rng, v.brightness);
    }
    return img;
  }
}
