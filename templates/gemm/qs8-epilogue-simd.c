/* templates/gemm/qs8-epilogue-simd.c: what the int8 GEMM applies after its
 * dequantize and bias (the activation of each column range, the gate, the scaled
 * residual), written once against the SIMD shim.
 *
 * The contract is the fp32 GEMM's, templates/gemm/f32-gemm-epilogue.c (its struct,
 * activation codes and column ranges; vitc_f32_gemm_epilogue_scalar is the
 * reference, with libm); here the activations use the shim's fast math
 * (templates/simd/fastmath.h's act_<NAME>, the functions the fp32 microkernels
 * call, with their parameters); the residual as one fused multiply-add. No include guard: a test may instantiate it once per shim. */
#include "../prelude.h"
#include "../simd/shim.h"
#include "f32-gemm-epilogue.c"
#include "qs8-gemm-driver.c"

/* The activation of code act with parameters a, b: the shared functions of
 * templates/simd/fastmath.h, one case per entry of VITC_GEMM_ACTIVATIONS. */
#define VITC__QS8_ACT_CASE(name, code, what) \
    case VITC_GEMM_ACT_##name: return VITC_SIMD_FN(act_##name)(v, vf32_set1(a), vf32_set1(b));
static inline VITC_UNUSED vf32 VITC_FN(vitc__qs8_act)(vf32 v, int act, float a, float b)
{
    switch (act) {
        VITC_GEMM_ACTIVATIONS(VITC__QS8_ACT_CASE)
    default: return v;
    }
}
#undef VITC__QS8_ACT_CASE

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
                vf32 v = VITC_FN(vitc__qs8_act)(vf32_load_tail(y + j, n), act, ep->act_alpha, ep->act_beta);
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
        vf32 v = VITC_FN(vitc__qs8_act)(vf32_load_tail(t + j, m), e->act, e->act_alpha, e->act_beta);
        if (r) v = vf32_fma(vf32_set1(e->res_scale), vf32_load_tail(r + j, m), v);
        vf32_store_tail(c + j, v, m);
    }
}
