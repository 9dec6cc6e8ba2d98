// Autograd: leaves that require gradients, backward, gradients, detaching, and the global grad mode.
#include "args.h"

#include <c10/core/GradMode.h>

namespace stad {

// (t, flag): in place, like tensor.requires_grad_(flag)
STAD_OP(setRequiresGrad) {
  at::Tensor t = a.tensor(0);
  t.requires_grad_(a.boolean(1));
  return a.env().Undefined();
}
// (t, grad?, retainGraph?, createGraph?)
STAD_OP(backward) {
  const auto& t = a.tensor(0);
  if (!a.has(1) && t.numel() != 1) {
    throw std::invalid_argument("backward() without a gradient needs a scalar (one-element) output, got shape " + c10::str(t.sizes()));
  }
  t.backward(a.tensorOrUndefined(1), a.has(2) ? c10::optional<bool>(a.boolean(2)) : c10::nullopt, a.has(3) && a.boolean(3));
  return a.env().Undefined();
}
// -> a new handle to t.grad, or null when there is none
STAD_OP(grad) {
  at::Tensor g = a.tensor(0).grad();
  if (!g.defined()) return a.env().Null();
  return a.ret(g);
}
// (t, grad?) sets or clears t.grad (clearing is what optimizer.zeroGrad(setToNone) does)
STAD_OP(setGrad) {
  at::Tensor t = a.tensor(0);
  t.mutable_grad() = a.tensorOrUndefined(1);
  return a.env().Undefined();
}
STAD_OP(retainGrad) {
  at::Tensor t = a.tensor(0);
  t.retain_grad();
  return a.env().Undefined();
}
STAD_OP(detach) { return a.ret(a.tensor(0).detach()); }
STAD_OP(setGradEnabled) {
  c10::GradMode::set_enabled(a.boolean(0));
  return a.env().Undefined();
}
STAD_OP(isGradEnabled) { return Napi::Boolean::New(a.env(), c10::GradMode::is_enabled()); }

void registerAutogradOps(Napi::Env env, Napi::Object exports, TensorTable* table) {
  STAD_EXPORT(exports, setRequiresGrad); STAD_EXPORT(exports, backward); STAD_EXPORT(exports, grad);
  STAD_EXPORT(exports, setGrad); STAD_EXPORT(exports, retainGrad); STAD_EXPORT(exports, detach);
  STAD_EXPORT(exports, setGradEnabled); STAD_EXPORT(exports, isGradEnabled);
}

}  // namespace stad
