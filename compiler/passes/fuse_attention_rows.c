/* passes/fuse_attention_rows.c: the token-row transposes around a vitc.Attention's
 * projections go into the attention's strides.
 *
 * torch's nn.MultiheadAttention computes sequence-first. With batch_first=True
 * (nn.TransformerEncoderLayer's usual form, and FilterViT's encoder) its export
 * transposes the tokens before the in-projection and back after the
 * out-projection:
 *
 *   xT = Transpose(x [B,N,C], (1,0,2))           [N,B,C]
 *   qkv = MatMul(xT, W_in) + b_in                [N,B,3C]   -> vitc.Attention reads it (strides)
 *   F   = vitc.Attention(...)                    [N*B,C]    rows (n, b)
 *   G   = Gemm(F, W_out, b_out, transB=1)        [N*B,C]
 *   R   = Transpose(Reshape(G, [N,B,C]), (1,0,2)) [B,N,C]   -> x + R (the residual)
 *
 * A projection acts on each token row alone, so it commutes with any
 * permutation of the rows: MatMul(Transpose(x)) = Transpose(MatMul(x)) when the
 * transpose keeps the last axis in place. This pass uses that on both sides of
 * every vitc.Attention that fuse_attention made, after it:
 *
 *   input side: when every reader of an attention input's tensor R is an
 *     attention, and R = MatMul(Transpose(x), W) [+ bias] (W constant, the
 *     transpose read by nothing else), the projection is applied to x itself
 *     and each attention reading R is given R's rows where the untransposed
 *     projection writes them;
 *   output side: when the attention's output is read only by a projection
 *     (Gemm with a constant B and a bias row, or MatMul by a constant [+ bias])
 *     whose output only goes through Reshapes and Transposes that keep the last
 *     axis (rows moved, never split) to R, the attention writes its rows in R's
 *     order and the projection, now a MatMul [+ Add], writes R itself; the
 *     residual Add after it then fuses into the GEMM's epilogue
 *     (fuse_gemm_epilogue runs next).
 * The batch_first=False export (no transposes inside the attention) gets the
 * second rewrite for its Reshape alone, which is what lets its residual fuse.
 *
 * Rows are remapped exactly: an operand's rows are offset + b*sb + h*sh + i*sr
 * plus a contiguous run; each of these is written in the mixed-radix digits of
 * the tensor's dims and must not carry from one dim into the next over its
 * index range (then the map to the other layout is linear, digit by digit), or
 * the rewrite is not made. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ir/diag.h"
#include "ops/op.h"
#include "passes/match.h"
#include "passes/passes.h"

/* ---------------------------------------------------------------- accesses */

/* An operand of the attention as an access into a tensor: offset + sum of
 * idx_k * st[k] for idx_k in [0, cnt[k]) (batch, head, row, and the contiguous
 * run of stride 1). */
typedef struct Access {
  int64_t off, st[4], cnt[4];
} Access;

/* The digits of v over dims[0..r) (row-major, the last fastest); false if v is
 * past the tensor. */
static bool digits(int64_t v, const int64_t *dims, int r, int64_t *dig) {
  for (int t = r - 1; t >= 0; t--) {
    dig[t] = v % dims[t];
    v /= dims[t];
  }
  return v == 0;
}

/* Rewrite access a into a tensor of dims `from` (rank r) as the access whose
 * coordinate t moves by to_stride[t] elements in another layout of the same
 * elements. False if an index would carry across a dim of `from`. */
static bool remap(Access *a, const int64_t *from, int r, const int64_t *to_stride) {
  int64_t od[IR_MAX_RANK], sd[4][IR_MAX_RANK], top[IR_MAX_RANK];
  if (!digits(a->off, from, r, od)) return false;
  for (int t = 0; t < r; t++) top[t] = od[t];
  for (int k = 0; k < 4; k++) {
    if (!digits(a->st[k], from, r, sd[k])) return false;
    for (int t = 0; t < r; t++) top[t] += (a->cnt[k] - 1) * sd[k][t];
  }
  for (int t = 0; t < r; t++)
    if (top[t] >= from[t]) return false;
  int64_t off = 0, st[4] = {0, 0, 0, 0};
  for (int t = 0; t < r; t++) {
    off += od[t] * to_stride[t];
    for (int k = 0; k < 4; k++) st[k] += sd[k][t] * to_stride[t];
  }
  a->off = off;
  memcpy(a->st, st, sizeof st);
  return true;
}

static void row_major(const int64_t *dims, int r, int64_t *st) {
  int64_t s = 1;
  for (int t = r - 1; t >= 0; t--) {
    st[t] = s;
    s *= dims[t];
  }
}

static const char *const lay_name[5] = {"q", "k", "v", "o", "g"};

/* Operand k (0 Q, 1 K, 2 V, 3 O, 4 G) of attention node n as an access. */
static bool get_access(const Node *n, int k, Access *a) {
  const int64_t *d, *l;
  if (attr_ints(n, "dims", &d) != 6 || attr_ints(n, lay_name[k], &l) != 4) return false;
  int64_t rows = k == 0 || k == 3 ? d[2] : d[3], width = k <= 1 ? d[4] : d[5];
  *a = (Access){l[0], {l[1], l[2], l[3], 1}, {d[0], d[1], rows, width}};
  return true;
}

static void set_ints(Graph *g, int ni, const char *name, const int64_t *v, int n) {
  for (int i = 0; i < g->n[ni].n_attr; i++)
    if (strcmp(g->n[ni].attr[i].name, name) == 0) { /* replace in place */
      Attr *a = &g->n[ni].attr[i];
      free(a->ints);
      a->n = n;
      a->ints = xmalloc((size_t)n * sizeof(int64_t));
      memcpy(a->ints, v, (size_t)n * sizeof(int64_t));
      return;
    }
  Attr *a = node_add_attr(g, ni, name, ATTR_INTS);
  a->n = n;
  a->ints = xmalloc((size_t)n * sizeof(int64_t));
  memcpy(a->ints, v, (size_t)n * sizeof(int64_t));
}

static bool put_access(Graph *g, int ni, int k, const Access *a) {
  if (a->st[3] != 1 || a->off < 0 || a->off > INT32_MAX) return false;
  int64_t l[4] = {a->off, a->st[0], a->st[1], a->st[2]};
  for (int i = 1; i < 4; i++)
    if (l[i] < 0 || l[i] > INT32_MAX) return false;
  set_ints(g, ni, lay_name[k], l, 4);
  return true;
}

/* A Transpose keeping the last axis in place: its perm (rank r) in p. */
static bool row_transpose(const Graph *g, int ni, int64_t *p, int *r) {
  if (ni < 0 || g->n[ni].op != OP_Transpose) return false;
  const int64_t *perm;
  int k = attr_ints(&g->n[ni], "perm", &perm);
  if (k < 2 || k > IR_MAX_RANK || perm[k - 1] != k - 1) return false;
  memcpy(p, perm, (size_t)k * sizeof(int64_t));
  *r = k;
  return true;
}

/* A float constant of N elements varying along the last axis only (a bias row). */
static bool bias_row(const Graph *g, int c, int64_t N) {
  if (c < 0 || !pm_is_f32(g, c) || !g->t[c].data) return false;
  const Shape *s = &g->t[c].shape;
  return shape_numel(s) == N && s->rank >= 1 && s->d[s->rank - 1] == N;
}

/* A new float tensor of shape s named after tensor `like` ("..._rows"). */
static int new_tensor(Graph *g, int like, const Shape *s) {
  char *name = xmalloc(strlen(g->t[like].name) + 32);
  sprintf(name, "%s_rows", g->t[like].name);
  for (int k = 2; graph_find_tensor(g, name) >= 0; k++) sprintf(name, "%s_rows%d", g->t[like].name, k);
  int t = graph_add_tensor(g, name);
  free(name);
  g->t[t].typed = true;
  g->t[t].dtype = DT_FLOAT;
  g->t[t].shape = *s;
  return t;
}

/* ---------------------------------------------------------------- input side */

/* Tensor r (an input of attention `at`) is MatMul(Transpose(x), W) [+ bias] read
 * only by attentions: project x instead, remap every attention reading r. */
static int untranspose_input(Graph *g, int r) {
  int ad = pm_producer(g, r, OP_Add), mm = -1, bias = -1;
  if (ad >= 0) {
    int a0 = g->n[ad].in[0], a1 = g->n[ad].in[1];
    int m0 = pm_producer(g, a0, OP_MatMul), m1 = pm_producer(g, a1, OP_MatMul);
    if (m0 >= 0 && pm_only_user(g, a0) == ad) mm = m0, bias = a1;
    else if (m1 >= 0 && pm_only_user(g, a1) == ad) mm = m1, bias = a0;
    if (mm < 0 || !pm_same_shape(g, r, g->n[mm].out[0])) return 0;
  } else {
    mm = pm_producer(g, r, OP_MatMul);
  }
  if (mm < 0) return 0;
  int T = g->n[mm].in[0], W = g->n[mm].in[1], tp = pm_producer(g, T, OP_Transpose);
  int64_t perm[IR_MAX_RANK];
  int rank;
  if (!pm_is_f32(g, W) || !g->t[W].data || g->t[W].shape.rank != 2 || !row_transpose(g, tp, perm, &rank) ||
      pm_only_user(g, T) != mm || g->t[r].shape.rank != rank)
    return 0;
  int64_t N = g->t[W].shape.d[1];
  if (bias >= 0 && !bias_row(g, bias, N)) return 0;
  /* every reader of r is an attention; their accesses remapped into r' = untransposed r */
  const Shape *rs = &g->t[r].shape;
  int64_t rd[IR_MAX_RANK], ud[IR_MAX_RANK], ust[IR_MAX_RANK], to[IR_MAX_RANK];
  for (int t = 0; t < rank; t++) rd[t] = rs->d[t];
  for (int t = 0; t < rank; t++) ud[perm[t]] = rd[t];
  row_major(ud, rank, ust);
  for (int t = 0; t < rank; t++) to[t] = ust[perm[t]];
  int readers[16], nr = 0;
  Access acc[16][5];
  bool uses[16][5];
  if (g->t[r].is_output) return 0;
  for (int i = 0; i < g->nn; i++) {
    const Node *n = &g->n[i];
    if (n->dead) continue;
    bool reads = false;
    for (int k = 0; k < n->n_in; k++) reads |= n->in[k] == r;
    if (!reads) continue;
    if (n->op != OP_VitcAttention || nr == 16) return 0;
    static const int operand_of_input[4] = {0, 1, 2, 4};
    for (int k = 0; k < 5; k++) uses[nr][k] = false;
    for (int k = 0; k < n->n_in && k < 4; k++) {
      int o = operand_of_input[k];
      if (n->in[k] != r) continue;
      uses[nr][o] = true;
      if (!get_access(n, o, &acc[nr][o]) || !remap(&acc[nr][o], rd, rank, to)) return 0;
    }
    readers[nr++] = i;
  }
  if (nr == 0) return 0;
  /* rewrite: MatMul(x, W) -> m', [m' + bias -> r'], attentions read r' */
  Shape us = {rank, {0}};
  for (int t = 0; t < rank; t++) us.d[t] = ud[t];
  int x = g->n[tp].in[0], m2 = new_tensor(g, g->n[mm].out[0], &us), r2 = bias >= 0 ? new_tensor(g, r, &us) : m2;
  for (int i = 0; i < nr; i++)
    for (int o = 0; o < 5; o++)
      if (uses[i][o] && !put_access(g, readers[i], o, &acc[i][o])) vitc_die("fuse_attention_rows: stride overflow");
  g->n[mm].in[0] = x;
  g->n[mm].out[0] = m2;
  g->t[m2].producer = mm;
  if (bias >= 0) {
    Node *an = &g->n[ad];
    for (int k = 0; k < 2; k++)
      if (an->in[k] != bias) an->in[k] = m2;
    an->out[0] = r2;
    g->t[r2].producer = ad;
  }
  for (int i = 0; i < nr; i++)
    for (int k = 0; k < g->n[readers[i]].n_in; k++)
      if (g->n[readers[i]].in[k] == r) g->n[readers[i]].in[k] = r2;
  g->t[r].producer = -1;
  g->n[tp].dead = true; /* its only reader now reads x */
  graph_reindex(g);     /* inputs rewired by hand */
  return 1;
}

/* ---------------------------------------------------------------- output side */

/* The projection reading the attention's output F: W as a [K, N] constant
 * (transposed into a new one for Gemm's transB), its bias row or -1, and the
 * node(s) it spans (the Gemm, or the MatMul and its bias Add). */
typedef struct Proj {
  int w, bias, first, last, out;
} Proj;

static bool projection(Graph *g, int F, Proj *p) {
  int u = pm_only_user(g, F);
  if (u < 0) return false;
  const Node *n = &g->n[u];
  p->first = p->last = u;
  p->bias = -1;
  if (n->op == OP_Gemm) {
    if (n->in[0] != F || attr_int(n, "transA", 0) || attr_float(n, "alpha", 1.0f) != 1.0f) return false;
    int b = n->in[1], c = n->n_in > 2 ? n->in[2] : -1;
    if (!pm_is_f32(g, b) || !g->t[b].data || g->t[b].shape.rank != 2) return false;
    const int64_t N = g->t[b].shape.d[attr_int(n, "transB", 0) ? 0 : 1];
    if (c >= 0 && (attr_float(n, "beta", 1.0f) != 1.0f || !bias_row(g, c, N))) return false;
    p->w = pm_gemm_weights(g, n); /* B as [K, N]; -1 where transposing would duplicate the weights */
    if (p->w < 0) return false;
    p->bias = c;
    p->out = n->out[0];
    return true;
  }
  if (n->op != OP_MatMul || n->in[0] != F) return false;
  int w = n->in[1];
  if (!pm_is_f32(g, w) || !g->t[w].data || g->t[w].shape.rank != 2) return false;
  p->w = w;
  p->out = n->out[0];
  int a = pm_only_user(g, p->out);
  if (a >= 0 && g->n[a].op == OP_Add && pm_same_shape(g, g->n[a].out[0], p->out)) {
    int c = pm_other_input(&g->n[a], p->out);
    if (bias_row(g, c, g->t[w].shape.d[1])) {
      p->bias = c;
      p->last = a;
      p->out = g->n[a].out[0];
    }
  }
  return true;
}

/* Attention node ai's output F read by a projection whose output only moves
 * rows (Reshapes keeping the last dim, Transposes keeping the last axis) to R:
 * the attention writes F' in R's row order and the projection writes R. */
static int relayout_output(Graph *g, int ai) {
  int F = g->n[ai].out[0];
  if (g->t[F].is_output) return 0;
  Proj p;
  if (!projection(g, F, &p)) return 0;
  int64_t Cin = g->t[p.w].shape.d[0], N = g->t[p.w].shape.d[1];
  if (g->t[F].shape.d[g->t[F].shape.rank - 1] != Cin) return 0;
  /* the chain, and the access's rows through it (shapes with the last dim Cin) */
  Access a;
  if (!get_access(&g->n[ai], 3, &a)) return 0;
  int chain[16], nc = 0, cur = p.out;
  for (;;) {
    int u = pm_only_user(g, cur);
    if (u < 0 || nc == 16) break;
    const Node *n = &g->n[u];
    const Shape *os = n->n_out == 1 && n->out[0] >= 0 ? &g->t[n->out[0]].shape : NULL;
    if (!os || !pm_is_f32(g, n->out[0]) || os->d[os->rank - 1] != N) break;
    int64_t perm[IR_MAX_RANK];
    int rank;
    if (n->op == OP_Transpose) {
      if (!row_transpose(g, u, perm, &rank)) break;
      /* forward: input coordinate s moves by the output's stride at perm^-1(s) */
      const Shape *is = &g->t[n->in[0]].shape;
      int64_t id[IR_MAX_RANK], od[IR_MAX_RANK], ost[IR_MAX_RANK], to[IR_MAX_RANK];
      for (int t = 0; t < rank; t++) id[t] = is->d[t], od[t] = os->d[t];
      id[rank - 1] = od[rank - 1] = Cin;
      row_major(od, rank, ost);
      for (int t = 0; t < rank; t++) to[perm[t]] = ost[t];
      Access b = a;
      if (!remap(&b, id, rank, to)) break;
      a = b;
    } else if (n->op != OP_Reshape && n->op != OP_Flatten && n->op != OP_Squeeze && n->op != OP_Unsqueeze) {
      break;
    }
    chain[nc++] = u;
    cur = n->out[0];
  }
  if (nc == 0) return 0;
  int R = cur;
  Shape fs = g->t[R].shape;
  fs.d[fs.rank - 1] = Cin;
  int F2 = new_tensor(g, F, &fs);
  if (!put_access(g, ai, 3, &a)) return 0;
  set_ints(g, ai, "shape", fs.d, fs.rank);
  g->n[ai].out[0] = F2;
  g->t[F2].producer = ai;
  g->t[F].producer = -1;
  /* MatMul(F', W) [+ bias] -> R, in the slots of the projection and the chain's end */
  int proj_first = p.first, end = chain[nc - 1];
  for (int i = 0; i < nc; i++) g->n[chain[i]].dead = true;
  if (p.last != p.first) g->n[p.last].dead = true;
  char *name = pm_name(g->n[proj_first].name, "MatMul");
  int mout = p.bias >= 0 ? new_tensor(g, p.out, &g->t[R].shape) : R;
  int in[2] = {F2, p.w};
  pm_replace(g, proj_first, OP_MatMul, name, in, 2, &mout, 1);
  free(name);
  if (p.bias >= 0) {
    name = pm_name(g->n[proj_first].name, "Add");
    int ain[2] = {mout, p.bias};
    pm_replace(g, end, OP_Add, name, ain, 2, &R, 1);
    free(name);
  }
  return 1;
}

int pass_fuse_attention_rows(Graph *g) {
  int changed = 0;
  for (int i = 0; i < g->nn; i++) {
    if (g->n[i].dead || g->n[i].op != OP_VitcAttention) continue;
    for (int k = 0; k < g->n[i].n_in && k < 4; k++) {
      int r = g->n[i].in[k];
      if (r >= 0 && untranspose_input(g, r)) changed = 1;
    }
    changed |= relayout_output(g, i);
  }
  if (changed) pass_eliminate_dead(g);
  return changed;
}
