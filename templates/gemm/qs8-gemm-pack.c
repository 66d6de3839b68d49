/* templates/gemm/qs8-gemm-pack.c: the layouts of the int8 GEMM (vitc.QGemm) and
 * the plain-C code that writes them: the compiler packs the int8 weights at
 * compile time with vitc_qs8_pack_w (compiler/ops/qgemm.c includes this file,
 * so the layout is written down once), and every kernel packs its activation
 * micro-panels at run time with vitc_qs8_pack_a (the SIMD kernels vectorize the
 * common case and fall back to it).
 *
 * The int8 GEMM computes, for A (M, K) quantized per tensor (scale sa, zero point
 * za; uint8 or int8) and W (K, N) int8 quantized per output column (scale sw[j],
 * zero point 0, as every quantizer writes weights):
 *
 *   acc[i][j] = sum_k q(A)[i][k] * W[k][j]            exact, in int32
 *   Y[i][j]   = scale[j] * (acc[i][j] - zc[j]) + bias[j]   in float
 *   then the rest of the fp32 GEMM epilogue (f32-gemm-epilogue.c: activation per
 *   column range, gate, scaled residual)
 *
 * with scale[j] = sa * sw[j] and zc[j] = (za + off) * colsum[j], colsum[j] =
 * sum_k W[k][j]: sum_k (q - za) W = acc - za colsum. `off` is the kernel's
 * activation offset: a kernel whose instruction takes unsigned activations
 * (x86 vpdpbusd: u8 x s8) reads int8 activations as uint8 by flipping their sign
 * bit, q + 128, and one that takes signed ones (Arm sdot: s8 x s8) reads uint8 as
 * q - 128; the compiler folds the offset into zc. A kernel that widens to 16 bits
 * (vpmaddwd, smlal) reads the true values: off = 0.
 *
 * When A arrives as float32 (the input of the model's QuantizeLinear), the
 * packer quantizes it as QuantizeLinear does (templates/quant/x-quant-scalar.c:
 * saturate(round(x / sa) + za), ties to even): the quantize is fused into the GEMM.
 *
 * Layouts, for a tile of MR rows and NR columns and a k-group of KG (the depth
 * one instruction sums: 4 for vpdpbusd and sdot, 2 for vpmaddwd, 1 for smlal):
 *   Kp = K rounded up to KG, kgroups = Kp / KG
 *   packed W: panels of NR columns; panel p, k-group g, column jj, depth r at
 *     element ((p * kgroups + g) * NR + jj) * KG + r = W[g*KG + r][p*NR + jj], zero
 *     past K or N; elements of WB bytes (1: int8, 2: int16 sign-extended).
 *   packed A micro-panel: element (g * MR + rr) * KG + r = q(A)[i0 + rr][g*KG + r]
 *     plus the flip, zero past K; rows past the matrix repeat its last row (their
 *     results are computed and not stored); elements of AB bytes (1, or 2 for a
 *     kernel that widens: zero- or sign-extended int16).
 * The scalar reference reads W unpacked, (K, N) row-major: NR = N, KG = 1. */
#ifndef VITC_QS8_GEMM_PACK_C
#define VITC_QS8_GEMM_PACK_C

#include "../prelude.h"
#include "../quant/x-quant-scalar.c"
#include "f32-gemm-epilogue.c"

/* A kernel's layout (the table below is what the compiler and the tests read). */
typedef struct vitc_qs8_layout {
    const char *tile;  /* the kernel's family stem suffix, e.g. "8x48-vnni" */
    int mr, nr, kg;
    int wb, ab;        /* bytes per packed W and A element */
    int off_u8, off_s8; /* activation offset for uint8 and int8 activations (see above) */
} vitc_qs8_layout;

#define VITC_QS8_LAYOUTS(X)                          \
    X(scalar, "scalar", 1, 0, 1, 1, 1, 0, 0)         \
    X(avx2, "4x16", 4, 16, 2, 2, 2, 0, 0)            \
    X(vnni, "8x48-vnni", 8, 48, 4, 1, 1, 0, 128)     \
    X(sdot, "8x12-sdot", 8, 12, 4, 1, 1, -128, 0)    \
    X(smlal, "8x8-smlal", 8, 8, 1, 2, 2, 0, 0)

#define VITC__QS8_LAYOUT(id, tile, mr, nr, kg, wb, ab, ou, os) \
    static const VITC_UNUSED vitc_qs8_layout vitc_qs8_layout_##id = {tile, mr, nr, kg, wb, ab, ou, os};
VITC_QS8_LAYOUTS(VITC__QS8_LAYOUT)
#undef VITC__QS8_LAYOUT

/* Packed W bytes of a (K, N) matrix in layout L (nr 0: unpacked, N columns). */
static inline VITC_UNUSED size_t vitc_qs8_packed_w_bytes(const vitc_qs8_layout *L, int K, int N)
{
    int nr = L->nr ? L->nr : N, kp = (K + L->kg - 1) / L->kg * L->kg;
    return (size_t)((N + nr - 1) / nr) * (size_t)nr * (size_t)kp * (size_t)L->wb;
}

/* W (K, N) int8, element (k, j) at w[k*rs + j*cs] -> wp in layout L. */
static VITC_UNUSED void vitc_qs8_pack_w(const vitc_qs8_layout *L, int K, int N, const int8_t *w, ptrdiff_t rs,
                                        ptrdiff_t cs, void *wp)
{
    int nr = L->nr ? L->nr : N, kg = L->kg, kgroups = (K + kg - 1) / kg, np = (N + nr - 1) / nr, p, g, jj, r;
    for (p = 0; p < np; p++)
        for (g = 0; g < kgroups; g++)
            for (jj = 0; jj < nr; jj++)
                for (r = 0; r < kg; r++) {
                    int k = g * kg + r, j = p * nr + jj;
                    int v = k < K && j < N ? w[k * rs + j * cs] : 0;
                    size_t at = (((size_t)p * (size_t)kgroups + (size_t)g) * (size_t)nr + (size_t)jj) * (size_t)kg + (size_t)r;
                    if (L->wb == 2) ((int16_t *)wp)[at] = (int16_t)v;
                    else ((int8_t *)wp)[at] = (int8_t)v;
                }
}

/* zc[j] = (za + off) * sum_k W[k][j] for activations of type q_type (2 uint8, 3 int8). */
static VITC_UNUSED void vitc_qs8_zero_correction(const vitc_qs8_layout *L, int K, int N, const int8_t *w, ptrdiff_t rs,
                                                 ptrdiff_t cs, int za, int q_type, int32_t *zc)
{
    int j, k, off = q_type == 3 ? L->off_s8 : L->off_u8;
    for (j = 0; j < N; j++) {
        int32_t s = 0;
        for (k = 0; k < K; k++) s += w[k * rs + j * cs];
        zc[j] = (za + off) * s;
    }
}

/* The quantized activation A[i][k] as the kernel reads it (with its offset). A is
 * float32 (a_type 1, quantized here into q_type) or already quantized (2, 3). */
static inline VITC_UNUSED int32_t vitc__qs8_a(const void *A, int a_type, ptrdiff_t at, float sa, int za, int q_type,
                                              int off)
{
    int32_t q;
    if (a_type == 1) q = vitc__q_saturate(((const float *)A)[at] / sa, za, q_type == 3 ? -128 : 0, q_type == 3 ? 127 : 255);
    else q = vitc__q_load(A, a_type, at);
    return q + (q_type == 3 ? (off == 128 ? 128 : 0) : (off == -128 ? -128 : 0));
}

/* Rows [i0, i0 + mr) of A (rows lda apart) as an MR-row micro-panel of layout L. */
static VITC_UNUSED void vitc_qs8_pack_a(const vitc_qs8_layout *L, int mr, int K, const void *A, int a_type,
                                        ptrdiff_t lda, float sa, int za, int q_type, void *ap)
{
    int kg = L->kg, kgroups = (K + kg - 1) / kg, g, rr, r;
    int off = q_type == 3 ? L->off_s8 : L->off_u8;
    for (g = 0; g < kgroups; g++)
        for (rr = 0; rr < L->mr; rr++)
            for (r = 0; r < kg; r++) {
                int k = g * kg + r, row = rr < mr ? rr : mr - 1;
                int32_t v = k < K ? vitc__qs8_a(A, a_type, (ptrdiff_t)row * lda + k, sa, za, q_type, off) : 0;
                size_t at = ((size_t)g * (size_t)L->mr + (size_t)rr) * (size_t)kg + (size_t)r;
                if (L->ab == 2) ((int16_t *)ap)[at] = (int16_t)v;
                else ((uint8_t *)ap)[at] = (uint8_t)v; /* the bits of a u8 or s8 value */
            }
}

/* vitc__qs8_pack_a_<layout>: the packer bound to one layout (the drivers' vitc_qs8_pack_a_fn). */
#define VITC__QS8_PACK_A_FN(id, tile, mr, nr, kg, wb, ab, ou, os)                                                  \
    static VITC_UNUSED void vitc__qs8_pack_a_##id(int m, int K, const void *A, int a_type, ptrdiff_t lda, float sa, \
                                                  int za, int q_type, void *ap)                                    \
    {                                                                                                              \
        vitc_qs8_pack_a(&vitc_qs8_layout_##id, m, K, A, a_type, lda, sa, za, q_type, ap);                          \
    }
VITC_QS8_LAYOUTS(VITC__QS8_PACK_A_FN)
#undef VITC__QS8_PACK_A_FN

#endif /* VITC_QS8_GEMM_PACK_C */
