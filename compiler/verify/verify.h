/* verify/verify.h: the commands that build and run a bundle for the user
 * (docs/verify.md): `vitc verify` (a bundle against ONNX Runtime or reference
 * files) and `vitc analyze` (NOSE's entropy signal, from a traced bundle). Both
 * compile with this very vitc binary, build with the target's C compiler and run
 * the program (under qemu for neon on x86, or a --runner); the helpers they share
 * are here. */
#ifndef VITC_VERIFY_H
#define VITC_VERIFY_H

#include <stdbool.h>
#include <stddef.h>

#include "emit/target.h"
#include "ir/graph.h"
#include "onnx/load.h"

int verify_main(int argc, char **argv);  /* argv[0] = "verify" */
int analyze_main(int argc, char **argv); /* argv[0] = "analyze" */

/* ---- shared by verify.c and analyze.c ---- */

/* Run argv (PATH searched); stdout/stderr to the files if not NULL. Returns the exit
 * status, 127 if it could not be started, 128 + N if killed by signal N. */
int vx_run(char *const *argv, const char *out_path, const char *err_path);
/* A fresh folder under $TMPDIR (or /tmp); vx_rm_rf removes a tree. */
char *vx_tmpdir(const char *what);
void vx_rm_rf(const char *path);
/* Whole file, NUL-terminated (len without it); NULL if unreadable. */
char *vx_read(const char *path, size_t *len);
char *vx_printf(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;

typedef struct VxBuild {
  const char *model;
  const Target *target;
  const ShapeOverride *ov;
  char *const *shape_args; /* the --shape values as given, for vitc compile */
  int n_ov;
  bool trace;
  const char *runner; /* --runner CMD (NULL: qemu for neon off ARM, else nothing) */
  const char *dir;    /* work folder: DIR/bundle, DIR/prog */
  char *prog;         /* out: the program */
  char *extra_cflags; /* NULL or e.g. "-O3" */
  const char *driver; /* a C file with main() to build instead of the bundle's NAME_main.c */
  bool strict_nan;    /* vitc compile --strict-nan */
} VxBuild;
/* A driver program for a bundle named `model`: the built-in template tmpl with
 * @NAME@ and @UNAME@ replaced, written to path; 0, or -1 if it cannot be written. */
int vx_write_driver(const char *tmpl, const char *path);
/* vitc compile --main [--trace], then cc. 0, or 2 with a message (setup error). */
int vx_build(VxBuild *b);
/* Random input k of set `set`: floats uniform in [-1, 1), integers in [0, 8), bools. */
int vx_write_random(const char *path, const Tensor *t, unsigned long long seed, int set, int k);
/* The runner's argv prefix + prog; *argc set. NULL-terminated, room for `extra` more. */
char **vx_prog_argv(const VxBuild *b, int extra, int *argc);

/* The calibration inputs at path (a file of whole inputs back to back, or a folder
 * of one file per input) into one file `out` of *n inputs of `bytes` each; 0, or 2
 * with a message prefixed by `who`. */
int vx_gather_inputs(const char *who, const char *path, size_t bytes, const char *out, long *n);

/* --quantize int8: the range of every float tensor of the model's final graph over
 * the calibration inputs (path, or random_n random ones) (verify/calibrate.c); 0 or 1. */
struct QuantRanges;
int calibrate_ranges(const char *model, const ShapeOverride *ov, char *const *shape_args, int n_ov, const char *path,
                     long random_n, struct QuantRanges *q);

#endif
