/* tests/check_loader.c: the ONNX front end (compiler/onnx/load.c).
 *
 * Each test builds the model it needs in memory (tests/mkonnx.h), writes it to a
 * work folder under the build tree and loads it with onnx_load(), then looks at the
 * Graph: which tensors are constants and with what values, which are inputs, in what
 * order the nodes come. Bad files must give exactly one "vitc: error:" line and a
 * NULL graph, never a crash; stderr is captured to check the line.
 *
 * Covered: initializers (raw_data, float_data, int64_data, int32_data), Constant
 * nodes (value, value_float(s), value_int(s)), external data inside the model's
 * folder (location/offset/length; escapes refused), unknown fields of a newer IR
 * version, opset_import checks, --shape overrides and their syntax, graph inputs
 * that are also initializers, nodes out of topological order in the file (and
 * cycles), and onnx_load_tensor_file on our own and on the backend test data. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check_runner.h"
#include "ir/diag.h"
#include "ir/graph.h"
#include "mkonnx.h"
#include "onnx/load.h"
#include "onnx/upgrade.h"

#define SUITE "loader"

/* Write mb as DIR/model.onnx and load it; *err gets what the loader printed. */
static Graph *load(MB *mb, const char *dir, const ShapeOverride *ov, int n_ov, char **err) {
  char *path = tu_printf("%s/model.onnx", dir);
  mb_write(mb, path);
  Capture c;
  capture_begin(&c);
  Graph *g = onnx_load(path, ov, n_ov);
  char *e = capture_end(&c);
  if (err) *err = e;
  else free(e);
  free(path);
  return g;
}

/* Load and expect success with no output. */
static Graph *load_ok(MB *mb, const char *dir) {
  char *err;
  Graph *g = load(mb, dir, NULL, 0, &err);
  ck_assert_msg(g != NULL, "load failed: %s", err);
  ck_assert_msg(err[0] == 0, "unexpected output: %s", err);
  free(err);
  return g;
}

/* Load and expect one error line containing needle. */
static void load_fails(MB *mb, const char *dir, const ShapeOverride *ov, int n_ov, const char *needle) {
  char *err;
  Graph *g = load(mb, dir, ov, n_ov, &err);
  ck_assert_msg(g == NULL, "loaded a model that should fail with '%s'", needle);
  ck_assert_one_error(err, needle);
  free(err);
}

static const int64_t d14[2] = {1, 4};

/* Y = Relu(X), X float [1,4]: the control every test extends. */
static MB *relu_model(int opset) {
  MB *mb = mb_new(opset);
  mb_input(mb, "X", DT_FLOAT, 2, d14);
  mb_node(mb, "Relu", "relu", "X", "Y");
  mb_output(mb, "Y", DT_FLOAT);
  return mb;
}

/* The constant tensor `name`, checked for dtype and shape. */
static const Tensor *const_tensor(Graph *g, const char *name, DType dt, int rank, const int64_t *dims) {
  int t = graph_find_tensor(g, name);
  ck_assert_msg(t >= 0, "no tensor '%s'", name);
  const Tensor *ten = &g->t[t];
  ck_assert_msg(ten->data != NULL, "'%s' is not a constant", name);
  ck_assert_msg(ten->typed, "'%s' is not typed", name);
  ck_assert_int_eq(ten->dtype, dt);
  ck_assert_int_eq(ten->shape.rank, rank);
  for (int i = 0; i < rank; i++) ck_assert_int_eq(ten->shape.d[i], dims[i]);
  ck_assert(!ten->is_input);
  ck_assert_int_eq(ten->producer, -1);
  return ten;
}

/* ------------------------------------------------------------------------ */

START_TEST(test_control_model) {
  char *dir = unit_dir(SUITE, "control");
  MB *mb = relu_model(17);
  Graph *g = load_ok(mb, dir);
  ck_assert_int_eq(g->opset, 17);
  ck_assert_str_eq(g->source, "model.onnx");
  ck_assert_int_eq(g->n_inputs, 1);
  ck_assert_int_eq(g->n_outputs, 1);
  const Tensor *x = &g->t[g->inputs[0]];
  ck_assert_str_eq(x->name, "X");
  ck_assert(x->is_input && x->typed && !x->data);
  ck_assert_int_eq(x->dtype, DT_FLOAT);
  ck_assert_int_eq(x->shape.rank, 2);
  ck_assert_int_eq(x->shape.d[1], 4);
  const Tensor *y = &g->t[g->outputs[0]];
  ck_assert_str_eq(y->name, "Y");
  ck_assert(y->is_output && !y->typed);
  ck_assert_int_eq(y->out_index, 0);
  ck_assert_int_eq(g->nn, 1);
  ck_assert_int_eq(g->n[0].op, OP_Relu);
  ck_assert_str_eq(g->n[0].name, "relu");
  ck_assert_int_eq(y->producer, 0);
  graph_free(g);
  mb_free(mb);
  free(dir);
}
END_TEST

START_TEST(test_initializers) {
  char *dir = unit_dir(SUITE, "initializers");
  MB *mb = relu_model(17);
  static const float raw[6] = {1.5f, -2, 3, -4, 5, 0.25f};
  static const int64_t d23[2] = {2, 3}, d3[1] = {3};
  mb_init_raw(mb, "raw_f32", DT_FLOAT, 2, d23, raw);
  /* typed fields, as old exporters write them */
  Onnx__TensorProto *tf = mb_tensor(mb, "typed_f32", DT_FLOAT, 1, d3);
  static const float fv[3] = {0.5f, -1, 7};
  tf->n_float_data = 3;
  tf->float_data = mb_dup(mb, fv, sizeof fv);
  mb_add_init(mb, tf);
  Onnx__TensorProto *ti64 = mb_tensor(mb, "typed_i64", DT_INT64, 1, d3);
  static const int64_t iv[3] = {-1, 1LL << 40, 7};
  ti64->n_int64_data = 3;
  ti64->int64_data = mb_dup(mb, iv, sizeof iv);
  mb_add_init(mb, ti64);
  Onnx__TensorProto *ti32 = mb_tensor(mb, "typed_i32", DT_INT32, 1, d3);
  static const int32_t i32v[3] = {-5, 0, 2147483647};
  ti32->n_int32_data = 3;
  ti32->int32_data = mb_dup(mb, i32v, sizeof i32v);
  mb_add_init(mb, ti32);
  /* a scalar (rank 0) and an empty tensor */
  static const int64_t scalar = 42, d0[1] = {0};
  mb_init_raw(mb, "scalar_i64", DT_INT64, 0, NULL, &scalar);
  mb_init_raw(mb, "empty_f32", DT_FLOAT, 1, d0, NULL);
  Graph *g = load_ok(mb, dir);
  ck_assert_mem_eq(const_tensor(g, "raw_f32", DT_FLOAT, 2, d23)->data, raw, sizeof raw);
  ck_assert_mem_eq(const_tensor(g, "typed_f32", DT_FLOAT, 1, d3)->data, fv, sizeof fv);
  ck_assert_mem_eq(const_tensor(g, "typed_i64", DT_INT64, 1, d3)->data, iv, sizeof iv);
  ck_assert_mem_eq(const_tensor(g, "typed_i32", DT_INT32, 1, d3)->data, i32v, sizeof i32v);
  ck_assert_int_eq(*(const int64_t *)const_tensor(g, "scalar_i64", DT_INT64, 0, NULL)->data, 42);
  ck_assert_int_eq(shape_numel(&const_tensor(g, "empty_f32", DT_FLOAT, 1, d0)->shape), 0);
  /* initializers are not run-time inputs */
  ck_assert_int_eq(g->n_inputs, 1);
  graph_free(g);
  mb_free(mb);
  free(dir);
}
END_TEST

START_TEST(test_initializer_payload_mismatch) {
  char *dir = unit_dir(SUITE, "payload_mismatch");
  static const int64_t d3[1] = {3};
  static const float two[2] = {1, 2};
  MB *mb = relu_model(17);
  mb_add_init(mb, mb_tensor_raw(mb, "short_raw", DT_FLOAT, 1, d3, two, sizeof two));
  load_fails(mb, dir, NULL, 0, "short_raw");
  mb_free(mb);

  mb = relu_model(17);
  Onnx__TensorProto *t = mb_tensor(mb, "short_typed", DT_FLOAT, 1, d3);
  t->n_float_data = 2;
  t->float_data = mb_dup(mb, two, sizeof two);
  mb_add_init(mb, t);
  load_fails(mb, dir, NULL, 0, "short_typed");
  mb_free(mb);

  mb = relu_model(17);
  mb_init_raw(mb, "dup", DT_FLOAT, 1, d3, (float[]){1, 2, 3});
  mb_init_raw(mb, "dup", DT_FLOAT, 1, d3, (float[]){1, 2, 3});
  load_fails(mb, dir, NULL, 0, "defined twice");
  mb_free(mb);
  free(dir);
}
END_TEST

START_TEST(test_constant_nodes) {
  char *dir = unit_dir(SUITE, "constant_nodes");
  MB *mb = relu_model(17);
  static const int64_t d2[1] = {2}, d22[2] = {2, 2}, d3[1] = {3};
  static const float tv[4] = {1, 2, 3, 4};
  Onnx__NodeProto *n = mb_node(mb, "Constant", "c_value", "", "c_tensor");
  mb_attr(mb, n, "value", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR)->t =
      mb_tensor_raw(mb, "", DT_FLOAT, 2, d22, tv, sizeof tv);
  mb_attr_float(mb, mb_node(mb, "Constant", "c_f", "", "c_float"), "value_float", 2.5f);
  mb_attr_floats(mb, mb_node(mb, "Constant", "c_fs", "", "c_floats"), "value_floats", 3, (float[]){-1, 0, 1});
  mb_attr_int(mb, mb_node(mb, "Constant", "c_i", "", "c_int"), "value_int", -7);
  mb_attr_ints(mb, mb_node(mb, "Constant", "c_is", "", "c_ints"), "value_ints", 2, (int64_t[]){5, 1LL << 35});
  Graph *g = load_ok(mb, dir);
  ck_assert_mem_eq(const_tensor(g, "c_tensor", DT_FLOAT, 2, d22)->data, tv, sizeof tv);
  ck_assert_float_eq(*(const float *)const_tensor(g, "c_float", DT_FLOAT, 0, NULL)->data, 2.5f);
  const float *fs = const_tensor(g, "c_floats", DT_FLOAT, 1, d3)->data;
  ck_assert(fs[0] == -1 && fs[1] == 0 && fs[2] == 1);
  ck_assert_int_eq(*(const int64_t *)const_tensor(g, "c_int", DT_INT64, 0, NULL)->data, -7);
  const int64_t *is = const_tensor(g, "c_ints", DT_INT64, 1, d2)->data;
  ck_assert(is[0] == 5 && is[1] == (1LL << 35));
  /* Constant nodes become tensors, not nodes */
  ck_assert_int_eq(g->nn, 1);
  graph_free(g);
  mb_free(mb);

  mb = relu_model(17);
  mb_attr_string(mb, mb_node(mb, "Constant", "c_s", "", "c_str"), "value_string", "hello");
  load_fails(mb, dir, NULL, 0, "value_string");
  mb_free(mb);
  free(dir);
}
END_TEST

/* A weights file with 5 junk bytes, then w1 (3 floats), then w2 (2 int64). */
static void write_weights(const char *dir, const char *file) {
  unsigned char buf[5 + 12 + 16];
  memset(buf, 0xAB, 5);
  float w1[3] = {0.125f, -8, 3};
  int64_t w2[2] = {-2, 1LL << 50};
  memcpy(buf + 5, w1, 12);
  memcpy(buf + 17, w2, 16);
  char *p = tu_printf("%s/%s", dir, file);
  ck_assert(tu_write_file(p, buf, sizeof buf) == 0);
  free(p);
}

START_TEST(test_external_data) {
  char *dir = unit_dir(SUITE, "external_data");
  tu_mkdir_p(tu_printf("%s/sub", dir));
  write_weights(dir, "sub/w.bin");
  static const int64_t d3[1] = {3}, d2[1] = {2};
  MB *mb = relu_model(17);
  Onnx__TensorProto *w1 = mb_tensor(mb, "w1", DT_FLOAT, 1, d3);
  mb_tensor_external(mb, w1, "sub/w.bin", 5, 12);
  mb_add_init(mb, w1);
  Onnx__TensorProto *w2 = mb_tensor(mb, "w2", DT_INT64, 1, d2);
  mb_tensor_external(mb, w2, "sub/w.bin", 17, -1); /* length is optional */
  mb_add_init(mb, w2);
  Graph *g = load_ok(mb, dir);
  const float *f = const_tensor(g, "w1", DT_FLOAT, 1, d3)->data;
  ck_assert(f[0] == 0.125f && f[1] == -8 && f[2] == 3);
  const int64_t *i = const_tensor(g, "w2", DT_INT64, 1, d2)->data;
  ck_assert(i[0] == -2 && i[1] == (1LL << 50));
  graph_free(g);
  mb_free(mb);
  free(dir);
}
END_TEST

/* One external initializer, located at `location` (offset 5, given length). */
static void external_fails(const char *dir, const char *location, long offset, long length, const char *needle) {
  static const int64_t d3[1] = {3};
  MB *mb = relu_model(17);
  Onnx__TensorProto *w = mb_tensor(mb, "w1", DT_FLOAT, 1, d3);
  mb_tensor_external(mb, w, location, offset, length);
  mb_add_init(mb, w);
  load_fails(mb, dir, NULL, 0, needle);
  mb_free(mb);
}

START_TEST(test_external_data_refused) {
  char *dir = unit_dir(SUITE, "external_refused");
  char *model_dir = tu_printf("%s/model", dir);
  tu_mkdir_p(model_dir);
  write_weights(dir, "outside.bin");     /* next to the model folder, not in it */
  write_weights(model_dir, "w.bin");
  char *outside = tu_printf("%s/outside.bin", dir);
  char *link = tu_printf("%s/link.bin", model_dir);
  ck_assert(symlink(outside, link) == 0);
  external_fails(model_dir, "../outside.bin", 5, 12, "escapes");
  external_fails(model_dir, "sub/../../outside.bin", 5, 12, "escapes");
  external_fails(model_dir, outside, 5, 12, "absolute");
  external_fails(model_dir, "link.bin", 5, 12, "outside the model's folder");
  external_fails(model_dir, "missing.bin", 5, 12, "missing.bin");
  external_fails(model_dir, "w.bin", 5, 8, "length");     /* length disagrees with the shape */
  external_fails(model_dir, "w.bin", 30, -1, "too short"); /* past the end */
  external_fails(model_dir, "", 5, 12, "location");
  free(outside);
  free(link);
  free(model_dir);
  free(dir);
}
END_TEST

START_TEST(test_unknown_fields_skipped) {
  char *dir = unit_dir(SUITE, "unknown_fields");
  MB *mb = relu_model(17);
  mb->model.ir_version = 99; /* from the future */
  static const float w[4] = {1, 2, 3, 4};
  Onnx__TensorProto *t = mb_init_raw(mb, "W", DT_FLOAT, 2, d14, w);
  static const char sub[] = "\x08\x01\x12\x03" "abc"; /* a small unknown sub-message */
  mb_unknown_varint(mb, &mb->model.base, 1000, 12345);
  mb_unknown_bytes(mb, &mb->model.base, 1001, sub, sizeof sub - 1);
  mb_unknown_varint(mb, &mb->graph.base, 77, 1);
  mb_unknown_bytes(mb, &mb->graph.node[0]->base, 90, sub, sizeof sub - 1);
  mb_unknown_varint(mb, &t->base, 64, 3);
  mb_unknown_varint(mb, &mb->graph.input[0]->type->tensor_type->base, 50, 1);
  mb_unknown_varint(mb, &mb->model.opset_import[0]->base, 9, 1);
  Graph *g = load_ok(mb, dir);
  ck_assert_mem_eq(const_tensor(g, "W", DT_FLOAT, 2, d14)->data, w, sizeof w);
  ck_assert_int_eq(g->nn, 1);
  ck_assert_int_eq(g->opset, 17);
  graph_free(g);
  mb_free(mb);
  free(dir);
}
END_TEST

START_TEST(test_opset_import) {
  char *dir = unit_dir(SUITE, "opsets");
  static const struct { int opset; bool ok; } cases[] = {{0, false}, {1, true}, {7, true},  {12, true},
                                                         {13, true}, {17, true}, {21, true}, {22, false}};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    MB *mb = relu_model(cases[i].opset);
    if (cases[i].ok) {
      Graph *g = load_ok(mb, dir);
      ck_assert_int_eq(g->opset, cases[i].opset);
      graph_free(g);
    } else {
      load_fails(mb, dir, NULL, 0, "not supported");
    }
    mb_free(mb);
  }
  /* "ai.onnx" names the default domain too; other domains may be imported if unused */
  MB *mb = relu_model(-1);
  mb_opset(mb, "com.microsoft", 1);
  mb_opset(mb, "ai.onnx", 18);
  Graph *g = load_ok(mb, dir);
  ck_assert_int_eq(g->opset, 18);
  graph_free(g);
  mb_free(mb);
  /* no default-domain import at all */
  mb = relu_model(-1);
  mb_opset(mb, "com.microsoft", 1);
  load_fails(mb, dir, NULL, 0, "default-domain opset");
  mb_free(mb);
  /* a node from another domain */
  mb = relu_model(17);
  mb_opset(mb, "com.microsoft", 1);
  mb_node(mb, "FusedGemm", "fg", "Y", "Z")->domain = mb_str(mb, "com.microsoft");
  load_fails(mb, dir, NULL, 0, "com.microsoft");
  mb_free(mb);
  free(dir);
}
END_TEST

/* docs/onnx.md's op table is the version table (onnx/opsets.def) restricted to the
 * ops vitc implements (ir/ops.def, or read as one of them: onnx_read_as), row for
 * row, as compiler/onnx/gen_opsets.py --doc writes it. */
START_TEST(test_docs_op_table) {
  size_t len;
  char *doc = tu_read_file(VITC_SOURCE_DIR "/docs/onnx.md", &len);
  ck_assert_msg(doc, "docs/onnx.md is missing");
  const char *begin = strstr(doc, "<!-- op table: begin -->"), *end = strstr(doc, "<!-- op table: end -->");
  ck_assert_msg(begin && end && begin < end, "docs/onnx.md has no op table markers");
  int rows = 0, listed = 0;
  for (const char *p = begin; p < end && (p = strstr(p + 1, "\n| ")) && p < end;) rows++;
  rows -= 2; /* the header and its rule */
  const char *name;
  const int *v;
  for (int i = 0; opset_table(i, &name, &v); i++) {
    if (op_lookup(onnx_read_as(name)) < 0) continue;
    char row[256];
    int n = snprintf(row, sizeof row, "\n| %s | ", name);
    for (int k = 0; v[k]; k++) n += snprintf(row + n, sizeof row - (size_t)n, "%s%d", k ? ", " : "", v[k]);
    snprintf(row + n, sizeof row - (size_t)n, " | %d to 21 |\n", v[0]);
    const char *at = strstr(begin, row);
    ck_assert_msg(at && at < end, "docs/onnx.md lacks the row '%s' (regenerate: compiler/onnx/gen_opsets.py --doc)", row + 1);
    listed++;
  }
  ck_assert_msg(rows == listed, "docs/onnx.md's op table has %d rows, the tables %d ops", rows, listed);
  free(doc);
}
END_TEST

static ShapeOverride parse_ok(const char *arg) {
  ShapeOverride o;
  Capture c;
  capture_begin(&c);
  int rc = shape_override_parse(arg, &o);
  char *err = capture_end(&c);
  ck_assert_msg(rc == 0, "'%s' did not parse: %s", arg, err);
  ck_assert_str_eq(err, "");
  free(err);
  return o;
}

START_TEST(test_shape_override_parse) {
  ShapeOverride o = parse_ok("input=1x3x224x224");
  ck_assert_str_eq(o.name, "input");
  ck_assert_int_eq(o.shape.rank, 4);
  ck_assert(o.shape.d[0] == 1 && o.shape.d[1] == 3 && o.shape.d[2] == 224 && o.shape.d[3] == 224);
  free((char *)o.name);
  o = parse_ok("x=2,5");
  ck_assert(o.shape.rank == 2 && o.shape.d[0] == 2 && o.shape.d[1] == 5);
  free((char *)o.name);
  o = parse_ok("onnx::a=b=7"); /* the last '=' separates: names may contain '=' */
  ck_assert_str_eq(o.name, "onnx::a=b");
  ck_assert(o.shape.rank == 1 && o.shape.d[0] == 7);
  free((char *)o.name);
  o = parse_ok("x=4X4");
  ck_assert(o.shape.rank == 2 && o.shape.d[1] == 4);
  free((char *)o.name);

  static const char *const bad[] = {"x", "=1x2", "x=", "x=1xax2", "x=-1", "x=0x3", "x=1xx2", "x=1x2x3x4x5x6x7x8x9",
                                    "x=99999999999999999999", "x=3.5", "x=1;2"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    Capture c;
    capture_begin(&c);
    int rc = shape_override_parse(bad[i], &o);
    char *err = capture_end(&c);
    ck_assert_msg(rc == -1, "'%s' parsed", bad[i]);
    ck_assert_one_error(err, "--shape");
    free(err);
  }
}
END_TEST

START_TEST(test_shape_override_load) {
  char *dir = unit_dir(SUITE, "shape_override");
  static const int64_t dyn[2] = {-1, 4};
  MB *mb = mb_new(17);
  mb_input(mb, "X", DT_FLOAT, 2, dyn);
  mb_node(mb, "Relu", "relu", "X", "Y");
  mb_output(mb, "Y", DT_FLOAT);
  /* a dynamic dimension needs --shape, and the error says so */
  load_fails(mb, dir, NULL, 0, "--shape X=");

  ShapeOverride ov = parse_ok("X=3x4");
  char *err;
  Graph *g = load(mb, dir, &ov, 1, &err);
  ck_assert_msg(g != NULL, "%s", err);
  free(err);
  const Tensor *x = &g->t[g->inputs[0]];
  ck_assert(x->typed && x->shape.rank == 2 && x->shape.d[0] == 3 && x->shape.d[1] == 4);
  graph_free(g);
  free((char *)ov.name);

  ov = parse_ok("X=3x5"); /* dimension 1 is fixed to 4 by the model */
  load_fails(mb, dir, &ov, 1, "fixed to 4");
  free((char *)ov.name);
  ov = parse_ok("X=3x4x1");
  load_fails(mb, dir, &ov, 1, "rank");
  free((char *)ov.name);
  ShapeOverride two[2] = {parse_ok("X=3x4"), parse_ok("Z=3x4")};
  load_fails(mb, dir, two, 2, "'Z', which is not a graph input");
  free((char *)two[0].name);
  free((char *)two[1].name);
  mb_free(mb);

  /* an input without any shape: the override gives it one */
  mb = mb_new(17);
  mb_input(mb, "X", DT_FLOAT, -1, NULL);
  mb_node(mb, "Relu", "relu", "X", "Y");
  mb_output(mb, "Y", DT_FLOAT);
  load_fails(mb, dir, NULL, 0, "no shape");
  ov = parse_ok("X=2x2x2");
  g = load(mb, dir, &ov, 1, &err);
  ck_assert_msg(g != NULL, "%s", err);
  free(err);
  ck_assert_int_eq(g->t[g->inputs[0]].shape.rank, 3);
  graph_free(g);
  free((char *)ov.name);
  mb_free(mb);
  free(dir);
}
END_TEST

START_TEST(test_input_that_is_initializer) {
  char *dir = unit_dir(SUITE, "input_initializer");
  /* IR < 4 exporters list every initializer among the graph inputs too */
  MB *mb = mb_new(13);
  mb->model.ir_version = 3;
  mb_input(mb, "X", DT_FLOAT, 2, d14);
  mb_input(mb, "W", DT_FLOAT, 2, d14);
  static const float w[4] = {1, -1, 2, -2};
  mb_init_raw(mb, "W", DT_FLOAT, 2, d14, w);
  mb_node(mb, "MatMul", "mm", "X,W", "Y");
  mb_output(mb, "Y", DT_FLOAT);
  Graph *g = load_ok(mb, dir);
  ck_assert_int_eq(g->n_inputs, 1);
  ck_assert_str_eq(g->t[g->inputs[0]].name, "X");
  ck_assert_mem_eq(const_tensor(g, "W", DT_FLOAT, 2, d14)->data, w, sizeof w);
  ck_assert_int_eq(graph_find_tensor(g, "W"), g->n[0].in[1]);
  graph_free(g);
  mb_free(mb);
  free(dir);
}
END_TEST

START_TEST(test_nodes_sorted) {
  char *dir = unit_dir(SUITE, "nodes_sorted");
  /* file order: c (reads B), a (reads X), b (reads A), d (reads X and C); Y = d */
  MB *mb = mb_new(17);
  mb_input(mb, "X", DT_FLOAT, 2, d14);
  mb_node(mb, "Relu", "c", "B", "C");
  mb_node(mb, "Relu", "a", "X", "A");
  mb_node(mb, "Relu", "b", "A", "B");
  mb_node(mb, "MatMul", "d", "X,C", "Y");
  mb_output(mb, "Y", DT_FLOAT);
  Graph *g = load_ok(mb, dir);
  ck_assert_int_eq(g->nn, 4);
  const char *want[4] = {"a", "b", "c", "d"};
  for (int i = 0; i < 4; i++) {
    ck_assert_str_eq(g->n[i].name, want[i]);
    for (int o = 0; o < g->n[i].n_out; o++) ck_assert_int_eq(g->t[g->n[i].out[o]].producer, i);
  }
  graph_free(g);
  mb_free(mb);

  /* a cycle is bad input, named */
  mb = mb_new(17);
  mb_input(mb, "X", DT_FLOAT, 2, d14);
  mb_node(mb, "MatMul", "m", "X,B", "A");
  mb_node(mb, "Relu", "r", "A", "B");
  mb_node(mb, "Relu", "out", "A", "Y");
  mb_output(mb, "Y", DT_FLOAT);
  load_fails(mb, dir, NULL, 0, "cycle");
  mb_free(mb);

  /* an input that nothing produces */
  mb = relu_model(17);
  mb_node(mb, "Relu", "orphan", "nowhere", "Z");
  load_fails(mb, dir, NULL, 0, "nowhere");
  mb_free(mb);
  free(dir);
}
END_TEST

START_TEST(test_not_a_model) {
  char *dir = unit_dir(SUITE, "not_a_model");
  char *p = tu_printf("%s/empty.onnx", dir);
  tu_write_file(p, "", 0);
  Capture c;
  capture_begin(&c);
  ck_assert_ptr_null(onnx_load(p, NULL, 0));
  char *err = capture_end(&c);
  ck_assert_one_error(err, "empty");
  free(err);
  free(p);
  p = tu_printf("%s/garbage.onnx", dir);
  tu_write_file(p, "\xff\xff\xff\xff\xff", 5);
  capture_begin(&c);
  ck_assert_ptr_null(onnx_load(p, NULL, 0));
  err = capture_end(&c);
  ck_assert_one_error(err, "not a valid ONNX model");
  free(err);
  free(p);
  p = tu_printf("%s/missing.onnx", dir);
  capture_begin(&c);
  ck_assert_ptr_null(onnx_load(p, NULL, 0));
  err = capture_end(&c);
  ck_assert_one_error(err, "cannot open");
  free(err);
  free(p);
  free(dir);
}
END_TEST

/* A serialized TensorProto written to DIR/name. */
static char *write_tensor_file(const char *dir, const char *name, Onnx__TensorProto *t) {
  size_t len = onnx__tensor_proto__get_packed_size(t);
  uint8_t *buf = malloc(len + 1);
  onnx__tensor_proto__pack(t, buf);
  char *p = tu_printf("%s/%s", dir, name);
  ck_assert(tu_write_file(p, buf, len) == 0);
  free(buf);
  return p;
}

START_TEST(test_tensor_file) {
  char *dir = unit_dir(SUITE, "tensor_file");
  MB *mb = mb_new(-1);
  static const int64_t d23[2] = {2, 3};
  static const int32_t v[6] = {1, -2, 3, -4, 5, 1 << 30};
  char *p = write_tensor_file(dir, "t.pb", mb_tensor_raw(mb, "the_input", DT_INT32, 2, d23, v, sizeof v));
  DType dt;
  Shape s;
  void *data;
  char *name;
  ck_assert_int_eq(onnx_load_tensor_file(p, &dt, &s, &data, &name), 0);
  ck_assert_int_eq(dt, DT_INT32);
  ck_assert(s.rank == 2 && s.d[0] == 2 && s.d[1] == 3);
  ck_assert_mem_eq(data, v, sizeof v);
  ck_assert_str_eq(name, "the_input");
  free(data);
  free(name);
  free(p);

  /* external data is not allowed in a lone tensor file */
  Onnx__TensorProto *ext = mb_tensor(mb, "ext", DT_FLOAT, 2, d23);
  mb_tensor_external(mb, ext, "w.bin", 0, 24);
  p = write_tensor_file(dir, "ext.pb", ext);
  Capture c;
  capture_begin(&c);
  ck_assert_int_eq(onnx_load_tensor_file(p, &dt, &s, &data, NULL), -1);
  char *err = capture_end(&c);
  ck_assert_one_error(err, "external");
  free(err);
  free(p);

  p = tu_printf("%s/bad.pb", dir);
  tu_write_file(p, "\x0a\xff\xff", 3);
  capture_begin(&c);
  ck_assert_int_eq(onnx_load_tensor_file(p, &dt, &s, &data, NULL), -1);
  err = capture_end(&c);
  ck_assert_one_error(err, "TensorProto");
  free(err);
  free(p);
  mb_free(mb);
  free(dir);
}
END_TEST

START_TEST(test_tensor_file_backend_data) {
  /* Debian's libonnx-testdata: test_relu's input is float [3,4,5], named "x", raw_data */
  const char *p = ONNX_NODE_TESTDATA_DIR "/test_relu/test_data_set_0/input_0.pb";
  ck_assert_msg(access(p, R_OK) == 0, "%s is not installed (libonnx-testdata; .ci/setup.sh installs it)", p);
  DType dt;
  Shape s;
  void *data;
  char *name;
  ck_assert_int_eq(onnx_load_tensor_file(p, &dt, &s, &data, &name), 0);
  ck_assert_int_eq(dt, DT_FLOAT);
  ck_assert(s.rank == 3 && s.d[0] == 3 && s.d[1] == 4 && s.d[2] == 5);
  ck_assert_str_eq(name, "x");
  ck_assert(fabsf(((float *)data)[0] - 1.7640524f) < 1e-6f);
  free(data);
  free(name);
}
END_TEST

int main(void) {
  const TTest *const tests[] = {
      test_control_model,
      test_initializers,
      test_initializer_payload_mismatch,
      test_constant_nodes,
      test_external_data,
      test_external_data_refused,
      test_unknown_fields_skipped,
      test_opset_import,
      test_docs_op_table,
      test_shape_override_parse,
      test_shape_override_load,
      test_input_that_is_initializer,
      test_nodes_sorted,
      test_not_a_model,
      test_tensor_file,
      test_tensor_file_backend_data,
  };
  return tu_run_suite(tu_suite_of(SUITE, SUITE, 0, tests, sizeof tests / sizeof tests[0]));
}
