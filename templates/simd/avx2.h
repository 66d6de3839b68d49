/* templates/simd/avx2.h: the SIMD shim for x86-64 AVX2 + FMA3 (8 lanes, __m256).
 *
 * The API is in templates/simd/bind.h. Tails use vmaskmovps, which neither reads
 * nor writes the masked-off lanes (no fault past the end of a buffer); the mask
 * is "lane index < n", one compare against a constant index vector. Horizontal
 * reductions fold 256 -> 128 -> 64 -> 32 bits. Build with -mavx2 -mfma (or
 * -march=haswell or newer); tests that compile this under
 * `#pragma GCC target("avx2,fma")` define VITC_SIMD_ASSUME_TARGET. */
#ifndef VITC_SIMD_AVX2_H
#define VITC_SIMD_AVX2_H

#include "../prelude.h"

#include <immintrin.h>

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
VITC_SIMD_INLINE float vitc_avx2_hsum(vitc_avx2_f32 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}
VITC_SIMD_INLINE float vitc_avx2_hmax(vitc_avx2_f32 v) {
  __m128 s = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_max_ps(s, _mm_movehl_ps(s, s));
  s = _mm_max_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}
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

#define VITC_SIMD_ISA avx2
#define VITC_LANES 8
#include "bind.h"
#include "fastmath.h"

#endif /* VITC_SIMD_AVX2_H */
