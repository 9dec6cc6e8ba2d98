#include "table.h"

#include <stdexcept>
#include <unordered_set>

namespace stad {

int32_t TensorTable::put(at::Tensor t) {
  if (!t.defined()) throw std::runtime_error("internal: undefined tensor stored");
  uint32_t slot;
  if (free_.size() >= kQuarantine) {
    slot = free_.front();
    free_.pop_front();
  } else {
    if (slots_.size() >= kMaxSlots) {
      throw std::runtime_error("too many live tensors (" + std::to_string(live_) +
                               "): tensors are not being freed (dispose them, or tidy each step)");
    }
    slot = static_cast<uint32_t>(slots_.size());
    slots_.emplace_back();
  }
  Slot& s = slots_[slot];
  s.tensor = std::move(t);
  ++live_;
  return static_cast<int32_t>((s.gen << kSlotBits) | slot);
}

std::string TensorTable::deadReason(int32_t h) const {
  if (h >= 0) {
    const uint32_t slot = static_cast<uint32_t>(h) & (kMaxSlots - 1);
    const uint32_t gen = static_cast<uint32_t>(h) >> kSlotBits;
    if (slot < slots_.size() && gen != 0 && gen != slots_[slot].gen && slots_[slot].tensor.defined()) {
      return "was disposed (a stale handle: its slot now holds another tensor)";
    }
  }
  return "was disposed (or never existed)";
}

at::Tensor TensorTable::get(int32_t h) const {
  if (!isLive(h)) throw std::invalid_argument("tensor #" + std::to_string(h) + " " + deadReason(h));
  return slots_[static_cast<uint32_t>(h) & (kMaxSlots - 1)].tensor;
}

void TensorTable::release(int32_t h) {
  if (!isLive(h)) throw std::invalid_argument("cannot free tensor #" + std::to_string(h) + ": it " + deadReason(h));
  const uint32_t slot = static_cast<uint32_t>(h) & (kMaxSlots - 1);
  Slot& s = slots_[slot];
  s.tensor = at::Tensor();
  // The next handle of this slot differs from every handle issued for it in the last 2046 uses.
  s.gen = s.gen + 1 == kGenerations ? 1 : s.gen + 1;
  free_.push_back(slot);
  --live_;
}

int64_t TensorTable::liveBytes() const {
  std::unordered_set<const void*> seen;
  int64_t total = 0;
  for (const auto& s : slots_) {
    const auto& t = s.tensor;
    if (!t.defined() || !t.has_storage()) continue;
    const void* key = t.storage().unsafeGetStorageImpl();
    if (seen.insert(key).second) total += static_cast<int64_t>(t.storage().nbytes());
  }
  return total;
}

TensorTable* createEnvTable(Napi::Env env) {
  auto* table = new TensorTable();
  // node-addon-api deletes it when the environment is torn down.
  env.SetInstanceData<TensorTable>(table);
  return table;
}

}  // namespace stad
