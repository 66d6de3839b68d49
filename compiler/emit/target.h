/* emit/target.h: code generation targets, chosen by name (--target).
 *
 * A target names:
 *   - the ISA suffix of its kernels. emit_use_kernel(e, "gemm/f32-gemm") pastes the
 *     first of templates/gemm/f32-gemm-<isa>.c (hand-written for this ISA),
 *     templates/gemm/f32-gemm-simd.c (written once against the SIMD shim and
 *     instantiated for this target; only targets with a shim), and
 *     templates/gemm/f32-gemm-scalar.c (the portable reference every family has);
 *   - the intrinsics header the model file includes (NULL for plain C) and the
 *     SIMD shim (templates/simd/<isa>.h, NULL for none) pasted after the prelude,
 *     before every kernel;
 *   - the C compiler flags a bundle needs (documentation and tests);
 *   - the GEMM microkernel's register tile (weights are packed for it at compile time),
 *     from templates/gemm/f32-gemm-tiles.def; none (0) for scalar.
 *
 * `--target native` is not a table row: target_native() picks the best row for the
 * machine running the compiler, and bundles record that row's name. */
#ifndef VITC_TARGET_H
#define VITC_TARGET_H

#include <stddef.h>

typedef struct Target {
  const char *name;          /* --target value */
  const char *isa;           /* template suffix */
  const char *intrin_header; /* NULL for plain C */
  const char *cflags;        /* flags a bundle needs (documentation and tests) */
  int vector_bytes;          /* preferred alignment of weights and workspace */
  int gemm_mr, gemm_nr;      /* GEMM microkernel tile: rows of A, columns of packed B (0: no packed GEMM) */
  const char *shim;          /* SIMD shim pasted before the kernels, e.g. "templates/simd/avx2.h"; NULL for none */
  const char *triple;        /* the triple its bundles are checked for (vitc validate); NULL: the host's */
  const char *const *intrin_isa; /* the compiler's intrinsics headers its -m flags enable, by file name
                                  * (clang's: avx512fintrin.h ...), NULL-terminated; NULL: none */
  unsigned features;         /* TARGET_F_*: what a sub-target adds to its ISA's row */
} Target;

/* Sub-targets: a row of an ISA (same templates, shim and fp32 kernels) with one more
 * CPU feature that only the int8 GEMM uses (templates/gemm/qs8-gemm-pack.c,
 * docs/int8.md): avx512_vnni (vpdpbusd) and neon_dotprod (Armv8.2-A sdot; a
 * Raspberry Pi 5, not a Pi 4). target_find() knows them; target_at() lists only
 * the ISA rows, target_sub_at() the sub-targets. */
enum { TARGET_F_VNNI = 1, TARGET_F_DOTPROD = 2 };
const Target *target_sub_at(int i);

/* The table row called name, NULL if none ("native" is not a row: see target_native). */
const Target *target_find(const char *name);
/* Row i of the table, NULL past its end (for listing). */
const Target *target_at(int i);
/* The best target for the machine running vitc; writes why (the CPU features it saw)
 * into why[n]. Never NULL: scalar when nothing better runs. */
const Target *target_native(char *why, size_t n);

/* Comma-separated list of names, for messages. */
const char *target_names(void);

#endif
