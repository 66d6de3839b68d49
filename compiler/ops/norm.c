/* ops/norm.c: LayerNormalization, InstanceNormalization, GroupNormalization,
 * BatchNormalization, LRN and Softmax.
 *
 * LayerNormalization (opset 17) normalizes X over every dim from `axis` to the
 * end: the kernel sees X as (rows, cols) and takes Scale and B as cols floats.
 * Exporters give Scale/B exactly X's trailing shape; a smaller one that
 * broadcasts is expanded at compile time (it must then be a constant). The
 * optional Mean and InvStdDev outputs (X's shape with the normalized dims 1), when
 * read, are written by a statistics kernel called before the normalization.
 *
 * BatchNormalization is inference-only (training_mode = 0). Its four per-channel
 * constants fold at compile time into y = x * s[c] + t[c], computed the way ONNX
 * Runtime computes them (s = scale * (1 / sqrt(var + eps)), t = bias - mean * s, in
 * float), and the kernel is a per-channel affine map over (N, C, inner). It also
 * folds when X is constant.
 *
 * Softmax follows opset 13 (one axis, default -1; vitc reads opsets 13 and up):
 * X is (outer, axis_len, inner) around the axis. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emit/emit.h"
#include "ops/op.h"

/* The values of one (image, channel) of an (N, C, ...) shape: the product of its
 * dims after the second (1 for rank 2). */
static int64_t per_channel(const Shape *s) {
  int64_t inner = 1;
  for (int i = 2; i < s->rank; i++) inner *= s->d[i];
  return inner;
}

static int require_float_input(Graph *g, Node *n, int i, const char *what) {
  Tensor *t = node_in(g, n, i);
  if (!t) return node_err(g, n, "missing input %s", what);
  if (t->dtype != DT_FLOAT) return node_err(g, n, "input %s is %s; vitc supports float32 here", what, dtype_name(t->dtype));
  return 0;
}

/* Optional outputs from index `first` on only exist in training: error if read. */
static int reject_used_outputs(Graph *g, Node *n, int first, const char *why) {
  for (int o = first; o < n->n_out; o++)
    if (n->out[o] >= 0 && tensor_uses(g, n->out[o]) > 0)
      return node_err(g, n, "output %d ('%s') is read by the model, but %s", o, g->t[n->out[o]].name, why);
  return 0;
}

/* The emitter declares a workspace pointer for every output; say that the
 * training-only ones are left unwritten (and keep -Wunused-variable quiet). */
static void leave_unwritten(Emitter *e, Node *n, int first) {
  for (int o = first; o < n->n_out; o++)
    if (n->out[o] >= 0) emit_line(e, "(void)%s; /* training output, never read: not computed */", emit_ref(e, n->out[o]));
}

/* A float literal for C that reads back exactly. */
/* ---------------- LayerNormalization ---------------- */

typedef struct LnDims {
  int axis;
  int64_t rows, cols;
  Shape norm; /* X's dims from axis on: what Scale and B broadcast to */
} LnDims;

static int ln_dims(Graph *g, Node *n, LnDims *ld) {
  if (require_float_input(g, n, 0, "X") || require_float_input(g, n, 1, "Scale")) return -1;
  Tensor *x = node_in(g, n, 0), *b = node_in(g, n, 2);
  if (b && b->dtype != DT_FLOAT) return node_err(g, n, "input B is %s; vitc supports float32 here", dtype_name(b->dtype));
  if (x->shape.rank < 1) return node_err(g, n, "X must have rank >= 1");
  if (normalize_axis(g, n, attr_int(n, "axis", -1), x->shape.rank, &ld->axis)) return -1;
  ld->rows = ld->cols = 1;
  ld->norm.rank = x->shape.rank - ld->axis;
  for (int i = 0; i < x->shape.rank; i++) {
    if (i < ld->axis) ld->rows *= x->shape.d[i];
    else ld->cols *= x->shape.d[i], ld->norm.d[i - ld->axis] = x->shape.d[i];
  }
  for (int k = 1; k <= 2; k++) { /* Scale and B broadcast (one way) to the normalized shape */
    Tensor *p = node_in(g, n, k);
    if (!p) continue;
    bool ok = p->shape.rank <= ld->norm.rank;
    for (int i = 0; ok && i < p->shape.rank; i++) {
      int64_t pd = p->shape.d[i], nd = ld->norm.d[ld->norm.rank - p->shape.rank + i];
      ok = pd == 1 || pd == nd;
    }
    if (!ok) {
      char s1[128], s2[128];
      return node_err(g, n, "%s %s does not broadcast to the normalized shape %s", k == 1 ? "Scale" : "B",
                      shape_str(&p->shape, s1, sizeof s1), shape_str(&ld->norm, s2, sizeof s2));
    }
    if (shape_numel(&p->shape) != ld->cols && !p->data) /* the emitter expands a broadcast one at compile time */
      return node_err(g, n, "%s broadcasts to the normalized shape; vitc needs it to be a constant then",
                      k == 1 ? "Scale" : "B");
  }
  return 0;
}

static int infer_layernorm(Graph *g, Node *n) {
  LnDims ld;
  if (ln_dims(g, n, &ld)) return -1;
  Tensor *x = node_in(g, n, 0);
  set_output(g, n, 0, DT_FLOAT, &x->shape);
  Shape stat = x->shape; /* Mean, InvStdDev: X's shape with the normalized dims set to 1 */
  for (int i = ld.axis; i < stat.rank; i++) stat.d[i] = 1;
  set_output(g, n, 1, DT_FLOAT, &stat);
  set_output(g, n, 2, DT_FLOAT, &stat);
  return 0;
}

/* Scale or B as the kernel wants it, cols floats: the tensor itself when it already
 * has cols elements, else (a broadcast constant) expanded at compile time. */
static const char *ln_param(Emitter *e, Graph *g, Node *n, int k, const LnDims *ld) {
  Tensor *p = node_in(g, n, k);
  if (shape_numel(&p->shape) == ld->cols) return emit_ref(e, n->in[k]);
  if (!p->data) {
    node_err(g, n, "%s broadcasts to the normalized shape; vitc needs it to be a constant then", k == 1 ? "Scale" : "B");
    return NULL;
  }
  float *v = xmalloc((size_t)(ld->cols ? ld->cols : 1) * sizeof(float));
  int64_t st[IR_MAX_RANK], idx;
  Shape ps = p->shape; /* right-align p's dims to the normalized shape, stride 0 where broadcast */
  shape_strides(&ps, st);
  for (int64_t i = 0; i < ld->cols; i++) {
    int64_t rem = i, src = 0;
    for (int d = ld->norm.rank - 1; d >= 0; d--) {
      idx = rem % ld->norm.d[d];
      rem /= ld->norm.d[d];
      int pd = d - (ld->norm.rank - ps.rank);
      if (pd >= 0 && ps.d[pd] != 1) src += idx * st[pd];
    }
    v[i] = ((const float *)p->data)[src];
  }
  char hint[256];
  snprintf(hint, sizeof hint, "%s_expanded", p->name);
  const char *ref = emit_const(e, hint, DT_FLOAT, ld->cols, v);
  free(v);
  return ref;
}

static int emit_layernorm(Emitter *e, Graph *g, Node *n) {
  LnDims ld;
  if (ln_dims(g, n, &ld)) return -1;
  const char *scale = ln_param(e, g, n, 1, &ld);
  if (!scale) return -1; /* one error line: B is not looked at once Scale failed */
  const char *bias = node_in(g, n, 2) ? ln_param(e, g, n, 2, &ld) : "NULL";
  if (!bias) return -1;
  emit_use_kernel(e, "norm/f32-layernorm");
  bool read[3] = {false, false, false};
  for (int o = 1; o < n->n_out && o < 3; o++) read[o] = n->out[o] >= 0 && tensor_uses(g, n->out[o]) > 0;
  if (read[1] || read[2]) {
    emit_use_kernel(e, "norm/f32-groupnorm");
    emit_line(e, "/* Mean, InvStdDev (%" PRId64 ",) of each row */", ld.rows);
    emit_line(e, "%s(%" PRId64 ", %" PRId64 ", %s, %s, %s, %s);", emit_kfn(e, "vitc_f32_layernorm_stats"), ld.rows,
              ld.cols, emit_float(e, attr_float(n, "epsilon", 1e-5f)), emit_ref(e, n->in[0]),
              read[1] ? emit_ref(e, n->out[1]) : "NULL", read[2] ? emit_ref(e, n->out[2]) : "NULL");
  }
  for (int o = 1; o < n->n_out; o++)
    if (n->out[o] >= 0 && !read[o]) emit_line(e, "(void)%s; /* training output, never read: not computed */", emit_ref(e, n->out[o]));
  emit_line(e, "%s(%" PRId64 ", %" PRId64 ", %s, %s, %s, %s, %s);", emit_kfn(e, "vitc_f32_layernorm"), ld.rows,
            ld.cols, emit_float(e, attr_float(n, "epsilon", 1e-5f)), emit_ref(e, n->in[0]), scale, bias,
            emit_ref(e, n->out[0]));
  return 0;
}

const OpImpl op_impl_LayerNormalization = {.infer = infer_layernorm, .emit = emit_layernorm};

/* ---------------- InstanceNormalization, GroupNormalization ---------------- */

/* Statistics per image and group of channels (InstanceNormalization: one channel
 * per group), then a per-channel affine map; GroupNormalization-18's scale and bias
 * have one value per group, 21's one per channel (the same when groups = channels). */
typedef struct GnDims {
  int64_t N, G, cpg, inner;
  bool per_group;
} GnDims;

static int gn_dims(Graph *g, Node *n, GnDims *gd) {
  if (require_float_input(g, n, 0, "X") || require_float_input(g, n, 1, "scale") || require_float_input(g, n, 2, "B"))
    return -1;
  Tensor *x = node_in(g, n, 0);
  if (x->shape.rank < 2) return node_err(g, n, "X must be (N, C, ...), got rank %d", x->shape.rank);
  int64_t C = x->shape.d[1];
  gd->N = x->shape.d[0];
  gd->inner = per_channel(&x->shape);
  gd->G = n->op == OP_InstanceNormalization ? C : attr_int(n, "num_groups", 0);
  if (gd->G < 1 || C % gd->G) return node_err(g, n, "num_groups %" PRId64 " does not divide %" PRId64 " channels", gd->G, C);
  gd->cpg = C / gd->G;
  int64_t ns = shape_numel(&node_in(g, n, 1)->shape), nb = shape_numel(&node_in(g, n, 2)->shape);
  gd->per_group = ns == gd->G && gd->G != C;
  if (ns != nb || (ns != C && !gd->per_group) || node_in(g, n, 1)->shape.rank != 1)
    return node_err(g, n, "scale and B must have one value per channel (%" PRId64 ")%s", C,
                    n->op == OP_GroupNormalization ? " or per group" : "");
  return 0;
}

static int infer_groupnorm(Graph *g, Node *n) {
  GnDims gd;
  if (gn_dims(g, n, &gd)) return -1;
  set_output(g, n, 0, DT_FLOAT, &node_in(g, n, 0)->shape);
  return 0;
}

static int emit_groupnorm(Emitter *e, Graph *g, Node *n) {
  GnDims gd;
  if (gn_dims(g, n, &gd)) return -1;
  emit_use_kernel(e, "norm/f32-groupnorm");
  emit_line(e, "/* %s: %" PRId64 " groups of %" PRId64 " channels */", op_name(n->op), gd.G, gd.cpg);
  emit_line(e, "%s(%" PRId64 ", %" PRId64 ", %" PRId64 ", %" PRId64 ", %s, %d, %s, %s, %s, %s);",
            emit_kfn(e, "vitc_f32_groupnorm"), gd.N, gd.G, gd.cpg, gd.inner,
            emit_float(e, attr_float(n, "epsilon", 1e-5f)), gd.per_group, emit_ref(e, n->in[0]),
            emit_ref(e, n->in[1]), emit_ref(e, n->in[2]), emit_ref(e, n->out[0]));
  return 0;
}

const OpImpl op_impl_InstanceNormalization = {.infer = infer_groupnorm, .emit = emit_groupnorm};
const OpImpl op_impl_GroupNormalization = {.infer = infer_groupnorm, .emit = emit_groupnorm};

/* ---------------- LRN: local response normalization across channels ---------------- */

/* X (N, C, D1, ...) seen as (N, C, S); alpha, beta, bias as ONNX defaults them */
static int lrn_dims(Graph *g, Node *n, int64_t *N, int64_t *C, int64_t *S) {
  if (require_float_input(g, n, 0, "X")) return -1;
  const Shape *x = &node_in(g, n, 0)->shape;
  if (x->rank < 3) return node_err(g, n, "X must be (N, C, D1, ...), got rank %d", x->rank);
  int64_t size = attr_int(n, "size", 0);
  if (size < 1 || size > INT32_MAX) return node_err(g, n, "size must be a positive integer, got %" PRId64, size);
  *N = x->d[0];
  *C = x->d[1];
  *S = per_channel(x);
  return 0;
}

static int infer_lrn(Graph *g, Node *n) {
  int64_t N = 0, C = 0, S = 0;
  if (lrn_dims(g, n, &N, &C, &S)) return -1;
  set_output(g, n, 0, DT_FLOAT, &node_in(g, n, 0)->shape);
  return 0;
}

static int emit_lrn(Emitter *e, Graph *g, Node *n) {
  int64_t N = 0, C = 0, S = 0;
  if (lrn_dims(g, n, &N, &C, &S)) return -1;
  emit_use_kernel(e, "norm/f32-lrn");
  emit_line(e, "%s(%" PRId64 ", %" PRId64 ", %" PRId64 ", %" PRId64 ", %s, %s, %s, %s, %s);",
            emit_kfn(e, "vitc_f32_lrn"), N, C, S, attr_int(n, "size", 0), emit_float(e, attr_float(n, "alpha", 1e-4f)),
            emit_float(e, attr_float(n, "beta", 0.75f)), emit_float(e, attr_float(n, "bias", 1.0f)),
            emit_ref(e, n->in[0]), emit_ref(e, n->out[0]));
  return 0;
}

const OpImpl op_impl_LRN = {.infer = infer_lrn, .emit = emit_lrn};

/* ---------------- BatchNormalization ---------------- */

static int infer_batchnorm(Graph *g, Node *n) {
  static const char *const names[] = {"X", "scale", "B", "input_mean", "input_var"};
  for (int i = 0; i < 5; i++)
    if (require_float_input(g, n, i, names[i])) return -1;
  if (attr_int(n, "training_mode", 0) != 0)
    return node_err(g, n, "training_mode=1 is not supported (vitc compiles inference graphs)");
  Tensor *x = node_in(g, n, 0);
  if (x->shape.rank < 2) return node_err(g, n, "X must be (N, C, ...), got rank %d", x->shape.rank);
  int64_t c = x->shape.d[1];
  for (int i = 1; i < 5; i++) {
    const Shape *s = &node_in(g, n, i)->shape;
    if (s->rank != 1 || s->d[0] != c)
      return node_err(g, n, "input %s must have shape (%" PRId64 ",) (the channels of X)", names[i], c);
  }
  set_output(g, n, 0, DT_FLOAT, &x->shape);
  Shape cs = {1, {c}}; /* training-only outputs (running/saved statistics) */
  for (int o = 1; o < n->n_out; o++) set_output(g, n, o, DT_FLOAT, &cs);
  return 0;
}

/* s, t (C floats each) with y = x*s[c] + t[c], as ONNX Runtime folds them. */
static int batchnorm_affine(Graph *g, Node *n, float *s, float *t) {
  for (int i = 1; i < 5; i++)
    if (!node_in_const(g, n, i))
      return node_err(g, n, "scale, B, mean and var must be compile-time constants (input %d is not)", i);
  const float *scale = node_in(g, n, 1)->data, *bias = node_in(g, n, 2)->data;
  const float *mean = node_in(g, n, 3)->data, *var = node_in(g, n, 4)->data;
  float eps = attr_float(n, "epsilon", 1e-5f);
  int64_t c = node_in(g, n, 0)->shape.d[1];
  for (int64_t i = 0; i < c; i++) {
    float inv_std = 1.0f / sqrtf(var[i] + eps);
    s[i] = inv_std * scale[i];
    t[i] = bias[i] - mean[i] * s[i];
  }
  return 0;
}

/* BatchNormalization as y = x*s[c] + t[c] over X viewed as (N, C, inner), the
 * kernel's view: what eval and emit both start from. */
typedef struct BatchNormAffine {
  int64_t N, C, inner;
  float *s, *t; /* C floats each, freed by batchnorm_free */
} BatchNormAffine;

static int batchnorm_prepare(Graph *g, Node *n, BatchNormAffine *bn) {
  const Shape *x = &node_in(g, n, 0)->shape;
  bn->N = x->d[0];
  bn->C = x->d[1];
  bn->inner = per_channel(x);
  bn->s = xmalloc((size_t)(bn->C ? bn->C : 1) * sizeof(float));
  bn->t = xmalloc((size_t)(bn->C ? bn->C : 1) * sizeof(float));
  return batchnorm_affine(g, n, bn->s, bn->t);
}

static void batchnorm_free(BatchNormAffine *bn) {
  free(bn->s);
  free(bn->t);
}

static int eval_batchnorm(Graph *g, Node *n) {
  BatchNormAffine bn;
  int rc = batchnorm_prepare(g, n, &bn);
  if (!rc) {
    const float *xv = node_in(g, n, 0)->data;
    float *y = alloc_output_data(g, n, 0);
    for (int64_t i = 0; i < bn.N * bn.C * bn.inner; i++)
      y[i] = xv[i] * bn.s[i / bn.inner % bn.C] + bn.t[i / bn.inner % bn.C];
  }
  batchnorm_free(&bn);
  return rc;
}

static int emit_batchnorm(Emitter *e, Graph *g, Node *n) {
  if (reject_used_outputs(g, n, 1, "running/saved statistics only exist in training")) return -1;
  BatchNormAffine bn;
  int rc = batchnorm_prepare(g, n, &bn);
  if (!rc) {
    char hint[256];
    snprintf(hint, sizeof hint, "%s_bn_scale", n->name);
    const char *sc = emit_const(e, hint, DT_FLOAT, bn.C, bn.s);
    snprintf(hint, sizeof hint, "%s_bn_shift", n->name);
    const char *sh = emit_const(e, hint, DT_FLOAT, bn.C, bn.t);
    leave_unwritten(e, n, 1);
    emit_use_kernel(e, "norm/f32-layernorm");
    emit_line(e, "%s(%" PRId64 ", %" PRId64 ", %" PRId64 ", %s, %s, %s, %s);", emit_kfn(e, "vitc_f32_channel_affine"),
              bn.N, bn.C, bn.inner, emit_ref(e, n->in[0]), sc, sh, emit_ref(e, n->out[0]));
  }
  batchnorm_free(&bn);
  return rc;
}

const OpImpl op_impl_BatchNormalization = {.infer = infer_batchnorm, .eval = eval_batchnorm, .emit = emit_batchnorm};

/* ---------------- Softmax ---------------- */

/* X as (outer, axis_len, inner) around the axis. */
static int softmax_view(Graph *g, Node *n, int64_t *outer, int64_t *len, int64_t *inner) {
  const Shape *s = &node_in(g, n, 0)->shape;
  int axis;
  if (s->rank < 1) return node_err(g, n, "X must have rank >= 1");
  if (normalize_axis(g, n, attr_int(n, "axis", -1), s->rank, &axis)) return -1;
  *outer = *len = *inner = 1;
  for (int i = 0; i < s->rank; i++) {
    if (i < axis) *outer *= s->d[i];
    else if (i == axis) *len *= s->d[i];
    else *inner *= s->d[i];
  }
  return 0;
}

static int infer_softmax(Graph *g, Node *n) {
  int64_t outer, len, inner;
  if (require_float_input(g, n, 0, "X") || softmax_view(g, n, &outer, &len, &inner)) return -1;
  set_output(g, n, 0, DT_FLOAT, &node_in(g, n, 0)->shape);
  return 0;
}

static int emit_softmax(Emitter *e, Graph *g, Node *n) {
  int64_t outer, len, inner;
  if (softmax_view(g, n, &outer, &len, &inner)) return -1;
  emit_use_kernel(e, "norm/f32-softmax");
  emit_line(e, "%s(%" PRId64 ", %" PRId64 ", %" PRId64 ", %s, %s);",
            emit_kfn(e, n->op == OP_LogSoftmax ? "vitc_f32_log_softmax" : "vitc_f32_softmax"), outer, len,
            inner, emit_ref(e, n->in[0]), emit_ref(e, n->out[0]));
  return 0;
}

const OpImpl op_impl_Softmax = {.infer = infer_softmax, .emit = emit_softmax};
/* LogSoftmax: the same view, the scalar kernel's log mode (rare in ViTs: no SIMD one) */
const OpImpl op_impl_LogSoftmax = {.infer = infer_softmax, .emit = emit_softmax};
