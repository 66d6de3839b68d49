/* emit/target.c: the target table. */
#include "emit/target.h"

#include <string.h>

static const Target targets[] = {
    {"scalar", "scalar", NULL, "", 16, 4, 8},
    {"avx2", "avx2", "immintrin.h", "-mavx2 -mfma", 32, 6, 16},
    {"avx512", "avx512", "immintrin.h", "-mavx512f -mavx512vl -mavx512bw -mavx512dq -mfma", 64, 12, 32},
    {"neon", "neon", "arm_neon.h", "", 16, 8, 12},
};

const Target *target_find(const char *name) {
  for (unsigned i = 0; i < sizeof targets / sizeof targets[0]; i++)
    if (strcmp(targets[i].name, name) == 0) return &targets[i];
  return NULL;
}

const char *target_names(void) { return "scalar, avx2, avx512, neon"; }
