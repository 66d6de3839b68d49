/* templates/norm/f32-softmax-row.c: the row step of the shim-based softmax,
 * y = exp(x - max x) and its sum, written once against the SIMD shim for Softmax
 * (f32-softmax-simd.c) and the fused attention's rows of scores
 * (templates/attention/f32-attention-simd.c), which include it. Not a kernel of
 * its own: no entry point, no -simd.c name (the emitter pastes it as the
 * dependency of those two). No include guard: like them it is instantiated once
 * per bound shim (VITC_FN). */
#include "../prelude.h"
#include "../simd/shim.h"

#ifndef VITC__SOFTMAX_SIMD_INLINE
#if defined(__GNUC__) || defined(__clang__)
#define VITC__SOFTMAX_SIMD_INLINE static inline VITC_UNUSED __attribute__((always_inline))
#else
#define VITC__SOFTMAX_SIMD_INLINE static inline VITC_UNUSED
#endif
#endif

/* e^d for d = x - max <= 0: vf32_exp, or with finite (a literal) the shim's
 * exp_finite of max(d, -87), which skips exp's two-step scaling for denormal
 * results and gives e^-87 (1.6e-38) instead of a denormal or 0 below -87: no
 * softmax sum (at least 1, the max's term) can see it, but a probability of 0
 * stays exactly 0 only without it. NaN stays NaN either way. */
VITC__SOFTMAX_SIMD_INLINE vf32 VITC_FN(vitc__f32_softmax_exp)(vf32 d, int finite) {
  return finite ? VITC_SIMD_FN(exp_finite)(vf32_max(vf32_set1(-87.0f), d)) : vf32_exp(d);
}

/* y[0..n) = exp(x - max x) for one row, n >= 1; returns the sum of y. The max in
 * two accumulators (the tail loaded with -inf fill), then exp stored to y while
 * summing it in two accumulators (the tail's masked-off lanes are neither stored
 * nor summed). y may equal x. The row step of Softmax (f32-softmax-simd.c) and of the fused
 * attention (templates/attention/f32-attention-simd.c, with finite). */
VITC__SOFTMAX_SIMD_INLINE float VITC_FN(vitc__f32_softmax_exp_row)(int n, const float *x, float *y, int finite) {
  vf32 vm = vf32_set1(-INFINITY), vm1 = vf32_set1(-INFINITY), vmax, vs0 = vf32_zero(), vs1 = vf32_zero();
  int i;
  for (i = 0; i + 2 * VITC_LANES <= n; i += 2 * VITC_LANES) {
    vm = vf32_max(vm, vf32_load(x + i));
    vm1 = vf32_max(vm1, vf32_load(x + i + VITC_LANES));
  }
  for (; i + VITC_LANES <= n; i += VITC_LANES) vm = vf32_max(vm, vf32_load(x + i));
  if (i < n) vm1 = vf32_max(vm1, vf32_load_tail_fill(x + i, n - i, -INFINITY));
  vmax = vf32_set1(vf32_hmax(vf32_max(vm, vm1)));
  for (i = 0; i + 2 * VITC_LANES <= n; i += 2 * VITC_LANES) {
    const vf32 e0 = VITC_FN(vitc__f32_softmax_exp)(vf32_sub(vf32_load(x + i), vmax), finite);
    const vf32 e1 = VITC_FN(vitc__f32_softmax_exp)(vf32_sub(vf32_load(x + i + VITC_LANES), vmax), finite);
    vf32_store(y + i, e0);
    vf32_store(y + i + VITC_LANES, e1);
    vs0 = vf32_add(vs0, e0);
    vs1 = vf32_add(vs1, e1);
  }
  for (; i + VITC_LANES <= n; i += VITC_LANES) {
    const vf32 e0 = VITC_FN(vitc__f32_softmax_exp)(vf32_sub(vf32_load(x + i), vmax), finite);
    vf32_store(y + i, e0);
    vs0 = vf32_add(vs0, e0);
  }
  if (i < n) {
    const vf32 e0 = VITC_FN(vitc__f32_softmax_exp)(vf32_sub(vf32_load_tail_fill(x + i, n - i, -INFINITY), vmax), finite);
    vf32_store_tail(y + i, e0, n - i);
    vs1 = vf32_add(vs1, vf32_load_tail(y + i, n - i)); /* the stored lanes: exp_finite(-inf) is not 0 */
  }
  return vf32_hsum(vf32_add(vs0, vs1));
}
