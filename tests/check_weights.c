/* tests/check_weights.c: bundles whose weights are in a file (vitc compile --weights file).
 *
 * The promise of runtime/vitc_weights.h and the generated NAME_bind_weights /
 * NAME_check_weights: a program gets its model's answers from the file its compile
 * wrote, and a clear error code, never a wrong answer or a crash, from any other
 * file. Checked on vit_tiny32 (scalar target, so every machine runs it; the other
 * targets run file-mode bundles in model_*_wfile_*):
 *
 *   - the harness with the file next to it (its default) and with --weights PATH
 *     computes the bytes the embedded bundle computes; a --threads 2 bundle in file
 *     mode too; every generated file validates;
 *   - the harness given a damaged file (wrong magic, another format version,
 *     another model's file, truncated inside the header and inside the tensors,
 *     one byte too long, a flipped tensor byte, no file) exits 1 with one line
 *     "error: PATH: VITC_ERR_WEIGHTS_...: what";
 *   - the API itself, in a program written here: NAME_bind_weights returns the
 *     documented code for each of those, for a NULL workspace or pointer, and for
 *     bytes not at a 64-byte boundary, reading only the header (a flipped tensor
 *     byte binds; NAME_check_weights finds it); NAME_run says VITC_ERR_WEIGHTS_UNBOUND
 *     on a workspace without weights, also after a failed bind;
 *   - `vitc compile --weights` with a mode other than embed or file is one error line.
 *
 * Work folder: BUILD/tests/weights/. */
#define _GNU_SOURCE
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_runner.h"
#include "emit/target.h"
#include "testutil.h"

#define VITC VITC_BINARY_DIR "/vitc"
#define TIMEOUT 300
#define INPUT_FLOATS (3 * 32 * 32)

static char *work;

static void run_or_fail(const char *what, char *const argv[], RunResult *r) {
  ck_assert_msg(tu_run(argv, TIMEOUT, r) == 0, "%s: cannot start %s", what, argv[0]);
  if (!r->exited || r->status != 0) {
    char *how = tu_run_describe(r), *cmd = tu_argv_str(argv);
    ck_abort_msg("%s failed (%s)\n  command: %s\n  stderr: %.3000s", what, how, cmd, r->err);
  }
}

/* vitc compile models/vit_tiny32.onnx into work/DIR for the scalar target, name m, plus extra args. */
static char *compile(const char *dir, const char *model, const char *const *extra) {
  char *out = tu_printf("%s/%s", work, dir), *path = tu_printf("%s/models/%s.onnx", VITC_SOURCE_DIR, model);
  char *argv[16] = {VITC, "compile", path, "-o", out, "--target", "scalar", "--name", "m", "--main", "--quiet"};
  int argc = 11;
  for (int i = 0; extra && extra[i]; i++) argv[argc++] = (char *)extra[i];
  RunResult r;
  run_or_fail("vitc compile", argv, &r);
  tu_run_free(&r);
  free(path);
  return out;
}

/* Builds the bundle's harness into DIR/prog (a warning fails) and validates every file. */
static char *build(const char *bundle, const char *flags) {
  Platform p;
  char *why = tu_target_platform(target_find("scalar"), &p);
  ck_assert_msg(why == NULL, "%s", why);
  char *prog = tu_printf("%s/prog", bundle);
  RunResult r;
  ck_assert(tu_build_bundle(&p, flags, bundle, prog, TIMEOUT, &r) == 0);
  ck_assert_msg(r.exited && r.status == 0 && !r.err[0], "building %s failed or warned:\n%.3000s", bundle, r.err);
  tu_run_free(&r);
  char *report;
  ck_assert_msg(tu_validate_bundle(VITC, target_find("scalar"), NULL, bundle, &report) == 0, "%s", report);
  return prog;
}

/* Runs prog on the input; returns its RunResult (the caller frees). extra: more args. */
static RunResult run_prog(const char *prog, const char *in, const char *out, const char *const *extra) {
  char *argv[16] = {(char *)prog, "--in", (char *)in, "--out", (char *)out};
  int argc = 5;
  for (int i = 0; extra && extra[i]; i++) argv[argc++] = (char *)extra[i];
  RunResult r;
  ck_assert(tu_run(argv, TIMEOUT, &r) == 0);
  return r;
}

static void *read_all(const char *path, size_t *len) {
  void *p = tu_read_file(path, len);
  ck_assert_msg(p != NULL, "cannot read %s", path);
  return p;
}

static void same_bytes(const char *a, const char *b) {
  size_t la, lb;
  char *x = read_all(a, &la), *y = read_all(b, &lb);
  ck_assert_msg(la == lb && memcmp(x, y, la) == 0, "%s and %s differ", a, b);
  free(x);
  free(y);
}

static char *input_file(void) {
  float x[INPUT_FLOATS];
  for (int i = 0; i < INPUT_FLOATS; i++) x[i] = (float)((i * 7919) % 2000) / 1000.0f - 1.0f;
  char *in = tu_printf("%s/x.bin", work);
  ck_assert(tu_write_file(in, x, sizeof x) == 0);
  return in;
}

START_TEST(test_file_mode_runs) {
  char *in = input_file();
  char *embed = compile("embed", "vit_tiny32", NULL);
  char *file = compile("file", "vit_tiny32", (const char *[]){"--weights", "file", NULL});
  char *thr = compile("threads", "vit_tiny32", (const char *[]){"--weights", "file", "--threads", "2", NULL});
  char *pe = build(embed, "-O1"), *pf = build(file, "-O1"), *pt = build(thr, "-O1 -pthread");
  char *ye = tu_printf("%s/y_embed.bin", work), *yf = tu_printf("%s/y_file.bin", work), *yp = tu_printf("%s/y_path.bin", work),
       *yt = tu_printf("%s/y_threads.bin", work), *wf = tu_printf("%s/m.weights", file), *wt = tu_printf("%s/m.weights", thr);
  ck_assert_msg(!tu_exists(tu_printf("%s/m.weights", embed)), "an embedded bundle has a weights file");
  RunResult r = run_prog(pe, in, ye, NULL);
  ck_assert_msg(r.exited && r.status == 0, "embedded: %s", r.err);
  tu_run_free(&r);
  r = run_prog(pf, in, yf, NULL); /* the default: m.weights next to the program */
  ck_assert_msg(r.exited && r.status == 0, "file mode, weights next to the program: %s", r.err);
  tu_run_free(&r);
  same_bytes(ye, yf);
  char *moved = tu_printf("%s/elsewhere.weights", work), *data;
  size_t len;
  data = read_all(wf, &len);
  ck_assert(tu_write_file(moved, data, len) == 0);
  free(data);
  r = run_prog(pf, in, yp, (const char *[]){"--weights", moved, NULL});
  ck_assert_msg(r.exited && r.status == 0, "file mode, --weights PATH: %s", r.err);
  tu_run_free(&r);
  same_bytes(ye, yp);
  r = run_prog(pt, in, yt, (const char *[]){"--weights", wt, "--threads", "2", NULL});
  ck_assert_msg(r.exited && r.status == 0, "file mode with threads: %s", r.err);
  tu_run_free(&r);
  same_bytes(ye, yt);
  printf("file mode: the harness with its weights next to it, elsewhere (--weights), and with 2 threads: the embedded bundle's bytes\n");
}
END_TEST

/* A copy of the good file, changed. */
static char *bad_file(const char *name, const unsigned char *good, size_t len, size_t keep, int at, unsigned char xor_,
                      int extra) {
  unsigned char *b = malloc(len + 1);
  memcpy(b, good, len);
  if (at >= 0) b[at] ^= xor_;
  b[len] = 0;
  char *p = tu_printf("%s/bad_%s.weights", work, name);
  ck_assert(tu_write_file(p, b, (keep < len ? keep : len) + (size_t)extra) == 0);
  free(b);
  return p;
}

START_TEST(test_bad_files_in_the_harness) {
  char *in = input_file();
  char *file = compile("file", "vit_tiny32", (const char *[]){"--weights", "file", NULL});
  char *other = compile("other", "mabvit32", (const char *[]){"--weights", "file", NULL});
  char *prog = build(file, "-O1"), *good_path = tu_printf("%s/m.weights", file);
  size_t len;
  unsigned char *good = read_all(good_path, &len);
  struct {
    const char *name, *code;
    char *path;
  } cases[] = {
      {"magic", "VITC_ERR_WEIGHTS_MAGIC", bad_file("magic", good, len, len, 0, 0x20, 0)},
      {"version", "VITC_ERR_WEIGHTS_VERSION", bad_file("version", good, len, len, 8, 0x03, 0)},
      {"other model", "VITC_ERR_WEIGHTS_MODEL", tu_printf("%s/m.weights", other)},
      {"truncated header", "VITC_ERR_WEIGHTS_TRUNCATED", bad_file("header", good, len, 40, -1, 0, 0)},
      {"truncated tensors", "VITC_ERR_WEIGHTS_TRUNCATED", bad_file("truncated", good, len, len - 1, -1, 0, 0)},
      {"one byte more", "VITC_ERR_WEIGHTS_SIZE", bad_file("longer", good, len, len, -1, 0, 1)},
      {"flipped tensor byte", "VITC_ERR_WEIGHTS_CHECKSUM", bad_file("flipped", good, len, len, (int)len - 3, 0x01, 0)},
      {"no file", "cannot open", tu_printf("%s/absent.weights", work)},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char *out = tu_printf("%s/y_bad%zu.bin", work, i);
    RunResult r = run_prog(prog, in, out, (const char *[]){"--weights", cases[i].path, NULL});
    printf("  %-20s -> exit %d: %s", cases[i].name, r.status, r.err);
    ck_assert_msg(r.exited && r.status == 1, "%s: want exit status 1, got %s", cases[i].name, tu_run_describe(&r));
    ck_assert_msg(tu_count_lines(r.err) == 1 && strncmp(r.err, "error: ", 7) == 0, "%s: not one error line: %s",
                  cases[i].name, r.err);
    ck_assert_msg(strstr(r.err, cases[i].code) && strstr(r.err, cases[i].path), "%s: the line lacks '%s' or the path: %s",
                  cases[i].name, cases[i].code, r.err);
    ck_assert_msg(!tu_exists(out), "%s: an output was written", cases[i].name);
    tu_run_free(&r);
    free(out);
  }
  free(good);
}
END_TEST

/* The API on its own: a program calling NAME_bind_weights / _check_weights / _run. */
static const char api_program[] =
    "#include <stdio.h>\n"
    "#include <stdlib.h>\n"
    "#include <string.h>\n"
    "#include \"m.h\"\n"
    "\n"
    "static int failures;\n"
    "static void expect(const char *what, int got, int want) {\n"
    "  printf(\"%-34s %2d (want %2d)%s\\n\", what, got, want, got == want ? \"\" : \"  FAIL\");\n"
    "  failures += got != want;\n"
    "}\n"
    "\n"
    "/* len bytes of src (plus one zero byte) at a 64-byte boundary plus shift */\n"
    "static unsigned char *copy(const unsigned char *src, size_t len, size_t shift) {\n"
    "  unsigned char *raw = malloc(len + 1 + 128), *p = raw + (64 - (size_t)((uintptr_t)raw % 64)) % 64 + shift;\n"
    "  memcpy(p, src, len);\n"
    "  p[len] = 0;\n"
    "  return p;\n"
    "}\n"
    "\n"
    "static unsigned char *load(const char *path, size_t *len) {\n"
    "  FILE *f = fopen(path, \"rb\");\n"
    "  unsigned char *buf = malloc(1 << 26);\n"
    "  if (!f || !buf) exit(2);\n"
    "  *len = fread(buf, 1, 1 << 26, f);\n"
    "  fclose(f);\n"
    "  return buf;\n"
    "}\n"
    "\n"
    "int main(int argc, char **argv) {\n"
    "  size_t n, n_other;\n"
    "  const unsigned char *file = load(argv[1], &n), *other_file = load(argv[2], &n_other);\n"
    "  unsigned char *good = copy(file, n, 0), *p;\n"
    "  static float x[M_INPUT0_NUMEL], y[M_OUTPUT0_NUMEL];\n"
    "  static m_workspace ws; /* static: zeroed, so without weights */\n"
    "  m_inputs in;\n"
    "  m_outputs out;\n"
    "  in.M_INPUT0_FIELD = x;\n"
    "  out.M_OUTPUT0_FIELD = y;\n"
    "  (void)argc;\n"
    "  expect(\"run before any bind\", m_run(&in, &out, &ws), VITC_ERR_WEIGHTS_UNBOUND);\n"
    "  expect(\"bind to a NULL workspace\", m_bind_weights(NULL, good, n), VITC_ERR_NULL);\n"
    "  expect(\"bind NULL bytes\", m_bind_weights(&ws, NULL, n), VITC_ERR_NULL);\n"
    "  expect(\"bind at a 64-byte boundary + 8\", m_bind_weights(&ws, copy(file, n, 8), n), VITC_ERR_WEIGHTS_ALIGN);\n"
    "  p = copy(file, n, 0), p[3] ^= 1;\n"
    "  expect(\"bind: wrong magic\", m_bind_weights(&ws, p, n), VITC_ERR_WEIGHTS_MAGIC);\n"
    "  expect(\"bind: 5 bytes of magic\", m_bind_weights(&ws, good, 5), VITC_ERR_WEIGHTS_TRUNCATED);\n"
    "  p = copy(file, n, 0), p[8] = 2;\n"
    "  expect(\"bind: format version 2\", m_bind_weights(&ws, p, n), VITC_ERR_WEIGHTS_VERSION);\n"
    "  p = copy(file, n, 0), p[12] = 32;\n"
    "  expect(\"bind: a 32-byte header\", m_bind_weights(&ws, p, n), VITC_ERR_WEIGHTS_VERSION);\n"
    "  p = copy(file, n, 0), p[24] ^= 0x80;\n"
    "  expect(\"bind: another model id\", m_bind_weights(&ws, p, n), VITC_ERR_WEIGHTS_MODEL);\n"
    "  expect(\"bind: another model's file\", m_bind_weights(&ws, copy(other_file, n_other, 0), n_other), VITC_ERR_WEIGHTS_MODEL);\n"
    "  expect(\"bind: 63 bytes\", m_bind_weights(&ws, good, 63), VITC_ERR_WEIGHTS_TRUNCATED);\n"
    "  expect(\"bind: one byte short\", m_bind_weights(&ws, good, n - 1), VITC_ERR_WEIGHTS_TRUNCATED);\n"
    "  expect(\"bind: one byte more\", m_bind_weights(&ws, good, n + 1), VITC_ERR_WEIGHTS_SIZE);\n"
    "  expect(\"run after a failed bind\", m_run(&in, &out, &ws), VITC_ERR_WEIGHTS_UNBOUND);\n"
    "  p = copy(file, n, 0), p[n - 1] ^= 1;\n"
    "  expect(\"bind: a flipped tensor byte\", m_bind_weights(&ws, p, n), VITC_OK);\n"
    "  expect(\"check: a flipped tensor byte\", m_check_weights(p, n), VITC_ERR_WEIGHTS_CHECKSUM);\n"
    "  expect(\"check: one byte short\", m_check_weights(good, n - 1), VITC_ERR_WEIGHTS_TRUNCATED);\n"
    "  expect(\"check: the file\", m_check_weights(good, n), VITC_OK);\n"
    "  expect(\"bind: the file\", m_bind_weights(&ws, good, n), VITC_OK);\n"
    "  expect(\"run\", m_run(&in, &out, &ws), VITC_OK);\n"
    "  expect(\"file size = M_WEIGHTS_BYTES\", n == M_WEIGHTS_BYTES, 1);\n"
    "  return failures != 0;\n"
    "}\n";

START_TEST(test_api_codes) {
  char *file = compile("file", "vit_tiny32", (const char *[]){"--weights", "file", NULL});
  char *other = compile("other", "mabvit32", (const char *[]){"--weights", "file", NULL});
  char *api = tu_printf("%s/api.c", work), *exe = tu_printf("%s/api", work), *inc = tu_printf("-I%s", file),
       *model = tu_printf("%s/m.c", file);
  ck_assert(tu_write_file(api, api_program, strlen(api_program)) == 0);
  char *cc[] = {(char *)tu_cc(), "-std=c99", "-O1", "-Wall", "-Wextra", "-pedantic", inc, "-o", exe, api, model, "-lm", NULL};
  RunResult r;
  run_or_fail("building the API program", cc, &r);
  ck_assert_msg(!r.err[0], "the API program or the bundle warns:\n%s", r.err);
  tu_run_free(&r);
  char *weights = tu_printf("%s/m.weights", file), *other_weights = tu_printf("%s/m.weights", other);
  char *run[] = {exe, weights, other_weights, NULL};
  ck_assert(tu_run(run, TIMEOUT, &r) == 0);
  printf("%s", r.out);
  ck_assert_msg(r.exited && r.status == 0, "the API returned other codes than documented (see above): %s", r.err);
  tu_run_free(&r);
}
END_TEST

START_TEST(test_bad_mode) {
  char *model = tu_printf("%s/models/vit_tiny32.onnx", VITC_SOURCE_DIR), *out = tu_printf("%s/bad_mode", work);
  char *argv[] = {VITC, "compile", model, "-o", out, "--weights", "files", NULL};
  RunResult r;
  ck_assert(tu_run(argv, TIMEOUT, &r) == 0);
  char *broken = tu_check_one_error_line(&r);
  ck_assert_msg(broken == NULL, "%s", broken);
  ck_assert_msg(strstr(r.err, "--weights 'files'"), "%s", r.err);
  ck_assert_msg(!tu_exists(out), "a bundle folder was made");
  tu_run_free(&r);
}
END_TEST

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  work = tu_printf("%s/tests/weights", VITC_BINARY_DIR);
  tu_rm_rf(work);
  tu_mkdir_p(work);
  const TTest *const tests[] = {
      test_file_mode_runs,
      test_bad_files_in_the_harness,
      test_api_codes,
      test_bad_mode,
  };
  return tu_run_suite(tu_suite_of("weights", "weights", 900, tests, sizeof tests / sizeof tests[0]));
}
