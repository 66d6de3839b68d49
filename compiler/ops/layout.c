/* ops/layout.c: data movement: Transpose, Concat, Split, Slice, Expand, gathers and scatters. */
#include "ops/op.h"

const OpImpl op_impl_Transpose = {0};
const OpImpl op_impl_Concat = {0};
const OpImpl op_impl_Split = {0};
const OpImpl op_impl_Slice = {0};
const OpImpl op_impl_Expand = {0};
const OpImpl op_impl_Gather = {0};
const OpImpl op_impl_GatherElements = {0};
const OpImpl op_impl_ScatterElements = {0};
