/**
 * stad's side of the binding benchmark: the tiny addition through the Tensor API (with `dispose()` and
 * with a `tidy` scope) and through the raw binding, and the conv3d forward+backward step. Mirrors
 * reference.py; the shared definitions are in cases.ts.
 */
import * as torch from '../../src/torch/index.js';
import { native } from '../../src/torch/native.js';
import { CONV_INPUT, CONV_PADDING, CONV_WEIGHT, OVERHEAD_NUMEL, type CallTiming, type StepTimes } from './cases.js';

/**
 * How stad adds, freeing every result:
 * - `dispose`: `const z = a.add(b); z.dispose()` — the Tensor API with an explicit free (the headline);
 * - `tidy`: `torch.tidy(() => { a.add(b); })` — one scope per addition, freed when it closes;
 * - `raw`: `native.free(native.add(ha, hb))` — the binding alone, without the TypeScript wrapper.
 */
export type StadAddVariant = 'dispose' | 'tidy' | 'raw';

function nowUs(): number {
  return Number(process.hrtime.bigint()) / 1e3;
}

/** CPU time of the whole process (all threads, user + system), in microseconds. */
function cpuUs(): number {
  const u = process.cpuUsage();
  return u.user + u.system;
}

/** The operands of the tiny addition; dispose when done. */
export class TinyAdd {
  readonly a = torch.keep(torch.rand([OVERHEAD_NUMEL]));
  readonly b = torch.keep(torch.rand([OVERHEAD_NUMEL]));

  /** Microseconds per addition over `iters` additions (each result freed inside the loop). */
  overhead(variant: StadAddVariant, iters: number): CallTiming {
    const { a, b } = this;
    const c0 = cpuUs();
    let t0: number;
    let t1: number;
    switch (variant) {
      case 'dispose':
        t0 = nowUs();
        for (let i = 0; i < iters; i++) {
          const z = a.add(b);
          z.dispose();
        }
        t1 = nowUs();
        break;
      case 'tidy':
        t0 = nowUs();
        for (let i = 0; i < iters; i++) {
          torch.tidy(() => {
            a.add(b);
          });
        }
        t1 = nowUs();
        break;
      case 'raw': {
        const ha = a.id;
        const hb = b.id;
        t0 = nowUs();
        for (let i = 0; i < iters; i++) native.free(native.add(ha, hb));
        t1 = nowUs();
        break;
      }
    }
    const c1 = cpuUs();
    return { us: (t1 - t0) / iters, cpuUs: (c1 - c0) / iters };
  }

  dispose(): void {
    this.a.dispose();
    this.b.dispose();
  }
}

/** Where the time of one raw addition goes, in microseconds per call (see breakdown()). */
export interface OverheadBreakdown {
  /** `native.isLive(h)`: a Node-API call that does nearly nothing (argument read, table lookup). */
  napiCall: number;
  /** `native.add(ha, hb)` alone, results kept (freed in a separate timed loop). */
  rawAdd: number;
  /** `native.free(h)` alone. */
  rawFree: number;
  /** `torch.tidy(() => {})`: the cost of an empty scope. */
  emptyTidy: number;
}

/**
 * Times the pieces of the raw path separately, in blocks of `block` calls (adds, then the frees of
 * those results), so that the table never holds more than `block` extra tensors.
 */
export function breakdown(add: TinyAdd, iters: number, block = 1000): OverheadBreakdown {
  const ha = add.a.id;
  const hb = add.b.id;
  const handles = new Int32Array(block);
  let addUs = 0;
  let freeUs = 0;
  const blocks = Math.max(1, Math.round(iters / block));
  for (let k = 0; k < blocks; k++) {
    const t0 = nowUs();
    for (let i = 0; i < block; i++) handles[i] = native.add(ha, hb);
    const t1 = nowUs();
    for (let i = 0; i < block; i++) native.free(handles[i]!);
    const t2 = nowUs();
    addUs += t1 - t0;
    freeUs += t2 - t1;
  }
  const n = blocks * block;
  let t0 = nowUs();
  let live = 0;
  for (let i = 0; i < n; i++) if (native.isLive(ha)) live++;
  const napiCall = (nowUs() - t0) / n;
  if (live !== n) throw new Error('operand freed during the benchmark');
  t0 = nowUs();
  for (let i = 0; i < n; i++) torch.tidy(() => {});
  const emptyTidy = (nowUs() - t0) / n;
  return { napiCall, rawAdd: addUs / n, rawFree: freeUs / n, emptyTidy };
}

/** The conv3d case: input and weight requiring grad, a fixed upstream gradient (seeded). */
export class Conv3dStep {
  private readonly x: torch.Tensor;
  private readonly w: torch.Tensor;
  private readonly upstream: torch.Tensor;

  constructor() {
    torch.manualSeed(0);
    this.x = torch.keep(torch.randn([...CONV_INPUT], { requiresGrad: true }));
    this.w = torch.keep(torch.tidy(() => torch.randn([...CONV_WEIGHT]).mul(0.05)).requiresGrad_(true));
    const outShape = [CONV_INPUT[0], CONV_WEIGHT[0], ...CONV_INPUT.slice(2)];
    this.upstream = torch.keep(torch.randn(outShape));
  }

  /** One forward+backward step; gradients are cleared after it so that every step does the same work. */
  step(): void {
    const y = this.x.conv3d(this.w, { padding: CONV_PADDING });
    y.backward(this.upstream);
    y.dispose();
    this.x.grad = null;
    this.w.grad = null;
  }

  /** Wall-clock and process CPU seconds of each of `reps` steps. */
  run(reps: number): StepTimes {
    const out: StepTimes = { seconds: [], cpuSeconds: [] };
    for (let r = 0; r < reps; r++) {
      const c0 = cpuUs();
      const t0 = nowUs();
      this.step();
      const t1 = nowUs();
      out.seconds.push((t1 - t0) / 1e6);
      out.cpuSeconds.push((cpuUs() - c0) / 1e6);
    }
    return out;
  }

  dispose(): void {
    torch.dispose([this.x, this.w, this.upstream]);
  }
}
