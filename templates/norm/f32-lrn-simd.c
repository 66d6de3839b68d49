/* templates/norm/f32-lrn-simd.c: LRN (templates/norm/f32-lrn-scalar.c), written
 * once against the SIMD shim and instantiated per target as vitc_f32_lrn_<isa>.
 * Same signature and contract. Vectors run along the spatial positions S of one
 * output channel: the window's channel planes are loaded at the same positions,
 * their squares summed in channel order (fused on targets that fuse), and the
 * power is the shim's vf32_pow, exp(-beta log(base)) (templates/simd/fastmath.h):
 * within a few ulp of the scalar kernel's powf. Y must not overlap X. */
#include "../prelude.h"
#include "../simd/shim.h"
#include "f32-lrn-scalar.c"

/* m (<= VITC_LANES) floats of plane p at position s: a whole vector, or a tail
 * whose other lanes are 0 (their base is bias; they are not stored) */
VITC_SIMD_INLINE vf32 VITC_FN(vitc__lrn_load)(const float *p, int m) {
  return m == VITC_LANES ? vf32_load(p) : vf32_load_tail(p, m);
}

/* Y (N, C, S) = LRN of X (N, C, S) over windows of `size` channels */
VITC_KERNEL void VITC_FN(vitc_f32_lrn)(int N, int C, int S, int size, float alpha, float beta, float bias,
                                       const float *VITC_RESTRICT X, float *VITC_RESTRICT Y) {
  const vf32 aos = vf32_set1(alpha / (float)size), vbias = vf32_set1(bias), nbeta = vf32_set1(-beta);
  int n, c, i, s, lo, hi;
  for (n = 0; n < N; n++)
    for (c = 0; c < C; c++) {
      const float *xn = X + (ptrdiff_t)n * C * S;
      float *yc = Y + ((ptrdiff_t)n * C + c) * S;
      vitc__lrn_window(c, C, size, &lo, &hi);
      for (s = 0; s < S; s += VITC_LANES) {
        const int m = S - s < VITC_LANES ? S - s : VITC_LANES;
        vf32 ss = vf32_zero(), y;
        for (i = lo; i <= hi; i++) {
          const vf32 v = VITC_FN(vitc__lrn_load)(xn + (ptrdiff_t)i * S + s, m);
          ss = vf32_fma(v, v, ss);
        }
        y = vf32_mul(VITC_FN(vitc__lrn_load)(xn + (ptrdiff_t)c * S + s, m), vf32_pow(vf32_fma(aos, ss, vbias), nbeta));
        if (m == VITC_LANES) vf32_store(yc + s, y);
        else vf32_store_tail(yc + s, y, m);
      }
    }
}
