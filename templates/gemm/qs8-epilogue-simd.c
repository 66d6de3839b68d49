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
#include "f32-gemm-epilogue-simd.c"
#include "qs8-gemm-driver.c"

/* Y (M, N) rows ldy apart holds acc + bias: applies the rest of ep in place (the
 * fp32 epilogue, f32-gemm-epilogue-simd.c, from column 0; the drivers' function type
 * vitc_qs8_epilogue_fn has no column offset). */
VITC_KERNEL void VITC_FN(vitc_qs8_epilogue)(int M, int N, float *Y, ptrdiff_t ldy, const vitc_f32_gemm_epilogue *ep)
{
    VITC_FN(vitc_f32_gemm_epilogue)(M, N, Y, ldy, ep, 0);
}

/* Row c[0, n) = act(t[0, n)) + res_scale * r[0, n) (r NULL: no residual): the store of
 * a microkernel that computed its dequantized row into t (qs8-gemm-driver.c). */
static inline VITC_UNUSED void VITC_FN(vitc__qs8_store_row)(float *c, const float *t, int n,
                                                           const vitc_qs8_tile_epilogue *e, const float *r)
{
    int j;
    for (j = 0; j < n; j += VITC_LANES) {
        int m = n - j < VITC_LANES ? n - j : VITC_LANES; /* whole vectors by plain loads and stores */
        vf32 v = VITC_FN(vitc__epi_act)(m == VITC_LANES ? vf32_load(t + j) : vf32_load_tail(t + j, m), e->act,
                                        e->act_alpha, e->act_beta);
        if (r) v = vf32_fma(vf32_set1(e->res_scale), m == VITC_LANES ? vf32_load(r + j) : vf32_load_tail(r + j, m), v);
        if (m == VITC_LANES) vf32_store(c + j, v);
        else vf32_store_tail(c + j, v, m);
    }
}
