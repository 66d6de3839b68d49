/* templates/quant/x-quant-simd.c: float32 to int8/uint8, the quantizing kernels of
 * templates/quant/x-quant-scalar.c written once against the SIMD shim
 * (templates/simd/bind.h) and instantiated per target as vitc_f32_quantize_<isa>,
 * vitc_f32_quantize_rt_<isa> and vitc_f32_dynamic_quantize_<isa>, with the same
 * signatures and results bit for bit.
 *
 * Each lane does what vitc__q_saturate does to one value: x / scale correctly
 * rounded (vf32_div), rounded to nearest even (vf32_round, rintf's rule), plus the
 * zero point in float, then clamped with the scalar code's comparisons written as
 * selections (`!(v >= lo)` gives lo, NaN included; `v > hi` gives hi), and stored
 * as bytes (vf32_store_u8: the lanes are integers in [-128, 255] by then).
 * Per-axis tensors (outer, na, inner) run the vector along inner; where inner is 1
 * (the axis is the last one) along the axis instead, with a vector of scales and
 * zero points. The integer products and DequantizeLinear stay in the scalar
 * template (integer inputs; not float math). */
#include "../prelude.h"
#include "../simd/shim.h"
#include "x-quant-scalar.c"

/* saturate(round(x / s) + z) per lane, clamped to [lo, hi] (NaN to lo) */
VITC_SIMD_INLINE vf32 VITC_FN(vitc__quantize_v)(vf32 x, vf32 s, vf32 z, vf32 lo, vf32 hi) {
  const vf32 v = vf32_add(vf32_round(vf32_div(x, s)), z);
  const vf32 above_lo = vf32_select(vf32_cmple(lo, v), v, lo);
  return vf32_select(vf32_cmplt(hi, above_lo), hi, above_lo);
}

/* y[0..n) = saturate(round(x / s) + z) for one scale and zero point */
VITC_SIMD_INLINE void VITC_FN(vitc__quantize_run)(int n, const float *x, float s, int z, float lo, float hi,
                                                  uint8_t *y) {
  const vf32 vs = vf32_set1(s), vz = vf32_set1((float)z), vlo = vf32_set1(lo), vhi = vf32_set1(hi);
  int i;
  for (i = 0; i + VITC_LANES <= n; i += VITC_LANES)
    vf32_store_u8(y + i, VITC_FN(vitc__quantize_v)(vf32_load(x + i), vs, vz, vlo, vhi));
  if (i < n) vf32_store_u8_tail(y + i, VITC_FN(vitc__quantize_v)(vf32_load_tail(x + i, n - i), vs, vz, vlo, vhi), n - i);
}

VITC_KERNEL void VITC_FN(vitc_f32_quantize)(int outer, int na, int inner, const float *x, const float *scale,
                                            const int *zp, int y_type, void *y) {
  const float lo = y_type == 3 ? -128.0f : 0.0f, hi = y_type == 3 ? 127.0f : 255.0f;
  uint8_t *q = (uint8_t *)y;
  int o, a;
  if (inner == 1 && na > 1) {
    /* the quantization axis is the last one: the vector runs along it */
    const vf32 vlo = vf32_set1(lo), vhi = vf32_set1(hi);
    for (o = 0; o < outer; o++) {
      const float *xr = x + (ptrdiff_t)o * na;
      uint8_t *qr = q + (ptrdiff_t)o * na;
      for (a = 0; a < na; a += VITC_LANES) {
        const int m = na - a < VITC_LANES ? na - a : VITC_LANES;
        float zf[VITC_LANES];
        int l;
        for (l = 0; l < m; l++) zf[l] = (float)zp[a + l];
        /* masked-off lanes divide 0 by a scale of 1 and are not stored */
        const vf32 v = VITC_FN(vitc__quantize_v)(vf32_load_tail(xr + a, m), vf32_load_tail_fill(scale + a, m, 1.0f),
                                                 vf32_load_tail(zf, m), vlo, vhi);
        if (m == VITC_LANES) vf32_store_u8(qr + a, v);
        else vf32_store_u8_tail(qr + a, v, m);
      }
    }
    return;
  }
  for (o = 0; o < outer; o++)
    for (a = 0; a < na; a++) {
      const ptrdiff_t at = ((ptrdiff_t)o * na + a) * inner;
      VITC_FN(vitc__quantize_run)(inner, x + at, scale[a], zp[a], lo, hi, q + at);
    }
}

VITC_KERNEL void VITC_FN(vitc_f32_quantize_rt)(int n, const float *x, const float *scale, const void *zp, int y_type,
                                               void *y) {
  const int z = zp ? (int)vitc__q_load(zp, y_type, 0) : 0;
  VITC_FN(vitc__quantize_run)(n, x, *scale, z, y_type == 3 ? -128.0f : 0.0f, y_type == 3 ? 127.0f : 255.0f,
                              (uint8_t *)y);
}

/* The range pass runs min(0, x) and max(0, x) with the scalar loop's comparisons
 * (a NaN is never taken); the scale and zero point from them are the scalar
 * kernel's (vitc__q_dynamic_params). */
VITC_KERNEL void VITC_FN(vitc_f32_dynamic_quantize)(int n, const float *x, uint8_t *y, float *y_scale,
                                                    uint8_t *y_zp) {
  vf32 vmn = vf32_zero(), vmx = vf32_zero();
  int i, zp;
  for (i = 0; i + VITC_LANES <= n; i += VITC_LANES) {
    const vf32 v = vf32_load(x + i);
    vmn = vf32_select(vf32_cmplt(v, vmn), v, vmn);
    vmx = vf32_select(vf32_cmplt(vmx, v), v, vmx);
  }
  if (i < n) {
    const vf32 v = vf32_load_tail(x + i, n - i); /* other lanes 0: neutral, both start at 0 */
    vmn = vf32_select(vf32_cmplt(v, vmn), v, vmn);
    vmx = vf32_select(vf32_cmplt(vmx, v), v, vmx);
  }
  zp = vitc__q_dynamic_params(-vf32_hmax(vf32_sub(vf32_zero(), vmn)), vf32_hmax(vmx), y_scale, y_zp);
  VITC_FN(vitc__quantize_run)(n, x, *y_scale, zp, 0.0f, 255.0f, y);
}
