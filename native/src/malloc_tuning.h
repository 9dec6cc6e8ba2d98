// glibc malloc settings for training-sized tensors, applied once when the binding loads (see
// malloc_tuning.cc for why and for the measurements).
#pragma once
#include <string>

namespace stad {

// Applies the settings (once per process) unless the user configured malloc through the environment,
// and returns what was done, for buildInfo(): "tuned: ...", "environment: <variable>" or "not glibc".
const std::string& tuneMalloc();

// What tuneMalloc() returned.
const std::string& mallocTuning();

}  // namespace stad
