/* templates/eltwise/f32-classify-simd.c: ONNX IsInf and IsNaN written once against
 * the SIMD shim (templates/simd/bind.h), instantiated per target as
 * vitc_f32_isinf_<isa> and vitc_f32_isnan_<isa>, with the signatures and results of
 * templates/eltwise/f32-classify-scalar.c: float32 in, bool bytes (0 or 1) out.
 *
 * A lane is NaN where it is not equal to itself (vf32_cmpeq is false with a NaN),
 * and +inf or -inf where it compares equal to that infinity; each mask selects 1 or
 * 0 as a float, stored as bytes by vf32_store_u8. */
#include "../prelude.h"
#include "../simd/shim.h"
#include "f32-classify-scalar.c"

VITC_KERNEL void VITC_FN(vitc_f32_isinf)(ptrdiff_t n, int detect_positive, int detect_negative,
                                         const float *VITC_RESTRICT X, uint8_t *VITC_RESTRICT Y) {
  const vf32 pos = vf32_set1(detect_positive ? 1.0f : 0.0f), neg = vf32_set1(detect_negative ? 1.0f : 0.0f);
  const vf32 pinf = vf32_set1(INFINITY), ninf = vf32_set1(-INFINITY), zero = vf32_zero();
  ptrdiff_t i;
#define VITC__ISINF(v) vf32_add(vf32_select(vf32_cmpeq(v, pinf), pos, zero), vf32_select(vf32_cmpeq(v, ninf), neg, zero))
  for (i = 0; i + VITC_LANES <= n; i += VITC_LANES) vf32_store_u8(Y + i, VITC__ISINF(vf32_load(X + i)));
  if (i < n) vf32_store_u8_tail(Y + i, VITC__ISINF(vf32_load_tail(X + i, (int)(n - i))), (int)(n - i));
#undef VITC__ISINF
}

VITC_KERNEL void VITC_FN(vitc_f32_isnan)(ptrdiff_t n, const float *VITC_RESTRICT X, uint8_t *VITC_RESTRICT Y) {
  const vf32 one = vf32_set1(1.0f), zero = vf32_zero();
  ptrdiff_t i;
  for (i = 0; i + VITC_LANES <= n; i += VITC_LANES) {
    const vf32 v = vf32_load(X + i);
    vf32_store_u8(Y + i, vf32_select(vf32_cmpeq(v, v), zero, one));
  }
  if (i < n) {
    const vf32 v = vf32_load_tail(X + i, (int)(n - i));
    vf32_store_u8_tail(Y + i, vf32_select(vf32_cmpeq(v, v), zero, one), (int)(n - i));
  }
}
