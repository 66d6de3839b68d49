/* templates/eltwise/f32-unary-simd.c: every kernel of
 * templates/eltwise/f32-unary-scalar.c written once against the SIMD shim
 * (templates/simd/bind.h) and instantiated per target as vitc_f32_<op>_<isa>,
 * with the same signatures and contract (x (n,) -> y (n,), y == x allowed).
 *
 * Each kernel is one vector loop plus a masked tail (the masked-off lanes compute
 * f(0) and are not stored). Two kinds:
 *
 * Exact, bit for bit the scalar kernel: relu, leaky_relu, clip, neg, abs, sqrt,
 * reciprocal, floor, ceil. Each is one correctly rounded operation or a
 * selection written with the scalar kernel's comparison (vf32_select of
 * vf32_cmplt: `x < 0 ? 0 : x` keeps -0 and NaN where the scalar loop does, which
 * vector max instructions would not, and differently on each ISA).
 * hard_sigmoid is alpha * x + beta in one fused step (the scalar loop rounds
 * twice unless the C compiler contracts it): within 1 ulp of it.
 *
 * Fast math (templates/simd/fastmath.h) instead of libm, with these bounds:
 *   exp        vf32_exp, 1 ulp
 *   log        vf32_log (fastmath.h: Cephes' polynomial), 2 ulp (tests/check_simd.c)
 *   sigmoid    vf32_sigmoid, 3 ulp
 *   silu       x * sigmoid(x) as x / (1 + exp(-x)), 3 ulp
 *   tanh, erf  vf32_tanh / vf32_erf, 5 / 6 ulp (absolute error < 4e-7)
 *   gelu       0.5 x (1 + erf(x / sqrt 2)): absolute error < 4e-7 |x|
 *   gelu_tanh  0.5 x (1 + tanh(u)) computed as x / (1 + exp(-2u)),
 *              u = sqrt(2/pi) (x + 0.044715 x^3): the same function without the
 *              1 + tanh cancellation for negative x, 3 ulp in the exp form
 *   elu        alpha expm1(x) for x < 0 (vf32_expm1: Kahan's (u - 1) x / log u),
 *              a few ulp
 *   softplus   vf32_softplus, max(x, 0) + log1p(exp(-|x|)): a few ulp
 * (tests/check_simd.c measures exp, log, tanh, erf and sigmoid against libm in
 * double precision; tests/check_kern_eltwise.c compares every kernel here with
 * its scalar reference on every ISA, tails included). */
#include "../prelude.h"
#include "../simd/shim.h"
#include "f32-unary-scalar.c"

/* The body of every kernel below: y[0..n) = F(x[0..n)). */
#define VITC__UNARY_LOOP(F)                                                                                            \
  do {                                                                                                                 \
    int i;                                                                                                             \
    for (i = 0; i + VITC_LANES <= n; i += VITC_LANES) vf32_store(y + i, F(vf32_load(x + i)));                          \
    if (i < n) vf32_store_tail(y + i, F(vf32_load_tail(x + i, n - i)), n - i);                                         \
  } while (0)

VITC_SIMD_INLINE vf32 VITC_FN(vitc__silu_v)(vf32 v) {
  return vf32_div(v, vf32_add(vf32_set1(1.0f), vf32_exp(vf32_sub(vf32_zero(), v))));
}

VITC_SIMD_INLINE vf32 VITC_FN(vitc__gelu_v)(vf32 v) {
  const vf32 h = vf32_mul(v, vf32_set1(0.5f));
  return vf32_fma(h, vf32_erf(vf32_mul(v, vf32_set1(0.707106781f))), h);
}

VITC_SIMD_INLINE vf32 VITC_FN(vitc__gelu_tanh_v)(vf32 v) {
  /* -2u = x * (-2 sqrt(2/pi)) * (1 + 0.044715 x^2) */
  const vf32 w = vf32_fma(vf32_mul(v, v), vf32_set1(0.044715f), vf32_set1(1.0f));
  const vf32 m2u = vf32_mul(vf32_mul(v, vf32_set1(-1.59576912f)), w);
  return vf32_div(v, vf32_add(vf32_set1(1.0f), vf32_exp(m2u)));
}

/* sigmoid: y = 1 / (1 + exp(-x)) */
VITC_KERNEL void VITC_FN(vitc_f32_sigmoid)(int n, const float *x, float *y) { VITC__UNARY_LOOP(vf32_sigmoid); }
/* silu: y = x / (1 + exp(-x)) */
VITC_KERNEL void VITC_FN(vitc_f32_silu)(int n, const float *x, float *y) { VITC__UNARY_LOOP(VITC_FN(vitc__silu_v)); }
/* exp */
VITC_KERNEL void VITC_FN(vitc_f32_exp)(int n, const float *x, float *y) { VITC__UNARY_LOOP(vf32_exp); }
/* tanh */
VITC_KERNEL void VITC_FN(vitc_f32_tanh)(int n, const float *x, float *y) { VITC__UNARY_LOOP(vf32_tanh); }
/* erf */
VITC_KERNEL void VITC_FN(vitc_f32_erf)(int n, const float *x, float *y) { VITC__UNARY_LOOP(vf32_erf); }
/* gelu (exact, ONNX Gelu approximate="none"): y = 0.5 x (1 + erf(x / sqrt(2))) */
VITC_KERNEL void VITC_FN(vitc_f32_gelu)(int n, const float *x, float *y) { VITC__UNARY_LOOP(VITC_FN(vitc__gelu_v)); }
/* gelu_tanh (ONNX Gelu approximate="tanh") */
VITC_KERNEL void VITC_FN(vitc_f32_gelu_tanh)(int n, const float *x, float *y) {
  VITC__UNARY_LOOP(VITC_FN(vitc__gelu_tanh_v));
}

/* The loop with float parameters captured as vectors: F(v) may use va and vb. */
#define VITC__UNARY_LOOP_P(F, a, b)                                                                                    \
  do {                                                                                                                 \
    const vf32 va = vf32_set1(a), vb = vf32_set1(b);                                                                   \
    int i;                                                                                                             \
    (void)va;                                                                                                          \
    (void)vb;                                                                                                          \
    for (i = 0; i + VITC_LANES <= n; i += VITC_LANES) {                                                                \
      const vf32 v = vf32_load(x + i);                                                                                 \
      vf32_store(y + i, F);                                                                                            \
    }                                                                                                                  \
    if (i < n) {                                                                                                       \
      const vf32 v = vf32_load_tail(x + i, n - i);                                                                     \
      vf32_store_tail(y + i, F, n - i);                                                                                \
    }                                                                                                                  \
  } while (0)

VITC_SIMD_INLINE vf32 VITC_FN(vitc__relu_v)(vf32 v) { return vf32_select(vf32_cmplt(v, vf32_zero()), vf32_zero(), v); }
VITC_SIMD_INLINE vf32 VITC_FN(vitc__neg_v)(vf32 v) { return vf32_mul(v, vf32_set1(-1.0f)); }
VITC_SIMD_INLINE vf32 VITC_FN(vitc__reciprocal_v)(vf32 v) { return vf32_div(vf32_set1(1.0f), v); }

/* relu: y = x < 0 ? 0 : x */
VITC_KERNEL void VITC_FN(vitc_f32_relu)(int n, const float *x, float *y) { VITC__UNARY_LOOP(VITC_FN(vitc__relu_v)); }
/* log (natural) */
VITC_KERNEL void VITC_FN(vitc_f32_log)(int n, const float *x, float *y) { VITC__UNARY_LOOP(vf32_log); }
/* sqrt */
VITC_KERNEL void VITC_FN(vitc_f32_sqrt)(int n, const float *x, float *y) { VITC__UNARY_LOOP(vf32_sqrt); }
/* neg: y = -x */
VITC_KERNEL void VITC_FN(vitc_f32_neg)(int n, const float *x, float *y) { VITC__UNARY_LOOP(VITC_FN(vitc__neg_v)); }
/* abs */
VITC_KERNEL void VITC_FN(vitc_f32_abs)(int n, const float *x, float *y) { VITC__UNARY_LOOP(vf32_abs); }
/* reciprocal: y = 1 / x */
VITC_KERNEL void VITC_FN(vitc_f32_reciprocal)(int n, const float *x, float *y) {
  VITC__UNARY_LOOP(VITC_FN(vitc__reciprocal_v));
}
/* floor, ceil */
VITC_KERNEL void VITC_FN(vitc_f32_floor)(int n, const float *x, float *y) { VITC__UNARY_LOOP(vf32_floor); }
VITC_KERNEL void VITC_FN(vitc_f32_ceil)(int n, const float *x, float *y) { VITC__UNARY_LOOP(vf32_ceil); }
/* softplus: y = log(1 + exp(x)) */
VITC_KERNEL void VITC_FN(vitc_f32_softplus)(int n, const float *x, float *y) {
  VITC__UNARY_LOOP(vf32_softplus);
}
/* leaky_relu: y = x < 0 ? alpha * x : x */
VITC_KERNEL void VITC_FN(vitc_f32_leaky_relu)(int n, float alpha, const float *x, float *y) {
  VITC__UNARY_LOOP_P(vf32_select(vf32_cmplt(v, vf32_zero()), vf32_mul(va, v), v), alpha, 0.0f);
}
/* elu: y = x < 0 ? alpha * (exp(x) - 1) : x */
VITC_KERNEL void VITC_FN(vitc_f32_elu)(int n, float alpha, const float *x, float *y) {
  VITC__UNARY_LOOP_P(vf32_select(vf32_cmplt(v, vf32_zero()), vf32_mul(va, vf32_expm1(v)), v),
                     alpha, 0.0f);
}
/* clip: y = min(max(x, lo), hi) as the scalar kernel's two selections (lo > hi gives hi; NaN stays) */
VITC_SIMD_INLINE vf32 VITC_FN(vitc__clip_v)(vf32 v, vf32 lo, vf32 hi) {
  v = vf32_select(vf32_cmplt(v, lo), lo, v);
  return vf32_select(vf32_cmplt(hi, v), hi, v);
}
VITC_KERNEL void VITC_FN(vitc_f32_clip)(int n, float lo, float hi, const float *x, float *y) {
  VITC__UNARY_LOOP_P(VITC_FN(vitc__clip_v)(v, va, vb), lo, hi);
}
/* hard_sigmoid: y = max(0, min(1, alpha * x + beta)) */
VITC_KERNEL void VITC_FN(vitc_f32_hard_sigmoid)(int n, float alpha, float beta, const float *x, float *y) {
  VITC__UNARY_LOOP_P(VITC_FN(vitc__clip_v)(vf32_fma(va, v, vb), vf32_zero(), vf32_set1(1.0f)), alpha, beta);
}

#undef VITC__UNARY_LOOP_P
#undef VITC__UNARY_LOOP
