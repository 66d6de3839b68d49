/* passes/recognize_layernorm.c: the decomposed LayerNorm of opset < 17 exports
 * becomes one LayerNormalization node.
 *
 * Before opset 17 ONNX had no LayerNormalization, so torch exports nn.LayerNorm as
 *
 *     m  = ReduceMean(x)            over the trailing axes, keepdims
 *     d  = Sub(x, m)
 *     p  = Pow(d, 2)                or Mul(d, d)
 *     v  = ReduceMean(p)            same axes
 *     ve = Add(v, eps)              either operand order
 *     s  = Sqrt(ve)
 *     n  = Div(d, s)                or Mul(d, Reciprocal(s)), Mul(d, Div(1, s)),
 *                                   Mul(d, Pow(ve, -0.5))
 *     y  = Mul(n, scale)            optional, either order
 *     z  = Add(y, bias)             optional, either order
 *
 * and this pass turns it into LayerNormalization(x, scale, bias; axis, epsilon)
 * writing z. The LayerNormalization op is used at any opset: it is internal here.
 *
 * It fires only when the rewrite is exact in real arithmetic and nothing else
 * sees the intermediates: m, p, v, ve, s, n, y have exactly the uses above and are
 * not graph outputs (d is read exactly by the square and the normalization); x
 * and every full-size intermediate have the same shape (nothing broadcasts x up);
 * both means reduce the same axes, and those are the trailing axes (the reduced
 * set is read from the shapes: an axis whose size changes to 1, size-1 axes being
 * irrelevant); eps is a one-element constant; scale and bias are float32 constants
 * that do not vary along the axes before the normalized ones. A missing scale
 * becomes a constant 1. Axes are recorded as negative (axis - rank). */
#include <stdlib.h>
#include <string.h>

#include "ir/diag.h"
#include "passes/match.h"
#include "passes/passes.h"

/* The normalized axis from m = ReduceMean(x) keepdims: the first of the trailing
 * axes it reduces; -1 if the reduced axes are not trailing (or none has size > 1). */
static int reduced_trailing_axis(const Graph *g, int x, int m) {
  const Shape *xs = &g->t[x].shape, *ms = &g->t[m].shape;
  if (ms->rank != xs->rank) return -1;
  int first = -1;
  for (int i = 0; i < xs->rank; i++) {
    bool reduced = ms->d[i] == 1 && xs->d[i] > 1;
    if (!reduced && ms->d[i] != xs->d[i]) return -1;
    if (reduced && first < 0) first = i;
    if (!reduced && first >= 0 && xs->d[i] != 1) return -1; /* a kept axis after a reduced one */
  }
  return first;
}

/* A float32 constant c applied element-wise to a tensor of x's shape, that does not
 * vary along the axes before `axis`: the tensor LayerNormalization can take
 * (c itself, or a copy without leading 1s when c has more dims than the normalized
 * shape); -1 if c does not qualify. */
static int per_column_param(Graph *g, int c, int x, int axis) {
  if (!pm_is_f32(g, c) || !g->t[c].data) return -1;
  const Shape *cs = &g->t[c].shape, *xs = &g->t[x].shape;
  if (cs->rank > xs->rank) return -1;
  int norm_rank = xs->rank - axis;
  for (int j = 0; j < cs->rank; j++) {
    int xd = j + xs->rank - cs->rank;
    if (cs->d[j] != 1 && (xd < axis || cs->d[j] != xs->d[xd])) return -1;
  }
  if (cs->rank <= norm_rank) return c;
  Shape s = {norm_rank, {0}};
  for (int j = 0; j < norm_rank; j++) s.d[j] = cs->d[cs->rank - norm_rank + j];
  return pm_add_const_f32(g, g->t[c].name, &s, g->t[c].data);
}

/* The node computing 1/sqrt(ve) or sqrt(ve) from ve (the Add of eps): returns the
 * node whose output the normalization reads, and whether it divides (Div(d, s))
 * or multiplies (Mul(d, r)). kill[] gets the nodes in between. */
static int rstd_chain(const Graph *g, int ve, bool *divides, int *kill, int *nk) {
  int u = pm_only_user(g, ve);
  if (u < 0) return -1;
  const Node *n = &g->n[u];
  double v;
  if (n->op == OP_Pow && n->n_in == 2 && n->in[0] == ve && pm_const_number(g, n->in[1], &v) && v == -0.5) {
    *divides = false;
    return u;
  }
  if (n->op != OP_Sqrt) return -1;
  int s = n->out[0], r = pm_only_user(g, s);
  if (r < 0) return -1;
  const Node *rn = &g->n[r];
  if (rn->op == OP_Div && rn->in[1] == s && !pm_const_scalar(g, rn->in[0], &v)) {
    *divides = true; /* Div(d, s): the normalization itself */
    kill[(*nk)++] = u;
    return u;
  }
  bool recip = rn->op == OP_Reciprocal ||
               (rn->op == OP_Div && rn->n_in == 2 && rn->in[1] == s && pm_const_scalar(g, rn->in[0], &v) && v == 1.0);
  if (!recip) return -1;
  kill[(*nk)++] = u;
  *divides = false;
  return r;
}

/* Try the pattern at Sub node `si`; 1 if replaced. */
static int try_at(Graph *g, int si) {
  const Node *sub = &g->n[si];
  if (sub->n_in != 2 || sub->n_out != 1) return 0;
  int x = sub->in[0], m = sub->in[1], d = sub->out[0];
  int rm1 = pm_producer(g, m, OP_ReduceMean);
  if (rm1 < 0 || g->n[rm1].in[0] != x || pm_only_user(g, m) != si) return 0;
  if (!pm_is_f32(g, x) || !pm_same_shape(g, x, d)) return 0;
  int axis = reduced_trailing_axis(g, x, m);
  if (axis < 0) return 0;

  int kill[16], nk = 0;
  kill[nk++] = rm1;
  kill[nk++] = si;
  /* d's readers: the square (Pow(d, 2) or Mul(d, d)) and the normalization */
  int sq = -1, norm = -1, uses = 0;
  for (int i = 0; i < g->nn; i++) {
    const Node *n = &g->n[i];
    if (n->dead) continue;
    int reads = 0;
    for (int k = 0; k < n->n_in; k++) reads += n->in[k] == d;
    if (!reads) continue;
    uses += reads;
    double v;
    if (n->op == OP_Pow && n->in[0] == d && reads == 1 && pm_const_number(g, n->in[1], &v) && v == 2.0) sq = i;
    else if (n->op == OP_Mul && n->n_in == 2 && reads == 2) sq = i;
    else norm = i;
  }
  if (sq < 0 || norm < 0 || g->t[d].is_output || uses != (g->n[sq].op == OP_Mul ? 3 : 2)) return 0;
  kill[nk++] = sq;
  int p = g->n[sq].out[0];
  int rm2 = pm_only_user(g, p);
  if (rm2 < 0 || g->n[rm2].op != OP_ReduceMean || g->n[rm2].in[0] != p) return 0;
  if (!pm_same_shape(g, p, x) || !pm_same_shape(g, g->n[rm2].out[0], m)) return 0;
  kill[nk++] = rm2;
  int v = g->n[rm2].out[0];
  int ae = pm_only_user(g, v);
  double eps;
  if (ae < 0 || g->n[ae].op != OP_Add || !pm_const_scalar(g, pm_other_input(&g->n[ae], v), &eps)) return 0;
  if (!pm_same_shape(g, g->n[ae].out[0], v)) return 0;
  kill[nk++] = ae;
  bool divides;
  int r = rstd_chain(g, g->n[ae].out[0], &divides, kill, &nk);
  if (r < 0) return 0;
  const Node *nn = &g->n[norm];
  if (divides) {
    if (nn->op != OP_Div || nn->in[0] != d || nn->in[1] != g->n[r].out[0]) return 0;
  } else {
    if (nn->op != OP_Mul || pm_other_input(nn, d) != g->n[r].out[0]) return 0;
    kill[nk++] = r;
  }
  if (!pm_same_shape(g, nn->out[0], x)) return 0;

  /* optional affine part: Mul(n, scale) then Add(., bias), constants only */
  int last = norm, out = nn->out[0], scale = -1, bias = -1;
  int u = pm_only_user(g, out);
  if (u >= 0 && g->n[u].op == OP_Mul && pm_same_shape(g, g->n[u].out[0], x)) {
    int c = pm_other_input(&g->n[u], out);
    if (c >= 0 && (scale = per_column_param(g, c, x, axis)) >= 0) {
      kill[nk++] = last;
      last = u;
      out = g->n[u].out[0];
      u = pm_only_user(g, out);
    }
  }
  if (u >= 0 && g->n[u].op == OP_Add && pm_same_shape(g, g->n[u].out[0], x)) {
    int c = pm_other_input(&g->n[u], out);
    if (c >= 0 && (bias = per_column_param(g, c, x, axis)) >= 0) {
      kill[nk++] = last;
      last = u;
      out = g->n[u].out[0];
    }
  }
  if (scale < 0) {
    static const float one = 1.0f;
    Shape s1 = {1, {1}};
    scale = pm_add_const_f32(g, "vitc_layernorm_ones", &s1, &one);
  }

  char *name = pm_name(g->n[rm1].name, "LayerNormalization");
  for (int k = 0; k < nk; k++) g->n[kill[k]].dead = true;
  int in[3] = {x, scale, bias};
  int ni = pm_replace(g, last, OP_LayerNormalization, name, in, bias >= 0 ? 3 : 2, &out, 1);
  free(name);
  node_add_attr(g, ni, "axis", ATTR_INT)->i = axis - g->t[x].shape.rank;
  node_add_attr(g, ni, "epsilon", ATTR_FLOAT)->f = (float)eps;
  return 1;
}

int pass_recognize_layernorm(Graph *g) {
  int changed = 0;
  for (int i = 0; i < g->nn; i++)
    if (!g->n[i].dead && g->n[i].op == OP_Sub) changed |= try_at(g, i);
  return changed;
}
