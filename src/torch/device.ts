/**
 * Devices: CUDA's availability, synchronisation and memory statistics (torch.cuda), cuDNN's autotuner
 * and the deterministic mode (torch.backends.cudnn, torch.use_deterministic_algorithms), and autocast
 * regions for mixed precision (torch.autocast).
 *
 * Everything works on a CPU-only libtorch: CUDA is then simply unavailable. How the binding reaches
 * CUDA without CUDA headers: native/src/ops_device.cc.
 *
 *   if (torch.cuda.isAvailable()) det.to('cuda');
 *   const loss = torch.autocast('cuda', 'bfloat16', () => det.forward(x, rois)); // master weights stay float32
 */
import { native, type NativeCudaMemoryStats } from './native.js';
import { checkDevice, type DType, type Device } from './dtype.js';

/** Memory held by libtorch's CUDA caching allocator on one device, in bytes. */
export type CudaMemoryStats = NativeCudaMemoryStats;

/** The device type of a device string: 'cuda:1' -> 'cuda'. */
export function deviceType(d: Device): 'cpu' | 'cuda' {
  return d === 'cpu' ? 'cpu' : 'cuda';
}

/** The index of a CUDA device ('cuda' is device 0, as libtorch's current device is by default). */
export function deviceIndex(d: Device): number {
  if (d === 'cpu') return -1;
  const colon = d.indexOf(':');
  return colon < 0 ? 0 : Number(d.slice(colon + 1));
}

export const cuda = {
  /** Whether libtorch was built with CUDA and a driver and device are present. */
  isAvailable(): boolean {
    return native.cudaIsAvailable();
  },
  deviceCount(): number {
    return native.cudaDeviceCount();
  },
  /**
   * Waits until the work queued on a device (every device when none is given) has finished. Reads of
   * tensor data never need it: they wait for outstanding non-blocking copies to the host by themselves.
   */
  synchronize(device?: Device): void {
    native.cudaSynchronize(device === undefined ? undefined : deviceIndex(device));
  },
  /**
   * Allocated and reserved bytes (now and at their peak) of libtorch's CUDA caching allocator, beside
   * torch.memory()'s count of live tensors. null without CUDA, before the device is first used, or where
   * the libtorch lacks the device-neutral allocator interface (PyTorch < 2.9; see memoryStatsSupported).
   */
  memoryStats(device: Device = 'cuda'): CudaMemoryStats | null {
    return native.cudaMemoryStats(deviceIndex(checkDevice(device)));
  },
  resetPeakMemoryStats(device: Device = 'cuda'): void {
    native.cudaResetPeakMemoryStats(deviceIndex(checkDevice(device)));
  },
  /** Whether this build of the binding can read CUDA memory statistics at all. */
  memoryStatsSupported(): boolean {
    return native.cudaMemoryStatsSupported();
  },
};

/**
 * Why a device cannot be used, as one line, or null when it can: CUDA must be available and the index
 * below the device count.
 */
export function deviceUnavailableReason(d: Device): string | null {
  if (d === 'cpu') return null;
  if (!native.cudaIsAvailable()) {
    const info = native.buildInfo();
    return `${d}: CUDA is not available (the binding is built against libtorch ${info.torchVersion} from ${info.torchSource}; it needs a CUDA libtorch, an NVIDIA driver and a GPU)`;
  }
  const n = native.cudaDeviceCount();
  const i = deviceIndex(d);
  if (i >= n) return `${d}: no such device (${n} CUDA device${n === 1 ? '' : 's'}: ${Array.from({ length: n }, (_, k) => `cuda:${k}`).join(', ')})`;
  return null;
}

export const backends = {
  cudnn: {
    /** cuDNN's autotuner: times the algorithms for each new input shape and keeps the fastest. */
    setBenchmark(on: boolean): void {
      native.setCudnnBenchmark(on);
    },
    benchmark(): boolean {
      return native.cudnnBenchmark();
    },
  },
};

/**
 * Deterministic mode: deterministic cuDNN algorithms, and an error (naming the operator) for operators
 * that have no deterministic implementation, as torch.use_deterministic_algorithms(true). Also fixes
 * cuBLAS's workspace (CUBLAS_WORKSPACE_CONFIG) when it is not set.
 */
export function setDeterministic(on: boolean): void {
  native.setDeterministic(on);
}

export function isDeterministic(): boolean {
  return native.deterministic();
}

/** The lower-precision types autocast can run in. */
export type AutocastDType = Extract<DType, 'bfloat16' | 'float16'>;

/**
 * Runs `fn` with autocast on for a device type, as torch.autocast: matrix products and convolutions run
 * in `dtype`, precision-sensitive operators (softmax, losses, norms) in float32, and the weights
 * themselves stay float32 (the master copy the optimiser updates). Regions nest; leaving the outermost
 * one drops the cached low-precision copies of the weights. `fn` must be synchronous: autocast is
 * libtorch state of the calling thread, and an await inside would leak it into unrelated work.
 */
export function autocast<T>(device: Device | 'cpu' | 'cuda', dtype: AutocastDType, fn: () => T): T {
  native.autocastEnter(deviceType(checkDevice(device)), dtype);
  try {
    const r = fn();
    if (r instanceof Promise) throw new TypeError('autocast: fn must be synchronous (it returned a Promise)');
    return r;
  } finally {
    native.autocastExit();
  }
}

/** Whether an autocast region for a device type is open on this thread. */
export function isAutocastEnabled(device: 'cpu' | 'cuda'): boolean {
  return native.isAutocastEnabled(device);
}
