/* isa_avx2.c: AVX-512 and F16C intrinsics in a file for the avx2 target.
 * validate: --target avx2 */
#include <immintrin.h>

void isa_avx2_run(const float *a, float *y) {
  __m256 v = _mm256_add_ps(_mm256_loadu_ps(a), _mm256_loadu_ps(a + 8));
  _mm256_storeu_ps(y, v);
  __m512 w = _mm512_add_ps(_mm512_loadu_ps(a), _mm512_loadu_ps(a + 16)); /* expect: intrinsic-isa */
  _mm512_storeu_ps(y + 16, _mm512_shuffle_f32x4(w, w, 0));              /* expect: intrinsic-isa */
  _mm256_storeu_ps(y + 32, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)a))); /* expect: intrinsic-isa */
}
