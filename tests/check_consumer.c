/* tests/check_consumer.c: vitc as an installed CMake package, used by a project.
 *
 *   check_consumer --native        natively built consumer, TARGET native
 *   check_consumer --cross aarch64 consumer cross built for AArch64, TARGET neon, run under qemu
 *
 * Both install this build tree into a fresh prefix (`cmake --install BUILD --prefix
 * P`), configure and build tests/consumer (find_package(vitc), vitc_add_model(),
 * a program `classify IN.bin OUT.bin`) against P, run the program on an input that
 * tests/ort/ort_run.js generated from seed 1, and compare its output with ONNX
 * Runtime's on the same input (tests/ort/compare.js: 1e-4 * max(1, max|ref|)).
 *
 * --native also checks that `vitc compile --target native` says what it picked and
 * records that name (not "native") in the bundle, that CMake's TARGET native picks
 * the same, that TARGET native works on CPUs with AVX2 only and with neither (vitc
 * run under qemu-x86_64 -cpu EPYC-Milan and -cpu qemu64), that a model's external data file is a dependency of the generated
 * code (touching it reruns vitc; an unchanged rebuild does not), and that a
 * missing MODEL, an unknown TARGET and a target for another CPU stop the configure
 * step with a message naming the problem; and, with WEIGHTS FILE, that the
 * weights are an output of the build at the path the library's VITC_WEIGHTS_FILE
 * gives, and that classify (which maps that file) and the harness (--weights)
 * compute ONNX Runtime's output from it.
 *
 * --cross uses the toolchain file installed in P/share/vitc/toolchains, with P
 * given as CMAKE_PREFIX_PATH under CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY, and
 * checks that P given as vitc_DIR is found too, and that TARGET native is refused
 * when cross compiling. It fails when this machine cannot build and run AArch64
 * programs (the setup installs gcc-aarch64-linux-gnu, its libc and qemu-user).
 *
 * Work folder: BUILD/tests/consumer/<mode>/ (kept for inspection, cleared at start). */
#define _GNU_SOURCE
#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "check_runner.h"
#include "emit/target.h"
#include "testutil.h"

#define TIMEOUT 600
#define MODEL VITC_SOURCE_DIR "/models/vit_tiny32.onnx"
#define EXTDATA_MODEL VITC_SOURCE_DIR "/models/vit_tiny32_extdata.onnx"
#define EXTDATA_WEIGHTS VITC_SOURCE_DIR "/models/vit_tiny32_extdata.weights"

static struct {
  bool cross;
  Platform arm;  /* --cross: the aarch64 platform (emulator, sysroot) */
  char *work;    /* BUILD/tests/consumer/<mode> */
  char *prefix;  /* where vitc is installed */
  char *ref_dir; /* input0.bin and ort_output0.bin of MODEL */
} g;

/* Runs argv; fails the test unless it exits 0. Returns the result (caller frees). */
static RunResult run_ok(char **argv, const char *what) {
  RunResult r;
  char *cmd = tu_argv_str(argv);
  ck_assert_msg(tu_run(argv, TIMEOUT, &r) == 0, "%s: cannot start: %s", what, cmd);
  if (!r.exited || r.status != 0) {
    char *how = tu_run_describe(&r);
    char *line = tu_line_with(r.err && *r.err ? r.err : r.out, "rror", 400);
    ck_abort_msg("%s failed (%s): %s\n  command: %s", what, how, line, cmd);
  }
  free(cmd);
  return r;
}

/* Runs argv, which must fail, and returns its stdout and stderr joined, with every run
 * of white space made one space (CMake wraps its messages at any space). */
static char *run_fails(char **argv, const char *what) {
  RunResult r;
  char *cmd = tu_argv_str(argv);
  ck_assert_msg(tu_run(argv, TIMEOUT, &r) == 0, "%s: cannot start: %s", what, cmd);
  ck_assert_msg(r.exited && r.status != 0, "%s succeeded but must fail: %s", what, cmd);
  char *all = tu_printf("%s\n%s", r.out ? r.out : "", r.err ? r.err : "");
  char *w = all;
  for (const char *p = all; *p; p++) {
    bool space = *p == ' ' || *p == '\n' || *p == '\t';
    if (space && w > all && w[-1] == ' ') continue;
    *w++ = space ? ' ' : *p;
  }
  *w = 0;
  tu_run_free(&r);
  free(cmd);
  return all;
}

/* cmake -S tests/consumer -B build with the arguments given (NULL-terminated). */
static char **configure_argv(const char *build, ...) {
  static char *argv[32];
  int n = 0;
  argv[n++] = VITC_CMAKE_COMMAND;
  argv[n++] = "-S";
  argv[n++] = VITC_SOURCE_DIR "/tests/consumer";
  argv[n++] = "-B";
  argv[n++] = (char *)build;
  argv[n++] = "-DCMAKE_BUILD_TYPE=Release";
  va_list ap;
  va_start(ap, build);
  for (char *a; (a = va_arg(ap, char *)) && n < 31;) argv[n++] = a;
  va_end(ap);
  argv[n] = NULL;
  return argv;
}

static RunResult build(const char *dir) {
  char *argv[] = {VITC_CMAKE_COMMAND, "--build", (char *)dir, NULL};
  return run_ok(argv, "building the consumer");
}

/* Runs the consumer's program (under the emulator when cross) on input and compares its
 * output with ref: dir/classify IN OUT, or with harness the MAIN harness,
 * dir/classifier_main --in IN --out OUT. */
static void run_program(const char *dir, bool harness, const char *input, const char *ref, const char *label,
                        const char *weights) {
  char *prog = tu_printf("%s/%s", dir, harness ? "classifier_main" : "classify");
  char *out = tu_printf("%s/%s.bin", dir, harness ? "harness_output0" : "output0");
  char *argv[14];
  int n = g.cross ? tu_platform_argv(&g.arm, argv, prog) : (argv[0] = prog, 1);
  if (harness && weights) argv[n++] = "--weights", argv[n++] = (char *)weights;
  if (harness) argv[n++] = "--in";
  argv[n++] = (char *)input;
  if (harness) argv[n++] = "--out";
  argv[n++] = out;
  argv[n] = NULL;
  RunResult r = run_ok(argv, harness ? "running the consumer's classifier_main" : "running the consumer's classify");
  tu_run_free(&r);
  char *cmp[] = {"node", VITC_SOURCE_DIR "/tests/ort/compare.js", out, (char *)ref, NULL};
  RunResult c;
  ck_assert(tu_run(cmp, TIMEOUT, &c) == 0);
  char *line = tu_first_line(c.out, 200);
  printf("  %s, %s %s: %s vs ONNX Runtime: %s\n", label, harness ? "classifier_main" : "classify",
         g.cross ? tu_platform_how(&g.arm) : "natively", dir, line);
  ck_assert_msg(c.exited && c.status == 0, "%s: output differs from ONNX Runtime's: %s %s", label, line,
                c.err ? c.err : "");
  free(line);
  tu_run_free(&c);
  free(prog);
  free(out);
}

static void run_and_compare(const char *dir, const char *input, const char *ref, const char *label) {
  run_program(dir, false, input, ref, label, NULL);
  run_program(dir, true, input, ref, label, NULL);
}

/* The bundle vitc_add_model generated keeps the generated-code contract (docs/validate.md). */
static void assert_validates(const char *bundle, const char *target) {
  char *report;
  const Target *t = target_find(target);
  ck_assert_msg(t, "no target %s", target);
  int bad = tu_validate_bundle(VITC_BINARY_DIR "/vitc", t, NULL, bundle, &report);
  ck_assert_msg(bad == 0, "%d file(s) of %s do not validate: %s", bad, bundle, report);
  printf("  %s: vitc validate --target %s: clean\n", bundle, target);
}

/* The target named in a bundle's banner ("... for target 'avx2'."). */
static char *banner_target(const char *c_file) {
  char *text = tu_read_file(c_file, NULL);
  ck_assert_msg(text, "%s was not written", c_file);
  char *p = strstr(text, "for target '");
  ck_assert_msg(p, "%s has no target in its banner", c_file);
  p += strlen("for target '");
  char *name = strndup(p, strcspn(p, "'"));
  free(text);
  return name;
}

/* vitc_add_model(... VERIFY) made the test classifier_verify: ctest runs `vitc verify`
 * with the installed vitc (its vitc_ort.js in PREFIX/share/vitc), and it passes. */
static void run_verify_test(const char *dir, const char *label) {
  char *argv[] = {VITC_CTEST_COMMAND, "--test-dir", (char *)dir, "-R", "classifier_verify", "--output-on-failure", NULL};
  RunResult r = run_ok(argv, "ctest classifier_verify (vitc_add_model VERIFY)");
  ck_assert_msg(strstr(r.out, "classifier_verify") && strstr(r.out, "100% tests passed"), "%s: %s", label, r.out);
  printf("  %s: ctest classifier_verify (vitc_add_model VERIFY): passed\n", label);
  tu_run_free(&r);
}

/* ---------------- native ---------------- */

START_TEST(test_native_flag) {
  char why[400];
  const Target *t = target_native(why, sizeof why);
  char *dir = tu_printf("%s/native_flag", g.work);
  char *argv[] = {VITC_BINARY_DIR "/vitc", "compile", MODEL, "-o", dir, "--target", "native", NULL};
  RunResult r = run_ok(argv, "vitc compile --target native");
  char *want = tu_printf("vitc: --target native: picked %s (", t->name);
  ck_assert_msg(r.out && strstr(r.out, want), "vitc did not say '%s...': %s", want, r.out);
  printf("  %s", tu_line_with(r.out, "picked", 300));
  printf("\n");
  char *c_file = tu_printf("%s/vit_tiny32.c", dir);
  char *recorded = banner_target(c_file);
  ck_assert_str_eq(recorded, t->name);
  char *text = tu_read_file(c_file, NULL);
  char *cmd = tu_printf("Command: vitc compile vit_tiny32.onnx --target %s ", t->name);
  ck_assert_msg(strstr(text, cmd), "the banner does not record the picked target: want '%s'", cmd);
  tu_run_free(&r);
}
END_TEST

START_TEST(test_native_consumer) {
  char why[400];
  const Target *t = target_native(why, sizeof why);
  char *dir = tu_printf("%s/build", g.work);
  char *vitc_dir = tu_printf("-Dvitc_DIR=%s/lib/cmake/vitc", g.prefix);
  RunResult r = run_ok(configure_argv(dir, vitc_dir, "-DCONSUMER_MODEL=" MODEL, "-DCONSUMER_TARGET=native",
                                      "-DCONSUMER_VERIFY=ON", NULL),
                       "configuring the consumer (TARGET native)");
  char *want = tu_printf("vitc: classifier: TARGET native: picked %s (", t->name);
  ck_assert_msg(strstr(r.out, want), "configure did not say '%s...'", want);
  tu_run_free(&r);
  r = build(dir);
  tu_run_free(&r);
  char *c_file = tu_printf("%s/classifier/net.c", dir);
  char *recorded = banner_target(c_file);
  ck_assert_msg(strcmp(recorded, t->name) == 0, "TARGET native built for %s, vitc picks %s here", recorded, t->name);
  assert_validates(tu_printf("%s/classifier", dir), t->name);
  char *input = tu_printf("%s/input0.bin", g.ref_dir), *ref = tu_printf("%s/ort_output0.bin", g.ref_dir);
  run_and_compare(dir, input, ref, tu_printf("vit_tiny32 (native = %s)", t->name));
  run_verify_test(dir, tu_printf("vit_tiny32 (native = %s)", t->name));
}
END_TEST

START_TEST(test_native_weights_file) {
  char why[400];
  const Target *t = target_native(why, sizeof why);
  char *dir = tu_printf("%s/build-wfile", g.work);
  char *vitc_dir = tu_printf("-Dvitc_DIR=%s/lib/cmake/vitc", g.prefix);
  RunResult r = run_ok(configure_argv(dir, vitc_dir, "-DCONSUMER_MODEL=" MODEL, "-DCONSUMER_TARGET=native",
                                      "-DCONSUMER_WEIGHTS=FILE", NULL),
                       "configuring the consumer (WEIGHTS FILE)");
  tu_run_free(&r);
  r = build(dir);
  tu_run_free(&r);
  /* the property names the file the build wrote, next to the generated code */
  char *weights = tu_read_file(tu_printf("%s/weights_path.txt", dir), NULL), *want = tu_printf("%s/classifier/net.weights", dir);
  ck_assert_msg(weights && strcmp(weights, want) == 0, "VITC_WEIGHTS_FILE is '%s', want '%s'", weights ? weights : "(none)",
                want);
  ck_assert_msg(tu_exists(weights), "the build did not write %s", weights);
  char *c_file = tu_printf("%s/classifier/net.c", dir), *text = tu_read_file(c_file, NULL);
  ck_assert_msg(text && strstr(text, "--weights file") && !strstr(text, "union { unsigned char b["),
                "net.c was not compiled with --weights file, or still embeds weights");
  assert_validates(tu_printf("%s/classifier", dir), t->name);
  char *input = tu_printf("%s/input0.bin", g.ref_dir), *ref = tu_printf("%s/ort_output0.bin", g.ref_dir);
  char *label = tu_printf("vit_tiny32 (native = %s, WEIGHTS FILE)", t->name);
  run_program(dir, false, input, ref, label, NULL); /* classify maps the file at its compiled-in path */
  run_program(dir, true, input, ref, label, weights);

  /* the weights file is an output: deleting it makes the build write it again */
  ck_assert(unlink(weights) == 0);
  r = build(dir);
  ck_assert_msg(strstr(r.out, "vitc: compiling") && tu_exists(weights), "deleting net.weights did not rerun vitc: %s", r.out);
  tu_run_free(&r);
  printf("  WEIGHTS FILE: net.weights is a build output at VITC_WEIGHTS_FILE; deleting it reruns vitc\n");
}
END_TEST

/* TARGET native as machines with other CPUs see it: vitc runs under qemu-x86_64 with a
 * CPU model that has AVX2 but no AVX-512 (EPYC-Milan, a Zen 3) or neither (qemu64),
 * through a wrapper given as VITC_EXECUTABLE. Both `vitc targets` (target_native's
 * CPU probe and its message, which has semicolons) and vitc_add_model's parsing of it
 * are exercised; the bundle is built and run here, where the picked ISA runs. */
START_TEST(test_native_on_other_cpus) {
#if defined(__x86_64__)
  static const struct {
    const char *cpu, *want;
  } cpus[] = {{"EPYC-Milan", "avx2"}, {"qemu64", "scalar"}};
  char *input = tu_printf("%s/input0.bin", g.ref_dir), *ref = tu_printf("%s/ort_output0.bin", g.ref_dir);
  for (size_t i = 0; i < sizeof cpus / sizeof cpus[0]; i++) {
    char *wrapper = tu_printf("%s/vitc-%s", g.work, cpus[i].cpu);
    char *script = tu_printf("#!/bin/sh\nexec qemu-x86_64 -cpu %s %s/bin/vitc \"$@\"\n", cpus[i].cpu, g.prefix);
    ck_assert(tu_write_file(wrapper, script, strlen(script)) == 0);
    ck_assert(chmod(wrapper, 0755) == 0);
    char *dir = tu_printf("%s/build-%s", g.work, cpus[i].cpu);
    char *vitc_dir = tu_printf("-Dvitc_DIR=%s/lib/cmake/vitc", g.prefix), *exe = tu_printf("-DVITC_EXECUTABLE=%s", wrapper);
    RunResult r = run_ok(configure_argv(dir, vitc_dir, exe, "-DCONSUMER_MODEL=" MODEL, "-DCONSUMER_TARGET=native", NULL),
                         "configuring the consumer (TARGET native, another CPU)");
    char *want = tu_printf("vitc: classifier: TARGET native: picked %s (", cpus[i].want);
    ck_assert_msg(strstr(r.out, want), "on a %s, configure did not say '%s...':\n%s", cpus[i].cpu, want, r.out);
    printf("  %s: %s", cpus[i].cpu, tu_line_with(r.out, "picked", 300));
    printf("\n");
    tu_run_free(&r);
    r = build(dir);
    tu_run_free(&r);
    char *recorded = banner_target(tu_printf("%s/classifier/net.c", dir));
    ck_assert_str_eq(recorded, cpus[i].want);
    run_and_compare(dir, input, ref, tu_printf("vit_tiny32 (native on a %s = %s)", cpus[i].cpu, cpus[i].want));
  }
#else
  printf("  TARGET native on other x86 CPUs: not an x86-64 host (qemu-x86_64 would run no host binary)\n");
#endif
}
END_TEST

/* Sets a file's modification time a minute ahead: newer than anything built from it,
 * whatever the file system's time resolution. */
static void touch_ahead(const char *path) {
  struct timeval now, tv[2];
  gettimeofday(&now, NULL);
  tv[0] = tv[1] = (struct timeval){now.tv_sec + 60, 0};
  ck_assert_msg(utimes(path, tv) == 0, "cannot touch %s", path);
}

START_TEST(test_external_data) {
  /* A copy, so touching the weights changes nothing in the source tree. */
  char *mdir = tu_printf("%s/extdata_model", g.work);
  tu_mkdir_p(mdir);
  char *model = tu_printf("%s/vit_tiny32_extdata.onnx", mdir), *weights = tu_printf("%s/vit_tiny32_extdata.weights", mdir);
  size_t n;
  void *bytes = tu_read_file(EXTDATA_MODEL, &n);
  ck_assert(bytes && tu_write_file(model, bytes, n) == 0);
  free(bytes);
  bytes = tu_read_file(EXTDATA_WEIGHTS, &n);
  ck_assert(bytes && tu_write_file(weights, bytes, n) == 0);
  free(bytes);
  char *ref_dir = tu_printf("%s/extdata_ref", g.work);
  char *ort[] = {"node", VITC_SOURCE_DIR "/tests/ort/ort_run.js", model, "--gen-inputs", ref_dir, "--seed", "1",
                 "--out-dir", ref_dir, NULL};
  RunResult r = run_ok(ort, "ONNX Runtime on vit_tiny32_extdata");
  tu_run_free(&r);

  char *dir = tu_printf("%s/extdata_build", g.work);
  char *vitc_dir = tu_printf("-Dvitc_DIR=%s/lib/cmake/vitc", g.prefix), *mdef = tu_printf("-DCONSUMER_MODEL=%s", model);
  r = run_ok(configure_argv(dir, vitc_dir, mdef, "-DCONSUMER_TARGET=scalar", NULL), "configuring (external data)");
  tu_run_free(&r);
  r = build(dir);
  ck_assert_msg(strstr(r.out, "vitc: compiling"), "the first build did not run vitc: %s", r.out);
  tu_run_free(&r);
  run_and_compare(dir, tu_printf("%s/input0.bin", ref_dir), tu_printf("%s/ort_output0.bin", ref_dir),
                  "vit_tiny32_extdata (scalar)");
  r = build(dir);
  ck_assert_msg(!strstr(r.out, "vitc: compiling"), "a rebuild with nothing changed ran vitc again");
  tu_run_free(&r);
  touch_ahead(weights);
  r = build(dir);
  ck_assert_msg(strstr(r.out, "vitc: compiling"), "touching the external data file did not rerun vitc: %s", r.out);
  tu_run_free(&r);
  printf("  external data: an unchanged rebuild skips vitc, touching %s reruns it\n", "vit_tiny32_extdata.weights");
}
END_TEST

START_TEST(test_configure_errors) {
  char *vitc_dir = tu_printf("-Dvitc_DIR=%s/lib/cmake/vitc", g.prefix);
  struct {
    const char *model, *target, *want;
  } cases[] = {
      {"-DCONSUMER_MODEL=" VITC_SOURCE_DIR "/models/no_such_model.onnx", "-DCONSUMER_TARGET=scalar",
       "no_such_model.onnx is not a file"},
      {"-DCONSUMER_MODEL=", "-DCONSUMER_TARGET=scalar", "no MODEL given"},
      {"-DCONSUMER_MODEL=" MODEL, "-DCONSUMER_TARGET=bogus", "unknown TARGET 'bogus' (known: scalar, avx2"},
#if defined(__x86_64__) || defined(__i386__)
      {"-DCONSUMER_MODEL=" MODEL, "-DCONSUMER_TARGET=neon", "TARGET neon does not run on"},
#endif
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char *dir = tu_printf("%s/error%zu", g.work, i);
    char *out = run_fails(configure_argv(dir, vitc_dir, cases[i].model, cases[i].target, NULL), cases[i].target);
    ck_assert_msg(strstr(out, cases[i].want), "configure with %s %s failed without saying '%s':\n%s", cases[i].model,
                  cases[i].target, cases[i].want, out);
    printf("  %s %s: configure fails: ...%s...\n", cases[i].model, cases[i].target, cases[i].want);
    free(out);
  }
}
END_TEST

/* ---------------- cross ---------------- */

START_TEST(test_cross_consumer) {
  char *toolchain = tu_printf("-DCMAKE_TOOLCHAIN_FILE=%s/share/vitc/toolchains/aarch64-linux-gnu-gcc.cmake", g.prefix);
  char *dir = tu_printf("%s/build", g.work);
  char *prefix_path = tu_printf("-DCMAKE_PREFIX_PATH=%s", g.prefix);
  RunResult r = run_ok(configure_argv(dir, toolchain, prefix_path, "-DCONSUMER_MODEL=" MODEL, "-DCONSUMER_TARGET=neon",
                                      "-DCONSUMER_VERIFY=ON", NULL),
                       "configuring the consumer for aarch64 (CMAKE_PREFIX_PATH)");
  tu_run_free(&r);
  r = build(dir);
  tu_run_free(&r);
  char *recorded = banner_target(tu_printf("%s/classifier/net.c", dir));
  ck_assert_str_eq(recorded, "neon");
  assert_validates(tu_printf("%s/classifier", dir), "neon");
  run_and_compare(dir, tu_printf("%s/input0.bin", g.ref_dir), tu_printf("%s/ort_output0.bin", g.ref_dir),
                  "vit_tiny32 (neon, cross built)");
  run_verify_test(dir, "vit_tiny32 (neon, cross built, under the toolchain's emulator)");

  /* vitc_DIR finds the package too; the error then comes from vitc_add_model. */
  char *dir2 = tu_printf("%s/build_native_refused", g.work);
  char *vitc_dir = tu_printf("-Dvitc_DIR=%s/lib/cmake/vitc", g.prefix);
  char *out = run_fails(configure_argv(dir2, toolchain, vitc_dir, "-DCONSUMER_MODEL=" MODEL,
                                       "-DCONSUMER_TARGET=native", NULL),
                        "TARGET native when cross compiling");
  ck_assert_msg(strstr(out, "TARGET native means the machine running the build"),
                "cross configure with TARGET native failed for another reason:\n%s", out);
  printf("  cross, vitc_DIR: package found; TARGET native refused\n");
  free(out);
}
END_TEST

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  if (argc == 2 && strcmp(argv[1], "--native") == 0) g.cross = false;
  else if (argc == 3 && strcmp(argv[1], "--cross") == 0 && strcmp(argv[2], "aarch64") == 0) g.cross = true;
  else {
    fprintf(stderr, "usage: check_consumer --native | --cross aarch64\n");
    return 2;
  }
  char *why = tu_ort_unavailable(); /* the setup installs it */
  if (why) {
    printf("check_consumer: FAIL: no ONNX Runtime reference: %s\n", why);
    return 1;
  }
  if (g.cross && (why = tu_target_platform_named(target_find("neon"), "aarch64", &g.arm)))
    return tu_cannot_run("check_consumer (cannot build and run AArch64 programs)", &g.arm, why);
  g.work = tu_printf("%s/tests/consumer/%s", VITC_BINARY_DIR, g.cross ? "aarch64" : "native");
  g.prefix = tu_printf("%s/prefix", g.work);
  g.ref_dir = tu_printf("%s/ref", g.work);
  tu_rm_rf(g.work);
  tu_mkdir_p(g.work);

  /* What every test needs: vitc installed, and ONNX Runtime's output on one input. */
  char *install[] = {VITC_CMAKE_COMMAND, "--install", VITC_BINARY_DIR, "--prefix", g.prefix, NULL};
  char *ort[] = {"node", VITC_SOURCE_DIR "/tests/ort/ort_run.js", MODEL, "--gen-inputs", g.ref_dir, "--seed", "1",
                 "--out-dir", g.ref_dir, NULL};
  char **setup[] = {install, ort};
  for (int i = 0; i < 2; i++) {
    RunResult r;
    char *cmd = tu_argv_str(setup[i]);
    if (tu_run(setup[i], TIMEOUT, &r) != 0 || !r.exited || r.status != 0) {
      printf("check_consumer: FAIL: %s: %s\n", cmd, r.err ? r.err : "");
      return 1;
    }
    tu_run_free(&r);
    free(cmd);
  }
  printf("check_consumer: vitc installed in %s\n", g.prefix);

  Suite *s = suite_create("consumer");
  TCase *tc = tcase_create(g.cross ? "cross" : "native");
  tcase_set_timeout(tc, 1200);
  if (g.cross) tcase_add_test(tc, test_cross_consumer);
  else {
    tcase_add_test(tc, test_native_flag);
    tcase_add_test(tc, test_native_consumer);
    tcase_add_test(tc, test_native_weights_file);
    tcase_add_test(tc, test_native_on_other_cpus);
    tcase_add_test(tc, test_external_data);
    tcase_add_test(tc, test_configure_errors);
  }
  suite_add_tcase(s, tc);
  return tu_run_suite(s);
}
