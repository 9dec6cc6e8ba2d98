/**
 * Drawing predictions on frames. The boxes, labels and scores of one prediction are held on every frame
 * until the next one, so the overlay is rendered once per prediction (an SVG rasterised by sharp, whose
 * librsvg draws the text) into a sparse list of the pixels it covers, and blended into each frame in
 * JavaScript: per frame the cost is the overlay's pixels, not a full-frame composite
 * (bench/detect measures both).
 */
import sharp from 'sharp';
import type { RGBFrame, Size } from '../data/frames.js';
import type { ClassifiedBox } from './classify.js';

/** The covered pixels of a rendered overlay: pixel offsets (into [H, W]) with their RGBA. */
export interface Overlay {
  readonly pixels: Int32Array;
  readonly rgba: Uint8Array;
}

export const EMPTY_OVERLAY: Overlay = { pixels: new Int32Array(0), rgba: new Uint8Array(0) };

const PALETTE = ['#e6194b', '#3cb44b', '#ffe119', '#4363d8', '#f58231', '#911eb4', '#42d4f4', '#f032e6', '#bfef45', '#fabed4'];

function escapeXml(s: string): string {
  return s.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The labels of a box scoring at least `threshold`, best first, as `name 0.87`. */
export function labelsOf(b: ClassifiedBox, classes: readonly string[], threshold: number): { cls: number; text: string }[] {
  const out: { cls: number; score: number }[] = [];
  b.scores.forEach((s, c) => {
    if (c > 0 && s >= threshold) out.push({ cls: c, score: s });
  });
  return out.sort((a, z) => z.score - a.score).map((l) => ({ cls: l.cls, text: `${classes[l.cls] ?? `class${l.cls}`} ${l.score.toFixed(2)}` }));
}

/** The SVG of one prediction's boxes on a frame of `size`: labelled boxes in colour, others thin and grey. */
export function overlaySvg(boxes: readonly ClassifiedBox[], size: Size, classes: readonly string[], threshold: number): string {
  const { width: W, height: H } = size;
  const stroke = Math.max(2, Math.round(Math.min(W, H) / 240));
  const font = Math.max(10, Math.round(Math.min(W, H) / 36));
  const parts: string[] = [];
  for (const b of boxes) {
    const [x1, y1, x2, y2] = [b.box[0] * W, b.box[1] * H, b.box[2] * W, b.box[3] * H];
    const labels = labelsOf(b, classes, threshold);
    const colour = labels.length > 0 ? PALETTE[(labels[0]!.cls - 1) % PALETTE.length]! : '#c8c8c8';
    parts.push(`<rect x="${x1.toFixed(1)}" y="${y1.toFixed(1)}" width="${(x2 - x1).toFixed(1)}" height="${(y2 - y1).toFixed(1)}" fill="none" stroke="${colour}" stroke-width="${labels.length > 0 ? stroke : 1}"/>`);
    labels.forEach((l, i) => {
      const ty = Math.max(font, y1 - 2 - (labels.length - 1 - i) * (font + 2));
      const tw = l.text.length * font * 0.6 + 4;
      parts.push(`<rect x="${x1.toFixed(1)}" y="${(ty - font).toFixed(1)}" width="${tw.toFixed(1)}" height="${font + 2}" fill="${colour}" fill-opacity="0.75"/>`);
      parts.push(`<text x="${(x1 + 2).toFixed(1)}" y="${(ty - 1).toFixed(1)}" font-family="DejaVu Sans, sans-serif" font-size="${font}" fill="#000">${escapeXml(l.text)}</text>`);
    });
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}">${parts.join('')}</svg>`;
}

/** Rasterises an overlay SVG and keeps the pixels it covers. */
export async function renderOverlay(svg: string, size: Size): Promise<Overlay> {
  const { data } = await sharp(Buffer.from(svg), { density: 72 }).resize(size.width, size.height, { fit: 'fill' }).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  let n = 0;
  for (let p = 3; p < data.length; p += 4) if (data[p]! > 0) n++;
  const pixels = new Int32Array(n);
  const rgba = new Uint8Array(4 * n);
  let k = 0;
  for (let p = 0, i = 0; p < data.length; p += 4, i++) {
    if (data[p + 3]! === 0) continue;
    pixels[k] = i;
    rgba.set(data.subarray(p, p + 4), 4 * k);
    k++;
  }
  return { pixels, rgba };
}

/** Blends the overlay into a frame in place (source-over). */
export function blendOverlay(frame: RGBFrame, o: Overlay): void {
  const d = frame.data;
  for (let k = 0; k < o.pixels.length; k++) {
    const p = 3 * o.pixels[k]!;
    const a = o.rgba[4 * k + 3]!;
    const b = 255 - a;
    d[p] = (o.rgba[4 * k]! * a + d[p]! * b + 127) / 255;
    d[p + 1] = (o.rgba[4 * k + 1]! * a + d[p + 1]! * b + 127) / 255;
    d[p + 2] = (o.rgba[4 * k + 2]! * a + d[p + 2]! * b + 127) / 255;
  }
}
