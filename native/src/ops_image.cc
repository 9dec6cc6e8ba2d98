// Image decoding for the clip loader: torchvision's decoders (libjpeg-turbo, libpng) as its `image`
// library registers them in libtorch's dispatcher (loaded with loadLibrary, as torchvision's _C for
// RoIAlign), then ATen's antialiased bilinear resize. One call per frame, no tensor handles: the
// loader's worker threads call it for every frame, and measured on the 2-core machine it costs a
// fraction of sharp's per-image pipeline for small frames (bench/RESULTS.md, "train").
#include <ATen/Config.h>
#include <ATen/Parallel.h>
#include <ATen/core/dispatch/Dispatcher.h>
#include <ATen/core/stack.h>
#if AT_PARALLEL_OPENMP
#include <omp.h>
#endif

#include <cstring>

#include "args.h"

namespace stad {

// One thread for the ops of one decode, restored afterwards. The loader's parallelism is its worker
// threads; each new thread takes the process's intra-op thread count (ATen applies it lazily per
// thread), so with `threads: 2` every frame's resize and conversions started an OpenMP team of two in
// the worker, beside the training step's own team: measured on the loaded 2-core machine, 15 CPU-ms and
// 58 ms of wall time per 160x120 frame against 0.65 CPU-ms single-threaded (bench/RESULTS.md, "The data
// path"). OpenMP's thread count is per thread, so the training thread's setting is untouched;
// at::set_num_threads is not used because it also changes the count every later thread starts with.
class OneThreadHere {
 public:
  OneThreadHere() {
#if AT_PARALLEL_OPENMP
    at::internal::lazy_init_num_threads();  // first, or ATen's lazy per-thread init would undo ours
    saved_ = omp_get_max_threads();
    omp_set_num_threads(1);
#endif
  }
  ~OneThreadHere() {
#if AT_PARALLEL_OPENMP
    omp_set_num_threads(saved_);
#endif
  }
  OneThreadHere(const OneThreadHere&) = delete;
  OneThreadHere& operator=(const OneThreadHere&) = delete;

 private:
  int saved_ = 1;
};

// decodeImage(bytes: Uint8Array, width?, height?) -> { width, height, data: ArrayBuffer }: the image as
// interleaved RGB [H, W, 3] uint8, resized to width x height when given (antialiased bilinear, as
// PIL's and libvips' linear kernels). Throws libtorch's or torchvision's message for a bad image.
STAD_OP(decodeImage) {
  static const auto op = c10::Dispatcher::singleton().findSchemaOrThrow("image::decode_image", "");
  auto env = a.env();
  Napi::TypedArray arr = a.value(0).As<Napi::TypedArray>();
  void* bytes = nullptr;
  NAPI_THROW_IF_FAILED(env, napi_get_typedarray_info(env, arr, nullptr, nullptr, &bytes, nullptr, nullptr), Napi::Value());
  if (arr.ByteLength() == 0) throw std::invalid_argument("empty image file");
  OneThreadHere oneThread;
  // A view of the caller's bytes for the length of this call: the decoder only reads them.
  auto input = at::from_blob(bytes, {static_cast<int64_t>(arr.ByteLength())}, at::kByte);
  // decode_image(data, mode) in torchvision 0.14; later versions add arguments with defaults.
  torch::jit::Stack stack{input, static_cast<int64_t>(3) /* ImageReadMode.RGB */};
  const auto& args = op.schema().arguments();
  for (size_t i = stack.size(); i < args.size(); ++i) {
    if (!args[i].default_value()) throw std::runtime_error("image::decode_image takes an unexpected argument " + args[i].name());
    stack.push_back(*args[i].default_value());
  }
  op.callBoxed(&stack);
  at::Tensor img = stack.back().toTensor();  // [3, H, W] uint8
  if (img.dim() != 3 || img.size(0) != 3) throw std::runtime_error("decoded image has shape " + c10::str(img.sizes()) + ", expected [3, H, W]");
  if (a.has(1) && a.has(2)) {
    int64_t w = a.i64(1), h = a.i64(2);
    if (w < 1 || h < 1) throw std::invalid_argument("resize to " + std::to_string(w) + "x" + std::to_string(h));
    if (w != img.size(2) || h != img.size(1)) {
      auto f = at::_upsample_bilinear2d_aa(img.unsqueeze(0).to(at::kFloat), {h, w}, /*align_corners=*/false);
      img = f.round_().clamp_(0, 255).to(at::kByte).squeeze(0);
    }
  }
  auto hwc = img.permute({1, 2, 0}).contiguous();  // [H, W, 3]
  size_t n = static_cast<size_t>(hwc.numel());
  auto buf = Napi::ArrayBuffer::New(env, n);
  std::memcpy(buf.Data(), hwc.data_ptr(), n);
  auto out = Napi::Object::New(env);
  out.Set("width", Napi::Number::New(env, static_cast<double>(hwc.size(1))));
  out.Set("height", Napi::Number::New(env, static_cast<double>(hwc.size(0))));
  out.Set("data", buf);
  return out;
}

void registerImageOps(Napi::Env env, Napi::Object exports, TensorTable* table) { STAD_EXPORT(exports, decodeImage); }

}  // namespace stad
