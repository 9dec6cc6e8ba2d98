/**
 * Devices in the binding: CUDA's availability, non-blocking copies whose data is safe to read at once,
 * pinned memory, cuDNN/deterministic switches, CUDA memory statistics and autocast regions. Runs on
 * $STAD_TEST_DEVICE (default cpu; bench/gpu.sh sets cuda).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as torch from '../../src/torch/index.js';
import { Linear } from '../../src/nn/index.js';
import { testDevice } from '../helpers.js';

const device = testDevice();
const cudaHere = torch.cuda.isAvailable();

test('the test device is usable, and CUDA reports itself consistently', () => {
  assert.equal(torch.deviceUnavailableReason(device), null, `STAD_TEST_DEVICE=${device}`);
  const n = torch.cuda.deviceCount();
  assert.equal(cudaHere, n > 0);
  if (!cudaHere) {
    assert.match(torch.deviceUnavailableReason('cuda') ?? '', /^cuda: CUDA is not available \(the binding is built against libtorch /);
    assert.equal(torch.cuda.memoryStats('cuda'), null);
    assert.throws(() => torch.cuda.synchronize(), /CUDA is not available/);
  } else {
    assert.match(torch.deviceUnavailableReason(`cuda:${n}`) ?? '', new RegExp(`^cuda:${n}: no such device`));
  }
  assert.equal(torch.deviceIndex('cuda'), 0);
  assert.equal(torch.deviceIndex('cuda:3'), 3);
  assert.equal(torch.deviceType('cuda:3'), 'cuda');
});

test('a round trip through the device with non-blocking copies reads back exactly what went in', () => {
  torch.tidy(() => {
    const x = torch.arange(0, 1 << 20, 1, { dtype: 'float32' }).mul(0.5); // [1M]
    for (let k = 0; k < 3; k++) {
      const onDevice = x.to(device, true).mul(2); // queued behind the copy on the device's stream
      const back = onDevice.to('cpu', true); // may still be in flight when this returns
      // read at once: the binding waits for the copy before any host read
      const data = back.dataSync() as Float32Array;
      assert.equal(data[0], 0);
      assert.equal(data[12345], 12345);
      assert.equal(data[(1 << 20) - 1], (1 << 20) - 1);
      assert.equal(onDevice.to('cpu', true).max().item(), (1 << 20) - 1, 'a CPU operator on the copy waits too');
    }
  });
});

test('pinned host memory: where CUDA is, a pinned copy is pinned and copies non-blocking to the device', { skip: !cudaHere && 'needs CUDA' }, () => {
  torch.tidy(() => {
    const x = torch.randn([4, 5]);
    assert.equal(x.isPinned(), false);
    const p = x.pinMemory();
    assert.equal(p.isPinned(), true);
    assert.equal(p.device, 'cpu');
    const d = p.to(device === 'cpu' ? 'cuda' : device, true);
    assert.ok(d.to('cpu').equal(x));
  });
});

test('Module.to(device) records the device; its forward runs there', () => {
  torch.manualSeed(1);
  const m = new Linear(3, 2);
  try {
    assert.equal(m.device, 'cpu');
    m.to(device);
    assert.equal(m.device, device);
    assert.equal(m.parameters()[0]!.device, device === 'cuda' ? 'cuda:0' : device);
    const y = torch.tidy(() => m.forward(torch.ones([4, 3], { device: m.device })).sum().item());
    assert.ok(Number.isFinite(y));
  } finally {
    m.dispose();
  }
});

test('cuDNN benchmark and the deterministic mode switch on and off', () => {
  const bench0 = torch.backends.cudnn.benchmark();
  const det0 = torch.isDeterministic();
  try {
    torch.backends.cudnn.setBenchmark(true);
    assert.equal(torch.backends.cudnn.benchmark(), true);
    torch.backends.cudnn.setBenchmark(false);
    assert.equal(torch.backends.cudnn.benchmark(), false);
    torch.setDeterministic(true);
    assert.equal(torch.isDeterministic(), true);
    // a deterministic step still runs
    torch.tidy(() => assert.ok(Number.isFinite(torch.randn([2, 3, 4, 8, 8], { device }).conv3d(torch.randn([4, 3, 3, 3, 3], { device }), { padding: 1 }).sum().item())));
    torch.setDeterministic(false);
    assert.equal(torch.isDeterministic(), false);
  } finally {
    torch.backends.cudnn.setBenchmark(bench0);
    torch.setDeterministic(det0);
  }
});

test('CUDA memory statistics follow an allocation on the device', { skip: !(cudaHere && device !== 'cpu' && torch.cuda.memoryStatsSupported()) && 'needs CUDA and PyTorch >= 2.9' }, () => {
  torch.tidy(() => torch.zeros([1], { device }).item()); // the device is set up
  torch.cuda.resetPeakMemoryStats(device);
  const before = torch.cuda.memoryStats(device)!;
  const big = torch.zeros([64, 1024, 1024], { device }); // 256 MiB
  try {
    const during = torch.cuda.memoryStats(device)!;
    assert.ok(during.allocated - before.allocated >= 256 * 1024 * 1024, `allocated ${before.allocated} -> ${during.allocated}`);
    assert.ok(during.reserved >= during.allocated);
    assert.ok(during.peakAllocated >= during.allocated);
  } finally {
    big.dispose();
  }
  const after = torch.cuda.memoryStats(device)!;
  assert.ok(after.allocated < after.peakAllocated, 'freed, the peak remembers it');
});

test('autocast: matrix products run in bfloat16 inside, float32 outside; regions nest and always close', () => {
  const type = torch.deviceType(device);
  torch.tidy(() => {
    const x = torch.randn([4, 8], { device });
    const w = torch.randn([3, 8], { device });
    assert.equal(torch.isAutocastEnabled(type), false);
    const inside = torch.autocast(device, 'bfloat16', () => {
      assert.equal(torch.isAutocastEnabled(type), true);
      const nested = torch.autocast(device, 'bfloat16', () => x.linear(w));
      assert.equal(torch.isAutocastEnabled(type), true, 'the outer region is still open');
      return [x.linear(w), nested] as const;
    });
    assert.equal(inside[0].dtype, 'bfloat16');
    assert.equal(inside[1].dtype, 'bfloat16');
    assert.equal(torch.isAutocastEnabled(type), false);
    assert.equal(x.linear(w).dtype, 'float32');
    assert.ok(inside[0].float().allclose(x.linear(w), 0.05, 0.1), 'bf16 product close to float32');
    assert.throws(() => torch.autocast(device, 'bfloat16', () => {
      throw new Error('boom');
    }), /boom/);
    assert.equal(torch.isAutocastEnabled(type), false, 'closed after a throw');
  });
});
