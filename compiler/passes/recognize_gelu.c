/* passes/recognize_gelu.c: GELU written out in elementary ops becomes one Gelu node.
 *
 * Before opset 20 ONNX had no Gelu, so exporters write it out. The exact (erf)
 * form, 0.5 x (1 + erf(x / sqrt 2)), as torch exports nn.GELU():
 *
 *     u = Div(x, 1.4142135)        or Mul(x, 0.70710678), either order
 *     e = Erf(u)
 *     a = Add(e, 1)                either order
 *
 * and the tanh form, 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))), as torch
 * exports nn.GELU(approximate="tanh"):
 *
 *     c = Mul(x, Mul(x, x))        or Pow(x, 3), Mul(Mul(x, x), x)
 *     k = Mul(0.044715, c)         either order
 *     i = Add(x, k)                either order
 *     t = Tanh(Mul(0.7978845608, i))
 *     a = Add(t, 1)                either order
 *
 * both ending in one of the orderings of the product 0.5 * x * a:
 *
 *     Mul(Mul(x, a), 0.5)   (torch)      Mul(Mul(x, 0.5), a)      Mul(x, Mul(a, 0.5))
 *
 * (each Mul in either operand order). The result is Gelu(x; approximate = none or
 * tanh), an internal use of the opset-20 op that vitc accepts at every opset.
 *
 * Constants must be one-element float32 constants within 1e-6 relative of the
 * exact values; every intermediate must be read only by the next node of the
 * pattern and not be a graph output, and have x's shape. */
#include <stdlib.h>

#include "ir/diag.h"
#include "passes/match.h"
#include "passes/passes.h"

#define SQRT2 1.41421356237309504880
#define SQRT_2_OVER_PI 0.79788456080286535588

/* Node `ni` is a two-input `op` reading t and a one-element constant close to `want`. */
static bool op_with_const(const Graph *g, int ni, OpKind op, int t, double want) {
  if (ni < 0 || g->n[ni].op != op || g->n[ni].n_in != 2) return false;
  double v;
  int c = pm_other_input(&g->n[ni], t);
  if (op == OP_Div && g->n[ni].in[0] != t) return false; /* Div(t, c), not Div(c, t) */
  return c >= 0 && pm_const_scalar(g, c, &v) && pm_close(v, want, PM_REL);
}

/* The product 0.5 * x * a after a (the "1 + erf/tanh" tensor): returns the node
 * writing the result and adds the nodes of the product to kill[], or -1. */
static int match_product(const Graph *g, int x, int a, int *kill, int *nk) {
  int m1 = pm_only_user(g, a);
  if (m1 < 0 || g->n[m1].op != OP_Mul || !pm_same_shape(g, g->n[m1].out[0], x)) return -1;
  int o = pm_other_input(&g->n[m1], a);
  if (o < 0) return -1;
  double v;
  if (o == x || pm_const_scalar(g, o, &v)) {
    /* Mul(Mul(x, a), 0.5) or Mul(Mul(a, 0.5), x) */
    if (o != x && !pm_close(v, 0.5, PM_REL)) return -1;
    int t = g->n[m1].out[0], m2 = pm_only_user(g, t);
    if (m2 < 0 || g->n[m2].op != OP_Mul || !pm_same_shape(g, g->n[m2].out[0], x)) return -1;
    int o2 = pm_other_input(&g->n[m2], t);
    if (o == x ? !op_with_const(g, m2, OP_Mul, t, 0.5) : o2 != x) return -1;
    kill[(*nk)++] = m1;
    return m2;
  }
  /* Mul(Mul(x, 0.5), a) */
  int h = pm_producer(g, o, OP_Mul);
  if (h < 0 || !op_with_const(g, h, OP_Mul, x, 0.5) || pm_only_user(g, o) != m1) return -1;
  kill[(*nk)++] = h;
  return m1;
}

/* Add(t, 1) reading t: the node, or -1. */
static int plus_one(const Graph *g, int t, const int x) {
  int a = pm_only_user(g, t);
  if (!op_with_const(g, a, OP_Add, t, 1.0) || !pm_same_shape(g, g->n[a].out[0], x)) return -1;
  return a;
}

static int replace(Graph *g, int x, int last, const int *kill, int nk, const char *first_name, bool tanh_form) {
  char *name = pm_name(first_name, "Gelu");
  int out = g->n[last].out[0];
  for (int k = 0; k < nk; k++) g->n[kill[k]].dead = true;
  int ni = pm_replace(g, last, OP_Gelu, name, &x, 1, &out, 1);
  free(name);
  if (tanh_form) node_add_attr(g, ni, "approximate", ATTR_STRING)->s = xstrdup("tanh");
  return 1;
}

/* Erf node `ei`. */
static int try_erf(Graph *g, int ei) {
  int u = g->n[ei].in[0];
  int dv = pm_producer(g, u, -1);
  if (dv < 0 || pm_only_user(g, u) != ei || g->n[dv].n_in != 2) return 0;
  int x = g->n[dv].op == OP_Div ? g->n[dv].in[0] : -1;
  if (g->n[dv].op == OP_Div ? !op_with_const(g, dv, OP_Div, x, SQRT2) : g->n[dv].op != OP_Mul) return 0;
  if (g->n[dv].op == OP_Mul) {
    double v;
    x = pm_const_scalar(g, g->n[dv].in[0], &v) ? g->n[dv].in[1] : g->n[dv].in[0];
    if (!op_with_const(g, dv, OP_Mul, x, 1.0 / SQRT2)) return 0;
  }
  if (!pm_is_f32(g, x) || !pm_same_shape(g, u, x) || !pm_same_shape(g, g->n[ei].out[0], x)) return 0;
  int kill[8], nk = 0;
  kill[nk++] = dv;
  kill[nk++] = ei;
  int a = plus_one(g, g->n[ei].out[0], x);
  if (a < 0) return 0;
  kill[nk++] = a;
  int last = match_product(g, x, g->n[a].out[0], kill, &nk);
  if (last < 0) return 0;
  return replace(g, x, last, kill, nk, g->n[dv].name, false);
}

/* c == x^3 computed from x (Pow(x, 3) or x * (x * x) in any order); adds the
 * nodes to kill[]. */
static bool is_cube(const Graph *g, int c, int x, int *kill, int *nk) {
  int p = pm_producer(g, c, -1);
  if (p < 0 || !pm_same_shape(g, c, x)) return false;
  const Node *n = &g->n[p];
  double v;
  if (n->op == OP_Pow) {
    if (n->in[0] != x || !pm_const_number(g, n->in[1], &v) || v != 3.0) return false;
    kill[(*nk)++] = p;
    return true;
  }
  if (n->op != OP_Mul || n->n_in != 2) return false;
  int s = pm_other_input(n, x); /* the square */
  int q = pm_producer(g, s, OP_Mul);
  if (q < 0 || g->n[q].n_in != 2 || g->n[q].in[0] != x || g->n[q].in[1] != x || pm_only_user(g, s) != p) return false;
  kill[(*nk)++] = q;
  kill[(*nk)++] = p;
  return true;
}

/* Tanh node `ti`. */
static int try_tanh(Graph *g, int ti) {
  int kill[12], nk = 0;
  int ti_in = g->n[ti].in[0];
  int sc = pm_producer(g, ti_in, OP_Mul);
  if (sc < 0 || pm_only_user(g, ti_in) != ti) return 0;
  double v;
  int i = pm_const_scalar(g, g->n[sc].in[0], &v) ? g->n[sc].in[1] : g->n[sc].in[0];
  if (!op_with_const(g, sc, OP_Mul, i, SQRT_2_OVER_PI)) return 0;
  int ad = pm_producer(g, i, OP_Add);
  if (ad < 0 || pm_only_user(g, i) != sc || g->n[ad].n_in != 2) return 0;
  /* Add(x, k): try each operand as x */
  int x = -1;
  for (int side = 0; side < 2 && x < 0; side++) {
    int cand = g->n[ad].in[side], k = g->n[ad].in[1 - side];
    int km = pm_producer(g, k, OP_Mul);
    if (km < 0 || pm_only_user(g, k) != ad) continue;
    int c = pm_const_scalar(g, g->n[km].in[0], &v) ? g->n[km].in[1] : g->n[km].in[0];
    if (!op_with_const(g, km, OP_Mul, c, 0.044715) || pm_only_user(g, c) != km) continue;
    int save = nk;
    if (!is_cube(g, c, cand, kill, &nk)) {
      nk = save;
      continue;
    }
    kill[nk++] = km;
    x = cand;
  }
  if (x < 0 || !pm_is_f32(g, x) || !pm_same_shape(g, i, x) || !pm_same_shape(g, g->n[ti].out[0], x)) return 0;
  kill[nk++] = ad;
  kill[nk++] = sc;
  kill[nk++] = ti;
  int a = plus_one(g, g->n[ti].out[0], x);
  if (a < 0) return 0;
  kill[nk++] = a;
  int last = match_product(g, x, g->n[a].out[0], kill, &nk);
  if (last < 0) return 0;
  return replace(g, x, last, kill, nk, g->n[ti].name, true);
}

int pass_recognize_gelu(Graph *g) {
  int changed = 0;
  for (int i = 0; i < g->nn; i++) {
    if (g->n[i].dead) continue;
    if (g->n[i].op == OP_Erf) changed |= try_erf(g, i);
    else if (g->n[i].op == OP_Tanh) changed |= try_tanh(g, i);
  }
  return changed;
}
