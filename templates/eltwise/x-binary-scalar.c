/* templates/eltwise/x-binary-scalar.c: numpy-broadcasting binary ops and Where.
 *
 * The compiler describes a broadcast once, after collapsing dims: the output has
 * rank r (0 <= r <= VITC_MAX_RANK) and dims[r], it is dense row-major, and each
 * input is addressed by per-dim element strides, 0 on the dims it is broadcast
 * along. Adding a bias [197,192] + [192] is
 *
 *     rank 2, dims {197,192}, sa {192,1}, sb {0,1}
 *
 * and multiplying by a constant scalar is rank 1, dims {n}, sa {1}, sb {0}.
 * Rank 0 means a single element (then dims and strides are not read).
 *
 * The walk treats the last dim as a row and the others as an odometer over rows.
 * Each row picks one of four loops by the two inner strides: both contiguous,
 * a broadcast scalar on the left, on the right, or general strided. The first
 * three are what real graphs hit (same-shape residual adds, bias adds, scaling by
 * a constant, per-row statistics along a column); they are plain contiguous
 * loops that gcc -O3 and clang -O2 vectorize (with a run-time overlap check,
 * which an exact in-place call passes). The op itself is a small inline
 * function per dtype, so one loop macro serves every op. The odometer over rows
 * is templates/eltwise/x-broadcast.h, shared with the shim-based kernels.
 *
 * In place: y may be the same buffer as an input that has the output's shape
 * (dense strides). An input that is broadcast must not overlap y.
 *
 * Integer semantics follow ONNX Runtime (C semantics) but never trap: add, sub,
 * mul wrap around on overflow; div truncates toward zero, x / 0 = 0 and
 * INT64_MIN / -1 = INT64_MIN; mod follows the divisor's sign (ONNX fmod=0),
 * fmod the dividend's (fmod=1), and x mod 0 = 0 for both.
 *
 * Float max/min propagate NaN (as numpy and ONNX Runtime do). Pow with a single
 * exponent value of 2 computes x*x, which is the correctly rounded square, and
 * with exponent 0.5 uses sqrtf (exact; fixed up at -0 and -inf where pow differs).
 *
 * Bool tensors are one byte per element holding 0 or 1; comparison and logical
 * kernels write 0/1 and read any nonzero byte as true. */
#ifndef VITC_X_BINARY_SCALAR_C
#define VITC_X_BINARY_SCALAR_C

#include "../prelude.h"
#include "x-broadcast.h"

/* --- the broadcast walk ----------------------------------------------------
 * Every binary kernel has the signature
 *
 *   void vitc_<dtype>_<op>_scalar(int rank, const int *dims,
 *                                 const TA *a, const int *sa,
 *                                 const TA *b, const int *sb, TY *y)
 *
 * a (bcast by sa), b (bcast by sb) -> y (dims), dense. VITC_BIN_LOOP(TY, TA, OP)
 * is its body; OP(a, b) computes one element. */
#define VITC_BIN_LOOP(TY, TA, OP)                                                \
  VITC_BCAST_WALK(rank, dims, sa, sb, vitc__bcast_none,                                      \
    TY *yr_ = y + row_ * n_;                                                     \
    const TA *ar_ = a + o0_, *br_ = b + o1_;                                     \
    ptrdiff_t i_;                                                                \
    if (i0_ == 1 && i1_ == 1) {                                                  \
      for (i_ = 0; i_ < n_; i_++) yr_[i_] = OP(ar_[i_], br_[i_]);                \
    } else if (i0_ == 0 && i1_ == 1) {                                           \
      const TA a0_ = ar_[0];                                                     \
      for (i_ = 0; i_ < n_; i_++) yr_[i_] = OP(a0_, br_[i_]);                    \
    } else if (i0_ == 1 && i1_ == 0) {                                           \
      const TA b0_ = br_[0];                                                     \
      for (i_ = 0; i_ < n_; i_++) yr_[i_] = OP(ar_[i_], b0_);                    \
    } else {                                                                     \
      for (i_ = 0; i_ < n_; i_++) yr_[i_] = OP(ar_[i_ * i0_], br_[i_ * i1_]);    \
    })

#define VITC_BIN_PARAMS(TY, TA) \
  int rank, const int *dims, const TA *a, const int *sa, const TA *b, const int *sb, TY *y

/* --- per-element ops ------------------------------------------------------- */
static inline float vitc__bin_f32_add(float a, float b) { return a + b; }
static inline float vitc__bin_f32_sub(float a, float b) { return a - b; }
static inline float vitc__bin_f32_mul(float a, float b) { return a * b; }
static inline float vitc__bin_f32_div(float a, float b) { return a / b; }
static inline float vitc__bin_f32_pow(float a, float b) { return powf(a, b); }
static inline float vitc__bin_f32_fmod(float a, float b) { return fmodf(a, b); }
static inline float vitc__bin_f32_max(float a, float b) { return (a >= b || a != a) ? a : b; }
static inline float vitc__bin_f32_min(float a, float b) { return (a <= b || a != a) ? a : b; }
static inline float vitc__bin_f32_square(float a, float b) { (void)b; return a * a; }
static inline float vitc__bin_f32_sqrt(float a, float b) {
  (void)b; /* pow(x, 0.5): sqrt except pow(-0, .5) = +0 and pow(-inf, .5) = +inf */
  return a == -INFINITY ? INFINITY : sqrtf(a) + 0.0f;
}

static inline int64_t vitc__bin_i64_add(int64_t a, int64_t b) { return (int64_t)((uint64_t)a + (uint64_t)b); }
static inline int64_t vitc__bin_i64_sub(int64_t a, int64_t b) { return (int64_t)((uint64_t)a - (uint64_t)b); }
static inline int64_t vitc__bin_i64_mul(int64_t a, int64_t b) { return (int64_t)((uint64_t)a * (uint64_t)b); }
static inline int64_t vitc__bin_i64_div(int64_t a, int64_t b) {
  if (b == 0) return 0;
  if (b == -1) return (int64_t)(0u - (uint64_t)a);
  return a / b;
}
static inline int64_t vitc__bin_i64_fmod(int64_t a, int64_t b) {
  if (b == 0 || b == -1) return 0;
  return a % b;
}
static inline int64_t vitc__bin_i64_mod(int64_t a, int64_t b) {
  int64_t r;
  if (b == 0 || b == -1) return 0;
  r = a % b;
  return (r != 0 && ((r < 0) != (b < 0))) ? r + b : r;
}
static inline int64_t vitc__bin_i64_max(int64_t a, int64_t b) { return a > b ? a : b; }
static inline int64_t vitc__bin_i64_min(int64_t a, int64_t b) { return a < b ? a : b; }

#define VITC_BIN_CMP(NAME, T, EXPR) \
  static inline uint8_t NAME(T a, T b) { return (uint8_t)(EXPR); }
VITC_BIN_CMP(vitc__bin_f32_eq, float, a == b)
VITC_BIN_CMP(vitc__bin_f32_lt, float, a < b)
VITC_BIN_CMP(vitc__bin_f32_gt, float, a > b)
VITC_BIN_CMP(vitc__bin_f32_le, float, a <= b)
VITC_BIN_CMP(vitc__bin_f32_ge, float, a >= b)
VITC_BIN_CMP(vitc__bin_i64_eq, int64_t, a == b)
VITC_BIN_CMP(vitc__bin_i64_lt, int64_t, a < b)
VITC_BIN_CMP(vitc__bin_i64_gt, int64_t, a > b)
VITC_BIN_CMP(vitc__bin_i64_le, int64_t, a <= b)
VITC_BIN_CMP(vitc__bin_i64_ge, int64_t, a >= b)
VITC_BIN_CMP(vitc__bin_bool_and, uint8_t, (a != 0) & (b != 0))
VITC_BIN_CMP(vitc__bin_bool_or, uint8_t, (a != 0) | (b != 0))
VITC_BIN_CMP(vitc__bin_bool_xor, uint8_t, (a != 0) ^ (b != 0))
#undef VITC_BIN_CMP

/* --- float32 arithmetic: a (bcast), b (bcast) -> y (dims) float32 ----------- */
VITC_KERNEL void vitc_f32_add_scalar(VITC_BIN_PARAMS(float, float)) { VITC_BIN_LOOP(float, float, vitc__bin_f32_add); }
VITC_KERNEL void vitc_f32_sub_scalar(VITC_BIN_PARAMS(float, float)) { VITC_BIN_LOOP(float, float, vitc__bin_f32_sub); }
VITC_KERNEL void vitc_f32_mul_scalar(VITC_BIN_PARAMS(float, float)) { VITC_BIN_LOOP(float, float, vitc__bin_f32_mul); }
VITC_KERNEL void vitc_f32_div_scalar(VITC_BIN_PARAMS(float, float)) { VITC_BIN_LOOP(float, float, vitc__bin_f32_div); }
/* max/min: elementwise, NaN if either side is NaN */
VITC_KERNEL void vitc_f32_max_scalar(VITC_BIN_PARAMS(float, float)) { VITC_BIN_LOOP(float, float, vitc__bin_f32_max); }
VITC_KERNEL void vitc_f32_min_scalar(VITC_BIN_PARAMS(float, float)) { VITC_BIN_LOOP(float, float, vitc__bin_f32_min); }
/* fmod: ONNX Mod with fmod=1 (the only Mod ONNX allows on floats): C fmodf,
 * result has the sign of a */
VITC_KERNEL void vitc_f32_fmod_scalar(VITC_BIN_PARAMS(float, float)) { VITC_BIN_LOOP(float, float, vitc__bin_f32_fmod); }

/* pow: y = powf(a, b). When b is one value (every sb is 0) equal to 2 or 0.5 it
 * takes an exact fast path (x*x, sqrtf); the other values go through powf. */
VITC_KERNEL void vitc_f32_pow_scalar(VITC_BIN_PARAMS(float, float)) {
  int d, scalar_b = 1;
  for (d = 0; d < rank; d++) {
    if (dims[d] <= 0) return; /* empty output: b may be empty too, do not read b[0] */
    scalar_b &= sb[d] == 0;
  }
  if (scalar_b && b[0] == 2.0f) {
    VITC_BIN_LOOP(float, float, vitc__bin_f32_square);
  } else if (scalar_b && b[0] == 0.5f) {
    VITC_BIN_LOOP(float, float, vitc__bin_f32_sqrt);
  } else {
    VITC_BIN_LOOP(float, float, vitc__bin_f32_pow);
  }
}

/* --- int64 arithmetic (see the header for overflow and division by zero) ---- */
VITC_KERNEL void vitc_i64_add_scalar(VITC_BIN_PARAMS(int64_t, int64_t)) { VITC_BIN_LOOP(int64_t, int64_t, vitc__bin_i64_add); }
VITC_KERNEL void vitc_i64_sub_scalar(VITC_BIN_PARAMS(int64_t, int64_t)) { VITC_BIN_LOOP(int64_t, int64_t, vitc__bin_i64_sub); }
VITC_KERNEL void vitc_i64_mul_scalar(VITC_BIN_PARAMS(int64_t, int64_t)) { VITC_BIN_LOOP(int64_t, int64_t, vitc__bin_i64_mul); }
/* div: truncates toward zero (ONNX integer Div) */
VITC_KERNEL void vitc_i64_div_scalar(VITC_BIN_PARAMS(int64_t, int64_t)) { VITC_BIN_LOOP(int64_t, int64_t, vitc__bin_i64_div); }
/* mod: ONNX Mod fmod=0, result has the sign of b (Python %) */
VITC_KERNEL void vitc_i64_mod_scalar(VITC_BIN_PARAMS(int64_t, int64_t)) { VITC_BIN_LOOP(int64_t, int64_t, vitc__bin_i64_mod); }
/* fmod: ONNX Mod fmod=1, result has the sign of a (C %) */
VITC_KERNEL void vitc_i64_fmod_scalar(VITC_BIN_PARAMS(int64_t, int64_t)) { VITC_BIN_LOOP(int64_t, int64_t, vitc__bin_i64_fmod); }
VITC_KERNEL void vitc_i64_max_scalar(VITC_BIN_PARAMS(int64_t, int64_t)) { VITC_BIN_LOOP(int64_t, int64_t, vitc__bin_i64_max); }
VITC_KERNEL void vitc_i64_min_scalar(VITC_BIN_PARAMS(int64_t, int64_t)) { VITC_BIN_LOOP(int64_t, int64_t, vitc__bin_i64_min); }

/* --- comparisons: a, b (bcast) -> y (dims) bool ----------------------------
 * Any comparison with a float NaN is false (so equal(NaN, NaN) = 0). */
VITC_KERNEL void vitc_f32_equal_scalar(VITC_BIN_PARAMS(uint8_t, float)) { VITC_BIN_LOOP(uint8_t, float, vitc__bin_f32_eq); }
VITC_KERNEL void vitc_f32_less_scalar(VITC_BIN_PARAMS(uint8_t, float)) { VITC_BIN_LOOP(uint8_t, float, vitc__bin_f32_lt); }
VITC_KERNEL void vitc_f32_greater_scalar(VITC_BIN_PARAMS(uint8_t, float)) { VITC_BIN_LOOP(uint8_t, float, vitc__bin_f32_gt); }
VITC_KERNEL void vitc_f32_less_or_equal_scalar(VITC_BIN_PARAMS(uint8_t, float)) { VITC_BIN_LOOP(uint8_t, float, vitc__bin_f32_le); }
VITC_KERNEL void vitc_f32_greater_or_equal_scalar(VITC_BIN_PARAMS(uint8_t, float)) { VITC_BIN_LOOP(uint8_t, float, vitc__bin_f32_ge); }
VITC_KERNEL void vitc_i64_equal_scalar(VITC_BIN_PARAMS(uint8_t, int64_t)) { VITC_BIN_LOOP(uint8_t, int64_t, vitc__bin_i64_eq); }
VITC_KERNEL void vitc_i64_less_scalar(VITC_BIN_PARAMS(uint8_t, int64_t)) { VITC_BIN_LOOP(uint8_t, int64_t, vitc__bin_i64_lt); }
VITC_KERNEL void vitc_i64_greater_scalar(VITC_BIN_PARAMS(uint8_t, int64_t)) { VITC_BIN_LOOP(uint8_t, int64_t, vitc__bin_i64_gt); }
VITC_KERNEL void vitc_i64_less_or_equal_scalar(VITC_BIN_PARAMS(uint8_t, int64_t)) { VITC_BIN_LOOP(uint8_t, int64_t, vitc__bin_i64_le); }
VITC_KERNEL void vitc_i64_greater_or_equal_scalar(VITC_BIN_PARAMS(uint8_t, int64_t)) { VITC_BIN_LOOP(uint8_t, int64_t, vitc__bin_i64_ge); }

/* --- logical: bool, bool (bcast) -> bool ------------------------------------ */
VITC_KERNEL void vitc_bool_and_scalar(VITC_BIN_PARAMS(uint8_t, uint8_t)) { VITC_BIN_LOOP(uint8_t, uint8_t, vitc__bin_bool_and); }
VITC_KERNEL void vitc_bool_or_scalar(VITC_BIN_PARAMS(uint8_t, uint8_t)) { VITC_BIN_LOOP(uint8_t, uint8_t, vitc__bin_bool_or); }
VITC_KERNEL void vitc_bool_xor_scalar(VITC_BIN_PARAMS(uint8_t, uint8_t)) { VITC_BIN_LOOP(uint8_t, uint8_t, vitc__bin_bool_xor); }

/* not: x (n,) bool -> y (n,) bool, y == x allowed (unary, no broadcast) */
VITC_KERNEL void vitc_bool_not_scalar(int n, const uint8_t *x, uint8_t *y) {
  for (int i = 0; i < n; i++) y[i] = (uint8_t)(x[i] == 0);
}

#undef VITC_BIN_LOOP
#undef VITC_BIN_PARAMS

/* --- where ------------------------------------------------------------------
 * y = cond ? a : b with three-way broadcasting: cond (bool), a and b (any one
 * element type of `elem` bytes) addressed by strides sc, sa, sb over the output
 * dims, exactly as above; y (dims) dense. Both a and b are read for every element (they are
 * valid buffers), which keeps the select branch-free. Element sizes 1, 2, 4 and
 * 8 get typed loops; other sizes copy bytes. y may be the same buffer as a or b
 * when that input is not broadcast. */
#define VITC_WHERE_ROW(T)                                                           \
  do {                                                                              \
    unsigned char *yr_ = (unsigned char *)yb + row_ * n_ * (ptrdiff_t)sizeof(T);    \
    const unsigned char *ar_ = ab + o1_ * (ptrdiff_t)sizeof(T);                     \
    const unsigned char *br_ = bb + o2_ * (ptrdiff_t)sizeof(T);                     \
    const uint8_t *cr_ = cond + o0_;                                                \
    if (i0_ == 1 && i1_ == 1 && i2_ == 1) {                                         \
      for (i = 0; i < n_; i++) {                                                    \
        T va_, vb_;                                                                 \
        memcpy(&va_, ar_ + i * (ptrdiff_t)sizeof(T), sizeof(T));                    \
        memcpy(&vb_, br_ + i * (ptrdiff_t)sizeof(T), sizeof(T));                    \
        va_ = cr_[i] ? va_ : vb_;                                                   \
        memcpy(yr_ + i * (ptrdiff_t)sizeof(T), &va_, sizeof(T));                    \
      }                                                                             \
    } else {                                                                        \
      for (i = 0; i < n_; i++) {                                                    \
        T va_, vb_;                                                                 \
        memcpy(&va_, ar_ + i * i1_ * (ptrdiff_t)sizeof(T), sizeof(T));              \
        memcpy(&vb_, br_ + i * i2_ * (ptrdiff_t)sizeof(T), sizeof(T));              \
        va_ = cr_[i * i0_] ? va_ : vb_;                                             \
        memcpy(yr_ + i * (ptrdiff_t)sizeof(T), &va_, sizeof(T));                    \
      }                                                                             \
    }                                                                               \
  } while (0)

/* cond is operand 0 of the walk, a operand 1, b operand 2 */
VITC_KERNEL void vitc_x_where_scalar(int elem, int rank, const int *dims, const uint8_t *cond, const int *sc,
                                     const void *a, const int *sa, const void *b, const int *sb, void *y) {
  unsigned char *yb = (unsigned char *)y;
  const unsigned char *ab = (const unsigned char *)a, *bb = (const unsigned char *)b;
  ptrdiff_t i;
  VITC_BCAST_WALK(rank, dims, sc, sa, sb,
    switch (elem) {
    case 1: VITC_WHERE_ROW(uint8_t); break;
    case 2: VITC_WHERE_ROW(uint16_t); break;
    case 4: VITC_WHERE_ROW(uint32_t); break;
    case 8: VITC_WHERE_ROW(uint64_t); break;
    default:
      for (i = 0; i < n_; i++) {
        const unsigned char *src = cond[o0_ + i * i0_] ? ab + (o1_ + i * i1_) * (ptrdiff_t)elem
                                                       : bb + (o2_ + i * i2_) * (ptrdiff_t)elem;
        memmove(yb + (row_ * n_ + i) * (ptrdiff_t)elem, src, (size_t)elem);
      }
      break;
    });
}
#undef VITC_WHERE_ROW

#endif /* VITC_X_BINARY_SCALAR_C */
