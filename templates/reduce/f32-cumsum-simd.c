/* templates/reduce/f32-cumsum-simd.c: ONNX CumSum (the contract of
 * templates/reduce/f32-cumsum-scalar.c: X and Y seen as (outer, n, inner) around the
 * axis, exclusive and reverse as ONNX defines them) written once against the SIMD
 * shim, instantiated per target as vitc_f32_cumsum_<isa>.
 *
 * Every output is the scalar kernel's: each sum runs along the axis in the scan's
 * order (as ONNX Runtime's), so lanes never reassociate a sum; they take
 * independent scans side by side instead:
 *   inner > 1: VITC_LANES consecutive inner positions, whole contiguous rows;
 *   inner == 1 (the axis is the last dim): VITC_LANES of the outer rows, their
 *     elements gathered n apart and scattered back. One single 1-D scan (outer 1)
 *     is a chain of dependent additions: it runs one lane wide.
 * No scratch. Y must not overlap X. */
#include "../prelude.h"
#include "../simd/shim.h"
#include "f32-cumsum-scalar.c"

/* One step k of the scan: adds v into the running sum *run and returns what step k
 * stores: the sum before v (exclusive: 0, then 0 + x_0, ... as the scalar kernel) or
 * with it (inclusive: x_0 first, then the running sum). */
VITC_SIMD_INLINE vf32 VITC_FN(vitc__cumsum_step)(vf32 *run, vf32 v, int k, int exclusive) {
  const vf32 before = *run;
  *run = exclusive || k > 0 ? vf32_add(*run, v) : v;
  return exclusive ? before : *run;
}

VITC_KERNEL void VITC_FN(vitc_f32_cumsum)(int outer, int n, int inner, int exclusive, int reverse,
                                          const float *VITC_RESTRICT X, float *VITC_RESTRICT Y) {
  int o, k, j;
  if (inner > 1) {
    for (o = 0; o < outer; o++) {
      const float *x = X + (ptrdiff_t)o * n * inner;
      float *y = Y + (ptrdiff_t)o * n * inner;
      for (j = 0; j < inner; j += VITC_LANES) {
        const int m = inner - j < VITC_LANES ? inner - j : VITC_LANES;
        vf32 run = vf32_zero();
        for (k = 0; k < n; k++) {
          const ptrdiff_t at = (ptrdiff_t)(reverse ? n - 1 - k : k) * inner + j;
          vf32_store_tail(y + at, VITC_FN(vitc__cumsum_step)(&run, vf32_load_tail(x + at, m), k, exclusive), m);
        }
      }
    }
    return;
  }
  /* inner == 1: VITC_LANES rows side by side, rows n apart */
  for (o = 0; o < outer; o += VITC_LANES) {
    const int m = outer - o < VITC_LANES ? outer - o : VITC_LANES;
    vf32 run = vf32_zero();
    for (k = 0; k < n; k++) {
      const ptrdiff_t at = (ptrdiff_t)o * n + (reverse ? n - 1 - k : k);
      float t[VITC_LANES];
      int r;
      for (r = 0; r < m; r++) t[r] = X[at + (ptrdiff_t)r * n];
      vf32_store_tail(t, VITC_FN(vitc__cumsum_step)(&run, vf32_load_tail(t, m), k, exclusive), m);
      for (r = 0; r < m; r++) Y[at + (ptrdiff_t)r * n] = t[r];
    }
  }
}
