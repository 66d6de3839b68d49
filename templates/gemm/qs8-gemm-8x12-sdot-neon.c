/* templates/gemm/qs8-gemm-8x12-sdot-neon.c: the int8 GEMM microkernel for
 * Armv8.2-A with the dot-product extension (the neon_dotprod target: Cortex-A55,
 * A76 and later, e.g. a Raspberry Pi 5; docs/int8.md), an 8 x 12 tile of int32 sums.
 *
 * sdot (vdotq_laneq_s32) multiplies 4 signed bytes by 4 signed bytes per 32-bit
 * lane and adds the 4 products to the lane exactly (each fits 15 bits signed). So
 * the packed activations are signed: int8 as they are, uint8 with the sign bit
 * flipped (q - 128), the compiler folding -128 * colsum into the zero-point
 * correction (qs8-gemm-pack.c, offset -128).
 *
 * Per k-group of 4: 3 q registers of packed W (12 columns x 4 bytes), 2 of the
 * activation panel (8 rows x 4 bytes), 24 sdot with the row picked by the lane
 * index: 24 accumulators + 5 = 29 of the 32 vector registers. The store: (acc -
 * zc) in int32, then bias + scale * x as one FMA, then the activation and residual. Activation panels are packed by
 * the portable packer (quantizing float32 input as QuantizeLinear does).
 * AArch64 only; build with -march=armv8.2-a+dotprod. */
#ifndef VITC_QS8_GEMM_8X12_SDOT_NEON_C
#define VITC_QS8_GEMM_8X12_SDOT_NEON_C

#include "../prelude.h"
#include "../simd/shim.h"
#include "qs8-gemm-driver.c"
#include "qs8-epilogue-simd.c"

#if !defined(__aarch64__) || !defined(__ARM_FEATURE_DOTPROD)
#error "the neon_dotprod target needs AArch64 with the dot-product extension: compile with -march=armv8.2-a+dotprod"
#endif

#define VITC__QSD_ROWS(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7)
#define VITC__QSD_DECL(r) int32x4_t c##r##a = z, c##r##b = z, c##r##c = z;
#define VITC__QSD_DOT(r) c##r##a = vdotq_laneq_s32(c##r##a, w0, r < 4 ? a0 : a1, r % 4); \
        c##r##b = vdotq_laneq_s32(c##r##b, w1, r < 4 ? a0 : a1, r % 4); \
        c##r##c = vdotq_laneq_s32(c##r##c, w2, r < 4 ? a0 : a1, r % 4);
#define VITC__QSD_STORE1(acc, b) vst1q_f32(t + 4 * b, vfmaq_f32(vld1q_f32(bt + 4 * b), \
        vcvtq_f32_s32(vsubq_s32(acc, vld1q_s32(zt + 4 * b))), vld1q_f32(st + 4 * b)));
#define VITC__QSD_STORE(r) if (r < mr) { VITC__QSD_STORE1(c##r##a, 0) VITC__QSD_STORE1(c##r##b, 1) \
        VITC__QSD_STORE1(c##r##c, 2) VITC_FN(vitc__qs8_store_row)(c + (ptrdiff_t)r * ldc, t, nr, e, e->res ? e->res + (ptrdiff_t)r * e->ldr : NULL); }

static VITC_UNUSED void vitc__qs8_ukernel_8x12_sdot(int mr, int nr, int kgroups, const void *VITC_RESTRICT ap_,
                                                   const void *VITC_RESTRICT wp_, float *c, ptrdiff_t ldc,
                                                   const int32_t *zcol, const float *scale, const float *bias,
                                                   const vitc_qs8_tile_epilogue *e)
{
    const int8_t *ap = (const int8_t *)ap_, *wp = (const int8_t *)wp_;
    const int32x4_t z = vdupq_n_s32(0);
    int32_t zt[12] = {0};
    float st[12] = {0}, bt[12] = {0}, t[12];
    int g, j;
    VITC__QSD_ROWS(VITC__QSD_DECL)
    for (g = 0; g < kgroups; g++) {
        const int8x16_t w0 = vld1q_s8(wp + 48 * g), w1 = vld1q_s8(wp + 48 * g + 16), w2 = vld1q_s8(wp + 48 * g + 32);
        const int8x16_t a0 = vld1q_s8(ap + 32 * g), a1 = vld1q_s8(ap + 32 * g + 16);
        VITC__QSD_ROWS(VITC__QSD_DOT)
    }
    for (j = 0; j < nr; j++) zt[j] = zcol[j], st[j] = scale[j], bt[j] = bias ? bias[j] : 0.0f;
    VITC__QSD_ROWS(VITC__QSD_STORE)
}

/* vitc_qs8_gemm_scalar's contract (qs8-gemm-scalar.c) with Wp in the sdot layout
 * (qs8-gemm-pack.c) and scratch 8 * Kp bytes. */
VITC_KERNEL void vitc_qs8_gemm_8x12_sdot_neon(int M, int N, int K, const void *A, int a_type, ptrdiff_t lda, float sa,
                                              int za, int q_type, const void *Wp, const int32_t *zc,
                                              const float *scale, const float *bias, float *Y, ptrdiff_t ldc,
                                              const vitc_f32_gemm_epilogue *ep, void *scratch)
{
    vitc__qs8_gemm_drive(&vitc_qs8_layout_sdot, vitc__qs8_ukernel_8x12_sdot, vitc__qs8_pack_a_sdot,
                         vitc_qs8_epilogue_neon, M, N, K, A, a_type, lda, sa, za, q_type, Wp, zc, scale, bias, Y, ldc,
                         ep, scratch);
}

#endif /* VITC_QS8_GEMM_8X12_SDOT_NEON_C */
