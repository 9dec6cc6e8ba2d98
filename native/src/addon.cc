// Module entry: registers every operator family and the process-level functions (threads, build info,
// memory accounting, freeing handles) against this environment's tensor table.
#include <napi.h>
#include <ATen/ATen.h>
#include <torch/cuda.h>
#include <torch/utils.h>
#include <torch/version.h>

#include <stdexcept>
#include <string>

#include "args.h"
#include "malloc_tuning.h"
#include "table.h"

namespace stad {

STAD_OP(free) {
  a.table().release(a.i32(0));
  return a.env().Undefined();
}

// (handles[]): frees every handle; a handle that is not live (freed twice, stale, never issued) is an
// error, raised after the live ones in the list are freed (the caller has already let go of them all,
// so stopping at the bad one would leak the rest).
STAD_OP(freeMany) {
  auto& table = a.table();
  auto arr = a.value(0).As<Napi::Array>();
  std::string firstError;
  for (uint32_t k = 0, n = arr.Length(); k < n; ++k) {
    int32_t h = arr.Get(k).As<Napi::Number>().Int32Value();
    if (table.isLive(h)) {
      table.release(h);
    } else if (firstError.empty()) {
      try {
        table.release(h);  // throws, with the reason
      } catch (const std::exception& e) {
        firstError = e.what();
      }
    }
  }
  if (!firstError.empty()) throw std::invalid_argument(firstError);
  return a.env().Undefined();
}

STAD_OP(isLive) { return Napi::Boolean::New(a.env(), a.table().isLive(a.i32(0))); }

STAD_OP(memory) {
  auto o = Napi::Object::New(a.env());
  o.Set("liveTensors", Napi::Number::New(a.env(), static_cast<double>(a.table().liveCount())));
  o.Set("bytes", Napi::Number::New(a.env(), static_cast<double>(a.table().liveBytes())));
  return o;
}

// Intra-op threads are process-wide in libtorch; the TypeScript side sets them at load (src/torch/native.ts:
// STAD_NUM_THREADS, else the cores the container's CPU quota allows).
STAD_OP(setNumThreads) {
  at::set_num_threads(static_cast<int>(a.i64(0)));
  return a.env().Undefined();
}

STAD_OP(getNumThreads) { return Napi::Number::New(a.env(), at::get_num_threads()); }

STAD_OP(manualSeed) {
  torch::manual_seed(static_cast<uint64_t>(a.i64(0)));
  return a.env().Undefined();
}

STAD_OP(buildInfo) {
  auto env = a.env();
  auto o = Napi::Object::New(env);
  o.Set("torchVersion", TORCH_VERSION);
  o.Set("torchSource", STAD_TORCH_SOURCE);
  o.Set("cudaAvailable", torch::cuda::is_available());
  o.Set("cudaDeviceCount", static_cast<double>(torch::cuda::device_count()));
  o.Set("cudnnAvailable", torch::cuda::cudnn_is_available());
  o.Set("mkldnn", at::hasMKLDNN());
  o.Set("numThreads", at::get_num_threads());
  o.Set("parallelInfo", at::get_parallel_info());
  o.Set("malloc", mallocTuning());
  return o;
}

void registerDistributedOps(Napi::Env env, Napi::Object exports, TensorTable* table);  // ops_distributed.cc

}  // namespace stad

namespace stad {
// ops_image.cc (declared here rather than in args.h, which every operator file includes)
void registerImageOps(Napi::Env env, Napi::Object exports, TensorTable* table);
}  // namespace stad

// Runs once per Node environment that loads the addon (the main thread, and each worker thread that
// requires it): each gets its own tensor table, so environments never see each other's tensors.
static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  using namespace stad;
  // Process-wide and idempotent; before the first tensor of this environment is allocated.
  tuneMalloc();
  TensorTable* table = createEnvTable(env);
  STAD_EXPORT(exports, free);
  STAD_EXPORT(exports, freeMany);
  STAD_EXPORT(exports, isLive);
  STAD_EXPORT(exports, memory);
  STAD_EXPORT(exports, setNumThreads);
  STAD_EXPORT(exports, getNumThreads);
  STAD_EXPORT(exports, manualSeed);
  STAD_EXPORT(exports, buildInfo);
  registerTensorOps(env, exports, table);
  registerMathOps(env, exports, table);
  registerShapeOps(env, exports, table);
  registerNNOps(env, exports, table);
  registerAutogradOps(env, exports, table);
  registerVisionOps(env, exports, table);
  registerNN2dOps(env, exports, table);
  registerDeviceOps(env, exports, table);
  registerDistributedOps(env, exports, table);
  registerImageOps(env, exports, table);
  return exports;
}

NODE_API_MODULE(stad_native, Init)
