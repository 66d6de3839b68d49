/* passes/fuse_gemm_epilogue.c: a product by constant weights and the element-wise
 * ops after it become one vitc.Gemm (ir/ops.def has the contract).
 *
 *     y = MatMul(A, W)                 W a float32 constant [K, N]
 *         or Gemm(A, B, C)             B constant; alpha = beta = 1, transA = 0;
 *                                      transB = 1 transposes B into a new [K, N]
 *                                      constant (only when nothing else reads B);
 *                                      C absent, or a constant bias as below
 *     y = Add(y, bias)                 optional: a float32 constant of N elements
 *                                      varying along the last axis only
 *     y = Gelu(y) | Relu(y)            optional
 *     y = Add(y, r)                    optional: r has y's shape (a residual)
 *
 * becomes vitc.Gemm(A, W, bias, residual; activation) writing the last y. Every
 * intermediate must be read only by the next op and not be a graph output; each
 * step must keep y's shape (nothing broadcasts y up). A bare MatMul by constant
 * weights becomes a vitc.Gemm too, so the emitter can pack its weights.
 *
 * Inputs of the new node: A, W, then bias and residual; an absent bias before a
 * present residual is -1, absent trailing inputs are left out (node_in() returns
 * NULL for both). Attribute `activation`: 0 none, 1 GELU (erf), 2 GELU (tanh),
 * 3 ReLU (the order in which the epilogue applies them: bias, activation,
 * residual).
 *
 * The pass does nothing while vitc.Gemm has no implementation (no infer in
 * ops/matmul.c); rewrite_gemm_epilogue() is the rewrite alone, for the tests. */
#include <stdlib.h>
#include <string.h>

#include "ops/op.h"
#include "passes/match.h"
#include "passes/passes.h"

enum { ACT_NONE = 0, ACT_GELU = 1, ACT_GELU_TANH = 2, ACT_RELU = 3 };

/* A bias for N output columns from constant c, as a [N] tensor (c itself, or a
 * reshaped or expanded copy); -1 if c is not one. */
static int bias_vector(Graph *g, int c, int64_t N) {
  if (!pm_is_f32(g, c) || !g->t[c].data) return -1;
  const Shape *s = &g->t[c].shape;
  int64_t numel = shape_numel(s);
  Shape sn = {1, {N}};
  if (numel == 1 && N != 1) { /* a scalar bias: expand it */
    float *v = xmalloc((size_t)N * sizeof(float) + 1);
    for (int64_t j = 0; j < N; j++) v[j] = ((const float *)g->t[c].data)[0];
    int t = pm_add_const_f32(g, g->t[c].name, &sn, v);
    free(v);
    return t;
  }
  if (numel != N || s->rank < 1 || s->d[s->rank - 1] != N) return -1;
  if (s->rank == 1) return c;
  return pm_add_const_f32(g, g->t[c].name, &sn, g->t[c].data);
}

/* The weights of a Gemm as [K, N]: B itself or B transposed into a new constant. */
static int gemm_weights(Graph *g, const Node *n) {
  int b = n->in[1];
  if (!pm_is_f32(g, b) || !g->t[b].data || g->t[b].shape.rank != 2) return -1;
  if (!attr_int(n, "transB", 0)) return b;
  if (tensor_uses(g, b) != 1) return -1; /* would duplicate the weights */
  int64_t Nn = g->t[b].shape.d[0], K = g->t[b].shape.d[1];
  const float *src = g->t[b].data;
  float *w = xmalloc((size_t)(K * Nn) * sizeof(float) + 1);
  for (int64_t k = 0; k < K; k++)
    for (int64_t j = 0; j < Nn; j++) w[k * Nn + j] = src[j * K + k];
  Shape s = {2, {K, Nn}};
  char *name = xmalloc(strlen(g->t[b].name) + 16);
  strcpy(name, g->t[b].name);
  strcat(name, "_kn");
  int t = pm_add_const_f32(g, name, &s, w);
  free(name);
  free(w);
  return t;
}

/* Try at MatMul or Gemm node `mi`; 1 if replaced. */
static int try_at(Graph *g, int mi) {
  const Node *mm = &g->n[mi];
  if (mm->n_out != 1 || mm->n_in < 2) return 0;
  int a = mm->in[0], y = mm->out[0], w, bias = -1;
  if (!pm_is_f32(g, a) || !pm_is_f32(g, y) || g->t[a].shape.rank < 1) return 0;
  if (mm->op == OP_MatMul) {
    w = mm->in[1];
    if (!pm_is_f32(g, w) || !g->t[w].data || g->t[w].shape.rank != 2) return 0;
  } else {
    if (attr_int(mm, "transA", 0) != 0 || attr_float(mm, "alpha", 1.0f) != 1.0f) return 0;
    if (node_in(g, mm, 2) && attr_float(mm, "beta", 1.0f) != 1.0f) return 0;
    if (g->t[a].shape.rank != 2 || g->t[y].shape.rank != 2) return 0;
    int64_t N = g->t[y].shape.d[1];
    if (node_in(g, mm, 2) && (!node_in_const(g, mm, 2) || !pm_is_f32(g, mm->in[2]))) return 0;
    /* C must be a bias ([N], [1, N] or a scalar), not a full [M, N] addend */
    const Tensor *c = node_in(g, mm, 2);
    if (c && shape_numel(&c->shape) != 1 && shape_numel(&c->shape) != N) return 0;
    if (c && shape_numel(&c->shape) == N && c->shape.d[c->shape.rank - 1] != N) return 0;
    w = gemm_weights(g, mm);
    if (w < 0) return 0;
    if (c && (bias = bias_vector(g, mm->in[2], N)) < 0) return 0;
    mm = &g->n[mi]; /* constants were added; nodes did not move, but stay safe */
  }
  int64_t K = g->t[w].shape.d[0], N = g->t[w].shape.d[1];
  if (g->t[a].shape.d[g->t[a].shape.rank - 1] != K) return 0;

  int kill[4], nk = 0, last = mi, act = ACT_NONE, res = -1;
  int u = pm_only_user(g, y);
  /* bias */
  if (bias < 0 && u >= 0 && g->n[u].op == OP_Add && pm_same_shape(g, g->n[u].out[0], y)) {
    int c = pm_other_input(&g->n[u], y);
    if (c >= 0 && g->t[c].data && (bias = bias_vector(g, c, N)) >= 0) {
      kill[nk++] = last;
      last = u;
      y = g->n[u].out[0];
      u = pm_only_user(g, y);
    }
  }
  /* activation */
  if (u >= 0 && (g->n[u].op == OP_Gelu || g->n[u].op == OP_Relu) && pm_same_shape(g, g->n[u].out[0], y)) {
    if (g->n[u].op == OP_Relu) act = ACT_RELU;
    else act = strcmp(attr_str(&g->n[u], "approximate", "none"), "tanh") == 0 ? ACT_GELU_TANH : ACT_GELU;
    kill[nk++] = last;
    last = u;
    y = g->n[u].out[0];
    u = pm_only_user(g, y);
  }
  /* residual */
  if (u >= 0 && g->n[u].op == OP_Add && pm_same_shape(g, g->n[u].out[0], y)) {
    int r = pm_other_input(&g->n[u], y);
    if (r >= 0 && pm_is_f32(g, r) && pm_same_shape(g, r, y)) {
      res = r;
      kill[nk++] = last;
      last = u;
      y = g->n[u].out[0];
    }
  }

  char *name = pm_name(g->n[mi].name, "Gemm");
  for (int k = 0; k < nk; k++) g->n[kill[k]].dead = true;
  int in[4] = {a, w, bias, res};
  int n_in = res >= 0 ? 4 : bias >= 0 ? 3 : 2;
  int ni = pm_replace(g, last, OP_VitcGemm, name, in, n_in, &y, 1);
  free(name);
  node_add_attr(g, ni, "activation", ATTR_INT)->i = act;
  return 1;
}

int rewrite_gemm_epilogue(Graph *g) {
  int changed = 0;
  for (int i = 0; i < g->nn; i++)
    if (!g->n[i].dead && (g->n[i].op == OP_MatMul || g->n[i].op == OP_Gemm)) changed |= try_at(g, i);
  return changed;
}

int pass_fuse_gemm_epilogue(Graph *g) {
  if (!op_impl(OP_VitcGemm)->infer) return 0; /* vitc.Gemm not implemented yet (ops/matmul.c) */
  return rewrite_gemm_epilogue(g);
}
