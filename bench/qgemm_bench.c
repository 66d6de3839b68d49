/* bench/qgemm_bench.c: multiply-adds per cycle of the AVX2 int8 GEMM
 * (templates/gemm/qs8-gemm-4x16-avx2.c), the microkernel alone and on DeiT-Tiny's shapes.
 *
 *   cc -O3 -march=znver3    -std=c99 -I templates bench/qgemm_bench.c -lm -o $TMPDIR/qb && $TMPDIR/qb
 *   cc -O2 -mavx2 -mfma     -std=c99 -I templates bench/qgemm_bench.c -lm -o $TMPDIR/qb2 && $TMPDIR/qb2
 *
 * Option: [GHz]: the core's clock under load (default 3.66, this Zen 4's: bench/fma_peak.c's
 * 117 GFLOP/s = 32 flops per cycle), by which GMAC/s are turned into multiply-adds per cycle;
 * the fp32 FMA does 16 per cycle on two 256-bit pipes.
 *
 * 1. The microkernel (vitc__qs8_ukernel_4x16_avx2) on one 4-row activation panel against
 *    every 16-column panel of a packed W, K 192 (N 768: fc1) and 768 (N 192: fc2), W in L2,
 *    the store included (bias, no activation): the rate the kernel's opening comment quotes.
 * 2. The entry point (vitc_qs8_gemm_4x16_avx2) on the four GEMMs of DeiT-Tiny's 12 layers,
 *    M = 197 tokens, float32 activations quantized by the packer (uint8, as the QDQ model's),
 *    qkv plain, proj and fc2 with a residual, fc1 with GELU; each layer its own weights
 *    (10.6 MB of int16), so they stream from L3 as in a run of the model.
 * Each is checked against the scalar kernel first (exact sums; the epilogue within 1e-5).
 * Best of 7 (1.) or 15 (2.) timed runs. */
#define _POSIX_C_SOURCE 199309L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "simd/shim.h"
#if !defined(__AVX2__) || !defined(__FMA__)
#error "bench/qgemm_bench.c: build with -mavx2 -mfma (or -march=...)"
#endif
#include "gemm/qs8-gemm-4x16-avx2.c"
#include "gemm/qs8-gemm-scalar.c"

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static unsigned rng = 1;
static int next(int n) { return rng = rng * 1103515245u + 12345u, (int)((rng >> 8) % (unsigned)n); }

/* 1. one 4-row panel against N / 16 W panels, K deep: multiply-adds per cycle */
static int bench_ukernel(int K, int N, double ghz)
{
    const vitc_qs8_layout *L = &vitc_qs8_layout_avx2;
    int kg = (K + 1) / 2, p, i, j, k, run, rep, reps = 40000000 / (K * N) + 1, fails = 0;
    float *A = malloc(sizeof(float) * 4 * (size_t)K), *Y = malloc(sizeof(float) * 4 * (size_t)N);
    float *R = malloc(sizeof(float) * 4 * (size_t)N), *scale = malloc(sizeof(float) * (size_t)N);
    float *bias = malloc(sizeof(float) * (size_t)N);
    int8_t *W = malloc((size_t)K * (size_t)N);
    int32_t *zc = malloc(sizeof(int32_t) * (size_t)N);
    void *Wp = malloc(vitc_qs8_packed_w_bytes(L, K, N)), *ap = malloc((size_t)kg * 16), *rs = malloc((size_t)(K + N) * 4);
    vitc_qs8_tile_epilogue e = {VITC_GEMM_ACT_NONE, 0.0f, 0.0f, NULL, 0, 1.0f};
    double best = 1e30;
    for (i = 0; i < 4 * K; i++) A[i] = (float)(next(255)); /* quantized by scale 1, zero point 0: 0..254 */
    for (i = 0; i < K * N; i++) W[i] = (int8_t)(next(256) - 128);
    for (j = 0; j < N; j++) scale[j] = 1.0f, bias[j] = 0.0f, zc[j] = 0;
    vitc_qs8_pack_w(L, K, N, W, N, 1, Wp);
    vitc__qs8_pack_a_4x16_avx2(4, K, A, 1, K, 1.0f, 0, 2, ap);
    for (p = 0; p < N / 16; p++)
        vitc__qs8_ukernel_4x16_avx2(4, 16, kg, ap, (const char *)Wp + (size_t)p * (size_t)kg * 64, Y + p * 16, N,
                                    zc + p * 16, scale + p * 16, bias + p * 16, &e);
    vitc_qs8_gemm_scalar(4, N, K, A, 1, K, 1.0f, 0, 2, W, zc, scale, bias, R, N, NULL, rs);
    for (i = 0; i < 4 * N; i++) fails += Y[i] != R[i];
    for (run = 0; run < 7; run++) {
        double t0 = now(), t;
        for (rep = 0; rep < reps; rep++)
            for (p = 0; p < N / 16; p++)
                vitc__qs8_ukernel_4x16_avx2(4, 16, kg, ap, (const char *)Wp + (size_t)p * (size_t)kg * 64, Y + p * 16,
                                            N, zc + p * 16, scale + p * 16, bias + p * 16, &e);
        t = (now() - t0) / reps;
        best = t < best ? t : best;
    }
    k = 4 * 2 * kg * N; /* multiply-adds per pass */
    printf("microkernel 4x16, K %4d, N %3d: %5.2f cycles per k-group (128 multiply-adds), %4.1f per cycle%s\n", K, N,
           best * ghz * 1e9 / (k / 128.0), k / (best * ghz * 1e9), fails ? "  WRONG" : "");
    free(A), free(Y), free(R), free(scale), free(bias), free(W), free(zc), free(Wp), free(ap), free(rs);
    return fails;
}

/* 2. DeiT-Tiny's GEMMs through the entry point, 12 layers */
enum { LAYERS = 12, M = 197 };
static const struct { const char *name; int N, K, epi; } gemm[4] = {
    {"qkv", 576, 192, 0}, {"proj", 192, 192, 2}, {"fc1 (GELU)", 768, 192, 1}, {"fc2", 192, 768, 2}};

static int bench_layers(double ghz)
{
    const vitc_qs8_layout *L = &vitc_qs8_layout_avx2;
    void *Wp[LAYERS][4];
    int8_t *W[4];
    int32_t *zc[4], *zr[4];
    float *scale[4], *bias[4];
    float *A = malloc(sizeof(float) * M * 768), *Y = malloc(sizeof(float) * M * 768), *R = malloc(sizeof(float) * M * 768);
    float *res = malloc(sizeof(float) * M * 768);
    void *scratch = malloc((size_t)(768 + 768) * 4 + 4 * 768 * 2 + 64);
    double best[4] = {1e30, 1e30, 1e30, 1e30}, total = 1e30, macs = 0, worst = 0;
    int t, l, i, j, run, fails = 0;
    const float sa = 0.01f;
    const int za = 128;
    for (i = 0; i < M * 768; i++) A[i] = (float)(next(2001) - 1000) * 1.3e-3f, res[i] = (float)(next(200) - 100) * 0.01f;
    for (t = 0; t < 4; t++) {
        int N = gemm[t].N, K = gemm[t].K;
        W[t] = malloc((size_t)K * (size_t)N);
        zc[t] = malloc(sizeof(int32_t) * (size_t)N), zr[t] = malloc(sizeof(int32_t) * (size_t)N);
        scale[t] = malloc(sizeof(float) * (size_t)N), bias[t] = malloc(sizeof(float) * (size_t)N);
        for (i = 0; i < K * N; i++) W[t][i] = (int8_t)(next(255) - 127);
        for (j = 0; j < N; j++) scale[t][j] = sa * 0.02f / 127.0f * (float)(1 + next(4)), bias[t][j] = 0.01f * (float)(next(100) - 50);
        vitc_qs8_zero_correction(L, K, N, W[t], N, 1, za, 2, zc[t]);
        vitc_qs8_zero_correction(&vitc_qs8_layout_scalar, K, N, W[t], N, 1, za, 2, zr[t]);
        for (l = 0; l < LAYERS; l++) { /* the same values, 12 copies: each layer reads its own */
            Wp[l][t] = malloc(vitc_qs8_packed_w_bytes(L, K, N));
            vitc_qs8_pack_w(L, K, N, W[t], N, 1, Wp[l][t]);
        }
        macs += (double)LAYERS * M * N * K;
    }
    for (run = 0; run < 15; run++) {
        double tt[4] = {0, 0, 0, 0}, t0 = now(), tl;
        for (l = 0; l < LAYERS; l++)
            for (t = 0; t < 4; t++) {
                int N = gemm[t].N, K = gemm[t].K;
                vitc_f32_gemm_epilogue ep;
                double a = now();
                memset(&ep, 0, sizeof ep);
                ep.act = gemm[t].epi == 1 ? VITC_GEMM_ACT_GELU : VITC_GEMM_ACT_NONE;
                ep.res = gemm[t].epi == 2 ? res : NULL, ep.ldr = N, ep.res_scale = 1.0f;
                vitc_qs8_gemm_4x16_avx2(M, N, K, A, 1, K, sa, za, 2, Wp[l][t], zc[t], scale[t], bias[t], Y, N,
                                        gemm[t].epi ? &ep : NULL, scratch);
                tt[t] += now() - a;
                if (run == 0 && l == 0) { /* checked once per GEMM against the scalar kernel */
                    vitc_qs8_gemm_scalar(M, N, K, A, 1, K, sa, za, 2, W[t], zr[t], scale[t], bias[t], R, N,
                                         gemm[t].epi ? &ep : NULL, scratch);
                    for (i = 0; i < M * N; i++) {
                        double d = fabs((double)Y[i] - R[i]) / (1.0 + fabs(R[i]));
                        worst = d > worst ? d : worst;
                    }
                }
            }
        tl = now() - t0;
        total = tl < total ? tl : total;
        for (t = 0; t < 4; t++) best[t] = tt[t] < best[t] ? tt[t] : best[t];
    }
    fails = !(worst <= 1e-5);
    for (t = 0; t < 4; t++)
        printf("DeiT-Tiny %-10s (%3d x %3d x %3d) x 12: %6.3f ms, %4.1f multiply-adds per cycle\n", gemm[t].name, M,
               gemm[t].N, gemm[t].K, best[t] * 1e3, (double)LAYERS * M * gemm[t].N * gemm[t].K / (best[t] * ghz * 1e9));
    printf("DeiT-Tiny's 48 int8 GEMMs: %.3f ms, %.1f multiply-adds per cycle (largest difference from scalar %.1e)%s\n",
           total * 1e3, macs / (total * ghz * 1e9), worst, fails ? "  WRONG" : "");
    for (t = 0; t < 4; t++) {
        for (l = 0; l < LAYERS; l++) free(Wp[l][t]);
        free(W[t]), free(zc[t]), free(zr[t]), free(scale[t]), free(bias[t]);
    }
    free(A), free(Y), free(R), free(res), free(scratch);
    return fails;
}

int main(int argc, char **argv)
{
    double ghz = argc > 1 ? atof(argv[1]) : 3.66;
    int fails = bench_ukernel(192, 768, ghz) + bench_ukernel(768, 192, ghz) + bench_layers(ghz);
    return fails ? 1 : 0;
}
