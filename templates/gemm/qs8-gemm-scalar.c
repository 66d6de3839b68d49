/* templates/gemm/qs8-gemm-scalar.c: the reference int8 GEMM (vitc.QGemm), the
 * scalar target's kernel and what every per-ISA kernel is tested against.
 *
 *   vitc_qs8_gemm_scalar(M, N, K, A, a_type, lda, sa, za, q_type, W, zc, scale, bias, Y, ldc, ep, scratch)
 *     A (M, K) rows lda apart: float32 (a_type 1, quantized as QuantizeLinear into
 *       q_type with scale sa and zero point za) or uint8/int8 (a_type = q_type 2/3);
 *     W (K, N) int8, row-major (unpacked); zc, scale: per column (qs8-gemm-pack.c;
 *       this kernel's offset is 0, so zc[j] = za * colsum[j]); bias (N,) or NULL;
 *     Y (M, N) rows ldc apart = epilogue(scale[j] * (acc - zc[j]) + bias[j]);
 *     ep: the rest of the epilogue (f32-gemm-epilogue.c), NULL for none;
 *     scratch: K + N int32 (VITC_QS8_GEMM_SCALAR_SCRATCH: a row of q(A) and its sums).
 * The sum over k is exact in 32-bit integers (|q| <= 255, |W| <= 128: K up to
 * 65,000 cannot overflow). */
#ifndef VITC_QS8_GEMM_SCALAR_C
#define VITC_QS8_GEMM_SCALAR_C

#include "../prelude.h"
#include "qs8-gemm-pack.c"

#define VITC_QS8_GEMM_SCALAR_SCRATCH(K, N) ((size_t)((K) + (N)) * sizeof(int32_t))

VITC_KERNEL void vitc_qs8_gemm_scalar(int M, int N, int K, const void *A, int a_type, ptrdiff_t lda, float sa, int za,
                                      int q_type, const void *W, const int32_t *zc, const float *scale,
                                      const float *bias, float *Y, ptrdiff_t ldc, const vitc_f32_gemm_epilogue *ep,
                                      void *scratch)
{
    const int8_t *w = (const int8_t *)W;
    int32_t *q = (int32_t *)scratch, *acc = q + K; /* one row of q(A) and of sums */
    int i, j, k;
    for (i = 0; i < M; i++) {
        float *y = Y + (ptrdiff_t)i * ldc;
        for (k = 0; k < K; k++) q[k] = vitc__qs8_a(A, a_type, (ptrdiff_t)i * lda + k, sa, za, q_type, 0);
        for (j = 0; j < N; j++) acc[j] = 0;
        for (k = 0; k < K; k++)
            for (j = 0; j < N; j++) acc[j] += q[k] * w[(ptrdiff_t)k * N + j];
        for (j = 0; j < N; j++) y[j] = scale[j] * (float)(acc[j] - zc[j]) + (bias ? bias[j] : 0.0f);
    }
    vitc_f32_gemm_epilogue_scalar(M, N, Y, ldc, ep, 0);
}

#endif /* VITC_QS8_GEMM_SCALAR_C */
