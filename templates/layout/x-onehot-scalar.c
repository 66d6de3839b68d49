/* templates/layout/x-onehot-scalar.c: ONNX OneHot, for any element size of the
 * values: each index becomes a row of off values with one on value. */
#ifndef VITC_X_ONEHOT_SCALAR_C
#define VITC_X_ONEHOT_SCALAR_C

#include "../prelude.h"

/* onehot: y (outer, depth, inner) = values[1] where the index idx (outer, inner)
 * equals the position along depth (a negative index counts from the end), else
 * values[0]: ONNX OneHot. idx_type: 0 int64, 1 int32, 2 float32 (truncated, as
 * ONNX says non-integer indices are cast). elem: bytes of one value. */
VITC_KERNEL void vitc_x_onehot_scalar(int elem, int outer, int depth, int inner, const void *idx, int idx_type,
                                      const void *values, void *y) {
  const unsigned char *off = (const unsigned char *)values, *on = off + elem;
  unsigned char *yb = (unsigned char *)y;
  int o, k, j;
  for (o = 0; o < outer; o++)
    for (j = 0; j < inner; j++) {
      const ptrdiff_t p = (ptrdiff_t)o * inner + j;
      int64_t hot = idx_type == 0 ? ((const int64_t *)idx)[p]
                  : idx_type == 1 ? (int64_t)((const int32_t *)idx)[p]
                                  : (int64_t)((const float *)idx)[p];
      if (hot < 0) hot += depth;
      for (k = 0; k < depth; k++)
        memcpy(yb + (((ptrdiff_t)o * depth + k) * inner + j) * elem, k == hot ? on : off, (size_t)elem);
    }
}

#endif /* VITC_X_ONEHOT_SCALAR_C */
