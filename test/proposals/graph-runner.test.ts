// The TF graph runner's operators against TensorFlow.js's own kernels on small graphs, including the
// attribute cases NanoDet does not use (SAME padding with an odd pixel, strides, depthwise, NCHW),
// and its errors. No network: tfjs is a devDependency.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as torch from '../../src/torch/index.js';
import type { ConstData, GraphAttr, GraphFile, GraphNode } from '../../src/proposals/graph-file.js';
import { GraphModel } from '../../src/proposals/graph-runner.js';
import { UserError } from '../../src/util/errors.js';

type Tf = typeof import('@tensorflow/tfjs');
let tf: Tf;

before(async () => {
  const warn = console.warn;
  const log = console.log;
  console.warn = () => {};
  console.log = () => {};
  try {
    tf = await import('@tensorflow/tfjs');
    await tf.setBackend('cpu');
  } finally {
    console.warn = warn;
    console.log = log;
  }
});

const s = (v: string): GraphAttr => ({ s: Buffer.from(v).toString('base64') });
const ints = (...v: number[]): GraphAttr => ({ list: { i: v.map(String) } });

function node(name: string, op: string, inputs: string[] = [], attr: Record<string, GraphAttr> = {}): GraphNode {
  return { name, op, inputs, attr: new Map(Object.entries(attr)) };
}

/** A deterministic pseudo-random float array (no Math.random: tests are reproducible). */
function values(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = ((x >>> 0) / 2 ** 32) * 2 - 1;
  }
  return out;
}

const f32 = (shape: number[], data: Float32Array): ConstData => ({ dtype: 'float32', shape, bytes: new Uint8Array(data.buffer.slice(0)) });
const i32 = (shape: number[], data: number[]): ConstData => ({ dtype: 'int32', shape, data: Int32Array.from(data) });

/** Runs `nodes` (input placeholder "x") on `x` in stad; returns the output's shape and values. */
function runStad(nodes: GraphNode[], consts: Record<string, ConstData>, x: Float32Array, shape: number[], output = 'y'): { shape: number[]; data: Float32Array } {
  const file: GraphFile = { nodes: [node('x', 'Placeholder'), ...nodes, ...Object.keys(consts).map((k) => node(k, 'Const'))], consts: new Map(Object.entries(consts)), inputs: ['x'], outputShapes: new Map(), outputs: [output] };
  const g = new GraphModel(file, 'test.json');
  try {
    return torch.tidy(() => {
      const out = g.run(new Map([['x', torch.tensor(x, { shape })]])).get(output)!;
      return { shape: out.shape, data: out.dataSync() as Float32Array };
    });
  } finally {
    g.dispose();
  }
}

function close(actual: { shape: number[]; data: Float32Array }, expected: { shape: number[]; data: Float32Array }, tol = 1e-5): void {
  assert.deepEqual(actual.shape, expected.shape);
  for (let i = 0; i < expected.data.length; i++) {
    const d = Math.abs((actual.data[i] as number) - (expected.data[i] as number));
    assert.ok(d <= tol * (1 + Math.abs(expected.data[i] as number)), `element ${i}: ${actual.data[i]} vs ${expected.data[i]}`);
  }
}

function tfRun(fn: () => import('@tensorflow/tfjs').Tensor): { shape: number[]; data: Float32Array } {
  const t = fn();
  const r = { shape: t.shape, data: t.dataSync() as Float32Array };
  t.dispose();
  return r;
}

test('Conv2D NHWC with SAME padding, stride 2 and an odd input (the extra pixel at the end) + BiasAdd + Relu6', () => {
  const xs = [1, 7, 9, 3];
  const x = values(7 * 9 * 3, 1);
  const w = values(3 * 3 * 3 * 4, 2);
  const b = values(4, 3);
  const nodes = [
    node('c', 'Conv2D', ['x', 'w'], { strides: ints(1, 2, 2, 1), padding: s('SAME'), data_format: s('NHWC'), dilations: ints(1, 1, 1, 1) }),
    node('b', 'BiasAdd', ['c', 'bias'], { data_format: s('NHWC') }),
    node('y', 'Relu6', ['b']),
  ];
  const got = runStad(nodes, { w: f32([3, 3, 3, 4], w), bias: f32([4], b) }, x, xs);
  const want = tfRun(() => tf.clipByValue(tf.add(tf.conv2d(tf.tensor4d(x, xs as [number, number, number, number]), tf.tensor4d(w, [3, 3, 3, 4]), 2, 'same'), tf.tensor1d(b)), 0, 6));
  close(got, want);
});

test('DepthwiseConv2dNative (channel multiplier 2, dilation 2, VALID) and LeakyRelu', () => {
  const xs = [1, 9, 8, 3];
  const x = values(9 * 8 * 3, 4);
  const w = values(3 * 3 * 3 * 2, 5);
  const nodes = [
    node('c', 'DepthwiseConv2dNative', ['x', 'w'], { strides: ints(1, 1, 1, 1), padding: s('VALID'), dilations: ints(1, 2, 2, 1) }),
    node('y', 'LeakyRelu', ['c'], { alpha: { f: 0.1 } }),
  ];
  const got = runStad(nodes, { w: f32([3, 3, 3, 2], w) }, x, xs);
  const want = tfRun(() => tf.leakyRelu(tf.depthwiseConv2d(tf.tensor4d(x, xs as [number, number, number, number]), tf.tensor4d(w, [3, 3, 3, 2]), 1, 'valid', 'NHWC', 2), 0.1));
  close(got, want);
});

test('MaxPool SAME (padding never wins) and ResizeBilinear with half-pixel centres', () => {
  const xs = [1, 7, 6, 2];
  const x = values(7 * 6 * 2, 6).map((v) => v - 2); // all negative: a zero pad would show
  const pool = runStad([node('y', 'MaxPool', ['x'], { ksize: ints(1, 3, 3, 1), strides: ints(1, 2, 2, 1), padding: s('SAME') })], {}, x, xs);
  close(pool, tfRun(() => tf.maxPool(tf.tensor4d(x, xs as [number, number, number, number]), 3, 2, 'same')));
  const resized = runStad([node('y', 'ResizeBilinear', ['x', 'size'], { align_corners: { b: false }, half_pixel_centers: { b: true } })], { size: i32([2], [13, 5]) }, x, xs);
  close(resized, tfRun(() => tf.image.resizeBilinear(tf.tensor4d(x, xs as [number, number, number, number]), [13, 5], false, true)));
});

test('Pad, PadV2, Transpose, ConcatV2 (negative axis), SplitV (-1 size), Reshape, Sigmoid, Add, Mul and folded int arithmetic', () => {
  const xs = [1, 2, 3, 4];
  const x = values(24, 7);
  const nodes = [
    node('p', 'Pad', ['x', 'pads']),
    node('p2', 'PadV2', ['x', 'pads', 'minus']),
    node('c', 'ConcatV2', ['p', 'p2', 'axis'], { N: { i: '2' } }),
    node('t', 'Transpose', ['c', 'perm']),
    node('sp', 'SplitV', ['t', 'sizes', 'dim'], { num_split: { i: '2' } }),
    node('shape', 'AddV2', ['shape0', 'zero']), // [1, -1] + 0: shape arithmetic folded at load
    node('r', 'Reshape', ['sp:1', 'shape']),
    node('m', 'Mul', ['r', 'half']),
    node('a', 'Add', ['m', 'half']),
    node('y', 'Sigmoid', ['a']),
  ];
  const consts = {
    pads: i32([4, 2], [0, 0, 1, 0, 0, 2, 0, 0]),
    minus: f32([], Float32Array.of(-3)),
    axis: i32([], [-1]),
    perm: i32([4], [0, 3, 1, 2]),
    sizes: i32([2], [3, -1]),
    dim: i32([], [1]),
    shape0: i32([2], [1, -1]),
    zero: i32([2], [0, 0]),
    half: f32([], Float32Array.of(0.5)),
  };
  const got = runStad(nodes, consts, x, xs);
  const want = tfRun(() => {
    const t = tf.tensor4d(x, xs as [number, number, number, number]);
    const p = tf.pad(t, [[0, 0], [1, 0], [0, 2], [0, 0]]);
    const p2 = tf.pad(t, [[0, 0], [1, 0], [0, 2], [0, 0]], -3);
    const c = tf.transpose(tf.concat([p, p2], -1), [0, 3, 1, 2]);
    const part = tf.split(c, [3, 5], 1)[1]!;
    return tf.sigmoid(tf.add(tf.mul(tf.reshape(part, [1, -1]), 0.5), 0.5));
  });
  close(got, want);
});

test('an op stad does not run is one line naming the op and the node', () => {
  const file: GraphFile = { nodes: [node('x', 'Placeholder'), node('y', 'NonMaxSuppressionV5', ['x'])], consts: new Map(), inputs: ['x'], outputShapes: new Map(), outputs: ['y'] };
  assert.throws(
    () => new GraphModel(file, 'model.json'),
    (e: unknown) => e instanceof UserError && /^model\.json: node "y": op NonMaxSuppressionV5 is not supported/.test(e.message) && !e.message.includes('\n'),
  );
  const missing: GraphFile = { nodes: [node('y', 'Sigmoid', ['nowhere'])], consts: new Map(), inputs: [], outputShapes: new Map(), outputs: ['y'] };
  assert.throws(() => new GraphModel(missing, 'model.json'), /model\.json: node "y" names "nowhere", which is not a node/);
});

test('the runner frees its intermediates: live tensors are flat across runs and back to zero after dispose', () => {
  const before = torch.memory().liveTensors;
  const nodes = [node('c', 'Conv2D', ['x', 'w'], { strides: ints(1, 1, 1, 1), padding: s('SAME') }), node('y', 'Sigmoid', ['c'])];
  const file: GraphFile = { nodes: [node('x', 'Placeholder'), ...nodes, node('w', 'Const')], consts: new Map([['w', f32([3, 3, 2, 2], values(36, 9))]]), inputs: ['x'], outputShapes: new Map(), outputs: ['y'] };
  const g = new GraphModel(file, 'test.json');
  const x = torch.randn([1, 5, 5, 2]);
  torch.dispose(g.run(new Map([['x', x]])));
  const afterOne = torch.memory().liveTensors;
  for (let i = 0; i < 3; i++) torch.dispose(g.run(new Map([['x', x]])));
  assert.equal(torch.memory().liveTensors, afterOne);
  g.dispose();
  x.dispose();
  assert.equal(torch.memory().liveTensors, before);
});
