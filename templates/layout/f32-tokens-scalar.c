/* templates/layout/f32-tokens-scalar.c: the K selected pixels of a feature map
 * as token rows, and the tokens written back to their pixels (vitc.GatherTokens
 * and vitc.ScatterTokens, made by compiler/passes/fuse_filter_tokens.c for
 * FilterViT and DropoutViT; contracts in compiler/ir/ops.def).
 *
 * The map is read through strides, element (b, c, p) at b*ms[0] + c*ms[1] +
 * p*ms[2], so the [B,C,HW] map a conv wrote ([C*HW, HW, 1]) and its [B,HW,C]
 * transpose ([HW*C, 1, C]) are read in place: a FilterViT export that
 * transposes the whole map to gather K of its HW rows loses the transpose.
 * The gather writes token rows T (B, K, C) once, or (K, B, C) for a
 * sequence-first encoder, gated and with its position rows added in the same
 * pass (the tokens are then both the encoder's input and its residual, so they
 * are written out, not packed into the first GEMM's panels).
 *
 * Indices: I[b*ib + i] is the pixel of token i of image b (ib = K, or 0 for one
 * list shared by every image). A negative index counts from P, as in ONNX; one
 * still outside [0, P) gives a zero token (gather) or is skipped (scatter):
 * never an access out of bounds (TopK's and the compiler-checked constant
 * indices never are). Equal indices in a scatter: the later token wins, as
 * ONNX Runtime applies ScatterElements' updates in order.
 *
 * The scatter writes Y = M with the K pixels of each image replaced. The
 * planner may give Y M's own buffer (M's last reader, OPF_INPLACE): then only
 * the K*C token elements are written; else M is copied to Y first (M's strides
 * must cover its B*C*P elements densely, which the compiler checks). */
#ifndef VITC_F32_TOKENS_SCALAR_C
#define VITC_F32_TOKENS_SCALAR_C

#include "../prelude.h"

/* Channels per block of the channel-strided ([B,C,HW]) walks: each token's
 * element of every channel in the block, token by token (contiguous token rows,
 * C strided reads or writes per token), with the block's planes (about 16 KiB)
 * held in L1 while the K tokens go by. A small map (DropoutViT's 16x16 of 32
 * channels) is one block; a large one (FilterViT's 110x110) a channel at a time,
 * as its K pixels then lie in one plane. */
static inline VITC_UNUSED int vitc__tokens_channel_block(int P) { return P >= 4096 ? 1 : 4096 / (P > 0 ? P : 1); }

/* One token's channels [c0, c1) with a gate or position row: t[c] = m[c*mc]
 * (* s if S) (+ tab[c] if tab), the exported Mul, then Add; tab at the token's
 * table row. */
static inline VITC_UNUSED void vitc__gate_token_scalar(float *t, const float *m, ptrdiff_t mc, int c0, int c1,
                                                       const float *S, float s, const float *tab)
{
    int c;
    for (c = c0; c < c1; c++) {
        float v = m[c * mc];
        if (S) v *= s;
        if (tab) v += tab[c];
        t[c] = v;
    }
}

/* The gather's walk over images, blocks of channels and tokens, written once for
 * the portable kernel and the shim-based one (f32-tokens-simd.c): a token outside
 * the map is zeros, one without gate or table a copy, and the others go to
 * GATE(t, m, mc, c0, c1, S, s, tab), vitc__gate_token_scalar's contract. Channels
 * contiguous ([B,HW,C] map): one block, a row per token; else blocks of channels. */
#define VITC__GATHER_TOKENS(GATE)                                                                                    \
    do {                                                                                                            \
        const ptrdiff_t mc = ms[1], mp = ms[2], ot = os[1];                                                         \
        const int cb = mc == 1 ? C : vitc__tokens_channel_block(P);                                                 \
        int b, i, c, c0;                                                                                            \
        for (b = 0; b < B; b++) {                                                                                   \
            const float *mb = M + (ptrdiff_t)b * ms[0];                                                             \
            float *tb = T + (ptrdiff_t)b * os[0];                                                                   \
            const int64_t *ix = I + (ptrdiff_t)b * ib;                                                              \
            for (c0 = 0; c0 < C; c0 += cb) {                                                                        \
                const int c1 = C - c0 < cb ? C : c0 + cb;                                                           \
                for (i = 0; i < K; i++) {                                                                           \
                    float *t = tb + (ptrdiff_t)i * ot;                                                              \
                    const int64_t p = ix[i] < 0 ? ix[i] + P : ix[i];                                                \
                    const float *m = mb + p * mp;                                                                   \
                    if (p < 0 || p >= P) {                                                                          \
                        for (c = c0; c < c1; c++) t[c] = 0.0f;                                                      \
                    } else if (!S && !Tab) {                                                                        \
                        for (c = c0; c < c1; c++) t[c] = m[c * mc];                                                 \
                    } else {                                                                                        \
                        const ptrdiff_t row = tab_rows == 0 ? (ptrdiff_t)p : tab_rows == 1 ? i : (ptrdiff_t)b * K + i; \
                        GATE(t, m, mc, c0, c1, S, S ? S[(ptrdiff_t)b * K + i] : 1.0f, Tab ? Tab + row * C : NULL);  \
                    }                                                                                               \
                }                                                                                                   \
            }                                                                                                       \
        }                                                                                                           \
    } while (0)

/* T[b*os[0] + i*os[1] + c] = M[b, c, p] (* S[b*K + i] if S) (+ Tab[row*C + c] if Tab), p = I[b*ib + i]:
 * token rows of C contiguous floats, os = {K*C, C} for T (B, K, C) or {C, B*C}
 * for the sequence-first (K, B, C). ms: the map's 3 strides; S (B, K) or NULL;
 * Tab or NULL, its row for the token by tab_rows: 0 the pixel p (a [P, C] table),
 * 1 the token i ([K, C], every image), 2 b*K + i ([B, K, C]). T must not
 * overlap the inputs. */
VITC_KERNEL void vitc_f32_gather_tokens_scalar(int B, int C, int P, int K, const float *VITC_RESTRICT M,
                                               const int *ms, const int64_t *VITC_RESTRICT I, int ib,
                                               const float *VITC_RESTRICT S, const float *VITC_RESTRICT Tab,
                                               int tab_rows, float *VITC_RESTRICT T, const int *os)
{
    VITC__GATHER_TOKENS(vitc__gate_token_scalar);
}

/* Y = M, then Y[b, c, I[b*ib + i]] = U[b*us[0] + i*us[1] + c*us[2]] for every
 * token: M and Y with the map strides ms (dense over B*C*P), U the tokens
 * through their strides us. Y may be M (in place); else it must not overlap M,
 * and neither may overlap I or U. */
VITC_KERNEL void vitc_f32_scatter_tokens_scalar(int B, int C, int P, int K, const float *M, const int *ms,
                                                const int64_t *VITC_RESTRICT I, int ib, const float *VITC_RESTRICT U,
                                                const int *us, float *Y)
{
    int b, i, c;
    if (Y != M) memcpy(Y, M, (size_t)B * C * P * sizeof(float));
    for (b = 0; b < B; b++) {
        float *yb = Y + (ptrdiff_t)b * ms[0];
        const float *ub = U + (ptrdiff_t)b * us[0];
        const int64_t *ix = I + (ptrdiff_t)b * ib;
        if (ms[1] == 1) { /* channels contiguous: a row per token */
            for (i = 0; i < K; i++) {
                const int64_t p = ix[i] < 0 ? ix[i] + P : ix[i];
                const float *u = ub + (ptrdiff_t)i * us[1];
                if (p < 0 || p >= P) continue;
                for (c = 0; c < C; c++) yb[p * ms[2] + c] = u[(ptrdiff_t)c * us[2]];
            }
        } else { /* a block of channels at a time, tokens in order (the later of equal indices wins) */
            const int cb = vitc__tokens_channel_block(P);
            int c0;
            for (c0 = 0; c0 < C; c0 += cb) {
                const int c1 = C - c0 < cb ? C : c0 + cb;
                for (i = 0; i < K; i++) {
                    const int64_t p = ix[i] < 0 ? ix[i] + P : ix[i];
                    const float *u = ub + (ptrdiff_t)i * us[1];
                    float *yp = yb + p * ms[2];
                    if (p < 0 || p >= P) continue;
                    for (c = c0; c < c1; c++) yp[(ptrdiff_t)c * ms[1]] = u[(ptrdiff_t)c * us[2]];
                }
            }
        }
    }
}

#endif /* VITC_F32_TOKENS_SCALAR_C */
