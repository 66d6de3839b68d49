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
 * spilled: slower than the fp32 kernel when built with -mavx2 alone).
 * The store: (acc - zc) in int32 (exact), then scale * x + bias as one FMA, then the
 * activation and residual (vitc__qs8_store_row, qs8-epilogue-simd.c).
 * Activation panels: float32 quantized 8 at a time as QuantizeLinear does
 * (templates/quant/x-quant-scalar.c's arithmetic), widened to int16 pairs.
 * Build with -mavx2 -mfma. */
#ifndef VITC_QS8_GEMM_4X16_AVX2_C
#define VITC_QS8_GEMM_4X16_AVX2_C

#include "../prelude.h"
#include "../simd/shim.h"
#include "qs8-gemm-driver.c"
#include "qs8-epilogue-simd.c"

#define VITC__Q256_ROWS(X) X(0) X(1) X(2) X(3)
#define VITC__Q256_DECL(r) __m256i c##r##a = z, c##r##b = z;
#define VITC__Q256_DOT(r) { const __m256i av = _mm256_set1_epi32(ap[g * 4 + r]); \
        c##r##a = _mm256_add_epi32(c##r##a, _mm256_madd_epi16(av, w0)); \
        c##r##b = _mm256_add_epi32(c##r##b, _mm256_madd_epi16(av, w1)); }
#define VITC__Q256_STORE(r) if (r < mr) { \
        _mm256_storeu_ps(t, _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_sub_epi32(c##r##a, zc0)), sc0, bi0)); \
        _mm256_storeu_ps(t + 8, _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_sub_epi32(c##r##b, zc1)), sc1, bi1)); \
        VITC_FN(vitc__qs8_store_row)(c + (ptrdiff_t)r * ldc, t, nr, e, e->res ? e->res + (ptrdiff_t)r * e->ldr : NULL); }

static VITC_UNUSED void vitc__qs8_ukernel_4x16_avx2(int mr, int nr, int kgroups, const void *VITC_RESTRICT ap_,
                                                   const void *VITC_RESTRICT wp_, float *c, ptrdiff_t ldc,
                                                   const int32_t *zcol, const float *scale, const float *bias,
                                                   const vitc_qs8_tile_epilogue *e)
{
    const int32_t *ap = (const int32_t *)ap_; /* per k-group and row: two int16 */
    const __m256i *wp = (const __m256i *)wp_;
    const __m256i z = _mm256_setzero_si256();
    int g, j;
    VITC__Q256_ROWS(VITC__Q256_DECL)
    for (g = 0; g < kgroups; g++) {
        const __m256i w0 = _mm256_loadu_si256(wp + 2 * g), w1 = _mm256_loadu_si256(wp + 2 * g + 1);
        VITC__Q256_ROWS(VITC__Q256_DOT)
    }
    {
        int32_t zt[16] = {0};
        float st[16] = {0}, bt[16] = {0}, t[16];
        for (j = 0; j < nr; j++) zt[j] = zcol[j], st[j] = scale[j], bt[j] = bias ? bias[j] : 0.0f;
        {
            const __m256i zc0 = _mm256_loadu_si256((const __m256i *)zt), zc1 = _mm256_loadu_si256((const __m256i *)(zt + 8));
            const __m256 sc0 = _mm256_loadu_ps(st), sc1 = _mm256_loadu_ps(st + 8);
            const __m256 bi0 = _mm256_loadu_ps(bt), bi1 = _mm256_loadu_ps(bt + 8);
            VITC__Q256_ROWS(VITC__Q256_STORE)
        }
    }
}

/* Rows of A as a 4-row micro-panel of int16 pairs; float32 quantized 8 at a time, narrowed
 * to int16 (vpackssdw: the values are in [-128, 255]) and stored as 4 pairs at their
 * groups' places (24 bytes apart). Zero past K. */
static VITC_UNUSED void vitc__qs8_pack_a_4x16_avx2(int mr, int K, const void *A, int a_type, ptrdiff_t lda, float sa,
                                                  int za, int q_type, void *ap_)
{
    const int MR = 4;
    int kgroups = (K + 1) / 2, rr, k, t;
    int32_t *ap = (int32_t *)ap_; /* one int16 pair per k-group and row */
    if (a_type != 1) {
        vitc_qs8_pack_a(&vitc_qs8_layout_avx2, mr, K, A, a_type, lda, sa, za, q_type, ap_);
        return;
    }
    {
        const __m256 vs = _mm256_set1_ps(sa), vz = _mm256_set1_ps((float)za);
        const __m256 lo = _mm256_set1_ps(q_type == 3 ? -128.0f : 0.0f), hi = _mm256_set1_ps(q_type == 3 ? 127.0f : 255.0f);
        for (rr = 0; rr < MR; rr++) {
            const float *x = (const float *)A + (ptrdiff_t)(rr < mr ? rr : mr - 1) * lda;
            for (k = 0; k < kgroups * 2; k += 8) {
                int n = K - k < 8 ? K - k : 8, ng = kgroups - k / 2 < 4 ? kgroups - k / 2 : 4;
                int32_t pairs[4];
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
                v = _mm256_min_ps(_mm256_max_ps(v, lo), hi); /* max(NaN, lo) = lo */
                q = _mm256_cvtps_epi32(v);
                if (n < 8) q = _mm256_and_si256(q, _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7)));
                q = _mm256_permute4x64_epi64(_mm256_packs_epi32(q, q), 0xD8); /* int16 k..k+7 in the low half */
                _mm_storeu_si128((__m128i *)(void *)pairs, _mm256_castsi256_si128(q));
                for (t = 0; t < ng; t++) ap[(size_t)(k / 2 + t) * MR + (size_t)rr] = pairs[t];
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
