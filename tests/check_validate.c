/* tests/check_validate.c: `vitc validate`, the generated-code contract checker.
 *
 * Two halves, so that the checker can fail both ways:
 *
 *   - no false positives: real bundles (models/vit_tiny32.onnx compiled with --main
 *     for every target, and neon also checked as armv7) validate clean, model file
 *     and harness both; and tests/validate/clean.c, which walks up to the edge of
 *     every rule, is clean for every target;
 *   - every violation found: each file under tests/validate/ plants violations
 *     and marks each offending line with a comment "expect: RULE" (several per
 *     line allowed; marks in its NAME.h count too). The file's "validate: ARGS"
 *     lines give the options it is checked with, one run per line. A run must exit
 *     1 and report exactly the marked (file, line, rule) triples: a missing one is
 *     a rule that did not fire, an extra one a false positive.
 *
 * Every rule must be planted at least once (a rule nobody tests is reported).
 * A triple whose libc headers are not installed (neon needs Debian's cross libc,
 * libc6-dev-arm64-cross, which .ci/setup.sh installs) is a failure with the reason:
 * validating needs no ARM hardware, so nothing here is skipped.
 *
 * Work folder: BUILD/tests/validate/. */
#define _GNU_SOURCE
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_runner.h"
#include "testutil.h"

#define VITC VITC_BINARY_DIR "/vitc"
#define PLANTED_DIR VITC_SOURCE_DIR "/tests/validate"
#define TIMEOUT 120

static const char *const rules[] = {"diagnostic",         "header",   "header-use",   "no-malloc",     "no-io",
                                    "no-writable-static", "no-vla",   "no-recursion", "intrinsic-isa", "symbol-prefix",
                                    NULL};

/* NULL if libclang can parse for this target (and triple) here, else why not. */
static const char *cannot_parse(const char *target, const char *triple) {
  if (!triple) triple = strcmp(target, "neon") == 0 ? "aarch64-linux-gnu" : NULL;
  if (!triple) return NULL; /* x86 and scalar: the host's headers */
  char *cross = tu_printf("/usr/%s/include/stdio.h", triple), *multiarch = tu_printf("/usr/include/%s", triple);
  bool ok = tu_exists(cross) || tu_is_dir(multiarch);
  free(cross);
  free(multiarch);
  if (ok) return NULL;
  return strcmp(triple, "aarch64-linux-gnu") == 0 ? "no aarch64 libc headers (apt-get install libc6-dev-arm64-cross)"
                                                  : "no armhf libc headers (apt-get install libc6-dev-armhf-cross)";
}

/* ------------------------------------------------------------------------ */
/* real bundles validate clean */

START_TEST(test_generated_bundles_clean) {
  static const struct {
    const char *target, *triple;
  } runs[] = {{"scalar", NULL}, {"avx2", NULL}, {"avx512", NULL}, {"neon", NULL}, {"neon", "arm-linux-gnueabihf"}};
  int checked = 0, failures = 0;
  for (size_t i = 0; i < sizeof runs / sizeof runs[0]; i++) {
    const char *why = cannot_parse(runs[i].target, runs[i].triple);
    if (why) { /* the setup installs the cross headers: their absence is a failure, not a skip */
      printf("  [%s%s%s] FAIL: %s\n", runs[i].target, runs[i].triple ? " " : "", runs[i].triple ? runs[i].triple : "",
             why);
      failures++;
      continue;
    }
    char *dir = tu_printf("%s/tests/validate/%s", VITC_BINARY_DIR, runs[i].target);
    tu_rm_rf(dir);
    char *compile[] = {VITC, "compile", VITC_SOURCE_DIR "/models/vit_tiny32.onnx", "-o", dir, "--main", "--quiet",
                       "--target", (char *)runs[i].target, NULL};
    RunResult r;
    tu_run(compile, TIMEOUT, &r);
    ck_assert_msg(r.exited && r.status == 0, "vitc compile --target %s failed: %s", runs[i].target, r.err);
    tu_run_free(&r);
    for (int f = 0; f < 2; f++) {
      char *file = tu_printf("%s/vit_tiny32%s.c", dir, f ? "_main" : "");
      char *argv[] = {VITC, "validate", file, "--target", (char *)runs[i].target,
                      runs[i].triple ? "--triple" : NULL, (char *)runs[i].triple, NULL};
      tu_run(argv, TIMEOUT, &r);
      bool ok = r.exited && r.status == 0 && r.out[0] == 0;
      printf("  [%s%s%s] %s: %s (%.2f s)\n", runs[i].target, runs[i].triple ? " " : "",
             runs[i].triple ? runs[i].triple : "", tu_stem(file), ok ? "clean" : "FAILED", r.secs);
      if (!ok) printf("%s%s", r.out, r.err);
      failures += !ok;
      checked++;
      tu_run_free(&r);
      free(file);
    }
    free(dir);
  }
  ck_assert_msg(checked > 0, "no target could be parsed here");
  ck_assert_msg(failures == 0, "%d generated file(s) did not validate clean; see above", failures);
}
END_TEST

/* The harness is told apart from a model file: checked as a model file, the real
 * harness breaks no-io and no-malloc. Shows those rules fire on generated code. */
START_TEST(test_harness_is_not_a_model_file) {
  char *dir = tu_printf("%s/tests/validate/harness", VITC_BINARY_DIR);
  tu_rm_rf(dir);
  char *compile[] = {VITC, "compile", VITC_SOURCE_DIR "/models/vit_tiny32.onnx", "-o", dir, "--main", "--quiet", NULL};
  RunResult r;
  tu_run(compile, TIMEOUT, &r);
  ck_assert_msg(r.exited && r.status == 0, "vitc compile failed: %s", r.err);
  tu_run_free(&r);
  char *file = tu_printf("%s/vit_tiny32_main.c", dir);
  char *argv[] = {VITC, "validate", file, "--target", "scalar", "--no-harness", NULL};
  tu_run(argv, TIMEOUT, &r);
  ck_assert_msg(r.exited && r.status == 1, "validate --no-harness of the harness: %s, expected exit 1",
                tu_run_describe(&r));
  ck_assert_msg(strstr(r.out, ": no-io: ") && strstr(r.out, ": no-malloc: ") && strstr(r.out, ": header: "),
                "the harness checked as a model file should break no-io, no-malloc and header:\n%s", r.out);
  tu_run_free(&r);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* planted violations are all found, and nothing else */

typedef struct Expect {
  char file[128];
  int line;
  char rule[32];
  bool seen;
} Expect;

/* Appends the "expect: RULE" marks of path (if it exists) to e. */
static int read_expectations(const char *path, Expect *e, int n, int cap) {
  char *text = tu_read_file(path, NULL);
  if (!text) return n;
  const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
  int line = 1;
  for (char *p = text; *p; p++) {
    if (*p == '\n') line++;
    if (strncmp(p, "expect: ", 8) != 0) continue;
    char rule[32];
    if (sscanf(p + 8, "%31[a-z-]", rule) != 1) continue;
    ck_assert_msg(n < cap, "too many expectations in %s", path);
    snprintf(e[n].file, sizeof e[n].file, "%s", base);
    e[n].line = line;
    snprintf(e[n].rule, sizeof e[n].rule, "%s", rule);
    e[n].seen = false;
    n++;
  }
  free(text);
  return n;
}

/* Checks one planted file with one "validate:" argument line; returns failures. */
static int check_planted(const char *name, const char *args, bool *rule_tested, int *runs) {
  char *path = tu_printf("%s/%s", PLANTED_DIR, name);
  char *stem = tu_stem(path);
  char *header = tu_printf("%s/%s.h", PLANTED_DIR, stem);
  Expect e[128];
  int n = read_expectations(path, e, 0, 128);
  n = read_expectations(header, e, n, 128);

  char *argv[16] = {VITC, "validate", path};
  int argc = 3;
  char *copy = strdup(args), *target = NULL, *triple = NULL;
  for (char *tok = strtok(copy, " \t"); tok && argc < 15; tok = strtok(NULL, " \t")) {
    if (argc > 3 && strcmp(argv[argc - 1], "--target") == 0) target = tok;
    if (argc > 3 && strcmp(argv[argc - 1], "--triple") == 0) triple = tok;
    argv[argc++] = tok;
  }
  argv[argc] = NULL;
  int failures = 0;
  const char *why = cannot_parse(target ? target : "scalar", triple);
  if (why) { /* a missing tool of the setup is a failure, not a skip */
    printf("  %s [%s] FAIL: %s\n", name, args, why);
    failures++;
    goto done;
  }
  (*runs)++;
  RunResult r;
  tu_run(argv, TIMEOUT, &r);
  int want = n ? 1 : 0;
  if (!r.exited || r.status != want) {
    printf("  %s [%s]: %s, expected exit status %d\n%s%s", name, args, tu_run_describe(&r), want, r.out, r.err);
    failures++;
  }
  /* Every reported line must be expected... */
  for (char *line = r.out; line && *line;) {
    char *end = strchr(line, '\n');
    if (end) *end = 0;
    char file[512], rule[64];
    int ln = 0, col = 0;
    bool matched = false;
    if (sscanf(line, "%511[^:]:%d:%d: %63[a-z-]:", file, &ln, &col, rule) == 4) {
      const char *base = strrchr(file, '/') ? strrchr(file, '/') + 1 : file;
      for (int i = 0; i < n; i++)
        if (strcmp(e[i].file, base) == 0 && e[i].line == ln && strcmp(e[i].rule, rule) == 0) matched = e[i].seen = true;
    }
    if (!matched) {
      printf("  %s [%s]: unexpected report: %s\n", name, args, line);
      failures++;
    }
    line = end ? end + 1 : NULL;
  }
  /* ...and every expected violation reported. */
  for (int i = 0; i < n; i++) {
    if (!e[i].seen) {
      printf("  %s [%s]: %s:%d: rule %s did not fire\n", name, args, e[i].file, e[i].line, e[i].rule);
      failures++;
    }
    for (int k = 0; rules[k]; k++)
      if (strcmp(rules[k], e[i].rule) == 0 && e[i].seen) rule_tested[k] = true;
  }
  printf("  %s [%s]: %d expected, %s (%.2f s)\n", name, args, n, failures ? "FAILED" : "ok", r.secs);
  tu_run_free(&r);
done:
  free(copy);
  free(path);
  free(stem);
  free(header);
  return failures;
}

START_TEST(test_planted_violations) {
  int n_files;
  char **files = tu_list_dir(PLANTED_DIR, "", &n_files);
  ck_assert_msg(n_files > 0, "no planted files in %s", PLANTED_DIR);
  bool rule_tested[sizeof rules / sizeof rules[0]] = {false};
  int failures = 0, runs = 0;
  for (int f = 0; f < n_files; f++) {
    size_t len = strlen(files[f]);
    if (len < 3 || strcmp(files[f] + len - 2, ".c") != 0) continue;
    char *path = tu_printf("%s/%s", PLANTED_DIR, files[f]);
    char *text = tu_read_file(path, NULL);
    ck_assert_msg(text != NULL, "cannot read %s", path);
    int lines = 0;
    for (char *p = strstr(text, "validate: "); p; p = strstr(p + 1, "validate: ")) {
      char args[256];
      if (sscanf(p + 10, "%255[^\n*]", args) != 1) continue;
      for (size_t t = strlen(args); t > 0 && args[t - 1] == ' '; t--) args[t - 1] = 0;
      failures += check_planted(files[f], args, rule_tested, &runs);
      lines++;
    }
    ck_assert_msg(lines > 0, "%s has no \"validate: ARGS\" line", path);
    free(text);
    free(path);
  }
  tu_free_list(files);
  ck_assert_msg(runs > 0, "no planted file could be checked here");
  for (int k = 0; rules[k]; k++)
    if (!rule_tested[k]) {
      printf("  rule %s: no planted violation of it was checked\n", rules[k]);
      failures++;
    }
  ck_assert_msg(failures == 0, "%d problem(s) with planted violations; see above", failures);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* usage and bad input */

START_TEST(test_usage_and_errors) {
  RunResult r;
  char *missing[] = {VITC, "validate", "/nonexistent/model.c", "--target", "avx2", NULL};
  tu_run(missing, TIMEOUT, &r);
  char *why = tu_check_one_error_line(&r);
  ck_assert_msg(why == NULL, "unreadable file: %s", why);
  tu_run_free(&r);

  char *bad_target[] = {VITC, "validate", PLANTED_DIR "/clean.c", "--target", "sparc", NULL};
  tu_run(bad_target, TIMEOUT, &r);
  why = tu_check_one_error_line(&r);
  ck_assert_msg(why == NULL, "unknown target: %s", why);
  tu_run_free(&r);

  char *no_file[] = {VITC, "validate", "--target", "avx2", NULL};
  tu_run(no_file, TIMEOUT, &r);
  ck_assert_msg(r.exited && r.status == 2, "no file: %s, expected exit 2", tu_run_describe(&r));
  tu_run_free(&r);

  char *bad_option[] = {VITC, "validate", PLANTED_DIR "/clean.c", "--frobnicate", NULL};
  tu_run(bad_option, TIMEOUT, &r);
  ck_assert_msg(r.exited && r.status == 2, "unknown option: %s, expected exit 2", tu_run_describe(&r));
  tu_run_free(&r);
}
END_TEST

int main(void) {
  if (!tu_exists(VITC)) {
    printf("check_validate: FAIL: %s is not built\n", VITC);
    return 1;
  }
  Suite *s = suite_create("validate");
  const TuNamedTest tests[] = {
      {"generated_bundles_clean", test_generated_bundles_clean},
      {"harness_is_not_a_model_file", test_harness_is_not_a_model_file},
      {"planted_violations", test_planted_violations},
      {"usage_and_errors", test_usage_and_errors},
  };
  tu_add_tcases(s, tests, sizeof tests / sizeof tests[0], 600, NULL, NULL);
  return tu_run_suite(s);
}
