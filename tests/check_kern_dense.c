/* tests/check_kern_dense.c: the scalar dense kernels against naive references.
 *
 * Covers templates/{gemm,conv,pool,norm,reduce,select}/f32-*-scalar.c. Each
 * kernel runs on seeded random inputs and is compared with a reference written
 * here the obvious way, in double. Tolerances are relative to magnitude: for a
 * dot product of K terms the bound is (K+4) float epsilons times sum |terms|
 * (the classic bound for recursive summation), for elementwise results a few
 * epsilons of |reference|. Every output buffer is followed by guard floats that
 * must come back untouched, and scratch buffers are exactly the size their
 * documented formula gives (plus guards), so over-runs fail too.
 *
 * Build alone:
 *   gcc -std=c99 -O2 -Wall -Wextra -I templates tests/check_kern_dense.c \
 *       $(pkg-config --cflags --libs check) -lm -o $TMPDIR/ck && $TMPDIR/ck */
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_runner.h"
#include "test_rng.h"

#include "gemm/f32-gemm-scalar.c"
#include "conv/f32-conv2d-scalar.c"
#include "pool/f32-pool2d-scalar.c"
#include "norm/f32-layernorm-scalar.c"
#include "norm/f32-softmax-scalar.c"
#include "reduce/f32-reduce-scalar.c"
#include "select/f32-topk-scalar.c"

/* ---------------------------------------------------------------- helpers */

#define GUARD 16
#define GUARD_VAL 1234.5f
#define FEPS 1.1920929e-7 /* FLT_EPSILON */

/* n floats + GUARD guard floats; the n are random in [lo, hi). */
static float *new_rand(size_t n, float lo, float hi)
{
    float *p = malloc((n + GUARD) * sizeof(float));
    size_t i;
    ck_assert_ptr_nonnull(p);
    for (i = 0; i < n; i++) p[i] = rng_f(lo, hi);
    for (i = 0; i < GUARD; i++) p[n + i] = GUARD_VAL;
    return p;
}

/* n floats filled with a poison value + guards: outputs must overwrite them. */
static float *new_out(size_t n)
{
    float *p = malloc((n + GUARD) * sizeof(float));
    size_t i;
    ck_assert_ptr_nonnull(p);
    for (i = 0; i < n; i++) p[i] = -777.0f;
    for (i = 0; i < GUARD; i++) p[n + i] = GUARD_VAL;
    return p;
}

static double *new_d(size_t n)
{
    double *p = calloc(n ? n : 1, sizeof(double));
    ck_assert_ptr_nonnull(p);
    return p;
}

static int guard_ok(const float *p, size_t n)
{
    size_t i;
    for (i = 0; i < GUARD; i++)
        if (p[n + i] != GUARD_VAL) return 0;
    return 1;
}

/* |got - ref| <= atol + rtol * mag (mag = |ref| when NULL) for all i;
 * on failure, writes the first bad element into msg and returns 0. */
static int close_enough(const float *got, const double *ref, const double *mag, size_t n, double rtol,
                        double atol, char *msg, size_t msgn)
{
    size_t i;
    for (i = 0; i < n; i++) {
        const double m = mag ? mag[i] : fabs(ref[i]);
        const double err = fabs((double)got[i] - ref[i]);
        if (!(err <= atol + rtol * m)) {
            snprintf(msg, msgn, "element %zu: got %.9g want %.9g (err %.3g, allowed %.3g)", i, (double)got[i],
                     ref[i], err, atol + rtol * m);
            return 0;
        }
    }
    return 1;
}

#define CHECK_CLOSE(got, ref, mag, n, rtol, atol, ...)                                 \
    do {                                                                               \
        char msg_[256];                                                                \
        char ctx_[256];                                                                \
        snprintf(ctx_, sizeof ctx_, __VA_ARGS__);                                      \
        ck_assert_msg(close_enough(got, ref, mag, n, rtol, atol, msg_, sizeof msg_),   \
                      "%s: %s", ctx_, msg_);                                           \
        ck_assert_msg(guard_ok(got, n), "%s: wrote past the end of the output", ctx_); \
    } while (0)

/* ---------------------------------------------------------------- gemm */

/* ref/mag (M,N) = A' @ B' (+ bias), A'[i][k] = A[i*ars + k*acs], B'[k][j] = B[k*brs + j*bcs] */
static void ref_gemm(int M, int N, int K, const float *A, ptrdiff_t ars, ptrdiff_t acs, const float *B,
                     ptrdiff_t brs, ptrdiff_t bcs, const float *bias, double *ref, double *mag)
{
    int i, j, k;
    for (i = 0; i < M; i++)
        for (j = 0; j < N; j++) {
            double s = bias ? bias[j] : 0.0, m = bias ? fabs(bias[j]) : 0.0;
            for (k = 0; k < K; k++) {
                const double t = (double)A[i * ars + k * acs] * (double)B[k * brs + j * bcs];
                s += t;
                m += fabs(t);
            }
            ref[(size_t)i * N + j] = s;
            mag[(size_t)i * N + j] = m;
        }
}

static const int gemm_sizes[][3] = {
    /* M, N, K */
    {4, 8, 16},     /* one tile */
    {1, 1, 1},      {3, 7, 5},     /* smaller than a tile */
    {5, 9, 17},     {8, 16, 32},   /* larger, multiples */
    {12, 24, 1},    {4, 8, 256},   {4, 8, 257},     /* K block edges */
    {9, 256, 3},    {9, 257, 3},   {6, 520, 11},    /* N block edges */
    {197, 197, 64}, {197, 64, 197}, /* attention-like, prime */
    {197, 192, 768}, {2, 3072, 300}, {13, 300, 600},
};

START_TEST(test_gemm_sizes)
{
    size_t t;
    rng_seed(1);
    for (t = 0; t < sizeof gemm_sizes / sizeof gemm_sizes[0]; t++) {
        const int M = gemm_sizes[t][0], N = gemm_sizes[t][1], K = gemm_sizes[t][2];
        int with_bias;
        for (with_bias = 0; with_bias < 2; with_bias++) {
            float *A = new_rand((size_t)M * K, -1, 1), *B = new_rand((size_t)K * N, -1, 1);
            float *bias = new_rand((size_t)N, -1, 1), *C = new_out((size_t)M * N);
            double *ref = new_d((size_t)M * N), *mag = new_d((size_t)M * N);
            vitc_f32_gemm_scalar(M, N, K, A, K, B, N, with_bias ? bias : NULL, C, N);
            ref_gemm(M, N, K, A, K, 1, B, N, 1, with_bias ? bias : NULL, ref, mag);
            CHECK_CLOSE(C, ref, mag, (size_t)M * N, (K + 4) * FEPS, 1e-30, "gemm M=%d N=%d K=%d bias=%d", M, N, K,
                        with_bias);
            free(A); free(B); free(bias); free(C); free(ref); free(mag);
        }
    }
}
END_TEST

/* sub-blocks of bigger buffers (lda > K, ldb > N, ldc > N), K = 0, and accumulation */
START_TEST(test_gemm_strided_acc)
{
    rng_seed(2); /* before the allocations below draw from it */
    const int M = 11, N = 13, K = 19, lda = 23, ldb = 17, ldc = 29;
    float *A = new_rand((size_t)M * lda, -1, 1), *B = new_rand((size_t)K * ldb, -1, 1);
    float *bias = new_rand(N, -1, 1), *C = new_rand((size_t)M * ldc, -1, 1), *C0 = new_out((size_t)M * ldc);
    double *ref = new_d((size_t)M * N), *mag = new_d((size_t)M * N);
    float *Cc = new_out((size_t)M * N);
    int i, j;

    /* acc: C += A@B; the padding columns of C must stay as they were */
    memcpy(C0, C, (size_t)M * ldc * sizeof(float));
    vitc_f32_gemm_acc_scalar(M, N, K, A, lda, B, ldb, C, ldc);
    ref_gemm(M, N, K, A, lda, 1, B, ldb, 1, NULL, ref, mag);
    for (i = 0; i < M; i++)
        for (j = 0; j < ldc; j++) {
            if (j < N) {
                ref[i * N + j] += C0[i * ldc + j];
                mag[i * N + j] += fabs(C0[i * ldc + j]);
                Cc[i * N + j] = C[i * ldc + j];
            } else {
                ck_assert_msg(C[i * ldc + j] == C0[i * ldc + j], "gemm_acc wrote outside the block at (%d,%d)", i, j);
            }
        }
    CHECK_CLOSE(Cc, ref, mag, (size_t)M * N, (K + 4) * FEPS, 1e-30, "gemm_acc strided");

    /* K = 0: C = bias (or 0) */
    vitc_f32_gemm_scalar(M, N, 0, A, lda, B, ldb, bias, C, ldc);
    for (i = 0; i < M; i++)
        for (j = 0; j < N; j++) ck_assert(C[i * ldc + j] == bias[j]);
    vitc_f32_gemm_scalar(M, N, 0, A, lda, B, ldb, NULL, C, ldc);
    for (i = 0; i < M; i++)
        for (j = 0; j < N; j++) ck_assert(C[i * ldc + j] == 0.0f);

    free(A); free(B); free(bias); free(C); free(C0); free(ref); free(mag); free(Cc);
}
END_TEST

/* strides (out_rank,) of an operand with batch dims e (e_rank,), right-aligned, matrices of msz floats */
static void bcast_strides(int out_rank, const int *out_dims, int e_rank, const int *e, ptrdiff_t msz,
                          ptrdiff_t *strides)
{
    ptrdiff_t s = msz;
    int d;
    for (d = out_rank - 1; d >= 0; d--) {
        const int ed = d - (out_rank - e_rank);
        if (ed < 0 || e[ed] == 1) {
            strides[d] = 0;
        } else {
            ck_assert_int_eq(e[ed], out_dims[d]);
            strides[d] = s;
        }
        if (ed >= 0) s *= e[ed];
    }
}

START_TEST(test_matmul_broadcast)
{
    static const struct {
        int M, N, K, ra, rb, ro;
        int a[3], b[3], o[3];
    } cases[] = {
        {5, 7, 3, 0, 0, 0, {0}, {0}, {0}},                         /* plain matrix product */
        {197, 64, 197, 2, 2, 2, {1, 3}, {1, 3}, {1, 3}},           /* attn @ V */
        {9, 10, 11, 2, 0, 2, {2, 3}, {0}, {2, 3}},                 /* B shared: folded */
        {9, 10, 11, 2, 2, 2, {2, 1}, {1, 3}, {2, 3}},              /* both broadcast */
        {4, 6, 5, 1, 3, 3, {3}, {2, 1, 3}, {2, 1, 3}},             /* rank mismatch */
        {1, 6, 5, 3, 1, 3, {2, 4, 3}, {3}, {2, 4, 3}},             /* M = 1 (1-D A) */
        {6, 1, 5, 2, 2, 2, {1, 4}, {3, 1}, {3, 4}},                /* N = 1 (1-D B) */
        {3, 4, 5, 3, 3, 3, {2, 0, 3}, {2, 0, 3}, {2, 0, 3}},       /* empty batch */
    };
    size_t t;
    rng_seed(3);
    for (t = 0; t < sizeof cases / sizeof cases[0]; t++) {
        const int M = cases[t].M, N = cases[t].N, K = cases[t].K, ro = cases[t].ro;
        ptrdiff_t as[3], bs[3], na = 1, nb = 1, no = 1, b;
        int d, idx[3];
        float *A, *B, *C;
        double *ref, *mag;
        for (d = 0; d < cases[t].ra; d++) na *= cases[t].a[d];
        for (d = 0; d < cases[t].rb; d++) nb *= cases[t].b[d];
        for (d = 0; d < ro; d++) no *= cases[t].o[d];
        A = new_rand((size_t)(na * M * K), -1, 1);
        B = new_rand((size_t)(nb * K * N), -1, 1);
        C = new_out((size_t)(no * M * N));
        ref = new_d((size_t)(no * M * N));
        mag = new_d((size_t)(no * M * N));
        bcast_strides(ro, cases[t].o, cases[t].ra, cases[t].a, (ptrdiff_t)M * K, as);
        bcast_strides(ro, cases[t].o, cases[t].rb, cases[t].b, (ptrdiff_t)K * N, bs);
        vitc_f32_matmul_scalar(M, N, K, ro, cases[t].o, as, bs, A, B, C);
        for (d = 0; d < ro; d++) idx[d] = 0;
        for (b = 0; b < no; b++) {
            ptrdiff_t ao = 0, bo = 0, r;
            /* independent offset computation: unravel b, then numpy broadcasting rules */
            r = b;
            for (d = ro - 1; d >= 0; d--) {
                idx[d] = (int)(r % cases[t].o[d]);
                r /= cases[t].o[d];
            }
            {
                ptrdiff_t s = 1;
                for (d = cases[t].ra - 1; d >= 0; d--) {
                    const int od = d + ro - cases[t].ra;
                    ao += (cases[t].a[d] == 1 ? 0 : idx[od]) * s;
                    s *= cases[t].a[d];
                }
                s = 1;
                for (d = cases[t].rb - 1; d >= 0; d--) {
                    const int od = d + ro - cases[t].rb;
                    bo += (cases[t].b[d] == 1 ? 0 : idx[od]) * s;
                    s *= cases[t].b[d];
                }
            }
            ref_gemm(M, N, K, A + ao * M * K, K, 1, B + bo * K * N, N, 1, NULL, ref + b * M * N, mag + b * M * N);
        }
        CHECK_CLOSE(C, ref, mag, (size_t)(no * M * N), (K + 4) * FEPS, 1e-30, "matmul case %zu", t);
        free(A); free(B); free(C); free(ref); free(mag);
    }
}
END_TEST

START_TEST(test_gemm_general)
{
    static const int sizes[][3] = {{4, 8, 16}, {7, 5, 3}, {13, 21, 300}, {1, 9, 2}};
    size_t t;
    int ta, tb, cmode;
    rng_seed(4);
    for (t = 0; t < sizeof sizes / sizeof sizes[0]; t++)
        for (ta = 0; ta < 2; ta++)
            for (tb = 0; tb < 2; tb++)
                for (cmode = 0; cmode < 6; cmode++) {
                    const int M = sizes[t][0], N = sizes[t][1], K = sizes[t][2];
                    const float alpha = cmode == 1 ? 1.0f : 0.75f, beta = cmode == 5 ? 0.0f : -1.5f;
                    float *A = new_rand((size_t)M * K, -1, 1), *B = new_rand((size_t)K * N, -1, 1);
                    float *Cin = new_rand((size_t)M * N, -1, 1), *Y = new_out((size_t)M * N);
                    double *ref = new_d((size_t)M * N), *mag = new_d((size_t)M * N);
                    ptrdiff_t crs = 0, ccs = 0;
                    const float *cptr = Cin;
                    int i, j;
                    switch (cmode) {
                    case 0: cptr = NULL; break;          /* no C */
                    case 1: crs = 0; ccs = 0; break;     /* scalar */
                    case 2: crs = 0; ccs = 1; break;     /* (N,) */
                    case 3: crs = 1; ccs = 0; break;     /* (M,1) */
                    case 4: crs = N; ccs = 1; break;     /* (M,N) */
                    case 5: crs = N; ccs = 1; break;     /* beta = 0: C ignored */
                    }
                    vitc_f32_gemm_general_scalar(ta, tb, M, N, K, alpha, A, B, beta, cptr, crs, ccs, Y);
                    ref_gemm(M, N, K, A, ta ? 1 : K, ta ? M : 1, B, tb ? 1 : N, tb ? K : 1, NULL, ref, mag);
                    for (i = 0; i < M; i++)
                        for (j = 0; j < N; j++) {
                            double c = cptr && beta != 0.0f ? (double)beta * Cin[i * crs + j * ccs] : 0.0;
                            ref[i * N + j] = alpha * ref[i * N + j] + c;
                            mag[i * N + j] = fabs(alpha) * mag[i * N + j] + fabs(c);
                        }
                    CHECK_CLOSE(Y, ref, mag, (size_t)M * N, (K + 6) * FEPS, 1e-30,
                                "gemm_general M=%d N=%d K=%d tA=%d tB=%d cmode=%d", M, N, K, ta, tb, cmode);
                    free(A); free(B); free(Cin); free(Y); free(ref); free(mag);
                }
}
END_TEST

/* ---------------------------------------------------------------- conv */

typedef struct {
    int N, C_in, H, W, C_out, KH, KW, sh, sw, dh, dw, pt, pl, pb, pr, group, bias;
} ConvCase;

static void ref_conv(const ConvCase *c, int OH, int OW, const float *X, const float *Wt, const float *bias,
                     double *ref, double *mag)
{
    const int cin_g = c->C_in / c->group, cout_g = c->C_out / c->group;
    int n, oc, oh, ow, ic, kh, kw;
    for (n = 0; n < c->N; n++)
        for (oc = 0; oc < c->C_out; oc++)
            for (oh = 0; oh < OH; oh++)
                for (ow = 0; ow < OW; ow++) {
                    const int g = oc / cout_g;
                    double s = bias ? bias[oc] : 0.0, m = bias ? fabs(bias[oc]) : 0.0;
                    for (ic = 0; ic < cin_g; ic++)
                        for (kh = 0; kh < c->KH; kh++)
                            for (kw = 0; kw < c->KW; kw++) {
                                const int ih = oh * c->sh - c->pt + kh * c->dh;
                                const int iw = ow * c->sw - c->pl + kw * c->dw;
                                double t;
                                if (ih < 0 || ih >= c->H || iw < 0 || iw >= c->W) continue;
                                t = (double)X[(((size_t)n * c->C_in + g * cin_g + ic) * c->H + ih) * c->W + iw] *
                                    (double)Wt[(((size_t)oc * cin_g + ic) * c->KH + kh) * c->KW + kw];
                                s += t;
                                m += fabs(t);
                            }
                    ref[(((size_t)n * c->C_out + oc) * OH + oh) * OW + ow] = s;
                    mag[(((size_t)n * c->C_out + oc) * OH + oh) * OW + ow] = m;
                }
}

static const ConvCase conv_cases[] = {
    /* N Cin H  W  Cout KH KW sh sw dh dw pt pl pb pr grp bias */
    {1, 3, 32, 32, 8, 16, 16, 16, 16, 1, 1, 0, 0, 0, 0, 1, 1},    /* patch embedding, small */
    {1, 3, 224, 224, 192, 16, 16, 16, 16, 1, 1, 0, 0, 0, 0, 1, 1}, /* DeiT-Tiny patch embedding */
    {2, 4, 9, 11, 6, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1},         /* 3x3 same, batch 2 */
    {1, 5, 13, 10, 7, 3, 2, 2, 3, 1, 1, 0, 1, 1, 0, 1, 0},        /* strides, asymmetric pads, no bias */
    {1, 3, 12, 12, 4, 3, 3, 1, 2, 2, 3, 2, 0, 1, 3, 1, 1},        /* dilation */
    {2, 8, 7, 9, 12, 3, 3, 1, 1, 1, 1, 1, 2, 0, 1, 4, 1},         /* groups = 4 (2 in, 3 out per group) */
    {1, 6, 10, 10, 4, 5, 5, 2, 2, 1, 1, 2, 2, 2, 2, 2, 1},        /* groups = 2 */
    {1, 8, 11, 11, 8, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 8, 1},        /* depthwise */
    {2, 4, 9, 8, 8, 3, 5, 2, 1, 2, 1, 2, 0, 0, 2, 4, 1},          /* depthwise, multiplier 2, dilation */
    {1, 5, 14, 14, 15, 7, 7, 3, 3, 1, 1, 3, 3, 3, 3, 5, 0},       /* depthwise, multiplier 3, stride 3 */
    {1, 1, 12, 12, 6, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1},        /* C_in = group = 1: depthwise path */
    {2, 16, 7, 7, 24, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1},        /* pointwise: no scratch */
    {1, 16, 7, 7, 8, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 2, 1},         /* grouped pointwise */
    {1, 6, 8, 8, 10, 1, 1, 2, 2, 1, 1, 0, 0, 0, 0, 1, 1},         /* 1x1 stride 2: gathers */
    {1, 2, 5, 5, 3, 3, 3, 1, 1, 1, 1, 4, 0, 0, 4, 1, 1},          /* pad larger than kernel */
    {1, 3, 4, 4, 2, 5, 5, 1, 1, 1, 1, 2, 2, 2, 2, 1, 0},          /* kernel larger than input */
};

static size_t conv_scratch_floats(const ConvCase *c, int OH, int OW, int dispatcher)
{
    if (dispatcher && c->group == c->C_in) return 0;
    if (c->KH == 1 && c->KW == 1 && c->sh == 1 && c->sw == 1 && c->pt == 0 && c->pl == 0 && c->pb == 0 &&
        c->pr == 0)
        return 0;
    return (size_t)(c->C_in / c->group) * c->KH * c->KW * OH * OW;
}

START_TEST(test_conv2d)
{
    size_t t;
    int path;
    rng_seed(5);
    for (t = 0; t < sizeof conv_cases / sizeof conv_cases[0]; t++) {
        const ConvCase *c = &conv_cases[t];
        const int OH = (c->H + c->pt + c->pb - c->dh * (c->KH - 1) - 1) / c->sh + 1;
        const int OW = (c->W + c->pl + c->pr - c->dw * (c->KW - 1) - 1) / c->sw + 1;
        const size_t ny = (size_t)c->N * c->C_out * OH * OW;
        float *X = new_rand((size_t)c->N * c->C_in * c->H * c->W, -1, 1);
        float *Wt = new_rand((size_t)c->C_out * (c->C_in / c->group) * c->KH * c->KW, -1, 1);
        float *bias = new_rand((size_t)c->C_out, -1, 1);
        double *ref = new_d(ny), *mag = new_d(ny);
        const int kdim = (c->C_in / c->group) * c->KH * c->KW;
        ref_conv(c, OH, OW, X, Wt, c->bias ? bias : NULL, ref, mag);
        /* path 0: dispatcher, 1: im2col forced, 2: depthwise forced (when it applies) */
        for (path = 0; path < 3 && !(path == 2 && c->group != c->C_in); path++) {
            size_t ns = conv_scratch_floats(c, OH, OW, path == 0);
            float *scratch = ns ? new_out(ns) : NULL;
            float *Y = new_out(ny);
            if (path == 0)
                vitc_f32_conv2d_scalar(c->N, c->C_in, c->H, c->W, c->C_out, OH, OW, c->KH, c->KW, c->sh, c->sw,
                                       c->dh, c->dw, c->pt, c->pl, c->group, X, Wt, c->bias ? bias : NULL, Y,
                                       scratch);
            else if (path == 1)
                vitc_f32_conv2d_im2col_scalar(c->N, c->C_in, c->H, c->W, c->C_out, OH, OW, c->KH, c->KW, c->sh,
                                              c->sw, c->dh, c->dw, c->pt, c->pl, c->group, X, Wt,
                                              c->bias ? bias : NULL, Y, scratch);
            else
                vitc_f32_conv2d_depthwise_scalar(c->N, c->C_in, c->H, c->W, c->C_out, OH, OW, c->KH, c->KW, c->sh,
                                                 c->sw, c->dh, c->dw, c->pt, c->pl, X, Wt, c->bias ? bias : NULL, Y, NULL);
            CHECK_CLOSE(Y, ref, mag, ny, (kdim + 4) * FEPS, 1e-30, "conv case %zu path %d", t, path);
            if (scratch) ck_assert_msg(guard_ok(scratch, ns), "conv case %zu path %d: scratch overrun", t, path);
            free(Y);
            free(scratch);
        }
        free(X); free(Wt); free(bias); free(ref); free(mag);
    }
}
END_TEST

/* ---------------------------------------------------------------- pool */

typedef struct {
    int NC, H, W, KH, KW, sh, sw, dh, dw, pt, pl, pb, pr, ceil_mode;
} PoolCase;

static int pool_out(int in, int pa, int pb, int k, int s, int d, int ceil_mode)
{
    const int span = in + pa + pb - d * (k - 1) - 1;
    int o = ceil_mode ? (span + s - 1) / s + 1 : span / s + 1;
    /* ONNX / PyTorch: the last window must start inside the input or the left padding */
    if (ceil_mode && (o - 1) * s >= in + pa) o--;
    return o;
}

static const PoolCase pool_cases[] = {
    /* NC H  W  KH KW sh sw dh dw pt pl pb pr ceil */
    {3, 8, 8, 2, 2, 2, 2, 1, 1, 0, 0, 0, 0, 0},
    {2, 9, 11, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 0},
    {2, 9, 11, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 1},  /* ceil mode */
    {1, 10, 7, 3, 2, 3, 2, 1, 1, 0, 0, 0, 0, 1},  /* ceil mode, window past the end */
    {2, 12, 13, 3, 3, 1, 2, 2, 2, 2, 1, 0, 2, 0}, /* dilation, asymmetric pads */
    {1, 7, 7, 7, 7, 1, 1, 1, 1, 0, 0, 0, 0, 0},   /* whole plane */
    {2, 6, 5, 2, 3, 1, 1, 1, 1, 1, 2, 1, 0, 1},   /* stride 1 ceil */
    {1, 13, 13, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 1}, /* 13 -> 7 with ceil */
};

START_TEST(test_pool2d)
{
    size_t t;
    int kind;
    rng_seed(6);
    for (t = 0; t < sizeof pool_cases / sizeof pool_cases[0]; t++) {
        const PoolCase *p = &pool_cases[t];
        const int OH = pool_out(p->H, p->pt, p->pb, p->KH, p->sh, p->dh, p->ceil_mode);
        const int OW = pool_out(p->W, p->pl, p->pr, p->KW, p->sw, p->dw, p->ceil_mode);
        const size_t ny = (size_t)p->NC * OH * OW;
        float *X = new_rand((size_t)p->NC * p->H * p->W, -4, 4);
        /* kind 0: max, 1: avg exclude pad, 2: avg include pad, 3: avg include pad with MLAS's divisor */
        for (kind = 0; kind < 4; kind++) {
            float *Y = new_out(ny);
            double *ref = new_d(ny);
            int nc, oh, ow, kh, kw;
            for (nc = 0; nc < p->NC; nc++)
                for (oh = 0; oh < OH; oh++)
                    for (ow = 0; ow < OW; ow++) {
                        double m = -FLT_MAX, s = 0;
                        int nvalid = 0, npad = 0;
                        for (kh = 0; kh < p->KH; kh++)
                            for (kw = 0; kw < p->KW; kw++) {
                                const int ih = oh * p->sh - p->pt + kh * p->dh;
                                const int iw = ow * p->sw - p->pl + kw * p->dw;
                                if (ih >= -p->pt && ih < p->H + p->pb && iw >= -p->pl && iw < p->W + p->pr) npad++;
                                if (ih < 0 || ih >= p->H || iw < 0 || iw >= p->W) continue;
                                {
                                    const double v = X[((size_t)nc * p->H + ih) * p->W + iw];
                                    nvalid++;
                                    s += v;
                                    if (v > m) m = v;
                                }
                            }
                        ref[((size_t)nc * OH + oh) * OW + ow] = kind == 0 ? m
                                                             : kind == 1 ? s / nvalid
                                                             : kind == 2 ? s / npad
                                                                         : s / (p->KH * p->KW);
                    }
            if (kind == 0)
                vitc_f32_maxpool2d_scalar(p->NC, p->H, p->W, OH, OW, p->KH, p->KW, p->sh, p->sw, p->dh, p->dw, p->pt,
                                          p->pl, X, Y);
            else
                vitc_f32_avgpool2d_scalar(p->NC, p->H, p->W, OH, OW, p->KH, p->KW, p->sh, p->sw, p->dh, p->dw, p->pt,
                                          p->pl, kind == 3 ? 0x1fffffff : p->pb, kind == 3 ? 0x1fffffff : p->pr,
                                          kind >= 2, X, Y);
            CHECK_CLOSE(Y, ref, NULL, ny, (p->KH * p->KW + 4) * FEPS, 4 * (p->KH * p->KW + 4) * FEPS,
                        "pool case %zu kind %d", t, kind);
            free(Y);
            free(ref);
        }
        free(X);
    }
}
END_TEST

START_TEST(test_global_pool)
{
    static const int sizes[][2] = {{1, 1}, {3, 49}, {192, 196}, {7, 1}};
    size_t t;
    rng_seed(7);
    for (t = 0; t < sizeof sizes / sizeof sizes[0]; t++) {
        const int NC = sizes[t][0], HW = sizes[t][1];
        float *X = new_rand((size_t)NC * HW, -2, 3), *Ya = new_out(NC), *Ym = new_out(NC);
        double *ra = new_d(NC), *rm = new_d(NC), *mag = new_d(NC);
        int c, i;
        for (c = 0; c < NC; c++) {
            double s = 0, a = 0, m = -INFINITY;
            for (i = 0; i < HW; i++) {
                s += X[c * HW + i];
                a += fabs(X[c * HW + i]);
                if (X[c * HW + i] > m) m = X[c * HW + i];
            }
            ra[c] = s / HW;
            mag[c] = a / HW;
            rm[c] = m;
        }
        vitc_f32_global_avgpool_scalar(NC, HW, X, Ya);
        vitc_f32_global_maxpool_scalar(NC, HW, X, Ym);
        CHECK_CLOSE(Ya, ra, mag, NC, (HW + 4) * FEPS, 1e-30, "global avg %zu", t);
        CHECK_CLOSE(Ym, rm, NULL, NC, 0, 0, "global max %zu", t);
        free(X); free(Ya); free(Ym); free(ra); free(rm); free(mag);
    }
}
END_TEST

/* ---------------------------------------------------------------- layernorm / affine */

START_TEST(test_layernorm)
{
    static const int sizes[][2] = {{197, 192}, {1, 1}, {3, 7}, {5, 197}, {2, 768}, {4, 1024}};
    size_t t;
    int with_bias, inplace;
    rng_seed(8);
    for (t = 0; t < sizeof sizes / sizeof sizes[0]; t++)
        for (with_bias = 0; with_bias < 2; with_bias++)
            for (inplace = 0; inplace < 2; inplace++) {
                const int rows = sizes[t][0], cols = sizes[t][1];
                const float eps = 1e-6f;
                float *X = new_rand((size_t)rows * cols, -2, 2), *scale = new_rand(cols, 0.5f, 1.5f);
                float *bias = new_rand(cols, -1, 1), *Y = new_out((size_t)rows * cols);
                double *ref = new_d((size_t)rows * cols), *mag = new_d((size_t)rows * cols);
                int r, j;
                /* give rows a large offset so the mean matters */
                for (r = 0; r < rows; r++)
                    for (j = 0; j < cols; j++) X[r * cols + j] += (float)(r % 5) * 3.0f;
                for (r = 0; r < rows; r++) {
                    double mean = 0, var = 0, rstd;
                    for (j = 0; j < cols; j++) mean += X[r * cols + j];
                    mean /= cols;
                    for (j = 0; j < cols; j++) var += (X[r * cols + j] - mean) * (X[r * cols + j] - mean);
                    var /= cols;
                    rstd = 1.0 / sqrt(var + eps);
                    for (j = 0; j < cols; j++) {
                        const double n = (X[r * cols + j] - mean) * rstd * scale[j];
                        ref[r * cols + j] = n + (with_bias ? bias[j] : 0.0);
                        /* error scales with the normalized term, and with |x|*rstd through the mean */
                        mag[r * cols + j] = fabs(n) + fabs(with_bias ? bias[j] : 0.0) +
                                            (fabs(X[r * cols + j]) + fabs(mean)) * rstd * scale[j] + 1.0;
                    }
                }
                if (inplace) {
                    memcpy(Y, X, (size_t)rows * cols * sizeof(float));
                    vitc_f32_layernorm_scalar(rows, cols, eps, Y, scale, with_bias ? bias : NULL, Y);
                } else {
                    vitc_f32_layernorm_scalar(rows, cols, eps, X, scale, with_bias ? bias : NULL, Y);
                }
                CHECK_CLOSE(Y, ref, mag, (size_t)rows * cols, 16 * FEPS, 1e-30, "layernorm %dx%d bias=%d inplace=%d",
                            rows, cols, with_bias, inplace);
                free(X); free(scale); free(bias); free(Y); free(ref); free(mag);
            }
}
END_TEST

START_TEST(test_channel_affine)
{
    static const int sizes[][3] = {{1, 3, 49}, {2, 5, 7}, {4, 192, 1}, {1, 1, 1}};
    size_t t;
    int with_t;
    rng_seed(9);
    for (t = 0; t < sizeof sizes / sizeof sizes[0]; t++)
        for (with_t = 0; with_t < 2; with_t++) {
            const int N = sizes[t][0], C = sizes[t][1], I = sizes[t][2];
            const size_t n = (size_t)N * C * I;
            float *X = new_rand(n, -3, 3), *s = new_rand(C, -2, 2), *tt = new_rand(C, -1, 1), *Y = new_out(n);
            double *ref = new_d(n), *mag = new_d(n);
            size_t i;
            for (i = 0; i < n; i++) {
                const int c = (int)((i / I) % C);
                ref[i] = (double)X[i] * s[c] + (with_t ? tt[c] : 0.0);
                mag[i] = fabs((double)X[i] * s[c]) + fabs(with_t ? tt[c] : 0.0);
            }
            vitc_f32_channel_affine_scalar(N, C, I, X, s, with_t ? tt : NULL, Y);
            CHECK_CLOSE(Y, ref, mag, n, 2 * FEPS, 1e-30, "channel_affine %zu t=%d", t, with_t);
            vitc_f32_channel_affine_scalar(N, C, I, X, s, with_t ? tt : NULL, X); /* in place */
            CHECK_CLOSE(X, ref, mag, n, 2 * FEPS, 1e-30, "channel_affine in place %zu t=%d", t, with_t);
            free(X); free(s); free(tt); free(Y); free(ref); free(mag);
        }
}
END_TEST

/* ---------------------------------------------------------------- softmax */

START_TEST(test_softmax)
{
    static const int shapes[][3] = {
        /* outer, axis, inner */
        {197, 197, 1}, {3, 5, 7}, {2, 1, 3}, {1, 100, 65}, {4, 10, 64}, {1, 1, 1}, {6, 1000, 1}, {2, 3, 130},
    };
    size_t t;
    int logm, inplace, big;
    rng_seed(10);
    for (t = 0; t < sizeof shapes / sizeof shapes[0]; t++)
        for (logm = 0; logm < 2; logm++)
            for (inplace = 0; inplace < 2; inplace++)
                for (big = 0; big < 2; big++) {
                    const int O = shapes[t][0], A = shapes[t][1], I = shapes[t][2];
                    const size_t n = (size_t)O * A * I;
                    /* big: values up to +-80 would overflow expf without the max subtraction */
                    float *X = new_rand(n, big ? -80.0f : -4.0f, big ? 80.0f : 4.0f), *Y = new_out(n);
                    double *ref = new_d(n), *mag = new_d(n);
                    int o, a, j;
                    for (o = 0; o < O; o++)
                        for (j = 0; j < I; j++) {
                            double m = -INFINITY, s = 0;
                            for (a = 0; a < A; a++) m = fmax(m, X[((size_t)o * A + a) * I + j]);
                            for (a = 0; a < A; a++) s += exp(X[((size_t)o * A + a) * I + j] - m);
                            for (a = 0; a < A; a++) {
                                const size_t k = ((size_t)o * A + a) * I + j;
                                const double d = X[k] - m;
                                ref[k] = logm ? d - log(s) : exp(d) / s;
                                /* expf is within a few ulp; its relative error carries to each term */
                                mag[k] = logm ? fabs(d) + fabs(log(s)) + 1.0 : fabs(ref[k]) + 1e-6 / A;
                            }
                        }
                    if (inplace) {
                        memcpy(Y, X, n * sizeof(float));
                        if (logm) vitc_f32_log_softmax_scalar(O, A, I, Y, Y);
                        else vitc_f32_softmax_scalar(O, A, I, Y, Y);
                    } else {
                        if (logm) vitc_f32_log_softmax_scalar(O, A, I, X, Y);
                        else vitc_f32_softmax_scalar(O, A, I, X, Y);
                    }
                    CHECK_CLOSE(Y, ref, mag, n, 16 * FEPS + (logm ? 0 : A * FEPS), 1e-30,
                                "%s (%d,%d,%d) inplace=%d big=%d", logm ? "log_softmax" : "softmax", O, A, I, inplace,
                                big);
                    free(X); free(Y); free(ref); free(mag);
                }
}
END_TEST

/* ---------------------------------------------------------------- reduce */

static void run_reduce(int op, int rank, const int *dims, const int *mask)
{
    size_t nx = 1, ny = 1, i;
    int d;
    float *X, *Y;
    double *ref, *mag, *cnt;
    char ctx[128];
    int len = 0;
    for (d = 0; d < rank; d++) {
        nx *= (size_t)dims[d];
        if (!mask[d]) ny *= (size_t)dims[d];
    }
    X = op == 8 ? new_rand(nx, 0.05f, 2) : new_rand(nx, -2, 2); /* LogSum: a positive sum */
    Y = new_out(ny);
    ref = new_d(ny);
    mag = new_d(ny);
    cnt = new_d(ny);
    for (i = 0; i < ny; i++) ref[i] = op == 2 ? -INFINITY : op == 3 ? INFINITY : op == 4 ? 1.0 : 0.0;
    for (i = 0; i < nx; i++) {
        size_t r = i, yi = 0, ys = 1;
        for (d = rank - 1; d >= 0; d--) {
            const size_t c = r % (size_t)dims[d];
            r /= (size_t)dims[d];
            if (!mask[d]) {
                yi += c * ys;
                ys *= (size_t)dims[d];
            }
        }
        const double x = X[i], v = op == 5 || op == 7 ? x * x : op == 6 ? fabs(x) : op == 9 ? exp(x) : x;
        if (op == 2) ref[yi] = fmax(ref[yi], x);
        else if (op == 3) ref[yi] = fmin(ref[yi], x);
        else if (op == 4) ref[yi] *= x;
        else ref[yi] += v;
        mag[yi] += fabs(v);
        cnt[yi] += 1;
    }
    for (i = 0; i < ny; i++) {
        if (op == 1) {
            ref[i] /= cnt[i];
            mag[i] /= cnt[i];
        }
        if (op == 7) ref[i] = sqrt(ref[i]), mag[i] = sqrt(mag[i]);
        if (op == 8 || op == 9) mag[i] = fabs(mag[i] / ref[i]) + 1, ref[i] = log(ref[i]); /* d log s = ds / s */
        if (op == 2 || op == 3) mag[i] = 0;
        if (op == 4) mag[i] = fabs(ref[i]);
    }
    {
        float *work = new_out(ny); /* LogSumExp's maxima */
        vitc_f32_reduce_scalar(op, rank, dims, mask, X, Y, work);
        free(work);
    }
    for (d = 0; d < rank && len < 100; d++) len += snprintf(ctx + len, sizeof ctx - len, "%d%s ", dims[d], mask[d] ? "r" : "");
    if (rank == 0) snprintf(ctx, sizeof ctx, "scalar");
    /* a product may underflow in float: an absolute slack far below any value that matters */
    CHECK_CLOSE(Y, ref, mag, ny, (nx / (ny ? ny : 1) + 4) * FEPS, op == 4 ? 1e-30 : 0, "reduce op %d dims %s", op, ctx);
    free(X); free(Y); free(ref); free(mag); free(cnt);
}

START_TEST(test_reduce)
{
    static const int d4[] = {2, 3, 4, 5}, d4b[] = {3, 1, 7, 2}, vit[] = {1, 197, 768}, d6[] = {2, 1, 3, 2, 2, 3};
    static const int nchw[] = {2, 192, 7, 7};
    int op, m, d, mask[8];
    rng_seed(11);
    for (op = 0; op < 10; op++) { /* VITC__REDUCE_SUM .. VITC__REDUCE_LOG_SUM_EXP */
        for (m = 0; m < 16; m++) {
            for (d = 0; d < 4; d++) mask[d] = (m >> d) & 1;
            run_reduce(op, 4, d4, mask);
            run_reduce(op, 4, d4b, mask);
        }
        for (m = 0; m < 64; m++) {
            for (d = 0; d < 6; d++) mask[d] = (m >> d) & 1;
            run_reduce(op, 6, d6, mask);
        }
        for (m = 0; m < 8; m++) {
            for (d = 0; d < 3; d++) mask[d] = (m >> d) & 1;
            run_reduce(op, 3, vit, mask);
        }
        mask[0] = 0; mask[1] = 0; mask[2] = 1; mask[3] = 1; /* GlobalAveragePool as ReduceMean */
        run_reduce(op, 4, nchw, mask);
        run_reduce(op, 0, NULL, mask);                     /* rank 0 */
    }
}
END_TEST

START_TEST(test_reduce_empty)
{
    const int dims[] = {3, 0, 2}, mask[] = {0, 1, 0};
    float Y[6 + GUARD], X[1] = {0.0f}; /* X has no elements; the kernel must not read it */
    int i;
    for (i = 0; i < 6 + GUARD; i++) Y[i] = GUARD_VAL;
    vitc_f32_reduce_scalar(VITC__REDUCE_SUM, 3, dims, mask, X, Y, NULL);
    for (i = 0; i < 6; i++) ck_assert(Y[i] == 0.0f);
    vitc_f32_reduce_scalar(VITC__REDUCE_MAX, 3, dims, mask, X, Y, NULL);
    for (i = 0; i < 6; i++) ck_assert(isinf(Y[i]) && Y[i] < 0);
    vitc_f32_reduce_scalar(VITC__REDUCE_MEAN, 3, dims, mask, X, Y, NULL);
    for (i = 0; i < 6; i++) ck_assert(isnan(Y[i]));
    vitc_f32_reduce_scalar(VITC__REDUCE_PROD, 3, dims, mask, X, Y, NULL);
    for (i = 0; i < 6; i++) ck_assert(Y[i] == 1.0f);
    vitc_f32_reduce_scalar(VITC__REDUCE_LOG_SUM, 3, dims, mask, X, Y, NULL);
    for (i = 0; i < 6; i++) ck_assert(isinf(Y[i]) && Y[i] < 0);
    {
        float work[6];
        vitc_f32_reduce_scalar(VITC__REDUCE_LOG_SUM_EXP, 3, dims, mask, X, Y, work);
        for (i = 0; i < 6; i++) ck_assert(isinf(Y[i]) && Y[i] < 0);
    }
    ck_assert(guard_ok(Y, 6));
}
END_TEST

/* ReduceLogSumExp is shifted by the maximum: inputs far above expf's range (88)
 * give m + log(sum exp(x - m)), not inf, over rows and over an outer axis; an
 * all -inf set gives -inf and a +inf element +inf */
START_TEST(test_reduce_logsumexp_large)
{
    const int dims[] = {3, 4}, last[] = {0, 1}, first[] = {1, 0};
    float X[12], Y[4], work[4];
    int i, j;
    for (i = 0; i < 12; i++) X[i] = 500.0f + (float)i;
    vitc_f32_reduce_scalar(VITC__REDUCE_LOG_SUM_EXP, 2, dims, last, X, Y, work);
    for (i = 0; i < 3; i++) {
        double m = 500.0 + 4 * i + 3, s = 0;
        for (j = 0; j < 4; j++) s += exp(500.0 + 4 * i + j - m);
        ck_assert_msg(fabs(Y[i] - (m + log(s))) < 1e-4, "row %d: %.9g, want %.9g", i, (double)Y[i], m + log(s));
    }
    vitc_f32_reduce_scalar(VITC__REDUCE_LOG_SUM_EXP, 2, dims, first, X, Y, work);
    for (j = 0; j < 4; j++) {
        double m = 500.0 + 8 + j, s = 0;
        for (i = 0; i < 3; i++) s += exp(500.0 + 4 * i + j - m);
        ck_assert_msg(fabs(Y[j] - (m + log(s))) < 1e-4, "column %d: %.9g, want %.9g", j, (double)Y[j], m + log(s));
    }
    for (i = 0; i < 12; i++) X[i] = -INFINITY;
    X[5] = INFINITY;
    vitc_f32_reduce_scalar(VITC__REDUCE_LOG_SUM_EXP, 2, dims, last, X, Y, work);
    ck_assert(isinf(Y[0]) && Y[0] < 0);
    ck_assert(isinf(Y[1]) && Y[1] > 0);
}
END_TEST

/* ---------------------------------------------------------------- topk */

static const float *topk_lane;
static ptrdiff_t topk_stride;
static int topk_largest;

/* reference order: value (desc if largest), then index ascending; NaN after every
 * number (templates/select/f32-topk-scalar.c) */
static int ref_before(int a, int b)
{
    const float va = topk_lane[a * topk_stride], vb = topk_lane[b * topk_stride];
    if (isnan(va) || isnan(vb)) return isnan(va) && isnan(vb) ? a < b : isnan(vb);
    if (va != vb) return topk_largest ? va > vb : va < vb;
    return a < b;
}

/* K = 1: ONNX Runtime's scan, the first strictly better value from element 0 */
static int ref_first_best(int A)
{
    int best = 0, i;
    for (i = 1; i < A; i++) {
        const float v = topk_lane[i * topk_stride], bv = topk_lane[best * topk_stride];
        if (topk_largest ? v > bv : v < bv) best = i;
    }
    return best;
}

/* Lane contents: 0 uniform, 1 ties (a small set with signed zeros, which compare
 * equal), 2 values that share their high bytes (the radix select's deeper passes),
 * 3 NaNs and infinities among ties */
static float topk_value(int kind)
{
    switch (kind) {
    case 1: return (float)(rng_int(5) - 2) * 0.5f + (rng_int(2) ? 0.0f : -0.0f);
    case 2: return 1.0f + (float)rng_int(300) * 1e-7f;
    case 3: {
        const int r = rng_int(8);
        return r == 0 ? NAN : r == 1 ? INFINITY : r == 2 ? -INFINITY : (float)(rng_int(3) - 1);
    }
    default: return rng_f(-1, 1);
    }
}

START_TEST(test_topk)
{
    static const int shapes[][3] = {{1, 10, 1}, {3, 37, 1}, {2, 16, 3}, {1, 1, 1}, {4, 200, 1}, {1, 9, 5}, {1, 784, 1}};
    size_t t;
    int largest, sorted, ki, kind;
    rng_seed(12);
    for (t = 0; t < sizeof shapes / sizeof shapes[0]; t++)
        for (kind = 0; kind < 4; kind++)
            for (largest = 0; largest < 2; largest++)
                for (sorted = 0; sorted < 2; sorted++)
                    for (ki = 0; ki < 6; ki++) {
                        const int O = shapes[t][0], A = shapes[t][1], I = shapes[t][2];
                        const int Ks[6] = {1, 2, 5, A / 2, A - 1, A};
                        const int K = Ks[ki] < 1 ? 1 : Ks[ki] > A ? A : Ks[ki];
                        const size_t nx = (size_t)O * A * I, ny = (size_t)O * K * I;
                        const size_t ns = VITC_F32_TOPK_SCRATCH_BYTES(K, A);
                        float *X = new_rand(nx, -1, 1), *V = new_out(ny);
                        int64_t *IX = malloc((ny + 1) * sizeof(int64_t));
                        uint64_t *scratch = malloc((ns + GUARD * 8 + 8) / 8 * 8);
                        unsigned char *sb = (unsigned char *)scratch;
                        int *order = malloc((size_t)A * sizeof(int));
                        size_t i;
                        int o, j, a, b, k;
                        ck_assert_ptr_nonnull(IX);
                        ck_assert_ptr_nonnull(scratch);
                        ck_assert_ptr_nonnull(order);
                        for (i = 0; i < nx; i++) X[i] = topk_value(kind);
                        for (i = 0; i < ns + GUARD * 8; i++) sb[i] = 0x5a;
                        IX[ny] = -12345;
                        vitc_f32_topk_scalar(O, A, I, K, largest, sorted, X, V, IX, K > 1 ? scratch : NULL);
                        for (o = 0; o < O; o++)
                            for (j = 0; j < I; j++) {
                                topk_lane = X + (size_t)o * A * I + j;
                                topk_stride = I;
                                topk_largest = largest;
                                /* stable insertion sort of all positions by the reference order */
                                for (a = 0; a < A; a++) {
                                    int p = a;
                                    for (b = a; b > 0 && ref_before(p, order[b - 1]); b--) order[b] = order[b - 1];
                                    order[b] = p;
                                }
                                if (K == 1) order[0] = ref_first_best(A);
                                if (!sorted) {
                                    /* expected: the same set, in increasing index order */
                                    for (a = 1; a < K; a++) {
                                        int p = order[a];
                                        for (b = a; b > 0 && order[b - 1] > p; b--) order[b] = order[b - 1];
                                        order[b] = p;
                                    }
                                }
                                for (k = 0; k < K; k++) {
                                    const size_t yi = ((size_t)o * K + k) * I + j;
                                    const float want = topk_lane[order[k] * I];
                                    ck_assert_msg(IX[yi] == order[k],
                                                  "topk (%d,%d,%d) K=%d largest=%d sorted=%d kind=%d lane (%d,%d) "
                                                  "pos %d: index %lld, want %d",
                                                  O, A, I, K, largest, sorted, kind, o, j, k, (long long)IX[yi],
                                                  order[k]);
                                    ck_assert(memcmp(&V[yi], &want, sizeof want) == 0); /* the element itself: -0, NaN */
                                }
                            }
                        ck_assert(guard_ok(V, ny));
                        ck_assert(IX[ny] == -12345);
                        for (i = ns; i < ns + GUARD * 8; i++) ck_assert(sb[i] == 0x5a);
                        free(X); free(V); free(IX); free(scratch); free(order);
                    }
}
END_TEST

/* ---------------------------------------------------------------- runner */

int main(void)
{
    Suite *s = suite_create("kern_dense");
    TCase *tc;

    tc = tcase_create("gemm");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_gemm_sizes);
    tcase_add_test(tc, test_gemm_strided_acc);
    tcase_add_test(tc, test_matmul_broadcast);
    tcase_add_test(tc, test_gemm_general);
    suite_add_tcase(s, tc);

    tc = tcase_create("conv");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_conv2d);
    suite_add_tcase(s, tc);

    tc = tcase_create("pool");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_pool2d);
    tcase_add_test(tc, test_global_pool);
    suite_add_tcase(s, tc);

    tc = tcase_create("norm");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_layernorm);
    tcase_add_test(tc, test_channel_affine);
    tcase_add_test(tc, test_softmax);
    suite_add_tcase(s, tc);

    tc = tcase_create("reduce");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_reduce);
    tcase_add_test(tc, test_reduce_empty);
    tcase_add_test(tc, test_reduce_logsumexp_large);
    suite_add_tcase(s, tc);

    tc = tcase_create("select");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_topk);
    suite_add_tcase(s, tc);

    return tu_run_suite(s);
}
