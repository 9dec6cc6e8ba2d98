/**
 * Module: names, order and shapes of state dicts (against PyTorch's state_dict() of the same nested
 * structure, test/fixtures/nn/module.json), strict loading with every mismatch listed, round trips,
 * parameter counting, train/eval propagation and dtype conversion.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tidy, manualSeed, randn, zeros, ones, Tensor } from '../../src/torch/index.js';
import { Module, StateDictError, Sequential, Conv3d, BatchNorm3d, ReLU, Linear, Dropout } from '../../src/nn/index.js';
import { readGolden, assertValuesClose } from './golden.js';

interface ModuleGolden {
  keys: string[];
  shapes: number[][];
  dtypes: string[];
  parameter_names: string[];
  buffer_names: string[];
  module_names: string[];
  num_parameters: number;
}

const golden = readGolden<ModuleGolden>('module.json');

/** The same structure as make_golden.py's nested_model(). */
function nestedModel(): Sequential {
  return new Sequential(
    new Sequential(new Conv3d(3, 8, [1, 3, 3], { padding: [0, 1, 1], bias: false }), new BatchNorm3d(8), new ReLU()),
    new Sequential(new Conv3d(8, 8, [3, 1, 1], { padding: [1, 0, 0] }), new BatchNorm3d(8)),
    new ReLU(),
    new Linear(6, 4),
  );
}

function copyState(m: Module): Map<string, Tensor> {
  return new Map([...m.stateDict()].map(([k, t]) => [k, t.detach().clone()]));
}

function disposeAll(state: Map<string, Tensor>): void {
  for (const t of state.values()) t.dispose();
}

test("stateDict names, order, shapes and dtypes equal PyTorch's state_dict() for the same nested model", () => {
  const m = nestedModel();
  try {
    const sd = m.stateDict();
    assert.deepEqual([...sd.keys()], golden.keys);
    assert.deepEqual([...sd.values()].map((t) => t.shape), golden.shapes);
    assert.deepEqual([...sd.values()].map((t) => t.dtype), golden.dtypes);
    assert.deepEqual(m.namedParameters().map(([n]) => n), golden.parameter_names);
    assert.deepEqual(m.namedBuffers().map(([n]) => n), golden.buffer_names);
    assert.deepEqual(m.namedModules().map(([n]) => n), golden.module_names);
    assert.equal(m.numParameters(), golden.num_parameters);
    assert.equal(m.numParameters({ trainableOnly: true }), golden.num_parameters);
    assert.equal(m.parameters().length, golden.parameter_names.length);
  } finally {
    m.dispose();
  }
});

test('numParameters counts frozen parameters unless trainableOnly is set', () => {
  const m = nestedModel();
  try {
    const bn = (m.at(0) as Sequential).at(1) as BatchNorm3d;
    bn.freeze();
    assert.equal(m.numParameters(), golden.num_parameters);
    assert.equal(m.numParameters({ trainableOnly: true }), golden.num_parameters - 16);
  } finally {
    m.dispose();
  }
});

test('loadStateDict round trip: values are copied in place, the tensors stay the same objects', () => {
  manualSeed(1);
  const a = nestedModel();
  manualSeed(2);
  const b = nestedModel();
  try {
    const ownTensors = [...b.stateDict().values()];
    const weightA = a.stateDict().get('0.0.weight')!;
    assert.notDeepEqual(b.stateDict().get('0.0.weight')!.toArray(), weightA.toArray(), 'different seeds give different weights');
    // Running statistics that differ from the defaults, to see that buffers travel too.
    tidy(() => a.forward(randn([2, 3, 3, 4, 6]).mul(3)));
    const mismatch = b.loadStateDict(a.stateDict());
    assert.deepEqual(mismatch, { missing: [], unexpected: [], wrongShape: [] });
    for (const [k, t] of a.stateDict()) assert.deepEqual(b.stateDict().get(k)!.toArray(), t.toArray(), k);
    assert.equal(b.stateDict().get('0.1.num_batches_tracked')!.item(), 1);
    [...b.stateDict().values()].forEach((t, i) => assert.equal(t, ownTensors[i], 'same tensor object after loading'));
    assert.ok(b.parameters().every((p) => p.requiresGrad && p.isLeaf), 'parameters stay trainable leaves');
    // The same outputs, in train mode and in eval mode.
    for (const mode of ['train', 'eval'] as const) {
      a.train(mode === 'train');
      b.train(mode === 'train');
      tidy(() => {
        manualSeed(5);
        const x = randn([1, 3, 3, 4, 6]);
        assert.deepEqual(b.forward(x).toArray(), a.forward(x).toArray(), `${mode} outputs`);
      });
    }
    // Copies, not aliases: changing a afterwards leaves b alone.
    tidy(() => weightA.detach().fill_(7));
    assert.notEqual(b.stateDict().get('0.0.weight')!.toArray()[0], 7);
  } finally {
    a.dispose();
    b.dispose();
  }
});

test('strict loadStateDict lists every missing, unexpected and wrong-shape name, and changes nothing', () => {
  const m = nestedModel();
  const state = copyState(m);
  try {
    state.get('3.bias')!.dispose();
    state.delete('3.bias');
    state.get('0.1.running_var')!.dispose();
    state.delete('0.1.running_var');
    state.set('4.weight', zeros([2]));
    state.set('backbone.conv1.weight', zeros([1]));
    state.get('1.0.weight')!.dispose();
    state.set('1.0.weight', zeros([8, 8, 1, 1, 1]));
    state.get('0.0.weight')!.fill_(5);
    const before = m.stateDict().get('0.0.weight')!.toArray();

    let error: unknown;
    try {
      m.loadStateDict(state, { source: 'ckpt.safetensors' });
    } catch (e) {
      error = e;
    }
    assert.ok(error instanceof StateDictError, 'throws a StateDictError');
    assert.deepEqual(error.mismatch.missing, ['0.1.running_var', '3.bias']);
    assert.deepEqual(error.mismatch.unexpected, ['4.weight', 'backbone.conv1.weight']);
    assert.deepEqual(error.mismatch.wrongShape, [{ name: '1.0.weight', expected: [8, 8, 3, 1, 1], got: [8, 8, 1, 1, 1] }]);
    assert.equal(
      error.message,
      'ckpt.safetensors does not match the model: missing 2 (0.1.running_var, 3.bias); unexpected 2 (4.weight, backbone.conv1.weight); ' +
        'wrong shape 1 (1.0.weight: expected [8, 8, 3, 1, 1], got [8, 8, 1, 1, 1])',
    );
    assert.equal(error.message.includes('\n'), false, 'one line');
    assert.deepEqual(m.stateDict().get('0.0.weight')!.toArray(), before, 'nothing loaded when the check fails');

    // Not strict: missing and unexpected names are reported, but a wrong shape still throws.
    assert.throws(() => m.loadStateDict(state, { strict: false }), (e: unknown) => e instanceof StateDictError && /wrong shape 1 \(1\.0\.weight/.test(e.message));
    state.get('1.0.weight')!.dispose();
    state.delete('1.0.weight');
    const report = m.loadStateDict(state, { strict: false });
    assert.deepEqual(report.missing, ['0.1.running_var', '1.0.weight', '3.bias']);
    assert.deepEqual(report.unexpected, ['4.weight', 'backbone.conv1.weight']);
    assert.ok(m.stateDict().get('0.0.weight')!.toArray().every((v) => v === 5), 'present names are loaded');
  } finally {
    disposeAll(state);
    m.dispose();
  }
});

test('long mismatch lists are shortened in the message but complete in the mismatch', () => {
  const m = nestedModel();
  try {
    assert.throws(
      () => m.loadStateDict(new Map()),
      (e: unknown) =>
        e instanceof StateDictError &&
        e.mismatch.missing.length === golden.keys.length &&
        e.message === `state dict does not match the model: missing ${golden.keys.length} (${golden.keys.slice(0, 6).join(', ')} and ${golden.keys.length - 6} more)`,
    );
  } finally {
    m.dispose();
  }
});

test('train() and eval() reach every descendant', () => {
  const m = new Sequential(nestedModel(), new Dropout(0.5));
  try {
    const all = m.namedModules();
    assert.equal(all.length, golden.module_names.length + 2);
    assert.ok(all.every(([, c]) => c.training), 'modules start in training mode');
    assert.equal(m.eval(), m, 'eval returns the module');
    assert.ok(all.every(([, c]) => !c.training), 'eval reaches every module');
    m.train();
    assert.ok(all.every(([, c]) => c.training));
    m.train(false);
    assert.ok(all.every(([, c]) => !c.training));
    // In eval, dropout is the identity and BatchNorm uses running statistics: two calls agree.
    tidy(() => {
      const x = randn([1, 3, 3, 4, 6]);
      assert.deepEqual(m.forward(x).toArray(), m.forward(x).toArray());
    });
  } finally {
    m.dispose();
  }
});

test("to('float64') converts floating parameters and buffers, keeps num_batches_tracked int64, names and trainability", () => {
  manualSeed(3);
  const m = nestedModel();
  try {
    const before = new Map([...m.stateDict()].map(([k, t]) => [k, t.toArray()]));
    ((m.at(1) as Sequential).at(1) as BatchNorm3d).freeze();
    assert.equal(m.to('float64'), m);
    const sd = m.stateDict();
    assert.deepEqual([...sd.keys()], golden.keys);
    for (const [k, t] of sd) {
      assert.equal(t.dtype, k.endsWith('num_batches_tracked') ? 'int64' : 'float64', k);
      // float32 -> float64 is exact.
      assert.deepEqual(t.toArray(), before.get(k), `${k} values`);
    }
    assert.deepEqual(
      m.namedParameters().filter(([, p]) => !p.requiresGrad).map(([n]) => n),
      ['1.1.weight', '1.1.bias'],
      'only the frozen BatchNorm parameters stay out of training',
    );
    assert.ok(m.parameters().every((p) => p.isLeaf));
    tidy(() => {
      const y = m.forward(randn([2, 3, 3, 4, 6], { dtype: 'float64' }));
      assert.equal(y.dtype, 'float64');
      assert.deepEqual(y.shape, [2, 8, 3, 4, 4]);
      y.sum().backward();
      assert.equal(m.stateDict().get('0.0.weight')!.grad?.dtype, 'float64');
    });
  } finally {
    m.dispose();
  }
});

test('member names must be unique and dot-free', () => {
  class Bad extends Module {
    constructor(name: string, twice: boolean) {
      super();
      this.registerParameter(name, ones([1]));
      if (twice) this.registerBuffer(name, ones([1]));
    }
  }
  assert.throws(() => new Bad('a.b', false), /invalid module member name 'a\.b'/);
  assert.throws(() => new Bad('', false), /invalid module member name/);
  assert.throws(() => new Bad('w', true), /'w' is already registered/);
});

test('Sequential names its layers 0, 1, ... and indexes them from either end', () => {
  const relu = new ReLU();
  const lin = new Linear(2, 3);
  const s = new Sequential(lin, relu);
  try {
    assert.equal(s.length, 2);
    assert.equal(s.at(0), lin);
    assert.equal(s.at(-1), relu);
    assert.throws(() => s.at(2), /no layer 2 in a Sequential of 2/);
    assert.deepEqual(s.namedChildren().map(([n]) => n), ['0', '1']);
    s.append(new Linear(3, 1));
    assert.deepEqual([...s.stateDict().keys()], ['0.weight', '0.bias', '2.weight', '2.bias']);
    tidy(() => {
      const x = randn([4, 2]);
      const expected = x.linear(lin.weight, lin.bias).relu();
      const l2 = s.at(2) as Linear;
      assertValuesClose(s.forward(x).toArray(), expected.linear(l2.weight, l2.bias).toArray(), 'Sequential chains its layers', 1e-6);
    });
  } finally {
    s.dispose();
  }
});
