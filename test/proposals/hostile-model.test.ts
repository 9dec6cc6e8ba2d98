// Hostile TF.js graph model files (model.json + weights) against the reader and the runner: names that
// are object-prototype keys, huge or negative shapes, weight paths that leave the folder, short or long
// weight files, unknown ops, cycles, duplicate names, ops that cannot run on the file's own values, and
// fast-check mutations of a valid small model. Each is read and run correctly or refused with one
// UserError line naming the file: never another error, an escape, or an unbounded allocation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import * as torch from '../../src/torch/index.js';
import { readGraphModel } from '../../src/proposals/graph-file.js';
import { GraphModel } from '../../src/proposals/graph-runner.js';
import { isUserError } from '../../src/util/errors.js';
import { tempDir } from '../helpers.js';

const RUNS = Number(process.env.STAD_FUZZ_RUNS ?? 150);
const b64 = (s: string): string => Buffer.from(s).toString('base64');
const ints = (...v: number[]): { list: { i: string[] } } => ({ list: { i: v.map(String) } });

type Json = Record<string, unknown>;

/** A 1x1 convolution (2 -> 3 channels) of an NHWC input `x`, output `y`; weights 0.5, 1, ... */
function smallModel(names: { x?: string; w?: string; y?: string } = {}): { model: Json; bin: Buffer } {
  const [x, w, y] = [names.x ?? 'x', names.w ?? 'w', names.y ?? 'y'];
  const model: Json = {
    format: 'graph-model',
    modelTopology: {
      node: [
        { name: x, op: 'Placeholder', attr: { dtype: { type: 'DT_FLOAT' } } },
        { name: w, op: 'Const' },
        { name: y, op: 'Conv2D', input: [x, w], attr: { strides: ints(1, 1, 1, 1), padding: { s: b64('VALID') }, data_format: { s: b64('NHWC') } } },
      ],
    },
    weightsManifest: [{ paths: ['group1-shard1of1.bin'], weights: [{ name: w, shape: [1, 1, 2, 3], dtype: 'float32' }] }],
    signature: { inputs: { [`${x}:0`]: { name: `${x}:0` } }, outputs: { [`${y}:0`]: { name: `${y}:0` } } },
  };
  const bin = Buffer.from(Float32Array.from([0.5, 1, 1.5, 2, 2.5, 3]).buffer);
  return { model, bin };
}

/** model.json as JSON text: a key "__proto__" stays an own key, as JSON.parse reads it back. */
function jsonText(v: unknown): string {
  return JSON.stringify(v);
}

/** Writes the model into a fresh folder, reads it, builds and runs it on a 1x2x2x2 input; returns the output values. */
function load(modelText: string, bin: Uint8Array | null, binName = 'group1-shard1of1.bin'): number[] {
  const t = tempDir();
  try {
    const path = join(t.dir, 'model.json');
    writeFileSync(path, modelText);
    if (bin) writeFileSync(join(t.dir, binName), bin);
    const file = readGraphModel(path, t.dir);
    const g = new GraphModel(file, path);
    try {
      return torch.tidy(() => {
        const input = torch.tensor(Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8]), { shape: [1, 2, 2, 2] });
        const outs = g.run(new Map(g.inputNames.map((n) => [n, input])));
        return [...outs.values()].flatMap((o) => Array.from(o.float().dataSync() as Float32Array));
      });
    } finally {
      g.dispose();
    }
  } finally {
    t.cleanup();
  }
}

function rejects(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(isUserError(e), `not a UserError: ${(e as Error)?.stack ?? String(e)}`);
    assert.doesNotMatch(e.message, /\n/);
    assert.match(e.message, /model\.json/);
    assert.match(e.message, pattern);
    return true;
  });
}

/** The expected 1x1 convolution of [1..8] (pixels of 2 channels) with weights [[0.5, 1, 1.5], [2, 2.5, 3]]. */
const EXPECTED = [1, 2, 3, 4, 5, 6, 7, 8].reduce<number[]>((acc, _, i, a) => {
  if (i % 2 === 0) {
    const [c0, c1] = [a[i] as number, a[i + 1] as number];
    acc.push(c0 * 0.5 + c1 * 2, c0 * 1 + c1 * 2.5, c0 * 1.5 + c1 * 3);
  }
  return acc;
}, []);

test('the small model runs (the baseline the hostile variants start from)', () => {
  const { model, bin } = smallModel();
  assert.deepEqual(load(jsonText(model), bin), EXPECTED);
});

test('node, weight, input and output names that are object-prototype keys are ordinary names', () => {
  for (const names of [
    { x: '__proto__', w: 'constructor', y: 'toString' },
    { x: 'constructor', w: '__proto__', y: 'hasOwnProperty' },
    { x: 'valueOf', w: 'toString', y: '__proto__' },
  ]) {
    const { model, bin } = smallModel(names);
    assert.deepEqual(load(jsonText(model), bin), EXPECTED, JSON.stringify(names));
  }
  // An attribute keyed "__proto__" is one more (unused) attribute, not a prototype: the node still
  // sees its real attributes.
  const { model, bin } = smallModel();
  const text = jsonText(model).replace('"strides":', '"__proto__":{"s":"eA=="},"constructor":{"i":"1"},"strides":');
  assert.deepEqual(load(text, bin), EXPECTED);
});

test('negative, fractional, huge and too many dimensions of a weight are one line', () => {
  for (const shape of [[-1, 1, 2, 3], [1.5, 1, 2, 3], [2 ** 31, 1, 2, 3], [1e300, 1, 1, 1], [2 ** 31 - 1, 2 ** 31 - 1, 2 ** 31 - 1, 1], [1, 1, 1, 1, 1, 1, 1, 1, 6]]) {
    const { model, bin } = smallModel();
    (model.weightsManifest as { weights: { shape: number[] }[] }[])[0]!.weights[0]!.shape = shape;
    rejects(() => load(jsonText(model), bin), /weightsManifest|shape|needs bytes/);
  }
  // A zero-size dimension next to a huge one holds no bytes: refused by the byte count, not allocated.
  const { model, bin } = smallModel();
  (model.weightsManifest as { weights: { shape: number[] }[] }[])[0]!.weights[0]!.shape = [0, 2 ** 31 - 1, 1, 1];
  rejects(() => load(jsonText(model), bin), /weights take 0 bytes but the files hold 24/);
});

test('weight paths that are not a plain file name beside model.json are refused before anything is read', () => {
  for (const p of ['../group1-shard1of1.bin', '/etc/passwd', 'sub/group1-shard1of1.bin', '..', '.hidden', 'a\\b.bin', 'C:x.bin', '']) {
    const { model, bin } = smallModel();
    (model.weightsManifest as { paths: string[] }[])[0]!.paths = [p];
    rejects(() => load(jsonText(model), bin), /weightsManifest\[0\]\.paths|paths/);
  }
  const { model } = smallModel();
  // A missing shard: the line names the shard.
  assert.throws(
    () => load(jsonText(model), null),
    (e: unknown) => isUserError(e) && /group1-shard1of1\.bin: cannot read a weights file: no such file$/.test(e.message),
  );
});

test('a weights file shorter or longer than the manifest says is one line', () => {
  const { model, bin } = smallModel();
  rejects(() => load(jsonText(model), bin.subarray(0, 20)), /needs bytes 0\.\.24 but the weights are 20 bytes long/);
  rejects(() => load(jsonText(model), Buffer.concat([bin, Buffer.alloc(4)])), /the weights take 24 bytes but the files hold 28/);
  rejects(() => load(jsonText(model), Buffer.alloc(0)), /needs bytes/);
});

test('unknown ops, missing inputs, cycles and duplicate names are one line', () => {
  const variant = (edit: (nodes: Json[], model: Json) => void): string => {
    const { model } = smallModel();
    edit((model.modelTopology as { node: Json[] }).node, model);
    return jsonText(model);
  };
  const { bin } = smallModel();
  rejects(() => load(variant((n) => (n[2]!.op = 'FusedBatchNormV3')), bin), /node "y": op FusedBatchNormV3 is not supported/);
  rejects(() => load(variant((n) => (n[2]!.input = ['x', 'nowhere'])), bin), /node "y" names "nowhere", which is not a node of the graph/);
  // y -> z -> y, and a node that is its own input.
  rejects(
    () =>
      load(
        variant((n) => {
          n[2]!.input = ['x', 'z'];
          n.push({ name: 'z', op: 'Identity', input: ['y'] });
        }),
        bin,
      ),
    /depends on itself/,
  );
  rejects(
    () =>
      load(
        variant((n, m) => {
          n.push({ name: 'r', op: 'Identity', input: ['r'] });
          m.signature = { outputs: { o: { name: 'r:0' } } };
        }),
        bin,
      ),
    /"r" depends on itself/,
  );
  rejects(() => load(variant((n) => n.push({ name: 'y', op: 'Identity', input: ['x'] })), bin), /node\[3\]\.name: "y" names an earlier node too/);
  rejects(
    () =>
      load(
        variant((_n, m) => {
          const ws = (m.weightsManifest as { weights: Json[] }[])[0]!.weights;
          ws.push({ ...ws[0] });
        }),
        Buffer.concat([bin, bin]),
      ),
    /a weight of this name came earlier/,
  );
  rejects(() => load(variant((n) => n.splice(1, 1)), bin), /names "w", which is not a node/);
});

test('ops that cannot run on the file\'s own values are one line naming the node, not a libtorch error', () => {
  const withNodes = (extra: Json[], weights: Json[], out: string): string => {
    const { model } = smallModel();
    (model.modelTopology as { node: Json[] }).node.push(...extra);
    (model.weightsManifest as { weights: Json[] }[])[0]!.weights.push(...weights);
    model.signature = { outputs: { o: { name: `${out}:0` } } };
    return jsonText(model);
  };
  const int32 = (values: number[]): Buffer => Buffer.from(Int32Array.from(values).buffer);
  const { bin } = smallModel();
  // A filter with the wrong input channel count (3 instead of 2).
  const wrong = smallModel();
  (wrong.model.weightsManifest as { weights: { shape: number[] }[] }[])[0]!.weights[0]!.shape = [1, 1, 3, 2];
  rejects(() => load(jsonText(wrong.model), wrong.bin), /node "y" \(Conv2D\) cannot run on this graph's values/);
  // Strides of 0, and an attribute that is not a number.
  for (const strides of [ints(1, 0, 0, 1), { list: { i: ['1', 'x', '1', '1'] } }, ints(1, 2 ** 40, 1, 1)]) {
    const m = smallModel();
    ((m.model.modelTopology as { node: Json[] }).node[2]!.attr as Json).strides = strides;
    rejects(() => load(jsonText(m.model), m.bin), /node "y" \(Conv2D\): (strides|attribute strides)/);
  }
  // A permutation out of range.
  rejects(() => load(withNodes([{ name: 'p', op: 'Const' }, { name: 't', op: 'Transpose', input: ['y', 'p'] }], [{ name: 'p', shape: [4], dtype: 'int32' }], 't'), Buffer.concat([bin, int32([0, 9, 1, 2])])), /node "t" \(Transpose\)/);
  // A reshape that does not fit, a pad of 10^6 pixels, a resize to 10^6 x 10^6, a dense array of 2^40 values.
  rejects(() => load(withNodes([{ name: 's', op: 'Const' }, { name: 'r', op: 'Reshape', input: ['y', 's'] }], [{ name: 's', shape: [2], dtype: 'int32' }], 'r'), Buffer.concat([bin, int32([5, 7])])), /node "r" \(Reshape\)/);
  rejects(
    () => load(withNodes([{ name: 'q', op: 'Const' }, { name: 'pd', op: 'Pad', input: ['y', 'q'] }], [{ name: 'q', shape: [4, 2], dtype: 'int32' }], 'pd'), Buffer.concat([bin, int32([0, 0, 1e6, 1e6, 0, 0, 0, 0])])),
    /node "pd" \(Pad\): paddings/,
  );
  rejects(
    () => load(withNodes([{ name: 'sz', op: 'Const' }, { name: 'rs', op: 'ResizeBilinear', input: ['y', 'sz'], attr: { half_pixel_centers: { b: true } } }], [{ name: 'sz', shape: [2], dtype: 'int32' }], 'rs'), Buffer.concat([bin, int32([1e6, 1e6])])),
    /node "rs" \(ResizeBilinear\): resizing to 1000000x1000000/,
  );
  rejects(
    () =>
      load(
        withNodes(
          [{ name: 'i', op: 'Const' }, { name: 'sh', op: 'Const' }, { name: 'v', op: 'Const' }, { name: 'd', op: 'Const' }, { name: 'sd', op: 'SparseToDense', input: ['i', 'sh', 'v', 'd'] }],
          [
            { name: 'i', shape: [1], dtype: 'int32' },
            { name: 'sh', shape: [2], dtype: 'int32' },
            { name: 'v', shape: [1], dtype: 'int32' },
            { name: 'd', shape: [1], dtype: 'int32' },
          ],
          'sd',
        ),
        Buffer.concat([bin, int32([0, 1 << 20, 1 << 20, 1, 0])]),
      ),
    /node "sd" \(SparseToDense\): output shape \[1048576, 1048576\] is over/,
  );
  // A negative index into SparseToDense's output.
  rejects(
    () =>
      load(
        withNodes(
          [{ name: 'i', op: 'Const' }, { name: 'sh', op: 'Const' }, { name: 'v', op: 'Const' }, { name: 'd', op: 'Const' }, { name: 'sd', op: 'SparseToDense', input: ['i', 'sh', 'v', 'd'] }],
          [
            { name: 'i', shape: [1], dtype: 'int32' },
            { name: 'sh', shape: [1], dtype: 'int32' },
            { name: 'v', shape: [1], dtype: 'int32' },
            { name: 'd', shape: [1], dtype: 'int32' },
          ],
          'sd',
        ),
        Buffer.concat([bin, int32([-3, 4, 1, 0])]),
      ),
    /index -3 is outside dimension 0/,
  );
});

/** Calls `fn`; passes when it returns or throws a UserError, and fails with the input otherwise. */
function loadOrReject(fn: () => unknown, input: string): void {
  try {
    fn();
  } catch (e) {
    if (!isUserError(e)) throw new Error(`not a UserError for ${input.slice(0, 400)}: ${(e as Error)?.stack ?? String(e)}`);
    assert.doesNotMatch(e.message, /\n/);
  }
}

test('fuzz: mutated model.json text and hostile names are read and run, or refused with one line', () => {
  const { model, bin } = smallModel();
  const seed = jsonText(model);
  const hostile = ['__proto__', 'constructor', 'toString', '../x', '/etc/passwd', '', '-1', '1e400', 'NaN', 'x:0', '^x'];
  // Byte edits and truncations of the JSON text.
  fc.assert(
    fc.property(fc.integer({ min: 0, max: seed.length }), fc.array(fc.tuple(fc.nat(), fc.string({ maxLength: 3 })), { maxLength: 4 }), (cut, edits) => {
      let text = seed.slice(0, cut === 0 ? seed.length : cut);
      for (const [pos, s] of edits) {
        const p = text.length === 0 ? 0 : pos % text.length;
        text = text.slice(0, p) + s + text.slice(p + 1);
      }
      loadOrReject(() => load(text, bin), text);
    }),
    { numRuns: RUNS },
  );
  // Every string value (names, ops, paths, dtypes, attributes) replaced by hostile ones, and numbers by
  // hostile numbers.
  const values = (v: unknown, pick: () => unknown): unknown => {
    if (Array.isArray(v)) return v.map((x) => values(x, pick));
    if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, values(x, pick)]));
    const p = pick();
    return p === undefined ? v : typeof v === 'number' ? (typeof p === 'number' ? p : v) : typeof p === 'string' ? p : v;
  };
  fc.assert(
    fc.property(fc.array(fc.oneof(fc.constant(undefined), fc.constantFrom(...hostile), fc.constantFrom(-1, 0, 2 ** 31, 2 ** 53, 1e300, 0.5)), { minLength: 1, maxLength: 40 }), (choices) => {
      let i = 0;
      const text = jsonText(values(model, () => choices[i++ % choices.length]));
      loadOrReject(() => load(text, bin), text);
    }),
    { numRuns: RUNS },
  );
});
