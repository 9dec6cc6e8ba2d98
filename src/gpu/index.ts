/**
 * GPU monitoring without libtorch: nvidia-smi's query interface, procfs, and gpustat's view of them.
 * `queryGpus` is the cheap poll for a progress line; `takeSnapshot` is one refresh of `stad gpustat`.
 */
export { queryGpus, clearGpuQueryCache, selectGpu, readGpus, readComputeApps, NvidiaSmiError, QUERY_CACHE_MS } from './nvidia-smi.js';
export type { GpuStatus, ComputeApp, NvidiaSmiFailure } from './nvidia-smi.js';
export { takeSnapshot } from './snapshot.js';
export type { GpuSnapshot, GpuWithProcesses, GpuProcess } from './snapshot.js';
export { formatSnapshot, formatGpuSummary, snapshotToJson, styler } from './format.js';
export type { SnapshotJson, FormatOptions, Styler } from './format.js';
