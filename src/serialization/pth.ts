/**
 * Reads PyTorch `.pth` checkpoints (the zip format `torch.save` writes since PyTorch 1.6) without executing
 * anything, and extracts their state dict as raw tensors.
 *
 * The archive holds `<prefix>/data.pkl` (a pickle describing the object), `<prefix>/data/<key>` (one raw
 * storage per key, little-endian unless `<prefix>/byteorder` says `big`) and `<prefix>/version`; the prefix
 * is the archive name (`archive` in recent PyTorch, the file's stem in 1.x). The pickle is interpreted by
 * `./pickle.ts`; the only callables it may call are TypeScript implementations of PyTorch's tensor
 * rebuilders (`_rebuild_tensor_v2`, `_rebuild_parameter`, ...) and `collections.OrderedDict`, all of which
 * only build data. Any other global (a numpy scalar in mmaction2's `meta`, say) stays an inert record; if
 * one turns up *inside the state dict* it is refused. `strictGlobals` refuses them anywhere.
 *
 * Checkpoints are recognised by shape: mmaction2 / mmcv / mmengine (`{meta, state_dict, optimizer, ...}`),
 * PySlowFast (`{epoch, model_state, optimizer_state, cfg}`), `{model: ...}`, or a bare state dict.
 * Tensors come out C-contiguous (non-contiguous strides and storage offsets are resolved by copying).
 */
import { closeSync, readSync } from 'node:fs';
import { fail } from '../util/errors.js';
import { cannotRead, openForReading } from '../util/fs.js';
import { DTYPE_INFO, STORAGE_CLASSES, dtypeOfStorage } from '../torch/dtype.js';
import { dtypeSize, numel, type RawTensor, type SafetensorsDType } from './safetensors.js';
import { kindOf, PickleGlobal, PickleObject, PickleTuple, unpickle, type HostValue, type PickleDict, type PickleValue } from './pickle.js';
import { ZipReader } from './zip.js';

/** The largest pickle (data.pkl) read: the structure of a state dict, not its tensors, is a few MiB at most. */
const MAX_PICKLE_BYTES = 256 * 1024 * 1024;

/** One storage of the archive, read lazily. */
export interface StorageRef extends HostValue {
  readonly hostKind: 'storage';
  key: string;
  /** The element type as a safetensors code (what the extracted RawTensors carry). */
  dtype: SafetensorsDType;
  /** Number of elements. */
  numel: number;
  location: string;
}

/** A tensor as the pickle describes it: a strided view of a storage. */
export interface TensorRef extends HostValue {
  readonly hostKind: 'tensor';
  storage: StorageRef;
  storageOffset: number;
  shape: number[];
  stride: number[];
}

export function isTensorRef(v: unknown): v is TensorRef {
  return typeof v === 'object' && v !== null && (v as HostValue).hostKind === 'tensor';
}

export interface ReadPthOptions {
  /** Refuse every global outside the tensor machinery, even in `meta` / optimizer state. Default false. */
  strictGlobals?: boolean;
}

export type PthContainer = 'state_dict' | 'model_state' | 'model' | 'root';

export interface PthStateDict {
  /** State dict entries in file order, contiguous little-endian bytes. */
  tensors: Record<string, RawTensor>;
  /** Where the state dict was found: `state_dict` (mmaction2), `model_state` (PySlowFast), `model`, or the root. */
  container: PthContainer;
  /** Top-level keys of the checkpoint (for messages and metadata). */
  topLevelKeys: string[];
}

/** Globals that may appear as data (arguments of the rebuilders). */
const DATA_GLOBALS = [...STORAGE_CLASSES, 'torch.Tensor', 'torch.nn.parameter.Parameter', 'torch._utils._rebuild_tensor'];

/** Low level: opens the archive and interprets its pickle. Tensors in the result are lazy `TensorRef`s. */
export class PthArchive {
  readonly root: PickleValue;
  private readonly zip: ZipReader;
  private readonly prefix: string;
  private readonly bigEndian: boolean;
  private readonly storageCache = new Map<string, Uint8Array>();

  constructor(
    readonly file: string,
    opts: ReadPthOptions = {},
  ) {
    const head = readHead(file);
    if (!(head[0] === 0x50 && head[1] === 0x4b)) {
      fail(file, undefined, 'not a zip-format PyTorch checkpoint (the legacy pre-1.6 torch.save format and Caffe2 .pkl files are not supported; re-save it with torch.save in PyTorch >= 1.6)');
    }
    this.zip = new ZipReader(file);
    try {
      const pkl = [...this.zip.entries.keys()].filter((n) => n === 'data.pkl' || n.endsWith('/data.pkl'));
      if (pkl.length !== 1) fail(file, undefined, pkl.length === 0 ? 'no data.pkl in the archive: not a torch.save checkpoint' : `${pkl.length} data.pkl entries: ambiguous archive`);
      this.prefix = pkl[0]!.slice(0, pkl[0]!.length - 'data.pkl'.length);
      const order = this.zip.entries.has(`${this.prefix}byteorder`) ? Buffer.from(this.zip.read(`${this.prefix}byteorder`)).toString('latin1').trim() : 'little';
      if (order !== 'little' && order !== 'big') fail(file, `${this.prefix}byteorder`, `expected "little" or "big", got "${order}"`);
      this.bigEndian = order === 'big';
      this.root = this.interpret(this.zip.read(pkl[0]!, MAX_PICKLE_BYTES), opts);
    } catch (e) {
      this.zip.close();
      throw e;
    }
  }

  close(): void {
    this.zip.close();
  }

  private interpret(pkl: Uint8Array, opts: ReadPthOptions): PickleValue {
    const file = this.file;
    const storages = new Map<string, StorageRef>();
    const int = (v: PickleValue | undefined, what: string): number => {
      if (typeof v !== 'number' || !Number.isSafeInteger(v)) fail(file, 'data.pkl', `${what}: expected an integer, got ${kindOf(v)}`);
      return v as number;
    };
    const ints = (v: PickleValue | undefined, what: string): number[] => {
      if (!(v instanceof PickleTuple)) fail(file, 'data.pkl', `${what}: expected a tuple, got ${kindOf(v)}`);
      return (v as PickleTuple).items.map((x, i) => int(x, `${what}[${i}]`));
    };
    const rebuildTensor = (args: PickleValue[]): TensorRef => {
      const [storage, offset, size, stride] = args;
      if (!(typeof storage === 'object' && storage !== null && (storage as HostValue).hostKind === 'storage')) {
        fail(file, 'data.pkl', `_rebuild_tensor_v2: expected a storage, got ${kindOf(storage)}`);
      }
      const t: TensorRef = { hostKind: 'tensor', storage: storage as StorageRef, storageOffset: int(offset, 'storage offset'), shape: ints(size, 'size'), stride: ints(stride, 'stride') };
      checkBounds(file, t);
      return t;
    };
    const tensorArg = (v: PickleValue | undefined, what: string): TensorRef => {
      if (!isTensorRef(v)) fail(file, 'data.pkl', `${what}: expected a tensor, got ${kindOf(v)}`);
      return v as TensorRef;
    };
    const callables: Record<string, (args: PickleValue[]) => PickleValue> = {
      'collections.OrderedDict': (args) => {
        if (args.length !== 0) fail(file, 'data.pkl', 'OrderedDict with constructor arguments is not supported');
        return new Map();
      },
      'torch._utils._rebuild_tensor_v2': rebuildTensor,
      'torch._utils._rebuild_tensor': rebuildTensor,
      // A Parameter is its data tensor plus requires_grad and hooks, which a checkpoint reader does not need.
      'torch._utils._rebuild_parameter': (args) => tensorArg(args[0], '_rebuild_parameter'),
      'torch._utils._rebuild_parameter_with_state': (args) => tensorArg(args[0], '_rebuild_parameter_with_state'),
      // PyTorch 2.x wraps tensors of subclasses: (func, new_type, args, state); only plain tensors/parameters.
      'torch._tensor._rebuild_from_type_v2': (args) => {
        const [fn, type, inner] = args;
        const typeName = type instanceof PickleGlobal ? type.qualifiedName : kindOf(type);
        if (typeName !== 'torch.Tensor' && typeName !== 'torch.nn.parameter.Parameter') fail(file, 'data.pkl', `refusing tensor subclass ${typeName}`);
        if (!(fn instanceof PickleGlobal) || !(inner instanceof PickleTuple)) fail(file, 'data.pkl', '_rebuild_from_type_v2: malformed arguments');
        const impl = callables[(fn as PickleGlobal).qualifiedName];
        if (!impl || (fn as PickleGlobal).qualifiedName === 'torch._tensor._rebuild_from_type_v2') fail(file, 'data.pkl', `refusing ${(fn as PickleGlobal).qualifiedName} inside _rebuild_from_type_v2`);
        return impl!((inner as PickleTuple).items);
      },
    };
    const persistentLoad = (pid: PickleValue): PickleValue => {
      // ('storage', <storage class>, key, location, numel)
      if (!(pid instanceof PickleTuple) || pid.items[0] !== 'storage' || pid.items.length !== 5) {
        fail(file, 'data.pkl', `unsupported persistent id ${kindOf(pid)} (expected ('storage', type, key, location, numel))`);
      }
      const [, type, key, location, count] = (pid as PickleTuple).items;
      const typeName = type instanceof PickleGlobal ? type.qualifiedName : kindOf(type);
      // PyTorch's legacy storage class names are still what `torch.save` pickles.
      const storageDType = dtypeOfStorage(typeName);
      if (!storageDType) fail(file, 'data.pkl', `unsupported storage type ${typeName}`);
      const dtype = DTYPE_INFO[storageDType!].safetensors;
      if (typeof key !== 'string' || !/^[\w.-]+$/.test(key)) fail(file, 'data.pkl', `invalid storage key ${kindOf(key)}`);
      const existing = storages.get(key as string);
      if (existing) {
        if (existing.dtype !== dtype) fail(file, `storage ${key}`, `used as both ${existing.dtype} and ${dtype}`);
        return existing;
      }
      const s: StorageRef = { hostKind: 'storage', key: key as string, dtype, numel: int(count, `storage ${key} size`), location: String(location) };
      const entry = this.zip.entries.get(`${this.prefix}data/${s.key}`);
      if (!entry) fail(file, `storage ${s.key}`, `missing from the archive (${this.prefix}data/${s.key})`);
      if (entry!.uncompressedSize !== s.numel * dtypeSize(dtype)) {
        fail(file, `storage ${s.key}`, `holds ${entry!.uncompressedSize} bytes but the pickle says ${s.numel} x ${dtype} (${s.numel * dtypeSize(dtype)} bytes)`);
      }
      storages.set(s.key, s);
      return s;
    };
    return unpickle(pkl, { file: `${file}: ${this.prefix}data.pkl`, persistentLoad, callables, strictGlobals: opts.strictGlobals ?? false, allowedGlobals: DATA_GLOBALS });
  }

  private storageBytes(s: StorageRef): Uint8Array {
    let b = this.storageCache.get(s.key);
    if (!b) {
      b = this.zip.read(`${this.prefix}data/${s.key}`);
      this.storageCache.set(s.key, b);
    }
    return b;
  }

  /** Copies a tensor's elements into a new contiguous little-endian buffer. */
  materialize(t: TensorRef): RawTensor {
    const elem = dtypeSize(t.storage.dtype);
    const data = gatherContiguous(this.storageBytes(t.storage), elem, t.storageOffset, t.shape, t.stride);
    if (this.bigEndian && elem > 1) swapBytes(data, elem);
    return { dtype: t.storage.dtype, shape: [...t.shape], data };
  }
}

function readHead(file: string): Uint8Array {
  // A ZipReader would also reject a non-zip, but this gives the more helpful message for old checkpoints.
  const zipHead = new Uint8Array(2);
  const fd = openForReading(file);
  try {
    readSync(fd, zipHead, 0, 2, 0);
  } catch (e) {
    cannotRead(file, undefined, e); // a directory opens but does not read (EISDIR)
  } finally {
    closeSync(fd);
  }
  return zipHead;
}

/** Checks that every element of a strided view lies inside its storage. */
function checkBounds(file: string, t: TensorRef): void {
  const where = `tensor on storage ${t.storage.key}`;
  if (t.shape.length !== t.stride.length) fail(file, where, `size has ${t.shape.length} dimensions but stride has ${t.stride.length}`);
  if (t.shape.some((d) => d < 0) || t.stride.some((s) => s < 0) || t.storageOffset < 0) fail(file, where, 'negative size, stride or offset');
  let n: number;
  try {
    n = numel(t.shape);
  } catch (e) {
    fail(file, where, (e as Error).message);
  }
  if (n === 0) return;
  let last = t.storageOffset;
  for (let i = 0; i < t.shape.length; i++) last += (t.shape[i]! - 1) * t.stride[i]!;
  if (last >= t.storage.numel) fail(file, where, `view [${t.shape.join(', ')}] at offset ${t.storageOffset} with strides [${t.stride.join(', ')}] reaches element ${last} of a ${t.storage.numel}-element storage`);
}

/** Copies a strided view into a new C-contiguous buffer (runs of contiguous innermost elements at once). */
export function gatherContiguous(src: Uint8Array, elem: number, offset: number, shape: readonly number[], stride: readonly number[]): Uint8Array {
  const n = numel(shape);
  const out = new Uint8Array(n * elem);
  if (n === 0) return out;
  // Drop size-1 dimensions (their stride is irrelevant) and merge dimensions that are contiguous in memory.
  const dims: { size: number; stride: number }[] = [];
  for (let i = 0; i < shape.length; i++) if (shape[i] !== 1) dims.push({ size: shape[i]!, stride: stride[i]! });
  for (let i = dims.length - 1; i > 0; i--) {
    const inner = dims[i]!;
    const outer = dims[i - 1]!;
    if (outer.stride === inner.stride * inner.size) {
      inner.size *= outer.size;
      dims.splice(i - 1, 1);
    }
  }
  if (dims.length === 0) dims.push({ size: 1, stride: 1 });
  const innermost = dims[dims.length - 1]!;
  const runContiguous = innermost.stride === 1;
  const runLen = runContiguous ? innermost.size : 1;
  const outerDims = runContiguous ? dims.slice(0, -1) : dims;
  const counters = new Array<number>(outerDims.length).fill(0);
  let dst = 0;
  let srcIndex = offset;
  const runBytes = runLen * elem;
  for (;;) {
    const s = srcIndex * elem;
    out.set(src.subarray(s, s + runBytes), dst);
    dst += runBytes;
    // Advance the odometer over the outer dimensions.
    let d = outerDims.length - 1;
    while (d >= 0) {
      counters[d]!++;
      srcIndex += outerDims[d]!.stride;
      if (counters[d]! < outerDims[d]!.size) break;
      srcIndex -= outerDims[d]!.stride * outerDims[d]!.size;
      counters[d] = 0;
      d--;
    }
    if (d < 0) break;
  }
  return out;
}

function swapBytes(data: Uint8Array, elem: number): void {
  for (let i = 0; i < data.length; i += elem) data.subarray(i, i + elem).reverse();
}

/** The keys of a dict that are strings (for messages). */
function stringKeys(d: PickleDict): string[] {
  return [...d.keys()].filter((k): k is string => typeof k === 'string');
}

function isStateDictLike(d: PickleDict): boolean {
  return d.size > 0 && [...d.values()].every((v) => isTensorRef(v));
}

/** Finds the state dict inside a checkpoint's root object. */
function locateStateDict(file: string, root: PickleValue): { dict: PickleDict; container: PthContainer; topLevelKeys: string[] } {
  if (!(root instanceof Map)) fail(file, undefined, `the checkpoint is a ${kindOf(root)}, expected a dict (a state dict or a training checkpoint)`);
  const top = root as PickleDict;
  const topLevelKeys = stringKeys(top);
  for (const key of ['state_dict', 'model_state', 'model'] as const) {
    const v = top.get(key);
    if (v instanceof Map) return { dict: v, container: key, topLevelKeys };
  }
  if (isStateDictLike(top) || [...top.values()].some((v) => isTensorRef(v))) return { dict: top, container: 'root', topLevelKeys };
  fail(file, undefined, `no state dict found: expected a "state_dict" (mmaction2) or "model_state" (PySlowFast) entry or a dict of tensors; top-level keys are ${topLevelKeys.join(', ') || '(none)'}`);
}

/**
 * Reads a `.pth` checkpoint's state dict as contiguous raw tensors. Every value of the state dict must
 * be a tensor; anything else (including an object built by an unknown global) is refused by name.
 */
export function readPthStateDict(path: string, opts: ReadPthOptions = {}): PthStateDict {
  const archive = new PthArchive(path, opts);
  try {
    const { dict, container, topLevelKeys } = locateStateDict(path, archive.root);
    // Null prototype: parameter names come from the file, and `__proto__` is a name like any other.
    const tensors = Object.create(null) as Record<string, RawTensor>;
    const where = container === 'root' ? '' : `${container}.`;
    for (const [k, v] of dict) {
      if (typeof k !== 'string') fail(path, `${container}`, `has a ${kindOf(k)} key, expected parameter names`);
      const name = k as string;
      if (!isTensorRef(v)) {
        const what = v instanceof PickleObject ? `${v.describe()}, which stad will not call` : `a ${kindOf(v)}`;
        fail(path, `${where}${name}`, `refusing: expected a tensor, got ${what}`);
      }
      if (Object.prototype.hasOwnProperty.call(tensors, name)) fail(path, `${where}${name}`, 'duplicate name');
      tensors[name] = archive.materialize(v as TensorRef);
    }
    return { tensors, container, topLevelKeys };
  } finally {
    archive.close();
  }
}
