/**
 * In-memory AVA rows, for callers that have boxes rather than CSV files (`stad test`, validation
 * during training). Same meaning as the CSV columns: coordinates normalised to [0, 1]; `timestamp`
 * in seconds, truncated to an integer second as Python's `int()` does (the official key).
 */
import { UserError } from '../util/errors.js';
import type { AvaBoxTable } from '../data/ava.js';

export interface AvaBox {
  videoId: string;
  /** Keyframe time in seconds; the frame is its integer part. */
  timestamp: number;
  x1: number;
  y1: number;
  x2: number;
  y2: number;
  /** Class id as in the label map. */
  actionId: number;
}

/** A ground-truth box; `personId` only orders boxes within a frame (as the official reader does). */
export interface GroundTruthBox extends AvaBox {
  personId?: number;
}

/** A detection with its confidence. */
export interface DetectionBox extends AvaBox {
  score: number;
}

/**
 * Packs rows into the columnar table the evaluator works on. Ground-truth rows without `personId`
 * and detections are given the 8th-column value the official reader would: `score`, else
 * `personId`, else 1.0.
 */
export function boxTableFromRows(rows: readonly (GroundTruthBox | DetectionBox)[], what = 'rows'): AvaBoxTable {
  const n = rows.length;
  const videoIds: string[] = [];
  const index = new Map<string, number>();
  const t: AvaBoxTable = {
    length: n,
    videoIds,
    video: new Int32Array(n),
    timestamp: new Int32Array(n),
    x1: new Float64Array(n),
    y1: new Float64Array(n),
    x2: new Float64Array(n),
    y2: new Float64Array(n),
    action: new Int32Array(n),
    score: new Float64Array(n),
  };
  for (let r = 0; r < n; r++) {
    const row = rows[r]!;
    let v = index.get(row.videoId);
    if (v === undefined) {
      v = videoIds.length;
      videoIds.push(row.videoId);
      index.set(row.videoId, v);
    }
    const ts = Math.trunc(row.timestamp);
    const eighth = 'score' in row ? row.score : (row.personId ?? 1.0);
    const nums = [ts, row.x1, row.y1, row.x2, row.y2, row.actionId, eighth];
    if (!nums.every(Number.isFinite) || !Number.isInteger(row.actionId) || Math.abs(ts) > 2147483647) {
      throw new UserError(`${what}[${r}]: expected finite numbers and an integer action id, got ${JSON.stringify(row)}`);
    }
    t.video[r] = v;
    t.timestamp[r] = ts;
    t.x1[r] = row.x1;
    t.y1[r] = row.y1;
    t.x2[r] = row.x2;
    t.y2[r] = row.y2;
    t.action[r] = row.actionId;
    t.score[r] = eighth;
  }
  return t;
}
