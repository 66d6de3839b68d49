/* bench/gemm_bench.c: GFLOP/s of the packed GEMM microkernels on DeiT-Tiny's shapes.
 *
 * Times vitc_f32_gemm_<tile>_<isa> (weights packed with vitc_f32_gemm_pack_b, the
 * layout the compiler packs at compile time) on the four linear layers of a
 * DeiT-Tiny block (M = 197 tokens; fc1 with its fused GELU), and
 * vitc_f32_matmul_<tile>_<isa> on the attention products (3 heads, B packed at
 * run time), reporting the best of 5 runs of `reps` calls, for the ISA this file
 * is compiled for (AVX-512, else AVX2, else NEON), with the largest difference
 * from the scalar reference kernel:
 *
 *   cc -O3 -march=native -std=c99 -I templates bench/gemm_bench.c -lm -o $TMPDIR/gb && $TMPDIR/gb
 *   cc -O3 -mavx2 -mfma  -std=c99 -I templates bench/gemm_bench.c -lm -o $TMPDIR/gb2 && $TMPDIR/gb2
 *
 * Options: [reps [kc nc]]: calls per measurement (default 200) and block sizes to
 * force (default: kc = 384 for K > 512, else whole, as compiler/ops/matmul.c
 * picks them for these shapes).
 *
 * Measured on one Zen 4 core (fp32 FMA peak 116.7 GFLOP/s), -O3 -march=native:
 *   avx512 12x32: 111.7, 110.8, 102.0 (GELU), 109.4 GFLOP/s; block 1.62 ms
 *   avx2   6x16:  112.7, 111.5,  99.8 (GELU), 108.0 GFLOP/s; block 1.64 ms
 *   attention products: 91-101 GFLOP/s */
#define _POSIX_C_SOURCE 199309L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "simd/shim.h"
#if defined(__AVX512F__)
#include "gemm/f32-gemm-12x32-avx512.c"
#define BENCH_ROW_avx512 BENCH_ISA
#elif defined(__AVX2__)
#include "gemm/f32-gemm-6x16-avx2.c"
#define BENCH_ROW_avx2 BENCH_ISA
#elif defined(__aarch64__)
#include "gemm/f32-gemm-8x12-neon.c"
#define BENCH_ROW_neon BENCH_ISA
#endif
#include "gemm/f32-gemm-scalar.c"

typedef void GemmFn(int M, int N, int K, const float *A, int lda, const float *Wp, float *C, int ldc,
                    const vitc_f32_gemm_epilogue *ep, int kc, int nc, float *scratch);
typedef void MatmulFn(int M, int N, int K, int batch_rank, const int *batch_dims, const ptrdiff_t *a_bs,
                      const ptrdiff_t *b_bs, const float *A, const float *B, ptrdiff_t b_rs, ptrdiff_t b_cs, float *C,
                      int kc, int nc, float *scratch);

/* The row of templates/gemm/f32-gemm-tiles.def of the ISA compiled for (BENCH_ROW_<isa>):
 * the tile MR x NR and the entry points, named from the row. */
#define BENCH_ISA(isa, mr, nr)                                                                                         \
  enum { MR = mr, NR = nr };                                                                                          \
  static GemmFn *const GEMM = vitc_f32_gemm_##mr##x##nr##_##isa;                                                      \
  static MatmulFn *const MATMUL = vitc_f32_matmul_##mr##x##nr##_##isa;                                                \
  static const char ISA[] = #isa " " #mr "x" #nr;
#define BENCH_NOT_HERE(isa, mr, nr)
#ifndef BENCH_ROW_avx2
#define BENCH_ROW_avx2 BENCH_NOT_HERE
#endif
#ifndef BENCH_ROW_avx512
#define BENCH_ROW_avx512 BENCH_NOT_HERE
#endif
#ifndef BENCH_ROW_neon
#define BENCH_ROW_neon BENCH_NOT_HERE
#endif
#define GEMM_TILE(isa, mr, nr) BENCH_ROW_##isa(isa, mr, nr)
#include "gemm/f32-gemm-tiles.def"
#undef GEMM_TILE

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static float *rnd(size_t n) {
  float *p = malloc(n * sizeof(float) + 64);
  for (size_t i = 0; i < n; i++) p[i] = (float)(rand() % 2001 - 1000) / 1000.0f;
  return p;
}

int main(int argc, char **argv) {
  int reps = argc > 1 ? atoi(argv[1]) : 200;
  int fkc = argc > 3 ? atoi(argv[2]) : -1, fnc = argc > 3 ? atoi(argv[3]) : -1;
  static const int shapes[][4] = {/* M, K, N, act */
                                  {197, 192, 576, 0}, {197, 192, 192, 0}, {197, 192, 768, 1}, {197, 768, 192, 0}};
  double total_flop = 0, total_s = 0;
  printf("%s\n", ISA);
  for (unsigned s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
    int M = shapes[s][0], K = shapes[s][1], N = shapes[s][2], act = shapes[s][3];
    int np = (N + NR - 1) / NR * NR;
    float *A = rnd((size_t)M * K), *B = rnd((size_t)K * N), *bias = rnd((size_t)N);
    float *Wp = rnd((size_t)K * np), *C = rnd((size_t)M * N), *C2 = rnd((size_t)M * N);
    float *scratch = rnd((size_t)MR * K + 64);
    int kc = fkc >= 0 ? fkc : (K > 512 ? 384 : 0), nc = fnc >= 0 ? fnc : 0;
    vitc_f32_gemm_pack_b(K, N, NR, B, N, 1, Wp);
    const vitc_f32_gemm_epilogue plain = {bias, NULL, 0, 0, NULL, 0, NULL, 0, NULL, 0, 1.0f};
    vitc_f32_gemm_epilogue ep = plain;
    ep.act = act;
    GEMM(M, N, K, A, K, Wp, C, N, &plain, kc, nc, scratch);
    vitc_f32_gemm_scalar(M, N, K, A, K, B, N, bias, C2, N);
    double maxd = 0;
    for (int i = 0; i < M * N; i++) {
      double d = C[i] - C2[i];
      if (d < 0) d = -d;
      if (d > maxd) maxd = d;
    }
    double best = 1e9;
    for (int t = 0; t < 5; t++) {
      double t0 = now();
      for (int r = 0; r < reps; r++) GEMM(M, N, K, A, K, Wp, C, N, &ep, kc, nc, scratch);
      double dt = (now() - t0) / reps;
      if (dt < best) best = dt;
    }
    double flop = 2.0 * M * N * K;
    printf("M=%d K=%d N=%d act=%d kc=%d nc=%d: %.1f us  %.1f GFLOP/s  (max |diff| vs scalar %.2g)\n", M, K, N, act, kc,
           nc, best * 1e6, flop / best * 1e-9, maxd);
    total_flop += flop;
    total_s += best;
    free(A), free(B), free(bias), free(Wp), free(C), free(C2), free(scratch);
  }
  printf("block total: %.1f us, %.1f GFLOP/s; x12 blocks = %.2f ms\n", total_s * 1e6, total_flop / total_s * 1e-9,
         total_s * 12e3);
  /* attention: Q (3,197,64) @ K^T (3,64,197), P (3,197,197) @ V (3,197,64) */
  {
    int M = 197, H = 3, D = 64;
    float *Q = rnd((size_t)H * M * D), *Kt = rnd((size_t)H * D * M), *P = rnd((size_t)H * M * M);
    float *V = rnd((size_t)H * M * D), *S = rnd((size_t)H * M * M), *O = rnd((size_t)H * M * D);
    float *scratch = rnd((size_t)VITC_F32_MATMUL_SCRATCH(MR, NR, 197, 197, 0) + 64);
    int dims[1] = {H};
    ptrdiff_t qa[1] = {(ptrdiff_t)M * D}, kb[1] = {(ptrdiff_t)D * M}, pa[1] = {(ptrdiff_t)M * M}, vb[1] = {(ptrdiff_t)M * D};
    double b1 = 1e9, b2 = 1e9;
    for (int t = 0; t < 5; t++) {
      double t0 = now();
      for (int r = 0; r < reps; r++) MATMUL(M, M, D, 1, dims, qa, kb, Q, Kt, M, 1, S, 0, 0, scratch);
      double t1 = now();
      for (int r = 0; r < reps; r++) MATMUL(M, D, M, 1, dims, pa, vb, P, V, D, 1, O, 0, 0, scratch);
      double t2 = now();
      if ((t1 - t0) / reps < b1) b1 = (t1 - t0) / reps;
      if ((t2 - t1) / reps < b2) b2 = (t2 - t1) / reps;
    }
    double f = 2.0 * H * M * M * D;
    printf("QK^T (3x197x64x197): %.1f us %.1f GFLOP/s; PV (3x197x197x64): %.1f us %.1f GFLOP/s; x12 = %.2f ms\n",
           b1 * 1e6, f / b1 * 1e-9, b2 * 1e6, f / b2 * 1e-9, (b1 + b2) * 12e3);
  }
  return 0;
}
