/* templates/gemm/f32-gemm-epilogue.c: what a GEMM does to a result before storing
 * it, the one contract of the packed microkernels (f32-gemm-driver.c and the
 * per-ISA templates that include it), the scalar reference (f32-gemm-scalar.c) and
 * the compiler (compiler/ops/epilogue.h includes this file for the codes below and the scalar
 * activation, with VITC_GEMM_EPILOGUE_CODES_ONLY, so they are written down once).
 *
 * For element (i, j) of the product, acc = sum over k of A[i][k] W[k][j]:
 *
 *   y = acc + bias[j] + row_bias[i]        each term only where given (the conv's
 *                                          bias is per output channel: a row)
 *   y = act_j(y)                           the activation of column j's range
 *   y = y * G[i][j]                        gate VITC_GEMM_GATE_MUL
 *     | y * sigmoid(G[i][j])               gate VITC_GEMM_GATE_MUL_SIGMOID
 *   y = y + res_scale * R[i][j]            with one rounding (a fused multiply-add;
 *                                          exact as two roundings when res_scale is a
 *                                          power of two, since res_scale * R is exact)
 *
 * Activations, the numbers of vitc.Gemm's `activation` attribute (ir/ops.def):
 *   0 none; 1 GELU (erf) 0.5 y (1 + erf(y / sqrt 2)); 2 GELU (tanh) 0.5 y (1 +
 *   tanh(sqrt(2/pi) (y + 0.044715 y^3))); 3 ReLU (y < 0 ? 0 : y, NaN stays NaN);
 *   4 SiLU y * sigmoid(y) = y / (1 + exp(-y)); 5 sigmoid 1 / (1 + exp(-y));
 *   and with the parameters a = act_alpha, b = act_beta (vitc.Gemm's and vitc.Conv's
 *   `activation_params`): 6 LeakyRelu y < 0 ? a y : y, as fma(a, min(0, y), max(0, y))
 *   (exact: one addend is 0); 7 Clip min(b, max(a, y)) (Relu6: a = 0, b = 6);
 *   8 HardSigmoid max(0, min(1, a y + b)); 9 HardSwish y * max(0, min(1, a y + b))
 *   (ONNX's HardSwish is a = 1/6, b = 1/2). NaN in gives NaN out for all of them.
 *   A column range (below) takes only the activations without parameters.
 * A concatenated GEMM gives each column range its own activation, and may gate a
 * range by an earlier range of its own output (a GLU: V = v * act(g) with v and g
 * projections of one input): `ranges` holds n_ranges triples (end, activation,
 * gate column), ends increasing, the last one N; columns [previous end, end) take
 * that activation, then, when the gate column c is not -1, are multiplied by
 * C[i][c + (j - previous end)], which must lie before the range (c + its width <=
 * previous end: those columns are final when the range is stored, since the
 * drivers store a row panel's tiles from left to right); `act` is then unused, and
 * a range with a gate column takes no gate G. The packed driver runs a tile that
 * straddles a range boundary once per range it touches.
 *
 * The scalar reference computes these with libm (erff, tanhf, expf); the SIMD
 * microkernels with the shims' fast math (templates/simd/fastmath.h), whose errors
 * docs/PERFORMANCE.md states.
 *
 * Private helpers are spelled vitc__* and are not part of the contract. */
#ifndef VITC_F32_GEMM_EPILOGUE_C
#define VITC_F32_GEMM_EPILOGUE_C

/* X(NAME, code, description): every activation an epilogue applies. */
#define VITC_GEMM_ACTIVATIONS(X)      \
    X(NONE, 0, "none")                \
    X(GELU, 1, "GELU (erf)")          \
    X(GELU_TANH, 2, "GELU (tanh)")    \
    X(RELU, 3, "ReLU")                \
    X(SILU, 4, "SiLU")                \
    X(SIGMOID, 5, "sigmoid")          \
    X(LEAKY_RELU, 6, "LeakyRelu")     \
    X(CLIP, 7, "Clip")                \
    X(HARD_SIGMOID, 8, "HardSigmoid") \
    X(HARD_SWISH, 9, "HardSwish")

#define VITC__GEMM_ACT_ENUM(name, code, what) VITC_GEMM_ACT_##name = code,
enum { VITC_GEMM_ACTIVATIONS(VITC__GEMM_ACT_ENUM) VITC_GEMM_ACT_COUNT };
#undef VITC__GEMM_ACT_ENUM

/* What multiplies the activated result (the gate G). */
enum { VITC_GEMM_GATE_NONE = 0, VITC_GEMM_GATE_MUL = 1, VITC_GEMM_GATE_MUL_SIGMOID = 2 };

#include "../prelude.h"

/* act(v) with parameters a, b in float with libm, as the scalar target computes it
 * (and the compiler, ops/epilogue.c, when it folds or checks an epilogue). */
static inline VITC_UNUSED float vitc__f32_gemm_act_scalar(float v, int act, float a, float b)
{
    float h;
    switch (act) {
    case VITC_GEMM_ACT_GELU: return 0.5f * v * (1.0f + erff(v * 0.70710678118654752440f));
    case VITC_GEMM_ACT_GELU_TANH: return 0.5f * v * (1.0f + tanhf(0.79788456080286535588f * (v + 0.044715f * v * v * v)));
    case VITC_GEMM_ACT_RELU: return v < 0.0f ? 0.0f : v;
    case VITC_GEMM_ACT_SILU: return v / (1.0f + expf(-v));
    case VITC_GEMM_ACT_SIGMOID: return 1.0f / (1.0f + expf(-v));
    case VITC_GEMM_ACT_LEAKY_RELU: return v < 0.0f ? a * v : v;
    case VITC_GEMM_ACT_CLIP: return v != v ? v : v < a ? a : v > b ? b : v;
    case VITC_GEMM_ACT_HARD_SIGMOID:
    case VITC_GEMM_ACT_HARD_SWISH:
        h = fmaf(a, v, b);
        h = h != h ? h : h < 0.0f ? 0.0f : h > 1.0f ? 1.0f : h;
        return act == VITC_GEMM_ACT_HARD_SWISH ? v * h : h;
    default: return v;
    }
}

#ifndef VITC_GEMM_EPILOGUE_CODES_ONLY

/* One GEMM's epilogue, C (M,N) rows ldc apart. Fields left out of an initializer
 * are 0: no bias, activation none, no gate, no residual (write res_scale = 1 for a
 * plain residual add). G and R are (M,N) with rows ldg and ldr apart; they must
 * not overlap C unless they are C's own elements at the same place (in place). */
typedef struct vitc_f32_gemm_epilogue {
    const float *bias;      /* (N,) or NULL */
    const float *row_bias;  /* (M,) or NULL */
    int act;                /* activation of every column, when n_ranges == 0 */
    int n_ranges;
    const int *ranges;      /* n_ranges triples (end column, activation, gate column or -1) */
    int gate_mode;          /* VITC_GEMM_GATE_* */
    const float *gate;
    ptrdiff_t ldg;
    const float *res;
    ptrdiff_t ldr;
    float res_scale;
    float act_alpha, act_beta; /* the activation's parameters (codes 6-9) */
} vitc_f32_gemm_epilogue;

/* The column range of column j: its first column (*start), end, activation and
 * gate column (-1: none). Without ranges, all of [0, N) with `act`. */
static inline VITC_UNUSED void vitc__f32_gemm_range(const vitc_f32_gemm_epilogue *ep, int j, int N, int *start,
                                                    int *end, int *act, int *glu)
{
    int r;
    *start = 0, *end = N, *act = ep ? ep->act : VITC_GEMM_ACT_NONE, *glu = -1;
    if (!ep || ep->n_ranges <= 0) return;
    for (r = 0; r + 1 < ep->n_ranges && j >= ep->ranges[3 * r]; r++) *start = ep->ranges[3 * r];
    *end = ep->ranges[3 * r];
    *act = ep->ranges[3 * r + 1];
    *glu = ep->ranges[3 * r + 2];
}

/* Row i's gate and residual pointers, from column j0 (NULL where the epilogue has none). */
static inline VITC_UNUSED void vitc__f32_gemm_epilogue_row(const vitc_f32_gemm_epilogue *ep, int i, int j0,
                                                          const float **g, const float **r)
{
    *g = ep->gate_mode && ep->gate ? ep->gate + (ptrdiff_t)i * ep->ldg + j0 : NULL;
    *r = ep->res ? ep->res + (ptrdiff_t)i * ep->ldr + j0 : NULL;
}

/* Y (M,N) rows ldy apart already holds acc + bias (+ row_bias): applies the rest of
 * the epilogue (activation, gate, residual) in place, in float with libm. Column j
 * of Y is column j0 + j of the epilogue's (ranges, G and R are indexed from it, and
 * a range's gate column counts from Y - j0), so a caller may apply it to a block
 * of columns; gated ranges read columns of Y left of them, applied first. */
VITC_KERNEL void vitc_f32_gemm_epilogue_scalar(int M, int N, float *Y, ptrdiff_t ldy, const vitc_f32_gemm_epilogue *ep,
                                               int j0)
{
    int i, j;
    if (!ep) return;
    for (i = 0; i < M; i++) {
        float *y = Y + (ptrdiff_t)i * ldy;
        const float *g, *r;
        vitc__f32_gemm_epilogue_row(ep, i, j0, &g, &r);
        for (j = 0; j < N; j++) {
            int start, end, act, glu;
            float v;
            vitc__f32_gemm_range(ep, j0 + j, j0 + N, &start, &end, &act, &glu);
            v = vitc__f32_gemm_act_scalar(y[j], act, ep->act_alpha, ep->act_beta);
            if (glu >= 0) v *= y[glu + (j0 + j - start) - j0];
            else if (g) v *= ep->gate_mode == VITC_GEMM_GATE_MUL_SIGMOID ? 1.0f / (1.0f + expf(-g[j])) : g[j];
            if (r) v = ep->res_scale == 1.0f ? v + r[j] : fmaf(ep->res_scale, r[j], v);
            y[j] = v;
        }
    }
}
#endif /* VITC_GEMM_EPILOGUE_CODES_ONLY */

#endif /* VITC_F32_GEMM_EPILOGUE_C */
