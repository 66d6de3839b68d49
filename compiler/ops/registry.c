/* ops/registry.c: OpKind -> OpImpl, expanded from ir/ops.def.
 * An op listed in ops.def without an op_impl_<Enum> fails to link. */
#include "ops/op.h"

#define OP(e, name, flags, ...) extern const OpImpl op_impl_##e;
#include "ir/ops.def"
#undef OP

static const OpImpl *const impls[] = {
#define OP(e, name, flags, ...) &op_impl_##e,
#include "ir/ops.def"
#undef OP
};

_Static_assert(sizeof(impls) / sizeof(impls[0]) == OP_COUNT, "ops.def and the OpImpl table differ");

const OpImpl *op_impl(OpKind k) {
  if ((unsigned)k >= OP_COUNT) vitc_die("op kind %d out of range", (int)k);
  return impls[k];
}
