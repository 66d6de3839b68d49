/* templates/simd/fastmath.h: exp, sigmoid, tanh and erf on vectors, written once
 * against the shim API (templates/simd/bind.h) and instantiated by every shim.
 *
 * No include guard: each shim includes this after binding its generic names, so
 * the functions below become vitc_simd_scalar_exp, vitc_avx2_exp, ... Every ISA runs
 * the same algorithm with the same coefficients; they differ only in whether
 * vf32_fma fuses (the scalar shim leaves that to the C compiler).
 *
 * Maximum errors, measured by tests/check_simd.c against double-precision libm
 * over every 13th float of the domain (both signs, ~170 M points per function;
 * the test itself sweeps every 251st and asserts the "bound" column). 1 ulp is
 * the spacing of floats at the exact result (|result| >= FLT_MIN):
 *
 *   function      domain           avx2/avx512/neon      scalar shim         bound    outside the domain
 *   vf32_exp      [-87.33, 88.72]  1.00 ulp              0.96 ulp            1.5 ulp  +inf above 88.73; below,
 *                                                                                      denormals/0, abs err <= 1.05e-45
 *   vf32_sigmoid  [-87, 100]       2.44 ulp              2.44 ulp            3 ulp    0 below -88.7 (exact < 3e-39)
 *   vf32_tanh     [-12, 12]        5.05 ulp, abs 3.0e-7  5.57 ulp, abs 3.3e-7  6 ulp  +-1 beyond +-9
 *   vf32_erf      [-6, 6]          5.69 ulp, abs 3.4e-7  7.05 ulp, abs 4.2e-7  8 ulp  +-1 beyond +-4
 *
 * The fused ISAs compute the same roundings, so they share their numbers (neon is
 * also swept under qemu, more sparsely, by the same test); the scalar shim rounds
 * a * b and + c separately. NaN in gives NaN out;
 * exp(+inf) = +inf, exp(-inf) = 0, sigmoid(+-inf) = 1 / 0, tanh(+-inf) =
 * erf(+-inf) = +-1, and |tanh|, |erf| <= 1 always. docs/PERFORMANCE.md ("fast
 * math") says what these mean for a model's error budget.
 *
 * exp:  x = n ln2 + r with n = round(x / ln2) and |r| <= ln2/2 (Cody-Waite: ln2 in
 *       a 15-bit head, exact for every n in range, and a tail), e^r by a degree-6
 *       polynomial (minimax for relative error, 3e-9), and 2^n applied as two
 *       halves 2^h 2^(n-h), each a normal float, so results from 2^-150 (rounding to
 *       0 or a denormal) to 2^128 (overflowing to +inf) come out right. The input is
 *       clamped to [-104, 89] first, which keeps n in [-150, 128].
 * sigmoid: 1 / (1 + exp(-x)); relative error stays small for large negative x,
 *       where 1 + exp(-x) overflows to +inf and the result to 0 only below -88.7.
 * tanh, erf: x P(x^2) / Q(x^2), rationals of degree (9, 8) and (11, 10) with all
 *       coefficients positive (no cancellation; Q >= 1), fitted for minimax
 *       relative error (2.1e-8 and 2.5e-8 before rounding) on [0, 9] and [0, 4];
 *       the input is clamped there, where the float result is +-1 (tanh(9) and
 *       erf(4) are within one ulp of 1). Odd by construction, exact at 0, and
 *       accurate relative to tiny inputs (no 1 - something cancellation).
 * The coefficients come from templates/simd/fit_fastmath.py. */

/* e^x = 2^n e^r for x in [-104, 89]: n = round(x / ln2) into *n, and e^r returned
 * (|r| <= ln2/2): the reduction and polynomial of exp and exp_finite */
VITC_SIMD_INLINE vf32 VITC_SIMD_FN(exp_reduced)(vf32 x, vf32 *n) {
  vf32 r, r2, q;
  *n = vf32_round(vf32_mul(x, vf32_set1(1.44269502f))); /* x / ln2 */
  r = vf32_fma(*n, vf32_set1(-0.693145752f), x);         /* ln2 head 0x3f317200: n * head is exact */
  r = vf32_fma(*n, vf32_set1(-1.42860677e-06f), r);      /* ln2 tail */
  r2 = vf32_mul(r, r);
  q = vf32_fma(vf32_set1(0.00138146058f), r, vf32_set1(0.00836871099f));
  q = vf32_fma(q, r, vf32_set1(0.041668389f));
  q = vf32_fma(q, r, vf32_set1(0.166665211f));
  q = vf32_fma(q, r, vf32_set1(0.49999994f));
  return vf32_add(vf32_fma(q, r2, r), vf32_set1(1.0f)); /* 1 + r + r^2 q: e^r */
}

/* e^x */
VITC_SIMD_INLINE vf32 VITC_SIMD_FN(exp)(vf32 x) {
  vf32 n, p, h;
  x = vf32_min(vf32_set1(89.0f), vf32_max(vf32_set1(-104.0f), x)); /* NaN stays NaN */
  p = VITC_SIMD_FN(exp_reduced)(x, &n);
  h = vf32_round(vf32_mul(n, vf32_set1(0.5f)));
  return vf32_mul(vf32_mul(p, vf32_pow2i(h)), vf32_pow2i(vf32_sub(n, h)));
}

/* e^x for x in [-87, 87] (the caller clamps): 2^n (|n| <= 126) applied once by
 * vf32_ldexp instead of in two halves. */
VITC_SIMD_INLINE vf32 VITC_SIMD_FN(exp_finite)(vf32 x) {
  vf32 n;
  const vf32 p = VITC_SIMD_FN(exp_reduced)(x, &n);
  return vf32_ldexp(p, n);
}

/* 1 / (1 + e^-x) */
VITC_SIMD_INLINE vf32 VITC_SIMD_FN(sigmoid)(vf32 x) {
  const vf32 one = vf32_set1(1.0f);
  return vf32_div(one, vf32_add(one, VITC_SIMD_FN(exp)(vf32_sub(vf32_zero(), x))));
}

/* x P(x^2) / Q(x^2) with x clamped to [-lim, lim], then to [-1, 1] (tanh and erf
 * below): P and Q by Horner's rule from their highest coefficient, np and nq of
 * them. Every argument is a literal at its call, and the loops are unrolled (also
 * at -O2, where GCC would keep them), so they are the FMA chains with the
 * coefficients as constants. */
#ifndef VITC_SIMD_UNROLL
#if defined(__clang__)
#define VITC_SIMD_UNROLL _Pragma("clang loop unroll(full)")
#elif defined(__GNUC__)
#define VITC_SIMD_UNROLL _Pragma("GCC unroll 16")
#else
#define VITC_SIMD_UNROLL
#endif
#endif
VITC_SIMD_INLINE vf32 VITC_SIMD_FN(odd_rational)(vf32 x, float lim, const float *P, int np, const float *Q, int nq) {
  vf32 t, p, q;
  int i;
  x = vf32_min(vf32_set1(lim), vf32_max(vf32_set1(-lim), x));
  t = vf32_mul(x, x);
  p = vf32_set1(P[0]);
  VITC_SIMD_UNROLL
  for (i = 1; i < np; i++) p = vf32_fma(p, t, vf32_set1(P[i]));
  q = vf32_set1(Q[0]);
  VITC_SIMD_UNROLL
  for (i = 1; i < nq; i++) q = vf32_fma(q, t, vf32_set1(Q[i]));
  p = vf32_div(vf32_mul(x, p), q);
  return vf32_min(vf32_set1(1.0f), vf32_max(vf32_set1(-1.0f), p)); /* |tanh|, |erf| <= 1 despite rounding */
}

/* tanh x */
VITC_SIMD_INLINE vf32 VITC_SIMD_FN(tanh)(vf32 x) {
  static const float P[5] = {1.33556188e-08f, 2.06098557e-05f, 0.00349563849f, 0.133810699f, 1.0f};
  static const float Q[5] = {7.77697494e-07f, 0.000328571477f, 0.0258771777f, 0.467143863f, 1.0f};
  return VITC_SIMD_FN(odd_rational)(x, 9.0f, P, 5, Q, 5);
}

/* erf x */
VITC_SIMD_INLINE vf32 VITC_SIMD_FN(erf)(vf32 x) {
  static const float P[6] = {1.9869899e-06f, 0.000284542766f, 0.00388224074f, 0.0530982874f, 0.193519056f, 1.12837911f};
  static const float Q[6] = {3.74211522e-05f, 0.00118530821f, 0.0152050192f, 0.115339234f, 0.504834354f, 1.0f};
  return VITC_SIMD_FN(odd_rational)(x, 4.0f, P, 6, Q, 6);
}

/* ---- The GEMM/conv epilogue's activations, written once for every ISA ----
 * One function per entry of VITC_GEMM_ACTIVATIONS (templates/gemm/f32-gemm-epilogue.c:
 * codes and formulas), named after it, VITC_SIMD_FN(act_<NAME>)(v, a, b), with a and b
 * the activation's parameters broadcast (unused by most), so a kernel expands that
 * list into its switch and names no activation itself. The GEMM microkernels, the
 * depthwise and direct convs all call these.
 *   GELU       h + h erf(x / sqrt 2), h = x / 2, with vf32_erf (absolute error < 4e-7 |x|)
 *   GELU_TANH  x / (1 + exp(-2u)), -2u = x (-2 sqrt(2/pi)) (1 + 0.044715 x^2)
 *   RELU       max(0, x); NaN stays NaN
 *   SIGMOID    1 / (1 + e^-x) with -x clamped to [-87, 87] (1 + e^-x stays finite; the
 *              result is then below 2^-125, as the exact one, or 1) and the reciprocal by
 *              vf32_recip instead of a division, whose throughput made the SiLU after a
 *              short-K conv cost more than the conv; a few ulp
 *   SILU       x sigmoid(x)
 *   LEAKY_RELU fma(a, min(0, x), max(0, x)): a x below 0, x above (exact: one addend is 0)
 *   CLIP       min(b, max(a, x))
 *   HARD_SIGMOID  min(1, max(0, fma(a, x, b)))
 *   HARD_SWISH x hard_sigmoid(x)
 * (x second in max/min wherever its NaN must survive: vf32_max's contract.) */

VITC_SIMD_INLINE vf32 VITC_SIMD_FN(act_NONE)(vf32 v, vf32 a, vf32 b) {
  (void)a, (void)b;
  return v;
}
VITC_SIMD_INLINE vf32 VITC_SIMD_FN(act_GELU)(vf32 v, vf32 a, vf32 b) {
  const vf32 h = vf32_mul(v, vf32_set1(0.5f));
  (void)a, (void)b;
  return vf32_fma(h, VITC_SIMD_FN(erf)(vf32_mul(v, vf32_set1(0.707106781f))), h);
}
VITC_SIMD_INLINE vf32 VITC_SIMD_FN(act_GELU_TANH)(vf32 v, vf32 a, vf32 b) {
  const vf32 w = vf32_fma(vf32_mul(v, v), vf32_set1(0.044715f), vf32_set1(1.0f));
  const vf32 m2u = vf32_mul(vf32_mul(v, vf32_set1(-1.59576912f)), w);
  (void)a, (void)b;
  return vf32_div(v, vf32_add(vf32_set1(1.0f), VITC_SIMD_FN(exp)(m2u)));
}
VITC_SIMD_INLINE vf32 VITC_SIMD_FN(act_RELU)(vf32 v, vf32 a, vf32 b) {
  (void)a, (void)b;
  return vf32_max(vf32_zero(), v); /* v second: its NaN survives */
}
VITC_SIMD_INLINE vf32 VITC_SIMD_FN(act_SIGMOID)(vf32 v, vf32 a, vf32 b) {
  const vf32 m = vf32_max(vf32_set1(-87.0f), vf32_min(vf32_set1(87.0f), vf32_sub(vf32_zero(), v)));
  (void)a, (void)b;
  return vf32_recip(vf32_add(vf32_set1(1.0f), VITC_SIMD_FN(exp_finite)(m)));
}
VITC_SIMD_INLINE vf32 VITC_SIMD_FN(act_SILU)(vf32 v, vf32 a, vf32 b) {
  return vf32_mul(v, VITC_SIMD_FN(act_SIGMOID)(v, a, b));
}
VITC_SIMD_INLINE vf32 VITC_SIMD_FN(act_LEAKY_RELU)(vf32 v, vf32 a, vf32 b) {
  (void)b;
  return vf32_fma(a, vf32_min(vf32_zero(), v), vf32_max(vf32_zero(), v));
}
VITC_SIMD_INLINE vf32 VITC_SIMD_FN(act_CLIP)(vf32 v, vf32 a, vf32 b) { return vf32_min(b, vf32_max(a, v)); }
VITC_SIMD_INLINE vf32 VITC_SIMD_FN(act_HARD_SIGMOID)(vf32 v, vf32 a, vf32 b) {
  return vf32_min(vf32_set1(1.0f), vf32_max(vf32_zero(), vf32_fma(a, v, b)));
}
VITC_SIMD_INLINE vf32 VITC_SIMD_FN(act_HARD_SWISH)(vf32 v, vf32 a, vf32 b) {
  return vf32_mul(v, VITC_SIMD_FN(act_HARD_SIGMOID)(v, a, b));
}

/* floor and ceil from vf32_round (exact: round(x) is an integer within 1/2 of x, so
 * floor is it or it minus 1; |x| >= 2^23 is integral and kept; NaN stays NaN; a
 * zero result has x's sign, as in floorf/ceilf) */
VITC_SIMD_INLINE vf32 VITC_SIMD_FN(floor)(vf32 x) {
  const vf32 r = vf32_round(x);
  return vf32_select(vf32_cmplt(x, r), vf32_sub(r, vf32_set1(1.0f)), r);
}
VITC_SIMD_INLINE vf32 VITC_SIMD_FN(ceil)(vf32 x) {
  const vf32 r = vf32_round(x), r1 = vf32_add(r, vf32_set1(1.0f));
  /* -1 + 1 is +0, but ceil(-0.7) = -0: x * 0 has x's sign */
  return vf32_select(vf32_cmplt(r, x), vf32_select(vf32_cmpeq(r1, vf32_zero()), vf32_mul(x, vf32_zero()), r1), r);
}

/* natural log: x = 2^e m with m in [sqrt(1/2), sqrt(2)) (denormals scaled by 2^23
 * first), log(1 + f) for f = m - 1 by Cephes' degree-9 polynomial (logf of the
 * Cephes library, also SSE's sse_mathfun), e ln2 added in two parts. log(0) = -inf,
 * log(<0) = NaN, log(+inf) = +inf, NaN stays NaN. */
VITC_SIMD_INLINE vf32 VITC_SIMD_FN(log)(vf32 x) {
  const vf32 one = vf32_set1(1.0f);
  const vm32 tiny = vf32_cmplt(x, vf32_set1(1.17549435e-38f)); /* below FLT_MIN (and <= 0) */
  const vf32 xs = vf32_select(tiny, vf32_mul(x, vf32_set1(8388608.0f)), x);
  vf32 e = vf32_sub(vf32_exponent(xs), vf32_select(tiny, vf32_set1(23.0f), vf32_zero()));
  vf32 m = vf32_mantissa(xs), f, z, y, r;
  const vm32 big = vf32_cmplt(vf32_set1(1.41421356f), m);
  m = vf32_select(big, vf32_mul(m, vf32_set1(0.5f)), m);
  e = vf32_select(big, vf32_add(e, one), e);
  f = vf32_sub(m, one);
  z = vf32_mul(f, f);
  y = vf32_fma(vf32_set1(7.0376836292e-2f), f, vf32_set1(-1.1514610310e-1f));
  y = vf32_fma(y, f, vf32_set1(1.1676998740e-1f));
  y = vf32_fma(y, f, vf32_set1(-1.2420140846e-1f));
  y = vf32_fma(y, f, vf32_set1(1.4249322787e-1f));
  y = vf32_fma(y, f, vf32_set1(-1.6668057665e-1f));
  y = vf32_fma(y, f, vf32_set1(2.0000714765e-1f));
  y = vf32_fma(y, f, vf32_set1(-2.4999993993e-1f));
  y = vf32_fma(y, f, vf32_set1(3.3333331174e-1f));
  y = vf32_mul(vf32_mul(y, f), z);
  y = vf32_fma(e, vf32_set1(-2.12194440e-4f), y);
  y = vf32_fma(z, vf32_set1(-0.5f), y);
  r = vf32_add(f, y);
  r = vf32_fma(e, vf32_set1(0.693359375f), r);
  r = vf32_select(vf32_cmplt(x, vf32_zero()), vf32_set1(NAN), r);
  r = vf32_select(vf32_cmpeq(x, vf32_zero()), vf32_set1(-INFINITY), r);
  r = vf32_select(vf32_cmpeq(x, vf32_set1(INFINITY)), x, r);
  return vf32_select(vf32_cmpeq(x, x), r, x); /* NaN in, NaN out */
}

/* lanes where v / 2 is not an integer: the odd integers (pow's odd exponents, the
 * circular functions' odd quadrants) and every non-integer */
VITC_SIMD_INLINE vm32 VITC_SIMD_FN(vitc__not_even)(vf32 v) {
  const vf32 half = vf32_mul(v, vf32_set1(0.5f));
  return vm32_not(vf32_cmpeq(vf32_round(half), half));
}

/* a^b as exp(b log|a|): a finite negative a gives NaN unless b is an integer,
 * then the sign of a^b; a^0 = 1 and 1^b = 1 for every a, b (NaN included), as powf. The
 * error grows with |b log a| (log's absolute error times it): about 1e-5 relative
 * where the result nears the float range (|b log a| ~ 88), a few ulp near 1. */
VITC_SIMD_INLINE vf32 VITC_SIMD_FN(pow)(vf32 a, vf32 b) {
  const vf32 one = vf32_set1(1.0f);
  vf32 r = VITC_SIMD_FN(exp)(vf32_mul(b, VITC_SIMD_FN(log)(vf32_abs(a))));
  const vm32 integral = vf32_cmpeq(vf32_round(b), b);
  const vm32 odd = vm32_and(integral, VITC_SIMD_FN(vitc__not_even)(b));
  const vm32 neg = vf32_cmplt(a, vf32_zero());
  r = vf32_select(vm32_and(neg, odd), vf32_sub(vf32_zero(), r), r);
  /* a finite negative a with a fractional b: NaN (-inf ^ b is +inf or 0, r already) */
  r = vf32_select(vm32_and(vm32_and(neg, vf32_cmplt(vf32_set1(-INFINITY), a)), vm32_not(integral)), vf32_set1(NAN), r);
  return vf32_select(vm32_or(vf32_cmpeq(b, vf32_zero()), vf32_cmpeq(a, one)), one, r);
}

/* log(1 + t), t > -1: log(u) t / (u - 1) with u = 1 + t rounded, which corrects
 * for that rounding (Kahan); t where u rounds to 1 */
VITC_SIMD_INLINE vf32 VITC_SIMD_FN(log1p)(vf32 t) {
  const vf32 u = vf32_add(vf32_set1(1.0f), t), d = vf32_sub(u, vf32_set1(1.0f));
  const vf32 r = vf32_div(vf32_mul(VITC_SIMD_FN(log)(u), t), d);
  return vf32_select(vf32_cmpeq(d, vf32_zero()), t, vf32_select(vf32_cmpeq(u, vf32_set1(INFINITY)), u, r));
}

/* e^x - 1: for |x| < 1, (u - 1) x / log u with u = e^x (Kahan's correction
 * again: accurate relative to small x; x where u rounds to 1); beyond, u - 1
 * (the subtraction loses at most a bit there, and (u - 1) x would overflow) */
VITC_SIMD_INLINE vf32 VITC_SIMD_FN(expm1)(vf32 x) {
  const vf32 one = vf32_set1(1.0f), u = VITC_SIMD_FN(exp)(x), d = vf32_sub(u, one);
  const vf32 r = vf32_div(vf32_mul(d, x), VITC_SIMD_FN(log)(u));
  const vm32 plain = vm32_not(vf32_cmplt(vf32_abs(x), one));
  return vf32_select(vf32_cmpeq(d, vf32_zero()), x, vf32_select(plain, d, r));
}

/* log(1 + e^x) = max(x, 0) + log1p(e^-|x|): neither overflows nor loses the tail */
VITC_SIMD_INLINE vf32 VITC_SIMD_FN(softplus)(vf32 x) {
  const vf32 m = vf32_select(vf32_cmplt(vf32_zero(), x), x, vf32_zero());
  return vf32_add(m, VITC_SIMD_FN(log1p)(VITC_SIMD_FN(exp)(vf32_sub(vf32_zero(), vf32_abs(x)))));
}

/* The circular functions, Cephes' single-precision algorithms (sinf, cosf, tanf,
 * asinf, acosf, atanf of the Cephes library; also in sse_mathfun):
 * sin, cos, tan: n = round(x 2/pi), r = x - n pi/2 in three parts (Cody-Waite; the
 *       first has 8 significant bits, so n times it is exact while |n| < 2^16, i.e.
 *       |x| < ~1e5: the domain, beyond which the reduction loses accuracy), |r| <= pi/4;
 *       sin r and cos r by Cephes' polynomials, picked and signed by n mod 4. tan is
 *       sin r / cos r (or -cos r / sin r). Infinity or NaN gives NaN; +-0 is kept.
 * atan: |x| > tan(3pi/8): pi/2 + atan(-1/|x|); > tan(pi/8): pi/4 + atan((|x|-1)/(|x|+1));
 *       then Cephes' degree-9 odd polynomial, the sign of x put back.
 * asin: |x| > 1/2: pi/2 - 2 asin(sqrt((1 - |x|)/2)), else the polynomial of |x|;
 *       |x| > 1 is NaN (the square root of a negative).
 * acos: 2 asin(sqrt((1 - x)/2)) above 1/2, pi - the same of -x below -1/2, else
 *       pi/2 - asin(x), each asin in the small range where the polynomial holds.
 * tests/check_simd.c compares them with libm's float functions on every ISA. */
VITC_SIMD_INLINE vf32 VITC_SIMD_FN(vitc__trig_reduce)(vf32 x, vf32 *q) {
  const vf32 n = vf32_round(vf32_mul(x, vf32_set1(0.636619772f)));
  vf32 r = vf32_fma(n, vf32_set1(-1.5703125f), x);
  r = vf32_fma(n, vf32_set1(-4.837512969970703125e-4f), r);
  r = vf32_fma(n, vf32_set1(-7.54978995489188216e-8f), r);
  *q = vf32_sub(n, vf32_mul(vf32_set1(4.0f), VITC_SIMD_FN(floor)(vf32_mul(n, vf32_set1(0.25f))))); /* n mod 4 */
  return r;
}
VITC_SIMD_INLINE vf32 VITC_SIMD_FN(vitc__sin_poly)(vf32 r) { /* |r| <= pi/4 */
  const vf32 z = vf32_mul(r, r);
  vf32 p = vf32_fma(vf32_set1(-1.9515295891e-4f), z, vf32_set1(8.3321608736e-3f));
  p = vf32_fma(p, z, vf32_set1(-1.6666654611e-1f));
  return vf32_fma(vf32_mul(p, z), r, r);
}
VITC_SIMD_INLINE vf32 VITC_SIMD_FN(vitc__cos_poly)(vf32 r) {
  const vf32 z = vf32_mul(r, r);
  vf32 p = vf32_fma(vf32_set1(2.443315711809948e-5f), z, vf32_set1(-1.388731625493765e-3f));
  p = vf32_fma(p, z, vf32_set1(4.166664568298827e-2f));
  return vf32_fma(vf32_mul(p, z), z, vf32_fma(z, vf32_set1(-0.5f), vf32_set1(1.0f)));
}
/* sin (cos with shift 1): the quadrant q + shift picks sin r or cos r (odd) and the
 * sign (2, 3) */
VITC_SIMD_INLINE vf32 VITC_SIMD_FN(vitc__sincos)(vf32 x, float shift) {
  vf32 q, r = VITC_SIMD_FN(vitc__trig_reduce)(x, &q), v;
  q = vf32_add(q, vf32_set1(shift));
  q = vf32_select(vf32_cmple(vf32_set1(4.0f), q), vf32_sub(q, vf32_set1(4.0f)), q);
  v = vf32_select(VITC_SIMD_FN(vitc__not_even)(q), VITC_SIMD_FN(vitc__cos_poly)(r), VITC_SIMD_FN(vitc__sin_poly)(r));
  return vf32_select(vf32_cmple(vf32_set1(2.0f), q), vf32_sub(vf32_zero(), v), v);
}
VITC_SIMD_INLINE vf32 VITC_SIMD_FN(sin)(vf32 x) {
  return vf32_select(vf32_cmpeq(x, vf32_zero()), x, VITC_SIMD_FN(vitc__sincos)(x, 0.0f));
}
VITC_SIMD_INLINE vf32 VITC_SIMD_FN(cos)(vf32 x) { return VITC_SIMD_FN(vitc__sincos)(x, 1.0f); }
VITC_SIMD_INLINE vf32 VITC_SIMD_FN(tan)(vf32 x) {
  vf32 q;
  const vf32 r = VITC_SIMD_FN(vitc__trig_reduce)(x, &q);
  const vf32 s = VITC_SIMD_FN(vitc__sin_poly)(r), c = VITC_SIMD_FN(vitc__cos_poly)(r);
  const vf32 t = vf32_select(VITC_SIMD_FN(vitc__not_even)(q), vf32_div(vf32_sub(vf32_zero(), c), s), vf32_div(s, c));
  return vf32_select(vf32_cmpeq(x, vf32_zero()), x, t);
}
/* an odd function's result: v, computed for |x|, with the sign of x; x itself at +-0 */
VITC_SIMD_INLINE vf32 VITC_SIMD_FN(vitc__odd_result)(vf32 x, vf32 v) {
  const vf32 s = vf32_select(vf32_cmplt(x, vf32_zero()), vf32_sub(vf32_zero(), v), v);
  return vf32_select(vf32_cmpeq(x, vf32_zero()), x, s);
}
VITC_SIMD_INLINE vf32 VITC_SIMD_FN(atan)(vf32 x) {
  const vf32 a = vf32_abs(x), one = vf32_set1(1.0f);
  const vm32 big = vf32_cmplt(vf32_set1(2.414213562373095f), a), mid = vf32_cmplt(vf32_set1(0.4142135623730950f), a);
  const vf32 y0 = vf32_select(big, vf32_set1(1.5707963267948966f), vf32_select(mid, vf32_set1(0.7853981633974483f),
                                                                                  vf32_zero()));
  const vf32 t = vf32_select(big, vf32_div(vf32_set1(-1.0f), a),
                             vf32_select(mid, vf32_div(vf32_sub(a, one), vf32_add(a, one)), a));
  const vf32 z = vf32_mul(t, t);
  vf32 p = vf32_fma(vf32_set1(8.05374449538e-2f), z, vf32_set1(-1.38776856032e-1f));
  p = vf32_fma(p, z, vf32_set1(1.99777106478e-1f));
  p = vf32_fma(p, z, vf32_set1(-3.33329491539e-1f));
  return VITC_SIMD_FN(vitc__odd_result)(x, vf32_add(y0, vf32_fma(vf32_mul(p, z), t, t)));
}
/* asin of u in [0, 1/2] (Cephes' polynomial in u^2) */
VITC_SIMD_INLINE vf32 VITC_SIMD_FN(vitc__asin_small)(vf32 u) {
  const vf32 z = vf32_mul(u, u);
  vf32 p = vf32_fma(vf32_set1(4.2163199048e-2f), z, vf32_set1(2.4181311049e-2f));
  p = vf32_fma(p, z, vf32_set1(4.5470025998e-2f));
  p = vf32_fma(p, z, vf32_set1(7.4953002686e-2f));
  p = vf32_fma(p, z, vf32_set1(1.6666752422e-1f));
  return vf32_fma(vf32_mul(p, z), u, u);
}
VITC_SIMD_INLINE vf32 VITC_SIMD_FN(asin)(vf32 x) {
  const vf32 a = vf32_abs(x), half = vf32_set1(0.5f);
  const vm32 hi = vf32_cmplt(half, a);
  const vf32 u = vf32_select(hi, vf32_sqrt(vf32_mul(half, vf32_sub(vf32_set1(1.0f), a))), a);
  const vf32 s = VITC_SIMD_FN(vitc__asin_small)(u);
  const vf32 v = vf32_select(hi, vf32_fma(s, vf32_set1(-2.0f), vf32_set1(1.5707963267948966f)), s);
  /* |x| > 1: the square root of a negative is NaN, and so is v */
  return VITC_SIMD_FN(vitc__odd_result)(x, vf32_select(vf32_cmpeq(u, u), v, u));
}
VITC_SIMD_INLINE vf32 VITC_SIMD_FN(acos)(vf32 x) {
  const vf32 half = vf32_set1(0.5f), one = vf32_set1(1.0f);
  const vm32 hi = vf32_cmplt(half, x), lo = vf32_cmplt(x, vf32_set1(-0.5f));
  const vf32 u = vf32_select(hi, vf32_sqrt(vf32_mul(half, vf32_sub(one, x))),
                             vf32_select(lo, vf32_sqrt(vf32_mul(half, vf32_add(one, x))), x));
  const vf32 s = VITC_SIMD_FN(vitc__asin_small)(u);
  const vf32 v = vf32_select(hi, vf32_add(s, s),
                             vf32_select(lo, vf32_fma(s, vf32_set1(-2.0f), vf32_set1(3.14159265358979f)),
                                         vf32_sub(vf32_set1(1.5707963267948966f), s)));
  return vf32_select(vf32_cmpeq(u, u), v, u);
}
