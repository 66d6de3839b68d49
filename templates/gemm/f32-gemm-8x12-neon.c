/* templates/gemm/f32-gemm-8x12-neon.c: the GEMM microkernel for NEON (AArch64 and
 * 32-bit ARM), an 8 x 12 tile of C (24 q-register accumulators), and the entry
 * points bound to it.
 *
 * Per step of k the kernel loads one row of 12 floats of the packed B panel (three
 * q registers) and the 8 values of the packed A micro-panel's row k (two q
 * registers), and does 24 FMAs by lane (vfmaq_laneq_f32): 24 accumulators + 3 B
 * + 2 A = 29 of the 32 vector registers. A 4-row variant takes the last rows of A
 * when at most 4 are left.
 *
 * AArch32 has 16 q registers and no FMA by lane: there each A value is broadcast
 * (vdupq_lane_f32) and fed to vfmaq_f32 (vmlaq_f32 without VFPv4), and the
 * accumulators spill to the stack. Slower, but the same tile, so the weights packed
 * at compile time for NR = 12 serve both architectures and one bundle runs on both. Layouts, blocking and the epilogue contract are in
 * templates/gemm/f32-gemm-driver.c.
 *
 * Column tails (nr < 12) go through the shim's tail loads and stores (NEON has no
 * masked accesses; they never touch memory past the valid columns); the packed B
 * panel is zero-padded, so the FMAs need none. Row tails (mr < MR) compute on
 * repeated A rows and store to clamped pointers.
 *
 * Epilogue (f32-gemm-epilogue.c; bias and row bias when the accumulators start,
 * the rest after the last K block): the activation by the shim's act_<NAME>
 * (templates/simd/fastmath.h, written once for every ISA: the epilogue's list of
 * activations expands into this kernel's switch), then the gate (a product by G or
 * sigmoid(G), the same sigmoid) and the
 * residual as res_scale * R + acc through the shim's FMA (two roundings without
 * VFPv4: exact all the same when res_scale is a power of two).
 *
 * Entry points (M, N, K: sizes; kc, nc: K and N block sizes, 0 = whole):
 *   vitc_f32_gemm_8x12_neon     C (M,N) = epilogue(A (M,K) @ Wp), Wp packed weights
 *   vitc_f32_matmul_8x12_neon   batched MatMul of activations (B packed at run time)
 *   vitc_f32_conv2d_8x12_neon   Conv as im2col-into-panels + GEMM, with an epilogue
 * Division and the FMA outside the inner loop go through the shim (vitc_neon_div,
 * vitc_neon_fma), which knows the AArch32 spellings. */
#ifndef VITC_F32_GEMM_8X12_NEON_C
#define VITC_F32_GEMM_8X12_NEON_C

#include "../prelude.h"
#include "../simd/shim.h"
#include "f32-gemm-driver.c"

#define VITC__G128_ROWS(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7)
#define VITC__G128_ROWS_DESC(X) X(7) X(6) X(5) X(4) X(3) X(2) X(1) X(0)

#define VITC__G128_DECL(r) float32x4_t c##r##a = zero, c##r##b = zero, c##r##c = zero;
#define VITC__G128_INIT(r) if (MR > r) { c##r##a = i0; c##r##b = i1; c##r##c = i2; }
#define VITC__G128_LOAD3(p, x, y, z) \
    if (full) { x = vld1q_f32(p); y = vld1q_f32((p) + 4); z = vld1q_f32((p) + 8); } \
    else { x = vitc_neon_load_tail(p, nr >= 4 ? 4 : nr); y = vitc_neon_load_tail((p) + 4, n1); \
           z = vitc_neon_load_tail((p) + 8, n2); }
#define VITC__G128_LOADC(r) if (MR > r) { VITC__G128_LOAD3(cr[r], c##r##a, c##r##b, c##r##c) }
#if defined(__aarch64__)
#define VITC__G128_FMA(r) if (MR > r) { \
        c##r##a = vfmaq_laneq_f32(c##r##a, b0, (r) < 4 ? a0 : a1, (r) % 4); \
        c##r##b = vfmaq_laneq_f32(c##r##b, b1, (r) < 4 ? a0 : a1, (r) % 4); \
        c##r##c = vfmaq_laneq_f32(c##r##c, b2, (r) < 4 ? a0 : a1, (r) % 4); }
#else
/* lane r % 4 of a0 (rows 0-3) or a1 (rows 4-7), broadcast from its d-register half */
#define VITC__G128_AROW(r) vdupq_lane_f32((r) % 4 < 2 ? vget_low_f32((r) < 4 ? a0 : a1) \
                                                     : vget_high_f32((r) < 4 ? a0 : a1), (r) % 2)
#define VITC__G128_FMA(r) if (MR > r) { const float32x4_t ar = VITC__G128_AROW(r); \
        c##r##a = vitc_neon_fma(b0, ar, c##r##a); \
        c##r##b = vitc_neon_fma(b1, ar, c##r##b); \
        c##r##c = vitc_neon_fma(b2, ar, c##r##c); }
#endif
/* case VITC_GEMM_ACT_<NAME>: every row through the shim's act_<NAME> (fastmath.h) */
#define VITC__G128_ACT_ROW(r, F) if (MR > r) { c##r##a = F(c##r##a, pa, pb); c##r##b = F(c##r##b, pa, pb); \
        c##r##c = F(c##r##c, pa, pb); }
#define VITC__G128_ACT_CASE(name, code, what) case VITC_GEMM_ACT_##name: \
        VITC__G128_ROWS_F(VITC__G128_ACT_ROW, VITC_SIMD_FN(act_##name)) break;
#define VITC__G128_ROWS_F(X, F) X(0, F) X(1, F) X(2, F) X(3, F) X(4, F) X(5, F) X(6, F) X(7, F)
#define VITC__G128_ROWBIAS(r) if (MR > r) { const float32x4_t rb = vdupq_n_f32(e->row_bias[r < mr ? r : mr - 1]); \
        c##r##a = vaddq_f32(c##r##a, rb); c##r##b = vaddq_f32(c##r##b, rb); c##r##c = vaddq_f32(c##r##c, rb); }
#define VITC__G128_GATE(r) if (MR > r) { float32x4_t x, y, z; VITC__G128_LOAD3(gr[r], x, y, z) \
        if (sig) { x = vitc_neon_act_SIGMOID(x, zero, zero); y = vitc_neon_act_SIGMOID(y, zero, zero); z = vitc_neon_act_SIGMOID(z, zero, zero); } \
        c##r##a = vmulq_f32(c##r##a, x); c##r##b = vmulq_f32(c##r##b, y); c##r##c = vmulq_f32(c##r##c, z); }
#define VITC__G128_RES(r) if (MR > r) { float32x4_t x, y, z; VITC__G128_LOAD3(rr[r], x, y, z) \
        c##r##a = vitc_neon_fma(rs, x, c##r##a); c##r##b = vitc_neon_fma(rs, y, c##r##b); \
        c##r##c = vitc_neon_fma(rs, z, c##r##c); }
#define VITC__G128_STORE(r) if (MR > r) { \
        if (full) { vst1q_f32(cr[r], c##r##a); vst1q_f32(cr[r] + 4, c##r##b); vst1q_f32(cr[r] + 8, c##r##c); } \
        else { vitc_neon_store_tail(cr[r], c##r##a, nr >= 4 ? 4 : nr); vitc_neon_store_tail(cr[r] + 4, c##r##b, n1); \
               vitc_neon_store_tail(cr[r] + 8, c##r##c, n2); } }

#if defined(__GNUC__) || defined(__clang__)
#define VITC__G128_INLINE static inline __attribute__((always_inline))
#else
#define VITC__G128_INLINE static inline
#endif

/* The microkernel body for MR <= 8 rows (4 or 8: a literal, so that the unused
 * rows' code and accumulators vanish): see vitc_f32_gemm_ukernel_fn in
 * f32-gemm-driver.c. */
VITC__G128_INLINE void vitc__f32_gemm_ukernel_neon(const int MR, int mr, int nr, int kc,
                                                   const float *VITC_RESTRICT ap, const float *VITC_RESTRICT w,
                                                   ptrdiff_t ldb, float *c, ptrdiff_t ldc, const vitc_f32_gemm_tile_epilogue *e,
                                                   int flags)
{
    const int full = nr == 12;
    const int n1 = nr <= 4 ? 0 : nr >= 8 ? 4 : nr - 4, n2 = nr <= 8 ? 0 : nr - 8;
    const float32x4_t zero = vdupq_n_f32(0.0f);
    float *cr[8];
    int r, k;
    VITC__G128_ROWS(VITC__G128_DECL)

    for (r = 0; r < MR; r++) cr[r] = c + (ptrdiff_t)(r < mr ? r : mr - 1) * ldc;
    if (flags & VITC_GEMM_ACCUMULATE) {
        VITC__G128_ROWS(VITC__G128_LOADC)
    } else {
        float32x4_t i0 = zero, i1 = zero, i2 = zero;
        if (e && e->bias) {
            VITC__G128_LOAD3(e->bias, i0, i1, i2)
        }
        VITC__G128_ROWS(VITC__G128_INIT)
        if (e && e->row_bias) {
            VITC__G128_ROWS(VITC__G128_ROWBIAS)
        }
    }
    if (flags & VITC_GEMM_INDIRECT_B) { /* B row k at w + e->b_off[k] (the implicit-GEMM conv) */
        const ptrdiff_t *bo = e->b_off;
        for (k = 0; k < kc; k++) {
            const float *wk = w + bo[k];
            const float32x4_t b0 = vld1q_f32(wk), b1 = vld1q_f32(wk + 4), b2 = vld1q_f32(wk + 8);
            const float32x4_t a0 = vld1q_f32(ap), a1 = MR > 4 ? vld1q_f32(ap + 4) : zero;
            VITC__G128_ROWS(VITC__G128_FMA)
            ap += MR;
        }
    } else {
        for (k = 0; k < kc; k++) {
            const float32x4_t b0 = vld1q_f32(w), b1 = vld1q_f32(w + 4), b2 = vld1q_f32(w + 8);
            const float32x4_t a0 = vld1q_f32(ap), a1 = MR > 4 ? vld1q_f32(ap + 4) : zero;
            VITC__G128_ROWS(VITC__G128_FMA)
            ap += MR;
            w += ldb;
        }
    }
    if (flags & VITC_GEMM_FINAL) {
        const float32x4_t pa = e ? vdupq_n_f32(e->act_alpha) : zero, pb = e ? vdupq_n_f32(e->act_beta) : zero; /* the activation's parameters */
        switch (flags >> VITC_GEMM_ACT_SHIFT) {
        VITC_GEMM_ACTIVATIONS(VITC__G128_ACT_CASE)
        default: break;
        }
        if (e && e->gate) {
            const int sig = e->gate_mode == VITC_GEMM_GATE_MUL_SIGMOID;
            const float *gr[8];
            for (r = 0; r < MR; r++) gr[r] = e->gate + (ptrdiff_t)(r < mr ? r : mr - 1) * e->ldg;
            VITC__G128_ROWS(VITC__G128_GATE)
        }
        if (e && e->res) {
            const float32x4_t rs = vdupq_n_f32(e->res_scale);
            const float *rr[8];
            for (r = 0; r < MR; r++) rr[r] = e->res + (ptrdiff_t)(r < mr ? r : mr - 1) * e->ldr;
            VITC__G128_ROWS(VITC__G128_RES)
        }
    }
    VITC__G128_ROWS_DESC(VITC__G128_STORE)
}

/* The 8-row microkernel and the 4-row one for the last rows of A. */
VITC_KERNEL void vitc__f32_gemm_ukernel_8x12_neon(int mr, int nr, int kc, const float *VITC_RESTRICT ap,
                                                  const float *VITC_RESTRICT w, ptrdiff_t ldb, float *c, ptrdiff_t ldc,
                                                  const vitc_f32_gemm_tile_epilogue *e, int flags)
{
    vitc__f32_gemm_ukernel_neon(8, mr, nr, kc, ap, w, ldb, c, ldc, e, flags);
}

VITC_KERNEL void vitc__f32_gemm_ukernel_4x12_neon(int mr, int nr, int kc, const float *VITC_RESTRICT ap,
                                                  const float *VITC_RESTRICT w, ptrdiff_t ldb, float *c, ptrdiff_t ldc,
                                                  const vitc_f32_gemm_tile_epilogue *e, int flags)
{
    vitc__f32_gemm_ukernel_neon(4, mr, nr, kc, ap, w, ldb, c, ldc, e, flags);
}

/* A micro-panel packers for those kernels. */
VITC_KERNEL void vitc__f32_gemm_pack_a_8_neon(int mr, int kc, const float *VITC_RESTRICT A, ptrdiff_t a_rs,
                                              ptrdiff_t a_cs, float *VITC_RESTRICT ap)
{
    vitc__f32_gemm_pack_a(8, mr, kc, A, a_rs, a_cs, ap);
}

VITC_KERNEL void vitc__f32_gemm_pack_a_4_neon(int mr, int kc, const float *VITC_RESTRICT A, ptrdiff_t a_rs,
                                              ptrdiff_t a_cs, float *VITC_RESTRICT ap)
{
    vitc__f32_gemm_pack_a(4, mr, kc, A, a_rs, a_cs, ap);
}

/* The tile the entry points below run on. */
#define VITC__G128_TILE(t) \
    const vitc_f32_gemm_tile t = {8, 12, vitc__f32_gemm_ukernel_8x12_neon, vitc__f32_gemm_pack_a_8_neon, \
                                   4, vitc__f32_gemm_ukernel_4x12_neon, vitc__f32_gemm_pack_a_4_neon, 0, NULL, NULL, NULL}

/* C (M,N) rows ldc apart = epilogue(A (M,K) rows lda apart @ B), B packed for
 * NR = 12 (f32-gemm-driver.c); ep: the epilogue (f32-gemm-epilogue.c) or NULL.
 * scratch: 8 * min(kc, K) floats (kc = 0: K). */
VITC_KERNEL void vitc_f32_gemm_8x12_neon(int M, int N, int K, const float *A, int lda, const float *Wp, float *C,
                                         int ldc, const vitc_f32_gemm_epilogue *ep, int kc, int nc, float *scratch)
{
    VITC__G128_TILE(tile);
    vitc__f32_gemm_drive(&tile, M, N, K, A, lda, 1, Wp, 0, C, ldc, ep, 0, kc, nc, scratch, NULL);
}

/* Batched MatMul of activations (vitc__f32_matmul_drive); scratch:
 * VITC_F32_MATMUL_SCRATCH(8, 12, K, N, kc) floats. */
VITC_KERNEL void vitc_f32_matmul_8x12_neon(int M, int N, int K, int batch_rank, const int *batch_dims,
                                           const ptrdiff_t *a_batch_strides, const ptrdiff_t *b_batch_strides,
                                           const float *A, const float *B, ptrdiff_t b_rs, ptrdiff_t b_cs,
                                           float *C, int kc, int nc, float *scratch)
{
    VITC__G128_TILE(tile);
    vitc__f32_matmul_drive(&tile, M, N, K, batch_rank, batch_dims, a_batch_strides, b_batch_strides, A, B, b_rs, b_cs,
                           C, kc, nc, scratch);
}

/* ONNX Conv as GEMM with an epilogue (vitc__f32_conv2d_drive); scratch:
 * VITC_F32_CONV2D_SCRATCH(8, 12, (C_in/group)*KH*KW, OH*OW, kc, pointwise, padded)
 * floats (vitc__f32_conv2d_drive says what pointwise and padded are). */
VITC_KERNEL void vitc_f32_conv2d_8x12_neon(int N, int C_in, int H, int W, int C_out, int OH, int OW, int KH,
                                           int KW, int stride_h, int stride_w, int dil_h, int dil_w, int pad_t,
                                           int pad_l, int group, const float *X, const float *Wt,
                                           const float *bias, float *Y, const vitc_f32_gemm_epilogue *ep, int kc,
                                           int nc, float *scratch)
{
    VITC__G128_TILE(tile);
    vitc__f32_conv2d_drive(&tile, N, C_in, H, W, C_out, OH, OW, KH, KW, stride_h, stride_w, dil_h, dil_w, pad_t,
                           pad_l, group, X, Wt, bias, Y, ep, kc, nc, scratch);
}

#endif /* VITC_F32_GEMM_8X12_NEON_C */
