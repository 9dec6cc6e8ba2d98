/**
 * Optimiser base (torch.optim.Optimizer): parameter groups with their own hyper-parameters (so that
 * BatchNorm weights and biases can skip weight decay), per-parameter state, zeroGrad, and state that
 * can be saved and restored. Updates run in place under noGrad.
 */
import { Tensor, keep, tidy, noGrad } from '../../torch/index.js';

export interface ParamGroup<H> {
  params: Tensor[];
  /** Hyper-parameters of this group (lr is what schedules change). */
  options: H;
}

export type ParamsInput<H> = Tensor[] | { params: Tensor[]; options?: Partial<H> }[];

/** A plain, serialisable snapshot: tensors by "paramIndex.stateName", hyper-parameters per group. */
export interface OptimizerState {
  step: number;
  groups: Record<string, number | boolean>[];
  tensors: Map<string, Tensor>;
}

export abstract class Optimizer<H extends { lr: number }> {
  readonly groups: ParamGroup<H>[];
  /** State tensors per parameter (e.g. momentum buffers), owned by the optimiser. */
  protected readonly state = new Map<Tensor, Map<string, Tensor>>();
  /** Number of step() calls made. */
  stepCount = 0;
  /** Per-parameter state held as a 0-d tensor rather than shaped like the parameter (AdamW's step). */
  protected readonly scalarStateNames: ReadonlySet<string> = new Set();

  constructor(params: ParamsInput<H>, defaults: H) {
    const list = params as unknown[];
    if (list.length > 0 && list[0] instanceof Tensor) {
      this.groups = [{ params: params as Tensor[], options: { ...defaults } }];
    } else {
      this.groups = (params as { params: Tensor[]; options?: Partial<H> }[]).map((g) => ({
        params: g.params,
        options: { ...defaults, ...(g.options ?? {}) },
      }));
    }
    const seen = new Set<Tensor>();
    for (const g of this.groups) {
      for (const p of g.params) {
        if (seen.has(p)) throw new TypeError('a parameter appears in more than one group');
        seen.add(p);
      }
      validateOptions(g.options);
    }
  }

  /** Clears gradients (setToNone, as PyTorch 2 does by default: frees their memory). */
  zeroGrad(): void {
    for (const g of this.groups) for (const p of g.params) p.grad = null;
  }

  /** One update of every parameter that has a gradient. */
  step(): void {
    this.stepCount++;
    noGrad(() => {
      for (const g of this.groups) {
        for (const p of g.params) {
          tidy(() => {
            const grad = p.grad;
            if (grad) this.update(p, grad, g.options, this.paramState(p));
          });
        }
      }
    });
  }

  /** The optimiser's update of one parameter, in place. Runs inside tidy and noGrad. */
  protected abstract update(p: Tensor, grad: Tensor, o: H, state: Map<string, Tensor>): void;

  protected paramState(p: Tensor): Map<string, Tensor> {
    let s = this.state.get(p);
    if (!s) {
      s = new Map();
      this.state.set(p, s);
    }
    return s;
  }

  /** Stores a state tensor for a parameter, outliving the current tidy scope. */
  protected setState(state: Map<string, Tensor>, name: string, t: Tensor): Tensor {
    state.get(name)?.dispose();
    state.set(name, keep(t));
    return t;
  }

  /** Sets the learning rate of every group (what schedules call). */
  setLR(lr: number | ((group: number) => number)): void {
    this.groups.forEach((g, i) => {
      g.options.lr = typeof lr === 'number' ? lr : lr(i);
    });
  }

  stateDict(): OptimizerState {
    const tensors = new Map<string, Tensor>();
    let index = 0;
    for (const g of this.groups) {
      for (const p of g.params) {
        const s = this.state.get(p);
        if (s) for (const [k, t] of s) tensors.set(`${index}.${k}`, t);
        index++;
      }
    }
    return { step: this.stepCount, groups: this.groups.map((g) => ({ ...(g.options as unknown as Record<string, number | boolean>) })), tensors };
  }

  /**
   * Replaces the optimiser's state with a saved one (as torch.optim's load_state_dict): hyper-parameters
   * per group, and per-parameter state converted to the parameter's dtype and device (a state read from
   * a file on the CPU can resume training on a GPU). Everything is checked before anything changes.
   */
  loadStateDict(s: OptimizerState): void {
    if (s.groups.length !== this.groups.length) throw new Error(`optimizer state has ${s.groups.length} parameter groups, expected ${this.groups.length}`);
    const params = this.groups.flatMap((g) => g.params);
    const incoming: { p: Tensor; name: string; t: Tensor }[] = [];
    for (const [k, t] of s.tensors) {
      const dot = k.indexOf('.');
      const index = Number(k.slice(0, dot));
      const p = dot > 0 && Number.isInteger(index) ? params[index] : undefined;
      if (!p) throw new Error(`optimizer state ${k} names no parameter (the optimiser has ${params.length})`);
      const name = k.slice(dot + 1);
      if (this.scalarStateNames.has(name)) {
        if (t.ndim !== 0) throw new Error(`optimizer state ${k} must be a scalar, got shape [${t.shape}]`);
      } else if (t.shape.join() !== p.shape.join()) {
        throw new Error(`optimizer state ${k} has shape [${t.shape}] but the parameter has [${p.shape}]`);
      }
      incoming.push({ p, name, t });
    }
    for (const st of this.state.values()) for (const t of st.values()) t.dispose();
    this.state.clear();
    this.stepCount = s.step;
    this.groups.forEach((g, i) => Object.assign(g.options as object, s.groups[i]));
    for (const { p, name, t } of incoming) {
      const copy = tidy(() =>
        noGrad(() => (this.scalarStateNames.has(name) ? t.clone() : t.to({ dtype: p.dtype, device: p.device }).clone())),
      );
      this.setState(this.paramState(p), name, copy);
    }
  }

  /** Frees the optimiser's state tensors. */
  dispose(): void {
    for (const s of this.state.values()) for (const t of s.values()) t.dispose();
    this.state.clear();
  }
}

function validateOptions(o: object): void {
  for (const [k, v] of Object.entries(o)) {
    if (typeof v === 'number' && !Number.isFinite(v)) throw new RangeError(`optimizer option ${k} must be finite, got ${v}`);
    if (typeof v === 'number' && v < 0 && k !== 'maximize') throw new RangeError(`optimizer option ${k} must be >= 0, got ${v}`);
  }
}
