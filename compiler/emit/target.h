/* emit/target.h: code generation targets, chosen by name (--target).
 *
 * A target names the ISA suffix of the kernel templates it uses
 * ("gemm/f32-gemm" -> templates/gemm/f32-gemm-<isa>.c, falling back to the
 * scalar template when the ISA has no specialized one), the intrinsics header the
 * model file includes, the C compiler flags a bundle needs, and the GEMM
 * microkernel's register tile (weights are packed for it at compile time). */
#ifndef VITC_TARGET_H
#define VITC_TARGET_H

typedef struct Target {
  const char *name;          /* --target value */
  const char *isa;           /* template suffix */
  const char *intrin_header; /* NULL for plain C */
  const char *cflags;        /* flags a bundle needs (documentation and tests) */
  int vector_bytes;          /* preferred alignment of weights and workspace */
  int gemm_mr, gemm_nr;      /* GEMM microkernel tile: rows of A, columns of packed B */
} Target;

const Target *target_find(const char *name);
/* Comma-separated list of names, for messages. */
const char *target_names(void);

#endif
