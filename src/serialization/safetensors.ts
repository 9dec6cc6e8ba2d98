/**
 * Safetensors on raw bytes: no tensors, no libtorch. The format (https://github.com/huggingface/safetensors):
 *
 *   [8-byte little-endian u64 N][N bytes of UTF-8 JSON header, right-padded with spaces][data]
 *
 * The header maps each tensor name to `{dtype, shape, data_offsets: [begin, end]}` (offsets relative to the
 * start of the data section) and may hold `__metadata__`, a string-to-string map. The data section must be
 * covered exactly: no gaps, no overlaps, nothing after the last tensor.
 *
 * Reading never trusts the header: the length is checked against the file size, the JSON against a schema,
 * every offset range against the data section and the tensor's dtype and shape. Every failure is a
 * `UserError` naming the file and the tensor.
 */
import { closeSync, fstatSync, readSync } from 'node:fs';
import { z } from 'zod';
import { jsonMap, jsonObjectOf } from '../util/json-map.js';
import { fail } from '../util/errors.js';
import { openForReading, readFileOrFail, writeFileAtomic } from '../util/fs.js';
import { DTYPE_INFO, SAFETENSORS_DTYPES, dtypeOfSafetensors, type SafetensorsDType } from '../torch/dtype.js';

export type { SafetensorsDType } from '../torch/dtype.js';

// Element types come from the one dtype table (src/torch/dtype.ts): the safetensors codes stad has a
// tensor type for. The format knows a few more (F8_E4M3, F8_E5M2, U16, U32, U64); a file using them is
// refused when read, naming the tensor, since nothing in stad could hold it.

/** Bytes per element of a code. */
export function dtypeSize(dtype: SafetensorsDType): number {
  return DTYPE_INFO[dtypeOfSafetensors(dtype)].bytes;
}

export function isSafetensorsDType(s: string): s is SafetensorsDType {
  return dtypeOfSafetensors(s) !== undefined;
}

/** A tensor as raw little-endian bytes in row-major (C-contiguous) order. */
export interface RawTensor {
  dtype: SafetensorsDType;
  shape: number[];
  data: Uint8Array;
}

/** What a tensor must look like (used to check a file against a model before loading it). */
export interface TensorSpec {
  dtype: SafetensorsDType;
  shape: readonly number[];
}

export interface SafetensorsContents {
  tensors: Record<string, RawTensor>;
  metadata: Record<string, string>;
}

export interface SafetensorsHeader {
  tensors: Record<string, TensorSpec & { dataOffsets: [number, number] }>;
  metadata: Record<string, string>;
  /** Byte offset of the data section in the file (8 + header length). */
  dataStart: number;
}

/** The reference implementation refuses headers above 100 MB; so do we (a corrupt length must not allocate). */
const MAX_HEADER_BYTES = 100_000_000;
const METADATA_KEY = '__metadata__';

/** Number of elements of a shape; throws on negative, fractional or unsafe values. */
export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) {
    if (!Number.isSafeInteger(d) || d < 0) throw new RangeError(`invalid dimension ${d} in shape [${shape.join(', ')}]`);
    n *= d;
    if (!Number.isSafeInteger(n)) throw new RangeError(`shape [${shape.join(', ')}] has too many elements`);
  }
  return n;
}

export function byteSize(dtype: SafetensorsDType, shape: readonly number[]): number {
  return numel(shape) * dtypeSize(dtype);
}

// ---------------------------------------------------------------------------------------------------------
// Writing

/**
 * Serialises tensors to safetensors bytes (as a list of parts, so large tensors are not copied into one
 * buffer). Tensors are laid out by decreasing element size, then by name, as the reference writer does, so
 * that every tensor starts at an offset aligned to its element size; the header is padded with spaces to a
 * multiple of 8 bytes. The output is a pure function of the input: writing the same tensors twice gives
 * identical bytes.
 */
export function encodeSafetensors(tensors: Record<string, RawTensor>, metadata?: Record<string, string>): Uint8Array[] {
  const names = Object.keys(tensors);
  for (const name of names) {
    if (name === METADATA_KEY) throw new Error(`a tensor cannot be named ${METADATA_KEY}`);
    const t = tensors[name]!;
    if (!isSafetensorsDType(t.dtype)) throw new Error(`tensor ${name}: unknown dtype ${String(t.dtype)}`);
    const expected = byteSize(t.dtype, t.shape);
    if (t.data.byteLength !== expected) {
      throw new Error(`tensor ${name}: ${t.data.byteLength} bytes of data for ${t.dtype} [${t.shape.join(', ')}], expected ${expected}`);
    }
  }
  names.sort((a, b) => dtypeSize(tensors[b]!.dtype) - dtypeSize(tensors[a]!.dtype) || (a < b ? -1 : a > b ? 1 : 0));

  // Null prototype here and below: tensor names come from files, and `__proto__` is a name like any other.
  const header = Object.create(null) as Record<string, unknown>;
  if (metadata && Object.keys(metadata).length > 0) {
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== 'string') throw new Error(`metadata ${k}: expected a string, got ${typeof v}`);
    }
    header[METADATA_KEY] = metadata;
  }
  let offset = 0;
  for (const name of names) {
    const t = tensors[name]!;
    header[name] = { dtype: t.dtype, shape: [...t.shape], data_offsets: [offset, offset + t.data.byteLength] };
    offset += t.data.byteLength;
  }
  let json = Buffer.from(JSON.stringify(header), 'utf8');
  const padded = Math.ceil(json.length / 8) * 8;
  if (padded !== json.length) json = Buffer.concat([json, Buffer.alloc(padded - json.length, 0x20)]);
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(json.length));
  return [prefix, json, ...names.map((n) => tensors[n]!.data)];
}

/** Writes a safetensors file atomically (temporary file, fsync, rename). */
export function writeSafetensors(path: string, tensors: Record<string, RawTensor>, metadata?: Record<string, string>): void {
  writeFileAtomic(path, encodeSafetensors(tensors, metadata));
}

// ---------------------------------------------------------------------------------------------------------
// Reading

const entrySchema = z
  .object({
    dtype: z.string(),
    shape: z.array(z.number().int().nonnegative()),
    data_offsets: z.tuple([z.number().int().nonnegative(), z.number().int().nonnegative()]),
  })
  .strict();
const metadataSchema = jsonMap(z.string());

/** Parses and checks a header (the JSON text) against a data section of `dataLength` bytes. */
function parseHeader(file: string, text: string, dataStart: number, dataLength: number): SafetensorsHeader {
  if (!text.startsWith('{')) fail(file, 'header', 'expected a JSON object (safetensors header), is this a safetensors file?');
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    fail(file, 'header', `invalid JSON: ${(e as Error).message}`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) fail(file, 'header', 'expected a JSON object');

  let metadata = Object.create(null) as Record<string, string>;
  const tensors = Object.create(null) as SafetensorsHeader['tensors'];
  for (const [name, value] of Object.entries(raw as Record<string, unknown>)) {
    if (name === METADATA_KEY) {
      const m = metadataSchema.safeParse(value);
      if (!m.success) fail(file, METADATA_KEY, 'expected an object of string values');
      metadata = jsonObjectOf(m.data);
      continue;
    }
    const where = `tensor "${name}"`;
    const e = entrySchema.safeParse(value);
    if (!e.success) {
      const issue = e.error.issues[0];
      const path = issue && issue.path.length > 0 ? `.${issue.path.join('.')}` : '';
      fail(file, `${where}${path}`, `expected {dtype, shape: [non-negative integers], data_offsets: [begin, end]}: ${issue?.message ?? 'invalid'}`);
    }
    const { dtype, shape, data_offsets } = e.data;
    if (!isSafetensorsDType(dtype)) fail(file, `${where}.dtype`, `unsupported dtype "${dtype}" (stad reads ${SAFETENSORS_DTYPES.join(', ')})`);
    const [begin, end] = data_offsets;
    if (end < begin) fail(file, `${where}.data_offsets`, `end ${end} is before begin ${begin}`);
    if (end > dataLength) fail(file, `${where}.data_offsets`, `[${begin}, ${end}] runs past the end of the data section (${dataLength} bytes; file truncated?)`);
    let expected: number;
    try {
      expected = byteSize(dtype, shape);
    } catch (err) {
      fail(file, `${where}.shape`, (err as Error).message);
    }
    if (end - begin !== expected) {
      fail(file, where, `${dtype} [${shape.join(', ')}] needs ${expected} bytes but data_offsets [${begin}, ${end}] hold ${end - begin}`);
    }
    tensors[name] = { dtype, shape, dataOffsets: [begin, end] };
  }

  // The data section must be covered exactly once: sort by begin and walk it.
  const spans = Object.entries(tensors).sort((a, b) => a[1].dataOffsets[0] - b[1].dataOffsets[0] || a[1].dataOffsets[1] - b[1].dataOffsets[1]);
  let cursor = 0;
  let previous = '';
  for (const [name, t] of spans) {
    const [begin, end] = t.dataOffsets;
    if (begin < cursor) fail(file, `tensor "${name}".data_offsets`, `[${begin}, ${end}] overlaps tensor "${previous}" (which ends at ${cursor})`);
    if (begin > cursor) fail(file, `tensor "${name}".data_offsets`, `gap of ${begin - cursor} bytes before it (data from ${cursor} to ${begin} belongs to no tensor)`);
    cursor = end;
    previous = name;
  }
  if (cursor !== dataLength) {
    fail(file, 'data', `the tensors cover ${cursor} bytes but the data section has ${dataLength} (${dataLength - cursor} bytes belong to no tensor)`);
  }
  return { tensors, metadata, dataStart };
}

/** Reads the 8-byte length and the header, checking both against the total size. */
function headerBounds(file: string, prefix: Uint8Array, fileSize: number): number {
  if (fileSize < 8) fail(file, undefined, `${fileSize} bytes is too short for a safetensors file (at least 8 bytes of header length)`);
  const n = Buffer.from(prefix.buffer, prefix.byteOffset, 8).readBigUInt64LE(0);
  if (n > BigInt(MAX_HEADER_BYTES)) fail(file, 'header length', `${n} bytes is over the ${MAX_HEADER_BYTES}-byte limit (not a safetensors file, or corrupt)`);
  const len = Number(n);
  if (8 + len > fileSize) fail(file, 'header length', `says ${len} bytes but the file has only ${fileSize - 8} after the length (truncated or corrupt)`);
  return len;
}

/** Decodes safetensors bytes. Tensor data are views into `bytes` (no copy). */
export function decodeSafetensors(bytes: Uint8Array, file = '<buffer>'): SafetensorsContents {
  const len = headerBounds(file, bytes.subarray(0, 8), bytes.byteLength);
  const text = Buffer.from(bytes.buffer, bytes.byteOffset + 8, len).toString('utf8');
  const dataStart = 8 + len;
  const header = parseHeader(file, text, dataStart, bytes.byteLength - dataStart);
  const tensors = Object.create(null) as Record<string, RawTensor>;
  for (const [name, t] of Object.entries(header.tensors)) {
    // A plain Uint8Array view, even when `bytes` is a Buffer (whose slice() would not copy).
    const data = new Uint8Array(bytes.buffer, bytes.byteOffset + dataStart + t.dataOffsets[0], t.dataOffsets[1] - t.dataOffsets[0]);
    tensors[name] = { dtype: t.dtype, shape: [...t.shape], data };
  }
  return { tensors, metadata: header.metadata };
}

/**
 * Reads a safetensors file, checked as described at the top of this module. The tensors' data are views of
 * one buffer holding the whole file.
 */
export function readSafetensors(path: string): SafetensorsContents {
  return decodeSafetensors(readFileOrFail(path), path);
}

/** Reads and checks only the header (cheap: for checking a large checkpoint against a model first). */
export function readSafetensorsHeader(path: string): SafetensorsHeader {
  const fd = openForReading(path);
  try {
    const size = fstatSync(fd).size;
    const prefix = Buffer.alloc(8);
    if (size >= 8) readSync(fd, prefix, 0, 8, 0);
    const len = headerBounds(path, prefix, size);
    const text = Buffer.alloc(len);
    let got = 0;
    while (got < len) {
      const n = readSync(fd, text, got, len - got, 8 + got);
      if (n === 0) fail(path, 'header', 'file ended inside the header');
      got += n;
    }
    return parseHeader(path, text.toString('utf8'), 8 + len, size - 8 - len);
  } finally {
    closeSync(fd);
  }
}

// ---------------------------------------------------------------------------------------------------------
// Comparing a file with what a model expects

export type Mismatch =
  | { kind: 'missing'; name: string; expected: TensorSpec }
  | { kind: 'unexpected'; name: string; actual: TensorSpec }
  | { kind: 'shape'; name: string; expected: TensorSpec; actual: TensorSpec }
  | { kind: 'dtype'; name: string; expected: TensorSpec; actual: TensorSpec };

/**
 * Lists every difference between the tensors a model expects and those a file has, sorted by name:
 * missing names, unexpected names, wrong shapes, wrong dtypes (a tensor with both wrong is reported as a
 * shape mismatch, the more fundamental of the two).
 */
export function listMismatches(expected: Record<string, TensorSpec>, actual: Record<string, TensorSpec>): Mismatch[] {
  const out: Mismatch[] = [];
  for (const [name, e] of Object.entries(expected)) {
    const a = actual[name];
    if (!a) out.push({ kind: 'missing', name, expected: e });
    else if (a.shape.length !== e.shape.length || a.shape.some((d, i) => d !== e.shape[i])) out.push({ kind: 'shape', name, expected: e, actual: a });
    else if (a.dtype !== e.dtype) out.push({ kind: 'dtype', name, expected: e, actual: a });
  }
  for (const [name, a] of Object.entries(actual)) {
    if (!Object.prototype.hasOwnProperty.call(expected, name)) out.push({ kind: 'unexpected', name, actual: a });
  }
  return out.sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0));
}

const fmtSpec = (s: TensorSpec): string => `${s.dtype} [${s.shape.join(', ')}]`;

/** One line per mismatch, e.g. `backbone.fc.weight: shape F32 [7, 2304] expected, file has F32 [81, 2304]`. */
export function describeMismatch(m: Mismatch): string {
  switch (m.kind) {
    case 'missing':
      return `${m.name}: missing (expected ${fmtSpec(m.expected)})`;
    case 'unexpected':
      return `${m.name}: unexpected (${fmtSpec(m.actual)}), not in the model`;
    case 'shape':
      return `${m.name}: shape ${fmtSpec(m.actual)}, expected ${fmtSpec(m.expected)}`;
    case 'dtype':
      return `${m.name}: dtype ${m.actual.dtype}, expected ${m.expected.dtype}`;
  }
}

/**
 * Summarises mismatches as ONE line for a UserError: counts per kind, then the first `max` of them.
 * Returns '' when there are none.
 */
export function summarizeMismatches(mismatches: readonly Mismatch[], max = 5): string {
  if (mismatches.length === 0) return '';
  const counts = new Map<string, number>();
  for (const m of mismatches) counts.set(m.kind, (counts.get(m.kind) ?? 0) + 1);
  const head = [...counts].map(([k, n]) => `${n} ${k}`).join(', ');
  const shown = mismatches.slice(0, max).map(describeMismatch).join('; ');
  const more = mismatches.length > max ? `; and ${mismatches.length - max} more` : '';
  return `${head}: ${shown}${more}`;
}

/**
 * Checks a safetensors file's header against the expected tensors (every name, shape and dtype; extra
 * tensors are mismatches too) before any data is read; throws one UserError listing the mismatches.
 * `ignore` leaves out names of the file that are not the model's business (an optimiser's state, say).
 */
export function checkSafetensorsAgainst(path: string, expected: Record<string, TensorSpec>, ignore: (name: string) => boolean = () => false): void {
  const header = readSafetensorsHeader(path);
  const actual = Object.fromEntries(Object.entries(header.tensors).filter(([name]) => !ignore(name)));
  const mismatches = listMismatches(expected, actual);
  if (mismatches.length > 0) fail(path, undefined, `does not match the model: ${summarizeMismatches(mismatches)}`);
}
