/**
 * Rendering the frames of a sequence: the static background, the figures far to near, then sensor
 * noise and a slight brightness flicker. Any frame can be rendered on its own.
 */
import { Rng } from './prng.js';
import { drawBackground, drawCapsule, newImage, SensorNoise, type Image } from './raster.js';
import type { SequenceScene } from './scene.js';
import { figuresAt } from './scene.js';

export interface RenderOptions {
  /** Add per-frame sensor noise and flicker (default true; tests switch it off to compare pixels). */
  noise?: boolean;
  /** Draw the figures (default true). */
  figures?: boolean;
}

export class SequenceRenderer {
  private readonly background: Image;
  private readonly noise: SensorNoise;

  constructor(private readonly scene: SequenceScene) {
    const { width, height } = scene.geometry;
    this.background = drawBackground(width, height, scene.horizon, new Rng(scene.seed, 'background', scene.name));
    this.noise = new SensorNoise(scene.noiseSigma, new Rng(scene.seed, 'noise-table', scene.name));
  }

  /** The RGB pixels of frame `frame` (0-based), a fresh buffer. */
  render(frame: number, opts: RenderOptions = {}): Image {
    const { width, height } = this.scene.geometry;
    const img = newImage(width, height);
    img.data.set(this.background.data);
    if (opts.figures !== false) {
      for (const fig of figuresAt(this.scene, frame)) for (const c of fig.capsules) drawCapsule(img, c);
    }
    if (opts.noise !== false) {
      const rng = new Rng(this.scene.seed, 'frame', this.scene.name, frame);
      this.noise.apply(img, rng, Math.round(rng.normal() * 1.5));
    }
    return img;
  }
}
