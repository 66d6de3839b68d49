/* passes/fold_transposes.c: tf2onnx's layout dance, undone.
 *
 * A TensorFlow model is NHWC; ONNX's Conv, MaxPool and BatchNormalization are
 * NCHW. tf2onnx (and torch code that permutes by hand) wraps each of them in a
 * Transpose to NCHW and one back, and the element-wise ops in between (the
 * activation, tf's leaky_relu as max(x, a*x), a bias or scale) run on the NHWC
 * tensor:
 *
 *     Transpose(0,3,1,2) -> Conv -> Transpose(0,2,3,1) -> LeakyRelu
 *         -> Transpose(0,3,1,2) -> Conv -> ...
 *
 * so the bundle would copy every activation map twice per conv, and the conv could
 * not take its activation in its epilogue (fuse_gemm_epilogue needs them adjacent).
 *
 * Element-wise ops commute with a transpose: E(T_P(x)) = T_P(E(x')) when every
 * other operand x' is transposed the same way (or broadcasts the same either way: a
 * one-element tensor). So for each Transpose T0 (perm P, input x, output t) the
 * pass grows the region of tensors that hold "x's layout transposed by P": t, then
 * the outputs of element-wise readers all of whose inputs are in the region, are
 * constants (transposed here at compile time: a bias [1,1,1,C] becomes [1,C,1,1])
 * or have one element. At the region's edge a reader is
 *   - a Transpose Q with P∘Q the identity: it cancels (its readers read the
 *     untransposed tensor);
 *   - a Transpose Q otherwise: it becomes one Transpose of the untransposed tensor
 *     by the composed permutation (as many transposes as before);
 *   - anything else (a Conv, a Reshape, a graph output): it still needs the
 *     transposed tensor, so a Transpose P is materialized for it (one per region
 *     tensor, shared by its readers).
 * The region is rewritten, every node in it computing on untransposed tensors,
 * only when that removes transposes: 1 (T0) + cancelled > materialized. Each
 * rewrite removes at least one, so the pass ends; it repeats until nothing
 * changes. Element-wise ops are exact in any layout, so the rewrite is exact. */
#include <stdlib.h>
#include <string.h>

#include "ops/op.h"
#include "passes/match.h"
#include "passes/passes.h"

/* Ops that apply to each element on its own (possibly with broadcast operands). */
static bool elementwise(OpKind op) {
  switch (op) {
  case OP_Abs: case OP_Acos: case OP_Acosh: case OP_Add: case OP_And: case OP_Asin: case OP_Asinh: case OP_Atan:
  case OP_Atanh: case OP_Cast: case OP_Ceil: case OP_Celu: case OP_Clip: case OP_Cos: case OP_Cosh: case OP_Div:
  case OP_Elu: case OP_Equal: case OP_Erf: case OP_Exp: case OP_Floor: case OP_Gelu: case OP_Greater:
  case OP_GreaterOrEqual: case OP_HardSigmoid: case OP_HardSwish: case OP_Identity: case OP_IsInf: case OP_IsNaN:
  case OP_LeakyRelu: case OP_Less: case OP_LessOrEqual: case OP_Log: case OP_Max: case OP_Min: case OP_Mish:
  case OP_Mod: case OP_Mul: case OP_Neg: case OP_Not: case OP_Or: case OP_PRelu: case OP_Pow: case OP_Reciprocal:
  case OP_Relu: case OP_Round: case OP_Selu: case OP_Shrink: case OP_Sigmoid: case OP_Sign: case OP_Sin:
  case OP_Sinh: case OP_Softplus: case OP_Softsign: case OP_Sqrt: case OP_Sub: case OP_Sum: case OP_Tan:
  case OP_Tanh: case OP_ThresholdedRelu: case OP_Where: case OP_Xor:
    return true;
  default:
    return false;
  }
}

/* A Transpose's permutation of rank r (the reversal when absent); false if malformed. */
static bool perm_of(const Node *n, int r, int *p) {
  const int64_t *v;
  int c = attr_ints(n, "perm", &v);
  if (c < 0) {
    for (int i = 0; i < r; i++) p[i] = r - 1 - i;
    return true;
  }
  if (c != r) return false;
  for (int i = 0; i < r; i++) {
    if (v[i] < 0 || v[i] >= r) return false;
    p[i] = (int)v[i];
  }
  return true;
}

/* s transposed by perm: out.d[j] = s.d[perm[j]]. */
static Shape permute_shape(const Shape *s, const int *perm) {
  Shape o = {.rank = s->rank};
  for (int j = 0; j < s->rank; j++) o.d[j] = s->d[perm[j]];
  return o;
}

/* A new constant: constant c broadcast-extended to rank r and transposed by perm
 * (element size es), so that Transpose(result, P) broadcasts like c when perm = P^-1. */
static int transposed_const(Graph *g, int c, int r, const int *perm) {
  const Tensor *ct = &g->t[c];
  Shape e = {.rank = r};
  int lead = r - ct->shape.rank;
  for (int i = 0; i < r; i++) e.d[i] = i < lead ? 1 : ct->shape.d[i - lead];
  Shape o = permute_shape(&e, perm);
  size_t es = dtype_size(ct->dtype);
  int64_t n = shape_numel(&e);
  unsigned char *dst = xmalloc((size_t)(n ? n : 1) * es);
  int64_t estride[IR_MAX_RANK], idx[IR_MAX_RANK] = {0};
  for (int i = r - 1, st = 1; i >= 0; i--) estride[i] = st, st *= (int)e.d[i];
  for (int64_t k = 0; k < n; k++) { /* idx: out's multi-index, in row-major order */
    int64_t src = 0;
    for (int j = 0; j < r; j++) src += idx[j] * estride[perm[j]];
    memcpy(dst + (size_t)k * es, (const unsigned char *)ct->data + (size_t)src * es, es);
    for (int j = r - 1; j >= 0; j--) {
      if (++idx[j] < o.d[j]) break;
      idx[j] = 0;
    }
  }
  char name[256];
  snprintf(name, sizeof name, "%s_transposed", ct->name);
  int nc = graph_add_const(g, graph_find_tensor(g, name) < 0 ? name : NULL, ct->dtype, &o, dst);
  return nc;
}

enum { MAX_REGION = 256 };

typedef struct Region {
  int P[IR_MAX_RANK], Pinv[IR_MAX_RANK], rank;
  int x, t;                 /* T0's input and output */
  int node[MAX_REGION];     /* element-wise nodes in the region, in discovery order */
  int nn;
  int tens[MAX_REGION + 1]; /* region tensors: t, then each node's output */
  int nt;
} Region;

static int region_index(const Region *r, int t) {
  for (int i = 0; i < r->nt; i++)
    if (r->tens[i] == t) return i;
  return -1;
}

/* Input k of node n can be read in the untransposed layout: a region tensor, a
 * one-element tensor, or a constant of rank <= the region's. */
static bool operand_ok(const Graph *g, const Region *r, const Node *n, int k) {
  int in = n->in[k];
  if (in < 0) return true;
  const Tensor *t = &g->t[in];
  if (!t->typed) return false;
  if (region_index(r, in) >= 0) return true;
  if (shape_numel(&t->shape) == 1 && t->shape.rank <= r->rank) return true;
  return t->data && t->shape.rank <= r->rank && dtype_size(t->dtype) > 0;
}

/* Q after P is the identity. */
static bool cancels(const int *P, const int *Q, int r) {
  for (int j = 0; j < r; j++)
    if (P[Q[j]] != j) return false;
  return true;
}

static bool in_region(const Region *r, int node) {
  for (int j = 0; j < r->nn; j++)
    if (r->node[j] == node) return true;
  return false;
}

/* Node u can join the region: element-wise, one output of the region's rank, every
 * input readable in the untransposed layout. */
static bool joinable(const Graph *g, const Region *r, const Node *u) {
  if (!elementwise(u->op) || u->n_out != 1 || u->out[0] < 0 || !g->t[u->out[0]].typed ||
      g->t[u->out[0]].shape.rank != r->rank || g->t[u->out[0]].is_input)
    return false;
  for (int j = 0; j < u->n_in; j++)
    if (!operand_ok(g, r, u, j)) return false;
  return true;
}

/* Does tensor t (a region tensor) have a reader outside the region that is not a
 * Transpose, or is it a graph output? */
static bool needs_transposed(const Graph *g, const Region *r, int t) {
  if (g->t[t].is_output) return true;
  int rd[64];
  int nr = pm_live_readers(g, t, rd, 64);
  if (nr < 0) return true;
  for (int k = 0; k < nr; k++)
    if (g->n[rd[k]].op != OP_Transpose && !in_region(r, rd[k])) return true;
  return false;
}

/* Grow the region from T0 (node ti) until no reader joins, and count what the
 * rewrite would gain; true if it removes transposes. */
static bool grow(Graph *g, int ti, Region *r) {
  const Node *t0 = &g->n[ti];
  if (t0->n_in != 1 || t0->n_out != 1) return false;
  r->x = t0->in[0], r->t = t0->out[0];
  if (r->x < 0 || r->t < 0 || !g->t[r->x].typed || g->t[r->x].data) return false;
  r->rank = g->t[r->x].shape.rank;
  if (r->rank < 2 || !perm_of(t0, r->rank, r->P)) return false;
  bool ident = true;
  for (int i = 0; i < r->rank; i++) r->Pinv[r->P[i]] = i, ident &= r->P[i] == i;
  if (ident) return false;
  r->nn = 0, r->nt = 1, r->tens[0] = r->t;
  for (bool added = true; added;) {
    added = false;
    for (int i = 0; i < r->nt; i++) {
      int rd[64];
      int nr = pm_live_readers(g, r->tens[i], rd, 64);
      for (int k = 0; k < nr && r->nn < MAX_REGION; k++) {
        const Node *u = &g->n[rd[k]];
        if (u->op == OP_Transpose || in_region(r, rd[k]) || !joinable(g, r, u)) continue;
        r->node[r->nn++] = rd[k];
        r->tens[r->nt++] = u->out[0];
        added = true;
      }
    }
  }
  int cancelled = 0, materialized = 0;
  for (int i = 0; i < r->nt; i++) {
    int rd[64];
    int nr = pm_live_readers(g, r->tens[i], rd, 64);
    for (int k = 0; k < nr; k++) {
      int Q[IR_MAX_RANK];
      const Node *u = &g->n[rd[k]];
      if (u->op == OP_Transpose && perm_of(u, r->rank, Q) && cancels(r->P, Q, r->rank) && !g->t[u->out[0]].is_output)
        cancelled++;
    }
    materialized += needs_transposed(g, r, r->tens[i]);
  }
  return 1 + cancelled > materialized;
}

static int add_transpose(Graph *g, const char *name, int in, int out, const int *perm, int rank) {
  int ni = graph_add_node(g, OP_Transpose, name, &in, 1, &out, 1);
  Attr *a = node_add_attr(g, ni, "perm", ATTR_INTS);
  a->n = rank;
  a->ints = xmalloc(sizeof(int64_t) * (size_t)rank);
  for (int i = 0; i < rank; i++) a->ints[i] = perm[i];
  return ni;
}

/* Rewrite the region: its nodes compute on untransposed tensors. */
static void rewrite(Graph *g, int ti, Region *r) {
  int un[MAX_REGION + 1]; /* the untransposed twin of each region tensor */
  un[0] = r->x;
  bool mat[MAX_REGION + 1];
  for (int i = 0; i < r->nt; i++) mat[i] = needs_transposed(g, r, r->tens[i]);
  for (int k = 0; k < r->nn; k++) {
    int ni = r->node[k];
    int e = g->n[ni].out[0];
    int twin = graph_add_tensor(g, NULL);
    g->t[twin].dtype = g->t[e].dtype;
    g->t[twin].shape = permute_shape(&g->t[e].shape, r->Pinv);
    g->t[twin].typed = true;
    un[k + 1] = twin;
    for (int j = 0; j < g->n[ni].n_in; j++) {
      int in = g->n[ni].in[j], ri = in < 0 ? -1 : region_index(r, in);
      if (ri >= 0) graph_set_input(g, ni, j, un[ri]);
      else if (in >= 0 && g->t[in].data && shape_numel(&g->t[in].shape) != 1)
        graph_set_input(g, ni, j, transposed_const(g, in, r->rank, r->Pinv));
    }
    g->n[ni].out[0] = twin;
    g->t[twin].producer = ni;
    g->t[e].producer = -1;
  }
  /* the region's edge: cancelling and composing transposes read the twins; the rest a
   * materialized Transpose P of the twin, under the region tensor's own name */
  for (int i = 0; i < r->nt; i++) {
    int rt = r->tens[i];
    int rd[64];
    int nr = pm_live_readers(g, rt, rd, 64);
    for (int k = 0; k < nr; k++) {
      Node *u = &g->n[rd[k]];
      if (u->op != OP_Transpose) continue;
      int Q[IR_MAX_RANK];
      if (!perm_of(u, r->rank, Q)) vitc_die("fold_transposes: a Transpose lost its perm");
      if (cancels(r->P, Q, r->rank) && !g->t[u->out[0]].is_output) {
        graph_replace_uses(g, u->out[0], un[i]);
        u->dead = true;
      } else { /* Q after P: one transpose of the twin by P∘Q */
        Attr *a = NULL;
        for (int q = 0; q < u->n_attr; q++)
          if (strcmp(u->attr[q].name, "perm") == 0) a = &u->attr[q];
        int64_t *np = xmalloc(sizeof(int64_t) * (size_t)r->rank);
        for (int j = 0; j < r->rank; j++) np[j] = r->P[Q[j]];
        if (a) {
          free(a->ints);
          a->ints = np;
          a->n = r->rank;
        } else {
          a = node_add_attr(g, rd[k], "perm", ATTR_INTS);
          a->ints = np;
          a->n = r->rank;
        }
        graph_set_input(g, rd[k], 0, un[i]);
      }
    }
    if (i == 0) { /* t: T0 itself stays for readers outside, or goes (the patterns after this count readers) */
      if (tensor_uses(g, rt) == 0) g->n[ti].dead = true;
      continue;
    }
    if (mat[i]) {
      char *name = pm_name(g->n[ti].name, "Transpose");
      add_transpose(g, name, un[i], rt, r->P, r->rank);
      free(name);
    }
  }
}

int pass_fold_transposes(Graph *g) {
  int changed = 0;
  for (int round = 0; round < 64; round++) {
    int any = 0;
    for (int i = 0; i < g->nn; i++) {
      if (g->n[i].dead || g->n[i].op != OP_Transpose) continue;
      Region r;
      if (!grow(g, i, &r)) continue;
      rewrite(g, i, &r);
      any = 1;
    }
    if (!any) break;
    changed = 1;
    if (graph_toposort(g) < 0) vitc_die("fold_transposes: the rewrite made a cycle");
    graph_compact(g);
  }
  return changed;
}
