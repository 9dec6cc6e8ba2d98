// Operators that libtorch lacks but torchvision's compiled operator library provides (RoIAlign, NMS).
// We do not reimplement them: `loadLibrary` dlopens torchvision's _C library (it links only libtorch),
// which registers `torchvision::roi_align` etc. in libtorch's dispatcher, with autograd and, in a CUDA
// build, CUDA kernels; we call them by name through the dispatcher.
#include <ATen/core/dispatch/Dispatcher.h>
#include <dlfcn.h>

#include "args.h"

namespace stad {

STAD_OP(loadLibrary) {
  auto path = a.str(0);
  void* h = dlopen(path.c_str(), RTLD_NOW | RTLD_GLOBAL);
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
