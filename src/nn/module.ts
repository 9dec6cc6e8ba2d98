/**
 * `Module`, as torch.nn.Module: named parameters, buffers and child modules; train/eval mode; state
 * dicts with strict name and shape checks. Names are registered explicitly (`registerModule('bn',
 * ...)`) so that state-dict keys can follow mmaction2's checkpoints exactly while TypeScript fields keep
 * camelCase.
 *
 * Parameters and buffers are kept out of every `tidy` scope (they live as long as the module) and are
 * freed by `dispose()`.
 */
import { Tensor, keep, tidy, noGrad, isFloatingDType, type DType, type Device } from '../torch/index.js';

export interface StateDictMismatch {
  missing: string[];
  unexpected: string[];
  /** name: expected shape vs got shape (or dtype). */
  wrongShape: { name: string; expected: number[]; got: number[] }[];
}

export class StateDictError extends Error {
  constructor(readonly mismatch: StateDictMismatch, source = 'state dict') {
    super(describeMismatch(mismatch, source));
    this.name = 'StateDictError';
  }
}

export function describeMismatch(m: StateDictMismatch, source: string): string {
  const parts: string[] = [];
  const list = (xs: string[]) => (xs.length > 6 ? `${xs.slice(0, 6).join(', ')} and ${xs.length - 6} more` : xs.join(', '));
  if (m.missing.length) parts.push(`missing ${m.missing.length} (${list(m.missing)})`);
  if (m.unexpected.length) parts.push(`unexpected ${m.unexpected.length} (${list(m.unexpected)})`);
  if (m.wrongShape.length) {
    parts.push(
      `wrong shape ${m.wrongShape.length} (${list(m.wrongShape.map((w) => `${w.name}: expected [${w.expected.join(', ')}], got [${w.got.join(', ')}]`))})`,
    );
  }
  return `${source} does not match the model: ${parts.join('; ')}`;
}

export class Module {
  training = true;
  /** Where the parameters and buffers live (set by `to(device)`; modules are built on the CPU). */
  private placedOn: Device = 'cpu';
  private readonly params = new Map<string, Tensor>();
  private readonly buffers = new Map<string, Tensor>();
  private readonly modules = new Map<string, Module>();

  /** Registers a trainable tensor (made a leaf that requires grad, kept out of tidy scopes). */
  protected registerParameter(name: string, t: Tensor): Tensor {
    this.checkName(name);
    keep(t);
    if (!t.requiresGrad) t.requiresGrad = true;
    this.params.set(name, t);
    return t;
  }

  /** Registers a non-trainable state tensor (running statistics). */
  protected registerBuffer(name: string, t: Tensor): Tensor {
    this.checkName(name);
    keep(t);
    this.buffers.set(name, t);
    return t;
  }

  protected registerModule<M extends Module>(name: string, m: M): M {
    this.checkName(name);
    this.modules.set(name, m);
    return m;
  }

  private checkName(name: string): void {
    if (!name || name.includes('.')) throw new TypeError(`invalid module member name '${name}'`);
    if (this.params.has(name) || this.buffers.has(name) || this.modules.has(name)) throw new TypeError(`'${name}' is already registered`);
  }

  /** Direct children, in registration order. */
  namedChildren(): [string, Module][] {
    return [...this.modules.entries()];
  }

  /** This module and every descendant, with dotted names ('' for this one). */
  namedModules(prefix = ''): [string, Module][] {
    const out: [string, Module][] = [[prefix, this]];
    for (const [n, m] of this.modules) out.push(...m.namedModules(prefix ? `${prefix}.${n}` : n));
    return out;
  }

  namedParameters(prefix = ''): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    for (const [n, p] of this.params) out.push([prefix ? `${prefix}.${n}` : n, p]);
    for (const [n, m] of this.modules) out.push(...m.namedParameters(prefix ? `${prefix}.${n}` : n));
    return out;
  }

  parameters(): Tensor[] {
    return this.namedParameters().map(([, p]) => p);
  }

  namedBuffers(prefix = ''): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    for (const [n, b] of this.buffers) out.push([prefix ? `${prefix}.${n}` : n, b]);
    for (const [n, m] of this.modules) out.push(...m.namedBuffers(prefix ? `${prefix}.${n}` : n));
    return out;
  }

  /** Number of parameter elements (trainable only, by default). */
  numParameters(opts: { trainableOnly?: boolean } = {}): number {
    return this.parameters()
      .filter((p) => !opts.trainableOnly || p.requiresGrad)
      .reduce((n, p) => n + p.numel(), 0);
  }

  train(mode = true): this {
    for (const [, m] of this.namedModules()) m.training = mode;
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  /** Parameters and buffers by dotted name, in registration order (the tensors themselves, not copies). */
  stateDict(): Map<string, Tensor> {
    const out = new Map<string, Tensor>();
    const visit = (m: Module, prefix: string) => {
      for (const [n, p] of m.params) out.set(prefix + n, p);
      for (const [n, b] of m.buffers) out.set(prefix + n, b);
      for (const [n, c] of m.modules) visit(c, `${prefix}${n}.`);
    };
    visit(this, '');
    return out;
  }

  /** Compares a state dict's names and shapes with this module's. */
  checkStateDict(state: ReadonlyMap<string, { shape: readonly number[] }>): StateDictMismatch {
    const own = this.stateDict();
    const missing = [...own.keys()].filter((k) => !state.has(k));
    const unexpected = [...state.keys()].filter((k) => !own.has(k));
    const wrongShape: StateDictMismatch['wrongShape'] = [];
    for (const [k, t] of own) {
      const s = state.get(k);
      if (!s) continue;
      const expected = t.shape;
      const got = [...s.shape];
      if (expected.length !== got.length || expected.some((d, i) => d !== got[i])) wrongShape.push({ name: k, expected, got });
    }
    return { missing, unexpected, wrongShape };
  }

  /**
   * Copies values into this module's parameters and buffers (in place, so optimisers keep working).
   * strict: every name must match both ways; shapes must always match. Throws a StateDictError that
   * lists every mismatch.
   */
  loadStateDict(state: ReadonlyMap<string, Tensor>, opts: { strict?: boolean; source?: string } = {}): StateDictMismatch {
    const strict = opts.strict ?? true;
    const m = this.checkStateDict(state);
    if (m.wrongShape.length > 0 || (strict && (m.missing.length > 0 || m.unexpected.length > 0))) {
      throw new StateDictError(m, opts.source);
    }
    const own = this.stateDict();
    noGrad(() => {
      for (const [k, t] of own) {
        const src = state.get(k);
        if (src) t.copy_(src);
      }
    });
    return m;
  }

  /**
   * Moves every parameter and buffer to a device, or converts the floating-point ones to a dtype
   * (integer buffers such as BatchNorm's `num_batches_tracked` keep theirs). The tensors are replaced:
   * create optimisers after calling this.
   */
  to(target: DType | Device): this {
    const isDevice = target === 'cpu' || target.startsWith('cuda');
    if (isDevice) for (const [, m] of this.namedModules()) m.placedOn = target as Device;
    const convert = (t: Tensor): Tensor | null => {
      if (!isDevice && !isFloatingDType(t.dtype)) return null;
      // tidy frees the detached alias, which would otherwise keep the old storage alive.
      return keep(tidy(() => noGrad(() => t.detach().to(target))));
    };
    for (const [, m] of this.namedModules()) {
      for (const [n, p] of m.params) {
        const moved = convert(p);
        if (!moved) continue;
        moved.requiresGrad = p.requiresGrad;
        p.dispose();
        m.params.set(n, moved);
      }
      for (const [n, b] of m.buffers) {
        const moved = convert(b);
        if (!moved) continue;
        b.dispose();
        m.buffers.set(n, moved);
      }
    }
    return this;
  }

  /**
   * The device this module's parameters and buffers were moved to with `to()` ('cpu' until then): what
   * its inputs must be on. Recorded rather than read from a parameter, so that it costs nothing per
   * batch and holds for modules without parameters.
   */
  get device(): Device {
    return this.placedOn;
  }

  /**
   * The tensor registered under `name` on this module (parameter or buffer). Layers read their
   * tensors through this (not through fields) so that `to()` can replace them.
   */
  protected tensorNamed(name: string): Tensor {
    const t = this.params.get(name) ?? this.buffers.get(name);
    if (!t) throw new Error(`no parameter or buffer '${name}'`);
    return t;
  }

  /** Frees every parameter and buffer of this module and its descendants. */
  dispose(): void {
    for (const [, m] of this.namedModules()) {
      for (const p of m.params.values()) p.dispose();
      for (const b of m.buffers.values()) b.dispose();
    }
  }
}

/** A module that maps one tensor to one tensor (what Sequential chains). */
export interface TensorModule extends Module {
  forward(x: Tensor): Tensor;
}
