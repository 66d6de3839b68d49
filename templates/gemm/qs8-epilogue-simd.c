/* templates/gemm/qs8-epilogue-simd.c: what the int8 GEMM applies after its
 * dequantize and bias (the activation of each column range, the gate, the scaled
 * residual), written once against the SIMD shim.
 *
 * The contract is the fp32 GEMM's, templates/gemm/f32-gemm-epilogue.c (its struct,
 * activation codes and column ranges; vitc_f32_gemm_epilogue_scalar is the
 * reference, with libm); here the activations use the shim's fast math
 * (templates/simd/fastmath.h), the same formulas as the fp32 microkernels:
 * GELU (erf) h + h erf(x/sqrt 2) with h = x/2, GELU (tanh) x / (1 + exp(-2u)),
 * ReLU max(0, x) (NaN stays NaN), sigmoid, SiLU x sigmoid(x); the residual as
 * one fused multiply-add. No include guard: a test may instantiate it once per shim. */
#include "../prelude.h"
#include "../simd/shim.h"
#include "f32-gemm-epilogue.c"
#include "qs8-gemm-driver.c"

static inline VITC_UNUSED vf32 VITC_FN(vitc__qs8_act)(vf32 v, int act)
{
    switch (act) {
    case VITC_GEMM_ACT_GELU: {
        const vf32 h = vf32_mul(v, vf32_set1(0.5f));
        return vf32_fma(h, vf32_erf(vf32_mul(v, vf32_set1(0.707106781f))), h);
    }
    case VITC_GEMM_ACT_GELU_TANH: {
        const vf32 w = vf32_fma(vf32_mul(v, v), vf32_set1(0.044715f), vf32_set1(1.0f));
        const vf32 m2u = vf32_mul(vf32_mul(v, vf32_set1(-1.59576912f)), w);
        return vf32_div(v, vf32_add(vf32_set1(1.0f), vf32_exp(m2u)));
    }
    case VITC_GEMM_ACT_RELU: return vf32_max(vf32_zero(), v);
    case VITC_GEMM_ACT_SILU: return vf32_mul(v, vf32_sigmoid(v));
    case VITC_GEMM_ACT_SIGMOID: return vf32_sigmoid(v);
    default: return v;
    }
}

/* Y (M, N) rows ldy apart holds acc + bias: applies the rest of ep in place. */
VITC_KERNEL void VITC_FN(vitc_qs8_epilogue)(int M, int N, float *Y, ptrdiff_t ldy, const vitc_f32_gemm_epilogue *ep)
{
    int i, j;
    for (i = 0; i < M; i++) {
        float *y = Y + (ptrdiff_t)i * ldy;
        const float *g = ep->gate_mode && ep->gate ? ep->gate + (ptrdiff_t)i * ep->ldg : NULL;
        const float *r = ep->res ? ep->res + (ptrdiff_t)i * ep->ldr : NULL;
        int start = 0;
        while (start < N) {
            int s, end, act, glu;
            vitc__f32_gemm_range(ep, start, N, &s, &end, &act, &glu);
            for (j = start; j < end; j += VITC_LANES) {
                int n = end - j < VITC_LANES ? end - j : VITC_LANES;
                vf32 v = VITC_FN(vitc__qs8_act)(vf32_load_tail(y + j, n), act);
                if (glu >= 0) v = vf32_mul(v, vf32_load_tail(y + glu + (j - s), n));
                else if (g) {
                    vf32 gv = vf32_load_tail(g + j, n);
                    v = vf32_mul(v, ep->gate_mode == VITC_GEMM_GATE_MUL_SIGMOID ? vf32_sigmoid(gv) : gv);
                }
                if (r) v = vf32_fma(vf32_set1(ep->res_scale), vf32_load_tail(r + j, n), v);
                vf32_store_tail(y + j, v, n);
            }
            start = end;
        }
    }
}

/* Row c[0, n) = act(t[0, n)) + res_scale * r[0, n) (r NULL: no residual): the store of
 * a microkernel that computed its dequantized row into t (qs8-gemm-driver.c). */
static inline VITC_UNUSED void VITC_FN(vitc__qs8_store_row)(float *c, const float *t, int n,
                                                           const vitc_qs8_tile_epilogue *e, const float *r)
{
    int j;
    for (j = 0; j < n; j += VITC_LANES) {
        int m = n - j < VITC_LANES ? n - j : VITC_LANES;
        vf32 v = VITC_FN(vitc__qs8_act)(vf32_load_tail(t + j, m), e->act);
        if (r) v = vf32_fma(vf32_set1(e->res_scale), vf32_load_tail(r + j, m), v);
        vf32_store_tail(c + j, v, m);
    }
}
