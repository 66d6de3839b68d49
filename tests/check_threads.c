/* tests/check_threads.c: bundles compiled with --threads, against ONNX Runtime.
 *
 *   check_threads [--models M.onnx,...] [--targets T,...] [--isa avx2|avx512] [--threads 2,3] [--no-tsan]
 *
 * For each model (default: the committed vit_tiny32, mabvit32 (gated
 * attention), mobilevit_tiny (convolutions) and filter_vit_b2 (TopK, the token
 * gather and the in-place scatter between split nodes)), each target (default: every
 * target vitc knows, ARM under qemu-user as in check_models) and each thread
 * count N, it compiles with `vitc compile --threads N --main`, checks that the
 * model file really splits work (it calls vitc_pool_run) and includes no
 * pthread.h, builds the bundle with `cc -std=c99 -Wall -Wextra -pedantic
 * -pthread` (a warning fails), and runs the harness on ONNX Runtime's input
 * twice: on a pool of N threads (warm, see run_harness), whose outputs must match ONNX Runtime within
 * 1e-4 * max(1, max|ref|), and with --threads 1 (the same tasks on one thread),
 * whose outputs must be byte-identical to the pooled run's (the split does not
 * depend on who runs which task). Then the last listed target that runs
 * natively (avx512 where the CPU has it) has its bundle for the first model
 * and the largest N rebuilt with ThreadSanitizer (-fsanitize=thread, any
 * report fails: TSan exits 66) and run once more against ONNX Runtime.
 *
 * Without --isa it runs the listed targets that need no CPU feature (scalar, neon);
 * with it, only that x86 target (tests/testutil.h: one ctest test per ISA). A target this CPU
 * cannot run is skipped with the reason, and if none runs the test exits 77; a
 * missing or broken tool (ONNX Runtime, a cross compiler, qemu) or an absent model
 * is a failure.
 * Work folders: BUILD/tests/threads/<model>[-<isa>]/<target>-t<N>/ (one per ctest test: they run
 * concurrently). */
#define _GNU_SOURCE
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_runner.h"
#include "emit/target.h"
#include "testutil.h"

#define RTOL 1e-4
#define TIMEOUT 300 /* a hung pool fails in minutes */

static struct {
  char **models;
  int n_models;
  char **targets;
  int n_targets;
  int threads[8];
  int n_threads;
  bool tsan;
  const char *tsan_target; /* the last listed target that runs natively */
} opt;

/* "a,b,c" -> malloc'ed NULL-terminated list. */
static char **split_list(const char *s, int *n) {
  char **v = calloc(strlen(s) + 2, sizeof(char *));
  char *copy = strdup(s), *save = NULL;
  *n = 0;
  for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) v[(*n)++] = strdup(tok);
  free(copy);
  return v;
}

static bool run_ok(const char *what, char *const argv[], RunResult *r) {
  if (tu_run(argv, TIMEOUT, r) != 0) {
    printf("  %s: cannot start %s\n", what, argv[0]);
    return false;
  }
  if (r->exited && r->status == 0) return true;
  char *how = tu_run_describe(r), *cmd = tu_argv_str(argv);
  printf("  %s FAILED (%s): %s\n%.4000s\n", what, how, cmd, r->err ? r->err : "");
  free(how);
  free(cmd);
  return false;
}

/* Builds bundle into prog with flags; false (printed) on an error or a warning. */
static bool build(const Platform *p, const char *label, const char *flags, const char *bundle, const char *prog) {
  RunResult r;
  bool ok = tu_build_bundle(p, flags, bundle, prog, TIMEOUT, &r) == 0 && r.exited && r.status == 0;
  if (!ok) printf("  [%s] building FAILED:\n%.4000s\n", label, r.err ? r.err : "");
  else if (r.err && r.err[0]) {
    printf("  [%s] the generated C has warnings (FAIL):\n%.4000s\n", label, r.err);
    ok = false;
  }
  tu_run_free(&r);
  return ok;
}

/* Runs prog on the inputs with --threads n, outputs into dir/out<k>.bin; true if it
 * ran. n > 1 adds --bench 3: the outputs are then those of the 6th run in a row,
 * when the pool's workers are awake and spinning between parallel sections, so
 * they take tasks (on a first, cold run of a small model the calling thread may
 * finish every task before a sleeping worker wakes, and a race could not show). */
static bool run_harness(const Platform *p, const char *label, const char *prog, const ModelInfo *mi, const char *data,
                        const char *dir, int n) {
  char **argv = calloc((size_t)(2 * (mi->n_in + mi->n_out) + 12), sizeof(char *));
  int argc = tu_platform_argv(p, argv, prog), first = argc;
  for (int k = 0; k < mi->n_in; k++) {
    argv[argc++] = strdup("--in");
    argv[argc++] = tu_printf("%s/input%d.bin", data, k);
  }
  tu_mkdir_p(dir);
  for (int k = 0; k < mi->n_out; k++) {
    argv[argc++] = strdup("--out");
    argv[argc++] = tu_printf("%s/out%d.bin", dir, k);
  }
  argv[argc++] = strdup("--threads");
  argv[argc++] = tu_printf("%d", n);
  if (n > 1) {
    argv[argc++] = strdup("--bench");
    argv[argc++] = strdup("3");
  }
  RunResult r;
  char *what = tu_printf("[%s] harness --threads %d", label, n);
  bool ok = run_ok(what, argv, &r);
  tu_run_free(&r);
  free(what);
  for (int i = first; i < argc; i++) free(argv[i]);
  free(argv);
  return ok;
}

/* Every output in dir against ORT; returns failures. */
static int compare_ort(const char *label, const ModelInfo *mi, const char *data, const char *dir) {
  int failures = 0;
  for (int k = 0; k < mi->n_out; k++) {
    char *got = tu_printf("%s/out%d.bin", dir, k), *ref = tu_printf("%s/ort_output%d.bin", data, k);
    CompareResult cr;
    tu_compare_files(mi->out[k].dtype, got, ref, RTOL, &cr);
    printf("  [%s] output %d '%s': max_abs_err %.3g max_abs_ref %.4g tol %.3g: %s%s%s\n", label, k, mi->out[k].name,
           cr.max_err, cr.max_ref, cr.tol, cr.ok ? "ok" : "FAIL", cr.ok ? "" : ": ", cr.why);
    failures += !cr.ok;
    free(got);
    free(ref);
  }
  return failures;
}

/* Outputs of dir_a and dir_b byte-identical; returns failures. */
static int compare_same(const char *label, const ModelInfo *mi, const char *dir_a, const char *dir_b) {
  int failures = 0;
  for (int k = 0; k < mi->n_out; k++) {
    char *a = tu_printf("%s/out%d.bin", dir_a, k), *b = tu_printf("%s/out%d.bin", dir_b, k);
    size_t la = 0, lb = 0;
    void *da = tu_read_file(a, &la), *db = tu_read_file(b, &lb);
    bool same = da && db && la == lb && memcmp(da, db, la) == 0;
    if (!same) printf("  [%s] output %d differs between the pool and one thread (FAIL)\n", label, k);
    failures += !same;
    free(da);
    free(db);
    free(a);
    free(b);
  }
  return failures;
}

/* The model file calls the pool and includes no pthread.h; returns failures. */
static int check_source(const char *label, const char *bundle, const char *stem) {
  char *path = tu_printf("%s/%s.c", bundle, stem);
  char *src = tu_read_file(path, NULL);
  int failures = 0;
  if (!src || !strstr(src, "vitc_pool_run(pool, task_")) {
    printf("  [%s] %s splits no work into tasks (FAIL)\n", label, path);
    failures++;
  }
  if (src && strstr(src, "pthread.h")) {
    printf("  [%s] %s mentions pthread.h (FAIL: only vitc_pool.c may)\n", label, path);
    failures++;
  }
  free(src);
  free(path);
  return failures;
}

START_TEST(test_threads) {
  int failures = 0, n_run = 0;
  bool tsan_done = !opt.tsan;
  for (int m = 0; m < opt.n_models; m++) {
    const char *model = opt.models[m];
    ModelInfo mi;
    char *err = tu_model_info(model, &mi);
    ck_assert_msg(err == NULL, "%s", err);
    char *stem = tu_stem(model), *work = tu_work_dir("threads", stem);
    char *data = tu_printf("%s/data", work);
    tu_rm_rf(work);
    tu_mkdir_p(data);
    char *ort_js = VITC_SOURCE_DIR "/tests/ort/ort_run.js";
    char *ort[] = {"node", ort_js, (char *)model, "--gen-inputs", data, "--seed", "5", "--out-dir", data, NULL};
    RunResult r;
    bool ort_ok = run_ok("ONNX Runtime reference", ort, &r);
    tu_run_free(&r);
    ck_assert_msg(ort_ok, "ONNX Runtime failed on %s", model);
    printf("model %s\n", model);
    for (int ti = 0; ti < opt.n_targets; ti++) {
      const Target *t = target_find(opt.targets[ti]);
      Platform p;
      char *why = tu_target_platform(t, &p); /* main() judged the targets */
      if (why) {
        printf("  target %s: SKIPPED: %s\n", opt.targets[ti], why);
        free(why);
        continue;
      }
      n_run++;
      for (int i = 0; i < opt.n_threads; i++) {
        int n = opt.threads[i];
        char *label = tu_printf("%s %s --threads %d", stem, t->name, n);
        char *dir = tu_printf("%s/%s-t%d", work, t->name, n), *bundle = tu_printf("%s/bundle", dir);
        char *prog = tu_printf("%s/prog", dir), *nthr = tu_printf("%d", n);
        char *compile[] = {VITC_BINARY_DIR "/vitc", "compile", (char *)model, "-o", bundle, "--main", "--quiet",
                           "--target", (char *)t->name, "--threads", nthr, NULL};
        char *flags = tu_printf("-O2 -pthread%s%s", t->cflags && *t->cflags ? " " : "", t->cflags ? t->cflags : "");
        bool ok = run_ok(label, compile, &r);
        tu_run_free(&r);
        if (ok) failures += check_source(label, bundle, stem);
        if (ok) { /* the generated-code contract holds for threaded bundles too (docs/validate.md) */
          char *report;
          int bad = tu_validate_bundle(VITC_BINARY_DIR "/vitc", t, &p, bundle, &report);
          if (bad) printf("  [%s] %d file(s) FAILED %s\n", label, bad, report);
          failures += bad;
          free(report);
        }
        ok = ok && build(&p, label, flags, bundle, prog);
        char *pooled = tu_printf("%s/pool", dir), *serial = tu_printf("%s/serial", dir);
        if (ok && run_harness(&p, label, prog, &mi, data, pooled, n)) {
          failures += compare_ort(label, &mi, data, pooled);
          if (run_harness(&p, label, prog, &mi, data, serial, 1)) failures += compare_same(label, &mi, pooled, serial);
          else failures++;
        } else {
          failures++;
        }
        /* ThreadSanitizer once: the last native target (avx512 where it runs), the
         * largest thread count, the first model */
        if (ok && !tsan_done && opt.tsan_target && strcmp(t->name, opt.tsan_target) == 0 && i == opt.n_threads - 1) {
          char *tlabel = tu_printf("%s+tsan", label), *tprog = tu_printf("%s/prog_tsan", dir);
          char *tflags = tu_printf("-O1 -g -fsanitize=thread -pthread%s%s", t->cflags && *t->cflags ? " " : "",
                                   t->cflags ? t->cflags : "");
          char *tdir = tu_printf("%s/tsan", dir);
          int before = failures;
          if (build(&p, tlabel, tflags, bundle, tprog) && run_harness(&p, tlabel, tprog, &mi, data, tdir, n))
            failures += compare_ort(tlabel, &mi, data, tdir);
          else
            failures++;
          printf("  [%s] ThreadSanitizer: %s\n", tlabel, failures > before ? "FAIL, see above" : "no report, outputs match");
          tsan_done = true;
          free(tlabel);
          free(tprog);
          free(tflags);
          free(tdir);
        }
        free(pooled);
        free(serial);
        free(label);
        free(dir);
        free(bundle);
        free(prog);
        free(nthr);
        free(flags);
      }
    }
    free(stem);
    free(work);
    free(data);
    tu_model_info_free(&mi);
  }
  printf("check_threads: %d model/target pair(s) run, %d failure(s)\n", n_run, failures);
  ck_assert_msg(failures == 0, "%d failure(s); see the lines above", failures);
}
END_TEST

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  int verdict = tu_isa_verdict("check_threads", &argc, argv);
  if (verdict >= 0) return verdict;
  const char *models = VITC_SOURCE_DIR "/models/vit_tiny32.onnx," VITC_SOURCE_DIR
                                       "/models/mabvit32.onnx," VITC_SOURCE_DIR "/models/mobilevit_tiny.onnx,"
                                       VITC_SOURCE_DIR "/models/filter_vit_b2.onnx";
  const char *targets = "scalar,avx2,avx512,neon", *threads = "2,3";
  opt.tsan = true;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--models") == 0 && i + 1 < argc) models = argv[++i];
    else if (strcmp(argv[i], "--targets") == 0 && i + 1 < argc) targets = argv[++i];
    else if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc) threads = argv[++i];
    else if (strcmp(argv[i], "--no-tsan") == 0) opt.tsan = false;
    else {
      fprintf(stderr, "usage: check_threads [--models M.onnx,...] [--targets T,...] [--threads 2,3] [--no-tsan]\n");
      return 2;
    }
  }
  opt.models = split_list(models, &opt.n_models);
  opt.targets = split_list(targets, &opt.n_targets);
  /* --isa: that x86 target only, no TSan (the portable run has it); else the portable targets */
  int kept = 0;
  for (int i = 0; i < opt.n_targets; i++) {
    const Target *t = target_find(opt.targets[i]);
    if (!t) return printf("check_threads: FAIL: vitc has no target '%s'\n", opt.targets[i]), 1;
    if (tu_target_selected(t)) opt.targets[kept++] = opt.targets[i];
  }
  opt.n_targets = kept;
  if (tu_selected_isa()) opt.tsan = false;
  int nt;
  char **tl = split_list(threads, &nt);
  for (int i = 0; i < nt && opt.n_threads < 8; i++) {
    int n = atoi(tl[i]);
    if (n < 2 || n > 64) return fprintf(stderr, "check_threads: --threads wants counts in 2..64\n"), 2;
    opt.threads[opt.n_threads++] = n;
  }
  tu_free_list(tl);
  for (int m = 0; m < opt.n_models; m++)
    if (!tu_exists(opt.models[m])) {
      printf("check_threads: FAIL: %s is absent%s\n", opt.models[m],
             strstr(opt.models[m], "deit_tiny") ? " (model_deit_tiny_export regenerates it)" : "");
      return 1;
    }
  char *ort_missing = tu_ort_unavailable(); /* the setup installs it */
  if (ort_missing) {
    printf("check_threads: FAIL: no ONNX Runtime reference: %s\n", ort_missing);
    return 1;
  }
  int runnable = 0;
  for (int i = 0; i < opt.n_targets; i++) {
    const Target *t = target_find(opt.targets[i]);
    Platform p;
    char *why = tu_target_platform(t, &p);
    if (why && !p.no_hardware) return tu_cannot_run("check_threads", &p, why);
    runnable += why == NULL;
    if (!why && !p.emulator) opt.tsan_target = t->name;
    free(why);
  }
  if (!runnable) {
    printf("check_threads: SKIPPED: this CPU runs none of the targets %s\n", targets);
    return TU_SKIP;
  }
  const TTest *const tests[] = {
      test_threads,
  };
  return tu_run_suite(tu_suite_of("threads", "threads", 3600, tests, sizeof tests / sizeof tests[0]));
}
