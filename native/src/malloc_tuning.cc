// Why the binding tunes glibc malloc (issue #8, measured in bench/RESULTS.md, section "model"):
// libtorch's CPU tensors come from malloc, and glibc by default (a) serves every block above its
// mmap threshold (dynamic, 128 KiB rising to at most 32 MiB) with a fresh mmap that is unmapped
// again on free, and (b) gives the top of the heap back to the kernel (trim) as soon as more than
// twice that threshold is free there. A training step allocates and frees the same activation
// buffers (tens of MB each) every step, so both rules make the kernel hand out and zero the same
// memory again and again: one minor page fault per 4 KiB. stad frees intermediates as soon as they
// are consumed (src/models), which keeps its peak lower than PyTorch's but leaves the top of the heap
// free more often: measured on the SlowFast R50 step at 224 px, stad kept taking 200k-550k faults
// per step (0.8-2 GB zeroed again) after the first, where PyTorch's allocation order happened to
// settle to ~0 after four steps. With trimming off and no mmap, freed blocks stay in the heap and
// the next step reuses them: after the first 2-3 steps the R50 step took ~0-1,400 faults, its CPU
// time fell to PyTorch's with the same settings, and stad's step ran 1.3-1.6x as fast as PyTorch's
// with glibc's defaults on this VM, where a fault costs ~12 us. The cost is memory: what is freed stays
// with the process for the next step, and the heap grows for the first steps before it settles,
// because glibc 2.36's posix_memalign (libtorch aligns to 64 bytes) leaves a small remainder behind
// each block in the thread cache, which does not merge it (R50 peak RSS 3.9 -> 4.3 GB; PyTorch with
// glibc's defaults peaks at 4.7 GB). Any MALLOC_* variable or glibc.malloc tunable in the environment
// turns this off (the user's settings apply instead).
#include "malloc_tuning.h"

#include <cstdlib>
#include <cstring>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace stad {

static std::string& state() {
  static std::string s = "not applied";
  return s;
}

const std::string& mallocTuning() { return state(); }

std::string tuneMalloc() {
#if defined(__GLIBC__)
  // A user who set malloc's own knobs knows better: leave all of them to the environment.
  static const char* const vars[] = {"MALLOC_TRIM_THRESHOLD_", "MALLOC_MMAP_THRESHOLD_", "MALLOC_MMAP_MAX_", "MALLOC_TOP_PAD_"};
  for (const char* v : vars) {
    if (std::getenv(v) != nullptr) return state() = std::string("environment: ") + v;
  }
  const char* tunables = std::getenv("GLIBC_TUNABLES");
  if (tunables != nullptr && std::strstr(tunables, "glibc.malloc.") != nullptr) return state() = "environment: GLIBC_TUNABLES";
  // No mmap for large blocks: they come from the heap and return to it on free.
  bool ok = mallopt(M_MMAP_MAX, 0) == 1;
  // Never give the heap's top back automatically (-1 disables trimming, mallopt(3)).
  ok = mallopt(M_TRIM_THRESHOLD, -1) == 1 && ok;
  return state() = ok ? "tuned: no mmap, no trim" : "mallopt failed";
#else
  return state() = "not glibc";
#endif
}

}  // namespace stad
