/* templates/layout/x-gather-scalar.c: index-driven data movement: Gather,
 * GatherElements and ScatterElements.
 *
 * Gather picks whole blocks: with data viewed as [outer, axis_n, inner] and the
 * indices flattened to n_idx entries, the output is [outer, n_idx, inner] and
 * each (o, k) is one memcpy of `inner` elements (a class-token pick or an
 * embedding lookup). GatherElements and ScatterElements pick single elements:
 * the index tensor has the data's rank and replaces the coordinate along `axis`
 * element by element, so they walk the index tensor with an odometer whose
 * innermost dim is contiguous in both tensors unless it is the axis itself.
 *
 * Indices: a negative index k means k + (size along the axis), as in ONNX. An
 * index still outside [0, size) after that is an error in ONNX; here it never
 * reads or writes out of bounds: Gather and GatherElements write zero bytes
 * for that output element (or block), ScatterElements skips that update. The
 * compiler guarantees that constant indices are valid, so only run-time index
 * tensors can hit this.
 *
 * Elements are moved by memcpy of elem bytes, so any dtype works for the pure
 * movement kernels; the reducing ScatterElements variants are typed (float32,
 * int64). No output may overlap an input, except ScatterElements' y == x. */
#ifndef VITC_X_GATHER_SCALAR_C
#define VITC_X_GATHER_SCALAR_C

#include "../prelude.h"

/* ScatterElements reductions (ONNX attribute `reduction`). */
enum {
  VITC_SCATTER_NONE = 0, /* y[...] = u (later updates win) */
  VITC_SCATTER_ADD = 1,  /* y[...] += u */
  VITC_SCATTER_MUL = 2,  /* y[...] *= u */
  VITC_SCATTER_MAX = 3,  /* y[...] = y < u ? u : y */
  VITC_SCATTER_MIN = 4   /* y[...] = u < y ? u : y */
};

/* gather: x (outer, axis_n, inner) with idx (n_idx,) -> y (outer, n_idx, inner):
 * y[o, k, :] = x[o, idx[k], :]. One body for int64 and int32 indices (TI). */
#define VITC__GATHER(NAME, TI)                                                                             \
  VITC_KERNEL void NAME(int elem, int outer, int axis_n, int inner, int n_idx, const void *x, const TI *idx, \
                        void *y) {                                                                         \
    const size_t block = (size_t)inner * (size_t)elem;                                                     \
    unsigned char *dst = (unsigned char *)y;                                                               \
    const unsigned char *xb = (const unsigned char *)x;                                                    \
    for (int o = 0; o < outer; o++) {                                                                      \
      const unsigned char *src = xb + (size_t)o * (size_t)axis_n * block;                                  \
      for (int k = 0; k < n_idx; k++, dst += block) {                                                      \
        int64_t j = idx[k];                                                                                \
        if (j < 0) j += axis_n;                                                                            \
        if (j < 0 || j >= axis_n) memset(dst, 0, block);                                                   \
        else memcpy(dst, src + (size_t)j * block, block);                                                  \
      }                                                                                                    \
    }                                                                                                      \
  }
VITC__GATHER(vitc_x_gather_i64_scalar, int64_t)
VITC__GATHER(vitc_x_gather_i32_scalar, int32_t)
#undef VITC__GATHER

/* The element walk shared by GatherElements and ScatterElements. Declares
 * e_ (flat position in idx / y-or-upd, dense over idx_dims) and base_ (offset in
 * the data tensor of that position with the axis coordinate zeroed), and runs
 * BODY for every position; BODY reads and uses axstride_ (data stride of the
 * axis) and axn_ (data size along the axis). */
#define VITC_ELEMENTS_WALK(BODY)                                                  \
  do {                                                                            \
    ptrdiff_t xs_[VITC_MAX_RANK], ws_[VITC_MAX_RANK];                             \
    int ix_[VITC_MAX_RANK];                                                       \
    ptrdiff_t total_ = 1, n_, rows_, row_, i_, e_ = 0, off_ = 0, st_ = 1, ws_in_; \
    ptrdiff_t axstride_, axn_;                                                    \
    int d_;                                                                       \
    if (rank <= 0) break;                                                         \
    for (d_ = rank - 1; d_ >= 0; d_--) {                                          \
      xs_[d_] = st_;                                                              \
      st_ *= x_dims[d_];                                                          \
      total_ *= idx_dims[d_];                                                     \
      ix_[d_] = 0;                                                                \
    }                                                                             \
    if (total_ <= 0) break;                                                       \
    for (d_ = 0; d_ < rank; d_++) ws_[d_] = d_ == axis ? 0 : xs_[d_];             \
    axstride_ = xs_[axis];                                                        \
    axn_ = x_dims[axis];                                                          \
    n_ = idx_dims[rank - 1];                                                      \
    ws_in_ = ws_[rank - 1];                                                       \
    rows_ = total_ / n_;                                                          \
    for (row_ = 0; row_ < rows_; row_++) {                                        \
      for (i_ = 0; i_ < n_; i_++, e_++) {                                         \
        const ptrdiff_t base_ = off_ + i_ * ws_in_;                               \
        BODY                                                                      \
      }                                                                           \
      for (d_ = rank - 2; d_ >= 0; d_--) {                                        \
        off_ += ws_[d_];                                                          \
        if (++ix_[d_] < idx_dims[d_]) break;                                      \
        off_ -= ws_[d_] * idx_dims[d_];                                           \
        ix_[d_] = 0;                                                              \
      }                                                                           \
    }                                                                             \
  } while (0)

/* gather_elements: x (x_dims) with idx (idx_dims), same rank >= 1 -> y (idx_dims):
 * y[i0..] = x[i0, .., idx[i0..] (at axis), ..]. idx_dims[d] <= x_dims[d] for
 * d != axis (ONNX); 0 <= axis < rank (the compiler normalizes negative axes). */
VITC_KERNEL void vitc_x_gather_elements_scalar(int elem, int rank, const int *x_dims, const int *idx_dims, int axis,
                                               const void *x, const int64_t *idx, void *y) {
  unsigned char *yb = (unsigned char *)y;
  const unsigned char *xb = (const unsigned char *)x;
  VITC_ELEMENTS_WALK({
    int64_t j = idx[e_];
    if (j < 0) j += axn_;
    if (j < 0 || j >= axn_) memset(yb + e_ * (ptrdiff_t)elem, 0, (size_t)elem);
    else memcpy(yb + e_ * (ptrdiff_t)elem, xb + (base_ + (ptrdiff_t)j * axstride_) * (ptrdiff_t)elem, (size_t)elem);
  });
}

/* scatter_elements (reduction none): y (x_dims) = x, then for every position i
 * of idx / upd (idx_dims): y[i0, .., idx[i] (at axis), ..] = upd[i]. Updates are
 * applied in row-major order, so for a duplicated target the last one wins.
 * y == x is allowed (then the copy is skipped). */
VITC_KERNEL void vitc_x_scatter_elements_scalar(int elem, int rank, const int *x_dims, const int *idx_dims,
                                                int axis, const void *x, const int64_t *idx, const void *upd,
                                                void *y) {
  unsigned char *yb = (unsigned char *)y;
  const unsigned char *ub = (const unsigned char *)upd;
  if (y != x) {
    size_t total = (size_t)elem;
    for (int d = 0; d < rank; d++) total *= (size_t)x_dims[d];
    memcpy(y, x, total);
  }
  VITC_ELEMENTS_WALK({
    int64_t j = idx[e_];
    if (j < 0) j += axn_;
    if (j >= 0 && j < axn_)
      memcpy(yb + (base_ + (ptrdiff_t)j * axstride_) * (ptrdiff_t)elem, ub + e_ * (ptrdiff_t)elem, (size_t)elem);
  });
}

/* Typed scatter with a reduction (VITC_SCATTER_*). */
#define VITC_SCATTER_TYPED(T)                                                   \
  do {                                                                          \
    if (y != x) {                                                               \
      size_t total_el = 1;                                                      \
      for (int d = 0; d < rank; d++) total_el *= (size_t)x_dims[d];             \
      memcpy(y, x, total_el * sizeof(T));                                       \
    }                                                                           \
    VITC_ELEMENTS_WALK({                                                        \
      int64_t j = idx[e_];                                                      \
      if (j < 0) j += axn_;                                                     \
      if (j >= 0 && j < axn_) {                                                 \
        T *t = y + base_ + (ptrdiff_t)j * axstride_;                            \
        const T u = upd[e_];                                                    \
        switch (reduction) {                                                    \
        case VITC_SCATTER_ADD: *t = VITC_SCATTER_ADDOP(*t, u); break;           \
        case VITC_SCATTER_MUL: *t = VITC_SCATTER_MULOP(*t, u); break;           \
        case VITC_SCATTER_MAX: *t = *t < u ? u : *t; break;                     \
        case VITC_SCATTER_MIN: *t = u < *t ? u : *t; break;                     \
        default: *t = u; break;                                                 \
        }                                                                       \
      }                                                                         \
    });                                                                         \
  } while (0)

/* scatter_elements for float32 with reduction none/add/mul/max/min; otherwise
 * as vitc_x_scatter_elements_scalar. Reductions apply in row-major update
 * order. */
VITC_KERNEL void vitc_f32_scatter_elements_scalar(int rank, const int *x_dims, const int *idx_dims, int axis,
                                                  int reduction, const float *x, const int64_t *idx,
                                                  const float *upd, float *y) {
#define VITC_SCATTER_ADDOP(a, b) ((a) + (b))
#define VITC_SCATTER_MULOP(a, b) ((a) * (b))
  VITC_SCATTER_TYPED(float);
#undef VITC_SCATTER_ADDOP
#undef VITC_SCATTER_MULOP
}

/* scatter_elements for int64 with reduction none/add/mul/max/min (add and mul
 * wrap around on overflow). */
VITC_KERNEL void vitc_i64_scatter_elements_scalar(int rank, const int *x_dims, const int *idx_dims, int axis,
                                                  int reduction, const int64_t *x, const int64_t *idx,
                                                  const int64_t *upd, int64_t *y) {
#define VITC_SCATTER_ADDOP(a, b) ((int64_t)((uint64_t)(a) + (uint64_t)(b)))
#define VITC_SCATTER_MULOP(a, b) ((int64_t)((uint64_t)(a) * (uint64_t)(b)))
  VITC_SCATTER_TYPED(int64_t);
#undef VITC_SCATTER_ADDOP
#undef VITC_SCATTER_MULOP
}

#undef VITC_SCATTER_TYPED
#undef VITC_ELEMENTS_WALK

#endif /* VITC_X_GATHER_SCALAR_C */
