/** Element types and devices, named as in PyTorch. */
export type DType = 'float32' | 'float64' | 'float16' | 'bfloat16' | 'int64' | 'int32' | 'int16' | 'int8' | 'uint8' | 'bool';

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

export const DTYPES: readonly DType[] = ['float32', 'float64', 'float16', 'bfloat16', 'int64', 'int32', 'int16', 'int8', 'uint8', 'bool'];

export const DTYPE_BYTES: Record<DType, number> = {
  float32: 4,
  float64: 8,
  float16: 2,
  bfloat16: 2,
  int64: 8,
  int32: 4,
  int16: 2,
  int8: 1,
  uint8: 1,
  bool: 1,
};

export function isFloatingDType(d: DType): boolean {
  return d === 'float32' || d === 'float64' || d === 'float16' || d === 'bfloat16';
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
