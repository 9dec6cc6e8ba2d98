// Elementwise arithmetic (with broadcasting), comparisons, unary maths, reductions and matrix products.
#include "args.h"

namespace stad {

// ---- binary, tensor (op) tensor, with broadcasting -----------------------------------------------
// add/sub take an optional alpha (out = a + alpha * b), as torch.add does.
STAD_OP(add) { return a.ret(at::add(a.tensor(0), a.tensor(1), a.has(2) ? a.scalar(2) : at::Scalar(1))); }
STAD_OP(sub) { return a.ret(at::sub(a.tensor(0), a.tensor(1), a.has(2) ? a.scalar(2) : at::Scalar(1))); }
STAD_OP(mul) { return a.ret(at::mul(a.tensor(0), a.tensor(1))); }
STAD_OP(div) { return a.ret(at::div(a.tensor(0), a.tensor(1))); }
STAD_OP(pow) { return a.ret(at::pow(a.tensor(0), a.tensor(1))); }
STAD_OP(maximum) { return a.ret(at::maximum(a.tensor(0), a.tensor(1))); }
STAD_OP(minimum) { return a.ret(at::minimum(a.tensor(0), a.tensor(1))); }
STAD_OP(atan2) { return a.ret(at::atan2(a.tensor(0), a.tensor(1))); }

// ---- binary with a scalar --------------------------------------------------------------------------
STAD_OP(addScalar) { return a.ret(at::add(a.tensor(0), a.scalar(1))); }
STAD_OP(subScalar) { return a.ret(at::sub(a.tensor(0), a.scalar(1))); }
STAD_OP(rsubScalar) { return a.ret(at::rsub(a.tensor(0), a.scalar(1))); }  // s - t
STAD_OP(mulScalar) { return a.ret(at::mul(a.tensor(0), a.scalar(1))); }
STAD_OP(divScalar) { return a.ret(at::div(a.tensor(0), a.scalar(1))); }
STAD_OP(rdivScalar) { return a.ret(at::mul(at::reciprocal(a.tensor(0)), a.scalar(1))); }  // s / t
STAD_OP(powScalar) { return a.ret(at::pow(a.tensor(0), a.scalar(1))); }
STAD_OP(rpowScalar) { return a.ret(at::pow(a.scalar(1), a.tensor(0))); }  // s ** t
STAD_OP(remainderScalar) { return a.ret(at::remainder(a.tensor(0), a.scalar(1))); }

// ---- comparisons (bool results) ------------------------------------------------------------------
STAD_OP(eq) { return a.ret(at::eq(a.tensor(0), a.tensor(1))); }
STAD_OP(ne) { return a.ret(at::ne(a.tensor(0), a.tensor(1))); }
STAD_OP(lt) { return a.ret(at::lt(a.tensor(0), a.tensor(1))); }
STAD_OP(le) { return a.ret(at::le(a.tensor(0), a.tensor(1))); }
STAD_OP(gt) { return a.ret(at::gt(a.tensor(0), a.tensor(1))); }
STAD_OP(ge) { return a.ret(at::ge(a.tensor(0), a.tensor(1))); }
STAD_OP(eqScalar) { return a.ret(at::eq(a.tensor(0), a.scalar(1))); }
STAD_OP(neScalar) { return a.ret(at::ne(a.tensor(0), a.scalar(1))); }
STAD_OP(ltScalar) { return a.ret(at::lt(a.tensor(0), a.scalar(1))); }
STAD_OP(leScalar) { return a.ret(at::le(a.tensor(0), a.scalar(1))); }
STAD_OP(gtScalar) { return a.ret(at::gt(a.tensor(0), a.scalar(1))); }
STAD_OP(geScalar) { return a.ret(at::ge(a.tensor(0), a.scalar(1))); }
STAD_OP(logicalAnd) { return a.ret(at::logical_and(a.tensor(0), a.tensor(1))); }
STAD_OP(logicalOr) { return a.ret(at::logical_or(a.tensor(0), a.tensor(1))); }
STAD_OP(logicalNot) { return a.ret(at::logical_not(a.tensor(0))); }
STAD_OP(isnan) { return a.ret(at::isnan(a.tensor(0))); }
STAD_OP(isfinite) { return a.ret(at::isfinite(a.tensor(0))); }
// (cond, x, y)
STAD_OP(where) { return a.ret(at::where(a.tensor(0), a.tensor(1), a.tensor(2))); }
// (cond, x, scalar y) and (cond, scalar x, y) are common in masking
STAD_OP(whereScalarOther) { return a.ret(at::where(a.tensor(0), a.tensor(1), a.scalar(2))); }
STAD_OP(whereScalarSelf) { return a.ret(at::where(a.tensor(0), a.scalar(1), a.tensor(2))); }
// equal(a, b) -> bool: same shape and values
STAD_OP(equal) { return Napi::Boolean::New(a.env(), at::equal(a.tensor(0), a.tensor(1))); }
// (a, b, rtol, atol)
STAD_OP(allclose) { return Napi::Boolean::New(a.env(), at::allclose(a.tensor(0), a.tensor(1), a.num(2), a.num(3))); }

// ---- unary -----------------------------------------------------------------------------------------
#define STAD_UNARY(NAME, FN) \
  STAD_OP(NAME) { return a.ret(FN(a.tensor(0))); }
STAD_UNARY(neg, at::neg)
STAD_UNARY(abs, at::abs)
STAD_UNARY(exp, at::exp)
STAD_UNARY(expm1, at::expm1)
STAD_UNARY(log, at::log)
STAD_UNARY(log1p, at::log1p)
STAD_UNARY(log2, at::log2)
STAD_UNARY(sqrt, at::sqrt)
STAD_UNARY(rsqrt, at::rsqrt)
STAD_UNARY(reciprocal, at::reciprocal)
STAD_UNARY(square, at::square)
STAD_UNARY(sigmoid, at::sigmoid)
STAD_UNARY(logsigmoid, at::log_sigmoid)
STAD_UNARY(relu, at::relu)
STAD_UNARY(tanh, at::tanh)
STAD_UNARY(sin, at::sin)
STAD_UNARY(cos, at::cos)
STAD_UNARY(floor, at::floor)
STAD_UNARY(ceil, at::ceil)
STAD_UNARY(round, at::round)
STAD_UNARY(trunc, at::trunc)
STAD_UNARY(sign, at::sign)
STAD_UNARY(gelu, at::gelu)
STAD_UNARY(silu, at::silu)

// (t, beta, threshold)
STAD_OP(softplus) { return a.ret(at::softplus(a.tensor(0), a.scalar(1), a.scalar(2))); }
// (t, negativeSlope)
STAD_OP(leakyRelu) { return a.ret(at::leaky_relu(a.tensor(0), a.scalar(1))); }
// (t, min?, max?) with scalars
STAD_OP(clamp) {
  return a.ret(at::clamp(a.tensor(0), a.has(1) ? c10::optional<at::Scalar>(a.scalar(1)) : c10::nullopt,
                                a.has(2) ? c10::optional<at::Scalar>(a.scalar(2)) : c10::nullopt));
}
// (t, dim)
STAD_OP(softmax) { return a.ret(at::softmax(a.tensor(0), a.i64(1))); }
STAD_OP(logSoftmax) { return a.ret(at::log_softmax(a.tensor(0), a.i64(1))); }
STAD_OP(logsumexp) { return a.ret(at::logsumexp(a.tensor(0), a.ints(1), a.has(2) && a.boolean(2))); }
STAD_OP(cumsum) { return a.ret(at::cumsum(a.tensor(0), a.i64(1))); }

// ---- reductions ------------------------------------------------------------------------------------
// (t, dims?, keepdim?) — no dims reduces everything to a 0-d tensor.
STAD_OP(sum) {
  if (!a.has(1)) return a.ret(at::sum(a.tensor(0)));
  return a.ret(at::sum(a.tensor(0), a.ints(1), a.has(2) && a.boolean(2)));
}
STAD_OP(mean) {
  if (!a.has(1)) return a.ret(at::mean(a.tensor(0)));
  return a.ret(at::mean(a.tensor(0), a.ints(1), a.has(2) && a.boolean(2)));
}
STAD_OP(prod) {
  if (!a.has(1)) return a.ret(at::prod(a.tensor(0)));
  return a.ret(at::prod(a.tensor(0), a.i64(1), a.has(2) && a.boolean(2)));
}
// (t, dims?, unbiased, keepdim)
STAD_OP(var) {
  if (!a.has(1)) return a.ret(at::var(a.tensor(0), a.boolean(2)));
  return a.ret(at::var(a.tensor(0), a.ints(1), a.boolean(2), a.has(3) && a.boolean(3)));
}
STAD_OP(std) {
  if (!a.has(1)) return a.ret(at::std(a.tensor(0), a.boolean(2)));
  return a.ret(at::std(a.tensor(0), a.ints(1), a.boolean(2), a.has(3) && a.boolean(3)));
}
// (t, p, dims?, keepdim?)
STAD_OP(norm) {
  if (!a.has(2)) return a.ret(at::norm(a.tensor(0), a.scalar(1)));
  return a.ret(at::norm(a.tensor(0), a.scalar(1), a.ints(2), a.has(3) && a.boolean(3)));
}
// max/min: (t) -> 0-d tensor; (t, dim, keepdim) -> [values, indices]
STAD_OP(max) {
  if (!a.has(1)) return a.ret(at::max(a.tensor(0)));
  auto r = at::max(a.tensor(0), a.i64(1), a.has(2) && a.boolean(2));
  return a.retList({std::get<0>(r), std::get<1>(r)});
}
STAD_OP(min) {
  if (!a.has(1)) return a.ret(at::min(a.tensor(0)));
  auto r = at::min(a.tensor(0), a.i64(1), a.has(2) && a.boolean(2));
  return a.retList({std::get<0>(r), std::get<1>(r)});
}
// (t, dim?, keepdim?)
STAD_OP(argmax) { return a.ret(at::argmax(a.tensor(0), a.optI64(1), a.has(2) && a.boolean(2))); }
STAD_OP(argmin) { return a.ret(at::argmin(a.tensor(0), a.optI64(1), a.has(2) && a.boolean(2))); }
STAD_OP(any) { return a.ret(at::any(a.tensor(0))); }
STAD_OP(all) { return a.ret(at::all(a.tensor(0))); }

// ---- products ----------------------------------------------------------------------------------------
STAD_OP(matmul) { return a.ret(at::matmul(a.tensor(0), a.tensor(1))); }
// (x, weight, bias?) : x @ weight^T + bias
STAD_OP(linear) { return a.ret(at::linear(a.tensor(0), a.tensor(1), a.optTensor(2))); }

void registerMathOps(Napi::Env env, Napi::Object exports, TensorTable* table) {
  STAD_EXPORT(exports, add); STAD_EXPORT(exports, sub); STAD_EXPORT(exports, mul); STAD_EXPORT(exports, div);
  STAD_EXPORT(exports, pow); STAD_EXPORT(exports, maximum); STAD_EXPORT(exports, minimum); STAD_EXPORT(exports, atan2);
  STAD_EXPORT(exports, addScalar); STAD_EXPORT(exports, subScalar); STAD_EXPORT(exports, rsubScalar);
  STAD_EXPORT(exports, mulScalar); STAD_EXPORT(exports, divScalar); STAD_EXPORT(exports, rdivScalar);
  STAD_EXPORT(exports, powScalar); STAD_EXPORT(exports, rpowScalar); STAD_EXPORT(exports, remainderScalar);
  STAD_EXPORT(exports, eq); STAD_EXPORT(exports, ne); STAD_EXPORT(exports, lt); STAD_EXPORT(exports, le);
  STAD_EXPORT(exports, gt); STAD_EXPORT(exports, ge);
  STAD_EXPORT(exports, eqScalar); STAD_EXPORT(exports, neScalar); STAD_EXPORT(exports, ltScalar);
  STAD_EXPORT(exports, leScalar); STAD_EXPORT(exports, gtScalar); STAD_EXPORT(exports, geScalar);
  STAD_EXPORT(exports, logicalAnd); STAD_EXPORT(exports, logicalOr); STAD_EXPORT(exports, logicalNot);
  STAD_EXPORT(exports, isnan); STAD_EXPORT(exports, isfinite);
  STAD_EXPORT(exports, where); STAD_EXPORT(exports, whereScalarOther); STAD_EXPORT(exports, whereScalarSelf);
  STAD_EXPORT(exports, equal); STAD_EXPORT(exports, allclose);
  STAD_EXPORT(exports, neg); STAD_EXPORT(exports, abs); STAD_EXPORT(exports, exp); STAD_EXPORT(exports, expm1);
  STAD_EXPORT(exports, log); STAD_EXPORT(exports, log1p); STAD_EXPORT(exports, log2); STAD_EXPORT(exports, sqrt);
  STAD_EXPORT(exports, rsqrt); STAD_EXPORT(exports, reciprocal); STAD_EXPORT(exports, square);
  STAD_EXPORT(exports, sigmoid); STAD_EXPORT(exports, logsigmoid); STAD_EXPORT(exports, relu); STAD_EXPORT(exports, tanh);
  STAD_EXPORT(exports, sin); STAD_EXPORT(exports, cos); STAD_EXPORT(exports, floor); STAD_EXPORT(exports, ceil);
  STAD_EXPORT(exports, round); STAD_EXPORT(exports, trunc); STAD_EXPORT(exports, sign); STAD_EXPORT(exports, gelu);
  STAD_EXPORT(exports, silu);
  STAD_EXPORT(exports, softplus); STAD_EXPORT(exports, leakyRelu); STAD_EXPORT(exports, clamp);
  STAD_EXPORT(exports, softmax); STAD_EXPORT(exports, logSoftmax); STAD_EXPORT(exports, logsumexp); STAD_EXPORT(exports, cumsum);
  STAD_EXPORT(exports, sum); STAD_EXPORT(exports, mean); STAD_EXPORT(exports, prod); STAD_EXPORT(exports, var);
  STAD_EXPORT(exports, std); STAD_EXPORT(exports, norm); STAD_EXPORT(exports, max); STAD_EXPORT(exports, min);
  STAD_EXPORT(exports, argmax); STAD_EXPORT(exports, argmin); STAD_EXPORT(exports, any); STAD_EXPORT(exports, all);
  STAD_EXPORT(exports, matmul); STAD_EXPORT(exports, linear);
}

}  // namespace stad
