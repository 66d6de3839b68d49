/* tests/x86_isa_here.h: does this CPU run the x86 targets' instructions?
 *
 * The kernel tests' standalone modes (check_gemm.c, check_simd.c) compile every
 * x86 ISA into one program with per-function target pragmas and run an ISA only
 * where the CPU has it; otherwise they print the reason and skip it. x86 with GCC
 * or clang only (__builtin_cpu_supports). */
#ifndef VITC_TESTS_X86_ISA_HERE_H
#define VITC_TESTS_X86_ISA_HERE_H

#include <stdio.h>

/* NULL if this CPU runs the avx2 target (avx512 == 0) or the avx512 target
 * (avx512 != 0), else why not. */
static const char *x86_missing(int avx512) {
  __builtin_cpu_init();
  if (!__builtin_cpu_supports("avx2")) return "this CPU lacks AVX2";
  if (!__builtin_cpu_supports("fma")) return "this CPU lacks FMA3";
  if (!avx512) return 0;
  if (!__builtin_cpu_supports("avx512f")) return "this CPU lacks AVX-512F";
  if (!__builtin_cpu_supports("avx512vl")) return "this CPU lacks AVX-512VL";
  if (!__builtin_cpu_supports("avx512bw")) return "this CPU lacks AVX-512BW";
  if (!__builtin_cpu_supports("avx512dq")) return "this CPU lacks AVX-512DQ";
  return 0;
}

/* Whether to run the avx2 (avx512 == 0) or avx512 part here; if not, says why:
 * "[avx2] SKIPPED: this CPU lacks AVX2". */
static inline int x86_runs_here(int avx512) {
  const char *why = x86_missing(avx512);
  if (why) printf("[%s] SKIPPED: %s\n", avx512 ? "avx512" : "avx2", why);
  return why == 0;
}

#endif
