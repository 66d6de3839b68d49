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
 * Column tails (nr < 32) use AVX-512 masks for the bias and residual loads and the
 * C loads and stores; the packed B panel is zero-padded, so the FMAs need none.
 * Row tails (mr < 12) compute on repeated A rows and store to clamped pointers;
 * when at most 6 rows are left (197 tokens = 16 x 12 + 5) a 6 x 32 variant of the
 * same kernel takes them. A micro-panels are packed with 4x4 SSE transposes.
 *
 * Epilogue (f32-gemm-epilogue.c; bias and row bias when the accumulators start,
 * the rest after the last K block): the activation by the shim's act_<NAME>
 * (templates/simd/fastmath.h, written once for every ISA: the epilogue's list of
 * activations expands into this kernel's switch), then the gate (a product by G or
 * sigmoid(G), the same sigmoid) and the
 * residual as one FMA, res_scale * R + acc.
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

#define VITC__G512_ROWS(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11)
#define VITC__G512_ROWS_DESC(X) X(11) X(10) X(9) X(8) X(7) X(6) X(5) X(4) X(3) X(2) X(1) X(0)

#define VITC__G512_DECL(r) __m512 c##r##a = zero, c##r##b = zero;
#define VITC__G512_INIT(r) if (MR > r) { c##r##a = i0; c##r##b = i1; }
#define VITC__G512_LOADC(r) if (MR > r) { c##r##a = _mm512_maskz_loadu_ps(m0, cr[r]); c##r##b = _mm512_maskz_loadu_ps(m1, cr[r] + 16); }
#define VITC__G512_FMA(r) if (MR > r) { const __m512 av = _mm512_set1_ps(ap[r]); \
        c##r##a = _mm512_fmadd_ps(av, b0, c##r##a); c##r##b = _mm512_fmadd_ps(av, b1, c##r##b); }
#define VITC__G512_APPLY(r, F) if (MR > r) { c##r##a = F(c##r##a); c##r##b = F(c##r##b); }
/* case VITC_GEMM_ACT_<NAME>: every row through the shim's act_<NAME> (fastmath.h) */
#define VITC__G512_ACT_ROW(r, F) if (MR > r) { c##r##a = F(c##r##a, pa, pb); c##r##b = F(c##r##b, pa, pb); }
#define VITC__G512_ACT_CASE(name, code, what) case VITC_GEMM_ACT_##name: \
        VITC__G512_ROWS_F(VITC__G512_ACT_ROW, VITC_SIMD_FN(act_##name)) break;
#define VITC__G512_ROWS_F(X, F) X(0, F) X(1, F) X(2, F) X(3, F) X(4, F) X(5, F) X(6, F) X(7, F) X(8, F) X(9, F) X(10, F) X(11, F)
#define VITC__G512_ROWBIAS(r) if (MR > r) { const __m512 rb = _mm512_set1_ps(e->row_bias[r < mr ? r : mr - 1]); \
        c##r##a = _mm512_add_ps(c##r##a, rb); c##r##b = _mm512_add_ps(c##r##b, rb); }
#define VITC__G512_GATE(r) if (MR > r) { \
        __m512 x = _mm512_maskz_loadu_ps(m0, gr[r]), y = _mm512_maskz_loadu_ps(m1, gr[r] + 16); \
        if (sig) { x = vitc_avx512_act_SIGMOID(x, zero, zero); y = vitc_avx512_act_SIGMOID(y, zero, zero); } \
        c##r##a = _mm512_mul_ps(c##r##a, x); c##r##b = _mm512_mul_ps(c##r##b, y); }
#define VITC__G512_RES(r) if (MR > r) { c##r##a = _mm512_fmadd_ps(rs, _mm512_maskz_loadu_ps(m0, rr[r]), c##r##a); \
        c##r##b = _mm512_fmadd_ps(rs, _mm512_maskz_loadu_ps(m1, rr[r] + 16), c##r##b); }
#define VITC__G512_STORE(r) if (MR > r) { _mm512_mask_storeu_ps(cr[r], m0, c##r##a); _mm512_mask_storeu_ps(cr[r] + 16, m1, c##r##b); }

#if defined(__GNUC__) || defined(__clang__)
#define VITC__G512_INLINE static inline __attribute__((always_inline))
#else
#define VITC__G512_INLINE static inline
#endif

/* The microkernel body for MR <= 12 rows (a literal, so that the unused rows'
 * code and accumulators vanish): see vitc_f32_gemm_ukernel_fn in f32-gemm-driver.c. */
VITC__G512_INLINE void vitc__f32_gemm_ukernel_avx512(const int MR, int mr, int nr, int kc,
                                                     const float *VITC_RESTRICT ap, const float *VITC_RESTRICT w,
                                                     ptrdiff_t ldb, float *c, ptrdiff_t ldc, const vitc_f32_gemm_tile_epilogue *e,
                                                     int flags)
{
    const __mmask16 m0 = (__mmask16)(nr >= 16 ? 0xFFFFu : (1u << nr) - 1u);
    const __mmask16 m1 = (__mmask16)(nr >= 32 ? 0xFFFFu : nr > 16 ? (1u << (nr - 16)) - 1u : 0u);
    const __m512 zero = _mm512_setzero_ps();
    float *cr[12];
    int r, k;
    VITC__G512_ROWS(VITC__G512_DECL)

    for (r = 0; r < MR; r++) cr[r] = c + (ptrdiff_t)(r < mr ? r : mr - 1) * ldc;
    if (flags & VITC_GEMM_ACCUMULATE) {
        VITC__G512_ROWS(VITC__G512_LOADC)
    } else {
        const __m512 i0 = e && e->bias ? _mm512_maskz_loadu_ps(m0, e->bias) : zero;
        const __m512 i1 = e && e->bias ? _mm512_maskz_loadu_ps(m1, e->bias + 16) : zero;
        VITC__G512_ROWS(VITC__G512_INIT)
        if (e && e->row_bias) {
            VITC__G512_ROWS(VITC__G512_ROWBIAS)
        }
    }
    if (flags & VITC_GEMM_INDIRECT_B) { /* B row k at w + e->b_off[k] (the implicit-GEMM conv) */
        const ptrdiff_t *bo = e->b_off;
        for (k = 0; k < kc; k++) {
            const __m512 b0 = _mm512_loadu_ps(w + bo[k]), b1 = _mm512_loadu_ps(w + bo[k] + 16);
            VITC__G512_ROWS(VITC__G512_FMA)
            ap += MR;
        }
    } else {
        for (k = 0; k < kc; k++) {
            const __m512 b0 = _mm512_loadu_ps(w), b1 = _mm512_loadu_ps(w + 16);
            VITC__G512_ROWS(VITC__G512_FMA)
            ap += MR;
            w += ldb;
        }
    }
    if (flags & VITC_GEMM_FINAL) {
        const __m512 pa = e ? _mm512_set1_ps(e->act_alpha) : zero, pb = e ? _mm512_set1_ps(e->act_beta) : zero; /* the activation's parameters */
        switch (flags >> VITC_GEMM_ACT_SHIFT) {
        VITC_GEMM_ACTIVATIONS(VITC__G512_ACT_CASE)
        default: break;
        }
        if (e && e->gate) {
            const int sig = e->gate_mode == VITC_GEMM_GATE_MUL_SIGMOID;
            const float *gr[12];
            for (r = 0; r < MR; r++) gr[r] = e->gate + (ptrdiff_t)(r < mr ? r : mr - 1) * e->ldg;
            VITC__G512_ROWS(VITC__G512_GATE)
        }
        if (e && e->res) {
            const __m512 rs = _mm512_set1_ps(e->res_scale);
            const float *rr[12];
            for (r = 0; r < MR; r++) rr[r] = e->res + (ptrdiff_t)(r < mr ? r : mr - 1) * e->ldr;
            VITC__G512_ROWS(VITC__G512_RES)
        }
    }
    VITC__G512_ROWS_DESC(VITC__G512_STORE)
}

/* The 12-row microkernel and the 6-row one for the last rows of A. */
VITC_KERNEL void vitc__f32_gemm_ukernel_12x32_avx512(int mr, int nr, int kc, const float *VITC_RESTRICT ap,
                                                     const float *VITC_RESTRICT w, ptrdiff_t ldb, float *c, ptrdiff_t ldc,
                                                     const vitc_f32_gemm_tile_epilogue *e, int flags)
{
    vitc__f32_gemm_ukernel_avx512(12, mr, nr, kc, ap, w, ldb, c, ldc, e, flags);
}

VITC_KERNEL void vitc__f32_gemm_ukernel_6x32_avx512(int mr, int nr, int kc, const float *VITC_RESTRICT ap,
                                                    const float *VITC_RESTRICT w, ptrdiff_t ldb, float *c, ptrdiff_t ldc,
                                                    const vitc_f32_gemm_tile_epilogue *e, int flags)
{
    vitc__f32_gemm_ukernel_avx512(6, mr, nr, kc, ap, w, ldb, c, ldc, e, flags);
}

/* ap[k*MR + r] = rows[r][k] for the 4 rows r0..r0+3, k in [0, kc): 4x4 transposes
 * (4 loads, 8 shuffles, 4 stores per 16 floats instead of 16 loads and stores). */
static inline VITC_UNUSED void vitc__f32_gemm_pack_a4_avx512(const float *const *rows, int r0, int MR, int kc,
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
VITC_KERNEL void vitc__f32_gemm_pack_a_12_avx512(int mr, int kc, const float *VITC_RESTRICT A, ptrdiff_t a_rs,
                                              ptrdiff_t a_cs, float *VITC_RESTRICT ap)
{
    if (a_cs == 1) {
        const float *rows[12];
        int r;
        for (r = 0; r < 12; r++) rows[r] = A + (ptrdiff_t)(r < mr ? r : mr - 1) * a_rs;
        vitc__f32_gemm_pack_a4_avx512(rows, 0, 12, kc, ap);
        vitc__f32_gemm_pack_a4_avx512(rows, 4, 12, kc, ap);
        vitc__f32_gemm_pack_a4_avx512(rows, 8, 12, kc, ap);
    } else {
        vitc__f32_gemm_pack_a(12, mr, kc, A, a_rs, a_cs, ap);
    }
}

VITC_KERNEL void vitc__f32_gemm_pack_a_6_avx512(int mr, int kc, const float *VITC_RESTRICT A, ptrdiff_t a_rs,
                                              ptrdiff_t a_cs, float *VITC_RESTRICT ap)
{
    if (a_cs == 1) {
        const float *rows[6];
        int r;
        for (r = 0; r < 6; r++) rows[r] = A + (ptrdiff_t)(r < mr ? r : mr - 1) * a_rs;
        vitc__f32_gemm_pack_a4_avx512(rows, 0, 6, kc, ap);
        vitc__f32_gemm_pack_a4_avx512(rows, 2, 6, kc, ap);
    } else {
        vitc__f32_gemm_pack_a(6, mr, kc, A, a_rs, a_cs, ap);
    }
}

/* The tile the entry points below run on. */
#define VITC__G512_TILE(t) \
    const vitc_f32_gemm_tile t = {12, 32, vitc__f32_gemm_ukernel_12x32_avx512, vitc__f32_gemm_pack_a_12_avx512, \
                                   6, vitc__f32_gemm_ukernel_6x32_avx512, vitc__f32_gemm_pack_a_6_avx512}

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
