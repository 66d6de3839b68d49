/* passes/fuse_filter_tokens.c: FilterViT's and DropoutViT's token selection.
 * The gather of K pixels of a feature map as tokens becomes one
 * vitc.GatherTokens, their write-back one vitc.ScatterTokens (ir/ops.def,
 * ops/tokens.c).
 *
 * A filter-attention block (arXiv 2410.22709) scores every pixel of a
 * [B,C,H,W] map, picks the K best with TopK (DropoutViT: a constant random
 * set), runs a transformer layer on those K pixels as tokens, and writes the
 * results back to their pixels. Exporters spell the pick and the write-back
 * with index tensors the size of the tokens:
 *
 *   feats = x.flatten(2)                 [B,C,P]   (a view)
 *   I = TopK(score.flatten(1), K)[1]     [B,K]     (or a constant index set)
 *   X = Expand(Unsqueeze(I, 1), [B,C,K])           (or its folded constant)
 *   T = Transpose(GatherElements(feats, X, axis=2), [0,2,1])      [B,K,C]
 *   [T = T * Unsqueeze(values, -1)]      gated by the selected scores
 *   [T = T + Gather(table, I)]           position rows of the same pixels
 *   ... encoder on T ...
 *   y = ScatterElements(feats, X, Transpose(T', [0,2,1]), axis=2)  [B,C,P]
 *
 * or over the transposed map, feats = Transpose(x.flatten(2)) [B,P,C], with
 * GatherElements/ScatterElements along axis 1 (and the result transposed
 * back), or Gather(feats, idx, axis=1) of one index list [K] (batch 1, or a
 * constant set shared by the batch: `feats[:, idx]`, `idx[0]`). So the pass
 * recognizes structure, not node names:
 *
 *   index lists: an index tensor of the gather's rank that does not vary
 *     along the channel axis, i.e. Expand of a tensor whose channel dim is 1
 *     and whose other dims are (B or 1, K) (the tensor's own bytes are then
 *     the list, row b for image b, or one list for all), or a constant that is
 *     equal along the channels (then a new [B,K] constant); Gather's rank-1
 *     indices are one list. Views (Reshape, Unsqueeze, ...) and `idx[0]` of a
 *     [1,K] tensor are looked through, so the gather, the position table and
 *     the scatter are seen to use the same indices;
 *   the map: the gathered tensor itself, [B,C,P] (positions last) or [B,P,C],
 *     or, when it is Transpose(m, [0,2,1]), m read with swapped strides, so the
 *     transposed copy of the whole map is never needed;
 *   the tokens: the gather's output, transposed to [B,K,C] when the gather
 *     left them [B,C,K]; then optionally a Mul by a [B,K,1] gate and an Add of
 *     Gather(table [P,C], same indices) rows, in that order, each read only by
 *     the next step;
 *   the scatter: ScatterElements (no reduction) of tokens [B,K,C] (or their
 *     Transpose to [B,C,K], looked through) with an index list as above, into
 *     a base map; when the base is Transpose(m) and the only reader of the
 *     result transposes it back, the result is written in m's layout and both
 *     transposes go.
 * Each side is rewritten on its own (each is exact alone; the scatter need not
 * use the gather's indices). What is not recognized stays as exported: indices
 * that vary along the channels, a reduction, run-time int32 indices, a gather
 * of other ranks. Run-time indices are used as they are (TopK's are unique
 * and in range; the kernels skip an out-of-range one rather than touch memory
 * out of bounds); constant ones are checked and made non-negative here.
 *
 * What this buys (ops/tokens.c): the pick reads the map in place and writes
 * the [B,K,C] tokens once, gate and position rows included; the write-back
 * writes K*C elements into the map's buffer (the planner's OPF_INPLACE) instead
 * of a transposed copy of the map plus a full ScatterElements copy. The
 * replaced intermediates must have no other reader; the index chains and
 * transposes that other nodes still read stay (eliminate_dead removes the rest). */
#include <stdlib.h>
#include <string.h>

#include "ir/diag.h"
#include "ops/op.h"
#include "passes/match.h"
#include "passes/passes.h"

/* ---------------------------------------------------------------- helpers */

/* t through view ops (Reshape, Flatten, Squeeze, Unsqueeze, Identity) and
 * Gather(x, 0, axis 0) of an x whose first dim is 1 (`idx[0]`): the tensor whose
 * bytes t is. */
static int bytes_root(const Graph *g, int t) {
  for (int guard = 0; guard < 64; guard++) {
    int p = pm_producer(g, t, -1);
    if (p < 0) return t;
    const Node *n = &g->n[p];
    int x = n->n_in > 0 ? n->in[0] : -1;
    if (x < 0 || !g->t[x].typed) return t;
    if (op_flags(n->op) & OPF_VIEW) {
      t = x;
      continue;
    }
    if (n->op == OP_Gather && attr_int(n, "axis", 0) == 0 && g->t[x].shape.rank >= 1 && g->t[x].shape.d[0] == 1) {
      double v;
      if (pm_const_number(g, n->in[1], &v) && v == 0.0 && shape_numel(&g->t[n->in[1]].shape) == 1 &&
          g->t[n->in[1]].shape.rank == 0) {
        t = x;
        continue;
      }
    }
    return t;
  }
  return t;
}

/* Node p is a Transpose of a rank-3 tensor by perm (p0, p1, p2). */
static bool is_transpose3(const Graph *g, int p, int p0, int p1, int p2) {
  if (p < 0 || g->n[p].op != OP_Transpose) return false;
  const int64_t *perm;
  int k = attr_ints(&g->n[p], "perm", &perm);
  return k == 3 && perm[0] == p0 && perm[1] == p1 && perm[2] == p2;
}

static bool is_transpose_021(const Graph *g, int p) { return is_transpose3(g, p, 0, 2, 1); }

/* An index list: an int64 tensor (a run-time root, or a constant) of B*K
 * values, token i of image b naming pixel t[b*K + i], or of K values, one list
 * for every image (ops/tokens.c tells them apart by their count). */
typedef struct IdxList {
  int t;
} IdxList;

/* A constant list from `count` values (stride apart in v) per row, made
 * non-negative; false if one is out of [-P, P). */
static bool const_list(Graph *g, const char *hint, const Tensor *src, int64_t rows, int64_t K, int64_t row_stride,
                       int64_t step, int64_t P, IdxList *out) {
  int64_t *v = xmalloc((size_t)(rows * K) * sizeof(int64_t) + 1);
  for (int64_t b = 0; b < rows; b++)
    for (int64_t i = 0; i < K; i++) {
      int64_t x = tensor_get_i64(src, b * row_stride + i * step);
      if (x < -P || x >= P) {
        free(v);
        return false;
      }
      v[b * K + i] = x < 0 ? x + P : x;
    }
  Shape s = rows == 1 ? (Shape){1, {K}} : (Shape){2, {rows, K}};
  char *name = xmalloc(strlen(hint) + 16);
  sprintf(name, "%s_tokens", hint);
  for (int k = 2; graph_find_tensor(g, name) >= 0; k++) sprintf(name, "%s_tokens_%d", hint, k);
  out->t = graph_add_const(g, name, DT_INT64, &s, v);
  g->t[out->t].typed = true;
  free(name);
  return true;
}

/* Index tensor x (rank 3, shape `dims`) of a GatherElements/ScatterElements
 * along position axis a (channel axis 3 - a): its list, if it does not vary
 * along the channels. */
static bool element_list(Graph *g, int x, int a, int64_t P, IdxList *out) {
  const Tensor *xt = &g->t[x];
  if (!xt->typed || xt->shape.rank != 3 || (xt->dtype != DT_INT64 && xt->dtype != DT_INT32)) return false;
  int ca = 3 - a;
  int64_t B = xt->shape.d[0], K = xt->shape.d[a], C = xt->shape.d[ca];
  int64_t st[3] = {xt->shape.d[1] * xt->shape.d[2], xt->shape.d[2], 1};
  if (xt->data) { /* folded: equal along the channels */
    for (int64_t b = 0; b < B; b++)
      for (int64_t i = 0; i < K; i++)
        for (int64_t c = 1; c < C; c++)
          if (tensor_get_i64(xt, b * st[0] + i * st[a] + c * st[ca]) != tensor_get_i64(xt, b * st[0] + i * st[a]))
            return false;
    /* row b starts at b*st[0]; token i at i*st[a] */
    int64_t *v = xmalloc((size_t)(B * K) * sizeof(int64_t) + 1);
    for (int64_t b = 0; b < B; b++)
      for (int64_t i = 0; i < K; i++) v[b * K + i] = tensor_get_i64(xt, b * st[0] + i * st[a]);
    Tensor tmp = {.dtype = DT_INT64, .data = v, .typed = true, .shape = {1, {B * K}}};
    bool ok = const_list(g, xt->name, &tmp, B, K, K, 1, P, out);
    free(v);
    return ok;
  }
  int e = pm_producer(g, x, OP_Expand);
  if (e < 0) return false;
  int u = g->n[e].in[0];
  const Tensor *ut = &g->t[u];
  if (!ut->typed || ut->shape.rank > 3 || ut->dtype != xt->dtype) return false;
  int64_t ud[3] = {1, 1, 1};
  for (int k = 0; k < ut->shape.rank; k++) ud[3 - ut->shape.rank + k] = ut->shape.d[k];
  if (ud[ca] != 1 || ud[a] != K || (ud[0] != 1 && ud[0] != B)) return false;
  if (ut->data) return const_list(g, xt->name, ut, ud[0], K, K, 1, P, out);
  if (ut->dtype != DT_INT64) return false;
  out->t = bytes_root(g, u);
  return true;
}

/* Gather's indices (rank 1, K of them): one list for every image. */
static bool gather_list(Graph *g, int x, int64_t P, IdxList *out) {
  const Tensor *xt = &g->t[x];
  if (!xt->typed || xt->shape.rank != 1 || (xt->dtype != DT_INT64 && xt->dtype != DT_INT32)) return false;
  if (xt->data) return const_list(g, xt->name, xt, 1, xt->shape.d[0], 0, 1, P, out);
  if (xt->dtype != DT_INT64) return false;
  out->t = bytes_root(g, x);
  return true;
}

/* Do lists a and b name the same pixels? */
static bool same_list(const Graph *g, const IdxList *a, const IdxList *b) {
  if (a->t == b->t) return true;
  const Tensor *x = &g->t[a->t], *y = &g->t[b->t];
  if (!x->data || !y->data || shape_numel(&x->shape) != shape_numel(&y->shape)) return false;
  return memcmp(x->data, y->data, (size_t)shape_numel(&x->shape) * sizeof(int64_t)) == 0;
}

/* The map a gather or scatter reads: tensor d [B, d1, d2] with positions
 * along axis a, or the m of d = Transpose(m, [0,2,1]) (when use_source). */
typedef struct MapRef {
  int t;          /* tensor to read */
  int64_t st[3];  /* strides of (b, c, p) in t */
  int64_t B, C, P;
} MapRef;

static void map_of(const Graph *g, int d, int a, bool use_source, MapRef *m) {
  const Shape *s = &g->t[d].shape;
  m->B = s->d[0];
  m->C = s->d[3 - a];
  m->P = s->d[a];
  int tp = pm_producer(g, d, OP_Transpose);
  if (use_source && is_transpose_021(g, tp) && pm_is_f32(g, g->n[tp].in[0])) {
    m->t = g->n[tp].in[0]; /* m [B, d2, d1]: d[b][x][y] = m[b][y][x] */
    a = 3 - a;
    s = &g->t[m->t].shape;
  } else {
    m->t = d;
  }
  m->st[0] = s->d[1] * s->d[2];
  m->st[1] = a == 2 ? s->d[2] : 1;
  m->st[2] = a == 2 ? 1 : s->d[2];
}

static void set_ints(Graph *g, int ni, const char *name, const int64_t *v, int n) {
  Attr *a = node_add_attr(g, ni, name, ATTR_INTS);
  a->n = n;
  a->ints = xmalloc((size_t)n * sizeof(int64_t));
  memcpy(a->ints, v, (size_t)n * sizeof(int64_t));
}

/* ---------------------------------------------------------------- gather */

/* A [B,K,1] (or, for one image, [K,1] / [K]) float tensor whose bytes are the gate. */
static int gate_of(const Graph *g, int s, int64_t B, int64_t K) {
  const Tensor *t = &g->t[s];
  if (!pm_is_f32(g, s) || shape_numel(&t->shape) != B * K) return -1;
  const Shape *sh = &t->shape;
  bool ok = (sh->rank == 3 && sh->d[0] == B && sh->d[1] == K && sh->d[2] == 1) ||
            (B == 1 && sh->rank == 2 && sh->d[0] == K && sh->d[1] == 1);
  return ok ? bytes_root(g, s) : -1;
}

static int try_gather(Graph *g, int gi) {
  const Node *gn = &g->n[gi];
  if (gn->n_in != 2 || gn->n_out != 1) return 0;
  int d = gn->in[0], x = gn->in[1];
  if (!pm_is_f32(g, d) || g->t[d].shape.rank != 3 || !g->t[x].typed) return 0;
  int64_t axis = attr_int(gn, "axis", 0);
  if (axis < 0) axis += 3;
  if (axis != 1 && axis != 2) return 0;
  int a = (int)axis;
  MapRef m;
  map_of(g, d, a, true, &m);
  IdxList il;
  int64_t K;
  if (gn->op == OP_GatherElements) {
    const Shape *xs = &g->t[x].shape;
    if (xs->rank != 3 || xs->d[0] != m.B || xs->d[3 - a] != m.C) return 0;
    K = xs->d[a];
    if (!element_list(g, x, a, m.P, &il)) return 0;
  } else {
    if (!gather_list(g, x, m.P, &il)) return 0;
    K = g->t[x].shape.d[0];
  }
  gn = &g->n[gi]; /* constants may have been added */
  int kill[5], nk = 0, last = gi, tok = gn->out[0];
  int others[8], no = 0;        /* more transposes of a [B,C,K] gather, rewired below */
  int64_t main_perm[3] = {0, 1, 2};
  bool seq = false;             /* the tokens come out sequence-first, [K,B,C] */
  if (a == 2) { /* [B,C,K] gathered: every reader a Transpose putting the channels last */
    int first = -1;             /* the earliest reader (the new node takes its slot) */
    for (int i = 0; i < g->nn; i++) {
      const Node *r = &g->n[i];
      bool reads = false;
      for (int k = 0; k < r->n_in && !r->dead; k++) reads |= r->in[k] == tok;
      if (!reads) continue;
      const int64_t *perm;
      if (r->op != OP_Transpose || r->in[0] != tok || attr_ints(r, "perm", &perm) != 3 || perm[2] != 1 || no == 8)
        return 0;
      if (first < 0) {
        first = i;
        memcpy(main_perm, perm, sizeof main_perm);
      } else {
        others[no++] = i;
      }
    }
    if (first < 0 || g->t[tok].is_output) return 0;
    seq = main_perm[0] == 2; /* (2,0,1): [K,B,C], the exporter's two transposes composed */
    kill[nk++] = last;
    last = first;
    tok = g->n[first].out[0];
  }
  int gate = -1, table = -1, rows = 0, u = no == 0 && !seq ? pm_only_user(g, tok) : -1;
  /* gate: tokens * [B,K,1] */
  if (u >= 0 && g->n[u].op == OP_Mul && pm_same_shape(g, g->n[u].out[0], tok)) {
    int s = pm_other_input(&g->n[u], tok);
    if (s >= 0 && (gate = gate_of(g, s, m.B, K)) >= 0) {
      kill[nk++] = last;
      last = u;
      tok = g->n[u].out[0];
      u = pm_only_user(g, tok);
    }
  }
  /* position rows: tokens + Gather(table [P,C], the same indices), or + constant
   * rows per token (that Gather folded: [K,C] for every image, or [B,K,C]) */
  if (u >= 0 && g->n[u].op == OP_Add && pm_same_shape(g, g->n[u].out[0], tok)) {
    int pe = pm_other_input(&g->n[u], tok), pg = pm_producer(g, pe, OP_Gather);
    if (pg >= 0 && attr_int(&g->n[pg], "axis", 0) == 0) {
      int tab = g->n[pg].in[0], ix = g->n[pg].in[1];
      const Shape *ts = &g->t[tab].shape, *is = &g->t[ix].shape;
      IdxList pl = {-1};
      bool ok = pm_is_f32(g, tab) && ts->rank == 2 && ts->d[0] == m.P && ts->d[1] == m.C && g->t[ix].typed;
      if (ok && g->t[ix].data) { /* a constant list: rows [B,K] (or [K]) */
        int64_t nrows = is->rank == 2 ? is->d[0] : 1;
        ok = (is->rank == 2 || is->rank == 1) && is->d[is->rank - 1] == K &&
             const_list(g, g->t[ix].name, &g->t[ix], nrows, K, K, 1, m.P, &pl);
      } else if (ok) {
        ok = g->t[ix].dtype == DT_INT64 && shape_numel(is) == shape_numel(&g->t[il.t].shape);
        pl.t = bytes_root(g, ix);
      }
      if (ok && same_list(g, &il, &pl)) table = tab;
    } else if (pe >= 0 && pm_is_f32(g, pe) && g->t[pe].data) {
      const Shape *ps = &g->t[pe].shape;
      int64_t n = shape_numel(ps);
      if (ps->rank >= 2 && ps->d[ps->rank - 1] == m.C && ps->d[ps->rank - 2] == K && (n == K * m.C || n == m.B * K * m.C)) {
        table = pe;
        rows = n == K * m.C ? 1 : 2;
      }
    }
    if (table >= 0) {
      kill[nk++] = last;
      last = u;
      tok = g->n[u].out[0];
    }
  }
  /* a sequence-first encoder (batch_first False): the tokens written as [K, B, C] */
  u = no == 0 && !seq ? pm_only_user(g, tok) : -1;
  if (u >= 0 && is_transpose3(g, u, 1, 0, 2)) {
    seq = true;
    kill[nk++] = last;
    last = u;
    tok = g->n[u].out[0];
  }
  char *name = pm_name(g->n[gi].name, "GatherTokens");
  for (int k = 0; k < nk; k++) g->n[kill[k]].dead = true;
  int in[4] = {m.t, il.t, gate, table};
  int n_in = table >= 0 ? 4 : gate >= 0 ? 3 : 2;
  int ni = pm_replace(g, last, OP_VitcGatherTokens, name, in, n_in, &tok, 1);
  free(name);
  int64_t dims[4] = {m.B, m.C, m.P, K};
  set_ints(g, ni, "dims", dims, 4);
  set_ints(g, ni, "map", m.st, 3);
  if (rows) node_add_attr(g, ni, "rows", ATTR_INT)->i = rows;
  if (seq) {
    int64_t os[2] = {m.C, m.B * m.C};
    set_ints(g, ni, "shape", g->t[tok].shape.d, g->t[tok].shape.rank);
    set_ints(g, ni, "out", os, 2);
  }
  /* the other transposes of the [B,C,K] gather now transpose the tokens:
   * their output dim t is G's dim p[t], which is the tokens' dim main^-1(p[t]) */
  int64_t inv[3];
  for (int t = 0; t < 3; t++) inv[main_perm[t]] = t;
  for (int k = 0; k < no; k++) {
    Node *r = &g->n[others[k]];
    const int64_t *p;
    attr_ints(r, "perm", &p);
    int64_t q[3] = {inv[p[0]], inv[p[1]], inv[p[2]]};
    if (q[0] == 0 && q[1] == 1 && q[2] == 2 && !g->t[r->out[0]].is_output) {
      graph_replace_uses(g, r->out[0], tok);
      r->dead = true;
      continue;
    }
    r->in[0] = tok;
    for (int i = 0; i < r->n_attr; i++)
      if (strcmp(r->attr[i].name, "perm") == 0) memcpy(r->attr[i].ints, q, sizeof q);
  }
  if (no) graph_reindex(g); /* inputs rewired by hand */
  return 1;
}

/* ---------------------------------------------------------------- scatter */

static int try_scatter(Graph *g, int si) {
  const Node *sn = &g->n[si];
  if (sn->n_in != 3 || sn->n_out != 1 || strcmp(attr_str(sn, "reduction", "none"), "none") != 0) return 0;
  int d = sn->in[0], x = sn->in[1], upd = sn->in[2], y = sn->out[0];
  if (!pm_is_f32(g, d) || g->t[d].shape.rank != 3 || !pm_is_f32(g, upd)) return 0;
  int64_t axis = attr_int(sn, "axis", 0);
  if (axis < 0) axis += 3;
  if (axis != 1 && axis != 2) return 0;
  int a = (int)axis;
  const Shape *xs = &g->t[x].shape, *ds = &g->t[d].shape;
  if (!g->t[x].typed || xs->rank != 3 || xs->d[0] != ds->d[0] || xs->d[3 - a] != ds->d[3 - a]) return 0;
  /* the result in the base's source layout when it is transposed back */
  int back = pm_only_user(g, y);
  bool via_source = back >= 0 && is_transpose_021(g, back) && is_transpose_021(g, pm_producer(g, d, OP_Transpose));
  MapRef m;
  map_of(g, d, a, via_source, &m);
  IdxList il;
  if (!element_list(g, x, a, m.P, &il)) return 0;
  sn = &g->n[si];
  int64_t K = xs->d[a];
  /* tokens: the (b, i, c) strides of upd, or of what the Transposes that only
   * feed it (to [B,C,K], from a sequence-first [K,B,C]) read */
  int64_t us[3];
  int sem[3] = {0, a == 1 ? 1 : 2, a == 1 ? 2 : 1}; /* sem[axis]: 0 batch, 1 token, 2 channel */
  int kill[8], nk = 0, consumer = si;
  for (int tp; nk < 6 && (tp = pm_producer(g, upd, OP_Transpose)) >= 0 && pm_only_user(g, upd) == consumer;) {
    const int64_t *perm;
    int z[3], src = g->n[tp].in[0];
    if (attr_ints(&g->n[tp], "perm", &perm) != 3 || !pm_is_f32(g, src)) break;
    for (int t = 0; t < 3; t++) z[perm[t]] = sem[t];
    memcpy(sem, z, sizeof z);
    kill[nk++] = consumer = tp;
    upd = src;
  }
  const Shape *u3 = &g->t[upd].shape;
  int64_t ust[3] = {u3->d[1] * u3->d[2], u3->d[2], 1};
  for (int t = 0; t < 3; t++) us[sem[t]] = ust[t];
  int last = si, out = y;
  if (via_source) {
    kill[nk++] = si;
    last = back;
    out = g->n[back].out[0];
  }
  char *name = pm_name(g->n[si].name, "ScatterTokens");
  for (int k = 0; k < nk; k++) g->n[kill[k]].dead = true;
  int in[3] = {m.t, il.t, upd};
  int ni = pm_replace(g, last, OP_VitcScatterTokens, name, in, 3, &out, 1);
  free(name);
  int64_t dims[4] = {m.B, m.C, m.P, K};
  set_ints(g, ni, "dims", dims, 4);
  set_ints(g, ni, "map", m.st, 3);
  set_ints(g, ni, "upd", us, 3);
  return 1;
}

int pass_fuse_filter_tokens(Graph *g) {
  int changed = 0;
  for (int i = 0; i < g->nn; i++) {
    if (g->n[i].dead) continue;
    if (g->n[i].op == OP_GatherElements || g->n[i].op == OP_Gather) changed |= try_gather(g, i);
    else if (g->n[i].op == OP_ScatterElements) changed |= try_scatter(g, i);
  }
  /* the index chains (Unsqueeze, Expand) and transposes nothing reads now */
  if (changed) pass_eliminate_dead(g);
  return changed;
}
