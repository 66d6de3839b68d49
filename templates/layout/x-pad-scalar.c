/* templates/layout/x-pad-scalar.c: copies that fill part of the output, for any
 * element size: ONNX Pad (constant, reflect, edge, wrap; negative pads crop) and
 * Trilu (a triangle of the last two dims kept, the rest zero).
 *
 * Trilu maps each output element to its source (or zero) one by one; Pad copies
 * the part of each row that lies inside its input in one piece (an audio model's
 * reflect pad of the whole waveform) and maps only the padded ends. No output may
 * overlap an input. */
#ifndef VITC_X_PAD_SCALAR_C
#define VITC_X_PAD_SCALAR_C

#include "../prelude.h"

/* The source index along one dim of n elements of output position j shifted by
 * begin (ONNX Pad's modes, below), or -1 for the fill value. */
static inline VITC_UNUSED ptrdiff_t vitc__pad_src(ptrdiff_t j, ptrdiff_t begin, ptrdiff_t n, int mode)
{
    ptrdiff_t i = j - begin;
    if (i >= 0 && i < n) return i;
    if (mode == 0 || n == 0) return -1;
    if (mode == 1) {
        const ptrdiff_t period = 2 * (n - 1);
        i = period > 0 ? ((i % period) + period) % period : 0;
        return i >= n ? period - i : i;
    }
    if (mode == 2) return i < 0 ? 0 : n - 1;
    return ((i % n) + n) % n;
}

/* pad: y (out_dims) <- x (in_dims) shifted by begin[d] (negative crops) along each
 * dim, ONNX Pad. Positions outside x get, by mode: 0 constant (*value, elem bytes),
 * 1 reflect (mirror without repeating the edge), 2 edge (the nearest edge
 * element), 3 wrap (periodic). Walks y a row (last dim) at a time with one
 * odometer over the others: a row whose source lies outside x in constant mode is
 * all fill; else the part of the row inside x is one copy (an STFT's reflect pad of
 * 16000 samples: one memcpy instead of 16000 index mappings), and only the padded
 * ends are mapped element by element. Reflect needs in_dims[d] >= 2 where it pads. */
VITC_KERNEL void vitc_x_pad_scalar(int elem, int rank, const int *in_dims, const int *out_dims, const int *begin,
                                   int mode, const void *value, const void *x, void *y) {
  ptrdiff_t idx[VITC_MAX_RANK], xst[VITC_MAX_RANK], rows = 1, row, s = 1, j;
  unsigned char *yb = (unsigned char *)y;
  const unsigned char *xb = (const unsigned char *)x;
  const int last = rank - 1;
  ptrdiff_t n, ow, lo, hi;
  int d;
  if (rank == 0) { /* a scalar: nothing to pad */
    memcpy(yb, xb, (size_t)elem);
    return;
  }
  for (d = last; d >= 0; d--) {
    xst[d] = s;
    s *= in_dims[d];
    idx[d] = 0;
    if (d < last) rows *= out_dims[d];
  }
  n = in_dims[last], ow = out_dims[last];
  lo = begin[last] < 0 ? 0 : begin[last] < ow ? begin[last] : ow; /* [lo, hi): the row's positions inside x */
  hi = begin[last] + n < ow ? begin[last] + n : ow;
  if (hi < lo) hi = lo;
  for (row = 0; row < rows; row++, yb += ow * elem) {
    ptrdiff_t src = 0;
    int inside = 1;
    for (d = 0; d < last; d++) {
      const ptrdiff_t i = vitc__pad_src(idx[d], begin[d], in_dims[d], mode);
      if (i < 0) {
        inside = 0;
        break;
      }
      src += i * xst[d];
    }
    if (!inside) {
      for (j = 0; j < ow; j++) memcpy(yb + j * elem, value, (size_t)elem);
    } else {
      const unsigned char *xr = xb + src * elem;
      for (j = 0; j < lo; j++) {
        const ptrdiff_t i = vitc__pad_src(j, begin[last], n, mode);
        memcpy(yb + j * elem, i < 0 ? (const unsigned char *)value : xr + i * elem, (size_t)elem);
      }
      if (hi > lo) memcpy(yb + lo * elem, xr + (lo - begin[last]) * elem, (size_t)((hi - lo) * elem));
      for (j = hi; j < ow; j++) {
        const ptrdiff_t i = vitc__pad_src(j, begin[last], n, mode);
        memcpy(yb + j * elem, i < 0 ? (const unsigned char *)value : xr + i * elem, (size_t)elem);
      }
    }
    for (d = last - 1; d >= 0; d--) {
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
