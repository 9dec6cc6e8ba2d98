// Argument decoding and result encoding shared by every exported operator. The TypeScript layer has
// already validated option objects (as sharp does); here we only convert plain values: tensors arrive
// as integer handles, lists as arrays of numbers, optionals as undefined/null.
#pragma once
#include <napi.h>
#include <ATen/ATen.h>


#include <string>
#include <vector>

#include "device.h"
#include "table.h"

namespace stad {

at::ScalarType parseDtype(const std::string& name);
std::string dtypeName(at::ScalarType t);
at::Device parseDevice(const std::string& name);
std::string deviceName(const at::Device& d);

// One operator call's arguments, and the table of the environment it was called from (every function
// is created with its environment's table as its data pointer: see STAD_EXPORT).
class Args {
 public:
  explicit Args(const Napi::CallbackInfo& info) : info_(info), table_(*static_cast<TensorTable*>(info.Data())) {}
  Napi::Env env() const { return info_.Env(); }
  TensorTable& table() const { return table_; }
  size_t size() const { return info_.Length(); }
  Napi::Value value(size_t i) const { return info_[i]; }
  bool has(size_t i) const { return i < info_.Length() && !info_[i].IsUndefined() && !info_[i].IsNull(); }

  // A tensor argument, by value (see TensorTable::get). A CPU tensor may be the destination of a
  // non-blocking copy from a GPU still in flight: wait for it first (device.h).
  at::Tensor tensor(size_t i) const {
    at::Tensor t = table_.get(i32(i));
    if (t.is_cpu()) beforeHostRead();
    return t;
  }
  c10::optional<at::Tensor> optTensor(size_t i) const {
    if (!has(i)) return c10::nullopt;
    return tensor(i);
  }
  // An undefined at::Tensor when absent (what many ATen functions take for "no tensor").
  at::Tensor tensorOrUndefined(size_t i) const { return has(i) ? tensor(i) : at::Tensor(); }
  double num(size_t i) const { return info_[i].As<Napi::Number>().DoubleValue(); }
  int64_t i64(size_t i) const { return info_[i].As<Napi::Number>().Int64Value(); }
  int32_t i32(size_t i) const { return info_[i].As<Napi::Number>().Int32Value(); }
  bool info_isNumber(size_t i) const { return info_[i].IsNumber(); }
  bool boolean(size_t i) const { return info_[i].ToBoolean().Value(); }
  std::string str(size_t i) const { return info_[i].As<Napi::String>().Utf8Value(); }
  c10::optional<double> optNum(size_t i) const {
    if (!has(i)) return c10::nullopt;
    return num(i);
  }
  c10::optional<int64_t> optI64(size_t i) const {
    if (!has(i)) return c10::nullopt;
    return i64(i);
  }
  // A JS number as an ATen Scalar: integral numbers stay integral so that int tensors keep their dtype.
  at::Scalar scalar(size_t i) const;
  std::vector<int64_t> ints(size_t i) const;
  c10::optional<std::vector<int64_t>> optInts(size_t i) const {
    if (!has(i)) return c10::nullopt;
    return ints(i);
  }
  std::vector<double> doubles(size_t i) const;
  std::vector<at::Tensor> tensors(size_t i) const;
  at::ScalarType dtype(size_t i, at::ScalarType dflt = at::kFloat) const { return has(i) ? parseDtype(str(i)) : dflt; }
  at::Device device(size_t i) const { return has(i) ? parseDevice(str(i)) : at::Device(at::kCPU); }
  at::TensorOptions options(size_t dtypeIdx, size_t deviceIdx, at::ScalarType dflt = at::kFloat) const {
    return at::TensorOptions().dtype(dtype(dtypeIdx, dflt)).device(device(deviceIdx));
  }

  // Stores a result tensor and returns its handle as a JS number.
  Napi::Value ret(at::Tensor t) const;
  // Stores several results and returns an array of handles.
  Napi::Value retList(const std::vector<at::Tensor>& ts) const;

 private:
  const Napi::CallbackInfo& info_;
  TensorTable& table_;
};

// Runs an operator body, turning libtorch and argument errors into JavaScript Errors that carry the
// operator's name and libtorch's message (without its C++ backtrace). Never lets an exception abort.
template <typename F>
Napi::Value guarded(const char* name, const Napi::CallbackInfo& info, F&& body) {
  try {
    return body(Args(info));
  } catch (const Napi::Error&) {
    throw;
  } catch (const c10::Error& e) {
    throw Napi::Error::New(info.Env(), std::string(name) + ": " + e.what_without_backtrace());
  } catch (const std::exception& e) {
    throw Napi::Error::New(info.Env(), std::string(name) + ": " + e.what());
  }
}

// Declares `static Napi::Value op_NAME(const Napi::CallbackInfo&)` whose body sees `a` (Args).
#define STAD_OP(NAME) \
  static Napi::Value op_##NAME##_impl(const Args& a); \
  static Napi::Value op_##NAME(const Napi::CallbackInfo& info) { return guarded(#NAME, info, op_##NAME##_impl); } \
  static Napi::Value op_##NAME##_impl(const Args& a)

// Exports op_NAME as NAME, bound to the environment's table `table` (a TensorTable* in scope).
#define STAD_EXPORT(exports, NAME) exports.Set(#NAME, Napi::Function::New(env, op_##NAME, #NAME, table))

// Registration hooks of each operator family (ops_*.cc).
void registerTensorOps(Napi::Env env, Napi::Object exports, TensorTable* table);
void registerMathOps(Napi::Env env, Napi::Object exports, TensorTable* table);
void registerShapeOps(Napi::Env env, Napi::Object exports, TensorTable* table);
void registerNNOps(Napi::Env env, Napi::Object exports, TensorTable* table);
void registerAutogradOps(Napi::Env env, Napi::Object exports, TensorTable* table);
void registerVisionOps(Napi::Env env, Napi::Object exports, TensorTable* table);
void registerNN2dOps(Napi::Env env, Napi::Object exports, TensorTable* table);
void registerDeviceOps(Napi::Env env, Napi::Object exports, TensorTable* table);

}  // namespace stad
