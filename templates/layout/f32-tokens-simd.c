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
 * fuse the two in one kernel and not the other: one rounding apart). A token
 * with neither is a copy, done by the scalar kernel's loops. */
#include "../prelude.h"
#include "../simd/shim.h"
#include "f32-tokens-scalar.c"

/* t[0..n) = (m[0..n) * s if S) + tab[0..n) if tab: m and t may be the same row
 */
VITC_SIMD_INLINE void VITC_FN(vitc__gate_row)(float *t, const float *m, int n,
                                              const float *S, float s,
                                              const float *tab) {
  const vf32 vs = vf32_set1(s);
  int c = 0;
  for (; c + VITC_LANES <= n; c += VITC_LANES) {
    vf32 v = vf32_load(m + c);
    if (S)
      v = vf32_mul(v, vs);
    if (tab)
      v = vf32_add(v, vf32_load(tab + c));
    vf32_store(t + c, v);
  }
  for (; c < n; c++) { /* the last few: a masked tail draws gcc's -Warray-bounds
                          once inlined with constant shapes */
    float v = m[c];
    if (S)
      v *= s;
    if (tab)
      v += tab[c];
    t[c] = v;
  }
}

VITC_KERNEL void VITC_FN(vitc_f32_gather_tokens)(
    int B, int C, int P, int K, const float *VITC_RESTRICT M, const int *ms,
    const int64_t *VITC_RESTRICT I, int ib, const float *VITC_RESTRICT S,
    const float *VITC_RESTRICT Tab, int tab_rows, float *VITC_RESTRICT T,
    const int *os) {
  const ptrdiff_t mc = ms[1], mp = ms[2], ot = os[1];
  const int cb = mc == 1 ? C : vitc__tokens_channel_block(P);
  int b, i, c, c0;
  if (!S && !Tab) { /* a copy: the portable kernel's loops */
    vitc_f32_gather_tokens_scalar(B, C, P, K, M, ms, I, ib, S, Tab, tab_rows, T,
                                  os);
    return;
  }
  for (b = 0; b < B; b++) {
    const float *mb = M + (ptrdiff_t)b * ms[0];
    float *tb = T + (ptrdiff_t)b * os[0];
    const int64_t *ix = I + (ptrdiff_t)b * ib;
    for (c0 = 0; c0 < C; c0 += cb) {
      const int c1 = C - c0 < cb ? C : c0 + cb;
      for (i = 0; i < K; i++) {
        float *t = tb + (ptrdiff_t)i * ot;
        const int64_t p = ix[i] < 0 ? ix[i] + P : ix[i];
        const float *m = mb + p * mp;
        const float s = S ? S[(ptrdiff_t)b * K + i] : 1.0f;
        const ptrdiff_t row = tab_rows == 0   ? (ptrdiff_t)p
                              : tab_rows == 1 ? i
                                              : (ptrdiff_t)b * K + i;
        if (p < 0 || p >= P) {
          for (c = c0; c < c1; c++)
            t[c] = 0.0f;
          continue;
        }
        if (mc == 1) {
          VITC_FN(vitc__gate_row)
          (t + c0, m + c0, c1 - c0, S, s, Tab ? Tab + row * C + c0 : NULL);
        } else { /* the strided reads, then the gate and position row over the
                    block in place */
          for (c = c0; c < c1; c++)
            t[c] = m[c * mc];
          VITC_FN(vitc__gate_row)
          (t + c0, t + c0, c1 - c0, S, s, Tab ? Tab + row * C + c0 : NULL);
        }
      }
    }
  }
}
