/**
 * Where `stad detect` gets the people to classify: a boxes file (its keyframes are the prediction
 * points) or a person detector run on the frame of each prediction point (every `predictEvery` frames).
 */
import type { RGBFrame, Size } from '../data/frames.js';
import type { Box } from '../data/transforms.js';
import type { PersonDetector } from '../proposals/person-detector.js';
import type { BoxesFile, KeyframeBoxes } from './boxes-file.js';

export type PersonBoxes = { kind: 'file'; file: BoxesFile } | { kind: 'detector'; detector: PersonDetector };

export interface PointBoxes {
  boxes: Box[];
  scores: number[];
  /** The AVA timestamp to write the point's rows with. */
  timestamp: number;
}

/** Seconds of a frame, rounded to the microsecond (the AVA timestamp when no boxes file gives one). */
export function frameTime(frame: number, fps: number): number {
  return Math.round((frame / fps) * 1e6) / 1e6;
}

/**
 * The prediction points of a video of `numFrames` frames (null: a stream, unbounded): the boxes file's
 * keyframes, else 0, N, 2N, ... (as mmaction2's demo predicts every 8 frames).
 */
export class PredictionPoints {
  private readonly byFrame: Map<number, KeyframeBoxes> | null;
  private readonly list: number[] | null;

  constructor(
    private readonly source: PersonBoxes,
    private readonly every: number,
    private readonly numFrames: number | null,
  ) {
    this.list = source.kind === 'file' ? source.file.keyframes.map((k) => k.frame) : null;
    this.byFrame = source.kind === 'file' ? new Map(source.file.keyframes.map((k) => [k.frame, k])) : null;
  }

  /** The number of points, or null for a stream without a boxes file. */
  get count(): number | null {
    if (this.list) return this.list.length;
    return this.numFrames === null ? null : Math.ceil(this.numFrames / this.every);
  }

  /** The i-th point's frame, or null when there are no more. */
  at(i: number): number | null {
    if (this.list) return this.list[i] ?? null;
    const f = i * this.every;
    return this.numFrames !== null && f >= this.numFrames ? null : f;
  }

  /** The index of the last point at or before `frame` (-1 when none): where a stream that fell behind resumes. */
  lastAtOrBefore(frame: number): number {
    if (!this.list) return Math.floor(frame / this.every);
    let lo = 0;
    let hi = this.list.length - 1;
    let best = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.list[mid]! <= frame) {
        best = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return best;
  }

  /** The boxes at point `frame` (whose full-size frame is `full`), in source pixels. */
  async boxesAt(frame: number, full: RGBFrame | null, size: Size, fps: number): Promise<PointBoxes> {
    if (this.source.kind === 'file') {
      const k = this.byFrame!.get(frame)!;
      return { boxes: k.boxes, scores: k.scores, timestamp: k.timestamp };
    }
    if (!full) throw new Error('the person detector needs the full-size frame');
    const [found] = await this.source.detector.detect([{ data: full.data, width: full.width, height: full.height }]);
    const people = found ?? [];
    return {
      boxes: people.map((p) => [p.x1 * size.width, p.y1 * size.height, p.x2 * size.width, p.y2 * size.height] as Box),
      scores: people.map((p) => p.score),
      timestamp: frameTime(frame, fps),
    };
  }
}
