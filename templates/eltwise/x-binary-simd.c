/* templates/eltwise/x-binary-simd.c: the float32 kernels of
 * templates/eltwise/x-binary-scalar.c, written once against the SIMD shim
 * (templates/simd/bind.h) and instantiated per target as vitc_f32_<op>_<isa>:
 * add, sub, mul, div, max, min, fmod, pow, the comparisons to bool (equal, less,
 * greater, less_or_equal, greater_or_equal: exact), and Where (vitc_x_where_<isa>)
 * for 4-byte elements. Same signatures, broadcast description and contract as the
 * scalar template, whose integer and logical kernels (and Where on other element
 * sizes) every target keeps calling.
 *
 * The walk (VITC__BIN_SIMD, templates/eltwise/x-binary-simd.h) is the scalar
 * one: the last output dim is a row, the others an odometer over rows. A dense
 * operand's last stride is 1 or 0 (broadcast), so each row is one of four vector
 * loops with a masked tail: both contiguous (residual adds; a row-broadcast bias
 * [197,192] + [192] is this too, sb = {0, 1}), a scalar on the left or on the
 * right (scaling by a constant; per-row statistics [197,192] * [197,1]; a
 * per-channel [1,C,1,1] operand of an NCHW map, whose rows are H*W long), or
 * both scalars (a row of one value). Other strides (none that compiled graphs
 * make) take a scalar loop.
 *
 * Exactness: add, sub, mul, div are one correctly rounded IEEE operation, and
 * max/min the scalar kernel's selection (`a >= b || a != a ? a : b`: NaN
 * propagates, max(-0, +0) is -0 as in the scalar kernel), so these are bit for
 * bit the scalar kernels. fmod (Mod with fmod=1) is exact too, as C's fmodf:
 * see vitc__fmod_v. pow with one exponent value for the whole tensor
 * (every sb 0, what exports write for x^2, sqrt, x^3) takes exact paths for 1
 * (x), 2 (x*x), 0.5 (sqrt, with powf's +0 at -0 and +inf at -inf), -1 (1/x), and
 * x*x*x for 3 (within 1 ulp of powf); any other exponent is vf32_pow,
 * exp(b log|a|) with the sign of odd integral b (templates/simd/fastmath.h):
 * about 1e-5 relative where the result nears the float range, a few ulp near 1.
 *
 * y may be the same buffer as an input that has the output's shape; a broadcast
 * input must not overlap y. */
#include "../prelude.h"
#include "../simd/shim.h"
#include "x-binary-scalar.c"
#include "x-binary-simd.h"

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


/* max/min: a >= b (a <= b) or a is NaN ? a : b, the scalar kernel's selection */
VITC_SIMD_INLINE vf32 VITC_FN(vitc__bin_max_v)(vf32 a, vf32 b) {
  return vf32_select(vm32_or(vf32_cmple(b, a), vm32_not(vf32_cmpeq(a, a))), a, b);
}
VITC_SIMD_INLINE vf32 VITC_FN(vitc__bin_min_v)(vf32 a, vf32 b) {
  return vf32_select(vm32_or(vf32_cmple(a, b), vm32_not(vf32_cmpeq(a, a))), a, b);
}
VITC_KERNEL void VITC_FN(vitc_f32_max)(int rank, const int *dims, const float *a, const int *sa, const float *b,
                                       const int *sb, float *y) {
  VITC__BIN_SIMD(VITC_FN(vitc__bin_max_v), vitc__bin_f32_max);
}
VITC_KERNEL void VITC_FN(vitc_f32_min)(int rank, const int *dims, const float *a, const int *sa, const float *b,
                                       const int *sb, float *y) {
  VITC__BIN_SIMD(VITC_FN(vitc__bin_min_v), vitc__bin_f32_min);
}

/* fmod(a, b), exact, with a's sign. q = trunc(a / b) is the integer quotient or,
 * when a / b rounds up across an integer (never down: integers below 2^23 are
 * floats, and rounding is monotonic), one more in magnitude; r = a - q b is then
 * exact in one fused multiply-add (a multiple of the smaller operand's ulp, at
 * most |b| in magnitude) and, if its sign left a's, takes |b| back once (exact:
 * the sum is the true remainder, a float). Lanes fmodf answers otherwise (|a / b|
 * >= 2^23, b zero, infinite or NaN, a infinite or NaN) and a shim whose fma may
 * not be fused (the scalar one) take fmodf; a = +-0 gives a. */
VITC_SIMD_INLINE vf32 VITC_FN(vitc__fmod_v)(vf32 a, vf32 b) {
  const vf32 zero = vf32_zero(), q = vf32_div(a, b), ab = vf32_abs(b);
  const vf32 t = vf32_select(vf32_cmplt(q, zero), vf32_ceil(q), vf32_floor(q));
  const vm32 plain = vm32_and(vf32_cmplt(vf32_abs(q), vf32_set1(8388608.0f)), vf32_cmple(ab, vf32_set1(FLT_MAX)));
  const vm32 neg = vf32_cmplt(a, zero);
  vf32 r = vf32_fma(vf32_sub(zero, t), b, a);
  /* the sign left a's: add |b| with a's sign */
  const vm32 wrong = vm32_or(vm32_and(neg, vf32_cmplt(zero, r)), vm32_and(vf32_cmplt(zero, a), vf32_cmplt(r, zero)));
  r = vf32_select(wrong, vf32_add(r, vf32_select(neg, vf32_sub(zero, ab), ab)), r);
  r = vf32_abs(r);
  r = vf32_select(vf32_cmpeq(a, zero), a, vf32_select(neg, vf32_mul(r, vf32_set1(-1.0f)), r)); /* -0 too */
  if (VITC_LANES == 1 || vf32_hmax(vf32_select(plain, zero, vf32_set1(1.0f))) > 0.0f) {
    float ta[VITC_LANES], tb[VITC_LANES], tr[VITC_LANES], tp[VITC_LANES];
    int l;
    vf32_store(ta, a);
    vf32_store(tb, b);
    vf32_store(tr, r);
    vf32_store(tp, vf32_select(plain, vf32_set1(1.0f), zero));
    for (l = 0; l < VITC_LANES; l++)
      if (VITC_LANES == 1 || tp[l] == 0.0f) tr[l] = fmodf(ta[l], tb[l]);
    r = vf32_load(tr);
  }
  return r;
}
VITC_KERNEL void VITC_FN(vitc_f32_fmod)(int rank, const int *dims, const float *a, const int *sa, const float *b,
                                        const int *sb, float *y) {
  VITC__BIN_SIMD(VITC_FN(vitc__fmod_v), vitc__bin_f32_fmod);
}

/* pow: the paths of one exponent value, then the general one */
VITC_SIMD_INLINE vf32 VITC_FN(vitc__pow_1_v)(vf32 a, vf32 b) {
  (void)b;
  return a;
}
VITC_SIMD_INLINE vf32 VITC_FN(vitc__pow_2_v)(vf32 a, vf32 b) {
  (void)b;
  return vf32_mul(a, a);
}
VITC_SIMD_INLINE vf32 VITC_FN(vitc__pow_3_v)(vf32 a, vf32 b) {
  (void)b;
  return vf32_mul(vf32_mul(a, a), a);
}
VITC_SIMD_INLINE vf32 VITC_FN(vitc__pow_m1_v)(vf32 a, vf32 b) {
  (void)b;
  return vf32_div(vf32_set1(1.0f), a);
}
VITC_SIMD_INLINE vf32 VITC_FN(vitc__pow_half_v)(vf32 a, vf32 b) {
  (void)b; /* sqrt(-0) + 0 = +0; pow(-inf, 0.5) = +inf */
  return vf32_select(vf32_cmpeq(a, vf32_set1(-INFINITY)), vf32_set1(INFINITY), vf32_add(vf32_sqrt(a), vf32_zero()));
}
/* pow with one exponent value for the whole tensor: y (dims) = OPV(a (bcast by sa), b[0]):
 * a walk of a alone (a through a volatile copy, as in x-binary-simd.h) */
#define VITC__POW_ONE_B(OPV)                                                                       \
  do {                                                                                             \
    const vf32 vb_ = vf32_set1(b[0]);                                                              \
    const float *volatile av_ = a;                                                                 \
    const float *const a_ = av_;                                                                   \
    VITC_BCAST_WALK(rank, dims, sa, vitc__bcast_none, vitc__bcast_none,                                                    \
      float *yr_ = y + row_ * n_;                                                                  \
      const float *ar_ = a_ + o0_;                                                                 \
      const int t_ = (int)(n_ % VITC_LANES);                                                       \
      const ptrdiff_t nv_ = n_ - t_;                                                               \
      ptrdiff_t i_;                                                                                \
      if (i0_ == 1) {                                                                              \
        for (i_ = 0; i_ < nv_; i_ += VITC_LANES) vf32_store(yr_ + i_, OPV(vf32_load(ar_ + i_), vb_)); \
        if (t_) vf32_store_tail(yr_ + nv_, OPV(vf32_load_tail(ar_ + nv_, t_), vb_), t_);           \
      } else if (i0_ == 0) {                                                                       \
        const vf32 vy_ = OPV(vf32_set1(ar_[0]), vb_);                                              \
        for (i_ = 0; i_ < nv_; i_ += VITC_LANES) vf32_store(yr_ + i_, vy_);                        \
        if (t_) vf32_store_tail(yr_ + nv_, vy_, t_);                                               \
      } else { /* strides other than 0 and 1: no dense operand has them */                         \
        for (i_ = 0; i_ < n_; i_++) vf32_store_tail(yr_ + i_, OPV(vf32_set1(ar_[i_ * i0_]), vb_), 1); \
      });                                                                                          \
  } while (0)

VITC_KERNEL void VITC_FN(vitc_f32_pow)(int rank, const int *dims, const float *a, const int *sa, const float *b,
                                       const int *sb, float *y) {
  int d, scalar_b = 1;
  for (d = 0; d < rank; d++) {
    if (dims[d] <= 0) return; /* empty output: b may be empty too, do not read b[0] */
    scalar_b &= sb[d] == 0;
  }
  if (!scalar_b) VITC__BIN_SIMD(vf32_pow, vitc__bin_f32_pow);
  else if (b[0] == 1.0f) VITC__POW_ONE_B(VITC_FN(vitc__pow_1_v));
  else if (b[0] == 2.0f) VITC__POW_ONE_B(VITC_FN(vitc__pow_2_v));
  else if (b[0] == 3.0f) VITC__POW_ONE_B(VITC_FN(vitc__pow_3_v));
  else if (b[0] == 0.5f) VITC__POW_ONE_B(VITC_FN(vitc__pow_half_v));
  else if (b[0] == -1.0f) VITC__POW_ONE_B(VITC_FN(vitc__pow_m1_v));
  else VITC__POW_ONE_B(vf32_pow);
}

/* where: y = cond ? a : b (templates/eltwise/x-binary-scalar.c). 4-byte elements
 * (float32, int32) are selected VITC_LANES at a time, as bits (no float
 * arithmetic touches them); other sizes go to the scalar kernel. */
VITC_SIMD_INLINE vf32 VITC_FN(vitc__where_cond)(const uint8_t *c, ptrdiff_t ic, int n) {
  uint8_t buf[2 * VITC_LANES];
  int i;
  if (ic == 1 && n == VITC_LANES) return vf32_from_u8(c);
  for (i = 0; i < VITC_LANES; i++) buf[i] = (uint8_t)(i < n ? c[ic ? i : 0] : 0);
  return vf32_from_u8(buf);
}
VITC_KERNEL void VITC_FN(vitc_x_where)(int elem, int rank, const int *dims, const uint8_t *cond, const int *sc,
                                       const void *a, const int *sa, const void *b, const int *sb, void *y) {
  const float *af = (const float *)a, *bf = (const float *)b;
  if (elem != 4 || vitc__bcast_last(rank, sc, 0) > 1 || vitc__bcast_last(rank, sa, 0) > 1 ||
      vitc__bcast_last(rank, sb, 0) > 1) { /* other sizes, or not a dense operand: the scalar kernel */
    vitc_x_where_scalar(elem, rank, dims, cond, sc, a, sa, b, sb, y);
    return;
  }
  VITC_BCAST_WALK(rank, dims, sc, sa, sb, /* cond operand 0, a 1, b 2 */
    float *yr = (float *)y + row_ * n_;
    const float *ar = af + o1_, *br = bf + o2_;
    const uint8_t *cr = cond + o0_;
    ptrdiff_t i;
    for (i = 0; i < n_; i += VITC_LANES) {
      const int k = n_ - i < VITC_LANES ? (int)(n_ - i) : VITC_LANES;
      const vm32 pick = vm32_not(vf32_cmpeq(VITC_FN(vitc__where_cond)(cr + i * i0_, i0_, k), vf32_zero()));
      const vf32 va = i1_ ? vf32_load_tail(ar + i, k) : vf32_set1(ar[0]);
      const vf32 vb = i2_ ? vf32_load_tail(br + i, k) : vf32_set1(br[0]);
      if (k == VITC_LANES) vf32_store(yr + i, vf32_select(pick, va, vb));
      else vf32_store_tail(yr + i, vf32_select(pick, va, vb), k);
    });
}

/* The comparisons of floats to bool bytes: the scalar kernels' C comparisons as
 * lane masks (false with a NaN, as in C), selecting 1.0 or 0.0, stored as bytes.
 * Greater and GreaterOrEqual are Less and LessOrEqual with the operands swapped. */
VITC_SIMD_INLINE vf32 VITC_FN(vitc__bin_bool_v)(vm32 m) { return vf32_select(m, vf32_set1(1.0f), vf32_zero()); }
VITC_SIMD_INLINE vf32 VITC_FN(vitc__bin_eq_v)(vf32 a, vf32 b) { return VITC_FN(vitc__bin_bool_v)(vf32_cmpeq(a, b)); }
VITC_SIMD_INLINE vf32 VITC_FN(vitc__bin_lt_v)(vf32 a, vf32 b) { return VITC_FN(vitc__bin_bool_v)(vf32_cmplt(a, b)); }
VITC_SIMD_INLINE vf32 VITC_FN(vitc__bin_gt_v)(vf32 a, vf32 b) { return VITC_FN(vitc__bin_bool_v)(vf32_cmplt(b, a)); }
VITC_SIMD_INLINE vf32 VITC_FN(vitc__bin_le_v)(vf32 a, vf32 b) { return VITC_FN(vitc__bin_bool_v)(vf32_cmple(a, b)); }
VITC_SIMD_INLINE vf32 VITC_FN(vitc__bin_ge_v)(vf32 a, vf32 b) { return VITC_FN(vitc__bin_bool_v)(vf32_cmple(b, a)); }
/* FN written out at each use, VITC_FN(vitc_f32_NAME), so that the compiler finds
 * which kernels this file defines (compiler/emit/emit.c: kernel_isa) */
#define VITC__BIN_CMP_SIMD(FN, OPV, OPS)                                                                               \
  VITC_KERNEL void FN(int rank, const int *dims, const float *a, const int *sa, const float *b, const int *sb,         \
                      uint8_t *y) {                                                                                    \
    VITC__BIN_SIMD_TO(uint8_t, vf32_store_u8, vf32_store_u8_tail, OPV, OPS);                                           \
  }
VITC__BIN_CMP_SIMD(VITC_FN(vitc_f32_equal), VITC_FN(vitc__bin_eq_v), vitc__bin_f32_eq)
VITC__BIN_CMP_SIMD(VITC_FN(vitc_f32_less), VITC_FN(vitc__bin_lt_v), vitc__bin_f32_lt)
VITC__BIN_CMP_SIMD(VITC_FN(vitc_f32_greater), VITC_FN(vitc__bin_gt_v), vitc__bin_f32_gt)
VITC__BIN_CMP_SIMD(VITC_FN(vitc_f32_less_or_equal), VITC_FN(vitc__bin_le_v), vitc__bin_f32_le)
VITC__BIN_CMP_SIMD(VITC_FN(vitc_f32_greater_or_equal), VITC_FN(vitc__bin_ge_v), vitc__bin_f32_ge)
#undef VITC__BIN_CMP_SIMD
