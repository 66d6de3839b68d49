/* templates/simd/avx2.h: the SIMD shim for x86-64 AVX2 + FMA3 (8 lanes, __m256).
 *
 * The API is in templates/simd/bind.h. Tails use vmaskmovps, which neither reads
 * nor writes the masked-off lanes (no fault past the end of a buffer); the mask
 * is "lane index < n", one compare against a constant index vector. Horizontal
 * reductions fold 256 -> 128 -> 64 -> 32 bits (x86.h). Build with -mavx2 -mfma (or
 * -march=haswell or newer); tests that compile this under
 * `#pragma GCC target("avx2,fma")` define VITC_SIMD_ASSUME_TARGET. */
#ifndef VITC_SIMD_AVX2_H
#define VITC_SIMD_AVX2_H

#include "../prelude.h"

#include <immintrin.h>

#include "x86.h"

#if !defined(VITC_SIMD_ASSUME_TARGET) && !(defined(__AVX2__) && defined(__FMA__))
#error "target avx2: compile with -mavx2 -mfma (or -march=haswell or newer)"
#endif

#ifndef VITC_SIMD_INLINE
#define VITC_SIMD_INLINE static inline VITC_UNUSED
#endif

typedef __m256 vitc_avx2_f32;

/* all-ones in the lanes i < n */
VITC_SIMD_INLINE __m256i vitc_avx2_tail_mask(int n) {
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

VITC_SIMD_INLINE vitc_avx2_f32 vitc_avx2_load(const float *p) { return _mm256_loadu_ps(p); }
VITC_SIMD_INLINE void vitc_avx2_store(float *p, vitc_avx2_f32 v) { _mm256_storeu_ps(p, v); }
VITC_SIMD_INLINE vitc_avx2_f32 vitc_avx2_load_tail(const float *p, int n) {
  return _mm256_maskload_ps(p, vitc_avx2_tail_mask(n));
}
VITC_SIMD_INLINE vitc_avx2_f32 vitc_avx2_load_tail_fill(const float *p, int n, float fill) {
  const __m256i m = vitc_avx2_tail_mask(n);
  return _mm256_blendv_ps(_mm256_set1_ps(fill), _mm256_maskload_ps(p, m), _mm256_castsi256_ps(m));
}
VITC_SIMD_INLINE void vitc_avx2_store_tail(float *p, vitc_avx2_f32 v, int n) {
  _mm256_maskstore_ps(p, vitc_avx2_tail_mask(n), v);
}
VITC_SIMD_INLINE vitc_avx2_f32 vitc_avx2_set1(float s) { return _mm256_set1_ps(s); }
VITC_SIMD_INLINE vitc_avx2_f32 vitc_avx2_zero(void) { return _mm256_setzero_ps(); }
VITC_SIMD_INLINE vitc_avx2_f32 vitc_avx2_add(vitc_avx2_f32 a, vitc_avx2_f32 b) { return _mm256_add_ps(a, b); }
VITC_SIMD_INLINE vitc_avx2_f32 vitc_avx2_sub(vitc_avx2_f32 a, vitc_avx2_f32 b) { return _mm256_sub_ps(a, b); }
VITC_SIMD_INLINE vitc_avx2_f32 vitc_avx2_mul(vitc_avx2_f32 a, vitc_avx2_f32 b) { return _mm256_mul_ps(a, b); }
VITC_SIMD_INLINE vitc_avx2_f32 vitc_avx2_div(vitc_avx2_f32 a, vitc_avx2_f32 b) { return _mm256_div_ps(a, b); }
VITC_SIMD_INLINE vitc_avx2_f32 vitc_avx2_fma(vitc_avx2_f32 a, vitc_avx2_f32 b, vitc_avx2_f32 c) {
  return _mm256_fmadd_ps(a, b, c);
}
VITC_SIMD_INLINE vitc_avx2_f32 vitc_avx2_max(vitc_avx2_f32 a, vitc_avx2_f32 b) { return _mm256_max_ps(a, b); }
VITC_SIMD_INLINE vitc_avx2_f32 vitc_avx2_min(vitc_avx2_f32 a, vitc_avx2_f32 b) { return _mm256_min_ps(a, b); }
VITC_SIMD_INLINE float vitc_avx2_hsum(vitc_avx2_f32 v) { return vitc_x86_fold256(v, 0); }
VITC_SIMD_INLINE float vitc_avx2_hmax(vitc_avx2_f32 v) { return vitc_x86_fold256(v, 1); }
VITC_SIMD_INLINE vitc_avx2_f32 vitc_avx2_round(vitc_avx2_f32 v) {
  return _mm256_round_ps(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
}
VITC_SIMD_INLINE vitc_avx2_f32 vitc_avx2_pow2i(vitc_avx2_f32 v) {
  const __m256i e = _mm256_add_epi32(_mm256_cvtps_epi32(v), _mm256_set1_epi32(127));
  return _mm256_castsi256_ps(_mm256_slli_epi32(e, 23));
}

/* 1/d by vrcpps and one Newton step r (2 - d r): relative error < 2^-23 before rounding */
VITC_SIMD_INLINE vitc_avx2_f32 vitc_avx2_recip(vitc_avx2_f32 d) {
  const __m256 r = _mm256_rcp_ps(d);
  return _mm256_mul_ps(r, _mm256_fnmadd_ps(d, r, _mm256_set1_ps(2.0f)));
}
VITC_SIMD_INLINE vitc_avx2_f32 vitc_avx2_ldexp(vitc_avx2_f32 p, vitc_avx2_f32 n) {
  return _mm256_mul_ps(p, vitc_avx2_pow2i(n));
}

/* masks, selection and bit-level helpers (bind.h: vm32 and below) */
typedef __m256 vitc_avx2_m32;
VITC_SIMD_INLINE vitc_avx2_m32 vitc_avx2_cmplt(vitc_avx2_f32 a, vitc_avx2_f32 b) { return _mm256_cmp_ps(a, b, _CMP_LT_OQ); }
VITC_SIMD_INLINE vitc_avx2_m32 vitc_avx2_cmple(vitc_avx2_f32 a, vitc_avx2_f32 b) { return _mm256_cmp_ps(a, b, _CMP_LE_OQ); }
VITC_SIMD_INLINE vitc_avx2_m32 vitc_avx2_cmpeq(vitc_avx2_f32 a, vitc_avx2_f32 b) { return _mm256_cmp_ps(a, b, _CMP_EQ_OQ); }
VITC_SIMD_INLINE vitc_avx2_m32 vitc_avx2_mand(vitc_avx2_m32 a, vitc_avx2_m32 b) { return _mm256_and_ps(a, b); }
VITC_SIMD_INLINE vitc_avx2_m32 vitc_avx2_mor(vitc_avx2_m32 a, vitc_avx2_m32 b) { return _mm256_or_ps(a, b); }
VITC_SIMD_INLINE vitc_avx2_m32 vitc_avx2_mnot(vitc_avx2_m32 a) {
  return _mm256_xor_ps(a, _mm256_castsi256_ps(_mm256_set1_epi32(-1)));
}
VITC_SIMD_INLINE vitc_avx2_f32 vitc_avx2_select(vitc_avx2_m32 m, vitc_avx2_f32 a, vitc_avx2_f32 b) {
  return _mm256_blendv_ps(b, a, m);
}
VITC_SIMD_INLINE vitc_avx2_f32 vitc_avx2_abs(vitc_avx2_f32 v) { return _mm256_andnot_ps(_mm256_set1_ps(-0.0f), v); }
VITC_SIMD_INLINE vitc_avx2_f32 vitc_avx2_sqrt(vitc_avx2_f32 v) { return _mm256_sqrt_ps(v); }
VITC_SIMD_INLINE vitc_avx2_f32 vitc_avx2_exponent(vitc_avx2_f32 v) {
  const __m256i b = _mm256_and_si256(_mm256_srli_epi32(_mm256_castps_si256(v), 23), _mm256_set1_epi32(0xff));
  return _mm256_cvtepi32_ps(_mm256_sub_epi32(b, _mm256_set1_epi32(127)));
}
VITC_SIMD_INLINE vitc_avx2_f32 vitc_avx2_mantissa(vitc_avx2_f32 v) {
  const __m256i m = _mm256_and_si256(_mm256_castps_si256(v), _mm256_set1_epi32(0x007fffff));
  return _mm256_castsi256_ps(_mm256_or_si256(m, _mm256_set1_epi32(0x3f800000)));
}
VITC_SIMD_INLINE vitc_avx2_f32 vitc_avx2_from_u8(const uint8_t *p) {
  return _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)(const void *)p)));
}
VITC_SIMD_INLINE vitc_avx2_f32 vitc_avx2_load_even(const float *p) {
  /* [a0 a2 b0 b2 | a4 a6 b4 b6], then the 64-bit pairs in order */
  const __m256 t = _mm256_shuffle_ps(_mm256_loadu_ps(p), _mm256_loadu_ps(p + 8), _MM_SHUFFLE(2, 0, 2, 0));
  return _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(t), _MM_SHUFFLE(3, 1, 2, 0)));
}
/* the 8 lanes (integers in [-128, 255]) as their low bytes: 16-bit pack (exact in
 * that range), the high byte masked off so the unsigned pack does not saturate */
VITC_SIMD_INLINE __m128i vitc__avx2_low_bytes(vitc_avx2_f32 v) {
  const __m256i i = _mm256_cvtps_epi32(v);
  const __m128i w = _mm_packs_epi32(_mm256_castsi256_si128(i), _mm256_extracti128_si256(i, 1));
  return _mm_packus_epi16(_mm_and_si128(w, _mm_set1_epi16(0xff)), _mm_setzero_si128());
}
VITC_SIMD_INLINE void vitc_avx2_store_u8(uint8_t *p, vitc_avx2_f32 v) {
  _mm_storel_epi64((__m128i *)(void *)p, vitc__avx2_low_bytes(v));
}
VITC_SIMD_INLINE void vitc_avx2_store_u8_tail(uint8_t *p, vitc_avx2_f32 v, int n) {
  uint8_t b[16];
  _mm_storeu_si128((__m128i *)(void *)b, vitc__avx2_low_bytes(v));
  memcpy(p, b, (size_t)n);
}

#define VITC_SIMD_ISA avx2
#define VITC_LANES 8
#include "bind.h"
#include "fastmath.h"

#endif /* VITC_SIMD_AVX2_H */
