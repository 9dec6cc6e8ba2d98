import { test } from 'node:test';
import assert from 'node:assert/strict';
import { epochOrder } from '../../src/data/sampler.js';
import { globalBatchCount, padToWorld, shardBatches } from '../../src/distributed/sampler.js';

const order = (n: number, epoch = 0) => epochOrder(n, epoch, { shuffle: true, seed: 7 });

test('the ranks of a world split every global batch of the 1-process order, in order, disjointly', () => {
  for (const [n, b, w] of [[40, 2, 2], [48, 3, 4], [12, 1, 3]] as const) {
    const o = order(n);
    const single = shardBatches(o, b * w, { rank: 0, worldSize: 1 });
    const ranks = Array.from({ length: w }, (_, r) => shardBatches(o, b, { rank: r, worldSize: w }));
    assert.equal(single.length, globalBatchCount(n, b, w, false));
    single.forEach((g, k) => {
      // the ranks' batches k, concatenated in rank order, are the 1-process batch k, at the same positions
      assert.deepEqual(ranks.flatMap((rs) => rs[k]!.indices), g.indices);
      ranks.forEach((rs, r) => assert.equal(rs[k]!.firstPosition, g.firstPosition + r * b));
    });
    const all = ranks.flatMap((rs) => rs.flatMap((x) => x.indices));
    assert.equal(new Set(all).size, n, `n=${n}: every clip once`);
  }
});

test('a clip count that the world size does not divide is padded with the first clips; no rank is ever empty', () => {
  const o = order(11);
  assert.deepEqual(padToWorld(o, 4), [...o, o[0], o[1]!, o[2]!].slice(0, 12));
  for (let r = 0; r < 4; r++) {
    const bs = shardBatches(o, 2, { rank: r, worldSize: 4 });
    assert.equal(bs.length, 2); // 12 padded clips, global batch 8
    assert.deepEqual(bs.map((x) => x.indices.length), [2, 1]); // the last global batch (4 clips) split evenly
  }
  assert.equal(globalBatchCount(11, 2, 4, true), 1);
  assert.equal(shardBatches(o, 2, { rank: 3, worldSize: 4 }, true).length, 1);
});

test('shards are deterministic per (seed, epoch) and differ between epochs', () => {
  const a = shardBatches(order(30, 3), 2, { rank: 1, worldSize: 3 });
  const b = shardBatches(order(30, 3), 2, { rank: 1, worldSize: 3 });
  const c = shardBatches(order(30, 4), 2, { rank: 1, worldSize: 3 });
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
});

test('a rank outside the world is refused', () => {
  assert.throws(() => shardBatches([1, 2], 1, { rank: 2, worldSize: 2 }), /rank 2 of world size 2/);
});
