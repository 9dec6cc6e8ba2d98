/**
 * libtorch's distributed engine (c10d) as the binding exposes it (native/src/ops_distributed.cc): one
 * process group per process, created by a rendezvous on a TCPStore, Gloo on CPU (NCCL in a build that
 * has it); collectives on tensors (in place, like torch.distributed's) and on small byte blobs; c10d's
 * Reducer for gradient averaging overlapped with backward. src/distributed builds training on this.
 */
import { native } from './native.js';
import { Tensor } from './tensor.js';

export type Backend = 'gloo' | 'nccl';
export type ReduceOp = 'sum' | 'max' | 'min' | 'product';

interface DistributedBinding {
  distInit(rank: number, worldSize: number, masterAddr: string, masterPort: number, timeoutMs: number, backend: string): Promise<void>;
  distInfo(): ProcessGroupInfo;
  distAllReduce(hs: readonly number[], op: string): void;
  distAllReduceSumGrad(h: number): number;
  distBroadcast(hs: readonly number[], root: number): void;
  distAllGather(h: number): number[];
  distAllGatherBytes(bytes: Uint8Array): Uint8Array[];
  distBarrier(): void;
  distReducerCreate(params: readonly number[], bucketCapBytes: number, findUnusedParameters: boolean): number;
  distReducerPrepare(outputs: readonly number[]): void;
  distReducerDestroy(): void;
  distDestroy(): void;
}

const dist = native as unknown as DistributedBinding;

export interface ProcessGroupInfo {
  initialized: boolean;
  rank: number;
  worldSize: number;
  backend: string;
  /** Whether this build of the binding has each backend. */
  gloo: boolean;
  nccl: boolean;
}

export interface InitOptions {
  rank: number;
  worldSize: number;
  masterAddr: string;
  masterPort: number;
  /** Rendezvous and every collective give up after this long (a dead peer usually fails them at once). */
  timeoutMs: number;
  backend: Backend;
}

/** Joins the process group: resolves once every rank has joined (the rendezvous runs off the main thread). */
export function initProcessGroup(o: InitOptions): Promise<void> {
  return dist.distInit(o.rank, o.worldSize, o.masterAddr, o.masterPort, o.timeoutMs, o.backend);
}

export function processGroupInfo(): ProcessGroupInfo {
  return dist.distInfo();
}

/** Leaves the process group (and drops the reducer). */
export function destroyProcessGroup(): void {
  dist.distDestroy();
}

/** In place: each tensor becomes its reduction over the ranks (one flat buffer per dtype on the wire). */
export function allReduce(ts: readonly Tensor[], op: ReduceOp = 'sum'): void {
  if (ts.length > 0) dist.distAllReduce(ts.map((t) => t.h), op);
}

/** The sum over ranks, differentiable (its gradient is the sum over ranks of the gradients): for SyncBatchNorm. */
export function allReduceSumWithGrad(x: Tensor): Tensor {
  return new Tensor(dist.distAllReduceSumGrad(x.h));
}

/** In place: every rank's tensors become rank `root`'s. */
export function broadcast(ts: readonly Tensor[], root = 0): void {
  if (ts.length > 0) dist.distBroadcast(ts.map((t) => t.h), root);
}

/** Every rank's tensor, in rank order (same shape and dtype on every rank). */
export function allGather(x: Tensor): Tensor[] {
  return dist.distAllGather(x.h).map((h) => new Tensor(h));
}

/** Every rank's bytes, in rank order (any length). */
export function allGatherBytes(bytes: Uint8Array): Uint8Array[] {
  return dist.distAllGatherBytes(bytes);
}

export function barrier(): void {
  dist.distBarrier();
}

/**
 * Creates c10d's Reducer over `params` (the same parameters, in the same order, on every rank; checked):
 * from then on a backward pass after prepareReducer() averages their gradients over the ranks, bucket
 * by bucket while backward still runs. Returns the number of buckets.
 */
export function createReducer(params: readonly Tensor[], o: { bucketCapBytes: number; findUnusedParameters: boolean }): number {
  return dist.distReducerCreate(params.map((p) => p.h), o.bucketCapBytes, o.findUnusedParameters);
}

/** Before a backward pass whose gradients are to be averaged; `outputs` matter with findUnusedParameters only. */
export function prepareReducer(outputs: readonly Tensor[] = []): void {
  dist.distReducerPrepare(outputs.map((t) => t.h));
}

export function destroyReducer(): void {
  dist.distReducerDestroy();
}
