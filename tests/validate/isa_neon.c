/* isa_neon.c: x86 code in a file for the neon target.
 * validate: --target neon */
#include <arm_neon.h>

void isa_neon_run(const float *a, float *y) {
  vst1q_f32(y, vaddq_f32(vld1q_f32(a), vld1q_f32(a + 4)));
  __builtin_ia32_pause();                           /* expect: intrinsic-isa expect: diagnostic */
  _mm_pause();                                      /* expect: intrinsic-isa expect: diagnostic */
}
