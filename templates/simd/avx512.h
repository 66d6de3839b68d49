/* templates/simd/avx512.h: the SIMD shim for x86-64 AVX-512F (16 lanes, __m512).
 *
 * The API is in templates/simd/bind.h. Tails are mask registers ((1 << n) - 1):
 * masked loads and stores do not touch the masked-off lanes, and a masked load
 * merges them with the fill value in the same instruction. Only AVX-512F
 * instructions are used here; the avx512 target also enables VL/BW/DQ for the C
 * compiler and for hand-written kernels. Build with -mavx512f -mfma (the target's
 * flags: -mavx512f -mavx512vl -mavx512bw -mavx512dq -mfma, or -march=skylake-avx512
 * or newer); tests that compile this under `#pragma GCC target(...)` define
 * VITC_SIMD_ASSUME_TARGET. */
#ifndef VITC_SIMD_AVX512_H
#define VITC_SIMD_AVX512_H

#include "../prelude.h"

#include <immintrin.h>

#include "x86.h"

#if !defined(VITC_SIMD_ASSUME_TARGET) && !(defined(__AVX512F__) && defined(__FMA__))
#error                                                                                                                 \
    "target avx512: compile with -mavx512f -mavx512vl -mavx512bw -mavx512dq -mfma (or -march=skylake-avx512 or newer)"
#endif

#ifndef VITC_SIMD_INLINE
#define VITC_SIMD_INLINE static inline VITC_UNUSED
#endif

typedef __m512 vitc_avx512_f32;

/* lanes i < n, 0 <= n <= 16 */
VITC_SIMD_INLINE __mmask16 vitc_avx512_tail_mask(int n) { return (__mmask16)((1u << n) - 1u); }

VITC_SIMD_INLINE vitc_avx512_f32 vitc_avx512_load(const float *p) { return _mm512_loadu_ps(p); }
VITC_SIMD_INLINE void vitc_avx512_store(float *p, vitc_avx512_f32 v) { _mm512_storeu_ps(p, v); }
VITC_SIMD_INLINE vitc_avx512_f32 vitc_avx512_load_tail(const float *p, int n) {
  return _mm512_maskz_loadu_ps(vitc_avx512_tail_mask(n), p);
}
VITC_SIMD_INLINE vitc_avx512_f32 vitc_avx512_load_tail_fill(const float *p, int n, float fill) {
  return _mm512_mask_loadu_ps(_mm512_set1_ps(fill), vitc_avx512_tail_mask(n), p);
}
VITC_SIMD_INLINE void vitc_avx512_store_tail(float *p, vitc_avx512_f32 v, int n) {
  _mm512_mask_storeu_ps(p, vitc_avx512_tail_mask(n), v);
}
VITC_SIMD_INLINE vitc_avx512_f32 vitc_avx512_set1(float s) { return _mm512_set1_ps(s); }
VITC_SIMD_INLINE vitc_avx512_f32 vitc_avx512_zero(void) { return _mm512_setzero_ps(); }
VITC_SIMD_INLINE vitc_avx512_f32 vitc_avx512_add(vitc_avx512_f32 a, vitc_avx512_f32 b) { return _mm512_add_ps(a, b); }
VITC_SIMD_INLINE vitc_avx512_f32 vitc_avx512_sub(vitc_avx512_f32 a, vitc_avx512_f32 b) { return _mm512_sub_ps(a, b); }
VITC_SIMD_INLINE vitc_avx512_f32 vitc_avx512_mul(vitc_avx512_f32 a, vitc_avx512_f32 b) { return _mm512_mul_ps(a, b); }
VITC_SIMD_INLINE vitc_avx512_f32 vitc_avx512_div(vitc_avx512_f32 a, vitc_avx512_f32 b) { return _mm512_div_ps(a, b); }
VITC_SIMD_INLINE vitc_avx512_f32 vitc_avx512_fma(vitc_avx512_f32 a, vitc_avx512_f32 b, vitc_avx512_f32 c) {
  return _mm512_fmadd_ps(a, b, c);
}
VITC_SIMD_INLINE vitc_avx512_f32 vitc_avx512_max(vitc_avx512_f32 a, vitc_avx512_f32 b) { return _mm512_max_ps(a, b); }
VITC_SIMD_INLINE vitc_avx512_f32 vitc_avx512_min(vitc_avx512_f32 a, vitc_avx512_f32 b) { return _mm512_min_ps(a, b); }
/* horizontal sum / max: 512 -> 256 bits here, then as avx2 (x86.h) */
VITC_SIMD_INLINE __m256 vitc_avx512_fold_half(vitc_avx512_f32 v, int max) {
  const __m256 lo = _mm512_castps512_ps256(v), hi = _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1));
  return max ? _mm256_max_ps(lo, hi) : _mm256_add_ps(lo, hi);
}
VITC_SIMD_INLINE float vitc_avx512_hsum(vitc_avx512_f32 v) { return vitc_x86_fold256(vitc_avx512_fold_half(v, 0), 0); }
VITC_SIMD_INLINE float vitc_avx512_hmax(vitc_avx512_f32 v) { return vitc_x86_fold256(vitc_avx512_fold_half(v, 1), 1); }
VITC_SIMD_INLINE vitc_avx512_f32 vitc_avx512_round(vitc_avx512_f32 v) {
  return _mm512_roundscale_ps(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
}
VITC_SIMD_INLINE vitc_avx512_f32 vitc_avx512_pow2i(vitc_avx512_f32 v) {
  const __m512i e = _mm512_add_epi32(_mm512_cvtps_epi32(v), _mm512_set1_epi32(127));
  return _mm512_castsi512_ps(_mm512_slli_epi32(e, 23));
}

/* 1/d by vrcp14ps and one Newton step r (2 - d r): relative error < 2^-27 before rounding */
VITC_SIMD_INLINE vitc_avx512_f32 vitc_avx512_recip(vitc_avx512_f32 d) {
  const __m512 r = _mm512_rcp14_ps(d);
  return _mm512_mul_ps(r, _mm512_fnmadd_ps(d, r, _mm512_set1_ps(2.0f)));
}
/* p 2^n in one vscalefps (one rounding, as p times an exact 2^n) */
VITC_SIMD_INLINE vitc_avx512_f32 vitc_avx512_ldexp(vitc_avx512_f32 p, vitc_avx512_f32 n) { return _mm512_scalef_ps(p, n); }
/* masks, selection and bit-level helpers (bind.h: vm32 and below) */
typedef __mmask16 vitc_avx512_m32;
VITC_SIMD_INLINE vitc_avx512_m32 vitc_avx512_cmplt(vitc_avx512_f32 a, vitc_avx512_f32 b) {
  return _mm512_cmp_ps_mask(a, b, _CMP_LT_OQ);
}
VITC_SIMD_INLINE vitc_avx512_m32 vitc_avx512_cmple(vitc_avx512_f32 a, vitc_avx512_f32 b) {
  return _mm512_cmp_ps_mask(a, b, _CMP_LE_OQ);
}
VITC_SIMD_INLINE vitc_avx512_m32 vitc_avx512_cmpeq(vitc_avx512_f32 a, vitc_avx512_f32 b) {
  return _mm512_cmp_ps_mask(a, b, _CMP_EQ_OQ);
}
VITC_SIMD_INLINE vitc_avx512_m32 vitc_avx512_mand(vitc_avx512_m32 a, vitc_avx512_m32 b) { return (__mmask16)(a & b); }
VITC_SIMD_INLINE vitc_avx512_m32 vitc_avx512_mor(vitc_avx512_m32 a, vitc_avx512_m32 b) { return (__mmask16)(a | b); }
VITC_SIMD_INLINE vitc_avx512_m32 vitc_avx512_mnot(vitc_avx512_m32 a) { return (__mmask16)~a; }
VITC_SIMD_INLINE vitc_avx512_f32 vitc_avx512_select(vitc_avx512_m32 m, vitc_avx512_f32 a, vitc_avx512_f32 b) {
  return _mm512_mask_blend_ps(m, b, a);
}
VITC_SIMD_INLINE vitc_avx512_f32 vitc_avx512_abs(vitc_avx512_f32 v) { return _mm512_abs_ps(v); }
VITC_SIMD_INLINE vitc_avx512_f32 vitc_avx512_sqrt(vitc_avx512_f32 v) { return _mm512_sqrt_ps(v); }
VITC_SIMD_INLINE vitc_avx512_f32 vitc_avx512_exponent(vitc_avx512_f32 v) {
  const __m512i b = _mm512_and_si512(_mm512_srli_epi32(_mm512_castps_si512(v), 23), _mm512_set1_epi32(0xff));
  return _mm512_cvtepi32_ps(_mm512_sub_epi32(b, _mm512_set1_epi32(127)));
}
VITC_SIMD_INLINE vitc_avx512_f32 vitc_avx512_mantissa(vitc_avx512_f32 v) {
  const __m512i m = _mm512_and_si512(_mm512_castps_si512(v), _mm512_set1_epi32(0x007fffff));
  return _mm512_castsi512_ps(_mm512_or_si512(m, _mm512_set1_epi32(0x3f800000)));
}
VITC_SIMD_INLINE vitc_avx512_f32 vitc_avx512_from_u8(const uint8_t *p) {
  return _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *)(const void *)p)));
}
VITC_SIMD_INLINE vitc_avx512_f32 vitc_avx512_load_even(const float *p) {
  const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
  return _mm512_permutex2var_ps(_mm512_loadu_ps(p), even, _mm512_loadu_ps(p + 16));
}
/* the 16 lanes (integers in [-128, 255]) as their low bytes (vpmovdb truncates) */
VITC_SIMD_INLINE void vitc_avx512_store_u8(uint8_t *p, vitc_avx512_f32 v) {
  _mm_storeu_si128((__m128i *)(void *)p, _mm512_cvtepi32_epi8(_mm512_cvtps_epi32(v)));
}
VITC_SIMD_INLINE void vitc_avx512_store_u8_tail(uint8_t *p, vitc_avx512_f32 v, int n) {
  _mm512_mask_cvtepi32_storeu_epi8(p, (__mmask16)((1u << n) - 1u), _mm512_cvtps_epi32(v));
}

#define VITC_SIMD_ISA avx512
#define VITC_LANES 16
#include "bind.h"
#include "fastmath.h"

#endif /* VITC_SIMD_AVX512_H */
