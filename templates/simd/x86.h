/* templates/simd/x86.h: the horizontal reductions of the x86 shims (avx2.h and
 * avx512.h include it): a vector's lanes folded in halves down to one float, by
 * addition (hsum) or by max (hmax). avx2.h folds its 256 bits here; avx512.h first
 * folds 512 bits to 256, then hands over to the same code. `max` is a literal at
 * every call, so each use compiles to one chain of adds or maxes.
 *
 * Only SSE3/AVX instructions: a test that binds both shims in one translation unit
 * (tests/check_simd.c) includes this once, under the AVX2 target, before the
 * AVX-512 shim, whose functions then call these. */
#ifndef VITC_SIMD_X86_H
#define VITC_SIMD_X86_H

#include "../prelude.h"

#include <immintrin.h>

#ifndef VITC_SIMD_INLINE
#define VITC_SIMD_INLINE static inline VITC_UNUSED
#endif

/* a + b, or max(a, b) */
VITC_SIMD_INLINE __m128 vitc_x86_fold_op(__m128 a, __m128 b, int max) { return max ? _mm_max_ps(a, b) : _mm_add_ps(a, b); }

/* the 4 lanes of s: (s0 . s2) . (s1 . s3), . being + or max */
VITC_SIMD_INLINE float vitc_x86_fold128(__m128 s, int max) {
  s = vitc_x86_fold_op(s, _mm_movehl_ps(s, s), max);
  s = max ? _mm_max_ss(s, _mm_movehdup_ps(s)) : _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

/* the 8 lanes of v: its two 128-bit halves combined, then folded */
VITC_SIMD_INLINE float vitc_x86_fold256(__m256 v, int max) {
  return vitc_x86_fold128(vitc_x86_fold_op(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1), max), max);
}

#endif /* VITC_SIMD_X86_H */
