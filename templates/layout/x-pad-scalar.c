/* templates/layout/x-pad-scalar.c: copies that fill part of the output, for any
 * element size: ONNX Pad (constant, reflect, edge, wrap; negative pads crop) and
 * Trilu (a triangle of the last two dims kept, the rest zero).
 *
 * Both map each output element to its source (or the fill value) one by one:
 * they are rare and small in vision models, so plain loops are enough. No
 * output may overlap an input. */
#ifndef VITC_X_PAD_SCALAR_C
#define VITC_X_PAD_SCALAR_C

#include "../prelude.h"

/* pad: y (out_dims) <- x (in_dims) shifted by begin[d] (negative crops) along each
 * dim, ONNX Pad. Positions outside x get, by mode: 0 constant (*value, elem bytes),
 * 1 reflect (mirror without repeating the edge), 2 edge (the nearest edge
 * element), 3 wrap (periodic). Walks y in memory order with one odometer; the
 * source index is mapped per dim. Reflect needs in_dims[d] >= 2 where it pads. */
VITC_KERNEL void vitc_x_pad_scalar(int elem, int rank, const int *in_dims, const int *out_dims, const int *begin,
                                   int mode, const void *value, const void *x, void *y) {
  ptrdiff_t idx[VITC_MAX_RANK], xst[VITC_MAX_RANK], total = 1, o, s = 1;
  unsigned char *yb = (unsigned char *)y;
  const unsigned char *xb = (const unsigned char *)x;
  int d;
  for (d = rank - 1; d >= 0; d--) {
    xst[d] = s;
    s *= in_dims[d];
    idx[d] = 0;
    total *= out_dims[d];
  }
  for (o = 0; o < total; o++) {
    ptrdiff_t src = 0;
    int inside = 1;
    for (d = 0; d < rank; d++) {
      ptrdiff_t i = idx[d] - begin[d];
      const ptrdiff_t n = in_dims[d];
      if (i < 0 || i >= n) {
        if (mode == 0 || n == 0) {
          inside = 0;
          break;
        } else if (mode == 1) {
          const ptrdiff_t period = 2 * (n - 1);
          i = period > 0 ? ((i % period) + period) % period : 0;
          if (i >= n) i = period - i;
        } else if (mode == 2) {
          i = i < 0 ? 0 : n - 1;
        } else {
          i = ((i % n) + n) % n;
        }
      }
      src += i * xst[d];
    }
    memcpy(yb + o * elem, inside ? xb + src * elem : (const unsigned char *)value, (size_t)elem);
    for (d = rank - 1; d >= 0; d--) {
      if (++idx[d] < out_dims[d]) break;
      idx[d] = 0;
    }
  }
}

/* trilu: y (batch, rows, cols) <- x with the elements below (upper != 0) or
 * above (upper == 0) the k-th diagonal set to zero, ONNX Trilu. */
VITC_KERNEL void vitc_x_trilu_scalar(int elem, int batch, int rows, int cols, int k, int upper, const void *x,
                                     void *y) {
  int b, i, j;
  for (b = 0; b < batch; b++)
    for (i = 0; i < rows; i++) {
      const ptrdiff_t row = ((ptrdiff_t)b * rows + i) * cols * elem;
      for (j = 0; j < cols; j++) {
        const int keep = upper ? j - i >= k : j - i <= k;
        if (keep) memcpy((unsigned char *)y + row + (ptrdiff_t)j * elem, (const unsigned char *)x + row + (ptrdiff_t)j * elem, (size_t)elem);
        else memset((unsigned char *)y + row + (ptrdiff_t)j * elem, 0, (size_t)elem);
      }
    }
}

#endif /* VITC_X_PAD_SCALAR_C */
