/* ops/reduce.c: the Reduce family (Sum, Mean, Max, Min, Prod, SumSquare, L1, L2,
 * LogSum, LogSumExp), one kernel (templates/reduce/f32-reduce-scalar.c) whose
 * first argument says which; ArgMax/ArgMin, Hardmax and CumSum along one axis
 * (templates/reduce/f32-argreduce-scalar.c, f32-cumsum-scalar.c).
 *
 * The reduced axes come from the `axes` attribute in older opsets (ReduceSum
 * before 13, ReduceMean/ReduceMax before 18) and from an optional second input
 * after that, which vitc needs to be a constant; the loader rewrites the older
 * form into the newer (onnx/upgrade.c). No axes means every axis, unless
 * noop_with_empty_axes is set, in which case the op is the identity. keepdims
 * (default 1) keeps the reduced axes as 1s; the memory layout is the same either
 * way, so the kernel only needs X's dims and a mask of the reduced axes.
 *
 * eval folds float32 (summed in double, then rounded) and int32/int64 (ReduceMean
 * of integers divides with truncation, as ONNX Runtime does), because the decomposed
 * LayerNorm of old exports and some shape arithmetic reduce constants. */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "emit/emit.h"
#include "ops/op.h"

typedef struct ReduceDims {
  bool mask[IR_MAX_RANK]; /* axis is reduced */
  Shape out;
  int64_t count; /* elements folded into each output */
} ReduceDims;

/* Does this node take its axes from an input (vs. the attribute)? The loader
 * turns the attribute of older versions into the input (onnx/upgrade.c); graphs
 * built by hand may still have either. */
static bool axes_from_input(const Graph *g, const Node *n) {
  (void)g;
  return !node_attr(n, "axes");
}

static int reduce_dims(Graph *g, Node *n, ReduceDims *rd) {
  Tensor *x = node_in(g, n, 0);
  if (!x) return node_err(g, n, "missing input data");
  int rank = x->shape.rank;
  int64_t axes[IR_MAX_RANK + 1];
  int na;
  if (axes_from_input(g, n)) {
    na = node_in(g, n, 1) ? const_ints(g, n, 1, "axes", axes, IR_MAX_RANK + 1) : 0;
    if (na < 0) return -1;
  } else {
    if (node_in(g, n, 1)) return node_err(g, n, "axes is given both as an attribute and as an input");
    const int64_t *av;
    na = attr_ints(n, "axes", &av);
    if (na > IR_MAX_RANK) return node_err(g, n, "%d axes for rank %d", na, rank);
    for (int i = 0; i < na; i++) axes[i] = av[i];
    if (na < 0) na = 0;
  }
  int64_t keepdims = attr_int(n, "keepdims", 1), noop = attr_int(n, "noop_with_empty_axes", 0);
  if ((keepdims != 0 && keepdims != 1) || (noop != 0 && noop != 1))
    return node_err(g, n, "keepdims and noop_with_empty_axes must be 0 or 1");
  memset(rd->mask, 0, sizeof rd->mask);
  for (int i = 0; i < na; i++) {
    int a;
    if (normalize_axis(g, n, axes[i], rank, &a)) return -1;
    if (rd->mask[a]) return node_err(g, n, "axis %" PRId64 " is listed twice", axes[i]);
    rd->mask[a] = true;
  }
  if (na == 0 && !noop)
    for (int a = 0; a < rank; a++) rd->mask[a] = true;
  rd->out.rank = 0;
  rd->count = 1;
  for (int a = 0; a < rank; a++) {
    if (rd->mask[a]) rd->count *= x->shape.d[a];
    if (!rd->mask[a]) rd->out.d[rd->out.rank++] = x->shape.d[a];
    else if (keepdims) rd->out.d[rd->out.rank++] = 1;
  }
  return 0;
}

static int infer_reduce(Graph *g, Node *n) {
  ReduceDims rd;
  if (reduce_dims(g, n, &rd)) return -1;
  DType dt = node_in(g, n, 0)->dtype;
  if (dt != DT_FLOAT && dt != DT_INT32 && dt != DT_INT64)
    return node_err(g, n, "input is %s; vitc supports float32 (and int32/int64 when constant)", dtype_name(dt));
  set_output(g, n, 0, dt, &rd.out);
  return 0;
}

/* Output element that input element i folds into. */
static int64_t reduced_index(const Shape *x, const ReduceDims *rd, int64_t i) {
  int64_t o = 0, scale = 1;
  for (int d = x->rank - 1; d >= 0; d--) {
    int64_t k = i % x->d[d];
    i /= x->d[d];
    if (!rd->mask[d]) o += k * scale, scale *= x->d[d];
  }
  return o;
}

/* The kernel's code for each op (VITC__REDUCE_* in templates/reduce/f32-reduce-scalar.c). */
static int reduce_code(OpKind op) {
  switch (op) {
  case OP_ReduceSum: return 0;
  case OP_ReduceMean: return 1;
  case OP_ReduceMax: return 2;
  case OP_ReduceMin: return 3;
  case OP_ReduceProd: return 4;
  case OP_ReduceSumSquare: return 5;
  case OP_ReduceL1: return 6;
  case OP_ReduceL2: return 7;
  case OP_ReduceLogSum: return 8;
  case OP_ReduceLogSumExp: return 9;
  default: vitc_die("reduce_code: not a Reduce op");
  }
  return -1;
}

static int eval_reduce(Graph *g, Node *n) {
  ReduceDims rd;
  if (reduce_dims(g, n, &rd)) return -1;
  Tensor *x = node_in(g, n, 0);
  int op = reduce_code(n->op);
  bool is_float = x->dtype == DT_FLOAT, is_max = op == 2, is_min = op == 3, is_prod = op == 4;
  int64_t ny = shape_numel(&rd.out), nx = shape_numel(&x->shape);
  double *facc = xmalloc((size_t)(ny ? ny : 1) * sizeof(double));
  int64_t *iacc = xmalloc((size_t)(ny ? ny : 1) * sizeof(int64_t));
  for (int64_t j = 0; j < ny; j++) {
    facc[j] = is_max ? -INFINITY : is_min ? INFINITY : is_prod ? 1.0 : 0.0;
    iacc[j] = is_max ? INT64_MIN : is_min ? INT64_MAX : is_prod ? 1 : 0;
  }
  for (int64_t i = 0; i < nx; i++) {
    int64_t j = reduced_index(&x->shape, &rd, i);
    if (is_float) {
      double v = tensor_get_f64(x, i);
      if (is_max) facc[j] = v > facc[j] || isnan(v) ? v : facc[j];
      else if (is_min) facc[j] = v < facc[j] || isnan(v) ? v : facc[j];
      else if (is_prod) facc[j] *= v;
      else facc[j] += op == 5 || op == 7 ? v * v : op == 6 ? fabs(v) : op == 9 ? exp(v) : v;
    } else {
      int64_t v = tensor_get_i64(x, i);
      if (is_max) iacc[j] = v > iacc[j] ? v : iacc[j];
      else if (is_min) iacc[j] = v < iacc[j] ? v : iacc[j];
      else if (is_prod) iacc[j] *= v;
      else iacc[j] += op == 5 || op == 7 ? v * v : op == 6 ? llabs(v) : v;
    }
  }
  void *y = alloc_output_data(g, n, 0);
  for (int64_t j = 0; j < ny; j++) {
    if (is_float) {
      double v = facc[j];
      if (op == 1) v = rd.count ? v / (double)rd.count : NAN;
      else if (op == 7) v = sqrt(v);
      else if (op == 8 || op == 9) v = log(v);
      buf_set_f64(y, x->dtype, j, v);
    } else {
      int64_t v = iacc[j];
      if (op == 1 && rd.count) v /= rd.count;
      else if (op == 7) v = (int64_t)sqrt((double)v);
      else if (op == 8 || op == 9) return node_err(g, n, "%s of integers is not supported", op_name(n->op));
      buf_set_i64(y, x->dtype, j, v);
    }
  }
  free(facc);
  free(iacc);
  return 0;
}

static int emit_reduce(Emitter *e, Graph *g, Node *n) {
  ReduceDims rd;
  if (reduce_dims(g, n, &rd)) return -1;
  Tensor *x = node_in(g, n, 0);
  if (x->dtype != DT_FLOAT) return node_err(g, n, "input is %s; vitc computes this op in float32 only", dtype_name(x->dtype));
  int64_t mask[IR_MAX_RANK];
  for (int d = 0; d < x->shape.rank; d++) mask[d] = rd.mask[d];
  emit_use_kernel(e, "reduce/f32-reduce");
  const char *dims = emit_ints(e, "reduce_dims", x->shape.d, x->shape.rank);
  const char *m = emit_ints(e, "reduce_mask", mask, x->shape.rank);
  /* LogSumExp keeps each output's maximum in scratch (the kernel's work) */
  const bool lse = n->op == OP_ReduceLogSumExp;
  emit_line(e, "%s(%d /* %s */, %d, %s, %s, %s, %s, %s%s);", emit_kfn(e, "vitc_f32_reduce"), reduce_code(n->op),
            op_name(n->op), x->shape.rank, dims, m, emit_ref(e, n->in[0]), emit_ref(e, n->out[0]),
            lse ? "(float *)" : "", lse ? emit_scratch(e) : "NULL");
  return 0;
}

/* ReduceLogSumExp's work: one float per output */
static size_t scratch_reduce(Graph *g, Node *n, const Target *t) {
  return n->op == OP_ReduceLogSumExp ? (size_t)shape_numel(&node_out(g, n, 0)->shape) * sizeof(float) : 0;
}

const OpImpl op_impl_ReduceMean = {.infer = infer_reduce, .eval = eval_reduce, .emit = emit_reduce, .scratch = scratch_reduce};
const OpImpl op_impl_ReduceSum = {.infer = infer_reduce, .eval = eval_reduce, .emit = emit_reduce, .scratch = scratch_reduce};
const OpImpl op_impl_ReduceMax = {.infer = infer_reduce, .eval = eval_reduce, .emit = emit_reduce, .scratch = scratch_reduce};
const OpImpl op_impl_ReduceMin = {.infer = infer_reduce, .eval = eval_reduce, .emit = emit_reduce, .scratch = scratch_reduce};
const OpImpl op_impl_ReduceProd = {.infer = infer_reduce, .eval = eval_reduce, .emit = emit_reduce, .scratch = scratch_reduce};
const OpImpl op_impl_ReduceSumSquare = {.infer = infer_reduce, .eval = eval_reduce, .emit = emit_reduce, .scratch = scratch_reduce};
const OpImpl op_impl_ReduceL1 = {.infer = infer_reduce, .eval = eval_reduce, .emit = emit_reduce, .scratch = scratch_reduce};
const OpImpl op_impl_ReduceL2 = {.infer = infer_reduce, .eval = eval_reduce, .emit = emit_reduce, .scratch = scratch_reduce};
const OpImpl op_impl_ReduceLogSum = {.infer = infer_reduce, .eval = eval_reduce, .emit = emit_reduce, .scratch = scratch_reduce};
const OpImpl op_impl_ReduceLogSumExp = {.infer = infer_reduce, .eval = eval_reduce, .emit = emit_reduce, .scratch = scratch_reduce};

/* ---- ArgMax, ArgMin: the int64 index of the extreme along `axis` ---- */

typedef struct ArgDims {
  int axis;
  int64_t outer, n, inner;
  Shape out;
} ArgDims;

static int arg_dims(Graph *g, Node *n, ArgDims *ad) {
  Tensor *x = node_in(g, n, 0);
  int r = x->shape.rank;
  if (r < 1) return node_err(g, n, "input must have rank >= 1");
  if (normalize_axis(g, n, attr_int(n, "axis", 0), r, &ad->axis)) return -1;
  int64_t keepdims = attr_int(n, "keepdims", 1), last = attr_int(n, "select_last_index", 0);
  if ((keepdims != 0 && keepdims != 1) || (last != 0 && last != 1))
    return node_err(g, n, "keepdims and select_last_index must be 0 or 1");
  ad->n = x->shape.d[ad->axis];
  if (ad->n < 1) return node_err(g, n, "the reduced axis is empty");
  ad->outer = ad->inner = 1;
  ad->out.rank = 0;
  for (int d = 0; d < r; d++) {
    if (d < ad->axis) ad->outer *= x->shape.d[d];
    if (d > ad->axis) ad->inner *= x->shape.d[d];
    if (d != ad->axis) ad->out.d[ad->out.rank++] = x->shape.d[d];
    else if (keepdims) ad->out.d[ad->out.rank++] = 1;
  }
  return 0;
}

static int infer_arg(Graph *g, Node *n) {
  ArgDims ad;
  Tensor *x = node_in(g, n, 0);
  if (x->dtype != DT_FLOAT && !(x->data && (x->dtype == DT_INT32 || x->dtype == DT_INT64)))
    return node_err(g, n, "input is %s; vitc supports float32 here (and int32/int64 when constant)", dtype_name(x->dtype));
  if (arg_dims(g, n, &ad)) return -1;
  set_output(g, n, 0, DT_INT64, &ad.out);
  return 0;
}

static int eval_arg(Graph *g, Node *n) {
  ArgDims ad;
  if (arg_dims(g, n, &ad)) return -1;
  Tensor *x = node_in(g, n, 0);
  bool is_min = n->op == OP_ArgMin, last = attr_int(n, "select_last_index", 0);
  int64_t *y = alloc_output_data(g, n, 0);
  for (int64_t o = 0; o < ad.outer; o++)
    for (int64_t j = 0; j < ad.inner; j++) {
      int64_t best = 0;
      for (int64_t k = 1; k < ad.n; k++) {
        double b = tensor_get_f64(x, (o * ad.n + best) * ad.inner + j), v = tensor_get_f64(x, (o * ad.n + k) * ad.inner + j);
        bool better = is_min ? (last ? v <= b : v < b) : (last ? v >= b : v > b);
        if (better || (isnan(b) && !isnan(v))) best = k;
      }
      y[o * ad.inner + j] = best;
    }
  return 0;
}

static int emit_arg(Emitter *e, Graph *g, Node *n) {
  ArgDims ad;
  if (arg_dims(g, n, &ad)) return -1;
  emit_use_kernel(e, "reduce/f32-argreduce");
  emit_line(e, "/* %s over axis %d */", op_name(n->op), ad.axis);
  emit_line(e, "%s(%" PRId64 ", %" PRId64 ", %" PRId64 ", %d, %d, %s, %s);", emit_kfn(e, "vitc_f32_argreduce"), ad.outer,
            ad.n, ad.inner, n->op == OP_ArgMin, (int)attr_int(n, "select_last_index", 0), emit_ref(e, n->in[0]),
            emit_ref(e, n->out[0]));
  return 0;
}

const OpImpl op_impl_ArgMax = {.infer = infer_arg, .eval = eval_arg, .emit = emit_arg};
const OpImpl op_impl_ArgMin = {.infer = infer_arg, .eval = eval_arg, .emit = emit_arg};

/* ---- Hardmax: 1 at the first maximum along `axis` (opset 13; older versions are
 * coerced to 2-D by onnx/upgrade.c), 0 elsewhere ---- */

static int hardmax_dims(Graph *g, Node *n, int64_t *outer, int64_t *len, int64_t *inner) {
  Tensor *x = node_in(g, n, 0);
  if (x->dtype != DT_FLOAT) return node_err(g, n, "input is %s; vitc supports float32 here", dtype_name(x->dtype));
  int axis;
  if (x->shape.rank < 1) return node_err(g, n, "input must have rank >= 1");
  if (normalize_axis(g, n, attr_int(n, "axis", -1), x->shape.rank, &axis)) return -1;
  *outer = *inner = 1;
  for (int d = 0; d < x->shape.rank; d++) {
    if (d < axis) *outer *= x->shape.d[d];
    if (d > axis) *inner *= x->shape.d[d];
  }
  *len = x->shape.d[axis];
  return 0;
}

static int infer_hardmax(Graph *g, Node *n) {
  int64_t o, l, i;
  if (hardmax_dims(g, n, &o, &l, &i)) return -1;
  set_output(g, n, 0, DT_FLOAT, &node_in(g, n, 0)->shape);
  return 0;
}

static int emit_hardmax(Emitter *e, Graph *g, Node *n) {
  int64_t outer, len, inner;
  if (hardmax_dims(g, n, &outer, &len, &inner)) return -1;
  if (outer * len * inner == 0) return 0;
  emit_use_kernel(e, "reduce/f32-argreduce");
  emit_line(e, "%s(%" PRId64 ", %" PRId64 ", %" PRId64 ", %s, %s);", emit_kfn(e, "vitc_f32_hardmax"), outer, len, inner,
            emit_ref(e, n->in[0]), emit_ref(e, n->out[0]));
  return 0;
}

const OpImpl op_impl_Hardmax = {.infer = infer_hardmax, .emit = emit_hardmax};

/* ---- CumSum: running sums along the axis input (a constant), exclusive, reverse ---- */

static int cumsum_dims(Graph *g, Node *n, int64_t *outer, int64_t *len, int64_t *inner) {
  Tensor *x = node_in(g, n, 0), *a = node_in(g, n, 1);
  if (!a->data) return node_err(g, n, "input 'axis' must be a compile-time constant");
  if (shape_numel(&a->shape) != 1) return node_err(g, n, "axis must hold one value");
  if (x->shape.rank < 1) return node_err(g, n, "input must have rank >= 1");
  int axis;
  if (normalize_axis(g, n, tensor_get_i64(a, 0), x->shape.rank, &axis)) return -1;
  *outer = *inner = 1;
  for (int d = 0; d < x->shape.rank; d++) {
    if (d < axis) *outer *= x->shape.d[d];
    if (d > axis) *inner *= x->shape.d[d];
  }
  *len = x->shape.d[axis];
  return 0;
}

static int infer_cumsum(Graph *g, Node *n) {
  Tensor *x = node_in(g, n, 0);
  int64_t o, l, i;
  if (x->dtype != DT_FLOAT && !(x->data && (dtype_is_float(x->dtype) || x->dtype == DT_INT32 || x->dtype == DT_INT64)))
    return node_err(g, n, "input is %s; vitc supports float32 here (other number types when constant)", dtype_name(x->dtype));
  if (cumsum_dims(g, n, &o, &l, &i)) return -1;
  set_output(g, n, 0, x->dtype, &x->shape);
  return 0;
}

static int eval_cumsum(Graph *g, Node *n) {
  Tensor *x = node_in(g, n, 0);
  int64_t outer, len, inner;
  if (cumsum_dims(g, n, &outer, &len, &inner)) return -1;
  bool excl = attr_int(n, "exclusive", 0) != 0, rev = attr_int(n, "reverse", 0) != 0, fl = dtype_is_float(x->dtype);
  void *y = alloc_output_data(g, n, 0);
  for (int64_t o = 0; o < outer; o++)
    for (int64_t j = 0; j < inner; j++) {
      double fs = 0;
      int64_t is = 0;
      for (int64_t k = 0; k < len; k++) {
        int64_t r = rev ? len - 1 - k : k, at = (o * len + r) * inner + j;
        double fv = fl ? tensor_get_f64(x, at) : 0;
        int64_t iv = fl ? 0 : tensor_get_i64(x, at);
        if (!excl) fs += fv, is += iv;
        if (fl) buf_set_f64(y, x->dtype, at, fs);
        else buf_set_i64(y, x->dtype, at, is);
        if (excl) fs += fv, is += iv;
      }
    }
  return 0;
}

static int emit_cumsum(Emitter *e, Graph *g, Node *n) {
  int64_t outer, len, inner;
  if (cumsum_dims(g, n, &outer, &len, &inner)) return -1;
  if (outer * len * inner == 0) return 0;
  emit_use_kernel(e, "reduce/f32-cumsum");
  emit_line(e, "%s(%" PRId64 ", %" PRId64 ", %" PRId64 ", %d, %d, %s, %s);", emit_kfn(e, "vitc_f32_cumsum"), outer, len,
            inner, attr_int(n, "exclusive", 0) != 0, attr_int(n, "reverse", 0) != 0, emit_ref(e, n->in[0]),
            emit_ref(e, n->out[0]));
  return 0;
}

const OpImpl op_impl_CumSum = {.infer = infer_cumsum, .eval = eval_cumsum, .emit = emit_cumsum};
