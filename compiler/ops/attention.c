/* ops/attention.c: vitc.Attention, multi-head attention as one op (see ir/ops.def). */
#include "ops/op.h"

const OpImpl op_impl_VitcAttention = {0};
