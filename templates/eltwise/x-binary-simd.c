/* templates/eltwise/x-binary-simd.c: float32 add, sub, mul and div with numpy
 * broadcasting, written once against the SIMD shim (templates/simd/bind.h) and
 * instantiated per target as vitc_f32_<op>_<isa>. Same signature, broadcast
 * description and contract as templates/eltwise/x-binary-scalar.c, whose other
 * kernels (integer, comparison, logical, pow, max/min, where) the compiler keeps
 * calling for every target.
 *
 * The walk is the scalar one: the last output dim is a row, the others an
 * odometer over rows. Each row picks a loop by its two inner strides, and the
 * three that real graphs hit are vector loops with a masked tail:
 *   both contiguous     residual adds, same-shape products; a row-broadcast bias
 *                       [197,192] + [192] is this too (sb = {0, 1}: row after row
 *                       of the same 192 floats)
 *   one side a scalar   scaling by a constant, per-row statistics [197,192] * [197,1]
 *   general strides     scalar loop (transposed or column-broadcast operands)
 * Each element is one correctly rounded IEEE operation, so results are bit for
 * bit those of the scalar kernels. y may be the same buffer as an input that has
 * the output's shape; a broadcast input must not overlap y. */
#include "../prelude.h"
#include "../simd/shim.h"
#include "x-binary-scalar.c"

/* One kernel body: OPV(va, vb) on vectors, OPS(a, b) on floats. */
#define VITC__BIN_SIMD(OPV, OPS)                                                                  \
  do {                                                                                            \
    int idx_[VITC_MAX_RANK];                                                                      \
    ptrdiff_t n_ = 1, ia_ = 0, ib_ = 0, rows_ = 1, oa_ = 0, ob_ = 0, row_, i_;                    \
    int d_;                                                                                       \
    if (rank > 0) {                                                                               \
      n_ = dims[rank - 1];                                                                        \
      ia_ = sa[rank - 1];                                                                         \
      ib_ = sb[rank - 1];                                                                         \
    }                                                                                             \
    for (d_ = 0; d_ < rank - 1; d_++) {                                                           \
      rows_ *= dims[d_];                                                                          \
      idx_[d_] = 0;                                                                               \
    }                                                                                             \
    if (n_ <= 0 || rows_ <= 0) break;                                                             \
    for (row_ = 0; row_ < rows_; row_++) {                                                        \
      float *yr_ = y + row_ * n_;                                                                 \
      const float *ar_ = a + oa_, *br_ = b + ob_;                                                 \
      const int t_ = (int)(n_ % VITC_LANES);                                                      \
      const ptrdiff_t nv_ = n_ - t_;                                                              \
      if (ia_ == 1 && ib_ == 1) {                                                                 \
        for (i_ = 0; i_ < nv_; i_ += VITC_LANES)                                                  \
          vf32_store(yr_ + i_, OPV(vf32_load(ar_ + i_), vf32_load(br_ + i_)));                    \
        if (t_) vf32_store_tail(yr_ + nv_, OPV(vf32_load_tail(ar_ + nv_, t_), vf32_load_tail(br_ + nv_, t_)), t_); \
      } else if (ia_ == 0 && ib_ == 1) {                                                          \
        const vf32 va_ = vf32_set1(ar_[0]);                                                       \
        for (i_ = 0; i_ < nv_; i_ += VITC_LANES) vf32_store(yr_ + i_, OPV(va_, vf32_load(br_ + i_))); \
        if (t_) vf32_store_tail(yr_ + nv_, OPV(va_, vf32_load_tail(br_ + nv_, t_)), t_);           \
      } else if (ia_ == 1 && ib_ == 0) {                                                          \
        const vf32 vb_ = vf32_set1(br_[0]);                                                       \
        for (i_ = 0; i_ < nv_; i_ += VITC_LANES) vf32_store(yr_ + i_, OPV(vf32_load(ar_ + i_), vb_)); \
        if (t_) vf32_store_tail(yr_ + nv_, OPV(vf32_load_tail(ar_ + nv_, t_), vb_), t_);           \
      } else {                                                                                    \
        for (i_ = 0; i_ < n_; i_++) yr_[i_] = OPS(ar_[i_ * ia_], br_[i_ * ib_]);                  \
      }                                                                                           \
      for (d_ = rank - 2; d_ >= 0; d_--) { /* odometer over the outer dims */                    \
        oa_ += sa[d_];                                                                            \
        ob_ += sb[d_];                                                                            \
        if (++idx_[d_] < dims[d_]) break;                                                         \
        oa_ -= (ptrdiff_t)sa[d_] * dims[d_];                                                      \
        ob_ -= (ptrdiff_t)sb[d_] * dims[d_];                                                      \
        idx_[d_] = 0;                                                                             \
      }                                                                                           \
    }                                                                                             \
  } while (0)

/* a (bcast by sa), b (bcast by sb) -> y (dims) float32, dense */
VITC_KERNEL void VITC_FN(vitc_f32_add)(int rank, const int *dims, const float *a, const int *sa, const float *b,
                                       const int *sb, float *y) {
  VITC__BIN_SIMD(vf32_add, vitc__bin_f32_add);
}
VITC_KERNEL void VITC_FN(vitc_f32_sub)(int rank, const int *dims, const float *a, const int *sa, const float *b,
                                       const int *sb, float *y) {
  VITC__BIN_SIMD(vf32_sub, vitc__bin_f32_sub);
}
VITC_KERNEL void VITC_FN(vitc_f32_mul)(int rank, const int *dims, const float *a, const int *sa, const float *b,
                                       const int *sb, float *y) {
  VITC__BIN_SIMD(vf32_mul, vitc__bin_f32_mul);
}
VITC_KERNEL void VITC_FN(vitc_f32_div)(int rank, const int *dims, const float *a, const int *sa, const float *b,
                                       const int *sb, float *y) {
  VITC__BIN_SIMD(vf32_div, vitc__bin_f32_div);
}

#undef VITC__BIN_SIMD
