/* ops/norm.c: normalizations and Softmax. */
#include "ops/op.h"

const OpImpl op_impl_LayerNormalization = {0};
const OpImpl op_impl_BatchNormalization = {0};
const OpImpl op_impl_Softmax = {0};
