/* templates/eltwise/f32-unary-simd.c: the transformer activations, written once
 * against the SIMD shim (templates/simd/bind.h) and instantiated per target as
 * vitc_f32_<op>_<isa>: sigmoid, silu, exp, tanh, erf, gelu (erf) and gelu_tanh.
 * Same signatures and contract as templates/eltwise/f32-unary-scalar.c
 * (x (n,) -> y (n,), y == x allowed), whose other kernels (relu, log, sqrt,
 * clip, ...: simple loops the C compiler vectorizes, or rare) every target keeps
 * calling. (relu stays scalar on purpose: vector max instructions disagree on
 * max(-0, 0) and NaN across ISAs, the scalar loop does not.)
 *
 * Each kernel is one vector loop plus a masked tail (the masked-off lanes compute
 * f(0) and are not stored). The transcendental parts are the shim's fast math
 * (templates/simd/fastmath.h) instead of libm, with these bounds:
 *   exp        vf32_exp, 1 ulp
 *   sigmoid    vf32_sigmoid, 3 ulp
 *   silu       x * sigmoid(x) as x / (1 + exp(-x)), 3 ulp
 *   tanh, erf  vf32_tanh / vf32_erf, 5 / 6 ulp (absolute error < 4e-7)
 *   gelu       0.5 x (1 + erf(x / sqrt 2)): absolute error < 4e-7 |x|
 *   gelu_tanh  0.5 x (1 + tanh(u)) computed as x / (1 + exp(-2u)),
 *              u = sqrt(2/pi) (x + 0.044715 x^3): the same function without the
 *              1 + tanh cancellation for negative x, 3 ulp in the exp form
 * (tests/check_simd.c measures each against libm in double precision). */
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

#undef VITC__UNARY_LOOP
