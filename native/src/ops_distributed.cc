// Data-parallel training on libtorch's own distributed engine, c10d: a TCPStore rendezvous, a Gloo
// process group on CPU (NCCL when the build has it), and c10d's Reducer, the bucketed all-reduce that
// PyTorch's DistributedDataParallel overlaps with the backward pass through autograd hooks. Nothing
// here talks to a socket itself.
//
// One process group per process (c10d's default group is process-wide too); it is created by
// `distInit` (a Promise: the rendezvous waits for every rank, possibly for minutes, and Node's event
// loop must keep running meanwhile so that signals and the supervisor's messages are handled) and
// ended by `distDestroy`. Collectives are synchronous: each is bounded by the process group's timeout
// (Gloo's own), and a peer that dies makes Gloo fail at once (its socket closes), so a worker never
// hangs; the supervising launcher is another process and is never blocked by them.
//
// Tensors must be CPU tensors for Gloo (CUDA tensors for NCCL). Collectives of several tensors flatten
// them into one buffer per dtype (c10d's own flatten/unflatten helpers) and copy the results back.
#include "args.h"
#include "c10d_compat.h"

#include <torch/csrc/autograd/custom_function.h>
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroup.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#include <torch/csrc/distributed/c10d/comm.hpp>
#include <torch/csrc/distributed/c10d/reducer.hpp>
#include <torch/csrc/utils/tensor_flatten.h>
#ifdef USE_C10D_GLOO
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#endif
#ifdef USE_C10D_NCCL
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

#include <chrono>
#include <cstdlib>
#include <algorithm>
#include <cstring>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace stad {
namespace {

struct DistState {
  c10::intrusive_ptr<c10d::Store> store;
  c10::intrusive_ptr<c10d::ProcessGroup> pg;
  std::unique_ptr<c10d::Reducer> reducer;
  int rank = -1;
  int size = 0;
  std::string backend;
};

// Process-wide, as libtorch's process groups are: a worker thread's copy of the addon sees the same one.
DistState& dist() {
  static DistState s;
  return s;
}

c10d::ProcessGroup& group() {
  auto& s = dist();
  if (!s.pg) throw std::runtime_error("no process group (call distInit first)");
  return *s.pg;
}

void wait(const c10::intrusive_ptr<c10d::Work>& w) { w->wait(); }

c10d::ReduceOp reduceOp(const std::string& name) {
  if (name == "sum") return c10d::ReduceOp::SUM;
  if (name == "max") return c10d::ReduceOp::MAX;
  if (name == "min") return c10d::ReduceOp::MIN;
  if (name == "product") return c10d::ReduceOp::PRODUCT;
  throw std::invalid_argument("unknown reduce op '" + name + "' (sum, max, min, product)");
}

// Runs `collective` on one flat buffer per dtype of `ts` and copies the results back into `ts`: one
// collective per dtype instead of one per tensor (Gloo's collectives take same-shaped inputs only).
template <typename F>
void coalesced(const std::vector<at::Tensor>& ts, F&& collective) {
  at::NoGradGuard noGrad;  // in place on parameters (leaves that require gradients)
  std::map<at::ScalarType, std::vector<at::Tensor>> byType;
  for (const auto& t : ts) byType[t.scalar_type()].push_back(t);
  for (auto& [type, group] : byType) {
    at::Tensor flat = torch::utils::flatten_dense_tensors(group);  // [sum of numel]
    std::vector<at::Tensor> one{flat};
    collective(one);
    auto parts = torch::utils::unflatten_dense_tensors(flat, group);
    for (size_t i = 0; i < group.size(); ++i) group[i].copy_(parts[i]);
  }
}

void allReduceInPlace(std::vector<at::Tensor>& one, c10d::ReduceOp op) {
  c10d::AllreduceOptions o;
  o.reduceOp = op;
  wait(group().allreduce(one, o));
}

// Sum over ranks, differentiable: the gradient of a sum over ranks is the sum over ranks of the
// gradients (what SyncBatchNorm's statistics need). Every rank must call it in the same order, in the
// forward and (through autograd) in the backward pass.
struct AllReduceSum : public torch::autograd::Function<AllReduceSum> {
  static at::Tensor forward(torch::autograd::AutogradContext*, const at::Tensor& x) {
    std::vector<at::Tensor> one{x.contiguous().clone()};
    allReduceInPlace(one, c10d::ReduceOp::SUM);
    return one[0];
  }
  static torch::autograd::variable_list backward(torch::autograd::AutogradContext*, torch::autograd::variable_list g) {
    std::vector<at::Tensor> one{g[0].contiguous().clone()};
    allReduceInPlace(one, c10d::ReduceOp::SUM);
    return {one[0]};
  }
};

// The rendezvous and the process group, off the main thread (see the top of the file).
class InitWorker : public Napi::AsyncWorker {
 public:
  InitWorker(Napi::Env env, int rank, int size, std::string addr, int port, int64_t timeoutMs, std::string backend)
      : Napi::AsyncWorker(env), deferred_(Napi::Promise::Deferred::New(env)), rank_(rank), size_(size),
        addr_(std::move(addr)), port_(port), timeout_(timeoutMs), backend_(std::move(backend)) {}

  Napi::Promise promise() { return deferred_.Promise(); }

  void Execute() override {
    try {
      // Under torchrun its agent already serves the store on MASTER_PORT (TORCHELASTIC_USE_AGENT_STORE),
      // with keys per restart attempt, as torch.distributed does it; otherwise rank 0 serves it.
      const char* agentStore = std::getenv("TORCHELASTIC_USE_AGENT_STORE");
      const bool useAgent = agentStore != nullptr && std::string(agentStore) == "True";
      c10d::TCPStoreOptions so;
      so.port = static_cast<std::uint16_t>(port_);
      so.isServer = rank_ == 0 && !useAgent;
      so.numWorkers = useAgent ? c10::nullopt : c10::optional<std::size_t>(size_);
      so.waitWorkers = false;  // the process group's rendezvous waits for everyone anyway
      so.timeout = timeout_;
      c10::intrusive_ptr<c10d::Store> tcp = c10::make_intrusive<c10d::TCPStore>(addr_, so);
      std::string prefix = "stad/";
      if (useAgent) {
        const char* attempt = std::getenv("TORCHELASTIC_RESTART_COUNT");
        prefix = std::string("/worker/attempt_") + (attempt ? attempt : "0") + "/stad/";
      }
      auto store = c10::make_intrusive<c10d::PrefixStore>(prefix, tcp);
      if (backend_ != "gloo" && backend_ != "nccl") throw std::invalid_argument("unknown backend '" + backend_ + "' (gloo, nccl)");
      c10d_compat::Backends backends;
      // Gloo for CPU tensors, in an NCCL group too where the libtorch can combine them (2.x): the
      // host-side collectives (the byte all-gather) stay on the CPU. Each backend its own key prefix.
      const bool gloo = backend_ == "gloo" || TORCH_VERSION_MAJOR >= 2;
      if (gloo) {
#ifdef USE_C10D_GLOO
        auto o = c10d::ProcessGroupGloo::Options::create(timeout_);
        // As torch.distributed: GLOO_SOCKET_IFNAME names the interface, else the address the host name resolves to.
        const char* ifname = std::getenv("GLOO_SOCKET_IFNAME");
        o->devices.push_back(ifname && *ifname ? c10d::ProcessGroupGloo::createDeviceForInterface(ifname)
                                               : c10d::ProcessGroupGloo::createDefaultDevice());
        o->threads = 2;
        auto glooStore = c10::make_intrusive<c10d::PrefixStore>("gloo/", store);
        backends.cpu = c10::make_intrusive<c10d::ProcessGroupGloo>(glooStore, rank_, size_, o);
#else
        if (backend_ == "gloo") throw std::runtime_error("this build of the binding has no Gloo (libtorch's gloo headers were not found at build time)");
#endif
      }
      if (backend_ == "nccl") {
#ifdef USE_C10D_NCCL
        auto o = c10d::ProcessGroupNCCL::Options::create();
        o->timeout = timeout_;
        auto ncclStore = c10::make_intrusive<c10d::PrefixStore>("nccl/", store);
        backends.cuda = c10::make_intrusive<c10d::ProcessGroupNCCL>(ncclStore, rank_, size_, o);
#else
        throw std::runtime_error("this build of the binding has no NCCL (it is built in against a CUDA libtorch with NCCL; STAD_NCCL=1 insists)");
#endif
      }
      auto pg = c10d_compat::processGroup(store, rank_, size_, backends);
      auto& s = dist();
      s.store = tcp;
      s.pg = pg;
      s.rank = rank_;
      s.size = size_;
      s.backend = backend_;
    } catch (const c10::Error& e) {
      SetError(e.what_without_backtrace());
    } catch (const std::exception& e) {
      SetError(e.what());
    }
  }
  void OnOK() override { deferred_.Resolve(Env().Undefined()); }
  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 private:
  Napi::Promise::Deferred deferred_;
  int rank_;
  int size_;
  std::string addr_;
  int port_;
  std::chrono::milliseconds timeout_;
  std::string backend_;
};

}  // namespace

// (rank, worldSize, masterAddr, masterPort, timeoutMs, backend) -> Promise<void>
static Napi::Value op_distInit(const Napi::CallbackInfo& info) {
  return guarded("distInit", info, [](const Args& a) -> Napi::Value {
    if (dist().pg) throw std::runtime_error("a process group already exists (distDestroy first)");
    auto* w = new InitWorker(a.env(), a.i32(0), a.i32(1), a.str(2), a.i32(3), a.i64(4), a.str(5));
    auto p = w->promise();
    w->Queue();
    return p;
  });
}

STAD_OP(distInfo) {
  auto o = Napi::Object::New(a.env());
  const auto& s = dist();
  o.Set("initialized", static_cast<bool>(s.pg));
  o.Set("rank", s.rank);
  o.Set("worldSize", s.size);
  o.Set("backend", s.backend);
#ifdef USE_C10D_GLOO
  o.Set("gloo", true);
#else
  o.Set("gloo", false);
#endif
#ifdef USE_C10D_NCCL
  o.Set("nccl", true);
#else
  o.Set("nccl", false);
#endif
  return o;
}

// (handles[], op): in place, every tensor reduced over the ranks.
STAD_OP(distAllReduce) {
  auto ts = a.tensors(0);
  const auto op = reduceOp(a.str(1));
  coalesced(ts, [&](std::vector<at::Tensor>& one) { allReduceInPlace(one, op); });
  return a.env().Undefined();
}

// (handle) -> handle: the sum over ranks, with a gradient (the sum over ranks of the gradients).
STAD_OP(distAllReduceSumGrad) {
  group();
  return a.ret(AllReduceSum::apply(a.tensor(0)));
}

// (handles[], root): in place, every rank's tensors become root's (c10d's broadcast_coalesced, as
// DistributedDataParallel syncs parameters and buffers: buckets of up to 250 MB).
STAD_OP(distBroadcast) {
  auto ts = a.tensors(0);
  const int root = a.i32(1);
  auto& s = dist();
  group();
  if (root != 0) {
    coalesced(ts, [&](std::vector<at::Tensor>& one) {
      c10d::BroadcastOptions o;
      o.rootRank = root;
      wait(group().broadcast(one, o));
    });
  } else {
    at::NoGradGuard noGrad;
    c10d::broadcast_coalesced(s.pg, ts, 250u * 1024u * 1024u, 0);
  }
  return a.env().Undefined();
}

// (handle) -> handles[worldSize]: every rank's tensor (all of the same shape and dtype).
STAD_OP(distAllGather) {
  at::Tensor x = a.tensor(0).contiguous();
  auto& g = group();
  std::vector<std::vector<at::Tensor>> out(1);
  for (int r = 0; r < dist().size; ++r) out[0].push_back(at::empty_like(x));
  std::vector<at::Tensor> in{x};
  wait(g.allgather(out, in));
  return a.retList(out[0]);
}

// (Uint8Array) -> Uint8Array[worldSize]: every rank's bytes, of any length (a length all-gather, then
// the bytes padded to the longest).
STAD_OP(distAllGatherBytes) {
  auto buf = a.value(0).As<Napi::Uint8Array>();
  auto& g = group();
  const int n = dist().size;
  std::vector<at::Tensor> len{at::full({1}, static_cast<int64_t>(buf.ByteLength()), at::kLong)};
  std::vector<std::vector<at::Tensor>> lens(1);
  for (int r = 0; r < n; ++r) lens[0].push_back(at::empty({1}, at::kLong));
  wait(g.allgather(lens, len));
  int64_t longest = 1;
  for (const auto& l : lens[0]) longest = std::max(longest, l.item<int64_t>());
  at::Tensor mine = at::zeros({longest}, at::kByte);
  if (buf.ByteLength() > 0) std::memcpy(mine.data_ptr<uint8_t>(), buf.Data(), buf.ByteLength());
  std::vector<at::Tensor> in{mine};
  std::vector<std::vector<at::Tensor>> out(1);
  for (int r = 0; r < n; ++r) out[0].push_back(at::empty({longest}, at::kByte));
  wait(g.allgather(out, in));
  auto arr = Napi::Array::New(a.env(), n);
  for (int r = 0; r < n; ++r) {
    const auto m = static_cast<size_t>(lens[0][r].item<int64_t>());
    auto b = Napi::Uint8Array::New(a.env(), m);
    if (m > 0) std::memcpy(b.Data(), out[0][r].data_ptr<uint8_t>(), m);
    arr.Set(static_cast<uint32_t>(r), b);
  }
  return arr;
}

STAD_OP(distBarrier) {
  wait(group().barrier());
  return a.env().Undefined();
}

// (params[], bucketCapBytes, findUnusedParameters): c10d's Reducer over the parameters, with buckets
// as DistributedDataParallel assigns them (a small first bucket so that communication starts early,
// then bucketCapBytes; in reverse parameter order, about the order in which backward produces the
// gradients). Checks first that every rank has the same parameter shapes (c10d's own check).
STAD_OP(distReducerCreate) {
  auto& s = dist();
  group();
  if (s.reducer) throw std::runtime_error("a reducer already exists (distReducerDestroy first)");
  std::vector<at::Tensor> params = a.tensors(0);
  const int64_t cap = a.i64(1);
  const bool findUnused = a.boolean(2);
  constexpr int64_t kFirstBucket = 1024 * 1024;  // torch.distributed's _DEFAULT_FIRST_BUCKET_BYTES
  c10d::verify_params_across_processes(s.pg, params, c10::nullopt);
  std::vector<bool> sparse(params.size(), false);
  auto assigned = c10d::compute_bucket_assignment_by_size(params, {static_cast<size_t>(kFirstBucket), static_cast<size_t>(cap)}, sparse);
  auto buckets = std::get<0>(assigned);
  auto limits = std::get<1>(assigned);
  std::reverse(buckets.begin(), buckets.end());
  std::reverse(limits.begin(), limits.end());
  s.reducer = c10d_compat::reducer(params, buckets, limits, s.pg, sparse, cap, findUnused, kFirstBucket);
  return Napi::Number::New(a.env(), static_cast<double>(buckets.size()));
}

// (outputs[]): before a backward pass whose gradients are to be averaged: the Reducer's per-iteration
// preparation, in DistributedDataParallel.forward's order. A backward pass without it (gradient
// accumulation) accumulates locally and communicates nothing. `outputs` matter only with
// findUnusedParameters (the graph is searched from them).
STAD_OP(distReducerPrepare) {
  auto& s = dist();
  if (!s.reducer) throw std::runtime_error("no reducer (call distReducerCreate first)");
  s.reducer->prepare_for_forward();
  s.reducer->rebuild_buckets();
  s.reducer->prepare_for_backward(a.tensors(0));
  return a.env().Undefined();
}

STAD_OP(distReducerDestroy) {
  dist().reducer.reset();
  return a.env().Undefined();
}

// Ends the reducer, the process group and the store (joins Gloo's threads).
STAD_OP(distDestroy) {
  auto& s = dist();
  s.reducer.reset();
  if (s.pg) c10d_compat::shutdown(*s.pg);
  s.pg.reset();
  s.store.reset();
  s.rank = -1;
  s.size = 0;
  s.backend.clear();
  return a.env().Undefined();
}

void registerDistributedOps(Napi::Env env, Napi::Object exports, TensorTable* table) {
  STAD_EXPORT(exports, distInit); STAD_EXPORT(exports, distInfo); STAD_EXPORT(exports, distAllReduce);
  STAD_EXPORT(exports, distAllReduceSumGrad); STAD_EXPORT(exports, distBroadcast); STAD_EXPORT(exports, distAllGather);
  STAD_EXPORT(exports, distAllGatherBytes); STAD_EXPORT(exports, distBarrier); STAD_EXPORT(exports, distReducerCreate);
  STAD_EXPORT(exports, distReducerPrepare); STAD_EXPORT(exports, distReducerDestroy); STAD_EXPORT(exports, distDestroy);
}

}  // namespace stad
