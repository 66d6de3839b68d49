/* passes/fuse_qdq_gemm.c: a quantized Linear of a QDQ model becomes one int8 GEMM.
 *
 * ONNX Runtime's quantizer (QuantFormat.QDQ) and torch's QAT export write a
 * quantized Linear as float ops between QuantizeLinear/DequantizeLinear pairs:
 *
 *     xq = QuantizeLinear(x, sa, za)          per tensor, uint8 or int8
 *     a  = DequantizeLinear(xq, sa, za)
 *     w  = DequantizeLinear(wq, sw, 0, axis)  wq an int8 constant, per output
 *                                             column (or per tensor), zero point 0
 *     y  = MatMul(a, w)  or  Gemm(a, w, C)    (transA 0, alpha = beta = 1; transB
 *                                             transposes wq into a new constant)
 *     then the epilogue of fuse_gemm_epilogue: bias Add, activation, gate, residual
 *
 * which becomes vitc.QGemm(x or xq, wq [K, N], bias, residual, gate; a_scale,
 * a_zero, a_signed, w_scale, activation, gate) (ir/ops.def; ops/qgemm.c): the sum
 * of q(x) * wq in int32 (exact), dequantized per column as sa * sw[j] * (acc -
 * za * colsum[j]) and then the fp32 epilogue. By the spec the graph computes
 * sum_k ((xq - za) sa) (wq sw[j]) in float: the same products, rounded
 * differently (a few ulp per output, against the percent the quantization itself
 * costs; docs/int8.md).
 *
 * When xq is QuantizeLinear's output with the same scale and zero point as the
 * DequantizeLinear's, the GEMM reads x itself and quantizes it as it packs its
 * activation panels (the quantize is fused); the QuantizeLinear stays only if
 * something else reads xq. Otherwise (xq a graph input, another QLinear op's
 * output) the GEMM reads xq.
 *
 * Not fused, and computed by the spec (ops/quant.c) instead: weights with nonzero
 * zero points, uint8 weights, a per-axis scale along K, activations quantized per
 * axis, products of two activations (attention's MatMuls, which QDQ models keep in
 * float or quantize per tensor on both sides), QLinearMatMul/MatMulInteger.
 *
 * Finally every DequantizeLinear of a constant still read (a quantized conv
 * weight, a Linear of another form) is folded into a float32 constant here, so
 * the passes after this one see constant weights; ops/quant.c never folds it
 * earlier, so that this pass sees the int8 weights. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ops/op.h"
#include "ops/quant.h"
#include "passes/match.h"
#include "passes/passes.h"
#include "quant/x-quant-scalar.c"

/* Per-tensor quantization parameters of Q/DQ node ni (constant scale and zero point). */
static bool per_tensor_params(Graph *g, int ni, float *scale, int *zp) {
  Node *n = &g->n[ni];
  Tensor *s = node_in(g, n, 1), *z = node_in(g, n, 2);
  if (!s || !s->data || s->dtype != DT_FLOAT || shape_numel(&s->shape) != 1) return false;
  if (z && (!z->data || shape_numel(&z->shape) != 1)) return false;
  *scale = ((const float *)s->data)[0];
  *zp = z ? (int)tensor_get_i64(z, 0) : 0;
  return isfinite(*scale) && *scale > 0.0f;
}

/* The int8 weight behind w = DequantizeLinear(wq, sw, 0, axis) with columns along
 * `col_axis` of wq ([K, N]: 1; [N, K]: 0): its per-column scales (N values, malloc'ed). */
static int dequantized_weight(Graph *g, int w, int col_axis, float **scales) {
  int di = pm_producer(g, w, OP_DequantizeLinear);
  if (di < 0) return -1;
  Node *d = &g->n[di];
  Tensor *wq = node_in(g, d, 0), *s = node_in(g, d, 1), *z = node_in(g, d, 2);
  if (!wq->data || wq->dtype != DT_INT8 || wq->shape.rank != 2 || !s->data || s->dtype != DT_FLOAT) return -1;
  int64_t N = wq->shape.d[col_axis], ns = shape_numel(&s->shape);
  if (z && !z->data) return -1;
  for (int64_t i = 0; z && i < shape_numel(&z->shape); i++)
    if (tensor_get_i64(z, i) != 0) return -1;
  if (ns != 1) {
    int64_t axis = attr_int(d, "axis", 1);
    if (axis < 0) axis += 2;
    if (axis != col_axis || ns != N) return -1;
  }
  *scales = xmalloc(sizeof(float) * (size_t)N);
  for (int64_t j = 0; j < N; j++) {
    (*scales)[j] = ((const float *)s->data)[ns == 1 ? 0 : j];
    if (!isfinite((*scales)[j])) return free(*scales), -1;
  }
  return d->in[0];
}

/* wq [N, K] transposed into a new int8 constant [K, N]. */
static int transposed_int8(Graph *g, int t) {
  const Tensor *src = &g->t[t];
  int64_t N = src->shape.d[0], K = src->shape.d[1];
  int8_t *v = xmalloc((size_t)(N * K > 0 ? N * K : 1));
  for (int64_t k = 0; k < K; k++)
    for (int64_t j = 0; j < N; j++) v[k * N + j] = ((const int8_t *)src->data)[j * K + k];
  Shape s = {2, {K, N}};
  char *name = xmalloc(strlen(src->name) + 8);
  sprintf(name, "%s_KxN", src->name);
  int nt = graph_add_const(g, name, DT_INT8, &s, v);
  free(name);
  return nt;
}

static int try_product(Graph *g, int mi) {
  Node *mm = &g->n[mi];
  if (mm->n_out != 1 || mm->n_in < 2) return 0;
  int a = mm->in[0], y = mm->out[0];
  if (!pm_is_f32(g, y) || g->t[a].shape.rank < 1) return 0;
  int dqa = pm_producer(g, a, OP_DequantizeLinear);
  if (dqa < 0) return 0;
  float sa;
  int za;
  if (!per_tensor_params(g, dqa, &sa, &za)) return 0;
  int xq = g->n[dqa].in[0];
  if (g->t[xq].data || !dtype_is_q8(g->t[xq].dtype)) return 0;
  bool gemm = mm->op == OP_Gemm;
  int col_axis = 1, bias = -1;
  if (gemm) {
    if (attr_int(mm, "transA", 0) != 0 || attr_float(mm, "alpha", 1.0f) != 1.0f) return 0;
    Tensor *c = node_in(g, mm, 2);
    if (c && (attr_float(mm, "beta", 1.0f) != 1.0f || !c->data || c->dtype != DT_FLOAT)) return 0;
    if (g->t[a].shape.rank != 2) return 0;
    col_axis = attr_int(mm, "transB", 0) ? 0 : 1;
    if (c && (bias = pm_bias_vector(g, mm->in[2], g->t[y].shape.d[1])) < 0) return 0;
    mm = &g->n[mi];
  }
  float *sw = NULL;
  int wq = dequantized_weight(g, mm->in[1], col_axis, &sw);
  if (wq < 0) return 0;
  int64_t K = g->t[wq].shape.d[1 - col_axis], N = g->t[wq].shape.d[col_axis];
  if (g->t[a].shape.d[g->t[a].shape.rank - 1] != K) return free(sw), 0;
  if (col_axis == 0) wq = transposed_int8(g, wq);

  /* the quantize fused: x read in float when xq = Q(x) with the same parameters */
  int src = xq, qi = pm_producer(g, xq, OP_QuantizeLinear);
  float sq;
  int zq;
  if (qi >= 0 && per_tensor_params(g, qi, &sq, &zq) && sq == sa && zq == za && pm_is_f32(g, g->n[qi].in[0]))
    src = g->n[qi].in[0];
  bool a_signed = g->t[xq].dtype == DT_INT8;

  Chain c;
  pm_epilogue_chain(g, mi, y, N, bias < 0, &c);
  if (bias < 0) bias = c.bias;
  char *name = pm_name(g->n[mi].name, "QGemm");
  int ni = pm_rewrite_chain(g, &c, OP_VitcQGemm, name, src, wq, bias);
  free(name);
  node_add_attr(g, ni, "a_scale", ATTR_FLOAT)->f = sa;
  node_add_attr(g, ni, "a_zero", ATTR_INT)->i = za;
  node_add_attr(g, ni, "a_signed", ATTR_INT)->i = a_signed;
  Attr *at = node_add_attr(g, ni, "w_scale", ATTR_FLOATS);
  at->n = (int)N;
  at->floats = sw;
  return 1;
}

/* DequantizeLinear of a constant, still read after the products took theirs: a float32 constant. */
static int fold_dequantize(Graph *g, int di) {
  Node *d = &g->n[di];
  Tensor *x = node_in(g, d, 0), *y = node_out(g, d, 0);
  if (!x->data || y->is_output || tensor_uses(g, d->out[0]) == 0) return 0;
  Tensor *s = node_in(g, d, 1), *z = node_in(g, d, 2);
  if (!s->data || (z && !z->data)) return 0;
  int64_t ns = shape_numel(&s->shape), outer = 1, na = 1, inner = shape_numel(&x->shape);
  if (ns != 1) {
    int64_t axis = attr_int(d, "axis", 1);
    if (axis < 0) axis += x->shape.rank;
    outer = 1, inner = 1, na = x->shape.d[axis];
    for (int k = 0; k < axis; k++) outer *= x->shape.d[k];
    for (int k = (int)axis + 1; k < x->shape.rank; k++) inner *= x->shape.d[k];
  }
  int *zp = xcalloc((size_t)ns, sizeof(int));
  for (int64_t i = 0; z && i < ns; i++) zp[i] = (int)tensor_get_i64(z, i);
  float *v = xmalloc(sizeof(float) * (size_t)(shape_numel(&x->shape) ? shape_numel(&x->shape) : 1));
  vitc_x_dequantize_scalar((int)outer, (int)na, (int)inner, (int)x->dtype, x->data, s->data, zp, v);
  free(zp);
  int c = graph_add_const(g, NULL, DT_FLOAT, &x->shape, v);
  d = &g->n[di];
  graph_replace_uses(g, d->out[0], c);
  d->dead = true;
  return 1;
}

int pass_fuse_qdq_gemm(Graph *g) {
  int changed = 0;
  for (int i = 0; i < g->nn; i++) {
    if (g->n[i].dead) continue;
    if (g->n[i].op == OP_MatMul || g->n[i].op == OP_Gemm) changed |= try_product(g, i);
  }
  for (int i = 0; i < g->nn; i++)
    if (!g->n[i].dead && g->n[i].op == OP_DequantizeLinear) changed |= fold_dequantize(g, i);
  return changed;
}
