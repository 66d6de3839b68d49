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
    int b, i, c;
    for (b = 0; b < B; b++) {
        const float *mb = M + (ptrdiff_t)b * ms[0];
        float *tb = T + (ptrdiff_t)b * os[0];
        const int64_t *ix = I + (ptrdiff_t)b * ib;
        if (ms[1] == 1) { /* channels contiguous ([B,HW,C] map): a row per token */
            for (i = 0; i < K; i++) {
                float *t = tb + (ptrdiff_t)i * os[1];
                const int64_t p = ix[i] < 0 ? ix[i] + P : ix[i];
                for (c = 0; c < C; c++) t[c] = p >= 0 && p < P ? mb[p * ms[2] + c] : 0.0f;
            }
        } else { /* a channel at a time: its K pixels lie in one plane, which stays in L1 */
            for (c = 0; c < C; c++) {
                const float *mc = mb + (ptrdiff_t)c * ms[1];
                for (i = 0; i < K; i++) {
                    const int64_t p = ix[i] < 0 ? ix[i] + P : ix[i];
                    tb[(ptrdiff_t)i * os[1] + c] = p >= 0 && p < P ? mc[p * ms[2]] : 0.0f;
                }
            }
        }
        if (!S && !Tab) continue;
        for (i = 0; i < K; i++) { /* the gate, then the position rows (the exported Mul, then Add) */
            float *t = tb + (ptrdiff_t)i * os[1];
            const int64_t p = ix[i] < 0 ? ix[i] + P : ix[i];
            if (p < 0 || p >= P) continue;
            if (S) {
                const float s = S[(ptrdiff_t)b * K + i];
                for (c = 0; c < C; c++) t[c] *= s;
            }
            if (Tab) {
                const ptrdiff_t row = tab_rows == 0 ? (ptrdiff_t)p : tab_rows == 1 ? i : (ptrdiff_t)b * K + i;
                const float *tab = Tab + row * C;
                for (c = 0; c < C; c++) t[c] += tab[c];
            }
        }
    }
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
        } else { /* a channel at a time, tokens in order (the later of equal indices wins) */
            for (c = 0; c < C; c++) {
                float *yc = yb + (ptrdiff_t)c * ms[1];
                const float *uc = ub + (ptrdiff_t)c * us[2];
                for (i = 0; i < K; i++) {
                    const int64_t p = ix[i] < 0 ? ix[i] + P : ix[i];
                    if (p >= 0 && p < P) yc[p * ms[2]] = uc[(ptrdiff_t)i * us[1]];
                }
            }
        }
    }
}

#endif /* VITC_F32_TOKENS_SCALAR_C */
