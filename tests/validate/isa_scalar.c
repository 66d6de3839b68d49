/* isa_scalar.c: x86 intrinsics in a file for the scalar target, which has none.
 * validate: --target scalar */
#include <immintrin.h>                              /* expect: header */

void isa_scalar_run(const float *a, float *y) {
  _mm_storeu_ps(y, _mm_add_ps(_mm_loadu_ps(a), _mm_loadu_ps(a + 4))); /* expect: intrinsic-isa */
}
