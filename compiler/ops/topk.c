/* ops/topk.c: TopK. */
#include "ops/op.h"

const OpImpl op_impl_TopK = {0};
