/* tests/check_badinput.c: hostile and malformed models.
 *
 * vitc's contract for bad input: exit status 1, exactly one line on stderr starting
 * with "vitc: error:" (naming what is wrong), no crash, and no bundle written. Each
 * test here builds a broken model at run time, with protobuf-c (the same generated
 * onnx.pb-c.h the front end decodes with) or as raw bytes, runs build/vitc on it as
 * a subprocess, both `compile` and `inspect`, and checks that contract, plus a
 * word the error line must contain so that the right check fired.
 *
 * Covered: truncated files, bytes that are not protobuf, a missing initializer, an
 * unknown op, a cycle, a dynamic input dimension (and --shape fixing it), sizes
 * that overflow (in an initializer, an input, a Reshape/Expand/ConstantOfShape
 * target), external data escaping the model's folder (../, absolute, symlink),
 * opsets outside 13..20, a non-default domain, smaller structural faults, every
 * op in the registry called with no, one and eight inputs and no attributes, and
 * every attribute of every op with a wrong type, unknown, twice or missing.
 * Positive controls check that the unbroken versions compile.
 *
 * Work folders: BUILD/tests/badinput/<case>/. Check runs each test in its own
 * process, so the builders below do not bother freeing. */
#define _GNU_SOURCE
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check_runner.h"
#include "ir/attrs.h"
#include "ir/graph.h"
#include "onnx/onnx.pb-c.h"
#include "onnx/upgrade.h"
#include "emit/target.h"
#include "testutil.h"

#define VITC VITC_BINARY_DIR "/vitc"
#define TIMEOUT 60

enum { F32 = ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, I64 = ONNX__TENSOR_PROTO__DATA_TYPE__INT64 };

/* ------------------------------------------------------------------------ */
/* building models with protobuf-c */

#define APPEND(arr, n, item)                                                                                           \
  do {                                                                                                                 \
    (arr) = realloc((arr), ((n) + 1) * sizeof *(arr));                                                                 \
    (arr)[(n)++] = (item);                                                                                             \
  } while (0)

/* A tensor type; a negative dim becomes the symbolic dimension "N", a negative rank
 * leaves the shape out. */
static Onnx__ValueInfoProto *value_info(const char *name, int elem_type, int rank, const int64_t *dims) {
  Onnx__TensorShapeProto *shape = malloc(sizeof *shape);
  *shape = (Onnx__TensorShapeProto)ONNX__TENSOR_SHAPE_PROTO__INIT;
  for (int i = 0; i < rank; i++) {
    Onnx__TensorShapeProto__Dimension *d = malloc(sizeof *d);
    *d = (Onnx__TensorShapeProto__Dimension)ONNX__TENSOR_SHAPE_PROTO__DIMENSION__INIT;
    if (dims[i] >= 0) d->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE, d->dim_value = dims[i];
    else d->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM, d->dim_param = "N";
    APPEND(shape->dim, shape->n_dim, d);
  }
  Onnx__TypeProto__Tensor *tt = malloc(sizeof *tt);
  *tt = (Onnx__TypeProto__Tensor)ONNX__TYPE_PROTO__TENSOR__INIT;
  tt->has_elem_type = 1;
  tt->elem_type = elem_type;
  tt->shape = rank >= 0 ? shape : NULL;
  Onnx__TypeProto *tp = malloc(sizeof *tp);
  *tp = (Onnx__TypeProto)ONNX__TYPE_PROTO__INIT;
  tp->value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE;
  tp->tensor_type = tt;
  Onnx__ValueInfoProto *v = malloc(sizeof *v);
  *v = (Onnx__ValueInfoProto)ONNX__VALUE_INFO_PROTO__INIT;
  v->name = strdup(name);
  v->type = tp;
  return v;
}

/* A tensor with raw data (nbytes of data, whatever the dims say). */
static Onnx__TensorProto *tensor(const char *name, int elem_type, int rank, const int64_t *dims, const void *data,
                                 size_t nbytes) {
  Onnx__TensorProto *t = malloc(sizeof *t);
  *t = (Onnx__TensorProto)ONNX__TENSOR_PROTO__INIT;
  t->name = strdup(name);
  t->has_data_type = 1;
  t->data_type = elem_type;
  t->n_dims = (size_t)rank;
  t->dims = malloc((size_t)(rank ? rank : 1) * sizeof(int64_t));
  memcpy(t->dims, dims, (size_t)rank * sizeof(int64_t));
  t->has_raw_data = 1;
  t->raw_data.len = nbytes;
  t->raw_data.data = malloc(nbytes ? nbytes : 1);
  memcpy(t->raw_data.data, data, nbytes);
  return t;
}

/* A float tensor whose data lives in an external file at `location`. */
static Onnx__TensorProto *external_tensor(const char *name, int n, const char *location) {
  int64_t dims[1] = {n};
  Onnx__TensorProto *t = tensor(name, F32, 1, dims, "", 0);
  t->has_raw_data = 0;
  t->has_data_location = 1;
  t->data_location = ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL;
  Onnx__StringStringEntryProto *e = malloc(sizeof *e);
  *e = (Onnx__StringStringEntryProto)ONNX__STRING_STRING_ENTRY_PROTO__INIT;
  e->key = "location";
  e->value = strdup(location);
  APPEND(t->external_data, t->n_external_data, e);
  return t;
}

/* node("Add", "A,B", "C"): inputs and outputs as comma-separated names ("" = none). */
static Onnx__NodeProto *node(const char *op, const char *inputs, const char *outputs) {
  Onnx__NodeProto *n = malloc(sizeof *n);
  *n = (Onnx__NodeProto)ONNX__NODE_PROTO__INIT;
  n->op_type = strdup(op);
  n->name = tu_printf("%s_node", op);
  /* Comma-separated names; "" is no name at all, "X," is X and an empty (omitted) one. */
  char *ins = *inputs ? strdup(inputs) : NULL, *outs = *outputs ? strdup(outputs) : NULL, *s;
  for (char *p = ins; (s = p ? strsep(&p, ",") : NULL);) APPEND(n->input, n->n_input, strdup(s));
  for (char *p = outs; (s = p ? strsep(&p, ",") : NULL);) APPEND(n->output, n->n_output, strdup(s));
  free(ins);
  free(outs);
  return n;
}

/* An attribute of any type on node n; the value is a placeholder of that type. */
static Onnx__AttributeProto *add_attr(Onnx__NodeProto *n, const char *name, AttrType type) {
  Onnx__AttributeProto *a = malloc(sizeof *a);
  *a = (Onnx__AttributeProto)ONNX__ATTRIBUTE_PROTO__INIT;
  a->name = strdup(name);
  a->has_type = 1;
  static int64_t ints[2] = {1, 0};
  static float floats[2] = {1, 0};
  static const int64_t one[1] = {1};
  switch (type) {
  case ATTR_INT: a->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT, a->has_i = 1, a->i = 1; break;
  case ATTR_FLOAT: a->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT, a->has_f = 1, a->f = 1; break;
  case ATTR_STRING:
    a->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING, a->has_s = 1;
    a->s.data = (uint8_t *)strdup("1"), a->s.len = 1;
    break;
  case ATTR_INTS: a->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS, a->n_ints = 2, a->ints = ints; break;
  case ATTR_FLOATS: a->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS, a->n_floats = 2, a->floats = floats; break;
  case ATTR_TENSOR: {
    static const float f1 = 1;
    a->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR;
    a->t = tensor("", F32, 1, one, &f1, sizeof f1);
    break;
  }
  default: a->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRINGS; break; /* a type vitc does not read */
  }
  APPEND(n->attribute, n->n_attribute, a);
  return a;
}

static void import_opset(Onnx__ModelProto *m, const char *domain, int version) {
  Onnx__OperatorSetIdProto *o = malloc(sizeof *o);
  *o = (Onnx__OperatorSetIdProto)ONNX__OPERATOR_SET_ID_PROTO__INIT;
  o->domain = strdup(domain);
  o->has_version = 1;
  o->version = version;
  APPEND(m->opset_import, m->n_opset_import, o);
}

/* An empty model importing the default domain at `opset` (none if opset < 0). */
static Onnx__ModelProto *model_new(int opset) {
  Onnx__ModelProto *m = malloc(sizeof *m);
  *m = (Onnx__ModelProto)ONNX__MODEL_PROTO__INIT;
  m->has_ir_version = 1;
  m->ir_version = 8;
  m->producer_name = "check_badinput";
  Onnx__GraphProto *g = malloc(sizeof *g);
  *g = (Onnx__GraphProto)ONNX__GRAPH_PROTO__INIT;
  g->name = "bad";
  m->graph = g;
  if (opset >= 0) import_opset(m, "", opset);
  return m;
}

static void add_input(Onnx__ModelProto *m, Onnx__ValueInfoProto *v) { APPEND(m->graph->input, m->graph->n_input, v); }
static void add_output(Onnx__ModelProto *m, Onnx__ValueInfoProto *v) { APPEND(m->graph->output, m->graph->n_output, v); }
static void add_node(Onnx__ModelProto *m, Onnx__NodeProto *n) { APPEND(m->graph->node, m->graph->n_node, n); }
static void add_init(Onnx__ModelProto *m, Onnx__TensorProto *t) {
  APPEND(m->graph->initializer, m->graph->n_initializer, t);
}

static const int64_t dims_1x4[2] = {1, 4};

/* The control: Y = Relu(X), X and Y float [1,4]. The tests break it one way each. */
static Onnx__ModelProto *relu_model(int opset) {
  Onnx__ModelProto *m = model_new(opset);
  add_input(m, value_info("X", F32, 2, dims_1x4));
  add_node(m, node("Relu", "X", "Y"));
  add_output(m, value_info("Y", F32, 2, dims_1x4));
  return m;
}

static uint8_t *pack(const Onnx__ModelProto *m, size_t *len) {
  *len = onnx__model_proto__get_packed_size(m);
  uint8_t *buf = malloc(*len ? *len : 1);
  onnx__model_proto__pack(m, buf);
  return buf;
}

/* ------------------------------------------------------------------------ */
/* running vitc */

/* A fresh work folder for one case. */
static char *case_dir(const char *name) {
  char *d = tu_printf("%s/tests/badinput/%s", VITC_BINARY_DIR, name);
  tu_rm_rf(d);
  ck_assert_msg(tu_mkdir_p(d) == 0, "cannot create %s", d);
  return d;
}

static char *write_bytes(const char *dir, const char *file, const void *data, size_t len) {
  char *p = tu_printf("%s/%s", dir, file);
  ck_assert_msg(tu_write_file(p, data, len) == 0, "cannot write %s", p);
  return p;
}

static char *save(const char *dir, const char *file, const Onnx__ModelProto *m) {
  size_t len;
  uint8_t *buf = pack(m, &len);
  return write_bytes(dir, file, buf, len);
}

/* argv = VITC CMD MODEL [-o OUT --name bad --main] EXTRA... */
static RunResult run_vitc(const char *cmd, const char *model, const char *out, const char *const *extra) {
  char *argv[24] = {VITC, (char *)cmd, (char *)model};
  int argc = 3;
  if (out) {
    const char *more[] = {"-o", out, "--name", "bad", "--main"};
    for (int i = 0; i < 5; i++) argv[argc++] = (char *)more[i];
  }
  for (int i = 0; extra && extra[i] && argc < 23; i++) argv[argc++] = (char *)extra[i];
  RunResult r;
  ck_assert_msg(tu_run(argv, TIMEOUT, &r) == 0, "cannot run %s", VITC);
  return r;
}

/* The bad-input contract, for `compile` (weights embedded and --weights file) and for
 * `inspect`: exit 1, one "vitc: error:" line containing `expect` (case-insensitive;
 * NULL = anything), no file written (no NAME.weights either). */
static void expect_rejected(const char *model, const char *expect, const char *const *extra) {
  char *out = tu_printf("%s.out", model);
  tu_rm_rf(out);
  const char *cmds[] = {"compile", "inspect", "compile"};
  const char *file_mode[24] = {"--weights", "file"};
  for (int i = 0; extra && extra[i] && i < 21; i++) file_mode[2 + i] = extra[i];
  for (int c = 0; c < 3; c++) {
    RunResult r = run_vitc(cmds[c], model, c != 1 ? out : NULL, c == 2 ? file_mode : extra);
    char *broken = tu_check_one_error_line(&r);
    ck_assert_msg(broken == NULL, "vitc %s %s: %s", cmds[c], model, broken);
    ck_assert_msg(!expect || strcasestr(r.err, expect), "vitc %s %s: the error line does not mention '%s': %s", cmds[c],
                  model, expect, r.err);
    if (c == 0) printf("  %-40s -> %s", strrchr(model, '/') + 1, r.err);
    tu_run_free(&r);
  }
  int n = 0;
  char **left = tu_is_dir(out) ? tu_list_dir(out, "", &n) : NULL;
  ck_assert_msg(n == 0, "vitc compile %s failed but left %d file(s) in %s (first: %s)", model, n, out, n ? left[0] : "");
  tu_free_list(left);
  free(out);
}

/* The positive control: compiles, and the bundle's files exist. */
static void expect_compiles(const char *model, const char *const *extra) {
  char *out = tu_printf("%s.out", model);
  tu_rm_rf(out);
  RunResult r = run_vitc("compile", model, out, extra);
  ck_assert_msg(r.exited && r.status == 0, "vitc compile %s should succeed: %s", model, r.err);
  tu_run_free(&r);
  const char *files[] = {"bad.c", "bad.h", "bad_main.c"};
  for (int i = 0; i < 3; i++) {
    char *p = tu_printf("%s/%s", out, files[i]);
    ck_assert_msg(tu_exists(p), "vitc compile %s succeeded without writing %s", model, p);
    free(p);
  }
  char *report; /* and what it wrote keeps the generated-code contract (docs/validate.md) */
  int bad = tu_validate_bundle(VITC, target_find("scalar"), NULL, out, &report);
  ck_assert_msg(bad == 0, "vitc compile %s: %s", model, report);
  free(out);
}

/* ------------------------------------------------------------------------ */
/* the cases */

START_TEST(control_compiles) {
  char *d = case_dir("control");
  expect_compiles(save(d, "relu.onnx", relu_model(17)), NULL);
}
END_TEST

START_TEST(truncated_file) {
  char *d = case_dir("truncated");
  Onnx__ModelProto *m = relu_model(17);
  float w[64] = {0};
  int64_t wdims[1] = {64};
  add_init(m, tensor("W", F32, 1, wdims, w, sizeof w));
  size_t len;
  uint8_t *buf = pack(m, &len);
  size_t cuts[] = {1, 7, len / 3, len / 2, len - 3, len - 1};
  for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
    char *name = tu_printf("cut_%zu_of_%zu.onnx", cuts[i], len);
    expect_rejected(write_bytes(d, name, buf, cuts[i]), NULL, NULL);
  }
}
END_TEST

START_TEST(not_protobuf) {
  char *d = case_dir("not_protobuf");
  static const uint8_t garbage[] = {0xff, 0xff, 0xff, 0xff, 0x0f, 0x00, 0x13, 0x37, 0xde, 0xad, 0xbe, 0xef};
  expect_rejected(write_bytes(d, "garbage.onnx", garbage, sizeof garbage), NULL, NULL);
  static const char text[] = "ir_version: 8\ngraph { node { op_type: \"Relu\" } }\n"; /* text format, not binary */
  expect_rejected(write_bytes(d, "text.onnx", text, strlen(text)), NULL, NULL);
  expect_rejected(write_bytes(d, "empty.onnx", "", 0), "empty", NULL);
  char *missing = tu_printf("%s/does_not_exist.onnx", d);
  expect_rejected(missing, "does_not_exist.onnx", NULL);
  char *folder = tu_printf("%s/a_folder.onnx", d);
  tu_mkdir_p(folder);
  expect_rejected(folder, "a_folder.onnx", NULL);
}
END_TEST

START_TEST(missing_initializer) {
  char *d = case_dir("missing_initializer");
  Onnx__ModelProto *m = relu_model(17);
  add_node(m, node("Relu", "W", "Z")); /* W: not an initializer, input or node output */
  add_output(m, value_info("Z", F32, 2, dims_1x4));
  expect_rejected(save(d, "missing_w.onnx", m), "'W'", NULL);
}
END_TEST

START_TEST(unknown_op) {
  char *d = case_dir("unknown_op");
  Onnx__ModelProto *m = relu_model(17);
  m->graph->node[0]->op_type = "FooBar";
  expect_rejected(save(d, "foobar.onnx", m), "FooBar", NULL);
}
END_TEST

START_TEST(cyclic_graph) {
  char *d = case_dir("cyclic");
  Onnx__ModelProto *m = relu_model(17);
  add_node(m, node("Relu", "B", "A"));
  add_node(m, node("Relu", "A", "B"));
  add_output(m, value_info("B", F32, 2, dims_1x4));
  expect_rejected(save(d, "cycle.onnx", m), "cycle", NULL);
  Onnx__ModelProto *self = relu_model(17);
  add_node(self, node("Relu", "S", "S"));
  add_output(self, value_info("S", F32, 2, dims_1x4));
  expect_rejected(save(d, "self_loop.onnx", self), NULL, NULL);
}
END_TEST

START_TEST(dynamic_dim) {
  char *d = case_dir("dynamic_dim");
  static const int64_t dyn[2] = {-1, 4};
  Onnx__ModelProto *m = model_new(17);
  add_input(m, value_info("X", F32, 2, dyn));
  add_node(m, node("Relu", "X", "Y"));
  add_output(m, value_info("Y", F32, 2, dyn));
  char *p = save(d, "dynamic.onnx", m);
  expect_rejected(p, "--shape", NULL);
  expect_rejected(p, NULL, (const char *const[]){"--shape", "X=2x5", NULL});   /* contradicts the fixed 4 */
  expect_rejected(p, NULL, (const char *const[]){"--shape", "X=2", NULL});     /* wrong rank */
  expect_rejected(p, "Q", (const char *const[]){"--shape", "X=2x4", "--shape", "Q=2x4", NULL}); /* not an input */
  expect_rejected(p, NULL, (const char *const[]){"--shape", "X=0x4", NULL});   /* not positive */
  expect_rejected(p, NULL, (const char *const[]){"--shape", "X=2xfoo", NULL}); /* not a number */
  expect_compiles(p, (const char *const[]){"--shape", "X=2x4", NULL});
}
END_TEST

START_TEST(overflow_initializer) {
  char *d = case_dir("overflow_initializer");
  static const int64_t huge[3] = {1LL << 31, 1LL << 31, 1LL << 31}; /* 2^93 elements: wraps int64 */
  static const int64_t negative[2] = {-4, -1};
  static const int64_t over_int32[2] = {1LL << 16, 1LL << 16}; /* 2^32 elements: over vitc's limit */
  const int64_t *shapes[] = {huge, negative, over_int32};
  const int ranks[] = {3, 2, 2};
  const char *names[] = {"huge.onnx", "negative.onnx", "over_int32.onnx"};
  for (int i = 0; i < 3; i++) {
    Onnx__ModelProto *m = relu_model(17);
    float four[4] = {1, 2, 3, 4};
    add_init(m, tensor("W", F32, ranks[i], shapes[i], four, sizeof four));
    add_node(m, node("Relu", "W", "Z"));
    add_output(m, value_info("Z", F32, -1, NULL));
    expect_rejected(save(d, names[i], m), "'W'", NULL);
  }
}
END_TEST

START_TEST(overflow_input) {
  char *d = case_dir("overflow_input");
  static const int64_t huge[2] = {1LL << 40, 1LL << 40};
  static const int64_t over_int32[2] = {1LL << 31, 1};
  const int64_t *shapes[] = {huge, over_int32};
  const char *names[] = {"huge.onnx", "over_int32.onnx"};
  for (int i = 0; i < 2; i++) {
    Onnx__ModelProto *m = model_new(17);
    add_input(m, value_info("X", F32, 2, shapes[i]));
    add_node(m, node("Relu", "X", "Y"));
    add_output(m, value_info("Y", F32, 2, shapes[i]));
    expect_rejected(save(d, names[i], m), "'X'", NULL);
  }
  /* the same through --shape on a dynamic input */
  static const int64_t dyn[2] = {-1, 4};
  Onnx__ModelProto *m = model_new(17);
  add_input(m, value_info("X", F32, 2, dyn));
  add_node(m, node("Relu", "X", "Y"));
  add_output(m, value_info("Y", F32, 2, dyn));
  char *p = save(d, "dynamic.onnx", m);
  expect_rejected(p, NULL, (const char *const[]){"--shape", "X=1099511627776x1099511627776", NULL});
  expect_rejected(p, NULL, (const char *const[]){"--shape", "X=99999999999999999999999x4", NULL});
}
END_TEST

/* Shape targets whose product overflows: 5 * 0x3333333333333334 is 4 modulo 2^64,
 * exactly X's element count, so an unchecked multiplication would accept it. */
START_TEST(overflow_shape_target) {
  char *d = case_dir("overflow_shape_target");
  static const int64_t wraps_to_4[2] = {5, 0x3333333333333334LL};
  static const int64_t wraps_to_0[2] = {1LL << 32, 1LL << 32};
  static const int64_t too_big[2] = {1LL << 20, 1LL << 20};
  static const int64_t two[1] = {2};
  const int64_t *targets[] = {wraps_to_4, wraps_to_0, too_big};
  const char *ops[] = {"Reshape", "Expand", "ConstantOfShape", "Tile"};
  for (int o = 0; o < 4; o++) {
    for (int t = 0; t < 3; t++) {
      Onnx__ModelProto *m = relu_model(17);
      add_init(m, tensor("S", I64, 1, two, targets[t], 2 * sizeof(int64_t)));
      add_node(m, node(ops[o], strcmp(ops[o], "ConstantOfShape") == 0 ? "S" : "Y,S", "Z"));
      add_output(m, value_info("Z", F32, -1, NULL));
      char *name = tu_printf("%s_%d.onnx", ops[o], t);
      expect_rejected(save(d, name, m), NULL, NULL);
    }
  }
  /* DepthToSpace/SpaceToDepth square the blocksize: 2^32 squared wraps to 0 */
  static const int64_t dims_1x4x2x2[4] = {1, 4, 2, 2};
  const char *depth_ops[] = {"DepthToSpace", "SpaceToDepth"};
  for (int o = 0; o < 2; o++) {
    Onnx__ModelProto *m = model_new(17);
    add_input(m, value_info("X", F32, 4, dims_1x4x2x2));
    Onnx__NodeProto *n = node(depth_ops[o], "X", "Z");
    add_attr(n, "blocksize", ATTR_INT)->i = 1LL << 32;
    add_node(m, n);
    add_output(m, value_info("Z", F32, -1, NULL));
    expect_rejected(save(d, tu_printf("%s.onnx", depth_ops[o]), m), "blocksize 4294967296 is too large", NULL);
  }
}
END_TEST

/* Y = Relu(X); Z = Relu(W) with W (4 floats) in the external file `location`. */
static Onnx__ModelProto *external_model(const char *location) {
  Onnx__ModelProto *m = relu_model(17);
  add_init(m, external_tensor("W", 4, location));
  add_node(m, node("Relu", "W", "Z"));
  static const int64_t four[1] = {4};
  add_output(m, value_info("Z", F32, 1, four));
  return m;
}

START_TEST(external_data_outside) {
  char *root = case_dir("external_data");
  char *d = tu_printf("%s/model", root);
  tu_mkdir_p(d);
  float w[4] = {1, -2, 3, -4};
  char *outside = write_bytes(root, "outside.bin", w, sizeof w); /* a real file, next to the model's folder */
  write_bytes(d, "inside.bin", w, sizeof w);
  char *link = tu_printf("%s/link.bin", d);
  ck_assert_msg(symlink("../outside.bin", link) == 0, "cannot create the symlink %s", link);
  tu_mkdir_p(tu_printf("%s/sub", d));
  ck_assert_msg(symlink("..", tu_printf("%s/sub/up", d)) == 0, "cannot create a symlink");

  expect_compiles(save(d, "inside.onnx", external_model("inside.bin")), NULL);
  const char *escapes[] = {"../outside.bin", outside, "link.bin", "sub/../../outside.bin", "sub/up/../outside.bin",
                           "./../outside.bin"};
  for (size_t i = 0; i < sizeof escapes / sizeof escapes[0]; i++) {
    char *name = tu_printf("escape_%zu.onnx", i);
    expect_rejected(save(d, name, external_model(escapes[i])), "folder", NULL);
  }
  expect_rejected(save(d, "missing_file.onnx", external_model("nope.bin")), "nope.bin", NULL);
  expect_rejected(save(d, "no_location.onnx", external_model("")), NULL, NULL);
}
END_TEST

START_TEST(unsupported_opset) {
  char *d = case_dir("opset");
  const int opsets[] = {0, 22, 1000};
  for (int i = 0; i < 3; i++) {
    char *name = tu_printf("opset_%d.onnx", opsets[i]);
    expect_rejected(save(d, name, relu_model(opsets[i])), "opset", NULL);
  }
  /* an op version outside compiler/onnx/opsets.def: one line naming node, op and opset */
  Onnx__ModelProto *old = relu_model(9);
  old->graph->node[0]->op_type = "HardSwish"; /* since 14 */
  expect_rejected(save(d, "hardswish_opset9.onnx", old), "op 'HardSwish' at opset 9 is not supported", NULL);
  Onnx__ModelProto *m = relu_model(-1);
  import_opset(m, "com.microsoft", 1);
  expect_rejected(save(d, "no_default_opset.onnx", m), "opset", NULL);
}
END_TEST

START_TEST(non_default_domain) {
  char *d = case_dir("domain");
  Onnx__ModelProto *m = relu_model(17);
  import_opset(m, "com.microsoft", 1);
  m->graph->node[0]->op_type = "FusedGemm";
  m->graph->node[0]->domain = "com.microsoft";
  expect_rejected(save(d, "com_microsoft.onnx", m), "com.microsoft", NULL);
  Onnx__ModelProto *relu = relu_model(17);
  import_opset(relu, "custom.domain", 1);
  relu->graph->node[0]->domain = "custom.domain"; /* a known op name in another domain is still another op */
  expect_rejected(save(d, "custom_relu.onnx", relu), "custom.domain", NULL);
}
END_TEST

START_TEST(structural_faults) {
  char *d = case_dir("structural");
  Onnx__ModelProto *twice = relu_model(17);
  add_node(twice, node("Relu", "X", "Y")); /* Y produced by two nodes */
  expect_rejected(save(d, "output_defined_twice.onnx", twice), "'Y'", NULL);

  Onnx__ModelProto *dangling = relu_model(17);
  add_output(dangling, value_info("Q", F32, 2, dims_1x4)); /* nothing produces Q */
  expect_rejected(save(d, "dangling_output.onnx", dangling), "'Q'", NULL);

  Onnx__ModelProto *short_raw = relu_model(17);
  float two[2] = {1, 2};
  add_init(short_raw, tensor("W", F32, 2, dims_1x4, two, sizeof two)); /* 8 bytes for 4 floats */
  add_node(short_raw, node("Relu", "W", "Z"));
  add_output(short_raw, value_info("Z", F32, 2, dims_1x4));
  expect_rejected(save(d, "short_raw_data.onnx", short_raw), "'W'", NULL);

  Onnx__ModelProto *complex = relu_model(17);
  complex->graph->input[0] = value_info("X", ONNX__TENSOR_PROTO__DATA_TYPE__COMPLEX64, 2, dims_1x4);
  expect_rejected(save(d, "complex_input.onnx", complex), "'X'", NULL);

  Onnx__ModelProto *no_outputs = model_new(17);
  add_input(no_outputs, value_info("X", F32, 2, dims_1x4));
  add_node(no_outputs, node("Relu", "X", "Y"));
  expect_rejected(save(d, "no_outputs.onnx", no_outputs), NULL, NULL);

  Onnx__ModelProto *no_graph = relu_model(17);
  no_graph->graph = NULL;
  expect_rejected(save(d, "no_graph.onnx", no_graph), NULL, NULL);
}
END_TEST

/* Input counts are the op's to check (infer), not the loader's. */
START_TEST(node_arity) {
  char *d = case_dir("node_arity");
  Onnx__ModelProto *arity = relu_model(17);
  add_node(arity, node("Relu", "X,X", "Z")); /* Relu takes one input */
  add_output(arity, value_info("Z", F32, 2, dims_1x4));
  expect_rejected(save(d, "relu_two_inputs.onnx", arity), NULL, NULL);

  Onnx__ModelProto *no_input = relu_model(17);
  add_node(no_input, node("Relu", "", "Z"));
  add_output(no_input, value_info("Z", F32, 2, dims_1x4));
  expect_rejected(save(d, "relu_no_input.onnx", no_input), NULL, NULL);

  /* Right count, but a required input left empty (its name ""): Reshape needs its shape. */
  Onnx__ModelProto *empty_shape = relu_model(17);
  add_node(empty_shape, node("Reshape", "X,", "Z"));
  add_output(empty_shape, value_info("Z", F32, 2, dims_1x4));
  expect_rejected(save(d, "reshape_empty_shape.onnx", empty_shape), "required input 1 is empty", NULL);
}
END_TEST

/* Attributes against their op's schema (ir/attrs.def). The case first: a
 * Softmax whose axis is a STRING was compiled with the default axis. */
START_TEST(attribute_types) {
  char *d = case_dir("attribute_types");
  Onnx__ModelProto *softmax = relu_model(17);
  softmax->graph->node[0]->op_type = "Softmax";
  add_attr(softmax->graph->node[0], "axis", ATTR_STRING);
  expect_rejected(save(d, "softmax_string_axis.onnx", softmax), "attribute 'axis' must be INT, not STRING", NULL);
  softmax->graph->node[0]->attribute[0] = add_attr(node("Softmax", "", ""), "axis", ATTR_INT);
  expect_compiles(save(d, "softmax_int_axis.onnx", softmax), NULL); /* the control */

  add_attr(softmax->graph->node[0], "axis", ATTR_INT);
  expect_rejected(save(d, "softmax_axis_twice.onnx", softmax), "'axis' is given twice", NULL);

  Onnx__ModelProto *unknown = relu_model(17);
  add_attr(unknown->graph->node[0], "alpha", ATTR_FLOAT);
  expect_rejected(save(d, "relu_alpha.onnx", unknown), "no attribute 'alpha'", NULL);

  Onnx__ModelProto *concat = relu_model(17);
  concat->graph->node[0]->op_type = "Concat";
  expect_rejected(save(d, "concat_no_axis.onnx", concat), "required attribute 'axis'", NULL);

  Onnx__ModelProto *graph_attr = relu_model(17);
  add_attr(graph_attr->graph->node[0], "body", ATTR_OTHER);
  expect_rejected(save(d, "relu_strings_attr.onnx", graph_attr), "'body'", NULL);

  /* Constant never becomes a node: the loader checks its row itself. */
  Onnx__ModelProto *constant = relu_model(17);
  Onnx__NodeProto *c = node("Constant", "", "C");
  add_attr(c, "value_float", ATTR_INT);
  add_node(constant, c);
  add_node(constant, node("Relu", "C", "Z"));
  add_output(constant, value_info("Z", F32, -1, NULL));
  expect_rejected(save(d, "constant_value_float_int.onnx", constant), "'value_float' must be FLOAT, not INT", NULL);

  /* Every attribute of every op that a model may name, given a wrong type: rejected
   * by the check, naming the attribute, before the op sees it. */
  int cases = 0;
  for (int k = 0; k < OP_COUNT; k++) {
    const char *op = op_name((OpKind)k);
    if (strncmp(op, "vitc.", 5) == 0 || k == OP_Constant) continue;
    int min_in, max_in, min_out, max_out;
    op_arity((OpKind)k, &min_in, &max_in, &min_out, &max_out);
    char ins[64] = "X", outs[64] = "Z";
    for (int i = 1; i < min_in; i++) strcat(ins, ",X");
    for (int i = 1; i < min_out; i++) strcat(outs, tu_printf(",Z%d", i));
    for (const AttrSchema *a = op_attr_schema((OpKind)k); a->name; a++) {
      const int first = opset_first(op); /* at 17, or where the op begins (Gelu: 20) */
      Onnx__ModelProto *m = relu_model(first > 17 ? first : 17);
      Onnx__NodeProto *n = node(op, min_in ? ins : "", outs);
      add_attr(n, a->name, a->type == ATTR_INT ? ATTR_FLOATS : ATTR_INT);
      add_node(m, n);
      add_output(m, value_info("Z", F32, -1, NULL));
      char *expect = tu_printf("attribute '%s' must be %s", a->name, attr_type_name(a->type));
      expect_rejected(save(d, tu_printf("%s_%s.onnx", op, a->name), m), expect, NULL);
      cases++;
    }
  }
  printf("  attribute_types: %d mistyped attributes rejected\n", cases);
  ck_assert_int_gt(cases, 60);
}
END_TEST

/* Attributes of older op versions that the loader rewrites into inputs or drops
 * (compiler/onnx/upgrade.c) are read before the schema check of the newest version:
 * a wrong type there must be the same one line, not taken for an absent attribute
 * (a Clip-6 'min' given as INT was ignored, a Softmax-11 STRING axis became 1). */
START_TEST(old_version_attribute_types) {
  char *d = case_dir("old_version_attribute_types");
  static const struct {
    const char *op;
    int opset;
    const char *attr;
    AttrType wrong, right;
  } cases[] = {
      {"Softmax", 11, "axis", ATTR_STRING, ATTR_INT},  {"Clip", 6, "min", ATTR_INT, ATTR_FLOAT},
      {"Slice", 9, "starts", ATTR_FLOAT, ATTR_INTS},  {"Unsqueeze", 11, "axes", ATTR_INT, ATTR_INTS},
      {"TopK", 9, "k", ATTR_FLOAT, ATTR_INT},          {"Add", 6, "axis", ATTR_FLOAT, ATTR_INT},
      {"Dropout", 10, "ratio", ATTR_INT, ATTR_FLOAT}, {"ReduceMean", 13, "axes", ATTR_INT, ATTR_INTS},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    Onnx__ModelProto *m = relu_model(cases[i].opset);
    m->graph->node[0]->op_type = (char *)cases[i].op;
    add_attr(m->graph->node[0], cases[i].attr, cases[i].wrong);
    char *expect = tu_printf("attribute '%s' must be %s, not %s", cases[i].attr, attr_type_name(cases[i].right),
                             attr_type_name(cases[i].wrong));
    expect_rejected(save(d, tu_printf("%s%d_%s.onnx", cases[i].op, cases[i].opset, cases[i].attr), m), expect, NULL);
    free(expect);
  }
  /* the controls: the same old versions with the right types compile */
  Onnx__ModelProto *softmax = relu_model(11);
  softmax->graph->node[0]->op_type = "Softmax";
  add_attr(softmax->graph->node[0], "axis", ATTR_INT);
  expect_compiles(save(d, "softmax11_int_axis.onnx", softmax), NULL);
  Onnx__ModelProto *clip = relu_model(6);
  clip->graph->node[0]->op_type = "Clip";
  add_attr(clip->graph->node[0], "min", ATTR_FLOAT);
  add_attr(clip->graph->node[0], "max", ATTR_FLOAT);
  expect_compiles(save(d, "clip6_float_min_max.onnx", clip), NULL);
}
END_TEST

/* Inputs the fuzzer (fuzz/vitc_fuzz.c) found a bug with, kept in tests/fuzz_found/,
 * each with what vitc must do with it now: the words its one error line contains,
 * or NULL where the model is valid and compiles. Every file there must be listed. */
static const struct {
  const char *file, *expect, *bug;
} fuzz_found[] = {
    {"constant_only.onnx", NULL, "graph_toposort: memcpy from NULL when the graph has no node (UBSan)"},
    {"split_sizes_overflow.onnx", "split sizes add up to more than the dimension",
     "Split: the sizes of a constant 'split' input summed in int64 unchecked (UBSan: signed overflow)"},
    {"layernorm_two_errors.onnx", "Scale broadcasts to the normalized shape",
     "LayerNormalization with run-time Scale and B of a broadcast shape: two error lines (ONNX's test data, mutated)"},
    {"tile_repeats_overflow.onnx", "overflows (max 2147483647 elements)",
     "Tile: a repeats value near 2^63 times the input dimension multiplied in int64 unchecked (UBSan: signed overflow)"},
    {"initializer_4gb_alloc.onnx", "raw data has 16 bytes, its shape needs 4294967296",
     "an initializer of shape 16384x65536 with 16 bytes of raw data: 4 GB allocated before the size check (libFuzzer OOM)"},
    {"split_output_twice.onnx", "output '1' is defined twice",
     "a Split whose two outputs have one name: accepted by the loader, then an internal error (abort) after fold_constants"},
    {"convtranspose_empty_dilations.onnx", "attribute dilations has 0 values, expected",
     "ConvTranspose with an empty dilations list: its values were read before their count was checked (ASan: heap-buffer-overflow)"},
    {"concat_projections_duplicate_slice.onnx", NULL,
     "mabvit32 with block 1's gate Slice reading block 0's product: two Slices of one column range, and concat_projections "
     "left the second one's output without a producer (internal error); its readers now read the first (vitc verify: PASS)"},
};

START_TEST(fuzzer_findings) {
  char *d = case_dir("fuzz_found");
  const char *src = VITC_SOURCE_DIR "/tests/fuzz_found";
  int n = 0;
  char **files = tu_list_dir(src, "", &n);
  for (int i = 0; i < n; i++) {
    int row = -1;
    for (size_t k = 0; k < sizeof fuzz_found / sizeof fuzz_found[0]; k++)
      if (strcmp(files[i], fuzz_found[k].file) == 0) row = (int)k;
    ck_assert_msg(row >= 0, "tests/fuzz_found/%s is not listed in check_badinput.c's fuzz_found table", files[i]);
    size_t len;
    void *bytes = tu_read_file(tu_printf("%s/%s", src, files[i]), &len);
    ck_assert_msg(bytes != NULL, "cannot read tests/fuzz_found/%s", files[i]);
    char *model = write_bytes(d, files[i], bytes, len);
    if (fuzz_found[row].expect) expect_rejected(model, fuzz_found[row].expect, NULL);
    else expect_compiles(model, NULL);
    free(bytes);
  }
  tu_free_list(files);
  ck_assert_int_eq(n, (int)(sizeof fuzz_found / sizeof fuzz_found[0]));
}
END_TEST

/* Ops whose input list is variadic in ONNX: eight inputs can be a valid use. */
static bool variadic(const char *op) {
  static const char *const ops[] = {"Concat", "Max", "Mean", "Min", "Sum", NULL};
  for (int i = 0; ops[i]; i++)
    if (strcmp(op, ops[i]) == 0) return true;
  return false;
}

/* Every op in the registry, misused: no inputs, one float input and no attributes,
 * eight inputs. Valid uses may compile; everything else must be a clean rejection,
 * never a crash, an abort or several lines; eight inputs to a non-variadic op must
 * be rejected. */
START_TEST(ops_never_crash) {
  char *d = case_dir("ops_never_crash");
  const char *const input_lists[] = {"", "X", "X,X,X,X,X,X,X,X"};
  int rejected = 0, compiled = 0;
  char accepted_8[1024] = "";
  for (int k = 0; k < OP_COUNT; k++) {
    const char *op = op_name((OpKind)k);
    if (strncmp(op, "vitc.", 5) == 0) continue; /* internal ops: the loader never sees them */
    for (int v = 0; v < 3; v++) {
      Onnx__ModelProto *m = relu_model(17);
      add_node(m, node(op, input_lists[v], "Z"));
      add_output(m, value_info("Z", F32, -1, NULL));
      char *model = save(d, tu_printf("%s_%d.onnx", op, v), m), *out = tu_printf("%s.out", model);
      RunResult r = run_vitc("compile", model, out, NULL);
      if (r.exited && r.status == 0) {
        char *report; /* what compiles keeps the generated-code contract (docs/validate.md) */
        int bad = tu_validate_bundle(VITC, target_find("scalar"), NULL, out, &report);
        ck_assert_msg(bad == 0, "%s with inputs '%s': %s", op, input_lists[v], report);
        compiled++;
        if (v == 2 && !variadic(op)) snprintf(accepted_8 + strlen(accepted_8), sizeof accepted_8 - strlen(accepted_8), " %s", op);
      } else {
        char *broken = tu_check_one_error_line(&r);
        ck_assert_msg(broken == NULL, "%s with inputs '%s': %s", op, input_lists[v], broken);
        rejected++;
      }
      tu_run_free(&r);
    }
  }
  printf("  ops_never_crash: %d misused nodes rejected cleanly, %d compiled\n", rejected, compiled);
  ck_assert_msg(!accepted_8[0], "ops that accepted eight inputs without complaint:%s", accepted_8);
}
END_TEST

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0); /* a failing check ends the process: keep every line printed */
  const TuNamedTest tests[] = {
      {"control", control_compiles},
      {"truncated", truncated_file},
      {"not_protobuf", not_protobuf},
      {"missing_initializer", missing_initializer},
      {"unknown_op", unknown_op},
      {"cyclic_graph", cyclic_graph},
      {"dynamic_dim", dynamic_dim},
      {"overflow_initializer", overflow_initializer},
      {"overflow_input", overflow_input},
      {"overflow_shape_target", overflow_shape_target},
      {"external_data_outside", external_data_outside},
      {"unsupported_opset", unsupported_opset},
      {"old_version_attribute_types", old_version_attribute_types},
      {"non_default_domain", non_default_domain},
      {"structural_faults", structural_faults},
      {"node_arity", node_arity},
      {"ops_never_crash", ops_never_crash},
      {"attribute_types", attribute_types},
      {"fuzzer_findings", fuzzer_findings},
  };
  Suite *s = suite_create("badinput");
  tu_add_tcases(s, tests, sizeof tests / sizeof tests[0], 300, NULL, NULL);
  return tu_run_suite(s);
}
