// Stand-in for a header Debian's libtorch-dev 1.13 does not ship (the distributed-autograd context),
// which c10d's reducer.hpp includes for two names only: the type of a callback and a shared pointer to
// the context. stad never uses distributed autograd (RPC), so the context stays an opaque class here;
// the Reducer's layout does not depend on it (a std::shared_ptr and a pointer). CMake adds this folder
// to the include path only when the real header is missing (a PyTorch installation has it).
#pragma once
#include <ATen/ATen.h>

#include <functional>
#include <memory>

namespace torch {
namespace distributed {
namespace autograd {

class DistAutogradContext {
 public:
  // The signature c10d's Reducer checks against (a gradient, in place; true when it changed).
  using GradCallback = std::function<bool(at::Tensor&)>;
};

using ContextPtr = std::shared_ptr<DistAutogradContext>;

}  // namespace autograd
}  // namespace distributed
}  // namespace torch
