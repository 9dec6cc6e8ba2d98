/**
 * stad's tensor API: libtorch's tensors, operators and autograd, with PyTorch's names.
 *
 *   import * as torch from '../torch/index.js';
 *   const y = torch.tidy(() => x.conv3d(w, { padding: 1 }).relu().mean());
 *
 * Importing this module loads libtorch (through the native binding).
 */
export { Tensor, expandTuple } from './tensor.js';
export type { ConvOptions, PoolOptions, AvgPoolOptions, BatchNormOptions, InterpolateMode, IntOrTuple, NestedArray } from './tensor.js';
export * from './creation.js';
export * from './functional.js';
export { tidy, keep, dispose, memory, Scope } from './scope.js';
export type { MemoryInfo, Disposable } from './scope.js';
export type { DType, Device, Shape, TypedArray } from './dtype.js';
export { DTYPES, DTYPE_BYTES, isFloatingDType } from './dtype.js';
export type { NativeBuildInfo } from './native.js';
export { gradcheck } from './gradcheck.js';
export { leakReport, formatLeakReport, setLeakTracking, type LeakGroup } from './leak-report.js';
export type { GradcheckResult, GradcheckOptions } from './gradcheck.js';
export { cuda, backends, autocast, isAutocastEnabled, setDeterministic, isDeterministic, deviceType, deviceIndex, deviceUnavailableReason } from './device.js';
export type { CudaMemoryStats, AutocastDType } from './device.js';
