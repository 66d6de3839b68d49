/* templates/gemm/f32-gemm-epilogue-simd.c: the GEMM epilogue applied after the
 * product (activation of each column range, gate, scaled residual), written once
 * against the SIMD shim and instantiated per target as vitc_f32_gemm_epilogue_<isa>.
 *
 * The contract is templates/gemm/f32-gemm-epilogue.c's (its struct, activation
 * codes and column ranges; vitc_f32_gemm_epilogue_scalar is the reference, with
 * libm); here the activations are the shim's fast math (templates/simd/fastmath.h's
 * act_<NAME>, the functions the fp32 microkernels call), the residual one fused
 * multiply-add. Used after the kernels that leave their epilogue to a second pass:
 * the direct conv of a conv with few output channels, a run-time-B vitc.Gemm
 * (f32-gemm-simd.c), and the int8 GEMM's drivers (qs8-epilogue-simd.c).
 * No include guard: a test may instantiate it once per shim. */
#include "../prelude.h"
#include "../simd/shim.h"
#include "f32-gemm-epilogue.c"

/* The activation of code act with parameters a, b: one case per entry of
 * VITC_GEMM_ACTIVATIONS. */
#define VITC__EPI_ACT_CASE(name, code, what) \
  case VITC_GEMM_ACT_##name: return VITC_SIMD_FN(act_##name)(v, vf32_set1(a), vf32_set1(b));
static inline VITC_UNUSED vf32 VITC_FN(vitc__epi_act)(vf32 v, int act, float a, float b) {
  switch (act) {
    VITC_GEMM_ACTIVATIONS(VITC__EPI_ACT_CASE)
  default: return v;
  }
}
#undef VITC__EPI_ACT_CASE

/* Y (M,N) rows ldy apart holds acc + bias (+ row bias): applies the rest of ep in
 * place; column j of Y is column j0 + j of the epilogue (as the scalar kernel). */
VITC_KERNEL void VITC_FN(vitc_f32_gemm_epilogue)(int M, int N, float *Y, ptrdiff_t ldy,
                                                 const vitc_f32_gemm_epilogue *ep, int j0) {
  int i, j;
  if (!ep) return;
  for (i = 0; i < M; i++) {
    float *y = Y + (ptrdiff_t)i * ldy;
    const float *g, *r;
    int at = 0; /* the first column (of Y) of the current range */
    vitc__f32_gemm_epilogue_row(ep, i, j0, &g, &r);
    while (at < N) {
      int start, end, act, glu;
      vitc__f32_gemm_range(ep, j0 + at, j0 + N, &start, &end, &act, &glu);
      end = end - j0 < N ? end - j0 : N; /* local end */
      for (j = at; j < end; j += VITC_LANES) {
        const int n = end - j < VITC_LANES ? end - j : VITC_LANES;
        vf32 v = VITC_FN(vitc__epi_act)(vf32_load_tail(y + j, n), act, ep->act_alpha, ep->act_beta);
        if (glu >= 0) v = vf32_mul(v, vf32_load_tail(y + glu + (j0 + j - start) - j0, n));
        else if (g) {
          const vf32 gv = vf32_load_tail(g + j, n);
          v = vf32_mul(v, ep->gate_mode == VITC_GEMM_GATE_MUL_SIGMOID ? vf32_sigmoid(gv) : gv);
        }
        if (r) v = vf32_fma(vf32_set1(ep->res_scale), vf32_load_tail(r + j, n), v);
        vf32_store_tail(y + j, v, n);
      }
      at = end;
    }
  }
}
