/* templates/eltwise/x-broadcast.h: the odometer of the broadcast walk, one
 * definition for every kernel that takes the collapsed broadcast of
 * templates/eltwise/x-binary-scalar.c (rank, dims, and per operand element
 * strides, 0 along the dims it is broadcast on): the binary kernels and Where,
 * scalar and shim-based, and PRelu.
 *
 * The walk treats the output's last dim as a row of n elements and the others as
 * an odometer over rows. Each kernel keeps its own row loops (the scalar ones
 * plain loops a C compiler vectorizes, the shim-based ones vector loops with a
 * masked tail); this file only says how long a row is, how many rows there are,
 * each operand's stride along a row, and where each operand's next row starts.
 * Static inline functions of plain integers: once inlined, the offsets live in
 * registers as they did when every kernel spelled the walk out. */
#ifndef VITC_X_BROADCAST_H
#define VITC_X_BROADCAST_H

#include "../prelude.h"

/* The strides of an absent operand (a walk of fewer than three): all 0, a
 * constant the compiler folds, so its lines cost nothing. */
static const int vitc__bcast_none[VITC_MAX_RANK] = {0};

/* The last entry of a per-dim array (a row's length in dims, an operand's
 * stride along the row), or `none` at rank 0 (one element: a row of 1). */
static inline ptrdiff_t vitc__bcast_last(int rank, const int *v, ptrdiff_t none) { return rank > 0 ? v[rank - 1] : none; }

/* The number of rows: the product of dims [0, rank-1). */
static inline ptrdiff_t vitc__bcast_rows(int rank, const int *dims) {
  ptrdiff_t rows = 1;
  int d;
  for (d = 0; d < rank - 1; d++) rows *= dims[d];
  return rows;
}

/* One step of the odometer over dims [0, rank-1): moves each operand's row
 * offset *o by its strides s. */
static inline void vitc__bcast_next(int rank, const int *dims, int *idx, const int *s0, ptrdiff_t *o0, const int *s1,
                                    ptrdiff_t *o1, const int *s2, ptrdiff_t *o2) {
  int d;
  for (d = rank - 2; d >= 0; d--) {
    *o0 += s0[d];
    *o1 += s1[d];
    *o2 += s2[d];
    if (++idx[d] < dims[d]) return;
    *o0 -= (ptrdiff_t)s0[d] * dims[d];
    *o1 -= (ptrdiff_t)s1[d] * dims[d];
    *o2 -= (ptrdiff_t)s2[d] * dims[d];
    idx[d] = 0;
  }
}

/* VITC_BCAST_WALK(RANK, DIMS, S0, S1, S2, BODY): runs BODY once per row of the
 * output (RANK, DIMS), nothing for an empty output. Up to three operands with
 * strides S0, S1, S2 (S1, S2 vitc__bcast_none for fewer). BODY sees
 *   row_              the row's index (the output row starts at row_ * n_)
 *   n_                the row's length
 *   o0_, o1_, o2_     each operand's offset at the row's first element
 *   i0_, i1_, i2_     each operand's stride along the row: 1 (contiguous),
 *                     0 (one value for the row) or, from no dense tensor, other
 * BODY is the rest of the macro's arguments (commas allowed); a `break` in it
 * outside its own loops or switches ends the walk, and it has no `continue`
 * there (that would skip the odometer). */
#define VITC_BCAST_WALK(RANK, DIMS, S0, S1, S2, ...)                                                      \
  do {                                                                                                     \
    int idx_[VITC_MAX_RANK] = {0}; /* the odometer over dims [0, RANK-1) */                               \
    const ptrdiff_t n_ = vitc__bcast_last(RANK, DIMS, 1), rows_ = vitc__bcast_rows(RANK, DIMS);            \
    const ptrdiff_t i0_ = vitc__bcast_last(RANK, S0, 0), i1_ = vitc__bcast_last(RANK, S1, 0),              \
                    i2_ = vitc__bcast_last(RANK, S2, 0);                                                   \
    ptrdiff_t o0_ = 0, o1_ = 0, o2_ = 0, row_;                                                             \
    (void)i1_;                                                                                             \
    (void)i2_;                                                                                             \
    if (n_ <= 0 || rows_ <= 0) break;                                                                      \
    for (row_ = 0; row_ < rows_; row_++) {                                                                 \
      __VA_ARGS__                                                                                          \
      vitc__bcast_next(RANK, DIMS, idx_, S0, &o0_, S1, &o1_, S2, &o2_);                                    \
    }                                                                                                      \
  } while (0)

#endif /* VITC_X_BROADCAST_H */
