/* ops/reduce.c: ReduceMean, ReduceSum, ReduceMax.
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

static int eval_reduce(Graph *g, Node *n) {
  ReduceDims rd;
  if (reduce_dims(g, n, &rd)) return -1;
  Tensor *x = node_in(g, n, 0);
  bool is_float = x->dtype == DT_FLOAT, is_max = n->op == OP_ReduceMax;
  int64_t ny = shape_numel(&rd.out), nx = shape_numel(&x->shape);
  double *facc = xmalloc((size_t)(ny ? ny : 1) * sizeof(double));
  int64_t *iacc = xmalloc((size_t)(ny ? ny : 1) * sizeof(int64_t));
  for (int64_t j = 0; j < ny; j++) {
    facc[j] = is_max ? -INFINITY : 0.0;
    iacc[j] = is_max ? INT64_MIN : 0;
  }
  for (int64_t i = 0; i < nx; i++) {
    int64_t j = reduced_index(&x->shape, &rd, i);
    if (is_float) {
      double v = tensor_get_f64(x, i);
      facc[j] = is_max ? (v > facc[j] || isnan(v) ? v : facc[j]) : facc[j] + v;
    } else {
      int64_t v = tensor_get_i64(x, i);
      iacc[j] = is_max ? (v > iacc[j] ? v : iacc[j]) : iacc[j] + v;
    }
  }
  void *y = alloc_output_data(g, n, 0);
  bool mean = n->op == OP_ReduceMean;
  for (int64_t j = 0; j < ny; j++) {
    if (is_float) buf_set_f64(y, x->dtype, j, mean ? (rd.count ? facc[j] / (double)rd.count : NAN) : facc[j]);
    else buf_set_i64(y, x->dtype, j, mean && rd.count ? iacc[j] / rd.count : iacc[j]);
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
  const char *kfn = n->op == OP_ReduceSum ? "vitc_f32_reduce_sum" : n->op == OP_ReduceMean ? "vitc_f32_reduce_mean"
                                                                                           : "vitc_f32_reduce_max";
  emit_use_kernel(e, "reduce/f32-reduce");
  const char *dims = emit_ints(e, "reduce_dims", x->shape.d, x->shape.rank);
  const char *m = emit_ints(e, "reduce_mask", mask, x->shape.rank);
  emit_line(e, "%s(%d, %s, %s, %s, %s);", emit_kfn(e, kfn), x->shape.rank, dims, m, emit_ref(e, n->in[0]),
            emit_ref(e, n->out[0]));
  return 0;
}

const OpImpl op_impl_ReduceMean = {.infer = infer_reduce, .eval = eval_reduce, .emit = emit_reduce};
const OpImpl op_impl_ReduceSum = {.infer = infer_reduce, .eval = eval_reduce, .emit = emit_reduce};
const OpImpl op_impl_ReduceMax = {.infer = infer_reduce, .eval = eval_reduce, .emit = emit_reduce};
