/* templates/gemm/qs8-gemm-driver.c: the loops around an int8 GEMM microkernel,
 * written once for every ISA (plain C99, no intrinsics), as f32-gemm-driver.c is
 * for the float GEMM.
 *
 * A per-ISA template (qs8-gemm-<tile>-<isa>.c) provides a microkernel that
 * computes an MR x NR tile of int32 sums from a packed activation micro-panel and
 * a packed weight panel (layouts: qs8-gemm-pack.c) and stores it dequantized,
 * scale[j] * (acc - zc[j]) + bias[j]; a packer of activation micro-panels (which
 * quantizes float32 input); and the vectorized rest of the epilogue
 * (qs8-epilogue-simd.c). It binds them to the entry point
 * vitc_qs8_gemm_<tile>_<isa>, whose arguments are vitc_qs8_gemm_scalar's
 * (qs8-gemm-scalar.c) with Wp packed in its layout and scratch one packed
 * activation micro-panel (MR * Kp * AB bytes).
 *
 * Blocking: per MR-row panel of A (packed once, L1-resident: MR * K bytes), every
 * NR-column panel of W (NR * K bytes, streamed from L2); K is not blocked (the
 * int32 sums need no partial stores and ViT's K <= 3072 keeps a panel in L2).
 * The activation and the residual are applied in the microkernel's store (the
 * common epilogues: fc1's GELU, the projections' residual add); column ranges,
 * gates and a row bias by a pass over each row panel once its columns are stored,
 * while those rows are in L1. */
#ifndef VITC_QS8_GEMM_DRIVER_C
#define VITC_QS8_GEMM_DRIVER_C

#include "../prelude.h"
#include "qs8-gemm-pack.c"

/* What a microkernel applies in its store after the dequantize and bias, when the
 * epilogue is this simple (no column ranges, gate or row bias): an activation and a
 * scaled residual (res NULL: none), res at the tile's first row and column. */
typedef struct vitc_qs8_tile_epilogue {
    int act;
    float act_alpha, act_beta; /* the activation's parameters */
    const float *res;
    ptrdiff_t ldr;
    float res_scale;
} vitc_qs8_tile_epilogue;

/* The tile (mr <= MR, nr <= NR) of sums over kgroups k-groups, stored dequantized to
 * c (rows ldc apart, columns [0, nr)) with e applied; zc, scale, bias (NULL: none) at
 * the tile's column. */
typedef void (*vitc_qs8_ukernel_fn)(int mr, int nr, int kgroups, const void *VITC_RESTRICT ap,
                                    const void *VITC_RESTRICT wp, float *c, ptrdiff_t ldc, const int32_t *zc,
                                    const float *scale, const float *bias, const vitc_qs8_tile_epilogue *e);
/* vitc_qs8_pack_a's signature (layout implied). */
typedef void (*vitc_qs8_pack_a_fn)(int mr, int K, const void *A, int a_type, ptrdiff_t lda, float sa, int za,
                                   int q_type, void *ap);
/* The epilogue after the dequantize and bias, on M rows of N columns. */
typedef void (*vitc_qs8_epilogue_fn)(int M, int N, float *Y, ptrdiff_t ldy, const vitc_f32_gemm_epilogue *ep);

static VITC_UNUSED void vitc__qs8_gemm_drive(const vitc_qs8_layout *L, vitc_qs8_ukernel_fn uk, vitc_qs8_pack_a_fn pack,
                                             vitc_qs8_epilogue_fn epi, int M, int N, int K, const void *A, int a_type,
                                             ptrdiff_t lda, float sa, int za, int q_type, const void *Wp,
                                             const int32_t *zc, const float *scale, const float *bias, float *Y,
                                             ptrdiff_t ldc, const vitc_f32_gemm_epilogue *ep, void *scratch)
{
    int MR = L->mr, NR = L->nr, kgroups = (K + L->kg - 1) / L->kg, i0, j0, p;
    size_t panel = (size_t)kgroups * (size_t)NR * (size_t)L->kg * (size_t)L->wb;
    size_t abytes = a_type == 1 ? sizeof(float) : 1;
    /* an activation and a residual go into the microkernel's store; ranges, gates and a
     * row bias into a pass over each row panel after its columns are stored */
    int simple = !ep || (!ep->n_ranges && !(ep->gate_mode && ep->gate) && !ep->row_bias);
    int rest = ep && !simple;
    vitc_qs8_tile_epilogue te = {VITC_GEMM_ACT_NONE, 0.0f, 0.0f, NULL, 0, 1.0f};
    if (ep && simple)
        te.act = ep->act, te.act_alpha = ep->act_alpha, te.act_beta = ep->act_beta, te.ldr = ep->ldr, te.res_scale = ep->res_scale;
    for (i0 = 0; i0 < M; i0 += MR) {
        int mr = M - i0 < MR ? M - i0 : MR;
        pack(mr, K, (const char *)A + (ptrdiff_t)i0 * lda * (ptrdiff_t)abytes, a_type, lda, sa, za, q_type, scratch);
        for (j0 = 0, p = 0; j0 < N; j0 += NR, p++) {
            if (ep && simple && ep->res) te.res = ep->res + (ptrdiff_t)i0 * ep->ldr + j0;
            uk(mr, N - j0 < NR ? N - j0 : NR, kgroups, scratch, (const char *)Wp + (size_t)p * panel,
               Y + (ptrdiff_t)i0 * ldc + j0, ldc, zc + j0, scale + j0, bias ? bias + j0 : NULL, &te);
        }
        if (rest) { /* the epilogue's operands moved to the panel's first row */
            vitc_f32_gemm_epilogue e = *ep;
            if (e.row_bias) e.row_bias += i0;
            if (e.gate) e.gate += (ptrdiff_t)i0 * e.ldg;
            if (e.res) e.res += (ptrdiff_t)i0 * e.ldr;
            epi(mr, N, Y + (ptrdiff_t)i0 * ldc, ldc, &e);
        }
    }
}

#endif /* VITC_QS8_GEMM_DRIVER_C */
