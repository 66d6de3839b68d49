/* templates/gemm/f32-gemm-scalar.c: dense matrix products, portable scalar C.
 *
 * Every matrix here is row-major with an explicit leading dimension (the
 * distance in floats between two consecutive rows), so a kernel can work on a
 * sub-block of a bigger buffer. The weight operand B is (K,N) row-major: the
 * compiler transposes an ONNX Gemm's transB=1 weight to this layout when it
 * packs constants, so the hot loop always reads B along a row.
 *
 * How the hot loop is built. The product is cut into 4x8 tiles of C whose 32
 * partial sums live in named local variables for the whole K loop; each step
 * of the K loop reads one row of 8 floats of B and 4 floats of A and does 32
 * multiply-adds. Compilers turn the 8-wide groups into SIMD registers (SLP
 * vectorization) at -O2 and -O3; the same code written with an acc[4][8] array
 * or as a plain i-k-j loop is 3x slower under one of those two levels with
 * gcc 12, which is why the accumulators are spelled out (as XNNPACK's scalar
 * kernels do). The 4 rows of A that feed a tile are first copied, interleaved,
 * into a 4 KiB stack panel so that the 4 loads per step are contiguous. K is
 * cut in blocks of 256 and N in blocks of 256, so a (256,256) block of B
 * (256 KiB) stays in L2 while every 4-row panel of A sweeps it.
 *
 * vitc.Gemm's epilogue (activation, gate, residual) is applied after the product
 * by vitc_f32_gemm_epilogue_scalar (f32-gemm-epilogue.c, included below).
 *
 * Rows and columns that do not fill a tile take simple loops. Sums are in
 * float, in order of increasing k within a block, like a BLAS sgemm.
 *
 * Nothing here allocates; the only memory besides the arguments is the 4 KiB
 * A panel on the stack. C must not overlap A or B.
 *
 * Private helpers are spelled vitc__* and are not part of the contract. */
#ifndef VITC_F32_GEMM_SCALAR_C
#define VITC_F32_GEMM_SCALAR_C

#include "../prelude.h"
#include "f32-gemm-epilogue.c"

enum {
    VITC__GEMM_SCALAR_MR = 4,   /* rows of C per tile */
    VITC__GEMM_SCALAR_NR = 8,   /* columns of C per tile */
    VITC__GEMM_SCALAR_KC = 256, /* depth of one K block */
    VITC__GEMM_SCALAR_NC = 256  /* width of one N block */
};

/* C (M,N) += A' (M,K) @ B (K,N), where A'[i][k] = A[i*a_rs + k*a_cs].
 * a_cs == 1 is a row-major A with lda = a_rs; a_rs == 1, a_cs == M is A stored
 * transposed (K,M). B rows are ldb apart, C rows ldc apart. */
VITC_KERNEL void vitc__f32_gemm_core_scalar(int M, int N, int K,
                                            const float *VITC_RESTRICT A, ptrdiff_t a_rs, ptrdiff_t a_cs,
                                            const float *VITC_RESTRICT B, int ldb,
                                            float *VITC_RESTRICT C, int ldc)
{
    float ap[VITC__GEMM_SCALAR_KC * VITC__GEMM_SCALAR_MR]; /* (kc, 4) interleaved A panel */
    int k0, n0, i0, j0, k, r, j;

    for (k0 = 0; k0 < K; k0 += VITC__GEMM_SCALAR_KC) {
        const int kc = K - k0 < VITC__GEMM_SCALAR_KC ? K - k0 : VITC__GEMM_SCALAR_KC;
        for (n0 = 0; n0 < N; n0 += VITC__GEMM_SCALAR_NC) {
            const int nc = N - n0 < VITC__GEMM_SCALAR_NC ? N - n0 : VITC__GEMM_SCALAR_NC;
            const int n_full = n0 + (nc / VITC__GEMM_SCALAR_NR) * VITC__GEMM_SCALAR_NR;
            for (i0 = 0; i0 < M; i0 += VITC__GEMM_SCALAR_MR) {
                const int mr = M - i0 < VITC__GEMM_SCALAR_MR ? M - i0 : VITC__GEMM_SCALAR_MR;
                const float *a_blk = A + (ptrdiff_t)i0 * a_rs + (ptrdiff_t)k0 * a_cs;

                if (mr == VITC__GEMM_SCALAR_MR) {
                    /* ap[k*4 + r] = A'[i0+r][k0+k] */
                    for (k = 0; k < kc; k++)
                        for (r = 0; r < VITC__GEMM_SCALAR_MR; r++)
                            ap[k * VITC__GEMM_SCALAR_MR + r] = a_blk[(ptrdiff_t)r * a_rs + (ptrdiff_t)k * a_cs];

                    /* full 4x8 tiles */
                    for (j0 = n0; j0 < n_full; j0 += VITC__GEMM_SCALAR_NR) {
                        float *VITC_RESTRICT c0 = C + (ptrdiff_t)i0 * ldc + j0;
                        float *VITC_RESTRICT c1 = c0 + ldc;
                        float *VITC_RESTRICT c2 = c1 + ldc;
                        float *VITC_RESTRICT c3 = c2 + ldc;
                        const float *VITC_RESTRICT a = ap;
                        const float *VITC_RESTRICT b = B + (ptrdiff_t)k0 * ldb + j0;
                        float v00 = c0[0], v01 = c0[1], v02 = c0[2], v03 = c0[3], v04 = c0[4], v05 = c0[5], v06 = c0[6], v07 = c0[7];
                        float v10 = c1[0], v11 = c1[1], v12 = c1[2], v13 = c1[3], v14 = c1[4], v15 = c1[5], v16 = c1[6], v17 = c1[7];
                        float v20 = c2[0], v21 = c2[1], v22 = c2[2], v23 = c2[3], v24 = c2[4], v25 = c2[5], v26 = c2[6], v27 = c2[7];
                        float v30 = c3[0], v31 = c3[1], v32 = c3[2], v33 = c3[3], v34 = c3[4], v35 = c3[5], v36 = c3[6], v37 = c3[7];
                        for (k = 0; k < kc; k++) {
                            const float a0 = a[0], a1 = a[1], a2 = a[2], a3 = a[3];
                            const float b0 = b[0], b1 = b[1], b2 = b[2], b3 = b[3], b4 = b[4], b5 = b[5], b6 = b[6], b7 = b[7];
                            v00 += a0 * b0; v01 += a0 * b1; v02 += a0 * b2; v03 += a0 * b3; v04 += a0 * b4; v05 += a0 * b5; v06 += a0 * b6; v07 += a0 * b7;
                            v10 += a1 * b0; v11 += a1 * b1; v12 += a1 * b2; v13 += a1 * b3; v14 += a1 * b4; v15 += a1 * b5; v16 += a1 * b6; v17 += a1 * b7;
                            v20 += a2 * b0; v21 += a2 * b1; v22 += a2 * b2; v23 += a2 * b3; v24 += a2 * b4; v25 += a2 * b5; v26 += a2 * b6; v27 += a2 * b7;
                            v30 += a3 * b0; v31 += a3 * b1; v32 += a3 * b2; v33 += a3 * b3; v34 += a3 * b4; v35 += a3 * b5; v36 += a3 * b6; v37 += a3 * b7;
                            a += VITC__GEMM_SCALAR_MR;
                            b += ldb;
                        }
                        c0[0] = v00; c0[1] = v01; c0[2] = v02; c0[3] = v03; c0[4] = v04; c0[5] = v05; c0[6] = v06; c0[7] = v07;
                        c1[0] = v10; c1[1] = v11; c1[2] = v12; c1[3] = v13; c1[4] = v14; c1[5] = v15; c1[6] = v16; c1[7] = v17;
                        c2[0] = v20; c2[1] = v21; c2[2] = v22; c2[3] = v23; c2[4] = v24; c2[5] = v25; c2[6] = v26; c2[7] = v27;
                        c3[0] = v30; c3[1] = v31; c3[2] = v32; c3[3] = v33; c3[4] = v34; c3[5] = v35; c3[6] = v36; c3[7] = v37;
                    }
                } else {
                    /* 1-3 leftover rows: 1x8 tiles, one row at a time */
                    for (r = 0; r < mr; r++) {
                        const float *ar = a_blk + (ptrdiff_t)r * a_rs;
                        for (j0 = n0; j0 < n_full; j0 += VITC__GEMM_SCALAR_NR) {
                            float *VITC_RESTRICT c0 = C + (ptrdiff_t)(i0 + r) * ldc + j0;
                            const float *VITC_RESTRICT b = B + (ptrdiff_t)k0 * ldb + j0;
                            float v00 = c0[0], v01 = c0[1], v02 = c0[2], v03 = c0[3], v04 = c0[4], v05 = c0[5], v06 = c0[6], v07 = c0[7];
                            for (k = 0; k < kc; k++) {
                                const float a0 = ar[(ptrdiff_t)k * a_cs];
                                v00 += a0 * b[0]; v01 += a0 * b[1]; v02 += a0 * b[2]; v03 += a0 * b[3];
                                v04 += a0 * b[4]; v05 += a0 * b[5]; v06 += a0 * b[6]; v07 += a0 * b[7];
                                b += ldb;
                            }
                            c0[0] = v00; c0[1] = v01; c0[2] = v02; c0[3] = v03; c0[4] = v04; c0[5] = v05; c0[6] = v06; c0[7] = v07;
                        }
                    }
                }

                /* 1-7 leftover columns of this N block, all mr rows */
                if (n_full < n0 + nc) {
                    const int nr = n0 + nc - n_full;
                    for (r = 0; r < mr; r++) {
                        const float *ar = a_blk + (ptrdiff_t)r * a_rs;
                        float *VITC_RESTRICT cr = C + (ptrdiff_t)(i0 + r) * ldc + n_full;
                        for (k = 0; k < kc; k++) {
                            const float a0 = ar[(ptrdiff_t)k * a_cs];
                            const float *VITC_RESTRICT b = B + (ptrdiff_t)(k0 + k) * ldb + n_full;
                            for (j = 0; j < nr; j++)
                                cr[j] += a0 * b[j];
                        }
                    }
                }
            }
        }
    }
}

/* C (M,N) += A (M,K) @ B (K,N)
 * A rows lda apart, B rows ldb apart, C rows ldc apart (all row-major).
 * C must not overlap A or B. K == 0 leaves C unchanged.
 * Used by the compiler to fuse a residual add (C already holds the residual)
 * and by the conv kernel (C already holds the bias). */
VITC_KERNEL void vitc_f32_gemm_acc_scalar(int M, int N, int K,
                                          const float *VITC_RESTRICT A, int lda,
                                          const float *VITC_RESTRICT B, int ldb,
                                          float *VITC_RESTRICT C, int ldc)
{
    vitc__f32_gemm_core_scalar(M, N, K, A, lda, 1, B, ldb, C, ldc);
}

/* C (M,N) = A (M,K) @ B (K,N) + bias (N,) broadcast over rows
 * bias may be NULL (no bias). Leading dimensions as in vitc_f32_gemm_acc_scalar.
 * This is ONNX Gemm with alpha=beta=1, transA=0, a 1-D C of length N and a
 * constant B that the compiler packed to (K,N) (transposed if transB=1), and
 * ONNX MatMul + Add(bias) once fused. C must not overlap A or B. */
VITC_KERNEL void vitc_f32_gemm_scalar(int M, int N, int K,
                                      const float *VITC_RESTRICT A, int lda,
                                      const float *VITC_RESTRICT B, int ldb,
                                      const float *VITC_RESTRICT bias,
                                      float *VITC_RESTRICT C, int ldc)
{
    int i, j;
    for (i = 0; i < M; i++) {
        float *VITC_RESTRICT ci = C + (ptrdiff_t)i * ldc;
        if (bias)
            for (j = 0; j < N; j++) ci[j] = bias[j];
        else
            for (j = 0; j < N; j++) ci[j] = 0.0f;
    }
    vitc__f32_gemm_core_scalar(M, N, K, A, lda, 1, B, ldb, C, ldc);
}

/* ONNX MatMul with numpy broadcasting over the batch dimensions:
 *   C [batch..., M, N] = A [batch..., M, K] @ B [batch..., K, N]
 * batch_dims (batch_rank,) are the batch dims of the *output* (batch_rank may
 * be 0; batch_dims may then be NULL). Each matrix of A, B and C is contiguous
 * (row-major, lda = K, ldb = N, ldc = N) and C is contiguous over the batch.
 * a_batch_strides / b_batch_strides (batch_rank,) give, per output batch dim,
 * the distance in floats between consecutive matrices of A / B along that dim,
 * 0 where the operand is broadcast (its dim is 1 or missing). For a contiguous
 * operand with batch dims e[0..r) right-aligned to the output's, the stride of
 * output dim d is 0 if the operand lacks d or e[d] == 1, else
 * prod(e[d+1..r)) * (rows*cols of one matrix).
 * ONNX's 1-D operands are handled by the compiler: a 1-D A is (1,K) (M = 1)
 * and a 1-D B is (K,1) (N = 1); the removed dims do not change memory layout.
 * When B is shared by all batches and A is contiguous over them, the batches
 * are folded into one tall product (one call to the core, better tiles). */
VITC_KERNEL void vitc_f32_matmul_scalar(int M, int N, int K, int batch_rank, const int *batch_dims,
                                        const ptrdiff_t *a_batch_strides, const ptrdiff_t *b_batch_strides,
                                        const float *VITC_RESTRICT A, const float *VITC_RESTRICT B,
                                        float *VITC_RESTRICT C)
{
    int idx[VITC_MAX_RANK];
    ptrdiff_t nbatch = 1, expect = (ptrdiff_t)M * K, b, cstep = (ptrdiff_t)M * N;
    int d, fold = 1;

    for (d = batch_rank - 1; d >= 0; d--) {
        if (b_batch_strides[d] != 0 && batch_dims[d] != 1) fold = 0;
        if (a_batch_strides[d] != expect && batch_dims[d] != 1) fold = 0;
        expect *= batch_dims[d];
        nbatch *= batch_dims[d];
    }
    if (nbatch == 0) return;
    if (fold) {
        vitc_f32_gemm_scalar((int)(nbatch * M), N, K, A, K, B, N, NULL, C, N);
        return;
    }
    for (d = 0; d < batch_rank; d++) idx[d] = 0;
    for (b = 0; b < nbatch; b++) {
        ptrdiff_t ao = 0, bo = 0;
        for (d = 0; d < batch_rank; d++) {
            ao += idx[d] * a_batch_strides[d];
            bo += idx[d] * b_batch_strides[d];
        }
        vitc_f32_gemm_scalar(M, N, K, A + ao, K, B + bo, N, NULL, C + b * cstep, N);
        for (d = batch_rank - 1; d >= 0; d--) { /* odometer over the batch index */
            if (++idx[d] < batch_dims[d]) break;
            idx[d] = 0;
        }
    }
}

/* ONNX Gemm in full, for operands the compiler could not pack:
 *   Y (M,N) = alpha * A' (M,K) @ B' (K,N) + beta * C'
 *   A' = transA ? A^T : A,  A stored contiguous as (M,K), or (K,M) if transA
 *   B' = transB ? B^T : B,  B stored contiguous as (K,N), or (N,K) if transB
 *   C'[i][j] = Cin[i*c_rs + j*c_cs]: Cin broadcast to (M,N) by strides, e.g.
 *     scalar: c_rs = c_cs = 0;  (N,) or (1,N): c_rs = 0, c_cs = 1;
 *     (M,1): c_rs = 1, c_cs = 0;  (M,N): c_rs = N, c_cs = 1.
 *   Cin == NULL or beta == 0 means no C term (Cin is then not read).
 * Y is contiguous (M,N) and must not overlap A, B or Cin.
 * transB=1 uses dot products along rows of B (slower: meant for activations,
 * constant weights should be packed and sent to vitc_f32_gemm_scalar). */
VITC_KERNEL void vitc_f32_gemm_general_scalar(int transA, int transB, int M, int N, int K,
                                              float alpha, const float *VITC_RESTRICT A,
                                              const float *VITC_RESTRICT B, float beta,
                                              const float *VITC_RESTRICT Cin, ptrdiff_t c_rs, ptrdiff_t c_cs,
                                              float *VITC_RESTRICT Y)
{
    const ptrdiff_t a_rs = transA ? 1 : K, a_cs = transA ? M : 1;
    int i, j, k;

    for (i = 0; i < M; i++)
        for (j = 0; j < N; j++) Y[(ptrdiff_t)i * N + j] = 0.0f;

    if (!transB) {
        vitc__f32_gemm_core_scalar(M, N, K, A, a_rs, a_cs, B, N, Y, N);
    } else {
        for (i = 0; i < M; i++) {
            for (j = 0; j < N; j++) {
                const float *VITC_RESTRICT bj = B + (ptrdiff_t)j * K;
                float s = 0.0f;
                for (k = 0; k < K; k++)
                    s += A[(ptrdiff_t)i * a_rs + (ptrdiff_t)k * a_cs] * bj[k];
                Y[(ptrdiff_t)i * N + j] = s;
            }
        }
    }

    if (alpha != 1.0f || (Cin && beta != 0.0f)) {
        for (i = 0; i < M; i++) {
            float *VITC_RESTRICT yi = Y + (ptrdiff_t)i * N;
            if (Cin && beta != 0.0f) {
                const float *ci = Cin + (ptrdiff_t)i * c_rs;
                for (j = 0; j < N; j++) yi[j] = alpha * yi[j] + beta * ci[(ptrdiff_t)j * c_cs];
            } else {
                for (j = 0; j < N; j++) yi[j] = alpha * yi[j];
            }
        }
    }
}

#endif /* VITC_F32_GEMM_SCALAR_C */
