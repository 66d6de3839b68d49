/* templates/gemm/qs8-gemm-8x48-vnni-avx512.c: the int8 GEMM microkernel for
 * AVX-512 VNNI (the avx512_vnni target), an 8 x 48 tile of int32 sums.
 *
 * vpdpbusd multiplies 4 unsigned bytes of A by 4 signed bytes of W per 32-bit lane
 * and adds the 4 products to the lane's int32 exactly (each product fits 16 bits
 * signed, their sum 17; the accumulation wraps only past 2^31, which K <= 65,000
 * cannot reach). So the packed activations are unsigned: uint8 as they are, int8
 * with the sign bit flipped (q + 128, a byte XOR), the compiler folding 128 *
 * colsum into the zero-point correction (qs8-gemm-pack.c, offset 128).
 *
 * Per k-group of 4 the kernel loads 3 zmm of packed W (48 columns x 4 bytes),
 * broadcasts each row's 4 bytes of the activation panel and issues 24 vpdpbusd:
 * 24 accumulators + 3 W + 1 broadcast = 28 of the 32 zmm registers, 1,536
 * multiply-adds per 24 instructions (four times an fp32 FMA's 16 per instruction).
 * The store converts each accumulator to float, subtracts nothing in float: the
 * zero-point correction is an integer subtraction (exact), then scale * x + bias
 * as one FMA, with masks for a column tail (packed W is zero past N and K).
 *
 * Activation panels are packed here: float32 input is quantized 16 values at a
 * time exactly as QuantizeLinear (x / scale correctly rounded, vrndscaleps to
 * nearest even, + zero point, clamped, NaN to the minimum: the arithmetic of
 * templates/quant/x-quant-scalar.c); already quantized input goes through the
 * portable packer. Build with the avx512_vnni target's flags (-mavx512vnni). */
#ifndef VITC_QS8_GEMM_8X48_VNNI_AVX512_C
#define VITC_QS8_GEMM_8X48_VNNI_AVX512_C

#include "../prelude.h"
#include "../simd/shim.h"
#include "qs8-gemm-driver.c"
#include "qs8-epilogue-simd.c"

#define VITC__Q512_ROWS(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7)
#define VITC__Q512_DECL(r) __m512i c##r##a = z, c##r##b = z, c##r##c = z;
#define VITC__Q512_DOT(r) { const __m512i av = _mm512_set1_epi32(ap[g * 8 + r]); \
        c##r##a = _mm512_dpbusd_epi32(c##r##a, av, w0); c##r##b = _mm512_dpbusd_epi32(c##r##b, av, w1); \
        c##r##c = _mm512_dpbusd_epi32(c##r##c, av, w2); }
#define VITC__Q512_STORE1(acc, b) { __m512 f = _mm512_fmadd_ps(_mm512_cvtepi32_ps(_mm512_sub_epi32(acc, zc##b)), sc##b, bi##b); \
        if (e->act) f = vitc__epi_act_avx512(f, e->act, e->act_alpha, e->act_beta); \
        if (rr) f = _mm512_fmadd_ps(rs, _mm512_maskz_loadu_ps(m##b, rr + 16 * b), f); \
        _mm512_mask_storeu_ps(cr + 16 * b, m##b, f); }
#define VITC__Q512_STORE(r) if (r < mr) { float *cr = c + (ptrdiff_t)r * ldc; \
        const float *rr = e->res ? e->res + (ptrdiff_t)r * e->ldr : NULL; \
        VITC__Q512_STORE1(c##r##a, 0) VITC__Q512_STORE1(c##r##b, 1) VITC__Q512_STORE1(c##r##c, 2) }

static VITC_UNUSED void vitc__qs8_ukernel_8x48_vnni(int mr, int nr, int kgroups, const void *VITC_RESTRICT ap_,
                                                   const void *VITC_RESTRICT wp_, float *c, ptrdiff_t ldc,
                                                   const int32_t *zcol, const float *scale, const float *bias,
                                                   const vitc_qs8_tile_epilogue *e)
{
    const int32_t *ap = (const int32_t *)ap_;
    const __m512i *wp = (const __m512i *)wp_;
    const __m512i z = _mm512_setzero_si512();
    int g;
    VITC__Q512_ROWS(VITC__Q512_DECL)
    for (g = 0; g < kgroups; g++) {
        const __m512i w0 = _mm512_loadu_si512(wp + 3 * g), w1 = _mm512_loadu_si512(wp + 3 * g + 1),
                      w2 = _mm512_loadu_si512(wp + 3 * g + 2);
        VITC__Q512_ROWS(VITC__Q512_DOT)
    }
    {
        const __mmask16 m0 = nr >= 16 ? 0xFFFF : (__mmask16)((1u << nr) - 1);
        const __mmask16 m1 = nr >= 32 ? 0xFFFF : nr <= 16 ? 0 : (__mmask16)((1u << (nr - 16)) - 1);
        const __mmask16 m2 = nr >= 48 ? 0xFFFF : nr <= 32 ? 0 : (__mmask16)((1u << (nr - 32)) - 1);
        const __m512i zc0 = _mm512_maskz_loadu_epi32(m0, zcol), zc1 = _mm512_maskz_loadu_epi32(m1, zcol + 16),
                      zc2 = _mm512_maskz_loadu_epi32(m2, zcol + 32);
        const __m512 sc0 = _mm512_maskz_loadu_ps(m0, scale), sc1 = _mm512_maskz_loadu_ps(m1, scale + 16),
                     sc2 = _mm512_maskz_loadu_ps(m2, scale + 32);
        const __m512 bi0 = bias ? _mm512_maskz_loadu_ps(m0, bias) : _mm512_setzero_ps();
        const __m512 bi1 = bias ? _mm512_maskz_loadu_ps(m1, bias + 16) : _mm512_setzero_ps();
        const __m512 bi2 = bias ? _mm512_maskz_loadu_ps(m2, bias + 32) : _mm512_setzero_ps();
        const __m512 rs = _mm512_set1_ps(e->res_scale);
        VITC__Q512_ROWS(VITC__Q512_STORE)
    }
}

/* 16 floats of one row quantized (QuantizeLinear's arithmetic) to 16 bytes, plus the flip. */
#define VITC__Q512_QUANT(r) { const float *x = (const float *)A + (ptrdiff_t)(r < mr ? r : mr - 1) * lda + k; \
        __m512 v = _mm512_div_ps(_mm512_maskz_loadu_ps(m, x), vs); \
        v = _mm512_add_ps(_mm512_roundscale_ps(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC), vz); \
        v = _mm512_min_ps(_mm512_max_ps(v, lo), hi); /* max(NaN, lo) = lo */ \
        b##r = _mm512_cvtepi32_epi8(_mm512_maskz_add_epi32(m, _mm512_cvtps_epi32(v), off)); }

/* Rows of A as an 8-row micro-panel of 4-byte k-groups. Float32 is quantized 16 values
 * (4 k-groups) of each row at a time; the 8 rows' 16 bytes are then transposed as
 * dwords into the panel's order (group g: rows 0..7, 4 bytes each) by two vpermt2d,
 * so 4 k-groups of the panel are two 64-byte stores. Zero past K (W is zero there too). */
static VITC_UNUSED void vitc__qs8_pack_a_8x48_vnni(int mr, int K, const void *A, int a_type, ptrdiff_t lda, float sa,
                                                  int za, int q_type, void *ap_)
{
    int kgroups = (K + 3) / 4, k;
    uint8_t *ap = (uint8_t *)ap_;
    if (a_type != 1) {
        vitc_qs8_pack_a(&vitc_qs8_layout_vnni, mr, K, A, a_type, lda, sa, za, q_type, ap_);
        return;
    }
    {
        const __m512 vs = _mm512_set1_ps(sa), vz = _mm512_set1_ps((float)za);
        const __m512 lo = _mm512_set1_ps(q_type == 3 ? -128.0f : 0.0f), hi = _mm512_set1_ps(q_type == 3 ? 127.0f : 255.0f);
        const __m512i off = _mm512_set1_epi32(q_type == 3 ? 128 : 0); /* the flip of int8 (offset 128) */
        /* dword j of the output: group t = j / 8 (+2 for the second), row j % 8: rows 0-3 in the
         * first source (lane r, dword t), rows 4-7 in the second (index 16 + ...) */
        const __m512i idx0 = _mm512_setr_epi32(0, 4, 8, 12, 16, 20, 24, 28, 1, 5, 9, 13, 17, 21, 25, 29);
        const __m512i idx1 = _mm512_setr_epi32(2, 6, 10, 14, 18, 22, 26, 30, 3, 7, 11, 15, 19, 23, 27, 31);
        for (k = 0; k < kgroups * 4; k += 16) {
            const __mmask16 m = K - k >= 16 ? 0xFFFF : (__mmask16)((1u << (K - k)) - 1);
            __m128i b0, b1, b2, b3, b4, b5, b6, b7;
            __m512i lo4, hi4, o0, o1;
            int ng = kgroups - k / 4 < 4 ? kgroups - k / 4 : 4;
            VITC__Q512_QUANT(0) VITC__Q512_QUANT(1) VITC__Q512_QUANT(2) VITC__Q512_QUANT(3)
            VITC__Q512_QUANT(4) VITC__Q512_QUANT(5) VITC__Q512_QUANT(6) VITC__Q512_QUANT(7)
            lo4 = _mm512_inserti32x4(_mm512_inserti32x4(_mm512_inserti32x4(_mm512_castsi128_si512(b0), b1, 1), b2, 2), b3, 3);
            hi4 = _mm512_inserti32x4(_mm512_inserti32x4(_mm512_inserti32x4(_mm512_castsi128_si512(b4), b5, 1), b6, 2), b7, 3);
            o0 = _mm512_permutex2var_epi32(lo4, idx0, hi4);
            o1 = _mm512_permutex2var_epi32(lo4, idx1, hi4);
            if (ng == 4) {
                _mm512_storeu_si512(ap + (size_t)k * 8, o0);
                _mm512_storeu_si512(ap + (size_t)k * 8 + 64, o1);
            } else {
                uint8_t t[128];
                _mm512_storeu_si512(t, o0);
                _mm512_storeu_si512(t + 64, o1);
                memcpy(ap + (size_t)k * 8, t, (size_t)ng * 32);
            }
        }
    }
}

/* vitc_qs8_gemm_scalar's contract (qs8-gemm-scalar.c) with Wp in the vnni layout
 * (qs8-gemm-pack.c) and scratch VITC_QS8_GEMM_8X48_VNNI_SCRATCH(K) bytes. */
#define VITC_QS8_GEMM_8X48_VNNI_SCRATCH(K) ((size_t)8 * (size_t)(((K) + 3) / 4 * 4))
VITC_KERNEL void vitc_qs8_gemm_8x48_vnni_avx512(int M, int N, int K, const void *A, int a_type, ptrdiff_t lda,
                                                float sa, int za, int q_type, const void *Wp, const int32_t *zc,
                                                const float *scale, const float *bias, float *Y, ptrdiff_t ldc,
                                                const vitc_f32_gemm_epilogue *ep, void *scratch)
{
    vitc__qs8_gemm_drive(&vitc_qs8_layout_vnni, vitc__qs8_ukernel_8x48_vnni, vitc__qs8_pack_a_8x48_vnni,
                         vitc_qs8_epilogue_avx512, M, N, K, A, a_type, lda, sa, za, q_type, Wp, zc, scale, bias, Y,
                         ldc, ep, scratch);
}

#endif /* VITC_QS8_GEMM_8X48_VNNI_AVX512_C */
