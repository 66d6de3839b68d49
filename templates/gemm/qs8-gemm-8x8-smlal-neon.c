/* templates/gemm/qs8-gemm-8x8-smlal-neon.c: the int8 GEMM microkernel for NEON
 * without the dot-product extension (the neon target: Armv8.0-A such as the
 * Cortex-A72 of a Raspberry Pi 4, and 32-bit ARMv7-A), an 8 x 8 tile of int32 sums.
 *
 * Activations and weights are widened to 16 bits when packed; smlal
 * (vmlal_lane_s16) multiplies 4 int16 weights by one int16 activation into 32-bit
 * products and adds them to 4 int32 lanes: exact (|q w| <= 255 * 128) and without
 * any 16-bit intermediate sum. Per k: one q register of W (8 columns), one of the
 * activation panel (8 rows), 16 smlal into 16 accumulators. On ARMv7 (16 q
 * registers) the compiler spills some accumulators; the arithmetic is the same.
 * The store: (acc - zc) in int32, then bias + scale * x, then the activation and
 * residual. */
#ifndef VITC_QS8_GEMM_8X8_SMLAL_NEON_C
#define VITC_QS8_GEMM_8X8_SMLAL_NEON_C

#include "../prelude.h"
#include "../simd/shim.h"
#include "qs8-gemm-driver.c"
#include "qs8-epilogue-simd.c"

#define VITC__QSM_ROWS(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7)
#define VITC__QSM_DECL(r) int32x4_t c##r##a = z, c##r##b = z;
#define VITC__QSM_MLA(r) c##r##a = vmlal_lane_s16(c##r##a, wl, r < 4 ? al : ah, r % 4); \
        c##r##b = vmlal_lane_s16(c##r##b, wh, r < 4 ? al : ah, r % 4);
#define VITC__QSM_STORE1(acc, b) vst1q_f32(t + 4 * b, vaddq_f32(vld1q_f32(bt + 4 * b), \
        vmulq_f32(vcvtq_f32_s32(vsubq_s32(acc, vld1q_s32(zt + 4 * b))), vld1q_f32(st + 4 * b))));
#define VITC__QSM_STORE(r) if (r < mr) { VITC__QSM_STORE1(c##r##a, 0) VITC__QSM_STORE1(c##r##b, 1) \
        VITC_FN(vitc__qs8_store_row)(c + (ptrdiff_t)r * ldc, t, nr, e, e->res ? e->res + (ptrdiff_t)r * e->ldr : NULL); }

static VITC_UNUSED void vitc__qs8_ukernel_8x8_smlal(int mr, int nr, int K, const void *VITC_RESTRICT ap_,
                                                   const void *VITC_RESTRICT wp_, float *c, ptrdiff_t ldc,
                                                   const int32_t *zcol, const float *scale, const float *bias,
                                                   const vitc_qs8_tile_epilogue *e)
{
    const int16_t *ap = (const int16_t *)ap_, *wp = (const int16_t *)wp_;
    const int32x4_t z = vdupq_n_s32(0);
    int32_t zt[8] = {0};
    float st[8] = {0}, bt[8] = {0}, t[8];
    int k, j;
    VITC__QSM_ROWS(VITC__QSM_DECL)
    for (k = 0; k < K; k++) {
        const int16x8_t w = vld1q_s16(wp + 8 * k), a = vld1q_s16(ap + 8 * k);
        const int16x4_t wl = vget_low_s16(w), wh = vget_high_s16(w), al = vget_low_s16(a), ah = vget_high_s16(a);
        VITC__QSM_ROWS(VITC__QSM_MLA)
    }
    for (j = 0; j < nr; j++) zt[j] = zcol[j], st[j] = scale[j], bt[j] = bias ? bias[j] : 0.0f;
    VITC__QSM_ROWS(VITC__QSM_STORE)
}

/* vitc_qs8_gemm_scalar's contract (qs8-gemm-scalar.c) with Wp in the smlal layout
 * (qs8-gemm-pack.c) and scratch 8 * K * 2 bytes. */
VITC_KERNEL void vitc_qs8_gemm_8x8_smlal_neon(int M, int N, int K, const void *A, int a_type, ptrdiff_t lda, float sa,
                                              int za, int q_type, const void *Wp, const int32_t *zc,
                                              const float *scale, const float *bias, float *Y, ptrdiff_t ldc,
                                              const vitc_f32_gemm_epilogue *ep, void *scratch)
{
    vitc__qs8_gemm_drive(&vitc_qs8_layout_smlal, vitc__qs8_ukernel_8x8_smlal, vitc__qs8_pack_a_smlal,
                         vitc_qs8_epilogue_neon, M, N, K, A, a_type, lda, sa, za, q_type, Wp, zc, scale, bias, Y, ldc,
                         ep, scratch);
}

#endif /* VITC_QS8_GEMM_8X8_SMLAL_NEON_C */
