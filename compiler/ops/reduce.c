/* ops/reduce.c: reductions. */
#include "ops/op.h"

const OpImpl op_impl_ReduceMean = {0};
const OpImpl op_impl_ReduceSum = {0};
const OpImpl op_impl_ReduceMax = {0};
