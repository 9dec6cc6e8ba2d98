import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resultKey } from '../../src/compare/runs.js';
import { loadRunConfig } from '../../src/train/config.js';

// Which config fields decide whether a finished run can be reused by `stad compare` (and the demo).
test('resultKey ignores threads, loader workers and the description, nothing else', () => {
  const { config } = loadRunConfig('synth_tiny_bce');
  const key = resultKey(config);
  assert.equal(resultKey({ ...config, threads: config.threads + 1, workers: config.workers + 1 }), key);
  assert.equal(resultKey({ ...config, description: 'reworded' }), key);
  assert.equal(resultKey({ ...config, description: undefined }), key);
  assert.notEqual(resultKey({ ...config, seed: config.seed + 1 }), key);
  assert.notEqual(resultKey({ ...config, optim: { ...config.optim, lr: config.optim.lr * 4 } }), key);
  assert.notEqual(resultKey({ ...config, epochs: config.epochs + 1 }), key);
});
