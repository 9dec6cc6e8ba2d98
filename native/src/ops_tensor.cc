// Tensor metadata, creation, conversion to and from TypedArrays, and the in-place updates that
// optimisers use.
#include <cstring>

#include "args.h"

namespace stad {

// ---- metadata -----------------------------------------------------------------------------------

static Napi::Array toJsInts(Napi::Env env, c10::IntArrayRef v) {
  auto arr = Napi::Array::New(env, v.size());
  for (size_t i = 0; i < v.size(); ++i) arr.Set(static_cast<uint32_t>(i), Napi::Number::New(env, static_cast<double>(v[i])));
  return arr;
}

STAD_OP(shape) { return toJsInts(a.env(), a.tensor(0).sizes()); }
STAD_OP(strides) { return toJsInts(a.env(), a.tensor(0).strides()); }
STAD_OP(dtype) { return Napi::String::New(a.env(), dtypeName(a.tensor(0).scalar_type())); }
STAD_OP(device) { return Napi::String::New(a.env(), deviceName(a.tensor(0).device())); }
STAD_OP(numel) { return Napi::Number::New(a.env(), static_cast<double>(a.tensor(0).numel())); }
STAD_OP(isContiguous) { return Napi::Boolean::New(a.env(), a.tensor(0).is_contiguous()); }
STAD_OP(requiresGrad) { return Napi::Boolean::New(a.env(), a.tensor(0).requires_grad()); }
STAD_OP(isLeaf) { return Napi::Boolean::New(a.env(), a.tensor(0).is_leaf()); }

// ---- creation -----------------------------------------------------------------------------------

// (shape, dtype?, device?)
STAD_OP(zeros) { return a.ret(at::zeros(a.ints(0), a.options(1, 2))); }
STAD_OP(ones) { return a.ret(at::ones(a.ints(0), a.options(1, 2))); }
STAD_OP(empty) { return a.ret(at::empty(a.ints(0), a.options(1, 2))); }
STAD_OP(rand) { return a.ret(at::rand(a.ints(0), a.options(1, 2))); }
STAD_OP(randn) { return a.ret(at::randn(a.ints(0), a.options(1, 2))); }
// (shape, value, dtype?, device?)
STAD_OP(full) { return a.ret(at::full(a.ints(0), a.scalar(1), a.options(2, 3))); }
// (low, high, shape, dtype?, device?)
STAD_OP(randint) { return a.ret(at::randint(a.i64(0), a.i64(1), a.ints(2), a.options(3, 4, at::kLong))); }
// (start, end, step, dtype?, device?)
STAD_OP(arange) {
  auto opts = a.options(3, 4, at::kLong);
  return a.ret(at::arange(a.scalar(0), a.scalar(1), a.scalar(2), opts));
}
// (start, end, steps, dtype?, device?)
STAD_OP(linspace) { return a.ret(at::linspace(a.scalar(0), a.scalar(1), a.i64(2), a.options(3, 4))); }
// (n, m, dtype?, device?)
STAD_OP(eye) { return a.ret(at::eye(a.i64(0), a.i64(1), a.options(2, 3))); }

// *Like: (t, dtype?) keeping device
static at::TensorOptions likeOptions(const Args& a, const at::Tensor& t, size_t dtypeIdx) {
  return t.options().dtype(a.has(dtypeIdx) ? parseDtype(a.str(dtypeIdx)) : t.scalar_type()).requires_grad(false);
}
STAD_OP(zerosLike) { return a.ret(at::zeros(a.tensor(0).sizes(), likeOptions(a, a.tensor(0), 1))); }
STAD_OP(onesLike) { return a.ret(at::ones(a.tensor(0).sizes(), likeOptions(a, a.tensor(0), 1))); }
STAD_OP(randLike) { return a.ret(at::rand(a.tensor(0).sizes(), likeOptions(a, a.tensor(0), 1))); }
STAD_OP(randnLike) { return a.ret(at::randn(a.tensor(0).sizes(), likeOptions(a, a.tensor(0), 1))); }
// (t, value, dtype?)
STAD_OP(fullLike) { return a.ret(at::full(a.tensor(0).sizes(), a.scalar(1), likeOptions(a, a.tensor(0), 2))); }

// ---- TypedArray interop ---------------------------------------------------------------------------

// fromBytes(typedArray, shape, dtype, device?): copies the array's bytes (little-endian, as the
// TypedArray holds them) into a new tensor. Copying keeps lifetimes simple: the JS buffer may be
// collected or reused at once (the clip loader reuses its batch buffers).
static Napi::Value fromBytesImpl(const Napi::CallbackInfo& info) {
  return guarded("fromArray", info, [&](const Args& a) -> Napi::Value {
    Napi::TypedArray arr = info[0].As<Napi::TypedArray>();
    auto shape = a.ints(1);
    auto dtype = parseDtype(a.str(2));
    size_t byteLen = arr.ByteLength();
    // The data pointer from the typed array itself: unlike ArrayBuffer().Data() it also works for a view
    // of a SharedArrayBuffer (the loader's batch buffers, written by worker threads).
    void* data = nullptr;
    NAPI_THROW_IF_FAILED(a.env(), napi_get_typedarray_info(a.env(), arr, nullptr, nullptr, &data, nullptr, nullptr), Napi::Value());
    const uint8_t* src = static_cast<const uint8_t*>(data);
    auto t = at::empty(shape, at::TensorOptions().dtype(dtype));
    size_t need = static_cast<size_t>(t.numel()) * t.element_size();
    if (need != byteLen) {
      throw std::invalid_argument("data has " + std::to_string(byteLen) + " bytes but shape and dtype need " + std::to_string(need));
    }
    if (need > 0) std::memcpy(t.data_ptr(), src, need);
    if (a.has(3)) {
      auto dev = parseDevice(a.str(3));
      if (dev != t.device()) t = t.to(dev);
    }
    return a.ret(t);
  });
}

// toBytes(t): a new ArrayBuffer with the tensor's elements, contiguous, on the CPU.
static Napi::Value toBytesImpl(const Napi::CallbackInfo& info) {
  return guarded("toArray", info, [&](const Args& a) -> Napi::Value {
    at::Tensor t = a.tensor(0).detach();
    if (!t.device().is_cpu()) t = t.to(at::kCPU);
    t = t.contiguous();
    size_t n = static_cast<size_t>(t.numel()) * t.element_size();
    auto buf = Napi::ArrayBuffer::New(a.env(), n);
    if (n > 0) std::memcpy(buf.Data(), t.data_ptr(), n);
    return buf;
  });
}

STAD_OP(item) {
  const auto& t = a.tensor(0);
  if (t.numel() != 1) throw std::invalid_argument("item() needs a tensor with one element, got shape " + c10::str(t.sizes()));
  auto s = t.item();
  if (s.isBoolean()) return Napi::Boolean::New(a.env(), s.toBool());
  if (s.isIntegral(false)) return Napi::Number::New(a.env(), static_cast<double>(s.toLong()));
  return Napi::Number::New(a.env(), s.toDouble());
}

// ---- conversion -----------------------------------------------------------------------------------

STAD_OP(contiguous) { return a.ret(a.tensor(0).contiguous()); }
STAD_OP(clone) { return a.ret(a.tensor(0).clone()); }
// (t, dtype?, device?, nonBlocking?)
STAD_OP(to) {
  const auto& t = a.tensor(0);
  auto dtype = a.has(1) ? parseDtype(a.str(1)) : t.scalar_type();
  auto device = a.has(2) ? parseDevice(a.str(2)) : t.device();
  const bool nonBlocking = a.has(3) && a.boolean(3);
  auto out = t.to(device, dtype, nonBlocking);
  // a copy into host memory that may still be in flight: host reads wait for it (device.h)
  if (nonBlocking && device.is_cpu() && !t.device().is_cpu()) notePendingHostCopy();
  return a.ret(out);
}
// channels-last memory formats (NHWC / NDHWC): faster convolutions in oneDNN and cuDNN.
STAD_OP(toMemoryFormat) {
  auto f = a.str(1);
  at::MemoryFormat mf = f == "channelsLast" ? at::MemoryFormat::ChannelsLast
                       : f == "channelsLast3d" ? at::MemoryFormat::ChannelsLast3d
                                               : at::MemoryFormat::Contiguous;
  return a.ret(a.tensor(0).contiguous(mf));
}

// ---- in-place updates (optimisers, initialisers) -----------------------------------------------
// These return nothing: the handle keeps pointing at the updated tensor.

#define STAD_INPLACE(NAME, EXPR)       \
  STAD_OP(NAME) {                      \
    at::Tensor t = a.tensor(0);        \
    EXPR;                              \
    return a.env().Undefined();        \
  }

STAD_INPLACE(add_, t.add_(a.tensor(1), a.has(2) ? a.scalar(2) : at::Scalar(1)))
STAD_INPLACE(addScalar_, t.add_(a.scalar(1)))
STAD_INPLACE(sub_, t.sub_(a.tensor(1), a.has(2) ? a.scalar(2) : at::Scalar(1)))
STAD_INPLACE(mul_, t.mul_(a.tensor(1)))
STAD_INPLACE(mulScalar_, t.mul_(a.scalar(1)))
STAD_INPLACE(div_, t.div_(a.tensor(1)))
STAD_INPLACE(divScalar_, t.div_(a.scalar(1)))
STAD_INPLACE(addcmul_, t.addcmul_(a.tensor(1), a.tensor(2), a.has(3) ? a.scalar(3) : at::Scalar(1)))
STAD_INPLACE(addcdiv_, t.addcdiv_(a.tensor(1), a.tensor(2), a.has(3) ? a.scalar(3) : at::Scalar(1)))
STAD_INPLACE(lerp_, t.lerp_(a.tensor(1), a.scalar(2)))
STAD_INPLACE(copy_, t.copy_(a.tensor(1)))
STAD_INPLACE(zero_, t.zero_())
STAD_INPLACE(fill_, t.fill_(a.scalar(1)))
STAD_INPLACE(clamp_, t.clamp_(a.has(1) ? c10::optional<at::Scalar>(a.scalar(1)) : c10::nullopt,
                             a.has(2) ? c10::optional<at::Scalar>(a.scalar(2)) : c10::nullopt))
STAD_INPLACE(sqrt_, t.sqrt_())
STAD_INPLACE(normal_, t.normal_(a.num(1), a.num(2)))
STAD_INPLACE(uniform_, t.uniform_(a.num(1), a.num(2)))

void registerTensorOps(Napi::Env env, Napi::Object exports, TensorTable* table) {
  STAD_EXPORT(exports, shape);
  STAD_EXPORT(exports, strides);
  STAD_EXPORT(exports, dtype);
  STAD_EXPORT(exports, device);
  STAD_EXPORT(exports, numel);
  STAD_EXPORT(exports, isContiguous);
  STAD_EXPORT(exports, requiresGrad);
  STAD_EXPORT(exports, isLeaf);
  STAD_EXPORT(exports, zeros);
  STAD_EXPORT(exports, ones);
  STAD_EXPORT(exports, empty);
  STAD_EXPORT(exports, rand);
  STAD_EXPORT(exports, randn);
  STAD_EXPORT(exports, full);
  STAD_EXPORT(exports, randint);
  STAD_EXPORT(exports, arange);
  STAD_EXPORT(exports, linspace);
  STAD_EXPORT(exports, eye);
  STAD_EXPORT(exports, zerosLike);
  STAD_EXPORT(exports, onesLike);
  STAD_EXPORT(exports, randLike);
  STAD_EXPORT(exports, randnLike);
  STAD_EXPORT(exports, fullLike);
  exports.Set("fromArray", Napi::Function::New(env, fromBytesImpl, "fromArray", table));
  exports.Set("toArray", Napi::Function::New(env, toBytesImpl, "toArray", table));
  STAD_EXPORT(exports, item);
  STAD_EXPORT(exports, contiguous);
  STAD_EXPORT(exports, clone);
  STAD_EXPORT(exports, to);
  STAD_EXPORT(exports, toMemoryFormat);
  STAD_EXPORT(exports, add_);
  STAD_EXPORT(exports, addScalar_);
  STAD_EXPORT(exports, sub_);
  STAD_EXPORT(exports, mul_);
  STAD_EXPORT(exports, mulScalar_);
  STAD_EXPORT(exports, div_);
  STAD_EXPORT(exports, divScalar_);
  STAD_EXPORT(exports, addcmul_);
  STAD_EXPORT(exports, addcdiv_);
  STAD_EXPORT(exports, lerp_);
  STAD_EXPORT(exports, copy_);
  STAD_EXPORT(exports, zero_);
  STAD_EXPORT(exports, fill_);
  STAD_EXPORT(exports, clamp_);
  STAD_EXPORT(exports, sqrt_);
  STAD_EXPORT(exports, normal_);
  STAD_EXPORT(exports, uniform_);
}

}  // namespace stad
