/* templates/eltwise/x-binary-simd.h: the broadcast walk of the shim-based
 * binary kernels (templates/eltwise/x-binary-simd.c describes it), shared with
 * PRelu (templates/eltwise/f32-prelu-simd.c). A macro, so one definition serves
 * every shim a translation unit binds (tests bind several).
 *
 * The walk (its odometer: templates/eltwise/x-broadcast.h, included by every
 * user's scalar template) reads a and b through volatile copies of the pointers. A bundle that
 * calls a kernel twice with the same one-float constant (Add(x, c) twice, Pow(x, 2)
 * twice) lets gcc clone the kernel for that constant, and it then warns
 * (-Warray-bounds) about the vector loads of the contiguous branch, which that
 * operand never takes; it cannot see through a volatile load. One load each per
 * call. */
#ifndef VITC_X_BINARY_SIMD_H
#define VITC_X_BINARY_SIMD_H

/* One kernel body: OPV(va, vb) on vectors, OPS(a, b) on floats; the walk is
 * VITC_BCAST_WALK (templates/eltwise/x-broadcast.h), operand 0 a, operand 1 b.
 * y holds TY, written by STORE(p, v) and STORE_TAIL(p, v, n): floats, or bool bytes
 * (vf32_store_u8 of the 1.0 / 0.0 a comparison's OPV selects). */
#define VITC__BIN_SIMD(OPV, OPS) VITC__BIN_SIMD_TO(float, vf32_store, vf32_store_tail, OPV, OPS)
#define VITC__BIN_SIMD_TO(TY, STORE, STORE_TAIL, OPV, OPS)                                        \
  do {                                                                                            \
    /* a and b through volatile copies (see above) */                                             \
    const float *volatile av_ = a, *volatile bv_ = b;                                             \
    const float *const a_ = av_, *const b_ = bv_;                                                 \
    VITC_BCAST_WALK(rank, dims, sa, sb, vitc__bcast_none,                                                     \
      TY *yr_ = y + row_ * n_;                                                                 \
      const float *ar_ = a_ + o0_, *br_ = b_ + o1_;                                               \
      const int t_ = (int)(n_ % VITC_LANES);                                                      \
      const ptrdiff_t nv_ = n_ - t_;                                                              \
      ptrdiff_t i_;                                                                               \
      if (i0_ == 1 && i1_ == 1) {                                                                 \
        for (i_ = 0; i_ < nv_; i_ += VITC_LANES)                                                  \
          STORE(yr_ + i_, OPV(vf32_load(ar_ + i_), vf32_load(br_ + i_)));                    \
        if (t_) STORE_TAIL(yr_ + nv_, OPV(vf32_load_tail(ar_ + nv_, t_), vf32_load_tail(br_ + nv_, t_)), t_); \
      } else if (i0_ == 0 && i1_ == 1) {                                                          \
        const vf32 va_ = vf32_set1(ar_[0]);                                                       \
        for (i_ = 0; i_ < nv_; i_ += VITC_LANES) STORE(yr_ + i_, OPV(va_, vf32_load(br_ + i_))); \
        if (t_) STORE_TAIL(yr_ + nv_, OPV(va_, vf32_load_tail(br_ + nv_, t_)), t_);           \
      } else if (i0_ == 1 && i1_ == 0) {                                                          \
        const vf32 vb_ = vf32_set1(br_[0]);                                                       \
        for (i_ = 0; i_ < nv_; i_ += VITC_LANES) STORE(yr_ + i_, OPV(vf32_load(ar_ + i_), vb_)); \
        if (t_) STORE_TAIL(yr_ + nv_, OPV(vf32_load_tail(ar_ + nv_, t_), vb_), t_);           \
      } else if (i0_ == 0 && i1_ == 0) {                                                          \
        const vf32 vy_ = OPV(vf32_set1(ar_[0]), vf32_set1(br_[0]));                               \
        for (i_ = 0; i_ < nv_; i_ += VITC_LANES) STORE(yr_ + i_, vy_);                       \
        if (t_) STORE_TAIL(yr_ + nv_, vy_, t_);                                              \
      } else { /* strides other than 0 and 1: no dense operand has them */                        \
        for (i_ = 0; i_ < n_; i_++) yr_[i_] = OPS(ar_[i_ * i0_], br_[i_ * i1_]);                  \
      });                                                                                         \
  } while (0)

#endif /* VITC_X_BINARY_SIMD_H */
