/**
 * How well proposals (a person detector's boxes) cover the ground truth: the histogram of each
 * proposal's best IoU with a ground-truth box of the same keyframe. It matters because training
 * assigns labels by IoU (mmaction2's MaxIoUAssigner for AVA: positive at IoU >= 0.9, negative below),
 * so a proposal on a labelled person at IoU 0.85 trains as "no action".
 *
 * Definitions:
 * - Only keyframes count (frames or times with at least one ground-truth box, as `keyframesOf`);
 *   proposals elsewhere are counted apart (`offKeyframe`), since nobody annotated those frames.
 * - A proposal's IoU is its best IoU with any ground-truth box of its keyframe (0 if there is none).
 * - Bins: [0, 0.5), [0.5, 0.7), [0.7, 0.8), [0.8, 0.9), [0.9, 1]. A proposal below 0.5 is a false
 *   positive (the AVA evaluator's match threshold); the others are matched.
 * - A miss is a ground-truth box with no proposal at IoU >= 0.5 on its keyframe.
 * - Videos without a proposals project are left out entirely (their boxes are not misses).
 */
import { boxIou, type Box } from './box-iou.js';
import { keyframesOf, type DatasetVideo } from './dataset.js';

/** Lower edges of the bins; each bin runs to the next edge (the last one to 1, inclusive). */
export const PROPOSAL_IOU_EDGES = [0, 0.5, 0.7, 0.8, 0.9] as const;
export const PROPOSAL_IOU_BIN_NAMES = ['<0.5', '0.5-0.7', '0.7-0.8', '0.8-0.9', '>=0.9'] as const;
/** Best IoU below this: a false positive; a ground-truth box with no proposal reaching it: a miss. */
export const MATCH_IOU = 0.5;

export interface ProposalIouHistogram {
  /** Proposals on keyframes. */
  proposals: number;
  /** Proposals per bin (parallel to PROPOSAL_IOU_BIN_NAMES). */
  counts: number[];
  /** Mean detector score per bin; null where the bin is empty or its proposals carry no score. */
  meanScore: (number | null)[];
  /** Proposals whose best IoU is below 0.5 (the first bin). */
  falsePositives: number;
  /** Proposals at IoU >= 0.5 with some ground-truth box. */
  matched: number;
  /** Share of the matched proposals at IoU >= 0.9 (what the 0.9 assigner trains as positives); null if none matched. */
  matchedAt09: number | null;
  /** Ground-truth boxes on keyframes of videos with proposals. */
  gtBoxes: number;
  /** Ground-truth boxes with no proposal at IoU >= 0.5. */
  misses: number;
  /** Proposals on frames without ground truth (not in the bins). */
  offKeyframe: number;
  /** Videos that have a proposals project. */
  videos: number;
}

/** One keyframe's boxes, as plain numbers. */
export interface KeyframeBoxes {
  gt: readonly Box[];
  proposals: readonly { box: Box; score: number | null }[];
}

/** The bin of an IoU in [0, 1]. */
export function proposalIouBin(iou: number): number {
  let bin = 0;
  for (let i = 1; i < PROPOSAL_IOU_EDGES.length; i++) if (iou >= PROPOSAL_IOU_EDGES[i]!) bin = i;
  return bin;
}

/** Accumulates videos into a histogram; `result()` can be called at any time. */
export class ProposalIouAccumulator {
  private readonly counts = new Array<number>(PROPOSAL_IOU_EDGES.length).fill(0);
  private readonly scoreSums = new Array<number>(PROPOSAL_IOU_EDGES.length).fill(0);
  private readonly scored = new Array<number>(PROPOSAL_IOU_EDGES.length).fill(0);
  private gtBoxes = 0;
  private misses = 0;
  private offKeyframe = 0;
  private videos = 0;

  /**
   * Adds one video with proposals: its keyframes, and how many of its proposals lie on frames without
   * ground truth (counted apart).
   */
  addKeyframes(keyframes: Iterable<KeyframeBoxes>, offKeyframe = 0): void {
    this.videos += 1;
    this.offKeyframe += offKeyframe;
    for (const k of keyframes) this.addKeyframe(k);
  }

  /** Adds a video of a dataset; one without a proposals project is skipped. */
  addVideo(v: DatasetVideo): void {
    if (!v.proposalBoxes) return;
    const keyframes = keyframesOf(v);
    const onKeyframes = keyframes.reduce((n, k) => n + k.proposals.length, 0);
    this.addKeyframes(
      keyframes.map((k) => ({ gt: k.gt.map((b) => b.box), proposals: k.proposals.map((b) => ({ box: b.box, score: b.score })) })),
      v.proposalBoxes.boxes.length - onKeyframes,
    );
  }

  private addKeyframe(k: KeyframeBoxes): void {
    // Each ground-truth box's best proposal, to find the misses.
    const gtBest = new Array<number>(k.gt.length).fill(0);
    for (const p of k.proposals) {
      let best = 0;
      k.gt.forEach((g, i) => {
        const iou = boxIou(g, p.box);
        if (iou > best) best = iou;
        if (iou > gtBest[i]!) gtBest[i] = iou;
      });
      const bin = proposalIouBin(best);
      this.counts[bin]! += 1;
      if (p.score !== null) {
        this.scoreSums[bin]! += p.score;
        this.scored[bin]! += 1;
      }
    }
    this.gtBoxes += k.gt.length;
    this.misses += gtBest.filter((b) => b < MATCH_IOU).length;
  }

  result(): ProposalIouHistogram {
    const proposals = this.counts.reduce((a, b) => a + b, 0);
    const falsePositives = this.counts[0]!;
    const matched = proposals - falsePositives;
    return {
      proposals,
      counts: [...this.counts],
      meanScore: this.scoreSums.map((s, i) => (this.scored[i]! > 0 ? s / this.scored[i]! : null)),
      falsePositives,
      matched,
      matchedAt09: matched > 0 ? this.counts.at(-1)! / matched : null,
      gtBoxes: this.gtBoxes,
      misses: this.misses,
      offKeyframe: this.offKeyframe,
      videos: this.videos,
    };
  }
}

/** The histogram over `videos` (e.g. one split); null when none of them has a proposals project. */
export function proposalIouHistogram(videos: readonly DatasetVideo[]): ProposalIouHistogram | null {
  const acc = new ProposalIouAccumulator();
  for (const v of videos) acc.addVideo(v);
  const h = acc.result();
  return h.videos > 0 ? h : null;
}
