/**
 * One rank of test/distributed/collectives.test.ts (started with torchrun's environment by stad's
 * launcher): runs each collective and SyncBatchNorm's forward and backward, and rank 0 writes what it
 * saw, with the 1-process BatchNorm of the gathered batch for comparison, to the file given.
 */
import { writeFileSync } from 'node:fs';
import * as torch from '../../src/torch/index.js';
import { allGather, allGatherBytes, allReduce, barrier, broadcast, destroyProcessGroup, initProcessGroup } from '../../src/torch/distributed.js';
import { distEnvFromProcess } from '../../src/distributed/env.js';
import { BatchNorm3d } from '../../src/nn/index.js';
import { syncBatchNorm } from '../../src/distributed/sync-batchnorm.js';

const env = distEnvFromProcess()!;
const out = process.argv[2]!;
await initProcessGroup({ rank: env.rank, worldSize: env.worldSize, masterAddr: env.masterAddr, masterPort: env.masterPort, timeoutMs: 30_000, backend: 'gloo' });
const r = env.rank;
const result: Record<string, unknown> = {};

torch.tidy(() => {
  const f = torch.tensor([r + 1, 10 * (r + 1)]);
  const i = torch.tensor(Int32Array.from([r + 1]), { dtype: 'int32' });
  allReduce([f, i], 'sum');
  result.allReduce = [...f.toFloat32Array(), ...Array.from(i.toFloat64Array())];
  const m = torch.tensor([r]);
  allReduce([m], 'max');
  result.max = m.item();
  const b = torch.tensor([r, r, r]);
  broadcast([b], 1);
  result.broadcast = [...b.toFloat32Array()];
  result.allGather = allGather(torch.tensor([r * 2, r * 2 + 1])).map((t) => [...t.toFloat32Array()]);
  result.bytes = allGatherBytes(new TextEncoder().encode('x'.repeat(r + 2))).map((b) => new TextDecoder().decode(b));

  // SyncBatchNorm: each rank's 2 clips against one BatchNorm over all 4, forward and backward
  torch.manualSeed(11);
  const xs = [torch.randn([2, 3, 2, 4, 4]), torch.randn([2, 3, 2, 4, 4])]; // [N, C, T, H, W] per rank, the same on both
  const gs = [torch.randn([2, 3, 2, 4, 4]), torch.randn([2, 3, 2, 4, 4])];
  const bn = new BatchNorm3d(3);
  torch.noGrad(() => {
    bn.weight!.copy_(torch.tensor([0.5, 1, 2]));
    bn.bias!.copy_(torch.tensor([0.1, -0.2, 0.3]));
  });
  const x = xs[r]!.detach().requiresGrad_(true);
  bn.train();
  const y = syncBatchNorm(bn, x);
  y.mul(gs[r]!).sum().backward();
  const gather = (t: torch.Tensor) => allGather(t.contiguous()).map((u) => [...u.toFloat32Array()]);
  result.sync = {
    y: gather(y).flat(),
    dx: gather(x.grad!).flat(),
    dw: gather(bn.weight!.grad!),
    db: gather(bn.bias!.grad!),
    runningMean: [...bn.runningMean!.toFloat32Array()],
    runningVar: [...bn.runningVar!.toFloat32Array()],
  };
  // one process: the whole batch of 4
  const ref = new BatchNorm3d(3);
  torch.noGrad(() => {
    ref.weight!.copy_(torch.tensor([0.5, 1, 2]));
    ref.bias!.copy_(torch.tensor([0.1, -0.2, 0.3]));
  });
  const xa = torch.cat(xs).detach().requiresGrad_(true);
  const ya = ref.forward(xa);
  ya.mul(torch.cat(gs)).sum().backward();
  result.single = {
    y: [...ya.toFloat32Array()],
    dx: [...xa.grad!.toFloat32Array()],
    dw: [...ref.weight!.grad!.toFloat32Array()],
    db: [...ref.bias!.grad!.toFloat32Array()],
    runningMean: [...ref.runningMean!.toFloat32Array()],
    runningVar: [...ref.runningVar!.toFloat32Array()],
  };
  bn.dispose();
  ref.dispose();
});
barrier();
destroyProcessGroup();
if (r === 0) writeFileSync(out, JSON.stringify(result));
