/* passes/eliminate_zero_attention.c: branches multiplied by a constant zero are
 * deleted (NOSE's degenerated attention, ../shared/PAPERS.md §1).
 *
 * A NOSE block trained down to lambda = 0 exports as
 *
 *     x' = Mul(x, 2 - lambda) + Mul(lambda, Attn(LN1(x)))      with lambda = 0
 *
 * so the whole attention subgraph (LayerNorm, QKV, softmax, projection) is
 * computed and then multiplied by zero. This pass finds every z = Mul(y, 0) (the
 * constant holding only zeros, in either operand) whose readers are all
 * Add(x, z), Add(z, x) or Sub(x, z) with x of the sum's shape, makes those
 * readers read x instead, and deletes the Mul and then every node that only fed
 * it (transitively: nodes none of whose outputs is read any more). It also
 * removes Add(x, C) / Sub(x, C) with C a constant of zeros that does not
 * broadcast x up (x + 0 = x).
 *
 * Exactness: 0 * y is 0 only when y is finite; IEEE gives 0 * inf = NaN and
 * 0 * NaN = NaN, so on a model whose attention branch overflows, ONNX Runtime
 * returns NaN where the bundle returns finite values (and x + 0 turns x = -0
 * into +0, which no later op but a division can tell apart). A NaN-exact compile
 * skips this pass: `vitc compile --strict-nan` (the pipeline table marks the pass
 * PASS_FINITE_ONLY). Sums that are graph outputs are left alone. */
#include <stdlib.h>

#include "ir/diag.h"
#include "passes/match.h"
#include "passes/passes.h"

static bool all_zero(const Graph *g, int t) {
  double v;
  return pm_const_uniform(g, t, &v) && v == 0.0;
}

/* Node `ri` reads zeros z: the tensor its output equals (x of Add(x, z) or
 * Sub(x, z)), or -1. */
static int sum_with_zero(const Graph *g, int ri, int z) {
  const Node *r = &g->n[ri];
  if ((r->op != OP_Add && r->op != OP_Sub) || r->n_in != 2 || r->n_out != 1) return -1;
  if (r->op == OP_Sub && r->in[1] != z) return -1;
  int x = pm_other_input(r, z);
  if (x < 0 || g->t[r->out[0]].is_output || !pm_same_shape(g, x, r->out[0])) return -1;
  if (!pm_is_f32(g, x)) return -1;
  return x;
}

static int cmp_int(const void *a, const void *b) { return (*(const int *)a > *(const int *)b) - (*(const int *)a < *(const int *)b); }

/* Delete node `ni` and then, backwards, the producers left without readers. */
static void kill_upstream(Graph *g, int ni) {
  int *stack = xmalloc(((size_t)g->nn + 1) * sizeof(int));
  int sp = 0;
  stack[sp++] = ni;
  g->n[ni].dead = true;
  while (sp) {
    Node *n = &g->n[stack[--sp]];
    for (int k = 0; k < n->n_in; k++) {
      int p = pm_producer(g, n->in[k], -1);
      if (p < 0) continue;
      bool read = false;
      for (int o = 0; o < g->n[p].n_out; o++)
        if (g->n[p].out[o] >= 0 && tensor_uses(g, g->n[p].out[o]) > 0) read = true;
      if (read) continue;
      g->n[p].dead = true;
      stack[sp++] = p;
    }
  }
  free(stack);
}

/* Mul node `mi`: if it multiplies by constant zeros and only feeds sums, bypass
 * the sums and delete the branch. */
static int try_mul(Graph *g, int mi) {
  const Node *m = &g->n[mi];
  if (m->n_in != 2 || m->n_out != 1) return 0;
  if (!all_zero(g, m->in[0]) && !all_zero(g, m->in[1])) return 0;
  int z = m->out[0];
  if (!pm_is_f32(g, z) || g->t[z].is_output) return 0;
  /* z's live readers, in node order (the graph's readers index, not a scan of the graph) */
  const int *r;
  int nr = graph_readers(g, z, &r), readers = 0;
  int *users = xmalloc(((size_t)nr + 1) * sizeof(int));
  for (int j = 0; j < nr; j++)
    if (!g->n[r[j]].dead && node_reads(&g->n[r[j]], z)) users[readers++] = r[j];
  qsort(users, (size_t)readers, sizeof(int), cmp_int);
  int nu = 0;
  for (int j = 0; j < readers; j++)
    if (nu == 0 || users[nu - 1] != users[j]) users[nu++] = users[j];
  for (int j = 0; j < nu; j++)
    if (sum_with_zero(g, users[j], z) < 0) {
      free(users);
      return 0;
    }
  if (!nu) { /* eliminate_dead's job */
    free(users);
    return 0;
  }
  for (int j = 0; j < nu; j++) {
    int i = users[j];
    if (g->n[i].dead) continue;
    int x = sum_with_zero(g, i, z);
    if (x < 0) continue;
    graph_replace_uses(g, g->n[i].out[0], x);
    g->n[i].dead = true;
  }
  free(users);
  kill_upstream(g, mi);
  return 1;
}

/* Add(x, C) or Sub(x, C) with C constant zeros and the sum of x's shape. */
static int try_sum(Graph *g, int ai) {
  const Node *a = &g->n[ai];
  if (a->n_in != 2 || a->n_out != 1) return 0;
  for (int k = 0; k < 2; k++) {
    int c = a->in[k];
    if (!all_zero(g, c)) continue;
    int x = sum_with_zero(g, ai, c);
    if (x < 0) continue;
    graph_replace_uses(g, a->out[0], x);
    g->n[ai].dead = true;
    return 1;
  }
  return 0;
}

int pass_eliminate_zero_attention(Graph *g) {
  int changed = 0;
  for (int i = 0; i < g->nn; i++) {
    if (g->n[i].dead) continue;
    if (g->n[i].op == OP_Mul) changed |= try_mul(g, i);
    else if (g->n[i].op == OP_Add || g->n[i].op == OP_Sub) changed |= try_sum(g, i);
  }
  return changed;
}
