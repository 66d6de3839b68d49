/* ops/shape_ops.c: ops that only change shapes, and the shape arithmetic that
 * exporters build around them.
 *
 * Reshape, Flatten, Squeeze, Unsqueeze and Identity are views (OPF_VIEW in
 * ir/ops.def): at run time their output is their input's bytes under a new
 * shape, so they have no emitter; the planner aliases the storage, and the
 * emitter copies when the view is a graph output. They still need shape
 * inference, and an eval that copies bytes so that views of constants fold.
 *
 * Shape, ConstantOfShape and Range are the exporters' shape arithmetic. The
 * legacy torch exporter writes `x.view(B, -1)` as Shape -> Gather -> Unsqueeze
 * -> Concat -> Reshape; with static input shapes every link folds (Shape folds
 * from its input's shape alone: fold_from_shapes), so Reshape sees a constant.
 * That is why a shape operand that is still not a constant after folding is an
 * error: vitc compiles static shapes only.
 *
 * Dropout is the identity at inference; eliminate_identity removes it unless
 * its mask is read, and then it is a copy plus an all-true mask. Constant
 * nodes never reach here: the loader turns them into constant tensors. */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "emit/emit.h"
#include "ops/op.h"

/* ---- shared helpers ---- */

/* Input 0, typed and of an element type that can be copied. */
static Tensor *data_input(Graph *g, Node *n) {
  Tensor *x = node_in(g, n, 0);
  if (!x || !x->typed) {
    node_err(g, n, "input 0 has no known type and shape");
    return NULL;
  }
  if (dtype_size(x->dtype) == 0) {
    node_err(g, n, "input 0 has element type %s, which vitc does not support", dtype_name(x->dtype));
    return NULL;
  }
  return x;
}

/* A constant integer list given as input `input` from opset `since` on and as
 * attribute `attr` before (Squeeze/Unsqueeze axes; the loader rewrites the
 * attribute into the input, graphs built by hand may have either). Returns the
 * count, -1 if absent, -2 on error (reported). */
static int ints_input_or_attr(Graph *g, Node *n, int input, int since, const char *attr, int64_t *v, int max) {
  (void)since;
  if (!node_attr(n, attr)) {
    Tensor *t = node_in(g, n, input);
    if (!t) return -1;
    if (!t->data) {
      node_err(g, n, "input '%s' is not a compile-time constant; vitc needs static shapes", attr);
      return -2;
    }
    if (t->shape.rank > 1) {
      node_err(g, n, "input '%s' must be 1-D", attr);
      return -2;
    }
    int k = const_ints(g, n, input, attr, v, max);
    return k < 0 ? -2 : k;
  }
  const int64_t *a;
  int k = attr_ints(n, attr, &a);
  if (k < 0) return -1;
  if (k > max) {
    node_err(g, n, "attribute '%s' has %d values (max %d)", attr, k, max);
    return -2;
  }
  memcpy(v, a, (size_t)k * sizeof *v);
  return k;
}

/* Output 0 = a byte copy of input 0 (the eval of every view). */
static int eval_copy(Graph *g, Node *n) {
  Tensor *x = node_in(g, n, 0);
  void *y = alloc_output_data(g, n, 0);
  memcpy(y, x->data, (size_t)shape_numel(&x->shape) * dtype_size(x->dtype));
  return 0;
}

/* Set output 0 to `s` (same dtype as input 0) after checking the element count. */
static int set_view_output(Graph *g, Node *n, const Tensor *x, const Shape *s) {
  if (check_numel(g, n, s)) return -1;
  if (shape_numel(s) != shape_numel(&x->shape)) {
    char a[128], b[128];
    return node_err(g, n, "cannot view %s as %s (element counts differ)", shape_str(&x->shape, a, sizeof a),
                    shape_str(s, b, sizeof b));
  }
  set_output(g, n, 0, x->dtype, s);
  return 0;
}

/* Output `t` at run time = a copy of values known at compile time (a Shape or
 * Range that is itself a graph output). */
static int emit_copy_of_const(Emitter *e, int t, DType dt, int64_t numel, const void *values) {
  const char *y = emit_ref(e, t), *c = emit_const(e, "values", dt, numel, values);
  emit_line(e, "memcpy(%s, %s, %zu);", y, c, (size_t)numel * dtype_size(dt));
  return 0;
}

/* ---- Reshape ---- */

static int infer_reshape(Graph *g, Node *n) {
  Tensor *x = data_input(g, n), *st = node_in(g, n, 1);
  if (!x) return -1;
  if (!st->data) return node_err(g, n, "shape input is not a compile-time constant; vitc needs static shapes");
  if (st->dtype != DT_INT64) return node_err(g, n, "shape input must be int64, not %s", dtype_name(st->dtype));
  if (st->shape.rank != 1) return node_err(g, n, "shape input must be 1-D, not rank %d", st->shape.rank);
  int64_t v[IR_MAX_RANK];
  int r = const_ints(g, n, 1, "shape", v, IR_MAX_RANK);
  if (r < 0) return -1;
  bool allowzero = attr_int(n, "allowzero", 0) != 0;
  Shape s = {r, {0}};
  int infer_at = -1;
  int64_t known = 1, in_numel = shape_numel(&x->shape);
  for (int i = 0; i < r; i++) {
    int64_t d = v[i];
    if (d == 0 && !allowzero) {
      if (i >= x->shape.rank) return node_err(g, n, "shape[%d] = 0 copies a dimension the input (rank %d) lacks", i, x->shape.rank);
      d = x->shape.d[i];
    } else if (d == -1) {
      if (infer_at >= 0) return node_err(g, n, "shape has more than one -1");
      infer_at = i;
      continue;
    } else if (d < 0) {
      return node_err(g, n, "shape[%d] = %" PRId64 " is invalid", i, d);
    }
    if (d > 0 && known > INT64_MAX / d) return node_err(g, n, "shape overflows");
    known *= d;
    s.d[i] = d;
  }
  if (infer_at >= 0) {
    if (allowzero && known == 0) return node_err(g, n, "shape has both 0 and -1 with allowzero=1");
    if (known == 0 || in_numel % known != 0)
      return node_err(g, n, "cannot infer the -1 dimension: %" PRId64 " elements do not divide into %" PRId64, in_numel,
                      known);
    s.d[infer_at] = in_numel / known;
  }
  return set_view_output(g, n, x, &s);
}

const OpImpl op_impl_Reshape = {.infer = infer_reshape, .eval = eval_copy};

/* ---- Flatten ---- */

static int infer_flatten(Graph *g, Node *n) {
  Tensor *x = data_input(g, n);
  if (!x) return -1;
  int r = x->shape.rank;
  int64_t axis = attr_int(n, "axis", 1);
  if (axis < -r || axis > r) return node_err(g, n, "axis %" PRId64 " is out of range [%d, %d]", axis, -r, r);
  if (axis < 0) axis += r;
  Shape s = {2, {1, 1}};
  for (int i = 0; i < r; i++) s.d[i < axis ? 0 : 1] *= x->shape.d[i];
  return set_view_output(g, n, x, &s);
}

const OpImpl op_impl_Flatten = {.infer = infer_flatten, .eval = eval_copy};

/* ---- Squeeze / Unsqueeze ---- */

static int infer_squeeze(Graph *g, Node *n) {
  Tensor *x = data_input(g, n);
  if (!x) return -1;
  int r = x->shape.rank;
  int64_t axes[IR_MAX_RANK];
  int na = ints_input_or_attr(g, n, 1, 13, "axes", axes, IR_MAX_RANK);
  if (na == -2) return -1;
  bool drop[IR_MAX_RANK] = {false};
  if (na < 0) { /* no axes: every dimension of size 1 */
    for (int i = 0; i < r; i++) drop[i] = x->shape.d[i] == 1;
  }
  for (int k = 0; k < na; k++) {
    int a;
    if (normalize_axis(g, n, axes[k], r, &a)) return -1;
    if (drop[a]) return node_err(g, n, "axis %" PRId64 " is repeated", axes[k]);
    if (x->shape.d[a] != 1)
      return node_err(g, n, "cannot squeeze axis %" PRId64 ": its dimension is %" PRId64 ", not 1", axes[k], x->shape.d[a]);
    drop[a] = true;
  }
  Shape s = {0, {0}};
  for (int i = 0; i < r; i++)
    if (!drop[i]) s.d[s.rank++] = x->shape.d[i];
  return set_view_output(g, n, x, &s);
}

static int infer_unsqueeze(Graph *g, Node *n) {
  Tensor *x = data_input(g, n);
  if (!x) return -1;
  int64_t axes[IR_MAX_RANK];
  int na = ints_input_or_attr(g, n, 1, 13, "axes", axes, IR_MAX_RANK);
  if (na == -2) return -1;
  if (na < 0) return node_err(g, n, "missing axes");
  int r = x->shape.rank + na;
  if (r > IR_MAX_RANK) return node_err(g, n, "output rank %d exceeds %d", r, IR_MAX_RANK);
  bool is_new[IR_MAX_RANK] = {false};
  for (int k = 0; k < na; k++) {
    int a;
    if (normalize_axis(g, n, axes[k], r, &a)) return -1;
    if (is_new[a]) return node_err(g, n, "axis %" PRId64 " is repeated", axes[k]);
    is_new[a] = true;
  }
  Shape s = {r, {0}};
  for (int i = 0, j = 0; i < r; i++) s.d[i] = is_new[i] ? 1 : x->shape.d[j++];
  return set_view_output(g, n, x, &s);
}

const OpImpl op_impl_Squeeze = {.infer = infer_squeeze, .eval = eval_copy};
const OpImpl op_impl_Unsqueeze = {.infer = infer_unsqueeze, .eval = eval_copy};

/* ---- Identity and Dropout ---- */

static int infer_identity(Graph *g, Node *n) {
  Tensor *x = data_input(g, n);
  if (!x) return -1;
  set_output(g, n, 0, x->dtype, &x->shape);
  return 0;
}

const OpImpl op_impl_Identity = {.infer = infer_identity, .eval = eval_copy};

/* Dropout(data, ratio?, training_mode?) -> (output, mask?). vitc compiles
 * inference, so training_mode must be a constant false (or the ratio 0). */
static int infer_dropout(Graph *g, Node *n) {
  Tensor *x = data_input(g, n);
  if (!x) return -1;
  Tensor *ratio = node_in(g, n, 1), *training = node_in(g, n, 2);
  if (training) {
    if (!training->data || shape_numel(&training->shape) != 1)
      return node_err(g, n, "training_mode must be a constant scalar (vitc compiles inference)");
    bool zero_ratio = ratio && ratio->data && shape_numel(&ratio->shape) == 1 && tensor_get_f64(ratio, 0) == 0.0;
    if (tensor_get_i64(training, 0) != 0 && !zero_ratio)
      return node_err(g, n, "training_mode=true is not supported (vitc compiles inference)");
  }
  set_output(g, n, 0, x->dtype, &x->shape);
  set_output(g, n, 1, DT_BOOL, &x->shape);
  return 0;
}

static int eval_dropout(Graph *g, Node *n) {
  eval_copy(g, n);
  uint8_t *mask = alloc_output_data(g, n, 1);
  if (mask) memset(mask, 1, (size_t)shape_numel(&node_in(g, n, 0)->shape));
  return 0;
}

static int emit_dropout(Emitter *e, Graph *g, Node *n) {
  Tensor *x = node_in(g, n, 0);
  size_t numel = (size_t)shape_numel(&x->shape);
  if (numel == 0) return 0;
  const char *y = emit_ref(e, n->out[0]), *xr = emit_ref(e, n->in[0]);
  emit_line(e, "memcpy(%s, %s, %zu); /* inference: dropout is the identity */", y, xr, numel * dtype_size(x->dtype));
  if (node_out(g, n, 1)) emit_line(e, "memset(%s, 1, %zu); /* mask: all kept */", emit_ref(e, n->out[1]), numel);
  return 0;
}

const OpImpl op_impl_Dropout = {.infer = infer_dropout, .eval = eval_dropout, .emit = emit_dropout};

/* ---- Constant ---- */

static int infer_constant(Graph *g, Node *n) {
  return node_err(g, n, "Constant nodes should have been turned into tensors by the loader");
}

const OpImpl op_impl_Constant = {.infer = infer_constant};

/* ---- Shape ---- */

/* The [start, end) window of the input's dims (opset 15 attributes, clamped). */
static void shape_window(const Node *n, int rank, int *start, int *end) {
  int64_t s = attr_int(n, "start", 0), e = attr_int(n, "end", rank);
  if (s < 0) s += rank;
  if (e < 0) e += rank;
  s = s < 0 ? 0 : s > rank ? rank : s;
  e = e < 0 ? 0 : e > rank ? rank : e;
  *start = (int)s;
  *end = (int)(e > s ? e : s);
}

static int infer_shape(Graph *g, Node *n) {
  Tensor *x = node_in(g, n, 0);
  if (!x->typed) return node_err(g, n, "input has no known shape");
  int start, end;
  shape_window(n, x->shape.rank, &start, &end);
  Shape s = {1, {end - start}};
  set_output(g, n, 0, DT_INT64, &s);
  return 0;
}

/* The output values: the input's dims in the window. */
static void shape_values(Graph *g, Node *n, int64_t *out) {
  Tensor *x = node_in(g, n, 0);
  int start, end;
  shape_window(n, x->shape.rank, &start, &end);
  for (int i = start; i < end; i++) out[i - start] = x->shape.d[i];
}

static int eval_shape(Graph *g, Node *n) {
  shape_values(g, n, alloc_output_data(g, n, 0));
  return 0;
}

/* Only reached when the Shape is itself a graph output: copy a constant. */
static int emit_shape(Emitter *e, Graph *g, Node *n) {
  int64_t v[IR_MAX_RANK];
  Tensor *y = node_out(g, n, 0);
  int64_t k = shape_numel(&y->shape);
  if (k == 0) return 0;
  shape_values(g, n, v);
  return emit_copy_of_const(e, n->out[0], DT_INT64, k, v);
}

const OpImpl op_impl_Shape = {.infer = infer_shape, .eval = eval_shape, .emit = emit_shape, .fold_from_shapes = true};

/* ---- Size: the element count, a scalar int64 known from the shape alone ---- */

static int infer_size(Graph *g, Node *n) {
  if (!node_in(g, n, 0)->typed) return node_err(g, n, "input has no known shape");
  Shape s = {0, {0}};
  set_output(g, n, 0, DT_INT64, &s);
  return 0;
}

static int eval_size(Graph *g, Node *n) {
  *(int64_t *)alloc_output_data(g, n, 0) = shape_numel(&node_in(g, n, 0)->shape);
  return 0;
}

/* Only reached when the Size is itself a graph output. */
static int emit_size(Emitter *e, Graph *g, Node *n) {
  int64_t v = shape_numel(&node_in(g, n, 0)->shape);
  return emit_copy_of_const(e, n->out[0], DT_INT64, 1, &v);
}

const OpImpl op_impl_Size = {.infer = infer_size, .eval = eval_size, .emit = emit_size, .fold_from_shapes = true};

/* ---- EyeLike: a 2-D tensor of the input's shape, 1 on the k-th diagonal; a
 * constant known from the shape alone ---- */

static int eyelike_dtype(Graph *g, Node *n, DType *dt) {
  Tensor *x = node_in(g, n, 0);
  const Attr *a = node_attr(n, "dtype");
  *dt = a ? (DType)a->i : x->dtype;
  if (!dtype_supported(*dt) || *dt == DT_BOOL) return node_err(g, n, "output type %s is not supported", dtype_name(*dt));
  if (x->shape.rank != 2) return node_err(g, n, "input must be 2-D, got rank %d", x->shape.rank);
  return 0;
}

static int infer_eyelike(Graph *g, Node *n) {
  DType dt;
  if (!node_in(g, n, 0)->typed) return node_err(g, n, "input has no known shape");
  if (eyelike_dtype(g, n, &dt)) return -1;
  set_output(g, n, 0, dt, &node_in(g, n, 0)->shape);
  return 0;
}

static void *eyelike_values(Graph *g, Node *n, void *y) {
  Tensor *x = node_in(g, n, 0);
  DType dt = node_out(g, n, 0)->dtype;
  int64_t k = attr_int(n, "k", 0), rows = x->shape.d[0], cols = x->shape.d[1];
  for (int64_t i = 0; i < rows; i++)
    for (int64_t j = 0; j < cols; j++) {
      if (dtype_is_float(dt)) buf_set_f64(y, dt, i * cols + j, j - i == k ? 1.0 : 0.0);
      else buf_set_i64(y, dt, i * cols + j, j - i == k);
    }
  return y;
}

static int eval_eyelike(Graph *g, Node *n) {
  eyelike_values(g, n, alloc_output_data(g, n, 0));
  return 0;
}

/* Only reached when the EyeLike is itself a graph output. */
static int emit_eyelike(Emitter *e, Graph *g, Node *n) {
  Tensor *y = node_out(g, n, 0);
  int64_t k = shape_numel(&y->shape);
  if (k == 0) return 0;
  void *v = eyelike_values(g, n, xmalloc((size_t)k * dtype_size(y->dtype)));
  int rc = emit_copy_of_const(e, n->out[0], y->dtype, k, v);
  free(v);
  return rc;
}

const OpImpl op_impl_EyeLike = {.infer = infer_eyelike, .eval = eval_eyelike, .emit = emit_eyelike, .fold_from_shapes = true};

/* ---- ConstantOfShape ---- */

/* The fill value: attribute `value` (a one-element tensor), default float 0. */
static int fill_value(Graph *g, Node *n, Tensor **value) {
  const Attr *a = node_attr(n, "value");
  *value = NULL;
  if (!a) return 0;
  if (a->type != ATTR_TENSOR || a->tensor < 0) return node_err(g, n, "attribute 'value' must be a tensor");
  Tensor *v = &g->t[a->tensor];
  if (shape_numel(&v->shape) != 1) return node_err(g, n, "attribute 'value' must have exactly one element");
  if (dtype_size(v->dtype) == 0) return node_err(g, n, "attribute 'value' has unsupported type %s", dtype_name(v->dtype));
  *value = v;
  return 0;
}

static int infer_constant_of_shape(Graph *g, Node *n) {
  Tensor *st = node_in(g, n, 0), *value;
  if (!st->data) return node_err(g, n, "shape input is not a compile-time constant; vitc needs static shapes");
  if (st->dtype != DT_INT64) return node_err(g, n, "shape input must be int64, not %s", dtype_name(st->dtype));
  if (st->shape.rank != 1) return node_err(g, n, "shape input must be 1-D, not rank %d", st->shape.rank);
  Shape s = {0, {0}};
  if ((s.rank = const_ints(g, n, 0, "shape", s.d, IR_MAX_RANK)) < 0) return -1;
  if (check_numel(g, n, &s) || fill_value(g, n, &value)) return -1;
  set_output(g, n, 0, value ? value->dtype : DT_FLOAT, &s);
  return 0;
}

static int eval_constant_of_shape(Graph *g, Node *n) {
  Tensor *value, *y = node_out(g, n, 0);
  if (fill_value(g, n, &value)) return -1;
  unsigned char *out = alloc_output_data(g, n, 0); /* zeroed: the default float 0 */
  size_t elem = dtype_size(y->dtype);
  if (value)
    for (int64_t i = 0; i < shape_numel(&y->shape); i++) memcpy(out + (size_t)i * elem, value->data, elem);
  return 0;
}

/* At run time (a fill too large to fold): a broadcast copy of the one value. */
static int emit_constant_of_shape(Emitter *e, Graph *g, Node *n) {
  Tensor *value, *y = node_out(g, n, 0);
  if (fill_value(g, n, &value)) return -1;
  if (shape_numel(&y->shape) == 0) return 0;
  float zero = 0.0f;
  int64_t strides[IR_MAX_RANK] = {0}, dims[IR_MAX_RANK];
  for (int i = 0; i < y->shape.rank; i++) dims[i] = y->shape.d[i];
  const char *yr = emit_ref(e, n->out[0]), *v = emit_const(e, "fill_value", y->dtype, 1, value ? value->data : &zero);
  const char *dims_name = emit_ints(e, "dims", dims, y->shape.rank);
  const char *strides_name = emit_ints(e, "strides", strides, y->shape.rank);
  emit_use_kernel(e, "layout/x-copy");
  emit_line(e, "%s(%zu, %d, %s, %s, %s, %s);", emit_kfn(e, "vitc_x_expand"), dtype_size(y->dtype), y->shape.rank,
            dims_name, v, strides_name, yr);
  return 0;
}

const OpImpl op_impl_ConstantOfShape = {
    .infer = infer_constant_of_shape, .eval = eval_constant_of_shape, .emit = emit_constant_of_shape};

/* ---- Range ---- */

static bool range_dtype(DType t) { return t == DT_FLOAT || t == DT_DOUBLE || t == DT_INT32 || t == DT_INT64; }

/* Number of elements, max(ceil((limit - start) / delta), 0), computed exactly for
 * integers and as ONNX Runtime does for floats (the difference in T, the
 * division in double). Returns -1 on a bad delta or an overflow. */
static int range_count(Graph *g, Node *n, int64_t *count) {
  Tensor *ts = node_in(g, n, 0), *tl = node_in(g, n, 1), *td = node_in(g, n, 2);
  if (dtype_is_float(ts->dtype)) {
    double start = tensor_get_f64(ts, 0), limit = tensor_get_f64(tl, 0), delta = tensor_get_f64(td, 0);
    double diff = ts->dtype == DT_FLOAT ? (double)((float)limit - (float)start) : limit - start;
    if (delta == 0 || isnan(diff) || isnan(delta)) return node_err(g, n, "delta is zero or a value is NaN");
    double c = ceil(diff / delta);
    if (!(c < (double)INT32_MAX)) return node_err(g, n, "output is too large");
    *count = c > 0 ? (int64_t)c : 0;
    return 0;
  }
  int64_t start = tensor_get_i64(ts, 0), limit = tensor_get_i64(tl, 0), delta = tensor_get_i64(td, 0);
  if (delta == 0) return node_err(g, n, "delta is zero");
  /* distance and step as unsigned magnitudes: exact for any int64 values */
  bool up = delta > 0;
  if (up ? limit <= start : limit >= start) {
    *count = 0;
    return 0;
  }
  uint64_t dist = up ? (uint64_t)limit - (uint64_t)start : (uint64_t)start - (uint64_t)limit;
  uint64_t step = up ? (uint64_t)delta : (uint64_t)0 - (uint64_t)delta;
  uint64_t c = dist / step + (dist % step != 0);
  if (c > INT32_MAX) return node_err(g, n, "output is too large");
  *count = (int64_t)c;
  return 0;
}

static int infer_range(Graph *g, Node *n) {
  static const char *const names[3] = {"start", "limit", "delta"};
  DType dt = node_in(g, n, 0)->dtype;
  for (int i = 0; i < 3; i++) {
    Tensor *t = node_in(g, n, i);
    if (!t->data)
      return node_err(g, n, "input '%s' is not a compile-time constant; vitc needs static shapes", names[i]);
    if (shape_numel(&t->shape) != 1 || t->shape.rank > 1) return node_err(g, n, "input '%s' must be a scalar", names[i]);
    if (t->dtype != dt) return node_err(g, n, "inputs must share one type (%s and %s)", dtype_name(dt), dtype_name(t->dtype));
  }
  if (!range_dtype(dt)) return node_err(g, n, "type %s is not supported", dtype_name(dt));
  Shape s = {1, {0}};
  if (range_count(g, n, &s.d[0])) return -1;
  set_output(g, n, 0, dt, &s);
  return 0;
}

/* The values into buf (dtype of the inputs): start + i * delta, exact for
 * integers (with int64 wrap-around); floats accumulate in their own type, as
 * ONNX Runtime does. */
static void range_values(Graph *g, Node *n, void *buf, int64_t count) {
  Tensor *ts = node_in(g, n, 0), *td = node_in(g, n, 2);
  DType dt = ts->dtype;
  if (dt == DT_FLOAT) {
    float v = (float)tensor_get_f64(ts, 0), d = (float)tensor_get_f64(td, 0);
    for (int64_t i = 0; i < count; i++, v += d) ((float *)buf)[i] = v;
  } else if (dt == DT_DOUBLE) {
    double v = tensor_get_f64(ts, 0), d = tensor_get_f64(td, 0);
    for (int64_t i = 0; i < count; i++, v += d) ((double *)buf)[i] = v;
  } else {
    uint64_t v = (uint64_t)tensor_get_i64(ts, 0), d = (uint64_t)tensor_get_i64(td, 0);
    for (int64_t i = 0; i < count; i++, v += d) buf_set_i64(buf, dt, i, (int64_t)v);
  }
}

static int eval_range(Graph *g, Node *n) {
  range_values(g, n, alloc_output_data(g, n, 0), shape_numel(&node_out(g, n, 0)->shape));
  return 0;
}

/* A Range left to run time (a graph output, or too large to fold): its inputs
 * are constants, so its values are too; emit them and copy. A fill kernel would
 * keep them out of the weights; no ViT needs one yet. */
static int emit_range(Emitter *e, Graph *g, Node *n) {
  Tensor *y = node_out(g, n, 0);
  int64_t count = shape_numel(&y->shape);
  if (count == 0) return 0;
  void *buf = xcalloc((size_t)count * dtype_size(y->dtype), 1);
  range_values(g, n, buf, count);
  emit_copy_of_const(e, n->out[0], y->dtype, count, buf);
  free(buf);
  return 0;
}

const OpImpl op_impl_Range = {.infer = infer_range, .eval = eval_range, .emit = emit_range};
