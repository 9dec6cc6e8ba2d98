import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BatchPool } from '../../src/data/batch-pool.js';

test('the batch pool reuses a released buffer that fits, the smallest first, and keeps at most `keep`', () => {
  const pool = new BatchPool(2);
  const a = pool.acquire(100);
  const b = pool.acquire(50);
  assert.ok(a.buffer instanceof SharedArrayBuffer);
  assert.equal(a.length, 100);
  pool.release(a);
  pool.release(b);
  pool.release(b); // twice: still one entry
  assert.equal(pool.size, 2);
  const c = pool.acquire(40); // both fit: the smaller one
  assert.equal(c.buffer, b.buffer);
  assert.equal(c.length, 40);
  const d = pool.acquire(120); // none fits: a new one
  assert.notEqual(d.buffer, a.buffer);
  pool.release(c);
  pool.release(d);
  assert.equal(pool.size, 2); // three released, two kept: the largest
  assert.equal(pool.acquire(120).buffer, d.buffer);
  assert.equal(pool.acquire(100).buffer, a.buffer);
});

test('a tensor copies its data from a view of a shared buffer (the loader hands batches over so)', async () => {
  const { tensor, tidy } = await import('../../src/torch/index.js');
  const pool = new BatchPool(1);
  const data = pool.acquire(6);
  data.set([1, 2, 3, 4, 5, 6]);
  const view = new Float32Array(data.buffer, 8, 4); // at an offset, as a typed array over part of the buffer
  tidy(() => {
    const t = tensor(view, { shape: [2, 2] });
    pool.release(data);
    data.fill(0); // the tensor holds its own copy
    assert.deepEqual([...t.toFloat32Array()], [3, 4, 5, 6]);
  });
});
