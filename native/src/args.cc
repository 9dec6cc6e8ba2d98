#include "args.h"

#include <cmath>
#include <stdexcept>

namespace stad {

at::ScalarType parseDtype(const std::string& n) {
  if (n == "float32") return at::kFloat;
  if (n == "float64") return at::kDouble;
  if (n == "float16") return at::kHalf;
  if (n == "bfloat16") return at::kBFloat16;
  if (n == "int64") return at::kLong;
  if (n == "int32") return at::kInt;
  if (n == "int16") return at::kShort;
  if (n == "int8") return at::kChar;
  if (n == "uint8") return at::kByte;
  if (n == "bool") return at::kBool;
  throw std::invalid_argument("unknown dtype '" + n + "'");
}

std::string dtypeName(at::ScalarType t) {
  switch (t) {
    case at::kFloat: return "float32";
    case at::kDouble: return "float64";
    case at::kHalf: return "float16";
    case at::kBFloat16: return "bfloat16";
    case at::kLong: return "int64";
    case at::kInt: return "int32";
    case at::kShort: return "int16";
    case at::kChar: return "int8";
    case at::kByte: return "uint8";
    case at::kBool: return "bool";
    default: return c10::toString(t);
  }
}

at::Device parseDevice(const std::string& n) {
  // "cpu", "cuda", "cuda:1": the same strings as PyTorch.
  return at::Device(n);
}

std::string deviceName(const at::Device& d) { return d.str(); }

at::Scalar Args::scalar(size_t i) const {
  if (info_[i].IsBoolean()) return at::Scalar(info_[i].As<Napi::Boolean>().Value());
  double v = num(i);
  // -0.0 stays a double: as an integer it would lose its sign (x / -0 must be -inf).
  if (std::isfinite(v) && std::trunc(v) == v && std::fabs(v) < 9.0e15 && !(v == 0 && std::signbit(v))) {
    return at::Scalar(static_cast<int64_t>(v));
  }
  return at::Scalar(v);
}

std::vector<int64_t> Args::ints(size_t i) const {
  if (info_[i].IsNumber()) return {i64(i)};
  auto arr = info_[i].As<Napi::Array>();
  std::vector<int64_t> out(arr.Length());
  for (uint32_t k = 0; k < arr.Length(); ++k) out[k] = arr.Get(k).As<Napi::Number>().Int64Value();
  return out;
}

std::vector<double> Args::doubles(size_t i) const {
  auto arr = info_[i].As<Napi::Array>();
  std::vector<double> out(arr.Length());
  for (uint32_t k = 0; k < arr.Length(); ++k) out[k] = arr.Get(k).As<Napi::Number>().DoubleValue();
  return out;
}

std::vector<at::Tensor> Args::tensors(size_t i) const {
  auto arr = info_[i].As<Napi::Array>();
  std::vector<at::Tensor> out;
  out.reserve(arr.Length());
  for (uint32_t k = 0; k < arr.Length(); ++k) out.push_back(table_.get(arr.Get(k).As<Napi::Number>().Int32Value()));
  return out;
}

Napi::Value Args::ret(at::Tensor t) const {
  int32_t h = table_.put(std::move(t));
  return Napi::Number::New(env(), h);
}

Napi::Value Args::retList(const std::vector<at::Tensor>& ts) const {
  auto arr = Napi::Array::New(env(), ts.size());
  for (size_t k = 0; k < ts.size(); ++k) arr.Set(static_cast<uint32_t>(k), Napi::Number::New(env(), table_.put(ts[k])));
  return arr;
}

}  // namespace stad
