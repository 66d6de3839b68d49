/* ops/common.c: helpers shared by the op files (see op.h). */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ops/op.h"

void set_output(Graph *g, Node *n, int i, DType dt, const Shape *s) {
  Tensor *t = node_out(g, n, i);
  if (!t) return;
  t->dtype = dt;
  t->shape = *s;
  t->typed = true;
}

int broadcast_shape(Graph *g, Node *n, const Shape *a, const Shape *b, Shape *out) {
  int r = a->rank > b->rank ? a->rank : b->rank;
  Shape o = {r, {0}};
  for (int i = 0; i < r; i++) {
    int ia = i - (r - a->rank), ib = i - (r - b->rank);
    int64_t da = ia >= 0 ? a->d[ia] : 1, db = ib >= 0 ? b->d[ib] : 1;
    if (da == db || db == 1) o.d[i] = da;
    else if (da == 1) o.d[i] = db;
    else {
      char sa[128], sb[128];
      return node_err(g, n, "shapes %s and %s do not broadcast", shape_str(a, sa, sizeof sa), shape_str(b, sb, sizeof sb));
    }
  }
  *out = o;
  return 0;
}

int normalize_axis(Graph *g, Node *n, int64_t axis, int rank, int *out) {
  int64_t a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) return node_err(g, n, "axis %" PRId64 " is out of range for rank %d", axis, rank);
  *out = (int)a;
  return 0;
}

int const_ints(Graph *g, Node *n, int input, const char *what, int64_t *v, int max) {
  Tensor *t = node_in(g, n, input);
  if (!t) return node_err(g, n, "missing input '%s'", what);
  if (!t->data) return node_err(g, n, "input '%s' (%s) must be a compile-time constant", what, t->name);
  if (t->dtype != DT_INT64 && t->dtype != DT_INT32)
    return node_err(g, n, "input '%s' must be int64 or int32, not %s", what, dtype_name(t->dtype));
  int64_t numel = shape_numel(&t->shape);
  if (numel > max) return node_err(g, n, "input '%s' has %" PRId64 " values (max %d)", what, numel, max);
  for (int64_t i = 0; i < numel; i++) v[i] = tensor_get_i64(t, i);
  return (int)numel;
}

int check_numel(Graph *g, Node *n, const Shape *s) {
  int64_t numel = 1;
  for (int i = 0; i < s->rank; i++) {
    if (s->d[i] < 0) return node_err(g, n, "negative output dimension %" PRId64, s->d[i]);
    if (s->d[i] && numel > INT32_MAX / s->d[i]) {
      char sb[128];
      return node_err(g, n, "output shape %s overflows (max %d elements)", shape_str(s, sb, sizeof sb), INT32_MAX);
    }
    numel *= s->d[i];
  }
  return 0;
}

bool dtype_is_float(DType dt) { return dt == DT_FLOAT || dt == DT_DOUBLE || dt == DT_FLOAT16; }

double tensor_get_f64(const Tensor *t, int64_t i) {
  switch (t->dtype) {
  case DT_FLOAT: return ((const float *)t->data)[i];
  case DT_DOUBLE: return ((const double *)t->data)[i];
  case DT_INT64: return (double)((const int64_t *)t->data)[i];
  case DT_INT32: return ((const int32_t *)t->data)[i];
  case DT_INT8: return ((const int8_t *)t->data)[i];
  case DT_UINT8: case DT_BOOL: return ((const uint8_t *)t->data)[i];
  default: vitc_die("tensor_get_f64: dtype %s", dtype_name(t->dtype));
  }
}

int64_t tensor_get_i64(const Tensor *t, int64_t i) {
  switch (t->dtype) {
  case DT_INT64: return ((const int64_t *)t->data)[i];
  case DT_INT32: return ((const int32_t *)t->data)[i];
  case DT_INT8: return ((const int8_t *)t->data)[i];
  case DT_UINT8: case DT_BOOL: return ((const uint8_t *)t->data)[i];
  case DT_FLOAT: return (int64_t)((const float *)t->data)[i];
  case DT_DOUBLE: return (int64_t)((const double *)t->data)[i];
  default: vitc_die("tensor_get_i64: dtype %s", dtype_name(t->dtype));
  }
}

void buf_set_f64(void *buf, DType dt, int64_t i, double v) {
  switch (dt) {
  case DT_FLOAT: ((float *)buf)[i] = (float)v; break;
  case DT_DOUBLE: ((double *)buf)[i] = v; break;
  case DT_INT64: ((int64_t *)buf)[i] = (int64_t)v; break;
  case DT_INT32: ((int32_t *)buf)[i] = (int32_t)v; break;
  case DT_INT8: ((int8_t *)buf)[i] = (int8_t)v; break;
  case DT_UINT8: ((uint8_t *)buf)[i] = (uint8_t)v; break;
  case DT_BOOL: ((uint8_t *)buf)[i] = v != 0; break;
  default: vitc_die("buf_set_f64: dtype %s", dtype_name(dt));
  }
}

void buf_set_i64(void *buf, DType dt, int64_t i, int64_t v) {
  switch (dt) {
  case DT_FLOAT: ((float *)buf)[i] = (float)v; break;
  case DT_DOUBLE: ((double *)buf)[i] = (double)v; break;
  case DT_INT64: ((int64_t *)buf)[i] = v; break;
  case DT_INT32: ((int32_t *)buf)[i] = (int32_t)v; break;
  case DT_INT8: ((int8_t *)buf)[i] = (int8_t)v; break;
  case DT_UINT8: ((uint8_t *)buf)[i] = (uint8_t)v; break;
  case DT_BOOL: ((uint8_t *)buf)[i] = v != 0; break;
  default: vitc_die("buf_set_i64: dtype %s", dtype_name(dt));
  }
}

void *alloc_output_data(Graph *g, Node *n, int i) {
  Tensor *t = node_out(g, n, i);
  if (!t) return NULL;
  size_t bytes = (size_t)shape_numel(&t->shape) * dtype_size(t->dtype);
  free(t->data);
  t->data = xcalloc(bytes ? bytes : 1, 1);
  return t->data;
}

void shape_strides(const Shape *s, int64_t *st) {
  int64_t acc = 1;
  for (int i = s->rank - 1; i >= 0; i--) {
    st[i] = acc;
    acc *= s->d[i];
  }
}
