// Deterministic memory: tidy, keep, dispose, explicit scopes, memory() accounting, and a long training
// loop whose live tensor count and process RSS stay flat.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as torch from '../../src/torch/index.js';
import { vals } from './check.js';

const live = () => torch.memory().liveTensors;

test('tidy frees everything created inside and returns the result', () => {
  const before = live();
  const r = torch.tidy(() => {
    const a = torch.ones([3]);
    const b = a.add(1).mul(2);
    assert.equal(live(), before + 3);
    return b.sum();
  });
  assert.equal(live(), before + 1);
  assert.equal(r.item(), 12);
  r.dispose();
  assert.equal(live(), before);
});

test('tidy of a non-tensor result frees everything', () => {
  const before = live();
  const n = torch.tidy(() => torch.ones([4]).sum().item());
  assert.equal(n, 4);
  assert.equal(live(), before);
  torch.tidy(() => {
    torch.ones([2]);
  });
  assert.equal(live(), before);
});

test('nested tidy: the inner result moves to the outer scope and is freed with it', () => {
  const before = live();
  let inner: torch.Tensor | undefined;
  const out = torch.tidy(() => {
    inner = torch.tidy(() => torch.ones([2]).mul(3));
    assert.equal(live(), before + 1);
    assert.equal(inner.isDisposed, false);
    return torch.tidy(() => inner!.add(1));
  });
  assert.equal(inner!.isDisposed, true);
  assert.deepEqual(vals(out), [4, 4]);
  assert.equal(live(), before + 1);
  out.dispose();
  assert.equal(live(), before);
});

test('tidy keeps tensors in returned arrays, plain objects, Maps and nested structures', () => {
  const before = live();
  const r = torch.tidy(() => {
    const x = torch.ones([2]);
    const scratch = x.mul(5);
    scratch.add(1);
    return {
      list: [x.add(1), x.add(2)],
      named: { a: x.mul(2), deeper: { b: x.mul(3) } },
      map: new Map([['m', x.sub(1)]]),
      n: 7,
    };
  });
  assert.equal(live(), before + 5);
  assert.deepEqual(vals(r.list[1]!), [3, 3]);
  assert.deepEqual(vals(r.named.deeper.b), [3, 3]);
  assert.deepEqual(vals(r.map.get('m')!), [0, 0]);
  torch.dispose(r);
  assert.equal(live(), before);
  assert.equal(r.named.a.isDisposed, true);
});

test('an exception inside tidy frees everything created there and propagates', () => {
  const before = live();
  let made: torch.Tensor | undefined;
  assert.throws(
    () =>
      torch.tidy(() => {
        made = torch.ones([3]);
        torch.tidy(() => torch.ones([1000]));
        torch.ones([2]).add(torch.ones([3])); // shape mismatch
      }),
    /^Error: add: /,
  );
  assert.equal(made!.isDisposed, true);
  assert.equal(live(), before);
  // and a JS exception too
  assert.throws(() => torch.tidy(() => { torch.ones([1]); throw new RangeError('mine'); }), RangeError);
  assert.equal(live(), before);
});

test('a Promise-returning function is refused by tidy, which frees what it created', async () => {
  const before = live();
  let made: torch.Tensor | undefined;
  assert.throws(
    () =>
      torch.tidy(async () => {
        made = torch.ones([2]);
        await Promise.resolve();
      }),
    /synchronous/,
  );
  assert.equal(made!.isDisposed, true);
  assert.equal(live(), before);
  // noGrad refuses them as well
  assert.throws(() => torch.noGrad(async () => 1), /synchronous/);
  await new Promise((r) => setImmediate(r));
  assert.equal(live(), before);
});

test('keep takes tensors out of every scope; they live until disposed', () => {
  const before = live();
  let kept: torch.Tensor | undefined;
  let keptInner: { w: torch.Tensor } | undefined;
  torch.tidy(() => {
    kept = torch.keep(torch.ones([2]));
    torch.tidy(() => {
      keptInner = torch.keep({ w: torch.zeros([3]) });
      torch.ones([1]);
    });
    torch.ones([1]);
  });
  assert.equal(live(), before + 2);
  assert.equal(kept!.isDisposed, false);
  assert.deepEqual(vals(keptInner!.w), [0, 0, 0]);
  kept!.dispose();
  torch.dispose(keptInner);
  assert.equal(live(), before);
});

test('dispose takes a tensor, arrays, objects, Maps, and ignores non-tensors', () => {
  const before = live();
  const a = torch.ones([1]);
  const b = torch.ones([1]);
  const c = torch.ones([1]);
  const d = torch.ones([1]);
  torch.dispose(a);
  torch.dispose([b, 'text', 3, null, undefined, { c }]);
  torch.dispose(new Map([['d', d]]));
  torch.dispose(null);
  torch.dispose(42);
  assert.ok([a, b, c, d].every((t) => t.isDisposed));
  assert.equal(live(), before);
});

test('tensors created outside tidy and returned from it are not freed', () => {
  const before = live();
  const x = torch.ones([2]);
  const r = torch.tidy(() => x);
  assert.equal(r, x);
  assert.equal(x.isDisposed, false);
  // disposing an outer tensor inside a tidy is allowed
  torch.tidy(() => x.dispose());
  assert.equal(live(), before);
});

test('an explicit Scope collects tensors across several runs until disposed', async () => {
  const before = live();
  const s = new torch.Scope();
  const a = s.run(() => torch.ones([2]));
  await Promise.resolve();
  const b = s.run(() => a.add(1));
  assert.equal(live(), before + 2);
  s.dispose();
  assert.equal(a.isDisposed && b.isDisposed, true);
  assert.equal(live(), before);
  assert.throws(() => s.run(() => 1), /disposed/);
});

test('gradients, split results and sort results are tracked like any tensor', () => {
  const before = live();
  const w = torch.keep(torch.ones([3], { requiresGrad: true }));
  torch.tidy(() => {
    w.mul(w).sum().backward();
    const g1 = w.grad!;
    const g2 = w.grad!; // each read is a new handle
    assert.notEqual(g1.id, g2.id);
    torch.arange(6).split(2);
    torch.ones([4]).sort();
    torch.ones([2, 2]).max(1);
    torch.ones([3]).unbind();
  });
  assert.equal(live(), before + 1);
  w.grad = null;
  w.dispose();
  assert.equal(live(), before);
});

test('memory() counts bytes of distinct storages; views add no bytes', () => {
  const base = torch.memory();
  const t = torch.zeros([1000]);
  assert.equal(torch.memory().bytes - base.bytes, 4000);
  assert.equal(torch.memory().liveTensors - base.liveTensors, 1);
  const v = t.narrow(0, 0, 10);
  const r = t.reshape(10, 100);
  assert.equal(torch.memory().bytes - base.bytes, 4000);
  assert.equal(torch.memory().liveTensors - base.liveTensors, 3);
  const d = torch.zeros([10], { dtype: 'float64' });
  assert.equal(torch.memory().bytes - base.bytes, 4080);
  torch.dispose([t, d]);
  // the views still hold the storage
  assert.equal(torch.memory().bytes - base.bytes, 4000);
  torch.dispose([v, r]);
  assert.deepEqual(torch.memory(), base);
});

test('10,000 training steps keep the live tensor count exactly flat and the RSS flat', () => {
  const gc = (globalThis as { gc?: () => void }).gc;
  torch.manualSeed(0);
  const before = live();
  // y = relu MLP target on 16 points; a 3-8-1 MLP trained with plain SGD
  const data = torch.tidy(() => {
    const x = torch.randn([16, 3]);
    const y = x.matmul(torch.tensor([[0.5], [-1], [2]])).add(0.3).tanh();
    return { x, y };
  });
  const params = torch.tidy(() => [
    torch.randn([8, 3]).mul(0.5),
    torch.zeros([8]),
    torch.randn([1, 8]).mul(0.3),
    torch.zeros([1]),
  ]);
  torch.keep([data, params]);
  params.forEach((p) => (p.requiresGrad = true));
  const steady = live();
  const lr = 0.1;
  const step = (): number =>
    torch.tidy(() => {
      const [w1, b1, w2, b2] = params;
      const pred = data.x.linear(w1!, b1!).relu().linear(w2!, b2!);
      const loss = pred.sub(data.y).square().mean();
      loss.backward();
      torch.noGrad(() => {
        for (const p of params) p.sub_(p.grad!, lr);
      });
      for (const p of params) p.grad = null;
      return loss.item();
    });

  const first = step();
  for (let i = 1; i < 500; i++) step();
  gc?.();
  const rssWarm = process.memoryUsage().rss;
  let last = 0;
  for (let i = 500; i < 10000; i++) {
    last = step();
    if (live() !== steady) assert.fail(`live tensors changed at step ${i}: ${live()} vs ${steady}`);
  }
  gc?.();
  const rssEnd = process.memoryUsage().rss;
  const grewMB = (rssEnd - rssWarm) / 2 ** 20;
  assert.ok(grewMB < 20, `RSS grew by ${grewMB.toFixed(1)} MB over 9,500 steps`);
  // it did learn something (the loop is a real training loop, not a no-op)
  assert.ok(last < first * 0.5, `loss ${first} -> ${last}`);
  torch.dispose([data, params]);
  assert.equal(live(), before);
});
