/* passes/fold_batchnorm.c: an inference BatchNormalization right after a Conv or a
 * ConvTranspose is folded into the conv's weights and bias.
 *
 *     y = Conv(x, W, b)                       W, b (optional) float32 constants
 *     z = BatchNormalization(y, gamma, beta, mean, var; epsilon)   all constants
 *
 * becomes z = Conv(x, W', b') with, per output channel c,
 *
 *     s = gamma[c] / sqrt(var[c] + epsilon)
 *     W'[c, ...] = W[c, ...] * s          b'[c] = (b[c] - mean[c]) * s + beta[c]
 *
 * computed in double and rounded once. A ConvTranspose (the U-Net detector's
 * upsampling, then BN and ReLU) folds the same way; its weight is (C_in, C/group,
 * KH, KW), so output channel c = (ci / (C_in/group)) * (C/group) + co scales
 * W[ci, co, ...]. Exports that keep BatchNormalization
 * (torch's TrainingMode.PRESERVE, MobileNet and MobileViT stems, every inverted
 * residual) then run one conv instead of a conv and a pass over its output, and
 * fuse_gemm_epilogue can put the SiLU that follows into the conv's store.
 *
 * Exactness: not bit-exact. ONNX Runtime (optimizations off) rounds the conv's sum,
 * then x*s + t; the folded conv sums the scaled products. The difference is a few
 * roundings of the sum's magnitude, far inside the 1e-4 tolerance the tests hold
 * every output to (ONNX Runtime's own optimizer does the same fold). y must be read
 * only by the BatchNormalization, which must not be a graph output's producer of
 * y itself, and the BN's extra outputs (training statistics) must be unread. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ir/diag.h"
#include "passes/match.h"
#include "passes/passes.h"

static bool const_f32(const Graph *g, int t, int64_t n) {
  return t >= 0 && pm_is_f32(g, t) && g->t[t].data && shape_numel(&g->t[t].shape) == n;
}

static int try_bn(Graph *g, int bi) {
  const Node *bn = &g->n[bi];
  if (bn->n_in != 5 || attr_int(bn, "training_mode", 0) != 0) return 0;
  for (int o = 1; o < bn->n_out; o++)
    if (bn->out[o] >= 0 && tensor_uses(g, bn->out[o]) > 0) return 0;
  int y = bn->in[0], ci = pm_producer(g, y, OP_Conv);
  bool transposed = ci < 0;
  if (transposed) ci = pm_producer(g, y, OP_ConvTranspose);
  if (ci < 0 || pm_only_user(g, y) != bi) return 0;
  const Node *cv = &g->n[ci];
  if (cv->n_out != 1 || !pm_is_f32(g, y) || g->t[y].shape.rank < 3) return 0;
  int64_t C = g->t[y].shape.d[1], group = transposed ? attr_int(cv, "group", 1) : 1;
  int w = cv->in[1], b = cv->n_in > 2 ? cv->in[2] : -1;
  if (!pm_is_f32(g, w) || !g->t[w].data || g->t[w].shape.rank < 2 || group < 1 || C % group) return 0;
  /* a weight row (all of a channel's weights for Conv; W[ci, co] for ConvTranspose) and its output channel */
  int64_t rows = transposed ? g->t[w].shape.d[0] * g->t[w].shape.d[1] : C;
  int64_t cig = transposed ? g->t[w].shape.d[0] / group : 1, cog = C / group;
  if (transposed ? g->t[w].shape.d[1] != cog || g->t[w].shape.d[0] % group : g->t[w].shape.d[0] != C) return 0;
  if (b >= 0 && !const_f32(g, b, C)) return 0;
  for (int i = 1; i < 5; i++)
    if (!const_f32(g, bn->in[i], C)) return 0;
  const float *gamma = g->t[bn->in[1]].data, *beta = g->t[bn->in[2]].data;
  const float *mean = g->t[bn->in[3]].data, *var = g->t[bn->in[4]].data;
  const float *wv = g->t[w].data, *bv = b >= 0 ? g->t[b].data : NULL;
  double eps = attr_float(bn, "epsilon", 1e-5f);
  int64_t per = shape_numel(&g->t[w].shape) / (rows ? rows : 1);
  float *nw = xmalloc(sizeof(float) * (size_t)(rows * per + 1)), *nb = xmalloc(sizeof(float) * (size_t)(C + 1));
  for (int64_t r = 0; r < rows; r++) {
    int64_t c = transposed ? r / cog / cig * cog + r % cog : r; /* r = ci * cog + co */
    double s = (double)gamma[c] / sqrt((double)var[c] + eps);
    for (int64_t k = 0; k < per; k++) nw[r * per + k] = (float)((double)wv[r * per + k] * s);
  }
  for (int64_t c = 0; c < C; c++) {
    double s = (double)gamma[c] / sqrt((double)var[c] + eps);
    nb[c] = (float)(((bv ? (double)bv[c] : 0.0) - mean[c]) * s + beta[c]);
  }
  char *wname = pm_name(cv->name, "W_bn"), *bname = pm_name(cv->name, "B_bn");
  int w2 = pm_add_const_f32(g, wname, &g->t[w].shape, nw);
  Shape cs = {1, {C}};
  int b2 = pm_add_const_f32(g, bname, &cs, nb);
  free(wname), free(bname), free(nw), free(nb);
  cv = &g->n[ci];
  bn = &g->n[bi];
  int in[3] = {cv->in[0], w2, b2}, z = bn->out[0];
  g->n[ci].dead = true;
  int ni = pm_replace(g, bi, transposed ? OP_ConvTranspose : OP_Conv, g->n[ci].name, in, 3, &z, 1);
  pm_copy_attrs(g, ni, &g->n[ci]);
  return 1;
}

int pass_fold_batchnorm(Graph *g) {
  int changed = 0;
  for (int i = 0; i < g->nn; i++)
    if (!g->n[i].dead && g->n[i].op == OP_BatchNormalization) changed |= try_bn(g, i);
  return changed;
}
