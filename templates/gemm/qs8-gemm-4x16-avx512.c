/* templates/gemm/qs8-gemm-4x16-avx512.c: the int8 GEMM of the avx512 target on a
 * CPU without VNNI: the AVX2 kernel (qs8-gemm-4x16-avx2.c, exact 16-bit pair
 * products by vpmaddwd) with the AVX-512 shim's epilogue. The avx512_vnni
 * target uses qs8-gemm-8x48-vnni-avx512.c instead. */
#ifndef VITC_QS8_GEMM_4X16_AVX512_C
#define VITC_QS8_GEMM_4X16_AVX512_C

#include "qs8-gemm-4x16-avx2.c"

VITC_KERNEL void vitc_qs8_gemm_4x16_avx512(int M, int N, int K, const void *A, int a_type, ptrdiff_t lda, float sa,
                                           int za, int q_type, const void *Wp, const int32_t *zc, const float *scale,
                                           const float *bias, float *Y, ptrdiff_t ldc,
                                           const vitc_f32_gemm_epilogue *ep, void *scratch)
{
    vitc_qs8_gemm_4x16_avx2(M, N, K, A, a_type, lda, sa, za, q_type, Wp, zc, scale, bias, Y, ldc, ep, scratch);
}

#endif /* VITC_QS8_GEMM_4X16_AVX512_C */
