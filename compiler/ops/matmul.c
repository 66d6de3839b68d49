/* ops/matmul.c: MatMul and Gemm. */
#include "ops/op.h"

const OpImpl op_impl_MatMul = {0};
const OpImpl op_impl_Gemm = {0};
