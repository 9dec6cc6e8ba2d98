/**
 * A pickle interpreter that never executes anything.
 *
 * Python's pickle is a small stack machine whose GLOBAL + REDUCE opcodes call arbitrary Python functions:
 * loading an untrusted checkpoint with `torch.load` can run any code. This interpreter builds plain
 * JavaScript values and treats callables as data:
 *
 * - The data opcodes (ints, floats, strings, bytes, tuples, lists, dicts, sets, memo) are implemented.
 * - GLOBAL / STACK_GLOBAL produce a `PickleGlobal` naming `module.name`; nothing is imported.
 * - REDUCE on a global for which the caller supplied an implementation (`callables`, e.g. PyTorch's
 *   `_rebuild_tensor_v2`) calls that TypeScript function; REDUCE / NEWOBJ / BUILD on any other global
 *   only record an inert `PickleObject` (callable, args, state). It is never called. A checkpoint's
 *   `meta` or optimizer state may hold such objects (numpy scalars, loggers' state); they are harmless
 *   as long as nobody needs them, and whoever extracts a state dict refuses one found in it.
 *   With `strictGlobals`, any global outside `allowedGlobals` is refused as soon as it appears.
 * - Opcodes a modern pickle of data never needs (INST, OBJ, the EXT registry, text PERSID, out-of-band
 *   buffers, the text forms of strings) are refused with a UserError naming the opcode and its position.
 */
import { fail } from '../util/errors.js';

export class PickleTuple {
  constructor(readonly items: PickleValue[]) {}
}

/** A reference to a Python global (`module.name`), as data. Nothing is imported. */
export class PickleGlobal {
  constructor(
    readonly module: string,
    readonly name: string,
  ) {}
  get qualifiedName(): string {
    return `${this.module}.${this.name}`;
  }
}

/** The record of a call that was not made: `callable(*args)`, then `__setstate__(state)` if BUILD followed. */
export class PickleObject {
  state: PickleValue | undefined = undefined;
  constructor(
    readonly callable: PickleValue,
    readonly args: PickleValue,
    readonly how: 'reduce' | 'newobj',
  ) {}
  /** `numpy.core.multiarray.scalar(...)` style description for messages. */
  describe(): string {
    return this.callable instanceof PickleGlobal ? `${this.callable.qualifiedName}(...)` : 'an object built by an unknown callable';
  }
}

/** A Python dict; keys are primitive values (strings, numbers) or, compared by identity, anything else. */
export type PickleDict = Map<PickleValue, PickleValue>;

/** Values the host's callables or persistent loader return (e.g. tensor references). */
export interface HostValue {
  readonly hostKind: string;
}

export type PickleValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | PickleValue[]
  | PickleTuple
  | PickleDict
  | Set<PickleValue>
  | PickleGlobal
  | PickleObject
  | HostValue;

export interface UnpickleOptions {
  /** File name for messages. */
  file: string;
  /** Resolves BINPERSID ids (PyTorch: storages). Without it, BINPERSID is refused. */
  persistentLoad?: (pid: PickleValue) => PickleValue;
  /** TypeScript implementations of the few callables REDUCE may call, by `module.name`. */
  callables?: Record<string, (args: PickleValue[]) => PickleValue>;
  /** Refuse any global that is neither in `callables` nor in `allowedGlobals`. Default false (inert). */
  strictGlobals?: boolean;
  /** Globals that may appear as plain data (e.g. `torch.FloatStorage` as a storage type). */
  allowedGlobals?: readonly string[];
}


const OPCODE_NAMES: Record<number, string> = {
  0x28: 'MARK', 0x2e: 'STOP', 0x30: 'POP', 0x31: 'POP_MARK', 0x32: 'DUP', 0x46: 'FLOAT', 0x49: 'INT', 0x4a: 'BININT',
  0x4b: 'BININT1', 0x4c: 'LONG', 0x4d: 'BININT2', 0x4e: 'NONE', 0x50: 'PERSID', 0x51: 'BINPERSID', 0x52: 'REDUCE',
  0x53: 'STRING', 0x54: 'BINSTRING', 0x55: 'SHORT_BINSTRING', 0x56: 'UNICODE', 0x58: 'BINUNICODE', 0x61: 'APPEND',
  0x62: 'BUILD', 0x63: 'GLOBAL', 0x64: 'DICT', 0x7d: 'EMPTY_DICT', 0x65: 'APPENDS', 0x67: 'GET', 0x68: 'BINGET',
  0x69: 'INST', 0x6a: 'LONG_BINGET', 0x6c: 'LIST', 0x5d: 'EMPTY_LIST', 0x6f: 'OBJ', 0x70: 'PUT', 0x71: 'BINPUT',
  0x72: 'LONG_BINPUT', 0x73: 'SETITEM', 0x74: 'TUPLE', 0x29: 'EMPTY_TUPLE', 0x75: 'SETITEMS', 0x47: 'BINFLOAT',
  0x80: 'PROTO', 0x81: 'NEWOBJ', 0x82: 'EXT1', 0x83: 'EXT2', 0x84: 'EXT4', 0x85: 'TUPLE1', 0x86: 'TUPLE2',
  0x87: 'TUPLE3', 0x88: 'NEWTRUE', 0x89: 'NEWFALSE', 0x8a: 'LONG1', 0x8b: 'LONG4', 0x42: 'BINBYTES',
  0x43: 'SHORT_BINBYTES', 0x8c: 'SHORT_BINUNICODE', 0x8d: 'BINUNICODE8', 0x8e: 'BINBYTES8', 0x8f: 'EMPTY_SET',
  0x90: 'ADDITEMS', 0x91: 'FROZENSET', 0x92: 'NEWOBJ_EX', 0x93: 'STACK_GLOBAL', 0x94: 'MEMOIZE', 0x95: 'FRAME',
  0x96: 'BYTEARRAY8', 0x97: 'NEXT_BUFFER', 0x98: 'READONLY_BUFFER',
};

export function opcodeName(op: number): string {
  return OPCODE_NAMES[op] ?? 'unknown';
}

/** Decodes a little-endian two's-complement integer (LONG1 / LONG4). */
function decodeLong(bytes: Uint8Array): number | bigint {
  if (bytes.length === 0) return 0;
  let v = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i]!);
  if (bytes[bytes.length - 1]! & 0x80) v -= 1n << BigInt(8 * bytes.length);
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

/** Interprets a pickle; returns the value STOP leaves on the stack. */
export function unpickle(data: Uint8Array, opts: UnpickleOptions): PickleValue {
  const { file } = opts;
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  // MARK sets the current stack aside on `metastack`; the ops that pop to a mark restore it.
  const stack: PickleValue[] = [];
  const metastack: PickleValue[][] = [];
  const memo = new Map<number, PickleValue>();
  const callables = opts.callables ?? {};
  const allowed = new Set([...(opts.allowedGlobals ?? []), ...Object.keys(callables)]);
  let pos = 0;
  let opPos = 0;
  let op = 0;

  const where = (): string => `pickle byte ${opPos} (${opcodeName(op)})`;
  const bad = (msg: string): never => fail(file, where(), msg);
  const need = (n: number): void => {
    if (n < 0 || pos + n > buf.length) bad(`needs ${n} bytes but the pickle ends at ${buf.length} (truncated or corrupt)`);
  };
  const u8 = (): number => (need(1), buf[pos++]!);
  const u16 = (): number => (need(2), (pos += 2), buf.readUInt16LE(pos - 2));
  const u32 = (): number => (need(4), (pos += 4), buf.readUInt32LE(pos - 4));
  const u64 = (): number => {
    need(8);
    const v = buf.readBigUInt64LE(pos);
    pos += 8;
    if (v > BigInt(buf.length)) bad(`length ${v} is larger than the pickle`);
    return Number(v);
  };
  const bytes = (n: number): Uint8Array => {
    need(n);
    const b = new Uint8Array(buf.subarray(pos, pos + n)); // a copy: values must not pin the file buffer
    pos += n;
    return b;
  };
  const text = (n: number): string => {
    need(n);
    const s = buf.toString('utf8', pos, pos + n);
    pos += n;
    return s;
  };
  const line = (): string => {
    const end = buf.indexOf(0x0a, pos);
    if (end < 0) bad('unterminated line');
    const s = buf.toString('latin1', pos, end);
    pos = end + 1;
    return s;
  };
  const pop = (): PickleValue => {
    if (stack.length === 0) bad('stack underflow');
    return stack.pop()!;
  };
  const top = (): PickleValue => {
    const v = stack[stack.length - 1];
    if (v === undefined) bad('stack underflow');
    return v!;
  };
  const popMark = (): PickleValue[] => {
    const outer = metastack.pop();
    if (!outer) bad('no MARK to pop to');
    const items = stack.splice(0, stack.length);
    for (const v of outer!) stack.push(v);
    return items;
  };
  const memoGet = (i: number): PickleValue => {
    if (!memo.has(i)) bad(`memo key ${i} was never stored`);
    return memo.get(i)!;
  };
  const makeGlobal = (module: string, name: string): PickleGlobal => {
    const q = `${module}.${name}`;
    if (opts.strictGlobals && !allowed.has(q)) bad(`refusing pickle global ${q} (not on the allow-list)`);
    return new PickleGlobal(module, name);
  };
  const asDict = (v: PickleValue, what: string): PickleDict => {
    if (!(v instanceof Map)) bad(`${what} on a ${kindOf(v)}, expected a dict`);
    return v as PickleDict;
  };
  const asList = (v: PickleValue, what: string): PickleValue[] => {
    if (!Array.isArray(v)) bad(`${what} on a ${kindOf(v)}, expected a list`);
    return v as PickleValue[];
  };
  const call = (fn: PickleValue, args: PickleValue): PickleValue => {
    if (!(fn instanceof PickleGlobal)) return new PickleObject(fn, args, 'reduce');
    const impl = callables[fn.qualifiedName];
    if (!impl) return new PickleObject(fn, args, 'reduce');
    if (!(args instanceof PickleTuple)) bad(`arguments of ${fn.qualifiedName} are a ${kindOf(args)}, expected a tuple`);
    return impl((args as PickleTuple).items);
  };

  for (;;) {
    opPos = pos;
    op = u8();
    switch (op) {
      case 0x80: // PROTO
        if (u8() > 5) bad('unsupported pickle protocol (above 5)');
        break;
      case 0x95: // FRAME: a length hint only
        u64();
        break;
      case 0x2e: // STOP
        if (stack.length !== 1 || metastack.length !== 0) bad(`STOP with ${stack.length} values on the stack`);
        return pop();
      case 0x28: // MARK: the current stack is set aside until the matching pop
        metastack.push(stack.splice(0, stack.length));
        break;
      case 0x30: // POP
        if (stack.length === 0) bad('stack underflow');
        stack.pop();
        break;
      case 0x31: // POP_MARK
        popMark();
        break;
      case 0x32: // DUP
        stack.push(top());
        break;
      case 0x4e: // NONE
        stack.push(null);
        break;
      case 0x88: // NEWTRUE
        stack.push(true);
        break;
      case 0x89: // NEWFALSE
        stack.push(false);
        break;
      case 0x4a: // BININT
        need(4);
        stack.push(buf.readInt32LE(pos));
        pos += 4;
        break;
      case 0x4b: // BININT1
        stack.push(u8());
        break;
      case 0x4d: // BININT2
        stack.push(u16());
        break;
      case 0x8a: // LONG1
        stack.push(decodeLong(bytes(u8())));
        break;
      case 0x8b: // LONG4
        stack.push(decodeLong(bytes(u32())));
        break;
      case 0x47: // BINFLOAT (big-endian double)
        need(8);
        stack.push(buf.readDoubleBE(pos));
        pos += 8;
        break;
      case 0x49: {
        // INT (text): protocol 0, also used for bools as I01/I00
        const s = line();
        if (s === '01') stack.push(true);
        else if (s === '00') stack.push(false);
        else if (/^[+-]?\d+$/.test(s)) stack.push(decodeDecimal(s));
        else bad(`invalid INT literal "${s}"`);
        break;
      }
      case 0x4c: {
        // LONG (text)
        const s = line().replace(/L$/, '');
        if (!/^[+-]?\d+$/.test(s)) bad(`invalid LONG literal "${s}"`);
        stack.push(decodeDecimal(s));
        break;
      }
      case 0x46: {
        // FLOAT (text)
        const s = line();
        const v = Number(s);
        if (Number.isNaN(v) && !/^[+-]?nan$/i.test(s)) bad(`invalid FLOAT literal "${s}"`);
        stack.push(v);
        break;
      }
      case 0x58: // BINUNICODE
        stack.push(text(u32()));
        break;
      case 0x8c: // SHORT_BINUNICODE
        stack.push(text(u8()));
        break;
      case 0x8d: // BINUNICODE8
        stack.push(text(u64()));
        break;
      case 0x54: // BINSTRING (Python 2 str): latin-1 text
        stack.push(Buffer.from(bytes(u32())).toString('latin1'));
        break;
      case 0x55: // SHORT_BINSTRING
        stack.push(Buffer.from(bytes(u8())).toString('latin1'));
        break;
      case 0x42: // BINBYTES
        stack.push(bytes(u32()));
        break;
      case 0x43: // SHORT_BINBYTES
        stack.push(bytes(u8()));
        break;
      case 0x8e: // BINBYTES8
      case 0x96: // BYTEARRAY8
        stack.push(bytes(u64()));
        break;
      case 0x29: // EMPTY_TUPLE
        stack.push(new PickleTuple([]));
        break;
      case 0x85: // TUPLE1
        stack.push(new PickleTuple([pop()]));
        break;
      case 0x86: {
        // TUPLE2
        const b = pop();
        const a = pop();
        stack.push(new PickleTuple([a, b]));
        break;
      }
      case 0x87: {
        // TUPLE3
        const c = pop();
        const b = pop();
        const a = pop();
        stack.push(new PickleTuple([a, b, c]));
        break;
      }
      case 0x74: // TUPLE
        stack.push(new PickleTuple(popMark()));
        break;
      case 0x5d: // EMPTY_LIST
        stack.push([]);
        break;
      case 0x6c: // LIST
        stack.push(popMark());
        break;
      case 0x61: {
        // APPEND
        const v = pop();
        appendTo(top(), [v]);
        break;
      }
      case 0x65: {
        // APPENDS
        const items = popMark();
        appendTo(top(), items);
        break;
      }
      case 0x7d: // EMPTY_DICT
        stack.push(new Map());
        break;
      case 0x64: {
        // DICT
        const items = popMark();
        const d: PickleDict = new Map();
        for (let i = 0; i + 1 < items.length; i += 2) d.set(items[i]!, items[i + 1]!);
        stack.push(d);
        break;
      }
      case 0x73: {
        // SETITEM
        const v = pop();
        const k = pop();
        asDict(top(), 'SETITEM').set(k, v);
        break;
      }
      case 0x75: {
        // SETITEMS
        const items = popMark();
        if (items.length % 2 !== 0) bad('odd number of items');
        const d = asDict(top(), 'SETITEMS');
        for (let i = 0; i < items.length; i += 2) d.set(items[i]!, items[i + 1]!);
        break;
      }
      case 0x8f: // EMPTY_SET
        stack.push(new Set());
        break;
      case 0x90: {
        // ADDITEMS
        const items = popMark();
        const s = top();
        if (!(s instanceof Set)) bad(`ADDITEMS on a ${kindOf(s)}`);
        for (const it of items) (s as Set<PickleValue>).add(it);
        break;
      }
      case 0x91: // FROZENSET
        stack.push(new Set(popMark()));
        break;
      case 0x68: // BINGET
        stack.push(memoGet(u8()));
        break;
      case 0x6a: // LONG_BINGET
        stack.push(memoGet(u32()));
        break;
      case 0x67: // GET (text)
        stack.push(memoGet(parseIndex(line(), bad)));
        break;
      case 0x71: // BINPUT
        memo.set(u8(), top());
        break;
      case 0x72: // LONG_BINPUT
        memo.set(u32(), top());
        break;
      case 0x70: // PUT (text)
        memo.set(parseIndex(line(), bad), top());
        break;
      case 0x94: // MEMOIZE
        memo.set(memo.size, top());
        break;
      case 0x63: {
        // GLOBAL: "module\nname\n"
        const module = line();
        const name = line();
        stack.push(makeGlobal(module, name));
        break;
      }
      case 0x93: {
        // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string') bad('STACK_GLOBAL needs two strings');
        stack.push(makeGlobal(module as string, name as string));
        break;
      }
      case 0x52: {
        // REDUCE
        const args = pop();
        const fn = pop();
        stack.push(call(fn, args));
        break;
      }
      case 0x81: {
        // NEWOBJ: cls.__new__(cls, *args), recorded, never called
        const args = pop();
        const cls = pop();
        if (opts.strictGlobals) bad(`refusing NEWOBJ of ${cls instanceof PickleGlobal ? cls.qualifiedName : kindOf(cls)}`);
        stack.push(new PickleObject(cls, args, 'newobj'));
        break;
      }
      case 0x92: {
        // NEWOBJ_EX
        const kwargs = pop();
        const args = pop();
        const cls = pop();
        if (opts.strictGlobals) bad(`refusing NEWOBJ_EX of ${cls instanceof PickleGlobal ? cls.qualifiedName : kindOf(cls)}`);
        stack.push(new PickleObject(cls, new PickleTuple([args, kwargs]), 'newobj'));
        break;
      }
      case 0x62: {
        // BUILD: obj.__setstate__(state). Recorded on inert objects; ignored on dicts (PyTorch's
        // OrderedDict state dicts carry a `_metadata` attribute this way); refused on anything else.
        const state = pop();
        const obj = top();
        if (obj instanceof PickleObject) obj.state = state;
        else if (obj instanceof Map) {
          /* attribute state of an OrderedDict subclass instance: not needed */
        } else bad(`refusing BUILD on a ${kindOf(obj)}`);
        break;
      }
      case 0x51: {
        // BINPERSID
        const pid = pop();
        if (!opts.persistentLoad) bad('refusing persistent id (no loader for this file)');
        stack.push(opts.persistentLoad!(pid));
        break;
      }
      default:
        bad(`refusing pickle opcode 0x${op.toString(16).padStart(2, '0')} (${opcodeName(op)}): not needed for a state dict`);
    }
  }

  function appendTo(list: PickleValue, items: PickleValue[]): void {
    const target = asList(list, 'APPEND');
    for (const it of items) target.push(it); // not push(...items): a huge batch would overflow the call stack
  }
}

function decodeDecimal(s: string): number | bigint {
  const v = BigInt(s);
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

function parseIndex(s: string, bad: (m: string) => never): number {
  if (!/^\d+$/.test(s)) bad(`invalid memo index "${s}"`);
  return Number(s);
}

/** A short description of a value's kind, for messages. */
export function kindOf(v: PickleValue | undefined): string {
  if (v === null) return 'None';
  if (v === undefined) return 'nothing';
  if (Array.isArray(v)) return 'list';
  if (v instanceof Uint8Array) return 'bytes';
  if (v instanceof PickleTuple) return 'tuple';
  if (v instanceof Map) return 'dict';
  if (v instanceof Set) return 'set';
  if (v instanceof PickleGlobal) return `global ${v.qualifiedName}`;
  if (v instanceof PickleObject) return v.describe();
  if (typeof v === 'object') return (v as HostValue).hostKind ?? 'object';
  return typeof v === 'bigint' ? 'int' : typeof v === 'number' ? 'number' : typeof v;
}
