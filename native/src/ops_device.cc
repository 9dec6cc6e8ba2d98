// Devices: CUDA availability and synchronisation, pinned host memory, CUDA memory statistics, cuDNN's
// autotuner and deterministic mode, and autocast (mixed precision) regions.
//
// Nothing here includes a CUDA header or links a CUDA symbol, so the same file builds against Debian's
// CPU-only libtorch and against a CUDA PyTorch: CUDA is reached through libtorch's device-neutral
// front doors (torch::cuda::*, which dispatch through the CUDA hooks that libtorch_cuda registers when
// it is loaded; at::globalContext(); the autocast functions; and, for memory statistics, the
// device-neutral allocator interface c10::DeviceAllocator of PyTorch >= 2.9). Where that interface is
// missing (older libtorch), memory statistics report "not available" rather than failing the build.
#include <ATen/autocast_mode.h>
#include <torch/cuda.h>
#include <torch/version.h>

#include <cstdlib>
#include <vector>

#include "args.h"

#if (TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 9)) && \
    __has_include(<c10/core/CachingDeviceAllocator.h>) && !defined(STAD_NO_CUDA_MEMORY_STATS)
#include <c10/core/CachingDeviceAllocator.h>
#define STAD_HAS_DEVICE_ALLOCATOR 1
#else
#define STAD_HAS_DEVICE_ALLOCATOR 0
#endif

// PyTorch 2.4 replaced the per-device autocast setters (set_cpu_enabled, set_autocast_gpu_dtype, ...)
// by ones that take the device type.
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
#define STAD_AUTOCAST_BY_DEVICE_TYPE 1
#else
#define STAD_AUTOCAST_BY_DEVICE_TYPE 0
#endif

#ifndef STAD_TORCHVISION_LIB
#define STAD_TORCHVISION_LIB ""
#endif

namespace stad {

std::atomic<bool> gPendingHostCopy{false};

void waitForHostCopies() {
  // Only a CUDA tensor can have queued a non-blocking copy, so CUDA is there when this runs.
  const auto n = static_cast<int64_t>(torch::cuda::device_count());
  for (int64_t d = 0; d < n; ++d) torch::cuda::synchronize(d);
  gPendingHostCopy.store(false, std::memory_order_release);
}

STAD_OP(cudaIsAvailable) { return Napi::Boolean::New(a.env(), torch::cuda::is_available()); }
STAD_OP(cudaDeviceCount) { return Napi::Number::New(a.env(), static_cast<double>(torch::cuda::device_count())); }

// (index?): waits for every kernel queued on one device (every device when absent).
STAD_OP(cudaSynchronize) {
  if (!torch::cuda::is_available()) throw std::runtime_error("CUDA is not available");
  if (a.has(0)) {
    torch::cuda::synchronize(a.i64(0));
  } else {
    waitForHostCopies();
  }
  return a.env().Undefined();
}

// (index) -> { allocated, reserved, peakAllocated, peakReserved } in bytes, or null where this libtorch
// has no device-neutral allocator interface (PyTorch < 2.9) or the device has not been used yet.
STAD_OP(cudaMemoryStats) {
#if STAD_HAS_DEVICE_ALLOCATOR
  if (!torch::cuda::is_available()) return a.env().Null();
  try {
    auto stats = c10::getDeviceAllocator(c10::DeviceType::CUDA)->getDeviceStats(static_cast<c10::DeviceIndex>(a.i64(0)));
    const size_t agg = 0;  // StatType::AGGREGATE (its namespace moved between releases; its value did not)
    auto o = Napi::Object::New(a.env());
    o.Set("allocated", static_cast<double>(stats.allocated_bytes[agg].current));
    o.Set("reserved", static_cast<double>(stats.reserved_bytes[agg].current));
    o.Set("peakAllocated", static_cast<double>(stats.allocated_bytes[agg].peak));
    o.Set("peakReserved", static_cast<double>(stats.reserved_bytes[agg].peak));
    return o;
  } catch (const c10::Error&) {
    return a.env().Null();  // the allocator has not set the device up yet
  }
#else
  return a.env().Null();
#endif
}

STAD_OP(cudaResetPeakMemoryStats) {
#if STAD_HAS_DEVICE_ALLOCATOR
  if (torch::cuda::is_available()) {
    try {
      c10::getDeviceAllocator(c10::DeviceType::CUDA)->resetPeakStats(static_cast<c10::DeviceIndex>(a.i64(0)));
    } catch (const c10::Error&) {
    }
  }
#endif
  return a.env().Undefined();
}

STAD_OP(cudaMemoryStatsSupported) { return Napi::Boolean::New(a.env(), STAD_HAS_DEVICE_ALLOCATOR != 0); }

// Page-locked host memory: copies from it to a GPU can run asynchronously (non_blocking).
STAD_OP(pinMemory) { return a.ret(a.tensor(0).pin_memory()); }
STAD_OP(isPinned) { return Napi::Boolean::New(a.env(), a.tensor(0).is_pinned()); }

// ---- cuDNN and determinism ----------------------------------------------------------------------

STAD_OP(setCudnnBenchmark) {
  at::globalContext().setBenchmarkCuDNN(a.boolean(0));
  return a.env().Undefined();
}
STAD_OP(cudnnBenchmark) { return Napi::Boolean::New(a.env(), at::globalContext().benchmarkCuDNN()); }

// Deterministic mode: cuDNN's deterministic algorithms, and libtorch's check that refuses operators
// without a deterministic implementation (an error names the operator, rather than a silently
// irreproducible run). cuBLAS needs a fixed workspace for reproducible results; it reads the variable
// when it starts, so it is set here, before the first CUDA matrix product, unless the user set it.
STAD_OP(setDeterministic) {
  const bool on = a.boolean(0);
  if (on && std::getenv("CUBLAS_WORKSPACE_CONFIG") == nullptr) setenv("CUBLAS_WORKSPACE_CONFIG", ":4096:8", 0);
  at::globalContext().setDeterministicCuDNN(on);
  at::globalContext().setDeterministicAlgorithms(on, false);
  return a.env().Undefined();
}
STAD_OP(deterministic) { return Napi::Boolean::New(a.env(), at::globalContext().deterministicAlgorithms()); }

// ---- autocast -----------------------------------------------------------------------------------
// A region enters with (deviceType 'cpu' | 'cuda', dtype) and leaves with autocastExit(); regions nest.
// Autocast state is per thread in libtorch, so is this stack. Leaving the outermost region clears the
// cache of low-precision copies of the weights (as torch.autocast's __exit__ does): the next step's
// weights have changed.

namespace {

struct AutocastState {
  c10::DeviceType device;
  bool enabled;
  at::ScalarType dtype;
};

thread_local std::vector<AutocastState> autocastStack;

bool autocastEnabled(c10::DeviceType d) {
#if STAD_AUTOCAST_BY_DEVICE_TYPE
  return at::autocast::is_autocast_enabled(d);
#else
  return d == c10::DeviceType::CPU ? at::autocast::is_cpu_enabled() : at::autocast::is_enabled();
#endif
}

at::ScalarType autocastDtype(c10::DeviceType d) {
#if STAD_AUTOCAST_BY_DEVICE_TYPE
  return at::autocast::get_autocast_dtype(d);
#else
  return d == c10::DeviceType::CPU ? at::autocast::get_autocast_cpu_dtype() : at::autocast::get_autocast_gpu_dtype();
#endif
}

void setAutocast(c10::DeviceType d, bool enabled, at::ScalarType dtype) {
#if STAD_AUTOCAST_BY_DEVICE_TYPE
  at::autocast::set_autocast_dtype(d, dtype);
  at::autocast::set_autocast_enabled(d, enabled);
#else
  if (d == c10::DeviceType::CPU) {
    at::autocast::set_autocast_cpu_dtype(dtype);
    at::autocast::set_cpu_enabled(enabled);
  } else {
    at::autocast::set_autocast_gpu_dtype(dtype);
    at::autocast::set_enabled(enabled);
  }
#endif
}

c10::DeviceType autocastDevice(const std::string& name) {
  if (name == "cpu") return c10::DeviceType::CPU;
  if (name == "cuda") return c10::DeviceType::CUDA;
  throw std::invalid_argument("autocast: device type must be 'cpu' or 'cuda', got '" + name + "'");
}

}  // namespace

// (deviceType, dtype)
STAD_OP(autocastEnter) {
  const auto d = autocastDevice(a.str(0));
  const auto dtype = parseDtype(a.str(1));
  autocastStack.push_back({d, autocastEnabled(d), autocastDtype(d)});
  setAutocast(d, true, dtype);
  at::autocast::increment_nesting();
  return a.env().Undefined();
}

STAD_OP(autocastExit) {
  if (autocastStack.empty()) throw std::logic_error("autocastExit without autocastEnter");
  const AutocastState prev = autocastStack.back();
  autocastStack.pop_back();
  if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
  setAutocast(prev.device, prev.enabled, prev.dtype);
  return a.env().Undefined();
}

// (deviceType) -> whether autocast is on for it on this thread
STAD_OP(isAutocastEnabled) { return Napi::Boolean::New(a.env(), autocastEnabled(autocastDevice(a.str(0)))); }

// The torchvision operator library scripts/build-native.mjs resolved, at build time, from the same
// installation as this libtorch ('' when it found none).
STAD_OP(torchvisionLibrary) { return Napi::String::New(a.env(), STAD_TORCHVISION_LIB); }

void registerDeviceOps(Napi::Env env, Napi::Object exports, TensorTable* table) {
  STAD_EXPORT(exports, cudaIsAvailable);
  STAD_EXPORT(exports, cudaDeviceCount);
  STAD_EXPORT(exports, cudaSynchronize);
  STAD_EXPORT(exports, cudaMemoryStats);
  STAD_EXPORT(exports, cudaResetPeakMemoryStats);
  STAD_EXPORT(exports, cudaMemoryStatsSupported);
  STAD_EXPORT(exports, pinMemory);
  STAD_EXPORT(exports, isPinned);
  STAD_EXPORT(exports, setCudnnBenchmark);
  STAD_EXPORT(exports, cudnnBenchmark);
  STAD_EXPORT(exports, setDeterministic);
  STAD_EXPORT(exports, deterministic);
  STAD_EXPORT(exports, autocastEnter);
  STAD_EXPORT(exports, autocastExit);
  STAD_EXPORT(exports, isAutocastEnabled);
  STAD_EXPORT(exports, torchvisionLibrary);
}

}  // namespace stad
