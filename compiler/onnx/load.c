/* onnx/load.c: ONNX ModelProto -> Graph.
 *
 * Everything read from the file is untrusted: sizes are checked before they are
 * multiplied, raw data lengths are checked against shapes, external data must
 * resolve to a regular file inside the model's folder, and every failure is one
 * error line naming the tensor or node. The decoder is protobuf-c's, generated at
 * build time from Debian's onnx.proto.
 *
 * Memory: the file is mapped, not read, and unmapped as soon as protobuf-c has
 * decoded it; a tensor's raw_data, which protobuf-c copies out of the file, is
 * then handed to the graph as it is instead of copied again. So loading a model
 * holds the file and one copy of its weights at the peak (ViT-Base: 2 x 346 MB),
 * and one copy after. */
#define _GNU_SOURCE
#include "onnx/load.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ir/attrs.h"
#include "ir/diag.h"
#include "onnx/onnx.pb-c.h"
#include "onnx/upgrade.h"

/* One tensor may hold at most 2^31-1 elements: kernels index with int. */
#define MAX_NUMEL ((int64_t)INT32_MAX)
/* A model file larger than this is refused before reading (protobuf's own limit is 2 GB). */
#define MAX_MODEL_BYTES ((long)INT32_MAX)

int shape_override_parse(const char *arg, ShapeOverride *out) {
  const char *eq = strrchr(arg, '=');
  if (!eq || eq == arg || !eq[1]) return vitc_err("--shape expects NAME=DIMxDIMx..., got '%s'", arg);
  char *name = xmalloc((size_t)(eq - arg) + 1);
  memcpy(name, arg, (size_t)(eq - arg));
  name[eq - arg] = 0;
  out->name = name;
  out->shape.rank = 0;
  const char *p = eq + 1;
  while (*p) {
    if (out->shape.rank == IR_MAX_RANK) return vitc_err("--shape '%s': more than %d dimensions", arg, IR_MAX_RANK);
    char *end;
    errno = 0;
    long long v = strtoll(p, &end, 10);
    if (end == p || v <= 0 || errno || v > MAX_NUMEL)
      return vitc_err("--shape '%s': dimension %d is not a positive integer", arg, out->shape.rank);
    out->shape.d[out->shape.rank++] = v;
    if (*end == 'x' || *end == 'X' || *end == ',') end++;
    else if (*end) return vitc_err("--shape '%s': unexpected '%c'", arg, *end);
    p = end;
  }
  return 0;
}

static int read_file(const char *path, uint8_t **buf, size_t *len, long max) {
  FILE *f = fopen(path, "rb");
  if (!f) return vitc_err("%s: cannot open: %s", path, strerror(errno));
  struct stat st;
  if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
    fclose(f);
    return vitc_err("%s: not a regular file", path);
  }
  if (st.st_size > max) {
    fclose(f);
    return vitc_err("%s: file too large (%lld bytes)", path, (long long)st.st_size);
  }
  *len = (size_t)st.st_size;
  *buf = xmalloc(*len + 1);
  if (*len && fread(*buf, 1, *len, f) != *len) {
    fclose(f);
    free(*buf);
    return vitc_err("%s: read error", path);
  }
  fclose(f);
  return 0;
}

/* numel of dims with overflow detection; -1 on overflow/negative. */
static int64_t checked_numel(const int64_t *dims, size_t n) {
  int64_t numel = 1;
  for (size_t i = 0; i < n; i++) {
    if (dims[i] < 0) return -1;
    if (dims[i] != 0 && numel > MAX_NUMEL / dims[i]) return -1;
    numel *= dims[i];
  }
  return numel;
}

/* The folder part of path, "." if none. */
static char *dir_of(const char *path) {
  const char *slash = strrchr(path, '/');
  if (!slash) return xstrdup(".");
  char *d = xmalloc((size_t)(slash - path) + 2);
  memcpy(d, path, (size_t)(slash - path));
  d[slash - path] = 0;
  if (slash == path) strcpy(d, "/");
  return d;
}

typedef struct Loader {
  const char *path;
  char *dir;       /* model folder, for external data */
  char *dir_real;  /* its realpath */
  Graph *g;
  const ConstOverride *co; /* --const */
  int n_co;
  char *co_used;
} Loader;

/* Reads nbytes of external data into a new buffer *dst, allocated only once the
 * file is known to hold them (a 200-byte model must not make vitc allocate 4 GB). */
static int read_external(Loader *L, const Onnx__TensorProto *tp, const char *tname, size_t nbytes, uint8_t **dst) {
  const char *location = NULL;
  long long offset = 0, length = -1;
  for (size_t i = 0; i < tp->n_external_data; i++) {
    const char *k = tp->external_data[i]->key, *v = tp->external_data[i]->value;
    if (!k || !v) continue;
    char *end;
    if (strcmp(k, "location") == 0) location = v;
    else if (strcmp(k, "offset") == 0) {
      offset = strtoll(v, &end, 10);
      if (*end || offset < 0) return vitc_err("%s: initializer '%s': bad external data offset '%s'", L->path, tname, v);
    } else if (strcmp(k, "length") == 0) {
      length = strtoll(v, &end, 10);
      if (*end || length < 0) return vitc_err("%s: initializer '%s': bad external data length '%s'", L->path, tname, v);
    }
  }
  if (!location || !*location) return vitc_err("%s: initializer '%s': external data without a location", L->path, tname);
  /* The location must name a file inside the model's folder: no absolute path, no
   * '..' component, and after resolving symlinks it must still be inside. */
  if (location[0] == '/' || location[0] == '\\')
    return vitc_err("%s: initializer '%s': external data location '%s' is an absolute path; it must stay inside the model's folder",
                    L->path, tname, location);
  for (const char *p = location; *p;) {
    const char *e = p + strcspn(p, "/\\");
    if (e - p == 2 && p[0] == '.' && p[1] == '.')
      return vitc_err("%s: initializer '%s': external data location '%s' escapes the model's folder", L->path, tname,
                      location);
    p = *e ? e + 1 : e;
  }
  size_t plen = strlen(L->dir) + strlen(location) + 2;
  char *full = xmalloc(plen);
  snprintf(full, plen, "%s/%s", L->dir, location);
  char *real = realpath(full, NULL);
  if (!real) {
    int rc = vitc_err("%s: initializer '%s': cannot open external data '%s': %s", L->path, tname, location, strerror(errno));
    free(full);
    return rc;
  }
  size_t dl = strlen(L->dir_real);
  if (strncmp(real, L->dir_real, dl) != 0 || (real[dl] != '/' && strcmp(L->dir_real, "/") != 0)) {
    int rc = vitc_err("%s: initializer '%s': external data location '%s' resolves outside the model's folder", L->path,
                      tname, location);
    free(full);
    free(real);
    return rc;
  }
  free(real);
  if (length >= 0 && (size_t)length != nbytes) {
    free(full);
    return vitc_err("%s: initializer '%s': external data length %lld does not match its shape (%zu bytes)", L->path,
                    tname, length, nbytes);
  }
  FILE *f = fopen(full, "rb");
  free(full);
  if (!f) return vitc_err("%s: initializer '%s': cannot open external data '%s'", L->path, tname, location);
  struct stat st;
  if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode) || offset > (long long)st.st_size ||
      (long long)nbytes > (long long)st.st_size - offset) {
    fclose(f);
    return vitc_err("%s: initializer '%s': external data '%s' is too short (needs %zu bytes at offset %lld)", L->path,
                    tname, location, nbytes, offset);
  }
  *dst = xmalloc(nbytes ? nbytes : 1);
  if (fseek(f, (long)offset, SEEK_SET) != 0 || fread(*dst, 1, nbytes, f) != nbytes) {
    fclose(f);
    free(*dst);
    *dst = NULL;
    return vitc_err("%s: initializer '%s': read error in external data '%s'", L->path, tname, location);
  }
  fclose(f);
  return 0;
}

/* Decode a TensorProto's payload into a buffer the caller owns: raw_data is taken
 * from tp (protobuf-c allocated it with malloc; tp keeps an empty field), anything
 * else is converted into a fresh buffer. L may be NULL (no external data). */
static int tensor_from_proto(Loader *L, const char *path, Onnx__TensorProto *tp, DType *dt_out, Shape *shape,
                             void **data_out) {
  const char *tname = tp->name ? tp->name : "(unnamed)";
  DType dt = (DType)tp->data_type;
  if (!dtype_supported(dt))
    return vitc_err("%s: tensor '%s' has element type %s (%d), which vitc does not support", path, tname,
                    dtype_name(dt), (int)tp->data_type);
  if (tp->n_dims > IR_MAX_RANK) return vitc_err("%s: tensor '%s' has rank %zu (max %d)", path, tname, tp->n_dims, IR_MAX_RANK);
  if (tp->segment) return vitc_err("%s: tensor '%s' is segmented, which vitc does not support", path, tname);
  int64_t numel = checked_numel(tp->dims, tp->n_dims);
  if (numel < 0)
    return vitc_err("%s: tensor '%s': shape overflows or is negative (max %" PRId64 " elements)", path, tname, MAX_NUMEL);
  shape->rank = (int)tp->n_dims;
  for (size_t i = 0; i < tp->n_dims; i++) shape->d[i] = tp->dims[i];
  size_t es = dtype_size(dt);
  size_t nbytes = (size_t)numel * es;
  bool external = tp->has_data_location && tp->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL;
  if (!external && tp->has_raw_data && tp->raw_data.len == nbytes && nbytes && tp->raw_data.data) {
    *dt_out = dt;
    *data_out = tp->raw_data.data; /* taken, not copied */
    tp->raw_data.data = NULL;
    tp->raw_data.len = 0;
    return 0;
  }
  /* the data's size is checked against the shape before anything is allocated */
  size_t n = (size_t)numel;
  uint8_t *data = NULL;
  if (external) {
    if (!L) return vitc_err("%s: tensor '%s' uses external data, not allowed here", path, tname);
    if (read_external(L, tp, tname, nbytes, &data)) return -1;
  } else if (tp->has_raw_data) {
    if (tp->raw_data.len != nbytes)
      return vitc_err("%s: tensor '%s': raw data has %zu bytes, its shape needs %zu", path, tname, tp->raw_data.len,
                      nbytes);
    data = xmalloc(1); /* nbytes == 0 here: the taken case above had every other size */
  } else {
    size_t have;
    switch (dt) {
    case DT_FLOAT: have = tp->n_float_data; break;
    case DT_DOUBLE: have = tp->n_double_data; break;
    case DT_INT64: have = tp->n_int64_data; break;
    default: have = tp->n_int32_data; break;
    }
    if (have != n) return vitc_err("%s: tensor '%s': has %zu values, its shape needs %zu", path, tname, have, n);
    data = xmalloc(nbytes ? nbytes : 1);
    for (size_t i = 0; i < n; i++) {
      switch (dt) {
      case DT_FLOAT: ((float *)data)[i] = tp->float_data[i]; break;
      case DT_DOUBLE: ((double *)data)[i] = tp->double_data[i]; break;
      case DT_INT64: ((int64_t *)data)[i] = tp->int64_data[i]; break;
      case DT_INT32: ((int32_t *)data)[i] = tp->int32_data[i]; break;
      case DT_INT8: ((int8_t *)data)[i] = (int8_t)tp->int32_data[i]; break;
      case DT_UINT8: case DT_BOOL: ((uint8_t *)data)[i] = (uint8_t)tp->int32_data[i]; break;
      default: break;
      }
    }
  }
  *dt_out = dt;
  *data_out = data;
  return 0;
}

int onnx_load_tensor_file(const char *path, DType *dt, Shape *shape, void **data, char **name) {
  uint8_t *buf;
  size_t len;
  if (read_file(path, &buf, &len, MAX_MODEL_BYTES)) return -1;
  Onnx__TensorProto *tp = onnx__tensor_proto__unpack(NULL, len, buf);
  free(buf);
  if (!tp) return vitc_err("%s: not a valid ONNX TensorProto", path);
  int rc = tensor_from_proto(NULL, path, tp, dt, shape, data);
  if (rc == 0 && name) *name = xstrdup(tp->name ? tp->name : "");
  onnx__tensor_proto__free_unpacked(tp, NULL);
  return rc;
}

static int add_initializer(Loader *L, Onnx__TensorProto *tp) {
  if (!tp->name || !*tp->name) return vitc_err("%s: an initializer has no name", L->path);
  if (graph_find_tensor(L->g, tp->name) >= 0) return vitc_err("%s: initializer '%s' is defined twice", L->path, tp->name);
  DType dt;
  Shape s;
  void *data;
  if (tensor_from_proto(L, L->path, tp, &dt, &s, &data)) return -1;
  graph_add_const(L->g, tp->name, dt, &s, data);
  return 0;
}

/* The IR's name for an AttributeProto's type (ATTR_OTHER: graphs, lists of strings, ...). */
static AttrType proto_attr_type(const Onnx__AttributeProto *a) {
  switch (a->type) {
  case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT: return ATTR_FLOAT;
  case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT: return ATTR_INT;
  case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING: return ATTR_STRING;
  case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR: return ATTR_TENSOR;
  case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS: return ATTR_FLOATS;
  case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS: return ATTR_INTS;
  default: return ATTR_OTHER;
  }
}

/* A Constant node becomes a constant tensor directly; its attribute is checked
 * against Constant's row of ir/attrs.def here, as it never becomes a node. */
static int add_constant_node(Loader *L, Onnx__NodeProto *np) {
  const char *nname = np->name && *np->name ? np->name : "(unnamed)";
  if (np->n_output != 1 || !np->output[0] || !*np->output[0])
    return vitc_err("%s: node '%s' (Constant): expects exactly one output", L->path, nname);
  if (np->n_attribute != 1)
    return vitc_err("%s: node '%s' (Constant): expects exactly one value attribute", L->path, nname);
  Onnx__AttributeProto *a = np->attribute[0];
  DType dt;
  Shape s = {0};
  void *data = NULL;
  const char *an = a->name ? a->name : "";
  const AttrSchema *want = op_attr_find(OP_Constant, an);
  if (want && proto_attr_type(a) != want->type)
    return vitc_err("%s: node '%s' (Constant): attribute '%s' must be %s, not %s", L->path, nname, an,
                    attr_type_name(want->type), attr_type_name(proto_attr_type(a)));
  if (strcmp(an, "value") == 0 && a->t) {
    if (tensor_from_proto(L, L->path, a->t, &dt, &s, &data)) return -1;
  } else if (strcmp(an, "value_float") == 0) {
    dt = DT_FLOAT;
    data = xmalloc(4);
    *(float *)data = a->f;
  } else if (strcmp(an, "value_int") == 0) {
    dt = DT_INT64;
    data = xmalloc(8);
    *(int64_t *)data = a->i;
  } else if (strcmp(an, "value_floats") == 0) {
    dt = DT_FLOAT;
    s.rank = 1;
    s.d[0] = (int64_t)a->n_floats;
    data = xmalloc(a->n_floats * 4 + 4);
    if (a->n_floats) memcpy(data, a->floats, a->n_floats * 4);
  } else if (strcmp(an, "value_ints") == 0) {
    dt = DT_INT64;
    s.rank = 1;
    s.d[0] = (int64_t)a->n_ints;
    data = xmalloc(a->n_ints * 8 + 8);
    if (a->n_ints) memcpy(data, a->ints, a->n_ints * 8);
  } else {
    return vitc_err("%s: node '%s' (Constant): attribute '%s' is not supported", L->path, nname, an);
  }
  if (graph_find_tensor(L->g, np->output[0]) >= 0) {
    free(data);
    return vitc_err("%s: node '%s' (Constant): output '%s' is defined twice", L->path, nname, np->output[0]);
  }
  graph_add_const(L->g, np->output[0], dt, &s, data);
  return 0;
}

static int convert_attr(Loader *L, int ni, const Onnx__NodeProto *np, Onnx__AttributeProto *a) {
  const char *an = a->name ? a->name : "";
  Attr *at;
  switch (a->type) {
  case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT:
    at = node_add_attr(L->g, ni, an, ATTR_FLOAT);
    at->f = a->f;
    break;
  case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT:
    at = node_add_attr(L->g, ni, an, ATTR_INT);
    at->i = a->i;
    break;
  case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING:
    at = node_add_attr(L->g, ni, an, ATTR_STRING);
    at->s = xmalloc(a->s.len + 1);
    if (a->s.len) memcpy(at->s, a->s.data, a->s.len);
    at->s[a->s.len] = 0;
    break;
  case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS:
    at = node_add_attr(L->g, ni, an, ATTR_FLOATS);
    at->n = (int)a->n_floats;
    at->floats = xmalloc(a->n_floats * sizeof(float) + 1);
    if (a->n_floats) memcpy(at->floats, a->floats, a->n_floats * sizeof(float));
    break;
  case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS:
    at = node_add_attr(L->g, ni, an, ATTR_INTS);
    at->n = (int)a->n_ints;
    at->ints = xmalloc(a->n_ints * sizeof(int64_t) + 1);
    if (a->n_ints) memcpy(at->ints, a->ints, a->n_ints * sizeof(int64_t));
    break;
  case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR: {
    if (!a->t) return vitc_err("%s: node '%s': tensor attribute '%s' is empty", L->path, np->name, an);
    DType dt;
    Shape s;
    void *data;
    if (tensor_from_proto(L, L->path, a->t, &dt, &s, &data)) return -1;
    int ti = graph_add_const(L->g, NULL, dt, &s, data);
    at = node_add_attr(L->g, ni, an, ATTR_TENSOR);
    at->tensor = ti;
    break;
  }
  default:
    /* Graph-valued attributes (If/Loop bodies) and others: no supported op uses them. */
    at = node_add_attr(L->g, ni, an, ATTR_OTHER);
    break;
  }
  (void)at;
  return 0;
}

static int add_value_info_input(Loader *L, const Onnx__ValueInfoProto *vi, const ShapeOverride *ov, int n_ov, char *ov_used) {
  const char *name = vi->name;
  if (!name || !*name) return vitc_err("%s: a graph input has no name", L->path);
  if (graph_find_tensor(L->g, name) >= 0) return 0; /* an initializer listed as input (IR < 4): a constant */
  if (!vi->type || vi->type->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE || !vi->type->tensor_type)
    return vitc_err("%s: graph input '%s' is not a tensor", L->path, name);
  const Onnx__TypeProto__Tensor *tt = vi->type->tensor_type;
  DType dt = (DType)tt->elem_type;
  for (int i = 0; i < L->n_co; i++) /* --const: the input becomes a constant */
    if (strcmp(L->co[i].name, name) == 0) {
      L->co_used[i] = 1;
      Shape declared = {0, {0}};
      bool known = tt->shape && tt->shape->n_dim <= IR_MAX_RANK;
      if (known) {
        declared.rank = (int)tt->shape->n_dim;
        for (size_t d = 0; d < tt->shape->n_dim; d++)
          declared.d[d] = tt->shape->dim[d]->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE
                              ? tt->shape->dim[d]->dim_value : -1;
      }
      DType cdt;
      Shape cs;
      void *data;
      if (const_override_value(&L->co[i], dt, &declared, known, &cdt, &cs, &data)) return -1;
      graph_add_const(L->g, name, cdt, &cs, data);
      return 0;
    }
  if (!dtype_supported(dt))
    return vitc_err("%s: graph input '%s' has element type %s, which vitc does not support", L->path, name, dtype_name(dt));
  int ti = graph_add_tensor(L->g, name);
  Tensor *t = &L->g->t[ti];
  t->dtype = dt;
  t->is_input = true;
  const ShapeOverride *o = NULL;
  for (int i = 0; i < n_ov; i++)
    if (strcmp(ov[i].name, name) == 0) {
      o = &ov[i];
      ov_used[i] = 1;
    }
  if (!tt->shape && !o) return vitc_err("%s: graph input '%s' has no shape; give one with --shape %s=DIMxDIM...", L->path, name, name);
  if (o) {
    if (tt->shape && (int)tt->shape->n_dim != o->shape.rank)
      return vitc_err("%s: --shape %s has rank %d, the model declares rank %zu", L->path, name, o->shape.rank,
                      tt->shape->n_dim);
    if (tt->shape)
      for (size_t i = 0; i < tt->shape->n_dim; i++) {
        const Onnx__TensorShapeProto__Dimension *d = tt->shape->dim[i];
        if (d->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE && d->dim_value > 0 &&
            d->dim_value != o->shape.d[i])
          return vitc_err("%s: --shape %s: dimension %zu is fixed to %" PRId64 " by the model, not %" PRId64, L->path,
                          name, i, d->dim_value, o->shape.d[i]);
      }
    t->shape = o->shape;
  } else {
    if (tt->shape->n_dim > IR_MAX_RANK) return vitc_err("%s: graph input '%s' has rank %zu (max %d)", L->path, name, tt->shape->n_dim, IR_MAX_RANK);
    t->shape.rank = (int)tt->shape->n_dim;
    for (size_t i = 0; i < tt->shape->n_dim; i++) {
      const Onnx__TensorShapeProto__Dimension *d = tt->shape->dim[i];
      /* Empty tensors (a 0 dimension) are not supported: a ViT input never has one. */
      if (d->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE && d->dim_value == 0)
        return vitc_err("%s: graph input '%s' has dimension %zu of size 0; vitc does not support empty tensors", L->path,
                        name, i);
      if (d->value_case != ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE || d->dim_value <= 0) {
        const char *param = d->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM ? d->dim_param : "?";
        return vitc_err("%s: graph input '%s' has a dynamic dimension %zu ('%s'); fix it with --shape %s=DIMxDIM...",
                        L->path, name, i, param, name);
      }
      t->shape.d[i] = d->dim_value;
    }
  }
  if (checked_numel(t->shape.d, (size_t)t->shape.rank) < 0)
    return vitc_err("%s: graph input '%s': shape overflows (max %" PRId64 " elements)", L->path, name, MAX_NUMEL);
  t->typed = true;
  L->g->inputs = xrealloc(L->g->inputs, (size_t)(L->g->n_inputs + 1) * sizeof(int));
  L->g->inputs[L->g->n_inputs++] = ti;
  return 0;
}

static int check_opsets(Loader *L, const Onnx__ModelProto *m) {
  int opset = -1;
  for (size_t i = 0; i < m->n_opset_import; i++) {
    const Onnx__OperatorSetIdProto *o = m->opset_import[i];
    const char *dom = o->domain ? o->domain : "";
    if (dom[0] == 0 || strcmp(dom, "ai.onnx") == 0) opset = (int)o->version;
  }
  if (opset < 0) return vitc_err("%s: the model imports no default-domain opset", L->path);
  if (opset < VITC_OPSET_MIN || opset > VITC_OPSET_MAX)
    return vitc_err("%s: opset %d of the default domain is not supported (vitc reads opsets %d to %d)", L->path, opset,
                    VITC_OPSET_MIN, VITC_OPSET_MAX);
  L->g->opset = opset;
  return 0;
}

/* The upgraded node's input and output counts against its op's row in ir/ops.def.
 * Inputs before min_in are required by the op's schema; later ones may be left
 * empty. Ops rely on this and on output 0 being present. */
static int check_arity(Loader *L, int ni, const char *op, int version) {
  const Node *n = &L->g->n[ni];
  int min_in, max_in, min_out, max_out;
  op_arity(n->op, &min_in, &max_in, &min_out, &max_out);
  if (n->n_in < min_in || n->n_in > max_in || n->n_out < min_out || n->n_out > max_out) {
    char want_in[32], want_out[32];
    snprintf(want_in, sizeof want_in, min_in == max_in ? "%d" : max_in == VITC_MANY ? "at least %d" : "%d to %d",
             min_in, max_in);
    snprintf(want_out, sizeof want_out, min_out == max_out ? "%d" : max_out == VITC_MANY ? "at least %d" : "%d to %d",
             min_out, max_out);
    return vitc_err("%s: node '%s' (%s-%d, opset %d): expects %s input(s) and %s output(s), has %d and %d", L->path,
                    n->name, op, version, L->g->opset, want_in, want_out, n->n_in, n->n_out);
  }
  for (int j = 0; j < min_in; j++)
    if (n->in[j] < 0)
      return vitc_err("%s: node '%s' (%s, opset %d): required input %d is empty", L->path, n->name, op, L->g->opset, j);
  if (n->out[0] < 0) return vitc_err("%s: node '%s' (%s, opset %d): output 0 is empty", L->path, n->name, op, L->g->opset);
  return 0;
}

static int build_graph(Loader *L, const Onnx__ModelProto *m, const ShapeOverride *ov, int n_ov) {
  const Onnx__GraphProto *gp = m->graph;
  if (!gp) return vitc_err("%s: the model has no graph", L->path);
  if (check_opsets(L, m)) return -1;
  if (gp->n_sparse_initializer) return vitc_err("%s: sparse initializers are not supported", L->path);
  for (size_t i = 0; i < gp->n_initializer; i++)
    if (add_initializer(L, gp->initializer[i])) return -1;
  char *ov_used = xcalloc((size_t)n_ov + 1, 1);
  for (size_t i = 0; i < gp->n_input; i++)
    if (add_value_info_input(L, gp->input[i], ov, n_ov, ov_used)) {
      free(ov_used);
      return -1;
    }
  for (int i = 0; i < n_ov; i++)
    if (!ov_used[i]) {
      free(ov_used);
      return vitc_err("%s: --shape names '%s', which is not a graph input", L->path, ov[i].name);
    }
  free(ov_used);
  for (int i = 0; i < L->n_co; i++)
    if (!L->co_used[i]) return vitc_err("%s: --const names '%s', which is not a graph input", L->path, L->co[i].name);
  /* Nodes: first pass creates output tensors so that order in the file does not matter. */
  for (size_t i = 0; i < gp->n_node; i++) {
    Onnx__NodeProto *np = gp->node[i];
    const char *nname = np->name && *np->name ? np->name : "(unnamed)";
    const char *op = np->op_type ? np->op_type : "";
    const char *dom = np->domain ? np->domain : "";
    if (dom[0] && strcmp(dom, "ai.onnx") != 0)
      return vitc_err("%s: node '%s': op '%s' of domain '%s' is not supported (vitc reads the default ONNX domain)",
                      L->path, nname, op, dom);
    if (strcmp(op, "Constant") == 0) {
      if (add_constant_node(L, np)) return -1;
      continue;
    }
    /* The op's version at the model's opset (onnx/opsets.def), and the op it is read as
     * (onnx_read_as: Upsample as Resize, ...; upgrade_node completes the rewrite). */
    int version = opset_version(op, L->g->opset);
    int k = op_lookup(onnx_read_as(op));
    if (k < 0 || version < 0 || (op_flags((OpKind)k) & (OPF_FOLD | OPF_INTERNAL)))
      return vitc_err("%s: node '%s': op '%s' (opset %d) is not supported by vitc", L->path, nname, op, L->g->opset);
    if (version == 0)
      return vitc_err("%s: node '%s': op '%s' at opset %d is not supported (vitc reads %s from opset %d)", L->path,
                      nname, op, L->g->opset, op, opset_first(op));
    int *ins = xmalloc((np->n_input + 1) * sizeof(int));
    int *outs = xmalloc((np->n_output + 1) * sizeof(int));
    for (size_t j = 0; j < np->n_input; j++) {
      const char *in = np->input[j];
      if (!in || !*in) { ins[j] = -1; continue; }
      ins[j] = graph_find_tensor(L->g, in);
      if (ins[j] < 0) ins[j] = graph_add_tensor(L->g, in); /* defined later, or missing: checked below */
    }
    for (size_t j = 0; j < np->n_output; j++) {
      const char *out = np->output[j];
      if (!out || !*out) { outs[j] = -1; continue; }
      int t = graph_find_tensor(L->g, out);
      if (t >= 0 && (L->g->t[t].producer >= 0 || L->g->t[t].data || L->g->t[t].is_input)) {
        free(ins);
        free(outs);
        return vitc_err("%s: node '%s' (%s): output '%s' is defined twice", L->path, nname, op, out);
      }
      outs[j] = t >= 0 ? t : graph_add_tensor(L->g, out);
      for (size_t k = 0; k < j; k++) /* the same name twice in one node's outputs */
        if (outs[k] == outs[j]) {
          free(ins);
          free(outs);
          return vitc_err("%s: node '%s' (%s): output '%s' is defined twice", L->path, nname, op, out);
        }
    }
    int ni = graph_add_node(L->g, (OpKind)k, np->name, ins, (int)np->n_input, outs, (int)np->n_output);
    free(ins);
    free(outs);
    for (size_t a = 0; a < np->n_attribute; a++)
      if (convert_attr(L, ni, np, np->attribute[a])) return -1;
    if (upgrade_node(L->g, ni, op, version) || check_arity(L, ni, op, version)) return -1;
  }
  graph_reindex(L->g); /* upgrade_node rewired inputs */
  /* Every tensor read must come from somewhere. */
  for (int i = 0; i < L->g->nn; i++) {
    const Node *n = &L->g->n[i];
    for (int j = 0; j < n->n_in; j++) {
      int t = n->in[j];
      if (t < 0) continue;
      const Tensor *tt = &L->g->t[t];
      if (tt->producer < 0 && !tt->data && !tt->is_input)
        return vitc_err("%s: node '%s' (%s): input '%s' is not produced by any node, initializer or graph input",
                        L->path, n->name, op_name(n->op), tt->name);
    }
  }
  if (gp->n_output == 0) return vitc_err("%s: the graph has no outputs", L->path);
  for (size_t i = 0; i < gp->n_output; i++) {
    const char *name = gp->output[i]->name;
    int t = name ? graph_find_tensor(L->g, name) : -1;
    if (t < 0) return vitc_err("%s: graph output '%s' is not produced by any node", L->path, name ? name : "");
    for (int k = 0; k < L->g->n_outputs; k++)
      if (L->g->outputs[k] == t) return vitc_err("%s: graph output '%s' is listed twice", L->path, name);
    if (L->g->t[t].is_input)
      return vitc_err("%s: graph output '%s' is also a graph input; vitc needs outputs computed by the graph", L->path, name);
    L->g->t[t].is_output = true;
    L->g->t[t].out_index = L->g->n_outputs;
    L->g->outputs = xrealloc(L->g->outputs, (size_t)(L->g->n_outputs + 1) * sizeof(int));
    L->g->outputs[L->g->n_outputs++] = t;
  }
  return graph_toposort(L->g);
}

/* The model file, mapped read-only (its pages are the page cache's, dropped by
 * munmap), or read into memory where it cannot be mapped. */
typedef struct Mapped {
  uint8_t *p;
  size_t len;
  bool mapped;
} Mapped;

static int map_file(const char *path, Mapped *m) {
  FILE *f = fopen(path, "rb");
  if (!f) return vitc_err("%s: cannot open: %s", path, strerror(errno));
  struct stat st;
  int fstat_ok = fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode);
  if (fstat_ok && st.st_size > 0 && st.st_size <= MAX_MODEL_BYTES) {
    void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fileno(f), 0);
    if (p != MAP_FAILED) {
      fclose(f);
      *m = (Mapped){p, (size_t)st.st_size, true};
      return 0;
    }
  }
  fclose(f);
  m->mapped = false;
  return read_file(path, &m->p, &m->len, MAX_MODEL_BYTES);
}

static void unmap_file(Mapped *m) {
  if (m->mapped) munmap(m->p, m->len);
  else free(m->p);
}

/* The decoded model into a Graph; frees m. path names the file in messages and
 * its folder holds external data; co: the --const overrides. */
static Graph *load_decoded(const char *path, Onnx__ModelProto *m, const ShapeOverride *ov, int n_ov,
                           const ConstOverride *co, int n_co) {
  Loader L = {0};
  L.path = path;
  L.co = co;
  L.n_co = n_co;
  L.co_used = xcalloc((size_t)n_co + 1, 1);
  L.dir = dir_of(path);
  L.dir_real = realpath(L.dir, NULL);
  L.g = graph_new();
  const char *slash = strrchr(path, '/');
  L.g->source = xstrdup(slash ? slash + 1 : path);
  int rc = L.dir_real ? 0 : vitc_err("%s: cannot resolve the model's folder", path);
  if (rc == 0) rc = build_graph(&L, m, ov, n_ov);
  onnx__model_proto__free_unpacked(m, NULL);
  free(L.dir);
  free(L.dir_real);
  free(L.co_used);
  if (rc) {
    graph_free(L.g);
    return NULL;
  }
  return L.g;
}

static void not_a_model(const char *path) {
  vitc_err("%s: not a valid ONNX model (protobuf decoding failed: truncated or not an ONNX file)", path);
}

Graph *onnx_load(const char *path, const ShapeOverride *ov, int n_ov) {
  return onnx_load_with_consts(path, ov, n_ov, NULL, 0);
}

Graph *onnx_load_with_consts(const char *path, const ShapeOverride *ov, int n_ov, const ConstOverride *co, int n_co) {
  Mapped file;
  if (map_file(path, &file)) return NULL;
  if (file.len == 0) {
    unmap_file(&file);
    vitc_err("%s: empty file", path);
    return NULL;
  }
  Onnx__ModelProto *m = onnx__model_proto__unpack(NULL, file.len, file.p);
  unmap_file(&file);
  if (!m) return not_a_model(path), NULL;
  return load_decoded(path, m, ov, n_ov, co, n_co);
}

Graph *onnx_load_bytes(const char *path, const uint8_t *bytes, size_t len, const ShapeOverride *ov, int n_ov) {
  if (len == 0) return vitc_err("%s: empty file", path), NULL;
  if (len > (size_t)MAX_MODEL_BYTES) return vitc_err("%s: file too large (%zu bytes)", path, len), NULL;
  Onnx__ModelProto *m = onnx__model_proto__unpack(NULL, len, bytes);
  if (!m) return not_a_model(path), NULL;
  return load_decoded(path, m, ov, n_ov, NULL, 0);
}
