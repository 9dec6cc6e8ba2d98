// Shape and indexing operators: joining, splitting, slicing, views, gathers, sorting.
#include "args.h"

namespace stad {

// (tensors[], dim)
STAD_OP(cat) { return a.ret(at::cat(a.tensors(0), a.i64(1))); }
STAD_OP(stack) { return a.ret(at::stack(a.tensors(0), a.i64(1))); }
// (t, sizeOrSizes, dim): one size splits into equal chunks (the last smaller), a list gives each size.
STAD_OP(split) {
  const auto& t = a.tensor(0);
  auto dim = a.i64(2);
  std::vector<at::Tensor> parts = a.info_isNumber(1) ? t.split(a.i64(1), dim) : t.split_with_sizes(a.ints(1), dim);
  return a.retList(parts);
}
STAD_OP(chunk) { return a.retList(at::chunk(a.tensor(0), a.i64(1), a.i64(2))); }
STAD_OP(unbind) { return a.retList(at::unbind(a.tensor(0), a.i64(1))); }
// (t, dim, start, length)
STAD_OP(narrow) { return a.ret(a.tensor(0).narrow(a.i64(1), a.i64(2), a.i64(3))); }
// (t, dim, start?, end?, step): python-style slicing t[start:end:step] along dim
STAD_OP(slice) {
  return a.ret(a.tensor(0).slice(a.i64(1), a.optI64(2), a.optI64(3), a.has(4) ? a.i64(4) : 1));
}
// (t, dim, index)
STAD_OP(select) { return a.ret(a.tensor(0).select(a.i64(1), a.i64(2))); }
// (t, dim, indexTensor)
STAD_OP(indexSelect) { return a.ret(at::index_select(a.tensor(0), a.i64(1), a.tensor(2))); }
// (t, dim, indexTensor)
STAD_OP(gather) { return a.ret(at::gather(a.tensor(0), a.i64(1), a.tensor(2))); }
// (t, dim, index, src) out-of-place scatter
STAD_OP(scatter) { return a.ret(at::scatter(a.tensor(0), a.i64(1), a.tensor(2), a.tensor(3))); }
// (t, dim, index, src) out-of-place index_add
STAD_OP(indexAdd) { return a.ret(at::index_add(a.tensor(0), a.i64(1), a.tensor(2), a.tensor(3))); }
// (t, mask, value)
STAD_OP(maskedFill) { return a.ret(at::masked_fill(a.tensor(0), a.tensor(1), a.scalar(2))); }
STAD_OP(maskedSelect) { return a.ret(at::masked_select(a.tensor(0), a.tensor(1))); }
// (t, boolMask) rows of t where mask (t[mask] with a mask over leading dims)
STAD_OP(indexMask) {
  c10::List<c10::optional<at::Tensor>> idx;
  idx.push_back(a.tensor(1));
  return a.ret(at::index(a.tensor(0), idx));
}

STAD_OP(reshape) { return a.ret(a.tensor(0).reshape(a.ints(1))); }
STAD_OP(view) { return a.ret(a.tensor(0).view(a.ints(1))); }
STAD_OP(permute) { return a.ret(a.tensor(0).permute(a.ints(1))); }
STAD_OP(transpose) { return a.ret(a.tensor(0).transpose(a.i64(1), a.i64(2))); }
STAD_OP(squeeze) {
  if (!a.has(1)) return a.ret(a.tensor(0).squeeze());
  return a.ret(a.tensor(0).squeeze(a.i64(1)));
}
STAD_OP(unsqueeze) { return a.ret(a.tensor(0).unsqueeze(a.i64(1))); }
// (t, startDim, endDim)
STAD_OP(flatten) { return a.ret(a.tensor(0).flatten(a.i64(1), a.i64(2))); }
STAD_OP(flip) { return a.ret(a.tensor(0).flip(a.ints(1))); }
STAD_OP(repeat) { return a.ret(a.tensor(0).repeat(a.ints(1))); }
STAD_OP(expand) { return a.ret(a.tensor(0).expand(a.ints(1))); }
STAD_OP(tril) { return a.ret(at::tril(a.tensor(0), a.has(1) ? a.i64(1) : 0)); }
STAD_OP(triu) { return a.ret(at::triu(a.tensor(0), a.has(1) ? a.i64(1) : 0)); }

// (t, k, dim, largest, sorted) -> [values, indices]
STAD_OP(topk) {
  auto r = at::topk(a.tensor(0), a.i64(1), a.i64(2), a.boolean(3), a.boolean(4));
  return a.retList({std::get<0>(r), std::get<1>(r)});
}
// (t, dim, descending, stable) -> [values, indices]
STAD_OP(sort) {
  auto r = at::sort(a.tensor(0), c10::optional<bool>(a.has(3) && a.boolean(3)), a.i64(1), a.boolean(2));
  return a.retList({std::get<0>(r), std::get<1>(r)});
}
STAD_OP(argsort) {
  auto r = at::sort(a.tensor(0), c10::optional<bool>(a.has(3) && a.boolean(3)), a.i64(1), a.boolean(2));
  return a.ret(std::get<1>(r));
}
// -> [nnz, ndim] int64 indices
STAD_OP(nonzero) { return a.ret(at::nonzero(a.tensor(0))); }

void registerShapeOps(Napi::Env env, Napi::Object exports, TensorTable* table) {
  STAD_EXPORT(exports, cat); STAD_EXPORT(exports, stack); STAD_EXPORT(exports, split); STAD_EXPORT(exports, chunk);
  STAD_EXPORT(exports, unbind); STAD_EXPORT(exports, narrow); STAD_EXPORT(exports, slice); STAD_EXPORT(exports, select);
  STAD_EXPORT(exports, indexSelect); STAD_EXPORT(exports, gather); STAD_EXPORT(exports, scatter);
  STAD_EXPORT(exports, indexAdd); STAD_EXPORT(exports, maskedFill); STAD_EXPORT(exports, maskedSelect);
  STAD_EXPORT(exports, indexMask);
  STAD_EXPORT(exports, reshape); STAD_EXPORT(exports, view); STAD_EXPORT(exports, permute); STAD_EXPORT(exports, transpose);
  STAD_EXPORT(exports, squeeze); STAD_EXPORT(exports, unsqueeze); STAD_EXPORT(exports, flatten); STAD_EXPORT(exports, flip);
  STAD_EXPORT(exports, repeat); STAD_EXPORT(exports, expand); STAD_EXPORT(exports, tril); STAD_EXPORT(exports, triu);
  STAD_EXPORT(exports, topk); STAD_EXPORT(exports, sort); STAD_EXPORT(exports, argsort); STAD_EXPORT(exports, nonzero);
}

}  // namespace stad
