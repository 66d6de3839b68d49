/* templates/layout/f32-tokens-simd.c: vitc.GatherTokens written once against
 * the SIMD shim and instantiated per target as vitc_f32_gather_tokens_<isa>.
 * Same signature and contract as templates/layout/f32-tokens-scalar.c; the
 * scatter (vitc_f32_scatter_tokens_scalar, pure data movement) stays portable.
 *
 * A token with a gate or position rows is read, multiplied by the gate and
 * added to its table row in vectors: along the channels when they are
 * contiguous, else each token's block of channels is first copied (the strided
 * reads) and then gated in place while it is in L1. A multiply then an add per
 * element, as the exported Mul then Add and the scalar kernel (a C compiler may
 * fuse the two in one kernel and not the other: one rounding apart). The walk
 * over images, channel blocks and tokens (zeros for a token outside the map, a
 * copy for one with neither gate nor table) is the scalar kernel's own,
 * VITC__GATHER_TOKENS in f32-tokens-scalar.c. */
#include "../prelude.h"
#include "../simd/shim.h"
#include "f32-tokens-scalar.c"

/* t[0..n) = (m[0..n) * s if S) + tab[0..n) if tab: m and t may be the same row */
VITC_SIMD_INLINE void VITC_FN(vitc__gate_row)(float *t, const float *m, int n, const float *S, float s,
                                              const float *tab) {
  const vf32 vs = vf32_set1(s);
  int c = 0;
  for (; c + VITC_LANES <= n; c += VITC_LANES) {
    vf32 v = vf32_load(m + c);
    if (S) v = vf32_mul(v, vs);
    if (tab) v = vf32_add(v, vf32_load(tab + c));
    vf32_store(t + c, v);
  }
  /* the last few one by one: a masked tail draws gcc's -Warray-bounds once inlined with constant shapes */
  vitc__gate_token_scalar(t, m, 1, c, n, S, s, tab);
}

/* vitc__gate_token_scalar's contract in vectors: along contiguous channels, or
 * after the strided reads, over the block in place. */
VITC_SIMD_INLINE void VITC_FN(vitc__gate_token)(float *t, const float *m, ptrdiff_t mc, int c0, int c1,
                                                const float *S, float s, const float *tab) {
  int c;
  if (mc != 1) {
    for (c = c0; c < c1; c++) t[c] = m[c * mc];
    m = t;
  }
  VITC_FN(vitc__gate_row)(t + c0, m + c0, c1 - c0, S, s, tab ? tab + c0 : NULL);
}

VITC_KERNEL void VITC_FN(vitc_f32_gather_tokens)(int B, int C, int P, int K, const float *VITC_RESTRICT M,
                                                 const int *ms, const int64_t *VITC_RESTRICT I, int ib,
                                                 const float *VITC_RESTRICT S, const float *VITC_RESTRICT Tab,
                                                 int tab_rows, float *VITC_RESTRICT T, const int *os) {
  VITC__GATHER_TOKENS(VITC_FN(vitc__gate_token));
}
