/* tests/testutil.h: what the end-to-end test drivers share (tests/testutil.c).
 *
 * Strings and files, running a program with a time limit while capturing its
 * output, reading a model's interface straight from its protobuf, and comparing
 * tensors with a tolerance relative to the reference's magnitude. A driver that
 * cannot run on this machine returns TU_SKIP, which ctest reports as skipped. */
#ifndef VITC_TESTUTIL_H
#define VITC_TESTUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "check_runner.h"
#include "ir/graph.h"

/* Exit status of a test that cannot run here (ctest SKIP_RETURN_CODE). */
#define TU_SKIP 77

/* ---- strings and files ---- */

/* printf into a fresh malloc'ed string. */
char *tu_printf(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;
bool tu_exists(const char *path); /* lstat succeeds */
bool tu_is_dir(const char *path);
/* Whole file, NUL-terminated, malloc'ed; NULL if it cannot be read. */
void *tu_read_file(const char *path, size_t *len);
int tu_write_file(const char *path, const void *data, size_t len);
/* A sample export (MODEL = DIR/NAME.onnx) ships NAME.input.bin and NAME.ort_output.bin:
 * copied to `in` and `ref`. 0, or -1 if either cannot be read or written. */
int tu_copy_sample_data(const char *model, const char *in, const char *ref);
int tu_mkdir_p(const char *dir);
/* "$TMPDIR/name" (/tmp only where TMPDIR is unset or empty), malloc'ed: the place for
 * mkstemp and mkdtemp templates ("vitc_x_XXXXXX"). */
char *tu_tmp_path(const char *name);
int tu_rm_rf(const char *path); /* 0 if absent */
/* The model of a test's case: PATH under the source tree, or, for a sample export, under
 * VITC_SAMPLES_DIR (defined by tests/CMakeLists.txt for the drivers that read the samples,
 * where it found them); malloc'ed. Inline: the macro is the including driver's. */
static inline char *tu_case_model(const char *path, bool sample) {
#ifdef VITC_SAMPLES_DIR
  if (sample) return tu_printf("%s/%s", VITC_SAMPLES_DIR, path);
#endif
  (void)sample;
  return tu_printf("%s/%s", VITC_SOURCE_DIR, path);
}
/* "a/b/name.onnx" -> "name" (malloc'ed). */
char *tu_stem(const char *path);
/* Sorted names in dir starting with prefix (dot files skipped), NULL-terminated. */
char **tu_list_dir(const char *dir, const char *prefix, int *count);
void tu_free_list(char **list);

/* ---- capturing this process's stderr ---- */

/* What is written to stderr (fd 2) between tu_capture_begin and tu_capture_end. */
typedef struct Capture {
  int saved_fd;
  char path[1024];
} Capture;

/* 0, or -1 if stderr cannot be redirected to a temporary file. */
int tu_capture_begin(Capture *c);
/* What was captured (malloc'ed, "" if nothing); echoed, so a failing test's log still shows it. */
char *tu_capture_end(Capture *c);

/* ---- running programs ---- */

typedef struct RunResult {
  bool exited;    /* exited normally (status is the exit code) */
  bool timed_out; /* killed at the time limit */
  int status;     /* exit code, or the signal number if !exited */
  double secs;
  char *out, *err; /* captured stdout and stderr (first 64 KB) */
} RunResult;

/* Run argv (searched on PATH) in its own process group, stdin from /dev/null; kill
 * the group after timeout_secs. Returns -1 if it could not be started. */
int tu_run(char *const argv[], int timeout_secs, RunResult *r);
void tu_run_free(RunResult *r);
/* tu_run, and whether argv exited 0; if not, prints "  WHAT FAILED (how)" with the command
 * and its stderr, or that it could not start. *secs (if not NULL) gets its time. */
bool tu_run_ok(const char *what, char *const argv[], int timeout_secs, double *secs);
/* "exit status 1", "killed by signal 11 (...)", "timed out after 60 s". */
char *tu_run_describe(const RunResult *r);
/* argv joined by spaces, for messages. */
char *tu_argv_str(char *const argv[]);
/* The first line of s, at most max bytes. */
char *tu_first_line(const char *s, size_t max);
/* The first line of s containing needle (else the first line), at most max bytes. */
char *tu_line_with(const char *s, const char *needle, size_t max);
int tu_count_lines(const char *s);
/* NULL if r is a clean bad-input failure (exit status 1, one "vitc: error: " line on
 * stderr); else a malloc'ed description of what is wrong. */
char *tu_check_one_error_line(const RunResult *r);

/* ---- models ---- */

typedef struct ModelIO {
  char *name;
  DType dtype; /* DT_UNDEFINED if not a tensor */
  Shape shape; /* rank -1 if unknown; dimension -1 if dynamic */
} ModelIO;

typedef struct ModelInfo {
  int64_t ir_version;
  int opset; /* default domain, -1 if none */
  char **ops; /* distinct op types ("domain:Op" outside the default domain) */
  int n_ops;
  ModelIO *in; /* graph inputs that are not initializers */
  int n_in;
  ModelIO *out;
  int n_out;
} ModelInfo;

/* Read a model's interface; NULL on success, else a malloc'ed error message. */
char *tu_model_info(const char *path, ModelInfo *mi);
void tu_model_info_free(ModelInfo *mi);

/* ---- comparing tensors ---- */

typedef struct CompareResult {
  bool ok;
  double max_err; /* largest absolute difference */
  double max_ref; /* largest reference magnitude */
  double tol;     /* rtol * max(1, max_ref) */
  char why[512];  /* the first problem, when !ok */
} CompareResult;

/* Floats: max |got - ref| <= rtol * max(1, max |ref|), NaN and infinities must match;
 * integers and bools: exactly equal. */
void tu_compare(DType dt, const void *got, const void *ref, size_t n, double rtol, CompareResult *cr);
void tu_compare_files(DType dt, const char *got_path, const char *ref_path, double rtol, CompareResult *cr);

/* ---- environment ---- */

/* Parallel jobs for the drivers: $VITC_TEST_JOBS, else the CPU count (1..8). */
int tu_jobs(void);
/* The C compiler the drivers use: $VITC_TEST_CC, else "cc". */
const char *tu_cc(void);
/* NULL if node + onnxruntime-node work, else why not (malloc'ed). */
char *tu_ort_unavailable(void);

/* ---------------- building bundles ---------------- */

typedef struct Platform Platform;

/* cc -std=c99 -Wall -Wextra -pedantic PLATFORM-FLAGS FLAGS -o PROG BUNDLE/NAME.c... -lm, with the
 * platform's compiler. Returns -1 if cc could not be started; otherwise the caller judges r
 * (exit status, and r->err for warnings). */
int tu_build_bundle(const Platform *p, const char *flags, const char *bundle, const char *prog, int timeout,
                    RunResult *r);
/* The line of a failed build's stderr that says most: the undefined symbol of a link
 * error, else the first error. */
char *tu_build_error_line(const char *err, size_t max);

/* ---------------- targets ---------------- */

typedef struct Target Target;

/* Where a target's bundles are built and run. x86 targets run natively. The neon
 * target has several platforms, each cross-compiled and run under qemu-user on
 * an x86 host (natively where the host is that architecture):
 *
 *   aarch64        aarch64-linux-gnu-gcc, qemu-aarch64 (the default)
 *   aarch64-clang  clang --target=aarch64-linux-gnu (Debian's GNU cross sysroot), qemu-aarch64
 *   armv7          arm-linux-gnueabihf-gcc -march=armv7-a -mfpu=neon-vfpv4 -mfloat-abi=hard, qemu-arm
 *   armv7-clang    clang --target=arm-linux-gnueabihf with the same flags, qemu-arm
 *   armv7-nofma    arm-linux-gnueabihf-gcc -mfpu=neon (NEON without VFPv4: Cortex-A8/A9), qemu-arm
 */
struct Platform {
  const char *name;     /* "host", or one of the ARM platforms above */
  const char *cc;       /* C compiler for the bundle */
  const char *cflags;   /* flags the platform adds before the target's ("" if none) */
  const char *emulator; /* NULL: run natively; else "qemu-aarch64" or "qemu-arm" */
  const char *sysroot;  /* the emulator's -L */
  bool no_hardware;     /* set with a reason: this CPU cannot run the target's code (a skip); otherwise
                           the reason is a tool .ci/setup.sh installs that is missing or broken (a failure) */
};

/* The names of the ARM platforms, comma-separated. */
const char *tu_arm_platform_names(void);
/* Fills *p and returns NULL if this machine can build and run the target's bundles
 * on the named platform (NULL or "": the default, the host for x86 targets, and for
 * ARM targets $VITC_TEST_PLATFORM, else aarch64), else returns why not. A cross platform is
 * probed by building and running a small program with its compiler and emulator. */
char *tu_target_platform_named(const Target *t, const char *platform, Platform *p);
/* tu_target_platform_named(t, NULL, p) */
char *tu_target_platform(const Target *t, Platform *p);
/* What a driver does about a target it cannot run (why from tu_target_platform*): prints
 * "LABEL: SKIPPED: why" and returns TU_SKIP when this CPU lacks the ISA (p->no_hardware), or
 * "LABEL: FAIL: why" and returns 1 when a tool the setup installs is missing or broken. */
int tu_cannot_run(const char *label, const Platform *p, const char *why);

/* ---------------- one ctest test per ISA ----------------
 *
 * A skipped part of a test must show in ctest's summary, not pass inside it. So a
 * driver with parts that need a CPU feature (the avx2 and avx512 targets and
 * kernels) is registered once per such ISA, `DRIVER --isa avx2`, which runs only
 * that ISA's parts and exits TU_SKIP (with the reason) where this CPU lacks it;
 * plain `DRIVER` runs the parts every machine runs (scalar, and neon: natively on
 * ARM, under qemu elsewhere, where a missing cross tool is a failure). */

/* Removes `--isa NAME` from argv (updating *argc) and selects NAME; returns NULL, or a
 * message for an ISA that is not an x86 SIMD target of vitc's table. */
char *tu_select_isa(int *argc, char **argv);
/* Whether t's C flags ask for CPU features (-mavx2 ...): whether its code runs depends on the CPU. */
bool tu_target_needs_cpu_features(const Target *t);
/* The ISA --isa selected, or NULL for the portable parts. */
const char *tu_selected_isa(void);
/* BINARY_DIR/tests/FOLDER/NAME, NAME-ISA under --isa (a folder per ctest test: the tests of
 * one driver run concurrently); malloc'ed, not created. */
char *tu_work_dir(const char *folder, const char *name);
/* Whether this process tests target t: the --isa one, or, without --isa, every target
 * whose code runs on any CPU of its architecture (flags without -m features). */
bool tu_target_selected(const Target *t);
/* NULL if this CPU runs the named target's code, else why not (malloc'ed). */
char *tu_cpu_lacks(const char *target);
/* The exit status for a driver with --isa on this machine: -1 to go on, else TU_SKIP
 * (after printing "DRIVER [ISA]: SKIPPED: this CPU lacks ...") or 2 for a bad --isa. */
int tu_isa_verdict(const char *driver, int *argc, char **argv);

/* The whole main of a per-ISA driver whose tests are one TCase: tu_isa_verdict, then the
 * tests of the selected run (tu_isa_suite, the suite named suite) run by tu_run_suite. */
int tu_isa_main(const char *driver, const char *suite, int argc, char **argv, double timeout_secs,
                const TuIsaTest *tests, size_t n);

/* The kernel tests' neon part: builds SRC (tests/NAME.c) in its standalone mode (-DDEFINE, a
 * plain main without Check) for the neon target's default platform, -std=c99 -O2 -Wall
 * -Wextra -pedantic -Werror -I templates -I tests, and runs it with args (NULL-terminated)
 * natively on AArch64, else under qemu-aarch64; prints its output. NULL on success, else a
 * malloc'ed description of what failed (a missing cross tool is a failure too). */
char *tu_run_neon_standalone(const char *src, const char *define, const char *const *args);
/* "natively" or "under qemu-arm (armv7)", for messages. */
const char *tu_platform_how(const Platform *p);
/* Writes the command prefix that runs prog on the platform ([qemu-aarch64 -L SYSROOT] prog)
 * into argv (room for 4); returns the count. */
int tu_platform_argv(const Platform *p, char **argv, const char *prog);

/* ---------------- a model against ONNX Runtime on every target ---------------- */

/* ONNX Runtime (tests/ort/ort_run.js, the graph evaluated as written) on model, with the
 * given input files, or (in == NULL) inputs it generates from seed into data/input<i>.bin;
 * its outputs go to data/ort_output<k>.bin. NULL, or a malloc'ed description of what failed
 * (node and onnxruntime-node are part of the setup: their absence is a failure). */
char *tu_ort_reference(const char *model, const char *data, int seed, char *const *in, int n_in);

/* g's bundle for target t written into dir (--main, weights embedded), validated (`vitc
 * validate`) and built into dir/prog with -O1 -Werror and the target's flags, on platform p.
 * NULL, or a malloc'ed description of what failed. */
char *tu_build_graph(Graph *g, const Target *t, const Platform *p, const char *dir, const char *command);
/* Runs dir/prog (on platform p) on the input files, writing the output files. */
char *tu_run_graph(const Platform *p, const char *dir, char *const *in, int n_in, char *const *out, int n_out);

/* One graph of a model (fused, unfused, one pass skipped ...), compared by tu_against_ort. */
typedef enum TuAgreement { TU_VS_ORT_ONLY, TU_VS_FIRST_RTOL, TU_VS_FIRST_BITS } TuAgreement;
typedef struct TuVariant {
  const char *name; /* its bundles are WORK/NAME_TARGET */
  Graph *g;
  bool scalar_only; /* built once, for scalar on this machine (a reference for variant 0) */
  TuAgreement vs_first; /* besides ONNX Runtime: agrees with variant 0's outputs on the same
                           target (with its scalar build if scalar_only), within rtol or bit for bit */
} TuVariant;

typedef struct TuAgainstOrt {
  const char *model;   /* the ONNX file */
  const char *work;    /* WORK: data/ (inputs, ONNX Runtime's outputs) and a folder per bundle */
  const char *command; /* the bundles' banner, the test's name */
  const TuVariant *variants;
  int n_variants;
  bool sample;   /* a sample export: its shipped input and ORT output (tu_copy_sample_data) */
  char **in;     /* else the input files, or NULL: ONNX Runtime generates them from seed */
  int seed;
  double rtol;
} TuAgainstOrt;

/* The boilerplate of the model tests: ONNX Runtime's reference, then every variant built
 * for every target this process tests (tu_target_selected; the scalar-only ones once) and
 * run on the same inputs, every output compared with ONNX Runtime's, and with variant 0's
 * where vs_first asks (tu_compare, rtol); one line printed per comparison. NULL when all
 * agree, else a malloc'ed description of the first failure. */
char *tu_against_ort(const TuAgainstOrt *spec);

/* `VITC validate` (docs/validate.md) on every generated .c file of a bundle folder
 * (the model file and the --main harness; vitc_*.c are runtime files shipped
 * verbatim and are not generated), for the target and, on armv7 platforms, its
 * triple. Returns the number of files that did not validate clean; *report (if not
 * NULL) gets a malloc'ed description of the first failure, or NULL. */
int tu_validate_bundle(const char *vitc, const Target *t, const Platform *p, const char *bundle, char **report);

/* ---- kernels a SIMD bundle calls (vitc inspect --kernels, docs/kernels.md) ---- */

/* The allow-list of docs/kernels.md: the scalar float kernels (vitc_f32_NAME, no
 * ISA suffix) a SIMD target may call, read from the rows "| `vitc_f32_NAME` |" of
 * its "## Allow-list" section; NULL-terminated (tu_free_list), NULL if the file
 * cannot be read or lists none. */
char **tu_kernel_allowlist(void);
/* The scalar float kernels (vitc_f32_*_scalar) named in `vitc inspect --kernels`
 * output that the allow-list does not name, space-separated, each once; NULL if none. */
char *tu_kernel_offenders(const char *inspect_out, char *const *allow);

#endif
