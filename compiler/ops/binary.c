/* ops/binary.c: broadcasting binary ops, comparisons and Where. */
#include "ops/op.h"

const OpImpl op_impl_Add = {0};
const OpImpl op_impl_Sub = {0};
const OpImpl op_impl_Mul = {0};
const OpImpl op_impl_Div = {0};
const OpImpl op_impl_Pow = {0};
const OpImpl op_impl_Max = {0};
const OpImpl op_impl_Min = {0};
const OpImpl op_impl_Equal = {0};
const OpImpl op_impl_Less = {0};
const OpImpl op_impl_Greater = {0};
const OpImpl op_impl_LessOrEqual = {0};
const OpImpl op_impl_GreaterOrEqual = {0};
const OpImpl op_impl_And = {0};
const OpImpl op_impl_Or = {0};
const OpImpl op_impl_Where = {0};
