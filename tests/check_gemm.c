/* tests/check_gemm.c: the packed-GEMM microkernels (templates/gemm/f32-gemm-<MR>x<NR>-<isa>.c
 * and their driver, f32-gemm-driver.c) against naive double-precision references,
 * on every ISA this machine can run, plus the scalar vitc.Gemm epilogue.
 *
 * Per ISA (its tile from templates/gemm/f32-gemm-tiles.def) it runs the three entry points:
 *   gemm    C = epilogue(A @ Wp) (templates/gemm/f32-gemm-epilogue.c) with weights
 *           packed by vitc_f32_gemm_pack_b (the layout ops/matmul.c packs at
 *           compile time, checked here against its definition): tile-equal,
 *           smaller, larger and multiple shapes, the token-count remainders (197 =
 *           16x12+5 = 32x6+5 = 24x8+5, and N = 197), K = 0 and K = 1, K blocks (kc
 *           < K: accumulation in C before the epilogue), N blocks (nc < N), lda > K,
 *           ldc > N (C inside a wider buffer: the columns past N stay untouched),
 *           every activation with and without bias and residual, row bias, both
 *           gates, residual scales, and activations per column range with
 *           boundaries on and off the tile (tiles that straddle one, also while
 *           accumulating over K blocks);
 *   matmul  batched products of activations with broadcast batch dims and B read
 *           row-major or transposed, scratch exactly VITC_F32_MATMUL_SCRATCH;
 *   conv2d  patch embedding (kernel == stride), 1x1, padded, strided, dilated,
 *           grouped and batched convs, with and without an epilogue (SiLU and
 *           residual, gate and scaled residual), against vitc_f32_conv2d_im2col_scalar
 *           (itself checked against a naive conv in check_kern_dense), scratch
 *           exactly VITC_F32_CONV2D_SCRATCH;
 * and the shim-based depthwise conv (templates/conv/f32-conv2d-simd.c) against
 * vitc_f32_conv2d_depthwise_scalar: strides 1 to 3, dilation, multiplier 2,
 * kernels larger than the plane, epilogues, scratch exactly its documented formula;
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

#include "check_runner.h"
#include "testutil.h"
#endif

#include "test_rng.h"

/* compiled for the baseline ISA: the references and the shared driver */
#include "gemm/f32-gemm-driver.c"
#include "gemm/f32-gemm-scalar.c"
#include "conv/f32-conv2d-scalar.c"
#include "conv/f32-conv2d-direct-scalar.c"

#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
#define GEMM_X86 1
#define VITC_SIMD_ASSUME_TARGET /* X86_TARGET_PUSH below enables the ISA per function */
#include "x86_target.h"

X86_TARGET_PUSH(X86_AVX2_FEATURES)
#include "simd/avx2.h"
#include "gemm/f32-gemm-6x16-avx2.c"
#include "conv/f32-conv2d-simd.c"
#include "conv/f32-conv2d-direct-simd.c"
#include "conv/f32-conv2d-stem-simd.c"
#include "simd/unbind.h"
X86_TARGET_POP

X86_TARGET_PUSH(X86_AVX512_FEATURES)
#include "simd/avx512.h"
#include "gemm/f32-gemm-12x32-avx512.c"
#include "conv/f32-conv2d-simd.c"
#include "conv/f32-conv2d-direct-simd.c"
#include "conv/f32-conv2d-stem-simd.c"
#include "simd/unbind.h"
X86_TARGET_POP

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
#include "conv/f32-conv2d-stem-simd.c"
#endif

/* ---------------------------------------------------------------- the ISAs */

typedef void (*GemmFn)(int M, int N, int K, const float *A, int lda, const float *Wp, float *C, int ldc,
                       const vitc_f32_gemm_epilogue *ep, int kc, int nc, float *scratch);
typedef void (*MatmulFn)(int M, int N, int K, int batch_rank, const int *batch_dims, const ptrdiff_t *a_bs,
                         const ptrdiff_t *b_bs, const float *A, const float *B, ptrdiff_t b_rs, ptrdiff_t b_cs,
                         float *C, int kc, int nc, float *scratch);
typedef void (*ConvFn)(int N, int C_in, int H, int W, int C_out, int OH, int OW, int KH, int KW, int stride_h,
                       int stride_w, int dil_h, int dil_w, int pad_t, int pad_l, int group, const float *X,
                       const float *Wt, const float *bias, float *Y, const vitc_f32_gemm_epilogue *ep, int kc, int nc,
                       float *scratch);

typedef void (*DwConvFn)(int N, int C_in, int H, int W, int C_out, int OH, int OW, int KH, int KW, int stride_h,
                         int stride_w, int dil_h, int dil_w, int pad_t, int pad_l, const float *X, const float *Wt,
                         const float *bias, float *Y, const vitc_f32_gemm_epilogue *ep, float *scratch);

/* templates/conv/f32-conv2d-direct-*.c (the scalar kernel ignores scratch; no epilogue: a conv
 * with one to four output channels is not fused into vitc.Conv) */
typedef void (*DirectConvFn)(int N, int C_in, int H, int W, int C_out, int OH, int OW, int KH, int KW, int stride_h,
                             int stride_w, int dil_h, int dil_w, int pad_t, int pad_l, const float *X, const float *Wt,
                             const float *bias, float *Y, float *scratch);

typedef struct Isa {
  const char *name;
  int mr, nr;
  GemmFn gemm;
  MatmulFn matmul;
  ConvFn conv;
  DwConvFn dwconv;        /* templates/conv/f32-conv2d-simd.c */
  DirectConvFn direct;    /* templates/conv/f32-conv2d-direct-simd.c */
  DwConvFn stem;          /* templates/conv/f32-conv2d-stem-simd.c (the depthwise kernel's signature) */
} Isa;

/* ---------------------------------------------------------------- helpers */

#define GUARD 16
#define GUARD_VAL 1234.5f
#define POISON -777.0f
#define FEPS ((double)FLT_EPSILON)

static int failures;
static const char *cur_isa = "";


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

static double sigmoid_ref(double x) { return 1.0 / (1.0 + exp(-x)); }

/* the parameters check_gemm gives each activation that takes them (a, b) */
static void act_params(int act, float *a, float *b) {
  *a = *b = 0.0f;
  if (act == VITC_GEMM_ACT_LEAKY_RELU) *a = 0.1f;
  if (act == VITC_GEMM_ACT_CLIP) *a = -0.5f, *b = 0.75f;
  if (act == VITC_GEMM_ACT_HARD_SIGMOID) *a = 0.4f, *b = 0.45f;
  if (act == VITC_GEMM_ACT_HARD_SWISH) *a = 1.0f / 6.0f, *b = 0.5f;
}

static double act_ref(double x, int act) {
  float a, b;
  double h;
  act_params(act, &a, &b);
  switch (act) {
  case VITC_GEMM_ACT_LEAKY_RELU: return x < 0 ? a * x : x;
  case VITC_GEMM_ACT_CLIP: return x < a ? a : x > b ? b : x;
  case VITC_GEMM_ACT_HARD_SIGMOID:
  case VITC_GEMM_ACT_HARD_SWISH:
    h = a * x + b;
    h = h < 0 ? 0 : h > 1 ? 1 : h;
    return act == VITC_GEMM_ACT_HARD_SWISH ? x * h : h;
  case VITC_GEMM_ACT_GELU: return 0.5 * x * (1.0 + erf(x / sqrt(2.0)));
  case VITC_GEMM_ACT_GELU_TANH: return 0.5 * x * (1.0 + tanh(sqrt(2.0 / 3.14159265358979323846) * (x + 0.044715 * x * x * x)));
  case VITC_GEMM_ACT_RELU: return x < 0 ? 0 : x;
  case VITC_GEMM_ACT_SILU: return x * sigmoid_ref(x);
  case VITC_GEMM_ACT_SIGMOID: return sigmoid_ref(x);
  default: return x;
  }
}

/* the error an activation adds at x (beyond carrying its input's error, times a
 * slope below 1.13): the fast erf's 4e-7 |x| for GELU, a few ulp (exp, sigmoid,
 * division: templates/simd/fastmath.h) of the result otherwise */
static double act_err(double x, int act) {
  if (act == VITC_GEMM_ACT_GELU || act == VITC_GEMM_ACT_GELU_TANH) return 4e-7 * fabs(x) + 4 * FEPS * fabs(act_ref(x, act));
  if (act == VITC_GEMM_ACT_SILU || act == VITC_GEMM_ACT_SIGMOID) return 6 * FEPS * fabs(act_ref(x, act)) + 1e-37;
  if (act == VITC_GEMM_ACT_HARD_SIGMOID || act == VITC_GEMM_ACT_HARD_SWISH) return 2 * FEPS * (fabs(x) + 1); /* a x + b */
  return 0;
}

/* One epilogue checked against double (f32-gemm-epilogue.c): the activation of
 * column j, the gate (G, or a range's own earlier columns), the scaled residual. */
typedef struct Epi {
  int act, bias, row_bias, gate, res; /* gate: VITC_GEMM_GATE_* */
  float res_scale;
  int n_ranges;
  int ranges[12]; /* (end, act, gate column or -1) triples; an end of 0 means N */
} Epi;

/* column j's range: activation, first column, gate column */
static int epi_range(const Epi *e, int j, int N, int *start, int *glu) {
  int r;
  *start = 0, *glu = -1;
  if (!e->n_ranges) return e->act;
  for (r = 0; r + 1 < e->n_ranges && j >= (e->ranges[3 * r] ? e->ranges[3 * r] : N); r++) *start = e->ranges[3 * r];
  *glu = e->ranges[3 * r + 2];
  return e->ranges[3 * r + 1];
}

/* want and tolerance of element (i, j): s = the sum (with biases) in double, *tol its
 * error so far; row/row_tol: the wants and tolerances of the row's columns left of j
 * (for a range gated by its own columns) */
static double epi_ref(const Epi *e, int j, int N, double s, double *tol, const float *G, const float *R, size_t at,
                      const double *row, const double *row_tol) {
  int start, glu;
  const int act = epi_range(e, j, N, &start, &glu);
  double y = act_ref(s, act);
  *tol = 1.13 * *tol + act_err(s, act) + 2 * FEPS * fabs(y) + 1e-30;
  if (glu >= 0) {
    const double g = row[glu + (j - start)], gt = row_tol[glu + (j - start)];
    *tol = *tol * fabs(g) + fabs(y) * gt + 2 * FEPS * fabs(y * g);
    y *= g;
  } else if (e->gate) {
    const double g = e->gate == VITC_GEMM_GATE_MUL_SIGMOID ? sigmoid_ref(G[at]) : G[at];
    y *= g;
    *tol = *tol * fabs(g) + 6 * FEPS * fabs(y);
  }
  if (e->res) {
    y += (double)e->res_scale * R[at];
    *tol += 2 * FEPS * fabs(y) + FEPS * fabs((double)e->res_scale * R[at]);
  }
  return y;
}

/* the kernels' epilogue for e with operands bias, row_bias, G, R (rows ld apart) */
static vitc_f32_gemm_epilogue epi_make(const Epi *e, int N, const float *bias, const float *row_bias, const float *G,
                                       const float *R, int ld, int *ranges) {
  vitc_f32_gemm_epilogue ep;
  int r;
  memset(&ep, 0, sizeof ep);
  ep.bias = e->bias ? bias : NULL;
  ep.row_bias = e->row_bias ? row_bias : NULL;
  ep.act = e->act;
  act_params(e->act, &ep.act_alpha, &ep.act_beta);
  ep.n_ranges = e->n_ranges;
  for (r = 0; r < e->n_ranges; r++) {
    ranges[3 * r] = e->ranges[3 * r] ? e->ranges[3 * r] : N;
    ranges[3 * r + 1] = e->ranges[3 * r + 1];
    ranges[3 * r + 2] = e->ranges[3 * r + 2];
  }
  ep.ranges = ranges;
  ep.gate_mode = e->gate;
  ep.gate = e->gate ? G : NULL;
  ep.ldg = ld;
  ep.res = e->res ? R : NULL;
  ep.ldr = ld;
  ep.res_scale = e->res_scale;
  return ep;
}

/* ---------------------------------------------------------------- gemm */

/* C (M,N; rows ldc apart) = epilogue(A (M,K; lda) @ B (K,N)) through isa->gemm, against
 * double; the columns of C past N must stay untouched (C written into a wider buffer). */
static void check_gemm_case(const Isa *isa, int M, int N, int K, int lda, int ldc, const Epi *e, int kc, int nc) {
  const int NR = isa->nr;
  const int np = (N + NR - 1) / NR * NR;
  const int kk = kc > 0 && kc < K ? kc : K;
  const size_t ap_n = (size_t)isa->mr * (size_t)(kk > 0 ? kk : 1);
  float *A = new_rand((size_t)M * lda + 1), *B = new_rand((size_t)K * N + 1), *bias = new_rand((size_t)N);
  float *rb = new_rand((size_t)M), *G = new_rand((size_t)M * N), *R = new_rand((size_t)M * N);
  float *Wp = new_out((size_t)K * np + 1), *C = new_out((size_t)M * ldc), *scratch = new_out(ap_n);
  double *row = malloc(sizeof(double) * (size_t)(N + 1)), *row_tol = malloc(sizeof(double) * (size_t)(N + 1));
  int ranges[12];
  const vitc_f32_gemm_epilogue ep = epi_make(e, N, bias, rb, G, R, N, ranges);
  char what[200];
  int i, j, k;

  snprintf(what, sizeof what,
           "gemm M=%d N=%d K=%d lda=%d ldc=%d act=%d ranges=%d bias=%d row_bias=%d gate=%d res=%d*%g kc=%d nc=%d", M,
           N, K, lda, ldc, e->act, e->n_ranges, e->bias, e->row_bias, e->gate, e->res, e->res_scale, kc, nc);
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
  isa->gemm(M, N, K, A, lda, Wp, C, ldc, &ep, kc, nc, scratch);
  for (i = 0; i < M; i++)
    for (j = 0; j < ldc; j++) {
      const float got = C[(size_t)i * ldc + j];
      double s = 0, mag = 0, y, tol;
      if (j >= N) { /* past N: untouched */
        if (got != POISON) {
          report_fail("at %ld: got %.9g past N, want %.9g (tol %.3g)", what, (long)i * ldc + j, got, POISON, 0);
          goto out;
        }
        continue;
      }
      if (e->bias) s += bias[j], mag += fabs(bias[j]);
      if (e->row_bias) s += rb[i], mag += fabs(rb[i]);
      for (k = 0; k < K; k++) {
        const double t = (double)A[(size_t)i * lda + k] * B[(size_t)k * N + j];
        s += t;
        mag += fabs(t);
      }
      tol = (K + 3) * FEPS * mag;
      y = epi_ref(e, j, N, s, &tol, G, R, (size_t)i * N + j, row, row_tol);
      row[j] = y, row_tol[j] = tol;
      if (!(fabs(got - y) <= tol)) {
        report_fail("at %ld: got %.9g want %.9g (tol %.3g)", what, (long)i * ldc + j, got, y, tol);
        goto out;
      }
    }
  guards_ok(C, (size_t)M * ldc, what);
  guards_ok(scratch, ap_n, what);
out:
  free(A), free(B), free(bias), free(rb), free(G), free(R), free(Wp), free(C), free(scratch), free(row), free(row_tol);
}

static void check_gemm(const Isa *isa) {
  const int MR = isa->mr, NR = isa->nr;
  static const int kcnc[][2] = {{0, 0}, {16, 0}, {0, 1}, {7, 2}};
  int act, b, r, v;
  Epi e;
  rng_seed(1);
  /* shapes against the tile, every activation with and without bias and residual */
  for (act = 0; act < VITC_GEMM_ACT_COUNT; act++)
    for (b = 0; b < 2; b++)
      for (r = 0; r < 2; r++) {
        e = (Epi){act, b, 0, 0, r, 1.0f, 0, {0}};
        check_gemm_case(isa, MR, NR, 16, 16, NR, &e, 0, 0);                     /* tile-equal */
        check_gemm_case(isa, MR - 1, NR - 1, 5, 5, NR - 1, &e, 0, 0);           /* smaller */
        check_gemm_case(isa, MR + 1, NR + 3, 9, 11, NR + 3, &e, 0, 0);          /* larger, lda > K */
        check_gemm_case(isa, 197, 2 * NR + 5, 40, 40, 2 * NR + 5, &e, 16, 0);   /* token count, K blocks */
      }
  /* sizes and blockings */
  e = (Epi){0, 1, 0, 0, 1, 1.0f, 0, {0}};
  check_gemm_case(isa, 1, 1, 1, 1, 1, &e, 0, 0);
  e.res = 0;
  check_gemm_case(isa, 2 * MR, 3 * NR, 64, 64, 3 * NR, &e, 0, 0); /* multiples */
  check_gemm_case(isa, MR + 4, NR + 3, 30, 30, NR + 3, &e, 0, 0); /* 4 rows left: avx2's 4-row tail kernel */
  check_gemm_case(isa, 4, 2 * NR, 17, 17, 2 * NR, &e, 8, 0);      /* only those 4 rows, K blocks */
  check_gemm_case(isa, 2 * MR, NR + NR / 2, 19, 19, NR + NR / 2, &e, 0, 0);         /* a last panel of NR/2 columns: */
  check_gemm_case(isa, 2 * MR + 1, NR + NR / 2 + 1, 19, 19, NR + NR / 2 + 1, &e, 0, 0); /* the narrow kernel, and not */
  e.act = VITC_GEMM_ACT_GELU;
  check_gemm_case(isa, 197, 192, 192, 192, 192, &e, 0, 0); /* DeiT-Tiny fc shapes, scaled */
  e = (Epi){0, 0, 0, 0, 0, 1.0f, 0, {0}};
  check_gemm_case(isa, 197, 197, 64, 64, 197, &e, 0, 0); /* N remainder of the scores */
  e = (Epi){VITC_GEMM_ACT_RELU, 1, 0, 0, 1, 1.0f, 0, {0}};
  check_gemm_case(isa, 23, 3 * NR + 5, 100, 101, 3 * NR + 5, &e, 32, NR); /* N blocks of one panel */
  e.act = VITC_GEMM_ACT_GELU;
  check_gemm_case(isa, 23, 3 * NR + 5, 100, 100, 3 * NR + 5, &e, 30, 2 * NR); /* kc not a divisor, nc 2 panels */
  e.act = VITC_GEMM_ACT_GELU_TANH;
  for (v = 0; v < 4; v++) check_gemm_case(isa, 13, NR + 1, 50, 50, NR + 1, &e, kcnc[v][0], kcnc[v][1] * NR);
  /* K = 0: C = epilogue(bias) */
  e.act = VITC_GEMM_ACT_GELU;
  check_gemm_case(isa, MR + 2, NR + 2, 0, 1, NR + 2, &e, 0, 0);
  e = (Epi){0, 0, 0, 0, 0, 1.0f, 0, {0}};
  check_gemm_case(isa, 3, 5, 0, 1, 5, &e, 0, 0);

  /* the rest of the epilogue: row bias, gates, residual scales, C inside a wider buffer */
  for (v = 0; v < 3; v++)
    for (r = 0; r < 3; r++) {
      static const float scales[3] = {1.0f, 2.0f, -0.75f};
      e = (Epi){v == 2 ? VITC_GEMM_ACT_SIGMOID : VITC_GEMM_ACT_SILU, v != 1, 1, v, r != 0, scales[r], 0, {0}};
      check_gemm_case(isa, MR + 3, 2 * NR + 3, 33, 40, 2 * NR + 3, &e, 0, 0);
      check_gemm_case(isa, 2 * MR - 1, NR + 5, 70, 70, 3 * NR, &e, 24, 0); /* ldc > N, K blocks */
    }
  /* a concatenated GEMM: an activation per column range, boundaries on and off the tile */
  {
    static const int cuts[][3] = {{0, 0, 0}, {1, 0, 0}, {0, 1, 0}, {0, 0, 1}};
    for (v = 0; v < 4; v++) {
      const int N = 4 * NR + 7, c1 = NR + cuts[v][0] * (NR / 2 + 1), c2 = 3 * NR - cuts[v][1] * 3;
      const int c3 = c2 + 1 + cuts[v][2];
      e = (Epi){0, 1, 0, 0, v & 1, 2.0f, 4, {c1, VITC_GEMM_ACT_NONE, -1, c2, VITC_GEMM_ACT_GELU, -1, c3,
                                              VITC_GEMM_ACT_SILU, -1, 0, VITC_GEMM_ACT_SIGMOID, -1}};
      check_gemm_case(isa, 2 * MR + 1, N, 45, 45, N, &e, 0, 0);
      check_gemm_case(isa, MR - 1, N, 45, 50, N + 3, &e, 20, 2 * NR); /* K and N blocks: accumulating straddles */
    }
  }
  /* a GLU: the range [w2, w2 + w) (v) times the activated range [w1, w1 + w) (g) of the same output, with w
   * on and off the tile width, with a residual, in K and N blocks */
  {
    static const int widths[3][2] = {{2, 0}, {1, 5}, {3, 1}}; /* w = a*NR + b */
    for (v = 0; v < 3; v++) {
      const int w = widths[v][0] * NR + widths[v][1], w1 = w / 2 + 1, w2 = w1 + w, N = w2 + w + 3;
      e = (Epi){0, 1, 0, 0, v == 1, 1.0f, 4, {w1, VITC_GEMM_ACT_NONE, -1, w2, v == 2 ? VITC_GEMM_ACT_SILU : VITC_GEMM_ACT_GELU,
                                              -1, w2 + w, VITC_GEMM_ACT_NONE, w1, 0, VITC_GEMM_ACT_GELU, -1}};
      check_gemm_case(isa, 2 * MR + 3, N, 37, 37, N, &e, 0, 0);
      check_gemm_case(isa, MR + 1, N, 60, 64, N + 5, &e, 16, NR);
    }
  }
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
  check_matmul_case(isa, isa->mr + 4, 21, 33, 1, d3, no1, no1, 0, 0); /* 4 rows left (the tail kernels) */
  check_matmul_case(isa, 5, 3, 0, 1, d3, no1, no1, 0, 0); /* K = 0: zeros */
}

/* ---------------------------------------------------------------- conv */

/* No epilogue: a conv case's e when it is NULL (the kernel is then passed no epilogue). */
static const Epi epi_none = {0, 0, 0, 0, 0, 1.0f, 0, {0}};

/* A conv's epilogue for *e (epi_none if NULL) over hw pixels a channel, gate G and residual R. */
static vitc_f32_gemm_epilogue conv_epi_make(const Epi **e, int hw, const float *G, const float *R, int *ranges) {
  if (!*e) *e = &epi_none;
  return epi_make(*e, hw, NULL, NULL, G, R, hw, ranges);
}

/* A conv's output Y (ny floats, hw pixels a channel) against the epilogue e applied to the
 * reference conv's Yr: both sum the same `terms` products (+ bias) in float, so each is
 * within (terms+2) eps of their magnitude, bounded by terms + 1 (epi_ref widens that for the
 * epilogue); the first miss is reported. Then the guards after Y and scratch (ns floats). */
static void check_conv_out(const Epi *e, int hw, int terms, const float *Y, const float *Yr, const float *G,
                           const float *R, size_t ny, const float *scratch, size_t ns, const char *what) {
  for (size_t i = 0; i < ny; i++) {
    double tol = 2.0 * (terms + 2) * FEPS * (terms + 1);
    const double want = epi_ref(e, 0, hw, Yr[i], &tol, G, R, i, NULL, NULL);
    if (!(fabs((double)Y[i] - want) <= tol)) {
      report_fail("at %ld: got %.9g want %.9g (tol %.3g)", what, (long)i, Y[i], want, tol);
      break;
    }
  }
  guards_ok(Y, ny, what);
  guards_ok(scratch, ns, what);
}

/* Conv + epilogue (activation, gate, residual over Y's layout) against the
 * reference im2col conv, then the scalar epilogue. */
static void check_conv_case(const Isa *isa, int N, int C_in, int H, int W, int C_out, int KH, int KW, int s,
                            int d, int pad, int group, int with_bias, int kc, const Epi *e) {
  const int OH = (H + 2 * pad - d * (KH - 1) - 1) / s + 1, OW = (W + 2 * pad - d * (KW - 1) - 1) / s + 1;
  const int kdim = C_in / group * KH * KW;
  const int pointwise = KH == 1 && KW == 1 && s == 1 && pad == 0;
  const int Hp = VITC__CONV2D_PHASED(pad, H, OH, s, KH, d), Wp = VITC__CONV2D_PHASED(pad, W, OW, s, KW, d);
  const int padded = !pointwise && (pad || VITC__CONV2D_PADDED(pad, H, OH, s, KH, d) != H ||
                                    VITC__CONV2D_PADDED(pad, W, OW, s, KW, d) != W) ? C_in / group * Hp * Wp : 0;
  /* the implicit GEMM's band of output rows (VITC__CONV2D_BAND_ROWS) and its planes' rows past it */
  const int halo = VITC__CONV2D_BAND_HALO(KH, d, s), row = C_in / group * s * s * (Wp / s);
  const int bands = VITC__CONV2D_BAND_ROWS(row, halo, OH);
  const size_t ny = (size_t)N * C_out * OH * OW,
               ns0 = (size_t)VITC_F32_CONV2D_SCRATCH(isa->mr, isa->nr, kdim, OH * OW, kc, pointwise, padded),
               ns1 = (size_t)VITC_F32_CONV2D_SCRATCH_IMPLICIT(isa->mr, isa->nr, kdim, C_out / group,
                                                               (size_t)row * (bands + halo), KW, d),
               ns = VITC__CONV2D_IMPLICIT(padded ? bands : 0, kc, kdim, e && (e->gate || e->res)) && ns1 > ns0 ? ns1 : ns0;
  const size_t ns_ref = (size_t)kdim * OH * OW;
  float *X = new_rand((size_t)N * C_in * H * W), *Wt = new_rand((size_t)C_out * kdim), *b = new_rand((size_t)C_out);
  float *Y = new_out(ny), *Yr = new_out(ny), *scratch = new_out(ns), *sr = new_out(ns_ref);
  float *G = new_rand(ny), *R = new_rand(ny);
  int ranges[12];
  const vitc_f32_gemm_epilogue ep = conv_epi_make(&e, OH * OW, G, R, ranges);
  char what[200];
  snprintf(what, sizeof what, "conv N=%d C=%d %dx%d -> %d k%dx%d s%d d%d p%d g%d bias=%d kc=%d act=%d gate=%d res=%d",
           N, C_in, H, W, C_out, KH, KW, s, d, pad, group, with_bias, kc, e->act, e->gate, e->res);
  isa->conv(N, C_in, H, W, C_out, OH, OW, KH, KW, s, s, d, d, pad, pad, group, X, Wt, with_bias ? b : NULL, Y,
            e == &epi_none ? NULL : &ep, kc, 0, scratch);
  vitc_f32_conv2d_im2col_scalar(N, C_in, H, W, C_out, OH, OW, KH, KW, s, s, d, d, pad, pad, group, X, Wt,
                                with_bias ? b : NULL, Yr, sr);
  check_conv_out(e, OH * OW, kdim, Y, Yr, G, R, ny, scratch, ns, what);
  free(X), free(Wt), free(b), free(Y), free(Yr), free(scratch), free(sr), free(G), free(R);
}

/* A case of the implicit GEMM's bands (VITC__CONV2D_BAND_ROWS): first asserts that the conv
 * is cut into bands of `rows` output rows (0: too wide for a band of one row, so im2col), so
 * that the case tests what it says whatever VITC__CONV2D_BAND_FLOATS becomes; padding p. */
static void check_conv_band_case(const Isa *isa, int C_in, int H, int W, int C_out, int s, int d, int p, int rows,
                                 const Epi *e) {
  const int OH = (H + 2 * p - 2 * d - 1) / s + 1, OW = (W + 2 * p - 2 * d - 1) / s + 1;
  const int Wq = VITC__CONV2D_PHASED(p, W, OW, s, 3, d) / s, halo = VITC__CONV2D_BAND_HALO(3, d, s);
  const int got = VITC__CONV2D_BAND_ROWS(C_in * s * s * Wq, halo, OH);
  if (got != rows) {
    char what[120];
    snprintf(what, sizeof what, "conv band case C=%d %dx%d s%d d%d", C_in, H, W, s, d);
    report_fail("bands of %ld rows, want %g", what, (long)got, (double)rows, 0.0, 0.0);
    return;
  }
  check_conv_case(isa, 1, C_in, H, W, C_out, 3, 3, s, d, p, 1, 1, 0, e);
}

static void check_conv(const Isa *isa) {
  const Epi silu_res = {VITC_GEMM_ACT_SILU, 0, 0, 0, 1, 1.0f, 0, {0}};
  const Epi gated = {VITC_GEMM_ACT_GELU, 0, 0, VITC_GEMM_GATE_MUL_SIGMOID, 1, 2.0f, 0, {0}};
  const Epi leaky = {VITC_GEMM_ACT_LEAKY_RELU, 0, 0, 0, 0, 1.0f, 0, {0}};
  const Epi clip = {VITC_GEMM_ACT_CLIP, 0, 0, 0, 1, 1.0f, 0, {0}};
  const Epi hswish = {VITC_GEMM_ACT_HARD_SWISH, 0, 0, 0, 0, 1.0f, 0, {0}};
  rng_seed(3);
  check_conv_case(isa, 1, 3, 32, 32, 16, 4, 4, 4, 1, 0, 1, 1, 0, NULL);  /* patch embedding */
  check_conv_case(isa, 1, 3, 48, 48, 24, 16, 16, 16, 1, 0, 1, 1, 256, NULL); /* kdim 768 in K blocks */
  check_conv_case(isa, 2, 8, 7, 9, 13, 1, 1, 1, 1, 0, 1, 1, 0, NULL);    /* 1x1 (X read in place), batch 2 */
  check_conv_case(isa, 1, 40, 8, 8, 12, 1, 1, 1, 1, 0, 1, 1, 16, NULL);  /* 1x1, 64 pixels, K blocks */
  check_conv_case(isa, 1, 24, 6, 8, 10, 1, 1, 1, 1, 0, 2, 0, 0, NULL);   /* 1x1, 48 pixels, 2 groups */
  /* 1x1 with X read in place a chunk of pixels at a time (VITC__CONV2D_CHUNK: 4,096 at depth 16, so 5,250 pixels
   * are 2 chunks, the last ending in a partial panel), 2 tiles of rows, the residual moved along */
  check_conv_case(isa, 1, 16, 70, 75, 24, 1, 1, 1, 1, 0, 1, 1, 0, &silu_res);
  check_conv_case(isa, 1, 5, 11, 10, 7, 3, 3, 2, 1, 1, 1, 0, 0, NULL);   /* 3x3 s2 p1, no bias (phases) */
  check_conv_case(isa, 1, 3, 17, 13, 16, 3, 3, 2, 1, 1, 1, 1, 0, NULL);  /* the MobileViT stem, small */
  check_conv_case(isa, 1, 4, 14, 15, 9, 5, 5, 3, 2, 3, 1, 1, 0, NULL);   /* 5x5 s3 d2 p3 */
  check_conv_case(isa, 1, 4, 12, 12, 6, 3, 3, 1, 2, 2, 1, 1, 0, NULL);   /* dilation 2 */
  check_conv_case(isa, 2, 6, 8, 8, 4, 3, 3, 1, 1, 1, 2, 1, 0, NULL);     /* 2 groups */
  /* epilogues: BN-folded conv + SiLU + residual (MobileNet), gate and scaled residual */
  check_conv_case(isa, 2, 8, 7, 9, 13, 1, 1, 1, 1, 0, 1, 1, 0, &silu_res);
  check_conv_case(isa, 1, 5, 11, 10, 7, 3, 3, 2, 1, 1, 1, 1, 16, &silu_res);
  check_conv_case(isa, 2, 6, 8, 8, 4, 3, 3, 1, 1, 1, 2, 1, 0, &gated);
  /* im2col packed and multiplied in several chunks of pixels (VITC__CONV2D_CHUNK), epilogue operands moved
   * along; with K blocks too */
  check_conv_case(isa, 1, 48, 32, 31, 13, 3, 3, 1, 1, 1, 1, 1, 0, &silu_res);
  check_conv_case(isa, 2, 64, 17, 16, 7, 3, 3, 1, 1, 1, 1, 1, 200, &gated);
  /* one input channel, group 1: an ordinary GEMM of depth KH*KW (ops/conv.c), not the depthwise kernel: the
   * STFT as a conv (1-D, 1 -> 257, kernel 512, stride 160; then in K blocks with a LeakyRelu), a grayscale stem */
  check_conv_case(isa, 1, 1, 1, 16512, 257, 1, 512, 160, 1, 0, 1, 1, 0, NULL);
  check_conv_case(isa, 1, 1, 1, 2112, 33, 1, 256, 80, 1, 0, 1, 1, 96, &leaky);
  check_conv_case(isa, 2, 1, 20, 19, 8, 3, 3, 2, 1, 1, 1, 1, 0, &clip);
  /* the implicit GEMM (padded, no gate or residual, K whole: VITC__CONV2D_IMPLICIT): B read from the phase planes
   * through offsets, Y on the flat grid; with activations, row tails (16, 40 channels), stride 2, a 1-pixel map */
  check_conv_case(isa, 1, 16, 20, 18, 16, 3, 3, 1, 1, 1, 1, 1, 0, &leaky);
  check_conv_case(isa, 2, 24, 13, 11, 40, 3, 3, 2, 1, 1, 1, 1, 0, &hswish);
  check_conv_case(isa, 1, 8, 1, 1, 12, 3, 3, 1, 1, 1, 1, 1, 0, &leaky);
  /* its bands of output rows (VITC__CONV2D_BAND_ROWS), each band's planes made from the input rows it reads:
   * bands of one row (5 of them; stride 2 too), a last band shorter than the others (stride 2: 14, 14, 7;
   * dilation 2 and pad 2: 6, 6, 6, 2), every panel's crossing of a row's end stored through the tile buffer,
   * and a conv too wide for a band of one row, which stays on im2col */
  check_conv_band_case(isa, 56, 5, 300, 16, 1, 1, 1, 1, &leaky);
  check_conv_band_case(isa, 48, 9, 250, 13, 2, 1, 1, 1, NULL);
  check_conv_band_case(isa, 16, 70, 130, 24, 2, 1, 1, 14, &hswish);
  check_conv_band_case(isa, 32, 20, 200, 8, 1, 2, 2, 6, &clip);
  check_conv_band_case(isa, 56, 3, 600, 12, 1, 1, 1, 0, NULL);
  /* the implicit GEMM's output channels left to its shorter kernels (vitc__f32_gemm_rows_kernel: on avx512
   * 5 = 6, 7 = 4 + 4 (3 real), 8 = 4 + 4, 10 = 6 + 4, 11 = 12, 20 = 12 + 4 + 4) */
  for (int co = 5; co <= 20; co++)
    if (co <= 11 || co == 20) check_conv_case(isa, 1, 6, 9, 21, co, 3, 3, 1, 1, 1, 1, 1, 0, co % 2 ? &leaky : NULL);
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
                              int pb, int with_bias, const Epi *e) {
  const int OH = (H + pt + pb - d * (K - 1) - 1) / s + 1, OW = (W + pt + pb - d * (K - 1) - 1) / s + 1;
  const int C_out = C * mult;
  const size_t ny = (size_t)N * C_out * OH * OW, ns = dw_scratch(H, W, OH, OW, K, K, s, d, pt, pt);
  float *X = new_rand((size_t)N * C * H * W), *Wt = new_rand((size_t)C_out * K * K), *b = new_rand((size_t)C_out);
  float *Y = new_out(ny), *Yr = new_out(ny), *scratch = new_out(ns), *G = new_rand(ny), *R = new_rand(ny);
  int ranges[12];
  const vitc_f32_gemm_epilogue ep = conv_epi_make(&e, OH * OW, G, R, ranges);
  char what[200];
  snprintf(what, sizeof what, "depthwise N=%d C=%d x%d %dx%d k%d s%d d%d pads %d,%d bias=%d act=%d gate=%d res=%d", N,
           C, mult, H, W, K, s, d, pt, pb, with_bias, e->act, e->gate, e->res);
  isa->dwconv(N, C, H, W, C_out, OH, OW, K, K, s, s, d, d, pt, pt, X, Wt, with_bias ? b : NULL, Y,
              e == &epi_none ? NULL : &ep, scratch);
  vitc_f32_conv2d_depthwise_scalar(N, C, H, W, C_out, OH, OW, K, K, s, s, d, d, pt, pt, X, Wt, with_bias ? b : NULL,
                                   Yr, NULL);
  check_conv_out(e, OH * OW, K * K, Y, Yr, G, R, ny, scratch, ns, what);
  free(X), free(Wt), free(b), free(Y), free(Yr), free(scratch), free(G), free(R);
}

static void check_dwconv(const Isa *isa) {
  const Epi silu = {VITC_GEMM_ACT_SILU, 0, 0, 0, 0, 1.0f, 0, {0}};
  const Epi gated = {VITC_GEMM_ACT_RELU, 0, 0, VITC_GEMM_GATE_MUL, 1, -0.5f, 0, {0}};
  rng_seed(5);
  check_dwconv_case(isa, 1, 32, 1, 32, 32, 3, 1, 1, 1, 1, 1, NULL); /* MobileViT, stride 1 */
  check_dwconv_case(isa, 1, 48, 1, 16, 16, 3, 2, 1, 1, 1, 1, NULL); /* stride 2 */
  check_dwconv_case(isa, 2, 3, 2, 9, 7, 3, 1, 1, 0, 0, 0, NULL);    /* multiplier 2, unpadded, batch 2 */
  check_dwconv_case(isa, 1, 4, 1, 13, 11, 5, 3, 1, 2, 2, 1, NULL);  /* stride 3 */
  check_dwconv_case(isa, 1, 5, 1, 12, 10, 3, 1, 2, 2, 2, 1, NULL);  /* dilation 2 */
  check_dwconv_case(isa, 1, 2, 1, 1, 1, 1, 1, 1, 0, 0, 1, NULL);    /* 1x1 plane */
  check_dwconv_case(isa, 1, 3, 1, 6, 6, 7, 1, 1, 3, 3, 1, NULL);    /* kernel larger than the plane */
  check_dwconv_case(isa, 1, 32, 1, 17, 15, 3, 1, 1, 1, 1, 1, &silu); /* + BN folded, SiLU */
  check_dwconv_case(isa, 2, 3, 2, 9, 7, 3, 2, 1, 1, 1, 1, &gated);   /* gate and scaled residual, batch 2 */
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

/* ---------------------------------------------------------------- stem */

/* The stem conv (few input channels, any output channels) against the reference
 * im2col conv and the scalar epilogue; its scratch is sized by the formula the
 * compiler uses (templates/conv/f32-conv2d-stem.h), so the guard after it checks
 * that the kernel stays within what the compiler gives it.
 * pads: top pt, bottom pb, left pl, right pr; strides sh, sw; dilation d. */
static void check_stem_case(const Isa *isa, int N, int C_in, int H, int W, int C_out, int KH, int KW, int sh, int sw,
                            int d, int pt, int pb, int pl, int pr, int with_bias, const Epi *e) {
  const int OH = (H + pt + pb - d * (KH - 1) - 1) / sh + 1, OW = (W + pl + pr - d * (KW - 1) - 1) / sw + 1;
  const int kdim = C_in * KH * KW;
  const size_t ny = (size_t)N * C_out * OH * OW,
               ns = (size_t)vitc_f32_conv2d_stem_scratch_floats(C_in, H, W, OH, OW, KH, KW, sh, sw, d, d, pl);
  float *X = new_rand((size_t)N * C_in * H * W), *Wt = new_rand((size_t)C_out * kdim), *b = new_rand((size_t)C_out);
  float *Y = new_out(ny), *Yr = new_out(ny), *scratch = new_out(ns), *sr = new_out((size_t)kdim * OH * OW);
  int ranges[12];
  const vitc_f32_gemm_epilogue ep = conv_epi_make(&e, OH * OW, NULL, NULL, ranges);
  char what[200];
  snprintf(what, sizeof what, "stem conv N=%d C=%d %dx%d -> %d k%dx%d s%d,%d d%d pads %d,%d,%d,%d bias=%d act=%d", N,
           C_in, H, W, C_out, KH, KW, sh, sw, d, pt, pb, pl, pr, with_bias, e->act);
  isa->stem(N, C_in, H, W, C_out, OH, OW, KH, KW, sh, sw, d, d, pt, pl, X, Wt, with_bias ? b : NULL, Y,
            e == &epi_none ? NULL : &ep, scratch);
  vitc_f32_conv2d_im2col_scalar(N, C_in, H, W, C_out, OH, OW, KH, KW, sh, sw, d, d, pt, pl, 1, X, Wt,
                                with_bias ? b : NULL, Yr, sr);
  check_conv_out(e, OH * OW, kdim, Y, Yr, NULL, NULL, ny, scratch, ns, what);
  free(X), free(Wt), free(b), free(Y), free(Yr), free(scratch), free(sr);
}

static void check_stem(const Isa *isa) {
  const Epi gelu = {VITC_GEMM_ACT_GELU, 0, 0, 0, 0, 1.0f, 0, {0}};
  const Epi silu = {VITC_GEMM_ACT_SILU, 0, 0, 0, 0, 1.0f, 0, {0}};
  const Epi relu = {VITC_GEMM_ACT_RELU, 0, 0, 0, 0, 1.0f, 0, {0}};
  rng_seed(8);
  check_stem_case(isa, 2, 3, 32, 32, 16, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, &gelu);  /* DropoutViT's stem, batch 2 */
  check_stem_case(isa, 1, 3, 64, 64, 16, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, &silu);  /* MobileViT's, smaller */
  check_stem_case(isa, 1, 3, 20, 23, 24, 3, 3, 2, 2, 1, 1, 1, 1, 1, 0, NULL);  /* odd width, 24 out, no bias */
  check_stem_case(isa, 1, 1, 9, 37, 8, 5, 5, 1, 1, 1, 2, 2, 2, 2, 1, &relu);   /* one channel in, stride 1 */
  check_stem_case(isa, 1, 4, 11, 40, 33, 3, 3, 1, 2, 2, 2, 3, 1, 0, 1, NULL);  /* dilation 2, unequal pads, 33 out */
  check_stem_case(isa, 1, 3, 7, 5, 9, 7, 7, 3, 2, 1, 3, 3, 3, 3, 1, NULL);     /* kernel past the plane, stride 3 down */
  check_stem_case(isa, 1, 2, 5, 6, 8, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1, NULL);     /* 1x1 */
  check_stem_case(isa, 1, 3, 300, 300, 8, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, NULL); /* many bands of rows */
  check_stem_case(isa, 1, 3, 1, 1, 17, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, NULL);    /* one pixel */
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
  check_stem(isa);
  printf("[%s] %dx%d: %s\n", isa->name, isa->mr, isa->nr, failures == before ? "all passed" : "FAILED");
  fflush(stdout);
  return failures - before;
}

/* isa_<isa> for each row of templates/gemm/f32-gemm-tiles.def whose kernels this build
 * compiled (GEMM_ROW_<isa>): the tile and the entry points' names come from the row. */
#define GEMM_ISA(isa, mr, nr)                                                                                          \
  static const Isa isa_##isa = {#isa,                                                                                 \
                                mr,                                                                                   \
                                nr,                                                                                   \
                                vitc_f32_gemm_##mr##x##nr##_##isa,                                                    \
                                vitc_f32_matmul_##mr##x##nr##_##isa,                                                  \
                                vitc_f32_conv2d_##mr##x##nr##_##isa,                                                  \
                                vitc_f32_conv2d_depthwise_##isa,                                                      \
                                vitc_f32_conv2d_direct_##isa,                                                         \
                                vitc_f32_conv2d_stem_##isa};
#define GEMM_NOT_HERE(isa, mr, nr)
#if GEMM_X86
#define GEMM_ROW_avx2 GEMM_ISA
#define GEMM_ROW_avx512 GEMM_ISA
#else
#define GEMM_ROW_avx2 GEMM_NOT_HERE
#define GEMM_ROW_avx512 GEMM_NOT_HERE
#endif
#if defined(__aarch64__)
#define GEMM_ROW_neon GEMM_ISA
#else
#define GEMM_ROW_neon GEMM_NOT_HERE
#endif
#define GEMM_TILE(isa, mr, nr) GEMM_ROW_##isa(isa, mr, nr)
#include "gemm/f32-gemm-tiles.def"
#undef GEMM_TILE

/* ---------------------------------------------------------------- scalar epilogue */

/* vitc_f32_gemm_epilogue_scalar (vitc.Gemm on the scalar target) against double: every
 * activation, gates, scaled residuals, column ranges, and a block of columns (j0). */
static int check_scalar_epilogue(void) {
  int before = failures, act, r, g, i;
  cur_isa = "scalar";
  rng_seed(4);
  for (act = 0; act < VITC_GEMM_ACT_COUNT + 1; act++)
    for (r = 0; r < 3; r++)
      for (g = 0; g < 3; g++) {
        const int M = 7, N = 9, ld = 11, j0 = act == VITC_GEMM_ACT_COUNT ? 2 : 0;
        float *Y = new_rand((size_t)M * ld), *R = new_rand((size_t)M * ld), *G = new_rand((size_t)M * ld);
        float *Y0 = malloc(sizeof(float) * M * ld);
        int ranges[12];
        double want_row[11], tol_row[11];
        /* act == COUNT: ranges [0,3) GELU, [3,5) sigmoid, [5,8) SiLU, [8,11) none times [5,8), applied to
         * columns [2, 11) */
        const Epi e = {act % VITC_GEMM_ACT_COUNT, 0, 0, act == VITC_GEMM_ACT_COUNT ? 0 : g, r != 0,
                       r == 2 ? 0.5f : 1.0f, act == VITC_GEMM_ACT_COUNT ? 4 : 0,
                       {3, VITC_GEMM_ACT_GELU, -1, 5, VITC_GEMM_ACT_SIGMOID, -1, 8, VITC_GEMM_ACT_SILU, -1, 0,
                        VITC_GEMM_ACT_NONE, 5}};
        vitc_f32_gemm_epilogue ep = epi_make(&e, ld, NULL, NULL, G, R, ld, ranges);
        char what[96];
        snprintf(what, sizeof what, "epilogue act=%d ranges=%d gate=%d res=%d", e.act, e.n_ranges, g, r);
        for (i = 0; i < M * ld; i++) Y0[i] = 4.0f * Y[i];
        memcpy(Y, Y0, sizeof(float) * M * ld);
        vitc_f32_gemm_epilogue_scalar(M, N, Y + j0, ld, &ep, j0);
        for (i = 0; i < M * ld; i++) {
          const int j = i % ld;
          double tol = 0, want = Y0[i];
          if (j >= j0 && j < j0 + N) want = epi_ref(&e, j, ld, Y0[i], &tol, G, R, (size_t)i, want_row, tol_row);
          want_row[j] = want, tol_row[j] = tol;
          if (!(fabs(Y[i] - want) <= tol + 2 * FEPS * fabs(Y0[i]))) {
            report_fail("at %ld: got %.9g want %.9g (tol %.3g)", what, (long)i, Y[i], want, tol);
            break;
          }
        }
        guards_ok(Y, (size_t)M * ld, what);
        free(Y), free(R), free(G), free(Y0);
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
  if (x86_runs_here(0)) run_isa(&isa_avx2);
  if (x86_runs_here(1)) run_isa(&isa_avx512);
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
  const TuIsaTest tests[] = {
      {NULL, test_scalar_epilogue}, {NULL, test_scalar_direct}, {NULL, test_neon},
      {"avx2", test_avx2},          {"avx512", test_avx512},
  };
  return tu_isa_main("check_gemm", "gemm", argc, argv, 600, tests, sizeof tests / sizeof tests[0]);
}

#endif
