/* ops/pool.c: pooling. */
#include "ops/op.h"

const OpImpl op_impl_MaxPool = {0};
const OpImpl op_impl_AveragePool = {0};
const OpImpl op_impl_GlobalAveragePool = {0};
