// Operators that libtorch lacks but torchvision's compiled operator library provides (RoIAlign, NMS).
// We do not reimplement them: `loadLibrary` dlopens torchvision's _C library (it links only libtorch),
// which registers `torchvision::roi_align` etc. in libtorch's dispatcher, with CPU and, in a CUDA
// build, CUDA kernels; we call them by name through the dispatcher.
//
// RoIAlign's gradient is wired here, from torchvision's own `_roi_align_backward` kernel, rather than
// left to torchvision: up to 0.28 its C++ library registers the autograd formula, but from 0.29 on
// (operators built on PyTorch's stable ABI) the formula is registered from Python
// (torchvision/_autograd_registrations.py), which a process without Python never runs, and the
// features' gradient would silently be missing. One formula, the same as torchvision's, on every version.
#include <ATen/core/dispatch/Dispatcher.h>
#include <torch/csrc/autograd/custom_function.h>
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

namespace {

// RoIAlign with torchvision's forward and backward kernels (as torchvision's C++ autograd wrapper
// ROIAlignFunction did): the gradient flows to the features only, not to the boxes.
struct RoIAlignFunction : public torch::autograd::Function<RoIAlignFunction> {
  static at::Tensor forward(torch::autograd::AutogradContext* ctx, const at::Tensor& input, const at::Tensor& rois,
                            double spatialScale, int64_t outH, int64_t outW, int64_t samplingRatio, bool aligned) {
    static auto op = c10::Dispatcher::singleton()
                         .findSchemaOrThrow("torchvision::roi_align", "")
                         .typed<at::Tensor(const at::Tensor&, const at::Tensor&, double, int64_t, int64_t, int64_t, bool)>();
    ctx->saved_data["spatialScale"] = spatialScale;
    ctx->saved_data["outH"] = outH;
    ctx->saved_data["outW"] = outW;
    ctx->saved_data["samplingRatio"] = samplingRatio;
    ctx->saved_data["aligned"] = aligned;
    ctx->saved_data["inputShape"] = input.sizes();  // [N, C, H, W]
    ctx->saved_data["inputType"] = static_cast<int64_t>(input.scalar_type());
    ctx->save_for_backward({rois});
    at::AutoDispatchBelowADInplaceOrView below;  // torchvision's own autograd kernel, where it has one, not twice
    return op.call(input, rois, spatialScale, outH, outW, samplingRatio, aligned);  // [K, C, outH, outW]
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx, torch::autograd::variable_list grads) {
    static auto op = c10::Dispatcher::singleton()
                         .findSchemaOrThrow("torchvision::_roi_align_backward", "")
                         .typed<at::Tensor(const at::Tensor&, const at::Tensor&, double, int64_t, int64_t, int64_t, int64_t, int64_t,
                                           int64_t, int64_t, bool)>();
    const auto rois = ctx->get_saved_variables()[0];
    const auto shape = ctx->saved_data["inputShape"].toIntVector();
    const auto inputType = static_cast<at::ScalarType>(ctx->saved_data["inputType"].toInt());
    at::Tensor grad = grads[0].contiguous();  // [K, C, outH, outW]
    // under autocast the forward ran in float32 (torchvision's autocast kernel) and the gradient
    // arrives in the features' reduced precision: the backward kernel runs in float32 as well
    if (grad.scalar_type() == at::kBFloat16 || grad.scalar_type() == at::kHalf) grad = grad.to(at::kFloat);
    // The CUDA backward kernel adds into the features' gradient with atomics (the order of the sums, and
    // so the last bits, change from run to run). In deterministic mode it runs on the CPU, whose kernel
    // adds in a fixed order: slower, and reproducible, as the mode promises. (torchvision itself raised
    // an error here up to 0.28, and from 0.29 on checks it only in Python.)
    const auto device = grad.device();
    const bool onHost = device.is_cuda() && at::globalContext().deterministicAlgorithms();
    at::Tensor g = onHost ? grad.cpu() : grad;
    at::Tensor gradInput = op.call(g, rois.to(g.device(), g.scalar_type()), ctx->saved_data["spatialScale"].toDouble(),
                                   ctx->saved_data["outH"].toInt(), ctx->saved_data["outW"].toInt(), shape[0], shape[1], shape[2],
                                   shape[3], ctx->saved_data["samplingRatio"].toInt(), ctx->saved_data["aligned"].toBool());
    if (onHost) gradInput = gradInput.to(device);
    return {gradInput.to(inputType), at::Tensor(), at::Tensor(), at::Tensor(), at::Tensor(), at::Tensor(), at::Tensor()};
  }
};

}  // namespace

// (input [N, C, H, W], rois [K, 5] (batchIndex, x1, y1, x2, y2), spatialScale, outH, outW, samplingRatio, aligned)
STAD_OP(roiAlign) {
  return a.ret(RoIAlignFunction::apply(a.tensor(0), a.tensor(1), a.num(2), a.i64(3), a.i64(4), a.i64(5), a.boolean(6)));
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
