/* ops/conv.c: Conv, and the sliding-window geometry it shares with the pools.
 *
 * A ViT meets Conv in its patch embedding (kernel == stride, no padding) and the
 * hybrids (MobileViT, FilterViT) in ordinary stems, depthwise blocks and dilated
 * convs. All of them are NCHW; 1-D convs (N,C,W) are run as 2-D with H = 1, which
 * costs nothing since the layout is the same.
 *
 * window_geometry() (ops/window.h) is the one place that turns ONNX's kernel_shape, strides,
 * dilations, pads, auto_pad and ceil_mode into output sizes and explicit begin/end
 * pads, for Conv here and for MaxPool/AveragePool in pool.c, so both agree with
 * ONNX Runtime:
 *   NOTSET      out = floor_or_ceil((in + pb + pe - dk) / s) + 1, dk = (k-1)*d + 1;
 *               with ceil_mode a last window that would start inside the end
 *               padding is dropped (ONNX since opset 19, PyTorch, ORT);
 *   VALID       no padding, out = floor_or_ceil((in - dk) / s) + 1;
 *   SAME_UPPER  out = ceil(in / s), total padding max(0, (out-1)*s + dk - in) split
 *   SAME_LOWER  with the odd element at the end (UPPER) or the beginning (LOWER).
 *
 * The kernel takes ONNX's weight layout (C_out, C_in/group, KH, KW) as it is, so
 * nothing is packed; eval (folding a Conv whose input is constant) is not
 * implemented, no exporter emits one. */
#include <inttypes.h>
#include <string.h>

#include "emit/emit.h"
#include "ops/op.h"
#include "ops/window.h"

/* Sizes, strides, dilations and pads must fit the kernels' int arguments; this
 * bound also keeps (k-1)*d and friends far from int64 overflow. */
#define WINDOW_MAX INT32_MAX

/* Read an INTS attribute of exactly `count` values in [min, WINDOW_MAX], or fill
 * `dflt` when absent. */
static int ints_attr(Graph *g, Node *n, const char *name, int count, int64_t dflt, int64_t min, int64_t *out) {
  const int64_t *v;
  int c = attr_ints(n, name, &v);
  if (c < 0) {
    for (int i = 0; i < count; i++) out[i] = dflt;
    return 0;
  }
  if (c != count) return node_err(g, n, "attribute %s has %d values, expected %d", name, c, count);
  for (int i = 0; i < count; i++) {
    if (v[i] < min || v[i] > WINDOW_MAX)
      return node_err(g, n, "attribute %s[%d] = %" PRId64 " is outside [%" PRId64 ", %d]", name, i, v[i], min,
                      WINDOW_MAX);
    out[i] = v[i];
  }
  return 0;
}

int window_geometry(Graph *g, Node *n, const Shape *x, const int64_t *kernel, bool ceil_mode,
                    Window *w) {
  memset(w, 0, sizeof *w);
  w->nsp = x->rank - 2;
  int nsp = w->nsp;
  if (nsp < 1) return node_err(g, n, "input must be (N, C, spatial...), got rank %d", x->rank);
  for (int i = 0; i < nsp; i++) {
    w->in[i] = x->d[2 + i];
    w->k[i] = kernel[i];
    if (kernel[i] < 1 || kernel[i] > WINDOW_MAX)
      return node_err(g, n, "kernel size %" PRId64 " is outside [1, %d]", kernel[i], WINDOW_MAX);
  }
  if (ints_attr(g, n, "strides", nsp, 1, 1, w->s)) return -1;
  if (ints_attr(g, n, "dilations", nsp, 1, 1, w->d)) return -1;
  int64_t pads[2 * IR_MAX_RANK];
  if (ints_attr(g, n, "pads", 2 * nsp, 0, 0, pads)) return -1;
  const char *auto_pad = attr_str(n, "auto_pad", "NOTSET");
  bool same_upper = strcmp(auto_pad, "SAME_UPPER") == 0, same_lower = strcmp(auto_pad, "SAME_LOWER") == 0;
  bool valid = strcmp(auto_pad, "VALID") == 0;
  if (!same_upper && !same_lower && !valid && strcmp(auto_pad, "NOTSET") != 0)
    return node_err(g, n, "unknown auto_pad '%s'", auto_pad);
  if (strcmp(auto_pad, "NOTSET") != 0 && node_attr(n, "pads"))
    return node_err(g, n, "pads and auto_pad=%s cannot both be given", auto_pad);
  for (int i = 0; i < nsp; i++) {
    int64_t dk = (w->k[i] - 1) * w->d[i] + 1, s = w->s[i];
    if (same_upper || same_lower) {
      w->out[i] = (w->in[i] + s - 1) / s;
      int64_t total = (w->out[i] - 1) * s + dk - w->in[i];
      if (total < 0) total = 0;
      w->pb[i] = same_upper ? total / 2 : total - total / 2;
      w->pe[i] = total - w->pb[i];
      continue;
    }
    w->pb[i] = valid ? 0 : pads[i];
    w->pe[i] = valid ? 0 : pads[nsp + i];
    int64_t span = w->in[i] + w->pb[i] + w->pe[i] - dk;
    if (span < 0)
      return node_err(g, n, "window of %" PRId64 " (kernel %" PRId64 ", dilation %" PRId64 ") is larger than the padded "
                      "input %" PRId64 " along spatial axis %d", dk, w->k[i], w->d[i], w->in[i] + w->pb[i] + w->pe[i], i);
    w->out[i] = (ceil_mode ? (span + s - 1) / s : span / s) + 1;
    if (ceil_mode && (w->out[i] - 1) * s >= w->in[i] + w->pb[i]) w->out[i]--;
  }
  return 0;
}

int window_as_2d(Graph *g, Node *n, const Window *w, Window2D *c) {
  if (w->nsp > 2) return node_err(g, n, "%d-D windows are not supported (1-D and 2-D only)", w->nsp);
  int o = w->nsp == 2 ? 1 : 0; /* index of the W axis */
  *c = (Window2D){.H = 1, .OH = 1, .KH = 1, .sh = 1, .dh = 1};
  if (w->nsp == 2) {
    c->H = w->in[0], c->OH = w->out[0], c->KH = w->k[0], c->sh = w->s[0], c->dh = w->d[0];
    c->pt = w->pb[0], c->pb = w->pe[0];
  }
  c->W = w->in[o], c->OW = w->out[o], c->KW = w->k[o], c->sw = w->s[o], c->dw = w->d[o];
  c->pl = w->pb[o], c->pr = w->pe[o];
  return 0;
}

/* ---------------- Conv ---------------- */

typedef struct ConvDims {
  Window w;
  Window2D c; /* the kernel's 2-D view */
  int64_t N, C, M, group;
  Shape out;
} ConvDims;

static int conv_dims(Graph *g, Node *n, ConvDims *cd) {
  Tensor *x = node_in(g, n, 0), *wt = node_in(g, n, 1), *b = node_in(g, n, 2);
  if (!x || !wt) return node_err(g, n, "expects inputs X and W");
  if (x->dtype != DT_FLOAT || wt->dtype != DT_FLOAT || (b && b->dtype != DT_FLOAT))
    return node_err(g, n, "inputs must be float32 (X %s, W %s)", dtype_name(x->dtype), dtype_name(wt->dtype));
  const Shape *xs = &x->shape, *ws = &wt->shape;
  if (xs->rank < 3) return node_err(g, n, "X must be (N, C, spatial...), got rank %d", xs->rank);
  if (ws->rank != xs->rank) return node_err(g, n, "W has rank %d but X has rank %d", ws->rank, xs->rank);
  cd->N = xs->d[0];
  cd->C = xs->d[1];
  cd->M = ws->d[0];
  cd->group = attr_int(n, "group", 1);
  if (cd->group < 1 || cd->C % cd->group || cd->M % cd->group)
    return node_err(g, n, "group %" PRId64 " must divide the %" PRId64 " input and %" PRId64 " output channels",
                    cd->group, cd->C, cd->M);
  if (ws->d[1] * cd->group != cd->C)
    return node_err(g, n, "W has %" PRId64 " input channels per group, X has %" PRId64 " channels in %" PRId64
                    " groups", ws->d[1], cd->C, cd->group);
  if (b && (b->shape.rank != 1 || b->shape.d[0] != cd->M))
    return node_err(g, n, "bias B must be (%" PRId64 ",)", cd->M);
  const int64_t *ks;
  int nk = attr_ints(n, "kernel_shape", &ks);
  if (nk >= 0) {
    if (nk != xs->rank - 2) return node_err(g, n, "kernel_shape has %d values for %d spatial dims", nk, xs->rank - 2);
    for (int i = 0; i < nk; i++)
      if (ks[i] != ws->d[2 + i])
        return node_err(g, n, "kernel_shape[%d] = %" PRId64 " but W's kernel is %" PRId64, i, ks[i], ws->d[2 + i]);
  }
  if (window_geometry(g, n, xs, ws->d + 2, false, &cd->w) || window_as_2d(g, n, &cd->w, &cd->c)) return -1;
  cd->out.rank = xs->rank;
  cd->out.d[0] = cd->N;
  cd->out.d[1] = cd->M;
  for (int i = 0; i < cd->w.nsp; i++) cd->out.d[2 + i] = cd->w.out[i];
  return check_numel(g, n, &cd->out);
}

static int infer_conv(Graph *g, Node *n) {
  ConvDims cd;
  if (conv_dims(g, n, &cd)) return -1;
  set_output(g, n, 0, DT_FLOAT, &cd.out);
  return 0;
}

/* The kernel's own test for the im2col-free 1x1 path (see the conv template). */
static bool conv_pointwise(const Window2D *c) {
  return c->KH == 1 && c->KW == 1 && c->sh == 1 && c->sw == 1 && c->pt == 0 && c->pl == 0 && c->OH == c->H &&
         c->OW == c->W;
}

static size_t scratch_conv(Graph *g, Node *n) {
  ConvDims cd;
  if (conv_dims(g, n, &cd) || cd.group == cd.C || conv_pointwise(&cd.c)) return 0;
  const Window2D *c = &cd.c;
  return (size_t)(cd.C / cd.group * c->KH * c->KW * c->OH * c->OW) * sizeof(float);
}

static int emit_conv(Emitter *e, Graph *g, Node *n) {
  ConvDims cd;
  if (conv_dims(g, n, &cd)) return -1;
  const Window2D c = cd.c;
  emit_use_kernel(e, "gemm/f32-gemm");
  emit_use_kernel(e, "conv/f32-conv2d");
  bool needs_scratch = cd.group != cd.C && !conv_pointwise(&c);
  emit_line(e,
            "%s(%" PRId64 ", %" PRId64 ", %" PRId64 ", %" PRId64 ", %" PRId64 ", %" PRId64 ", %" PRId64 ", %" PRId64
            ", %" PRId64 ", %" PRId64 ", %" PRId64 ", %" PRId64 ", %" PRId64 ", %" PRId64 ", %" PRId64 ", %" PRId64
            ", %s, %s, %s, %s, %s);",
            emit_kfn(e, "vitc_f32_conv2d"), cd.N, cd.C, c.H, c.W, cd.M, c.OH, c.OW, c.KH, c.KW, c.sh, c.sw, c.dh, c.dw,
            c.pt, c.pl, cd.group, emit_ref(e, n->in[0]), emit_ref(e, n->in[1]),
            node_in(g, n, 2) ? emit_ref(e, n->in[2]) : "NULL", emit_ref(e, n->out[0]),
            needs_scratch ? emit_scratch(e) : "NULL");
  return 0;
}

static int64_t macs_conv(Graph *g, Node *n) {
  ConvDims cd; /* infer already checked the shapes */
  if (conv_dims(g, n, &cd)) return 0;
  int64_t taps = cd.C / cd.group;
  for (int i = 0; i < cd.w.nsp; i++) taps *= cd.w.k[i];
  return shape_numel(&cd.out) * taps;
}

const OpImpl op_impl_Conv = {.infer = infer_conv, .emit = emit_conv, .scratch = scratch_conv, .macs = macs_conv};
