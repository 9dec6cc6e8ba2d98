/**
 * Runs a TensorFlow.js graph model (graph-file.ts) on stad's libtorch. At load: the nodes the outputs
 * need, in dependency order; every constant as a tensor (floats) or a JavaScript int array (shapes);
 * every node whose inputs are all constant evaluated once (the shape arithmetic a converter leaves);
 * each op's weights converted to libtorch's layout once (graph-ops.ts `prepare`). A run then executes
 * the remaining nodes and frees each intermediate right after its last use, so memory stays at the
 * widest point of the graph rather than the sum of it.
 */
import * as torch from '../torch/index.js';
import type { Device, Tensor } from '../torch/index.js';
import { UserError } from '../util/errors.js';
import type { GraphFile, GraphNode } from './graph-file.js';
import { GraphError, OPS, isHost, type OpImpl, type Value } from './graph-ops.js';

interface Step {
  readonly node: GraphNode;
  readonly impl: OpImpl;
  readonly state: unknown;
  readonly inputs: readonly string[];
  /** Intermediate values whose last reader is this step. */
  readonly freeAfter: readonly string[];
}

/** `node` and `node:0` name the same value. */
function key(input: string): string {
  return /:\d+$/.test(input) ? input : `${input}:0`;
}

export class GraphModel {
  private readonly steps: Step[] = [];
  private readonly constants = new Map<string, Value>();
  private readonly placeholders: string[] = [];
  private disposed = false;
  readonly outputs: readonly string[];
  readonly device: Device;

  /**
   * @param file the parsed model.json
   * @param source the file's path, for error messages
   * @param opts.outputs the values wanted (default: the signature's outputs)
   * @param opts.device where the weights live and the graph runs (default the CPU)
   */
  constructor(file: GraphFile, private readonly source: string, opts: { outputs?: readonly string[]; device?: Device } = {}) {
    this.outputs = opts.outputs ?? file.outputs;
    this.device = opts.device ?? 'cpu';
    const outputs = this.outputs;
    if (outputs.length === 0) throw new UserError(`${source}: the graph names no outputs`);
    const byName = new Map(file.nodes.map((n) => [n.name, n]));
    const order = this.topologicalOrder(byName, outputs);
    try {
      torch.noGrad(() => {
        for (const node of order) this.load(node, file);
      });
    } catch (e) {
      this.dispose();
      if (e instanceof GraphError) throw new UserError(`${source}: ${e.message}`);
      throw e;
    }
    this.planFrees();
  }

  /** The graph's inputs (Placeholder names), in dependency order. */
  get inputNames(): readonly string[] {
    return this.placeholders;
  }

  /** The ops of the nodes a run executes (after constant folding), with counts: for logs and docs. */
  opCounts(): Map<string, number> {
    const m = new Map<string, number>();
    for (const s of this.steps) m.set(s.node.op, (m.get(s.node.op) ?? 0) + 1);
    return m;
  }

  /** Runs the graph; returns the outputs by name (the caller owns them). */
  run(inputs: ReadonlyMap<string, Tensor>): Map<string, Tensor> {
    if (this.disposed) throw new Error('graph model was disposed');
    for (const p of this.placeholders) if (!inputs.has(p)) throw new Error(`graph input "${p}" missing`);
    return torch.noGrad(() =>
      torch.tidy(() => {
        const values = new Map<string, Value>();
        for (const [name, t] of inputs) values.set(key(name), t);
        const get = (k: string): Value => {
          const v = values.get(k) ?? this.constants.get(k);
          if (v === undefined) throw new Error(`graph value ${k} was not computed`);
          return v;
        };
        for (const step of this.steps) {
          const args = step.inputs.map(get);
          let outs: Value[];
          try {
            outs = torch.tidy(() => step.impl.run(args, step.node, step.state));
          } catch (e) {
            if (e instanceof GraphError) throw new UserError(`${this.source}: ${e.message}`);
            throw e;
          }
          outs.forEach((v, i) => values.set(`${step.node.name}:${i}`, v));
          for (const k of step.freeAfter) {
            const v = values.get(k);
            if (v !== undefined && !isHost(v)) v.dispose();
            values.delete(k);
          }
        }
        const result = new Map<string, Tensor>();
        for (const o of this.outputs) {
          const v = get(key(o));
          result.set(o, isHost(v) ? torch.tensor(v.data, { dtype: 'int32', shape: v.shape }) : v.contiguous());
        }
        return result;
      }),
    );
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const v of this.constants.values()) if (!isHost(v)) v.dispose();
    for (const s of this.steps) torch.dispose(s.state);
    this.constants.clear();
  }

  // ---- load -----------------------------------------------------------------------------------

  private topologicalOrder(byName: ReadonlyMap<string, GraphNode>, outputs: readonly string[]): GraphNode[] {
    const order: GraphNode[] = [];
    const state = new Map<string, 'visiting' | 'done'>();
    // Iterative depth-first search: converted graphs can be deep chains (no recursion limit to hit).
    for (const out of outputs) {
      const stack: { node: GraphNode; next: number }[] = [];
      const push = (name: string, from: string): void => {
        const base = name.replace(/:\d+$/, '');
        if (state.get(base) === 'done') return;
        if (state.get(base) === 'visiting') throw new UserError(`${this.source}: node "${base}" depends on itself`);
        const node = byName.get(base);
        if (!node) throw new UserError(`${this.source}: ${from} names "${base}", which is not a node of the graph`);
        state.set(base, 'visiting');
        stack.push({ node, next: 0 });
      };
      push(out, 'the outputs');
      while (stack.length > 0) {
        const top = stack[stack.length - 1]!;
        if (top.next < top.node.inputs.length) {
          push(top.node.inputs[top.next++] as string, `node "${top.node.name}"`);
        } else {
          stack.pop();
          state.set(top.node.name, 'done');
          order.push(top.node);
        }
      }
    }
    return order;
  }

  private load(node: GraphNode, file: GraphFile): void {
    const k = `${node.name}:0`;
    if (node.op === 'Const') {
      const c = file.consts.get(node.name);
      if (!c) throw new GraphError(`node "${node.name}" (Const): no weights in the manifest`);
      this.constants.set(
        k,
        c.dtype === 'int32'
          ? { kind: 'ints', shape: c.shape, data: c.data }
          : torch.keep(torch.tidy(() => torch.fromBytes(c.bytes, c.shape, c.dtype, { device: this.device }).float())),
      );
      return;
    }
    if (node.op === 'Placeholder') {
      this.placeholders.push(node.name);
      return;
    }
    const impl = OPS.get(node.op);
    if (!impl) throw new GraphError(`node "${node.name}": op ${node.op} is not supported (stad runs ${[...OPS.keys()].sort().join(', ')})`);
    const inputs = node.inputs.map(key);
    if (inputs.every((i) => this.constants.has(i))) {
      // Constant folding: evaluate now, keep the results as constants.
      const outs = torch.tidy(() => impl.run(inputs.map((i) => this.constants.get(i) as Value), node, undefined));
      outs.forEach((v, i) => this.constants.set(`${node.name}:${i}`, isHost(v) ? v : torch.keep(v)));
      return;
    }
    const state = impl.prepare ? torch.keep(torch.tidy(() => impl.prepare!(node, (i) => (i < inputs.length ? this.constants.get(inputs[i] as string) : undefined)))) : undefined;
    this.steps.push({ node, impl, state, inputs, freeAfter: [] as string[] });
  }

  private planFrees(): void {
    const last = new Map<string, number>();
    this.steps.forEach((s, i) => {
      for (const k of s.inputs) if (!this.constants.has(k)) last.set(k, i);
    });
    const keepKeys = new Set(this.outputs.map(key));
    for (const p of this.placeholders) keepKeys.add(`${p}:0`);
    for (const [k, at] of last) if (!keepKeys.has(k)) (this.steps[at]!.freeAfter as string[]).push(k);
  }
}
