#include "table.h"

#include <stdexcept>
#include <string>
#include <unordered_set>

namespace stad {

TensorTable& table() {
  static TensorTable t;
  return t;
}

static int64_t ownedBytes(const at::Tensor& t) {
  // A tensor that is the only user of its storage owns it: count it once; views count nothing.
  if (!t.has_storage()) return 0;
  const auto& s = t.storage();
  return s.use_count() == 1 ? static_cast<int64_t>(s.nbytes()) : 0;
}

int32_t TensorTable::put(at::Tensor t) {
  if (!t.defined()) throw std::runtime_error("internal: undefined tensor stored");
  int64_t bytes = ownedBytes(t);
  int32_t h;
  if (!free_.empty()) {
    h = free_.back();
    free_.pop_back();
    slots_[h] = std::move(t);
    reported_[h] = bytes;
  } else {
    h = static_cast<int32_t>(slots_.size());
    slots_.push_back(std::move(t));
    reported_.push_back(bytes);
  }
  ++live_;
  pendingExternal_ += bytes;
  return h;
}

const at::Tensor& TensorTable::get(int32_t h) const {
  if (h < 0 || static_cast<size_t>(h) >= slots_.size() || !slots_[h].defined()) {
    throw std::invalid_argument("tensor #" + std::to_string(h) + " was disposed (or never existed)");
  }
  return slots_[h];
}

bool TensorTable::isLive(int32_t h) const {
  return h >= 0 && static_cast<size_t>(h) < slots_.size() && slots_[h].defined();
}

void TensorTable::release(int32_t h) {
  if (!isLive(h)) throw std::invalid_argument("tensor #" + std::to_string(h) + " disposed twice");
  slots_[h] = at::Tensor();
  pendingExternal_ -= reported_[h];
  reported_[h] = 0;
  free_.push_back(h);
  --live_;
}

int64_t TensorTable::liveBytes() const {
  std::unordered_set<const void*> seen;
  int64_t total = 0;
  for (const auto& t : slots_) {
    if (!t.defined() || !t.has_storage()) continue;
    const void* key = t.storage().unsafeGetStorageImpl();
    if (seen.insert(key).second) total += static_cast<int64_t>(t.storage().nbytes());
  }
  return total;
}

std::vector<int32_t> TensorTable::liveHandles() const {
  std::vector<int32_t> out;
  for (size_t i = 0; i < slots_.size(); ++i)
    if (slots_[i].defined()) out.push_back(static_cast<int32_t>(i));
  return out;
}

void flushExternal(Napi::Env env, bool force) {
  static int64_t pending = 0;
  pending += table().takePendingExternal();
  if (force || pending > (4 << 20) || pending < -(4 << 20)) {
    Napi::MemoryManagement::AdjustExternalMemory(env, pending);
    pending = 0;
  }
}

}  // namespace stad
