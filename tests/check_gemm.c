/* tests/check_gemm.c: the packed-GEMM microkernels (templates/gemm/f32-gemm-<MR>x<NR>-<isa>.c
 * and their driver, f32-gemm-driver.c) against naive double-precision references,
 * on every ISA this machine can run, plus the scalar vitc.Gemm epilogue.
 *
 * Per ISA (avx2 6x16, avx512 12x32, neon 8x12) it runs the three entry points:
 *   gemm    C = act(A @ Wp + bias) + R with weights packed by vitc_f32_gemm_pack_b
 *           (the layout ops/matmul.c packs at compile time, checked here against
 *           its definition): tile-equal, smaller, larger and multiple shapes, the
 *           token-count remainders (197 = 16x12+5 = 32x6+5 = 24x8+5, and N = 197),
 *           K = 0 and K = 1, K blocks (kc < K: accumulation in C before the
 *           epilogue), N blocks (nc < N), lda > K, every activation with and
 *           without bias and residual;
 *   matmul  batched products of activations with broadcast batch dims and B read
 *           row-major or transposed, scratch exactly VITC_F32_MATMUL_SCRATCH;
 *   conv2d  patch embedding (kernel == stride), 1x1, padded, strided, dilated,
 *           grouped and batched convs, against vitc_f32_conv2d_im2col_scalar
 *           (itself checked against a naive conv in check_kern_dense), scratch
 *           exactly VITC_F32_CONV2D_SCRATCH;
 * and the shim-based depthwise conv (templates/conv/f32-conv2d-simd.c) against
 * vitc_f32_conv2d_depthwise_scalar: strides 1 to 3, dilation, multiplier 2,
 * kernels larger than the plane, scratch exactly its documented formula;
 * and the direct conv for few output channels (templates/conv/f32-conv2d-direct-
 * {scalar,simd}.c, FilterViT's score conv) against vitc_f32_conv2d_im2col_scalar:
 * 1 to 4 output channels, the paper's 64 -> 1 7x7 dilation 5 'same' conv, rows
 * narrower and wider than a register tile (several column chunks), strides 2
 * (vertical only, and both: the scalar fallback), unequal top/bottom pads, no
 * bias, batch 2, a kernel larger than the plane; scratch exactly its formula
 * (the scalar kernel, without scratch, in the portable run).
 * Every output and scratch buffer is followed by guard floats that must come back
 * untouched, and C starts poisoned so a missed store shows.
 *
 * Tolerances: a dot product of K terms carries at most (K+2) eps sum|terms| of
 * rounding (recursive summation, float); the activation adds its own (GELU with
 * the shims' fast erf: < 4e-7 |x|, see templates/simd/fastmath.h; the tanh form
 * a few ulp) times the slope of the activation (< 1.13), and the residual add one
 * rounding.
 *
 * x86 ISAs are compiled under `#pragma GCC target` and run as their own ctest
 * tests, `check_gemm --isa avx2|avx512`, which exit 77 (skipped, with the reason)
 * where __builtin_cpu_supports says the CPU lacks the ISA. NEON: the test
 * cross-compiles this file for AArch64 in its standalone mode
 * (-DVITC_GEMM_STANDALONE: no Check, a plain main) with aarch64-linux-gnu-gcc
 * -Werror and runs it under qemu-aarch64; a missing tool is a failure.
 *
 *   check_gemm                                       scalar and neon (Check runner)
 *   check_gemm --isa avx2|avx512                     one x86 ISA
 *   gcc -std=c99 -O2 -DVITC_GEMM_STANDALONE -I templates tests/check_gemm.c -lm
 *                                                    the same without Check */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef VITC_GEMM_STANDALONE
#include <check.h>
#include <unistd.h>

#include "testutil.h"
#endif

/* compiled for the baseline ISA: the references and the shared driver */
#include "gemm/f32-gemm-driver.c"
#include "gemm/f32-gemm-scalar.c"
#include "conv/f32-conv2d-scalar.c"
#include "conv/f32-conv2d-direct-scalar.c"

#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
#define GEMM_X86 1
#define VITC_SIMD_ASSUME_TARGET /* the pragmas below enable the ISA per function */

#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx2,fma"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx2,fma")
#endif
#include "simd/avx2.h"
#include "gemm/f32-gemm-6x16-avx2.c"
#include "conv/f32-conv2d-simd.c"
#include "conv/f32-conv2d-direct-simd.c"
#include "simd/unbind.h"
#undef VITC_SIMD_ISA
#undef VITC_LANES
#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif

#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx512f,avx512vl,avx512bw,avx512dq,avx2,fma"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx512f,avx512vl,avx512bw,avx512dq,avx2,fma")
#endif
#include "simd/avx512.h"
#include "gemm/f32-gemm-12x32-avx512.c"
#include "conv/f32-conv2d-simd.c"
#include "conv/f32-conv2d-direct-simd.c"
#include "simd/unbind.h"
#undef VITC_SIMD_ISA
#undef VITC_LANES
#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif

#ifdef VITC_GEMM_STANDALONE
#include "x86_isa_here.h"
#endif
#else
#define GEMM_X86 0
#endif

#if defined(__aarch64__)
#include "simd/neon.h"
#include "gemm/f32-gemm-8x12-neon.c"
#include "conv/f32-conv2d-simd.c"
#include "conv/f32-conv2d-direct-simd.c"
#endif

/* ---------------------------------------------------------------- the ISAs */

typedef void (*GemmFn)(int M, int N, int K, const float *A, int lda, const float *Wp, const float *bias,
                       const float *R, float *C, int act, int kc, int nc, float *scratch);
typedef void (*MatmulFn)(int M, int N, int K, int batch_rank, const int *batch_dims, const ptrdiff_t *a_bs,
                         const ptrdiff_t *b_bs, const float *A, const float *B, ptrdiff_t b_rs, ptrdiff_t b_cs,
                         float *C, int kc, int nc, float *scratch);
typedef void (*ConvFn)(int N, int C_in, int H, int W, int C_out, int OH, int OW, int KH, int KW, int stride_h,
                       int stride_w, int dil_h, int dil_w, int pad_t, int pad_l, int group, const float *X,
                       const float *Wt, const float *bias, float *Y, int kc, int nc, float *scratch);

typedef void (*DwConvFn)(int N, int C_in, int H, int W, int C_out, int OH, int OW, int KH, int KW, int stride_h,
                         int stride_w, int dil_h, int dil_w, int pad_t, int pad_l, const float *X, const float *Wt,
                         const float *bias, float *Y, float *scratch);

/* templates/conv/f32-conv2d-direct-*.c (the scalar kernel ignores scratch) */
typedef DwConvFn DirectConvFn;

typedef struct Isa {
  const char *name;
  int mr, nr;
  GemmFn gemm;
  MatmulFn matmul;
  ConvFn conv;
  DwConvFn dwconv;        /* templates/conv/f32-conv2d-simd.c */
  DirectConvFn direct;    /* templates/conv/f32-conv2d-direct-simd.c */
} Isa;

/* ---------------------------------------------------------------- helpers */

#define GUARD 16
#define GUARD_VAL 1234.5f
#define POISON -777.0f
#define FEPS ((double)FLT_EPSILON)

static int failures;
static const char *cur_isa = "";

static uint64_t rng_state;
static void rng_seed(uint64_t s) { rng_state = s * 0x9E3779B97F4A7C15ull + 1; }
static uint64_t rng_u64(void) {
  uint64_t x = rng_state;
  x ^= x << 13;
  x ^= x >> 7;
  x ^= x << 17;
  return rng_state = x;
}
static float rng_f(float lo, float hi) {
  return lo + (hi - lo) * (float)((double)(rng_u64() >> 40) / (double)(1u << 24));
}

/* n random floats in [-1, 1) + guards */
static float *new_rand(size_t n) {
  float *p = malloc((n + GUARD) * sizeof(float));
  size_t i;
  for (i = 0; i < n; i++) p[i] = rng_f(-1.0f, 1.0f);
  for (i = 0; i < GUARD; i++) p[n + i] = GUARD_VAL;
  return p;
}

/* n poisoned floats + guards */
static float *new_out(size_t n) {
  float *p = malloc((n + GUARD) * sizeof(float));
  size_t i;
  for (i = 0; i < n; i++) p[i] = POISON;
  for (i = 0; i < GUARD; i++) p[n + i] = GUARD_VAL;
  return p;
}

static void report_fail(const char *fmt, const char *what, long i, double got, double want, double tol) {
  if (failures < 20) {
    printf("[%s] FAIL %s ", cur_isa, what);
    printf(fmt, i, got, want, tol);
    printf("\n");
  }
  failures++;
}

static int guards_ok(const float *p, size_t n, const char *what) {
  size_t i;
  for (i = 0; i < GUARD; i++)
    if (p[n + i] != GUARD_VAL) {
      report_fail("guard %ld overwritten: %g (want %g, tol %g)", what, (long)i, p[n + i], GUARD_VAL, 0);
      return 0;
    }
  return 1;
}

static double act_ref(double x, int act) {
  switch (act) {
  case 1: return 0.5 * x * (1.0 + erf(x / sqrt(2.0)));
  case 2: return 0.5 * x * (1.0 + tanh(sqrt(2.0 / 3.14159265358979323846) * (x + 0.044715 * x * x * x)));
  case 3: return x < 0 ? 0 : x;
  default: return x;
  }
}

/* the error an activation adds at x (beyond carrying its input's error) */
static double act_err(double x, int act) {
  if (act == 1 || act == 2) return 4e-7 * fabs(x) + 4 * FEPS * fabs(act_ref(x, act));
  return 0;
}

/* ---------------------------------------------------------------- gemm */

/* C (M,N) = act(A (M,K; lda) @ B (K,N) + bias) + R through isa->gemm, against double. */
static void check_gemm_case(const Isa *isa, int M, int N, int K, int lda, int act, int with_bias, int with_res,
                            int kc, int nc) {
  const int NR = isa->nr;
  const int np = (N + NR - 1) / NR * NR;
  const int kk = kc > 0 && kc < K ? kc : K;
  const size_t ap_n = (size_t)isa->mr * (size_t)(kk > 0 ? kk : 1);
  float *A = new_rand((size_t)M * lda + 1), *B = new_rand((size_t)K * N + 1), *bias = new_rand((size_t)N);
  float *R = new_rand((size_t)M * N), *Wp = new_out((size_t)K * np + 1), *C = new_out((size_t)M * N);
  float *scratch = new_out(ap_n);
  char what[160];
  int i, j, k;

  snprintf(what, sizeof what, "gemm M=%d N=%d K=%d lda=%d act=%d bias=%d res=%d kc=%d nc=%d", M, N, K, lda, act,
           with_bias, with_res, kc, nc);
  vitc_f32_gemm_pack_b(K, N, NR, B, N, 1, Wp);
  /* the packed layout, by its definition (f32-gemm-driver.c) */
  for (j = 0; j < np; j++)
    for (k = 0; k < K; k++) {
      const float want = j < N ? B[(size_t)k * N + j] : 0.0f;
      const float got = Wp[((size_t)(j / NR) * K + k) * NR + j % NR];
      if (got != want) {
        report_fail("packed B at %ld: %g, want %g (tol %g)", what, (long)((size_t)j * K + k), got, want, 0);
        goto out;
      }
    }
  isa->gemm(M, N, K, A, lda, Wp, with_bias ? bias : NULL, with_res ? R : NULL, C, act, kc, nc, scratch);
  for (i = 0; i < M; i++)
    for (j = 0; j < N; j++) {
      double s = with_bias ? bias[j] : 0.0, mag = with_bias ? fabs(bias[j]) : 0.0, y, tol;
      for (k = 0; k < K; k++) {
        const double t = (double)A[(size_t)i * lda + k] * B[(size_t)k * N + j];
        s += t;
        mag += fabs(t);
      }
      y = act_ref(s, act);
      tol = 1.13 * (K + 2) * FEPS * mag + act_err(s, act) + 2 * FEPS * fabs(y) + 1e-30;
      if (with_res) {
        y += R[(size_t)i * N + j];
        tol += 2 * FEPS * fabs(y);
      }
      if (!(fabs(C[(size_t)i * N + j] - y) <= tol)) {
        report_fail("at %ld: got %.9g want %.9g (tol %.3g)", what, (long)i * N + j, C[(size_t)i * N + j], y, tol);
        goto out;
      }
    }
  guards_ok(C, (size_t)M * N, what);
  guards_ok(scratch, ap_n, what);
out:
  free(A), free(B), free(bias), free(R), free(Wp), free(C), free(scratch);
}

static void check_gemm(const Isa *isa) {
  const int MR = isa->mr, NR = isa->nr;
  static const int kcnc[][2] = {{0, 0}, {16, 0}, {0, 1}, {7, 2}};
  int act, b, r, v;
  rng_seed(1);
  /* shapes against the tile, every epilogue */
  for (act = 0; act < 4; act++)
    for (b = 0; b < 2; b++)
      for (r = 0; r < 2; r++) {
        check_gemm_case(isa, MR, NR, 16, 16, act, b, r, 0, 0);          /* tile-equal */
        check_gemm_case(isa, MR - 1, NR - 1, 5, 5, act, b, r, 0, 0);    /* smaller */
        check_gemm_case(isa, MR + 1, NR + 3, 9, 11, act, b, r, 0, 0);   /* larger, lda > K */
        check_gemm_case(isa, 197, 2 * NR + 5, 40, 40, act, b, r, 16, 0); /* token count, K blocks */
      }
  /* sizes and blockings */
  check_gemm_case(isa, 1, 1, 1, 1, 0, 1, 1, 0, 0);
  check_gemm_case(isa, 2 * MR, 3 * NR, 64, 64, 0, 1, 0, 0, 0); /* multiples */
  check_gemm_case(isa, 197, 192, 192, 192, 1, 1, 0, 0, 0);      /* DeiT-Tiny fc shapes, scaled */
  check_gemm_case(isa, 197, 197, 64, 64, 0, 0, 0, 0, 0);        /* N remainder of the scores */
  check_gemm_case(isa, 23, 3 * NR + 5, 100, 101, 3, 1, 1, 32, NR);     /* N blocks of one panel */
  check_gemm_case(isa, 23, 3 * NR + 5, 100, 100, 1, 1, 1, 30, 2 * NR); /* kc not a divisor, nc 2 panels */
  for (v = 0; v < 4; v++) check_gemm_case(isa, 13, NR + 1, 50, 50, 2, 1, 1, kcnc[v][0], kcnc[v][1] * NR);
  /* K = 0: C = act(bias) + R */
  check_gemm_case(isa, MR + 2, NR + 2, 0, 1, 1, 1, 1, 0, 0);
  check_gemm_case(isa, 3, 5, 0, 1, 0, 0, 0, 0, 0);
}

/* ---------------------------------------------------------------- matmul */

/* C [batch..., M, N] = A [batch..., M, K] @ B, B(k, j) = Bm[k*b_rs + j*b_cs], against double. */
static void check_matmul_case(const Isa *isa, int M, int N, int K, int rank, const int *dims, const int *a_bcast,
                              const int *b_bcast, int transB, int kc) {
  ptrdiff_t a_bs[4], b_bs[4], acc_a = (ptrdiff_t)M * K, acc_b = (ptrdiff_t)K * N, nb = 1, bi;
  size_t na, nbb, nc_, ns;
  float *A, *B, *C, *scratch;
  char what[160];
  int d;
  for (d = rank - 1; d >= 0; d--) {
    a_bs[d] = a_bcast[d] ? 0 : acc_a;
    b_bs[d] = b_bcast[d] ? 0 : acc_b;
    if (!a_bcast[d]) acc_a *= dims[d];
    if (!b_bcast[d]) acc_b *= dims[d];
    nb *= dims[d];
  }
  na = (size_t)acc_a, nbb = (size_t)acc_b, nc_ = (size_t)(nb * M * N);
  ns = (size_t)VITC_F32_MATMUL_SCRATCH(isa->mr, isa->nr, K, N, kc);
  A = new_rand(na), B = new_rand(nbb), C = new_out(nc_), scratch = new_out(ns);
  snprintf(what, sizeof what, "matmul M=%d N=%d K=%d rank=%d transB=%d kc=%d", M, N, K, rank, transB, kc);
  isa->matmul(M, N, K, rank, dims, a_bs, b_bs, A, B, transB ? 1 : N, transB ? K : 1, C, kc, 0, scratch);
  for (bi = 0; bi < nb; bi++) {
    ptrdiff_t ao = 0, bo = 0, rem = bi;
    int i, j, k;
    for (d = rank - 1; d >= 0; d--) {
      ao += (rem % dims[d]) * a_bs[d];
      bo += (rem % dims[d]) * b_bs[d];
      rem /= dims[d];
    }
    for (i = 0; i < M; i++)
      for (j = 0; j < N; j++) {
        double s = 0, mag = 0, tol;
        const float got = C[(size_t)(bi * M + i) * N + j];
        for (k = 0; k < K; k++) {
          const double t = (double)A[ao + (ptrdiff_t)i * K + k] *
                           B[bo + (transB ? (ptrdiff_t)j * K + k : (ptrdiff_t)k * N + j)];
          s += t;
          mag += fabs(t);
        }
        tol = (K + 2) * FEPS * mag + 1e-30;
        if (!(fabs(got - s) <= tol)) {
          report_fail("at %ld: got %.9g want %.9g (tol %.3g)", what, (long)((bi * M + i) * N + j), got, s, tol);
          goto out;
        }
      }
  }
  guards_ok(C, nc_, what);
  guards_ok(scratch, ns, what);
out:
  free(A), free(B), free(C), free(scratch);
}

static void check_matmul(const Isa *isa) {
  static const int d23[] = {2, 3}, none[] = {0, 0}, a_b0[] = {1, 0}, b_all[] = {1, 1};
  static const int d3[] = {3}, no1[] = {0};
  rng_seed(2);
  check_matmul_case(isa, 197, 197, 64, 1, d3, no1, no1, 1, 0);       /* Q @ K^T, 3 heads */
  check_matmul_case(isa, 197, 64, 197, 1, d3, no1, no1, 0, 0);       /* P @ V */
  check_matmul_case(isa, 7, 5, 3, 2, d23, none, none, 0, 0);
  check_matmul_case(isa, 7, 5, 3, 2, d23, a_b0, b_all, 1, 0);       /* A broadcast on dim 0, B shared */
  check_matmul_case(isa, isa->mr, isa->nr, 40, 2, d23, none, a_b0, 0, 16); /* B broadcast on dim 0, K blocks */
  check_matmul_case(isa, 1, 1, 1, 0, NULL, NULL, NULL, 0, 0);
  check_matmul_case(isa, 5, 3, 0, 1, d3, no1, no1, 0, 0); /* K = 0: zeros */
}

/* ---------------------------------------------------------------- conv */

static void check_conv_case(const Isa *isa, int N, int C_in, int H, int W, int C_out, int KH, int KW, int s,
                            int d, int pad, int group, int with_bias, int kc) {
  const int OH = (H + 2 * pad - d * (KH - 1) - 1) / s + 1, OW = (W + 2 * pad - d * (KW - 1) - 1) / s + 1;
  const int kdim = C_in / group * KH * KW;
  const size_t ny = (size_t)N * C_out * OH * OW, ns = (size_t)VITC_F32_CONV2D_SCRATCH(isa->mr, isa->nr, kdim,
                                                                                      OH * OW, kc);
  const size_t ns_ref = (size_t)kdim * OH * OW;
  float *X = new_rand((size_t)N * C_in * H * W), *Wt = new_rand((size_t)C_out * kdim), *b = new_rand((size_t)C_out);
  float *Y = new_out(ny), *Yr = new_out(ny), *scratch = new_out(ns), *sr = new_out(ns_ref);
  char what[200];
  size_t i;
  snprintf(what, sizeof what, "conv N=%d C=%d %dx%d -> %d k%dx%d s%d d%d p%d g%d bias=%d kc=%d", N, C_in, H, W, C_out,
           KH, KW, s, d, pad, group, with_bias, kc);
  isa->conv(N, C_in, H, W, C_out, OH, OW, KH, KW, s, s, d, d, pad, pad, group, X, Wt, with_bias ? b : NULL, Y, kc, 0,
            scratch);
  vitc_f32_conv2d_im2col_scalar(N, C_in, H, W, C_out, OH, OW, KH, KW, s, s, d, d, pad, pad, group, X, Wt,
                                with_bias ? b : NULL, Yr, sr);
  for (i = 0; i < ny; i++) {
    /* both sum the same kdim products (+ bias) in float: (kdim+2) eps of their magnitude, bounded by kdim + 1 */
    const double tol = 2.0 * (kdim + 2) * FEPS * (kdim + 1);
    if (!(fabs((double)Y[i] - Yr[i]) <= tol)) {
      report_fail("at %ld: got %.9g want %.9g (tol %.3g)", what, (long)i, Y[i], Yr[i], tol);
      break;
    }
  }
  guards_ok(Y, ny, what);
  guards_ok(scratch, ns, what);
  free(X), free(Wt), free(b), free(Y), free(Yr), free(scratch), free(sr);
}

static void check_conv(const Isa *isa) {
  rng_seed(3);
  check_conv_case(isa, 1, 3, 32, 32, 16, 4, 4, 4, 1, 0, 1, 1, 0);  /* patch embedding */
  check_conv_case(isa, 1, 3, 48, 48, 24, 16, 16, 16, 1, 0, 1, 1, 256); /* kdim 768 in K blocks */
  check_conv_case(isa, 2, 8, 7, 9, 13, 1, 1, 1, 1, 0, 1, 1, 0);    /* 1x1, batch 2 */
  check_conv_case(isa, 1, 5, 11, 10, 7, 3, 3, 2, 1, 1, 1, 0, 0);   /* 3x3 s2 p1, no bias */
  check_conv_case(isa, 1, 4, 12, 12, 6, 3, 3, 1, 2, 2, 1, 1, 0);   /* dilation 2 */
  check_conv_case(isa, 2, 6, 8, 8, 4, 3, 3, 1, 1, 1, 2, 1, 0);     /* 2 groups */
}

/* ---------------------------------------------------------------- depthwise */

/* scratch floats of the depthwise kernel, from the formula documented in
 * templates/conv/f32-conv2d-simd.c (written out again here on purpose) */
static size_t dw_scratch(int H, int W, int OH, int OW, int KH, int KW, int s, int d, int pt, int pl) {
  const long reach = (long)(OW - 1) * s + (long)(KW - 1) * d + 1;
  const long wp = pl + W > reach ? pl + W : reach;
  const long ly = ((long)OH * wp + 15) / 16 * 16;
  long lx = s * (ly - 1) + (long)(KH - 1) * d * wp + (long)(KW - 1) * d + 1;
  if ((long)(pt + H) * wp > lx) lx = (long)(pt + H) * wp;
  return (size_t)(s * ((lx + s - 1) / s) + ly);
}

static void check_dwconv_case(const Isa *isa, int N, int C, int mult, int H, int W, int K, int s, int d, int pt,
                              int pb, int with_bias) {
  const int OH = (H + pt + pb - d * (K - 1) - 1) / s + 1, OW = (W + pt + pb - d * (K - 1) - 1) / s + 1;
  const int C_out = C * mult;
  const size_t ny = (size_t)N * C_out * OH * OW, ns = dw_scratch(H, W, OH, OW, K, K, s, d, pt, pt);
  float *X = new_rand((size_t)N * C * H * W), *Wt = new_rand((size_t)C_out * K * K), *b = new_rand((size_t)C_out);
  float *Y = new_out(ny), *Yr = new_out(ny), *scratch = new_out(ns);
  char what[200];
  size_t i;
  snprintf(what, sizeof what, "depthwise N=%d C=%d x%d %dx%d k%d s%d d%d pads %d,%d bias=%d", N, C, mult, H, W, K, s,
           d, pt, pb, with_bias);
  isa->dwconv(N, C, H, W, C_out, OH, OW, K, K, s, s, d, d, pt, pt, X, Wt, with_bias ? b : NULL, Y, scratch);
  vitc_f32_conv2d_depthwise_scalar(N, C, H, W, C_out, OH, OW, K, K, s, s, d, d, pt, pt, X, Wt, with_bias ? b : NULL,
                                   Yr);
  for (i = 0; i < ny; i++) {
    const double tol = 2.0 * (K * K + 2) * FEPS * (K * K + 1);
    if (!(fabs((double)Y[i] - Yr[i]) <= tol)) {
      report_fail("at %ld: got %.9g want %.9g (tol %.3g)", what, (long)i, Y[i], Yr[i], tol);
      break;
    }
  }
  guards_ok(Y, ny, what);
  guards_ok(scratch, ns, what);
  free(X), free(Wt), free(b), free(Y), free(Yr), free(scratch);
}

static void check_dwconv(const Isa *isa) {
  rng_seed(5);
  check_dwconv_case(isa, 1, 32, 1, 32, 32, 3, 1, 1, 1, 1, 1); /* MobileViT, stride 1 */
  check_dwconv_case(isa, 1, 48, 1, 16, 16, 3, 2, 1, 1, 1, 1); /* stride 2 */
  check_dwconv_case(isa, 2, 3, 2, 9, 7, 3, 1, 1, 0, 0, 0);    /* multiplier 2, unpadded, batch 2 */
  check_dwconv_case(isa, 1, 4, 1, 13, 11, 5, 3, 1, 2, 2, 1);  /* stride 3 */
  check_dwconv_case(isa, 1, 5, 1, 12, 10, 3, 1, 2, 2, 2, 1);  /* dilation 2 */
  check_dwconv_case(isa, 1, 2, 1, 1, 1, 1, 1, 1, 0, 0, 1);    /* 1x1 plane */
  check_dwconv_case(isa, 1, 3, 1, 6, 6, 7, 1, 1, 3, 3, 1);    /* kernel larger than the plane */
}

/* ---------------------------------------------------------------- direct */

/* scratch floats of the direct kernel, from the formula documented in
 * templates/conv/f32-conv2d-direct-simd.c (written out again here on purpose) */
static size_t direct_scratch(int H, int W, int OW, int KW, int d, int pl) {
  const long reach = (long)(OW + 15) / 16 * 16 + (long)(KW - 1) * d, wp = pl + W > reach ? pl + W : reach;
  return (size_t)((H + 1) * wp);
}

/* pads: top pt, bottom pb, left pl, right pr; strides sh, sw */
static void check_direct_case(const Isa *isa, int N, int C_in, int H, int W, int C_out, int K, int sh, int sw, int d,
                              int pt, int pb, int pl, int pr, int with_bias) {
  const int OH = (H + pt + pb - d * (K - 1) - 1) / sh + 1, OW = (W + pl + pr - d * (K - 1) - 1) / sw + 1;
  const int kdim = C_in * K * K;
  const size_t ny = (size_t)N * C_out * OH * OW, ns = isa ? direct_scratch(H, W, OW, K, d, pl) : 0;
  float *X = new_rand((size_t)N * C_in * H * W), *Wt = new_rand((size_t)C_out * kdim), *b = new_rand((size_t)C_out);
  float *Y = new_out(ny), *Yr = new_out(ny), *scratch = new_out(ns), *sr = new_out((size_t)kdim * OH * OW);
  char what[200];
  size_t i;
  snprintf(what, sizeof what, "direct conv N=%d C=%d %dx%d -> %d k%d s%d,%d d%d pads %d,%d,%d,%d bias=%d", N, C_in, H,
           W, C_out, K, sh, sw, d, pt, pb, pl, pr, with_bias);
  if (isa)
    isa->direct(N, C_in, H, W, C_out, OH, OW, K, K, sh, sw, d, d, pt, pl, X, Wt, with_bias ? b : NULL, Y, scratch);
  else
    vitc_f32_conv2d_direct_scalar(N, C_in, H, W, C_out, OH, OW, K, K, sh, sw, d, d, pt, pl, X, Wt,
                                  with_bias ? b : NULL, Y, NULL);
  vitc_f32_conv2d_im2col_scalar(N, C_in, H, W, C_out, OH, OW, K, K, sh, sw, d, d, pt, pl, 1, X, Wt,
                                with_bias ? b : NULL, Yr, sr);
  for (i = 0; i < ny; i++) {
    const double tol = 2.0 * (kdim + 2) * FEPS * (kdim + 1);
    if (!(fabs((double)Y[i] - Yr[i]) <= tol)) {
      report_fail("at %ld: got %.9g want %.9g (tol %.3g)", what, (long)i, Y[i], Yr[i], tol);
      break;
    }
  }
  guards_ok(Y, ny, what);
  guards_ok(scratch, ns, what);
  free(X), free(Wt), free(b), free(Y), free(Yr), free(scratch), free(sr);
}

/* isa NULL: the scalar kernel */
static void check_direct(const Isa *isa) {
  rng_seed(6);
  check_direct_case(isa, 1, 64, 28, 28, 1, 7, 1, 1, 5, 15, 15, 15, 15, 1); /* the paper's 28x28 score conv */
  check_direct_case(isa, 2, 32, 16, 16, 1, 7, 1, 1, 2, 6, 6, 6, 6, 0);     /* models/filter_vit's, batch 2, no bias */
  check_direct_case(isa, 1, 5, 9, 70, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1);       /* 3 outputs, rows of several chunks */
  check_direct_case(isa, 1, 3, 7, 1, 4, 3, 1, 1, 1, 1, 1, 1, 1, 1);        /* 4 outputs, one column */
  check_direct_case(isa, 1, 4, 13, 17, 2, 5, 2, 1, 1, 2, 1, 0, 3, 1);      /* stride 2 down, unequal pads */
  check_direct_case(isa, 2, 3, 12, 11, 1, 3, 2, 2, 1, 1, 1, 1, 1, 1);      /* stride 2 both ways (scalar path) */
  check_direct_case(isa, 1, 2, 5, 6, 1, 7, 1, 1, 1, 3, 3, 3, 3, 1);        /* kernel larger than the plane */
  check_direct_case(isa, 1, 6, 8, 33, 2, 3, 1, 1, 3, 0, 0, 3, 3, 1);       /* 33 columns, unpadded rows */
}

/* ---------------------------------------------------------------- one ISA */

static int run_isa(const Isa *isa) {
  int before = failures;
  cur_isa = isa->name;
  check_gemm(isa);
  check_matmul(isa);
  check_conv(isa);
  check_dwconv(isa);
  check_direct(isa);
  printf("[%s] %dx%d: %s\n", isa->name, isa->mr, isa->nr, failures == before ? "all passed" : "FAILED");
  fflush(stdout);
  return failures - before;
}

#if GEMM_X86
static const Isa isa_avx2 = {"avx2", 6, 16, vitc_f32_gemm_6x16_avx2, vitc_f32_matmul_6x16_avx2,
                             vitc_f32_conv2d_6x16_avx2, vitc_f32_conv2d_depthwise_avx2,
                             vitc_f32_conv2d_direct_avx2};
static const Isa isa_avx512 = {"avx512", 12, 32, vitc_f32_gemm_12x32_avx512, vitc_f32_matmul_12x32_avx512,
                               vitc_f32_conv2d_12x32_avx512, vitc_f32_conv2d_depthwise_avx512,
                               vitc_f32_conv2d_direct_avx512};
#endif
#if defined(__aarch64__)
static const Isa isa_neon = {"neon", 8, 12, vitc_f32_gemm_8x12_neon, vitc_f32_matmul_8x12_neon,
                             vitc_f32_conv2d_8x12_neon, vitc_f32_conv2d_depthwise_neon,
                             vitc_f32_conv2d_direct_neon};
#endif

/* ---------------------------------------------------------------- scalar epilogue */

/* vitc_f32_gemm_epilogue_scalar (vitc.Gemm on the scalar target) against double */
static int check_scalar_epilogue(void) {
  int before = failures, act, r, i;
  cur_isa = "scalar";
  rng_seed(4);
  for (act = 0; act < 4; act++)
    for (r = 0; r < 2; r++) {
      const int M = 7, N = 9;
      float *Y = new_rand((size_t)M * N), *R = new_rand((size_t)M * N), *Y0 = malloc(sizeof(float) * M * N);
      char what[64];
      snprintf(what, sizeof what, "epilogue act=%d res=%d", act, r);
      for (i = 0; i < M * N; i++) Y0[i] = 4.0f * Y[i];
      memcpy(Y, Y0, sizeof(float) * M * N);
      vitc_f32_gemm_epilogue_scalar(M, N, act, r ? R : NULL, Y);
      for (i = 0; i < M * N; i++) {
        const double want = act_ref(Y0[i], act) + (r ? R[i] : 0.0f);
        const double tol = 4 * FEPS * (fabs(want) + fabs(Y0[i]));
        if (!(fabs(Y[i] - want) <= tol)) {
          report_fail("at %ld: got %.9g want %.9g (tol %.3g)", what, (long)i, Y[i], want, tol);
          break;
        }
      }
      guards_ok(Y, (size_t)M * N, what);
      free(Y), free(R), free(Y0);
    }
  printf("[scalar] vitc_f32_gemm_epilogue_scalar: %s\n", failures == before ? "all passed" : "FAILED");
  return failures - before;
}

/* vitc_f32_conv2d_direct_scalar (the scalar target's few-output conv) */
static int check_scalar_direct(void) {
  int before = failures;
  cur_isa = "scalar";
  check_direct(NULL);
  printf("[scalar] vitc_f32_conv2d_direct_scalar: %s\n", failures == before ? "all passed" : "FAILED");
  return failures - before;
}

/* ---------------------------------------------------------------- runners */

#ifdef VITC_GEMM_STANDALONE

int main(void) {
  check_scalar_epilogue();
  check_scalar_direct();
#if GEMM_X86
  {
    const char *why = x86_missing(0);
    if (why) printf("[avx2] SKIPPED: %s\n", why);
    else run_isa(&isa_avx2);
    why = x86_missing(1);
    if (why) printf("[avx512] SKIPPED: %s\n", why);
    else run_isa(&isa_avx512);
  }
#endif
#if defined(__aarch64__)
  run_isa(&isa_neon);
#endif
  printf("check_gemm: %s (%d failed checks)\n", failures ? "FAILED" : "all passed", failures);
  return failures ? 1 : 0;
}

#else /* Check runner */

START_TEST(test_scalar_epilogue) { ck_assert_int_eq(check_scalar_epilogue(), 0); }
END_TEST

START_TEST(test_scalar_direct) { ck_assert_int_eq(check_scalar_direct(), 0); }
END_TEST

/* The x86 ISAs run only under `--isa avx2|avx512`, which exits TU_SKIP where this CPU
 * lacks the ISA (tests/testutil.h: one ctest test per ISA). */
START_TEST(test_avx2) {
#if GEMM_X86
  ck_assert_int_eq(run_isa(&isa_avx2), 0);
#else
  ck_abort_msg("[avx2] not an x86 build (or not GCC/clang)");
#endif
}
END_TEST

START_TEST(test_avx512) {
#if GEMM_X86
  ck_assert_int_eq(run_isa(&isa_avx512), 0);
#else
  ck_abort_msg("[avx512] not an x86 build (or not GCC/clang)");
#endif
}
END_TEST

/* On AArch64 natively; elsewhere cross-compiled in standalone mode and run under qemu. */
START_TEST(test_neon) {
#if defined(__aarch64__)
  ck_assert_int_eq(run_isa(&isa_neon), 0);
#else
  char *fail = tu_run_neon_standalone("check_gemm.c", "VITC_GEMM_STANDALONE", NULL);
  ck_assert_msg(fail == NULL, "[neon] %s", fail);
#endif
}
END_TEST

int main(int argc, char **argv) {
  int verdict = tu_isa_verdict("check_gemm", &argc, argv);
  if (verdict >= 0) return verdict;
  const char *isa = tu_selected_isa();
  Suite *s = suite_create("gemm");
  TCase *tc = tcase_create(isa ? isa : "portable");
  tcase_set_timeout(tc, 600);
  if (!isa) {
    tcase_add_test(tc, test_scalar_epilogue);
    tcase_add_test(tc, test_scalar_direct);
    tcase_add_test(tc, test_neon);
  } else if (strcmp(isa, "avx2") == 0) {
    tcase_add_test(tc, test_avx2);
  } else {
    tcase_add_test(tc, test_avx512);
  }
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int nf = srunner_ntests_failed(sr);
  srunner_free(sr);
  return nf ? 1 : 0;
}

#endif
