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
 * Also here, because every unit test wants them: a clean per-test work folder and a
 * capture of stderr (to check that bad input gives exactly one error line).
 * Header-only with static inline functions: a test that does not use one gets no
 * warning; tests/CMakeLists.txt registers only check_*.c files. */
#ifndef VITC_MKONNX_H
#define VITC_MKONNX_H

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ir/graph.h"
#include "onnx/onnx.pb-c.h"
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

/* Capture what is written to stderr (fd 2) between begin and end. */
typedef struct Capture {
  int saved_fd;
  char path[1024];
} Capture;

static inline void capture_begin(Capture *c) {
  fflush(stderr);
  char *tmpl = tu_tmp_path("vitc_stderr_XXXXXX");
  snprintf(c->path, sizeof c->path, "%s", tmpl);
  free(tmpl);
  int fd = mkstemp(c->path);
  ck_assert(fd >= 0);
  c->saved_fd = dup(2);
  dup2(fd, 2);
  close(fd);
}

/* What was captured (malloc'ed); echoed, so a failing test's log still shows it. */
static inline char *capture_end(Capture *c) {
  fflush(stderr);
  dup2(c->saved_fd, 2);
  close(c->saved_fd);
  char *s = tu_read_file(c->path, NULL);
  unlink(c->path);
  if (!s) s = tu_printf("%s", "");
  fputs(s, stderr);
  return s;
}

/* Assert that `err` is exactly one "vitc: error: " line containing `needle`. */
#define ck_assert_one_error(err, needle)                                                              \
  do {                                                                                                \
    const char *err_ = (err);                                                                         \
    ck_assert_msg(tu_count_lines(err_) == 1, "expected one error line, got: %s", err_);                \
    ck_assert_msg(strncmp(err_, "vitc: error: ", 13) == 0, "not a vitc error line: %s", err_);         \
    ck_assert_msg(strstr(err_, (needle)) != NULL, "error line lacks '%s': %s", (needle), err_);       \
  } while (0)

#endif
