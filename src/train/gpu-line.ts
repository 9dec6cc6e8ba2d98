/**
 * What `stad train` appends to its progress line when it trains on a GPU: the GPU's utilisation and
 * memory as nvidia-smi reports them (gpustat's figures: `GPU0 97% 69.7/140.4 GiB`) and libtorch's own
 * share (`torch 12.3 GiB, peak 14.0`). nvidia-smi is polled in the background (src/gpu/queryGpus: one
 * spawn every two seconds at most) and never holds a step up; without it only libtorch's figures show.
 */
import { formatGpuSummary, queryGpus, selectGpu, type GpuStatus } from '../gpu/index.js';
import * as torch from '../torch/index.js';

const GIB = 1024 ** 3;

export class GpuProgressInfo {
  private smi: string | undefined;

  constructor(
    private readonly device: torch.Device,
    private readonly query: () => Promise<GpuStatus[] | null> = queryGpus,
    private readonly memoryStats: (d: torch.Device) => torch.CudaMemoryStats | null = (d) => torch.cuda.memoryStats(d),
  ) {}

  /** The text for the current step (the last nvidia-smi answer; a new one is asked for meanwhile). */
  text(): string | undefined {
    if (this.device === 'cpu') return undefined;
    void this.query().then((gpus) => {
      const g = gpus ? selectGpu(gpus, torch.deviceIndex(this.device)) : undefined;
      this.smi = g ? formatGpuSummary(g) : undefined;
    });
    const m = this.memoryStats(this.device);
    const own = m ? `torch ${(m.allocated / GIB).toFixed(1)} GiB, peak ${(m.peakAllocated / GIB).toFixed(1)}` : undefined;
    const parts = [this.smi, own].filter((p): p is string => p !== undefined);
    return parts.length > 0 ? parts.join(', ') : undefined;
  }
}
