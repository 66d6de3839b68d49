/* templates/gemm/f32-gemm-6x16-avx2.c: the GEMM microkernel for AVX2 + FMA3, a
 * 6 x 16 tile of C (12 ymm accumulators), and the entry points bound to it.
 *
 * Per step of k the kernel loads one row of 16 floats of the packed B panel (two
 * ymm), broadcasts the 6 values of the packed A micro-panel's row k and does 12
 * FMAs: 12 accumulators + 2 B registers + 1 broadcast = 15 of the 16 ymm
 * registers (the classic Haswell tile: two FMA pipes, 8 loads per 12 FMAs).
 * Layouts, blocking and the epilogue contract are in
 * templates/gemm/f32-gemm-driver.c.
 *
 * The body is f32-gemm-broadcast.c's, written once against the SIMD shim for this
 * kernel and the AVX-512 one (the shim's ymm vectors: column tails by vmaskmovps, no
 * access to masked-off lanes; the epilogue; row tails on repeated A rows). When at
 * most 4 rows are left a 4 x 16 instance of the same body takes them (8
 * accumulators, still enough FMAs in flight): a conv's rows are its output
 * channels, and 16, 32 and 40 channels (kws_nhwc_cnn) are 6k + 4 or 6k + 2, which
 * the 6-row kernel alone computed as 6k + 6 (11% of the FMAs of the 96x64 layers
 * wasted; the implicit conv's cover of its last rows, vitc__f32_gemm_rows_kernel,
 * takes 8 as 4 + 4). 197 tokens = 32 x 6 + 5 keep the 6-row kernel. A last panel
 * of at most 8 columns runs a 6 x 8 instance (stft_mel's 101 frames = 6 x 16 + 5).
 * A micro-panels are packed with 4x4 SSE transposes (f32-gemm-pack-sse.c).
 *
 * Entry points (M, N, K: sizes; kc, nc: K and N block sizes, 0 = whole):
 *   vitc_f32_gemm_6x16_avx2     C (M,N) = epilogue(A (M,K) @ Wp), Wp packed weights
 *   vitc_f32_matmul_6x16_avx2   batched MatMul of activations (B packed at run time)
 *   vitc_f32_conv2d_6x16_avx2   Conv as im2col-into-panels + GEMM, with an epilogue
 * Build with -mavx2 -mfma (the avx2 target's flags). */
#ifndef VITC_F32_GEMM_6X16_AVX2_C
#define VITC_F32_GEMM_6X16_AVX2_C

#include "../prelude.h"
#include "../simd/shim.h"
#include "f32-gemm-driver.c"
#include "f32-gemm-broadcast.c"
#include "f32-gemm-pack-sse.c"

/* The 6 x 16 microkernel and the 4 x 16 one for the last rows of A:
 * f32-gemm-broadcast.c's body for these tiles. */
VITC_KERNEL void vitc__f32_gemm_ukernel_6x16_avx2(int mr, int nr, int kc, const float *VITC_RESTRICT ap,
                                                  const float *VITC_RESTRICT w, ptrdiff_t ldb, float *c, ptrdiff_t ldc,
                                                  const vitc_f32_gemm_tile_epilogue *e, int flags)
{
    vitc__f32_gemm_ukernel_broadcast_avx2(6, 16, mr, nr, kc, ap, w, ldb, c, ldc, e, flags);
}

VITC_KERNEL void vitc__f32_gemm_ukernel_4x16_avx2(int mr, int nr, int kc, const float *VITC_RESTRICT ap,
                                                  const float *VITC_RESTRICT w, ptrdiff_t ldb, float *c, ptrdiff_t ldc,
                                                  const vitc_f32_gemm_tile_epilogue *e, int flags)
{
    vitc__f32_gemm_ukernel_broadcast_avx2(4, 16, mr, nr, kc, ap, w, ldb, c, ldc, e, flags);
}

/* The 6 x 8 one for a last panel of at most 8 columns (vitc_f32_gemm_tile.uk_half). */
VITC_KERNEL void vitc__f32_gemm_ukernel_6x8_avx2(int mr, int nr, int kc, const float *VITC_RESTRICT ap,
                                                 const float *VITC_RESTRICT w, ptrdiff_t ldb, float *c, ptrdiff_t ldc,
                                                 const vitc_f32_gemm_tile_epilogue *e, int flags)
{
    vitc__f32_gemm_ukernel_broadcast_avx2(6, 8, mr, nr, kc, ap, w, ldb, c, ldc, e, flags);
}

/* Their A micro-panel packers (f32-gemm-pack-sse.c). */
VITC_KERNEL void vitc__f32_gemm_pack_a_6_avx2(int mr, int kc, const float *VITC_RESTRICT A, ptrdiff_t a_rs,
                                              ptrdiff_t a_cs, float *VITC_RESTRICT ap)
{
    vitc__f32_gemm_pack_a_sse(6, mr, kc, A, a_rs, a_cs, ap);
}

VITC_KERNEL void vitc__f32_gemm_pack_a_4_avx2(int mr, int kc, const float *VITC_RESTRICT A, ptrdiff_t a_rs,
                                              ptrdiff_t a_cs, float *VITC_RESTRICT ap)
{
    vitc__f32_gemm_pack_a_sse(4, mr, kc, A, a_rs, a_cs, ap);
}

/* The tile the entry points below run on. */
#define VITC__G256_TILE(t) \
    const vitc_f32_gemm_tile t = {6, 16, vitc__f32_gemm_ukernel_6x16_avx2, vitc__f32_gemm_pack_a_6_avx2, \
                                  4, vitc__f32_gemm_ukernel_4x16_avx2, vitc__f32_gemm_pack_a_4_avx2, 0, NULL, NULL, \
                                  vitc__f32_gemm_ukernel_6x8_avx2}

/* C (M,N) rows ldc apart = epilogue(A (M,K) rows lda apart @ B), B packed for
 * NR = 16 (f32-gemm-driver.c); ep: the epilogue (f32-gemm-epilogue.c) or NULL.
 * scratch: 6 * min(kc, K) floats (kc = 0: K). */
VITC_KERNEL void vitc_f32_gemm_6x16_avx2(int M, int N, int K, const float *A, int lda, const float *Wp, float *C,
                                         int ldc, const vitc_f32_gemm_epilogue *ep, int kc, int nc, float *scratch)
{
    VITC__G256_TILE(tile);
    vitc__f32_gemm_drive(&tile, M, N, K, A, lda, 1, Wp, 0, C, ldc, ep, 0, kc, nc, scratch, NULL);
}

/* Batched MatMul of activations (vitc__f32_matmul_drive); scratch:
 * VITC_F32_MATMUL_SCRATCH(6, 16, K, N, kc) floats. */
VITC_KERNEL void vitc_f32_matmul_6x16_avx2(int M, int N, int K, int batch_rank, const int *batch_dims,
                                           const ptrdiff_t *a_batch_strides, const ptrdiff_t *b_batch_strides,
                                           const float *A, const float *B, ptrdiff_t b_rs, ptrdiff_t b_cs,
                                           float *C, int kc, int nc, float *scratch)
{
    VITC__G256_TILE(tile);
    vitc__f32_matmul_drive(&tile, M, N, K, batch_rank, batch_dims, a_batch_strides, b_batch_strides, A, B, b_rs, b_cs,
                           C, kc, nc, scratch);
}

/* ONNX Conv as GEMM with an epilogue (vitc__f32_conv2d_drive); scratch:
 * VITC_F32_CONV2D_SCRATCH(6, 16, (C_in/group)*KH*KW, OH*OW, kc, pointwise, padded)
 * floats (vitc__f32_conv2d_drive says what pointwise and padded are). */
VITC_KERNEL void vitc_f32_conv2d_6x16_avx2(int N, int C_in, int H, int W, int C_out, int OH, int OW, int KH,
                                           int KW, int stride_h, int stride_w, int dil_h, int dil_w, int pad_t,
                                           int pad_l, int group, const float *X, const float *Wt,
                                           const float *bias, float *Y, const vitc_f32_gemm_epilogue *ep, int kc,
                                           int nc, float *scratch)
{
    VITC__G256_TILE(tile);
    vitc__f32_conv2d_drive(&tile, N, C_in, H, W, C_out, OH, OW, KH, KW, stride_h, stride_w, dil_h, dil_w, pad_t,
                           pad_l, group, X, Wt, bias, Y, ep, kc, nc, scratch);
}

#endif /* VITC_F32_GEMM_6X16_AVX2_C */
