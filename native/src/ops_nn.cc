// Neural-network operators: convolutions, normalisation, pooling, dropout, resampling, and the
// reference losses that tests compare our own against.
#include <torch/nn/functional.h>

#include "args.h"

namespace stad {

// (x, w, bias?, stride[], padding[], dilation[], groups)
STAD_OP(conv2d) {
  return a.ret(at::conv2d(a.tensor(0), a.tensor(1), a.optTensor(2), a.ints(3), a.ints(4), a.ints(5), a.i64(6)));
}
STAD_OP(conv3d) {
  return a.ret(at::conv3d(a.tensor(0), a.tensor(1), a.optTensor(2), a.ints(3), a.ints(4), a.ints(5), a.i64(6)));
}
// (x, weight?, bias?, runningMean?, runningVar?, training, momentum, eps): running statistics are
// updated in place when training, with PyTorch's rule (unbiased variance, momentum on the new value).
STAD_OP(batchNorm) {
  return a.ret(at::batch_norm(a.tensor(0), a.optTensor(1), a.optTensor(2), a.optTensor(3), a.optTensor(4),
                                     a.boolean(5), a.num(6), a.num(7), at::globalContext().userEnabledCuDNN()));
}
// (x, normalizedShape[], weight?, bias?, eps)
STAD_OP(layerNorm) {
  return a.ret(at::layer_norm(a.tensor(0), a.ints(1), a.optTensor(2), a.optTensor(3), a.num(4)));
}
// (x, kernel[], stride[], padding[], dilation[], ceilMode)
STAD_OP(maxPool2d) {
  return a.ret(at::max_pool2d(a.tensor(0), a.ints(1), a.ints(2), a.ints(3), a.ints(4), a.boolean(5)));
}
STAD_OP(maxPool3d) {
  return a.ret(at::max_pool3d(a.tensor(0), a.ints(1), a.ints(2), a.ints(3), a.ints(4), a.boolean(5)));
}
// (x, kernel[], stride[], padding[], ceilMode, countIncludePad)
STAD_OP(avgPool2d) {
  return a.ret(at::avg_pool2d(a.tensor(0), a.ints(1), a.ints(2), a.ints(3), a.boolean(4), a.boolean(5)));
}
STAD_OP(avgPool3d) {
  return a.ret(at::avg_pool3d(a.tensor(0), a.ints(1), a.ints(2), a.ints(3), a.boolean(4), a.boolean(5)));
}
// (x, outputSize[])
STAD_OP(adaptiveAvgPool2d) { return a.ret(at::adaptive_avg_pool2d(a.tensor(0), a.ints(1))); }
STAD_OP(adaptiveAvgPool3d) { return a.ret(at::adaptive_avg_pool3d(a.tensor(0), a.ints(1))); }
STAD_OP(adaptiveMaxPool2d) { return a.ret(std::get<0>(at::adaptive_max_pool2d(a.tensor(0), a.ints(1)))); }
STAD_OP(adaptiveMaxPool3d) { return a.ret(std::get<0>(at::adaptive_max_pool3d(a.tensor(0), a.ints(1)))); }
// (x, p, training)
STAD_OP(dropout) { return a.ret(at::dropout(a.tensor(0), a.num(1), a.boolean(2))); }
// (x, grid, mode: "bilinear"|"nearest"|"bicubic", padding: "zeros"|"border"|"reflection", alignCorners)
STAD_OP(gridSample) {
  auto m = a.str(2), p = a.str(3);
  int64_t mode = m == "bilinear" ? 0 : m == "nearest" ? 1 : m == "bicubic" ? 2 : -1;
  int64_t pad = p == "zeros" ? 0 : p == "border" ? 1 : p == "reflection" ? 2 : -1;
  if (mode < 0) throw std::invalid_argument("unknown mode '" + m + "'");
  if (pad < 0) throw std::invalid_argument("unknown padding mode '" + p + "'");
  return a.ret(at::grid_sampler(a.tensor(0), a.tensor(1), mode, pad, a.boolean(4)));
}
// (x, size[], mode: "nearest"|"linear"|"bilinear"|"trilinear"|"bicubic"|"area", alignCorners?)
STAD_OP(interpolate) {
  namespace F = torch::nn::functional;
  auto opts = F::InterpolateFuncOptions().size(a.ints(1));
  auto m = a.str(2);
  if (m == "nearest") opts.mode(torch::kNearest);
  else if (m == "linear") opts.mode(torch::kLinear);
  else if (m == "bilinear") opts.mode(torch::kBilinear);
  else if (m == "trilinear") opts.mode(torch::kTrilinear);
  else if (m == "bicubic") opts.mode(torch::kBicubic);
  else if (m == "area") opts.mode(torch::kArea);
  else throw std::invalid_argument("unknown mode '" + m + "'");
  if (a.has(3) && m != "nearest" && m != "area") opts.align_corners(a.boolean(3));
  return a.ret(F::interpolate(a.tensor(0), opts));
}
// (logits, targets, weight?, posWeight?, reduction: "none"|"mean"|"sum") — PyTorch's own, for tests.
STAD_OP(binaryCrossEntropyWithLogits) {
  auto r = a.str(4);
  int64_t red = r == "none" ? at::Reduction::None : r == "sum" ? at::Reduction::Sum : at::Reduction::Mean;
  return a.ret(at::binary_cross_entropy_with_logits(a.tensor(0), a.tensor(1), a.optTensor(2), a.optTensor(3), red));
}
// (logits [N, C], targets [N] int64, reduction)
STAD_OP(crossEntropy) {
  auto r = a.str(2);
  int64_t red = r == "none" ? at::Reduction::None : r == "sum" ? at::Reduction::Sum : at::Reduction::Mean;
  return a.ret(at::nll_loss(at::log_softmax(a.tensor(0), 1), a.tensor(1), {}, red));
}

void registerNNOps(Napi::Env env, Napi::Object exports, TensorTable* table) {
  STAD_EXPORT(exports, conv2d); STAD_EXPORT(exports, conv3d); STAD_EXPORT(exports, batchNorm); STAD_EXPORT(exports, layerNorm);
  STAD_EXPORT(exports, maxPool2d); STAD_EXPORT(exports, maxPool3d); STAD_EXPORT(exports, avgPool2d); STAD_EXPORT(exports, avgPool3d);
  STAD_EXPORT(exports, adaptiveAvgPool2d); STAD_EXPORT(exports, adaptiveAvgPool3d);
  STAD_EXPORT(exports, adaptiveMaxPool2d); STAD_EXPORT(exports, adaptiveMaxPool3d);
  STAD_EXPORT(exports, dropout); STAD_EXPORT(exports, gridSample); STAD_EXPORT(exports, interpolate);
  STAD_EXPORT(exports, binaryCrossEntropyWithLogits); STAD_EXPORT(exports, crossEntropy);
}

}  // namespace stad
