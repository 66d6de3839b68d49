/* tests/mkonnx.h: build small ONNX models in memory, for the compiler's unit tests.
 *
 * A test writes the model it needs next to its assertions instead of depending on a
 * Python exporter: the ModelProto is made of protobuf-c's generated structs, packed
 * with protobuf-c, and written to a work folder for onnx_load() to read back. All
 * memory belongs to the builder (an arena freed by mb_free), so a test just says what
 * the model holds:
 *
 *   MB *mb = mb_new(17);
 *   mb_input(mb, "X", DT_FLOAT, 2, (int64_t[]){1, 4});
 *   mb_node(mb, "Relu", "relu0", "X", "Y");
 *   mb_output(mb, "Y", DT_FLOAT);
 *   mb_write(mb, path);
 *
 * mb_unknown() attaches a field the schema does not know to any message, the way a
 * newer ONNX IR version would; protobuf-c packs it like any other field.
 *
 * Also here, because every unit test wants them: a clean per-test work folder, a
 * capture of stderr (to check that bad input gives exactly one error line), vitc IR
 * graphs built directly, without an ONNX file (new_graph, add_input, cst, OP_NODE ...,
 * for the tests of ops and passes), the checks on an op's outputs (expect_shape ...),
 * and a model compiled through the pipeline with some passes skipped (compile_model).
 * Header-only with static inline functions: a test that does not use one gets no
 * warning; tests/CMakeLists.txt registers only check_*.c files. */
#ifndef VITC_MKONNX_H
#define VITC_MKONNX_H

#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ir/diag.h"
#include "ir/graph.h"
#include "onnx/load.h"
#include "onnx/onnx.pb-c.h"
#include "ops/op.h"
#include "passes/passes.h"
#include "testutil.h"

typedef struct MB {
  Onnx__ModelProto model;
  Onnx__GraphProto graph;
  void **owned; /* everything allocated for the model, freed by mb_free */
  size_t n_owned;
} MB;

static inline void *mb_alloc(MB *mb, size_t n) {
  void *p = calloc(1, n ? n : 1);
  mb->owned = realloc(mb->owned, (mb->n_owned + 1) * sizeof *mb->owned);
  mb->owned[mb->n_owned++] = p;
  return p;
}

static inline char *mb_str(MB *mb, const char *s) {
  char *p = mb_alloc(mb, strlen(s) + 1);
  strcpy(p, s);
  return p;
}

static inline void *mb_dup(MB *mb, const void *src, size_t n) {
  void *p = mb_alloc(mb, n);
  if (src && n) memcpy(p, src, n);
  return p;
}

/* Append item to a protobuf-c repeated field (arr, n): a new arena copy one longer. */
static inline void *mb_grow(MB *mb, void *arr, size_t n, size_t elem) {
  void *p = mb_alloc(mb, (n + 1) * elem);
  if (n) memcpy(p, arr, n * elem);
  return p;
}
#define MB_APPEND(mb, arr, n, item)                     \
  do {                                                  \
    (arr) = mb_grow((mb), (arr), (n), sizeof *(arr));   \
    (arr)[(n)++] = (item);                              \
  } while (0)

static inline void mb_opset(MB *mb, const char *domain, int64_t version) {
  Onnx__OperatorSetIdProto *o = mb_alloc(mb, sizeof *o);
  *o = (Onnx__OperatorSetIdProto)ONNX__OPERATOR_SET_ID_PROTO__INIT;
  o->domain = mb_str(mb, domain);
  o->has_version = 1;
  o->version = version;
  MB_APPEND(mb, mb->model.opset_import, mb->model.n_opset_import, o);
}

/* An empty model, IR version 8, importing the default domain at `opset` (none if < 0). */
static inline MB *mb_new(int opset) {
  MB *mb = calloc(1, sizeof *mb);
  mb->model = (Onnx__ModelProto)ONNX__MODEL_PROTO__INIT;
  mb->graph = (Onnx__GraphProto)ONNX__GRAPH_PROTO__INIT;
  mb->model.has_ir_version = 1;
  mb->model.ir_version = 8;
  mb->model.producer_name = mb_str(mb, "mkonnx");
  mb->graph.name = mb_str(mb, "test");
  mb->model.graph = &mb->graph;
  if (opset >= 0) mb_opset(mb, "", opset);
  return mb;
}

static inline void mb_free(MB *mb) {
  for (size_t i = 0; i < mb->n_owned; i++) free(mb->owned[i]);
  free(mb->owned);
  free(mb);
}

/* A tensor value_info; a negative dimension becomes the symbolic dim_param "N";
 * rank < 0 leaves the shape out altogether. */
static inline Onnx__ValueInfoProto *mb_value_info(MB *mb, const char *name, DType dt, int rank, const int64_t *dims) {
  Onnx__ValueInfoProto *v = mb_alloc(mb, sizeof *v);
  *v = (Onnx__ValueInfoProto)ONNX__VALUE_INFO_PROTO__INIT;
  v->name = mb_str(mb, name);
  Onnx__TypeProto *tp = mb_alloc(mb, sizeof *tp);
  *tp = (Onnx__TypeProto)ONNX__TYPE_PROTO__INIT;
  Onnx__TypeProto__Tensor *tt = mb_alloc(mb, sizeof *tt);
  *tt = (Onnx__TypeProto__Tensor)ONNX__TYPE_PROTO__TENSOR__INIT;
  tt->has_elem_type = 1;
  tt->elem_type = (int32_t)dt;
  if (rank >= 0) {
    Onnx__TensorShapeProto *sh = mb_alloc(mb, sizeof *sh);
    *sh = (Onnx__TensorShapeProto)ONNX__TENSOR_SHAPE_PROTO__INIT;
    for (int i = 0; i < rank; i++) {
      Onnx__TensorShapeProto__Dimension *d = mb_alloc(mb, sizeof *d);
      *d = (Onnx__TensorShapeProto__Dimension)ONNX__TENSOR_SHAPE_PROTO__DIMENSION__INIT;
      if (dims[i] >= 0) {
        d->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
        d->dim_value = dims[i];
      } else {
        d->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM;
        d->dim_param = mb_str(mb, "N");
      }
      MB_APPEND(mb, sh->dim, sh->n_dim, d);
    }
    tt->shape = sh;
  }
  tp->value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE;
  tp->tensor_type = tt;
  v->type = tp;
  return v;
}

static inline Onnx__ValueInfoProto *mb_input(MB *mb, const char *name, DType dt, int rank, const int64_t *dims) {
  Onnx__ValueInfoProto *v = mb_value_info(mb, name, dt, rank, dims);
  MB_APPEND(mb, mb->graph.input, mb->graph.n_input, v);
  return v;
}

/* Outputs carry no shape: vitc infers it. */
static inline Onnx__ValueInfoProto *mb_output(MB *mb, const char *name, DType dt) {
  Onnx__ValueInfoProto *v = mb_value_info(mb, name, dt, -1, NULL);
  MB_APPEND(mb, mb->graph.output, mb->graph.n_output, v);
  return v;
}

/* "A,,B" -> {"A", "", "B"}; "" -> none. */
static inline char **mb_names(MB *mb, const char *list, size_t *n) {
  char **v = NULL;
  *n = 0;
  if (!*list) return v;
  for (const char *p = list;;) {
    size_t len = strcspn(p, ",");
    char *s = mb_alloc(mb, len + 1);
    memcpy(s, p, len);
    MB_APPEND(mb, v, *n, s);
    if (!p[len]) break;
    p += len + 1;
  }
  return v;
}

/* A node in the default domain, appended to the graph (so file order = call order). */
static inline Onnx__NodeProto *mb_node(MB *mb, const char *op, const char *name, const char *inputs, const char *outputs) {
  Onnx__NodeProto *n = mb_alloc(mb, sizeof *n);
  *n = (Onnx__NodeProto)ONNX__NODE_PROTO__INIT;
  n->op_type = mb_str(mb, op);
  if (name) n->name = mb_str(mb, name);
  n->input = mb_names(mb, inputs, &n->n_input);
  n->output = mb_names(mb, outputs, &n->n_output);
  MB_APPEND(mb, mb->graph.node, mb->graph.n_node, n);
  return n;
}

static inline Onnx__AttributeProto *mb_attr(MB *mb, Onnx__NodeProto *n, const char *name,
                                            Onnx__AttributeProto__AttributeType type) {
  Onnx__AttributeProto *a = mb_alloc(mb, sizeof *a);
  *a = (Onnx__AttributeProto)ONNX__ATTRIBUTE_PROTO__INIT;
  a->name = mb_str(mb, name);
  a->has_type = 1;
  a->type = type;
  MB_APPEND(mb, n->attribute, n->n_attribute, a);
  return a;
}

static inline void mb_attr_int(MB *mb, Onnx__NodeProto *n, const char *name, int64_t v) {
  Onnx__AttributeProto *a = mb_attr(mb, n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT);
  a->has_i = 1;
  a->i = v;
}

static inline void mb_attr_float(MB *mb, Onnx__NodeProto *n, const char *name, float v) {
  Onnx__AttributeProto *a = mb_attr(mb, n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT);
  a->has_f = 1;
  a->f = v;
}

static inline void mb_attr_ints(MB *mb, Onnx__NodeProto *n, const char *name, size_t count, const int64_t *v) {
  Onnx__AttributeProto *a = mb_attr(mb, n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS);
  a->n_ints = count;
  a->ints = mb_dup(mb, v, count * sizeof *v);
}

static inline void mb_attr_floats(MB *mb, Onnx__NodeProto *n, const char *name, size_t count, const float *v) {
  Onnx__AttributeProto *a = mb_attr(mb, n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS);
  a->n_floats = count;
  a->floats = mb_dup(mb, v, count * sizeof *v);
}

static inline void mb_attr_string(MB *mb, Onnx__NodeProto *n, const char *name, const char *s) {
  Onnx__AttributeProto *a = mb_attr(mb, n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING);
  a->has_s = 1;
  a->s.len = strlen(s);
  a->s.data = (uint8_t *)mb_str(mb, s);
}

/* A tensor with a name, type and dims but no payload yet. */
static inline Onnx__TensorProto *mb_tensor(MB *mb, const char *name, DType dt, int rank, const int64_t *dims) {
  Onnx__TensorProto *t = mb_alloc(mb, sizeof *t);
  *t = (Onnx__TensorProto)ONNX__TENSOR_PROTO__INIT;
  if (name) t->name = mb_str(mb, name);
  t->has_data_type = 1;
  t->data_type = (int32_t)dt;
  t->n_dims = (size_t)rank;
  t->dims = mb_dup(mb, dims, (size_t)rank * sizeof *dims);
  return t;
}

static inline Onnx__TensorProto *mb_tensor_raw(MB *mb, const char *name, DType dt, int rank, const int64_t *dims,
                                               const void *data, size_t nbytes) {
  Onnx__TensorProto *t = mb_tensor(mb, name, dt, rank, dims);
  t->has_raw_data = 1;
  t->raw_data.len = nbytes;
  t->raw_data.data = mb_dup(mb, data, nbytes);
  return t;
}

/* Payload in location/offset/length external data (offset or length < 0: left out). */
static inline void mb_tensor_external(MB *mb, Onnx__TensorProto *t, const char *location, long offset, long length) {
  t->has_data_location = 1;
  t->data_location = ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL;
  const char *keys[3] = {"location", "offset", "length"};
  char vals[3][64];
  snprintf(vals[0], sizeof vals[0], "%s", location);
  snprintf(vals[1], sizeof vals[1], "%ld", offset);
  snprintf(vals[2], sizeof vals[2], "%ld", length);
  long present[3] = {1, offset, length};
  for (int i = 0; i < 3; i++) {
    if (present[i] < 0) continue;
    Onnx__StringStringEntryProto *e = mb_alloc(mb, sizeof *e);
    *e = (Onnx__StringStringEntryProto)ONNX__STRING_STRING_ENTRY_PROTO__INIT;
    e->key = mb_str(mb, keys[i]);
    e->value = mb_str(mb, vals[i]);
    MB_APPEND(mb, t->external_data, t->n_external_data, e);
  }
}

static inline void mb_add_init(MB *mb, Onnx__TensorProto *t) {
  MB_APPEND(mb, mb->graph.initializer, mb->graph.n_initializer, t);
}

/* An initializer with raw_data. */
static inline Onnx__TensorProto *mb_init_raw(MB *mb, const char *name, DType dt, int rank, const int64_t *dims,
                                             const void *data) {
  int64_t numel = 1;
  for (int i = 0; i < rank; i++) numel *= dims[i];
  Onnx__TensorProto *t = mb_tensor_raw(mb, name, dt, rank, dims, data, (size_t)numel * dtype_size(dt));
  mb_add_init(mb, t);
  return t;
}

/* A field unknown to onnx.proto on any message: varint value (wire type 0). */
static inline void mb_unknown_varint(MB *mb, ProtobufCMessage *msg, uint32_t field, uint64_t v) {
  uint8_t *data = mb_alloc(mb, 10);
  size_t len = 0;
  do {
    data[len++] = (uint8_t)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
    v >>= 7;
  } while (v);
  ProtobufCMessageUnknownField f = {field, PROTOBUF_C_WIRE_TYPE_VARINT, len, data};
  MB_APPEND(mb, msg->unknown_fields, msg->n_unknown_fields, f);
}

/* ... and a length-delimited one (wire type 2), like an unknown sub-message. protobuf-c
 * keeps an unknown field's bytes as they follow the tag, so the length prefix is ours. */
static inline void mb_unknown_bytes(MB *mb, ProtobufCMessage *msg, uint32_t field, const void *bytes, size_t n) {
  uint8_t *data = mb_alloc(mb, n + 10);
  size_t len = 0;
  for (size_t v = n;; v >>= 7) {
    data[len++] = (uint8_t)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
    if (v <= 0x7f) break;
  }
  if (n) memcpy(data + len, bytes, n);
  ProtobufCMessageUnknownField f = {field, PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED, len + n, data};
  MB_APPEND(mb, msg->unknown_fields, msg->n_unknown_fields, f);
}

/* The serialized model (malloc'ed). */
static inline uint8_t *mb_pack(MB *mb, size_t *len) {
  *len = onnx__model_proto__get_packed_size(&mb->model);
  uint8_t *buf = malloc(*len ? *len : 1);
  ck_assert(onnx__model_proto__pack(&mb->model, buf) == *len);
  return buf;
}

static inline void mb_write(MB *mb, const char *path) {
  size_t len;
  uint8_t *buf = mb_pack(mb, &len);
  ck_assert_msg(tu_write_file(path, buf, len) == 0, "cannot write %s", path);
  free(buf);
}

/* ---- test plumbing ---- */

/* A fresh, empty work folder VITC_BINARY_DIR/tests/<suite>/<name> (malloc'ed). */
static inline char *unit_dir(const char *suite, const char *name) {
  char *d = tu_printf("%s/tests/%s/%s", VITC_BINARY_DIR, suite, name);
  tu_rm_rf(d);
  ck_assert_msg(tu_mkdir_p(d) == 0, "cannot create %s", d);
  return d;
}

/* Capture what is written to stderr (fd 2) between begin and end (testutil's capture,
 * which must work inside a test). */
static inline void capture_begin(Capture *c) { ck_assert_msg(tu_capture_begin(c) == 0, "cannot capture stderr"); }
/* What was captured (malloc'ed); echoed, so a failing test's log still shows it. */
static inline char *capture_end(Capture *c) { return tu_capture_end(c); }

/* Assert that `err` is exactly one "vitc: error: " line containing `needle`. */
#define ck_assert_one_error(err, needle)                                                              \
  do {                                                                                                \
    const char *err_ = (err);                                                                         \
    ck_assert_msg(tu_count_lines(err_) == 1, "expected one error line, got: %s", err_);                \
    ck_assert_msg(strncmp(err_, "vitc: error: ", 13) == 0, "not a vitc error line: %s", err_);         \
    ck_assert_msg(strstr(err_, (needle)) != NULL, "error line lacks '%s': %s", (needle), err_);       \
  } while (0)


/* ---------------- vitc IR graphs, built directly ---------------- */

static inline Graph *new_graph(int opset) {
  Graph *g = graph_new();
  g->opset = opset;
  g->source = xstrdup("test.onnx");
  return g;
}

static inline Shape make_shape(const int64_t *d, int rank) {
  Shape s = {rank, {0}};
  for (int i = 0; i < rank; i++) s.d[i] = d[i];
  return s;
}
/* SHAPE(2, 3, 4) is the Shape [2,3,4]; SCALAR has rank 0. */
#define SHAPE(...) make_shape((const int64_t[]){__VA_ARGS__}, (int)(sizeof((int64_t[]){__VA_ARGS__}) / sizeof(int64_t)))
static const Shape SCALAR = {0, {0}};

/* A float graph input of shape d[0..rank), in the graph's input list. */
static inline int add_input(Graph *g, const char *name, int rank, const int64_t *d) {
  int t = graph_add_tensor(g, name);
  g->t[t].is_input = g->t[t].typed = true;
  g->t[t].dtype = DT_FLOAT;
  g->t[t].shape = make_shape(d, rank);
  g->inputs = xrealloc(g->inputs, (size_t)(g->n_inputs + 1) * sizeof(int));
  g->inputs[g->n_inputs++] = t;
  return t;
}

/* A typed run-time tensor of any dtype (marked an input, not listed: for ops' infer). */
static inline int input(Graph *g, DType dt, Shape s) {
  int t = graph_add_tensor(g, NULL);
  g->t[t].dtype = dt;
  g->t[t].shape = s;
  g->t[t].typed = true;
  g->t[t].is_input = true;
  return t;
}

static inline void mark_output(Graph *g, int t) {
  g->t[t].is_output = true;
  g->t[t].out_index = g->n_outputs;
  g->outputs = xrealloc(g->outputs, (size_t)(g->n_outputs + 1) * sizeof(int));
  g->outputs[g->n_outputs++] = t;
}

/* A constant tensor holding a copy of v. */
static inline int cst(Graph *g, DType dt, Shape s, const void *v) {
  size_t bytes = (size_t)shape_numel(&s) * dtype_size(dt);
  void *data = xmalloc(bytes ? bytes : 1);
  if (bytes) memcpy(data, v, bytes);
  return graph_add_const(g, NULL, dt, &s, data);
}
#define CST(g, dt, ctype, s, ...) cst(g, dt, s, (const ctype[]){__VA_ARGS__})

static inline int add_const_f32(Graph *g, const char *name, int rank, const int64_t *d, const float *v) {
  Shape s = make_shape(d, rank);
  size_t n = (size_t)shape_numel(&s);
  float *data = xmalloc(n * sizeof(float) + 1);
  memcpy(data, v, n * sizeof(float));
  return graph_add_const(g, name, DT_FLOAT, &s, data);
}

/* A 1-D int64 constant of n values. */
static inline int add_const_i64(Graph *g, const char *name, int n, const int64_t *v) {
  Shape s = {1, {n}};
  int64_t *data = xmalloc((size_t)n * sizeof(int64_t) + 1);
  memcpy(data, v, (size_t)n * sizeof(int64_t));
  return graph_add_const(g, name, DT_INT64, &s, data);
}

/* A node of n_out fresh output tensors; returns the node's index. */
static inline int op_node(Graph *g, OpKind op, const int *in, int n_in, int n_out) {
  int outs[16];
  for (int o = 0; o < n_out; o++) outs[o] = graph_add_tensor(g, NULL);
  return graph_add_node(g, op, NULL, in, n_in, outs, n_out);
}
#define OP_NODE(g, op, ...) \
  op_node(g, op, (const int[]){__VA_ARGS__}, (int)(sizeof((int[]){__VA_ARGS__}) / sizeof(int)), 1)
#define OP_NODE_N(g, op, n_out, ...) \
  op_node(g, op, (const int[]){__VA_ARGS__}, (int)(sizeof((int[]){__VA_ARGS__}) / sizeof(int)), n_out)

static inline void attr_i(Graph *g, int ni, const char *name, int64_t v) { node_add_attr(g, ni, name, ATTR_INT)->i = v; }
static inline void attr_f(Graph *g, int ni, const char *name, float v) { node_add_attr(g, ni, name, ATTR_FLOAT)->f = v; }
static inline void attr_s(Graph *g, int ni, const char *name, const char *v) {
  node_add_attr(g, ni, name, ATTR_STRING)->s = xstrdup(v);
}
static inline void attr_ints_(Graph *g, int ni, const char *name, const int64_t *v, int n) {
  Attr *a = node_add_attr(g, ni, name, ATTR_INTS);
  a->n = n;
  a->ints = xmalloc((size_t)(n ? n : 1) * sizeof(int64_t));
  memcpy(a->ints, v, (size_t)n * sizeof(int64_t));
}
#define ATTR_INTS(g, ni, name, ...) \
  attr_ints_(g, ni, name, (const int64_t[]){__VA_ARGS__}, (int)(sizeof((int64_t[]){__VA_ARGS__}) / sizeof(int64_t)))

/* Nodes of op (or of any op) the passes left alive. */
static inline int live(const Graph *g, OpKind op) {
  int c = 0;
  for (int i = 0; i < g->nn; i++) c += !g->n[i].dead && g->n[i].op == op;
  return c;
}
/* The one live node of op (fails if not exactly one). */
static inline Node *the(const Graph *g, OpKind op) {
  ck_assert_int_eq(live(g, op), 1);
  for (int i = 0; i < g->nn; i++)
    if (!g->n[i].dead && g->n[i].op == op) return &g->n[i];
  return NULL;
}

/* op(in...) -> a fresh tensor named out, by a node named name (either NULL: unnamed);
 * returns the tensor (OP_NODE returns the node). */
static inline int node_to(Graph *g, OpKind op, const char *name, const char *out, int n_in, const int *in) {
  int t = graph_add_tensor(g, out);
  graph_add_node(g, op, name, in, n_in, &t, 1);
  return t;
}
#define NODE_TO(g, op, name, out, ...) \
  node_to((g), (op), (name), (out), (int)(sizeof((int[]){__VA_ARGS__}) / sizeof(int)), (int[]){__VA_ARGS__})

static inline int live_nodes(const Graph *g) {
  int c = 0;
  for (int i = 0; i < g->nn; i++) c += !g->n[i].dead;
  return c;
}

/* ---------------- an op's outputs ---------------- */

static inline int infer(Graph *g, int ni) { return op_impl(g->n[ni].op)->infer(g, &g->n[ni]); }
/* infer then eval, as fold_constants does for a node whose inputs are constants */
static inline int fold(Graph *g, int ni) {
  int rc = infer(g, ni);
  return rc ? rc : op_impl(g->n[ni].op)->eval(g, &g->n[ni]);
}
static inline Tensor *outk(Graph *g, int ni, int k) { return &g->t[g->n[ni].out[k]]; }
static inline Tensor *out(Graph *g, int ni) { return outk(g, ni, 0); }

/* infer fails with exactly one reported error */
static inline void expect_infer_error(Graph *g, int ni) {
  int before = vitc_error_count;
  ck_assert_int_eq(infer(g, ni), -1);
  ck_assert_int_eq(vitc_error_count, before + 1);
}

static inline void expect_shape(const Tensor *t, DType dt, Shape s) {
  char a[128], b[128];
  ck_assert_msg(t->typed, "output not typed");
  ck_assert_msg(t->dtype == dt, "dtype %s, expected %s", dtype_name(t->dtype), dtype_name(dt));
  ck_assert_msg(shape_eq(&t->shape, &s), "shape %s, expected %s", shape_str(&t->shape, a, sizeof a),
                shape_str(&s, b, sizeof b));
}

/* exact values, read as int64 or double whatever the dtype; NaN matches NaN */
static inline void expect_i64(const Tensor *t, const int64_t *v, int n) {
  ck_assert_int_eq(shape_numel(&t->shape), n);
  ck_assert_ptr_nonnull(t->data);
  for (int i = 0; i < n; i++)
    ck_assert_msg(tensor_get_i64(t, i) == v[i], "[%d] = %lld, expected %lld", i, (long long)tensor_get_i64(t, i),
                  (long long)v[i]);
}
#define EXPECT_I64(t, ...) \
  expect_i64(t, (const int64_t[]){__VA_ARGS__}, (int)(sizeof((int64_t[]){__VA_ARGS__}) / sizeof(int64_t)))
static inline void expect_f64(const Tensor *t, const double *v, int n) {
  ck_assert_int_eq(shape_numel(&t->shape), n);
  ck_assert_ptr_nonnull(t->data);
  for (int i = 0; i < n; i++) {
    double got = tensor_get_f64(t, i);
    ck_assert_msg(isnan(v[i]) ? isnan(got) : got == v[i], "[%d] = %.9g, expected %.9g", i, got, v[i]);
  }
}
#define EXPECT_F64(t, ...) \
  expect_f64(t, (const double[]){__VA_ARGS__}, (int)(sizeof((double[]){__VA_ARGS__}) / sizeof(double)))

/* ---------------- a model through the pipeline ---------------- */

/* models/X.onnx loaded and run through every pass but those in skip (comma-separated,
 * NULL: none); po (may be NULL) gets the pipeline's report. Fails the test, with what
 * vitc printed, when the model does not compile. */
static inline Graph *compile_model(const char *model, const char *skip, PipelineOptions *po) {
  PipelineOptions local;
  if (!po) po = &local;
  memset(po, 0, sizeof *po);
  Capture c;
  capture_begin(&c);
  Graph *g = onnx_load(model, NULL, 0);
  vitc_skip_passes = skip;
  int rc = g ? run_pipeline(g, po) : -1;
  vitc_skip_passes = NULL;
  char *err = capture_end(&c);
  ck_assert_msg(g && rc == 0, "%s does not compile: %s", model, err);
  free(err);
  return g;
}

#endif
