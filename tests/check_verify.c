/* tests/check_verify.c: traced bundles, `vitc verify` and `vitc analyze --entropy`
 * (docs/verify.md), as a user runs them.
 *
 *   check_verify --part trace
 *     a traced bundle (vitc compile --trace) computes the bytes the plain bundle
 *     computes, on scalar and on the best target this CPU runs; its --dump writes an
 *     index whose node lines are the bundle's nodes and whose tensor files have their
 *     shapes' sizes, and the dumped graph output equals the output; --profile prints
 *     one row per node, per-op totals, the total and whole-run medians (CPU clock); every file validates; --trace with --threads is
 *     one error line;
 *   check_verify --part verify --target T   (avx2, avx512: exit 77 if this CPU lacks it;
 *     neon under qemu-aarch64 on x86, where a missing tool is a failure)
 *     vit_tiny32 and mobilevit_tiny pass; --expect with ONNX Runtime's outputs of the
 *     model itself passes and with those of another model (same output shape) exits 1;
 *     a --rtol below the kernels' error exits 1; --per-node through a --runner that
 *     overwrites one dumped tensor names exactly that tensor's ONNX node as the first
 *     divergent node (and, with the same runner planting nothing, passes); on scalar,
 *     --per-node of a model with external data;
 *   check_verify --part deit --target T   DeiT-Tiny passes, with --per-node;
 *   check_verify --part analyze
 *     nose_zero_vit32 (attention multiplied by zero in blocks 1 and 3 of 6) ranks
 *     exactly blocks 1 and 3 first, both when the compiler folds the zero away and
 *     with --strict-nan, where the zero is measured; nose_vit32 (blocks 0 and 2 at
 *     lambda 0, block 1 shrunk) ranks 0, 1, 2 first; mabvit32's parallel blocks are
 *     measured (two blocks ranked); --calibrate reads a file of inputs back to back
 *     and a folder of input files, and refuses a file of no whole number of inputs;
 *   check_verify --part setup
 *     usage errors exit 2; an --input of the wrong size exits 2; without
 *     onnxruntime-node, exit 2 with a line saying how to install it.
 *
 * Work folder: BUILD/tests/verify-PART[-T]/. */
#define _GNU_SOURCE
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "check_runner.h"
#include "emit/target.h"
#include "testutil.h"

#define VITC VITC_BINARY_DIR "/vitc"
#define TIMEOUT 900

static char *work;
static const char *target = "scalar";

static char *model_path(const char *m) { return tu_printf("%s/models/%s.onnx", VITC_SOURCE_DIR, m); }

/* Runs argv, returns its exit status (-1: did not exit); r kept for the caller. */
static int run(char *const argv[], RunResult *r) {
  ck_assert_msg(tu_run(argv, TIMEOUT, r) == 0, "cannot start %s", argv[0]);
  return r->exited ? r->status : -1;
}

static void expect_status(char *const argv[], int want, RunResult *r) {
  int got = run(argv, r);
  if (got != want) {
    char *cmd = tu_argv_str(argv);
    ck_abort_msg("%s: exit status %d, expected %d\n  stdout: %.3000s\n  stderr: %.3000s", cmd, got, want, r->out, r->err);
  }
}

/* A float32 input file of n values in [-1, 1). */
static char *write_input(const char *name, size_t n, unsigned seed) {
  float *v = malloc(n * sizeof(float));
  uint32_t s = seed * 2654435761u + 1;
  for (size_t i = 0; i < n; i++) {
    s = s * 1664525u + 1013904223u;
    v[i] = (float)((s >> 8) / 8388608.0 - 1.0);
  }
  char *p = tu_printf("%s/%s", work, name);
  ck_assert_int_eq(tu_write_file(p, v, n * sizeof(float)), 0);
  free(v);
  return p;
}

/* ONNX Runtime's output of model m on input in (tests/ort/ort_run.js). */
static char *ort_output(const char *m, const char *in, const char *name) {
  char *script = tu_printf("%s/tests/ort/ort_run.js", VITC_SOURCE_DIR), *mp = model_path(m);
  char *out = tu_printf("%s/%s", work, name);
  char *argv[] = {"node", script, mp, "--in", (char *)in, "--out", out, NULL};
  RunResult r;
  expect_status(argv, 0, &r);
  tu_run_free(&r);
  free(script), free(mp);
  return out;
}

/* ---------------- --part trace ---------------- */

static char *build(const char *dir, const char *m, const char *t, bool trace) {
  char *out = tu_printf("%s/%s", work, dir), *mp = model_path(m);
  char *argv[] = {VITC, "compile", mp, "-o", out, "--target", (char *)t, "--name", "m", "--main", "-q",
                  trace ? "--trace" : NULL, NULL};
  RunResult r;
  expect_status(argv, 0, &r);
  tu_run_free(&r);
  Platform p;
  const Target *tg = target_find(t);
  char *why = tu_target_platform(tg, &p);
  ck_assert_msg(!why, "%s: %s", t, why);
  char *prog = tu_printf("%s/prog", out);
  ck_assert_int_eq(tu_build_bundle(&p, tg->cflags, out, prog, TIMEOUT, &r), 0);
  ck_assert_msg(r.exited && r.status == 0 && !strstr(r.err, "warning"), "build of %s (%s) failed: %.3000s", dir, t, r.err);
  tu_run_free(&r);
  char *report = NULL;
  ck_assert_msg(tu_validate_bundle(VITC, tg, &p, out, &report) == 0, "%s does not validate: %s", dir, report);
  free(mp);
  return out;
}

static void check_traced(const char *m, const char *t) {
  char *plain = build(tu_printf("plain-%s-%s", m, t), m, t, false);
  char *traced = build(tu_printf("traced-%s-%s", m, t), m, t, true);
  size_t numel = strcmp(m, "mobilevit_tiny") == 0 ? 3 * 64 * 64 : 3 * 32 * 32;
  char *in = write_input(tu_printf("in-%s.bin", m), numel, 7);
  char *o1 = tu_printf("%s/out.bin", plain), *o2 = tu_printf("%s/out.bin", traced), *dump = tu_printf("%s/dump", traced);
  tu_mkdir_p(dump);
  char *p1 = tu_printf("%s/prog", plain), *p2 = tu_printf("%s/prog", traced);
  RunResult r;
  char *a1[] = {p1, "--in", in, "--out", o1, NULL};
  expect_status(a1, 0, &r);
  tu_run_free(&r);
  char *a2[] = {p2, "--in", in, "--out", o2, "--dump", dump, NULL};
  expect_status(a2, 0, &r);
  tu_run_free(&r);
  size_t l1, l2;
  char *b1 = tu_read_file(o1, &l1), *b2 = tu_read_file(o2, &l2);
  ck_assert_msg(b1 && b2 && l1 == l2 && memcmp(b1, b2, l1) == 0, "%s %s: traced output differs from the plain bundle's", m, t);
  /* the index: one node line per node of the table, tensor files of their sizes */
  char *ipath = tu_printf("%s/index.tsv", dump);
  char *index = tu_read_file(ipath, NULL);
  ck_assert_msg(index, "no %s", ipath);
  char *hdr = tu_read_file(tu_printf("%s/m.h", traced), NULL);
  char *def = strstr(hdr, "#define M_TRACE_NODES ");
  ck_assert_msg(def, "no M_TRACE_NODES in m.h");
  int nodes = atoi(def + strlen("#define M_TRACE_NODES "));
  int node_lines = 0, tensor_lines = 0;
  bool output_seen = false;
  for (char *save = NULL, *line = strtok_r(index, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
    if (strncmp(line, "node\t", 5) == 0) node_lines++;
    if (strncmp(line, "tensor\t", 7) != 0) continue;
    tensor_lines++;
    char *f[8];
    int k = 0;
    f[k++] = line;
    for (char *p = line; *p && k < 8; p++)
      if (*p == '\t') *p = 0, f[k++] = p + 1;
    ck_assert_int_eq(k, 7);
    size_t numel_t = 1;
    for (char *p = f[5]; *p;) {
      numel_t *= strtoull(p, &p, 10);
      if (*p == 'x') p++;
    }
    size_t len;
    char *fp = tu_printf("%s/%s", dump, f[6]);
    char *data = tu_read_file(fp, &len);
    ck_assert_msg(data && len == numel_t * 4, "%s: %zu bytes for %s shape %s", fp, len, f[3], f[5]);
    if (strcmp(f[3], "logits") == 0) {
      output_seen = true;
      ck_assert_msg(len == l1 && memcmp(data, b1, len) == 0, "%s: the dumped output differs from the output", m);
    }
    free(data), free(fp);
  }
  ck_assert_int_eq(node_lines, nodes);
  ck_assert_msg(tensor_lines > nodes / 2, "%s: only %d dumped tensors for %d nodes", m, tensor_lines, nodes);
  ck_assert_msg(output_seen, "%s: the graph output 'logits' is not in the dump", m);
  /* --profile: a row per node, per-op totals, the total */
  char *a3[] = {p2, "--in", in, "--out", o2, "--profile", "--profile-clock", "cpu", "--bench", "5", NULL};
  expect_status(a3, 0, &r);
  ck_assert_msg(strstr(r.out, "median_ms ") && strstr(r.out, "profile_total_ms ") && strstr(r.out, "per op:") &&
                    strstr(r.out, "plain_run_median_ms ") && strstr(r.out, "traced_run_median_ms "),
                "--profile output: %.2000s", r.out);
  int rows = 0;
  for (char *p = strstr(r.out, "name [covers]"); p && (p = strchr(p, '\n')) && strncmp(p + 1, "per op:", 7) != 0; p++) rows++;
  ck_assert_msg(rows == nodes, "--profile printed %d node rows for %d nodes", rows, nodes);
  tu_run_free(&r);
}

START_TEST(test_traced_bundles) {
  check_traced("vit_tiny32", "scalar");
  check_traced("mobilevit_tiny", "scalar");
  char why[400];
  const Target *best = target_native(why, sizeof why);
  if (strcmp(best->name, "scalar") != 0) check_traced("vit_tiny32", best->name);
}
END_TEST

START_TEST(test_trace_with_threads_is_an_error) {
  char *mp = model_path("vit_tiny32"), *out = tu_printf("%s/threads", work);
  char *argv[] = {VITC, "compile", mp, "-o", out, "--trace", "--threads", "2", NULL};
  RunResult r;
  run(argv, &r);
  char *bad = tu_check_one_error_line(&r);
  ck_assert_msg(!bad, "%s", bad);
  ck_assert_msg(!tu_exists(out) || !tu_exists(tu_printf("%s/vit_tiny32.c", out)), "a bundle was written");
}
END_TEST

/* ---------------- --part verify ---------------- */

static void verify_ok(const char *m) {
  char *mp = model_path(m);
  char *argv[] = {VITC, "verify", mp, "--target", (char *)target, "--random", "2", "--seed", "3", NULL};
  RunResult r;
  expect_status(argv, 0, &r);
  ck_assert_msg(strstr(r.out, "PASS") && strstr(r.out, "max_ulp") && strstr(r.out, "cosine") && strstr(r.out, "rel_l2"),
                "%s", r.out);
  ck_assert_msg(!strstr(r.out, "FAIL"), "%s", r.out);
  printf("%s", r.out);
  tu_run_free(&r);
}

START_TEST(test_verify_passes) {
  verify_ok("vit_tiny32");
  verify_ok("mobilevit_tiny");
}
END_TEST

START_TEST(test_verify_expect) {
  char *in = write_input("in.bin", 3 * 32 * 32, 11);
  char *own = ort_output("vit_tiny32", in, "ref_own.bin"), *other = ort_output("nose_vit32", in, "ref_other.bin");
  char *mp = model_path("vit_tiny32"), *arg = tu_printf("input=%s", in);
  RunResult r;
  char *ok[] = {VITC, "verify", mp, "--target", (char *)target, "--input", arg, "--expect", own, NULL};
  expect_status(ok, 0, &r);
  tu_run_free(&r);
  char *bad[] = {VITC, "verify", mp, "--target", (char *)target, "--input", arg, "--expect", other, NULL};
  expect_status(bad, 1, &r);
  ck_assert_msg(strstr(r.out, "FAIL"), "%s", r.out);
  tu_run_free(&r);
}
END_TEST

START_TEST(test_verify_rtol_below_the_error) {
  char *mp = model_path("mobilevit_tiny");
  char *argv[] = {VITC, "verify", mp, "--target", (char *)target, "--rtol", "1e-12", NULL};
  RunResult r;
  expect_status(argv, 1, &r);
  ck_assert_msg(strstr(r.out, "FAIL") && strstr(r.out, "vitc verify: FAIL"), "%s", r.out);
  tu_run_free(&r);
}
END_TEST

/* --runner: runs the program, then with --dump overwrites the first value of the
 * $PLANT_LINE-th dumped tensor with 1000 and writes its node's ONNX name to $PLANT_LOG. */
static const char *plant_sh =
    "#!/bin/sh\n"
    "\"$@\" || exit $?\n"
    "dir=\n"
    "prev=\n"
    "for a in \"$@\"; do [ \"$prev\" = --dump ] && dir=$a; prev=$a; done\n"
    "[ -n \"$dir\" ] && [ -n \"$PLANT_LINE\" ] || exit 0\n"
    "line=$(grep '^tensor' \"$dir/index.tsv\" | sed -n \"${PLANT_LINE}p\")\n"
    "node=$(printf '%s\\n' \"$line\" | cut -f2)\n"
    "file=$(printf '%s\\n' \"$line\" | cut -f7)\n"
    "printf '\\000\\000\\172\\104' | dd of=\"$dir/$file\" bs=1 conv=notrunc 2>/dev/null\n"
    "grep \"^node\t$node\t\" \"$dir/index.tsv\" | cut -f5 > \"$PLANT_LOG\"\n";

static void per_node_planted(const char *m, int line) {
  char *sh = tu_printf("%s/plant.sh", work), *log = tu_printf("%s/planted-%s-%d.txt", work, m, line);
  ck_assert_int_eq(tu_write_file(sh, plant_sh, strlen(plant_sh)), 0);
  char *runner = strcmp(target, "neon") == 0 ? tu_printf("sh %s qemu-aarch64 -L /usr/aarch64-linux-gnu", sh) : tu_printf("sh %s", sh);
#if defined(__aarch64__)
  runner = tu_printf("sh %s", sh);
#endif
  char *mp = model_path(m);
  char *argv[] = {VITC, "verify", mp, "--target", (char *)target, "--per-node", "--runner", runner, NULL};
  RunResult r;
  /* planting nothing: every node within tolerance */
  unsetenv("PLANT_LINE");
  setenv("PLANT_LOG", log, 1);
  expect_status(argv, 0, &r);
  ck_assert_msg(strstr(r.out, "every compared node within tolerance"), "%s", r.out);
  tu_run_free(&r);
  char *ls = tu_printf("%d", line);
  setenv("PLANT_LINE", ls, 1);
  expect_status(argv, 1, &r);
  char *planted = tu_read_file(log, NULL);
  ck_assert_msg(planted && *planted && planted[0] != '\n', "the runner planted nothing (%s)", log);
  *strchr(planted, '\n') = 0;
  char *want = tu_printf("first divergent node: %s (", planted);
  ck_assert_msg(strstr(r.out, want), "planted at %s, but verify says:\n%s", planted, r.out);
  printf("%s: planted at %s: %s", m, planted, strstr(r.out, "first divergent"));
  tu_run_free(&r);
  unsetenv("PLANT_LINE");
}

/* A model with external data: ONNX Runtime, reading it from bytes with extra outputs,
 * finds the data next to it. */
START_TEST(test_per_node_external_data) {
  char *mp = model_path("vit_tiny32_extdata");
  char *argv[] = {VITC, "verify", mp, "--target", (char *)target, "--per-node", NULL};
  RunResult r;
  expect_status(argv, 0, &r);
  ck_assert_msg(strstr(r.out, "every compared node within tolerance"), "%s", r.out);
  tu_run_free(&r);
}
END_TEST

START_TEST(test_per_node_names_the_planted_node) {
  per_node_planted("vit_tiny32", 9);
  per_node_planted("mobilevit_tiny", 20);
}
END_TEST

/* ---------------- --part deit ---------------- */

START_TEST(test_deit) {
  char *mp = model_path("deit_tiny");
  char *argv[] = {VITC, "verify", mp, "--target", (char *)target, "--per-node", NULL};
  RunResult r;
  expect_status(argv, 0, &r);
  ck_assert_msg(strstr(r.out, "every compared node within tolerance") && strstr(r.out, "vitc verify: PASS"), "%s", r.out);
  printf("%s", r.out);
  tu_run_free(&r);
}
END_TEST

/* ---------------- --part analyze ---------------- */

/* The first k block indices of "degenerate first: ..." as a sorted set. */
static void ranked_first(const char *out, int k, int *got) {
  const char *p = strstr(out, "degenerate first:");
  ck_assert_msg(p, "no ranking in:\n%s", out);
  p += strlen("degenerate first:");
  for (int i = 0; i < k; i++) {
    char *end;
    got[i] = (int)strtol(p, &end, 10);
    ck_assert_msg(end != p, "ranking too short:\n%s", out);
    p = end;
  }
  for (int i = 0; i < k; i++)
    for (int j = i + 1; j < k; j++)
      if (got[j] < got[i]) {
        int t = got[i];
        got[i] = got[j];
        got[j] = t;
      }
}

static void analyze(const char *m, bool strict, int k, const int *want) {
  char *mp = model_path(m);
  char *argv[] = {VITC, "analyze", mp, "--entropy", "--random", "4", "--target", "scalar",
                  strict ? "--strict-nan" : NULL, NULL};
  RunResult r;
  expect_status(argv, 0, &r);
  printf("%s", r.out);
  int got[8];
  ranked_first(r.out, k, got);
  for (int i = 0; i < k; i++)
    ck_assert_msg(got[i] == want[i], "%s%s: the first %d ranked are not the expected blocks:\n%s", m,
                  strict ? " --strict-nan" : "", k, r.out);
  /* the ranking is the last line */
  const char *last = strstr(r.out, "degenerate first:");
  ck_assert_msg(!strchr(last, '\n') || strchr(last, '\n')[1] == 0, "the ranking is not printed last:\n%s", r.out);
  tu_run_free(&r);
}

START_TEST(test_analyze_ranks_zeroed_attention_first) {
  const int zero[] = {1, 3}, nose[] = {0, 1, 2};
  analyze("nose_zero_vit32", false, 2, zero);
  analyze("nose_zero_vit32", true, 2, zero);
  analyze("nose_vit32", false, 3, nose);
  analyze("nose_vit32", true, 3, nose);
  /* --calibrate: one file of 3 inputs back to back, a folder of 2 files, a file of
   * a size that is no whole number of inputs */
  char *calib = tu_printf("%s/calib.bin", work), *folder = tu_printf("%s/calib", work);
  tu_mkdir_p(folder);
  size_t one = 3 * 32 * 32 * sizeof(float);
  char *all = malloc(3 * one);
  for (int i = 0; i < 3; i++) {
    char *f = write_input(tu_printf("calib/in%d.bin", i), 3 * 32 * 32, 20 + (unsigned)i);
    char *d = tu_read_file(f, NULL);
    memcpy(all + i * one, d, one);
    free(d);
  }
  ck_assert_int_eq(tu_write_file(calib, all, 3 * one), 0);
  remove(tu_printf("%s/in2.bin", folder));
  char *mz = model_path("nose_zero_vit32");
  const char *paths[] = {calib, folder};
  const char *counts[] = {"3 calibration inputs", "2 calibration inputs"};
  for (int i = 0; i < 2; i++) {
    char *argv[] = {VITC, "analyze", mz, "--entropy", "--calibrate", (char *)paths[i], "--target", "scalar", NULL};
    RunResult r;
    expect_status(argv, 0, &r);
    int got[2];
    ranked_first(r.out, 2, got);
    ck_assert_msg(strstr(r.out, counts[i]) && got[0] == 1 && got[1] == 3, "--calibrate %s:\n%s", paths[i], r.out);
    tu_run_free(&r);
  }
  ck_assert_int_eq(tu_write_file(calib, all, 3 * one - 4), 0);
  char *odd[] = {VITC, "analyze", mz, "--entropy", "--calibrate", calib, NULL};
  RunResult ro;
  expect_status(odd, 2, &ro);
  ck_assert_msg(strstr(ro.err, "not a whole number"), "%s", ro.err);
  tu_run_free(&ro);
  /* parallel blocks: both found, ranked, the final layer after the last MLP */
  char *mp = model_path("mabvit32");
  char *argv[] = {VITC, "analyze", mp, "--entropy", "--random", "2", "--target", "scalar", NULL};
  RunResult r;
  expect_status(argv, 0, &r);
  int got[2];
  ranked_first(r.out, 2, got);
  ck_assert_msg(got[0] == 0 && got[1] == 1 && strstr(r.out, "final layer (/blocks/blocks.1/mlp/fc2/"), "%s", r.out);
  tu_run_free(&r);
}
END_TEST

/* ---------------- --part setup ---------------- */

START_TEST(test_usage_errors) {
  char *mp = model_path("vit_tiny32");
  char *cases[][8] = {
      {VITC, "verify", NULL},
      {VITC, "verify", mp, "--bogus", NULL},
      {VITC, "verify", mp, "--target", "nosuch", NULL},
      {VITC, "verify", mp, "--random", "0", NULL},
      {VITC, "verify", mp, "--expect", "a.bin", "--expect", "b.bin", NULL},
      {VITC, "analyze", mp, NULL},
      {VITC, "analyze", mp, "--entropy", "--calibrate", "/nonexistent/x", NULL},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    RunResult r;
    expect_status(cases[i], 2, &r);
    tu_run_free(&r);
  }
  char *small = write_input("small.bin", 10, 1), *arg = tu_printf("input=%s", small);
  char *argv[] = {VITC, "verify", mp, "--input", arg, NULL};
  RunResult r;
  expect_status(argv, 2, &r);
  ck_assert_msg(strstr(r.err, "needs 12288 bytes"), "%s", r.err);
  tu_run_free(&r);
}
END_TEST

START_TEST(test_missing_onnxruntime_says_how_to_install) {
  /* node that ignores NODE_PATH, and the script copied where no node_modules is */
  char *node = tu_printf("%s/node-without-path", work), *script = tu_printf("%s/alone/vitc_ort.js", work);
  const char *wrap = "#!/bin/sh\nNODE_PATH= exec node \"$@\"\n";
  ck_assert_int_eq(tu_write_file(node, wrap, strlen(wrap)), 0);
  chmod(node, 0755);
  tu_mkdir_p(tu_printf("%s/alone", work));
  size_t len;
  char *js = tu_read_file(VITC_BINARY_DIR "/share/vitc/vitc_ort.js", &len);
  ck_assert_msg(js, "no vitc_ort.js in the build tree");
  ck_assert_int_eq(tu_write_file(script, js, len), 0);
  setenv("VITC_NODE", node, 1);
  setenv("VITC_ORT_SCRIPT", script, 1);
  char *mp = model_path("vit_tiny32");
  char *argv[] = {VITC, "verify", mp, NULL};
  RunResult r;
  expect_status(argv, 2, &r);
  ck_assert_msg(strstr(r.err, "onnxruntime-node is missing") && strstr(r.err, "npm install"), "%s", r.err);
  tu_run_free(&r);
  unsetenv("VITC_NODE");
  unsetenv("VITC_ORT_SCRIPT");
}
END_TEST

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  const char *part = NULL;
  for (int i = 1; i + 1 < argc; i++) {
    if (strcmp(argv[i], "--part") == 0) part = argv[++i];
    else if (strcmp(argv[i], "--target") == 0) target = argv[++i];
  }
  if (!part) return fprintf(stderr, "usage: check_verify --part trace|verify|deit|analyze|setup [--target T]\n"), 2;
  const Target *t = target_find(target);
  if (!t) return fprintf(stderr, "check_verify: unknown target %s\n", target), 2;
  if (strcmp(part, "verify") == 0 || strcmp(part, "deit") == 0) {
    Platform p;
    char *why = tu_target_platform(t, &p);
    if (why) return tu_cannot_run(tu_printf("check_verify --part %s --target %s", part, target), &p, why);
  }
  char *why = tu_ort_unavailable();
  if (why) return fprintf(stderr, "check_verify: FAIL: %s\n", why), 1;
  work = tu_printf("%s/tests/verify-%s-%s", VITC_BINARY_DIR, part, target);
  tu_rm_rf(work);
  tu_mkdir_p(work);
  Suite *s = suite_create("verify");
  TCase *tc = tcase_create(part);
  tcase_set_timeout(tc, 1800);
  if (strcmp(part, "trace") == 0) {
    tcase_add_test(tc, test_traced_bundles);
    tcase_add_test(tc, test_trace_with_threads_is_an_error);
  } else if (strcmp(part, "verify") == 0) {
    tcase_add_test(tc, test_verify_passes);
    tcase_add_test(tc, test_verify_expect);
    tcase_add_test(tc, test_verify_rtol_below_the_error);
    tcase_add_test(tc, test_per_node_names_the_planted_node);
    if (strcmp(target, "scalar") == 0) tcase_add_test(tc, test_per_node_external_data);
  } else if (strcmp(part, "deit") == 0) {
    tcase_add_test(tc, test_deit);
  } else if (strcmp(part, "analyze") == 0) {
    tcase_add_test(tc, test_analyze_ranks_zeroed_attention_first);
  } else if (strcmp(part, "setup") == 0) {
    tcase_add_test(tc, test_usage_errors);
    tcase_add_test(tc, test_missing_onnxruntime_says_how_to_install);
  } else {
    return fprintf(stderr, "check_verify: unknown part %s\n", part), 2;
  }
  suite_add_tcase(s, tc);
  return tu_run_suite(s);
}
