// Host reads after non-blocking device-to-host copies. A copy from a GPU into CPU memory queued with
// non_blocking=true returns before the data has arrived; reading the destination before the device is
// synchronised sees stale bytes. The `to` operator records such a copy here, and every operator that
// takes a CPU tensor (Args::tensor: reads through toArray/item as much as CPU kernels) waits for the
// devices first, once, when one is pending. GPU-only work never waits, so a step's kernels and the
// copy of its loss still overlap with the host until something reads on the host.
#pragma once
#include <atomic>

namespace stad {

extern std::atomic<bool> gPendingHostCopy;

// Records a queued non-blocking device-to-host copy.
inline void notePendingHostCopy() { gPendingHostCopy.store(true, std::memory_order_release); }
// Synchronises every CUDA device and clears the pending flag (ops_device.cc).
void waitForHostCopies();
// Called before a CPU tensor is used: waits only when a non-blocking copy to the host is outstanding.
inline void beforeHostRead() {
  if (gPendingHostCopy.load(std::memory_order_acquire)) waitForHostCopies();
}

}  // namespace stad
