/* tests/check_qgemm.c: the int8 GEMM kernels (templates/gemm/qs8-gemm-*.c) against
 * the scalar reference (qs8-gemm-scalar.c), which check_quant ties to ONNX's
 * integer arithmetic.
 *
 * Every kernel this machine runs is compared on shapes around its tile (M, N, K of
 * 1, tails, exact multiples, DeiT's 197 x 192 x 576) and on data chosen to break an
 * inexact kernel: all activations 255 (uint8) or -128 (int8) against all weights
 * -128 or 127, where a kernel that adds two products in 16 bits with saturation
 * (vpmaddubsw) would be off by thousands; and random data. With scale 1 and no bias
 * the output is the integer sum itself (exact in float below 2^24), so the
 * comparison is exact; then random scales, biases and a GELU + residual epilogue (the
 * microkernels' store) and a SiLU + sigmoid gate + scaled residual one (the pass after
 * each row panel), within 1e-5 relative (the SIMD epilogue uses the shims' fast math). Float32
 * activations are quantized by each kernel's packer: the sums must still agree
 * exactly (the quantize is QuantizeLinear's, bit for bit). The kernels write rows
 * N + 5 floats apart into a buffer of sentinels: a store past column N (a column
 * tail's mask off by one) or past the last row fails the case.
 *
 * x86 kernels are compiled under target pragmas and run where __builtin_cpu_supports
 * says the CPU has them (--isa avx2 | avx512 | avx512_vnni: one ctest test each,
 * exit 77 with the reason where the CPU lacks the ISA). NEON: this file is cross-
 * compiled standalone (-DVITC_QGEMM_STANDALONE) for AArch64 twice, plain (the smlal
 * kernel) and with -march=armv8.2-a+dotprod (the sdot kernel), and run under
 * qemu-aarch64 -cpu max; a missing tool is a failure. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef VITC_QGEMM_STANDALONE
#include <check.h>

#include "check_runner.h"
#include "testutil.h"
#endif

#include "gemm/qs8-gemm-scalar.c"

typedef void (*QGemmFn)(int M, int N, int K, const void *A, int a_type, ptrdiff_t lda, float sa, int za, int q_type,
                        const void *Wp, const int32_t *zc, const float *scale, const float *bias, float *Y,
                        ptrdiff_t ldc, const vitc_f32_gemm_epilogue *ep, void *scratch);

typedef struct Kernel {
    const char *name;
    const vitc_qs8_layout *layout;
    QGemmFn fn;
} Kernel;

#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
#define QG_X86 1
#define VITC_SIMD_ASSUME_TARGET
#include "x86_target.h"
X86_TARGET_PUSH(X86_AVX2_FEATURES)
#include "simd/avx2.h"
#include "gemm/qs8-gemm-4x16-avx2.c"
#include "simd/unbind.h"
X86_TARGET_POP
X86_TARGET_PUSH(X86_AVX512_VNNI_FEATURES)
#include "simd/avx512.h"
#include "gemm/qs8-gemm-8x48-vnni-avx512.c"
#include "simd/unbind.h"
X86_TARGET_POP
#else
#define QG_X86 0
#endif

/* one NEON kernel per build (a bundle holds one): smlal plain, sdot with +dotprod */
#if defined(__aarch64__)
#include "simd/neon.h"
#if defined(__ARM_FEATURE_DOTPROD)
#include "gemm/qs8-gemm-8x12-sdot-neon.c"
#else
#include "gemm/qs8-gemm-8x8-smlal-neon.c"
#endif
#endif

static unsigned rng = 12345;
static unsigned next(void) { return rng = rng * 1103515245u + 12345u, rng >> 8; }

enum { FILL_RANDOM, FILL_MAX };

/* One comparison of kernel k against the reference; returns the failures. */
static int check_case(const Kernel *k, int M, int N, int K, int a_type, int q_type, int fill, int epilogue) {
    size_t an = (size_t)M * K;
    /* the kernel's rows are ldy apart: the gaps and 16 floats past the end hold a sentinel
     * that must survive (a tile's column tail stores nothing past column N) */
    const int ldy = N + 5;
    const size_t yn = (size_t)M * (size_t)ldy + 16;
    float *Af = malloc(an * sizeof(float) + 1), *Y = malloc(yn * sizeof(float)),
          *R = malloc((size_t)M * N * sizeof(float) + 1), *res = malloc((size_t)M * N * sizeof(float) + 1);
    uint8_t *Aq = malloc(an + 1);
    int8_t *W = malloc((size_t)K * N + 1);
    float *scale = malloc((size_t)N * sizeof(float) + 4), *bias = malloc((size_t)N * sizeof(float) + 4);
    int32_t *zc_ref = malloc((size_t)N * 4 + 4), *zc = malloc((size_t)N * 4 + 4);
    int za = q_type == 3 ? (fill == FILL_MAX ? 0 : -3) : (fill == FILL_MAX ? 0 : 128);
    float sa = 0.05f;
    size_t i;
    int j, fails = 0;
    for (i = 0; i < an; i++) {
        if (fill == FILL_MAX) Aq[i] = q_type == 3 ? 0x80 : 255; /* -128 or 255 */
        else Aq[i] = (uint8_t)next();
        Af[i] = fill == FILL_MAX ? (q_type == 3 ? -100.0f : 100.0f) : ((float)(next() % 20001) - 10000.0f) * 1e-3f;
        if (fill != FILL_MAX && i % 7 == 3) Af[i] = (float)(int)(next() % 100 - 50) * 0.025f; /* ties: x / sa = k + 0.5 */
    }
    for (i = 0; i < (size_t)K * N; i++) W[i] = fill == FILL_MAX ? (int8_t)(i % 3 ? -128 : 127) : (int8_t)next();
    for (j = 0; j < N; j++) {
        scale[j] = epilogue ? 0.001f * (float)(1 + next() % 100) : 1.0f;
        bias[j] = epilogue ? ((float)(next() % 200) - 100.0f) * 0.01f : 0.0f;
    }
    for (i = 0; i < (size_t)M * N; i++) res[i] = ((float)(next() % 200) - 100.0f) * 0.01f;
    vitc_qs8_zero_correction(&vitc_qs8_layout_scalar, K, N, W, N, 1, za, q_type, zc_ref);
    vitc_qs8_zero_correction(k->layout, K, N, W, N, 1, za, q_type, zc);
    vitc_f32_gemm_epilogue ep = {0};
    ep.act = VITC_GEMM_ACT_GELU;
    ep.res = res;
    ep.ldr = N;
    ep.res_scale = 1.0f;
    if (epilogue == 2) { /* a gate: not the microkernels' store, the pass after each row panel */
        ep.act = VITC_GEMM_ACT_SILU;
        ep.gate_mode = VITC_GEMM_GATE_MUL_SIGMOID;
        ep.gate = res;
        ep.ldg = N;
        ep.res_scale = 0.5f;
    }
    const void *A = a_type == 1 ? (const void *)Af : (const void *)Aq;
    size_t wbytes = vitc_qs8_packed_w_bytes(k->layout, K, N);
    void *Wp = malloc(wbytes + 64);
    vitc_qs8_pack_w(k->layout, K, N, W, N, 1, Wp);
    size_t sbytes = (size_t)(K + N) * 4 + (size_t)16 * (size_t)(K + 4) * 2 + 64;
    void *scratch = malloc(sbytes);
    for (i = 0; i < yn; i++) Y[i] = -7777.0f;
    vitc_qs8_gemm_scalar(M, N, K, A, a_type, K, sa, za, q_type, W, zc_ref, scale, epilogue ? bias : NULL, R, N,
                         epilogue ? &ep : NULL, scratch);
    k->fn(M, N, K, A, a_type, K, sa, za, q_type, Wp, zc, scale, epilogue ? bias : NULL, Y, ldy,
          epilogue ? &ep : NULL, scratch);
    for (i = 0; i < yn && fails < 3; i++)
        if ((i >= (size_t)M * (size_t)ldy || (int)(i % (size_t)ldy) >= N) && Y[i] != -7777.0f) {
            printf("[%s] M=%d N=%d K=%d: a store outside the output at row %d, column %d\n", k->name, M, N, K,
                   (int)(i / (size_t)ldy), (int)(i % (size_t)ldy));
            fails++;
        }
    for (i = 0; i < (size_t)M * N && fails < 3; i++) {
        const double y = Y[i / (size_t)N * (size_t)ldy + i % (size_t)N];
        double d = fabs(y - R[i]), tol = epilogue ? 1e-5 * (1.0 + fabs(R[i])) : 0.0;
        if (!(d <= tol)) {
            printf("[%s] M=%d N=%d K=%d A %s%s %s%s: element (%d,%d) got %.9g want %.9g\n", k->name, M, N, K,
                   a_type == 1 ? "float32 -> " : "", q_type == 3 ? "int8" : "uint8",
                   fill == FILL_MAX ? "extreme" : "random", epilogue == 2 ? " + gated epilogue" : epilogue ? " + epilogue" : "", (int)(i / N), (int)(i % N),
                   y, R[i]);
            fails++;
        }
    }
    free(Af), free(Y), free(R), free(res), free(Aq), free(W), free(scale), free(bias), free(zc_ref), free(zc);
    free(Wp), free(scratch);
    return fails;
}

static int check_kernel(const Kernel *k) {
    static const int shapes[][3] = {{1, 1, 1}, {1, 7, 3}, {5, 16, 4}, {8, 48, 17}, {13, 50, 64}, {9, 100, 33},
                                    {6, 12, 2}, {17, 97, 192}, {197, 192, 64}, {12, 48, 768}};
    int fails = 0, cases = 0;
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++)
        for (int a_type = 1; a_type <= 3; a_type++)
            for (int q_type = 2; q_type <= 3; q_type++) {
                if (a_type != 1 && a_type != q_type) continue;
                for (int fill = FILL_RANDOM; fill <= FILL_MAX; fill++)
                    for (int epi = 0; epi <= 2; epi++, cases++)
                        fails += check_case(k, shapes[s][0], shapes[s][1], shapes[s][2], a_type, q_type, fill, epi);
            }
    /* DeiT's qkv: 197 x 576 x 192, extreme uint8 (255 x -128 ... 127) */
    fails += check_case(k, 197, 576, 192, 2, 2, FILL_MAX, 0);
    cases++;
    printf("[%s] %d cases: %s\n", k->name, cases, fails ? "FAILED" : "exact (epilogue within 1e-5)");
    fflush(stdout);
    return fails;
}

#if QG_X86
#include "x86_isa_here.h"
static const Kernel k_avx2 = {"avx2 4x16 vpmaddwd", &vitc_qs8_layout_avx2, vitc_qs8_gemm_4x16_avx2};
static const Kernel k_vnni = {"avx512_vnni 8x48 vpdpbusd", &vitc_qs8_layout_vnni, vitc_qs8_gemm_8x48_vnni_avx512};
static const char *vnni_missing(void) {
    const char *m = x86_missing(1);
    if (m) return m;
    return __builtin_cpu_supports("avx512vnni") ? NULL : "this CPU lacks AVX512-VNNI";
}
#endif
#if defined(__aarch64__) && defined(__ARM_FEATURE_DOTPROD)
static const Kernel k_neon = {"neon_dotprod 8x12 sdot", &vitc_qs8_layout_sdot, vitc_qs8_gemm_8x12_sdot_neon};
#elif defined(__aarch64__)
static const Kernel k_neon = {"neon 8x8 smlal", &vitc_qs8_layout_smlal, vitc_qs8_gemm_8x8_smlal_neon};
#endif

#ifdef VITC_QGEMM_STANDALONE
int main(void) {
    int fails = 0;
#if defined(__aarch64__)
    fails += check_kernel(&k_neon);
#endif
#if QG_X86
    if (!x86_missing(0)) fails += check_kernel(&k_avx2);
    if (!vnni_missing()) fails += check_kernel(&k_vnni);
#endif
    printf("check_qgemm: %s\n", fails ? "FAILED" : "all passed");
    return fails ? 1 : 0;
}
#else

/* Cross-compile this file for AArch64 (flags: extra -march) and run it under qemu. */
static char *run_neon(const char *march) {
    char dir[] = "/tmp/vitc_qgemm_XXXXXX";
    if (!mkdtemp(dir)) return tu_printf("cannot create a folder in /tmp");
    char *prog = tu_printf("%s/prog", dir), *src = tu_printf("%s/tests/check_qgemm.c", VITC_SOURCE_DIR);
    char *inc_t = tu_printf("-I%s/templates", VITC_SOURCE_DIR), *inc_tests = tu_printf("-I%s/tests", VITC_SOURCE_DIR);
    char *cc[] = {"aarch64-linux-gnu-gcc", (char *)march, "-std=c99", "-O2", "-Wall", "-Wextra", "-pedantic", "-Werror",
                  "-DVITC_QGEMM_STANDALONE", inc_t, inc_tests, src, "-lm", "-o", prog, NULL};
    RunResult r;
    char *fail = NULL;
    if (tu_run(cc, 600, &r) != 0) fail = tu_printf("cannot start aarch64-linux-gnu-gcc");
    else if (!r.exited || r.status != 0) fail = tu_printf("%s: %s\n%s", tu_argv_str(cc), tu_run_describe(&r), r.err ? r.err : "");
    if (!fail) {
        tu_run_free(&r);
        char *run[] = {"qemu-aarch64", "-cpu", "max", "-L", "/usr/aarch64-linux-gnu", prog, NULL};
        if (tu_run(run, 900, &r) != 0) fail = tu_printf("cannot start qemu-aarch64");
        else {
            printf("[neon %s] under qemu-aarch64 -cpu max:\n%s", march, r.out ? r.out : "");
            if (!r.exited || r.status != 0) fail = tu_printf("%s: %s", tu_argv_str(run), tu_run_describe(&r));
        }
    }
    tu_run_free(&r);
    tu_rm_rf(dir);
    free(prog), free(src), free(inc_t), free(inc_tests);
    return fail;
}

START_TEST(test_scalar_self) {
    /* the reference against itself through the portable packer of each layout would be
     * circular: instead, the extreme case against the closed form: 255 * -128 * K per column */
    enum { M = 3, N = 5, K = 300 };
    static uint8_t A[M * K];
    static int8_t W[K * N];
    float Y[M * N], scale[N], bias[N] = {0};
    int32_t zc[N] = {0}, scratch[K + N];
    memset(A, 255, sizeof A);
    memset(W, 0x80, sizeof W);
    for (int j = 0; j < N; j++) scale[j] = 1.0f;
    vitc_qs8_gemm_scalar(M, N, K, A, 2, K, 1.0f, 0, 2, W, zc, scale, bias, Y, N, NULL, scratch);
    for (int i = 0; i < M * N; i++) ck_assert_float_eq(Y[i], 255.0f * -128.0f * K);
}
END_TEST

START_TEST(test_neon_smlal) {
    char *fail = run_neon("-march=armv8-a");
    ck_assert_msg(!fail, "%s", fail);
}
END_TEST

START_TEST(test_neon_sdot) {
    char *fail = run_neon("-march=armv8.2-a+dotprod");
    ck_assert_msg(!fail, "%s", fail);
}
END_TEST

#if QG_X86
START_TEST(test_avx2) { ck_assert_int_eq(check_kernel(&k_avx2), 0); }
END_TEST
START_TEST(test_vnni) { ck_assert_int_eq(check_kernel(&k_vnni), 0); }
END_TEST
#endif

int main(int argc, char **argv) {
    const char *isa = argc == 3 && strcmp(argv[1], "--isa") == 0 ? argv[2] : NULL;
#if QG_X86
    if (isa) {
        const char *why = strcmp(isa, "avx2") == 0 ? x86_missing(0) : strcmp(isa, "avx512_vnni") == 0 ? vnni_missing() : "unknown --isa";
        if (why) {
            printf("check_qgemm [%s]: SKIPPED: %s\n", isa, why);
            return strcmp(why, "unknown --isa") == 0 ? 2 : 77;
        }
    }
#endif
    const TuIsaTest tests[] = {
        {NULL, test_scalar_self}, {NULL, test_neon_smlal}, {NULL, test_neon_sdot},
#if QG_X86
        {"avx2", test_avx2},      {"avx512_vnni", test_vnni},
#endif
    };
    return tu_run_suite(tu_isa_suite("qgemm", isa, 900, tests, sizeof tests / sizeof tests[0]));
}
#endif
