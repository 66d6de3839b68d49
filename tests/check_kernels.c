/* tests/check_kernels.c: no scalar fallback for float math on a SIMD target
 * (issue 14). For every model in models/ (every models/NAME.onnx with its NAME.shape, and
 * the op graphs in models/ops/), `vitc inspect --kernels MODEL --target T`
 * lists the kernel functions each node of the final graph calls (the emitter's
 * own lowering, compiler/emit/emit.c: emit_kernels); the test fails if one is a
 * scalar float kernel (vitc_f32_*_scalar) that the allow-list of docs/kernels.md
 * does not name, and names the model, node and kernel. The ONNX backend cases get
 * the same check from check_conformance --kernels (ctest kernels_conformance_T).
 *
 *   check_kernels --target avx2|avx512
 *
 * Compile-only: avx2 needs no AVX2 hardware. avx512 skips (exit 77) where the CPU
 * lacks AVX-512, as every avx512 test does. A model that fails to compile, or an
 * allow-list that cannot be read, is a failure. As a check that the check can
 * fail, the scalar target's list of models/ops/pool.onnx must name scalar
 * kernels (the scalar target calls nothing else). And the kernel choice that is
 * a speed decision, not a scalar-fallback one: Winograd's conv fires exactly on
 * the convs of models/ops/winograd.onnx meant for it. */
#include <check.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_runner.h"
#include "testutil.h"

static const char *target = "avx2";

/* vitc inspect --kernels MODEL [--shape ...] --target t: its stdout (caller frees), or NULL with *why */
static char *inspect_kernels(const char *model, const char *t, char **why) {
  char *argv[40] = {VITC_BINARY_DIR "/vitc", "inspect", (char *)model, "--kernels", "--target", (char *)t};
  int argc = 6, first_owned = 6;
  char *shape = tu_printf("%.*s.shape", (int)(strlen(model) - 5), model);
  char *text = tu_read_file(shape, NULL);
  for (char *save = NULL, *line = text ? strtok_r(text, "\n", &save) : NULL; line && argc < 36;
       line = strtok_r(NULL, "\n", &save)) {
    if (!line[0]) continue;
    argv[argc++] = strdup("--shape");
    argv[argc++] = strdup(line);
  }
  RunResult r;
  tu_run(argv, 300, &r);
  char *out = NULL;
  if (r.exited && r.status == 0) out = strdup(r.out);
  else *why = tu_printf("%s: %s", tu_run_describe(&r), tu_first_line(r.err, 300));
  tu_run_free(&r);
  for (int i = first_owned; i < argc; i++) free(argv[i]);
  free(text);
  free(shape);
  return out;
}

/* The lines of out that name kernel `word` */
static void print_lines_with(const char *out, const char *offenders) {
  char *list = strdup(offenders);
  for (char *save = NULL, *w = strtok_r(list, " ", &save); w; w = strtok_r(NULL, " ", &save))
    for (const char *p = strstr(out, w); p; p = strstr(p + 1, w)) {
      const char *bol = p;
      while (bol > out && bol[-1] != '\n') bol--;
      printf("    %.*s\n", (int)strcspn(bol, "\n"), bol);
    }
  free(list);
}

START_TEST(test_models) {
  char **allow = tu_kernel_allowlist();
  ck_assert_msg(allow != NULL, "cannot read the allow-list of %s/docs/kernels.md", VITC_SOURCE_DIR);
  static const char *const dirs[] = {VITC_SOURCE_DIR "/models", VITC_SOURCE_DIR "/models/ops"};
  int checked = 0, failed = 0;
  for (int d = 0; d < 2; d++) {
    int n;
    char **files = tu_list_dir(dirs[d], "", &n);
    for (int i = 0; i < n; i++) {
      size_t len = strlen(files[i]);
      if (len < 6 || strcmp(files[i] + len - 5, ".onnx") != 0) continue;
      char *model = tu_printf("%s/%s", dirs[d], files[i]), *why = NULL;
      char *out = inspect_kernels(model, target, &why);
      checked++;
      if (!out) {
        printf("FAIL %s [%s]: vitc inspect --kernels failed: %s\n", files[i], target, why);
        failed++;
      } else {
        char *off = tu_kernel_offenders(out, allow);
        if (off) {
          printf("FAIL %s [%s]: scalar float kernels outside docs/kernels.md's allow-list: %s\n", files[i], target, off);
          print_lines_with(out, off);
          failed++;
        } else {
          printf("ok   %s [%s]\n", files[i], target);
        }
        free(off);
      }
      free(out);
      free(why);
      free(model);
    }
    tu_free_list(files);
  }
  tu_free_list(allow);
  printf("%d models checked on %s, %d with scalar float kernels outside the allow-list\n", checked, target, failed);
  ck_assert_msg(checked >= 20, "only %d models found under models/", checked);
  ck_assert_msg(failed == 0, "%d model(s) call scalar float kernels on %s (see the FAIL lines)", failed, target);
}
END_TEST

/* The check sees scalar kernels when there are some: the scalar target's bundle
 * of the pooling graph calls vitc_f32_maxpool2d_scalar, which is not allowed. */
START_TEST(test_check_can_fail) {
  char **allow = tu_kernel_allowlist(), *why = NULL;
  char *out = inspect_kernels(VITC_SOURCE_DIR "/models/ops/pool.onnx", "scalar", &why);
  ck_assert_msg(out != NULL, "vitc inspect --kernels failed: %s", why);
  char *off = tu_kernel_offenders(out, allow);
  ck_assert_msg(off && strstr(off, "vitc_f32_maxpool2d_scalar"), "offenders on scalar: %s", off ? off : "(none)");
  free(off);
  free(out);
  tu_free_list(allow);
}
END_TEST

/* Winograd's F(2x2, 3x3) (ops/conv.c: conv_winograd) fires on every conv of
 * models/ops/winograd.onnx named win_* and on none named near_* (stride 2,
 * dilation 2, group 2, 8 input channels, 24 output channels, a fused residual). */
START_TEST(test_winograd_fires) {
  char *why = NULL;
  char *out = inspect_kernels(VITC_SOURCE_DIR "/models/ops/winograd.onnx", target, &why);
  ck_assert_msg(out != NULL, "vitc inspect --kernels failed: %s", why);
  char *kfn = tu_printf("vitc_f32_conv2d_winograd_%s", target);
  int wins = 0, nears = 0;
  for (char *save = NULL, *line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
    bool win = strstr(line, " win_") != NULL, near = strstr(line, " near_") != NULL;
    if (!win && !near) continue;
    bool fired = strstr(line, kfn) != NULL;
    printf("%s %s\n", fired == win ? "ok  " : "FAIL", line);
    ck_assert_msg(fired == win, "[%s] %s: %s", target, win ? "Winograd did not fire" : "Winograd fired on a near miss",
                  line);
    wins += win, nears += near;
  }
  ck_assert_msg(wins == 5 && nears == 6, "[%s] %d win_ and %d near_ convs listed, expected 5 and 6", target, wins, nears);
  free(kfn);
  free(out);
}
END_TEST

int main(int argc, char **argv) {
  if (argc == 3 && strcmp(argv[1], "--target") == 0) target = argv[2];
  else if (argc != 1) {
    fprintf(stderr, "usage: check_kernels [--target avx2|avx512]\n");
    return 2;
  }
  if (strcmp(target, "avx2") != 0 && strcmp(target, "avx512") != 0) {
    fprintf(stderr, "check_kernels: --target is avx2 or avx512\n");
    return 2;
  }
  if (strcmp(target, "avx512") == 0) {
    char *why = tu_cpu_lacks("avx512");
    if (why) {
      printf("check_kernels [avx512]: SKIPPED: %s\n", why);
      return 77;
    }
  }
  const TTest *const tests[] = {
      test_models,
      test_check_can_fail,
      test_winograd_fires,
  };
  return tu_run_suite(tu_suite_of("kernels", target, 900, tests, sizeof tests / sizeof tests[0]));
}
