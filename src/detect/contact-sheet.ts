/**
 * A contact sheet: a few annotated frames spread over the video, as thumbnails on one PNG, each captioned
 * with its frame number and time, to see at a glance what `stad detect` found.
 */
import sharp from 'sharp';
import type { RGBFrame } from '../data/frames.js';

export const CONTACT_SHEET_FRAMES = 12;
const THUMB_WIDTH = 320;
const COLUMNS = 4;
const CAPTION = 18;

export interface Thumbnail {
  caption: string;
  png: Buffer;
  width: number;
  height: number;
}

/** Which of `n` predictions go on the sheet: up to CONTACT_SHEET_FRAMES, evenly spread, first and last included. */
export function sheetPicks(n: number, max = CONTACT_SHEET_FRAMES): Set<number> {
  if (n <= max) return new Set(Array.from({ length: n }, (_, i) => i));
  return new Set(Array.from({ length: max }, (_, i) => Math.round((i * (n - 1)) / (max - 1))));
}

/** A thumbnail of an annotated frame (encoded at once: a sheet of a long video holds only a dozen). */
export async function thumbnail(frame: RGBFrame, caption: string): Promise<Thumbnail> {
  const width = Math.min(THUMB_WIDTH, frame.width);
  const height = Math.max(1, Math.round((frame.height * width) / frame.width));
  const png = await sharp(frame.data, { raw: { width: frame.width, height: frame.height, channels: 3 } }).resize(width, height).png().toBuffer();
  return { caption, png, width, height };
}

function escapeXml(s: string): string {
  return s.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The sheet as PNG bytes: thumbnails in rows of COLUMNS, captions above each. */
export async function contactSheet(thumbs: readonly Thumbnail[], title: string): Promise<Buffer> {
  const cellW = Math.max(1, ...thumbs.map((t) => t.width));
  const cellH = Math.max(1, ...thumbs.map((t) => t.height)) + CAPTION;
  const cols = Math.max(1, Math.min(COLUMNS, thumbs.length));
  const rows = Math.max(1, Math.ceil(thumbs.length / cols));
  const gap = 4;
  const top = 24;
  const W = cols * cellW + (cols + 1) * gap;
  const H = top + rows * cellH + (rows + 1) * gap;
  const texts: string[] = [`<text x="${gap}" y="17" font-family="DejaVu Sans, sans-serif" font-size="14" fill="#fff">${escapeXml(title)}</text>`];
  const layers: sharp.OverlayOptions[] = [];
  thumbs.forEach((t, i) => {
    const x = gap + (i % cols) * (cellW + gap);
    const y = top + gap + Math.floor(i / cols) * (cellH + gap);
    texts.push(`<text x="${x}" y="${y + 13}" font-family="DejaVu Sans, sans-serif" font-size="12" fill="#ddd">${escapeXml(t.caption)}</text>`);
    layers.push({ input: t.png, left: x, top: y + CAPTION });
  });
  layers.unshift({ input: Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}">${texts.join('')}</svg>`), left: 0, top: 0 });
  return sharp({ create: { width: W, height: H, channels: 3, background: '#202020' } }).composite(layers).png().toBuffer();
}
