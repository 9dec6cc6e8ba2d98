import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { fixtures } from '../helpers.js';
import { loadDataset } from '../../src/data/dataset.js';
import { PROPOSAL_IOU_BIN_NAMES, ProposalIouAccumulator, proposalIouBin, proposalIouHistogram } from '../../src/data/proposal-iou.js';
import { computeStats, formatProposalIou, formatStatsTable, statsToJson } from '../../src/data/stats.js';
import type { Box } from '../../src/data/box-iou.js';

const close = (a: number | null, b: number, eps = 1e-9): void => assert.ok(a !== null && Math.abs(a - b) <= eps, `${a} != ${b}`);

// A 10 x 10 ground-truth box and proposals cut from it: IoU = kept height / 10, exactly.
const gt: Box = [0, 0, 10, 10];
const cut = (h: number): Box => [0, 0, 10, h];

test('bins are [0, 0.5), [0.5, 0.7), [0.7, 0.8), [0.8, 0.9), [0.9, 1]: an edge belongs to the bin above', () => {
  assert.deepEqual(PROPOSAL_IOU_BIN_NAMES, ['<0.5', '0.5-0.7', '0.7-0.8', '0.8-0.9', '>=0.9']);
  assert.deepEqual([0, 0.49, 0.5, 0.69, 0.7, 0.79, 0.8, 0.89, 0.9, 1].map(proposalIouBin), [0, 0, 1, 1, 2, 2, 3, 3, 4, 4]);
});

test('hand-made boxes with known IoUs land in their bins; false positives, misses and mean scores', () => {
  const acc = new ProposalIouAccumulator();
  acc.addKeyframes([
    {
      // Two people; the one at x 40 has only a proposal at IoU 0.4: a miss.
      gt: [gt, [40, 0, 50, 10]],
      proposals: [
        { box: cut(10), score: 0.95 }, // 1.0
        { box: cut(9), score: 0.85 }, // 0.9
        { box: cut(8.5), score: 0.8 }, // 0.85
        { box: cut(7.5), score: 0.7 }, // 0.75
        { box: cut(5), score: 0.6 }, // 0.5
        { box: [40, 0, 50, 4], score: 0.4 }, // 0.4 with the second person: a false positive
        { box: [20, 20, 30, 30], score: 0.3 }, // touches nobody: a false positive
      ],
    },
    // A keyframe whose only person is not proposed at all, and one without proposals.
    { gt: [[0, 0, 4, 8]], proposals: [{ box: [60, 60, 64, 68], score: null }] },
    { gt: [[0, 0, 4, 8]], proposals: [] },
  ]);
  const h = acc.result();
  assert.deepEqual(h.counts, [3, 1, 1, 1, 2]);
  assert.equal(h.proposals, 8);
  assert.equal(h.falsePositives, 3);
  assert.equal(h.matched, 5);
  close(h.matchedAt09, 2 / 5);
  assert.equal(h.gtBoxes, 4);
  assert.equal(h.misses, 3);
  assert.equal(h.videos, 1);
  assert.equal(h.offKeyframe, 0);
  // Mean scores skip proposals without one (the null above).
  close(h.meanScore[0], 0.35);
  close(h.meanScore[1], 0.6);
  close(h.meanScore[4], 0.9);
});

test("a proposal's IoU is its best over the keyframe's ground truth; a person covered by a second proposal is no miss", () => {
  const acc = new ProposalIouAccumulator();
  // Two overlapping people; the proposal fits the second one at 0.9 and the first at 70 / 120.
  acc.addKeyframes([{ gt: [[0, 0, 10, 10], [3, 0, 13, 10]], proposals: [{ box: [3, 0, 12, 10], score: 0.9 }] }]);
  const h = acc.result();
  assert.deepEqual(h.counts, [0, 0, 0, 0, 1]);
  assert.equal(h.misses, 0, 'the first person still overlaps it at IoU >= 0.5');
  const none = new ProposalIouAccumulator().result();
  assert.equal(none.matchedAt09, null);
  assert.deepEqual(none.meanScore, [null, null, null, null, null]);
});

test('a dataset: per split from the proposals projects; a split without any is null', async () => {
  const ds = await loadDataset(join(fixtures, 'data', 'ref-style'));
  // seqA's proposals against its ground truth (IoUs computed by hand: 0.852, 0.922, 0.921, 0.967; the
  // person at (40, 6) on frame 2 has no proposal).
  const train = proposalIouHistogram(ds.splits.train!)!;
  assert.deepEqual(train.counts, [0, 0, 0, 1, 3]);
  assert.deepEqual([train.gtBoxes, train.misses, train.offKeyframe, train.videos], [5, 1, 0, 1]);
  close(train.matchedAt09, 0.75);
  assert.equal(proposalIouHistogram(ds.splits.test!), null);

  const st = computeStats(ds);
  assert.deepEqual(st.splits.train!.proposals, train);
  assert.equal(st.splits.test!.proposals, null);
  const json = statsToJson(st) as { proposals: Record<string, { bins: Record<string, number>; matchedAt09: number; misses: number } | null> };
  assert.deepEqual(json.proposals.train!.bins, { '<0.5': 0, '0.5-0.7': 0, '0.7-0.8': 0, '0.8-0.9': 1, '>=0.9': 3 });
  assert.equal(json.proposals.train!.matchedAt09, 0.75);
  assert.equal(json.proposals.test, null);
  const text = formatStatsTable(st);
  assert.match(text, /\nProposals: /);
  assert.match(text, /\ntrain +4 +0 0\.0% +0 0\.0% +0 0\.0% +1 25\.0% +3 75\.0% +75\.0% +1 20\.0%\n/);
  assert.equal(formatProposalIou({ train: null }), 'Proposals: none (no <video>_proposal.json project)');
});
