/**
 * Deterministic memory for tensors. JavaScript's garbage collector cannot see libtorch's memory, so
 * every tensor is freed explicitly: `t.dispose()`, or a `tidy(fn)` scope that frees every tensor
 * created inside it except the ones it returns (as in TensorFlow.js).
 *
 * Rules:
 * - Scopes nest. A tensor belongs to the innermost open scope when it is created; tensors returned by
 *   `tidy` move to the enclosing scope (or become unscoped at top level).
 * - `tidy` is synchronous: a function that returns a Promise is refused, because other code could run
 *   (and create tensors in this scope) while it awaits. In async code, tidy each synchronous step, or
 *   use an explicit `Scope` (`const s = new Scope(); s.run(() => ...); ...; s.dispose()`).
 * - `keep(t)` takes a tensor out of every scope: it lives until `t.dispose()` (module parameters,
 *   optimiser state, and buffers do this).
 * - `memory()` reports live tensors and bytes; a training loop must hold it flat.
 */
import { native } from './native.js';

/** Anything that owns a tensor handle. */
export interface Disposable {
  dispose(): void;
}

interface Tracked {
  readonly id: number;
  readonly isDisposed: boolean;
  /** Marks the object as freed without freeing (the scope frees handles in bulk). */
  markDisposed(): void;
  /** Index in its scope's list, so that keep() and dispose() are O(1). */
  scope: Scope | null;
  scopeIndex: number;
}

export class Scope {
  /** Tensors created while this scope was innermost (holes are null after keep/dispose). */
  private tracked: (Tracked | null)[] = [];
  private closed = false;

  /** @internal */
  add(t: Tracked): void {
    t.scope = this;
    t.scopeIndex = this.tracked.length;
    this.tracked.push(t);
  }

  /** @internal */
  remove(t: Tracked): void {
    if (t.scope === this) {
      this.tracked[t.scopeIndex] = null;
      t.scope = null;
      t.scopeIndex = -1;
    }
  }

  /** Runs fn with this scope innermost; tensors created inside are tracked here. */
  run<T>(fn: () => T): T {
    if (this.closed) throw new Error('scope already disposed');
    scopeStack.push(this);
    try {
      return fn();
    } finally {
      scopeStack.pop();
    }
  }

  /** Frees every tracked tensor not in `except`. */
  dispose(except?: ReadonlySet<Tracked>): void {
    this.closed = true;
    const ids: number[] = [];
    const parent = innermost();
    for (const t of this.tracked) {
      if (t === null || t.isDisposed) continue;
      t.scope = null;
      if (except !== undefined && except.has(t)) {
        if (parent) parent.add(t);
        continue;
      }
      ids.push(t.id);
      t.markDisposed();
    }
    this.tracked = [];
    // One tensor (the common tiny tidy) goes through free(): freeMany reads a JS array element by element.
    if (ids.length === 1) native.free(ids[0]!);
    else if (ids.length > 1) native.freeMany(ids);
  }
}

const scopeStack: Scope[] = [];

/**
 * The innermost open scope, or null. (Not `scopeStack[scopeStack.length - 1]`: with no scope open that
 * reads the property "-1", a slow generic lookup that cost ~1 us per created tensor in bench/binding.)
 */
function innermost(): Scope | null {
  const n = scopeStack.length;
  return n > 0 ? scopeStack[n - 1]! : null;
}

/** @internal Registers a newly created tensor with the innermost scope. */
export function track(t: Tracked): void {
  const s = innermost();
  if (s !== null) s.add(t);
  else {
    t.scope = null;
    t.scopeIndex = -1;
  }
}

/** @internal */
export function untrack(t: Tracked): void {
  if (t.scope) t.scope.remove(t);
}

/** Collects every tracked object reachable in a tidy result (tensor, array, plain object, Map). */
function collectResult(value: unknown, out: Set<Tracked>, depth = 0): void {
  if (value === null || value === undefined || depth > 8) return;
  if (typeof value !== 'object') return;
  if (isTracked(value)) {
    out.add(value);
    return;
  }
  if (Array.isArray(value)) {
    for (const v of value) collectResult(v, out, depth + 1);
  } else if (value instanceof Map) {
    for (const v of value.values()) collectResult(v, out, depth + 1);
  } else if (Object.getPrototypeOf(value) === Object.prototype) {
    for (const v of Object.values(value)) collectResult(v, out, depth + 1);
  }
}

function isTracked(v: object): v is Tracked {
  return typeof (v as Tracked).id === 'number' && typeof (v as Tracked).markDisposed === 'function';
}

/**
 * Runs `fn` and frees every tensor it created, except those in its result (a tensor, or arrays /
 * plain objects / Maps of them), which move to the enclosing scope.
 */
export function tidy<T>(fn: () => T): T {
  const scope = new Scope();
  let result: T;
  try {
    result = scope.run(fn);
  } catch (e) {
    scope.dispose();
    throw e;
  }
  if (result instanceof Promise) {
    scope.dispose();
    throw new Error('tidy() takes a synchronous function: await outside tidy, or use an explicit Scope');
  }
  // Most tidy results are a tensor or nothing: skip the Set for a result that holds no object.
  if (result === null || typeof result !== 'object') {
    scope.dispose();
    return result;
  }
  const keepSet = new Set<Tracked>();
  collectResult(result, keepSet);
  scope.dispose(keepSet);
  return result;
}

/** Takes tensors out of every scope: they live until disposed explicitly. Returns its argument. */
export function keep<T>(value: T): T {
  const set = new Set<Tracked>();
  collectResult(value, set);
  for (const t of set) untrack(t);
  return value;
}

/** Disposes a tensor, or every tensor in an array / plain object / Map. */
export function dispose(value: unknown): void {
  const set = new Set<Tracked>();
  collectResult(value, set);
  for (const t of set) (t as unknown as Disposable).dispose();
}

export interface MemoryInfo {
  /** Tensor handles alive in the binding's table. */
  liveTensors: number;
  /** Bytes of the distinct storages they reference. */
  bytes: number;
}

/** Live tensor count and bytes. */
export function memory(): MemoryInfo {
  return native.memory();
}
