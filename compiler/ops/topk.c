/* ops/topk.c: TopK.
 *
 * FilterViT picks the K best-scoring tokens with TopK, so K fixes the shapes of
 * everything after it: vitc needs the K input to be a compile-time constant.
 * X is viewed as (outer, axis_len, inner) with the axis in the middle; Values
 * (X's type) and Indices (int64) are (outer, K, inner).
 *
 * Order: by value (descending for largest=1) and, among equal values, lower index
 * first, which decides both which elements are picked and their order. With
 * sorted=0 ONNX leaves the order open; vitc (kernel and eval alike) returns the
 * picked elements in index order. NaN ranks after every number, except that
 * K = 1 takes ONNX Runtime's scan (templates/select/f32-topk-scalar.c says why).
 *
 * The kernel selects in time linear in the axis (a radix select on the
 * values' bits) and sorts only the K picked; its scratch is K sort keys, a
 * histogram and the lane's keys (none for K <= 1). eval folds float32, int32 and int64 inputs with
 * the same ranking. */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>

#include "emit/emit.h"
#include "ops/op.h"

typedef struct TopKDims {
  int axis;
  int64_t K, outer, len, inner;
  int largest, sorted;
  Shape out;
} TopKDims;

static int topk_dims(Graph *g, Node *n, TopKDims *td) {
  Tensor *x = node_in(g, n, 0), *k = node_in(g, n, 1);
  if (!x) return node_err(g, n, "missing input X");
  if (!k) return node_err(g, n, "missing input K");
  if (x->shape.rank < 1) return node_err(g, n, "X must have rank >= 1");
  if (shape_numel(&k->shape) != 1 || k->shape.rank > 1)
    return node_err(g, n, "K must hold exactly one value (a 1-D tensor of one element)");
  if (const_ints(g, n, 1, "K", &td->K, 1) < 0) return -1;
  if (normalize_axis(g, n, attr_int(n, "axis", -1), x->shape.rank, &td->axis)) return -1;
  td->largest = (int)attr_int(n, "largest", 1);
  td->sorted = (int)attr_int(n, "sorted", 1);
  if ((td->largest != 0 && td->largest != 1) || (td->sorted != 0 && td->sorted != 1))
    return node_err(g, n, "largest and sorted must be 0 or 1");
  td->outer = td->inner = 1;
  td->len = x->shape.d[td->axis];
  for (int i = 0; i < x->shape.rank; i++) {
    if (i < td->axis) td->outer *= x->shape.d[i];
    if (i > td->axis) td->inner *= x->shape.d[i];
  }
  if (td->K < 0 || td->K > td->len)
    return node_err(g, n, "K = %" PRId64 " is outside [0, %" PRId64 "] (the size of axis %d)", td->K, td->len, td->axis);
  td->out = x->shape;
  td->out.d[td->axis] = td->K;
  return check_numel(g, n, &td->out);
}

static int infer_topk(Graph *g, Node *n) {
  TopKDims td;
  if (topk_dims(g, n, &td)) return -1;
  DType dt = node_in(g, n, 0)->dtype;
  if (dt != DT_FLOAT && dt != DT_INT32 && dt != DT_INT64)
    return node_err(g, n, "X is %s; vitc supports float32 (and int32/int64 when constant)", dtype_name(dt));
  set_output(g, n, 0, dt, &td.out);
  set_output(g, n, 1, DT_INT64, &td.out);
  return 0;
}

/* Does position a rank strictly before position b in lane x (stride apart)?
 * NaN after every number, as the kernel ranks it. */
static bool ranks_before(const Tensor *x, int64_t base, int64_t stride, int largest, int64_t a, int64_t b) {
  double va = tensor_get_f64(x, base + a * stride), vb = tensor_get_f64(x, base + b * stride);
  if (x->dtype != DT_FLOAT) { /* compare integers exactly */
    int64_t ia = tensor_get_i64(x, base + a * stride), ib = tensor_get_i64(x, base + b * stride);
    if (ia == ib) return a < b;
    return largest ? ia > ib : ia < ib;
  }
  if (isnan(va) || isnan(vb)) return isnan(va) && isnan(vb) ? a < b : isnan(vb);
  if (va == vb) return a < b;
  return largest ? va > vb : va < vb;
}

/* K = 1: the first strictly better element from position 0 (ONNX Runtime's scan). */
static int64_t first_best(const Tensor *x, int64_t base, int64_t stride, int64_t len, int largest) {
  int64_t best = 0;
  for (int64_t i = 1; i < len; i++) {
    double v = tensor_get_f64(x, base + i * stride), bv = tensor_get_f64(x, base + best * stride);
    if (x->dtype != DT_FLOAT) {
      int64_t iv = tensor_get_i64(x, base + i * stride), ib = tensor_get_i64(x, base + best * stride);
      if (largest ? iv > ib : iv < ib) best = i;
    } else if (largest ? v > bv : v < bv) {
      best = i;
    }
  }
  return best;
}

static int eval_topk(Graph *g, Node *n) {
  TopKDims td;
  if (topk_dims(g, n, &td)) return -1;
  Tensor *x = node_in(g, n, 0);
  void *vals = alloc_output_data(g, n, 0);
  int64_t *idx = alloc_output_data(g, n, 1);
  int64_t *order = xmalloc((size_t)(td.len ? td.len : 1) * sizeof(int64_t));
  for (int64_t o = 0; o < td.outer; o++)
    for (int64_t j = 0; j < td.inner; j++) {
      int64_t base = o * td.len * td.inner + j;
      /* insertion sort of the positions by rank (folded lanes are small) */
      for (int64_t i = 0; i < td.len; i++) {
        int64_t p = i;
        while (p > 0 && ranks_before(x, base, td.inner, td.largest, i, order[p - 1])) {
          order[p] = order[p - 1];
          p--;
        }
        order[p] = i;
      }
      if (td.K == 1 && td.len > 0) order[0] = first_best(x, base, td.inner, td.len, td.largest);
      if (!td.sorted) { /* the K best, in index order */
        for (int64_t a = 1; a < td.K; a++)
          for (int64_t b = a; b > 0 && order[b] < order[b - 1]; b--) {
            int64_t t = order[b];
            order[b] = order[b - 1];
            order[b - 1] = t;
          }
      }
      for (int64_t r = 0; r < td.K; r++) {
        int64_t dst = (o * td.K + r) * td.inner + j, src = base + order[r] * td.inner;
        if (x->dtype == DT_FLOAT) buf_set_f64(vals, x->dtype, dst, tensor_get_f64(x, src));
        else buf_set_i64(vals, x->dtype, dst, tensor_get_i64(x, src));
        idx[dst] = order[r];
      }
    }
  free(order);
  return 0;
}

/* VITC_F32_TOPK_SCRATCH_BYTES in templates/select/f32-topk-scalar.c: K uint64
 * sort keys, a 256-int histogram and the lane's uint32 keys. */
static size_t scratch_topk(Graph *g, Node *n, const Target *t) {
  TopKDims td;
  if (topk_dims(g, n, &td) || td.K <= 1) return 0;
  return (size_t)td.K * 8 + 256 * 4 + (size_t)td.len * 4;
}

static int emit_topk(Emitter *e, Graph *g, Node *n) {
  TopKDims td;
  if (topk_dims(g, n, &td)) return -1;
  Tensor *x = node_in(g, n, 0);
  if (x->dtype != DT_FLOAT) return node_err(g, n, "X is %s; vitc computes TopK in float32 only", dtype_name(x->dtype));
  if (node_out(g, n, 0) == NULL || node_out(g, n, 1) == NULL)
    return node_err(g, n, "both outputs Values and Indices must be named");
  emit_use_kernel(e, "select/f32-topk");
  emit_line(e, "%s(%" PRId64 ", %" PRId64 ", %" PRId64 ", %" PRId64 ", %d, %d, %s, %s, %s, %s);",
            emit_kfn(e, "vitc_f32_topk"), td.outer, td.len, td.inner, td.K, td.largest, td.sorted,
            emit_ref(e, n->in[0]), emit_ref(e, n->out[0]), emit_ref(e, n->out[1]),
            td.K > 1 ? emit_scratch(e) : "NULL");
  return 0;
}

const OpImpl op_impl_TopK = {.infer = infer_topk, .eval = eval_topk, .emit = emit_topk, .scratch = scratch_topk};
