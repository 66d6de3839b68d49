/* isa_asm.c: inline assembly, whose instructions validate cannot check against the
 * target's ISA, in a file for the avx2 target.
 * validate: --target avx2 */
#include <stddef.h>

void isa_asm_run(float *y, size_t n) {
  size_t i;
  for (i = 0; i < n; i++) y[i] = 0.0f;
  __asm__ volatile("vzeroupper" ::: "memory"); /* expect: intrinsic-isa */
}
