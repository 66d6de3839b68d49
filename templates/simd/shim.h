/* templates/simd/shim.h: picks one SIMD shim for a shim-based kernel template
 * (templates/<family>/<stem>-simd.c) compiled on its own, e.g. in a unit test.
 *
 * The emitter never pastes this file: a model file gets its target's shim
 * (templates/simd/<isa>.h, named by compiler/emit/target.c) once, after the
 * prelude and before every kernel, and drops the kernel templates' include of this
 * file. Here the choice is, in order:
 *   - nothing, if a shim is already bound (VITC_SIMD_ISA is defined): a test that
 *     includes avx2.h itself, then the template;
 *   - VITC_ISA_SCALAR, VITC_ISA_AVX2, VITC_ISA_AVX512 or VITC_ISA_NEON if defined;
 *   - else what the compiler targets: AVX-512F, AVX2+FMA, NEON (AArch64, or 32-bit ARM built with -mfpu=neon...), else scalar. */
#ifndef VITC_SIMD_ISA
#if defined(VITC_ISA_SCALAR)
#include "scalar.h"
#elif defined(VITC_ISA_AVX512)
#include "avx512.h"
#elif defined(VITC_ISA_AVX2)
#include "avx2.h"
#elif defined(VITC_ISA_NEON)
#include "neon.h"
#elif defined(__AVX512F__) && defined(__FMA__)
#include "avx512.h"
#elif defined(__AVX2__) && defined(__FMA__)
#include "avx2.h"
#elif defined(__aarch64__) || defined(__ARM_NEON) || defined(__ARM_NEON__)
#include "neon.h"
#else
#include "scalar.h"
#endif
#endif
