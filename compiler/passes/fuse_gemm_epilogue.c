/* passes/fuse_gemm_epilogue.c: a product by constant weights and the element-wise
 * ops after it become one vitc.Gemm, and a convolution and its element-wise ops
 * one vitc.Conv (ir/ops.def has both contracts; the epilogue's order and codes are
 * templates/gemm/f32-gemm-epilogue.c's).
 *
 *     y = MatMul(A, W)                 W a float32 constant [K, N]
 *         or Gemm(A, B, C)             B constant; alpha = beta = 1, transA = 0;
 *                                      transB = 1 transposes B into a new [K, N]
 *                                      constant (only when nothing else reads B);
 *                                      C absent, or a constant bias as below
 *         or Conv(X, W, B)             W (and B) constant, 1-D or 2-D
 *     y = Add(y, bias)                 optional: a float32 constant of N elements
 *                                      varying along the last axis only (products),
 *                                      or of one value per channel (a conv's axis 1:
 *                                      added to the conv's bias, not bit-exact)
 *     y = Gelu(y) | Relu(y) | Sigmoid(y)
 *       | LeakyRelu(y) | HardSigmoid(y) | HardSwish(y)
 *       | Clip(y, lo, hi)              (constant bounds: Relu6; Clip(y, 0) is a ReLU)
 *       | Mul(y, Sigmoid(y))           optional: the activation (SiLU,
 *                                      y read by exactly the Sigmoid and the Mul)
 *       | Mul(y, HardSigmoid(y))       (HardSwish as opset-9 exports write it)
 *       | Max(y, Mul(y, a))            (LeakyRelu(a) as tf2onnx writes it, 0 <= a <= 1:
 *                                      max(y, a y) is a y below 0 and y above)
 *     y = Mul(y, G)                    optional: a gate G of y's shape computed at
 *       | Mul(y, Sigmoid(G))           run time; with the Sigmoid (read only here),
 *                                      y * sigmoid(G). So x * Sigmoid(acc) is the
 *                                      sigmoid activation gated by x, and
 *                                      acc * Sigmoid(x) the second form.
 *     y = Add(y, r)                    optional: r has y's shape (a residual)
 *
 * becomes vitc.Gemm(A, W, bias, residual, G; activation, gate) (or vitc.Conv(X, W,
 * B, residual, G; the Conv's attributes, activation, gate)) writing the last y.
 * Every intermediate must be read only by the next op and not be a graph output;
 * each step must keep y's shape (nothing broadcasts y up). A bare MatMul by
 * constant weights becomes a vitc.Gemm too, so the emitter can pack its weights; a
 * bare Conv stays a Conv. When A is a Slice of the last axis of a wider tensor T
 * (a column range of a concatenated projection, passes/concat_projections.c), the
 * vitc.Gemm reads T in place (attribute a = [first column, T's row length]).
 *
 * Convolutions with one to four output channels (the score convs of filter
 * attention, C -> 1) keep their direct kernel, with the epilogue after it.
 *
 * Inputs of the new node: A, W, then bias, residual and gate; an absent input
 * before a present one is -1, absent trailing inputs are left out (node_in()
 * returns NULL for both).
 *
 * The pass does nothing while vitc.Gemm has no implementation (no infer in
 * ops/matmul.c); rewrite_gemm_epilogue() is the rewrite alone, for the tests. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define VITC_GEMM_EPILOGUE_CODES_ONLY
#include "gemm/f32-gemm-epilogue.c"
#undef VITC_GEMM_EPILOGUE_CODES_ONLY

#include "ops/op.h"
#include "passes/match.h"
#include "passes/passes.h"

/* Of a pair of nodes reading y, the one with op `op` reading y (index into p), or -1. */
static int pair_find(const Graph *g, const int *p, OpKind op, int y) {
  for (int i = 0; i < 2; i++)
    if (g->n[p[i]].op == op && node_reads(&g->n[p[i]], y)) return i;
  return -1;
}

int pm_activation_params(Graph *g, int y, int *last, int *extra, float *alpha, float *beta) {
  *extra = -1;
  *alpha = *beta = 0.0f;
  int u = pm_only_user(g, y);
  if (u >= 0) {
    const Node *n = &g->n[u];
    if (n->n_out != 1 || !pm_same_shape(g, n->out[0], y)) return -1;
    *last = u;
    if (n->op == OP_Relu) return VITC_GEMM_ACT_RELU;
    if (n->op == OP_Sigmoid) return VITC_GEMM_ACT_SIGMOID;
    if (n->op == OP_Gelu)
      return strcmp(attr_str(n, "approximate", "none"), "tanh") == 0 ? VITC_GEMM_ACT_GELU_TANH : VITC_GEMM_ACT_GELU;
    if (n->op == OP_LeakyRelu) {
      *alpha = attr_float(n, "alpha", 0.01f);
      return isfinite(*alpha) ? VITC_GEMM_ACT_LEAKY_RELU : -1;
    }
    if (n->op == OP_HardSigmoid || n->op == OP_HardSwish) {
      bool swish = n->op == OP_HardSwish;
      *alpha = swish ? 1.0f / 6.0f : attr_float(n, "alpha", 0.2f);
      *beta = swish ? 0.5f : attr_float(n, "beta", 0.5f);
      if (!isfinite(*alpha) || !isfinite(*beta)) return -1;
      return swish ? VITC_GEMM_ACT_HARD_SWISH : VITC_GEMM_ACT_HARD_SIGMOID;
    }
    if (n->op == OP_Clip && n->in[0] == y) { /* bounds: constant scalars; min only must be 0 (a ReLU) */
      double lo, hi;
      bool has_lo = n->n_in > 1 && n->in[1] >= 0, has_hi = n->n_in > 2 && n->in[2] >= 0;
      if (has_lo && !pm_const_scalar(g, n->in[1], &lo)) return -1;
      if (has_hi && !pm_const_scalar(g, n->in[2], &hi)) return -1;
      if (has_lo && has_hi && lo <= hi) {
        *alpha = (float)lo, *beta = (float)hi;
        return VITC_GEMM_ACT_CLIP;
      }
      if (has_lo && !has_hi && lo == 0.0) return VITC_GEMM_ACT_RELU;
      return -1;
    }
    return -1;
  }
  /* y read by exactly two nodes, a pair that ends in the second:
   *   Sigmoid(y) -> s, Mul(y, s)                     SiLU
   *   HardSigmoid(y) -> h, Mul(y, h)                 HardSwish with h's alpha, beta
   *   Mul(y, a) -> t, Max(y, t), a in [0, 1]         LeakyRelu(a): max(y, a y) is a y below 0
   * the intermediate read only by the second. */
  int p[2];
  if (g->t[y].is_output || tensor_uses(g, y) != 2 || pm_live_readers(g, y, p, 2) != 2) return -1;
  int first = -1, second = -1, act = -1;
  int is = pair_find(g, p, OP_Sigmoid, y), ih = pair_find(g, p, OP_HardSigmoid, y), im = pair_find(g, p, OP_Max, y);
  if (is >= 0 && g->n[p[1 - is]].op == OP_Mul) {
    first = p[is], second = p[1 - is], act = VITC_GEMM_ACT_SILU;
  } else if (ih >= 0 && g->n[p[1 - ih]].op == OP_Mul) {
    first = p[ih], second = p[1 - ih], act = VITC_GEMM_ACT_HARD_SWISH;
    *alpha = attr_float(&g->n[first], "alpha", 0.2f);
    *beta = attr_float(&g->n[first], "beta", 0.5f);
    if (!isfinite(*alpha) || !isfinite(*beta)) return -1;
  } else if (im >= 0 && g->n[p[1 - im]].op == OP_Mul) {
    double a;
    first = p[1 - im], second = p[im], act = VITC_GEMM_ACT_LEAKY_RELU;
    int k = pm_other_input(&g->n[first], y);
    if (k < 0 || !pm_const_scalar(g, k, &a) || !(a >= 0.0 && a <= 1.0)) return -1;
    *alpha = (float)a;
  } else {
    return -1;
  }
  const Node *f = &g->n[first], *m = &g->n[second];
  if (f->n_out != 1 || m->n_in != 2 || m->n_out != 1) return -1;
  int s = f->out[0];
  if (pm_only_user(g, s) != second || pm_other_input(m, s) != y || !pm_same_shape(g, s, y) ||
      !pm_same_shape(g, m->out[0], y))
    return -1;
  *last = second;
  *extra = first;
  return act;
}

int pm_activation(const Graph *g, int y, int *last) {
  int extra;
  float a, b;
  int act = pm_activation_params((Graph *)g, y, last, &extra, &a, &b);
  return act >= VITC_GEMM_ACT_LEAKY_RELU ? -1 : act; /* callers that carry no parameters */
}

static void step(Chain *c, int node, int out) {
  c->kill[c->nk++] = c->last;
  c->last = node;
  c->y = out;
}

void pm_epilogue_chain(Graph *g, int first, int y, int64_t N, bool bias_step, Chain *c) {
  *c = (Chain){.bias = -1, .act = VITC_GEMM_ACT_NONE, .gate = -1, .res = -1, .last = first, .y = y};
  int u = pm_only_user(g, y);
  /* bias */
  if (bias_step && u >= 0 && g->n[u].op == OP_Add && pm_same_shape(g, g->n[u].out[0], y)) {
    int k = pm_other_input(&g->n[u], y);
    if (k >= 0 && g->t[k].data && (c->bias = pm_bias_vector(g, k, N)) >= 0) step(c, u, g->n[u].out[0]);
  }
  /* activation */
  int last, extra, act = pm_activation_params(g, c->y, &last, &extra, &c->alpha, &c->beta);
  if (act >= 0) {
    if (extra >= 0) c->kill[c->nk++] = extra;
    c->act = act;
    step(c, last, g->n[last].out[0]);
  }
  /* gate */
  u = pm_only_user(g, c->y);
  if (u >= 0 && g->n[u].op == OP_Mul && pm_same_shape(g, g->n[u].out[0], c->y)) {
    int x = pm_other_input(&g->n[u], c->y);
    if (x >= 0 && pm_is_f32(g, x) && !g->t[x].data && pm_same_shape(g, x, c->y)) {
      int sg = pm_producer(g, x, OP_Sigmoid);
      if (sg >= 0 && pm_only_user(g, x) == u) {
        c->gate_mode = VITC_GEMM_GATE_MUL_SIGMOID;
        c->gate = g->n[sg].in[0];
        c->kill[c->nk++] = sg;
      } else {
        c->gate_mode = VITC_GEMM_GATE_MUL;
        c->gate = x;
      }
      step(c, u, g->n[u].out[0]);
    }
  }
  /* residual */
  u = pm_only_user(g, c->y);
  if (u >= 0 && g->n[u].op == OP_Add && pm_same_shape(g, g->n[u].out[0], c->y)) {
    int r = pm_other_input(&g->n[u], c->y);
    if (r >= 0 && pm_is_f32(g, r) && pm_same_shape(g, r, c->y)) {
      c->res = r;
      step(c, u, g->n[u].out[0]);
    }
  }
}

int pm_rewrite_chain(Graph *g, const Chain *c, OpKind op, const char *name, int in0, int in1, int in2) {
  for (int k = 0; k < c->nk; k++) g->n[c->kill[k]].dead = true;
  int in[5] = {in0, in1, in2, c->res, c->gate};
  int n_in = c->gate >= 0 ? 5 : c->res >= 0 ? 4 : in2 >= 0 ? 3 : 2;
  int y = c->y;
  int ni = pm_replace(g, c->last, op, name, in, n_in, &y, 1);
  if (c->act != VITC_GEMM_ACT_NONE) node_add_attr(g, ni, "activation", ATTR_INT)->i = c->act;
  else if (op != OP_VitcConv) node_add_attr(g, ni, "activation", ATTR_INT)->i = 0;
  if (c->act >= VITC_GEMM_ACT_LEAKY_RELU) {
    Attr *p = node_add_attr(g, ni, "activation_params", ATTR_FLOATS);
    p->n = 2;
    p->floats = xmalloc(2 * sizeof(float));
    p->floats[0] = c->alpha;
    p->floats[1] = c->beta;
  }
  if (c->gate >= 0) node_add_attr(g, ni, "gate", ATTR_INT)->i = c->gate_mode;
  return ni;
}

/* A read as a column range of a wider tensor: A = Slice(T, [s], [e], axes [last]) with
 * unit step, so the product can read T in place (a = [s, T's last dimension]). */
static int column_source(Graph *g, int a, int64_t *off, int64_t *ld) {
  int si = pm_producer(g, a, OP_Slice);
  if (si < 0) return -1;
  const Node *s = &g->n[si];
  int t = s->in[0];
  if (!pm_is_f32(g, t)) return -1;
  const Shape *ts = &g->t[t].shape, *as = &g->t[a].shape;
  if (ts->rank != as->rank || ts->rank < 1) return -1;
  for (int d = 0; d + 1 < ts->rank; d++)
    if (ts->d[d] != as->d[d]) return -1;
  double st, en, ax = ts->rank - 1, stp = 1;
  if (!pm_const_number(g, s->in[1], &st) || !pm_const_number(g, s->in[2], &en)) return -1;
  if (s->n_in > 3 && s->in[3] >= 0 && !pm_const_number(g, s->in[3], &ax)) return -1;
  if (s->n_in > 4 && s->in[4] >= 0 && (!pm_const_number(g, s->in[4], &stp) || stp != 1)) return -1;
  int64_t last = ts->rank - 1, Ka = ts->d[last];
  if (ax != (double)last && ax != -1) return -1;
  int64_t s0 = (int64_t)st;
  if (s0 < 0) s0 += Ka;
  if (s0 < 0 || s0 + as->d[last] > Ka) return -1;
  *off = s0;
  *ld = Ka;
  return t;
}

/* Try at MatMul or Gemm node `mi`; 1 if replaced. */
static int try_product(Graph *g, int mi) {
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
    w = pm_gemm_weights(g, mm);
    if (w < 0) return 0;
    if (c && (bias = pm_bias_vector(g, mm->in[2], N)) < 0) return 0;
    mm = &g->n[mi]; /* constants were added; nodes did not move, but stay safe */
  }
  int64_t K = g->t[w].shape.d[0], N = g->t[w].shape.d[1];
  if (g->t[a].shape.d[g->t[a].shape.rank - 1] != K) return 0;

  Chain c;
  pm_epilogue_chain(g, mi, y, N, bias < 0, &c);
  if (bias < 0) bias = c.bias;
  int64_t a_off = 0, lda = 0;
  int wide = column_source(g, a, &a_off, &lda);
  char *name = pm_name(g->n[mi].name, "Gemm");
  int ni = pm_rewrite_chain(g, &c, OP_VitcGemm, name, wide >= 0 ? wide : a, w, bias);
  free(name);
  if (wide >= 0) {
    Attr *at = node_add_attr(g, ni, "a", ATTR_INTS);
    at->n = 2;
    at->ints = xmalloc(2 * sizeof(int64_t));
    at->ints[0] = a_off;
    at->ints[1] = lda;
  }
  return 1;
}

/* The Add reading conv output y (its only reader) with a float32 constant of one
 * value per channel (axis 1 of y, broadcast over the rest), or -1. */
static int per_channel_add(const Graph *g, int y) {
  int u = pm_only_user(g, y);
  if (u < 0 || g->n[u].op != OP_Add || g->n[u].n_in != 2 || !pm_same_shape(g, g->n[u].out[0], y)) return -1;
  int k = pm_other_input(&g->n[u], y);
  if (k < 0 || !g->t[k].data || !pm_is_f32(g, k)) return -1;
  const Shape *ks = &g->t[k].shape, *ys = &g->t[y].shape;
  if (ks->rank > ys->rank || shape_numel(ks) != ys->d[1]) return -1;
  for (int i = 0; i < ks->rank; i++) {
    int axis = ys->rank - ks->rank + i;
    if (ks->d[i] != (axis == 1 ? ys->d[1] : 1)) return -1;
  }
  return u;
}

/* Try at Conv node `ci`; 1 if replaced. */
static int try_conv(Graph *g, int ci) {
  const Node *cv = &g->n[ci];
  if (cv->n_out != 1 || !node_in_const(g, cv, 1) || (node_in(g, cv, 2) && !node_in_const(g, cv, 2))) return 0;
  int y = cv->out[0];
  if (!pm_is_f32(g, y) || g->t[y].shape.rank < 3 || g->t[y].shape.rank > 4) return 0;
  int in0 = cv->in[0], in1 = cv->in[1], in2 = cv->n_in > 2 ? cv->in[2] : -1;
  /* a per-channel constant added to y (a bias tf2onnx did not fold) goes into the conv's bias */
  int first = ci, badd = per_channel_add(g, y), C = (int)g->t[y].shape.d[1];
  if (badd >= 0) {
    const Node *a = &g->n[badd];
    int k = a->in[0] == y ? a->in[1] : a->in[0];
    float *b = xmalloc(sizeof(float) * (size_t)C);
    const float *kv = g->t[k].data, *ov = in2 >= 0 ? g->t[in2].data : NULL;
    for (int j = 0; j < C; j++) b[j] = (ov ? ov[j] : 0.0f) + kv[j];
    Shape bs = {1, {C}};
    char *bn = pm_name(g->n[ci].name, "bias");
    in2 = pm_add_const_f32(g, bn, &bs, b);
    free(bn);
    free(b);
    first = badd, y = g->n[badd].out[0];
  }
  Chain c;
  pm_epilogue_chain(g, first, y, 0, false, &c);
  if (c.last == ci) return 0;
  char *name = pm_name(g->n[ci].name, "Conv");
  g->n[ci].dead = true; /* (already among the chain's nodes unless the chain starts at the bias Add) */
  int ni = pm_rewrite_chain(g, &c, OP_VitcConv, name, in0, in1, in2);
  free(name);
  pm_copy_attrs(g, ni, &g->n[ci]); /* the Conv's geometry (it is dead, not yet freed) */
  return 1;
}

int rewrite_gemm_epilogue(Graph *g) {
  int changed = 0;
  for (int i = 0; i < g->nn; i++) {
    if (g->n[i].dead) continue;
    if (g->n[i].op == OP_MatMul || g->n[i].op == OP_Gemm) changed |= try_product(g, i);
    else if (g->n[i].op == OP_Conv) changed |= try_conv(g, i);
  }
  return changed;
}

int pass_fuse_gemm_epilogue(Graph *g) {
  if (!op_impl(OP_VitcGemm)->infer) return 0; /* vitc.Gemm not implemented yet (ops/matmul.c) */
  return rewrite_gemm_epilogue(g);
}
