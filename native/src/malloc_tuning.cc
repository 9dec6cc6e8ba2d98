// Why the binding tunes glibc malloc (issue #8, measured in bench/RESULTS.md, section "model"):
// libtorch's CPU tensors come from malloc, and glibc by default (a) serves every block above its
// mmap threshold (dynamic, 128 KiB rising to at most 32 MiB) with a fresh mmap that is unmapped
// again on free, and (b) gives the top of the heap back to the kernel (trim) as soon as more than
// twice that threshold is free there. A training step allocates and frees the same activation
// buffers (tens of MB each) every step, so both rules make the kernel hand out and zero the same
// memory again and again: one minor page fault per 4 KiB. Measured on the SlowFast R50 step at
// 224 px, stad took 33k-550k faults per step after the first two, PyTorch 0-620k (which side took
// more changed from run to run), at ~12 us each on the development VM. With no mmap and no trim,
// freed blocks stay in the heap and the next step reuses them: after its first 2-3 steps stad's
// R50 step takes ~0-300 faults, runs 1.3-1.8x as fast as PyTorch with glibc's defaults, and uses
// within 3% of PyTorch's CPU time when PyTorch gets the same settings. The cost is memory: what is freed stays
// with the process for the next step, and the heap grows for the first steps before it settles,
// because glibc 2.36's posix_memalign (libtorch aligns to 64 bytes) leaves a small remainder behind
// each block in the thread cache, which does not merge it (R50 peak RSS 3.97 -> 4.18 GB). Any
// MALLOC_* variable or glibc.malloc tunable in the environment turns this off (the user's settings
// apply instead).
#include "malloc_tuning.h"

#include <cstdlib>
#include <cstring>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace stad {

// Decides and applies the settings; returns what it did.
static std::string apply() {
#if defined(__GLIBC__)
  // A user who set malloc's own knobs knows better: leave all of them to the environment.
  static const char* const vars[] = {"MALLOC_TRIM_THRESHOLD_", "MALLOC_MMAP_THRESHOLD_", "MALLOC_MMAP_MAX_", "MALLOC_TOP_PAD_"};
  for (const char* v : vars) {
    if (std::getenv(v) != nullptr) return std::string("environment: ") + v;
  }
  const char* tunables = std::getenv("GLIBC_TUNABLES");
  if (tunables != nullptr && std::strstr(tunables, "glibc.malloc.") != nullptr) return "environment: GLIBC_TUNABLES";
  // No mmap for large blocks: they come from the heap and return to it on free.
  bool ok = mallopt(M_MMAP_MAX, 0) == 1;
  // Never give the heap's top back automatically (-1 disables trimming, mallopt(3)).
  ok = mallopt(M_TRIM_THRESHOLD, -1) == 1 && ok;
  return ok ? "tuned: no mmap, no trim" : "mallopt failed";
#else
  return "not glibc";
#endif
}

// Every Node environment (main thread, workers) that loads the addon calls this; malloc is
// process-wide, so the settings are applied once (a function-local static is initialised once,
// thread-safely) and every later call reports the same outcome.
const std::string& tuneMalloc() {
  static const std::string outcome = apply();
  return outcome;
}

const std::string& mallocTuning() { return tuneMalloc(); }

}  // namespace stad
