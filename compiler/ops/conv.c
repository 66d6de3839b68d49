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
 * The kernels take ONNX's weight layout (C_out, C_in/group, KH, KW) as it is, so
 * nothing is packed; eval (folding a Conv whose input is constant) is not
 * implemented, no exporter emits one.
 *
 * Lowering. A group-1 conv with at most 4 output channels (FilterViT's score
 * conv, C -> 1) calls vitc_f32_conv2d_direct_<isa> on every target
 * (templates/conv/f32-conv2d-direct-*.c: direct dot products, no im2col). Else,
 * on the scalar target every Conv calls vitc_f32_conv2d_scalar
 * (depthwise loops, or im2col + the reference GEMM). On the SIMD targets a
 * depthwise conv (group == C_in > 1) with equal strides calls the shim-based
 * vitc_f32_conv2d_depthwise_<isa> (templates/conv/f32-conv2d-simd.c: the plane
 * padded and phase-split into scratch, one vector loop per output plane), and
 * a 3x3 stride-1 conv with enough channels runs as Winograd's F(2x2, 3x3)
 * (conv_winograd below, templates/conv/f32-conv2d-winograd-simd.c: weights
 * transformed and packed here, 16 GEMMs over the input channels), and
 * every other conv (the patch embedding, kernel == stride; 1x1 convs; stems; a
 * one-channel input with group 1, like an STFT as a Conv1d: depth KH*KW) runs
 * on the target's GEMM microkernel (vitc_f32_conv2d_<MR>x<NR>_<isa>,
 * templates/gemm/f32-gemm-driver.c): the im2col matrix is gathered straight into
 * the microkernel's packed panel layout in scratch and multiplied by the weight
 * as it is, so Y comes out NCHW (a padded conv with no gate or residual and K in
 * one block reads its taps from the padded planes in place instead, a band of
 * output rows at a time whose planes fit in L2: the implicit GEMM,
 * VITC__CONV2D_IMPLICIT). With --threads N, a one-image, one-group conv
 * (the patch embedding) is split by output channels into tasks that each gather
 * the im2col panels into their worker's scratch (docs/threads.md). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emit/emit.h"
#include "ops/epilogue.h"
#include "ops/matmul.h"
#include "ops/op.h"
#include "ops/window.h"

#include "conv/f32-conv2d-stem.h" /* the stem conv's geometry, shared with its kernel */

/* Sizes, strides, dilations and pads must fit the kernels' int arguments; this
 * bound also keeps (k-1)*d and friends far from int64 overflow. */
#define WINDOW_MAX INT32_MAX

/* ops/window.h: an INTS attribute of `count` values in [min, WINDOW_MAX], or `dflt`. */
int window_ints(Graph *g, Node *n, const char *name, int count, int64_t dflt, int64_t min, int64_t *out) {
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
  if (window_ints(g, n, "strides", nsp, 1, 1, w->s)) return -1;
  if (window_ints(g, n, "dilations", nsp, 1, 1, w->d)) return -1;
  int64_t pads[2 * IR_MAX_RANK];
  if (window_ints(g, n, "pads", 2 * nsp, 0, 0, pads)) return -1;
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

/* The geometry every conv kernel takes first, as C arguments: "N, C_in, H, W,
 * C_out, OH, OW, KH, KW, stride_h, stride_w, dil_h, dil_w, pad_t, pad_l" (the
 * signature of templates/conv/f32-conv2d-scalar.c); C_out is text, a number or,
 * split by rows (--threads), the task's count. */
static const char *conv_geometry_args(char *buf, size_t size, const ConvDims *cd, const char *cout) {
  const Window2D *c = &cd->c;
  snprintf(buf, size,
           "%" PRId64 ", %" PRId64 ", %" PRId64 ", %" PRId64 ", %s, %" PRId64 ", %" PRId64 ", %" PRId64 ", %" PRId64
           ", %" PRId64 ", %" PRId64 ", %" PRId64 ", %" PRId64 ", %" PRId64 ", %" PRId64,
           cd->N, cd->C, c->H, c->W, cout, c->OH, c->OW, c->KH, c->KW, c->sh, c->sw, c->dh, c->dw, c->pt, c->pl);
  return buf;
}

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

/* Rows (or columns) of a plane with its padding made explicit, as the packed conv
 * copies it: VITC__CONV2D_PADDED in templates/gemm/f32-gemm-driver.c (which then
 * rounds it up to a multiple of the stride, VITC__CONV2D_PHASED). */
static int64_t conv_padded_extent(int64_t pad, int64_t in, int64_t out, int64_t s, int64_t k, int64_t d) {
  int64_t reach = (out - 1) * s + (k - 1) * d + 1;
  return pad + in > reach ? pad + in : reach;
}

/* A depthwise conv: one input channel per group, more than one group. A conv of a
 * one-channel input (group 1: an STFT as a conv, a grayscale stem) is an ordinary
 * GEMM of depth KH*KW, not a depthwise one. */
static bool conv_depthwise(const ConvDims *cd) { return cd->group == cd->C && cd->C > 1; }

/* The conv runs on the target's GEMM microkernel (see the top of this file). */
static bool conv_packed(const Target *t, const ConvDims *cd) { return t && t->shim && !conv_depthwise(cd); }

/* K block for the packed conv's GEMM (depth kdim): as ops/matmul.c's gemm_blocks,
 * whole up to 512, else equal blocks of at most 384 (multiples of 8). */
static int conv_kc(int64_t kdim) {
  if (kdim <= 512) return 0;
  int64_t nb = (kdim + 383) / 384, k = (kdim + nb - 1) / nb;
  return (int)((k + 7) / 8 * 8);
}

/* A conv with one or a few output channels (FilterViT's score map, C -> 1)
 * runs as direct dot products (templates/conv/f32-conv2d-direct-*.c) instead of
 * im2col plus a GEMM of width 1, on every target: an im2col matrix would be
 * written to be read once (3,136 x 784 floats for 64 -> 1, 7x7 at 28x28). Up to
 * VITC_CONV2D_DIRECT_MAX_COUT in the template; group 1 and C_in > 1 (a one-channel
 * input is the packed GEMM's). As vitc.Conv, its epilogue (activation, gate,
 * residual) follows in one pass over those few planes (vitc_f32_gemm_epilogue). */
#define CONV_DIRECT_MAX_COUT 4 /* keep equal to VITC_CONV2D_DIRECT_MAX_COUT */
static bool conv_direct(const ConvDims *cd) { return cd->group == 1 && cd->C > 1 && cd->M <= CONV_DIRECT_MAX_COUT; }

/* Scratch floats of the shim-based direct kernel: the padded channel and a zero
 * row (the geometry in templates/conv/f32-conv2d-direct-simd.c). */
static int64_t direct_scratch_floats(const Window2D *c) {
  int64_t reach = (c->OW + 15) / 16 * 16 + (c->KW - 1) * c->dw, wp = c->pl + c->W > reach ? c->pl + c->W : reach;
  return (c->H + 1) * wp;
}

/* A conv of group 1 with few input channels (a network's first layer: 3 -> 16, 3x3
 * stride 2 in MobileViT's and DropoutViT's stems) on a SIMD target runs as the stem
 * conv (templates/conv/f32-conv2d-stem-simd.c): vectors along output rows, a block of
 * output channels per register tile, each input vector loaded once per tap for the
 * whole block. As a GEMM its K (C_in * KH * KW, 27) is too short to pay for packing
 * the taps: Zen 4, CPU time, DropoutViT's 3 -> 16 stem (batch 2, 32x32 -> 16x16)
 * with its GELU 11.8 -> 7.5 us on avx512, without it 9.9 -> 6.3 on avx2 (-march=znver3).
 * Stride 1 or 2 along W (vf32_load_even), and
 * at least 8 output channels (fewer are the direct kernel's, above). Its epilogue is
 * an activation only (a gate or residual keeps the GEMM conv), and --threads keeps
 * the GEMM conv's split by output channels. Geometry: templates/conv/f32-conv2d-stem.h. */
static bool conv_stem(const Target *t, const ConvDims *cd) {
  const Window2D *c = &cd->c;
  return t && t->shim && cd->group == 1 && cd->C <= VITC_CONV2D_STEM_MAX_CIN && cd->M >= 8 &&
         (c->sw == 1 || c->sw == 2) && c->OH >= 1 && c->OW >= 1;
}

static int64_t stem_scratch_floats(const ConvDims *cd) {
  const Window2D *c = &cd->c;
  return vitc_f32_conv2d_stem_scratch_floats((int)cd->C, (int)c->H, (int)c->W, (int)c->OH, (int)c->OW, (int)c->KH,
                                             (int)c->KW, (int)c->sh, (int)c->sw, (int)c->dh, (int)c->dw, (int)c->pl);
}

/* A depthwise conv for the shim-based kernel (templates/conv/f32-conv2d-simd.c). */
static bool conv_dw_simd(const Target *t, const ConvDims *cd) {
  return t && t->shim && conv_depthwise(cd) && cd->c.sh == cd->c.sw;
}

/* Its scratch in floats: vitc__f32_dwconv2d_geometry in the template. */
static int64_t dw_scratch_floats(const ConvDims *cd) {
  const Window2D *c = &cd->c;
  int64_t s = c->sw, reach = (c->OW - 1) * s + (c->KW - 1) * c->dw + 1;
  int64_t wp = c->pl + c->W > reach ? c->pl + c->W : reach;
  int64_t ly = (c->OH * wp + 15) / 16 * 16;
  int64_t lx = s * (ly - 1) + (c->KH - 1) * c->dh * wp + (c->KW - 1) * c->dw + 1, lx2 = (c->pt + c->H) * wp;
  if (lx2 > lx) lx = lx2;
  return s * ((lx + s - 1) / s) + ly;
}

/* The implicit GEMM's floats of phase planes per band of output rows: keep equal to
 * VITC__CONV2D_BAND_FLOATS (templates/gemm/f32-gemm-driver.c). */
#define CONV_BAND_FLOATS 65536

/* A 3x3, stride-1 conv of group 1 without dilation and with constant weights, on
 * a SIMD target, runs as Winograd's F(2x2, 3x3)
 * (templates/conv/f32-conv2d-winograd-simd.c): 16 products over the input
 * channels per 2x2 outputs instead of 36, on the target's packed GEMM, with the
 * weights transformed and packed here. The transforms cost O(C_in + C_out) per
 * tile against the products' savings of O(C_in * C_out), so it pays from 16
 * channels in and 32 out; at most 512 in (K in one GEMM block). Zen 4, CPU time
 * of the kernels alone, GEMM conv -> Winograd, avx512 (avx2 alike): 16 -> 32 at
 * 16x16, batch 2 (DropoutViT's stem) 60 -> 45 us; 32 -> 32 at 24x16 92 -> 55;
 * 32 -> 32 at 128x128 4055 -> 2744; MobileViT-XXS's 96 -> 48 at 32x32 957 -> 634,
 * 128 -> 64 at 16x16 497 -> 212, 160 -> 80 at 8x8 248 -> 97; but 16 -> 16 at
 * 96x64 323 -> 429, 24 -> 24 at 48x32 even, 24 -> 8 at 32x32 55 -> 101 (too
 * few channels out). Its epilogue is an activation only (a gate or residual keeps
 * the GEMM conv), and --threads keeps the GEMM conv's split by output channels. */
static bool conv_winograd(Graph *g, Node *n, const Target *t, const ConvDims *cd) {
  const Window2D *c = &cd->c;
  Tensor *wt = node_in(g, n, 1);
  return t && t->shim && cd->group == 1 && c->KH == 3 && c->KW == 3 && c->sh == 1 && c->sw == 1 && c->dh == 1 &&
         c->dw == 1 && cd->C >= 16 && cd->C <= 512 && cd->M >= 32 && wt && wt->data;
}

/* Channels rounded up to 16 (VITC__WINO_CP in the template). */
static int64_t wino_cp(int64_t c) { return (c + 15) / 16 * 16; }

/* Tiles per round: V, M and Z of tc tiles within 32 Ki floats (128 KiB, so they
 * stay near the core between the transforms and the products), whole
 * micro-panels of the GEMM's MR rows, at least one; all of them when they fit.
 * dropout_vit's 16 -> 32 conv (128 tiles): 43 us in one round, 40 in rounds of
 * 36 tiles; MobileViT's 96 -> 48, 128 -> 64 and 64 -> 64 within 3% from 12 to
 * 96 tiles a round. */
static int64_t wino_tiles_per_round(const Target *t, const ConvDims *cd) {
  int64_t T = cd->N * ((cd->c.OH + 1) / 2) * ((cd->c.OW + 1) / 2), mr = t->gemm_mr;
  int64_t tc = 32768 / (16 * (wino_cp(cd->C) + wino_cp(cd->M)) + 4 * wino_cp(cd->M)) / mr * mr;
  if (tc < mr) tc = mr;
  return tc < T ? tc : T;
}

/* Its scratch in floats: VITC_F32_CONV2D_WINOGRAD_SCRATCH in the template. */
static int64_t wino_scratch_floats(const Target *t, const ConvDims *cd) {
  int64_t cp = wino_cp(cd->C), cq = wino_cp(cd->M), tc = wino_tiles_per_round(t, cd);
  int64_t hp = 2 * ((cd->c.OH + 1) / 2) + 2, wp = 2 * ((cd->c.OW + 1) / 2) + 2;
  return 16 * cp + cd->N * hp * wp * cp + 16 * tc * (cp + cq) + 4 * tc * cq;
}

/* U_xi = (G g G^T)[xi] for each output channel m and input channel c, as 16
 * matrices (C_in, C_out) packed for the target's GEMM, u_stride floats apart
 * (computed in double, rounded once). */
static const char *wino_weights(Emitter *e, const Tensor *wt, int64_t M, int64_t C, int64_t *u_stride) {
  static const double G[4][3] = {{1, 0, 0}, {0.5, 0.5, 0.5}, {0.5, -0.5, 0.5}, {0, 0, 1}};
  const float *w = wt->data;
  int64_t nr = emit_target(e)->gemm_nr, np = (M + nr - 1) / nr;
  float *u = xmalloc((size_t)(16 * C * M) * sizeof(float)); /* u[xi][c][m] */
  for (int64_t m = 0; m < M; m++)
    for (int64_t c = 0; c < C; c++) {
      const float *g = w + (m * C + c) * 9;
      double gg[4][3];
      for (int a = 0; a < 4; a++)
        for (int j = 0; j < 3; j++) gg[a][j] = G[a][0] * g[j] + G[a][1] * g[3 + j] + G[a][2] * g[6 + j];
      for (int a = 0; a < 4; a++)
        for (int b = 0; b < 4; b++)
          u[((a * 4 + b) * C + c) * M + m] = (float)(gg[a][0] * G[b][0] + gg[a][1] * G[b][1] + gg[a][2] * G[b][2]);
    }
  *u_stride = np * nr * C;
  float *p = xmalloc((size_t)(16 * *u_stride) * sizeof(float));
  for (int xi = 0; xi < 16; xi++) gemm_pack_panels(nr, u + xi * C * M, C, M, M, 1, 1.0f, p + xi * *u_stride);
  char hint[300];
  snprintf(hint, sizeof hint, "%s_wino%" PRId64, wt->name, nr);
  const char *ref = emit_const(e, hint, DT_FLOAT, 16 * *u_stride, p);
  free(u);
  free(p);
  return ref;
}

static size_t scratch_conv_other(Graph *g, Node *n, const Target *t);

/* The stem conv's scratch, or when its epilogue or --threads rules it out the
 * other path's: room for either. */
static size_t scratch_conv(Graph *g, Node *n, const Target *t) {
  ConvDims cd;
  size_t other = scratch_conv_other(g, n, t);
  if (conv_dims(g, n, &cd) || !conv_stem(t, &cd)) return other;
  size_t stem = (size_t)stem_scratch_floats(&cd) * sizeof(float);
  return stem > other ? stem : other;
}

static size_t scratch_conv_other(Graph *g, Node *n, const Target *t) {
  ConvDims cd;
  if (conv_dims(g, n, &cd)) return 0;
  if (conv_dw_simd(t, &cd)) return (size_t)dw_scratch_floats(&cd) * sizeof(float);
  if (conv_direct(&cd)) return t && t->shim ? (size_t)direct_scratch_floats(&cd.c) * sizeof(float) : 0;
  if (conv_packed(t, &cd)) { /* VITC_F32_CONV2D_SCRATCH (templates/gemm/f32-gemm-driver.c) */
    /* Winograd, or the GEMM conv when the epilogue or --threads rules it out: room for either */
    int64_t wino = conv_winograd(g, n, t, &cd) ? wino_scratch_floats(t, &cd) : 0;
    const Window2D *c = &cd.c;
    int64_t kdim = cd.C / cd.group * c->KH * c->KW, ohw = c->OH * c->OW, nr = t->gemm_nr;
    int kc = conv_kc(kdim);
    /* VITC__CONV2D_CHUNK: the im2col matrix is packed 64 Ki floats of whole panels at a time */
    int64_t panels = 65536 / (kdim ? kdim : 1) / nr, chunk = (ohw + nr - 1) / nr;
    if (panels < 1) panels = 1;
    if (chunk > panels) chunk = panels;
    int64_t panel = conv_pointwise(c) ? nr * kdim : chunk * nr * kdim;
    int64_t ap = t->gemm_mr * (kc ? kc : (kdim ? kdim : 1));
    /* a padded conv's planes with their padding explicit, in phases (VITC__CONV2D_PHASED) */
    int64_t hp = conv_padded_extent(c->pt, c->H, c->OH, c->sh, c->KH, c->dh);
    int64_t wpad = conv_padded_extent(c->pl, c->W, c->OW, c->sw, c->KW, c->dw);
    int64_t total = panel + ap;
    if (!conv_pointwise(c) && (c->pt || c->pl || hp != c->H || wpad != c->W)) {
      int64_t wq = (wpad + c->sw - 1) / c->sw, plane = cd.C / cd.group * ((hp + c->sh - 1) / c->sh * c->sh) * (wq * c->sw);
      total += plane;
      /* VITC__CONV2D_IMPLICIT may hold: VITC_F32_CONV2D_SCRATCH_IMPLICIT, one band's planes (VITC__CONV2D_BAND_ROWS) */
      int64_t halo = (c->KH - 1) * c->dh / c->sh, row = cd.C / cd.group * c->sh * c->sw * wq;
      int64_t rows = CONV_BAND_FLOATS / row - halo < c->OH ? CONV_BAND_FLOATS / row - halo : c->OH;
      if (!kc && rows > 0) {
        int64_t mr = t->gemm_mr, cout_g = cd.M / cd.group;
        int64_t implicit = 2 * kdim + (cout_g + mr - 1) / mr * mr * kdim + row * (rows + halo) + nr + c->KW * c->dw;
        if (implicit > total) total = implicit;
      }
    }
    return (size_t)(wino > total ? wino : total) * sizeof(float);
  }
  if (cd.group == cd.C || conv_pointwise(&cd.c)) return 0;
  const Window2D *c = &cd.c;
  return (size_t)(cd.C / cd.group * c->KH * c->KW * c->OH * c->OW) * sizeof(float);
}

/* The call of a kernel with the conv's geometry, X, W, bias, Y, the epilogue literal
 * and the node's scratch (the depthwise and stem convs), from template stem. */
static int emit_conv_call(Emitter *e, Graph *g, Node *n, const ConvDims *cd, const Epilogue *ep, const char *stem,
                          const char *fn) {
  char epi[2048], geom[512], cout_m[32];
  snprintf(cout_m, sizeof cout_m, "%" PRId64, cd->M);
  emit_use_kernel(e, stem);
  emit_line(e, "%s(%s, %s, %s, %s, %s, %s, %s);", emit_kfn(e, fn), conv_geometry_args(geom, sizeof geom, cd, cout_m),
            emit_ref(e, n->in[0]), emit_ref(e, n->in[1]), node_in(g, n, 2) ? emit_ref(e, n->in[2]) : "NULL",
            emit_ref(e, n->out[0]), epi_literal(e, ep, n, NULL, NULL, cd->c.OH * cd->c.OW, epi, sizeof epi),
            emit_scratch(e));
  return 0;
}

/* Conv or vitc.Conv (ep: its epilogue, activation/gate/residual; none for Conv). */
static int emit_conv_epi(Emitter *e, Graph *g, Node *n, const Epilogue *ep) {
  ConvDims cd;
  if (conv_dims(g, n, &cd)) return -1;
  const Window2D c = cd.c;
  const Target *t = emit_target(e);
  const int64_t ohw = c.OH * c.OW;
  char epi[2048], what[512], geom[512], cout_m[32];
  snprintf(cout_m, sizeof cout_m, "%" PRId64, cd.M);
  if (epi_any(ep))
    emit_line(e, "/* Y (%" PRId64 ",%" PRId64 ",%" PRId64 "x%" PRId64 ") = conv(X)%s%s */", cd.N, cd.M, c.OH, c.OW,
              node_in(g, n, 2) ? " + bias" : "", epi_describe(ep, what, sizeof what));
  if (conv_dw_simd(t, &cd)) return emit_conv_call(e, g, n, &cd, ep, "conv/f32-conv2d", "vitc_f32_conv2d_depthwise");
  if (conv_direct(&cd)) { /* then vitc.Conv's epilogue over its few output planes, in place */
    emit_use_kernel(e, "conv/f32-conv2d-direct");
    emit_line(e, "/* Y (%" PRId64 ",%" PRId64 ",%" PRId64 ",%" PRId64 ") = direct conv, %" PRId64 "x%" PRId64
                 " taps over %" PRId64 " channels + bias */",
              cd.N, cd.M, c.OH, c.OW, c.KH, c.KW, cd.C);
    emit_line(e, "%s(%s, %s, %s, %s, %s, %s);", emit_kfn(e, "vitc_f32_conv2d_direct"),
              conv_geometry_args(geom, sizeof geom, &cd, cout_m), emit_ref(e, n->in[0]), emit_ref(e, n->in[1]),
              node_in(g, n, 2) ? emit_ref(e, n->in[2]) : "NULL", emit_ref(e, n->out[0]),
              t->shim ? emit_scratch(e) : "NULL");
    if (epi_any(ep)) {
      emit_use_kernel(e, "gemm/f32-gemm");
      emit_line(e, "%s(%" PRId64 ", %" PRId64 ", %s, %" PRId64 ", %s, 0);", emit_kfn(e, "vitc_f32_gemm_epilogue"),
                cd.N * cd.M, ohw, emit_ref(e, n->out[0]), ohw, epi_literal(e, ep, n, NULL, NULL, ohw, epi, sizeof epi));
    }
    return 0;
  }
  if (conv_stem(t, &cd) && !ep->gate_mode && !ep->has_res && emit_threads(e) <= 1)
    return emit_conv_call(e, g, n, &cd, ep, "conv/f32-conv2d-stem", "vitc_f32_conv2d_stem");
  if (conv_winograd(g, n, t, &cd) && !ep->gate_mode && !ep->has_res && emit_threads(e) <= 1) {
    int64_t u_stride, tc = wino_tiles_per_round(t, &cd);
    const char *U = wino_weights(e, node_in(g, n, 1), cd.M, cd.C, &u_stride);
    const char *gemm = gemm_tile_fn(e, "vitc_f32_gemm");
    emit_use_kernel(e, "conv/f32-conv2d-winograd");
    emit_line(e, "/* Winograd F(2x2,3x3): %" PRId64 " tiles, %" PRId64 " per round; 16 products (tiles, %" PRId64
                 ") @ U (%" PRId64 ",%" PRId64 ") */",
              cd.N * ((c.OH + 1) / 2) * ((c.OW + 1) / 2), tc, cd.C, cd.C, cd.M);
    emit_line(e, "%s(%" PRId64 ", %" PRId64 ", %" PRId64 ", %" PRId64 ", %" PRId64 ", %" PRId64 ", %" PRId64
                 ", %" PRId64 ", %" PRId64 ", %s, %s, %" PRId64 ", %s, %s, %s, %" PRId64 ", %s, %s);",
              emit_kfn(e, "vitc_f32_conv2d_winograd"), cd.N, cd.C, c.H, c.W, cd.M, c.OH, c.OW, c.pt, c.pl,
              emit_ref(e, n->in[0]), U, u_stride, node_in(g, n, 2) ? emit_ref(e, n->in[2]) : "NULL",
              emit_ref(e, n->out[0]), epi_literal(e, ep, n, NULL, NULL, ohw, epi, sizeof epi), tc, gemm,
              emit_scratch(e));
    return 0;
  }
  /* With --threads: one image, one group (a ViT's patch embedding) is split by
   * output channels, the GEMM's rows; each task gathers the im2col panels into
   * its own scratch, and writes its channels' planes. */
  bool splits = cd.N == 1 && cd.group == 1 && !conv_depthwise(&cd);
  EmitRows r = emit_rows_begin(e, cd.M, !splits ? 0 : conv_packed(t, &cd) ? t->gemm_mr : 8); /* unit 0: serial */
  const char *X = emit_ref(e, n->in[0]);
  const char *Wt = emit_rows_ptr(e, &r, emit_ref(e, n->in[1]), cd.C * c.KH * c.KW);
  const char *bias = emit_rows_ptr(e, &r, node_in(g, n, 2) ? emit_ref(e, n->in[2]) : "NULL", 1);
  const char *Y = emit_rows_ptr(e, &r, emit_ref(e, n->out[0]), ohw);
  const char *cout_s = r.count; /* C_out of this call */
  if (conv_packed(t, &cd)) {
    char stem[64], fn[64];
    snprintf(stem, sizeof stem, "gemm/f32-gemm-%dx%d", t->gemm_mr, t->gemm_nr);
    snprintf(fn, sizeof fn, "vitc_f32_conv2d_%dx%d", t->gemm_mr, t->gemm_nr);
    emit_use_kernel(e, stem);
    emit_line(e, "%s(%s, %" PRId64 ", %s, %s, %s, %s, %s, %d, 0, %s);", emit_kfn(e, fn),
              conv_geometry_args(geom, sizeof geom, &cd, cout_s), cd.group, X, Wt, bias, Y,
              epi_literal(e, ep, n, NULL, &r, ohw, epi, sizeof epi), conv_kc(cd.C / cd.group * c.KH * c.KW),
              emit_scratch(e));
    emit_rows_end(e, &r);
    return 0;
  }
  emit_use_kernel(e, "gemm/f32-gemm");
  emit_use_kernel(e, "conv/f32-conv2d");
  bool needs_scratch = cd.group != cd.C && !conv_pointwise(&c);
  emit_line(e, "%s(%s, %" PRId64 ", %s, %s, %s, %s, %s);", emit_kfn(e, "vitc_f32_conv2d"),
            conv_geometry_args(geom, sizeof geom, &cd, cout_s), cd.group, X, Wt, bias, Y,
            needs_scratch ? emit_scratch(e) : "NULL");
  if (epi_any(ep)) /* the reference conv, then the epilogue over its (images x channels) rows of OH*OW */
    emit_line(e, "%s(%" PRId64 " * %s, %" PRId64 ", %s, %" PRId64 ", %s, 0);", emit_kfn(e, "vitc_f32_gemm_epilogue"),
              cd.N, cout_s, ohw, Y, ohw, epi_literal(e, ep, n, NULL, &r, ohw, epi, sizeof epi));
  emit_rows_end(e, &r);
  return 0;
}

static int emit_conv(Emitter *e, Graph *g, Node *n) {
  static const Epilogue none;
  return emit_conv_epi(e, g, n, &none);
}

static int64_t macs_conv(Graph *g, Node *n) {
  ConvDims cd; /* infer already checked the shapes */
  if (conv_dims(g, n, &cd)) return 0;
  int64_t taps = cd.C / cd.group;
  for (int i = 0; i < cd.w.nsp; i++) taps *= cd.w.k[i];
  return shape_numel(&cd.out) * taps;
}

const OpImpl op_impl_Conv = {.infer = infer_conv, .emit = emit_conv, .scratch = scratch_conv, .macs = macs_conv};

/* ---------------- vitc.Conv ---------------- */

/* Conv + the GEMM epilogue (ir/ops.def, ops/epilogue.h): the same kernels, which
 * apply the activation, gate and residual as they store Y. */
static int infer_vconv(Graph *g, Node *n) {
  ConvDims cd;
  Epilogue ep;
  if (conv_dims(g, n, &cd) || epi_read(g, n, &cd.out, &ep)) return -1;
  if (ep.n_ranges) return node_err(g, n, "a conv's epilogue has one activation (no ranges)");
  set_output(g, n, 0, DT_FLOAT, &cd.out);
  return 0;
}

static int emit_vconv(Emitter *e, Graph *g, Node *n) {
  ConvDims cd;
  Epilogue ep;
  if (conv_dims(g, n, &cd) || epi_read(g, n, &cd.out, &ep)) return -1;
  return emit_conv_epi(e, g, n, &ep);
}

const OpImpl op_impl_VitcConv = {.infer = infer_vconv, .emit = emit_vconv, .scratch = scratch_conv, .macs = macs_conv};
