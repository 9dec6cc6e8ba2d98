// c10d's C++ interface across the libtorch versions the binding builds against: Debian's 1.13 (CI, the
// development machine) and a recent PyTorch's (2.11 on the GPU machines, 2.14 from a wheel). Two things
// moved between them, and this header is the one place that knows:
//
//   * the process group: in 1.x ProcessGroupGloo/ProcessGroupNCCL *are* process groups; from 2.0 they
//     are backends, and a ProcessGroup is a front that dispatches each collective to the backend
//     registered for its tensors' device (what torch.distributed's `_register_backend` does);
//   * c10d::Reducer's constructor: 1.13 takes per-bucket size limits after the bucket indices; 2.x
//     dropped them and, over its minor versions, added trailing arguments (skip_all_reduce_unused_params,
//     use_python_reducer, bucket_bytes_cap_list, batched_grad_copy). Rather than a table of versions,
//     the constructor is chosen by which argument list compiles (std::is_constructible), longest first,
//     so that a minor version not seen here still builds.
#pragma once

#include <torch/csrc/distributed/c10d/ProcessGroup.hpp>
#include <torch/csrc/distributed/c10d/reducer.hpp>

#if __has_include(<torch/headeronly/version.h>)
#include <torch/headeronly/version.h>
#else
#include <torch/version.h>
#endif

#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <unordered_map>
#include <vector>

namespace stad {
namespace c10d_compat {

#if TORCH_VERSION_MAJOR >= 2
using Backend = c10d::Backend;
#else
using Backend = c10d::ProcessGroup;
#endif

// One backend per device type: Gloo for CPU tensors, and NCCL for CUDA tensors when the group uses it
// (as torch.distributed's "cpu:gloo,cuda:nccl"); host-side collectives (the byte all-gather) then still
// work in an NCCL group.
struct Backends {
  c10::intrusive_ptr<Backend> cpu;   // Gloo
  c10::intrusive_ptr<Backend> cuda;  // NCCL, or null
};

// The process group the rest of the binding talks to.
template <typename PG = c10d::ProcessGroup>
c10::intrusive_ptr<c10d::ProcessGroup> processGroup(const c10::intrusive_ptr<c10d::Store>& store, int rank, int size,
                                                     const Backends& b) {
#if TORCH_VERSION_MAJOR >= 2
  if constexpr (std::is_constructible_v<PG, c10::intrusive_ptr<c10d::Store>, int, int>) {
    auto pg = c10::make_intrusive<PG>(store, rank, size);
    if (b.cpu) pg->setBackend(c10::DeviceType::CPU, PG::BackendType::GLOO, b.cpu);
    if (b.cuda) pg->setBackend(c10::DeviceType::CUDA, PG::BackendType::NCCL, b.cuda);
    pg->setDefaultBackend(b.cuda ? PG::BackendType::NCCL : PG::BackendType::GLOO);
    return pg;
  } else {
    // 2.0/2.1 took the group's options too: not supported (the binding still builds)
    throw std::runtime_error("this libtorch's c10d::ProcessGroup has no (store, rank, size) constructor: multi-process training needs PyTorch 2.2 or later (or Debian's 1.13)");
  }
#else
  // 1.x: a group has exactly one backend, which is the process group itself
  (void)store; (void)rank; (void)size;
  if (b.cpu && b.cuda) throw std::runtime_error("this libtorch (1.x) cannot combine Gloo and NCCL in one process group");
  return b.cuda ? b.cuda : b.cpu;
#endif
}

// Ends a group's backends (NCCL warns, and may leak its communicators, when destroyed without it).
template <typename PG>
auto shutdownImpl(PG& pg, int) -> decltype(pg.shutdown(), void()) { pg.shutdown(); }
template <typename PG>
void shutdownImpl(PG&, long) {}
inline void shutdown(c10d::ProcessGroup& pg) { shutdownImpl(pg, 0); }

// c10d::Reducer over `params` with DistributedDataParallel's bucket assignment (indices and the size
// limit of each bucket), as torch.nn.parallel.DistributedDataParallel constructs it: no gradient as
// bucket view, no parameter names, the C++ reducer, default bucket rebuilding.
template <typename R = c10d::Reducer>
std::unique_ptr<R> reducer(std::vector<at::Tensor> params, std::vector<std::vector<size_t>> buckets, std::vector<size_t> limits,
                           c10::intrusive_ptr<c10d::ProcessGroup> pg, std::vector<bool> sparse, int64_t cap, bool findUnused,
                           int64_t firstCap) {
  using Tensors = std::vector<at::Tensor>;
  using Buckets = std::vector<std::vector<size_t>>;
  using Limits = std::vector<size_t>;
  using PG = c10::intrusive_ptr<c10d::ProcessGroup>;
  using Sparse = std::vector<bool>;
  using Names = std::unordered_map<size_t, std::string>;
  using CapList = std::vector<int64_t>;
  const bool asView = false;
  if constexpr (std::is_constructible_v<R, Tensors, Buckets, PG, Sparse, int64_t, bool, bool, Names, int64_t, bool, bool, CapList>) {
    // 2.12+: ..., skip_all_reduce_unused_params, use_python_reducer, bucket_bytes_cap_list (empty: the default)
    return std::make_unique<R>(std::move(params), std::move(buckets), std::move(pg), std::move(sparse), cap, findUnused, asView,
                               Names(), firstCap, false, false, CapList());
  } else if constexpr (std::is_constructible_v<R, Tensors, Buckets, PG, Sparse, int64_t, bool, bool, Names, int64_t, bool, bool>) {
    return std::make_unique<R>(std::move(params), std::move(buckets), std::move(pg), std::move(sparse), cap, findUnused, asView,
                               Names(), firstCap, false, false);
  } else if constexpr (std::is_constructible_v<R, Tensors, Buckets, PG, Sparse, int64_t, bool, bool, Names, int64_t, bool>) {
    return std::make_unique<R>(std::move(params), std::move(buckets), std::move(pg), std::move(sparse), cap, findUnused, asView,
                               Names(), firstCap, false);
  } else if constexpr (std::is_constructible_v<R, Tensors, Buckets, PG, Sparse, int64_t, bool, bool, Names, int64_t>) {
    return std::make_unique<R>(std::move(params), std::move(buckets), std::move(pg), std::move(sparse), cap, findUnused, asView,
                               Names(), firstCap);
  } else if constexpr (std::is_constructible_v<R, Tensors, Buckets, Limits, PG, Sparse, int64_t, bool, bool, Names, int64_t, bool>) {
    return std::make_unique<R>(std::move(params), std::move(buckets), std::move(limits), std::move(pg), std::move(sparse), cap,
                               findUnused, asView, Names(), firstCap, false);
  } else if constexpr (std::is_constructible_v<R, Tensors, Buckets, Limits, PG, Sparse, int64_t, bool, bool, Names, int64_t>) {
    // 1.13 (and 2.0/2.1): per-bucket size limits after the bucket indices
    return std::make_unique<R>(std::move(params), std::move(buckets), std::move(limits), std::move(pg), std::move(sparse), cap,
                               findUnused, asView, Names(), firstCap);
  } else {
    // a libtorch whose constructor is none of these: the binding still builds (everything but
    // multi-process training works), and distributed training says why it cannot run
    throw std::runtime_error("this libtorch's c10d::Reducer has a constructor the binding does not know (native/src/c10d_compat.h): multi-process training is unavailable with it");
  }
}

}  // namespace c10d_compat
}  // namespace stad
