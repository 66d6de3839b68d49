/* validate/validate.h: `vitc validate`, the contract checker for generated C.
 *
 * validate parses one file of a bundle with libclang, as C99 for the target's
 * triple, and reports every compiler warning plus every breach of the contract
 * generated code promises (docs/validate.md lists the rules). It is a separate
 * module so that only it links libclang; nothing else in vitc depends on it. */
#ifndef VITC_VALIDATE_H
#define VITC_VALIDATE_H

#include <stdio.h>

typedef struct ValidateOptions {
  const char *file;   /* the .c file to check */
  const char *target; /* vitc target name: scalar, avx2, avx512, neon */
  const char *triple; /* NULL: the target's default triple */
  const char *name;   /* model prefix; NULL: from the file name */
  int harness;        /* 1 the --main harness, 0 a model file, -1 decide from the file */
} ValidateOptions;

/* Checks o->file and writes one "FILE:LINE:COL: RULE: what" line per violation
 * to out. Returns the number of violations, or -1 after a "vitc: error:" line
 * on stderr (unknown target, unreadable file, libclang failed). */
int validate_file(const ValidateOptions *o, FILE *out);

/* `vitc validate FILE.c --target T [--triple TRIPLE] [--name NAME] [--harness]`:
 * argv[0] is "validate". Exit status: 0 clean, 1 violations or error, 2 usage. */
int validate_main(int argc, char **argv);

#endif
