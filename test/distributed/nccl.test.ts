/**
 * c10d's NCCL process group, on a machine with NVIDIA GPUs and a binding built against a CUDA libtorch
 * with NCCL (bench/gpu.sh runs it with STAD_TEST_DEVICE=cuda; skipped elsewhere): one rank per GPU, up
 * to 2. The collectives on CUDA tensors and the Reducer's gradient averaging give the sums and means
 * the ranks' inputs make; `stad train` with `distributed.backend: "nccl"` trains the weights a plain
 * run on the same GPU trains.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as torch from '../../src/torch/index.js';
import { processGroupInfo } from '../../src/torch/distributed.js';
import { launchWorkers } from '../../src/distributed/launcher.js';
import { checkpointWeights } from './checkpoint-weights.js';
import { runCli, tempDir, testDevice } from '../helpers.js';
import { tinyConfig, tinyDataset } from '../train/fixture.js';

const onGpu = testDevice().startsWith('cuda');
const skip = !onGpu
  ? 'NCCL needs GPUs: run with STAD_TEST_DEVICE=cuda (bench/gpu.sh)'
  : !processGroupInfo().nccl
    ? 'this build of the binding has no NCCL (bench/gpu.sh builds it in against a CUDA PyTorch)'
    : !torch.cuda.isAvailable()
      ? 'CUDA is not available'
      : false;

test('NCCL: all-reduce, broadcast, all-gather on CUDA tensors, bytes through the group, the Reducer averaging gradients', { skip, timeout: 240_000 }, async () => {
  const n = Math.min(2, torch.cuda.deviceCount());
  const { dir, cleanup } = tempDir('stad-nccl-');
  try {
    const out = join(dir, 'result.json');
    const worker = join(dirname(fileURLToPath(import.meta.url)), 'nccl-worker.js');
    const r = await launchWorkers({ nprocPerNode: n, nnodes: 1, nodeRank: 0, masterAddr: '127.0.0.1', workerArgv: [worker, out], env: {} });
    assert.equal(r.exitCode, 0, r.failure ?? '');
    const res = JSON.parse(readFileSync(out, 'utf8')) as Record<string, unknown>;
    const ranks = Array.from({ length: n }, (_, i) => i);
    const sum = ranks.reduce((s, i) => s + i + 1, 0);
    assert.deepEqual(res.allReduce, [sum, 10 * sum]);
    assert.match(String(res.allReduceDevice), /^cuda/);
    assert.equal(res.max, n - 1);
    assert.deepEqual(res.broadcast, [n - 1, n - 1, n - 1]);
    assert.deepEqual(res.allGather, ranks.map((i) => [2 * i, 2 * i + 1]));
    assert.deepEqual(res.bytes, ranks.map((i) => 'x'.repeat(i + 2)));
    assert.ok(Number(res.buckets) >= 1);
    const mean = sum / n;
    for (const g of [res.gradW, res.gradV] as number[][]) for (const x of g) assert.ok(Math.abs(x - mean) < 1e-5, `gradient ${x}, expected the mean ${mean}`);
  } finally {
    cleanup();
  }
});

let fx: Awaited<ReturnType<typeof tinyDataset>> | undefined;
before(async () => {
  if (!skip) fx = await tinyDataset();
});
after(() => fx?.cleanup());

test('stad train with distributed.backend "nccl" (1 process per GPU) trains the weights of a plain run on the GPU', { skip, timeout: 480_000 }, () => {
  const f = fx!;
  const config = (name: string, over: Record<string, unknown>): string => {
    const c = tinyConfig(f.data, { epochs: 1, valInterval: 1, batchSize: 2, assigner: { numRois: 64 }, ...over });
    c.model.head = { ...c.model.head, dropout: 0, logitNorm: 'none' };
    const p = join(f.dir, `${name}.json`);
    writeFileSync(p, JSON.stringify(c));
    return p;
  };
  const device = testDevice();
  const plain = join(f.dir, 'plain');
  const nccl = join(f.dir, 'nccl');
  const r1 = runCli(['train', '--config', config('plain', {}), '--out', plain, '--device', device], { env: { CI: 'true' } });
  assert.equal(r1.code, 0, r1.stderr);
  const r2 = runCli(['train', '--config', config('nccl', { distributed: { backend: 'nccl', timeoutSec: 120 } }), '--out', nccl, '--device', 'cuda', '--nproc-per-node', '1'], {
    env: { CI: 'true' },
  });
  assert.equal(r2.code, 0, r2.stderr);
  assert.match(r2.stderr, /distributed: 1 process/);
  const a = checkpointWeights(join(plain, 'latest.safetensors'));
  const b = checkpointWeights(join(nccl, 'latest.safetensors'));
  assert.deepEqual([...b.keys()].sort(), [...a.keys()].sort());
  // Sums in another order (GPU kernels with atomic additions: RoIAlign's backward, some cuDNN
  // algorithms; the worker's own thread count) move small elements by rounding: each tensor's largest
  // difference is measured against the tensor's scale. Scaled or missing gradients move whole tensors.
  let worst = 0;
  let worstKey = '';
  for (const [k, x] of a) {
    const y = b.get(k)!;
    let scale = 0;
    let diff = 0;
    for (let i = 0; i < x.length; i++) {
      scale = Math.max(scale, Math.abs(x[i]!));
      diff = Math.max(diff, Math.abs(x[i]! - y[i]!));
    }
    const d = diff / (1e-6 + scale);
    if (d > worst) [worst, worstKey] = [d, k];
  }
  assert.ok(worst < 1e-2, `largest difference relative to its tensor's scale: ${worst} (${worstKey})`);
});
