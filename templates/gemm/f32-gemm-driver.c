/* templates/gemm/f32-gemm-driver.c: the loops around a GEMM microkernel, written
 * once for every ISA (plain C99, no intrinsics).
 *
 * A per-ISA template (templates/gemm/f32-gemm-<MR>x<NR>-<isa>.c) provides a
 * microkernel that computes an MR x NR tile of C from a packed A micro-panel
 * and a packed B panel, with the epilogue fused into its store, the packer of
 * its A micro-panels, and optionally a shorter kernel for the last rows; it
 * includes this file and binds the drivers below to that tile
 * (vitc_f32_gemm_tile) with thin wrappers: vitc_f32_gemm_<MR>x<NR>_<isa> (weights
 * packed at compile time), vitc_f32_matmul_<MR>x<NR>_<isa> (both operands
 * activations) and vitc_f32_conv2d_<MR>x<NR>_<isa> (im2col into packed panels).
 * The microkernel is called through a pointer once per tile (tens of thousands
 * of FMAs each), which costs nothing measurable and keeps these loops in one copy.
 *
 * Layouts (these are the contract between the compiler, which packs constant
 * weights at compile time, and the kernels):
 *
 *   packed B ("Wp"), for a (K,N) matrix and tile width NR:
 *       panels of NR columns, panel p holding columns [p*NR, p*NR + NR), each
 *       panel K-major: Wp[p*K*NR + k*NR + jj] = B[k][p*NR + jj], columns past N
 *       zero. ceil(N/NR) * NR * K floats. A K block [k0, k0+kc) of a panel is
 *       the contiguous run at p*K*NR + k0*NR.
 *   packed A micro-panel ("ap"), made here at run time:
 *       ap[k*MR + r] = A[i0 + r][k0 + k] for r < mr; rows r >= mr repeat row
 *       mr-1 so that the microkernel computes them without reading past A and
 *       without branches (their results equal row mr-1's, and they are stored
 *       to row mr-1's place, see below).
 *
 *   B read in place ("direct"): a row-major (K, N) matrix with rows ldb apart, a
 *       panel of NR columns being the run at B + k*ldb + j; the drivers pack only
 *       a last partial panel (so nothing reads past the matrix). A 1x1 conv's input
 *       X (C_in, H*W) is such a B: it is multiplied where it lies, not copied.
 *
 * The microkernel (vitc_f32_gemm_ukernel_fn):
 *   uk(mr, nr, kc, ap, w, ldb, c, ldc, e, flags)
 *     w: the B panel's first row; its rows are ldb floats apart (NR when packed), or,
 *       with flags & VITC_GEMM_INDIRECT_B, row k at w + e->b_off[k] (ldb unused; all NR
 *       columns of each row are read, so the caller keeps NR floats readable past nr)
 *     acc (MR, NR) = (flags & VITC_GEMM_ACCUMULATE ? C : bias + row_bias or 0) + ap @ w over kc
 *     if flags & VITC_GEMM_FINAL: the rest of the epilogue (f32-gemm-epilogue.c) with
 *       the activation flags >> VITC_GEMM_ACT_SHIFT, then the gate and the residual of e
 *     stores rows [0, mr) and columns [0, nr) of acc into C
 *   e (NULL: none) holds the tile's epilogue operands at the tile's first row and
 *   column (vitc_f32_gemm_tile_epilogue). Row pointers of C, G and R past mr-1 are
 *   clamped to row mr-1 and rows are stored from the last to the first, so the rows
 *   it computes in excess land on row mr-1 and are overwritten by the right values.
 *   Nothing outside (mr, nr) of C, bias, row_bias, G or R is read or written.
 *
 * The drivers cut the product into blocks: N blocks of nc columns (a multiple of
 * NR) and K blocks of kc, both chosen by the compiler per shape and passed as
 * literals (0 means "whole dimension"). Per (N block, K block) every MR-row
 * micro-panel of A is packed once into `ap` (MR*kc floats, L1-resident) and then
 * swept across the block's B panels (kc*nc floats, L2-resident). The first K
 * block initializes C (bias), later ones accumulate into C, the last applies the
 * activation and the residual. Sums are in float, in order of increasing k.
 *
 * The epilogue (bias, activation per column range, gate, scaled residual) is the
 * contract of f32-gemm-epilogue.c: the drivers pass the microkernel one
 * activation per tile, and run a tile that straddles a boundary between column
 * ranges of different activations once per range, through a tile-sized buffer.
 *
 * Speed (bench/gemm_bench.c, one Zen 4 core, fp32 FMA peak measured at 116.7
 * GFLOP/s): on DeiT-Tiny's shapes (M = 197 tokens; K, N = 192, 576 / 192, 192 /
 * 192, 768 + GELU / 768, 192) the 12x32 AVX-512 and the 6x16 AVX2 kernels run at
 * 110-112 GFLOP/s without an activation and ~100 with the GELU epilogue.
 *
 * Private helpers are spelled vitc__* and are not part of the contract. */
#ifndef VITC_F32_GEMM_DRIVER_C
#define VITC_F32_GEMM_DRIVER_C

#include "../prelude.h"
#include "f32-gemm-epilogue.c"

enum {
    VITC_GEMM_ACCUMULATE = 1, /* C already holds partial sums (or the bias): add to it */
    VITC_GEMM_FINAL = 2,      /* last K block: apply activation and residual */
    VITC_GEMM_INDIRECT_B = 8, /* B row k at w + e->b_off[k] instead of w + k*ldb (the implicit-GEMM conv) */
    VITC_GEMM_ACT_SHIFT = 4   /* activation code in flags >> 4 */
};

/* One tile's epilogue operands, each at the tile's first row and column (NULL: absent). */
typedef struct vitc_f32_gemm_tile_epilogue {
    const float *bias, *row_bias;
    int gate_mode;              /* VITC_GEMM_GATE_*; gate is NULL when it is none */
    const float *gate;
    ptrdiff_t ldg;
    const float *res;
    ptrdiff_t ldr;
    float res_scale;
    float act_alpha, act_beta;  /* the activation's parameters */
    const ptrdiff_t *b_off;     /* with VITC_GEMM_INDIRECT_B: B row k's offset from w */
} vitc_f32_gemm_tile_epilogue;

typedef void (*vitc_f32_gemm_ukernel_fn)(int mr, int nr, int kc, const float *VITC_RESTRICT ap,
                                         const float *VITC_RESTRICT w, ptrdiff_t ldb, float *c, ptrdiff_t ldc,
                                         const vitc_f32_gemm_tile_epilogue *e, int flags);

/* Packs mr <= MR rows of A into an MR-row micro-panel (vitc__f32_gemm_pack_a). */
typedef void (*vitc_f32_gemm_pack_fn)(int mr, int kc, const float *VITC_RESTRICT A, ptrdiff_t a_rs, ptrdiff_t a_cs,
                                      float *VITC_RESTRICT ap);

/* A microkernel and its tile, plus an optional shorter one for the last rows
 * (197 tokens = 16 x 12 + 5: a 6-row kernel computes the 5 leftover rows at half
 * the cost of the 12-row one), and an optional narrower one for a last panel of at
 * most NR/2 columns (an STFT's 101 frames = 6 x 16 + 5: the full kernel does the
 * FMAs of all NR columns, zero-padded, so that panel cost 16 columns' work for 5).
 * All share the packed B layout (the narrow kernel reads the first NR/2 columns of
 * each panel row, rows ldb = NR apart). */
typedef struct vitc_f32_gemm_tile {
    int mr, nr;
    vitc_f32_gemm_ukernel_fn uk;
    vitc_f32_gemm_pack_fn pack_a;
    int mr_tail;                         /* 0: none */
    vitc_f32_gemm_ukernel_fn uk_tail;    /* used when the rows left are <= mr_tail */
    vitc_f32_gemm_pack_fn pack_a_tail;
    int mr_short;                        /* 0: none; the implicit conv's (vitc__f32_gemm_rows_kernel) */
    vitc_f32_gemm_ukernel_fn uk_short;
    vitc_f32_gemm_pack_fn pack_a_short;
    vitc_f32_gemm_ukernel_fn uk_half;    /* MR x NR/2, used by vitc__f32_gemm_drive for a panel of <= NR/2
                                            columns of MR-row tiles (NULL: none) */
} vitc_f32_gemm_tile;

/* The kernel (its MR; *uk, *pack) for the next rows of a product with r rows left,
 * where the rows a kernel computes in excess cost as much as real ones: the first of
 * the covers of the last rows by the tile's kernels (mr, mr_tail, mr_short) with the
 * fewest kernel rows, the widest kernel first among equals (the implicit conv's 8
 * output channels as 4 + 4 instead of 12, 16 as 12 + 4 instead of 12 + 6). */
static inline VITC_UNUSED int vitc__f32_gemm_rows_kernel(const vitc_f32_gemm_tile *t, int r, vitc_f32_gemm_ukernel_fn *uk,
                                                          vitc_f32_gemm_pack_fn *pack)
{
    const int ks[3] = {t->mr, t->mr_tail, t->mr_short};
    int cost[33], x, i, pick = 0; /* cost[x]: the fewest kernel rows covering x rows (x < 2 * MR <= 32) */
    if (r < 2 * t->mr && (t->mr_tail || t->mr_short)) {
        cost[0] = 0;
        for (x = 1; x <= r; x++) {
            cost[x] = 1 << 20;
            for (i = 0; i < 3; i++)
                if (ks[i] && ks[i] + cost[x > ks[i] ? x - ks[i] : 0] < cost[x]) cost[x] = ks[i] + cost[x > ks[i] ? x - ks[i] : 0];
        }
        for (i = 1; i < 3; i++)
            if (ks[i] && ks[i] + cost[r > ks[i] ? r - ks[i] : 0] < ks[pick] + cost[r > ks[pick] ? r - ks[pick] : 0]) pick = i;
    }
    *uk = pick == 0 ? t->uk : pick == 1 ? t->uk_tail : t->uk_short;
    *pack = pick == 0 ? t->pack_a : pick == 1 ? t->pack_a_tail : t->pack_a_short;
    return ks[pick];
}

/* dst[0, NR) = src[0, n) then zeros; a copy of a constant size where n == NR, which
 * compilers inline as a few vector moves (a loop of run-time length becomes a
 * memmove call per panel row). */
static inline VITC_UNUSED void vitc__f32_gemm_copy_row(float *VITC_RESTRICT dst, const float *VITC_RESTRICT src,
                                                       int n, int NR)
{
    int jj;
    if (n == NR) {
        switch (NR) {
        case 12: memcpy(dst, src, 12 * sizeof(float)); return;
        case 16: memcpy(dst, src, 16 * sizeof(float)); return;
        case 32: memcpy(dst, src, 32 * sizeof(float)); return;
        default: break;
        }
    }
    for (jj = 0; jj < n; jj++) dst[jj] = src[jj];
    for (; jj < NR; jj++) dst[jj] = 0.0f;
}

/* Packed B (see the layout above) from B (K,N), element (k,j) at B[k*b_rs + j*b_cs]
 * (b_cs == 1: row-major with ldb = b_rs; b_rs == 1, b_cs == K: B stored transposed). */
VITC_KERNEL void vitc_f32_gemm_pack_b(int K, int N, int NR, const float *VITC_RESTRICT B, ptrdiff_t b_rs,
                                      ptrdiff_t b_cs, float *VITC_RESTRICT Wp)
{
    int j0, k, jj;
    for (j0 = 0; j0 < N; j0 += NR) {
        const int nr = N - j0 < NR ? N - j0 : NR;
        float *VITC_RESTRICT dst = Wp + (ptrdiff_t)(j0 / NR) * K * NR;
        if (b_cs == 1) {
            for (k = 0; k < K; k++, dst += NR) vitc__f32_gemm_copy_row(dst, B + (ptrdiff_t)k * b_rs + j0, nr, NR);
        } else {
            for (k = 0; k < K; k++) {
                const float *src = B + (ptrdiff_t)k * b_rs + (ptrdiff_t)j0 * b_cs;
                for (jj = 0; jj < nr; jj++) dst[jj] = src[(ptrdiff_t)jj * b_cs];
                for (; jj < NR; jj++) dst[jj] = 0.0f;
                dst += NR;
            }
        }
    }
}

#if defined(__GNUC__) || defined(__clang__)
#define VITC__GEMM_INLINE static inline __attribute__((always_inline))
#else
#define VITC__GEMM_INLINE static inline
#endif

/* ap (kc, MR) = rows [0, mr) of A', columns [0, kc), A'[i][k] = A[i*a_rs + k*a_cs];
 * rows past mr repeat row mr-1. MR is a literal at each use (the per-ISA
 * templates wrap it as their tile's pack_a), so the row loop unrolls: the
 * generic loop with a run-time MR packs 3x slower. */
VITC__GEMM_INLINE void vitc__f32_gemm_pack_a(const int MR, int mr, int kc, const float *VITC_RESTRICT A,
                                             ptrdiff_t a_rs, ptrdiff_t a_cs, float *VITC_RESTRICT ap)
{
    const float *rows[16];
    int r, k;
    for (r = 0; r < MR; r++) rows[r] = A + (ptrdiff_t)(r < mr ? r : mr - 1) * a_rs;
    if (a_cs == 1) {
        for (k = 0; k < kc; k++, ap += MR)
            for (r = 0; r < MR; r++) ap[r] = rows[r][k];
    } else {
        for (k = 0; k < kc; k++, ap += MR)
            for (r = 0; r < MR; r++) ap[r] = rows[r][(ptrdiff_t)k * a_cs];
    }
}

/* A tile whose columns [j, j + nr) cross a boundary of the column ranges: computed
 * once per range into a tile-sized buffer (from C's partial sums when accumulating),
 * with that range's activation, and that range's columns copied out; a range with a
 * gate column gets its gate (and then the residual) here, in float, since the
 * microkernel would read gate columns left of the range for the tile's other
 * columns. e: the tile's epilogue operands. */
static VITC_UNUSED void vitc__f32_gemm_straddle(const vitc_f32_gemm_tile *t, vitc_f32_gemm_ukernel_fn uk, int mr,
                                               int nr, int kc, const float *ap, const float *w, ptrdiff_t ldb,
                                               float *c, ptrdiff_t ldc, const vitc_f32_gemm_epilogue *ep,
                                               const vitc_f32_gemm_tile_epilogue *e, int j, int N, int flags)
{
    float buf[16 * 32]; /* MR x NR of any tile (pack_a takes MR <= 16) */
    const int NR = t->nr;
    int s = j, r, q;
    while (s < j + nr) {
        int start, end, act, glu, stop;
        vitc__f32_gemm_range(ep, s, N, &start, &end, &act, &glu);
        stop = end < j + nr ? end : j + nr;
        if (flags & VITC_GEMM_ACCUMULATE)
            for (r = 0; r < mr; r++)
                for (q = 0; q < nr; q++) buf[r * NR + q] = c[(ptrdiff_t)r * ldc + q];
        if (glu < 0) {
            uk(mr, nr, kc, ap, w, ldb, buf, NR, e, flags | (act << VITC_GEMM_ACT_SHIFT));
            for (r = 0; r < mr; r++)
                for (q = s - j; q < stop - j; q++) c[(ptrdiff_t)r * ldc + q] = buf[r * NR + q];
        } else {
            vitc_f32_gemm_tile_epilogue b = *e; /* the biases only */
            b.gate = b.res = NULL;
            uk(mr, nr, kc, ap, w, ldb, buf, NR, &b, flags | (act << VITC_GEMM_ACT_SHIFT));
            for (r = 0; r < mr; r++) {
                float *cr = c + (ptrdiff_t)r * ldc;
                for (q = s - j; q < stop - j; q++) {
                    float v = buf[r * NR + q] * cr[glu + (j + q - start) - j];
                    if (e->res) v = fmaf(e->res_scale, e->res[(ptrdiff_t)r * e->ldr + q], v);
                    cr[q] = v;
                }
            }
        }
        s = stop;
    }
}

/* The epilogue operands of tile (i0, j0) (e), moved by NR columns per tile by the
 * driver. NULL if there is no epilogue. */
static inline VITC_UNUSED const vitc_f32_gemm_tile_epilogue *
vitc__f32_gemm_tile_epilogue_at(const vitc_f32_gemm_epilogue *ep, int i0, int j0, vitc_f32_gemm_tile_epilogue *e)
{
    if (!ep) return NULL;
    e->bias = ep->bias ? ep->bias + j0 : NULL;
    e->row_bias = ep->row_bias ? ep->row_bias + i0 : NULL;
    e->gate_mode = ep->gate && ep->gate_mode ? ep->gate_mode : VITC_GEMM_GATE_NONE;
    e->gate = e->gate_mode ? ep->gate + (ptrdiff_t)i0 * ep->ldg + j0 : NULL;
    e->ldg = ep->ldg;
    e->res = ep->res ? ep->res + (ptrdiff_t)i0 * ep->ldr + j0 : NULL;
    e->ldr = ep->ldr;
    e->res_scale = ep->res_scale;
    e->act_alpha = ep->act_alpha;
    e->act_beta = ep->act_beta;
    e->b_off = NULL;
    return e;
}

/* C (M,N) rows ldc apart = epilogue(A' (M,K) @ B (K,N)), A'[i][k] = A[i*a_rs + k*a_cs];
 * B packed (ldb == 0) or read in place, rows ldb apart (the layouts above); ep
 * (f32-gemm-epilogue.c) may be NULL (a plain product). accumulate != 0: C's
 * contents take the place of the bias and row bias (C = epilogue'(C + A'@B)). kc,
 * nc: block sizes (0 = whole). ap: MR * min(kc, K) floats of scratch; bt, for a B
 * read in place whose N is not a multiple of NR: min(kc, K) * NR floats (the last
 * panel, packed), else unused. C must not overlap A, B, the epilogue's operands
 * (except a gate or residual that is C itself, element for element), ap or bt. */
VITC_KERNEL void vitc__f32_gemm_drive(const vitc_f32_gemm_tile *t, int M, int N, int K,
                                      const float *A, ptrdiff_t a_rs, ptrdiff_t a_cs, const float *B, ptrdiff_t ldb,
                                      float *C, ptrdiff_t ldc, const vitc_f32_gemm_epilogue *ep,
                                      int accumulate, int kc, int nc, float *ap, float *bt)
{
    const int MR = t->mr, NR = t->nr;
    int j0, k0, i0, j;
    if (M <= 0 || N <= 0) return;
    if (kc <= 0 || kc > K) kc = K;
    if (nc <= 0 || nc > N) nc = N;
    nc = (nc + NR - 1) / NR * NR;
    for (j0 = 0; j0 < N; j0 += nc) {
        const int ncb = N - j0 < nc ? N - j0 : nc;
        k0 = 0;
        do { /* at least once: K == 0 still writes bias, activation and residual */
            const int kcb = K - k0 < kc ? K - k0 : kc;
            const int flags = ((accumulate || k0 > 0) ? VITC_GEMM_ACCUMULATE : 0) | (k0 + kcb >= K ? VITC_GEMM_FINAL : 0);
            const int jt = N % NR && j0 + ncb == N ? N - N % NR : N; /* a partial last panel read in place: packed */
            if (ldb && jt < N) vitc_f32_gemm_pack_b(kcb, N - jt, NR, B + (ptrdiff_t)k0 * ldb + jt, ldb, 1, bt);
            for (i0 = 0; i0 < M; i0 += MR) {
                const int mr = M - i0 < MR ? M - i0 : MR;
                const int tail = mr <= t->mr_tail;
                const vitc_f32_gemm_ukernel_fn ukr = tail ? t->uk_tail : t->uk; /* the rows' kernel */
                vitc_f32_gemm_tile_epilogue e;
                const vitc_f32_gemm_tile_epilogue *pe = vitc__f32_gemm_tile_epilogue_at(ep, i0, j0, &e);
                int start = 0, end = -1, act = VITC_GEMM_ACT_NONE, glu = -1; /* the column range of tile j */
                (tail ? t->pack_a_tail : t->pack_a)(mr, kcb, A + (ptrdiff_t)i0 * a_rs + (ptrdiff_t)k0 * a_cs, a_rs,
                                                    a_cs, ap);
                for (j = j0; j < j0 + ncb; j += NR) {
                    const int nr = N - j < NR ? N - j : NR;
                    const vitc_f32_gemm_ukernel_fn uk = nr <= NR / 2 && !tail && t->uk_half ? t->uk_half : ukr;
                    const float *w = !ldb ? B + (ptrdiff_t)(j / NR) * K * NR + (ptrdiff_t)k0 * NR
                                     : j < jt ? B + (ptrdiff_t)k0 * ldb + j : bt;
                    const ptrdiff_t wld = ldb && j < jt ? ldb : NR;
                    float *c = C + (ptrdiff_t)i0 * ldc + j;
                    if (!(flags & VITC_GEMM_FINAL)) {
                        uk(mr, nr, kcb, ap, w, wld, c, ldc, pe, flags);
                    } else {
                        if (j >= end) vitc__f32_gemm_range(ep, j, N, &start, &end, &act, &glu);
                        if (j + nr > end) {
                            vitc__f32_gemm_straddle(t, uk, mr, nr, kcb, ap, w, wld, c, ldc, ep, pe, j, N, flags);
                        } else if (glu >= 0) { /* gated by the range's own earlier columns, final by now */
                            vitc_f32_gemm_tile_epilogue ge = e;
                            ge.gate_mode = VITC_GEMM_GATE_MUL;
                            ge.gate = C + (ptrdiff_t)i0 * ldc + glu + (j - start);
                            ge.ldg = ldc;
                            uk(mr, nr, kcb, ap, w, wld, c, ldc, &ge, flags | (act << VITC_GEMM_ACT_SHIFT));
                        } else {
                            uk(mr, nr, kcb, ap, w, wld, c, ldc, pe, flags | (act << VITC_GEMM_ACT_SHIFT));
                        }
                    }
                    if (pe) { /* the next tile's operands */
                        if (e.bias) e.bias += NR;
                        if (e.gate) e.gate += NR;
                        if (e.res) e.res += NR;
                    }
                }
            }
            k0 += kcb;
        } while (k0 < K);
    }
}

/* Scratch (floats) of vitc__f32_matmul_drive: packed B then the A micro-panel. */
#define VITC_F32_MATMUL_SCRATCH(MR, NR, K, N, kc) \
    ((((ptrdiff_t)(N) + (NR) - 1) / (NR)) * (NR) * (ptrdiff_t)(K) + (ptrdiff_t)(MR) * ((kc) > 0 && (kc) < (K) ? (kc) : (K)))

/* ONNX MatMul with an activation B (not a constant), batched with numpy broadcasting,
 * the same contract as vitc_f32_matmul_scalar (templates/gemm/f32-gemm-scalar.c):
 *   C [batch..., M, N] = A [batch..., M, K] @ B [batch..., K, N]
 * except that each B matrix is read through strides: B(k, j) = Bm[k*b_rs + j*b_cs]
 * (b_rs = N, b_cs = 1 for a row-major B; b_rs = 1, b_cs = K for a B stored
 * transposed, (N,K)). Each B matrix is packed once into scratch (repacked only when
 * the next batch reads another one), then multiplied like a weight.
 * scratch: VITC_F32_MATMUL_SCRATCH(MR, NR, K, N, kc) floats. */
VITC_KERNEL void vitc__f32_matmul_drive(const vitc_f32_gemm_tile *t, int M, int N, int K,
                                        int batch_rank, const int *batch_dims, const ptrdiff_t *a_batch_strides,
                                        const ptrdiff_t *b_batch_strides, const float *A, const float *B,
                                        ptrdiff_t b_rs, ptrdiff_t b_cs, float *C, int kc, int nc, float *scratch)
{
    const int NR = t->nr;
    int idx[VITC_MAX_RANK];
    ptrdiff_t nbatch = 1, b, packed_at = -1;
    const ptrdiff_t cstep = (ptrdiff_t)M * N;
    float *wp = scratch;
    float *ap = scratch + ((ptrdiff_t)N + NR - 1) / NR * NR * K;
    int d;

    for (d = 0; d < batch_rank; d++) {
        nbatch *= batch_dims[d];
        idx[d] = 0;
    }
    for (b = 0; b < nbatch; b++) {
        ptrdiff_t ao = 0, bo = 0;
        for (d = 0; d < batch_rank; d++) {
            ao += idx[d] * a_batch_strides[d];
            bo += idx[d] * b_batch_strides[d];
        }
        if (bo != packed_at) {
            vitc_f32_gemm_pack_b(K, N, NR, B + bo, b_rs, b_cs, wp);
            packed_at = bo;
        }
        vitc__f32_gemm_drive(t, M, N, K, A + ao, K, 1, wp, 0, C + b * cstep, N, NULL, 0, kc, nc, ap, NULL);
        for (d = batch_rank - 1; d >= 0; d--) { /* odometer over the batch index */
            if (++idx[d] < batch_dims[d]) break;
            idx[d] = 0;
        }
    }
}

/* The input plane as the im2col packer reads it: the plane with its padding made
 * explicit (Hp x Wp, zeros around), so that every tap of every output pixel is in
 * bounds, and, for a strided conv, split into its sh x sw phases (phase (py, px)
 * holds the padded plane's elements (py + sh*i, px + sw*j), ceil(Hp/sh) x
 * ceil(Wp/sw) of them), so that every tap is a contiguous run. A conv without
 * padding reads X itself (Hp = H, Wp = W). */
#define VITC__CONV2D_PADDED(pad, in, out, s, k, d) \
    ((pad) + (in) > ((out) - 1) * (s) + ((k) - 1) * (d) + 1 ? (pad) + (in) : ((out) - 1) * (s) + ((k) - 1) * (d) + 1)
#define VITC__CONV2D_PHASED(pad, in, out, s, k, d) ((s) * ((VITC__CONV2D_PADDED(pad, in, out, s, k, d) + (s) - 1) / (s)))

/* Output pixels per chunk of the im2col matrix: the matrix is packed and multiplied
 * a chunk at a time, about 64 Ki floats (256 KiB, so the chunk stays in L2 while
 * every row panel of the weights sweeps it), whole panels of NR, at least one. */
#define VITC__CONV2D_CHUNK_PANELS(NR, kdim) \
    ((65536 / ((kdim) > 0 ? (kdim) : 1)) / (NR) > 1 ? (65536 / ((kdim) > 0 ? (kdim) : 1)) / (NR) : 1)
#define VITC__CONV2D_CHUNK(NR, kdim, OHW)                                                                  \
    (((OHW) + (NR) - 1) / (NR) < VITC__CONV2D_CHUNK_PANELS(NR, kdim) ? ((OHW) + (NR) - 1) / (NR) * (NR) \
                                                                      : VITC__CONV2D_CHUNK_PANELS(NR, kdim) * (NR))

/* Scratch (floats) of vitc__f32_conv2d_drive: one chunk of the im2col matrix packed
 * as B (kdim x VITC__CONV2D_CHUNK; for a 1x1, stride-1, unpadded conv, whose input
 * is read in place, only its last partial panel, kdim x NR), the A micro-panel,
 * then, for a padded conv, one group's input channels padded and split into phases
 * (C_in/group times VITC__CONV2D_PHASED(...H...) x VITC__CONV2D_PHASED(...W...)
 * floats). */
#define VITC_F32_CONV2D_SCRATCH(MR, NR, kdim, OHW, kc, pointwise, padded_plane_floats) \
    (((pointwise) ? (ptrdiff_t)(NR) * (ptrdiff_t)(kdim) : (ptrdiff_t)VITC__CONV2D_CHUNK(NR, kdim, OHW) * (ptrdiff_t)(kdim)) + \
     (ptrdiff_t)(MR) * ((kc) > 0 && (kc) < (kdim) ? (kc) : (kdim)) + (ptrdiff_t)(padded_plane_floats))

/* dst[0, nr) = the tap of one padded input plane xp (rows Wp apart) seen by output
 * pixels [p0, p0 + nr) (row-major over (OH, OW); p0 = oh*OW + ow):
 * xp[oh*sh + hoff][ow*sw + woff]; dst[nr, NR) = 0. In bounds by construction
 * (VITC__CONV2D_PADDED), so a panel that lies in one output row of a stride-1 conv
 * is one copy of NR floats. */
VITC_KERNEL void vitc__f32_conv2d_pack_tap(float *VITC_RESTRICT dst, const float *VITC_RESTRICT xp, int oh, int ow,
                                           int nr, int NR, int OW, int Wp, int sh, int sw, int hoff, int woff)
{
    int jj = 0, q;
    if (sw == 1 && ow + nr <= OW) {
        vitc__f32_gemm_copy_row(dst, xp + (ptrdiff_t)(oh * sh + hoff) * Wp + ow + woff, nr, NR);
        return;
    }
    while (jj < nr) {
        const int seg = OW - ow < nr - jj ? OW - ow : nr - jj;
        const float *xr = xp + (ptrdiff_t)(oh * sh + hoff) * Wp + woff;
        float *d = dst + jj - ow; /* d[o] is output column o of this row */
        if (sw == 1)
            for (q = ow; q < ow + seg; q++) d[q] = xr[q];
        else
            for (q = ow; q < ow + seg; q++) d[q] = xr[(ptrdiff_t)q * sw];
        jj += seg;
        ow = 0;
        oh++;
    }
    for (; jj < NR; jj++) dst[jj] = 0.0f;
}

/* The packed panels of output pixels [q0, q0 + qn) (whole panels of NR, the last one
 * maybe partial) of the im2col matrix of a padded conv, from its phase planes (xpad,
 * VITC__CONV2D_PHASED): wp[panel][k = (c*KH + kh)*KW + kw][jj]. Tap by tap, panel by
 * panel, walking the output row and column along without a division; a panel inside
 * one output row is one copy of NR contiguous floats. */
VITC_KERNEL void vitc__f32_conv2d_pack_phased(float *VITC_RESTRICT wp, const float *VITC_RESTRICT xpad, int cin_g,
                                              int KH, int KW, int dil_h, int dil_w, int sh, int sw, int Hq, int Wq,
                                              int q0, int qn, int NR, int OW)
{
    const ptrdiff_t hwq = (ptrdiff_t)Hq * Wq, kdim = (ptrdiff_t)cin_g * KH * KW;
    const int oh0 = q0 / OW, ow0 = q0 % OW;
    int c, kh, kw, p0;
    float *dk = wp;
    for (c = 0; c < cin_g; c++)
        for (kh = 0; kh < KH; kh++)
            for (kw = 0; kw < KW; kw++, dk += NR) {
                const int ty = kh * dil_h, tx = kw * dil_w;
                const float *xp = xpad + ((ptrdiff_t)c * sh * sw + (ptrdiff_t)(ty % sh) * sw + tx % sw) * hwq +
                                  (ptrdiff_t)(ty / sh) * Wq + tx / sw; /* xp[oh*Wq + ow]: the tap of output (oh, ow) */
                float *dst = dk;
                int oh = oh0, ow = ow0;
                for (p0 = 0; p0 < qn; p0 += NR, dst += kdim * NR) {
                    const int nr = qn - p0 < NR ? qn - p0 : NR;
                    if (ow + nr <= OW) {
                        vitc__f32_gemm_copy_row(dst, xp + (ptrdiff_t)oh * Wq + ow, nr, NR);
                        ow += nr;
                    } else {
                        int jj = 0, q;
                        while (jj < nr) {
                            const int seg = OW - ow < nr - jj ? OW - ow : nr - jj;
                            const float *xr = xp + (ptrdiff_t)oh * Wq;
                            for (q = 0; q < seg; q++) dst[jj + q] = xr[ow + q];
                            jj += seg;
                            ow += seg;
                            if (ow == OW) ow = 0, oh++;
                        }
                        for (; jj < NR; jj++) dst[jj] = 0.0f;
                    }
                    if (ow == OW) ow = 0, oh++;
                }
            }
}

/* The phase planes (VITC__CONV2D_PHASED) of padded rows [r0, r0 + rows) of cin_g
 * input planes xg (H x W each), rows a multiple of sh: channel c's phase (py, px)
 * row j (of the band) at xpad + c*hwq*sh*sw + (py*sw + px)*hwq + j*Wq, holding the
 * padded plane's row r0 + j*sh + py, columns px, px + sw, ...; rows and columns
 * outside X are zero. r0 = 0, rows = Hq*sh, hwq = Hq*Wq: the whole planes. */
static VITC_UNUSED void vitc__f32_conv2d_fill_phased(float *VITC_RESTRICT xpad, const float *VITC_RESTRICT xg,
                                                     int cin_g, int H, int W, int pad_t, int pad_l, int sh, int sw,
                                                     int Wq, int r0, int rows, ptrdiff_t hwq)
{
    const ptrdiff_t hw = (ptrdiff_t)H * W, hwp = hwq * sh * sw;
    int c, r;
    for (c = 0; c < cin_g; c++) {
        const float *xc = xg + (ptrdiff_t)c * hw;
        for (r = 0; r < rows; r++) {
            const int ih = r0 + r - pad_t;
            float *ph = xpad + (ptrdiff_t)c * hwp + (ptrdiff_t)(r % sh) * sw * hwq + (ptrdiff_t)(r / sh) * Wq;
            int px, q, iw;
            if (ih < 0 || ih >= H) { /* a padding row, all phases */
                for (px = 0; px < sw; px++) memset(ph + (ptrdiff_t)px * hwq, 0, sizeof(float) * (size_t)Wq);
                continue;
            }
            if (sw == 1) { /* the left padding, the row, the right padding */
                memset(ph, 0, sizeof(float) * (size_t)pad_l);
                memcpy(ph + pad_l, xc + (ptrdiff_t)ih * W, sizeof(float) * (size_t)W);
                memset(ph + pad_l + W, 0, sizeof(float) * (size_t)(Wq - pad_l - W));
            } else { /* column pad_l + iw goes to phase (pad_l + iw) % sw */
                const float *xr = xc + (ptrdiff_t)ih * W;
                for (px = 0; px < sw; px++)
                    for (q = 0; q < Wq; q++) ph[(ptrdiff_t)px * hwq + q] = 0.0f;
                for (px = 0; px < sw; px++) {
                    iw = ((px - pad_l) % sw + sw) % sw; /* first column of this phase */
                    float *pp = ph + (ptrdiff_t)px * hwq + (iw + pad_l) / sw;
                    const int cnt = (W - iw + sw - 1) / sw;
                    if (sw == 2) /* a constant stride: compilers vectorize it with permutes */
                        for (q = 0; q < cnt; q++) pp[q] = xr[iw + 2 * q];
                    else
                        for (q = 0; q < cnt; q++) pp[q] = xr[iw + q * sw];
                }
            }
        }
    }
}

/* The implicit GEMM for a padded conv with no gate or residual and K in one block
 * (VITC__CONV2D_IMPLICIT): no im2col. The output rows are taken a band of bh at a
 * time (VITC__CONV2D_BAND_ROWS), and only the phase planes' rows that band reads
 * are made (vitc__f32_conv2d_fill_phased: bh + VITC__CONV2D_BAND_HALO rows of each
 * phase, at most VITC__CONV2D_BAND_FLOATS in all), so they are still in L2 when the
 * microkernel reads them, whatever the size of the map; the halo rows are made
 * again by the next band. The microkernel reads B itself from those planes: B row
 * k = tap (c, kh, kw) of output pixel i = oh*Wq + ow (oh within the band) on the
 * flat grid of the phase plane's width is xb[i + boff[k]] (boff: c's plane, the
 * tap's phase, and its row and column within the phase), so a panel of NR
 * consecutive flat outputs reads each tap as one run. A panel whose columns lie in
 * one output row (ow + nr <= OW) is stored straight into Y; one that crosses the
 * Wq - OW columns past a row's end goes through a tile buffer and only its real
 * outputs are copied. The microkernel reads up to NR + KW*dil_w floats past the
 * planes (kept zero); what it computes from them lands in dropped columns. */
#ifndef VITC__CONV2D_BAND_FLOATS
/* 64 Ki floats (256 KiB, a quarter of a Zen 4 core's L2): the planes of one band
 * stay there while the weights and Y's stores pass through. Without bands the
 * planes of a big map (ocr_det_unet_op11 at 640x640: 6.6 MB) came from L3 and
 * lost to im2col. */
#define VITC__CONV2D_BAND_FLOATS 65536
#endif
#define VITC__CONV2D_BAND_HALO(KH, dil_h, sh) (((KH) - 1) * (dil_h) / (sh))
/* Output rows per band: as many as fit VITC__CONV2D_BAND_FLOATS with the halo, at
 * most OH; 0 when a band of one row does not fit (then im2col). row_floats: one
 * phase row of every phase of every input channel, cin_g * sh * sw * Wq. */
#define VITC__CONV2D_BAND_ROWS(row_floats, halo, OH)                                                               \
    (VITC__CONV2D_BAND_FLOATS / (row_floats) <= (halo) ? 0                                                         \
     : VITC__CONV2D_BAND_FLOATS / (row_floats) - (halo) < (OH) ? VITC__CONV2D_BAND_FLOATS / (row_floats) - (halo) \
                                                               : (OH))
#ifndef VITC__CONV2D_IMPLICIT /* (-D'VITC__CONV2D_IMPLICIT(b, k, d, g)=0' turns it off, to compare) */
/* band_rows: VITC__CONV2D_BAND_ROWS for a padded conv, 0 for an unpadded one */
#define VITC__CONV2D_IMPLICIT(band_rows, kc, kdim, gated) ((band_rows) > 0 && ((kc) <= 0 || (kc) >= (kdim)) && !(gated))
#endif
/* Its scratch (floats): offsets, packed weights, one band's phase planes
 * (row_floats * (band_rows + halo)) and their overrun. */
#define VITC_F32_CONV2D_SCRATCH_IMPLICIT(MR, NR, kdim, cout_g, band_plane_floats, KW, dil_w)                        \
    (2 * (ptrdiff_t)(kdim) + (((ptrdiff_t)(cout_g) + (MR) - 1) / (MR) * (MR)) * (ptrdiff_t)(kdim) +                 \
     (ptrdiff_t)(band_plane_floats) + (NR) + (ptrdiff_t)(KW) * (dil_w))

/* Y_g (cout_g, OH*OW) = act(W_g @ taps + row_bias), band by band (above). xg: the
 * group's input planes; Wq: the phase plane's width (VITC__CONV2D_PHASED / sw). */
static VITC_UNUSED void vitc__f32_conv2d_implicit(const vitc_f32_gemm_tile *t, int cout_g, int cin_g, int H, int W,
                                                  int OH, int OW, int KH, int KW, int sh, int sw, int dil_h, int dil_w,
                                                  int pad_t, int pad_l, int Wq, const float *xg, const float *Wg,
                                                  const float *row_bias, const vitc_f32_gemm_epilogue *ep, float *Y,
                                                  float *scratch)
{
    const int MR = t->mr, NR = t->nr, kdim = cin_g * KH * KW;
    const int halo = VITC__CONV2D_BAND_HALO(KH, dil_h, sh);
    const int bh = VITC__CONV2D_BAND_ROWS(cin_g * sh * sw * Wq, halo, OH);
    const ptrdiff_t hwq = (ptrdiff_t)(bh + halo) * Wq, hwp = hwq * sh * sw, ohw = (ptrdiff_t)OH * OW;
    const int flags = VITC_GEMM_FINAL | VITC_GEMM_INDIRECT_B | ((ep ? ep->act : VITC_GEMM_ACT_NONE) << VITC_GEMM_ACT_SHIFT);
    ptrdiff_t *boff = (ptrdiff_t *)(void *)scratch;
    float *apk = scratch + 2 * (ptrdiff_t)kdim;
    float *xb = apk + (ptrdiff_t)((cout_g + MR - 1) / MR * MR) * kdim;
    float buf[16 * 32]; /* one tile that crosses a row's end (MR <= 16, NR <= 32) */
    vitc_f32_gemm_tile_epilogue te;
    int i0, mr, c, kh, kw, r, oh0, whole, nlast, j, last_mr[32];
    vitc_f32_gemm_ukernel_fn last_uk[32];
    memset(&te, 0, sizeof te);
    te.b_off = boff;
    te.act_alpha = ep ? ep->act_alpha : 0.0f;
    te.act_beta = ep ? ep->act_beta : 0.0f;
    for (c = 0, r = 0; c < cin_g; c++) /* tap (c, kh, kw) of output (oh, ow): phase plane element c, phase, (oh, ow) + offset */
        for (kh = 0; kh < KH; kh++)
            for (kw = 0; kw < KW; kw++)
                boff[r++] = (ptrdiff_t)c * hwp + (ptrdiff_t)((kh * dil_h) % sh * sw + (kw * dil_w) % sw) * hwq +
                            (ptrdiff_t)(kh * dil_h / sh) * Wq + kw * dil_w / sw;
    memset(xb + (ptrdiff_t)cin_g * hwp, 0, sizeof(float) * (size_t)(NR + KW * dil_w)); /* the overrun */
    /* the output channels' kernels, worked out once: whole tiles of MR rows up to the last rows, whose cover
     * (vitc__f32_gemm_rows_kernel, fewer than 2 * MR rows) is listed; the packed rows end by
     * ceil(cout_g / MR) * MR, since the cover is no wider than whole tiles */
    for (whole = 0; cout_g - whole >= 2 * MR; whole += MR) t->pack_a(MR, kdim, Wg + (ptrdiff_t)whole * kdim, kdim, 1,
                                                                     apk + (ptrdiff_t)whole * kdim);
    for (i0 = whole, nlast = 0; i0 < cout_g; i0 += last_mr[nlast++]) {
        vitc_f32_gemm_pack_fn pack;
        const int kmr = vitc__f32_gemm_rows_kernel(t, cout_g - i0, &last_uk[nlast], &pack);
        last_mr[nlast] = cout_g - i0 < kmr ? cout_g - i0 : kmr;
        pack(last_mr[nlast], kdim, Wg + (ptrdiff_t)i0 * kdim, kdim, 1, apk + (ptrdiff_t)i0 * kdim);
    }
    for (oh0 = 0; oh0 < OH; oh0 += bh) {
        const int nb = OH - oh0 < bh ? OH - oh0 : bh;
        const ptrdiff_t L = (ptrdiff_t)(nb - 1) * Wq + OW; /* the band's flat grid up to its last real output */
        ptrdiff_t p0;
        vitc__f32_conv2d_fill_phased(xb, xg, cin_g, H, W, pad_t, pad_l, sh, sw, Wq, oh0 * sh, (nb + halo) * sh, hwq);
        for (p0 = 0; p0 < L; p0 += NR) {
            const int nr = L - p0 < NR ? (int)(L - p0) : NR, ohl = (int)(p0 / Wq), ow = (int)(p0 % Wq);
            const int direct = ow + nr <= OW; /* in one output row */
            float *yp = Y + (ptrdiff_t)(oh0 + ohl) * OW + ow;
            if (!direct && ow >= OW && ow + nr <= Wq) continue; /* only dropped columns */
            for (i0 = 0, j = 0; i0 < cout_g; i0 += mr, j += i0 > whole) {
                const vitc_f32_gemm_ukernel_fn uk = i0 < whole ? t->uk : last_uk[j];
                mr = i0 < whole ? MR : last_mr[j];
                te.row_bias = row_bias ? row_bias + i0 : NULL;
                uk(mr, nr, kdim, apk + (ptrdiff_t)i0 * kdim, xb + p0, 0, direct ? yp + (ptrdiff_t)i0 * ohw : buf,
                   direct ? ohw : NR, &te, flags);
                if (!direct) { /* the real outputs among the tile's columns, segment by output row */
                    int q = 0, o = ow, h = oh0 + ohl;
                    while (q < nr) {
                        const int seg = Wq - o < nr - q ? Wq - o : nr - q, real = o < OW ? (OW - o < seg ? OW - o : seg) : 0;
                        for (r = 0; r < mr && real > 0; r++)
                            memcpy(Y + (ptrdiff_t)(i0 + r) * ohw + (ptrdiff_t)h * OW + o, buf + r * NR + q,
                                   sizeof(float) * (size_t)real);
                        q += seg;
                        o = 0;
                        h++;
                    }
                }
            }
        }
    }
}

/* ONNX Conv (NCHW) as GEMMs, any group, with an epilogue:
 *   Y_g (C_out/group, OH*OW) = epilogue(W_g (C_out/group, kdim) @ col_g (kdim, OH*OW)),
 *   kdim = (C_in/group) * KH * KW,
 * the conv's bias (per output channel, a row of Y_g) as the epilogue's row bias.
 * The im2col matrix col_g is gathered straight into the packed-B layout (panels of
 * NR output pixels) from the group's input planes, copied first with their padding
 * made explicit when the conv pads (then no tap needs a bounds check); the weight is
 * the A operand in ONNX's own layout (C_out, C_in/group, KH, KW) = row-major (C_out,
 * kdim), and the output comes out NCHW. A 1x1, stride-1, unpadded conv reads X in
 * place as B (rows of H*W pixels, one per input channel): no copy at all.
 * Geometry as in vitc_f32_conv2d_scalar (templates/conv/f32-conv2d-scalar.c).
 * ep: activation, gate and residual (G and R laid out like Y: (N, C_out, OH*OW),
 * rows ldg, ldr = OH*OW apart), or NULL; its bias, row bias and column ranges are
 * not used. scratch: VITC_F32_CONV2D_SCRATCH(MR, NR, kdim, OH*OW, kc, pointwise,
 * padded) floats, pointwise = KH == KW == 1, strides 1, no padding, OH == H and OW
 * == W; padded = 0 without padding (pad_t == pad_l == 0 and Hp == H, Wp == W), else
 * (C_in/group) * VITC__CONV2D_PHASED(pad_t, H, OH, stride_h, KH, dil_h) *
 * VITC__CONV2D_PHASED(pad_l, W, OW, stride_w, KW, dil_w); when VITC__CONV2D_IMPLICIT
 * holds, at least VITC_F32_CONV2D_SCRATCH_IMPLICIT too (Wq = the phased width /
 * stride_w, the band's planes (C_in/group) * stride_h * stride_w * Wq * (band rows +
 * halo), VITC__CONV2D_BAND_ROWS and _HALO). A padded conv with no gate or residual,
 * K in one block and a band of one output row within VITC__CONV2D_BAND_FLOATS runs
 * as the implicit GEMM above, band by band. */
VITC_KERNEL void vitc__f32_conv2d_drive(const vitc_f32_gemm_tile *t, int N, int C_in, int H, int W, int C_out,
                                        int OH, int OW, int KH, int KW, int stride_h, int stride_w, int dil_h,
                                        int dil_w, int pad_t, int pad_l, int group, const float *X, const float *Wt,
                                        const float *bias, float *Y, const vitc_f32_gemm_epilogue *ep, int kc,
                                        int nc, float *scratch)
{
    const int NR = t->nr;
    const int cin_g = C_in / group, cout_g = C_out / group;
    const int kdim = cin_g * KH * KW, ohw = OH * OW;
    const ptrdiff_t hw = (ptrdiff_t)H * W;
    const int pointwise = KH == 1 && KW == 1 && stride_h == 1 && stride_w == 1 && pad_t == 0 && pad_l == 0 &&
                          OH == H && OW == W;
    const int Hp = VITC__CONV2D_PADDED(pad_t, H, OH, stride_h, KH, dil_h);
    const int Wp = VITC__CONV2D_PADDED(pad_l, W, OW, stride_w, KW, dil_w);
    const int padded = !pointwise && (pad_t || pad_l || Hp != H || Wp != W);
    const int Hq = (Hp + stride_h - 1) / stride_h, Wq = (Wp + stride_w - 1) / stride_w; /* a phase plane */
    const ptrdiff_t hwq = (ptrdiff_t)Hq * Wq;
    const int chunk = VITC__CONV2D_CHUNK(NR, kdim, ohw);
    float *wp = scratch;
    float *ap = scratch + (pointwise ? (ptrdiff_t)NR * kdim : (ptrdiff_t)chunk * kdim);
    float *xpad = ap + (ptrdiff_t)t->mr * (kc > 0 && kc < kdim ? kc : kdim);
    /* the implicit GEMM (VITC__CONV2D_IMPLICIT), band by band, with its own use of scratch */
    const int band_rows = padded ? VITC__CONV2D_BAND_ROWS(cin_g * stride_h * stride_w * Wq,
                                                          VITC__CONV2D_BAND_HALO(KH, dil_h, stride_h), OH) : 0;
    const int implicit = VITC__CONV2D_IMPLICIT(band_rows, kc, kdim, ep && (ep->gate || ep->res));
    int n, g, c, kh, kw, p0, q0;

    for (n = 0; n < N; n++) {
        for (g = 0; g < group; g++) {
            const float *xg = X + ((ptrdiff_t)n * C_in + (ptrdiff_t)g * cin_g) * hw;
            const ptrdiff_t yoff = ((ptrdiff_t)n * C_out + (ptrdiff_t)g * cout_g) * ohw;
            vitc_f32_gemm_epilogue e;
            memset(&e, 0, sizeof e);
            if (ep) {
                e.act = ep->act;
                e.gate_mode = ep->gate_mode;
                e.gate = ep->gate ? ep->gate + yoff : NULL;
                e.ldg = ohw;
                e.res = ep->res ? ep->res + yoff : NULL;
                e.ldr = ohw;
                e.res_scale = ep->res_scale;
                e.act_alpha = ep->act_alpha;
                e.act_beta = ep->act_beta;
            }
            e.row_bias = bias ? bias + (ptrdiff_t)g * cout_g : NULL;
            if (!pointwise) {
                if (implicit) {
                    vitc__f32_conv2d_implicit(t, cout_g, cin_g, H, W, OH, OW, KH, KW, stride_h, stride_w, dil_h, dil_w,
                                              pad_t, pad_l, Wq, xg, Wt + (ptrdiff_t)g * cout_g * kdim, e.row_bias, ep,
                                              Y + yoff, scratch);
                    continue;
                }
                if (padded) /* xpad[c][py][px] = phase (py, px) of channel c's padded plane, Hq x Wq */
                    vitc__f32_conv2d_fill_phased(xpad, xg, cin_g, H, W, pad_t, pad_l, stride_h, stride_w, Wq, 0,
                                                 Hq * stride_h, hwq);
                /* chunk by chunk of output pixels [q0, q0 + chunk): wp[panel][k = (c*KH + kh)*KW + kw][jj] =
                 * Xpadded[c][oh*sh + kh*dh][ow*sw + kw*dw], then that chunk's columns of Y_g */
                for (q0 = 0; q0 < ohw; q0 += chunk) {
                    const int qn = ohw - q0 < chunk ? ohw - q0 : chunk;
                    vitc_f32_gemm_epilogue ec = e;
                    if (padded)
                        vitc__f32_conv2d_pack_phased(wp, xpad, cin_g, KH, KW, dil_h, dil_w, stride_h, stride_w, Hq, Wq, q0,
                                                     qn, NR, OW);
                    for (p0 = q0; !padded && p0 < q0 + qn; p0 += NR) {
                        const int nr = q0 + qn - p0 < NR ? q0 + qn - p0 : NR, oh = p0 / OW, ow = p0 % OW;
                        float *dst = wp + (ptrdiff_t)((p0 - q0) / NR) * kdim * NR;
                        for (c = 0; c < cin_g; c++)
                            for (kh = 0; kh < KH; kh++)
                                for (kw = 0; kw < KW; kw++, dst += NR) /* unpadded: X itself, strided */
                                    vitc__f32_conv2d_pack_tap(dst, xg + (ptrdiff_t)c * hw, oh, ow, nr, NR, OW, W, stride_h,
                                                              stride_w, kh * dil_h, kw * dil_w);
                    }
                    if (ec.gate) ec.gate += q0;
                    if (ec.res) ec.res += q0;
                    vitc__f32_gemm_drive(t, cout_g, qn, kdim, Wt + (ptrdiff_t)g * cout_g * kdim, kdim, 1, wp, 0,
                                         Y + yoff + q0, ohw, &ec, 0, kc, nc, ap, NULL);
                }
            } else { /* X read in place, a chunk of pixels at a time unless told (VITC__CONV2D_CHUNK): each MR-row
                      * tile of the weights sweeps the chunk while it is in L2, instead of all of X (the U-Net's
                      * 1x1 convs at 320x320: 6.5 MB) coming from memory once per tile */
                vitc__f32_gemm_drive(t, cout_g, ohw, kdim, Wt + (ptrdiff_t)g * cout_g * kdim, kdim, 1, xg, hw, Y + yoff, ohw,
                                     &e, 0, kc, nc > 0 ? nc : chunk, ap, wp);
            }
        }
    }
}

#endif /* VITC_F32_GEMM_DRIVER_C */
