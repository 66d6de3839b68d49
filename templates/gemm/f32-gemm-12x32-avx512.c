/* templates/gemm/f32-gemm-12x32-avx512.c: the GEMM microkernel for AVX-512F,
 * a 12 x 32 tile of C (24 zmm accumulators), and the entry points bound to it.
 *
 * Per step of k the kernel loads one row of 32 floats of the packed B panel (two
 * zmm), broadcasts the 12 values of the packed A micro-panel's row k and does 24
 * FMAs: 24 accumulators + 2 B registers + 1 broadcast = 27 of the 32 zmm
 * registers. On Zen 4 (512-bit FMAs issued over two 256-bit pipes, one zmm FMA
 * per cycle) this is FMA-bound: 24 FMAs against 14 loads per step. Layouts,
 * blocking and the epilogue contract are in templates/gemm/f32-gemm-driver.c.
 *
 * The body is f32-gemm-broadcast.c's, written once against the SIMD shim for this
 * kernel and the AVX2 one (the shim's zmm vectors: column tails by AVX-512 masks;
 * the epilogue; row tails on repeated A rows). When at most 6 rows are left (197
 * tokens = 16 x 12 + 5) a 6 x 32 instance of the same body takes them, a 4 x 32
 * one the implicit conv's last 4 or 8 output channels, and a 12 x 16 one a last
 * panel of at most 16 columns (stft_mel's 101 frames = 3 x 32 + 5). A
 * micro-panels are packed with 4x4 SSE transposes (f32-gemm-pack-sse.c).
 *
 * Entry points (M, N, K: sizes; kc, nc: K and N block sizes, 0 = whole):
 *   vitc_f32_gemm_12x32_avx512     C (M,N) = epilogue(A (M,K) @ Wp), Wp packed weights
 *   vitc_f32_matmul_12x32_avx512   batched MatMul of activations (B packed at run time)
 *   vitc_f32_conv2d_12x32_avx512   Conv as im2col-into-panels + GEMM, with an epilogue
 * Build with -mavx512f -mfma (the avx512 target's flags). */
#ifndef VITC_F32_GEMM_12X32_AVX512_C
#define VITC_F32_GEMM_12X32_AVX512_C

#include "../prelude.h"
#include "../simd/shim.h"
#include "f32-gemm-driver.c"
#include "f32-gemm-broadcast.c"
#include "f32-gemm-pack-sse.c"

/* The 12-row microkernel and the 6-row one for the last rows of A:
 * f32-gemm-broadcast.c's body for these tiles. */
VITC_KERNEL void vitc__f32_gemm_ukernel_12x32_avx512(int mr, int nr, int kc, const float *VITC_RESTRICT ap,
                                                     const float *VITC_RESTRICT w, ptrdiff_t ldb, float *c, ptrdiff_t ldc,
                                                     const vitc_f32_gemm_tile_epilogue *e, int flags)
{
    vitc__f32_gemm_ukernel_broadcast_avx512(12, 32, mr, nr, kc, ap, w, ldb, c, ldc, e, flags);
}

VITC_KERNEL void vitc__f32_gemm_ukernel_6x32_avx512(int mr, int nr, int kc, const float *VITC_RESTRICT ap,
                                                    const float *VITC_RESTRICT w, ptrdiff_t ldb, float *c, ptrdiff_t ldc,
                                                    const vitc_f32_gemm_tile_epilogue *e, int flags)
{
    vitc__f32_gemm_ukernel_broadcast_avx512(6, 32, mr, nr, kc, ap, w, ldb, c, ldc, e, flags);
}

/* The 4-row one for the implicit conv's 4 or 8 output channels left (16 = 12 + 4,
 * 8 = 4 + 4: vitc__f32_gemm_rows_kernel). */
VITC_KERNEL void vitc__f32_gemm_ukernel_4x32_avx512(int mr, int nr, int kc, const float *VITC_RESTRICT ap,
                                                    const float *VITC_RESTRICT w, ptrdiff_t ldb, float *c, ptrdiff_t ldc,
                                                    const vitc_f32_gemm_tile_epilogue *e, int flags)
{
    vitc__f32_gemm_ukernel_broadcast_avx512(4, 32, mr, nr, kc, ap, w, ldb, c, ldc, e, flags);
}

/* The 12 x 16 one for a last panel of at most 16 columns (vitc_f32_gemm_tile.uk_half). */
VITC_KERNEL void vitc__f32_gemm_ukernel_12x16_avx512(int mr, int nr, int kc, const float *VITC_RESTRICT ap,
                                                     const float *VITC_RESTRICT w, ptrdiff_t ldb, float *c, ptrdiff_t ldc,
                                                     const vitc_f32_gemm_tile_epilogue *e, int flags)
{
    vitc__f32_gemm_ukernel_broadcast_avx512(12, 16, mr, nr, kc, ap, w, ldb, c, ldc, e, flags);
}

/* Their A micro-panel packers (f32-gemm-pack-sse.c). */
VITC_KERNEL void vitc__f32_gemm_pack_a_12_avx512(int mr, int kc, const float *VITC_RESTRICT A, ptrdiff_t a_rs,
                                                 ptrdiff_t a_cs, float *VITC_RESTRICT ap)
{
    vitc__f32_gemm_pack_a_sse(12, mr, kc, A, a_rs, a_cs, ap);
}

VITC_KERNEL void vitc__f32_gemm_pack_a_6_avx512(int mr, int kc, const float *VITC_RESTRICT A, ptrdiff_t a_rs,
                                                ptrdiff_t a_cs, float *VITC_RESTRICT ap)
{
    vitc__f32_gemm_pack_a_sse(6, mr, kc, A, a_rs, a_cs, ap);
}

VITC_KERNEL void vitc__f32_gemm_pack_a_4_avx512(int mr, int kc, const float *VITC_RESTRICT A, ptrdiff_t a_rs,
                                                ptrdiff_t a_cs, float *VITC_RESTRICT ap)
{
    vitc__f32_gemm_pack_a_sse(4, mr, kc, A, a_rs, a_cs, ap);
}

/* The tile the entry points below run on. */
#define VITC__G512_TILE(t) \
    const vitc_f32_gemm_tile t = {12, 32, vitc__f32_gemm_ukernel_12x32_avx512, vitc__f32_gemm_pack_a_12_avx512, \
                                   6, vitc__f32_gemm_ukernel_6x32_avx512, vitc__f32_gemm_pack_a_6_avx512, \
                                   4, vitc__f32_gemm_ukernel_4x32_avx512, vitc__f32_gemm_pack_a_4_avx512, \
                                   vitc__f32_gemm_ukernel_12x16_avx512}

/* C (M,N) rows ldc apart = epilogue(A (M,K) rows lda apart @ B), B packed for
 * NR = 32 (f32-gemm-driver.c); ep: the epilogue (f32-gemm-epilogue.c) or NULL.
 * scratch: 12 * min(kc, K) floats (kc = 0: K). */
VITC_KERNEL void vitc_f32_gemm_12x32_avx512(int M, int N, int K, const float *A, int lda, const float *Wp, float *C,
                                            int ldc, const vitc_f32_gemm_epilogue *ep, int kc, int nc,
                                            float *scratch)
{
    VITC__G512_TILE(tile);
    vitc__f32_gemm_drive(&tile, M, N, K, A, lda, 1, Wp, 0, C, ldc, ep, 0, kc, nc, scratch, NULL);
}

/* Batched MatMul of activations (vitc__f32_matmul_drive); scratch:
 * VITC_F32_MATMUL_SCRATCH(12, 32, K, N, kc) floats. */
VITC_KERNEL void vitc_f32_matmul_12x32_avx512(int M, int N, int K, int batch_rank, const int *batch_dims,
                                              const ptrdiff_t *a_batch_strides, const ptrdiff_t *b_batch_strides,
                                              const float *A, const float *B, ptrdiff_t b_rs, ptrdiff_t b_cs,
                                              float *C, int kc, int nc, float *scratch)
{
    VITC__G512_TILE(tile);
    vitc__f32_matmul_drive(&tile, M, N, K, batch_rank, batch_dims, a_batch_strides, b_batch_strides, A, B, b_rs, b_cs,
                           C, kc, nc, scratch);
}

/* ONNX Conv as GEMM with an epilogue (vitc__f32_conv2d_drive); scratch:
 * VITC_F32_CONV2D_SCRATCH(12, 32, (C_in/group)*KH*KW, OH*OW, kc, pointwise, padded)
 * floats (vitc__f32_conv2d_drive says what pointwise and padded are). */
VITC_KERNEL void vitc_f32_conv2d_12x32_avx512(int N, int C_in, int H, int W, int C_out, int OH, int OW, int KH,
                                              int KW, int stride_h, int stride_w, int dil_h, int dil_w, int pad_t,
                                              int pad_l, int group, const float *X, const float *Wt,
                                              const float *bias, float *Y, const vitc_f32_gemm_epilogue *ep, int kc,
                                              int nc, float *scratch)
{
    VITC__G512_TILE(tile);
    vitc__f32_conv2d_drive(&tile, N, C_in, H, W, C_out, OH, OW, KH, KW, stride_h, stride_w, dil_h, dil_w, pad_t,
                           pad_l, group, X, Wt, bias, Y, ep, kc, nc, scratch);
}

#endif /* VITC_F32_GEMM_12X32_AVX512_C */
