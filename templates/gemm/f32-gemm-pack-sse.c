/* templates/gemm/f32-gemm-pack-sse.c: the A micro-panel packer of the x86 GEMM
 * kernels (f32-gemm-6x16-avx2.c, f32-gemm-12x32-avx512.c), with 4x4 SSE
 * transposes: 4 loads, 8 shuffles and 4 stores per 16 floats instead of 16 loads
 * and stores. The contract is vitc__f32_gemm_pack_a's (f32-gemm-driver.c), which
 * packs the strided A (a_cs != 1) here too. SSE is in every x86-64 target, so one
 * copy serves both ISAs (tests include it once, under the AVX2 pragma). */
#ifndef VITC_F32_GEMM_PACK_SSE_C
#define VITC_F32_GEMM_PACK_SSE_C

#include "../prelude.h"
#include "f32-gemm-driver.c"

#include <immintrin.h>

/* ap[k*MR + r] = rows[r][k] for the 4 rows r0..r0+3, k in [0, kc) */
static inline VITC_UNUSED void vitc__f32_gemm_pack_a4_sse(const float *const *rows, int r0, int MR, int kc,
                                                          float *VITC_RESTRICT ap)
{
    const float *p0 = rows[r0], *p1 = rows[r0 + 1], *p2 = rows[r0 + 2], *p3 = rows[r0 + 3];
    int k;
    ap += r0;
    for (k = 0; k + 4 <= kc; k += 4) {
        __m128 a = _mm_loadu_ps(p0 + k), b = _mm_loadu_ps(p1 + k), c = _mm_loadu_ps(p2 + k), d = _mm_loadu_ps(p3 + k);
        _MM_TRANSPOSE4_PS(a, b, c, d);
        _mm_storeu_ps(ap + (ptrdiff_t)k * MR, a);
        _mm_storeu_ps(ap + (ptrdiff_t)(k + 1) * MR, b);
        _mm_storeu_ps(ap + (ptrdiff_t)(k + 2) * MR, c);
        _mm_storeu_ps(ap + (ptrdiff_t)(k + 3) * MR, d);
    }
    for (; k < kc; k++) {
        float *q = ap + (ptrdiff_t)k * MR;
        q[0] = p0[k], q[1] = p1[k], q[2] = p2[k], q[3] = p3[k];
    }
}

/* An MR-row micro-panel (4 <= MR <= 16, a literal at each use) in groups of 4 rows,
 * the last group overlapping the one before when 4 does not divide MR (MR = 6: rows
 * 0-3 and 2-5; MR = 12: 0-3, 4-7, 8-11). */
static inline VITC_UNUSED void vitc__f32_gemm_pack_a_sse(const int MR, int mr, int kc, const float *VITC_RESTRICT A,
                                                         ptrdiff_t a_rs, ptrdiff_t a_cs, float *VITC_RESTRICT ap)
{
    if (a_cs == 1) {
        const float *rows[16];
        int r;
        for (r = 0; r < MR; r++) rows[r] = A + (ptrdiff_t)(r < mr ? r : mr - 1) * a_rs;
        for (r = 0; r + 4 <= MR; r += 4) vitc__f32_gemm_pack_a4_sse(rows, r, MR, kc, ap);
        if (MR % 4) vitc__f32_gemm_pack_a4_sse(rows, MR - 4, MR, kc, ap);
    } else {
        vitc__f32_gemm_pack_a(MR, mr, kc, A, a_rs, a_cs, ap);
    }
}

#endif /* VITC_F32_GEMM_PACK_SSE_C */
