// The binding's handles carry a generation: a handle kept after its tensor was freed is refused by
// free, freeMany and every operator, also once its slot holds another tensor, and that other tensor is
// left alone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as torch from '../../src/torch/index.js';
import { native, type Handle } from '../../src/torch/native.js';

const SLOT_BITS = 20;
const slotOf = (h: Handle): number => h & ((1 << SLOT_BITS) - 1);

/** Frees `stale`, then makes tensors until one lands in its slot; returns that one (live). */
function reuseSlotOf(stale: Handle): Handle {
  native.free(stale);
  // Freed slots are reused oldest first once enough wait, so this takes at most a few thousand tries.
  for (let i = 0; i < 10_000; i++) {
    const h = native.full([3], 7);
    if (slotOf(h) === slotOf(stale)) return h;
    native.free(h);
  }
  throw new Error('the slot was never reused');
}

test('handles are non-negative int32 values (V8 small integers) that differ for a reused slot', () => {
  const hs = [native.ones([1]), native.ones([1]), native.ones([1])];
  for (const h of hs) {
    assert.ok(Number.isInteger(h) && h >= 0 && h <= 0x7fffffff, `handle ${h}`);
    assert.equal(h | 0, h);
  }
  // each reuse of a slot gives a new handle
  const seen = new Set<Handle>([hs[0]!]);
  let last = hs[0]!;
  for (let i = 0; i < 3; i++) {
    last = reuseSlotOf(last);
    seen.add(last);
  }
  assert.equal(seen.size, 4);
  native.freeMany([last, hs[1]!, hs[2]!]);
});

test('free of a stale handle throws and leaves the tensor now in its slot alone', () => {
  const before = torch.memory().liveTensors;
  const stale = native.ones([2]);
  const now = reuseSlotOf(stale);
  assert.throws(() => native.free(stale), /^Error: free: cannot free tensor #\d+: it was disposed \(a stale handle: its slot now holds another tensor\)/);
  assert.equal(native.isLive(stale), false);
  assert.equal(native.isLive(now), true);
  assert.deepEqual([...new Float32Array(native.toArray(now))], [7, 7, 7]);
  native.free(now);
  // freeing twice, and a handle that was never issued
  assert.throws(() => native.free(now), /^Error: free: cannot free tensor #\d+: it was disposed \(or never existed\)/);
  assert.throws(() => native.free(12345), /never existed/);
  assert.throws(() => native.free(-1), /never existed/);
  assert.equal(torch.memory().liveTensors, before);
});

test('freeMany refuses a stale handle too, after freeing the live ones listed with it', () => {
  const before = torch.memory().liveTensors;
  const stale = native.ones([2]);
  const now = reuseSlotOf(stale);
  const a = native.ones([1]);
  const b = native.ones([1]);
  assert.throws(() => native.freeMany([a, stale, b]), /^Error: freeMany: cannot free tensor #\d+: it was disposed \(a stale handle/);
  assert.equal(native.isLive(a), false);
  assert.equal(native.isLive(b), false);
  assert.equal(native.isLive(now), true, 'the tensor in the stale handle\'s slot survives');
  // a handle listed twice: the second is a double free
  const c = native.ones([1]);
  assert.throws(() => native.freeMany([c, c]), /freeMany: cannot free tensor #\d+: it was disposed \(or never existed\)/);
  assert.equal(native.isLive(c), false);
  native.freeMany([now]);
  assert.equal(torch.memory().liveTensors, before);
});

test('an operator on a stale handle is an error naming the operator, not a read of the new tensor', () => {
  const before = torch.memory().liveTensors;
  const stale = native.ones([2]);
  const now = reuseSlotOf(stale);
  assert.throws(() => native.addScalar(stale, 1), /^Error: addScalar: tensor #\d+ was disposed \(a stale handle: its slot now holds another tensor\)/);
  assert.throws(() => native.add(now, stale), /^Error: add: .*stale handle/);
  assert.throws(() => native.cat([now, stale], 0), /^Error: cat: .*stale handle/);
  assert.throws(() => native.mulScalar_(stale, 0), /^Error: mulScalar_: .*stale handle/);
  assert.throws(() => native.shape(stale), /^Error: shape: .*stale handle/);
  // the tensor in the slot was neither read nor changed
  assert.deepEqual([...new Float32Array(native.toArray(now))], [7, 7, 7]);
  // through the Tensor API: a wrapper whose handle went stale behind its back
  const wrapper = new torch.Tensor(stale);
  assert.throws(() => wrapper.add(1), /stale handle/);
  native.free(now);
  assert.equal(torch.memory().liveTensors, before);
});
