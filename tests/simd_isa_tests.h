/* tests/simd_isa_tests.h: the SIMD shim and the shim-based kernels, tested for the
 * shim that is bound when this file is included (tests/check_simd.c includes it
 * once per ISA, after templates/simd/<isa>.h, and unbinds in between).
 *
 * Defines VITC_FN(simd_test_isa)(const SimdParams *), e.g. simd_test_isa_avx2,
 * which runs everything below and returns the number of failed checks:
 *   api        every shim operation on every tail length 0..VITC_LANES, against
 *              the same operation on floats; tail stores must leave guards alone
 *   fastmath   exp, sigmoid, tanh, erf over dense sweeps (every params->step-th
 *              float of the domain, both signs) against libm in double: the max
 *              error in ulp (and absolute) must stay within the documented bounds
 *              of templates/simd/fastmath.h; special values exactly
 *   kernels    each shim-based kernel template against its scalar template on
 *              lengths around the vector width, 197-style remainders, in place
 * Helpers it uses (rng, fail, ulp_err, guarded buffers) are in check_simd.c. */

#define SIMD_ISA_NAME SIMD_STR(VITC_SIMD_ISA)

#include "norm/f32-softmax-simd.c"
#include "norm/f32-groupnorm-simd.c" /* and f32-layernorm-simd.c */
#include "eltwise/f32-unary-simd.c"
#include "eltwise/x-binary-simd.c"
#include "eltwise/f32-activation-simd.c"
#include "eltwise/f32-prelu-simd.c"
#include "pool/f32-pool2d-simd.c"
#include "norm/f32-lrn-simd.c"
#include "reduce/f32-reduce-simd.c"
#include "reduce/f32-argreduce-simd.c"
#include "quant/x-quant-simd.c"
#include "gemm/f32-gemm-simd.c"
#include "einsum/f32-einsum-simd.c"
#include "reduce/f32-cumsum-simd.c"
#include "eltwise/f32-classify-simd.c"
#include "layout/f32-tokens-simd.c"

/* ------------------------------------------------------------------ api */

static void VITC_FN(t_api)(void) {
  const char *isa = SIMD_ISA_NAME;
  float a[VITC_LANES], b[VITC_LANES], c[VITC_LANES], out[VITC_LANES + GUARD], ref[VITC_LANES];
  int n, i, round;
  for (round = 0; round < 50; round++) {
    vf32 va, vb, vc;
    float want;
    for (i = 0; i < VITC_LANES; i++) {
      a[i] = rng_f(-100.0f, 100.0f);
      b[i] = rng_f(-100.0f, 100.0f);
      if (b[i] == 0.0f) b[i] = 1.0f;
      c[i] = rng_f(-100.0f, 100.0f);
    }
    va = vf32_load(a);
    vb = vf32_load(b);
    vc = vf32_load(c);
#define SIMD_CHECK_OP(NAME, VEXPR, SEXPR)                                                                              \
  do {                                                                                                                 \
    guard_fill(out, VITC_LANES);                                                                                       \
    vf32_store(out, VEXPR);                                                                                            \
    for (i = 0; i < VITC_LANES; i++) ref[i] = SEXPR;                                                                   \
    for (i = 0; i < VITC_LANES; i++)                                                                                   \
      if (!same_f32(out[i], ref[i]))                                                                                   \
        simd_fail(isa, "api %s lane %d: %.9g, want %.9g", NAME, i, (double)out[i], (double)ref[i]);                    \
    guard_check(isa, "api store", out, VITC_LANES);                                                                    \
  } while (0)
    SIMD_CHECK_OP("load/store", va, a[i]);
    SIMD_CHECK_OP("set1", vf32_set1(a[0]), a[0]);
    SIMD_CHECK_OP("zero", vf32_zero(), 0.0f);
    SIMD_CHECK_OP("add", vf32_add(va, vb), a[i] + b[i]);
    SIMD_CHECK_OP("sub", vf32_sub(va, vb), a[i] - b[i]);
    SIMD_CHECK_OP("mul", vf32_mul(va, vb), a[i] * b[i]);
    SIMD_CHECK_OP("div", vf32_div(va, vb), a[i] / b[i]);
    SIMD_CHECK_OP("max", vf32_max(va, vb), a[i] > b[i] ? a[i] : b[i]);
    SIMD_CHECK_OP("min", vf32_min(va, vb), a[i] < b[i] ? a[i] : b[i]);
    /* fma: fused (one rounding) or not (two), either is within 1 ulp of the exact double */
    guard_fill(out, VITC_LANES);
    vf32_store(out, vf32_fma(va, vb, vc));
    for (i = 0; i < VITC_LANES; i++) {
      const double exact = (double)a[i] * b[i] + c[i];
      if (fabs(out[i] - exact) > 2.0 * FLT_EPSILON * fabs((double)a[i] * b[i]) + FLT_EPSILON * fabs(exact))
        simd_fail(isa, "api fma lane %d: %.9g, want %.9g", i, (double)out[i], exact);
    }
    /* horizontal: any summation order is within n ulp of the double sum */
    {
      double s = 0.0, sa = 0.0;
      float m = a[0];
      for (i = 0; i < VITC_LANES; i++) {
        s += a[i];
        sa += fabs(a[i]);
        m = a[i] > m ? a[i] : m;
      }
      want = vf32_hsum(va);
      if (fabs(want - s) > VITC_LANES * FLT_EPSILON * sa) simd_fail(isa, "api hsum: %.9g, want %.9g", (double)want, s);
      if (vf32_hmax(va) != m) simd_fail(isa, "api hmax: %.9g, want %.9g", (double)vf32_hmax(va), (double)m);
    }
    /* round: nearest, ties to even, on halves and random values */
    for (i = 0; i < VITC_LANES; i++)
      a[i] = (float)((int)rng_int(2001) - 1000) * 0.5f + (round & 1 ? 0.0f : rng_f(-0.49f, 0.49f));
    va = vf32_load(a);
    SIMD_CHECK_OP("round", vf32_round(va), rintf(a[i]));
#undef SIMD_CHECK_OP
  }
  /* pow2i over its whole domain */
  for (n = -126; n <= 127; n++) {
    vf32_store(out, vf32_pow2i(vf32_set1((float)n)));
    for (i = 0; i < VITC_LANES; i++)
      if (out[i] != ldexpf(1.0f, n)) simd_fail(isa, "api pow2i(%d) lane %d: %.9g", n, i, (double)out[i]);
  }
  /* hmax with -inf everywhere but one lane; hsum of exact small integers */
  for (n = 0; n < VITC_LANES; n++) {
    for (i = 0; i < VITC_LANES; i++) a[i] = i == n ? 3.0f : -INFINITY;
    if (vf32_hmax(vf32_load(a)) != 3.0f) simd_fail(isa, "api hmax one lane %d", n);
    for (i = 0; i < VITC_LANES; i++) a[i] = (float)(i + 1);
    if (vf32_hsum(vf32_load(a)) != (float)(VITC_LANES * (VITC_LANES + 1) / 2)) simd_fail(isa, "api hsum of 1..lanes");
  }
  /* tails: every n in 0..lanes, loads see only p[0..n), stores write only p[0..n) */
  for (n = 0; n <= VITC_LANES; n++) {
    float src[VITC_LANES];
    for (i = 0; i < VITC_LANES; i++) src[i] = (float)(i + 1);
    vf32_store(out, vf32_load_tail(src, n));
    for (i = 0; i < VITC_LANES; i++)
      if (out[i] != (i < n ? src[i] : 0.0f)) simd_fail(isa, "api load_tail n=%d lane %d: %g", n, i, (double)out[i]);
    vf32_store(out, vf32_load_tail_fill(src, n, -INFINITY));
    for (i = 0; i < VITC_LANES; i++)
      if (out[i] != (i < n ? src[i] : -INFINITY))
        simd_fail(isa, "api load_tail_fill n=%d lane %d: %g", n, i, (double)out[i]);
    guard_fill(out, 0);
    vf32_store_tail(out, vf32_load(src), n);
    for (i = 0; i < n; i++)
      if (out[i] != src[i]) simd_fail(isa, "api store_tail n=%d lane %d: %g", n, i, (double)out[i]);
    guard_check(isa, "api store_tail", out, n);
  }
  /* a tail load ending exactly at the end of a buffer: must not touch the next page
   * (the buffer is the last floats of a malloc'ed block, and asan/valgrind would
   * see an over-read; without them this checks the values) */
  {
    float *p = malloc(3 * sizeof(float));
    p[0] = 1.0f;
    p[1] = 2.0f;
    p[2] = 3.0f;
    vf32_store(out, vf32_load_tail(p, VITC_LANES < 3 ? VITC_LANES : 3));
    for (i = 0; i < (VITC_LANES < 3 ? VITC_LANES : 3); i++)
      if (out[i] != p[i]) simd_fail(isa, "api load_tail at buffer end lane %d", i);
    free(p);
  }
}

/* ------------------------------------------------------------------ fast math */

/* One fast function over every step-th float of [lo, hi] (both signs), in blocks
 * of lanes of distinct inputs. Errors are in ulp of the exact (double) result
 * where that is a normal float, else absolute. */
static void VITC_FN(sweep_block)(const char *fname, vf32 (*f)(vf32), SimdRef ref, const float *xs, float *ys, int k,
                                 SimdErr *err) {
  int i;
  for (i = 0; i + VITC_LANES <= k; i += VITC_LANES) vf32_store(ys + i, f(vf32_load(xs + i)));
  if (i < k) vf32_store_tail(ys + i, f(vf32_load_tail(xs + i, k - i)), k - i);
  for (i = 0; i < k; i++) err_add(err, fname, xs[i], ys[i], ref((double)xs[i]));
}

static void VITC_FN(sweep)(const char *fname, vf32 (*f)(vf32), SimdRef ref, float lo, float hi, unsigned step,
                           SimdErr *err) {
  enum { B = 4096 };
  float xs[B], ys[B];
  int k = 0, sign;
  for (sign = 0; sign < 2; sign++) {
    uint64_t bits;
    for (bits = sign; bits < 0x7f800000u; bits += step) { /* +0 once; odd offset for negatives */
      const uint32_t b32 = (uint32_t)bits;
      float x;
      memcpy(&x, &b32, sizeof x);
      if (sign) x = -x;
      if (x < lo || x > hi) continue;
      xs[k++] = x;
      if (k == B) {
        VITC_FN(sweep_block)(fname, f, ref, xs, ys, k, err);
        k = 0;
      }
    }
  }
  VITC_FN(sweep_block)(fname, f, ref, xs, ys, k, err);
}

static vf32 VITC_FN(f_exp)(vf32 x) { return vf32_exp(x); }
static vf32 VITC_FN(f_sigmoid)(vf32 x) { return vf32_sigmoid(x); }
static vf32 VITC_FN(f_tanh)(vf32 x) { return vf32_tanh(x); }
static vf32 VITC_FN(f_erf)(vf32 x) { return vf32_erf(x); }
static vf32 VITC_FN(f_log)(vf32 x) { return vf32_log(x); }
static vf32 VITC_FN(f_log1p)(vf32 x) { return vf32_log1p(x); }
static vf32 VITC_FN(f_expm1)(vf32 x) { return vf32_expm1(x); }
static vf32 VITC_FN(f_floor)(vf32 x) { return vf32_floor(x); }
static vf32 VITC_FN(f_ceil)(vf32 x) { return vf32_ceil(x); }

/* f at one x (lane 0 of a broadcast) */
static float VITC_FN(at)(vf32 (*f)(vf32), float x) {
  float out[VITC_LANES];
  vf32_store(out, f(vf32_set1(x)));
  return out[0];
}

static void VITC_FN(t_fastmath)(const SimdParams *prm) {
  const char *isa = SIMD_ISA_NAME;
  SimdErr e;
  /* the documented bounds (templates/simd/fastmath.h) */
  err_init(&e);
  VITC_FN(sweep)("exp", VITC_FN(f_exp), exp, -87.33f, 88.72f, prm->step, &e);
  err_report(isa, "exp", "[-87.33, 88.72]", &e, SIMD_EXP_ULP, HUGE_VAL);
  err_init(&e);
  VITC_FN(sweep)("exp", VITC_FN(f_exp), exp, -110.0f, -87.33f, prm->step / 4 + 1, &e);
  err_report(isa, "exp", "[-110, -87.33] (denormal)", &e, HUGE_VAL, SIMD_EXP_DENORMAL_ABS);
  err_init(&e);
  VITC_FN(sweep)("sigmoid", VITC_FN(f_sigmoid), ref_sigmoid, -87.0f, 100.0f, prm->step, &e);
  err_report(isa, "sigmoid", "[-87, 100]", &e, SIMD_SIGMOID_ULP, HUGE_VAL);
  err_init(&e);
  VITC_FN(sweep)("tanh", VITC_FN(f_tanh), tanh, -12.0f, 12.0f, prm->step, &e);
  err_report(isa, "tanh", "[-12, 12]", &e, SIMD_TANH_ULP, SIMD_TANH_ABS);
  err_init(&e);
  VITC_FN(sweep)("erf", VITC_FN(f_erf), erf, -6.0f, 6.0f, prm->step, &e);
  err_report(isa, "erf", "[-6, 6]", &e, SIMD_ERF_ULP, SIMD_ERF_ABS);
  err_init(&e);
  VITC_FN(sweep)("log", VITC_FN(f_log), log, 0.0f, FLT_MAX, prm->step, &e);
  err_report(isa, "log", "(0, FLT_MAX] (denormals too)", &e, SIMD_LOG_ULP, HUGE_VAL);
  err_init(&e);
  VITC_FN(sweep)("log1p", VITC_FN(f_log1p), log1p, -0.999f, 1e30f, prm->step, &e);
  err_report(isa, "log1p", "[-0.999, 1e30]", &e, SIMD_LOG1P_ULP, HUGE_VAL);
  err_init(&e);
  VITC_FN(sweep)("expm1", VITC_FN(f_expm1), expm1, -87.0f, 88.7f, prm->step, &e);
  err_report(isa, "expm1", "[-87, 88.7]", &e, SIMD_EXPM1_ULP, HUGE_VAL);
  err_init(&e);
  VITC_FN(sweep)("floor", VITC_FN(f_floor), floor, -3e38f, 3e38f, prm->step, &e);
  err_report(isa, "floor", "all finite", &e, 0.0, 0.0);
  err_init(&e);
  VITC_FN(sweep)("ceil", VITC_FN(f_ceil), ceil, -3e38f, 3e38f, prm->step, &e);
  err_report(isa, "ceil", "all finite", &e, 0.0, 0.0);
  /* special values */
#define SIMD_SPECIAL(F, X, WANT)                                                                                       \
  do {                                                                                                                 \
    const float got_ = VITC_FN(at)(VITC_FN(F), X), want_ = (WANT);                                                     \
    if (!same_f32(got_, want_)) simd_fail(isa, #F "(%g) = %.9g, want %.9g", (double)(X), (double)got_, (double)want_); \
  } while (0)
  SIMD_SPECIAL(f_exp, 0.0f, 1.0f);
  SIMD_SPECIAL(f_exp, -0.0f, 1.0f);
  SIMD_SPECIAL(f_exp, INFINITY, INFINITY);
  SIMD_SPECIAL(f_exp, 88.73f, INFINITY);
  SIMD_SPECIAL(f_exp, 1000.0f, INFINITY);
  SIMD_SPECIAL(f_exp, -INFINITY, 0.0f);
  SIMD_SPECIAL(f_exp, -1000.0f, 0.0f);
  SIMD_SPECIAL(f_exp, NAN, NAN);
  SIMD_SPECIAL(f_sigmoid, 0.0f, 0.5f);
  SIMD_SPECIAL(f_sigmoid, INFINITY, 1.0f);
  SIMD_SPECIAL(f_sigmoid, 100.0f, 1.0f);
  SIMD_SPECIAL(f_sigmoid, -INFINITY, 0.0f);
  SIMD_SPECIAL(f_sigmoid, -1000.0f, 0.0f);
  SIMD_SPECIAL(f_sigmoid, NAN, NAN);
  SIMD_SPECIAL(f_tanh, 0.0f, 0.0f);
  SIMD_SPECIAL(f_tanh, -0.0f, -0.0f);
  SIMD_SPECIAL(f_tanh, INFINITY, 1.0f);
  SIMD_SPECIAL(f_tanh, -INFINITY, -1.0f);
  SIMD_SPECIAL(f_tanh, 1e-30f, 1e-30f);
  SIMD_SPECIAL(f_tanh, NAN, NAN);
  SIMD_SPECIAL(f_erf, 0.0f, 0.0f);
  SIMD_SPECIAL(f_erf, -0.0f, -0.0f);
  SIMD_SPECIAL(f_erf, INFINITY, 1.0f);
  SIMD_SPECIAL(f_erf, -INFINITY, -1.0f);
  SIMD_SPECIAL(f_erf, 5.0f, 1.0f);
  SIMD_SPECIAL(f_erf, NAN, NAN);
  SIMD_SPECIAL(f_log, 1.0f, 0.0f);
  SIMD_SPECIAL(f_log, 0.0f, -INFINITY);
  SIMD_SPECIAL(f_log, -0.0f, -INFINITY);
  SIMD_SPECIAL(f_log, -1.0f, NAN);
  SIMD_SPECIAL(f_log, -INFINITY, NAN);
  SIMD_SPECIAL(f_log, INFINITY, INFINITY);
  SIMD_SPECIAL(f_log, NAN, NAN);
  SIMD_SPECIAL(f_log1p, -1.0f, -INFINITY);
  SIMD_SPECIAL(f_log1p, 0.0f, 0.0f);
  SIMD_SPECIAL(f_log1p, 1e-30f, 1e-30f);
  SIMD_SPECIAL(f_log1p, INFINITY, INFINITY);
  SIMD_SPECIAL(f_expm1, 0.0f, 0.0f);
  SIMD_SPECIAL(f_expm1, 1e-30f, 1e-30f);
  SIMD_SPECIAL(f_expm1, -INFINITY, -1.0f);
  SIMD_SPECIAL(f_expm1, -1000.0f, -1.0f);
  SIMD_SPECIAL(f_expm1, INFINITY, INFINITY);
  SIMD_SPECIAL(f_expm1, NAN, NAN);
  SIMD_SPECIAL(f_floor, -0.5f, -1.0f);
  SIMD_SPECIAL(f_floor, -0.0f, -0.0f);
  SIMD_SPECIAL(f_floor, 2.5f, 2.0f);
  SIMD_SPECIAL(f_floor, -INFINITY, -INFINITY);
  SIMD_SPECIAL(f_floor, NAN, NAN);
  SIMD_SPECIAL(f_ceil, -0.5f, -0.0f);
  SIMD_SPECIAL(f_ceil, 2.5f, 3.0f);
  SIMD_SPECIAL(f_ceil, INFINITY, INFINITY);
#undef SIMD_SPECIAL
}

/* ------------------------------------------------------------------ kernels */

static void VITC_FN(t_softmax)(void) {
  const char *isa = SIMD_ISA_NAME;
  int li, inner_i, inplace;
  static const int inners[] = {1, 2, 3, 17};
  for (li = 1; li < SIMD_NLEN; li++)
    for (inner_i = 0; inner_i < 4; inner_i++)
      for (inplace = 0; inplace < 2; inplace++) {
        const int len = simd_lengths[li], inner = inners[inner_i], outer = 3;
        const int n = outer * len * inner;
        float *x = buf_rand(n, -20.0f, 20.0f), *ref = buf_new(n), *got = buf_new(n);
        int i;
        if (len > 4) x[len / 2] = -INFINITY; /* a masked-out score */
        vitc_f32_softmax_scalar(outer, len, inner, x, ref);
        if (inplace) {
          memcpy(got, x, (size_t)n * sizeof(float));
          VITC_FN(vitc_f32_softmax)(outer, len, inner, got, got);
        } else {
          VITC_FN(vitc_f32_softmax)(outer, len, inner, x, got);
        }
        for (i = 0; i < n; i++)
          if (!close_rel(got[i], ref[i], 2e-6, 1e-38)) {
            simd_fail(isa, "softmax outer %d len %d inner %d%s: [%d] %.9g, want %.9g", outer, len, inner,
                      inplace ? " in place" : "", i, (double)got[i], (double)ref[i]);
            break;
          }
        guard_check(isa, "softmax", got, n);
        free(x);
        free(ref);
        free(got);
      }
}

static void VITC_FN(t_layernorm)(void) {
  const char *isa = SIMD_ISA_NAME;
  int li, variant;
  for (li = 1; li < SIMD_NLEN; li++)
    for (variant = 0; variant < 4; variant++) {
      const int cols = simd_lengths[li], rows = 5, n = rows * cols, with_bias = variant & 1, inplace = variant >> 1;
      float *x = buf_rand(n, -3.0f, 5.0f), *scale = buf_rand(cols, 0.5f, 2.0f), *bias = buf_rand(cols, -1.0f, 1.0f);
      float *ref = buf_new(n), *got = buf_new(n);
      int i;
      for (i = 0; i < cols; i++) x[i] += 10.0f; /* a row with |mean| > std */
      vitc_f32_layernorm_scalar(rows, cols, 1e-5f, x, scale, with_bias ? bias : NULL, ref);
      if (inplace) {
        memcpy(got, x, (size_t)n * sizeof(float));
        VITC_FN(vitc_f32_layernorm)(rows, cols, 1e-5f, got, scale, with_bias ? bias : NULL, got);
      } else {
        VITC_FN(vitc_f32_layernorm)(rows, cols, 1e-5f, x, scale, with_bias ? bias : NULL, got);
      }
      for (i = 0; i < n; i++)
        if (!close_rel(got[i], ref[i], 1e-5, 2e-5)) {
          simd_fail(isa, "layernorm rows %d cols %d%s%s: [%d] %.9g, want %.9g", rows, cols, with_bias ? " bias" : "",
                    inplace ? " in place" : "", i, (double)got[i], (double)ref[i]);
          break;
        }
      guard_check(isa, "layernorm", got, n);
      free(x);
      free(scale);
      free(bias);
      free(ref);
      free(got);
    }
}

static void VITC_FN(t_channel_affine)(void) {
  const char *isa = SIMD_ISA_NAME;
  static const int shapes[][3] = {{1, 1, 1},  {2, 3, 1},   {2, 17, 1},   {1, 64, 1}, {2, 5, 7},
                                  {1, 3, 16}, {2, 4, 197}, {1, 8, 1024}, {3, 2, 33}};
  int si, variant;
  for (si = 0; si < (int)(sizeof shapes / sizeof shapes[0]); si++)
    for (variant = 0; variant < 4; variant++) {
      const int N = shapes[si][0], C = shapes[si][1], inner = shapes[si][2], n = N * C * inner;
      const int with_t = variant & 1, inplace = variant >> 1;
      float *x = buf_rand(n, -5.0f, 5.0f), *s = buf_rand(C, -2.0f, 2.0f), *t = buf_rand(C, -1.0f, 1.0f);
      float *ref = buf_new(n), *got = buf_new(n);
      int i;
      vitc_f32_channel_affine_scalar(N, C, inner, x, s, with_t ? t : NULL, ref);
      if (inplace) {
        memcpy(got, x, (size_t)n * sizeof(float));
        VITC_FN(vitc_f32_channel_affine)(N, C, inner, got, s, with_t ? t : NULL, got);
      } else {
        VITC_FN(vitc_f32_channel_affine)(N, C, inner, x, s, with_t ? t : NULL, got);
      }
      for (i = 0; i < n; i++) {
        const int c = (i / inner) % C;
        const double exact = (double)x[i] * s[c] + (with_t ? t[c] : 0.0);
        if (fabs(got[i] - exact) > 2.0 * FLT_EPSILON * (fabs((double)x[i] * s[c]) + fabs(exact))) {
          simd_fail(isa, "channel_affine %dx%dx%d%s: [%d] %.9g, want %.9g (scalar kernel %.9g)", N, C, inner,
                    inplace ? " in place" : "", i, (double)got[i], exact, (double)ref[i]);
          break;
        }
      }
      guard_check(isa, "channel_affine", got, n);
      free(x);
      free(s);
      free(t);
      free(ref);
      free(got);
    }
}

static void VITC_FN(t_unary)(void) {
  const char *isa = SIMD_ISA_NAME;
  const struct {
    const char *name;
    SimdUnaryFn got, ref;
    double rtol; /* relative to |ref| */
    double xtol; /* relative to |x| */
  } ks[] = {
      {"sigmoid", VITC_FN(vitc_f32_sigmoid), vitc_f32_sigmoid_scalar, 6e-7, 0},
      {"silu", VITC_FN(vitc_f32_silu), vitc_f32_silu_scalar, 6e-7, 0},
      {"exp", VITC_FN(vitc_f32_exp), vitc_f32_exp_scalar, 2.5e-7, 0},
      {"tanh", VITC_FN(vitc_f32_tanh), vitc_f32_tanh_scalar, 1e-6, 0},
      {"erf", VITC_FN(vitc_f32_erf), vitc_f32_erf_scalar, 1.2e-6, 0},
      {"gelu", VITC_FN(vitc_f32_gelu), vitc_f32_gelu_scalar, 4e-7, 5e-7},
      {"gelu_tanh", VITC_FN(vitc_f32_gelu_tanh), vitc_f32_gelu_tanh_scalar, 4e-7, 5e-7},
      {"relu", VITC_FN(vitc_f32_relu), vitc_f32_relu_scalar, 0, 0},
      {"log", VITC_FN(vitc_f32_log), vitc_f32_log_scalar, 2.5e-7, 0},
      {"sqrt", VITC_FN(vitc_f32_sqrt), vitc_f32_sqrt_scalar, 0, 0},
      {"neg", VITC_FN(vitc_f32_neg), vitc_f32_neg_scalar, 0, 0},
      {"abs", VITC_FN(vitc_f32_abs), vitc_f32_abs_scalar, 0, 0},
      {"reciprocal", VITC_FN(vitc_f32_reciprocal), vitc_f32_reciprocal_scalar, 0, 0},
      {"floor", VITC_FN(vitc_f32_floor), vitc_f32_floor_scalar, 0, 0},
      {"ceil", VITC_FN(vitc_f32_ceil), vitc_f32_ceil_scalar, 0, 0},
      {"softplus", VITC_FN(vitc_f32_softplus), vitc_f32_softplus_scalar, 5e-7, 0},
  };
  static const float specials[] = {0.0f,   -0.0f,  INFINITY, -INFINITY, NAN,    1e-30f, -1e-30f,
                                   1e-40f, 100.0f, -100.0f,  30.0f,     -30.0f, 87.0f,  -87.0f};
  const int nspecial = (int)(sizeof specials / sizeof specials[0]);
  int ki, li, inplace;
  for (ki = 0; ki < (int)(sizeof ks / sizeof ks[0]); ki++)
    for (li = 0; li < SIMD_NLEN + 1; li++)
      for (inplace = 0; inplace < 2; inplace++) {
        const int n = li < SIMD_NLEN ? simd_lengths[li] : nspecial;
        float *x = buf_rand(n, -10.0f, 10.0f), *ref = buf_new(n), *got = buf_new(n);
        int i;
        if (li == SIMD_NLEN) memcpy(x, specials, sizeof specials);
        ks[ki].ref(n, x, ref);
        if (inplace) {
          memcpy(got, x, (size_t)n * sizeof(float));
          ks[ki].got(n, got, got);
        } else {
          ks[ki].got(n, x, got);
        }
        for (i = 0; i < n; i++) {
          const int ok = ks[ki].rtol == 0 ? same_f32(got[i], ref[i])
                                          : close_rel(got[i], ref[i], ks[ki].rtol,
                                                      (ks[ki].xtol ? ks[ki].xtol * fabs(x[i]) : 0.0) + 1e-37);
          if (!ok) {
            simd_fail(isa, "unary %s n %d%s: x[%d] = %.9g -> %.9g, want %.9g", ks[ki].name, n,
                      inplace ? " in place" : "", i, (double)x[i], (double)got[i], (double)ref[i]);
            break;
          }
        }
        guard_check(isa, ks[ki].name, got, n);
        free(x);
        free(ref);
        free(got);
      }
}

/* The kernels with float parameters: f32-unary's leaky_relu, elu, clip,
 * hard_sigmoid and every f32-activation kernel, each with two parameter sets. */
static void VITC_FN(k_leaky_relu)(int n, float p0, float p1, const float *x, float *y) {
  (void)p1;
  VITC_FN(vitc_f32_leaky_relu)(n, p0, x, y);
}
static void VITC_FN(k_elu)(int n, float p0, float p1, const float *x, float *y) {
  (void)p1;
  VITC_FN(vitc_f32_elu)(n, p0, x, y);
}
static void VITC_FN(k_clip)(int n, float p0, float p1, const float *x, float *y) { VITC_FN(vitc_f32_clip)(n, p0, p1, x, y); }
static void VITC_FN(k_hard_sigmoid)(int n, float p0, float p1, const float *x, float *y) {
  VITC_FN(vitc_f32_hard_sigmoid)(n, p0, p1, x, y);
}
static void VITC_FN(r_leaky_relu)(int n, float p0, float p1, const float *x, float *y) {
  (void)p1;
  vitc_f32_leaky_relu_scalar(n, p0, x, y);
}
static void VITC_FN(r_elu)(int n, float p0, float p1, const float *x, float *y) {
  (void)p1;
  vitc_f32_elu_scalar(n, p0, x, y);
}

static void VITC_FN(t_activation)(void) {
  const char *isa = SIMD_ISA_NAME;
  const struct {
    const char *name;
    SimdParamFn got, ref;
    double rtol, atol; /* |got - ref| <= rtol |ref| + atol */
    float p[2][2];     /* two parameter sets */
    float lo, hi;      /* input range */
  } ks[] = {
      {"leaky_relu", VITC_FN(k_leaky_relu), VITC_FN(r_leaky_relu), 0, 0, {{0.01f, 0}, {0.3f, 0}}, -10, 10},
      {"elu", VITC_FN(k_elu), VITC_FN(r_elu), 5e-7, 1e-37, {{1.0f, 0}, {0.5f, 0}}, -10, 10},
      {"clip", VITC_FN(k_clip), vitc_f32_clip_scalar, 0, 0, {{-1.0f, 6.0f}, {2.0f, 1.0f}}, -10, 10},
      {"hard_sigmoid", VITC_FN(k_hard_sigmoid), vitc_f32_hard_sigmoid_scalar, 2.5e-7, 1e-7, {{0.2f, 0.5f}, {1.0f / 6, 0.5f}}, -10, 10},
      {"hard_swish", VITC_FN(vitc_f32_hard_swish), vitc_f32_hard_swish_scalar, 2.5e-7, 1e-7, {{0, 0}, {0, 0}}, -10, 10},
      {"selu", VITC_FN(vitc_f32_selu), vitc_f32_selu_scalar, 6e-7, 1e-37, {{1.67326319f, 1.05070102f}, {2.0f, 0.5f}}, -10, 10},
      {"celu", VITC_FN(vitc_f32_celu), vitc_f32_celu_scalar, 6e-7, 1e-37, {{1.0f, 0}, {0.3f, 0}}, -10, 10},
      {"thresholded_relu", VITC_FN(vitc_f32_thresholded_relu), vitc_f32_thresholded_relu_scalar, 0, 0, {{1.0f, 0}, {-2.0f, 0}}, -10, 10},
      {"softsign", VITC_FN(vitc_f32_softsign), vitc_f32_softsign_scalar, 2.5e-7, 0, {{0, 0}, {0, 0}}, -10, 10},
      {"mish", VITC_FN(vitc_f32_mish), vitc_f32_mish_scalar, 1e-6, 1e-37, {{0, 0}, {0, 0}}, -10, 10},
      {"shrink", VITC_FN(vitc_f32_shrink), vitc_f32_shrink_scalar, 0, 0, {{0.5f, 0}, {1.0f, 0.25f}}, -10, 10},
      {"sign", VITC_FN(vitc_f32_sign), vitc_f32_sign_scalar, 0, 0, {{0, 0}, {0, 0}}, -10, 10},
      {"round", VITC_FN(vitc_f32_round), vitc_f32_round_scalar, 0, 0, {{0, 0}, {0, 0}}, -10, 10},
      {"sin", VITC_FN(vitc_f32_sin), vitc_f32_sin_scalar, 4.8e-7, 1e-37, {{0, 0}, {0, 0}}, -100, 100},
      {"cos", VITC_FN(vitc_f32_cos), vitc_f32_cos_scalar, 4.8e-7, 1e-37, {{0, 0}, {0, 0}}, -100, 100},
      {"tan", VITC_FN(vitc_f32_tan), vitc_f32_tan_scalar, 6e-7, 1e-37, {{0, 0}, {0, 0}}, -100, 100},
      {"asin", VITC_FN(vitc_f32_asin), vitc_f32_asin_scalar, 4e-7, 1e-37, {{0, 0}, {0, 0}}, -1.1f, 1.1f},
      {"acos", VITC_FN(vitc_f32_acos), vitc_f32_acos_scalar, 4e-7, 1e-37, {{0, 0}, {0, 0}}, -1.1f, 1.1f},
      {"atan", VITC_FN(vitc_f32_atan), vitc_f32_atan_scalar, 4e-7, 1e-37, {{0, 0}, {0, 0}}, -1e4f, 1e4f},
      {"sinh", VITC_FN(vitc_f32_sinh), vitc_f32_sinh_scalar, 8e-7, 1e-37, {{0, 0}, {0, 0}}, -10, 10},
      {"cosh", VITC_FN(vitc_f32_cosh), vitc_f32_cosh_scalar, 5e-7, 0, {{0, 0}, {0, 0}}, -10, 10},
      {"asinh", VITC_FN(vitc_f32_asinh), vitc_f32_asinh_scalar, 8e-7, 1e-37, {{0, 0}, {0, 0}}, -1e6f, 1e6f},
      {"acosh", VITC_FN(vitc_f32_acosh), vitc_f32_acosh_scalar, 8e-7, 1e-37, {{0, 0}, {0, 0}}, 0.5f, 1e6f},
      {"atanh", VITC_FN(vitc_f32_atanh), vitc_f32_atanh_scalar, 8e-7, 1e-37, {{0, 0}, {0, 0}}, -1.1f, 1.1f},
  };
  static const float specials[] = {0.0f,   -0.0f,  INFINITY, -INFINITY, NAN,    1e-30f, -1e-30f, 1e-40f, 100.0f,
                                   -100.0f, 30.0f, -30.0f,  87.0f,     -87.0f, 0.5f,   -0.5f,   1.0f,   -1.0f,
                                   2.5f,   -2.5f,  1e-5f,  -1e-5f,    6.0f,   -3.0f,  1.0000001f};
  const int nspecial = (int)(sizeof specials / sizeof specials[0]);
  int ki, li, pi, inplace;
  for (ki = 0; ki < (int)(sizeof ks / sizeof ks[0]); ki++)
    for (pi = 0; pi < 2; pi++)
      for (li = 0; li < SIMD_NLEN + 1; li++)
        for (inplace = 0; inplace < 2; inplace++) {
          const int n = li < SIMD_NLEN ? simd_lengths[li] : nspecial;
          const float p0 = ks[ki].p[pi][0], p1 = ks[ki].p[pi][1];
          float *x = buf_rand(n, ks[ki].lo, ks[ki].hi), *ref = buf_new(n), *got = buf_new(n);
          int i;
          if (li == SIMD_NLEN) memcpy(x, specials, sizeof specials);
          for (i = 0; i < n; i += 11) x[i] = (float)(int)x[i] + (i & 1 ? 0.5f : 0.0f); /* integers and halves */
          ks[ki].ref(n, p0, p1, x, ref);
          if (inplace) {
            memcpy(got, x, (size_t)n * sizeof(float));
            ks[ki].got(n, p0, p1, got, got);
          } else {
            ks[ki].got(n, p0, p1, x, got);
          }
          for (i = 0; i < n; i++) {
            const int ok = ks[ki].rtol == 0 && ks[ki].atol == 0 ? same_f32(got[i], ref[i])
                                                                : close_rel(got[i], ref[i], ks[ki].rtol, ks[ki].atol);
            if (!ok) {
              simd_fail(isa, "activation %s(%g, %g) n %d%s: x[%d] = %.9g -> %.9g, want %.9g", ks[ki].name, (double)p0,
                        (double)p1, n, inplace ? " in place" : "", i, (double)x[i], (double)got[i], (double)ref[i]);
              break;
            }
          }
          guard_check(isa, ks[ki].name, got, n);
          free(x);
          free(ref);
          free(got);
        }
}

static void VITC_FN(t_binary)(void) {
  const char *isa = SIMD_ISA_NAME;
  const struct {
    const char *name;
    SimdBinFn got, ref;
  } ops[] = {
      {"add", VITC_FN(vitc_f32_add), vitc_f32_add_scalar},
      {"sub", VITC_FN(vitc_f32_sub), vitc_f32_sub_scalar},
      {"mul", VITC_FN(vitc_f32_mul), vitc_f32_mul_scalar},
      {"div", VITC_FN(vitc_f32_div), vitc_f32_div_scalar},
      {"max", VITC_FN(vitc_f32_max), vitc_f32_max_scalar},
      {"min", VITC_FN(vitc_f32_min), vitc_f32_min_scalar},
      {"prelu", VITC_FN(vitc_f32_prelu), vitc_f32_prelu_scalar},
  };
  /* rank, dims, sa, sb, numel of a, numel of b, in place allowed (a has y's shape) */
  static const struct {
    const char *what;
    int rank, dims[3], sa[3], sb[3], na, nb, inplace_a;
  } pats[] = {
      {"rank 0", 0, {0}, {0}, {0}, 1, 1, 1},
      {"contiguous 1", 1, {1}, {1}, {1}, 1, 1, 1},
      {"contiguous 7", 1, {7}, {1}, {1}, 7, 7, 1},
      {"contiguous 16", 1, {16}, {1}, {1}, 16, 16, 1},
      {"contiguous 37829", 1, {37829}, {1}, {1}, 37829, 37829, 1},
      {"scalar right 33", 1, {33}, {1}, {0}, 33, 1, 1},
      {"scalar left 197", 1, {197}, {0}, {1}, 1, 197, 0},
      {"bias [197,192]+[192]", 2, {197, 192}, {192, 1}, {0, 1}, 197 * 192, 192, 1},
      {"bias [5,197]+[197]", 2, {5, 197}, {197, 1}, {0, 1}, 5 * 197, 197, 1},
      {"row scalar [197,192]*[197,1]", 2, {197, 192}, {192, 1}, {1, 0}, 197 * 192, 197, 1},
      {"bias left [192]+[3,192]", 2, {3, 192}, {0, 1}, {192, 1}, 192, 3 * 192, 0},
      {"strided [9,13]^T", 2, {13, 9}, {1, 13}, {9, 1}, 117, 117, 0},
      {"column [4,3,5]+[1,3,1]", 3, {4, 3, 5}, {15, 5, 1}, {0, 1, 0}, 60, 3, 1},
      {"outer [6,1]+[1,11]", 2, {6, 11}, {1, 0}, {0, 1}, 6, 11, 0},
      {"channel [2,3,37]*[3,1]", 3, {2, 3, 37}, {111, 37, 1}, {0, 1, 0}, 222, 3, 1},
      {"both scalar rows [5,1]+[5,1] to [5,9]", 2, {5, 9}, {1, 0}, {1, 0}, 5, 5, 0},
  };
  int oi, pi, inplace;
  for (oi = 0; oi < (int)(sizeof ops / sizeof ops[0]); oi++)
    for (pi = 0; pi < (int)(sizeof pats / sizeof pats[0]); pi++)
      for (inplace = 0; inplace < 1 + pats[pi].inplace_a; inplace++) {
        int ny = 1, d, i;
        float *a, *b, *ref, *got;
        for (d = 0; d < pats[pi].rank; d++) ny *= pats[pi].dims[d];
        a = buf_rand(pats[pi].na, -50.0f, 50.0f);
        b = buf_rand(pats[pi].nb, -50.0f, 50.0f);
        for (i = 0; i < pats[pi].nb; i += 7) b[i] = (i & 8) ? 0.0f : -0.0f; /* div by +-0 */
        if (pats[pi].na > 3) a[3] = NAN;
        if (pats[pi].nb > 5) b[5] = NAN;
        if (pats[pi].na > 6) a[6] = b[6 % pats[pi].nb] = 0.0f, a[6] = -0.0f; /* max(-0, +0) */
        ref = buf_new(ny);
        got = buf_new(ny);
        ops[oi].ref(pats[pi].rank, pats[pi].dims, a, pats[pi].sa, b, pats[pi].sb, ref);
        if (inplace) {
          memcpy(got, a, (size_t)ny * sizeof(float));
          ops[oi].got(pats[pi].rank, pats[pi].dims, got, pats[pi].sa, b, pats[pi].sb, got);
        } else {
          ops[oi].got(pats[pi].rank, pats[pi].dims, a, pats[pi].sa, b, pats[pi].sb, got);
        }
        for (i = 0; i < ny; i++)
          if (!same_f32(got[i], ref[i])) {
            simd_fail(isa, "binary %s %s%s: [%d] %.9g, want %.9g", ops[oi].name, pats[pi].what,
                      inplace ? " in place" : "", i, (double)got[i], (double)ref[i]);
            break;
          }
        guard_check(isa, ops[oi].name, got, ny);
        free(a);
        free(b);
        free(ref);
        free(got);
      }
  /* the comparisons to bool bytes, on small integers (so that equal pairs are
   * common), NaN and +-0, every pattern, bytes past the end left alone */
  {
    typedef void (*SimdCmpFn)(int, const int *, const float *, const int *, const float *, const int *, uint8_t *);
    const struct {
      const char *name;
      SimdCmpFn got, ref;
    } cmps[] = {
        {"equal", VITC_FN(vitc_f32_equal), vitc_f32_equal_scalar},
        {"less", VITC_FN(vitc_f32_less), vitc_f32_less_scalar},
        {"greater", VITC_FN(vitc_f32_greater), vitc_f32_greater_scalar},
        {"less_or_equal", VITC_FN(vitc_f32_less_or_equal), vitc_f32_less_or_equal_scalar},
        {"greater_or_equal", VITC_FN(vitc_f32_greater_or_equal), vitc_f32_greater_or_equal_scalar},
    };
    for (oi = 0; oi < (int)(sizeof cmps / sizeof cmps[0]); oi++)
      for (pi = 0; pi < (int)(sizeof pats / sizeof pats[0]); pi++) {
        int ny = 1, d, i;
        float *a = buf_new(pats[pi].na), *b = buf_new(pats[pi].nb);
        uint8_t *ref, *got;
        for (d = 0; d < pats[pi].rank; d++) ny *= pats[pi].dims[d];
        for (i = 0; i < pats[pi].na; i++) a[i] = (float)(rng_int(7) - 3);
        for (i = 0; i < pats[pi].nb; i++) b[i] = (float)(rng_int(7) - 3);
        if (pats[pi].na > 3) a[3] = NAN;
        if (pats[pi].nb > 5) b[5] = NAN;
        if (pats[pi].na > 6) a[6] = -0.0f, b[6 % pats[pi].nb] = 0.0f;
        ref = malloc((size_t)ny + GUARD);
        got = malloc((size_t)ny + GUARD);
        if (!ref || !got) abort();
        memset(ref, 0x77, (size_t)ny + GUARD);
        memset(got, 0x77, (size_t)ny + GUARD);
        cmps[oi].ref(pats[pi].rank, pats[pi].dims, a, pats[pi].sa, b, pats[pi].sb, ref);
        cmps[oi].got(pats[pi].rank, pats[pi].dims, a, pats[pi].sa, b, pats[pi].sb, got);
        for (i = 0; i < ny + GUARD; i++)
          if (got[i] != ref[i]) {
            simd_fail(isa, "compare %s %s: byte %d is %d, want %d", cmps[oi].name, pats[pi].what, i, got[i], ref[i]);
            break;
          }
        free(a);
        free(b);
        free(ref);
        free(got);
      }
  }
}

/* pow with one exponent value (each exact path, and exp/log for the rest) and
 * with an exponent tensor, against powf */
static void VITC_FN(t_pow)(void) {
  const char *isa = SIMD_ISA_NAME;
  static const float exps[] = {1.0f, 2.0f, 3.0f, 0.5f, -1.0f, 1.5f, -2.0f, 4.0f, 0.25f, 7.0f, -0.5f, 0.0f};
  static const float specials[] = {0.0f, -0.0f, 1.0f, -1.0f, INFINITY, -INFINITY, NAN, 2.0f, -2.0f, 1e-20f, 1e20f};
  const int nx = 300;
  int ei, i, dims[1], s1[1] = {1}, s0[1] = {0};
  float *x = buf_rand(nx, -20.0f, 20.0f), *ref = buf_new(nx), *got = buf_new(nx), *e = buf_rand(nx, -4.0f, 4.0f);
  dims[0] = nx;
  memcpy(x, specials, sizeof specials);
  for (i = 20; i < 40; i++) x[i] = (float)(i - 30); /* negative integers */
  for (i = 40; i < nx; i += 3) e[i] = (float)(int)e[i]; /* integral exponents, odd and even */
  for (ei = 0; ei < (int)(sizeof exps / sizeof exps[0]) + 1; ei++) {
    const int tensor = ei == (int)(sizeof exps / sizeof exps[0]);
    const float *b = tensor ? e : &exps[ei];
    /* exact paths bit for bit; exp/log within 3e-7 (2 + |b log|x||) relative: log's
     * absolute error scaled by b, then exp's (templates/simd/fastmath.h) */
    const int exact = !tensor && (exps[ei] == 1.0f || exps[ei] == 2.0f || exps[ei] == 0.5f || exps[ei] == -1.0f);
    /* ^-1 is the correctly rounded 1 / x, which libm's powf (the scalar kernel's) is
     * not always: aarch64 glibc's is 1 ulp off at 4.43965149 */
    const int recip = !tensor && exps[ei] == -1.0f;
    vitc_f32_pow_scalar(1, dims, x, s1, b, tensor ? s1 : s0, ref);
    guard_fill(got, nx);
    VITC_FN(vitc_f32_pow)(1, dims, x, s1, b, tensor ? s1 : s0, got);
    for (i = 0; i < nx; i++) {
      const double bi = b[tensor ? i : 0], blog = fabs(bi * log(fabs((double)x[i])));
      const int ok = recip   ? same_f32(got[i], 1.0f / x[i]) && close_rel(got[i], ref[i], 1.2e-7, 1e-37)
                     : exact ? same_f32(got[i], ref[i])
                           : close_rel(got[i], ref[i], 3e-7 * (2.0 + (blog == blog && blog < 1e30 ? blog : 0)), 1e-37);
      if (!ok) {
        simd_fail(isa, "pow %s: %.9g ^ %.9g = %.9g, want %.9g", tensor ? "(tensor)" : "(one value)", (double)x[i],
                  (double)b[tensor ? i : 0], (double)got[i], (double)ref[i]);
        break;
      }
    }
    guard_check(isa, "pow", got, nx);
  }
  free(x);
  free(ref);
  free(got);
  free(e);
}

/* fmod (Mod with fmod=1) against the scalar kernel's fmodf, bit for bit: random
 * signs and magnitudes, quotients just below and above integers (where a / b
 * rounds up across one), exact multiples (+-0 with a's sign), quotients past 2^23,
 * zeros, infinities and NaN on both sides; dense, and b one value */
static void VITC_FN(t_fmod)(void) {
  const char *isa = SIMD_ISA_NAME;
  static const float specials[] = {0.0f, -0.0f, INFINITY, -INFINITY, NAN, 1e30f, -1e-30f, 3.0f, -7.5f, 1e-40f};
  const int n = 997, ns = (int)(sizeof specials / sizeof specials[0]);
  int i, form, dims[1] = {n}, s1[1] = {1}, s0[1] = {0};
  float *a = buf_rand(n, -100.0f, 100.0f), *b = buf_rand(n, -10.0f, 10.0f), *ref = buf_new(n), *got = buf_new(n);
  for (i = 0; i < n; i++) {
    const int k = rng_int(9);
    if (k == 0) a[i] = b[i] * (float)(rng_int(2000) - 1000); /* an exact multiple, or the product rounded */
    if (k == 1) a[i] = nextafterf(b[i] * (float)(rng_int(2000) - 1000), 0.0f); /* quotient just below an integer */
    if (k == 2) a[i] = nextafterf(b[i] * (float)(rng_int(2000) - 1000), INFINITY);
    if (k == 3) a[i] = rng_f(-1e9f, 1e9f), b[i] = rng_f(-1e-3f, 1e-3f); /* quotient past 2^23 */
    if (k == 4) a[i] = specials[rng_int(ns)];
    if (k == 5) b[i] = specials[rng_int(ns)];
    if (k == 6) a[i] = rng_f(-1.0f, 1.0f) * 8388608.0f * fabsf(b[i]); /* quotients near 2^23 */
  }
  for (form = 0; form < 2; form++) {
    vitc_f32_fmod_scalar(1, dims, a, s1, b, form ? s0 : s1, ref);
    guard_fill(got, n);
    VITC_FN(vitc_f32_fmod)(1, dims, a, s1, b, form ? s0 : s1, got);
    for (i = 0; i < n; i++)
      if (!same_f32(got[i], ref[i])) {
        simd_fail(isa, "fmod %s: fmod(%.9g, %.9g) = %.9g, want %.9g", form ? "(b one value)" : "(dense)",
                  (double)a[i], (double)b[form ? 0 : i], (double)got[i], (double)ref[i]);
        break;
      }
    guard_check(isa, "fmod", got, n);
  }
  free(a);
  free(b);
  free(ref);
  free(got);
}

/* LRN against the scalar kernel: odd and even window sizes (ONNX's asymmetric
 * window for even ones), windows wider than C, positions that are whole vectors
 * and tails; vf32_pow against powf, within a few ulp */
static void VITC_FN(t_lrn)(void) {
  const char *isa = SIMD_ISA_NAME;
  static const struct {
    int N, C, S, size;
    float alpha, beta, bias;
  } cs[] = {{2, 7, 54, 5, 1e-4f, 0.75f, 2.0f}, {1, 6, 37, 4, 0.5f, 0.6f, 1.0f}, {1, 3, 16, 9, 2.0f, 1.5f, 0.5f},
            {3, 5, 1, 1, 1.0f, 0.5f, 1.0f},   {1, 16, 100, 2, 0.3f, 2.0f, 0.75f}};
  int ci, i;
  for (ci = 0; ci < (int)(sizeof cs / sizeof cs[0]); ci++) {
    const int n = cs[ci].N * cs[ci].C * cs[ci].S;
    float *x = buf_rand(n, -3.0f, 3.0f), *ref = buf_new(n), *got = buf_new(n);
    vitc_f32_lrn_scalar(cs[ci].N, cs[ci].C, cs[ci].S, cs[ci].size, cs[ci].alpha, cs[ci].beta, cs[ci].bias, x, ref);
    guard_fill(got, n);
    VITC_FN(vitc_f32_lrn)(cs[ci].N, cs[ci].C, cs[ci].S, cs[ci].size, cs[ci].alpha, cs[ci].beta, cs[ci].bias, x, got);
    for (i = 0; i < n; i++)
      if (!close_rel(got[i], ref[i], 2e-6, 1e-30)) {
        simd_fail(isa, "lrn case %d: [%d] %.9g, want %.9g", ci, i, (double)got[i], (double)ref[i]);
        break;
      }
    guard_check(isa, "lrn", got, n);
    free(x);
    free(ref);
    free(got);
  }
}

/* Where on 4-byte elements against the scalar kernel: every broadcast form */
static void VITC_FN(t_where)(void) {
  const char *isa = SIMD_ISA_NAME;
  static const struct {
    const char *what;
    int rank, dims[2], sc[2], sa[2], sb[2], nc, na, nb;
  } pats[] = {
      {"dense 37", 1, {37, 0}, {1}, {1}, {1}, 37, 37, 37},
      {"dense [3,16]", 2, {3, 16}, {16, 1}, {16, 1}, {16, 1}, 48, 48, 48},
      {"scalar b [5,19]", 2, {5, 19}, {19, 1}, {19, 1}, {0, 0}, 95, 95, 1},
      {"row cond [4,33]", 2, {4, 33}, {0, 1}, {33, 1}, {0, 1}, 33, 132, 33},
      {"column cond [7,9]", 2, {7, 9}, {1, 0}, {9, 1}, {0, 0}, 7, 63, 1},
      {"rank 0", 0, {0, 0}, {0}, {0}, {0}, 1, 1, 1},
  };
  int pi, i, d;
  for (pi = 0; pi < (int)(sizeof pats / sizeof pats[0]); pi++) {
    int ny = 1;
    uint8_t *c = malloc((size_t)pats[pi].nc);
    float *a = buf_rand(pats[pi].na, -5.0f, 5.0f), *b = buf_rand(pats[pi].nb, -5.0f, 5.0f), *ref, *got;
    for (d = 0; d < pats[pi].rank; d++) ny *= pats[pi].dims[d];
    for (i = 0; i < pats[pi].nc; i++) c[i] = (uint8_t)(rng_int(3) == 0 ? 0 : 1 + rng_int(200));
    ref = buf_new(ny);
    got = buf_new(ny);
    vitc_x_where_scalar(4, pats[pi].rank, pats[pi].dims, c, pats[pi].sc, a, pats[pi].sa, b, pats[pi].sb, ref);
    VITC_FN(vitc_x_where)(4, pats[pi].rank, pats[pi].dims, c, pats[pi].sc, a, pats[pi].sa, b, pats[pi].sb, got);
    for (i = 0; i < ny; i++)
      if (!same_f32(got[i], ref[i])) {
        simd_fail(isa, "where %s: [%d] %.9g, want %.9g", pats[pi].what, i, (double)got[i], (double)ref[i]);
        break;
      }
    guard_check(isa, "where", got, ny);
    free(c);
    free(a);
    free(b);
    free(ref);
    free(got);
  }
}

/* MaxPool, AveragePool and LpPool against the scalar kernels, bit for bit (LpPool
 * with p = 2: within an ulp, the compiler may fuse the scalar loop's s + x*x;
 * p = 3: within a few ulp, vf32_pow against powf): strides 1, 2 and 3,
 * dilations, pads on every side, ceil_mode overhangs (OH/OW beyond the padded
 * input), both divisors, rows narrower and wider than the vector */
static void VITC_FN(t_pool)(void) {
  const char *isa = SIMD_ISA_NAME;
  static const struct {
    int H, W, KH, KW, sh, sw, dh, dw, pt, pl, pb, pr, ceil;
  } cs[] = {
      {13, 40, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 0}, /* MobileNet/ResNet stem pool */
      {12, 50, 2, 2, 2, 2, 1, 1, 0, 0, 0, 0, 0}, {9, 37, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 0},
      {8, 70, 5, 5, 1, 1, 1, 1, 2, 2, 2, 2, 0},  {11, 45, 3, 3, 2, 2, 1, 1, 0, 0, 0, 0, 1},
      {10, 64, 3, 3, 3, 3, 2, 2, 1, 2, 1, 2, 1}, {7, 33, 1, 3, 1, 2, 1, 1, 0, 1, 0, 1, 0},
      {6, 5, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 0},   {5, 100, 2, 7, 1, 4, 1, 3, 1, 3, 0, 2, 1},
      {4, 3, 3, 3, 2, 2, 1, 1, 2, 2, 2, 2, 1},
      /* 16 interior columns, then an overhanging one: the first edge column after
       * the vector blocks on every ISA counts its own taps */
      {5, 80, 2, 7, 1, 4, 1, 3, 1, 3, 0, 2, 1},
  };
  int ci, incl, p;
  for (ci = 0; ci < (int)(sizeof cs / sizeof cs[0]); ci++) {
    const int NC = 3, H = cs[ci].H, W = cs[ci].W;
    const int eh = cs[ci].dh * (cs[ci].KH - 1) + 1, ew = cs[ci].dw * (cs[ci].KW - 1) + 1;
    const int nh = H + cs[ci].pt + cs[ci].pb - eh, nw = W + cs[ci].pl + cs[ci].pr - ew;
    const int OH = (cs[ci].ceil ? (nh + cs[ci].sh - 1) / cs[ci].sh : nh / cs[ci].sh) + 1;
    const int OW = (cs[ci].ceil ? (nw + cs[ci].sw - 1) / cs[ci].sw : nw / cs[ci].sw) + 1;
    const int nx = NC * H * W, ny = NC * OH * OW;
    float *x = buf_rand(nx, -10.0f, 10.0f), *ref = buf_new(ny), *got = buf_new(ny);
    int i;
    x[nx / 2] = NAN; /* MaxPool ignores it; AveragePool spreads it */
    vitc_f32_maxpool2d_scalar(NC, H, W, OH, OW, cs[ci].KH, cs[ci].KW, cs[ci].sh, cs[ci].sw, cs[ci].dh, cs[ci].dw,
                              cs[ci].pt, cs[ci].pl, x, ref);
    VITC_FN(vitc_f32_maxpool2d)(NC, H, W, OH, OW, cs[ci].KH, cs[ci].KW, cs[ci].sh, cs[ci].sw, cs[ci].dh, cs[ci].dw,
                                cs[ci].pt, cs[ci].pl, x, got);
    for (i = 0; i < ny; i++)
      if (!same_f32(got[i], ref[i])) {
        simd_fail(isa, "maxpool case %d: [%d] %.9g, want %.9g", ci, i, (double)got[i], (double)ref[i]);
        break;
      }
    guard_check(isa, "maxpool", got, ny);
    for (incl = 0; incl < 2; incl++) {
      vitc_f32_avgpool2d_scalar(NC, H, W, OH, OW, cs[ci].KH, cs[ci].KW, cs[ci].sh, cs[ci].sw, cs[ci].dh, cs[ci].dw,
                                cs[ci].pt, cs[ci].pl, cs[ci].pb, cs[ci].pr, incl, x, ref);
      VITC_FN(vitc_f32_avgpool2d)(NC, H, W, OH, OW, cs[ci].KH, cs[ci].KW, cs[ci].sh, cs[ci].sw, cs[ci].dh, cs[ci].dw,
                                  cs[ci].pt, cs[ci].pl, cs[ci].pb, cs[ci].pr, incl, x, got);
      for (i = 0; i < ny; i++)
        if (!same_f32(got[i], ref[i])) {
          simd_fail(isa, "avgpool case %d include_pad %d: [%d] %.9g, want %.9g", ci, incl, i, (double)got[i],
                    (double)ref[i]);
          break;
        }
      guard_check(isa, "avgpool", got, ny);
    }
    for (p = 1; p <= 3; p++) {
      vitc_f32_lppool2d_scalar(NC, H, W, OH, OW, cs[ci].KH, cs[ci].KW, cs[ci].sh, cs[ci].sw, cs[ci].dh, cs[ci].dw,
                               cs[ci].pt, cs[ci].pl, p, x, ref);
      VITC_FN(vitc_f32_lppool2d)(NC, H, W, OH, OW, cs[ci].KH, cs[ci].KW, cs[ci].sh, cs[ci].sw, cs[ci].dh, cs[ci].dw,
                                 cs[ci].pt, cs[ci].pl, p, x, got);
      for (i = 0; i < ny; i++)
        if (p == 1 ? !same_f32(got[i], ref[i]) : !close_rel(got[i], ref[i], p == 2 ? 2.4e-7 : 2e-6, 0)) {
          simd_fail(isa, "lppool case %d p %d: [%d] %.9g, want %.9g", ci, p, i, (double)got[i], (double)ref[i]);
          break;
        }
      guard_check(isa, "lppool", got, ny);
    }
    free(x);
    free(ref);
    free(got);
  }
  /* global pools: max bit for bit, mean within a few ulp of the scalar sum */
  for (ci = 0; ci < SIMD_NLEN; ci++) {
    const int HW = simd_lengths[ci], NC = 5;
    float *x = buf_rand(NC * HW, -10.0f, 10.0f), *ref = buf_new(NC), *got = buf_new(NC);
    int i;
    vitc_f32_global_maxpool_scalar(NC, HW, x, ref);
    VITC_FN(vitc_f32_global_maxpool)(NC, HW, x, got);
    for (i = 0; i < NC; i++)
      if (!same_f32(got[i], ref[i])) simd_fail(isa, "global_maxpool HW %d: %.9g, want %.9g", HW, (double)got[i], (double)ref[i]);
    vitc_f32_global_avgpool_scalar(NC, HW, x, ref);
    VITC_FN(vitc_f32_global_avgpool)(NC, HW, x, got);
    for (i = 0; i < NC; i++)
      if (!close_rel(got[i], ref[i], 0, 1e-5)) simd_fail(isa, "global_avgpool HW %d: %.9g, want %.9g", HW, (double)got[i], (double)ref[i]);
    for (p = 1; p <= 3; p++) {
      vitc_f32_global_lppool_scalar(NC, HW, p, x, ref);
      VITC_FN(vitc_f32_global_lppool)(NC, HW, p, x, got);
      for (i = 0; i < NC; i++)
        if (!close_rel(got[i], ref[i], 2e-5, 0))
          simd_fail(isa, "global_lppool HW %d p %d: %.9g, want %.9g", HW, p, (double)got[i], (double)ref[i]);
    }
    guard_check(isa, "global pool", got, NC);
    free(x);
    free(ref);
    free(got);
  }
}

/* every Reduce op over every mask of a few shapes (rows shorter and longer than
 * the vector, reduced and kept last axes, outer reductions), against the scalar
 * kernel: Max/Min bit for bit, the rest within 2e-6 of max(1, |ref|) plus 2 ulp
 * of the sum of magnitudes (sums in another order; LogSumExp's inputs reach 120,
 * past expf's range) */
static void VITC_FN(t_reduce)(void) {
  const char *isa = SIMD_ISA_NAME;
  static const struct {
    int rank, dims[4];
  } shapes[] = {{3, {2, 37, 5}}, {4, {2, 3, 4, 21}}, {2, {3, 100}}, {3, {1, 197, 19}}, {2, {7, 1}}, {1, {33}}};
  int si, op, m, d, i;
  for (si = 0; si < (int)(sizeof shapes / sizeof shapes[0]); si++) {
    const int rank = shapes[si].rank;
    int nx = 1;
    for (d = 0; d < rank; d++) nx *= shapes[si].dims[d];
    for (op = 0; op < 10; op++)
      for (m = 1; m < (1 << rank); m++) {
        int mask[4], ny = 1;
        float *x = buf_rand(nx, op == 8 ? 0.01f : -3.0f, op == 9 ? 120.0f : 3.0f), *ref, *got, *w1, *w2;
        for (d = 0; d < rank; d++) {
          mask[d] = (m >> d) & 1;
          if (!mask[d]) ny *= shapes[si].dims[d];
        }
        if (op == 2 || op == 3) x[nx / 3] = NAN; /* skipped by both */
        if (op == 4) /* a product of up to 504 values: magnitudes near 1 (random signs), so
                      * that it stays far from overflow, where another order of the
                      * multiplications could overflow or not */
          for (i = 0; i < nx; i++) x[i] = (rng_int(2) ? 1.0f : -1.0f) * rng_f(0.9f, 1.1f);
        ref = buf_new(ny);
        got = buf_new(ny);
        w1 = buf_new(ny);
        w2 = buf_new(ny);
        vitc_f32_reduce_scalar(op, rank, shapes[si].dims, mask, x, ref, w1);
        VITC_FN(vitc_f32_reduce)(op, rank, shapes[si].dims, mask, x, got, w2);
        for (i = 0; i < ny; i++) {
          const int ok = op == 2 || op == 3 ? same_f32(got[i], ref[i])
                                            : close_rel(got[i], ref[i], 0,
                                                        2e-6 * (fabs(ref[i]) > 1 ? fabs(ref[i]) : 1) +
                                                            (op == 4 || op == 9 ? 0 : 2.4e-7 * (nx / ny) * 9.0));
          if (!ok) {
            simd_fail(isa, "reduce op %d shape %d mask %d: [%d] %.9g, want %.9g", op, si, m, i, (double)got[i],
                      (double)ref[i]);
            break;
          }
        }
        guard_check(isa, "reduce", got, ny);
        free(x);
        free(ref);
        free(got);
        free(w1);
        free(w2);
      }
  }
}

/* LogSoftmax (rows and inner > 1), ArgMax/ArgMin/Hardmax (both layouts, ties,
 * NaN), GroupNormalization and LayerNorm statistics, against the scalar kernels */
static void VITC_FN(t_norm_arg)(void) {
  const char *isa = SIMD_ISA_NAME;
  static const int shapes[][3] = {{3, 197, 1}, {2, 10, 1}, {1, 1000, 1}, {2, 7, 37}, {3, 5, 16}, {1, 3, 1}, {2, 1, 9}};
  int si, i, mode;
  for (si = 0; si < (int)(sizeof shapes / sizeof shapes[0]); si++) {
    const int O = shapes[si][0], A = shapes[si][1], I = shapes[si][2], n = O * A * I;
    float *x = buf_rand(n, -8.0f, 8.0f), *ref = buf_new(n), *got = buf_new(n);
    int64_t ri[64 * 40], gi[64 * 40];
    for (i = 0; i < n; i += 5) x[i] = (float)(int)x[i]; /* ties */
    vitc_f32_log_softmax_scalar(O, A, I, x, ref);
    VITC_FN(vitc_f32_log_softmax)(O, A, I, x, got);
    for (i = 0; i < n; i++)
      if (!close_rel(got[i], ref[i], 1e-6, 1e-6)) {
        simd_fail(isa, "log_softmax (%d,%d,%d) [%d] %.9g, want %.9g", O, A, I, i, (double)got[i], (double)ref[i]);
        break;
      }
    guard_check(isa, "log_softmax", got, n);
    x[1] = NAN;
    if (n > 8) x[n - 3] = NAN;
    for (mode = 0; mode < 4; mode++) {
      vitc_f32_argreduce_scalar(O, A, I, mode & 1, mode >> 1, x, ri);
      VITC_FN(vitc_f32_argreduce)(O, A, I, mode & 1, mode >> 1, x, gi);
      for (i = 0; i < O * I; i++)
        if (gi[i] != ri[i]) {
          simd_fail(isa, "argreduce (%d,%d,%d) min %d last %d [%d] %lld, want %lld", O, A, I, mode & 1, mode >> 1, i,
                    (long long)gi[i], (long long)ri[i]);
          break;
        }
    }
    vitc_f32_hardmax_scalar(O, A, I, x, ref);
    VITC_FN(vitc_f32_hardmax)(O, A, I, x, got);
    for (i = 0; i < n; i++)
      if (!same_f32(got[i], ref[i])) {
        simd_fail(isa, "hardmax (%d,%d,%d) [%d] %.9g, want %.9g", O, A, I, i, (double)got[i], (double)ref[i]);
        break;
      }
    guard_check(isa, "hardmax", got, n);
    free(x);
    free(ref);
    free(got);
  }
  { /* every element NaN: index 0 */
    float nanrow[20];
    int64_t r1, r2;
    for (i = 0; i < 20; i++) nanrow[i] = NAN;
    vitc_f32_argreduce_scalar(1, 20, 1, 0, 1, nanrow, &r1);
    VITC_FN(vitc_f32_argreduce)(1, 20, 1, 0, 1, nanrow, &r2);
    if (r1 != r2) simd_fail(isa, "argreduce of NaNs: %lld, want %lld", (long long)r2, (long long)r1);
  }
  { /* group norm: N 2, G 3, cpg 4, inner 7 and 1; per channel and per group */
    const int N = 2, G = 3, cpg = 4;
    int inner, pg;
    for (inner = 1; inner <= 37; inner += 18)
      for (pg = 0; pg < 2; pg++) {
        const int n = N * G * cpg * inner;
        float *x = buf_rand(n, -3.0f, 5.0f), *ref = buf_new(n), *got = buf_new(n);
        float *sc = buf_rand(G * cpg, 0.5f, 2.0f), *bi = buf_rand(G * cpg, -1.0f, 1.0f);
        float m1[6], m2[6], s1[6], s2[6];
        vitc_f32_groupnorm_scalar(N, G, cpg, inner, 1e-5f, pg, x, sc, bi, ref);
        VITC_FN(vitc_f32_groupnorm)(N, G, cpg, inner, 1e-5f, pg, x, sc, bi, got);
        for (i = 0; i < n; i++)
          if (!close_rel(got[i], ref[i], 1e-5, 2e-6)) {
            simd_fail(isa, "groupnorm inner %d per_group %d [%d] %.9g, want %.9g", inner, pg, i, (double)got[i],
                      (double)ref[i]);
            break;
          }
        guard_check(isa, "groupnorm", got, n);
        vitc_f32_layernorm_stats_scalar(N * G, cpg * inner, 1e-5f, x, m1, s1);
        VITC_FN(vitc_f32_layernorm_stats)(N * G, cpg * inner, 1e-5f, x, m2, s2);
        for (i = 0; i < N * G; i++)
          if (!close_rel(m2[i], m1[i], 1e-5, 1e-6) || !close_rel(s2[i], s1[i], 1e-5, 0))
            simd_fail(isa, "layernorm_stats row %d: %g %g, want %g %g", i, (double)m2[i], (double)s2[i], (double)m1[i],
                      (double)s1[i]);
        free(x);
        free(ref);
        free(got);
        free(sc);
        free(bi);
      }
  }
}

/* ---------------------------------------------------------------- bytes */

/* vf32_store_u8 and the kernels that store bytes (QuantizeLinear,
 * DynamicQuantizeLinear, IsInf, IsNaN): byte for byte the scalar kernels, on every
 * length (tails), with NaN, infinities, ties at .5, values past the type's range
 * and bytes past the end left alone. */
static void VITC_FN(t_bytes)(void) {
  const char *isa = SIMD_ISA_NAME;
  static const float specials[] = {0.0f,   -0.0f, 0.5f,     1.5f,      2.5f,  -0.5f,    -1.5f,   -2.5f,  127.5f,
                                   128.5f, -128.5f, 255.5f, 254.5f, 1e9f,  -1e9f,    INFINITY, -INFINITY, NAN,
                                   3.4e38f, 1e-40f, -127.49f, 126.51f, -3.0f, 7.0f};
  const int nspecial = (int)(sizeof specials / sizeof specials[0]);
  enum { PAD = 8 };
  int li, i, t, k;
  /* the shim function itself: integers in [-128, 255] as their low bytes */
  for (k = 0; k <= VITC_LANES; k++) {
    float v[VITC_LANES];
    uint8_t got[VITC_LANES + PAD];
    for (i = 0; i < VITC_LANES; i++) v[i] = (float)(rng_int(384) - 128);
    memset(got, 0xA5, sizeof got);
    if (k == VITC_LANES) vf32_store_u8(got, vf32_load(v));
    else vf32_store_u8_tail(got, vf32_load(v), k);
    for (i = 0; i < VITC_LANES + PAD; i++) {
      const uint8_t want = i < k ? (uint8_t)(int32_t)v[i] : 0xA5;
      if (got[i] != want) {
        simd_fail(isa, "store_u8%s %d: byte %d is %d, want %d", k == VITC_LANES ? "" : "_tail", k, i, got[i], want);
        break;
      }
    }
  }
  for (li = 0; li < SIMD_NLEN + 1; li++) {
    const int n = li < SIMD_NLEN ? simd_lengths[li] : nspecial;
    float *x = buf_rand(n, -300.0f, 300.0f);
    uint8_t *ref = malloc((size_t)n + PAD), *got = malloc((size_t)n + PAD);
    if (!ref || !got) abort();
    if (li == SIMD_NLEN) memcpy(x, specials, sizeof specials);
    else
      for (i = 0; i < n; i += 7) x[i] = (float)(rng_int(600) - 300) + 0.5f; /* ties */
#define SIMD_BYTES_CASE(WHAT, REFCALL, GOTCALL)                                                                        \
  do {                                                                                                                 \
    memset(ref, 0x5A, (size_t)n + PAD);                                                                                \
    memset(got, 0x5A, (size_t)n + PAD);                                                                                \
    REFCALL;                                                                                                           \
    GOTCALL;                                                                                                           \
    for (i = 0; i < n + PAD; i++)                                                                                      \
      if (got[i] != ref[i]) {                                                                                          \
        simd_fail(isa, "%s n %d: byte %d is %d, want %d (x %.9g)", WHAT, n, i, got[i], ref[i],                         \
                  i < n ? (double)x[i] : 0.0);                                                                         \
        break;                                                                                                         \
      }                                                                                                                \
  } while (0)
    for (t = 2; t <= 3; t++) {
      const float s = 0.37f;
      const int z = t == 3 ? -3 : 131;
      const char *what = t == 3 ? "quantize int8" : "quantize uint8";
      SIMD_BYTES_CASE(what, vitc_f32_quantize_scalar(1, 1, n, x, &s, &z, t, ref),
                      VITC_FN(vitc_f32_quantize)(1, 1, n, x, &s, &z, t, got));
      {
        const uint8_t zb = (uint8_t)z;
        SIMD_BYTES_CASE("quantize_rt", vitc_f32_quantize_rt_scalar(n, x, &s, &zb, t, ref),
                        VITC_FN(vitc_f32_quantize_rt)(n, x, &s, &zb, t, got));
        SIMD_BYTES_CASE("quantize_rt zp NULL", vitc_f32_quantize_rt_scalar(n, x, &s, NULL, t, ref),
                        VITC_FN(vitc_f32_quantize_rt)(n, x, &s, NULL, t, got));
      }
      /* per axis: the axis first (inner n / 3), and last (inner 1) */
      if (n >= 3 && n % 3 == 0) {
        const float sc[3] = {0.5f, 1.25f, 3.0f};
        const int zp[3] = {t == 3 ? -7 : 10, 0, t == 3 ? 20 : 200};
        SIMD_BYTES_CASE("quantize per axis, inner > 1", vitc_f32_quantize_scalar(1, 3, n / 3, x, sc, zp, t, ref),
                        VITC_FN(vitc_f32_quantize)(1, 3, n / 3, x, sc, zp, t, got));
      }
      {
        float *sc = buf_rand(n, 0.1f, 4.0f);
        int *zp = malloc(((size_t)n + 1) * sizeof(int));
        if (!zp) abort();
        for (i = 0; i < n; i++) zp[i] = t == 3 ? rng_int(256) - 128 : rng_int(256);
        SIMD_BYTES_CASE("quantize per axis, inner 1", vitc_f32_quantize_scalar(2, n / 2, 1, x, sc, zp, t, ref),
                        VITC_FN(vitc_f32_quantize)(2, n / 2, 1, x, sc, zp, t, got));
        free(sc);
        free(zp);
      }
    }
    if (li < SIMD_NLEN) { /* finite inputs: ONNX's range is then finite */
      float rs, gs;
      uint8_t rz, gz;
      SIMD_BYTES_CASE("dynamic_quantize", vitc_f32_dynamic_quantize_scalar(n, x, ref, &rs, &rz),
                      VITC_FN(vitc_f32_dynamic_quantize)(n, x, got, &gs, &gz));
      if (!same_f32(rs, gs) || rz != gz)
        simd_fail(isa, "dynamic_quantize n %d: scale %.9g zp %d, want %.9g %d", n, (double)gs, gz, (double)rs, rz);
    }
    for (t = 0; t < 4; t++) {
      SIMD_BYTES_CASE("isinf", vitc_f32_isinf_scalar(n, t & 1, t >> 1, x, ref),
                      VITC_FN(vitc_f32_isinf)(n, t & 1, t >> 1, x, got));
    }
    SIMD_BYTES_CASE("isnan", vitc_f32_isnan_scalar(n, x, ref), VITC_FN(vitc_f32_isnan)(n, x, got));
#undef SIMD_BYTES_CASE
    free(x);
    free(ref);
    free(got);
  }
}

/* ---------------------------------------------------------------- gemm */

/* vitc_f32_gemm and vitc_f32_gemm_general (ONNX Gemm off the packed path) against
 * the scalar kernels: every transA/transB, alpha and beta, each broadcast form of
 * C, sizes with and without vector tails. Sums in another order: within
 * 1e-6 (1 + K) of the largest |term| sum. */
static void VITC_FN(t_gemm)(void) {
  const char *isa = SIMD_ISA_NAME;
  static const int sizes[][3] = {{1, 1, 1}, {3, 5, 7}, {4, 16, 9}, {7, 67, 33}, {17, 3, 64}, {2, 130, 5}, {33, 21, 1}};
  int si, ta, tb, ci, i;
  for (si = 0; si < (int)(sizeof sizes / sizeof sizes[0]); si++) {
    const int M = sizes[si][0], N = sizes[si][1], K = sizes[si][2];
    float *A = buf_rand(M * K, -1.0f, 1.0f), *B = buf_rand(K * N, -1.0f, 1.0f), *C = buf_rand(M * N, -1.0f, 1.0f);
    float *bias = buf_rand(N, -1.0f, 1.0f), *ref = buf_new(M * N), *got = buf_new(M * N);
    const double tol = 1e-6 * (1.0 + K);
    /* vitc_f32_gemm: C = A @ B + bias, leading dimensions = the widths */
    vitc_f32_gemm_scalar(M, N, K, A, K, B, N, bias, ref, N);
    VITC_FN(vitc_f32_gemm)(M, N, K, A, K, B, N, bias, got, N);
    for (i = 0; i < M * N; i++)
      if (!close_rel(got[i], ref[i], 0, tol)) {
        simd_fail(isa, "gemm %dx%dx%d: [%d] %.9g, want %.9g", M, N, K, i, (double)got[i], (double)ref[i]);
        break;
      }
    guard_check(isa, "gemm", got, M * N);
    for (ta = 0; ta < 2; ta++)
      for (tb = 0; tb < 2; tb++)
        for (ci = 0; ci < 5; ci++) { /* C: none, scalar, (N,), (M,1), (M,N) */
          static const float alphas[] = {1.0f, 0.25f, 1.0f, -1.5f, 2.0f}, betas[] = {0.0f, 1.0f, 0.35f, 1.0f, -0.5f};
          const ptrdiff_t c_rs = ci == 3 ? 1 : ci == 4 ? N : 0, c_cs = ci == 2 || ci == 4 ? 1 : 0;
          const float *cin = ci == 0 ? NULL : C;
          vitc_f32_gemm_general_scalar(ta, tb, M, N, K, alphas[ci], A, B, betas[ci], cin, c_rs, c_cs, ref);
          guard_fill(got, M * N);
          VITC_FN(vitc_f32_gemm_general)(ta, tb, M, N, K, alphas[ci], A, B, betas[ci], cin, c_rs, c_cs, got);
          for (i = 0; i < M * N; i++)
            if (!close_rel(got[i], ref[i], 0, tol * 2.5)) {
              simd_fail(isa, "gemm_general %dx%dx%d transA %d transB %d C form %d: [%d] %.9g, want %.9g", M, N, K, ta,
                        tb, ci, i, (double)got[i], (double)ref[i]);
              break;
            }
          guard_check(isa, "gemm_general", got, M * N);
        }
    free(A);
    free(B);
    free(C);
    free(bias);
    free(ref);
    free(got);
  }
}

/* ---------------------------------------------------------------- epilogue */

/* vitc_f32_gemm_epilogue (after the direct conv and the run-time-B vitc.Gemm, and
 * inside the int8 GEMM) against the scalar kernel: every activation, both gates,
 * residuals, GLU column ranges, and a block of columns (j0 > 0). Fast math:
 * within 2e-6 relative plus 1e-6 absolute; a gate (G, |G| <= 3, or a GLU range's
 * GELU column) multiplies GELU's error, whose bound is absolute (4e-7 |x|, |x| <= 6
 * here), by up to 6: 2e-5 absolute there. */
static void VITC_FN(t_epilogue)(void) {
  const char *isa = SIMD_ISA_NAME;
  enum { M = 3, N = 37, LD = 40 };
  static const int ranges[9] = {10, VITC_GEMM_ACT_GELU, -1, 20, VITC_GEMM_ACT_SILU, 0, 37, VITC_GEMM_ACT_NONE, -1};
  float *G = buf_rand(M * LD, -3.0f, 3.0f), *R = buf_rand(M * LD, -3.0f, 3.0f);
  int act, gm, res, rg, j0, i;
  for (act = 0; act < VITC_GEMM_ACT_COUNT; act++)
    for (gm = 0; gm < 3; gm++)
      for (res = 0; res < 3; res++)
        for (rg = 0; rg < 2; rg++)
          for (j0 = 0; j0 < 2; j0++) {
            vitc_f32_gemm_epilogue ep;
            float *base = buf_rand(M * LD, -6.0f, 6.0f), *ref = buf_new(M * LD), *got = buf_new(M * LD);
            const int off = j0 ? 5 : 0, n = j0 ? N - 5 : N;
            memset(&ep, 0, sizeof ep);
            ep.act = act;
            ep.act_alpha = act == VITC_GEMM_ACT_CLIP ? -1.0f : 0.2f;
            ep.act_beta = act == VITC_GEMM_ACT_CLIP ? 1.5f : 0.5f;
            ep.gate_mode = gm;
            ep.gate = gm ? G : NULL;
            ep.ldg = LD;
            ep.res = res ? R : NULL;
            ep.ldr = LD;
            ep.res_scale = res == 2 ? 0.5f : 1.0f;
            if (rg) ep.n_ranges = 3, ep.ranges = ranges;
            memcpy(ref, base, sizeof(float) * M * LD);
            memcpy(got, base, sizeof(float) * M * LD);
            /* a block of columns [off, N): the epilogue's columns counted from j0 = off */
            vitc_f32_gemm_epilogue_scalar(M, n, ref + off, LD, &ep, off);
            VITC_FN(vitc_f32_gemm_epilogue)(M, n, got + off, LD, &ep, off);
            for (i = 0; i < M * LD; i++)
              if (!close_rel(got[i], ref[i], 2e-6, rg || gm ? 2e-5 : 1e-6)) {
                simd_fail(isa, "epilogue act %d gate %d res %d ranges %d j0 %d: [%d] %.9g, want %.9g", act, gm, res, rg,
                          off, i, (double)got[i], (double)ref[i]);
                break;
              }
            guard_check(isa, "epilogue", got, M * LD);
            free(base);
            free(ref);
            free(got);
          }
  free(G);
  free(R);
}

/* ---------------------------------------------------------------- einsum */

/* vitc_f32_einsum against the scalar kernel on the forms of each vector mode: the
 * output mode bit for bit (batched matmul, outer product, sum over the first dim);
 * the sum mode (attention's "bhid,bhjd->bhij", an inner product, a row sum, a
 * size-1 broadcast letter) and the gather mode (a diagonal, a transpose of the last
 * dim, a three-operand product) within 1e-5 relative to the sum of |terms|. Letters
 * as the compiler hands them (ops/einsum.c): sizes, the output's first, and each
 * operand's stride per letter. */
static void VITC_FN(t_einsum)(void) {
  const char *isa = SIMD_ISA_NAME;
  static const struct {
    const char *eq;
    int n_ops, n_idx, out_rank, dims[6], ostr[3 * 6], numel[3], exact;
  } cs[] = {
      /* bij,bjk->bik: letters b i k | j; A (2,5,7) B (2,7,19) */
      {"bij,bjk->bik", 2, 4, 3, {2, 5, 19, 7}, {35, 7, 0, 1, /**/ 133, 0, 1, 19}, {70, 266}, 1},
      /* i,j->ij */
      {"i,j->ij", 2, 2, 2, {9, 21}, {1, 0, /**/ 0, 1}, {9, 21}, 1},
      /* ij->j: letters j | i; A (6,37) */
      {"ij->j", 1, 2, 1, {37, 6}, {1, 37}, {222}, 1},
      /* bhid,bhjd->bhij: b h i j | d; A,B (2,3,5,24) */
      {"bhid,bhjd->bhij", 2, 5, 4, {2, 3, 5, 5, 24}, {360, 120, 24, 0, 1, /**/ 360, 120, 0, 24, 1}, {720, 720}, 0},
      /* i,i: | i */
      {"i,i", 2, 1, 0, {37}, {1, /**/ 1}, {37, 37}, 0},
      /* ij->i: i | j; A (5,40) */
      {"ij->i", 1, 2, 1, {5, 40}, {40, 1}, {200}, 0},
      /* bii->bi: b i; A (3,6,6): stride of i = 6 + 1 */
      {"bii->bi", 1, 2, 2, {3, 6}, {36, 7}, {108}, 0},
      /* ij->ji: j i; A (7,11) */
      {"ij->ji", 1, 2, 2, {11, 7}, {1, 11}, {77}, 0},
      /* ij,jk,kl->il: i l | j k; A (3,4) B (4,5) C (5,6) */
      {"ij,jk,kl->il", 3, 4, 2, {3, 6, 4, 5}, {4, 0, 1, 0, /**/ 0, 0, 5, 1, /**/ 0, 1, 0, 6}, {12, 20, 30}, 0},
      /* i,i of size 1: every operand broadcast along the summed letter (the sum mode's
       * lanes past the letter's size must be masked off) */
      {"i,i (size 1)", 2, 1, 0, {1}, {0, /**/ 0}, {1, 1}, 0},
      /* ij,i->i: j is summed in A only, so B is broadcast along it (sum mode) */
      {"ij,i->i", 2, 2, 1, {5, 37}, {37, 1, /**/ 1, 0}, {185, 5}, 0},
      /* a size-1 letter: i,ij->j with A (1): i | broadcast j; letters j | i */
      {"i,ij->j", 2, 2, 1, {13, 1}, {0, 0, /**/ 1, 0}, {1, 13}, 0},
  };
  int ci, k, i;
  for (ci = 0; ci < (int)(sizeof cs / sizeof cs[0]); ci++) {
    const float *X[3];
    float *xs[3] = {NULL, NULL, NULL}, *ref, *got;
    int ny = 1;
    for (i = 0; i < cs[ci].out_rank; i++) ny *= cs[ci].dims[i];
    for (k = 0; k < cs[ci].n_ops; k++) X[k] = xs[k] = buf_rand(cs[ci].numel[k], -1.0f, 1.0f);
    ref = buf_new(ny);
    got = buf_new(ny);
    vitc_f32_einsum_scalar(cs[ci].n_ops, cs[ci].n_idx, cs[ci].out_rank, cs[ci].dims, cs[ci].ostr, X, ref);
    VITC_FN(vitc_f32_einsum)(cs[ci].n_ops, cs[ci].n_idx, cs[ci].out_rank, cs[ci].dims, cs[ci].ostr, X, got);
    for (i = 0; i < ny; i++)
      if (cs[ci].exact ? !same_f32(got[i], ref[i]) : !close_rel(got[i], ref[i], 1e-5, 1e-5)) {
        simd_fail(isa, "einsum %s: [%d] %.9g, want %.9g", cs[ci].eq, i, (double)got[i], (double)ref[i]);
        break;
      }
    guard_check(isa, "einsum", got, ny);
    for (k = 0; k < 3; k++) free(xs[k]);
    free(ref);
    free(got);
  }
}

/* ---------------------------------------------------------------- cumsum */

/* vitc_f32_cumsum against the scalar kernel, bit for bit (the same additions in the
 * same order): inner > 1 and inner == 1 (rows side by side), exclusive, reverse,
 * tails, with -0 first (exclusive's 0 + -0 is +0) and a NaN. */
static void VITC_FN(t_cumsum)(void) {
  const char *isa = SIMD_ISA_NAME;
  static const int shapes[][3] = {{1, 9, 1}, {3, 7, 1}, {37, 5, 1}, {2, 6, 19}, {1, 4, 64}, {5, 1, 3}, {17, 33, 1}};
  int si, ex, rv, i;
  for (si = 0; si < (int)(sizeof shapes / sizeof shapes[0]); si++)
    for (ex = 0; ex < 2; ex++)
      for (rv = 0; rv < 2; rv++) {
        const int outer = shapes[si][0], n = shapes[si][1], inner = shapes[si][2], nx = outer * n * inner;
        float *x = buf_rand(nx, -2.0f, 2.0f), *ref = buf_new(nx), *got = buf_new(nx);
        x[0] = -0.0f;
        if (nx > 10) x[nx - 4] = NAN;
        vitc_f32_cumsum_scalar(outer, n, inner, ex, rv, x, ref);
        VITC_FN(vitc_f32_cumsum)(outer, n, inner, ex, rv, x, got);
        for (i = 0; i < nx; i++)
          if (!same_f32(got[i], ref[i])) {
            simd_fail(isa, "cumsum (%d,%d,%d) exclusive %d reverse %d: [%d] %.9g, want %.9g", outer, n, inner, ex, rv, i,
                      (double)got[i], (double)ref[i]);
            break;
          }
        guard_check(isa, "cumsum", got, nx);
        free(x);
        free(ref);
        free(got);
      }
}

/* ---------------------------------------------------------------- tokens */

/* vitc_f32_gather_tokens against the scalar kernel: [B,C,P] and [B,P,C] maps,
 * one index list or one per image, every mix of gate and position rows (by
 * pixel, token, image and token), [B,K,C] and sequence-first [K,B,C] output,
 * negative and out-of-range indices, C around the vector width and a map large
 * enough for one channel per block. A multiply then an add: equal, or one
 * rounding apart where the C compiler fused them in one kernel and not the other. */
static void VITC_FN(t_tokens)(void) {
  const char *isa = SIMD_ISA_NAME;
  static const int shapes[][2] = {{5, 13}, {VITC_LANES, 13}, {37, 29}, {3, 4100}}; /* C, P */
  int si, layout, shared, extras, seq, b, i, c;
  for (si = 0; si < (int)(sizeof shapes / sizeof shapes[0]); si++)
    for (layout = 0; layout < 2; layout++)
      for (shared = 0; shared < 2; shared++)
        for (extras = 0; extras < 8; extras++) /* bit 0 gate; 2, 4, 6: rows by pixel, token, image and token */
          for (seq = 0; seq < 2; seq++) {
            const int B = 2, K = 4, C = shapes[si][0], P = shapes[si][1], nt = B * K * C;
            const int ms[3] = {C * P, layout ? 1 : P, layout ? C : 1};
            const int os[2] = {seq ? C : K * C, seq ? B * C : C};
            const int tab_rows = (extras >> 1) - 1; /* -1: no rows */
            const int64_t I[8] = {3, P - 1, -1, P + 7, 0, 7, 7, 5}; /* -1 is P - 1; P + 7 is out of range */
            float *M = buf_rand(B * C * P, -1.0f, 1.0f), *S = buf_rand(B * K, -2.0f, 2.0f);
            float *Tab = buf_rand(P * C, -1.0f, 1.0f), *ref = buf_new(nt), *got = buf_new(nt);
            const float *s = extras & 1 ? S : NULL, *tab = tab_rows >= 0 ? Tab : NULL;
            const int ib = shared ? 0 : K, rows = tab_rows < 0 ? 0 : tab_rows;
            vitc_f32_gather_tokens_scalar(B, C, P, K, M, ms, I, ib, s, tab, rows, ref, os);
            VITC_FN(vitc_f32_gather_tokens)(B, C, P, K, M, ms, I, ib, s, tab, rows, got, os);
            for (b = 0; b < B; b++)
              for (i = 0; i < K; i++)
                for (c = 0; c < C; c++) {
                  const int at = b * os[0] + i * os[1] + c;
                  if (!close_rel(got[at], ref[at], 0.0, 2.4e-7)) {
                    simd_fail(isa, "gather_tokens C %d P %d layout %d shared %d extras %d seq %d (%d,%d,%d): %.9g, want %.9g",
                              C, P, layout, shared, extras, seq, b, i, c, (double)got[at], (double)ref[at]);
                    b = B, i = K, c = C;
                  }
                }
            guard_check(isa, "gather_tokens", got, nt);
            free(M), free(S), free(Tab), free(ref), free(got);
          }
}

static int VITC_FN(simd_test_isa)(const SimdParams *prm) {
  const int before = simd_failures;
  printf("[%s] %d lanes\n", SIMD_ISA_NAME, VITC_LANES);
  VITC_FN(t_api)();
  VITC_FN(t_fastmath)(prm);
  VITC_FN(t_softmax)();
  VITC_FN(t_layernorm)();
  VITC_FN(t_channel_affine)();
  VITC_FN(t_unary)();
  VITC_FN(t_binary)();
  VITC_FN(t_activation)();
  VITC_FN(t_pow)();
  VITC_FN(t_fmod)();
  VITC_FN(t_lrn)();
  VITC_FN(t_where)();
  VITC_FN(t_pool)();
  VITC_FN(t_reduce)();
  VITC_FN(t_norm_arg)();
  VITC_FN(t_bytes)();
  VITC_FN(t_gemm)();
  VITC_FN(t_epilogue)();
  VITC_FN(t_einsum)();
  VITC_FN(t_cumsum)();
  VITC_FN(t_tokens)();
  printf("[%s] %s\n", SIMD_ISA_NAME, simd_failures == before ? "all checks passed" : "FAILED");
  fflush(stdout);
  return simd_failures - before;
}

#undef SIMD_ISA_NAME
