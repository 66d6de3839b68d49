/* tests/check_golden.c: the committed golden bundles in generated/.
 *
 * Every folder generated/NAME/ holds what `vitc compile` wrote for one model; the
 * command is in the banner of NAME.c ("Command: vitc compile MODEL.onnx ARGS").
 * This test runs build/vitc with that command on models/MODEL.onnx into a scratch
 * folder and requires the same files, byte for byte. On a difference it names the
 * first differing line, prints a diff command and the regenerate command: when the
 * change to the generated code is intended, run generated/regenerate.sh and review
 * `git diff generated/`.
 *
 * There is one golden per target family (generated/regenerate.sh lists them: scalar,
 * avx512, neon, avx2 with --threads 2). Each is validated (`vitc validate`) and built,
 * harness included, with gcc and clang under -std=c99 -O2 -Wall -Wextra -pedantic
 * -Werror and its target's flags (neon: the aarch64 cross gcc and clang of
 * tests/testutil.h's platforms; a missing cross tool is a failure): the committed
 * code is what users read and copy, so it must be warning-free as committed. Building
 * needs no CPU with the ISA; nothing here runs the bundles. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_runner.h"
#include "emit/target.h"
#include "testutil.h"

#define CC_TIMEOUT 600
#define REGENERATE "generated/regenerate.sh build/vitc"

/* The command recorded in golden/NAME.c, split into words (NULL-terminated). */
static char **banner_command(const char *golden_dir, const char *name, int *n) {
  char *path = tu_printf("%s/%s.c", golden_dir, name);
  char *text = tu_read_file(path, NULL);
  ck_assert_msg(text != NULL, "cannot read %s", path);
  const char *key = " * Command: vitc compile ";
  char *p = strstr(text, key);
  ck_assert_msg(p != NULL, "%s has no '%s' line in its banner", path, key);
  p += strlen(key);
  char *line = strndup(p, strcspn(p, "\n"));
  char **words = calloc(strlen(line) + 2, sizeof(char *));
  *n = 0;
  for (char *save = NULL, *w = strtok_r(line, " ", &save); w; w = strtok_r(NULL, " ", &save)) words[(*n)++] = strdup(w);
  ck_assert_msg(*n >= 1, "%s: empty command", path);
  free(line);
  free(text);
  free(path);
  return words;
}

/* Line number (1-based) of the first difference, and both lines. */
static void first_diff(const char *a, const char *b, char **where) {
  int line = 1;
  const char *la = a, *lb = b;
  while (*a && *a == *b) {
    if (*a == '\n') line++, la = a + 1, lb = b + 1;
    a++, b++;
  }
  *where = tu_printf("line %d:\n  golden: %.*s\n  now:    %.*s", line, (int)strcspn(la, "\n"), la,
                     (int)strcspn(lb, "\n"), lb);
}

/* Compare folder `now` with the golden; returns NULL or what differs. */
static char *compare_folders(const char *golden, const char *now, const char *rel) {
  int ng, nn;
  char **gf = tu_list_dir(golden, "", &ng), **nf = tu_list_dir(now, "", &nn);
  char *why = NULL;
  for (int i = 0; !why && (i < ng || i < nn); i++) {
    if (i >= ng || i >= nn || strcmp(gf[i], nf[i]) != 0) {
      why = tu_printf("the files differ: %s has %s, the compiler now writes %s", rel, i < ng ? gf[i] : "(nothing more)",
                      i < nn ? nf[i] : "(nothing more)");
      break;
    }
    char *a = tu_printf("%s/%s", golden, gf[i]), *b = tu_printf("%s/%s", now, nf[i]);
    size_t la, lb;
    char *x = tu_read_file(a, &la), *y = tu_read_file(b, &lb);
    if (!x || !y) why = tu_printf("cannot read %s", x ? b : a);
    else if (la != lb || memcmp(x, y, la) != 0) {
      char *where;
      first_diff(x, y, &where);
      why = tu_printf("%s/%s differs from a fresh compile at %s\n  see: diff -u %s %s", rel, gf[i], where, a, b);
      free(where);
    }
    free(x);
    free(y);
    free(a);
    free(b);
  }
  tu_free_list(gf);
  tu_free_list(nf);
  return why;
}

START_TEST(test_goldens_match_and_build) {
  char *gen = tu_printf("%s/generated", VITC_SOURCE_DIR);
  char *work = tu_printf("%s/tests/golden", VITC_BINARY_DIR);
  tu_rm_rf(work);
  ck_assert_int_eq(tu_mkdir_p(work), 0);
  int count, goldens = 0;
  char **names = tu_list_dir(gen, "", &count);
  for (int i = 0; i < count; i++) {
    const char *name = names[i];
    char *golden = tu_printf("%s/%s", gen, name);
    if (!tu_is_dir(golden)) {
      free(golden);
      continue;
    }
    goldens++;
    /* recompile with the recorded command */
    int nw;
    char **words = banner_command(golden, name, &nw);
    char *now = tu_printf("%s/%s", work, name);
    char *model = tu_printf("%s/models/%s", VITC_SOURCE_DIR, words[0]);
    char *argv[64];
    int k = 0;
    argv[k++] = VITC_BINARY_DIR "/vitc";
    argv[k++] = "compile";
    argv[k++] = model;
    argv[k++] = "-o";
    argv[k++] = now;
    argv[k++] = "--quiet";
    for (int w = 1; w < nw && k < 63; w++) argv[k++] = words[w];
    argv[k] = NULL;
    RunResult r;
    ck_assert_int_eq(tu_run(argv, 600, &r), 0);
    char *cmd = tu_argv_str(argv);
    ck_assert_msg(r.exited && r.status == 0, "%s failed (%s): %s\nIf models/%s changed or is gone, update %s and run %s",
                  cmd, tu_run_describe(&r), r.err, words[0], "generated/regenerate.sh", REGENERATE);
    tu_run_free(&r);
    char *rel = tu_printf("generated/%s", name);
    char *why = compare_folders(golden, now, rel);
    ck_assert_msg(why == NULL,
                  "golden %s is out of date: %s\nIf the change to the generated code is intended, run\n  %s\n"
                  "and review `git diff generated/`.",
                  rel, why, REGENERATE);
    printf("%s: identical to a fresh `%s`\n", rel, cmd);
    char *tname = NULL;
    for (int w = 1; w + 1 < nw; w++)
      if (strcmp(words[w], "--target") == 0) tname = words[w + 1];
    const Target *t = target_find(tname ? tname : "scalar");
    ck_assert_msg(t, "golden %s: unknown target in its banner", rel);
    /* the committed code keeps the generated-code contract (docs/validate.md) */
    char *report;
    int bad = tu_validate_bundle(VITC_BINARY_DIR "/vitc", t, NULL, golden, &report);
    ck_assert_msg(bad == 0, "golden %s: %s", rel, report);
    printf("%s: vitc validate --target %s: clean\n", rel, t->name);
    /* the committed code builds warning-free, with gcc and clang */
    char *pool = tu_printf("%s/vitc_pool.c", golden);
    char *flags = tu_printf("-O2 -Werror %s%s", t->cflags ? t->cflags : "", tu_exists(pool) ? " -pthread" : "");
    bool arm = t->intrin_header && strcmp(t->intrin_header, "arm_neon.h") == 0;
    const char *const platforms[2] = {arm ? "aarch64" : "gcc", arm ? "aarch64-clang" : "clang"};
    for (int c = 0; c < 2; c++) {
      Platform p = {"host", platforms[c], "", NULL, NULL, false};
      if (arm) {
        char *why = tu_target_platform_named(t, platforms[c], &p);
        ck_assert_msg(why == NULL, "golden %s: cannot build for %s here: %s", rel, platforms[c], why);
      }
      char *exe = tu_printf("%s/%s_%s", work, name, platforms[c]);
      char *main_c = tu_printf("%s/%s_main.c", golden, name);
      ck_assert_msg(tu_exists(main_c), "%s has no %s_main.c: goldens are made with --main", rel, name);
      ck_assert_int_eq(tu_build_bundle(&p, flags, golden, exe, CC_TIMEOUT, &r), 0);
      char *line = tu_line_with(r.err, "error", 400);
      ck_assert_msg(r.exited && r.status == 0, "%s %s: %s does not build strictly: %s", p.cc, p.cflags, rel, line);
      printf("%s: builds with %s%s%s -std=c99 -Wall -Wextra -pedantic %s\n", rel, p.cc, *p.cflags ? " " : "", p.cflags,
             flags);
      free(line);
      tu_run_free(&r);
      free(exe);
      free(main_c);
    }
    free(flags);
    free(pool);
    free(rel);
    free(cmd);
    free(model);
    free(now);
    for (int w = 0; w < nw; w++) free(words[w]);
    free(words);
    free(golden);
  }
  ck_assert_msg(goldens > 0, "no golden bundles in %s (run %s)", gen, REGENERATE);
  tu_free_list(names);
  free(work);
  free(gen);
}
END_TEST

int main(void) {
  const TTest *const tests[] = {
      test_goldens_match_and_build,
  };
  return tu_run_suite(tu_suite_of("golden", "golden", 1200, tests, sizeof tests / sizeof tests[0])); /* 4 goldens, 2 compilers each */
}
