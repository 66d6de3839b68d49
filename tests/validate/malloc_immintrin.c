/* malloc_immintrin.c: stdlib.h arrives through immintrin.h (mm_malloc.h); its
 * functions are still not for model files.
 * validate: --target avx2 */
#include <immintrin.h>

int malloc_immintrin_run(float *out, int n) {
  float *p = (float *)_mm_malloc(64, 32);          /* expect: no-malloc */
  void *q = malloc(16);                             /* expect: no-malloc */
  out[0] = (float)abs(n);                           /* expect: header-use */
  _mm_free(p);                                      /* expect: no-malloc */
  free(q);                                          /* expect: no-malloc */
  return 0;
}
