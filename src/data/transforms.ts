/**
 * Clip transforms that move boxes with the pixels, as mmaction2's AVA pipeline: training uses a random
 * rescale of the short side, a random crop (box-aware: it retries to keep the people in view), a
 * horizontal flip and optional colour jitter; testing only resizes the short side. Geometry is planned
 * first (`planTrain`/`planTest`), so that frames can be decoded straight at the rescaled size, then one
 * pass (`renderClip`) crops, flips, jitters and normalises into the network's [3, T, H, W] float32
 * layout. Boxes are [x1, y1, x2, y2] in pixels.
 */
import type { RGBFrame, Size } from './frames.js';
import type { Rng } from './rng.js';

export type Box = [number, number, number, number];

export interface GeometryPlan {
  /** Size the frames are decoded (resized) to. */
  resize: Size;
  /** Crop window in resized pixels. */
  crop: { x: number; y: number; width: number; height: number };
  flip: boolean;
  /** Colour jitter factors (1 = unchanged). */
  jitter: { brightness: number; contrast: number; saturation: number };
}

export interface TrainAugmentation {
  /** Random short side in [min, max] (mmaction2 AVA: 256-320). */
  shortSideRange: [number, number];
  /** Square crop side (mmaction2 AVA: 256); clamped to the image. */
  cropSize: number;
  flipRatio: number;
  /** Max relative change of brightness/contrast/saturation; 0 disables jitter. */
  colorJitter: number;
  /** A crop keeps at least this fraction of every box's area, if one of `cropTries` random crops does. */
  minBoxVisible: number;
  cropTries: number;
}

export const DEFAULT_TRAIN_AUGMENTATION: TrainAugmentation = {
  shortSideRange: [256, 320],
  cropSize: 256,
  flipRatio: 0.5,
  colorJitter: 0,
  minBoxVisible: 0.5,
  cropTries: 10,
};

/** Size with the short side scaled to `shortSide`, aspect kept (rounded as mmcv's rescale_size). */
export function rescaleShortSide(src: Size, shortSide: number): Size {
  const scale = shortSide / Math.min(src.width, src.height);
  return { width: Math.max(1, Math.round(src.width * scale)), height: Math.max(1, Math.round(src.height * scale)) };
}

const noJitter = { brightness: 1, contrast: 1, saturation: 1 };

/** Test-time geometry: resize the short side, no crop, no flip. */
export function planTest(src: Size, shortSide: number): GeometryPlan {
  const resize = rescaleShortSide(src, shortSide);
  return { resize, crop: { x: 0, y: 0, width: resize.width, height: resize.height }, flip: false, jitter: noJitter };
}

/** Training geometry, random but reproducible from `rng`. `boxes` are in source pixels. */
export function planTrain(src: Size, boxes: readonly Box[], aug: TrainAugmentation, rng: Rng): GeometryPlan {
  const shortSide = rng.int(Math.round(aug.shortSideRange[0]), Math.round(aug.shortSideRange[1]));
  const resize = rescaleShortSide(src, shortSide);
  const cw = Math.min(aug.cropSize, resize.width);
  const ch = Math.min(aug.cropSize, resize.height);
  const sx = resize.width / src.width;
  const sy = resize.height / src.height;
  const scaled = boxes.map((b) => [b[0] * sx, b[1] * sy, b[2] * sx, b[3] * sy] as Box);
  let crop = { x: 0, y: 0, width: cw, height: ch };
  for (let t = 0; t < Math.max(1, aug.cropTries); t++) {
    crop = { x: rng.int(0, resize.width - cw), y: rng.int(0, resize.height - ch), width: cw, height: ch };
    if (scaled.every((b) => visibleFraction(b, crop) >= aug.minBoxVisible)) break;
  }
  const flip = rng.chance(aug.flipRatio);
  const j = aug.colorJitter;
  const jitter = j > 0 ? { brightness: rng.uniform(1 - j, 1 + j), contrast: rng.uniform(1 - j, 1 + j), saturation: rng.uniform(1 - j, 1 + j) } : noJitter;
  return { resize, crop, flip, jitter };
}

function visibleFraction(b: Box, c: { x: number; y: number; width: number; height: number }): number {
  const area = Math.max(0, b[2] - b[0]) * Math.max(0, b[3] - b[1]);
  if (area <= 0) return 1;
  const w = Math.max(0, Math.min(b[2], c.x + c.width) - Math.max(b[0], c.x));
  const h = Math.max(0, Math.min(b[3], c.y + c.height) - Math.max(b[1], c.y));
  return (w * h) / area;
}

/**
 * Maps boxes from source pixels through the plan into output pixels (clipped to the crop). A box that
 * ends up with no area is returned as null: it is outside the view and the caller drops it.
 */
export function transformBoxes(boxes: readonly Box[], src: Size, plan: GeometryPlan): (Box | null)[] {
  const sx = plan.resize.width / src.width;
  const sy = plan.resize.height / src.height;
  const { x, y, width: cw, height: ch } = plan.crop;
  return boxes.map((b) => {
    let x1 = Math.min(cw, Math.max(0, b[0] * sx - x));
    let x2 = Math.min(cw, Math.max(0, b[2] * sx - x));
    const y1 = Math.min(ch, Math.max(0, b[1] * sy - y));
    const y2 = Math.min(ch, Math.max(0, b[3] * sy - y));
    if (plan.flip) [x1, x2] = [cw - x2, cw - x1];
    return x2 - x1 > 0 && y2 - y1 > 0 ? ([x1, y1, x2, y2] as Box) : null;
  });
}

/**
 * The reverse of `transformBoxes`: boxes in output (clip) pixels back to source pixels, to report a
 * prediction on the original frame. Not clipped: the caller clips to the frame it reports in.
 */
export function untransformBoxes(boxes: readonly Box[], src: Size, plan: GeometryPlan): Box[] {
  const sx = plan.resize.width / src.width;
  const sy = plan.resize.height / src.height;
  const { x, y, width: cw } = plan.crop;
  return boxes.map((b) => {
    const [x1, x2] = plan.flip ? [cw - b[2], cw - b[0]] : [b[0], b[2]];
    return [(x1 + x) / sx, (b[1] + y) / sy, (x2 + x) / sx, (b[3] + y) / sy];
  });
}

export interface Normalization {
  mean: [number, number, number];
  std: [number, number, number];
}

/** ImageNet statistics in 0-255 RGB, as mmaction2's AVA configs. */
export const IMAGENET_NORMALIZATION: Normalization = { mean: [123.675, 116.28, 103.53], std: [58.395, 57.12, 57.375] };

/**
 * Where a clip is rendered: into `data` from element `offset`, as one [3, T, height, width] block whose
 * planes may be larger than the crop (a batch padded to its largest clip): the crop fills the top-left
 * corner and the rest is left as it is (the caller zeroes it).
 */
export interface ClipDestination {
  data: Float32Array;
  offset: number;
  height: number;
  width: number;
}

/**
 * Crops, flips, colour-jitters and normalises decoded frames (already at plan.resize) into a new
 * Float32Array laid out [3, T, H, W] (channel-major, as the network's [N, C, T, H, W] input).
 */
export function renderClip(frames: readonly RGBFrame[], plan: GeometryPlan, norm: Normalization = IMAGENET_NORMALIZATION): Float32Array {
  const { width, height } = plan.crop;
  const data = new Float32Array(3 * frames.length * height * width);
  renderClipInto(frames, plan, norm, { data, offset: 0, height, width });
  return data;
}

/**
 * renderClip straight into a destination (a batch buffer shared with the loader's main thread), so that
 * a clip is written once, where the model's input tensor is copied from.
 */
export function renderClipInto(frames: readonly RGBFrame[], plan: GeometryPlan, norm: Normalization, dst: ClipDestination): void {
  const T = frames.length;
  const { x: cx, y: cy, width: W, height: H } = plan.crop;
  if (H > dst.height || W > dst.width) throw new RangeError(`crop ${W}x${H} does not fit the destination's ${dst.width}x${dst.height}`);
  const out = dst.data;
  const DW = dst.width;
  const frameStride = dst.height * DW;
  const plane = T * frameStride;
  if (dst.offset < 0 || dst.offset + 3 * plane > out.length) throw new RangeError(`destination of ${out.length} elements has no room for a clip at ${dst.offset}`);
  const { brightness, contrast, saturation } = plan.jitter;
  const jitter = brightness !== 1 || contrast !== 1 || saturation !== 1;
  const [m0, m1, m2] = norm.mean;
  const [i0, i1, i2] = norm.std.map((s) => 1 / s) as [number, number, number];
  for (let t = 0; t < T; t++) {
    const f = frames[t]!;
    if (f.width !== plan.resize.width || f.height !== plan.resize.height) {
      throw new RangeError(`frame ${t} is ${f.width}x${f.height}, expected ${plan.resize.width}x${plan.resize.height}`);
    }
    const px = f.data;
    // Mean grey level of the crop, the pivot of the contrast change (as torchvision's adjust_contrast).
    let meanGrey = 0;
    if (jitter && contrast !== 1) {
      for (let yy = 0; yy < H; yy++) {
        const row = ((cy + yy) * f.width + cx) * 3;
        for (let xx = 0; xx < W; xx++) {
          const p = row + xx * 3;
          meanGrey += 0.299 * px[p]! + 0.587 * px[p + 1]! + 0.114 * px[p + 2]!;
        }
      }
      meanGrey /= H * W;
    }
    for (let yy = 0; yy < H; yy++) {
      const row = ((cy + yy) * f.width + cx) * 3;
      const o = dst.offset + t * frameStride + yy * DW;
      if (!jitter) {
        // The common case (no jitter) without the per-pixel branches: a flip only changes the direction.
        const step = plan.flip ? -1 : 1;
        let ox = o + (plan.flip ? W - 1 : 0);
        for (let p = row, end = row + 3 * W; p < end; p += 3, ox += step) {
          out[ox] = (px[p]! - m0) * i0;
          out[plane + ox] = (px[p + 1]! - m1) * i1;
          out[2 * plane + ox] = (px[p + 2]! - m2) * i2;
        }
        continue;
      }
      for (let xx = 0; xx < W; xx++) {
        const p = row + xx * 3;
        let r = px[p]! * brightness;
        let g = px[p + 1]! * brightness;
        let b = px[p + 2]! * brightness;
        if (saturation !== 1) {
          const grey = 0.299 * r + 0.587 * g + 0.114 * b;
          r = grey + saturation * (r - grey);
          g = grey + saturation * (g - grey);
          b = grey + saturation * (b - grey);
        }
        if (contrast !== 1) {
          const pivot = meanGrey * brightness;
          r = pivot + contrast * (r - pivot);
          g = pivot + contrast * (g - pivot);
          b = pivot + contrast * (b - pivot);
        }
        r = Math.min(255, Math.max(0, r));
        g = Math.min(255, Math.max(0, g));
        b = Math.min(255, Math.max(0, b));
        const ox = o + (plan.flip ? W - 1 - xx : xx);
        out[ox] = (r - m0) * i0;
        out[plane + ox] = (g - m1) * i1;
        out[2 * plane + ox] = (b - m2) * i2;
      }
    }
  }
}
