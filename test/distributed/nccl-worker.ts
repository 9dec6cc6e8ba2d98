/**
 * One rank of test/distributed/nccl.test.ts, on the GPU of its local rank: c10d's NCCL process group
 * from the binding, its collectives on CUDA tensors, a host-side collective (bytes, through the Gloo
 * backend the group keeps for CPU tensors), and the Reducer averaging a small model's gradients over
 * the ranks. Rank 0 writes what it saw to the file given.
 */
import { writeFileSync } from 'node:fs';
import * as torch from '../../src/torch/index.js';
import {
  allGather,
  allGatherBytes,
  allReduce,
  barrier,
  broadcast,
  createReducer,
  destroyProcessGroup,
  destroyReducer,
  initProcessGroup,
  prepareReducer,
  processGroupInfo,
} from '../../src/torch/distributed.js';
import { distEnvFromProcess } from '../../src/distributed/env.js';

const env = distEnvFromProcess()!;
const out = process.argv[2]!;
// 'gloo' runs the same checks on the CPU (to try the worker on a machine without GPUs)
const backend = process.argv[3] === 'gloo' ? 'gloo' : 'nccl';
const device: torch.Device = backend === 'nccl' ? `cuda:${env.localRank}` : 'cpu';
await initProcessGroup({ rank: env.rank, worldSize: env.worldSize, masterAddr: env.masterAddr, masterPort: env.masterPort, timeoutMs: 60_000, backend });
const r = env.rank;
const result: Record<string, unknown> = { info: processGroupInfo() };

torch.tidy(() => {
  const f = torch.tensor([r + 1, 10 * (r + 1)]).to(device);
  allReduce([f], 'sum');
  result.allReduce = [...f.toFloat32Array()];
  result.allReduceDevice = f.device;
  const m = torch.tensor([r]).to(device);
  allReduce([m], 'max');
  result.max = m.item();
  const b = torch.tensor([r, r, r]).to(device);
  broadcast([b], env.worldSize - 1);
  result.broadcast = [...b.toFloat32Array()];
  result.allGather = allGather(torch.tensor([r * 2, r * 2 + 1]).to(device)).map((t) => [...t.toFloat32Array()]);
  result.bytes = allGatherBytes(new TextEncoder().encode('x'.repeat(r + 2))).map((x) => new TextDecoder().decode(x));
  barrier();

  // the Reducer: each rank's gradients of w . x_r and sum((r + 1) v); after backward every rank holds
  // the mean over the ranks, (1 + ... + n) / n
  const w = torch.zeros([1000], { device, requiresGrad: true });
  const v = torch.ones([300, 300], { device, requiresGrad: true });
  result.buckets = createReducer([w, v], { bucketCapBytes: 64 * 1024, findUnusedParameters: false });
  const loss = w.mul(torch.full([1000], r + 1, { device })).sum().add(v.mul(r + 1).sum());
  prepareReducer([loss]);
  loss.backward();
  result.gradW = [...w.grad!.slice(0, 0, 3).toFloat32Array()];
  result.gradV = [...v.grad!.flatten().slice(0, 0, 3).toFloat32Array()];
  destroyReducer();
});

destroyProcessGroup();
if (r === 0) writeFileSync(out, JSON.stringify(result));
