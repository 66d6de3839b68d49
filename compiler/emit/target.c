/* emit/target.c: the target table.
 *
 * The scalar target is plain C99 and uses only the -scalar.c reference templates
 * (no shim: templates/simd/scalar.h serves the tests). The SIMD targets paste
 * their shim and use -<isa>.c, then -simd.c, then -scalar.c templates. */
#include "emit/target.h"

#include <string.h>

static const Target targets[] = {
    {"scalar", "scalar", NULL, "", 16, 4, 8, NULL},
    {"avx2", "avx2", "immintrin.h", "-mavx2 -mfma", 32, 6, 16, "templates/simd/avx2.h"},
    {"avx512", "avx512", "immintrin.h", "-mavx512f -mavx512vl -mavx512bw -mavx512dq -mfma", 64, 12, 32,
     "templates/simd/avx512.h"},
    {"neon", "neon", "arm_neon.h", "", 16, 8, 12, "templates/simd/neon.h"},
};

const Target *vitc_target = NULL;

const Target *target_find(const char *name) {
  for (unsigned i = 0; i < sizeof targets / sizeof targets[0]; i++)
    if (strcmp(targets[i].name, name) == 0) return &targets[i];
  return NULL;
}

const char *target_names(void) { return "scalar, avx2, avx512, neon"; }
