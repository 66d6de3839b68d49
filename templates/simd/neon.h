/* templates/simd/neon.h: the SIMD shim for AArch64 Advanced SIMD (4 lanes,
 * float32x4_t).
 *
 * The API is in templates/simd/bind.h. AArch64 only (vdivq_f32, vrndnq_f32 and the
 * across-vector reductions vaddvq/vmaxvq are A64 instructions); NEON is part of
 * every AArch64 CPU, so a bundle needs no extra flags. NEON has no masked loads:
 * a tail goes through a 4-float local buffer (n <= 3 scalar copies), which keeps
 * every access inside the caller's buffer. vmaxq/vminq return NaN when either
 * lane is NaN. */
#ifndef VITC_SIMD_NEON_H
#define VITC_SIMD_NEON_H

#include "../prelude.h"

#include <arm_neon.h>

#if !defined(__aarch64__)
#error "target neon: AArch64 only (e.g. aarch64-linux-gnu-gcc)"
#endif

#ifndef VITC_SIMD_INLINE
#define VITC_SIMD_INLINE static inline VITC_UNUSED
#endif

typedef float32x4_t vitc_neon_f32;

VITC_SIMD_INLINE vitc_neon_f32 vitc_neon_load(const float *p) { return vld1q_f32(p); }
VITC_SIMD_INLINE void vitc_neon_store(float *p, vitc_neon_f32 v) { vst1q_f32(p, v); }
VITC_SIMD_INLINE vitc_neon_f32 vitc_neon_load_tail_fill(const float *p, int n, float fill) {
  float b[4];
  int i;
  for (i = 0; i < 4; i++) b[i] = i < n ? p[i] : fill;
  return vld1q_f32(b);
}
VITC_SIMD_INLINE vitc_neon_f32 vitc_neon_load_tail(const float *p, int n) {
  return vitc_neon_load_tail_fill(p, n, 0.0f);
}
VITC_SIMD_INLINE void vitc_neon_store_tail(float *p, vitc_neon_f32 v, int n) {
  float b[4];
  int i;
  vst1q_f32(b, v);
  for (i = 0; i < n; i++) p[i] = b[i];
}
VITC_SIMD_INLINE vitc_neon_f32 vitc_neon_set1(float s) { return vdupq_n_f32(s); }
VITC_SIMD_INLINE vitc_neon_f32 vitc_neon_zero(void) { return vdupq_n_f32(0.0f); }
VITC_SIMD_INLINE vitc_neon_f32 vitc_neon_add(vitc_neon_f32 a, vitc_neon_f32 b) { return vaddq_f32(a, b); }
VITC_SIMD_INLINE vitc_neon_f32 vitc_neon_sub(vitc_neon_f32 a, vitc_neon_f32 b) { return vsubq_f32(a, b); }
VITC_SIMD_INLINE vitc_neon_f32 vitc_neon_mul(vitc_neon_f32 a, vitc_neon_f32 b) { return vmulq_f32(a, b); }
VITC_SIMD_INLINE vitc_neon_f32 vitc_neon_div(vitc_neon_f32 a, vitc_neon_f32 b) { return vdivq_f32(a, b); }
VITC_SIMD_INLINE vitc_neon_f32 vitc_neon_fma(vitc_neon_f32 a, vitc_neon_f32 b, vitc_neon_f32 c) {
  return vfmaq_f32(c, a, b);
}
VITC_SIMD_INLINE vitc_neon_f32 vitc_neon_max(vitc_neon_f32 a, vitc_neon_f32 b) { return vmaxq_f32(a, b); }
VITC_SIMD_INLINE vitc_neon_f32 vitc_neon_min(vitc_neon_f32 a, vitc_neon_f32 b) { return vminq_f32(a, b); }
VITC_SIMD_INLINE float vitc_neon_hsum(vitc_neon_f32 v) { return vaddvq_f32(v); }
VITC_SIMD_INLINE float vitc_neon_hmax(vitc_neon_f32 v) { return vmaxvq_f32(v); }
VITC_SIMD_INLINE vitc_neon_f32 vitc_neon_round(vitc_neon_f32 v) { return vrndnq_f32(v); }
VITC_SIMD_INLINE vitc_neon_f32 vitc_neon_pow2i(vitc_neon_f32 v) {
  const int32x4_t e = vaddq_s32(vcvtq_s32_f32(v), vdupq_n_s32(127));
  return vreinterpretq_f32_s32(vshlq_n_s32(e, 23));
}

#define VITC_SIMD_ISA neon
#define VITC_LANES 4
#include "bind.h"
#include "fastmath.h"

#endif /* VITC_SIMD_NEON_H */
