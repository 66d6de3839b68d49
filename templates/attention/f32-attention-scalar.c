/* templates/attention/f32-attention-scalar.c: multi-head scaled dot-product
 * attention in one kernel (the vitc.Attention op), portable scalar C.
 *
 * For every batch b < B and head h < H, with query rows i < Nq and key rows
 * k < Nk,
 *
 *     O[b,h,i,:] = sum_k softmax_k(scale * Q[b,h,i,:] . K[b,h,k,:]) V[b,h,k,:]
 *
 * where Q and K rows have dk floats and V and O rows dv floats. Rows are read and
 * written in place through strides, so the kernel consumes a projection output
 * such as timm's qkv [B, N, 3*H*dk] directly (Q, K, V are the same buffer at
 * different offsets) and writes heads merged ([B, N, H*dv]) for the next
 * projection, without any Transpose, Split or Reshape copy:
 *
 *     row (b, h, i) of Q starts at Q + b*qs[0] + h*qs[1] + i*qs[2]
 *     (the same for K with ks, V with vs, G with gs, O with os); the dk (dv)
 *     floats of a row are contiguous.
 *
 * G, when not NULL, gates the values as MABViT does: V is replaced by
 * V * sigmoid(G) (G has V's shape, its own strides gs), computed once per head
 * into scratch. Strides are in floats and non-negative; O must not overlap Q, K,
 * V or G.
 *
 * Per (batch, head), K^T is packed into scratch (dk rows of Nk floats); then
 * per tile of up to 16 query rows the scores S = Q_tile K^T (16 x Nk, scratch)
 * and O_tile = P V are both products for the scalar GEMM core
 * (templates/gemm/f32-gemm-scalar.c, register-tiled C that compilers
 * vectorize), reading Q and V rows and writing O rows in place through their
 * strides. In between, each row of S gets the softmax: s * scale, max, then
 * exp(s - max) while summing; O rows are multiplied by 1/sum at the end. Like
 * ONNX Runtime's Softmax, subtracting the max keeps expf in range, and a row
 * whose scores are all -inf gives NaN. Nk = 0 gives zeros (a product over an
 * empty axis), as the unfused MatMuls would. Only one tile of scores is live.
 *
 * Scratch: VITC_ATTENTION_SCRATCH_FLOATS(Nk, dk, dv, G != NULL) floats, the amount every
 * attention kernel (this one and the shim-based -simd.c) may use; the compiler
 * (compiler/ops/attention.c) plans the same formula. */
#ifndef VITC_F32_ATTENTION_SCALAR_C
#define VITC_F32_ATTENTION_SCALAR_C

#include "../prelude.h"
#include "../gemm/f32-gemm-scalar.c"

/* Floats of scratch an attention kernel may use, on every target: K^T of one head
 * (dk rows of Nk rounded up to 64), up to 16 rows of scores and, with a gate
 * (gated != 0), the gated values of one head (Nk x dv). */
#define VITC_ATTENTION_SCRATCH_FLOATS(nk, dk, dv, gated) \
    ((size_t)((dk) + 16) * (size_t)(((nk) + 63) / 64 * 64) + ((gated) ? (size_t)(nk) * (size_t)(dv) : 0))

enum { VITC__ATTN_SCALAR_MR = 16 }; /* query rows per tile */

/* y[0..n) = v * sigmoid(g): one row of MABViT's gated values */
typedef void (*vitc__attn_gate_fn)(int n, const float *v, const float *g, float *y);

static VITC_UNUSED void vitc__attn_gate_row_scalar(int n, const float *v, const float *g, float *y)
{
    int j;
    for (j = 0; j < n; j++) y[j] = v[j] / (1.0f + expf(-g[j]));
}

/* The operands of head h of batch b, for this kernel and the shim-based one:
 * *q, *o its first rows of Q and O; K^T packed into kt, dk rows ldkt >= Nk floats
 * apart with the columns past Nk zero; *v, *vn the values the products read and
 * their row stride: V's rows, or with G, V * sigmoid(G) computed into vg (Nk rows
 * of dv) by gate, row by row. */
static VITC_UNUSED void vitc__attn_head(int b, int h, int Nk, int dk, int dv, const float *Q, const int *qs,
                                        const float *K, const int *ks, const float *V, const int *vs,
                                        const float *G, const int *gs, float *O, const int *os, float *kt,
                                        ptrdiff_t ldkt, float *vg, vitc__attn_gate_fn gate, const float **q,
                                        float **o, const float **v, int *vn)
{
    const float *kh = K + (ptrdiff_t)b * ks[0] + (ptrdiff_t)h * ks[1];
    int k, j;
    *q = Q + (ptrdiff_t)b * qs[0] + (ptrdiff_t)h * qs[1];
    *o = O + (ptrdiff_t)b * os[0] + (ptrdiff_t)h * os[1];
    *v = V + (ptrdiff_t)b * vs[0] + (ptrdiff_t)h * vs[1];
    *vn = vs[2];
    if (G) {
        const float *gh = G + (ptrdiff_t)b * gs[0] + (ptrdiff_t)h * gs[1];
        for (k = 0; k < Nk; k++) gate(dv, *v + (ptrdiff_t)k * vs[2], gh + (ptrdiff_t)k * gs[2], vg + (ptrdiff_t)k * dv);
        *v = vg;
        *vn = dv;
    }
    for (k = 0; k < Nk; k++) {
        const float *kr = kh + (ptrdiff_t)k * ks[2];
        for (j = 0; j < dk; j++) kt[(ptrdiff_t)j * ldkt + k] = kr[j];
    }
    for (j = 0; j < dk; j++)
        for (k = Nk; k < ldkt; k++) kt[(ptrdiff_t)j * ldkt + k] = 0.0f;
}

/* O (B, H, Nq, dv) = softmax(scale * Q K^T) V per (b, h), strided rows (see above). */
VITC_KERNEL void vitc_f32_attention_scalar(int B, int H, int Nq, int Nk, int dk, int dv, float scale,
                                           const float *Q, const int *qs, const float *K, const int *ks,
                                           const float *V, const int *vs, const float *G, const int *gs,
                                           float *O, const int *os, float *scratch)
{
    const ptrdiff_t nkp = (Nk + 63) / 64 * 64;
    float *kt = scratch;                                 /* K^T of one head: dk x Nk */
    float *S = scratch + (ptrdiff_t)dk * nkp;            /* scores of one tile: VITC__ATTN_SCALAR_MR x Nk */
    float *vg = S + (ptrdiff_t)VITC__ATTN_SCALAR_MR * nkp; /* gated values of one head: Nk x dv */
    float rs[VITC__ATTN_SCALAR_MR];
    int b, h, i0, r, k, j;
    for (b = 0; b < B; b++) {
        for (h = 0; h < H; h++) {
            const float *q, *vh;
            float *o;
            int vn;
            vitc__attn_head(b, h, Nk, dk, dv, Q, qs, K, ks, V, vs, G, gs, O, os, kt, Nk, vg, vitc__attn_gate_row_scalar,
                            &q, &o, &vh, &vn);
            for (i0 = 0; i0 < Nq; i0 += VITC__ATTN_SCALAR_MR) {
                const int mr = Nq - i0 < VITC__ATTN_SCALAR_MR ? Nq - i0 : VITC__ATTN_SCALAR_MR;
                for (k = 0; k < mr * Nk; k++) S[k] = 0.0f;
                vitc__f32_gemm_core_scalar(mr, Nk, dk, q + (ptrdiff_t)i0 * qs[2], qs[2], 1, kt, Nk, S, Nk);
                for (r = 0; r < mr; r++) {
                    float *sr = S + (ptrdiff_t)r * Nk, m = -INFINITY, sum = 0.0f;
                    for (k = 0; k < Nk; k++) {
                        sr[k] *= scale;
                        m = sr[k] > m ? sr[k] : m;
                    }
                    for (k = 0; k < Nk; k++) {
                        const float e = expf(sr[k] - m);
                        sr[k] = e;
                        sum += e;
                    }
                    rs[r] = 1.0f / sum;
                    for (j = 0; j < dv; j++) o[(ptrdiff_t)(i0 + r) * os[2] + j] = 0.0f;
                }
                if (Nk <= 0) continue;
                vitc__f32_gemm_core_scalar(mr, dv, Nk, S, Nk, 1, vh, vn, o + (ptrdiff_t)i0 * os[2], os[2]);
                for (r = 0; r < mr; r++)
                    for (j = 0; j < dv; j++) o[(ptrdiff_t)(i0 + r) * os[2] + j] *= rs[r];
            }
        }
    }
}

#endif /* VITC_F32_ATTENTION_SCALAR_C */
