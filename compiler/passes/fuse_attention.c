/* passes/fuse_attention.c: multi-head attention becomes one vitc.Attention node
 * that reads Q, K and V where the projections wrote them and writes its output
 * where the next projection reads it.
 *
 * Every exporter writes the attention core the same way,
 *
 *     S = MatMul(q, kT)  [Mul/Div by a constant scalar]*  P = Softmax(S, -1)  A = MatMul(P, v)
 *
 * but gets q, kT and v out of the projection output very differently: timm's
 * Reshape [B,N,3,H,d] -> Transpose(2,0,3,1,4) -> Split or Gather or Slice, then
 * Squeeze; torch's MultiheadAttention Slices the in_proj output and Reshapes and
 * Transposes it sequence-first; the dynamo exporter adds Reshapes around the K
 * transpose and scales q and k by sqrt(scale) each; MABViT Slices q, k, v and a
 * gate out of one Linear. The heads are merged back by Transpose(0,2,1,3) and
 * Reshape. So this pass does not match exporter graphs: it matches the core
 * above, then follows each operand back through ops that only move data
 * (Reshape, Transpose, Slice, Split, Gather of one constant index, Squeeze,
 * Unsqueeze, Flatten, Identity) and Mul/Div by a constant scalar, to the tensor
 * that was computed (the root), and follows A forward through Transpose/Reshape/
 * Squeeze/Unsqueeze/Flatten/Identity to the tensor its reader wants (F).
 *
 * How elements move is tracked symbolically, as a strided view: a list of atoms
 * (size, stride), outermost first, whose row-major enumeration lists the
 * tensor's elements in order, each at offset + sum(index_i * stride_i) in the
 * root. A Reshape does not change the enumeration, so it leaves the atoms alone;
 * Transpose, Slice, Split and Gather first split atoms at the tensor's dimension
 * boundaries (an atom (6, s) is also (2, 3s)(3, s)), then permute, offset or drop
 * the atoms of a dimension. A view that cannot be expressed this way (a Reshape
 * that mixes a sliced dimension, a step that breaks contiguity) makes the pass
 * leave that attention alone. F is traced back to A the same way; as a
 * Transpose/Reshape chain is a bijection, the view is inverted to give where each
 * element of A lands in F.
 *
 * The kernel takes per operand an offset and three strides (batch, head, row),
 * rows contiguous. So the q/k/v/A batch dimensions (identical in all four, no
 * broadcasting) are refined to common atoms and merged where all four operands
 * allow, and must end as at most two levels (batch, head); the row dimension
 * must be one atom and the head dimension (dk or dv) contiguous. timm's DeiT
 * gives Q = qkv + 0, K = qkv + H*d, V = qkv + 2*H*d with strides (N*3*H*d, d,
 * 3*H*d), and O = heads merged [B, N, H*d].
 *
 * Scale: the product of every constant scalar met on the q path, the k path and
 * the scores, in double, rounded once. (q*s)(k*s)^T and (q k^T)*s^2 differ only
 * by rounding.
 *
 * MABViT gates the values, V = v * sigmoid(g) with v and g Sliced out of the
 * same projection as q and k: when v's root is such a Mul (read by nothing
 * else), v's view is redone inside v's and g's own roots and the node gets g as
 * a fourth input, so the Slices, the Sigmoid and the Mul go too.
 *
 * The rewrite needs nothing outside the core to see S, the scaled scores, P or
 * A's chain to F (each has exactly one reader, and is no graph output); the q, k
 * and v chains may have other readers (they stay for them) and are deleted when
 * nothing else reads them. The new node takes F's producer's slot (after every
 * node of the pattern, and the roots come before it). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ir/diag.h"
#include "passes/match.h"
#include "passes/passes.h"

/* ---------------------------------------------------------------- views */

#define MAX_ATOMS 32
#define MAX_CHAIN 64

typedef struct View {
  int64_t off;
  int n;                                   /* atoms, outermost first */
  int64_t sz[MAX_ATOMS], st[MAX_ATOMS];    /* sizes (> 1 after view_norm) and strides */
} View;

static void view_contiguous(View *v, int64_t numel) {
  v->off = 0;
  v->n = 1;
  v->sz[0] = numel;
  v->st[0] = 1;
}

/* Drop size-1 atoms; merge an atom into the one outside it when they are contiguous. */
static void view_norm(View *v) {
  int n = 0;
  for (int i = 0; i < v->n; i++) {
    if (v->sz[i] == 1) continue;
    if (n > 0 && v->st[n - 1] == v->sz[i] * v->st[i]) {
      v->sz[n - 1] *= v->sz[i];
      v->st[n - 1] = v->st[i];
      continue;
    }
    v->sz[n] = v->sz[i];
    v->st[n] = v->st[i];
    n++;
  }
  v->n = n;
}

/* Split atoms so that every dimension of shape s is a run of atoms: dimension k
 * owns atoms [gb[k], gb[k+1]). False if the view cannot be split that way. */
static bool view_align(View *v, const int64_t *dims, int rank, int *gb) {
  int64_t sz[MAX_ATOMS], st[MAX_ATOMS]; /* built innermost first */
  int cnt[IR_MAX_RANK * 4], n = 0, ai = v->n - 1;
  if (rank > IR_MAX_RANK * 4) return false;
  view_norm(v);
  ai = v->n - 1;
  int64_t asz = ai >= 0 ? v->sz[ai] : 1, ast = ai >= 0 ? v->st[ai] : 0;
  for (int k = rank - 1; k >= 0; k--) {
    int64_t d = dims[k];
    int start = n;
    if (d < 1) return false;
    while (d > 1) {
      if (ai < 0 || n >= MAX_ATOMS) return false;
      if (d % asz == 0) { /* the whole atom */
        sz[n] = asz, st[n] = ast, n++;
        d /= asz;
        ai--;
        asz = ai >= 0 ? v->sz[ai] : 1, ast = ai >= 0 ? v->st[ai] : 0;
      } else if (asz % d == 0) { /* its inner part */
        sz[n] = d, st[n] = ast, n++;
        ast *= d;
        asz /= d;
        d = 1;
      } else {
        return false;
      }
    }
    cnt[k] = n - start;
  }
  if (ai >= 0) return false; /* more elements than the shape */
  for (int i = 0; i < n; i++) {
    v->sz[i] = sz[n - 1 - i];
    v->st[i] = st[n - 1 - i];
  }
  v->n = n;
  gb[0] = 0;
  for (int k = 0; k < rank; k++) gb[k + 1] = gb[k] + cnt[k];
  return true;
}

/* Dimension k's atoms as one (size, stride): false if it has several. A
 * dimension of size 1 has no atom: stride 0. */
static bool view_dim(const View *v, const int *gb, int k, int64_t *stride) {
  int c = gb[k + 1] - gb[k];
  if (c > 1) return false;
  *stride = c ? v->st[gb[k]] : 0;
  return true;
}

/* ---------------------------------------------------------------- tracing */

static bool is_view_op(OpKind op) {
  return op == OP_Reshape || op == OP_Flatten || op == OP_Squeeze || op == OP_Unsqueeze || op == OP_Identity;
}

/* A small constant integer operand (Slice starts, ...): count or -1. */
static int small_ints(const Graph *g, int t, int64_t *v, int max) {
  if (t < 0 || !g->t[t].data || !g->t[t].typed) return -1;
  if (g->t[t].dtype != DT_INT64 && g->t[t].dtype != DT_INT32) return -1;
  int64_t n = shape_numel(&g->t[t].shape);
  if (n > max) return -1;
  for (int64_t i = 0; i < n; i++)
    v[i] = g->t[t].dtype == DT_INT64 ? ((const int64_t *)g->t[t].data)[i] : ((const int32_t *)g->t[t].data)[i];
  return (int)n;
}

static int64_t clamp64(int64_t v, int64_t lo, int64_t hi) { return v < lo ? lo : v > hi ? hi : v; }

/* Replace dimension k (atoms [gb[k], gb[k+1])) by elements start, start+step, ...
 * (len of them). */
static bool view_slice_dim(View *v, int *gb, int k, int64_t dim, int64_t start, int64_t step, int64_t len) {
  if (len == dim && step == 1) return start == 0;
  int64_t st;
  if (!view_dim(v, gb, k, &st)) return false;
  if (gb[k + 1] == gb[k]) return len == 1 && start == 0; /* dim 1 */
  v->off += start * st;
  v->sz[gb[k]] = len;
  v->st[gb[k]] = st * step;
  return true;
}

/* Drop dimension k after fixing its index to idx (digits over its atoms). */
static void view_index_dim(View *v, const int *gb, int k, int64_t idx) {
  for (int i = gb[k + 1] - 1; i >= gb[k]; i--) {
    v->off += (idx % v->sz[i]) * v->st[i];
    idx /= v->sz[i];
  }
  int drop = gb[k + 1] - gb[k];
  for (int i = gb[k]; i + drop < v->n; i++) {
    v->sz[i] = v->sz[i + drop];
    v->st[i] = v->st[i + drop];
  }
  v->n -= drop;
}

/* v describes node ni's input 0; make it describe its output `out`. */
static bool view_apply(const Graph *g, int ni, int out, View *v) {
  const Node *n = &g->n[ni];
  const Shape *xs = &g->t[n->in[0]].shape, *ys = &g->t[out].shape;
  int gb[IR_MAX_RANK + 1];
  if (is_view_op(n->op)) return true;
  if (!view_align(v, xs->d, xs->rank, gb)) return false;
  switch (n->op) {
  case OP_Transpose: {
    int perm[IR_MAX_RANK];
    const int64_t *p;
    int k = attr_ints(n, "perm", &p);
    for (int i = 0; i < xs->rank; i++) perm[i] = k < 0 ? xs->rank - 1 - i : (int)p[i];
    if (k >= 0 && k != xs->rank) return false;
    View w = *v;
    w.n = 0;
    for (int i = 0; i < xs->rank; i++)
      for (int a = gb[perm[i]]; a < gb[perm[i] + 1]; a++) {
        w.sz[w.n] = v->sz[a];
        w.st[w.n++] = v->st[a];
      }
    *v = w;
    return true;
  }
  case OP_Slice: {
    int64_t starts[IR_MAX_RANK], ends[IR_MAX_RANK], axes[IR_MAX_RANK], steps[IR_MAX_RANK];
    int ns = n->n_in > 1 ? small_ints(g, n->in[1], starts, IR_MAX_RANK) : -1;
    if (ns < 0 || n->n_in < 3 || small_ints(g, n->in[2], ends, IR_MAX_RANK) != ns) return false;
    for (int i = 0; i < ns; i++) axes[i] = i, steps[i] = 1;
    if (n->n_in > 3 && n->in[3] >= 0 && small_ints(g, n->in[3], axes, IR_MAX_RANK) != ns) return false;
    if (n->n_in > 4 && n->in[4] >= 0 && small_ints(g, n->in[4], steps, IR_MAX_RANK) != ns) return false;
    /* dimensions are sliced from the last, so earlier atom groups keep their place */
    bool seen[IR_MAX_RANK] = {false};
    for (int i = 0; i < ns; i++) {
      int64_t a = axes[i] < 0 ? axes[i] + xs->rank : axes[i];
      if (a < 0 || a >= xs->rank || seen[a] || steps[i] == 0) return false;
      seen[a] = true;
    }
    for (int a = xs->rank - 1; a >= 0; a--) {
      if (!seen[a]) continue;
      int i = 0;
      while ((axes[i] < 0 ? axes[i] + xs->rank : axes[i]) != a) i++;
      int64_t dim = xs->d[a], s = starts[i];
      if (s < 0) s += dim;
      s = steps[i] > 0 ? clamp64(s, 0, dim) : clamp64(s, 0, dim - 1);
      if (ys->d[a] > 0 && (s + (ys->d[a] - 1) * steps[i] < 0 || s + (ys->d[a] - 1) * steps[i] >= dim)) return false;
      if (ys->d[a] == 0 || !view_slice_dim(v, gb, a, dim, s, steps[i], ys->d[a])) return false;
    }
    return true;
  }
  case OP_Split: {
    int64_t axis = attr_int(n, "axis", 0);
    if (axis < 0) axis += xs->rank;
    if (axis < 0 || axis >= xs->rank) return false;
    int64_t start = 0;
    int o = 0;
    for (; o < n->n_out && n->out[o] != out; o++) {
      if (n->out[o] < 0 || !g->t[n->out[o]].typed) return false;
      start += g->t[n->out[o]].shape.d[axis];
    }
    if (o == n->n_out || ys->d[axis] == 0) return false;
    return view_slice_dim(v, gb, (int)axis, xs->d[axis], start, 1, ys->d[axis]);
  }
  case OP_Gather: {
    int64_t idx, axis = attr_int(n, "axis", 0);
    if (axis < 0) axis += xs->rank;
    if (axis < 0 || axis >= xs->rank || small_ints(g, n->in[1], &idx, 1) != 1) return false;
    if (idx < 0) idx += xs->d[axis];
    if (idx < 0 || idx >= xs->d[axis]) return false;
    view_index_dim(v, gb, (int)axis, idx);
    return true;
  }
  default:
    return false;
  }
}

/* Node ni multiplies or divides input `*x` by a constant scalar c (the output has
 * x's shape): sets *x and multiplies *scale by c or 1/c. */
static bool scalar_scale(const Graph *g, int ni, int *x, double *scale) {
  const Node *n = &g->n[ni];
  double c;
  if ((n->op != OP_Mul && n->op != OP_Div) || n->n_in != 2 || n->n_out != 1) return false;
  /* the variable operand: Mul(x, c), Mul(c, x), Div(x, c) */
  int xi = -1;
  if (pm_const_uniform(g, n->in[1], &c)) xi = n->in[0];
  else if (n->op == OP_Mul && pm_const_uniform(g, n->in[0], &c)) xi = n->in[1];
  if (xi < 0 || !pm_is_f32(g, xi) || !pm_same_shape(g, xi, n->out[0])) return false;
  if (c == 0.0 || !isfinite(c)) return false;
  *scale *= n->op == OP_Mul ? c : 1.0 / c;
  *x = xi;
  return true;
}

/* An operand traced back to its root: the nodes in between, root first. */
typedef struct Trace {
  int root;
  int nc, node[MAX_CHAIN], out[MAX_CHAIN]; /* node[i] makes out[i], root side first */
  View v;                                   /* the operand's elements in the root */
  double scale;                             /* constant scalars met on the way */
} Trace;

/* Apply tr's chain to v (which describes the chain's input, the root). */
static bool apply_chain(const Graph *g, const Trace *tr, View *v) {
  for (int i = 0; i < tr->nc; i++) {
    const Node *n = &g->n[tr->node[i]];
    if (n->op == OP_Mul || n->op == OP_Div) continue; /* scalings move nothing */
    if (!view_apply(g, tr->node[i], tr->out[i], v)) return false;
  }
  return true;
}

/* Trace tensor t back through data-movement ops and constant scalings to the
 * tensor they start from (or to `stop` if >= 0; then no scaling is allowed). */
static bool trace_back(const Graph *g, int t, int stop, Trace *tr) {
  int node[MAX_CHAIN], out[MAX_CHAIN], nc = 0, cur = t;
  tr->scale = 1.0;
  while (cur != stop) {
    int p = pm_producer(g, cur, -1), x = -1;
    if (p < 0 || nc == MAX_CHAIN) break;
    const Node *n = &g->n[p];
    if (n->op == OP_Transpose || n->op == OP_Slice || n->op == OP_Split || n->op == OP_Gather || is_view_op(n->op)) {
      x = n->n_in > 0 ? n->in[0] : -1;
    } else if (stop < 0 && scalar_scale(g, p, &x, &tr->scale)) {
      /* a scaling */
    } else {
      break;
    }
    if (x < 0 || !pm_is_f32(g, x)) break;
    node[nc] = p;
    out[nc++] = cur;
    cur = x;
  }
  if (stop >= 0 && cur != stop) return false;
  tr->root = cur;
  if (!pm_is_f32(g, cur)) return false;
  tr->nc = nc;
  for (int i = 0; i < nc; i++) {
    tr->node[i] = node[nc - 1 - i];
    tr->out[i] = out[nc - 1 - i];
  }
  int64_t numel = shape_numel(&g->t[cur].shape);
  if (numel < 1) return false;
  view_contiguous(&tr->v, numel);
  return apply_chain(g, tr, &tr->v);
}

/* MABViT's gated values: v's root is Mul(a, Sigmoid(b)) (either order, no
 * broadcasting, read only by v's chain). Then v's view is redone inside a's root
 * and b's root: ta->v, tb->v. */
static bool gated_values(const Graph *g, const Trace *tv, Trace *ta, Trace *tb) {
  int m = pm_producer(g, tv->root, OP_Mul);
  if (m < 0 || pm_only_user(g, tv->root) < 0 || tv->scale != 1.0) return false;
  const Node *mn = &g->n[m];
  for (int k = 0; k < 2; k++) {
    int s = mn->in[1 - k], a = mn->in[k];
    int sg = pm_producer(g, s, OP_Sigmoid);
    if (sg < 0 || pm_only_user(g, s) != m || a == s) continue;
    int b = g->n[sg].in[0];
    if (!pm_same_shape(g, a, tv->root) || !pm_same_shape(g, b, tv->root)) return false;
    if (!trace_back(g, a, -1, ta) || !trace_back(g, b, -1, tb) || ta->scale != 1.0 || tb->scale != 1.0) return false;
    return apply_chain(g, tv, &ta->v) && apply_chain(g, tv, &tb->v);
  }
  return false;
}

/* ---------------------------------------------------------------- operands */

/* One operand of the kernel: rows of `width` contiguous elements, row stride, and
 * the atoms of its batch dimensions (offset included). */
typedef struct Operand {
  int root;
  int64_t row_stride;
  View batch;
} Operand;

/* v describes a tensor of `dims` = [batch..., rows, width] (row_dim, width_dim
 * say which of the last two is which: K arrives transposed). */
static bool operand_from_view(View v, const int64_t *dims, int rank, int row_dim, int width_dim, Operand *op) {
  int gb[IR_MAX_RANK + 1];
  int64_t ws;
  if (!view_align(&v, dims, rank, gb)) return false;
  if (!view_dim(&v, gb, row_dim, &op->row_stride) || !view_dim(&v, gb, width_dim, &ws)) return false;
  if (dims[width_dim] > 1 && ws != 1) return false;
  op->batch.off = v.off;
  op->batch.n = gb[rank - 2];
  memcpy(op->batch.sz, v.sz, sizeof(int64_t) * (size_t)op->batch.n);
  memcpy(op->batch.st, v.st, sizeof(int64_t) * (size_t)op->batch.n);
  return true;
}

/* The operands' (at most 5) batch atoms (each enumerating the same G batch entries) as at
 * most two common levels (batch, head): sizes lv[0..1], strides ls[op][0..1]. */
static bool common_levels(Operand *ops, int nops, int64_t G, int64_t *lv, int64_t (*ls)[2]) {
  int64_t bound[MAX_ATOMS * 5 + 2];
  int nb = 0;
  bound[nb++] = 1;
  for (int o = 0; o < nops; o++) {
    view_norm(&ops[o].batch);
    int64_t p = 1;
    for (int i = ops[o].batch.n - 1; i >= 0; i--) bound[nb++] = p *= ops[o].batch.sz[i];
    if (p != G) return false;
  }
  bound[nb++] = G;
  for (int i = 1; i < nb; i++) /* sort, unique */
    for (int j = i; j > 0 && bound[j] < bound[j - 1]; j--) {
      int64_t t = bound[j]; bound[j] = bound[j - 1]; bound[j - 1] = t;
    }
  int u = 1;
  for (int i = 1; i < nb; i++)
    if (bound[i] != bound[u - 1]) bound[u++] = bound[i];
  /* refined dims, outermost first */
  int64_t dims[IR_MAX_RANK * 4];
  int m = u - 1;
  if (m > IR_MAX_RANK * 4) return false;
  for (int i = 0; i < m; i++) {
    if (bound[i + 1] % bound[i]) return false;
    dims[m - 1 - i] = bound[i + 1] / bound[i];
  }
  int64_t st[5][IR_MAX_RANK * 4];
  for (int o = 0; o < nops; o++) {
    int gb[IR_MAX_RANK * 4 + 1];
    View v = ops[o].batch;
    if (!view_align(&v, dims, m, gb)) return false;
    for (int k = 0; k < m; k++)
      if (!view_dim(&v, gb, k, &st[o][k])) return false;
  }
  /* merge a dimension into the one outside it where every operand allows */
  int64_t sz[IR_MAX_RANK * 4];
  memcpy(sz, dims, sizeof(int64_t) * (size_t)m);
  for (int k = m - 2; k >= 0; k--) {
    bool ok = true;
    for (int o = 0; o < nops; o++) ok = ok && st[o][k] == sz[k + 1] * st[o][k + 1];
    if (!ok) continue;
    sz[k] *= sz[k + 1];
    for (int o = 0; o < nops; o++) st[o][k] = st[o][k + 1];
    for (int j = k + 1; j + 1 < m; j++) {
      sz[j] = sz[j + 1];
      for (int o = 0; o < nops; o++) st[o][j] = st[o][j + 1];
    }
    m--;
  }
  if (m > 2) return false;
  for (int l = 0; l < 2; l++) {
    int k = l - (2 - m); /* right-aligned: one level is the head */
    lv[l] = k >= 0 ? sz[k] : 1;
    for (int o = 0; o < nops; o++) ls[o][l] = k >= 0 ? st[o][k] : 0;
  }
  return true;
}

/* View of A's elements (row-major over A) inside F, from F's view inside A (a
 * bijection: a chain of Transposes and Reshapes). */
static bool invert_view(View f, int64_t numel, View *a) {
  view_norm(&f);
  if (f.off != 0) return false;
  int64_t fst[MAX_ATOMS], p = 1;
  for (int i = f.n - 1; i >= 0; i--) {
    fst[i] = p;
    p *= f.sz[i];
  }
  if (p != numel) return false;
  int idx[MAX_ATOMS];
  for (int i = 0; i < f.n; i++) idx[i] = i;
  for (int i = 1; i < f.n; i++) /* by stride in A, outermost first */
    for (int j = i; j > 0 && f.st[idx[j]] > f.st[idx[j - 1]]; j--) {
      int t = idx[j]; idx[j] = idx[j - 1]; idx[j - 1] = t;
    }
  a->off = 0;
  a->n = f.n;
  int64_t want = 1;
  for (int i = f.n - 1; i >= 0; i--) {
    if (f.st[idx[i]] != want) return false;
    want *= f.sz[idx[i]];
    a->sz[i] = f.sz[idx[i]];
    a->st[i] = fst[idx[i]];
  }
  return true;
}

/* ---------------------------------------------------------------- the pattern */

static bool is_out_chain_op(OpKind op) { return op == OP_Transpose || is_view_op(op); }

static void set_ints(Graph *g, int ni, const char *name, const int64_t *v, int n) {
  Attr *a = node_add_attr(g, ni, name, ATTR_INTS);
  a->n = n;
  a->ints = xmalloc((size_t)n * sizeof(int64_t) + 1);
  memcpy(a->ints, v, (size_t)n * sizeof(int64_t));
}

/* Try the attention core around Softmax node si; 1 if replaced. */
static int try_at(Graph *g, int si) {
  const Node *sm = &g->n[si];
  if (sm->n_in != 1 || sm->n_out != 1 || !pm_is_f32(g, sm->in[0])) return 0;
  int rank = g->t[sm->in[0]].shape.rank;
  int64_t axis = attr_int(sm, "axis", -1);
  if (rank < 2 || (axis != -1 && axis != rank - 1)) return 0;

  int kill[MAX_CHAIN], nk = 0;
  double scale = 1.0;
  /* back from the softmax: constant scalings of the scores, then Q K^T */
  int s = sm->in[0], next = si, mm1;
  for (;;) {
    if (pm_only_user(g, s) != next || nk >= MAX_CHAIN - 8) return 0;
    int p = pm_producer(g, s, -1), x;
    if (p < 0) return 0;
    if (g->n[p].op == OP_MatMul) {
      mm1 = p;
      break;
    }
    if (!scalar_scale(g, p, &x, &scale)) return 0;
    kill[nk++] = p;
    next = p;
    s = x;
  }
  kill[nk++] = mm1;
  kill[nk++] = si;
  int P = sm->out[0], mm2 = pm_only_user(g, P);
  if (mm2 < 0 || g->n[mm2].op != OP_MatMul || g->n[mm2].in[0] != P || g->n[mm2].in[1] == P) return 0;
  kill[nk++] = mm2;
  int q = g->n[mm1].in[0], kt = g->n[mm1].in[1], v = g->n[mm2].in[1], A = g->n[mm2].out[0];
  if (!pm_is_f32(g, q) || !pm_is_f32(g, kt) || !pm_is_f32(g, v) || !pm_is_f32(g, A)) return 0;

  /* shapes: q [G.., Nq, dk], kT [G.., dk, Nk], v [G.., Nk, dv], A [G.., Nq, dv] */
  const Shape *qs = &g->t[q].shape, *ks = &g->t[kt].shape, *vs = &g->t[v].shape, *as = &g->t[A].shape;
  if (qs->rank != rank || ks->rank != rank || vs->rank != rank || as->rank != rank) return 0;
  for (int i = 0; i < rank - 2; i++)
    if (ks->d[i] != qs->d[i] || vs->d[i] != qs->d[i] || as->d[i] != qs->d[i]) return 0;
  int64_t Nq = qs->d[rank - 2], dk = qs->d[rank - 1], Nk = ks->d[rank - 1], dv = vs->d[rank - 1];
  if (ks->d[rank - 2] != dk || vs->d[rank - 2] != Nk || as->d[rank - 2] != Nq || as->d[rank - 1] != dv) return 0;
  if (Nq < 1 || Nk < 1 || dk < 1 || dv < 1) return 0;
  int64_t G = 1;
  for (int i = 0; i < rank - 2; i++) G *= qs->d[i];

  /* forward from A to the tensor its reader wants */
  int F = A, last = mm2;
  for (;;) {
    int u = pm_only_user(g, F);
    if (u < 0 || !is_out_chain_op(g->n[u].op) || g->n[u].n_out != 1 || g->n[u].out[0] < 0) break;
    if (g->n[u].in[0] != F || nk >= MAX_CHAIN) break;
    kill[nk++] = u;
    last = u;
    F = g->n[u].out[0];
  }

  Trace tq, tk, tv, tf;
  if (!trace_back(g, q, -1, &tq) || !trace_back(g, kt, -1, &tk) || !trace_back(g, v, -1, &tv)) return 0;
  if (tv.scale != 1.0) return 0; /* a scaled V: leave it to the unfused graph */
  if (!trace_back(g, F, A, &tf)) return 0;
  View ov;
  if (!invert_view(tf.v, shape_numel(&g->t[A].shape), &ov)) return 0;

  /* MABViT: V = v * sigmoid(g) read straight from v's and g's roots */
  Trace ta, tb;
  bool gated = gated_values(g, &tv, &ta, &tb);

  enum { Q_, K_, V_, O_, G_ };
  Operand ops[5];
  int nops = gated ? 5 : 4;
  if (!operand_from_view(tq.v, qs->d, rank, rank - 2, rank - 1, &ops[Q_]) ||
      !operand_from_view(tk.v, ks->d, rank, rank - 1, rank - 2, &ops[K_]) ||
      !operand_from_view(gated ? ta.v : tv.v, vs->d, rank, rank - 2, rank - 1, &ops[V_]) ||
      !operand_from_view(ov, as->d, rank, rank - 2, rank - 1, &ops[O_]) ||
      (gated && !operand_from_view(tb.v, vs->d, rank, rank - 2, rank - 1, &ops[G_])))
    return 0;
  int64_t lv[2], ls[5][2];
  if (!common_levels(ops, nops, G, lv, ls)) return 0;

  int64_t lay[5][4];
  for (int o = 0; o < nops; o++) {
    lay[o][0] = ops[o].batch.off;
    lay[o][1] = ls[o][0];
    lay[o][2] = ls[o][1];
    lay[o][3] = ops[o].row_stride;
    for (int i = 0; i < 4; i++)
      if (lay[o][i] < 0 || lay[o][i] > INT32_MAX) return 0;
  }
  scale *= tq.scale * tk.scale;
  if (!isfinite(scale) || fabs(scale) > 3.4e38) return 0;

  /* rewrite: the node takes the slot of F's producer */
  int in[4] = {tq.root, tk.root, gated ? ta.root : tv.root, gated ? tb.root : -1}, out[1] = {F};
  char *name = pm_name(g->n[mm1].name, "Attention");
  int ni = pm_replace(g, last, OP_VitcAttention, name, in, gated ? 4 : 3, out, 1);
  free(name);
  int64_t dims[6] = {lv[0], lv[1], Nq, Nk, dk, dv};
  set_ints(g, ni, "dims", dims, 6);
  static const char *const lay_name[5] = {"q", "k", "v", "o", "g"};
  for (int o = 0; o < nops; o++) set_ints(g, ni, lay_name[o], lay[o], 4);
  node_add_attr(g, ni, "scale", ATTR_FLOAT)->f = (float)scale;
  set_ints(g, ni, "shape", g->t[F].shape.d, g->t[F].shape.rank);
  for (int i = 0; i < nk; i++)
    if (kill[i] != last) g->n[kill[i]].dead = true;
  return 1;
}

int pass_fuse_attention(Graph *g) {
  int changed = 0;
  for (int i = 0; i < g->nn; i++) {
    if (g->n[i].dead || g->n[i].op != OP_Softmax) continue;
    changed |= try_at(g, i);
  }
  /* the q, k, v chains nothing else reads */
  if (changed) pass_eliminate_dead(g);
  return changed;
}
