/**
 * The distributed sampler: each rank's part of every global batch. The epoch's order is the 1-process
 * sampler's (src/data/sampler.ts, same seed, same shuffle); global batch b is that order's clips
 * [b*G, (b+1)*G) with G = per-rank batch x world size, and rank r takes the r-th contiguous slice of it.
 * So the ranks' shards are disjoint, their union is what one process with batch G would train on,
 * batch for batch, and a clip keeps the position (hence the augmentation, keyed by position) it has in
 * the 1-process run. Deterministic per (seed, epoch) and resumable at any epoch, like the order itself.
 *
 * When the epoch's clip count is not a multiple of the world size, the order is padded with its own
 * first clips (as torch's DistributedSampler does) so that every rank gets the same number of clips in
 * every batch: the last global batch is split evenly and no rank ever has an empty batch.
 */

export interface ShardSpec {
  rank: number;
  worldSize: number;
}

export interface ShardBatch {
  /** Indices into the samples, in order. */
  indices: number[];
  /** Position of the first of them in the (padded) epoch order: keys their augmentation. */
  firstPosition: number;
}

/** The order padded (with its own first entries) to a multiple of the world size. */
export function padToWorld(order: readonly number[], worldSize: number): number[] {
  const out = order.slice();
  if (order.length === 0) return out;
  for (let k = 0; out.length % worldSize !== 0; k++) out.push(order[k % order.length]!);
  return out;
}

/** Number of global batches of an epoch whose (unpadded) order has `n` clips. */
export function globalBatchCount(n: number, perRankBatch: number, worldSize: number, dropLast: boolean): number {
  const padded = worldSize === 1 || n % worldSize === 0 ? n : n + worldSize - (n % worldSize);
  const g = perRankBatch * worldSize;
  return dropLast ? Math.floor(padded / g) : Math.ceil(padded / g);
}

/** Rank `s.rank`'s batches of an epoch with this order. */
export function shardBatches(order: readonly number[], perRankBatch: number, s: ShardSpec, dropLast = false): ShardBatch[] {
  if (!(Number.isInteger(s.worldSize) && s.worldSize >= 1 && Number.isInteger(s.rank) && s.rank >= 0 && s.rank < s.worldSize)) {
    throw new RangeError(`shard: rank ${s.rank} of world size ${s.worldSize}`);
  }
  const padded = s.worldSize === 1 ? order.slice() : padToWorld(order, s.worldSize);
  const g = perRankBatch * s.worldSize;
  const nb = globalBatchCount(order.length, perRankBatch, s.worldSize, dropLast);
  const out: ShardBatch[] = [];
  for (let b = 0; b < nb; b++) {
    const start = b * g;
    const m = Math.min(g, padded.length - start); // a multiple of worldSize
    const per = m / s.worldSize;
    const first = start + s.rank * per;
    out.push({ indices: padded.slice(first, first + per), firstPosition: first });
  }
  return out;
}
