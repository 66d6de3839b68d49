/* ops/quant.c: the quantization ops of ONNX: QuantizeLinear, DequantizeLinear,
 * DynamicQuantizeLinear, MatMulInteger, ConvInteger, QLinearMatMul, QLinearConv.
 *
 * Each computes exactly what the ONNX spec defines, with the reference kernels
 * of templates/quant/x-quant-scalar.c (whose essay states the arithmetic:
 * round half to even, saturation, exact integer sums, requantization by a float
 * multiplier as ONNX Runtime computes it). They are the reference every target
 * runs when no pass turns a quantized product into the int8 GEMM
 * (passes/fuse_qdq_gemm.c, vitc.QGemm in ops/qgemm.c).
 *
 * Scales and zero points must be compile-time constants (initializers, as every
 * quantizer writes them): they become literals and weights of the call, and the
 * QLinear ops' multipliers are computed here. Quantized types are uint8 and
 * int8 (int32 for DequantizeLinear's input, with a zero point of 0); float8,
 * int4 and int16 (opsets 19 to 21) and blocked quantization (block_size, 21)
 * are refused by name.
 *
 * DequantizeLinear is never folded, even of a constant: a quantized weight
 * stays int8 for the int8 GEMM to take (fuse_qdq_gemm), and that pass folds
 * what no product takes. QuantizeLinear folds with its kernel. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emit/emit.h"
#include "ops/matmul.h"
#include "ops/op.h"
#include "ops/quant.h"
#include "ops/window.h"
#include "quant/x-quant-scalar.c"

bool dtype_is_q8(DType dt) { return dt == DT_UINT8 || dt == DT_INT8; }

/* ---- scales and zero points ---- */

void qparams_free(QParams *q) {
  free(q->scale);
  free(q->zp);
  memset(q, 0, sizeof *q);
}

int qparams_read(Graph *g, Node *n, int si, int zi, int64_t axis_len, DType qtype, const char *what, QParams *q) {
  memset(q, 0, sizeof *q);
  Tensor *s = node_in(g, n, si), *z = node_in(g, n, zi);
  if (!s) return node_err(g, n, "missing %s scale", what);
  if (s->dtype != DT_FLOAT)
    return node_err(g, n, "%s scale is %s; vitc supports float32 scales", what, dtype_name(s->dtype));
  if (!s->data) return node_err(g, n, "%s scale ('%s') must be a compile-time constant", what, s->name);
  int64_t ns = shape_numel(&s->shape);
  if (s->shape.rank > 1 || (ns != 1 && ns != axis_len))
    return node_err(g, n, "%s scale has %" PRId64 " values; expected 1 or %" PRId64, what, ns, axis_len);
  if (z) {
    if (!z->data) return node_err(g, n, "%s zero point ('%s') must be a compile-time constant", what, z->name);
    if (z->dtype != qtype)
      return node_err(g, n, "%s zero point is %s but the quantized tensor is %s", what, dtype_name(z->dtype),
                      dtype_name(qtype));
    if (shape_numel(&z->shape) != ns) return node_err(g, n, "%s zero point and scale differ in size", what);
  }
  q->n = (int)ns;
  q->scale = xmalloc(sizeof(float) * (size_t)ns);
  q->zp = xmalloc(sizeof(int64_t) * (size_t)ns);
  for (int64_t i = 0; i < ns; i++) {
    q->scale[i] = ((const float *)s->data)[i];
    q->zp[i] = z ? tensor_get_i64(z, i) : 0;
  }
  return 0;
}

/* (outer, na, inner) of x around `axis` for a scale of `ns` values (1: per tensor). */
static int q_extents(Graph *g, Node *n, const Shape *x, int64_t ns, int64_t *outer, int64_t *na, int64_t *inner) {
  *outer = 1, *na = 1, *inner = shape_numel(x);
  if (ns == 1) return 0;
  int ax;
  if (normalize_axis(g, n, attr_int(n, "axis", 1), x->rank, &ax)) return -1;
  *outer = 1;
  for (int d = 0; d < ax; d++) *outer *= x->d[d];
  *na = x->d[ax];
  *inner = 1;
  for (int d = ax + 1; d < x->rank; d++) *inner *= x->d[d];
  return 0;
}

/* The length of the quantization axis of x (for checking a per-axis scale), 1 when x has none. */
static int64_t q_axis_len(Graph *g, Node *n, const Shape *x) {
  int64_t a = attr_int(n, "axis", 1);
  if (a < 0) a += x->rank;
  return a >= 0 && a < x->rank ? x->d[a] : 1;
}

static int q_refuse_blocked(Graph *g, Node *n) {
  if (attr_int(n, "block_size", 0) != 0) return node_err(g, n, "blocked quantization (block_size) is not supported");
  return 0;
}

/* ---- QuantizeLinear ---- */

static DType quantize_out_type(Graph *g, Node *n) {
  Tensor *z = node_in(g, n, 2);
  int64_t od = attr_int(n, "output_dtype", 0);
  return z ? z->dtype : od ? (DType)od : DT_UINT8;
}

/* DynamicQuantizeLinear written out (its expanded form) computes the scale and zero
 * point: then they are read at run time, per tensor. */
static bool quantize_params_at_run_time(Graph *g, Node *n) {
  return !node_in_const(g, n, 1) || (node_in(g, n, 2) && !node_in_const(g, n, 2));
}

static int infer_quantize(Graph *g, Node *n) {
  Tensor *x = node_in(g, n, 0);
  if (q_refuse_blocked(g, n)) return -1;
  if (x->dtype != DT_FLOAT) return node_err(g, n, "x is %s; vitc quantizes float32", dtype_name(x->dtype));
  DType yt = quantize_out_type(g, n);
  if (!dtype_is_q8(yt))
    return node_err(g, n, "quantizing to %s is not supported (uint8 and int8 are)",
                    dtype_size(yt) ? dtype_name(yt) : "this type");
  int64_t od = attr_int(n, "output_dtype", 0);
  if (od && od != (int64_t)yt) return node_err(g, n, "output_dtype %" PRId64 " differs from the zero point's type", od);
  if (quantize_params_at_run_time(g, n)) {
    Tensor *s = node_in(g, n, 1), *z = node_in(g, n, 2);
    if (shape_numel(&s->shape) != 1 || (z && shape_numel(&z->shape) != 1))
      return node_err(g, n, "a per-axis y scale ('%s') and zero point must be compile-time constants", s->name);
    if (s->dtype != DT_FLOAT || (z && z->dtype != yt))
      return node_err(g, n, "y scale must be float32 and the zero point %s", dtype_name(yt));
    set_output(g, n, 0, yt, &x->shape);
    return 0;
  }
  QParams q;
  if (qparams_read(g, n, 1, 2, q_axis_len(g, n, &x->shape), yt, "y", &q)) return -1;
  int64_t o, a, i;
  int rc = q_extents(g, n, &x->shape, q.n, &o, &a, &i);
  qparams_free(&q);
  if (rc) return -1;
  set_output(g, n, 0, yt, &x->shape);
  return 0;
}

static int eval_quantize(Graph *g, Node *n) {
  Tensor *x = node_in(g, n, 0), *y = node_out(g, n, 0);
  QParams q;
  if (qparams_read(g, n, 1, 2, q_axis_len(g, n, &x->shape), y->dtype, "y", &q)) return -1;
  int64_t o, a, i;
  if (q_extents(g, n, &x->shape, q.n, &o, &a, &i)) return qparams_free(&q), -1;
  int *zp = xmalloc(sizeof(int) * (size_t)q.n);
  for (int k = 0; k < q.n; k++) zp[k] = (int)q.zp[k];
  vitc_f32_quantize_scalar((int)o, (int)a, (int)i, x->data, q.scale, zp, (int)y->dtype, alloc_output_data(g, n, 0));
  free(zp);
  qparams_free(&q);
  return 0;
}

static int emit_quantize(Emitter *e, Graph *g, Node *n) {
  Tensor *x = node_in(g, n, 0), *y = node_out(g, n, 0);
  if (quantize_params_at_run_time(g, n)) {
    emit_use_kernel(e, "quant/x-quant");
    emit_line(e, "%s(%" PRId64 ", %s, %s, %s, %d, %s); /* float32 -> %s */", emit_kfn(e, "vitc_f32_quantize_rt"),
              shape_numel(&x->shape), emit_ref(e, n->in[0]), emit_ref(e, n->in[1]),
              node_in(g, n, 2) ? emit_ref(e, n->in[2]) : "NULL", (int)y->dtype, emit_ref(e, n->out[0]),
              dtype_name(y->dtype));
    return 0;
  }
  QParams q;
  if (qparams_read(g, n, 1, 2, q_axis_len(g, n, &x->shape), y->dtype, "y", &q)) return -1;
  int64_t o, a, i;
  if (q_extents(g, n, &x->shape, q.n, &o, &a, &i)) return qparams_free(&q), -1;
  emit_use_kernel(e, "quant/x-quant");
  emit_line(e, "%s(%" PRId64 ", %" PRId64 ", %" PRId64 ", %s, %s, %s, %d, %s); /* float32 -> %s */",
            emit_kfn(e, "vitc_f32_quantize"), o, a, i, emit_ref(e, n->in[0]), emit_ref(e, n->in[1]),
            emit_ints(e, "zp", q.zp, q.n), (int)y->dtype, emit_ref(e, n->out[0]), dtype_name(y->dtype));
  qparams_free(&q);
  return 0;
}

const OpImpl op_impl_QuantizeLinear = {.infer = infer_quantize, .eval = eval_quantize, .emit = emit_quantize};

/* ---- DequantizeLinear ---- */

static int infer_dequantize(Graph *g, Node *n) {
  Tensor *x = node_in(g, n, 0);
  if (q_refuse_blocked(g, n)) return -1;
  if (!dtype_is_q8(x->dtype) && x->dtype != DT_INT32)
    return node_err(g, n, "dequantizing %s is not supported (uint8, int8 and int32 are)", dtype_name(x->dtype));
  QParams q;
  if (qparams_read(g, n, 1, 2, q_axis_len(g, n, &x->shape), x->dtype, "x", &q)) return -1;
  int64_t o, a, i;
  int rc = q_extents(g, n, &x->shape, q.n, &o, &a, &i);
  for (int k = 0; k < q.n && !rc; k++)
    if (x->dtype == DT_INT32 && q.zp[k] != 0) rc = node_err(g, n, "an int32 x must have zero point 0");
  qparams_free(&q);
  if (rc) return -1;
  set_output(g, n, 0, DT_FLOAT, &x->shape);
  return 0;
}

static int emit_dequantize(Emitter *e, Graph *g, Node *n) {
  Tensor *x = node_in(g, n, 0);
  QParams q;
  if (qparams_read(g, n, 1, 2, q_axis_len(g, n, &x->shape), x->dtype, "x", &q)) return -1;
  int64_t o, a, i;
  if (q_extents(g, n, &x->shape, q.n, &o, &a, &i)) return qparams_free(&q), -1;
  emit_use_kernel(e, "quant/x-quant");
  emit_line(e, "%s(%" PRId64 ", %" PRId64 ", %" PRId64 ", %d, %s, %s, %s, %s); /* %s -> float32 */",
            emit_kfn(e, "vitc_x_dequantize"), o, a, i, (int)x->dtype, emit_ref(e, n->in[0]), emit_ref(e, n->in[1]),
            emit_ints(e, "zp", q.zp, q.n), emit_ref(e, n->out[0]), dtype_name(x->dtype));
  qparams_free(&q);
  return 0;
}

const OpImpl op_impl_DequantizeLinear = {.infer = infer_dequantize, .emit = emit_dequantize};

/* ---- DynamicQuantizeLinear ---- */

static int infer_dynq(Graph *g, Node *n) {
  Tensor *x = node_in(g, n, 0);
  if (x->dtype != DT_FLOAT) return node_err(g, n, "x is %s; vitc quantizes float32", dtype_name(x->dtype));
  Shape scalar = {0, {0}};
  set_output(g, n, 0, DT_UINT8, &x->shape);
  set_output(g, n, 1, DT_FLOAT, &scalar);
  set_output(g, n, 2, DT_UINT8, &scalar);
  return 0;
}

static int emit_dynq(Emitter *e, Graph *g, Node *n) {
  emit_use_kernel(e, "quant/x-quant");
  emit_line(e, "%s(%" PRId64 ", %s, %s, %s, %s);", emit_kfn(e, "vitc_f32_dynamic_quantize"),
            shape_numel(&node_in(g, n, 0)->shape), emit_ref(e, n->in[0]), emit_ref(e, n->out[0]),
            emit_ref(e, n->out[1]), emit_ref(e, n->out[2]));
  return 0;
}

const OpImpl op_impl_DynamicQuantizeLinear = {.infer = infer_dynq, .emit = emit_dynq};

/* ---- MatMulInteger and QLinearMatMul ---- */

/* Input positions of the two products. */
typedef struct QMatMulIn {
  int a, a_scale, a_zp, b, b_scale, b_zp, y_scale, y_zp; /* -1: not an input of this op */
} QMatMulIn;

static const QMatMulIn MMI_IN = {0, -1, 2, 1, -1, 3, -1, -1};
static const QMatMulIn QLMM_IN = {0, 1, 2, 3, 4, 5, 6, 7};

static const QMatMulIn *qmm_in(const Node *n) { return n->op == OP_QLinearMatMul ? &QLMM_IN : &MMI_IN; }

/* Dims and zero points of a quantized product; a_zp has 1 or M values, b_zp 1 or N. */
static int qmm_dims(Graph *g, Node *n, MatMulDims *md, QParams *za, QParams *zb) {
  const QMatMulIn *p = qmm_in(n);
  Tensor *a = node_in(g, n, p->a), *b = node_in(g, n, p->b);
  if (!a || !b) return node_err(g, n, "expects inputs A and B");
  if (!dtype_is_q8(a->dtype) || !dtype_is_q8(b->dtype))
    return node_err(g, n, "A and B must be uint8 or int8 (A %s, B %s)", dtype_name(a->dtype), dtype_name(b->dtype));
  if (matmul_shape_dims(g, n, &a->shape, &b->shape, md)) return -1;
  memset(za, 0, sizeof *za);
  memset(zb, 0, sizeof *zb);
  if (n->op == OP_QLinearMatMul) {
    if (qparams_read(g, n, p->a_scale, p->a_zp, 1, a->dtype, "a", za)) return -1;
    if (qparams_read(g, n, p->b_scale, p->b_zp, md->N, b->dtype, "b", zb)) return qparams_free(za), -1;
    return 0;
  }
  /* MatMulInteger: zero points alone (no scales) */
  QParams *q[2] = {za, zb};
  int zi[2] = {p->a_zp, p->b_zp};
  int64_t len[2] = {md->M, md->N};
  DType ty[2] = {a->dtype, b->dtype};
  for (int k = 0; k < 2; k++) {
    Tensor *z = node_in(g, n, zi[k]);
    int64_t nz = z ? shape_numel(&z->shape) : 1;
    if (z && (!z->data || z->dtype != ty[k] || z->shape.rank > 1 || (nz != 1 && nz != len[k]))) {
      qparams_free(za);
      return node_err(g, n, "%s_zero_point must be a constant %s of 1 or %" PRId64 " values", k ? "b" : "a",
                      dtype_name(ty[k]), len[k]);
    }
    q[k]->n = (int)nz;
    q[k]->zp = xcalloc((size_t)nz, sizeof(int64_t));
    for (int64_t i = 0; z && i < nz; i++) q[k]->zp[i] = tensor_get_i64(z, i);
  }
  return 0;
}

static int infer_qmm(Graph *g, Node *n) {
  MatMulDims md;
  QParams za, zb;
  if (qmm_dims(g, n, &md, &za, &zb)) return -1;
  qparams_free(&za);
  qparams_free(&zb);
  DType yt = DT_INT32;
  if (n->op == OP_QLinearMatMul) {
    QParams zy;
    Tensor *yz = node_in(g, n, QLMM_IN.y_zp);
    if (!yz) return node_err(g, n, "missing y_zero_point");
    if (!dtype_is_q8(yz->dtype)) return node_err(g, n, "y_zero_point is %s; expected uint8 or int8", dtype_name(yz->dtype));
    if (qparams_read(g, n, QLMM_IN.y_scale, QLMM_IN.y_zp, 1, yz->dtype, "y", &zy)) return -1;
    qparams_free(&zy);
    yt = yz->dtype;
  }
  set_output(g, n, 0, yt, &md.out);
  return 0;
}

static size_t scratch_qmm(Graph *g, Node *n, const Target *t) {
  (void)t;
  if (n->op != OP_QLinearMatMul) return 0;
  return (size_t)shape_numel(&node_out(g, n, 0)->shape) * sizeof(int32_t); /* the int32 sums */
}

static int emit_qmm(Emitter *e, Graph *g, Node *n) {
  MatMulDims md;
  QParams za, zb;
  if (qmm_dims(g, n, &md, &za, &zb)) return -1;
  const QMatMulIn *p = qmm_in(n);
  Tensor *a = node_in(g, n, p->a), *b = node_in(g, n, p->b), *y = node_out(g, n, 0);
  emit_use_kernel(e, "quant/x-quant");
  bool qlinear = n->op == OP_QLinearMatMul;
  char acc[256], as[256], bs[256];
  snprintf(acc, sizeof acc, "%s", qlinear ? "(int32_t *)" : "");
  snprintf(acc + strlen(acc), sizeof acc - strlen(acc), "%s", qlinear ? emit_scratch(e) : emit_ref(e, n->out[0]));
  int nb = md.batch.rank;
  emit_line(e, "/* Y (%" PRId64 "x%" PRId64 "x%" PRId64 ") = (A - a_zp) @ (B - b_zp), int32 */",
            shape_numel(&md.batch), md.M, md.N);
  emit_line(e, "%s(%" PRId64 ", %" PRId64 ", %" PRId64 ", %d, %s, %s, %s, %d, %s, %s, %d, %d, %s, %s, %d, %s);",
            emit_kfn(e, "vitc_x_matmul_integer"), md.M, md.N, md.K, nb, nb ? emit_ints(e, "dims", md.batch.d, nb) : "NULL",
            nb ? ptrdiff_literal(md.a_stride, nb, as, sizeof as) : "NULL",
            nb ? ptrdiff_literal(md.b_stride, nb, bs, sizeof bs) : "NULL", (int)a->dtype, emit_ref(e, n->in[p->a]),
            emit_ints(e, "a_zp", za.zp, za.n), za.n > 1, (int)b->dtype, emit_ref(e, n->in[p->b]),
            emit_ints(e, "b_zp", zb.zp, zb.n), zb.n > 1, acc);
  if (qlinear) {
    float fy = ((const float *)node_in(g, n, p->y_scale)->data)[0];
    int64_t yzp = tensor_get_i64(node_in(g, n, p->y_zp), 0);
    float *mult = xmalloc(sizeof(float) * (size_t)zb.n);
    for (int j = 0; j < zb.n; j++) mult[j] = za.scale[0] * zb.scale[j] / fy; /* in float, as ONNX Runtime */
    char hint[300];
    snprintf(hint, sizeof hint, "%s_requant", y->name);
    const char *m = emit_const(e, hint, DT_FLOAT, zb.n, mult);
    free(mult);
    int64_t numel = shape_numel(&y->shape), rows = numel / (md.N ? md.N : 1);
    emit_line(e, "%s(%" PRId64 ", %d, %" PRId64 ", %s, NULL, %s, %" PRId64 ", %d, %s); /* int32 -> %s */",
              emit_kfn(e, "vitc_s32_requantize"), zb.n > 1 ? rows : 1, zb.n, zb.n > 1 ? (int64_t)1 : numel, acc, m,
              yzp, (int)y->dtype, emit_ref(e, n->out[0]), dtype_name(y->dtype));
  }
  qparams_free(&za);
  qparams_free(&zb);
  return 0;
}

static int64_t macs_qmm(Graph *g, Node *n) {
  MatMulDims md;
  QParams za, zb;
  if (qmm_dims(g, n, &md, &za, &zb)) return 0;
  qparams_free(&za);
  qparams_free(&zb);
  return shape_numel(&md.batch) * md.M * md.K * md.N;
}

const OpImpl op_impl_MatMulInteger = {.infer = infer_qmm, .emit = emit_qmm, .macs = macs_qmm};
const OpImpl op_impl_QLinearMatMul = {.infer = infer_qmm, .emit = emit_qmm, .scratch = scratch_qmm, .macs = macs_qmm};

/* ---- ConvInteger and QLinearConv ---- */

typedef struct QConvIn {
  int x, x_scale, x_zp, w, w_scale, w_zp, y_scale, y_zp, b;
} QConvIn;

static const QConvIn CI_IN = {0, -1, 2, 1, -1, 3, -1, -1, -1};
static const QConvIn QLC_IN = {0, 1, 2, 3, 4, 5, 6, 7, 8};

typedef struct QConvDims {
  Window w;
  Window2D c;
  int64_t N, C, M, group;
  Shape out;
  QParams zx, zw; /* zw: 1 or M values */
} QConvDims;

static int qconv_dims(Graph *g, Node *n, QConvDims *cd) {
  const QConvIn *p = n->op == OP_QLinearConv ? &QLC_IN : &CI_IN;
  Tensor *x = node_in(g, n, p->x), *wt = node_in(g, n, p->w);
  memset(cd, 0, sizeof *cd);
  if (!x || !wt) return node_err(g, n, "expects inputs X and W");
  if (!dtype_is_q8(x->dtype) || !dtype_is_q8(wt->dtype))
    return node_err(g, n, "X and W must be uint8 or int8 (X %s, W %s)", dtype_name(x->dtype), dtype_name(wt->dtype));
  const Shape *xs = &x->shape, *ws = &wt->shape;
  if (xs->rank < 3 || ws->rank != xs->rank)
    return node_err(g, n, "X must be (N, C, spatial...) and W of the same rank (got %d and %d)", xs->rank, ws->rank);
  cd->N = xs->d[0], cd->C = xs->d[1], cd->M = ws->d[0];
  cd->group = attr_int(n, "group", 1);
  if (cd->group < 1 || cd->C % cd->group || cd->M % cd->group || ws->d[1] * cd->group != cd->C)
    return node_err(g, n, "group %" PRId64 " does not fit %" PRId64 " input channels and W %" PRId64 "x%" PRId64,
                    cd->group, cd->C, cd->M, ws->d[1]);
  const int64_t *ks;
  int nk = attr_ints(n, "kernel_shape", &ks);
  for (int i = 0; i < nk; i++)
    if (nk != xs->rank - 2 || ks[i] != ws->d[2 + i]) return node_err(g, n, "kernel_shape disagrees with W's shape");
  if (window_geometry(g, n, xs, ws->d + 2, false, &cd->w) || window_as_2d(g, n, &cd->w, &cd->c)) return -1;
  cd->out.rank = xs->rank;
  cd->out.d[0] = cd->N, cd->out.d[1] = cd->M;
  for (int i = 0; i < cd->w.nsp; i++) cd->out.d[2 + i] = cd->w.out[i];
  if (check_numel(g, n, &cd->out)) return -1;
  if (n->op == OP_QLinearConv) {
    if (qparams_read(g, n, p->x_scale, p->x_zp, 1, x->dtype, "x", &cd->zx)) return -1;
    if (qparams_read(g, n, p->w_scale, p->w_zp, cd->M, wt->dtype, "w", &cd->zw)) return qparams_free(&cd->zx), -1;
    Tensor *b = node_in(g, n, p->b);
    if (b && (b->dtype != DT_INT32 || shape_numel(&b->shape) != cd->M)) {
      qparams_free(&cd->zx), qparams_free(&cd->zw);
      return node_err(g, n, "bias B must be int32 of %" PRId64 " values", cd->M);
    }
    return 0;
  }
  int zi[2] = {p->x_zp, p->w_zp};
  int64_t len[2] = {1, cd->M};
  DType ty[2] = {x->dtype, wt->dtype};
  QParams *q[2] = {&cd->zx, &cd->zw};
  for (int k = 0; k < 2; k++) {
    Tensor *z = node_in(g, n, zi[k]);
    int64_t nz = z ? shape_numel(&z->shape) : 1;
    if (z && (!z->data || z->dtype != ty[k] || z->shape.rank > 1 || (nz != 1 && nz != len[k]))) {
      qparams_free(&cd->zx);
      return node_err(g, n, "%s_zero_point must be a constant %s of 1 or %" PRId64 " values", k ? "w" : "x",
                      dtype_name(ty[k]), len[k]);
    }
    q[k]->n = (int)nz;
    q[k]->zp = xcalloc((size_t)nz, sizeof(int64_t));
    for (int64_t i = 0; z && i < nz; i++) q[k]->zp[i] = tensor_get_i64(z, i);
  }
  return 0;
}

static int infer_qconv(Graph *g, Node *n) {
  QConvDims cd;
  if (qconv_dims(g, n, &cd)) return -1;
  qparams_free(&cd.zx), qparams_free(&cd.zw);
  DType yt = DT_INT32;
  if (n->op == OP_QLinearConv) {
    Tensor *yz = node_in(g, n, QLC_IN.y_zp);
    if (!yz || !dtype_is_q8(yz->dtype)) return node_err(g, n, "y_zero_point must be uint8 or int8");
    QParams zy;
    if (qparams_read(g, n, QLC_IN.y_scale, QLC_IN.y_zp, 1, yz->dtype, "y", &zy)) return -1;
    qparams_free(&zy);
    yt = yz->dtype;
  }
  set_output(g, n, 0, yt, &cd.out);
  return 0;
}

static size_t scratch_qconv(Graph *g, Node *n, const Target *t) {
  (void)t;
  if (n->op != OP_QLinearConv) return 0;
  return (size_t)shape_numel(&node_out(g, n, 0)->shape) * sizeof(int32_t);
}

static int emit_qconv(Emitter *e, Graph *g, Node *n) {
  QConvDims cd;
  if (qconv_dims(g, n, &cd)) return -1;
  const QConvIn *p = n->op == OP_QLinearConv ? &QLC_IN : &CI_IN;
  Tensor *x = node_in(g, n, p->x), *wt = node_in(g, n, p->w), *y = node_out(g, n, 0);
  bool qlinear = n->op == OP_QLinearConv;
  char acc[256];
  snprintf(acc, sizeof acc, "%s%s", qlinear ? "(int32_t *)" : "", qlinear ? emit_scratch(e) : emit_ref(e, n->out[0]));
  const Window2D *c = &cd.c;
  emit_use_kernel(e, "quant/x-quant");
  emit_line(e, "/* Y (%" PRId64 ",%" PRId64 ",%" PRId64 ",%" PRId64 ") = conv(X - x_zp, W - w_zp), int32 */", cd.N,
            cd.M, c->OH, c->OW);
  emit_line(e,
            "%s(%" PRId64 ", %" PRId64 ", %" PRId64 ", %" PRId64 ", %" PRId64 ", %" PRId64 ", %" PRId64 ", %" PRId64
            ", %" PRId64 ", %" PRId64 ", %" PRId64 ", %" PRId64 ", %" PRId64 ", %" PRId64 ", %" PRId64 ", %" PRId64
            ", %d, %s, %" PRId64 ", %d, %s, %s, %d, %s);",
            emit_kfn(e, "vitc_x_conv_integer"), cd.N, cd.C, c->H, c->W, cd.M, c->OH, c->OW, c->KH, c->KW, c->sh, c->sw,
            c->dh, c->dw, c->pt, c->pl, cd.group, (int)x->dtype, emit_ref(e, n->in[p->x]), cd.zx.zp[0], (int)wt->dtype,
            emit_ref(e, n->in[p->w]), emit_ints(e, "w_zp", cd.zw.zp, cd.zw.n), cd.zw.n > 1, acc);
  if (qlinear) {
    float fy = ((const float *)node_in(g, n, p->y_scale)->data)[0];
    int64_t yzp = tensor_get_i64(node_in(g, n, p->y_zp), 0);
    float *mult = xmalloc(sizeof(float) * (size_t)cd.M);
    for (int64_t m = 0; m < cd.M; m++) mult[m] = cd.zx.scale[0] * cd.zw.scale[cd.zw.n > 1 ? m : 0] / fy;
    char hint[300];
    snprintf(hint, sizeof hint, "%s_requant", y->name);
    const char *mref = emit_const(e, hint, DT_FLOAT, cd.M, mult);
    free(mult);
    Tensor *b = node_in(g, n, p->b);
    emit_line(e, "%s(%" PRId64 ", %" PRId64 ", %" PRId64 ", %s, %s, %s, %" PRId64 ", %d, %s); /* int32 -> %s */",
              emit_kfn(e, "vitc_s32_requantize"), cd.N, cd.M, c->OH * c->OW, acc, b ? emit_ref(e, n->in[p->b]) : "NULL",
              mref, yzp, (int)y->dtype, emit_ref(e, n->out[0]), dtype_name(y->dtype));
  }
  qparams_free(&cd.zx), qparams_free(&cd.zw);
  return 0;
}

static int64_t macs_qconv(Graph *g, Node *n) {
  QConvDims cd;
  if (qconv_dims(g, n, &cd)) return 0;
  qparams_free(&cd.zx), qparams_free(&cd.zw);
  return shape_numel(&cd.out) * (cd.C / cd.group) * cd.c.KH * cd.c.KW;
}

const OpImpl op_impl_ConvInteger = {.infer = infer_qconv, .emit = emit_qconv, .macs = macs_qconv};
const OpImpl op_impl_QLinearConv = {.infer = infer_qconv, .emit = emit_qconv, .scratch = scratch_qconv, .macs = macs_qconv};
