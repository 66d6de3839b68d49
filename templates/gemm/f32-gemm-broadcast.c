/* templates/gemm/f32-gemm-broadcast.c: the packed-GEMM microkernel written once
 * against the SIMD shim, for the tiles that broadcast each value of A (the x86
 * kernels: f32-gemm-6x16-avx2.c, f32-gemm-12x32-avx512.c).
 *
 *   VITC_FN(vitc__f32_gemm_ukernel_broadcast)(MR, NR, mr, nr, kc, ap, w, ldb, c, ldc, e, flags)
 *
 * is the body of vitc_f32_gemm_ukernel_fn (f32-gemm-driver.c: layouts, blocking,
 * the epilogue contract) for an MR x NR tile of C, MR <= 12 rows by NV = NR /
 * VITC_LANES <= 3 vectors. MR and NR are literals at each call (the kernel files
 * bind them from their tile, f32-gemm-tiles.def), so that after inlining the
 * accumulators are MR * NV named registers and the code of the rows and vectors
 * beyond them vanishes: every statement below is guarded by `MR > r` or `NV > j`.
 *
 * Per step of k: NV loads of the packed B row, then per row one broadcast of A's
 * value and NV FMAs. The register budget is the kernel file's (its opening
 * comment). Column tails (nr < NR) go through the shim's tail loads and stores
 * (masked on x86: no access to the lanes past nr), vector by vector, so the full
 * vectors of a tail tile stay plain loads; the packed B panel is zero-padded, so
 * the FMAs need none. Row tails (mr < MR) compute on repeated A rows and store to
 * clamped pointers, the last row last.
 *
 * Epilogue (f32-gemm-epilogue.c; bias and row bias when the accumulators start,
 * the rest after the last K block): the activation by the shim's act_<NAME>
 * (templates/simd/fastmath.h; the epilogue's list of activations expands into the
 * switch), then the gate (a product by G or sigmoid(G), the same sigmoid) and the
 * residual as one FMA, res_scale * R + acc.
 *
 * NEON's kernel (f32-gemm-8x12-neon.c) does not use this body: it loads 8 values
 * of A in two registers and does its FMAs by lane, and has an AArch32 path. */
#include "../prelude.h"
#include "../simd/shim.h"
#include "f32-gemm-driver.c"

#ifndef VITC_F32_GEMM_BROADCAST_MACROS
#define VITC_F32_GEMM_BROADCAST_MACROS

/* X(r, arg) for the rows r (accumulators c<r>_<j>), and X(r, j, arg) for the vectors j of row r */
#define VITC__GBC_ROWS(X, arg) X(0, arg) X(1, arg) X(2, arg) X(3, arg) X(4, arg) X(5, arg) \
        X(6, arg) X(7, arg) X(8, arg) X(9, arg) X(10, arg) X(11, arg)
#define VITC__GBC_ROWS_DESC(X, arg) X(11, arg) X(10, arg) X(9, arg) X(8, arg) X(7, arg) X(6, arg) \
        X(5, arg) X(4, arg) X(3, arg) X(2, arg) X(1, arg) X(0, arg)
#define VITC__GBC_COLS(X, r, arg) X(r, 0, arg) X(r, 1, arg) X(r, 2, arg)
/* X(r, j, arg) for every accumulator of the tile */
#define VITC__GBC_ROW_EACH(r, X) if (MR > r) { VITC__GBC_COLS(X, r, _) }
#define VITC__GBC_EACH(X) VITC__GBC_ROWS(VITC__GBC_ROW_EACH, X)
#define VITC__GBC_C(r, j) c##r##_##j

#define VITC__GBC_DECL_ROW(r, _) VITC__GBC_COLS(VITC__GBC_DECL, r, _)
#define VITC__GBC_DECL(r, j, _) vf32 VITC__GBC_C(r, j) = zero;
/* vector j of a row p of C, the bias, G or R (nt[j] of its lanes valid) */
#define VITC__GBC_LOAD(p, j) VITC_FN(vitc__f32_gemm_bc_load)((p) + (j) * VITC_LANES, nt[j])
#define VITC__GBC_LOADC(r, j, _) if (NV > j) VITC__GBC_C(r, j) = VITC__GBC_LOAD(cr[r], j);
#define VITC__GBC_INIT(r, j, _) if (NV > j) VITC__GBC_C(r, j) = i##j;
#define VITC__GBC_ROWBIAS(r, _) if (MR > r) { const vf32 rb = vf32_set1(e->row_bias[r < mr ? r : mr - 1]); \
        VITC__GBC_COLS(VITC__GBC_ADD, r, rb) }
#define VITC__GBC_ADD(r, j, v) if (NV > j) VITC__GBC_C(r, j) = vf32_add(VITC__GBC_C(r, j), v);
#define VITC__GBC_FMA_ROW(r, _) if (MR > r) { const vf32 av = vf32_set1(ap[r]); VITC__GBC_COLS(VITC__GBC_FMA, r, av) }
#define VITC__GBC_FMA(r, j, av) if (NV > j) VITC__GBC_C(r, j) = vf32_fma(av, b##j, VITC__GBC_C(r, j));
/* case VITC_GEMM_ACT_<NAME>: every accumulator through the shim's act_<NAME> (fastmath.h) */
#define VITC__GBC_ACT_ROW(r, F) if (MR > r) { VITC__GBC_COLS(VITC__GBC_ACT, r, F) }
#define VITC__GBC_ACT(r, j, F) if (NV > j) VITC__GBC_C(r, j) = F(VITC__GBC_C(r, j), pa, pb);
#define VITC__GBC_ACT_CASE(name, code, what) case VITC_GEMM_ACT_##name: \
        VITC__GBC_ROWS(VITC__GBC_ACT_ROW, VITC_SIMD_FN(act_##name)) break;
#define VITC__GBC_GATE(r, j, _) if (NV > j) { vf32 g = VITC__GBC_LOAD(gr[r], j); \
        if (sig) g = VITC_SIMD_FN(act_SIGMOID)(g, zero, zero); \
        VITC__GBC_C(r, j) = vf32_mul(VITC__GBC_C(r, j), g); }
#define VITC__GBC_RES(r, j, _) if (NV > j) VITC__GBC_C(r, j) = vf32_fma(rs, VITC__GBC_LOAD(rr[r], j), VITC__GBC_C(r, j));
#define VITC__GBC_STORE_ROW(r, _) if (MR > r) { VITC__GBC_COLS(VITC__GBC_STORE, r, _) }
#define VITC__GBC_STORE(r, j, _) if (NV > j) VITC_FN(vitc__f32_gemm_bc_store)(cr[r] + (j) * VITC_LANES, VITC__GBC_C(r, j), nt[j]);

/* b0..b2, the NV vectors of the packed B row at p (named, not an array, so that they stay registers) */
#define VITC__GBC_LOAD_B(p) const vf32 b0 = vf32_load(p), b1 = NV > 1 ? vf32_load((p) + VITC_LANES) : zero, \
        b2 = NV > 2 ? vf32_load((p) + 2 * VITC_LANES) : zero

/* p[i * ld] for the rows i < MR, clamped to the last valid row mr - 1 */
#define VITC__GBC_ROW_PTRS(q, p, ld) for (r = 0; r < MR; r++) q[r] = (p) + (ptrdiff_t)(r < mr ? r : mr - 1) * (ld)

#if defined(__GNUC__) || defined(__clang__)
#define VITC__GBC_INLINE static inline __attribute__((always_inline))
#else
#define VITC__GBC_INLINE static inline
#endif

#endif /* VITC_F32_GEMM_BROADCAST_MACROS */

/* n valid lanes: a plain load (store) for a whole vector, the shim's tail access else */
static inline VITC_UNUSED vf32 VITC_FN(vitc__f32_gemm_bc_load)(const float *p, int n)
{
    return n == VITC_LANES ? vf32_load(p) : vf32_load_tail(p, n);
}

static inline VITC_UNUSED void VITC_FN(vitc__f32_gemm_bc_store)(float *p, vf32 v, int n)
{
    if (n == VITC_LANES) vf32_store(p, v);
    else vf32_store_tail(p, v, n);
}

VITC__GBC_INLINE void VITC_FN(vitc__f32_gemm_ukernel_broadcast)(const int MR, const int NR, int mr, int nr, int kc,
                                                                const float *VITC_RESTRICT ap,
                                                                const float *VITC_RESTRICT w, ptrdiff_t ldb, float *c,
                                                                ptrdiff_t ldc, const vitc_f32_gemm_tile_epilogue *e,
                                                                int flags)
{
    const int NV = NR / VITC_LANES;
    const vf32 zero = vf32_zero();
    int nt[3]; /* valid lanes of each vector of a row: nr's share, 0 to VITC_LANES */
    float *cr[12];
    int r, j, k;
    VITC__GBC_ROWS(VITC__GBC_DECL_ROW, _)

    for (j = 0; j < 3; j++) nt[j] = nr <= j * VITC_LANES ? 0 : nr >= (j + 1) * VITC_LANES ? VITC_LANES : nr - j * VITC_LANES;
    VITC__GBC_ROW_PTRS(cr, c, ldc);
    if (flags & VITC_GEMM_ACCUMULATE) {
        VITC__GBC_EACH(VITC__GBC_LOADC)
    } else {
        const int bias = e && e->bias;
        const vf32 i0 = bias ? VITC__GBC_LOAD(e->bias, 0) : zero, i1 = bias && NV > 1 ? VITC__GBC_LOAD(e->bias, 1) : zero,
                   i2 = bias && NV > 2 ? VITC__GBC_LOAD(e->bias, 2) : zero; /* the bias row */
        VITC__GBC_EACH(VITC__GBC_INIT)
        if (e && e->row_bias) {
            VITC__GBC_ROWS(VITC__GBC_ROWBIAS, _)
        }
    }
    if (flags & VITC_GEMM_INDIRECT_B) { /* B row k at w + e->b_off[k] (the implicit-GEMM conv) */
        const ptrdiff_t *bo = e->b_off;
        for (k = 0; k < kc; k++) {
            VITC__GBC_LOAD_B(w + bo[k]);
            VITC__GBC_ROWS(VITC__GBC_FMA_ROW, _)
            ap += MR;
        }
    } else {
        for (k = 0; k < kc; k++) {
            VITC__GBC_LOAD_B(w);
            VITC__GBC_ROWS(VITC__GBC_FMA_ROW, _)
            ap += MR;
            w += ldb;
        }
    }
    if (flags & VITC_GEMM_FINAL) {
        const vf32 pa = vf32_set1(e ? e->act_alpha : 0.0f), pb = vf32_set1(e ? e->act_beta : 0.0f); /* the activation's parameters */
        switch (flags >> VITC_GEMM_ACT_SHIFT) {
        VITC_GEMM_ACTIVATIONS(VITC__GBC_ACT_CASE)
        default: break;
        }
        if (e && e->gate) {
            const int sig = e->gate_mode == VITC_GEMM_GATE_MUL_SIGMOID;
            const float *gr[12];
            VITC__GBC_ROW_PTRS(gr, e->gate, e->ldg);
            VITC__GBC_EACH(VITC__GBC_GATE)
        }
        if (e && e->res) {
            const vf32 rs = vf32_set1(e->res_scale);
            const float *rr[12];
            VITC__GBC_ROW_PTRS(rr, e->res, e->ldr);
            VITC__GBC_EACH(VITC__GBC_RES)
        }
    }
    VITC__GBC_ROWS_DESC(VITC__GBC_STORE_ROW, _)
}
