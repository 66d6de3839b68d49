/* templates/layout/x-copy-scalar.c: data movement that only copies bytes:
 * Concat, Split, Slice, Expand and Tile, for any element size.
 *
 * Concat and Split are block copies. With the tensor viewed as
 * [outer, axis, inner] the compiler passes `outer` (the product of the dims
 * before the axis) and, per input (Concat) or output (Split), its block size
 * dims[axis] * inner in elements; the wide tensor's block is their sum.
 *
 * Slice, Expand and Tile are all one operation: the output is dense, and output
 * element (i0, ..., i{r-1}) reads x[sum_d i_d * sx[d]] for some strides sx that
 * may be zero (broadcast) or negative (a reversed slice). They share one walker,
 * vitc__x_strided_copy_scalar, which first merges dims that are contiguous in both
 * (sx[d] == sx[d+1] * dims[d+1], which also swallows broadcast runs and size-1
 * dims), then moves the innermost run as one memcpy when it is contiguous in x,
 * as a fill when x is broadcast along it, and element by element otherwise.
 *
 * Elements are moved with fixed-size memcpy (1, 2, 4, 8 bytes compile to one
 * load and store; other sizes copy bytes), so any dtype works without
 * type-punning. No output may overlap an input. */
#ifndef VITC_X_COPY_SCALAR_C
#define VITC_X_COPY_SCALAR_C

#include "../prelude.h"

/* The longest walk is Tile's: two dims per input dim. */
#define VITC_COPY_MAX_DIMS (2 * VITC_MAX_RANK)

/* One innermost run of n elements of S bytes: dst dense, src with stride s. */
#define VITC_COPY_RUN(S)                                                   \
  do {                                                                     \
    ptrdiff_t i_;                                                          \
    if (s == 0) {                                                          \
      unsigned char v_[(S) > 0 ? (S) : 1];                                 \
      memcpy(v_, src, (size_t)(S));                                                \
      for (i_ = 0; i_ < n; i_++) memcpy(dst + i_ * (ptrdiff_t)(S), v_, (size_t)(S)); \
    } else {                                                               \
      for (i_ = 0; i_ < n; i_++)                                           \
        memcpy(dst + i_ * (ptrdiff_t)(S), src + i_ * s * (ptrdiff_t)(S), (size_t)(S)); \
    }                                                                      \
  } while (0)

/* The shared walker: y (dims[0..rank-1]) dense <- x[sum i_d * sx[d]]
 * (elements; sx may be 0 or negative). rank <= 2 * VITC_MAX_RANK; dims and sx
 * are scratch arrays of the caller that get clobbered (merged). */
VITC_KERNEL void vitc__x_strided_copy_scalar(int elem, int rank, ptrdiff_t *dims, ptrdiff_t *sx, const void *x,
                                             void *y) {
  ptrdiff_t idx[VITC_COPY_MAX_DIMS];
  ptrdiff_t total = 1, rows, row, n, s, off = 0;
  int d, r = 0;
  unsigned char *yb = (unsigned char *)y;
  const unsigned char *xb = (const unsigned char *)x;

  for (d = 0; d < rank; d++) total *= dims[d];
  if (total <= 0) return;
  /* merge dim d into the previous kept dim when they walk x as one dim */
  for (d = 0; d < rank; d++) {
    if (dims[d] == 1) continue;
    if (r > 0 && sx[r - 1] == sx[d] * dims[d]) {
      dims[r - 1] *= dims[d];
      sx[r - 1] = sx[d];
    } else {
      dims[r] = dims[d];
      sx[r] = sx[d];
      r++;
    }
  }
  if (r == 0) { /* a single element */
    memcpy(yb, xb, (size_t)elem);
    return;
  }
  n = dims[r - 1];
  s = sx[r - 1];
  rows = total / n;
  for (d = 0; d < r - 1; d++) idx[d] = 0;
  for (row = 0; row < rows; row++) {
    unsigned char *dst = yb + row * n * (ptrdiff_t)elem;
    const unsigned char *src = xb + off * (ptrdiff_t)elem;
    if (s == 1) {
      memcpy(dst, src, (size_t)n * (size_t)elem);
    } else {
      switch (elem) {
      case 1: VITC_COPY_RUN(1); break;
      case 2: VITC_COPY_RUN(2); break;
      case 4: VITC_COPY_RUN(4); break;
      case 8: VITC_COPY_RUN(8); break;
      default: {
        ptrdiff_t i;
        for (i = 0; i < n; i++) memcpy(dst + i * (ptrdiff_t)elem, src + i * s * (ptrdiff_t)elem, (size_t)elem);
        break;
      }
      }
    }
    for (d = r - 2; d >= 0; d--) {
      off += sx[d];
      if (++idx[d] < dims[d]) break;
      off -= sx[d] * dims[d];
      idx[d] = 0;
    }
  }
}
#undef VITC_COPY_RUN

/* concat: inputs xs[k] (outer, inner[k]) -> y (outer, sum_k inner[k]), all in
 * elements of elem bytes; inner[k] = dims_k[axis] * prod(dims after axis).
 * n_in >= 1; an input with inner[k] == 0 contributes nothing. The generated
 * code passes a local array: const void *xs[] = {a, b, c}. */
VITC_KERNEL void vitc_x_concat_scalar(int elem, int outer, int n_in, const int *inner, const void *const *xs,
                                      void *y) {
  unsigned char *dst = (unsigned char *)y;
  int o, k;
  for (o = 0; o < outer; o++) {
    for (k = 0; k < n_in; k++) {
      size_t bytes = (size_t)inner[k] * (size_t)elem;
      memcpy(dst, (const unsigned char *)xs[k] + (size_t)o * bytes, bytes);
      dst += bytes;
    }
  }
}

/* split: x (outer, sum_k inner[k]) -> outputs ys[k] (outer, inner[k]); the
 * inverse of concat. */
VITC_KERNEL void vitc_x_split_scalar(int elem, int outer, int n_out, const int *inner, const void *x,
                                     void *const *ys) {
  const unsigned char *src = (const unsigned char *)x;
  int o, k;
  for (o = 0; o < outer; o++) {
    for (k = 0; k < n_out; k++) {
      size_t bytes = (size_t)inner[k] * (size_t)elem;
      memcpy((unsigned char *)ys[k] + (size_t)o * bytes, src, bytes);
      src += bytes;
    }
  }
}

/* slice: x (in_dims) -> y (count[0], ..., count[rank-1]) with
 * y[i] = x[start[d] + i_d * step[d] for each d]. The compiler has already
 * normalized ONNX starts/ends/axes/steps: every dim has an explicit in-range
 * start (0 <= start[d] < in_dims[d] whenever count[d] > 0), a nonzero step
 * (negative walks backwards) and a count >= 0. */
VITC_KERNEL void vitc_x_slice_scalar(int elem, int rank, const int *in_dims, const int *start, const int *step,
                                     const int *count, const void *x, void *y) {
  ptrdiff_t dims[VITC_COPY_MAX_DIMS], sx[VITC_COPY_MAX_DIMS], stride = 1, off = 0;
  int d;
  for (d = rank - 1; d >= 0; d--) {
    dims[d] = count[d];
    sx[d] = stride * step[d];
    off += stride * start[d];
    stride *= in_dims[d];
  }
  for (d = 0; d < rank; d++)
    if (count[d] <= 0) return;
  vitc__x_strided_copy_scalar(elem, rank, dims, sx, (const unsigned char *)x + off * (ptrdiff_t)elem, y);
}

/* expand (broadcast copy): y (dims) dense <- x, where x is addressed by element
 * strides sx (0 on broadcast dims), the same description the binary kernels
 * take. Also serves any strided gather of a view (e.g. a collapsed Slice). */
VITC_KERNEL void vitc_x_expand_scalar(int elem, int rank, const int *dims, const void *x, const int *sx,
                                      void *y) {
  ptrdiff_t dd[VITC_COPY_MAX_DIMS], ss[VITC_COPY_MAX_DIMS];
  int d;
  for (d = 0; d < rank; d++) {
    dd[d] = dims[d];
    ss[d] = sx[d];
  }
  vitc__x_strided_copy_scalar(elem, rank, dd, ss, x, y);
}

/* tile: x (in_dims) -> y (in_dims[d] * repeats[d] for each d), ONNX Tile.
 * Walked as a 2*rank-dim broadcast: (repeats[d], in_dims[d]) with strides
 * (0, stride_d). */
VITC_KERNEL void vitc_x_tile_scalar(int elem, int rank, const int *in_dims, const int *repeats, const void *x,
                                    void *y) {
  ptrdiff_t dims[VITC_COPY_MAX_DIMS], sx[VITC_COPY_MAX_DIMS], stride = 1;
  int d;
  for (d = rank - 1; d >= 0; d--) {
    dims[2 * d] = repeats[d];
    sx[2 * d] = 0;
    dims[2 * d + 1] = in_dims[d];
    sx[2 * d + 1] = stride;
    stride *= in_dims[d];
  }
  vitc__x_strided_copy_scalar(elem, 2 * rank, dims, sx, x, y);
}

#undef VITC_COPY_MAX_DIMS

#endif /* VITC_X_COPY_SCALAR_C */
