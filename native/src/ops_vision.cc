// Operators that libtorch lacks but torchvision's compiled operator library provides (RoIAlign, NMS).
// We do not reimplement them: `loadLibrary` dlopens torchvision's _C library (it links only libtorch),
// which registers `torchvision::roi_align` etc. in libtorch's dispatcher, with autograd and, in a CUDA
// build, CUDA kernels; we call them by name through the dispatcher.
#include <ATen/core/dispatch/Dispatcher.h>
#include <dlfcn.h>

#include "args.h"

namespace stad {

// (path, global = false). Local by default: nothing needs torchvision's symbols (its static initialisers
// register the operators in the dispatcher), and Debian's build links the system GLib/GObject (through
// its image decoders): made global, they would take over the lazily bound GLib calls of sharp's own
// bundled libvips (GLib-GObject-CRITICAL floods). Global only for a libpython that a wheel's
// libtorch_python must find its symbols in.
STAD_OP(loadLibrary) {
  auto path = a.str(0);
  const bool global = a.has(1) && a.boolean(1);
  void* h = dlopen(path.c_str(), RTLD_NOW | (global ? RTLD_GLOBAL : RTLD_LOCAL));
  if (!h) throw std::runtime_error(std::string("cannot load ") + path + ": " + dlerror());
  return a.env().Undefined();
}

STAD_OP(hasOperator) {
  auto op = c10::Dispatcher::singleton().findSchema({a.str(0), ""});
  return Napi::Boolean::New(a.env(), op.has_value());
}

// (input [N, C, H, W], rois [K, 5] (batchIndex, x1, y1, x2, y2), spatialScale, outH, outW, samplingRatio, aligned)
STAD_OP(roiAlign) {
  static auto op = c10::Dispatcher::singleton()
                       .findSchemaOrThrow("torchvision::roi_align", "")
                       .typed<at::Tensor(const at::Tensor&, const at::Tensor&, double, int64_t, int64_t, int64_t, bool)>();
  return a.ret(op.call(a.tensor(0), a.tensor(1), a.num(2), a.i64(3), a.i64(4), a.i64(5), a.boolean(6)));
}

// (boxes [K, 4], scores [K], iouThreshold) -> kept indices, by decreasing score
STAD_OP(nms) {
  static auto op = c10::Dispatcher::singleton()
                       .findSchemaOrThrow("torchvision::nms", "")
                       .typed<at::Tensor(const at::Tensor&, const at::Tensor&, double)>();
  return a.ret(op.call(a.tensor(0), a.tensor(1), a.num(2)));
}

void registerVisionOps(Napi::Env env, Napi::Object exports, TensorTable* table) {
  STAD_EXPORT(exports, loadLibrary); STAD_EXPORT(exports, hasOperator); STAD_EXPORT(exports, roiAlign); STAD_EXPORT(exports, nms);
}

}  // namespace stad
