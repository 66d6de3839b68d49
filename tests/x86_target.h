/* tests/x86_target.h: compile part of a test for one x86 ISA, whatever the build's flags.
 *
 * The kernel tests (check_simd.c, check_gemm.c, check_qgemm.c, check_attention.c) put
 * every x86 ISA's kernels in one program, built without -mavx2: each ISA's templates
 * are included between X86_TARGET_PUSH(features) and X86_TARGET_POP, which enable the
 * features per function (GCC's target pragma, clang's attribute pragma), and run only
 * where the CPU has them (tu_selected_isa, or x86_isa_here.h in standalone mode). The
 * includer defines VITC_SIMD_ASSUME_TARGET so that the shims accept the pragma in
 * place of -m flags. The feature lists are the -m flags of the avx2 and avx512 targets
 * (compiler/emit/target.c). x86 with GCC or clang only. */
#ifndef VITC_TESTS_X86_TARGET_H
#define VITC_TESTS_X86_TARGET_H

#define X86_AVX2_FEATURES "avx2,fma"
#define X86_AVX512_FEATURES "avx512f,avx512vl,avx512bw,avx512dq,avx2,fma"
#define X86_AVX512_VNNI_FEATURES "avx512f,avx512vl,avx512bw,avx512dq,avx512vnni,avx2,fma"

#define X86_PRAGMA(x) _Pragma(#x)
#if defined(__clang__)
#define X86_TARGET_PUSH(features) X86_PRAGMA(clang attribute push(__attribute__((target(features))), apply_to = function))
#define X86_TARGET_POP X86_PRAGMA(clang attribute pop)
#else
#define X86_TARGET_PUSH(features) X86_PRAGMA(GCC push_options) X86_PRAGMA(GCC target(features))
#define X86_TARGET_POP X86_PRAGMA(GCC pop_options)
#endif

#endif
