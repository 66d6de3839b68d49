/* ops/shape_ops.c: ops that only change shapes, and shape arithmetic. */
#include "ops/op.h"

const OpImpl op_impl_Shape = {0};
const OpImpl op_impl_ConstantOfShape = {0};
const OpImpl op_impl_Range = {0};
const OpImpl op_impl_Reshape = {0};
const OpImpl op_impl_Flatten = {0};
const OpImpl op_impl_Squeeze = {0};
const OpImpl op_impl_Unsqueeze = {0};
const OpImpl op_impl_Identity = {0};
const OpImpl op_impl_Dropout = {0};
const OpImpl op_impl_Constant = {0};
