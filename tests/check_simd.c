/* tests/check_simd.c: the SIMD shims (templates/simd/), their fast math, and the
 * shim-based kernel templates (templates/<family>/<stem>-simd.c), on every ISA
 * this machine can run.
 *
 * One program tests every shim: tests/simd_isa_tests.h is included once per ISA
 * after binding that ISA's shim (the shims' own functions carry their ISA in their
 * names, so they coexist), with x86 ISAs compiled under `#pragma GCC target` (or
 * clang's attribute pragma) and run as their own ctest tests, `check_simd --isa
 * avx2|avx512`, which exit 77 (skipped, with the reason) where
 * __builtin_cpu_supports says the CPU lacks the ISA. Per ISA it checks every shim
 * operation and tail length, sweeps exp/sigmoid/tanh/erf against libm and asserts
 * the error bounds documented in templates/simd/fastmath.h (printing the measured
 * maxima), and compares each shim-based kernel with its scalar template.
 *
 * NEON cannot run natively here. The test cross-compiles this same file for
 * AArch64 (aarch64-linux-gnu-gcc, -Werror: that is the neon shim's compile
 * check) in its standalone mode (-DVITC_SIMD_STANDALONE: no Check, a plain
 * main that runs the portable and neon instantiations) and runs it under
 * qemu-aarch64; a missing tool is a failure.
 *
 *   check_simd                      the portable shim and neon (Check runner)
 *   check_simd --isa avx2|avx512    one x86 ISA
 *   gcc -std=c99 -O2 -DVITC_SIMD_STANDALONE -I templates -I tests tests/check_simd.c -lm
 *                                   the same without Check; args: [--step N] */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define SIMD_X86 1
#else
#define SIMD_X86 0
#endif

#ifndef VITC_SIMD_STANDALONE
#include <check.h>
#include <unistd.h>

#include "check_runner.h"
#include "testutil.h"
#endif

#include "test_rng.h"

/* the scalar templates the shim-based kernels are compared with */
#include "eltwise/f32-unary-scalar.c"
#include "eltwise/f32-activation-scalar.c"
#include "eltwise/f32-prelu-scalar.c"
#include "pool/f32-pool2d-scalar.c"
#include "reduce/f32-reduce-scalar.c"
#include "reduce/f32-argreduce-scalar.c"
#include "norm/f32-groupnorm-scalar.c"
#include "eltwise/x-binary-scalar.c"
#include "norm/f32-layernorm-scalar.c"
#include "norm/f32-softmax-scalar.c"
#include "quant/x-quant-scalar.c"
#include "gemm/f32-gemm-scalar.c"
#include "einsum/f32-einsum-scalar.c"
#include "reduce/f32-cumsum-scalar.c"
#include "eltwise/f32-classify-scalar.c"
#include "layout/f32-tokens-scalar.c"

/* ---------------------------------------------------------------- bounds */

/* The documented maximum errors of templates/simd/fastmath.h (ulp of the exact
 * result; absolute where noted). */
#define SIMD_EXP_ULP 1.5
#define SIMD_EXP_DENORMAL_ABS 1.5e-45 /* about 1 ulp of the denormals (2^-149) */
#define SIMD_SIGMOID_ULP 3.0
#define SIMD_TANH_ULP 6.0
#define SIMD_TANH_ABS 3.6e-7
#define SIMD_ERF_ULP 8.0
#define SIMD_ERF_ABS 4.8e-7
#define SIMD_LOG_ULP 2.0
#define SIMD_LOG1P_ULP 4.0
#define SIMD_EXPM1_ULP 4.0

/* ---------------------------------------------------------------- helpers */

#define SIMD_STR_(x) #x
#define SIMD_STR(x) SIMD_STR_(x)
#define GUARD 16
#define GUARD_VAL 1234.5f

typedef struct SimdParams {
  unsigned step; /* sweep every step-th float */
} SimdParams;

typedef double (*SimdRef)(double);
typedef void (*SimdUnaryFn)(int, const float *, float *);
typedef void (*SimdParamFn)(int, float, float, const float *, float *);
typedef void (*SimdBinFn)(int, const int *, const float *, const int *, const float *, const int *, float *);

static int simd_failures;

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static void
simd_fail(const char *isa, const char *fmt, ...);

#include <stdarg.h>
static void simd_fail(const char *isa, const char *fmt, ...) {
  va_list ap;
  if (++simd_failures > 40) return;
  va_start(ap, fmt);
  printf("  FAIL [%s] ", isa);
  vprintf(fmt, ap);
  printf("\n");
  va_end(ap);
}


/* n floats followed by GUARD guard floats */
static float *buf_new(int n) {
  float *p = malloc(((size_t)n + GUARD) * sizeof(float));
  int i;
  if (!p) abort();
  for (i = 0; i < n; i++) p[i] = NAN;
  for (i = 0; i < GUARD; i++) p[n + i] = GUARD_VAL;
  return p;
}
static float *buf_rand(int n, float lo, float hi) {
  float *p = buf_new(n);
  int i;
  for (i = 0; i < n; i++) p[i] = rng_f(lo, hi);
  return p;
}
static void guard_fill(float *p, int n) {
  int i;
  for (i = 0; i < GUARD; i++) p[n + i] = GUARD_VAL;
}
static void guard_check(const char *isa, const char *what, const float *p, int n) {
  int i;
  for (i = 0; i < GUARD; i++)
    if (p[n + i] != GUARD_VAL) {
      simd_fail(isa, "%s: wrote past the end (element %d of a %d-float buffer)", what, n + i, n);
      return;
    }
}

/* NaN == NaN; otherwise equal with the same sign (so -0 != +0) */
static int same_f32(float a, float b) {
  if (isnan(a) || isnan(b)) return isnan(a) && isnan(b);
  return a == b && !signbit(a) == !signbit(b);
}

/* both NaN, or equal (infinities), or |got - want| <= rtol |want| + atol */
static int close_rel(float got, float want, double rtol, double atol) {
  if (isnan(want) || isnan(got)) return isnan(want) && isnan(got);
  if (isinf(want) || isinf(got)) return got == want;
  return fabs((double)got - want) <= rtol * fabs(want) + atol;
}

static double ref_sigmoid(double x) { return 1.0 / (1.0 + exp(-x)); }

/* the spacing of floats at |r| (r a normal float value) */
static double ulp_at(double r) {
  int e;
  frexp(fabs(r), &e);
  return ldexp(1.0, e - 24);
}

/* maximum errors over a sweep */
typedef struct SimdErr {
  long points;
  double max_ulp, at_ulp; /* where the exact result is a normal float */
  double max_abs, at_abs;
  int bad_special; /* NaN or infinity where there should be none, or the reverse */
  float bad_x, bad_got;
  double bad_want;
} SimdErr;

static void err_init(SimdErr *e) { memset(e, 0, sizeof *e); }

static void err_add(SimdErr *e, const char *fname, float x, float got, double want) {
  double d;
  (void)fname;
  e->points++;
  if (isnan(want) || fabs(want) > FLT_MAX) {
    /* NaN in, NaN out; beyond FLT_MAX the float result is +-inf (or FLT_MAX when the
     * exact value is within half an ulp of it) */
    const int ok = isnan(want) ? isnan(got) : (isinf(got) || fabs(got) == FLT_MAX) && (got > 0) == (want > 0);
    if (!ok && !e->bad_special++) {
      e->bad_x = x;
      e->bad_got = got;
      e->bad_want = want;
    }
    return;
  }
  if (isnan(got) || isinf(got)) {
    if (!e->bad_special++) {
      e->bad_x = x;
      e->bad_got = got;
      e->bad_want = want;
    }
    return;
  }
  d = fabs((double)got - want);
  if (d > e->max_abs) {
    e->max_abs = d;
    e->at_abs = x;
  }
  if (fabs(want) >= FLT_MIN && d / ulp_at(want) > e->max_ulp) {
    e->max_ulp = d / ulp_at(want);
    e->at_ulp = x;
  }
}

static void err_report(const char *isa, const char *fname, const char *domain, const SimdErr *e, double ulp_bound,
                       double abs_bound) {
  printf("  [%s] %-8s %-26s %8ld points: max %.3f ulp (x = %.9g), max abs %.3g (x = %.9g)\n", isa, fname, domain,
         e->points, e->max_ulp, e->at_ulp, e->max_abs, e->at_abs);
  if (e->max_ulp > ulp_bound)
    simd_fail(isa, "%s: %.3f ulp exceeds the documented %.1f ulp", fname, e->max_ulp, ulp_bound);
  if (e->max_abs > abs_bound)
    simd_fail(isa, "%s: absolute error %.3g exceeds the documented %.3g", fname, e->max_abs, abs_bound);
  if (e->bad_special)
    simd_fail(isa, "%s: %d wrong NaN/inf results, first %s(%.9g) = %.9g, want %.9g", fname, e->bad_special, fname,
              (double)e->bad_x, (double)e->bad_got, e->bad_want);
  if (e->points < 1000) simd_fail(isa, "%s: only %ld points swept", fname, e->points);
}

/* lengths around the vector widths (1, 4, 8, 16), plus the ViT sizes */
static const int simd_lengths[] = {0, 1, 2, 3, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 192, 197, 768, 1000};
#define SIMD_NLEN ((int)(sizeof simd_lengths / sizeof simd_lengths[0]))

/* ---------------------------------------------------------------- per ISA */

/* portable C: the scalar shim (every machine) */
#include "simd/scalar.h"
#include "simd_isa_tests.h"
#include "simd/unbind.h"

#if SIMD_X86 && (defined(__GNUC__) || defined(__clang__))
#define SIMD_HAVE_X86_TESTS 1
#define VITC_SIMD_ASSUME_TARGET /* X86_TARGET_PUSH below enables the ISA per function */
#include "x86_target.h"

X86_TARGET_PUSH(X86_AVX2_FEATURES)
#include "simd/avx2.h"
#include "simd_isa_tests.h"
#include "simd/unbind.h"
X86_TARGET_POP

X86_TARGET_PUSH(X86_AVX512_FEATURES)
#include "simd/avx512.h"
#include "simd_isa_tests.h"
#include "simd/unbind.h"
X86_TARGET_POP

#ifdef VITC_SIMD_STANDALONE
#include "x86_isa_here.h"
#endif
#else
#define SIMD_HAVE_X86_TESTS 0
#endif

#if defined(__aarch64__)
#include "simd/neon.h"
#include "simd_isa_tests.h"
#include "simd/unbind.h"
#endif

/* ---------------------------------------------------------------- runners */

#define SIMD_STEP_NATIVE 251u /* every 251st float: ~4.5 M points per function and sign */

#ifdef VITC_SIMD_STANDALONE

int main(int argc, char **argv) {
  SimdParams prm = {SIMD_STEP_NATIVE};
  if (argc == 3 && strcmp(argv[1], "--step") == 0) prm.step = (unsigned)strtoul(argv[2], NULL, 10);
  if (prm.step == 0) prm.step = 1;
  simd_test_isa_simd_scalar(&prm);
#if SIMD_HAVE_X86_TESTS
  if (x86_runs_here(0)) simd_test_isa_avx2(&prm);
  if (x86_runs_here(1)) simd_test_isa_avx512(&prm);
#endif
#if defined(__aarch64__)
  simd_test_isa_neon(&prm);
#endif
  printf("check_simd: %s (%d failed checks)\n", simd_failures ? "FAILED" : "all passed", simd_failures);
  return simd_failures ? 1 : 0;
}

#else /* Check runner */

START_TEST(test_portable) {
  SimdParams prm = {SIMD_STEP_NATIVE};
  ck_assert_int_eq(simd_test_isa_simd_scalar(&prm), 0);
}
END_TEST

/* The x86 ISAs run only under `--isa avx2|avx512`, which exits TU_SKIP where this CPU
 * lacks the ISA (tests/testutil.h: one ctest test per ISA). */
START_TEST(test_avx2) {
#if SIMD_HAVE_X86_TESTS
  SimdParams prm = {SIMD_STEP_NATIVE};
  ck_assert_int_eq(simd_test_isa_avx2(&prm), 0);
#else
  ck_abort_msg("[avx2] not an x86 build (or not GCC/clang)");
#endif
}
END_TEST

START_TEST(test_avx512) {
#if SIMD_HAVE_X86_TESTS
  SimdParams prm = {SIMD_STEP_NATIVE};
  ck_assert_int_eq(simd_test_isa_avx512(&prm), 0);
#else
  ck_abort_msg("[avx512] not an x86 build (or not GCC/clang)");
#endif
}
END_TEST

/* On AArch64 natively; elsewhere cross-compiled in standalone mode (the neon shim's
 * compile check, -Werror) and run under qemu with a sparser sweep: qemu emulates each
 * instruction. */
START_TEST(test_neon) {
#if defined(__aarch64__)
  SimdParams prm = {SIMD_STEP_NATIVE};
  ck_assert_int_eq(simd_test_isa_neon(&prm), 0);
#else
  static const char *const args[] = {"--step", "4093", NULL};
  char *fail = tu_run_neon_standalone("check_simd.c", "VITC_SIMD_STANDALONE", args);
  ck_assert_msg(fail == NULL, "[neon] %s", fail);
#endif
}
END_TEST

int main(int argc, char **argv) {
  const TuIsaTest tests[] = {
      {NULL, test_portable}, {NULL, test_neon}, {"avx2", test_avx2}, {"avx512", test_avx512},
  };
  return tu_isa_main("check_simd", "simd", argc, argv, 900, tests, sizeof tests / sizeof tests[0]);
}

#endif
