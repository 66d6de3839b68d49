/* tests/check_emit.c: the bundle writer (compiler/emit/emit.c).
 *
 * What a user of a bundle relies on, checked on small models built in memory:
 *   - all or nothing: a compile that fails (a node without a lowering, an output
 *     folder that cannot be written, a rename that fails) leaves no NAME.c and no
 *     temporary files behind;
 *   - ONNX names of any shape ('/', '.', ':', '"', '*' '/', a digit first, C keywords,
 *     standard macros like NULL, names that collide once sanitized) become distinct
 *     valid C identifiers, and the bundle builds with -std=c99 -Wall -Wextra
 *     -pedantic -Werror under gcc and clang; the harness then computes the right
 *     numbers, so colliding names were not mixed up;
 *   - the header's macros (NAME_WORKSPACE_BYTES, NAME_INPUT0_SHAPE, ...) are there
 *     and usable from a user's program;
 *   - compiling twice, from other folders, gives byte-identical files;
 *   - weights of every byte value, longer than the writer's 64 KiB pieces, come back
 *     exact from a bundle built from them, embedded (string literals) or in a file
 *     (--weights file), and a failed file-mode compile leaves no NAME.weights.
 * The bundles are built with the library calls main.c makes (load, pipeline, plan,
 * emit), so a failure points at the emitter rather than at the command line. */
#include <check.h>
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "check_runner.h"
#include "emit/emit.h"
#include "emit/target.h"
#include "ir/diag.h"
#include "mkonnx.h"
#include "onnx/load.h"
#include "passes/passes.h"
#include "plan/plan.h"

#define SUITE "emit"
#define CC_TIMEOUT 300

/* ---- compiling ---- */

/* emit_bundle() on g, as main.c calls it (weights embedded, or in a file); returns its
 * status, *err what it printed. */
static int emit_graph_mode(Graph *g, const char *out_dir, const char *name, bool harness, bool weights_file,
                           size_t *workspace, char **err) {
  Plan *plan = plan_build(g, target_find("scalar"));
  if (workspace) *workspace = plan->workspace_bytes;
  char *command = tu_printf("vitc compile model.onnx --target scalar --name %s%s%s", name, harness ? " --main" : "",
                            weights_file ? " --weights file" : "");
  EmitOptions eo = {out_dir, name, target_find("scalar"), harness, command, "model.onnx", weights_file, false, NULL};
  Capture c;
  capture_begin(&c);
  int rc = emit_bundle(g, plan, &eo);
  *err = capture_end(&c);
  free(command);
  plan_free(plan);
  return rc;
}

static int emit_graph(Graph *g, const char *out_dir, const char *name, bool harness, size_t *workspace, char **err) {
  return emit_graph_mode(g, out_dir, name, harness, false, workspace, err);
}

/* The whole compile of a model file into out_dir; must succeed. */
static void compile_ok(const char *model, const char *out_dir, const char *name, bool harness, size_t *workspace) {
  Capture c;
  capture_begin(&c);
  Graph *g = onnx_load(model, NULL, 0);
  PipelineOptions po = {NULL, NULL, ""};
  int rc = g ? run_pipeline(g, &po) : -1;
  char *err = capture_end(&c);
  ck_assert_msg(rc == 0, "%s does not compile: %s", model, err);
  free(err);
  rc = emit_graph(g, out_dir, name, harness, workspace, &err);
  ck_assert_msg(rc == 0, "emit failed: %s", err);
  free(err);
  graph_free(g);
}

/* Every entry of dir (dot files included), sorted, one per line. */
static char *dir_listing(const char *dir) {
  DIR *d = opendir(dir);
  if (!d) return tu_printf("%s", "(no folder)");
  char *names[256];
  int n = 0;
  struct dirent *de;
  while ((de = readdir(d)) && n < 256)
    if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) names[n++] = strdup(de->d_name);
  closedir(d);
  for (int i = 1; i < n; i++)
    for (int j = i; j > 0 && strcmp(names[j - 1], names[j]) > 0; j--) {
      char *t = names[j];
      names[j] = names[j - 1], names[j - 1] = t;
    }
  char *s = tu_printf("%s", "");
  for (int i = 0; i < n; i++) {
    char *t = tu_printf("%s%s\n", s, names[i]);
    free(s);
    free(names[i]);
    s = t;
  }
  return s;
}

/* cc -std=c99 -Wall -Wextra -pedantic -Werror on the given sources (NULL-terminated);
 * exe NULL: compile only. Returns NULL or the first error line. */
static char *cc_strict(const char *cc, const char *exe, const char *const *srcs) {
  char *argv[32];
  int k = 0;
  argv[k++] = (char *)cc;
  const char *flags[] = {"-std=c99", "-O1", "-Wall", "-Wextra", "-pedantic", "-Werror"};
  for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++) argv[k++] = (char *)flags[i];
  for (int i = 0; srcs[i]; i++) argv[k++] = (char *)srcs[i];
  if (exe) {
    argv[k++] = "-o";
    argv[k++] = (char *)exe;
    argv[k++] = "-lm";
  } else {
    argv[k++] = "-fsyntax-only";
  }
  argv[k] = NULL;
  RunResult r;
  char *why = NULL;
  if (tu_run(argv, CC_TIMEOUT, &r) != 0) why = tu_printf("cannot run %s", cc);
  else if (!r.exited || r.status != 0) why = tu_line_with(r.err, "error", 400);
  tu_run_free(&r);
  return why;
}

/* The C compilers here: cc, and gcc and clang when installed. */
static int compilers(const char **out) {
  int n = 0;
  out[n++] = "cc";
  if (system("command -v gcc >/dev/null 2>&1") == 0) out[n++] = "gcc";
  if (system("command -v clang >/dev/null 2>&1") == 0) out[n++] = "clang";
  return n;
}

/* ---- models ---- */

static const int64_t d14[2] = {1, 4}, d44[2] = {4, 4};

/* A 4x4 weight with values depending on `seed`, so swapped weights change results. */
static void weight(float *w, int seed) {
  for (int i = 0; i < 16; i++) w[i] = (float)(((i + 3) * (seed + 5)) % 11) / 8.0f - 0.6f;
}

static void matmul_1x4(const float *x, const float *w, float *y) {
  for (int j = 0; j < 4; j++) {
    y[j] = 0;
    for (int k = 0; k < 4; k++) y[j] += x[k] * w[k * 4 + j];
  }
}

static void relu4(float *v) {
  for (int i = 0; i < 4; i++) v[i] = v[i] > 0 ? v[i] : 0;
}

static const char *const weird_outputs[] = {"out", "out.put", "out/put", "out\"q"};

/* Names that need every rule of the sanitizer. Computes
 *   h = ((relu(NULL @ int) @ 9lives) @ while) @ /blocks.0/w @ /blocks.0.w
 * and four outputs, each relu(h), whose names collide once sanitized. */
static MB *weird_model(void) {
  MB *mb = mb_new(17);
  mb_input(mb, "NULL", DT_FLOAT, 2, d14);
  mb_input(mb, "9lives", DT_FLOAT, 2, d44);
  mb_input(mb, "while", DT_FLOAT, 2, d44);
  float w[16];
  weight(w, 0);
  mb_init_raw(mb, "int", DT_FLOAT, 2, d44, w);
  weight(w, 1);
  mb_init_raw(mb, "/blocks.0/w", DT_FLOAT, 2, d44, w);
  weight(w, 2);
  mb_init_raw(mb, "/blocks.0.w", DT_FLOAT, 2, d44, w); /* same C name once sanitized */
  mb_node(mb, "MatMul", "n\"1\\x", "NULL,int", "/blocks.0/attn/MatMul_output_0");
  mb_node(mb, "Relu", "r*/", "/blocks.0/attn/MatMul_output_0", "/blocks.0/attn.MatMul_output_0");
  mb_node(mb, "MatMul", "/blocks.0/m2", "/blocks.0/attn.MatMul_output_0,9lives", "a*/b");
  mb_node(mb, "MatMul", "/*m3", "a*/b,while", "onnx::MatMul_7");
  mb_node(mb, "MatMul", "m4", "onnx::MatMul_7,/blocks.0/w", "3");
  mb_node(mb, "MatMul", "m5", "3,/blocks.0.w", "h");
  for (int i = 0; i < 4; i++) {
    char nn[16];
    snprintf(nn, sizeof nn, "relu_out%d", i);
    mb_node(mb, "Relu", nn, "h", weird_outputs[i]);
    mb_output(mb, weird_outputs[i], DT_FLOAT);
  }
  return mb;
}

static void weird_reference(const float *x, const float *l9, const float *wh, float *y) {
  float w[16], a[4], b[4];
  weight(w, 0);
  matmul_1x4(x, w, a);
  relu4(a);
  matmul_1x4(a, l9, b);
  matmul_1x4(b, wh, a);
  weight(w, 1);
  matmul_1x4(a, w, b);
  weight(w, 2);
  matmul_1x4(b, w, y);
  relu4(y);
}

/* The field names of `typedef struct NAME_<which> { ... }` in a header, space-separated. */
static char *struct_fields(const char *header, const char *name, const char *which) {
  char *open = tu_printf("typedef struct %s_%s {\n", name, which);
  const char *p = strstr(header, open);
  ck_assert_msg(p != NULL, "no '%s' in the header", open);
  p += strlen(open);
  const char *end = strstr(p, "}");
  char *fields = tu_printf("%s", "");
  while (p < end) {
    const char *eol = strchr(p, '\n');
    const char *star = memchr(p, '*', (size_t)(eol - p));
    const char *semi = memchr(p, ';', (size_t)(eol - p));
    if (star && semi) {
      char *t = tu_printf("%s%s%.*s", fields, fields[0] ? " " : "", (int)(semi - star - 1), star + 1);
      free(fields);
      fields = t;
    }
    p = eol + 1;
  }
  free(open);
  return fields;
}

/* ------------------------------------------------------------------------ */

START_TEST(test_weird_names) {
  char *dir = unit_dir(SUITE, "weird_names");
  char *model = tu_printf("%s/model.onnx", dir), *out = tu_printf("%s/out", dir);
  MB *mb = weird_model();
  mb_write(mb, model);
  mb_free(mb);
  compile_ok(model, out, "weird", true, NULL);
  char *hpath = tu_printf("%s/weird.h", out);
  char *h = tu_read_file(hpath, NULL);
  free(hpath);
  ck_assert_ptr_nonnull(h);
  /* inputs and outputs: sanitized, keywords and macros avoided, collisions numbered */
  char *in_fields = struct_fields(h, "weird", "inputs");
  char *out_fields = struct_fields(h, "weird", "outputs");
  ck_assert_str_eq(in_fields, "NULL_ x_9lives while_");
  ck_assert_str_eq(out_fields, "out_ out_put out_put_2 out_q");
  /* the original names survive, escaped, for tools */
  ck_assert_ptr_nonnull(strstr(h, "#define WEIRD_OUTPUT3_NAME \"out\\\"q\"\n"));
  ck_assert_ptr_nonnull(strstr(h, "#define WEIRD_INPUT0_FIELD NULL_\n"));
  free(in_fields);
  free(out_fields);
  free(h);

  /* builds strictly with every compiler here */
  const char *ccs[3];
  int ncc = compilers(ccs);
  char *c_file = tu_printf("%s/weird.c", out), *main_file = tu_printf("%s/weird_main.c", out);
  for (int i = 0; i < ncc; i++) {
    char *why = cc_strict(ccs[i], NULL, (const char *[]){c_file, main_file, NULL});
    ck_assert_msg(why == NULL, "%s: the bundle does not build: %s", ccs[i], why);
  }
  /* and computes the right numbers: the two weights named "/blocks.0/w" and
   * "/blocks.0.w" were not mixed up */
  char *exe = tu_printf("%s/prog", dir);
  char *why = cc_strict("cc", exe, (const char *[]){c_file, main_file, NULL});
  ck_assert_msg(why == NULL, "%s", why);
  float x[4] = {0.5f, -1, 2, 0.25f}, l9[16], wh[16], want[4];
  for (int i = 0; i < 16; i++) l9[i] = (float)(i % 5) / 4 - 0.3f, wh[i] = (float)((i * 3) % 7) / 6 - 0.4f;
  weird_reference(x, l9, wh, want);
  char *ins[3] = {tu_printf("%s/in0.bin", dir), tu_printf("%s/in1.bin", dir), tu_printf("%s/in2.bin", dir)};
  tu_write_file(ins[0], x, sizeof x);
  tu_write_file(ins[1], l9, sizeof l9);
  tu_write_file(ins[2], wh, sizeof wh);
  char *outs[4];
  for (int i = 0; i < 4; i++) outs[i] = tu_printf("%s/out%d.bin", dir, i);
  char *argv[] = {exe, "--in", ins[0], "--in", ins[1], "--in", ins[2], "--out", outs[0], "--out", outs[1],
                  "--out", outs[2], "--out", outs[3], NULL};
  RunResult r;
  ck_assert_int_eq(tu_run(argv, 60, &r), 0);
  ck_assert_msg(r.exited && r.status == 0, "harness failed: %s", r.err);
  tu_run_free(&r);
  for (int i = 0; i < 4; i++) {
    size_t len;
    float *got = tu_read_file(outs[i], &len);
    ck_assert_msg(got && len == sizeof want, "output %d has %zu bytes", i, got ? len : 0);
    for (int k = 0; k < 4; k++)
      ck_assert_msg(fabsf(got[k] - want[k]) <= 1e-5f * (1 + fabsf(want[k])), "output %d[%d] = %g, want %g", i, k,
                    got[k], want[k]);
    free(got);
    free(outs[i]);
  }
  for (int i = 0; i < 3; i++) free(ins[i]);
  free(exe);
  free(c_file);
  free(main_file);
  free(model);
  free(out);
  free(dir);
}
END_TEST

/* y = Relu(x @ W), x [2,3], W [3,5] */
static MB *tiny_model(void) {
  MB *mb = mb_new(17);
  mb_input(mb, "x", DT_FLOAT, 2, (int64_t[]){2, 3});
  float w[15];
  for (int i = 0; i < 15; i++) w[i] = (float)(i % 4) - 1.5f;
  mb_init_raw(mb, "W", DT_FLOAT, 2, (int64_t[]){3, 5}, w);
  mb_node(mb, "MatMul", "mm", "x,W", "xw");
  mb_node(mb, "Relu", "relu", "xw", "y");
  mb_output(mb, "y", DT_FLOAT);
  return mb;
}

START_TEST(test_header_macros) {
  char *dir = unit_dir(SUITE, "header");
  char *model = tu_printf("%s/model.onnx", dir), *out = tu_printf("%s/out", dir);
  MB *mb = tiny_model();
  mb_write(mb, model);
  mb_free(mb);
  size_t ws;
  compile_ok(model, out, "tiny", false, &ws);
  char *hpath = tu_printf("%s/tiny.h", out);
  char *h = tu_read_file(hpath, NULL);
  free(hpath);
  char *want_ws = tu_printf("#define TINY_WORKSPACE_BYTES %zu\n", ws ? ws : 1);
  const char *const want[] = {
      want_ws, "#define TINY_NUM_INPUTS 1\n", "#define TINY_NUM_OUTPUTS 1\n", "#define TINY_INPUT0_NAME \"x\"\n",
      "#define TINY_INPUT0_FIELD x\n", "#define TINY_INPUT0_DTYPE 1 ", "#define TINY_INPUT0_RANK 2\n",
      "#define TINY_INPUT0_SHAPE {2, 3}\n", "#define TINY_INPUT0_NUMEL 6\n", "#define TINY_INPUT0_BYTES 24\n",
      "#define TINY_OUTPUT0_NAME \"y\"\n", "#define TINY_OUTPUT0_SHAPE {2, 5}\n", "#define TINY_OUTPUT0_NUMEL 10\n",
      "#define TINY_OUTPUT0_BYTES 40\n", "int tiny_run(const tiny_inputs *in, const tiny_outputs *out, tiny_workspace *ws);",
      "#ifndef TINY_H\n", "#include \"vitc_runtime.h\"\n"};
  for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
    ck_assert_msg(strstr(h, want[i]) != NULL, "the header lacks '%s':\n%s", want[i], h);
  free(want_ws);
  free(h);
  ck_assert(!tu_exists(tu_printf("%s/tiny_main.c", out))); /* no harness unless asked */

  /* a user's program that sizes everything from the macros */
  static const char user[] =
      "#include <stdio.h>\n#include <stdint.h>\n#include \"tiny.h\"\n"
      "static tiny_workspace ws;\n"
      "int main(void) {\n"
      "  static const int64_t in_shape[TINY_INPUT0_RANK] = TINY_INPUT0_SHAPE;\n"
      "  float x[TINY_INPUT0_NUMEL], y[TINY_OUTPUT0_NUMEL];\n"
      "  for (int i = 0; i < TINY_INPUT0_NUMEL; i++) x[i] = (float)i * 0.5f - 1.0f;\n"
      "  tiny_inputs in = {x};\n  tiny_outputs out = {y};\n"
      "  if (in_shape[0] * in_shape[1] != TINY_INPUT0_NUMEL || sizeof x != TINY_INPUT0_BYTES) return 3;\n"
      "  if (sizeof ws.bytes != TINY_WORKSPACE_BYTES) return 4;\n"
      "  if (tiny_run(NULL, &out, &ws) != VITC_ERR_NULL || tiny_run(&in, &out, NULL) != VITC_ERR_NULL) return 5;\n"
      "  if (tiny_run(&in, &out, &ws) != VITC_OK) return 6;\n"
      "  for (int i = 0; i < TINY_OUTPUT0_NUMEL; i++) printf(\"%.6f\\n\", y[i]);\n"
      "  return 0;\n}\n";
  char *user_c = tu_printf("%s/user.c", out), *tiny_c = tu_printf("%s/tiny.c", out), *exe = tu_printf("%s/user", dir);
  tu_write_file(user_c, user, sizeof user - 1);
  char *why = cc_strict("cc", exe, (const char *[]){user_c, tiny_c, NULL});
  ck_assert_msg(why == NULL, "%s", why);
  char *argv[] = {exe, NULL};
  RunResult r;
  ck_assert_int_eq(tu_run(argv, 60, &r), 0);
  ck_assert_msg(r.exited && r.status == 0, "user program: %s", tu_run_describe(&r));
  const char *p = r.out;
  for (int i = 0; i < 2; i++)
    for (int j = 0; j < 5; j++) {
      float acc = 0;
      for (int k = 0; k < 3; k++) acc += ((float)(i * 3 + k) * 0.5f - 1.0f) * ((float)((k * 5 + j) % 4) - 1.5f);
      char *end;
      double got = strtod(p, &end);
      ck_assert_msg(end != p, "short output: %s", r.out);
      ck_assert_msg(fabs(got - (acc > 0 ? acc : 0)) < 1e-5, "y[%d][%d] = %g, want %g", i, j, got, acc > 0 ? acc : 0);
      p = end;
    }
  tu_run_free(&r);
  free(user_c);
  free(tiny_c);
  free(exe);
  free(model);
  free(out);
  free(dir);
}
END_TEST

START_TEST(test_all_or_nothing_emit_failure) {
  /* a node without a lowering (Constant must have been folded by the loader) */
  char *dir = unit_dir(SUITE, "emit_failure");
  char *out = tu_printf("%s/out", dir);
  Graph *g = graph_new();
  g->opset = 17;
  g->source = xstrdup("model.onnx");
  int x = graph_add_tensor(g, "x");
  g->t[x].is_input = g->t[x].typed = true;
  g->t[x].dtype = DT_FLOAT;
  g->t[x].shape = (Shape){2, {1, 4}};
  g->inputs = xmalloc(sizeof(int));
  g->inputs[g->n_inputs++] = x;
  int a = graph_add_tensor(g, "a"), y = graph_add_tensor(g, "y");
  g->t[a] = (Tensor){.name = g->t[a].name, .dtype = DT_FLOAT, .shape = {2, {1, 4}}, .typed = true, .producer = -1, .out_index = -1};
  g->t[y] = (Tensor){.name = g->t[y].name, .dtype = DT_FLOAT, .shape = {2, {1, 4}}, .typed = true, .producer = -1, .out_index = 0, .is_output = true};
  g->outputs = xmalloc(sizeof(int));
  g->outputs[g->n_outputs++] = y;
  graph_add_node(g, OP_Relu, "fine", &x, 1, &a, 1);
  graph_add_node(g, OP_Constant, "unlowerable", &a, 1, &y, 1);
  char *err;
  ck_assert_int_eq(emit_graph(g, out, "m", true, NULL, &err), -1);
  ck_assert_one_error(err, "'unlowerable'");
  free(err);
  char *ls = dir_listing(out);
  ck_assert_msg(ls[0] == 0, "a failed compile left files:\n%s", ls);
  free(ls);
  graph_free(g);
  free(out);
  free(dir);
}
END_TEST

START_TEST(test_all_or_nothing_write_failures) {
  char *dir = unit_dir(SUITE, "write_failure");
  char *model = tu_printf("%s/model.onnx", dir);
  MB *mb = tiny_model();
  mb_write(mb, model);
  mb_free(mb);
  Graph *g;
  PipelineOptions po = {NULL, NULL, ""};
  ck_assert_ptr_nonnull(g = onnx_load(model, NULL, 0));
  ck_assert_int_eq(run_pipeline(g, &po), 0);

  /* the output folder cannot be created: a regular file is in the way */
  char *file = tu_printf("%s/file", dir), *under = tu_printf("%s/file/out", dir);
  tu_write_file(file, "x", 1);
  char *err;
  ck_assert_int_eq(emit_graph(g, under, "m", false, NULL, &err), -1);
  ck_assert_one_error(err, "file/out");
  free(err);

  /* the last rename fails (NAME_main.c is a folder): nothing that looks like a bundle stays */
  char *out = tu_printf("%s/out", dir), *blocker = tu_printf("%s/out/m_main.c", dir);
  ck_assert_int_eq(tu_mkdir_p(blocker), 0);
  ck_assert_int_eq(emit_graph(g, out, "m", true, NULL, &err), -1);
  ck_assert_one_error(err, "m_main.c");
  free(err);
  char *ls = dir_listing(out);
  ck_assert_msg(strstr(ls, "m.c\n") == NULL && strstr(ls, ".tmp") == NULL, "a failed compile left:\n%s", ls);
  free(ls);

  /* without the blocker the same call succeeds */
  tu_rm_rf(blocker);
  ck_assert_int_eq(emit_graph(g, out, "m", true, NULL, &err), 0);
  free(err);
  ls = dir_listing(out);
  ck_assert_str_eq(ls, "m.c\nm.h\nm_main.c\nvitc_runtime.h\n");
  free(ls);
  graph_free(g);
  free(file);
  free(under);
  free(out);
  free(blocker);
  free(model);
  free(dir);
}
END_TEST

START_TEST(test_all_or_nothing_weights_file) {
  /* --weights file: NAME.weights is renamed just before NAME.c; when a rename fails
   * neither stays, nor any half-written temporary */
  char *dir = unit_dir(SUITE, "weights_failure");
  char *model = tu_printf("%s/model.onnx", dir), *out = tu_printf("%s/out", dir);
  MB *mb = tiny_model();
  mb_write(mb, model);
  mb_free(mb);
  Graph *g;
  PipelineOptions po = {NULL, NULL, ""};
  ck_assert_ptr_nonnull(g = onnx_load(model, NULL, 0));
  ck_assert_int_eq(run_pipeline(g, &po), 0);
  static const char *const blockers[] = {"m.weights", "m.c"};
  for (int b = 0; b < 2; b++) {
    char *blocker = tu_printf("%s/%s", out, blockers[b]), *err;
    tu_rm_rf(out);
    ck_assert_int_eq(tu_mkdir_p(blocker), 0);
    ck_assert_int_eq(emit_graph_mode(g, out, "m", true, true, NULL, &err), -1);
    ck_assert_one_error(err, blockers[b]);
    free(err);
    char *ls = dir_listing(out);
    ck_assert_msg(strstr(ls, ".tmp") == NULL && (b == 1 || strstr(ls, "m.c\n") == NULL) &&
                      (b == 0 || strstr(ls, "m.weights\n") == NULL),
                  "a failed compile (%s a folder) left:\n%s", blockers[b], ls);
    free(ls);
    free(blocker);
  }
  tu_rm_rf(out);
  char *err;
  ck_assert_int_eq(emit_graph_mode(g, out, "m", true, true, NULL, &err), 0);
  free(err);
  char *ls = dir_listing(out);
  ck_assert_str_eq(ls, "m.c\nm.h\nm.weights\nm_main.c\nvitc_runtime.h\n");
  free(ls);
  graph_free(g);
  free(model);
  free(out);
  free(dir);
}
END_TEST

START_TEST(test_weights_exact) {
  /* y = Identity(C), C 200,003 bytes: every byte value, runs of escapes followed by
   * octal digits ("\0" then '1' must not become "\01"), quotes, backslashes and '?'
   * (trigraphs), across the 64 KiB pieces of the literal writer; the harness copies C
   * into y, which must be C exactly, embedded and in a file */
  enum { N = 200003 };
  char *dir = unit_dir(SUITE, "weights_exact");
  unsigned char *c = malloc(N);
  uint32_t rng = 12345;
  for (int i = 0; i < N; i++) {
    rng = rng * 1103515245u + 12345u;
    static const char tricky[] = "\"\\?01234567\n\t";
    c[i] = i < 256 ? (unsigned char)i : (rng >> 16) % 3 ? (unsigned char)(rng >> 24) : (unsigned char)tricky[(rng >> 8) % 13];
  }
  MB *mb = mb_new(17);
  mb_input(mb, "x", DT_FLOAT, 2, d14);
  mb_init_raw(mb, "C", DT_UINT8, 1, (int64_t[]){N}, c);
  mb_node(mb, "Identity", "copy", "C", "y");
  mb_node(mb, "Relu", "relu", "x", "z");
  mb_output(mb, "y", DT_UINT8);
  mb_output(mb, "z", DT_FLOAT);
  char *model = tu_printf("%s/model.onnx", dir);
  mb_write(mb, model);
  mb_free(mb);
  float x[4] = {1, -2, 3, -4};
  char *in = tu_printf("%s/x.bin", dir);
  tu_write_file(in, x, sizeof x);
  for (int mode = 0; mode < 2; mode++) {
    char *out = tu_printf("%s/%s", dir, mode ? "file" : "embed"), *exe = tu_printf("%s/prog", out);
    Capture cap;
    capture_begin(&cap);
    Graph *g = onnx_load(model, NULL, 0);
    PipelineOptions po = {NULL, NULL, ""};
    int rc = g ? run_pipeline(g, &po) : -1;
    char *err = capture_end(&cap);
    ck_assert_msg(rc == 0, "does not compile: %s", err);
    free(err);
    ck_assert_int_eq(emit_graph_mode(g, out, "m", true, mode == 1, NULL, &err), 0);
    free(err);
    graph_free(g);
    char *src = tu_printf("%s/m.c", out), *harness = tu_printf("%s/m_main.c", out);
    const char *srcs[] = {src, harness, NULL};
    char *why = cc_strict("cc", exe, srcs);
    ck_assert_msg(why == NULL, "%s bundle: %s", mode ? "file" : "embedded", why);
    char *y = tu_printf("%s/y.bin", out), *z = tu_printf("%s/z.bin", out);
    char *argv[] = {exe, "--in", in, "--out", y, "--out", z, NULL};
    RunResult r;
    ck_assert(tu_run(argv, CC_TIMEOUT, &r) == 0);
    ck_assert_msg(r.exited && r.status == 0, "running the %s bundle: %s", mode ? "file" : "embedded", r.err);
    tu_run_free(&r);
    size_t len;
    unsigned char *got = tu_read_file(y, &len);
    ck_assert_msg(got && len == N && memcmp(got, c, N) == 0, "%s weights do not come back exact", mode ? "file" : "embedded");
    free(got);
    free(y);
    free(z);
    free(src);
    free(harness);
    free(exe);
    free(out);
  }
  free(c);
  free(in);
  free(model);
  free(dir);
}
END_TEST

START_TEST(test_deterministic) {
  /* the same model from two folders into two folders: identical bytes, no paths inside */
  char *dir = unit_dir(SUITE, "deterministic");
  char *m1 = tu_printf("%s/a/model.onnx", dir), *m2 = tu_printf("%s/b/c/model.onnx", dir);
  tu_mkdir_p(tu_printf("%s/a", dir));
  tu_mkdir_p(tu_printf("%s/b/c", dir));
  MB *mb = weird_model();
  mb_write(mb, m1);
  mb_write(mb, m2);
  mb_free(mb);
  char *o1 = tu_printf("%s/out1", dir), *o2 = tu_printf("%s/deeper/out2", dir);
  compile_ok(m1, o1, "weird", true, NULL);
  compile_ok(m2, o2, "weird", true, NULL);
  compile_ok(m1, o2, "weird", true, NULL); /* again over the same folder */
  static const char *const files[] = {"weird.c", "weird.h", "weird_main.c", "vitc_runtime.h"};
  for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
    char *a = tu_printf("%s/%s", o1, files[i]), *b = tu_printf("%s/%s", o2, files[i]);
    size_t la, lb;
    char *x = tu_read_file(a, &la), *y = tu_read_file(b, &lb);
    ck_assert_msg(x && y, "missing %s", files[i]);
    ck_assert_msg(la == lb && memcmp(x, y, la) == 0, "%s differs between two compiles", files[i]);
    ck_assert_msg(strstr(x, dir) == NULL && strstr(x, VITC_BINARY_DIR) == NULL, "%s contains a path", files[i]);
    free(x);
    free(y);
    free(a);
    free(b);
  }
  free(m1);
  free(m2);
  free(o1);
  free(o2);
  free(dir);
}
END_TEST

int main(void) {
  const TTest *const tests[] = {
      test_weird_names,
      test_header_macros,
      test_all_or_nothing_emit_failure,
      test_all_or_nothing_write_failures,
      test_all_or_nothing_weights_file,
      test_weights_exact,
      test_deterministic,
  };
  return tu_run_suite(tu_suite_of(SUITE, SUITE, 0, tests, sizeof tests / sizeof tests[0]));
}
