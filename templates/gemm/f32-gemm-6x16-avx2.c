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
 * Column tails (nr < 16) use vmaskmovps for the bias, residual and C accesses
 * (no access to masked-off lanes); the packed B panel is zero-padded, so the
 * FMAs need none. Row tails (mr < 6) compute on repeated A rows and store to
 * clamped pointers. 197 tokens = 32 x 6 + 5, so no shorter tail kernel. A
 * micro-panels are packed with 4x4 SSE transposes.
 *
 * Epilogue (f32-gemm-epilogue.c; bias and row bias when the accumulators start,
 * the rest after the last K block): the activation by the shim's act_<NAME>
 * (templates/simd/fastmath.h, written once for every ISA: the epilogue's list of
 * activations expands into this kernel's switch), then the gate (a product by G or
 * sigmoid(G), the same sigmoid) and the
 * residual as one FMA, res_scale * R + acc.
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

#define VITC__G256_ROWS(X) X(0) X(1) X(2) X(3) X(4) X(5)
#define VITC__G256_ROWS_DESC(X) X(5) X(4) X(3) X(2) X(1) X(0)

#define VITC__G256_DECL(r) __m256 c##r##a = zero, c##r##b = zero;
#define VITC__G256_INIT(r) if (MR > r) { c##r##a = i0; c##r##b = i1; }
#define VITC__G256_LOADC(r) if (MR > r) { \
        if (full) { c##r##a = _mm256_loadu_ps(cr[r]); c##r##b = _mm256_loadu_ps(cr[r] + 8); } \
        else { c##r##a = _mm256_maskload_ps(cr[r], m0); c##r##b = _mm256_maskload_ps(cr[r] + 8, m1); } }
#define VITC__G256_FMA(r) if (MR > r) { const __m256 av = _mm256_broadcast_ss(ap + r); \
        c##r##a = _mm256_fmadd_ps(av, b0, c##r##a); c##r##b = _mm256_fmadd_ps(av, b1, c##r##b); }
/* case VITC_GEMM_ACT_<NAME>: every row through the shim's act_<NAME> (fastmath.h) */
#define VITC__G256_ACT_ROW(r, F) if (MR > r) { c##r##a = F(c##r##a, pa, pb); c##r##b = F(c##r##b, pa, pb); }
#define VITC__G256_ACT_CASE(name, code, what) case VITC_GEMM_ACT_##name: \
        VITC__G256_ROWS_F(VITC__G256_ACT_ROW, VITC_SIMD_FN(act_##name)) break;
#define VITC__G256_ROWS_F(X, F) X(0, F) X(1, F) X(2, F) X(3, F) X(4, F) X(5, F)
#define VITC__G256_LOAD2(p, x, y) \
        if (full) { x = _mm256_loadu_ps(p); y = _mm256_loadu_ps((p) + 8); } \
        else { x = _mm256_maskload_ps(p, m0); y = _mm256_maskload_ps((p) + 8, m1); }
#define VITC__G256_ROWBIAS(r) if (MR > r) { const __m256 rb = _mm256_broadcast_ss(e->row_bias + (r < mr ? r : mr - 1)); \
        c##r##a = _mm256_add_ps(c##r##a, rb); c##r##b = _mm256_add_ps(c##r##b, rb); }
#define VITC__G256_GATE(r) if (MR > r) { __m256 x, y; VITC__G256_LOAD2(gr[r], x, y) \
        if (sig) { x = vitc_avx2_act_SIGMOID(x, zero, zero); y = vitc_avx2_act_SIGMOID(y, zero, zero); } \
        c##r##a = _mm256_mul_ps(c##r##a, x); c##r##b = _mm256_mul_ps(c##r##b, y); }
#define VITC__G256_RES(r) if (MR > r) { __m256 x, y; VITC__G256_LOAD2(rr[r], x, y) \
        c##r##a = _mm256_fmadd_ps(rs, x, c##r##a); c##r##b = _mm256_fmadd_ps(rs, y, c##r##b); }
#define VITC__G256_STORE(r) if (MR > r) { \
        if (full) { _mm256_storeu_ps(cr[r], c##r##a); _mm256_storeu_ps(cr[r] + 8, c##r##b); } \
        else { _mm256_maskstore_ps(cr[r], m0, c##r##a); _mm256_maskstore_ps(cr[r] + 8, m1, c##r##b); } }

#if defined(__GNUC__) || defined(__clang__)
#define VITC__G256_INLINE static inline __attribute__((always_inline))
#else
#define VITC__G256_INLINE static inline
#endif

/* The microkernel body for MR <= 6 rows (a literal, so that the unused rows'
 * code and accumulators vanish): see vitc_f32_gemm_ukernel_fn in f32-gemm-driver.c. */
VITC__G256_INLINE void vitc__f32_gemm_ukernel_avx2(const int MR, int mr, int nr, int kc,
                                                   const float *VITC_RESTRICT ap, const float *VITC_RESTRICT w,
                                                   ptrdiff_t ldb, float *c, ptrdiff_t ldc, const vitc_f32_gemm_tile_epilogue *e,
                                                   int flags)
{
    const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    const __m256i m0 = _mm256_cmpgt_epi32(_mm256_set1_epi32(nr), lane);
    const __m256i m1 = _mm256_cmpgt_epi32(_mm256_set1_epi32(nr - 8), lane);
    const int full = nr == 16;
    const __m256 zero = _mm256_setzero_ps();
    float *cr[6];
    int r, k;
    VITC__G256_ROWS(VITC__G256_DECL)

    for (r = 0; r < MR; r++) cr[r] = c + (ptrdiff_t)(r < mr ? r : mr - 1) * ldc;
    if (flags & VITC_GEMM_ACCUMULATE) {
        VITC__G256_ROWS(VITC__G256_LOADC)
    } else {
        __m256 i0 = zero, i1 = zero;
        if (e && e->bias) {
            VITC__G256_LOAD2(e->bias, i0, i1)
        }
        VITC__G256_ROWS(VITC__G256_INIT)
        if (e && e->row_bias) {
            VITC__G256_ROWS(VITC__G256_ROWBIAS)
        }
    }
    if (flags & VITC_GEMM_INDIRECT_B) { /* B row k at w + e->b_off[k] (the implicit-GEMM conv) */
        const ptrdiff_t *bo = e->b_off;
        for (k = 0; k < kc; k++) {
            const __m256 b0 = _mm256_loadu_ps(w + bo[k]), b1 = _mm256_loadu_ps(w + bo[k] + 8);
            VITC__G256_ROWS(VITC__G256_FMA)
            ap += MR;
        }
    } else {
        for (k = 0; k < kc; k++) {
            const __m256 b0 = _mm256_loadu_ps(w), b1 = _mm256_loadu_ps(w + 8);
            VITC__G256_ROWS(VITC__G256_FMA)
            ap += MR;
            w += ldb;
        }
    }
    if (flags & VITC_GEMM_FINAL) {
        const __m256 pa = e ? _mm256_set1_ps(e->act_alpha) : zero, pb = e ? _mm256_set1_ps(e->act_beta) : zero; /* the activation's parameters */
        switch (flags >> VITC_GEMM_ACT_SHIFT) {
        VITC_GEMM_ACTIVATIONS(VITC__G256_ACT_CASE)
        default: break;
        }
        if (e && e->gate) {
            const int sig = e->gate_mode == VITC_GEMM_GATE_MUL_SIGMOID;
            const float *gr[6];
            for (r = 0; r < MR; r++) gr[r] = e->gate + (ptrdiff_t)(r < mr ? r : mr - 1) * e->ldg;
            VITC__G256_ROWS(VITC__G256_GATE)
        }
        if (e && e->res) {
            const __m256 rs = _mm256_set1_ps(e->res_scale);
            const float *rr[6];
            for (r = 0; r < MR; r++) rr[r] = e->res + (ptrdiff_t)(r < mr ? r : mr - 1) * e->ldr;
            VITC__G256_ROWS(VITC__G256_RES)
        }
    }
    VITC__G256_ROWS_DESC(VITC__G256_STORE)
}

VITC_KERNEL void vitc__f32_gemm_ukernel_6x16_avx2(int mr, int nr, int kc, const float *VITC_RESTRICT ap,
                                                  const float *VITC_RESTRICT w, ptrdiff_t ldb, float *c, ptrdiff_t ldc,
                                                  const vitc_f32_gemm_tile_epilogue *e, int flags)
{
    vitc__f32_gemm_ukernel_avx2(6, mr, nr, kc, ap, w, ldb, c, ldc, e, flags);
}

/* ap[k*MR + r] = rows[r][k] for the 4 rows r0..r0+3, k in [0, kc): 4x4 transposes
 * (4 loads, 8 shuffles, 4 stores per 16 floats instead of 16 loads and stores). */
static inline VITC_UNUSED void vitc__f32_gemm_pack_a4_avx2(const float *const *rows, int r0, int MR, int kc,
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

/* A micro-panel packers for those kernels (see vitc__f32_gemm_pack_a in
 * f32-gemm-driver.c): rows in groups of 4 (MR = 6: rows 0-3 and 2-5). */
VITC_KERNEL void vitc__f32_gemm_pack_a_6_avx2(int mr, int kc, const float *VITC_RESTRICT A, ptrdiff_t a_rs,
                                              ptrdiff_t a_cs, float *VITC_RESTRICT ap)
{
    if (a_cs == 1) {
        const float *rows[6];
        int r;
        for (r = 0; r < 6; r++) rows[r] = A + (ptrdiff_t)(r < mr ? r : mr - 1) * a_rs;
        vitc__f32_gemm_pack_a4_avx2(rows, 0, 6, kc, ap);
        vitc__f32_gemm_pack_a4_avx2(rows, 2, 6, kc, ap);
    } else {
        vitc__f32_gemm_pack_a(6, mr, kc, A, a_rs, a_cs, ap);
    }
}

/* The tile the entry points below run on. */
#define VITC__G256_TILE(t) const vitc_f32_gemm_tile t = {6, 16, vitc__f32_gemm_ukernel_6x16_avx2, vitc__f32_gemm_pack_a_6_avx2, 0, NULL, NULL}

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
