// Errors surface as JavaScript Errors with the operator's name and libtorch's message (no C++
// backtrace); bad arguments caught in TypeScript are TypeErrors / RangeErrors; nothing aborts the process.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';
import * as torch from '../../src/torch/index.js';
import type { DType, Device } from '../../src/torch/index.js';
import { ttest, vals } from './check.js';
import { repoRoot } from '../helpers.js';

/** Asserts fn throws an Error (not a TypeError) whose message matches every pattern, and no backtrace. */
function throwsError(fn: () => unknown, ...patterns: RegExp[]): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof Error, `expected an Error, got ${String(e)}`);
    for (const p of patterns) assert.match(e.message, p);
    assert.doesNotMatch(e.message, /Exception raised from|frame #\d/, 'libtorch backtrace leaked into the message');
    return true;
  });
}

ttest('shape mismatches name the operator and the sizes', () => {
  throwsError(() => torch.ones([2]).add(torch.ones([3])), /^add: /, /size of tensor a \(2\) must match the size of tensor b \(3\)/);
  throwsError(() => torch.ones([2]).mul(torch.ones([3])), /^mul: /);
  throwsError(() => torch.ones([2, 3]).matmul(torch.ones([2, 3])), /^matmul: /, /2x3 and 2x3|shapes cannot be multiplied/);
  throwsError(() => torch.ones([2, 3]).linear(torch.ones([4, 2])), /^linear: /);
  throwsError(() => torch.cat([torch.ones([2, 2]), torch.ones([2, 3])]), /^cat: /, /Sizes of tensors must match/);
  throwsError(() => torch.stack([torch.ones([2]), torch.ones([3])]), /^stack: /);
  throwsError(() => torch.ones([1, 2, 3, 3]).conv2d(torch.ones([1, 3, 1, 1])), /^conv2d: /, /channels/);
  throwsError(() => torch.ones([1, 2, 3, 3, 3]).conv3d(torch.ones([1, 3, 1, 1, 1])), /^conv3d: /);
  throwsError(() => torch.ones([2, 3]).reshape(4), /^reshape: /, /invalid for input of size 6/);
  throwsError(() => torch.ones([2, 3]).t().view(6), /^view: /);
  throwsError(() => torch.ones([4, 2]).batchNorm({ runningMean: torch.zeros([3]), runningVar: torch.ones([3]) }), /^batchNorm: /);
  throwsError(() => torch.ones([4, 2]).batchNorm({ training: false }), /^batchNorm: /, /running_mean/);
  throwsError(() => torch.ones([5]).split([1, 1]), /^split: /);
  throwsError(() => torch.ones([3]).expand(2, 4), /^expand: /);
  throwsError(() => torch.where(torch.tensor([true, false]), torch.ones([3]), torch.ones([3])), /^where: /);
  throwsError(() => torch.binaryCrossEntropyWithLogits(torch.ones([2]), torch.ones([3])), /^binaryCrossEntropyWithLogits: /);
  throwsError(() => torch.roiAlign(torch.ones([1, 1, 4, 4]), torch.ones([1, 4]), { outputSize: 1, spatialScale: 1 }), /^roiAlign: /, /\[K, 5\]/);
  throwsError(() => torch.nms(torch.ones([3, 4]), torch.ones([2]), 0.5), /^nms: /);
  throwsError(() => torch.ones([1, 1, 2, 2]).interpolate([3], 'bilinear'), /^interpolate: /);
  throwsError(() => torch.ones([3]).copy_(torch.ones([2])), /^copy_: /);
  throwsError(() => torch.ones([3]).add_(torch.ones([2, 3])), /^add_: /);
});

ttest('wrong dtypes name the operator', () => {
  throwsError(() => torch.ones([2, 2], { dtype: 'int64' }).matmul(torch.ones([2, 2])), /^matmul: /, /Long|Float|dtype|scalar type/);
  throwsError(() => torch.ones([3]).indexSelect(0, torch.tensor([0])), /^indexSelect: /, /int32 or int64/);
  // a float index (libtorch 2.x accepts int32 indices too, 1.13 only int64)
  throwsError(() => torch.ones([3]).gather(0, torch.tensor([0])), /^gather: /, /int64/);
  throwsError(() => torch.ones([3], { dtype: 'int64' }).mean(), /^mean: /, /floating point/);
  throwsError(() => torch.ones([2], { dtype: 'int64' }).softmax(0), /^softmax: /);
  throwsError(() => torch.crossEntropy(torch.ones([2, 3]), torch.ones([2])), /^crossEntropy: /);
  throwsError(() => torch.ones([2], { dtype: 'int64' }).sqrt_(), /^sqrt_: /);
  throwsError(() => torch.ones([2], { dtype: 'int64' }).pow(-1), /^powScalar: /, /negative/);
  throwsError(() => { torch.ones([2], { dtype: 'int64' }).requiresGrad = true; }, /^setRequiresGrad: /);
});

ttest('out-of-range indices and dims are Errors', () => {
  throwsError(() => torch.ones([3]).select(0, 5), /^select: /, /out of range/);
  throwsError(() => torch.ones([3]).indexSelect(0, torch.tensor([7], { dtype: 'int64' })), /^indexSelect: /);
  throwsError(() => torch.ones([3]).gather(0, torch.tensor([7], { dtype: 'int64' })), /^gather: /);
  throwsError(() => torch.ones([3]).narrow(0, 2, 5), /^narrow: /);
  throwsError(() => torch.ones([2, 3]).sum(5), /^sum: /, /Dimension out of range/);
  throwsError(() => torch.ones([2, 3]).softmax(-3), /^softmax: /);
  throwsError(() => torch.ones([3]).topk(5), /^topk: /);
  throwsError(() => torch.ones([2, 3]).permute(0, 0), /^permute: /);
  assert.throws(() => torch.ones([2, 3]).size(2), RangeError);
  assert.throws(() => torch.ones([2, 3]).size(-3), RangeError);
});

ttest('misuse of autograd and item() are Errors', () => {
  throwsError(() => torch.ones([2]).item(), /^item: /, /one element/);
  throwsError(() => torch.ones([2], { requiresGrad: true }).mul(2).backward(), /^backward: /, /scalar/);
  throwsError(() => torch.ones([1]).backward(), /^backward: /, /does not require grad/);
});

ttest('invalid numeric arguments reaching libtorch are Errors', () => {
  throwsError(() => torch.randint(5, 2, [3]), /^randint: /);
  throwsError(() => torch.linspace(0, 1, -1), /^linspace: /);
  throwsError(() => torch.arange(0, 5, 0), /^arange: /);
  throwsError(() => torch.eye(-1), /^eye: /);
  throwsError(() => torch.ones([1, 1, 3, 3]).conv2d(torch.ones([1, 1, 1, 1]), { stride: 0 }), /^conv2d: /);
  throwsError(() => torch.ones([1, 1, 3, 3]).maxPool2d(0), /^maxPool2d: /);
  throwsError(() => torch.ones([1, 1, 2, 2]).gridSample(torch.zeros([1, 1, 1, 2]), { mode: 'cubic' as 'bicubic' }), /^gridSample: /, /unknown mode 'cubic'/);
  throwsError(() => torch.ones([1, 1, 2, 2]).gridSample(torch.zeros([1, 1, 1, 2]), { paddingMode: 'wrap' as 'zeros' }), /^gridSample: /, /padding mode 'wrap'/);
  throwsError(() => torch.ones([1, 1, 2, 2]).interpolate([3, 3], 'cubic' as 'bicubic'), /^interpolate: /, /unknown mode/);
});

ttest('a device this build lacks is an Error, not a crash', () => {
  if (torch.cudaIsAvailable()) return;
  throwsError(() => torch.ones([3]).to('cuda'), /^to: /);
  throwsError(() => torch.ones([3], { device: 'cuda:1' }), /^ones: /);
});

ttest('a freed tensor used as receiver or argument is an Error mentioning disposal', () => {
  const t = torch.ones([2]);
  const shape = t.shape; // cache metadata first: it must not keep a dead tensor usable
  assert.deepEqual(shape, [2]);
  assert.equal(t.dtype, 'float32');
  t.dispose();
  assert.equal(t.isDisposed, true);
  throwsError(() => t.add(1), /disposed/);
  throwsError(() => torch.ones([2]).add(t), /disposed/);
  throwsError(() => vals(t), /disposed/);
  throwsError(() => t.shape, /disposed/);
  throwsError(() => t.ndim, /disposed/);
  throwsError(() => t.size(0), /disposed/);
  throwsError(() => t.dtype, /disposed/);
  throwsError(() => t.item(), /disposed/);
  throwsError(() => t.requiresGrad, /disposed/);
  throwsError(() => torch.cat([torch.ones([2]), t]), /disposed/);
  // a tensor freed by tidy
  const leaked = torch.tidy(() => {
    const inner = torch.ones([2]);
    return { keepMe: inner.add(1), dropped: inner };
  });
  leaked.keepMe.dispose();
  // `dropped` was returned, so it survived; a tensor not returned is dead
  leaked.dropped.dispose();
  let escaped: torch.Tensor | undefined;
  torch.tidy(() => {
    escaped = torch.ones([1]);
  });
  throwsError(() => escaped!.add(1), /disposed/);
});

ttest('the binding refuses an unknown handle with a useful message', () => {
  // Tensor's constructor is internal, but a wrapper around a never-issued handle must fail cleanly.
  const bogus = new torch.Tensor(987654);
  throwsError(() => bogus.add(1), /^addScalar: /, /disposed \(or never existed\)/);
  // freeing it throws in the binding; dispose surfaces that as an Error, not a crash
  throwsError(() => bogus.dispose(), /^free: /);
});

ttest('disposing twice is harmless at the JS level', () => {
  const before = torch.memory().liveTensors;
  const t = torch.ones([2]);
  t.dispose();
  t.dispose();
  torch.dispose([t, t]);
  const u = torch.ones([2]);
  torch.dispose([u, u, { again: u }]);
  assert.equal(u.isDisposed, true);
  assert.equal(torch.memory().liveTensors, before);
  // disposing inside tidy what tidy would also free
  torch.tidy(() => {
    const v = torch.ones([2]);
    v.dispose();
    return v;
  });
  assert.equal(torch.memory().liveTensors, before);
});

test('bad arguments caught in TypeScript are TypeErrors / RangeErrors', () => {
  const before = torch.memory().liveTensors;
  assert.throws(() => torch.zeros([-1]), { name: 'TypeError', message: /invalid shape \[-1\]/ });
  assert.throws(() => torch.ones([2.5]), TypeError);
  assert.throws(() => torch.full([NaN], 1), TypeError);
  assert.throws(() => torch.zeros([2], { dtype: 'float128' as DType }), { name: 'TypeError', message: /unknown dtype 'float128'/ });
  assert.throws(() => torch.tensor([1], { dtype: 'complex64' as DType }), TypeError);
  assert.throws(() => torch.tensor([1, 2], { dtype: 'int' as DType }), TypeError);
  assert.throws(() => torch.zeros([2], { device: 'tpu' as Device }), { name: 'TypeError', message: /unknown device 'tpu'/ });
  assert.throws(() => torch.tensor([[1, 2], [3]]), { name: 'TypeError', message: /ragged/ });
  assert.throws(() => torch.tensor(new Float32Array(3), { shape: [2, 2] }), TypeError);
  assert.throws(() => torch.manualSeed(-1), TypeError);
  assert.throws(() => torch.manualSeed(1.5), TypeError);
  assert.throws(() => torch.setNumThreads(0), RangeError);
  assert.throws(() => torch.cat([]), TypeError);
  assert.throws(() => torch.stack([]), TypeError);
  torch.tidy(() => {
    const x = torch.ones([1, 1, 3, 3]);
    assert.throws(() => x.to('float8' as DType), TypeError);
    assert.throws(() => x.conv2d(torch.ones([1, 1, 1, 1]), { stride: [1, 2, 3] }), { name: 'TypeError', message: /stride/ });
    assert.throws(() => x.conv2d(torch.ones([1, 1, 1, 1]), { padding: 0.5 }), TypeError);
    assert.throws(() => x.maxPool2d([2]), TypeError);
    assert.throws(() => x.clamp(), TypeError);
    assert.throws(() => x.dropout(1.5), RangeError);
    assert.throws(() => x.dropout(-0.1), RangeError);
    assert.throws(() => torch.where(torch.tensor([true]), 1, 2), TypeError);
  });
  assert.equal(torch.memory().liveTensors, before);
});

test('errors leave the process usable and never abort it (checked in a child process)', () => {
  const index = pathToFileURL(join(repoRoot, 'dist', 'src', 'torch', 'index.js')).href;
  // Every failure kind, one after another, then real work and an exit code of our own.
  const script = `
    import * as torch from ${JSON.stringify(index)};
    const attempts = [
      () => torch.ones([2]).add(torch.ones([3])),
      () => torch.ones([2, 2], { dtype: 'int64' }).matmul(torch.ones([2, 2])),
      () => torch.ones([3]).indexSelect(0, torch.tensor([0])),
      () => { const t = torch.ones([1]); t.dispose(); t.add(1); },
      () => torch.zeros([-1]),
      () => torch.ones([3]).to('cuda'),
      () => torch.ones([3]).select(0, 9),
      () => torch.ones([2]).item(),
      () => torch.ones([2], { requiresGrad: true }).backward(),
      () => new torch.Tensor(123456).dispose(),
      () => torch.roiAlign(torch.ones([1, 1, 4, 4]), torch.ones([1, 4]), { outputSize: 1, spatialScale: 1 }),
    ];
    let caught = 0;
    for (const f of attempts) { try { f(); } catch (e) { if (e instanceof Error) caught++; } }
    const s = torch.tidy(() => torch.ones([2, 2]).matmul(torch.ones([2, 2])).sum().item());
    console.log(JSON.stringify({ caught, s }));
    process.exit(0);
  `;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', env: process.env });
  assert.equal(r.signal, null, `child died with ${r.signal}: ${r.stderr}`);
  assert.equal(r.status, 0, r.stderr);
  const last = r.stdout.trim().split('\n').pop()!;
  assert.deepEqual(JSON.parse(last), { caught: 11, s: 8 });
});

ttest(
  'non-integer dims, indices and sizes are TypeErrors (PyTorch refuses them)',
  () => {
    const x = torch.tensor([10, 20, 30]);
    assert.throws(() => x.select(0, 1.5), TypeError);
    assert.throws(() => x.narrow(0, 0.5, 1), TypeError);
    assert.throws(() => x.sum(0.5), TypeError);
    assert.throws(() => x.topk(1.5), TypeError);
    assert.throws(() => x.reshape(1.5, 2), TypeError);
  },
);
