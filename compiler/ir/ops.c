/* ir/ops.c: names and flags of the op registry (ir/ops.def). */
#include <string.h>

#include "ir/graph.h"

static const char *const op_names[] = {
#define OP(e, name, flags, ...) name,
#include "ir/ops.def"
#undef OP
};

static const unsigned op_flag_table[] = {
#define OP(e, name, flags, ...) flags,
#include "ir/ops.def"
#undef OP
};

_Static_assert(sizeof(op_names) / sizeof(op_names[0]) == OP_COUNT, "ops.def name table out of sync");
_Static_assert(sizeof(op_flag_table) / sizeof(op_flag_table[0]) == OP_COUNT, "ops.def flag table out of sync");

static const short op_arity_table[][4] = {
#define OP(e, name, flags, min_in, max_in, min_out, max_out) {min_in, max_in, min_out, max_out},
#include "ir/ops.def"
#undef OP
};

_Static_assert(sizeof(op_arity_table) / sizeof(op_arity_table[0]) == OP_COUNT, "ops.def arity table out of sync");

void op_arity(OpKind k, int *min_in, int *max_in, int *min_out, int *max_out) {
  const short *a = op_arity_table[(unsigned)k < OP_COUNT ? k : 0];
  *min_in = a[0];
  *max_in = a[1];
  *min_out = a[2];
  *max_out = a[3];
}

const char *op_name(OpKind k) { return (unsigned)k < OP_COUNT ? op_names[k] : "?"; }
unsigned op_flags(OpKind k) { return (unsigned)k < OP_COUNT ? op_flag_table[k] : 0; }

int op_lookup(const char *onnx_name) {
  /* ops.def is sorted by name: binary search. */
  int lo = 0, hi = OP_COUNT - 1;
  while (lo <= hi) {
    int mid = (lo + hi) / 2;
    int c = strcmp(onnx_name, op_names[mid]);
    if (c == 0) return mid;
    if (c < 0) hi = mid - 1; else lo = mid + 1;
  }
  for (int i = 0; i < OP_COUNT; i++) /* in case someone appends out of order */
    if (strcmp(onnx_name, op_names[i]) == 0) return i;
  return -1;
}
