// Operators that running imported graphs (TensorFlow.js graph models: `stad proposals`) needs beyond
// the training set: constant padding (TF's Pad/PadV2, also with a -inf value before a max-pool).
#include "args.h"

namespace stad {

// (x, pad[] in PyTorch's order: last dimension first, (before, after) pairs, value)
STAD_OP(constantPad) { return a.ret(at::constant_pad_nd(a.tensor(0), a.ints(1), a.scalar(2))); }

void registerNN2dOps(Napi::Env env, Napi::Object exports, TensorTable* table) {
  STAD_EXPORT(exports, constantPad);
}

}  // namespace stad
