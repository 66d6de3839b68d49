/* templates/simd/neon.h: the SIMD shim for Arm Advanced SIMD (NEON), 4 lanes of
 * float32x4_t, on AArch64 and on 32-bit ARMv7-A/ARMv8 AArch32.
 *
 * The API is in templates/simd/bind.h. One `neon` bundle builds for both
 * architectures, so a few operations have two spellings:
 *
 *   operation   AArch64                 AArch32 (no such A64 instruction)
 *   div         vdivq_f32               reciprocal estimate, 2 Newton steps, a times it,
 *                                       then one correction by the fused residual
 *                                       (correctly rounded in tests/check_simd.c's cases;
 *                                       without VFPv4 no correction: docs/cross-compiling.md)
 *   hsum, hmax  vaddvq_f32, vmaxvq_f32  two pairwise vpadd/vpmax: same order, same bits
 *   round       vrndnq_f32              vrndnq_f32 with __ARM_FEATURE_DIRECTED_ROUNDING,
 *                                       else +-2^23 added and subtracted (exact: NEON
 *                                       rounds to nearest even)
 *   fma         vfmaq_f32               vfmaq_f32 with VFPv4 (-mfpu=neon-vfpv4), else
 *                                       vmlaq_f32 (rounds twice, like the scalar shim)
 *
 * On AArch64 NEON is always there and a bundle needs no flags. On 32-bit ARM the
 * compiler must be told: -mfpu=neon-vfpv4 -mfloat-abi=hard (Debian armhf), or
 * -mfpu=neon for Cortex-A8/A9. AArch32 NEON also flushes denormals to zero
 * (results and inputs below 1.2e-38 become 0; far below any model's tolerance).
 *
 * NEON has no masked loads: a tail goes through a 4-float local buffer (n <= 3
 * scalar copies), which keeps every access inside the caller's buffer. vmaxq/vminq
 * return NaN when either lane is NaN. */
#ifndef VITC_SIMD_NEON_H
#define VITC_SIMD_NEON_H

#include "../prelude.h"

#include <arm_neon.h>

#if !defined(__ARM_NEON) && !defined(__ARM_NEON__)
#error "target neon: needs NEON (AArch64, or 32-bit ARM with -mfpu=neon-vfpv4 -mfloat-abi=hard)"
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
VITC_SIMD_INLINE vitc_neon_f32 vitc_neon_div(vitc_neon_f32 a, vitc_neon_f32 b) {
#if defined(__aarch64__)
  return vdivq_f32(a, b);
#else
  /* 1/b: the 8-bit estimate, then two Newton steps r (2 - b r), each doubling the
   * correct bits (vrecpsq_f32 gives 2 - b r, exactly 2 for 0 * inf, so 1/0 stays inf) */
  float32x4_t r, q;
  /* the estimate of 1/b is 0 for |b| >= 2^126 (1/b would be denormal, flushed):
   * scale such a and b by 1/4 first (exact, bar a denormal a: quotient ~0 anyway) */
  const float32x4_t s = vbslq_f32(vcageq_f32(b, vdupq_n_f32(8.50705917e37f)), vdupq_n_f32(0.25f), vdupq_n_f32(1.0f));
  a = vmulq_f32(a, s);
  b = vmulq_f32(b, s);
  r = vrecpeq_f32(b);
  r = vmulq_f32(r, vrecpsq_f32(b, r));
  r = vmulq_f32(r, vrecpsq_f32(b, r));
  q = vmulq_f32(a, r);
#if defined(__ARM_FEATURE_FMA)
  {
    /* one correction with the exact residual a - q b (Markstein): q is then the
     * correctly rounded quotient. Lanes where q is 0 (its sign would be lost) or
     * the residual is NaN (b or q infinite: 0 * inf) keep q, already right there. */
    const float32x4_t e = vfmsq_f32(a, q, b);
    const float32x4_t q1 = vfmaq_f32(q, e, r);
    const uint32x4_t use = vandq_u32(vceqq_f32(q1, q1), vmvnq_u32(vceqq_f32(q, vdupq_n_f32(0.0f))));
    q = vbslq_f32(use, q1, q);
  }
#endif
  return q;
#endif
}
VITC_SIMD_INLINE vitc_neon_f32 vitc_neon_fma(vitc_neon_f32 a, vitc_neon_f32 b, vitc_neon_f32 c) {
#if defined(__aarch64__) || defined(__ARM_FEATURE_FMA)
  return vfmaq_f32(c, a, b);
#else
  return vmlaq_f32(c, a, b); /* NEON without VFPv4: multiply, round, add */
#endif
}
VITC_SIMD_INLINE vitc_neon_f32 vitc_neon_max(vitc_neon_f32 a, vitc_neon_f32 b) { return vmaxq_f32(a, b); }
VITC_SIMD_INLINE vitc_neon_f32 vitc_neon_min(vitc_neon_f32 a, vitc_neon_f32 b) { return vminq_f32(a, b); }
#if defined(__aarch64__)
VITC_SIMD_INLINE float vitc_neon_hsum(vitc_neon_f32 v) { return vaddvq_f32(v); }
VITC_SIMD_INLINE float vitc_neon_hmax(vitc_neon_f32 v) { return vmaxvq_f32(v); }
#else
/* (v0 + v1) + (v2 + v3), the order of AArch64's faddp-based vaddvq_f32 */
VITC_SIMD_INLINE float vitc_neon_hsum(vitc_neon_f32 v) {
  const float32x2_t s = vpadd_f32(vget_low_f32(v), vget_high_f32(v));
  return vget_lane_f32(vpadd_f32(s, s), 0);
}
VITC_SIMD_INLINE float vitc_neon_hmax(vitc_neon_f32 v) {
  const float32x2_t m = vpmax_f32(vget_low_f32(v), vget_high_f32(v));
  return vget_lane_f32(vpmax_f32(m, m), 0);
}
#endif
VITC_SIMD_INLINE vitc_neon_f32 vitc_neon_round(vitc_neon_f32 v) {
#if defined(__aarch64__) || defined(__ARM_FEATURE_DIRECTED_ROUNDING)
  return vrndnq_f32(v);
#else
  /* v + 2^23 - 2^23 (sign of v) rounds to an integer, ties to even, for |v| < 2^23;
   * larger floats (and NaN, which fails the compare) are kept as they are */
  const uint32x4_t sign = vandq_u32(vreinterpretq_u32_f32(v), vdupq_n_u32(0x80000000u));
  const float32x4_t magic = vreinterpretq_f32_u32(vorrq_u32(sign, vdupq_n_u32(0x4b000000u)));
  const float32x4_t r = vsubq_f32(vaddq_f32(v, magic), magic); /* -0.3 gives +0: put the sign back */
  return vbslq_f32(vcaltq_f32(v, vdupq_n_f32(8388608.0f)), vreinterpretq_f32_u32(vorrq_u32(vreinterpretq_u32_f32(r), sign)), v);
#endif
}
VITC_SIMD_INLINE vitc_neon_f32 vitc_neon_pow2i(vitc_neon_f32 v) {
  const int32x4_t e = vaddq_s32(vcvtq_s32_f32(v), vdupq_n_s32(127));
  return vreinterpretq_f32_s32(vshlq_n_s32(e, 23));
}

/* 1/d by vrecpe and two Newton steps (vrecps): relative error < 2^-22 before rounding */
VITC_SIMD_INLINE vitc_neon_f32 vitc_neon_recip(vitc_neon_f32 d) {
  float32x4_t r = vrecpeq_f32(d);
  r = vmulq_f32(r, vrecpsq_f32(d, r));
  return vmulq_f32(r, vrecpsq_f32(d, r));
}
VITC_SIMD_INLINE vitc_neon_f32 vitc_neon_ldexp(vitc_neon_f32 p, vitc_neon_f32 n) { return vmulq_f32(p, vitc_neon_pow2i(n)); }
/* masks, selection and bit-level helpers (bind.h: vm32 and below) */
typedef uint32x4_t vitc_neon_m32;
VITC_SIMD_INLINE vitc_neon_m32 vitc_neon_cmplt(vitc_neon_f32 a, vitc_neon_f32 b) { return vcltq_f32(a, b); }
VITC_SIMD_INLINE vitc_neon_m32 vitc_neon_cmple(vitc_neon_f32 a, vitc_neon_f32 b) { return vcleq_f32(a, b); }
VITC_SIMD_INLINE vitc_neon_m32 vitc_neon_cmpeq(vitc_neon_f32 a, vitc_neon_f32 b) { return vceqq_f32(a, b); }
VITC_SIMD_INLINE vitc_neon_m32 vitc_neon_mand(vitc_neon_m32 a, vitc_neon_m32 b) { return vandq_u32(a, b); }
VITC_SIMD_INLINE vitc_neon_m32 vitc_neon_mor(vitc_neon_m32 a, vitc_neon_m32 b) { return vorrq_u32(a, b); }
VITC_SIMD_INLINE vitc_neon_m32 vitc_neon_mnot(vitc_neon_m32 a) { return vmvnq_u32(a); }
VITC_SIMD_INLINE vitc_neon_f32 vitc_neon_select(vitc_neon_m32 m, vitc_neon_f32 a, vitc_neon_f32 b) {
  return vbslq_f32(m, a, b);
}
VITC_SIMD_INLINE vitc_neon_f32 vitc_neon_abs(vitc_neon_f32 v) { return vabsq_f32(v); }
VITC_SIMD_INLINE vitc_neon_f32 vitc_neon_sqrt(vitc_neon_f32 v) {
#if defined(__aarch64__)
  return vsqrtq_f32(v);
#else
  /* AArch32 NEON has no vector square root: the VFP one per lane, correctly rounded */
  float b[4];
  int i;
  vst1q_f32(b, v);
  for (i = 0; i < 4; i++) b[i] = sqrtf(b[i]);
  return vld1q_f32(b);
#endif
}
VITC_SIMD_INLINE vitc_neon_f32 vitc_neon_exponent(vitc_neon_f32 v) {
  const uint32x4_t b = vandq_u32(vshrq_n_u32(vreinterpretq_u32_f32(v), 23), vdupq_n_u32(0xff));
  return vcvtq_f32_s32(vsubq_s32(vreinterpretq_s32_u32(b), vdupq_n_s32(127)));
}
VITC_SIMD_INLINE vitc_neon_f32 vitc_neon_mantissa(vitc_neon_f32 v) {
  const uint32x4_t m = vandq_u32(vreinterpretq_u32_f32(v), vdupq_n_u32(0x007fffffu));
  return vreinterpretq_f32_u32(vorrq_u32(m, vdupq_n_u32(0x3f800000u)));
}
VITC_SIMD_INLINE vitc_neon_f32 vitc_neon_from_u8(const uint8_t *p) {
  uint32_t w;
  memcpy(&w, p, sizeof w);
  return vcvtq_f32_u32(vmovl_u16(vget_low_u16(vmovl_u8(vcreate_u8((uint64_t)w)))));
}
VITC_SIMD_INLINE vitc_neon_f32 vitc_neon_load_even(const float *p) { return vld2q_f32(p).val[0]; }
/* the 4 lanes (integers in [-128, 255]) as their low bytes: exact conversion to
 * int32, narrowed 32 -> 16 -> 8 bits by truncation */
VITC_SIMD_INLINE uint32_t vitc__neon_low_bytes(vitc_neon_f32 v) {
  const int16x4_t h = vmovn_s32(vcvtq_s32_f32(v));
  return vget_lane_u32(vreinterpret_u32_s8(vmovn_s16(vcombine_s16(h, h))), 0);
}
VITC_SIMD_INLINE void vitc_neon_store_u8(uint8_t *p, vitc_neon_f32 v) {
  const uint32_t w = vitc__neon_low_bytes(v);
  memcpy(p, &w, sizeof w);
}
VITC_SIMD_INLINE void vitc_neon_store_u8_tail(uint8_t *p, vitc_neon_f32 v, int n) {
  const uint32_t w = vitc__neon_low_bytes(v);
  memcpy(p, &w, (size_t)n);
}

#define VITC_SIMD_ISA neon
#define VITC_LANES 4
#include "bind.h"
#include "fastmath.h"

#endif /* VITC_SIMD_NEON_H */
