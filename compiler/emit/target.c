/* emit/target.c: the target table, and `--target native`.
 *
 * The scalar target is plain C99 and uses only the -scalar.c reference templates
 * (no shim: templates/simd/scalar.h serves the tests). The SIMD targets paste
 * their shim and use -<isa>.c, then -simd.c, then -scalar.c templates.
 *
 * `native` is not a row of the table: it resolves, on the machine running the
 * compiler, to the best row that machine runs, and the bundle records the row's
 * name (never "native"), so the same command gives the same bytes wherever the
 * resolved target is the same. x86 asks the CPU (__builtin_cpu_supports, which
 * also checks that the OS saves the wide registers); ARM knows at build time:
 * every AArch64 CPU has Advanced SIMD, and a 32-bit build has it if it was
 * compiled for it (__ARM_NEON). */
#include "emit/target.h"

#include <stdio.h>
#include <string.h>

/* Intrinsics headers (clang's file names) each target's flags enable: vitc validate
 * accepts an intrinsic only if one of these declares it. */
#define X86_AVX2_HEADERS                                                                                           \
  "mmintrin.h", "xmmintrin.h", "emmintrin.h", "pmmintrin.h", "tmmintrin.h", "smmintrin.h", "nmmintrin.h",          \
      "avxintrin.h", "avx2intrin.h", "fmaintrin.h"
static const char *const avx2_isa[] = {X86_AVX2_HEADERS, NULL};
static const char *const avx512_isa[] = {X86_AVX2_HEADERS,   "f16cintrin.h",       "avx512fintrin.h",
                                         "avx512vlintrin.h", "avx512bwintrin.h",   "avx512dqintrin.h",
                                         "avx512vlbwintrin.h", "avx512vldqintrin.h", NULL};
static const char *const neon_isa[] = {"arm_neon.h", NULL};

/* GEMM_MR_<isa>, GEMM_NR_<isa>: the microkernel tiles (templates/gemm/f32-gemm-tiles.def). */
#define GEMM_TILE(isa, mr, nr) GEMM_MR_##isa = mr, GEMM_NR_##isa = nr,
enum {
#include "gemm/f32-gemm-tiles.def"
};
#undef GEMM_TILE

static const Target targets[] = {
    /* no packed GEMM: the reference kernels of templates/gemm/f32-gemm-scalar.c */
    {"scalar", "scalar", NULL, "", 16, 0, 0, NULL, NULL, NULL, 0},
    {"avx2", "avx2", "immintrin.h", "-mavx2 -mfma", 32, GEMM_MR_avx2, GEMM_NR_avx2, "templates/simd/avx2.h",
     "x86_64-linux-gnu", avx2_isa, 0},
    {"avx512", "avx512", "immintrin.h", "-mavx512f -mavx512vl -mavx512bw -mavx512dq -mfma", 64, GEMM_MR_avx512,
     GEMM_NR_avx512, "templates/simd/avx512.h", "x86_64-linux-gnu", avx512_isa, 0},
    /* one bundle for AArch64 and ARMv7-A: validated for aarch64 unless told (--triple arm-linux-gnueabihf) */
    {"neon", "neon", "arm_neon.h", "", 16, GEMM_MR_neon, GEMM_NR_neon, "templates/simd/neon.h", "aarch64-linux-gnu",
     neon_isa, 0},
};

static const char *const avx512_vnni_isa[] = {X86_AVX2_HEADERS,   "f16cintrin.h",       "avx512fintrin.h",
                                              "avx512vlintrin.h", "avx512bwintrin.h",   "avx512dqintrin.h",
                                              "avx512vlbwintrin.h", "avx512vldqintrin.h", "avx512vnniintrin.h",
                                              "avx512vlvnniintrin.h", NULL};

/* Sub-targets (target.h): the row of their ISA plus one feature of the int8 GEMM. */
static const Target subtargets[] = {
    {"avx512_vnni", "avx512", "immintrin.h", "-mavx512f -mavx512vl -mavx512bw -mavx512dq -mfma -mavx512vnni", 64,
     GEMM_MR_avx512, GEMM_NR_avx512, "templates/simd/avx512.h", "x86_64-linux-gnu", avx512_vnni_isa, TARGET_F_VNNI},
    /* AArch64 only: Armv8.2-A with the dot-product extension (Cortex-A55/A76 and later) */
    {"neon_dotprod", "neon", "arm_neon.h", "-march=armv8.2-a+dotprod", 16, GEMM_MR_neon, GEMM_NR_neon,
     "templates/simd/neon.h", "aarch64-linux-gnu", neon_isa, TARGET_F_DOTPROD},
};

/* Row i of both tables, the ISA rows first; NULL past their end. */
static const Target *any_row(unsigned i) {
  unsigned nt = sizeof targets / sizeof targets[0], ns = sizeof subtargets / sizeof subtargets[0];
  return i < nt ? &targets[i] : i < nt + ns ? &subtargets[i - nt] : NULL;
}

const Target *target_find(const char *name) {
  for (unsigned i = 0; any_row(i); i++)
    if (strcmp(any_row(i)->name, name) == 0) return any_row(i);
  return NULL;
}

const Target *target_sub_at(int i) {
  return i >= 0 && i < (int)(sizeof subtargets / sizeof subtargets[0]) ? &subtargets[i] : NULL;
}

const Target *target_at(int i) {
  return i >= 0 && i < (int)(sizeof targets / sizeof targets[0]) ? &targets[i] : NULL;
}

const char *target_names(void) {
  static char names[160]; /* read from the tables on first use: the ISA rows, then the sub-targets */
  if (!names[0])
    for (unsigned i = 0; any_row(i); i++)
      snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s", i ? ", " : "", any_row(i)->name);
  return names;
}

#if (defined(__x86_64__) || defined(__i386__)) && defined(__GNUC__)
/* Appends "name" to the has/lacks list; returns whether the CPU has the feature. */
static int cpu_has(const char *feature, int has, char *have, char *lack, size_t n) {
  char *list = has ? have : lack;
  size_t len = strlen(list);
  snprintf(list + len, n - len, "%s%s", len ? ", " : "", feature);
  return has;
}
#define CPU_HAS(f) cpu_has(f, __builtin_cpu_supports(f) != 0, have, lack, sizeof have)

const Target *target_native(char *why, size_t n) {
  char have[160] = "", lack[160] = "";
  __builtin_cpu_init();
  /* Every feature is tested (no short circuit), so the message lists them all. */
  int avx512 = CPU_HAS("avx512f") & CPU_HAS("avx512vl") & CPU_HAS("avx512bw") & CPU_HAS("avx512dq");
  int avx2 = CPU_HAS("avx2") & CPU_HAS("fma");
  int vnni = CPU_HAS("avx512vnni");
  const char *pick = avx512 && avx2 ? "avx512" : avx2 ? "avx2" : "scalar";
  if (have[0]) snprintf(why, n, "this CPU has %s%s%s", have, lack[0] ? "; lacks " : "", lack);
  else snprintf(why, n, "this CPU lacks %s", lack);
  return avx512 && avx2 && vnni ? &subtargets[0] : target_find(pick);
}
#elif defined(__aarch64__) || defined(__ARM_NEON)
const Target *target_native(char *why, size_t n) {
#if defined(__aarch64__)
  snprintf(why, n, "every AArch64 CPU has Advanced SIMD");
#else
  snprintf(why, n, "this vitc was built for an ARM CPU with NEON");
#endif
  return target_find("neon");
}
#else
const Target *target_native(char *why, size_t n) {
  snprintf(why, n, "vitc knows no SIMD target for this CPU");
  return target_find("scalar");
}
#endif
