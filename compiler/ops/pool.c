/* ops/pool.c: MaxPool, AveragePool, LpPool, GlobalAveragePool, GlobalMaxPool,
 * GlobalLpPool.
 *
 * The hybrids use pooling in their CNN stems (MobileViT's MaxPool branch, a padded
 * 3x3 AveragePool shortcut) and GlobalAveragePool before the head. The window
 * geometry (kernel_shape, strides, pads, auto_pad, ceil_mode, dilations) is
 * resolved by window_geometry() (ops/window.h), the same code Conv uses, so the
 * kernel gets plain output sizes and top/left pads. 1-D pools run as 2-D with
 * H = 1. Only float32 is lowered; MaxPool's optional Indices output is accepted in
 * the graph (it gets its shape) but is an error if anything reads it.
 *
 * AveragePool's count_include_pad counts the taps inside the padded input; the
 * bottom/right pads are passed for that count only. LpPool's and GlobalLpPool's
 * p is ONNX's integer attribute (default 2; opset 1's float p is refused by the
 * opset table), at least 1: (sum |x|^p)^(1/p) is a norm only then. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "emit/emit.h"
#include "ops/op.h"
#include "ops/window.h"

typedef struct PoolDims {
  Window w;
  Window2D c;
  int64_t N, C;
  Shape out;
} PoolDims;

static int pool_dims(Graph *g, Node *n, PoolDims *pd) {
  Tensor *x = node_in(g, n, 0);
  if (!x) return node_err(g, n, "missing input X");
  if (x->dtype != DT_FLOAT) return node_err(g, n, "input X is %s; vitc supports float32 here", dtype_name(x->dtype));
  if (x->shape.rank < 3) return node_err(g, n, "X must be (N, C, spatial...), got rank %d", x->shape.rank);
  const int64_t *ks;
  int nk = attr_ints(n, "kernel_shape", &ks);
  if (nk < 0) return node_err(g, n, "attribute kernel_shape is required");
  if (nk != x->shape.rank - 2)
    return node_err(g, n, "kernel_shape has %d values for %d spatial dims", nk, x->shape.rank - 2);
  int64_t ceil_mode = attr_int(n, "ceil_mode", 0);
  if (ceil_mode != 0 && ceil_mode != 1) return node_err(g, n, "ceil_mode must be 0 or 1");
  if (window_geometry(g, n, &x->shape, ks, ceil_mode != 0, &pd->w) || window_as_2d(g, n, &pd->w, &pd->c)) return -1;
  pd->N = x->shape.d[0];
  pd->C = x->shape.d[1];
  pd->out = x->shape;
  for (int i = 0; i < pd->w.nsp; i++) pd->out.d[2 + i] = pd->w.out[i];
  return check_numel(g, n, &pd->out);
}

static int infer_pool(Graph *g, Node *n) {
  PoolDims pd;
  if (pool_dims(g, n, &pd)) return -1;
  set_output(g, n, 0, DT_FLOAT, &pd.out);
  if (n->op == OP_MaxPool) set_output(g, n, 1, DT_INT64, &pd.out); /* Indices, if asked for */
  return 0;
}

/* The kernel call of a 2-D pool: KERNEL(NC, H, W, OH, OW, KH, KW, strides,
 * dilations, top/left pads, EXTRA (its own arguments, each followed by ", "), X, Y). */
static void emit_pool_call(Emitter *e, const Node *n, const PoolDims *pd, const char *kernel, const char *extra) {
  const Window2D *c = &pd->c;
  emit_use_kernel(e, "pool/f32-pool2d");
  emit_line(e,
            "%s(%" PRId64 ", %" PRId64 ", %" PRId64 ", %" PRId64 ", %" PRId64 ", %" PRId64 ", %" PRId64 ", %" PRId64
            ", %" PRId64 ", %" PRId64 ", %" PRId64 ", %" PRId64 ", %" PRId64 ", %s%s, %s);",
            emit_kfn(e, kernel), pd->N * pd->C, c->H, c->W, c->OH, c->OW, c->KH, c->KW, c->sh, c->sw, c->dh, c->dw,
            c->pt, c->pl, extra, emit_ref(e, n->in[0]), emit_ref(e, n->out[0]));
}

static int emit_maxpool(Emitter *e, Graph *g, Node *n) {
  PoolDims pd;
  if (pool_dims(g, n, &pd)) return -1;
  if (n->n_out > 1 && n->out[1] >= 0 && tensor_uses(g, n->out[1]) > 0)
    return node_err(g, n, "the Indices output is not supported (it is read by the model)");
  if (n->n_out > 1 && n->out[1] >= 0) /* declared by the emitter like any output */
    emit_line(e, "(void)%s; /* Indices, never read: not computed */", emit_ref(e, n->out[1]));
  emit_pool_call(e, n, &pd, "vitc_f32_maxpool2d", "");
  return 0;
}

static int emit_avgpool(Emitter *e, Graph *g, Node *n) {
  PoolDims pd;
  if (pool_dims(g, n, &pd)) return -1;
  int64_t include_pad = attr_int(n, "count_include_pad", 0);
  if (include_pad != 0 && include_pad != 1) return node_err(g, n, "count_include_pad must be 0 or 1");
  char extra[96];
  snprintf(extra, sizeof extra, "%" PRId64 ", %" PRId64 ", %d, ", pd.c.pb, pd.c.pr, (int)include_pad);
  emit_pool_call(e, n, &pd, "vitc_f32_avgpool2d", extra);
  return 0;
}

/* LpPool's and GlobalLpPool's p, or -1 after the error */
static int lp_power(Graph *g, Node *n) {
  int64_t p = attr_int(n, "p", 2);
  if (p < 1 || p > 64) return node_err(g, n, "p must be an integer in [1, 64], got %" PRId64, p);
  return (int)p;
}

static int infer_lppool(Graph *g, Node *n) { return lp_power(g, n) < 0 ? -1 : infer_pool(g, n); }

static int emit_lppool(Emitter *e, Graph *g, Node *n) {
  PoolDims pd;
  int p = lp_power(g, n);
  if (p < 0 || pool_dims(g, n, &pd)) return -1;
  char extra[32];
  snprintf(extra, sizeof extra, "%d, ", p);
  emit_pool_call(e, n, &pd, "vitc_f32_lppool2d", extra);
  return 0;
}

const OpImpl op_impl_MaxPool = {.infer = infer_pool, .emit = emit_maxpool};
const OpImpl op_impl_AveragePool = {.infer = infer_pool, .emit = emit_avgpool};
const OpImpl op_impl_LpPool = {.infer = infer_lppool, .emit = emit_lppool};

/* ---------------- GlobalAveragePool, GlobalMaxPool, GlobalLpPool: mean, max or p-norm over all spatial dims ---------------- */

static int infer_global_avgpool(Graph *g, Node *n) {
  Tensor *x = node_in(g, n, 0);
  if (!x) return node_err(g, n, "missing input X");
  if (x->dtype != DT_FLOAT) return node_err(g, n, "input X is %s; vitc supports float32 here", dtype_name(x->dtype));
  if (x->shape.rank < 3) return node_err(g, n, "X must be (N, C, spatial...), got rank %d", x->shape.rank);
  Shape out = x->shape;
  for (int i = 2; i < out.rank; i++) out.d[i] = 1;
  set_output(g, n, 0, DT_FLOAT, &out);
  return 0;
}

static int infer_global_lppool(Graph *g, Node *n) { return lp_power(g, n) < 0 ? -1 : infer_global_avgpool(g, n); }

static int emit_global_pool(Emitter *e, Graph *g, Node *n) {
  const Shape *s = &node_in(g, n, 0)->shape;
  int64_t nc = s->d[0] * s->d[1];
  const char *kernel = n->op == OP_GlobalMaxPool ? "vitc_f32_global_maxpool" : "vitc_f32_global_avgpool";
  char extra[32] = ""; /* GlobalLpPool's p */
  if (n->op == OP_GlobalLpPool) {
    int p = lp_power(g, n);
    if (p < 0) return -1;
    snprintf(extra, sizeof extra, "%d, ", p);
    kernel = "vitc_f32_global_lppool";
  }
  emit_use_kernel(e, "pool/f32-pool2d");
  emit_line(e, "%s(%" PRId64 ", %" PRId64 ", %s%s, %s);", emit_kfn(e, kernel), nc, nc ? shape_numel(s) / nc : 0,
            extra, emit_ref(e, n->in[0]), emit_ref(e, n->out[0]));
  return 0;
}

const OpImpl op_impl_GlobalAveragePool = {.infer = infer_global_avgpool, .emit = emit_global_pool};
const OpImpl op_impl_GlobalMaxPool = {.infer = infer_global_avgpool, .emit = emit_global_pool};
const OpImpl op_impl_GlobalLpPool = {.infer = infer_global_lppool, .emit = emit_global_pool};
