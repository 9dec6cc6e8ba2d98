/**
 * Average precision as the official evaluator computes it (metrics.py of the TF object detection API,
 * as shipped with ActivityNet's AVA evaluation): detections ranked by `np.argsort(scores)[::-1]`,
 * cumulative true/false positives, precision = tp / (tp + fp), recall = tp / num_gt, then the area
 * under the precision envelope: precision padded with 0 at both ends and recall with 0 and 1, the
 * precision made non-increasing from the right, and (recall step) * precision summed at every index
 * where recall changes. Sums use numpy's pairwise summation so the last bits agree too.
 */
import { numpyArgsort } from './orderings.js';

/**
 * numpy's `np.add.reduce` over a contiguous float64 array: the first element, plus the pairwise sum
 * (8-way unrolled blocks of up to 128, halved recursively) of the rest.
 */
export function numpySum(a: Float64Array, n = a.length): number {
  if (n === 0) return 0;
  return a[0]! + pairwiseSum(a, 1, n - 1);
}

function pairwiseSum(a: Float64Array, off: number, n: number): number {
  if (n < 8) {
    // numpy starts this accumulator at -0.0 (so a sum of -0.0s stays -0.0); the sign never matters here
    let res = -0;
    for (let i = 0; i < n; i++) res += a[off + i]!;
    return res;
  }
  if (n <= 128) {
    let r0 = a[off]!;
    let r1 = a[off + 1]!;
    let r2 = a[off + 2]!;
    let r3 = a[off + 3]!;
    let r4 = a[off + 4]!;
    let r5 = a[off + 5]!;
    let r6 = a[off + 6]!;
    let r7 = a[off + 7]!;
    let i = 8;
    const lim = n - (n % 8);
    for (; i < lim; i += 8) {
      r0 += a[off + i]!;
      r1 += a[off + i + 1]!;
      r2 += a[off + i + 2]!;
      r3 += a[off + i + 3]!;
      r4 += a[off + i + 4]!;
      r5 += a[off + i + 5]!;
      r6 += a[off + i + 6]!;
      r7 += a[off + i + 7]!;
    }
    let res = r0 + r1 + (r2 + r3) + (r4 + r5 + (r6 + r7));
    for (; i < n; i++) res += a[off + i]!;
    return res;
  }
  let n2 = Math.floor(n / 2);
  n2 -= n2 % 8;
  return pairwiseSum(a, off, n2) + pairwiseSum(a, off + n2, n - n2);
}

let precisionBuf = new Float64Array(1024);
let recallBuf = new Float64Array(1024);
let termsBuf = new Float64Array(1024);
let orderBuf = new Int32Array(1024);
let rankedBuf = new Uint8Array(1024);

function ensureBuffers(n: number): void {
  if (precisionBuf.length < n + 2) {
    const cap = Math.max(n + 2, precisionBuf.length * 2);
    precisionBuf = new Float64Array(cap);
    recallBuf = new Float64Array(cap);
    termsBuf = new Float64Array(cap);
    orderBuf = new Int32Array(cap);
    rankedBuf = new Uint8Array(cap);
  }
}

/**
 * AP of one class: `scores[k]` and `isTruePositive[k]` of its detections (in the evaluator's
 * concatenation order, which decides ties), `numGroundTruth` > 0. A class with ground truth and no
 * detections scores 0.
 */
export function averagePrecision(scores: Float64Array, isTruePositive: Uint8Array, numGroundTruth: number): number {
  const n = scores.length;
  if (n === 0) return 0;
  ensureBuffers(n);
  const order = numpyArgsort(scores, orderBuf);
  const ranked = rankedBuf;
  for (let k = 0; k < n; k++) ranked[k] = isTruePositive[order[n - 1 - k]!]!;
  return averagePrecisionRanked(ranked, n, numGroundTruth);
}

/**
 * AP from the true-positive flags of the first `n` detections already in rank order (highest score
 * first): the second half of `averagePrecision`, for callers that rank once and reuse the ranking
 * (the bootstrap in src/compare).
 */
export function averagePrecisionRanked(isTruePositiveRanked: Uint8Array, n: number, numGroundTruth: number): number {
  if (n === 0) return 0;
  ensureBuffers(n);
  const precision = precisionBuf;
  const recall = recallBuf;
  const terms = termsBuf;
  let tp = 0;
  let fp = 0;
  precision[0] = 0;
  recall[0] = 0;
  for (let k = 0; k < n; k++) {
    if (isTruePositiveRanked[k]) tp++;
    else fp++;
    precision[k + 1] = tp / (tp + fp);
    recall[k + 1] = tp / numGroundTruth;
  }
  precision[n + 1] = 0;
  recall[n + 1] = 1;
  for (let i = n; i >= 0; i--) {
    if (precision[i + 1]! > precision[i]!) precision[i] = precision[i + 1]!;
  }
  let m = 0;
  for (let i = 1; i <= n + 1; i++) {
    if (recall[i] !== recall[i - 1]) terms[m++] = (recall[i]! - recall[i - 1]!) * precision[i]!;
  }
  return numpySum(terms, m);
}

/**
 * `np.nanmean` of per-class APs laid out by class index 0..numClasses-1 (`null` = NaN, no ground
 * truth): the sum with NaNs replaced by 0, divided by the number of non-NaN entries; null when all
 * are NaN.
 */
export function nanMean(valuesByIndex: readonly (number | null)[]): number | null {
  const a = new Float64Array(valuesByIndex.length);
  let count = 0;
  for (let i = 0; i < valuesByIndex.length; i++) {
    const v = valuesByIndex[i];
    if (v !== null && v !== undefined && !Number.isNaN(v)) {
      a[i] = v;
      count++;
    }
  }
  if (count === 0) return null;
  return numpySum(a) / count;
}
