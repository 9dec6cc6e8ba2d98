/**
 * The examples section: test keyframes where the baseline (the first run) and another run disagree,
 * drawn with the ground-truth box and each run's predicted box and top class.
 *
 * "Gets it right", per ground-truth box with at least one action: the run's predicted box that overlaps
 * it most (IoU >= 0.5, from the run's detections.csv) exists, and its top-scoring class is one of the
 * box's ground-truth labels. A case is "fixed" when the baseline gets it wrong and the other run right,
 * "broken" the reverse; the cases with the largest change in the score of a true class come first, one
 * per keyframe.
 */
import sharp from 'sharp';
import { boxIou } from '../data/box-iou.js';
import { keyframesOf, type Dataset, type DatasetVideo } from '../data/dataset.js';
import { ImageFolderSource, VideoFileSource, type FrameSource } from '../data/frames.js';
import type { NormalizedBox } from '../data/ava.js';
import { escapeHtml, type Section } from './html.js';
import { frameKey, type PredictedBox, type RunInput } from './runs.js';
import { GT_COLOUR, runColour } from './theme.js';

export const DEFAULT_EXAMPLES = 6;
/** Width of an example image in pixels: frames are upscaled (small synthetic frames) or downscaled to it. */
const IMAGE_WIDTH = 400;
const MATCH_IOU = 0.5;

export interface Outcome {
  /** Top class of the matched predicted box, or null when no predicted box overlaps enough. */
  top: string | null;
  topScore: number;
  /** Highest score the matched box gives any true class (0 without a match). */
  trueScore: number;
  right: boolean;
  box: NormalizedBox | null;
}

/** How a run did on one ground-truth box (see the module comment). */
export function outcome(gtBox: NormalizedBox, gtLabels: readonly string[], preds: readonly PredictedBox[]): Outcome {
  let best: PredictedBox | null = null;
  let bestIou = MATCH_IOU;
  for (const p of preds) {
    const iou = boxIou(gtBox, p.box);
    if (iou >= bestIou) {
      best = p;
      bestIou = iou;
    }
  }
  if (!best) return { top: null, topScore: 0, trueScore: 0, right: false, box: null };
  let top: string | null = null;
  let topScore = -Infinity;
  for (const [c, s] of best.scores) {
    if (s > topScore) {
      top = c;
      topScore = s;
    }
  }
  const trueScore = Math.max(0, ...gtLabels.map((c) => best.scores.get(c) ?? 0));
  return { top, topScore, trueScore, right: top !== null && gtLabels.includes(top), box: best.box };
}

export interface ExampleCase {
  video: DatasetVideo;
  frameNumber: number;
  gtBox: NormalizedBox;
  gtLabels: string[];
  baseline: Outcome;
  other: Outcome;
  /** Other's true-class score minus the baseline's. */
  gain: number;
}

/** The fixed and broken cases between two runs over a split, best first, at most `limit` of each. */
export function findCases(videos: readonly DatasetVideo[], classes: readonly string[], baseline: RunInput, other: RunInput, limit: number): { fixed: ExampleCase[]; broken: ExampleCase[] } {
  const fixed: ExampleCase[] = [];
  const broken: ExampleCase[] = [];
  const bBoxes = baseline.test?.boxes;
  const oBoxes = other.test?.boxes;
  if (!bBoxes || !oBoxes) return { fixed, broken };
  for (const v of videos) {
    const size = v.frameSize;
    if (!size) continue;
    for (const kf of keyframesOf(v)) {
      const key = frameKey(v.name, kf.avaTimestamp);
      for (const g of kf.gt) {
        const gtLabels = g.labels.filter((l) => l > 0).map((l) => classes[l]!);
        if (gtLabels.length === 0) continue;
        const gtBox: NormalizedBox = [g.box[0] / size.width, g.box[1] / size.height, g.box[2] / size.width, g.box[3] / size.height];
        const b = outcome(gtBox, gtLabels, bBoxes.get(key) ?? []);
        const o = outcome(gtBox, gtLabels, oBoxes.get(key) ?? []);
        const c: ExampleCase = { video: v, frameNumber: kf.frameNumber, gtBox, gtLabels, baseline: b, other: o, gain: o.trueScore - b.trueScore };
        if (!b.right && o.right) fixed.push(c);
        else if (b.right && !o.right) broken.push(c);
      }
    }
  }
  const pick = (cases: ExampleCase[], sign: number): ExampleCase[] => {
    const seen = new Set<string>();
    return cases
      .map((c, i) => ({ c, i }))
      .sort((a, z) => sign * (z.c.gain - a.c.gain) || a.i - z.i)
      .map((x) => x.c)
      .filter((c) => {
        const k = frameKey(c.video.name, c.frameNumber);
        if (seen.has(k)) return false;
        seen.add(k);
        return true;
      })
      .slice(0, limit);
  };
  return { fixed: pick(fixed, 1), broken: pick(broken, -1) };
}

/** Frame sources by folder or file (a video file is probed once). */
const sources = new Map<string, FrameSource>();

/** The frame of a keyframe through the dataset's frame source (image folder or video file). */
async function readFrame(v: DatasetVideo, frameNumber: number): Promise<{ data: Uint8Array; width: number; height: number }> {
  if (v.frames.kind === 'none') throw new Error(`video ${v.name} has no frames (examples skip such videos)`);
  const where = v.frames.kind === 'frames' ? v.frames.dir : v.frames.file;
  let src = sources.get(where);
  if (!src) {
    src = v.frames.kind === 'frames' ? ImageFolderSource.fromFolder(v.frames.dir, v.name) : new VideoFileSource(v.frames.file, v.name);
    sources.set(where, src);
  }
  // Video frames are numbered from 0; the annotations number them from firstFrameNumber.
  const index = v.frames.kind === 'video' ? frameNumber - v.firstFrameNumber : frameNumber;
  const [frame] = await src.read([index]);
  return frame!;
}

const FONT_SIZE = 13;

/** A box outline; `inset` pixels inwards, so that runs classifying the same proposal all stay visible. */
function svgRect(b: NormalizedBox, w: number, h: number, colour: string, dashed: boolean, inset = 0): string {
  const [x1, y1, x2, y2] = [b[0] * w + inset, b[1] * h + inset, b[2] * w - inset, b[3] * h - inset];
  // A dark halo under the coloured stroke keeps the box visible on light and dark backgrounds.
  return (
    `<rect x="${x1}" y="${y1}" width="${x2 - x1}" height="${y2 - y1}" fill="none" stroke="#000" stroke-opacity="0.5" stroke-width="4"/>` +
    `<rect x="${x1}" y="${y1}" width="${x2 - x1}" height="${y2 - y1}" fill="none" stroke="${colour}" stroke-width="2"${dashed ? ' stroke-dasharray="6 4"' : ''}/>`
  );
}

/** A label on a filled tag whose top-left corner is near (x, y), kept inside the image. */
function svgLabel(x: number, y: number, w: number, h: number, colour: string, text: string): string {
  const tw = text.length * FONT_SIZE * 0.62 + 8;
  const th = FONT_SIZE + 5;
  const tx = Math.min(Math.max(0, x), Math.max(0, w - tw));
  const ty = Math.min(Math.max(0, y), h - th);
  return (
    `<rect x="${tx}" y="${ty}" width="${tw}" height="${th}" rx="2" fill="${colour}" fill-opacity="0.92"/>` +
    `<text x="${tx + 4}" y="${ty + FONT_SIZE}" font-family="DejaVu Sans, sans-serif" font-size="${FONT_SIZE}" fill="${colour === GT_COLOUR ? '#111' : '#fff'}">${escapeHtml(text)}</text>`
  );
}

/** One example as a PNG: the frame, the ground-truth box (white, dashed) and each run's matched box. */
export async function drawExample(c: ExampleCase, runs: readonly { name: string; colour: string; outcome: Outcome }[]): Promise<Buffer> {
  const frame = await readFrame(c.video, c.frameNumber);
  const w = IMAGE_WIDTH;
  const h = Math.round((frame.height * w) / frame.width);
  const parts = [svgRect(c.gtBox, w, h, GT_COLOUR, true)];
  runs.forEach((r, i) => {
    if (r.outcome.box) parts.push(svgRect(r.outcome.box, w, h, r.colour, false, 3 * i));
  });
  // Labels last, so that no box crosses them: truth above the box, the runs stacked below it.
  parts.push(svgLabel(c.gtBox[0] * w, c.gtBox[1] * h - FONT_SIZE - 7, w, h, GT_COLOUR, `truth: ${c.gtLabels.join(' + ')}`));
  runs.forEach((r, i) => {
    const text = r.outcome.top ? `${r.name}: ${r.outcome.top} ${r.outcome.topScore.toFixed(2)}` : `${r.name}: missed`;
    parts.push(svgLabel(c.gtBox[0] * w, c.gtBox[3] * h + 3 + i * (FONT_SIZE + 7), w, h, r.colour, text));
  });
  const overlay = `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}">${parts.join('')}</svg>`;
  return sharp(Buffer.from(frame.data), { raw: { width: frame.width, height: frame.height, channels: 3 } })
    .resize(w, h, { kernel: 'lanczos3' })
    .composite([{ input: Buffer.from(overlay), top: 0, left: 0 }])
    // A palette PNG keeps the page small; effort 1 quantises fast (a page holds a dozen images).
    .png({ palette: true, effort: 1, compressionLevel: 6 })
    .toBuffer();
}

/** The run other runs are compared with: the best other run by test all_mAP (the "better recipe"). */
export function contender(runs: readonly RunInput[]): RunInput | null {
  const others = runs.slice(1).filter((r) => r.test?.boxes);
  if (others.length === 0) return null;
  return others.reduce((a, b) => ((b.test!.allMAP ?? -1) > (a.test!.allMAP ?? -1) ? b : a));
}

function caption(c: ExampleCase, runs: readonly { name: string; outcome: Outcome }[]): string {
  const said = runs.map((r) => {
    const verdict = r.outcome.right ? '<span class="ok">right</span>' : '<span class="wrong">wrong</span>';
    const what = r.outcome.top ? `${escapeHtml(r.outcome.top)} (${r.outcome.topScore.toFixed(2)})` : 'no box here';
    return `${escapeHtml(r.name)}: ${what} – ${verdict}`;
  });
  return `<b>${escapeHtml(c.video.name)}</b>, frame ${c.frameNumber}. Truth: ${escapeHtml(c.gtLabels.join(' + '))}.<br>${said.join('<br>')}`;
}

async function gallery(cases: readonly ExampleCase[], pair: readonly RunInput[], colours: readonly string[]): Promise<string> {
  const figs: string[] = [];
  for (const c of cases) {
    const runs = pair.map((r, i) => ({ name: r.name, colour: colours[i]!, outcome: i === 0 ? c.baseline : c.other }));
    const png = await drawExample(c, runs);
    figs.push(`<figure class="example"><img alt="${escapeHtml(`${c.video.name} frame ${c.frameNumber}`)}" src="data:image/png;base64,${png.toString('base64')}"><figcaption>${caption(c, runs)}</figcaption></figure>`);
  }
  return `<div class="examples">${figs.join('\n')}</div>`;
}

export async function examplesSection(runs: readonly RunInput[], ds: Dataset | null, limit = DEFAULT_EXAMPLES): Promise<Section> {
  const base = { id: 'examples', title: 'Examples', intro: 'Test frames where the models disagree: the dashed white box is the truth, each coloured box what a model saw there and the action it named, with its confidence.' };
  const other = contender(runs);
  const baseline = runs[0]!;
  const split = baseline.config.data.testSplit;
  // Only videos whose frames can be read and whose boxes can be placed on them.
  const videos = (ds?.splits[split] ?? []).filter((v) => v.frames.kind !== 'none' && v.frameSize !== null);
  if (!ds) return { ...base, html: '<p class="note">No dataset given (--data) or found: examples need its frames.</p>' };
  if (!baseline.test?.boxes || !other) return { ...base, html: '<p class="note">Examples need two tested runs with detections.csv and label_map.pbtxt (written by stad test).</p>' };
  if (videos.length === 0) return { ...base, html: `<p class="note">No video of the dataset's split ${escapeHtml(JSON.stringify(split))} has frames or a video file to draw on.</p>` };
  const { fixed, broken } = findCases(videos, ds.classes, baseline, other, limit);
  const pair = [baseline, other];
  const colours = pair.map((r) => runColour(runs.indexOf(r)));
  const html = [
    `<h3>What ${escapeHtml(other.name)} gets right and ${escapeHtml(baseline.name)} gets wrong</h3>`,
    '<p class="explain">A model gets a person right when its box on that person names one of the true actions as its most likely one.</p>',
    fixed.length > 0 ? await gallery(fixed, pair, colours) : '<p class="note">No such case.</p>',
    `<h3>And the reverse: what ${escapeHtml(baseline.name)} gets right and ${escapeHtml(other.name)} gets wrong</h3>`,
    broken.length > 0 ? await gallery(broken, pair, colours) : '<p class="note">No such case.</p>',
  ];
  return { ...base, html: html.join('\n') };
}
