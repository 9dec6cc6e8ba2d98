/** The `distributed` section of a run config: how data-parallel workers cooperate (ignored by a 1-process run). */
import { z } from 'zod';

export const DistributedConfigSchema = z.strictObject({
  syncBN: z
    .boolean()
    .default(false)
    .describe("BatchNorm statistics over the global batch (every rank's clips), as torch's SyncBatchNorm; false: each rank's own (DDP's default)"),
  bucketCapMB: z.number().positive('expected a positive number').default(25).describe('gradient all-reduce bucket size in MB (c10d Reducer; torch default 25)'),
  timeoutSec: z
    .number()
    .positive('expected a positive number')
    .default(300)
    .describe('the rendezvous and every collective give up after this long (a stopped worker usually fails them at once)'),
  backend: z.enum(['gloo', 'nccl']).default('gloo').describe("c10d process group: 'gloo' (CPU) or 'nccl' (CUDA, a build with NCCL)"),
});

export type DistributedConfig = z.infer<typeof DistributedConfigSchema>;
