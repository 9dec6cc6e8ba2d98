/**
 * Reading a TensorFlow.js graph model (`model.json` + its weight shards) into plain data: the GraphDef
 * nodes (name, op, inputs, attributes) and every constant's values, dequantized. Nothing here runs a
 * node; graph-runner.ts does. Weights stay raw bytes + dtype + shape here, so that the runner decides
 * which become libtorch tensors (floats) and which stay JavaScript arrays (the int32 shape arithmetic).
 */
import { join } from 'node:path';
import { z } from 'zod';
import { readJsonFile } from '../data/json-file.js';
import { fail } from '../util/errors.js';
import { readFileOrFail } from '../util/fs.js';

/** One TF AttrValue as the converter writes it in JSON. */
const attrSchema = z
  .object({
    f: z.number().optional(),
    i: z.union([z.string(), z.number()]).optional(),
    b: z.boolean().optional(),
    s: z.string().optional(),
    type: z.string().optional(),
    list: z
      .object({
        i: z.array(z.union([z.string(), z.number()])).optional(),
        f: z.array(z.number()).optional(),
        s: z.array(z.string()).optional(),
      })
      .loose()
      .optional(),
  })
  .loose();

const nodeSchema = z.object({
  name: z.string().min(1),
  op: z.string().min(1),
  input: z.array(z.string()).optional(),
  attr: z.record(z.string(), attrSchema).optional(),
});

const weightSchema = z.object({
  name: z.string().min(1),
  shape: z.array(z.number().int().nonnegative()),
  dtype: z.enum(['float32', 'int32', 'bool']),
  quantization: z
    .object({
      dtype: z.enum(['float16', 'uint8', 'uint16']),
      scale: z.number().optional(),
      min: z.number().optional(),
    })
    .loose()
    .optional(),
});

const modelSchema = z.object({
  format: z.literal('graph-model'),
  modelTopology: z.object({ node: z.array(nodeSchema).min(1) }).loose(),
  weightsManifest: z.array(z.object({ paths: z.array(z.string().min(1)).min(1), weights: z.array(weightSchema) })),
  signature: z
    .object({
      inputs: z.record(z.string(), z.object({ name: z.string() }).loose()).optional(),
      outputs: z
        .record(
          z.string(),
          z.object({ name: z.string(), tensorShape: z.object({ dim: z.array(z.object({ size: z.union([z.string(), z.number()]).optional() }).loose()).optional() }).loose().optional() }).loose(),
        )
        .optional(),
    })
    .loose()
    .optional(),
});

export type GraphAttr = z.infer<typeof attrSchema>;

export interface GraphNode {
  readonly name: string;
  readonly op: string;
  /** Data inputs as `node` or `node:k` (control inputs `^node` are dropped: execution order covers them). */
  readonly inputs: readonly string[];
  readonly attr: ReadonlyMap<string, GraphAttr>;
}

/**
 * A constant: ints (and bools) as an Int32Array, the shape arithmetic that runs in JavaScript; floats as
 * little-endian bytes of float32 or float16 (half-precision quantized weights), which become tensors.
 */
export type ConstData =
  | { readonly dtype: 'float32' | 'float16'; readonly shape: readonly number[]; readonly bytes: Uint8Array }
  | { readonly dtype: 'int32'; readonly shape: readonly number[]; readonly data: Int32Array };

export interface GraphFile {
  readonly nodes: readonly GraphNode[];
  readonly consts: ReadonlyMap<string, ConstData>;
  /** The signature's input and output tensor names (`input_1:0` -> `input_1`), in file order. */
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  /** The signature's shape of each output (-1 or absent sizes as -1), when it states one. */
  readonly outputShapes: ReadonlyMap<string, readonly number[]>;
}

const BYTES = new Map<string, number>([
  ['float32', 4],
  ['int32', 4],
  ['bool', 1],
  ['float16', 2],
  ['uint8', 1],
  ['uint16', 2],
]);

/** Reads model.json and the weight files it names (paths relative to it; names validated). */
export function readGraphModel(modelJsonPath: string, dir: string): GraphFile {
  const model = readJsonFile(modelJsonPath, modelSchema);
  const nodes: GraphNode[] = model.modelTopology.node.map((n) => ({
    name: n.name,
    op: n.op,
    inputs: (n.input ?? []).filter((i) => !i.startsWith('^')),
    attr: new Map(Object.entries(n.attr ?? {})),
  }));
  const consts = new Map<string, ConstData>();
  for (const [g, group] of model.weightsManifest.entries()) {
    const buffers = group.paths.map((p, i) => {
      // Shard names come from the file: a plain file name beside model.json, nothing else.
      if (!/^[A-Za-z0-9._-]+$/.test(p) || p.startsWith('.')) fail(modelJsonPath, `weightsManifest[${g}].paths[${i}]`, `not a plain file name: ${JSON.stringify(p)}`);
      return readFileOrFail(join(dir, p), 'a weights file');
    });
    const bytes = Buffer.concat(buffers);
    let offset = 0;
    for (const [k, w] of group.weights.entries()) {
      const where = `weightsManifest[${g}].weights[${k}] (${w.name})`;
      const n = w.shape.reduce((a, b) => a * b, 1);
      const stored = w.quantization?.dtype ?? w.dtype;
      const size = n * (BYTES.get(stored) as number);
      if (offset + size > bytes.length) fail(modelJsonPath, where, `needs bytes ${offset}..${offset + size} but the weights are ${bytes.length} bytes long`);
      const raw = new Uint8Array(bytes.buffer, bytes.byteOffset + offset, size);
      offset += size;
      consts.set(w.name, decodeWeight(raw, n, w, modelJsonPath, where));
    }
    if (offset !== bytes.length) fail(modelJsonPath, `weightsManifest[${g}]`, `the weights take ${offset} bytes but the files hold ${bytes.length}`);
  }
  const name = (s: string): string => s.replace(/:0$/, '');
  const sig = model.signature;
  return {
    nodes,
    consts,
    inputs: Object.values(sig?.inputs ?? {}).map((v) => name(v.name)),
    outputs: Object.values(sig?.outputs ?? {}).map((v) => name(v.name)),
    outputShapes: new Map(
      Object.values(sig?.outputs ?? {})
        .filter((v) => v.tensorShape?.dim)
        .map((v) => [name(v.name), (v.tensorShape?.dim ?? []).map((d) => (d.size === undefined ? -1 : Number(d.size)))]),
    ),
  };
}

function decodeWeight(raw: Uint8Array, n: number, w: z.infer<typeof weightSchema>, file: string, where: string): ConstData {
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const q = w.quantization;
  if (w.dtype === 'int32' || w.dtype === 'bool') {
    if (q) fail(file, where, `quantized ${w.dtype} weights are not supported`);
    const data = new Int32Array(n);
    for (let i = 0; i < n; i++) data[i] = w.dtype === 'int32' ? view.getInt32(4 * i, true) : (raw[i] as number);
    return { dtype: 'int32', shape: w.shape, data };
  }
  // float32 and float16 stay raw bytes: libtorch reads them (and widens half precision) in the runner.
  if (!q) return { dtype: 'float32', shape: w.shape, bytes: raw.slice() };
  if (q.dtype === 'float16') return { dtype: 'float16', shape: w.shape, bytes: raw.slice() };
  // Affine quantization (TF.js converter's --quantize_uint8/uint16): value = q * scale + min.
  if (q.scale === undefined || q.min === undefined) fail(file, where, `${q.dtype} quantization needs scale and min`);
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = (q.dtype === 'uint8' ? (raw[i] as number) : view.getUint16(2 * i, true)) * q.scale + q.min;
  return { dtype: 'float32', shape: w.shape, bytes: new Uint8Array(data.buffer) };
}
