/**
 * The files `stad proposals` writes for one video, in the forms stad already reads:
 * - `<video>_proposal.json`: a VIA3 image project as the reference dataset and `stad synth` have them
 *   (one file per processed frame, `<video>_<frame:05d>.jpg`; each box `[2, x, y, w, h]` in pixels with
 *   av {"1": "0", "2": "<score>"}: VIA3 has no score field, so the score is the TEXT attribute "2");
 * - `<video>_proposals.csv`: AVA proposals `video_id,timestamp,x1,y1,x2,y2,,score`, coordinates
 *   normalised, the timestamp the frame number (as `stad convert` writes image projects).
 */
import { formatAvaDetections, type AvaDetectionRow } from '../data/ava.js';
import { Rng } from '../data/rng.js';
import { PERSON_ATTRIBUTE, SCORE_ATTRIBUTE } from '../data/synth/generate.js';
import { buildImageProject, serialiseProject } from '../data/synth/via3-writer.js';
import type { PersonBox } from './person-detector.js';

export interface FrameProposals {
  /** The frame number (from the frame's file name; for a video, 1 + the 0-based frame index). */
  readonly frame: number;
  /** The file name the VIA3 project gives the frame. */
  readonly fname: string;
  readonly boxes: readonly PersonBox[];
}

/** Fixed, so that the same input gives byte-identical projects. */
const CREATED_MS = Date.UTC(2026, 0, 1);

const round2 = (v: number): number => Math.round(v * 100) / 100;

export function via3ProposalProject(video: string, frames: readonly FrameProposals[], size: { width: number; height: number }): string {
  return serialiseProject(
    buildImageProject({
      pname: `${video}_proposal`,
      created: CREATED_MS,
      attributes: { '1': PERSON_ATTRIBUTE, '2': SCORE_ATTRIBUTE },
      images: frames.map((f) => ({
        fname: f.fname,
        rects: f.boxes.map((b) => ({
          x: round2(b.x1 * size.width),
          y: round2(b.y1 * size.height),
          w: round2((b.x2 - b.x1) * size.width),
          h: round2((b.y2 - b.y1) * size.height),
          av: { '1': '0', '2': b.score.toFixed(3) },
        })),
      })),
      rng: new Rng(1, 'proposal-ids', video),
    }),
  );
}

export function avaProposalCsv(video: string, frames: readonly FrameProposals[]): string {
  const rows: AvaDetectionRow[] = [];
  const r6 = (v: number): number => Math.round(v * 1e6) / 1e6;
  for (const f of frames) {
    for (const b of f.boxes) rows.push({ videoId: video, timestamp: f.frame, box: [r6(b.x1), r6(b.y1), r6(b.x2), r6(b.y2)], actionId: null, score: r6(b.score) });
  }
  return formatAvaDetections(rows);
}
