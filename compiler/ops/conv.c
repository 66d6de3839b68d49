/* ops/conv.c: Conv. */
#include "ops/op.h"

const OpImpl op_impl_Conv = {0};
