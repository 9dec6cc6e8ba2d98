// The tensor table: JavaScript holds tensors as small integer handles into this table rather than as
// one wrapped object per tensor. Measured on the 2-core machine, a Napi::ObjectWrap per tensor costs
// 1.4 us per op and a napi_external with finalizer 1.24 us, while integer handles cost 0.62 us including
// the explicit free: V8 allocates and finalises nothing per tensor. Handles are freed explicitly
// (`dispose`, `tidy` on the TypeScript side).
//
// A handle is a positive int32 (a V8 small integer, so passing one allocates nothing):
//   bits 0-19 the slot index, bits 20-30 the slot's generation (1..2047; 0 is never issued).
// A slot's generation moves on every time it is freed, so a handle kept after its tensor was freed
// (stale) no longer matches its slot, even once the slot holds another tensor: using or freeing it is
// an error instead of reaching the other tensor. Freed slots are reused first-in-first-out and only
// once kQuarantine of them wait, so one slot is reused at most once per kQuarantine frees and its
// 11-bit generation comes round again only after about two million frees (a stale handle that old
// can alias; any younger one cannot).
//
// Each Node environment (the main thread, each worker thread that loads the addon) has its own table,
// held as the addon's instance data and reached through every function's data pointer (no global
// state, no lookup per call); a handle means nothing in another environment.
//
// libtorch's memory is not reported to V8 (napi_adjust_external_memory): the collector cannot free a
// tensor (only dispose/tidy do), so a report could only make it collect more; measured during training
// it changed neither the peak RSS nor the collector's work (bench/RESULTS.md, section gc), so it went.
#pragma once
#include <napi.h>
#include <ATen/ATen.h>

#include <cstdint>
#include <deque>
#include <string>
#include <vector>

namespace stad {

class TensorTable {
 public:
  static constexpr int kSlotBits = 20;
  static constexpr uint32_t kMaxSlots = 1u << kSlotBits;     // 1,048,576 live tensors at most
  static constexpr uint32_t kGenerations = 1u << (31 - kSlotBits);  // generations 1..2047
  static constexpr size_t kQuarantine = 1024;

  // Stores a tensor and returns its handle. Undefined tensors are refused.
  int32_t put(at::Tensor t);
  // The tensor behind a handle, by value (a new reference: a put during the same operator may move
  // the slots, and a reference into them would dangle). Throws for a freed, stale or unknown handle.
  at::Tensor get(int32_t handle) const;
  // Releases a handle (the tensor's memory goes when its last reference does). Freeing a handle that
  // is not live (freed twice, stale, never issued) is an error.
  void release(int32_t handle);
  bool isLive(int32_t handle) const {
    if (handle < 0) return false;
    const uint32_t slot = static_cast<uint32_t>(handle) & (kMaxSlots - 1);
    return slot < slots_.size() && slots_[slot].gen == (static_cast<uint32_t>(handle) >> kSlotBits) &&
           slots_[slot].tensor.defined();
  }
  size_t liveCount() const { return live_; }
  // Bytes of the distinct storages referenced by live handles.
  int64_t liveBytes() const;

 private:
  struct Slot {
    at::Tensor tensor;
    uint32_t gen = 1;
  };
  // Why a handle is not live, for the error message.
  std::string deadReason(int32_t handle) const;

  std::vector<Slot> slots_;
  std::deque<uint32_t> free_;  // freed slots, oldest first
  size_t live_ = 0;
};

// Creates this environment's table, owned by the environment (freed, with every tensor still in it,
// when the environment shuts down: a worker thread that exits leaks nothing).
TensorTable* createEnvTable(Napi::Env env);

}  // namespace stad
