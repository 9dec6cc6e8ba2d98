import { test } from 'node:test';
import assert from 'node:assert/strict';
import { countEventLabels, distributeEvents, planEvents } from '../../src/data/synth/events.js';
import { Rng } from '../../src/data/rng.js';
import { SYNTH_CLASSES, targetCounts, type SynthClass } from '../../src/data/synth/reference.js';

test('planned events add up to the requested counts exactly, odd and tiny budgets included', () => {
  const rng = new Rng(42, 'targets');
  const cases: Record<SynthClass, number>[] = [targetCounts('train', 1), targetCounts('test', 1), targetCounts('test', 0.01), targetCounts('train', 0.37)];
  for (let i = 0; i < 40; i++) {
    cases.push(Object.fromEntries(SYNTH_CLASSES.map((c) => [c, rng.int(0, 60)])) as Record<SynthClass, number>);
  }
  for (const [i, targets] of cases.entries()) {
    for (const kps of [1, 2, 0.5]) {
      const events = planEvents(targets, kps, new Rng(i, 'plan'));
      assert.deepEqual(countEventLabels(events), targets, `case ${i} at ${kps} keyframes/s`);
      for (const e of events) assert.ok(e.keyframes.length >= 1);
    }
  }
});

test('large budgets include two-label keyframes (push+punch, handshake+hug)', () => {
  const events = planEvents(targetCounts('train', 1), 1, new Rng(1, 'plan'));
  const pairs = new Set(events.filter((e) => e.classes.length === 2).map((e) => e.classes.join('+')));
  assert.ok(pairs.has('push+punch'));
  assert.ok(pairs.has('handshake+hug'));
  const combo = events.find((e) => e.classes.length === 2)!;
  assert.deepEqual(combo.keyframes[combo.switchIndex!]!.actor.length, 2);
});

test('events are dealt to every sequence, none lost', () => {
  const events = planEvents(targetCounts('test', 1), 1, new Rng(3, 'plan'));
  const dealt = distributeEvents(events, 4, new Rng(3, 'deal'));
  assert.equal(dealt.length, 4);
  assert.equal(dealt.flat().length, events.length);
  for (const seq of dealt) assert.ok(seq.length > 0);
  assert.deepEqual(countEventLabels(dealt.flat()), targetCounts('test', 1));
});

test('the generator is deterministic per key list and differs between keys', () => {
  const a = new Rng(7, 'x', 1);
  const b = new Rng(7, 'x', 1);
  const c = new Rng(7, 'x', 2);
  const sa = Array.from({ length: 5 }, () => a.nextU32());
  assert.deepEqual(sa, Array.from({ length: 5 }, () => b.nextU32()));
  assert.notDeepEqual(sa, Array.from({ length: 5 }, () => c.nextU32()));
  const r = new Rng(1);
  for (let i = 0; i < 1000; i++) {
    const v = r.next();
    assert.ok(v >= 0 && v < 1);
  }
});
