/**
 * Data-parallel training in one worker, as torch's DistributedDataParallel does it: the model's
 * parameters and buffers are broadcast from rank 0 at the start, gradients are averaged over the ranks
 * by c10d's Reducer (bucketed all-reduce launched from autograd hooks while backward still runs),
 * optionally with SyncBatchNorm, and every rank then takes the same optimiser step, so the replicas
 * never drift apart. The training loop asks this object at a few points of each step (src/train/loop.ts).
 *
 * The loss of a step is made the global batch's: each rank's loss is a mean over its own RoIs, and the
 * ranks can have different numbers of them, so a rank's loss is weighted by its share of the global
 * RoI count (times the world size, which the Reducer's averaging divides out again). With the same
 * data, seed and global batch, the gradient is then the one a single process computes (exactly so for
 * losses that are means over RoIs; with SyncBatchNorm and without dropout the whole step is).
 */
import * as torch from '../torch/index.js';
import {
  allGatherBytes,
  allReduce,
  broadcast,
  createReducer,
  destroyProcessGroup,
  destroyReducer,
  initProcessGroup,
  prepareReducer,
  processGroupInfo,
  type Backend,
} from '../torch/distributed.js';
import type { Module } from '../nn/index.js';
import type { DistEnv } from './env.js';
import type { ShardSpec } from './sampler.js';
import { convertSyncBatchNorm } from './sync-batchnorm.js';

export interface DataParallelOptions {
  /** Global-batch BatchNorm statistics (src/distributed/sync-batchnorm.ts). */
  syncBN: boolean;
  /** Reducer bucket size (torch's default: 25 MB). */
  bucketCapMB: number;
  /** Rendezvous and collectives give up after this long. */
  timeoutMs: number;
  backend: Backend;
  /** Where the collectives' small tensors live (cuda with NCCL). */
  device: torch.Device;
}

export const DEFAULT_DATA_PARALLEL: DataParallelOptions = { syncBN: false, bucketCapMB: 25, timeoutMs: 300_000, backend: 'gloo', device: 'cpu' };

/** A worker's failure of a collective, as one line: usually another worker stopped. */
export class CollectiveError extends Error {
  constructor(rank: number, what: string, cause: unknown) {
    super(`rank ${rank}: ${what} failed (another worker stopped or the network failed): ${cause instanceof Error ? cause.message : String(cause)}`);
    this.name = 'CollectiveError';
  }
}

/** Time spent in one kind of collective (inside `DataParallel`'s calls), for profiling. */
export interface CollectiveTiming {
  calls: number;
  ms: number;
}

export class DataParallel {
  private attached = false;
  private readonly timing = new Map<string, CollectiveTiming>();

  private constructor(
    readonly env: DistEnv,
    readonly options: DataParallelOptions,
  ) {}

  /** Joins the job's process group (every rank must call it; resolves when all have). */
  static async join(env: DistEnv, options: Partial<DataParallelOptions> = {}): Promise<DataParallel> {
    const o = { ...DEFAULT_DATA_PARALLEL, ...options };
    const info = processGroupInfo();
    if (o.backend === 'gloo' && !info.gloo) throw new Error('this build of the native binding has no Gloo (libgloo-dev was missing when it was built)');
    if (o.backend === 'nccl' && !info.nccl) throw new Error('this build of the native binding has no NCCL (build against a CUDA libtorch with STAD_NCCL=ON)');
    try {
      await initProcessGroup({ rank: env.rank, worldSize: env.worldSize, masterAddr: env.masterAddr, masterPort: env.masterPort, timeoutMs: o.timeoutMs, backend: o.backend });
    } catch (e) {
      throw new CollectiveError(env.rank, `joining the process group at ${env.masterAddr}:${env.masterPort}`, e);
    }
    return new DataParallel(env, o);
  }

  get rank(): number {
    return this.env.rank;
  }
  get worldSize(): number {
    return this.env.worldSize;
  }
  /** Rank 0: the one that writes checkpoints and reports. */
  get isMain(): boolean {
    return this.env.rank === 0;
  }
  get shard(): ShardSpec {
    return { rank: this.env.rank, worldSize: this.env.worldSize };
  }

  private guard<T>(what: string, fn: () => T, key = what): T {
    const t0 = performance.now();
    try {
      return fn();
    } catch (e) {
      throw new CollectiveError(this.rank, what, e);
    } finally {
      const t = this.timing.get(key) ?? { calls: 0, ms: 0 };
      t.calls++;
      t.ms += performance.now() - t0;
      this.timing.set(key, t);
    }
  }

  /**
   * Wall time spent in each kind of call since the last reset ('backward': the backward pass, its
   * computation and its wait for the Reducer's all-reduces).
   */
  timings(reset = false): Map<string, CollectiveTiming> {
    const out = new Map([...this.timing].map(([k, v]) => [k, { ...v }]));
    if (reset) this.timing.clear();
    return out;
  }

  /**
   * After the model is built and its weights loaded (resumed, pretrained): rank 0's parameters and
   * buffers everywhere, SyncBatchNorm if asked, and the Reducer over the trainable parameters.
   */
  attach(model: Module, o: { noSyncBN?: (moduleName: string) => boolean } = {}): { buckets: number; syncBNLayers: number } {
    if (this.attached) throw new Error('DataParallel.attach: already attached');
    this.attached = true;
    const syncBNLayers = this.options.syncBN ? convertSyncBatchNorm(model, o.noSyncBN) : 0;
    this.syncState(model);
    const params = model.parameters().filter((p) => p.requiresGrad);
    const buckets = this.guard('creating the gradient reducer', () =>
      createReducer(params, { bucketCapBytes: Math.round(this.options.bucketCapMB * 1024 * 1024), findUnusedParameters: false }),
    );
    return { buckets, syncBNLayers };
  }

  /** Rank 0's parameters and buffers on every rank (BatchNorm running statistics differ without SyncBatchNorm). */
  syncState(model: Module): void {
    const tensors = [...model.parameters(), ...model.namedBuffers().map(([, b]) => b)];
    this.guard('broadcasting the model from rank 0', () => torch.noGrad(() => broadcast(tensors, 0)));
  }

  /** Only the model's buffers (cheaper; parameters stay equal by construction). */
  syncBuffers(model: Module): void {
    const buffers = model.namedBuffers().map(([, b]) => b);
    this.guard('broadcasting the buffers from rank 0', () => broadcast(buffers, 0));
  }

  /** The minimum over ranks of `n` (e.g. whether every rank has RoIs this step: a step all of them skip stays in step). */
  minOver(n: number): number {
    return this.reduceNumbers([n], 'min')[0]!;
  }

  /** Whether `flag` holds on any rank (a decision every rank must take alike: skip a step, stop the run). */
  anyOver(flag: boolean): boolean {
    return this.reduceNumbers([flag ? 1 : 0], 'max')[0]! > 0;
  }

  /** The sum over ranks of each number. */
  sumOver(ns: readonly number[]): number[] {
    return this.reduceNumbers(ns, 'sum');
  }

  private reduceNumbers(ns: readonly number[], op: 'sum' | 'min' | 'max'): number[] {
    return this.guard(`all-reduce (${op})`, () =>
      torch.tidy(() => {
        const t = torch.tensor(Float64Array.from(ns), { shape: [ns.length], dtype: 'float64', device: this.options.device });
        allReduce([t], op);
        return Array.from(t.cpu().toFloat64Array());
      }),
    );
  }

  /**
   * Before the backward pass of a batch; `sync`: this backward ends a gradient-accumulation cycle, so
   * its gradients are averaged (the others accumulate locally, as DDP's no_sync).
   */
  beforeBackward(sync: boolean): void {
    if (sync) this.guard('preparing the gradient reducer', () => prepareReducer());
  }

  /**
   * A zero loss that reaches every parameter and every operation of the step's graph (through
   * `output`): the backward of a rank with nothing to learn from in this batch, which must still run,
   * since the other ranks' gradient all-reduces and SyncBatchNorm wait for it.
   */
  zeroLoss(output: torch.Tensor, params: readonly torch.Tensor[]): torch.Tensor {
    return params.reduce((acc, p) => acc.add(p.sum().mul(0)), output.sum().mul(0));
  }

  /** Runs the backward pass, turning a failed all-reduce inside it into a CollectiveError. */
  backward(loss: torch.Tensor): void {
    this.guard('averaging the gradients', () => loss.backward(), 'backward');
  }

  /**
   * The backward pass of one batch on this rank: `loss` is the mean over its `m` RoIs (null when it has
   * none) of the `total` the ranks have together. It is weighted by this rank's share of them (times the
   * world size, which the averaging divides out), so the averaged gradient is the global batch's mean;
   * a rank without RoIs still runs a zero backward through `logits` and `params`, since the other ranks'
   * all-reduces wait for it. `sync`: this batch ends an accumulation group (its gradients are averaged).
   * `poison`: this rank's loss is not finite; its backward makes every gradient NaN instead.
   */
  backwardShare(
    loss: torch.Tensor | null,
    m: number,
    total: number,
    o: { accumulate: number; sync: boolean; logits: torch.Tensor; params: readonly torch.Tensor[]; poison?: boolean },
  ): void {
    this.beforeBackward(o.sync);
    if (o.poison === true) {
      // this rank's loss is not finite: NaN gradients everywhere (d(0 * p.sum() * NaN)/dp = NaN), so that
      // the averaged gradients are NaN on every rank and every rank skips the step on its gradient norm
      this.backward(this.zeroLoss(o.logits, o.params).mul(Number.NaN));
      return;
    }
    if (loss === null) {
      this.backward(this.zeroLoss(o.logits, o.params));
      return;
    }
    const global = loss.mul((m * this.worldSize) / total);
    this.backward(o.accumulate > 1 ? global.div(o.accumulate) : global);
  }

  /** Averages the parameters' gradients over the ranks now (for a step whose reducer pass did not run). */
  averageGradients(params: readonly torch.Tensor[]): void {
    torch.tidy(() => {
      const grads = params.map((p) => p.grad).filter((g): g is torch.Tensor => g !== null);
      this.guard('averaging the gradients', () => allReduce(grads, 'sum'));
      for (const g of grads) g.div_(this.worldSize);
    });
  }

  /** Every rank's JSON-able value, in rank order. */
  allGatherJSON<T>(value: T): T[] {
    const bytes = new TextEncoder().encode(JSON.stringify(value));
    const all = this.guard('gathering results', () => allGatherBytes(bytes));
    const dec = new TextDecoder();
    return all.map((b) => JSON.parse(dec.decode(b)) as T);
  }

  /** Leaves the process group. */
  close(): void {
    destroyReducer();
    destroyProcessGroup();
  }
}
