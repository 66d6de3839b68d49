/* templates/eltwise/f32-activation-simd.c: the kernels of
 * templates/eltwise/f32-activation-scalar.c (the element-wise ops of older and
 * convolutional exports) written once against the SIMD shim and instantiated per
 * target as vitc_f32_<op>_<isa>; same signature (int n, float p0, float p1,
 * x (n,) -> y (n,)), y == x allowed.
 *
 *   exact (bit for bit the scalar kernel: selections and single roundings)
 *     thresholded_relu, shrink, sign, round
 *   within a few ulp (fused multiply-adds where the scalar loop rounds twice)
 *     hard_swish, softsign
 *   fast math (templates/simd/fastmath.h in place of libm)
 *     selu, celu      vf32_expm1 for expm1f: a few ulp
 *     mish            x tanh(softplus(x)): vf32_tanh of vf32_softplus (a few ulp,
 *                     absolute < 4e-7 |x|)
 *     sinh            (E + E / (E + 1)) / 2, E = expm1|x|, odd; inf from |x| > 88.7
 *                     (sinhf overflows only past 89.4)
 *     cosh            (e^x + e^-x) / 2
 *     asinh, acosh    log1p(a + a^2 / (1 + sqrt(1 + a^2))) (odd), log1p(t + sqrt(2t + t^2))
 *                     with t = x - 1; log x + ln 2 beyond 2^12
 *     atanh           log1p(2|x| / (1 - |x|)) / 2, odd
 *     sin, cos, tan   vf32_sin/cos/tan (fastmath.h, Cephes, |x| < ~1e5): <= 4 ulp
 *     asin, acos, atan  vf32_asin/acos/atan (Cephes): <= 3 ulp
 * tests/check_kern_eltwise.c compares each with its scalar reference on every ISA. */
#include "../prelude.h"
#include "../simd/shim.h"
#include "f32-activation-scalar.c"

/* FN is written out at each use, VITC_FN(vitc_f32_NAME), so that the compiler
 * finds which kernels this file defines (compiler/emit/emit.c: kernel_isa) */
#define VITC__ACTIVATION_SIMD(FN, EXPR)                                                                                \
  VITC_KERNEL void FN(int n, float p0, float p1, const float *x, float *y) {                                           \
    const vf32 va = vf32_set1(p0), vb = vf32_set1(p1), zero = vf32_zero(), one = vf32_set1(1.0f);                      \
    int i;                                                                                                             \
    (void)va;                                                                                                          \
    (void)vb;                                                                                                          \
    (void)zero;                                                                                                        \
    (void)one;                                                                                                         \
    for (i = 0; i + VITC_LANES <= n; i += VITC_LANES) {                                                                \
      const vf32 v = vf32_load(x + i);                                                                                 \
      vf32_store(y + i, (EXPR));                                                                                       \
    }                                                                                                                  \
    if (i < n) {                                                                                                       \
      const vf32 v = vf32_load_tail(x + i, n - i);                                                                     \
      vf32_store_tail(y + i, (EXPR), n - i);                                                                           \
    }                                                                                                                  \
  }

/* the inverse hyperbolic functions through log1p, accurate near 0 (and 1 for
 * acosh); beyond 2^12 log(2a) = log a + ln 2, so a^2 never overflows */
VITC_SIMD_INLINE vf32 VITC_FN(vitc__asinh_v)(vf32 x) {
  const vf32 a = vf32_abs(x), one = vf32_set1(1.0f), a2 = vf32_mul(a, a);
  const vf32 near = vf32_log1p(vf32_add(a, vf32_div(a2, vf32_add(one, vf32_sqrt(vf32_add(one, a2))))));
  const vf32 far = vf32_add(vf32_log(a), vf32_set1(0.693147181f));
  const vf32 r = vf32_select(vf32_cmplt(a, vf32_set1(4096.0f)), near, far);
  return vf32_select(vf32_cmplt(x, vf32_zero()), vf32_mul(r, vf32_set1(-1.0f)), vf32_select(vf32_cmpeq(x, x), r, x));
}
VITC_SIMD_INLINE vf32 VITC_FN(vitc__acosh_v)(vf32 x) {
  const vf32 t = vf32_sub(x, vf32_set1(1.0f));
  const vf32 near = vf32_log1p(vf32_add(t, vf32_sqrt(vf32_fma(t, t, vf32_add(t, t)))));
  const vf32 far = vf32_add(vf32_log(x), vf32_set1(0.693147181f));
  return vf32_select(vf32_cmplt(x, vf32_set1(4096.0f)), near, vf32_select(vf32_cmpeq(x, x), far, x));
}
/* atanh x = sign(x) log1p(2|x| / (1 - |x|)) / 2: the argument of log1p stays >= 0 */
VITC_SIMD_INLINE vf32 VITC_FN(vitc__atanh_v)(vf32 x) {
  const vf32 a = vf32_abs(x);
  const vf32 r = vf32_mul(vf32_set1(0.5f), vf32_log1p(vf32_div(vf32_add(a, a), vf32_sub(vf32_set1(1.0f), a))));
  return vf32_select(vf32_cmplt(x, vf32_zero()), vf32_mul(r, vf32_set1(-1.0f)), vf32_select(vf32_cmpeq(x, x), r, x));
}
/* sinh x = sign(x) (E + E / (E + 1)) / 2 with E = expm1(|x|) (no cancellation near 0) */
VITC_SIMD_INLINE vf32 VITC_FN(vitc__sinh_v)(vf32 x) {
  const vf32 e = vf32_expm1(vf32_abs(x));
  vf32 r = vf32_mul(vf32_set1(0.5f), vf32_add(e, vf32_div(e, vf32_add(e, vf32_set1(1.0f)))));
  r = vf32_select(vf32_cmpeq(e, vf32_set1(INFINITY)), e, r);
  return vf32_select(vf32_cmplt(x, vf32_zero()), vf32_mul(r, vf32_set1(-1.0f)), vf32_select(vf32_cmpeq(x, x), r, x));
}
/* min(max(t, 0), 1), NaN kept (the scalar kernel's comparisons) */
VITC_SIMD_INLINE vf32 VITC_FN(vitc__clamp01)(vf32 t) {
  t = vf32_select(vf32_cmplt(t, vf32_zero()), vf32_zero(), t);
  return vf32_select(vf32_cmplt(vf32_set1(1.0f), t), vf32_set1(1.0f), t);
}
/* t < 0 ? t : 0 */
VITC_SIMD_INLINE vf32 VITC_FN(vitc__neg_part)(vf32 t) { return vf32_select(vf32_cmplt(t, vf32_zero()), t, vf32_zero()); }

VITC__ACTIVATION_SIMD(VITC_FN(vitc_f32_hard_swish), vf32_mul(v, VITC_FN(vitc__clamp01)(vf32_fma(v, vf32_set1(1.0f / 6.0f), vf32_set1(0.5f)))))
VITC__ACTIVATION_SIMD(VITC_FN(vitc_f32_selu), vf32_mul(vb, vf32_select(vf32_cmplt(zero, v), v, vf32_mul(va, vf32_expm1(v)))))
VITC__ACTIVATION_SIMD(VITC_FN(vitc_f32_celu), vf32_add(vf32_select(vf32_cmplt(zero, v), v, zero),
                                     VITC_FN(vitc__neg_part)(vf32_mul(va, vf32_expm1(vf32_div(v, va))))))
VITC__ACTIVATION_SIMD(VITC_FN(vitc_f32_thresholded_relu), vf32_select(vf32_cmplt(va, v), v, zero))
VITC__ACTIVATION_SIMD(VITC_FN(vitc_f32_softsign), vf32_div(v, vf32_add(one, vf32_abs(v))))
VITC__ACTIVATION_SIMD(VITC_FN(vitc_f32_mish), vf32_mul(v, vf32_tanh(vf32_softplus(v))))
VITC__ACTIVATION_SIMD(VITC_FN(vitc_f32_shrink), vf32_select(vf32_cmplt(v, vf32_sub(zero, va)), vf32_add(v, vb),
                                          vf32_select(vf32_cmplt(va, v), vf32_sub(v, vb), zero)))
VITC__ACTIVATION_SIMD(VITC_FN(vitc_f32_sign), vf32_select(vf32_cmplt(zero, v), one,
                                        vf32_select(vf32_cmplt(v, zero), vf32_set1(-1.0f),
                                                    vf32_select(vf32_cmpeq(v, zero), zero, v))))
VITC__ACTIVATION_SIMD(VITC_FN(vitc_f32_round), vf32_round(v))
VITC__ACTIVATION_SIMD(VITC_FN(vitc_f32_sin), vf32_sin(v))
VITC__ACTIVATION_SIMD(VITC_FN(vitc_f32_cos), vf32_cos(v))
VITC__ACTIVATION_SIMD(VITC_FN(vitc_f32_tan), vf32_tan(v))
VITC__ACTIVATION_SIMD(VITC_FN(vitc_f32_asin), vf32_asin(v))
VITC__ACTIVATION_SIMD(VITC_FN(vitc_f32_acos), vf32_acos(v))
VITC__ACTIVATION_SIMD(VITC_FN(vitc_f32_atan), vf32_atan(v))
VITC__ACTIVATION_SIMD(VITC_FN(vitc_f32_sinh), VITC_FN(vitc__sinh_v)(v))
VITC__ACTIVATION_SIMD(VITC_FN(vitc_f32_cosh), vf32_mul(vf32_set1(0.5f), vf32_add(vf32_exp(v), vf32_exp(vf32_sub(zero, v)))))
VITC__ACTIVATION_SIMD(VITC_FN(vitc_f32_asinh), VITC_FN(vitc__asinh_v)(v))
VITC__ACTIVATION_SIMD(VITC_FN(vitc_f32_acosh), VITC_FN(vitc__acosh_v)(v))
VITC__ACTIVATION_SIMD(VITC_FN(vitc_f32_atanh), VITC_FN(vitc__atanh_v)(v))

#undef VITC__ACTIVATION_SIMD
