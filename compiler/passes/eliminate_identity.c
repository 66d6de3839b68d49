/* passes/eliminate_identity.c: ops that compute nothing forward their input:
 * Identity, Dropout (inference), and a product by constant ones, Mul(x, 1),
 * Mul(1, x) or Div(x, 1), when the constant does not broadcast x up (the output has
 * x's shape and type). NOSE's blocks at lambda = 1 export (2 - 1) * x and
 * 1 * Attn(...) as such products.
 *
 * x * 1 == x for every float, -0, infinities and NaN included, so this is exact.
 * The consumers of the output read the input instead. When the output is a graph
 * output the node stays (it becomes a copy into the caller's buffer). */
#include "passes/match.h"
#include "passes/passes.h"

/* The input a Mul or Div by constant ones forwards, or -1. */
static int times_one(const Graph *g, const Node *n) {
  if ((n->op != OP_Mul && n->op != OP_Div) || n->n_in != 2) return -1;
  for (int k = 0; k < 2; k++) {
    double v;
    if (n->op == OP_Div && k == 0) continue; /* 1 / x is not x */
    int c = n->in[k], x = n->in[1 - k];
    if (!pm_const_uniform(g, c, &v) || v != 1.0) continue;
    if (!pm_is_f32(g, x) || !pm_same_shape(g, x, n->out[0])) continue;
    return x;
  }
  return -1;
}

int pass_eliminate_identity(Graph *g) {
  int changed = 0;
  for (int i = 0; i < g->nn; i++) {
    Node *n = &g->n[i];
    if (n->dead || n->n_out < 1 || n->out[0] < 0) continue;
    int in = -1;
    if (n->op == OP_Identity || n->op == OP_Dropout) {
      if (n->n_in < 1 || n->in[0] < 0) continue;
      if (n->op == OP_Dropout && n->n_out > 1 && n->out[1] >= 0 && tensor_uses(g, n->out[1]) > 0) continue;
      in = n->in[0];
    } else {
      in = times_one(g, n);
    }
    if (in < 0) continue;
    int out = n->out[0];
    if (g->t[out].is_output) continue;
    graph_replace_uses(g, out, in);
    n->dead = true;
    changed = 1;
  }
  return changed;
}
