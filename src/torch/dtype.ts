/**
 * Element types and devices, named as in PyTorch. `DTYPE_INFO` is the one table of element types: every
 * other list (the safetensors codes, the torch storage classes a `.pth` pickles, byte sizes) is derived
 * from it. No native imports here: the file formats (src/serialization) and the commands that only convert
 * or evaluate use this module without loading libtorch.
 */

/** Per element type: its size in bytes, its safetensors code, and the storage class `torch.save` pickles. */
export const DTYPE_INFO = {
  float32: { bytes: 4, safetensors: 'F32', storage: 'torch.FloatStorage', floating: true },
  float64: { bytes: 8, safetensors: 'F64', storage: 'torch.DoubleStorage', floating: true },
  float16: { bytes: 2, safetensors: 'F16', storage: 'torch.HalfStorage', floating: true },
  bfloat16: { bytes: 2, safetensors: 'BF16', storage: 'torch.BFloat16Storage', floating: true },
  int64: { bytes: 8, safetensors: 'I64', storage: 'torch.LongStorage', floating: false },
  int32: { bytes: 4, safetensors: 'I32', storage: 'torch.IntStorage', floating: false },
  int16: { bytes: 2, safetensors: 'I16', storage: 'torch.ShortStorage', floating: false },
  int8: { bytes: 1, safetensors: 'I8', storage: 'torch.CharStorage', floating: false },
  uint8: { bytes: 1, safetensors: 'U8', storage: 'torch.ByteStorage', floating: false },
  bool: { bytes: 1, safetensors: 'BOOL', storage: 'torch.BoolStorage', floating: false },
} as const;

export type DType = keyof typeof DTYPE_INFO;

/** A safetensors element-type code that stad has a tensor type for (`F32`, `BF16`, ...). */
export type SafetensorsDType = (typeof DTYPE_INFO)[DType]['safetensors'];

/** `cpu`, `cuda` (the current GPU) or `cuda:N`. */
export type Device = 'cpu' | 'cuda' | `cuda:${number}`;

export type Shape = readonly number[];

export type TypedArray =
  | Float32Array
  | Float64Array
  | Int32Array
  | Int16Array
  | Int8Array
  | Uint8Array
  | Uint16Array
  | BigInt64Array;

export const DTYPES = Object.keys(DTYPE_INFO) as readonly DType[];

export const DTYPE_BYTES = Object.fromEntries(DTYPES.map((d) => [d, DTYPE_INFO[d].bytes])) as Readonly<Record<DType, number>>;

// Lookups by strings that come from files (a safetensors header, a pickle): Maps, so that no name can
// reach Object.prototype.
const BY_SAFETENSORS = new Map<string, DType>(DTYPES.map((d) => [DTYPE_INFO[d].safetensors, d]));
const BY_STORAGE = new Map<string, DType>(DTYPES.map((d) => [DTYPE_INFO[d].storage, d]));

/** Every safetensors code stad reads and writes, in table order. */
export const SAFETENSORS_DTYPES = DTYPES.map((d) => DTYPE_INFO[d].safetensors) as readonly SafetensorsDType[];

/** The dtype of a safetensors code, or undefined for codes stad has no tensor type for (F8_E4M3, U32...). */
export function dtypeOfSafetensors(code: SafetensorsDType): DType;
export function dtypeOfSafetensors(code: string): DType | undefined;
export function dtypeOfSafetensors(code: string): DType | undefined {
  return BY_SAFETENSORS.get(code);
}

/** The dtype of a torch storage class (`torch.FloatStorage`), or undefined. */
export function dtypeOfStorage(className: string): DType | undefined {
  return BY_STORAGE.get(className);
}

/** The storage class names a `.pth` may pickle, in table order. */
export const STORAGE_CLASSES: readonly string[] = DTYPES.map((d) => DTYPE_INFO[d].storage);

export function isFloatingDType(d: DType): boolean {
  return DTYPE_INFO[d].floating;
}

/** The TypedArray that holds a dtype's elements (float16/bfloat16 as raw 16-bit patterns). */
export function typedArrayFor(dtype: DType, buffer: ArrayBuffer): TypedArray {
  switch (dtype) {
    case 'float32':
      return new Float32Array(buffer);
    case 'float64':
      return new Float64Array(buffer);
    case 'int64':
      return new BigInt64Array(buffer);
    case 'int32':
      return new Int32Array(buffer);
    case 'int16':
      return new Int16Array(buffer);
    case 'int8':
      return new Int8Array(buffer);
    case 'uint8':
    case 'bool':
      return new Uint8Array(buffer);
    case 'float16':
    case 'bfloat16':
      return new Uint16Array(buffer);
  }
}

/** The dtype a TypedArray naturally holds. */
export function dtypeOfTypedArray(a: ArrayBufferView): DType {
  if (a instanceof Float32Array) return 'float32';
  if (a instanceof Float64Array) return 'float64';
  if (a instanceof BigInt64Array) return 'int64';
  if (a instanceof Int32Array) return 'int32';
  if (a instanceof Int16Array) return 'int16';
  if (a instanceof Int8Array) return 'int8';
  if (a instanceof Uint8Array || a instanceof Uint8ClampedArray) return 'uint8';
  throw new TypeError(`unsupported array type ${a.constructor.name}`);
}

export function checkDType(d: string): DType {
  if (!(DTYPES as readonly string[]).includes(d)) throw new TypeError(`unknown dtype '${d}' (expected one of ${DTYPES.join(', ')})`);
  return d as DType;
}

export function checkDevice(d: string): Device {
  if (d === 'cpu' || d === 'cuda' || /^cuda:\d+$/.test(d)) return d as Device;
  throw new TypeError(`unknown device '${d}' (expected cpu, cuda or cuda:N)`);
}
