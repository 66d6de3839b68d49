/* tests/check_conformance.c: the ONNX backend test cases, end to end.
 *
 *   check_conformance [--target T] [--folders node,pytorch-converted,...|all] [--opt FLAG] [--kernels]
 *                     [SUBSTRING...]
 *   (ctest: once per target; every folder on scalar and avx512, node on the others;
 *   kernels_conformance_avx2/_avx512: --kernels on every folder)
 *
 * --kernels checks, instead of running, which kernels each case's bundle would
 * call: `vitc inspect --kernels` with the options the compile would get, and a
 * case fails if it names a scalar float kernel (vitc_f32_*_scalar) that the
 * allow-list of docs/kernels.md does not (issue 14: no scalar fallback for float
 * math on a SIMD target). Compile-only, so no hardware of the target is needed;
 * cases vitc refuses are refused as in a full run.
 *
 * Debian's libonnx-testdata ships 1,081 cases in five folders (node: one op
 * each; pytorch-converted and pytorch-operator: small torch exports at opset 6;
 * simple: small graphs; real: nine models it only names, to be downloaded),
 * each with inputs and the outputs ONNX's reference implementation computed
 * (test_NAME/model.onnx, test_data_set_N/input_K.pb, output_K.pb). For each case
 * this driver runs the whole user path: `vitc compile model.onnx -o DIR --main
 * --quiet`, builds the bundle with `cc -O2 -std=c99 -Wall -Wextra -pedantic`
 * (--opt changes -O2), converts the inputs to raw files (onnx_load_tensor_file,
 * vitc's own TensorProto reader), runs the harness and compares every output
 * with the reference: floats within 1e-4 * max(1, max|ref|) with NaNs in the same
 * places, integers and bools exactly. With VITC_CONFORMANCE_SANITIZE=1 in the
 * environment the bundles are built with AddressSanitizer and UBSan instead of
 * -O2 (any report fails the case). --target compiles for another target (its
 * cflags added); ARM targets run under qemu-aarch64 on x86 hosts, and a target
 * this machine cannot run is skipped with the reason.
 *
 * Many cases feed a shape, axes, scales or k as a graph input. When vitc refuses
 * a case because such an input is not a compile-time constant, the case is
 * compiled again as a user would: every input after the first fixed by
 * `--const NAME=test_data_set_0/input_K.pb`, and then run on the data sets that
 * feed those inputs the same values. Models of any opset run as they are: the
 * loader maps old op versions (compiler/onnx/opsets.def, onnx/upgrade.c).
 *
 * The contract it enforces: a case either passes, or vitc rejects it with exit
 * status 1 and exactly one "vitc: error:" line. A rejection counts as "refused"
 * (unsupported: listed with its reason, not a failure) when the case uses an op
 * vitc has no implementation for, or when the message says what is unsupported
 * (an op or op version, dtype, attribute value, a shape that is not a
 * compile-time constant...). Everything else is a failure ("wrong"): a valid
 * model whose ops are all implemented rejected for another reason, a crash or a
 * signal in vitc, cc or the harness, a build error or warning, a wrong or
 * missing output, or a bundle `vitc validate` finds fault with (model.c and
 * model_main.c, docs/validate.md).
 *
 * Cases run in parallel worker processes (tu_jobs(): the number of CPUs, or
 * $VITC_TEST_JOBS) that pull case indices from a counter in shared memory and write
 * their verdicts into a shared array, so the parent needs no pipes. Results land in
 * BUILD/tests/conformance/TARGET/: results.txt (every case), unsupported.txt,
 * ops.txt (the per-op table), folders.md (pass / wrong / refused per folder, the
 * table of docs/conformance.md); the work folders of failing cases are kept
 * under cases/. */
#define _GNU_SOURCE
#include <check.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check_runner.h"
#include "emit/target.h"
#include "ir/graph.h"
#include "onnx/load.h"
#include "onnx/onnx.pb-c.h"
#include "ops/op.h"
#include "testutil.h"

#ifndef ONNX_NODE_TESTDATA_DIR
#define ONNX_NODE_TESTDATA_DIR "/usr/include/onnx/backend/test/data/node"
#endif
/* The folders of Debian's test data, beside node/ (--folders picks some). */
static const char *const all_folders[] = {"node", "pytorch-converted", "pytorch-operator", "simple", "real", NULL};

#define RTOL 1e-4
/* With $VITC_CONFORMANCE_SANITIZE set, bundles are built with these instead of -O2. */
#define SANITIZE_FLAGS "-O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all"
#define VITC_TIMEOUT 60
#define CC_TIMEOUT 120
#define RUN_TIMEOUT 60

/* Cases that fail in a way documented as out of scope, each with the reason. A case
 * listed here is reported as a known failure instead of a failure; if it starts
 * passing, the driver says so and the entry should be removed. Keep it empty if
 * at all possible. */
static const struct KnownFailure {
  const char *name;
  const char *why;
} known_failures[] = {
    {NULL, NULL},
};

/* Phrases in vitc's error line that mean "this is outside what vitc supports",
 * as opposed to "this model is wrong". Op messages about limits should say "not
 * supported"; the others are phrasings in use for the same thing. */
static const char *const unsupported_phrases[] = {
    "not supported", "unsupported", "does not support", "vitc does not", /* ops, dtypes, attribute values */
    "vitc supports",                                                     /* "input X is uint8; vitc supports float32 here" */
    "compile-time constant", "must be a constant", "static shape",        /* run-time shape or axis inputs */
    "vitc compiles inference",                                           /* training mode */
    "no run-time kernel",                                                /* a dtype that only folds */
    NULL,
};

typedef enum Verdict { V_PENDING, V_PASS, V_FAIL, V_UNSUPPORTED, V_KNOWN } Verdict;

typedef struct CaseResult {
  Verdict verdict;
  char ops[160]; /* distinct op types, comma-separated */
  char msg[480]; /* why it failed or is unsupported */
  bool with_consts; /* passed with --const for every input after the first */
  float secs;
} CaseResult;

static const char *opt_flags = "-O2"; /* --opt: the C optimization flag of the bundles */
static const char *folders[8];        /* --folders a,b: the test data folders to run */
static bool kernels_mode;             /* --kernels: check the kernel list instead of running */
static char **kernel_allow;           /* docs/kernels.md's allow-list (--kernels) */
static int n_folders;
static char **filters;
static int n_filters;
static const Target *target; /* --target, default scalar */
static Platform platform;    /* how its bundles are built and run here */


/* ------------------------------------------------------------------------ */
/* one case */

static void set_msg(CaseResult *res, Verdict v, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void set_msg(CaseResult *res, Verdict v, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(res->msg, sizeof res->msg, fmt, ap);
  va_end(ap);
  for (char *p = res->msg; *p; p++)
    if (*p == '\n') *p = ' ';
  res->verdict = v;
}

static bool op_implemented(const char *op) {
  int k = op_lookup(op);
  return k >= 0 && op_impl((OpKind)k)->infer != NULL;
}

static bool says_unsupported(const char *msg) {
  for (int i = 0; unsupported_phrases[i]; i++)
    if (strstr(msg, unsupported_phrases[i])) return true;
  return false;
}

/* Why a rejection of this case is expected whatever vitc says: an op without an
 * implementation, a graph input or output that is not a tensor (sequences,
 * optionals), or a zero-size input (vitc's shapes are positive). NULL if none. */
static const char *outside_scope(const ModelInfo *mi, bool empty_input) {
  for (int i = 0; i < mi->n_ops; i++)
    if (!op_implemented(mi->ops[i])) return "an op without implementation";
  for (int i = 0; i < mi->n_in; i++)
    if (mi->in[i].dtype == DT_UNDEFINED) return "a graph input that is not a tensor";
  for (int i = 0; i < mi->n_out; i++)
    if (mi->out[i].dtype == DT_UNDEFINED) return "a graph output that is not a tensor";
  return empty_input ? "a zero-size input" : NULL;
}

/* vitc refused the model: judge how. */
static void classify_rejection(const ModelInfo *mi, bool empty_input, const RunResult *r, CaseResult *res) {
  char *broken = tu_check_one_error_line(r);
  if (broken) {
    set_msg(res, V_FAIL, "vitc: %s", broken);
    free(broken);
    return;
  }
  char *line = tu_first_line(r->err + strlen("vitc: error: "), 400);
  const char *scope = outside_scope(mi, empty_input);
  if (says_unsupported(line)) set_msg(res, V_UNSUPPORTED, "%s", line);
  else if (scope) set_msg(res, V_UNSUPPORTED, "(%s) %s", scope, line);
  else set_msg(res, V_FAIL, "rejected although every op is implemented: %s", line);
  free(line);
}

/* Graph inputs the model leaves dynamic get their shape from the first data set,
 * as a user would with --shape. Appends "--shape" "NAME=DxD" pairs to argv at
 * *argc; sets *empty if some input has no elements. */
static void add_shape_options(const ModelInfo *mi, const char *case_dir, char **argv, int *argc, int max, bool *empty) {
  *empty = false;
  for (int k = 0; k < mi->n_in && *argc + 2 < max; k++) {
    const ModelIO *io = &mi->in[k];
    if (io->dtype == DT_UNDEFINED) continue;
    char *pb = tu_printf("%s/test_data_set_0/input_%d.pb", case_dir, k);
    DType dt;
    Shape sh;
    void *data = NULL;
    bool dynamic = io->shape.rank < 0;
    for (int d = 0; d < io->shape.rank; d++) dynamic |= io->shape.d[d] < 0;
    if (tu_exists(pb) && onnx_load_tensor_file(pb, &dt, &sh, &data, NULL) == 0) {
      *empty |= shape_numel(&sh) == 0;
      if (dynamic && sh.rank > 0) {
        char dims[256] = "";
        for (int d = 0; d < sh.rank; d++)
          snprintf(dims + strlen(dims), sizeof dims - strlen(dims), "%s%lld", d ? "x" : "", (long long)sh.d[d]);
        argv[(*argc)++] = strdup("--shape");
        argv[(*argc)++] = tu_printf("%s=%s", io->name, dims);
      }
    }
    free(data);
    free(pb);
  }
}

/* Runs one test_data_set_N folder through the built harness. Returns false (with
 * res set) on a failure. */
static bool run_data_set(const ModelInfo *mi, const char *prog, const char *set_dir, const char *work, CaseResult *res,
                         int n_const_from) {
  int n_in_pb, n_out_pb;
  char **in_pb = tu_list_dir(set_dir, "input_", &n_in_pb);
  char **out_pb = tu_list_dir(set_dir, "output_", &n_out_pb);
  char **argv = calloc((size_t)(2 * (n_in_pb + n_out_pb) + 6), sizeof(char *));
  int argc = tu_platform_argv(&platform, argv, prog);
  for (int i = 0; i < argc; i++) argv[i] = strdup(argv[i]);
  bool ok = true;
  if (n_out_pb != mi->n_out) {
    set_msg(res, V_FAIL, "%s has %d reference outputs, the model %d", set_dir, n_out_pb, mi->n_out);
    ok = false;
  }
  /* input_K.pb -> raw K.bin, in index order (input_10 sorts before input_2 as text) */
  for (int k = 0; ok && k < n_in_pb && k < n_const_from; k++) {
    char *pb = tu_printf("%s/input_%d.pb", set_dir, k), *bin = tu_printf("%s/in%d.bin", work, k);
    DType dt;
    Shape sh;
    void *data = NULL;
    if (onnx_load_tensor_file(pb, &dt, &sh, &data, NULL) != 0 ||
        tu_write_file(bin, data, (size_t)shape_numel(&sh) * dtype_size(dt)) != 0) {
      set_msg(res, V_FAIL, "cannot convert %s to raw data", pb);
      ok = false;
    }
    argv[argc++] = strdup("--in");
    argv[argc++] = bin;
    free(pb);
    free(data);
  }
  for (int k = 0; ok && k < n_out_pb; k++) {
    argv[argc++] = strdup("--out");
    argv[argc++] = tu_printf("%s/out%d.bin", work, k);
  }
  if (ok) {
    RunResult r;
    tu_run(argv, RUN_TIMEOUT, &r);
    if (!r.exited || r.status != 0) {
      char *how = tu_run_describe(&r), *first = tu_first_line(r.err, 300);
      set_msg(res, V_FAIL, "harness: %s: %s", how, first);
      free(how);
      free(first);
      ok = false;
    }
    tu_run_free(&r);
  }
  for (int k = 0; ok && k < n_out_pb; k++) {
    char *pb = tu_printf("%s/output_%d.pb", set_dir, k), *got = tu_printf("%s/out%d.bin", work, k);
    DType dt;
    Shape sh;
    void *ref = NULL;
    size_t got_len = 0;
    void *gotb = tu_read_file(got, &got_len);
    if (onnx_load_tensor_file(pb, &dt, &sh, &ref, NULL) != 0) {
      set_msg(res, V_FAIL, "cannot read reference %s", pb);
      ok = false;
    } else if (got_len != (size_t)shape_numel(&sh) * dtype_size(dt)) {
      char sb[128];
      set_msg(res, V_FAIL, "output %d '%s': %zu bytes, reference is %s%s (%zu bytes)", k, mi->out[k].name, got_len,
              dtype_name(dt), shape_str(&sh, sb, sizeof sb), (size_t)shape_numel(&sh) * dtype_size(dt));
      ok = false;
    } else {
      CompareResult cr;
      tu_compare(dt, gotb, ref, (size_t)shape_numel(&sh), RTOL, &cr);
      if (!cr.ok) {
        set_msg(res, V_FAIL, "output %d '%s' (%s): %s", k, mi->out[k].name, dtype_name(dt), cr.why);
        ok = false;
      }
    }
    free(pb);
    free(got);
    free(gotb);
    free(ref);
  }
  for (int i = 0; i < argc; i++) free(argv[i]);
  free(argv);
  tu_free_list(in_pb);
  tu_free_list(out_pb);
  return ok;
}

/* `vitc validate` on the bundle's model file and harness (docs/validate.md): the
 * generated-code contract holds for every case that compiles. armv7 platforms
 * are checked for their own triple. */
static bool validate_bundle(const char *bundle, CaseResult *res) {
  char *report;
  int failures = tu_validate_bundle(VITC_BINARY_DIR "/vitc", target, &platform, bundle, &report);
  if (failures) {
    char *line = tu_first_line(report, 300);
    set_msg(res, V_FAIL, "%s", line);
    free(line);
  }
  free(report);
  return failures == 0;
}

/* Whether data set `set_dir` feeds inputs n_const_from.. with the bytes of data set 0
 * (a bundle compiled with those inputs as --const can run it). */
static bool same_const_inputs(const char *case_dir, const char *set_dir, int n_in, int n_const_from) {
  for (int k = n_const_from; k < n_in; k++) {
    char *a = tu_printf("%s/test_data_set_0/input_%d.pb", case_dir, k), *b = tu_printf("%s/input_%d.pb", set_dir, k);
    size_t la, lb;
    void *da = tu_read_file(a, &la), *db = tu_read_file(b, &lb);
    bool same = da && db && la == lb && memcmp(da, db, la) == 0;
    free(a), free(b), free(da), free(db);
    if (!same) return false;
  }
  return true;
}

/* vitc compile; with_consts: every graph input after the first is given its data
 * set 0 value by --const (a shape, axes, scales... that the user would fix). */
static bool compile_case(const char *model, const char *case_dir, const ModelInfo *mi, const char *bundle,
                         bool with_consts, bool *empty_input, RunResult *r) {
  char *compile[96] = {VITC_BINARY_DIR "/vitc", kernels_mode ? "inspect" : "compile", (char *)model, "-o",
                       (char *)bundle,          "--main", "--quiet", "--name", "model", "--target", (char *)target->name,
                       kernels_mode ? "--kernels" : NULL};
  int n_compile = kernels_mode ? 12 : 11;
  add_shape_options(mi, case_dir, compile, &n_compile, 60, empty_input);
  for (int k = 1; with_consts && k < mi->n_in && n_compile + 2 < 94; k++) {
    compile[n_compile++] = strdup("--const");
    compile[n_compile++] = tu_printf("%s=%s/test_data_set_0/input_%d.pb", mi->in[k].name, case_dir, k);
  }
  tu_run(compile, VITC_TIMEOUT, r);
  for (int i = kernels_mode ? 12 : 11; i < n_compile; i++) free(compile[i]);
  return r->exited && r->status == 0;
}

static bool says_needs_constant(const char *err) {
  return strstr(err, "compile-time constant") || strstr(err, "must be a constant") || strstr(err, "static shape");
}

static void run_case(const char *case_dir, const char *work, CaseResult *res) {
  ModelInfo mi;
  char *model = tu_printf("%s/model.onnx", case_dir);
  if (!tu_exists(model)) { /* real/: data.json names a download */
    set_msg(res, V_UNSUPPORTED, "no model.onnx: the test data only names a model to download");
    free(model);
    return;
  }
  char *err = tu_model_info(model, &mi);
  if (err) {
    set_msg(res, V_FAIL, "test data unreadable: %s", err);
    free(err);
    free(model);
    return;
  }
  for (int i = 0; i < mi.n_ops; i++) {
    size_t used = strlen(res->ops);
    snprintf(res->ops + used, sizeof res->ops - used, "%s%s", i ? "," : "", mi.ops[i]);
  }
  tu_rm_rf(work);
  tu_mkdir_p(work);
  char *bundle = tu_printf("%s/bundle", work), *prog = tu_printf("%s/prog", work);
  bool empty_input;
  RunResult r;
  bool ok = compile_case(model, case_dir, &mi, bundle, false, &empty_input, &r);
  if (!ok && r.exited && r.status == 1 && mi.n_in > 1 && says_needs_constant(r.err)) {
    tu_run_free(&r); /* as a user would: fix the shape-like inputs with --const */
    res->with_consts = true;
    ok = compile_case(model, case_dir, &mi, bundle, true, &empty_input, &r);
  }
  if (!ok) classify_rejection(&mi, empty_input, &r, res);
  if (ok && kernels_mode) { /* the kernel check replaces building and running */
    char *off = tu_kernel_offenders(r.out, kernel_allow);
    if (off) set_msg(res, V_FAIL, "scalar float kernel(s) outside docs/kernels.md's allow-list: %s", off);
    else res->verdict = V_PASS;
    free(off);
    tu_run_free(&r);
    tu_rm_rf(work);
    free(model);
    free(bundle);
    free(prog);
    return;
  }
  tu_run_free(&r);
  int n_const_from = res->with_consts ? 1 : mi.n_in;

  char *warnings = NULL;
  if (ok) {
    bool sanitize = getenv("VITC_CONFORMANCE_SANITIZE") && !platform.emulator;
    char *flags = tu_printf("%s %s", sanitize ? SANITIZE_FLAGS : opt_flags, target->cflags ? target->cflags : "");
    tu_build_bundle(&platform, flags, bundle, prog, CC_TIMEOUT, &r);
    if (!r.exited || r.status != 0) {
      char *how = tu_run_describe(&r), *line = tu_build_error_line(r.err, 300);
      set_msg(res, V_FAIL, "generated C does not build (%s): %s", how, line);
      free(how);
      free(line);
      ok = false;
    } else if (r.err[0]) {
      warnings = tu_line_with(r.err, "warning:", 300);
    }
    tu_run_free(&r);
    free(flags);
  }
  if (ok) ok = validate_bundle(bundle, res);
  if (ok) {
    int n_sets, n_run = 0;
    char **sets = tu_list_dir(case_dir, "test_data_set_", &n_sets);
    for (int s = 0; ok && s < n_sets; s++) {
      char *set_dir = tu_printf("%s/%s", case_dir, sets[s]);
      if (same_const_inputs(case_dir, set_dir, mi.n_in, n_const_from)) {
        ok = run_data_set(&mi, prog, set_dir, work, res, n_const_from);
        n_run++;
      }
      free(set_dir);
    }
    if (ok && n_run == 0) set_msg(res, V_FAIL, "no test_data_set_* folder"), ok = false;
    tu_free_list(sets);
  }
  if (ok && warnings) set_msg(res, V_FAIL, "results match, but the generated C has warnings: %s", warnings), ok = false;
  if (ok) res->verdict = V_PASS;
  if (res->with_consts && res->verdict != V_UNSUPPORTED) {
    const char *note = "(inputs after the first given by --const) ";
    size_t nl = strlen(note);
    memmove(res->msg + nl, res->msg, sizeof res->msg - nl);
    memcpy(res->msg, note, nl);
    res->msg[sizeof res->msg - 1] = 0;
  }
  if (res->verdict != V_FAIL) tu_rm_rf(work); /* keep failing cases for inspection */
  free(warnings);
  free(bundle);
  free(prog);
  free(model);
  tu_model_info_free(&mi);
}

/* ------------------------------------------------------------------------ */
/* the driver */

static const char *known_failure(const char *name) {
  for (int i = 0; known_failures[i].name; i++)
    if (strcmp(known_failures[i].name, name) == 0) return known_failures[i].why;
  return NULL;
}

static bool selected(const char *name) {
  if (n_filters == 0) return true;
  for (int i = 0; i < n_filters; i++)
    if (strstr(name, filters[i])) return true;
  return false;
}

typedef struct OpStats {
  char *op;
  int cases, passed, failed, unsupported;
} OpStats;

static int cmp_opstats(const void *a, const void *b) {
  return strcmp(((const OpStats *)a)->op, ((const OpStats *)b)->op);
}

/* Counts per op: a case counts once for each distinct op in it. */
static OpStats *op_table(const CaseResult *res, int n, int *n_ops) {
  OpStats *t = NULL;
  int nt = 0;
  for (int i = 0; i < n; i++) {
    char *ops = strdup(res[i].ops), *save = NULL;
    for (char *op = strtok_r(ops, ",", &save); op; op = strtok_r(NULL, ",", &save)) {
      int k = 0;
      while (k < nt && strcmp(t[k].op, op) != 0) k++;
      if (k == nt) {
        t = realloc(t, (size_t)(nt + 1) * sizeof *t);
        t[nt++] = (OpStats){strdup(op), 0, 0, 0, 0};
      }
      t[k].cases++;
      t[k].passed += res[i].verdict == V_PASS;
      t[k].failed += res[i].verdict == V_FAIL || res[i].verdict == V_KNOWN;
      t[k].unsupported += res[i].verdict == V_UNSUPPORTED;
    }
    free(ops);
  }
  qsort(t, (size_t)nt, sizeof *t, cmp_opstats);
  *n_ops = nt;
  return t;
}

static void print_op_row(FILE *f, const OpStats *s) {
  fprintf(f, "  %-28s %5d %6d %6d %11d\n", s->op, s->cases, s->passed, s->failed, s->unsupported);
}

static const char *verdict_name(Verdict v) {
  switch (v) {
  case V_PASS: return "PASS";
  case V_FAIL: return "FAIL";
  case V_UNSUPPORTED: return "UNSUPPORTED";
  case V_KNOWN: return "KNOWN-FAILURE";
  default: return "NOT-RUN";
  }
}

/* The folder holding node/ and the others. */
static char testdata_root[512];

/* Workers take the next case index from a shared counter until none are left. */
static void work_loop(char **names, CaseResult *res, int n, atomic_int *next, const char *work_root) {
  for (;;) {
    int i = atomic_fetch_add(next, 1);
    if (i >= n) return;
    char *case_dir = tu_printf("%s/%s", testdata_root, names[i]);
    char *work = tu_printf("%s/cases/%s", work_root, names[i]);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    run_case(case_dir, work, &res[i]);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    res[i].secs = (float)((double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9);
    free(case_dir);
    free(work);
  }
}

static void write_reports(const char *work_root, char **names, CaseResult *res, int n, OpStats *ops, int n_ops) {
  char *p = tu_printf("%s/results.txt", work_root);
  FILE *all = fopen(p, "w");
  free(p);
  p = tu_printf("%s/unsupported.txt", work_root);
  FILE *uns = fopen(p, "w");
  free(p);
  p = tu_printf("%s/ops.txt", work_root);
  FILE *opf = fopen(p, "w");
  free(p);
  for (int i = 0; i < n; i++) {
    if (all) fprintf(all, "%-13s %-60s [%s] %s\n", verdict_name(res[i].verdict), names[i], res[i].ops, res[i].msg);
    if (uns && res[i].verdict == V_UNSUPPORTED) fprintf(uns, "%s [%s]: %s\n", names[i], res[i].ops, res[i].msg);
  }
  if (opf) {
    fprintf(opf, "  %-28s %5s %6s %6s %11s\n", "op", "cases", "passed", "failed", "unsupported");
    for (int k = 0; k < n_ops; k++) print_op_row(opf, &ops[k]);
  }
  if (all) fclose(all);
  if (uns) fclose(uns);
  if (opf) fclose(opf);
}

/* pass / wrong / refused per folder, on stdout and as a Markdown table in
 * folders.md (docs/conformance.md quotes it). "wrong" counts every failure:
 * a wrong output, a crash, a build error or a refusal that is not a limit. */
static void print_folder_table(char **names, const CaseResult *res, int n, const char *work_root) {
  char *p = tu_printf("%s/folders.md", work_root);
  FILE *md = fopen(p, "w");
  free(p);
  if (md) fprintf(md, "| folder | cases | pass | wrong | refused |\n| --- | ---: | ---: | ---: | ---: |\n");
  printf("  %-20s %5s %6s %6s %8s\n", "folder", "cases", "pass", "wrong", "refused");
  int tc = 0, tp = 0, tw = 0, tr = 0;
  for (int f = 0; f < n_folders; f++) {
    size_t len = strlen(folders[f]);
    int c = 0, pa = 0, w = 0, r = 0;
    for (int i = 0; i < n; i++) {
      if (strncmp(names[i], folders[f], len) != 0 || names[i][len] != '/') continue;
      c++;
      pa += res[i].verdict == V_PASS;
      w += res[i].verdict == V_FAIL || res[i].verdict == V_KNOWN;
      r += res[i].verdict == V_UNSUPPORTED;
    }
    printf("  %-20s %5d %6d %6d %8d\n", folders[f], c, pa, w, r);
    if (md) fprintf(md, "| %s | %d | %d | %d | %d |\n", folders[f], c, pa, w, r);
    tc += c, tp += pa, tw += w, tr += r;
  }
  printf("  %-20s %5d %6d %6d %8d\n", "all", tc, tp, tw, tr);
  if (md) fprintf(md, "| all | %d | %d | %d | %d |\n", tc, tp, tw, tr);
  if (md) fclose(md);
}

START_TEST(test_conformance) {
  char *work_root = tu_printf("%s/tests/conformance/%s%s", VITC_BINARY_DIR, target->name, kernels_mode ? "-kernels" : "");
  char **names = NULL;
  int n = 0;
  for (int f = 0; f < n_folders; f++) {
    char *dir = tu_printf("%s/%s", testdata_root, folders[f]);
    int n_all;
    char **all = tu_list_dir(dir, "test_", &n_all);
    ck_assert_msg(all && n_all > 0, "no test case in %s", dir);
    names = realloc(names, (size_t)(n + n_all + 1) * sizeof(char *));
    for (int i = 0; i < n_all; i++) {
      char *name = tu_printf("%s/%s", folders[f], all[i]);
      if (selected(name)) names[n++] = name;
      else free(name);
    }
    tu_free_list(all);
    free(dir);
  }
  ck_assert_msg(n > 0, "no conformance case selected under %s", testdata_root);
  if (n_filters == 0) tu_rm_rf(work_root);
  tu_mkdir_p(work_root);

  /* Shared between the workers: the next case to take, then one result per case. */
  size_t bytes = sizeof(atomic_int) + 64 + (size_t)n * sizeof(CaseResult);
  void *shm = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  ck_assert_msg(shm != MAP_FAILED, "mmap of %zu bytes failed", bytes);
  atomic_int *next = shm;
  atomic_init(next, 0);
  CaseResult *res = (CaseResult *)((char *)shm + 64);
  int jobs = tu_jobs();
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  fflush(stdout);
  for (int j = 0; j < jobs; j++) {
    pid_t pid = fork();
    ck_assert_msg(pid >= 0, "fork failed");
    if (pid == 0) {
      work_loop(names, res, n, next, work_root);
      _exit(0);
    }
  }
  int st;
  while (wait(&st) > 0) {
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) printf("conformance: a worker died (status 0x%x); its case is NOT-RUN\n", st);
  }
  clock_gettime(CLOCK_MONOTONIC, &t1);

  int passed = 0, failed = 0, unsupported = 0, known = 0, with_consts = 0;
  for (int i = 0; i < n; i++) {
    const char *why = known_failure(names[i]);
    if (res[i].verdict == V_PENDING) set_msg(&res[i], V_FAIL, "not run (worker died)");
    if (res[i].verdict == V_FAIL && why) res[i].verdict = V_KNOWN;
    else if (res[i].verdict == V_PASS && why) printf("conformance: known failure %s now passes: remove it from known_failures\n", names[i]);
    passed += res[i].verdict == V_PASS;
    failed += res[i].verdict == V_FAIL;
    unsupported += res[i].verdict == V_UNSUPPORTED;
    known += res[i].verdict == V_KNOWN;
    with_consts += res[i].with_consts && res[i].verdict == V_PASS;
  }
  int n_ops;
  OpStats *ops = op_table(res, n, &n_ops);
  write_reports(work_root, names, res, n, ops, n_ops);

  printf("per-op results (ops with at least one case that ran; all %d ops in %s/ops.txt):\n", n_ops, work_root);
  printf("  %-28s %5s %6s %6s %11s\n", "op", "cases", "passed", "failed", "unsupported");
  int n_untried = 0;
  for (int k = 0; k < n_ops; k++) {
    if (ops[k].passed + ops[k].failed) print_op_row(stdout, &ops[k]);
    else n_untried++;
  }
  printf("%d ops only in unsupported cases (list: %s/unsupported.txt)\n", n_untried, work_root);
  for (int i = 0; i < n; i++)
    if (res[i].verdict == V_FAIL) printf("FAIL %s [%s]: %s\n", names[i], res[i].ops, res[i].msg);
  for (int i = 0; i < n; i++) {
    const char *why = known_failure(names[i]);
    if (res[i].verdict == V_KNOWN) printf("known failure %s: %s (%s)\n", names[i], res[i].msg, why ? why : "");
  }
  char known_str[48] = "";
  if (known) snprintf(known_str, sizeof known_str, ", %d known failures", known);
  if (with_consts) printf("%d of the passed cases had their inputs after the first fixed by --const\n", with_consts);
  print_folder_table(names, res, n, work_root);
  printf("conformance [%s]: %d passed, %d failed, %d unsupported%s (of %d cases, %d jobs, %.1f s)\n", target->name,
         passed, failed, unsupported, known_str, n, jobs,
         (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9);
  if (failed) printf("work folders of the failing cases: %s/cases/\n", work_root);
  fflush(stdout);
  for (int k = 0; k < n_ops; k++) free(ops[k].op);
  free(ops);
  munmap(shm, bytes);
  for (int i = 0; i < n; i++) free(names[i]);
  free(names);
  ck_assert_msg(failed == 0, "%d conformance case(s) failed (see the FAIL lines above)", failed);
}
END_TEST

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IOLBF, 0); /* a failing check ends the process: keep every line printed */
  if (!tu_is_dir(ONNX_NODE_TESTDATA_DIR)) { /* the setup installs it */
    printf("conformance: FAIL: %s is absent (apt-get install libonnx-testdata)\n", ONNX_NODE_TESTDATA_DIR);
    return 1;
  }
  snprintf(testdata_root, sizeof testdata_root, "%s", ONNX_NODE_TESTDATA_DIR);
  char *slash = strrchr(testdata_root, '/');
  if (slash) *slash = 0;
  const char *target_name = "scalar", *folder_list = "node";
  for (;;) {
    if (argc >= 3 && strcmp(argv[1], "--target") == 0) target_name = argv[2];
    else if (argc >= 3 && strcmp(argv[1], "--opt") == 0) opt_flags = argv[2];
    else if (argc >= 3 && strcmp(argv[1], "--folders") == 0) folder_list = argv[2];
    else if (argc >= 2 && strcmp(argv[1], "--kernels") == 0) {
      kernels_mode = true;
      argv += 1;
      argc -= 1;
      continue;
    } else break;
    argv += 2;
    argc -= 2;
  }
  char *fl = strdup(folder_list), *save = NULL;
  for (char *f = strtok_r(fl, ",", &save); f && n_folders < 8; f = strtok_r(NULL, ",", &save)) {
    if (strcmp(f, "all") == 0) {
      for (int i = 0; all_folders[i] && n_folders < 8; i++) folders[n_folders++] = all_folders[i];
      continue;
    }
    bool known = false;
    for (int i = 0; all_folders[i]; i++) known |= strcmp(all_folders[i], f) == 0;
    if (!known) {
      printf("conformance: FAIL: --folders: no folder '%s' in the test data\n", f);
      return 1;
    }
    folders[n_folders++] = f;
  }
  filters = argv + 1;
  n_filters = argc - 1;
  target = target_find(target_name);
  if (!target) {
    printf("conformance: FAIL: vitc has no target '%s' (targets: %s)\n", target_name, target_names());
    return 1;
  }
  if (kernels_mode && !(kernel_allow = tu_kernel_allowlist())) {
    printf("conformance: FAIL: cannot read the allow-list of %s/docs/kernels.md\n", VITC_SOURCE_DIR);
    return 1;
  }
  /* --kernels compiles only: no hardware needed, but the avx512 check skips where
   * the CPU lacks AVX-512 (as every avx512 test does) */
  char *why = kernels_mode ? (strcmp(target->name, "avx512") == 0 ? tu_cpu_lacks("avx512") : NULL)
                           : tu_target_platform(target, &platform);
  if (why && kernels_mode) {
    printf("conformance --kernels [%s]: SKIPPED: %s\n", target_name, why);
    return 77;
  }
  if (why) {
    char *label = tu_printf("conformance [%s]", target_name);
    return tu_cannot_run(label, &platform, why);
  }
  const TTest *const tests[] = {
      test_conformance,
  };
  return tu_run_suite(tu_suite_of("conformance", "onnx_backend_node", 3600, tests, sizeof tests / sizeof tests[0]));
}
