/* templates/gemm/qs8-gemm-4x16-avx2.c: the int8 GEMM microkernel for AVX2 (the
 * avx2 target, and avx512 on CPUs without VNNI), a 4 x 16 tile of int32 sums.
 *
 * Exact by construction: activations (uint8 zero-extended or int8 sign-extended)
 * and int8 weights are widened to 16 bits when packed, and vpmaddwd multiplies
 * pairs of 16-bit values into 32-bit products and adds each pair in 32 bits
 * (|q w| <= 255 * 128, so a pair sum is below 2^17). The shortcut of multiplying
 * unsigned by signed bytes with vpmaddubsw is not taken: it adds two products in
 * 16 bits with saturation (255 * 127 * 2 = 64,770 > 32,767), which changes the
 * result. Twice the fp32 rate per instruction (16 multiply-adds per ymm against 8).
 *
 * Per k-group of 2 the kernel loads 2 ymm of packed W (16 columns x 2 int16),
 * broadcasts each row's pair of the activation panel (32 bits) and issues 8
 * vpmaddwd + 8 vpaddd: 8 accumulators + 2 W + 1 broadcast + products, within the 16
 * ymm registers (a 6-row tile, 12 accumulators, needs 16 before the products and
 * spilled: slower than the fp32 kernel when built with -mavx2 alone). With no
 * fused multiply-add for integers the 16 vector ALU ops per 128 multiply-adds are
 * the bound: about 5 cycles on Zen 4 (an assembly loop of exactly these
 * instructions, W in L1), 25 multiply-adds per cycle against the FMA's 16.
 *
 * Three things keep gcc 12's loop at that bound (clang 14 was close already); each
 * was measured alone on Zen 4 with a 4-row panel against 16-column W panels, K 192
 * and 768 (cycles per k-group, gcc -O3 -march=znver3 / gcc -O2 -mavx2 -mfma):
 *  - accumulators of a GNU vector type of 8 int32 (vitc__q256_acc) added with +=:
 *    as __m256i (4 x int64) each _mm256_add_epi32 goes through a cast to 8 x int32,
 *    and gcc's register allocator then kept two registers per accumulator and a
 *    vmovdqa per add (8 per k-group), which left no register for W;
 *  - W read by _mm256_lddqu_si256 (vlddqu, a plain unaligned load on every x86 with
 *    AVX): with _mm256_loadu_si256 gcc tuned for Zen reloads W from memory into
 *    each of its 4 vpmaddwd (12 loads per k-group instead of 6; 6.4 against 5.0
 *    cycles in assembly), and vlddqu does not fold into another instruction;
 *  - the store from registers (vitc__qs8_store16): the tile's zero corrections,
 *    scales and biases loaded straight from their arrays for a whole tile (the
 *    copies into stack arrays cost failed store-to-load forwarding), plain
 *    stores instead of vmaskmovps where all 16 columns are valid.
 * Together (bench/qgemm_bench.c, cycles per k-group at K 192 / 768): gcc -O3
 * -march=znver3 9.9 / 6.9 before, 5.2 / 5.1 after; gcc -O2 -mavx2 -mfma 7.2 / 5.6 ->
 * 5.3 / 5.2; clang 14 -O3 -march=znver3 7.3 / 5.8 -> 5.5 / 5.2. And the kernel is kept
 * out of the driver and unrolled by neither compiler (below).
 * The store: (acc - zc) in int32 (exact), then scale * x + bias as one FMA, then the
 * activation and residual.
 * Activation panels: float32 quantized 8 at a time per row as QuantizeLinear does
 * (templates/quant/x-quant-scalar.c's arithmetic), the 4 rows narrowed to int16 and
 * transposed into k-groups in registers (before, one 32-bit store per pair: the
 * packer and driver took 6% of the QDQ DeiT-Tiny's time, now 3%, most of it the
 * division QuantizeLinear defines).
 * Build with -mavx2 -mfma. */
#ifndef VITC_QS8_GEMM_4X16_AVX2_C
#define VITC_QS8_GEMM_4X16_AVX2_C

#include "../prelude.h"
#include "../simd/shim.h"
#include "qs8-gemm-driver.c"
#include "qs8-epilogue-simd.c"

/* The accumulators' type (see above); a compiler without GNU vectors adds __m256i. */
#if defined(__GNUC__) || defined(__clang__)
typedef int32_t vitc__q256_acc __attribute__((vector_size(32)));
#define VITC__Q256_ACC_ZERO {0}
#define VITC__Q256_ADD(acc, v) ((acc) += (vitc__q256_acc)(v))
#define VITC__Q256_ACC_M256I(acc) ((__m256i)(acc))
#else
typedef __m256i vitc__q256_acc;
#define VITC__Q256_ACC_ZERO _mm256_setzero_si256()
#define VITC__Q256_ADD(acc, v) ((acc) = _mm256_add_epi32((acc), (v)))
#define VITC__Q256_ACC_M256I(acc) (acc)
#endif

/* The microkernel stays a function of its own: inlined into the driver (gcc -O3 does when
 * the entry point is called once), the driver's values took registers and gcc spilled an
 * accumulator and the W pointer, a store and reload per k-group: half the speed. */
#if defined(__GNUC__) || defined(__clang__)
#define VITC__Q256_NOINLINE __attribute__((noinline))
#else
#define VITC__Q256_NOINLINE
#endif

/* clang unrolls the k loop by 4 and schedules the copies' loads and products ahead of
 * their adds: 24 live vectors, accumulators spilled (19 against 23 multiply-adds per
 * cycle at K 192, bench/qgemm_bench.c); the register budget above is for one k-group
 * per iteration. */
#if defined(__clang__)
#define VITC__Q256_NO_UNROLL _Pragma("clang loop unroll(disable)")
#else
#define VITC__Q256_NO_UNROLL
#endif

/* all-ones in the lanes i < n (n <= 0: none) */
static inline VITC_UNUSED __m256i vitc__q256_mask(int n)
{
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

/* Row c[0, nr) = act(v0 | v1) + res_scale * r[0, nr) (r NULL: none), v0 columns 0..7
 * and v1 8..15 of the dequantized row. */
static inline VITC_UNUSED void VITC_FN(vitc__qs8_store16)(float *c, __m256 v0, __m256 v1, int nr,
                                                         const vitc_qs8_tile_epilogue *e, const float *r)
{
#if VITC_LANES == 8 /* the avx2 shim: its activations take the two halves */
    if (e->act != VITC_GEMM_ACT_NONE) {
        v0 = VITC_FN(vitc__epi_act)(v0, e->act, e->act_alpha, e->act_beta);
        v1 = VITC_FN(vitc__epi_act)(v1, e->act, e->act_alpha, e->act_beta);
    }
    if (nr == 16) {
        if (r) {
            v0 = _mm256_fmadd_ps(_mm256_set1_ps(e->res_scale), _mm256_loadu_ps(r), v0);
            v1 = _mm256_fmadd_ps(_mm256_set1_ps(e->res_scale), _mm256_loadu_ps(r + 8), v1);
        }
        _mm256_storeu_ps(c, v0);
        _mm256_storeu_ps(c + 8, v1);
    } else {
        const __m256i m0 = vitc__q256_mask(nr), m1 = vitc__q256_mask(nr - 8);
        if (r) {
            v0 = _mm256_fmadd_ps(_mm256_set1_ps(e->res_scale), _mm256_maskload_ps(r, m0), v0);
            v1 = _mm256_fmadd_ps(_mm256_set1_ps(e->res_scale), _mm256_maskload_ps(r + 8, m1), v1);
        }
        _mm256_maskstore_ps(c, m0, v0);
        _mm256_maskstore_ps(c + 8, m1, v1);
    }
#else /* a wider shim (avx512 without VNNI): the row in one vector, through memory */
    float t[16];
    _mm256_storeu_ps(t, v0);
    _mm256_storeu_ps(t + 8, v1);
    VITC_FN(vitc__qs8_store_row)(c, t, nr, e, r);
#endif
}

#define VITC__Q256_ROWS(X) X(0) X(1) X(2) X(3)
#define VITC__Q256_DECL(r) vitc__q256_acc c##r##a = VITC__Q256_ACC_ZERO, c##r##b = VITC__Q256_ACC_ZERO;
#define VITC__Q256_DOT(r) { const __m256i av = _mm256_set1_epi32(ap[g * 4 + r]); \
        VITC__Q256_ADD(c##r##a, _mm256_madd_epi16(av, w0)); \
        VITC__Q256_ADD(c##r##b, _mm256_madd_epi16(av, w1)); }
#define VITC__Q256_DEQ(acc, zc, sc, bi) \
    _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_sub_epi32(VITC__Q256_ACC_M256I(acc), zc)), sc, bi)
#define VITC__Q256_STORE(r) if (r < mr) \
        VITC_FN(vitc__qs8_store16)(c + (ptrdiff_t)r * ldc, VITC__Q256_DEQ(c##r##a, zc0, sc0, bi0), \
                                   VITC__Q256_DEQ(c##r##b, zc1, sc1, bi1), nr, e, \
                                   e->res ? e->res + (ptrdiff_t)r * e->ldr : NULL);

VITC__Q256_NOINLINE
static VITC_UNUSED void vitc__qs8_ukernel_4x16_avx2(int mr, int nr, int kgroups, const void *VITC_RESTRICT ap_,
                                                   const void *VITC_RESTRICT wp_, float *c, ptrdiff_t ldc,
                                                   const int32_t *zcol, const float *scale, const float *bias,
                                                   const vitc_qs8_tile_epilogue *e)
{
    const int32_t *ap = (const int32_t *)ap_; /* per k-group and row: two int16 */
    const __m256i *wp = (const __m256i *)wp_;
    __m256i zc0, zc1;
    __m256 sc0, sc1, bi0, bi1;
    int g;
    VITC__Q256_ROWS(VITC__Q256_DECL)
    VITC__Q256_NO_UNROLL
    for (g = 0; g < kgroups; g++) {
        const __m256i w0 = _mm256_lddqu_si256(wp + 2 * g), w1 = _mm256_lddqu_si256(wp + 2 * g + 1);
        VITC__Q256_ROWS(VITC__Q256_DOT)
    }
    if (nr == 16) {
        zc0 = _mm256_loadu_si256((const __m256i *)zcol), zc1 = _mm256_loadu_si256((const __m256i *)(zcol + 8));
        sc0 = _mm256_loadu_ps(scale), sc1 = _mm256_loadu_ps(scale + 8);
        bi0 = bias ? _mm256_loadu_ps(bias) : _mm256_setzero_ps();
        bi1 = bias ? _mm256_loadu_ps(bias + 8) : _mm256_setzero_ps();
    } else { /* no access past column nr */
        const __m256i m0 = vitc__q256_mask(nr), m1 = vitc__q256_mask(nr - 8);
        zc0 = _mm256_maskload_epi32((const int *)zcol, m0), zc1 = _mm256_maskload_epi32((const int *)zcol + 8, m1);
        sc0 = _mm256_maskload_ps(scale, m0), sc1 = _mm256_maskload_ps(scale + 8, m1);
        bi0 = bias ? _mm256_maskload_ps(bias, m0) : _mm256_setzero_ps();
        bi1 = bias ? _mm256_maskload_ps(bias + 8, m1) : _mm256_setzero_ps();
    }
    VITC__Q256_ROWS(VITC__Q256_STORE)
}

/* Eight floats of one row from x[k] (n < 8: zero past n), quantized as QuantizeLinear does
 * (x / sa rounded to nearest even, plus za, saturated; max(NaN, lo) = lo). */
static inline VITC_UNUSED __m256i vitc__qs8_quant8_avx2(const float *x, int k, int n, __m256 vs, __m256 vz, __m256 lo,
                                                        __m256 hi)
{
    __m256 v;
    __m256i q;
    if (n == 8) v = _mm256_loadu_ps(x + k);
    else {
        float in[8] = {0};
        memcpy(in, x + k, sizeof(float) * (size_t)n);
        v = _mm256_loadu_ps(in);
    }
    v = _mm256_div_ps(v, vs);
    v = _mm256_add_ps(_mm256_round_ps(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC), vz);
    q = _mm256_cvtps_epi32(_mm256_min_ps(_mm256_max_ps(v, lo), hi));
    return n < 8 ? _mm256_and_si256(q, vitc__q256_mask(n)) : q; /* zero past K, not za */
}

/* Rows of A as a 4-row micro-panel of int16 pairs; float32 quantized 8 at a time per row,
 * the 4 rows narrowed to int16 together (vpackssdw: the values are in [-128, 255]) and
 * transposed as 4 x 4 pairs into 4 k-groups of the panel (64 bytes, 2 stores). Zero past K. */
static VITC_UNUSED void vitc__qs8_pack_a_4x16_avx2(int mr, int K, const void *A, int a_type, ptrdiff_t lda, float sa,
                                                  int za, int q_type, void *ap_)
{
    int kgroups = (K + 1) / 2, k;
    int32_t *ap = (int32_t *)ap_; /* one int16 pair per k-group and row */
    if (a_type != 1) {
        vitc_qs8_pack_a(&vitc_qs8_layout_avx2, mr, K, A, a_type, lda, sa, za, q_type, ap_);
        return;
    }
    {
        const __m256 vs = _mm256_set1_ps(sa), vz = _mm256_set1_ps((float)za);
        const __m256 lo = _mm256_set1_ps(q_type == 3 ? -128.0f : 0.0f), hi = _mm256_set1_ps(q_type == 3 ? 127.0f : 255.0f);
        const float *x0 = (const float *)A, *x1 = x0 + (ptrdiff_t)(mr > 1 ? 1 : mr - 1) * lda; /* rows past mr repeat */
        const float *x2 = x0 + (ptrdiff_t)(mr > 2 ? 2 : mr - 1) * lda, *x3 = x0 + (ptrdiff_t)(mr > 3 ? 3 : mr - 1) * lda;
        for (k = 0; k < kgroups * 2; k += 8) {
            int n = K - k < 8 ? K - k : 8, ng = kgroups - k / 2 < 4 ? kgroups - k / 2 : 4;
            /* rows r0, r1 as int16: lane 0 [r0 g0 g1, r1 g0 g1], lane 1 [r0 g2 g3, r1 g2 g3] (pairs
             * g = k-groups); the shuffle makes each lane [r0 g, r1 g, r0 g', r1 g'] */
            const __m256i p01 = _mm256_shuffle_epi32(_mm256_packs_epi32(vitc__qs8_quant8_avx2(x0, k, n, vs, vz, lo, hi),
                                                                        vitc__qs8_quant8_avx2(x1, k, n, vs, vz, lo, hi)), 0xD8);
            const __m256i p23 = _mm256_shuffle_epi32(_mm256_packs_epi32(vitc__qs8_quant8_avx2(x2, k, n, vs, vz, lo, hi),
                                                                        vitc__qs8_quant8_avx2(x3, k, n, vs, vz, lo, hi)), 0xD8);
            const __m256i g02 = _mm256_unpacklo_epi64(p01, p23), g13 = _mm256_unpackhi_epi64(p01, p23);
            const __m256i g01 = _mm256_permute2x128_si256(g02, g13, 0x20), g23 = _mm256_permute2x128_si256(g02, g13, 0x31);
            if (ng == 4) {
                _mm256_storeu_si256((__m256i *)(void *)(ap + (size_t)k * 2), g01);
                _mm256_storeu_si256((__m256i *)(void *)(ap + (size_t)k * 2 + 8), g23);
            } else { /* the last groups: the panel ends at kgroups */
                int32_t t[16];
                _mm256_storeu_si256((__m256i *)(void *)t, g01);
                _mm256_storeu_si256((__m256i *)(void *)(t + 8), g23);
                memcpy(ap + (size_t)k * 2, t, sizeof(int32_t) * 4 * (size_t)ng);
            }
        }
    }
}

/* vitc_qs8_gemm_scalar's contract (qs8-gemm-scalar.c) with Wp in the avx2 layout
 * (qs8-gemm-pack.c) and scratch 4 * Kp * 2 bytes. */
VITC_KERNEL void vitc_qs8_gemm_4x16_avx2(int M, int N, int K, const void *A, int a_type, ptrdiff_t lda, float sa,
                                         int za, int q_type, const void *Wp, const int32_t *zc, const float *scale,
                                         const float *bias, float *Y, ptrdiff_t ldc, const vitc_f32_gemm_epilogue *ep,
                                         void *scratch)
{
    vitc__qs8_gemm_drive(&vitc_qs8_layout_avx2, vitc__qs8_ukernel_4x16_avx2, vitc__qs8_pack_a_4x16_avx2,
                         VITC_FN(vitc_qs8_epilogue), M, N, K, A, a_type, lda, sa, za, q_type, Wp, zc, scale, bias, Y,
                         ldc, ep, scratch);
}

#endif /* VITC_QS8_GEMM_4X16_AVX2_C */
