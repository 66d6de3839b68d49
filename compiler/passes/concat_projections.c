/* passes/concat_projections.c: products by constant weights that read the same
 * tensor become one GEMM over their concatenated weights (MABViT's parallel block).
 *
 * A MABViT block computes h = LN(x) once and projects it five ways: q, k, v, a gate
 * g (one Linear sliced four ways, or four Linears) and the MLP's fc1, then gates the
 * values, V = v * act(g). Here every
 *
 *     p = MatMul(h, W_p) | Gemm(h, B_p, C_p)      W_p, B_p constant, alpha = beta = 1
 *     [+ Add(p, bias_p)]  [-> act_p]              act: GELU, ReLU or SiLU
 *
 * reading the same h becomes one vitc.Gemm Y = h @ [W_1 | W_2 | ...] + [bias_1 | ...]
 * whose epilogue applies act_p to p's column range (vitc.Gemm's `ranges`), and each
 * p's readers read Slice(Y, p's columns): fuse_attention traces q, k and v through
 * such Slices to Y (strided, in place), fuse_gemm_epilogue reads fc1's columns as
 * fc2's A in place (lda > K). h is packed once instead of five times.
 *
 * A product read only by Slices (or Splits) of its last axis (a fused q|k|v|g
 * Linear, chunked by the legacy or the dynamo exporter) is cut into those column
 * ranges. A gate V = Mul(v, act(g)), with v and g two ranges of
 * the same width (Slices of one product, or two products) and act GELU, SiLU or
 * ReLU, goes into the epilogue too: g's range is placed before v's and activated,
 * and v's range is multiplied by it (a range gated by its own earlier columns, the
 * contract of templates/gemm/f32-gemm-epilogue.c), so Y holds V where v was. The
 * GLU form, v * Sigmoid(g), is left alone: fuse_attention gates V inside the
 * attention kernel, reading v and g in place.
 *
 * Exactness: each column is the same dot product, in the same order, as the
 * separate product computes (the microkernels sum over k in order whatever N is);
 * the activations and the gate are the same fast math in the epilogue as in the
 * element-wise kernels: results agree to rounding.
 *
 * Runs after recognize_gelu (its Gelu nodes are the activations) and
 * eliminate_zero_attention (a deleted branch is no reader), before fuse_attention.
 * Near-misses it leaves: a single product without a gate, weights computed at run
 * time, a raw v or g also read elsewhere, slices that overlap, more column ranges
 * than an epilogue holds. */
#include <stdlib.h>
#include <string.h>

#define VITC_GEMM_EPILOGUE_CODES_ONLY
#include "gemm/f32-gemm-epilogue.c"
#undef VITC_GEMM_EPILOGUE_CODES_ONLY

#include "ir/diag.h"
#include "ops/epilogue.h"
#include "ops/op.h"
#include "passes/match.h"
#include "passes/passes.h"

#define MAX_PRODUCTS 16
#define MAX_SEGS 32

typedef struct Prod {
  int node;     /* the MatMul or Gemm */
  int w, bias;  /* [K, N] weights, [N] bias or -1 */
  int64_t N;
  int act;      /* activation in its chain */
  int out;      /* the chain's output (what readers read) */
  int kill[4];  /* the chain's nodes */
  int nk;
} Prod;

typedef struct Seg {
  int prod;
  int64_t start, len;  /* columns of the product */
  int act;
  int tensor;          /* what readers read: a Slice's or Split's output, or the product's chain output */
  int slices[8];       /* the Slice (or Split) nodes making `tensor`, none for a whole product */
  int nslices;
  int gate;            /* GLU: the index of the gate segment, or -1 */
  int gated_out;       /* GLU: the Mul's output, which Y's columns now hold */
  int64_t col;         /* first column in Y */
  bool is_gate;
} Seg;

/* A product by constant weights reading h as A: fills p (weights transposed for a
 * transB Gemm); false if node ni is not one. */
static bool product(Graph *g, int ni, int h, Prod *p) {
  const Node *n = &g->n[ni];
  if (n->dead || n->n_out != 1 || n->n_in < 2 || n->in[0] != h || n->in[1] == h) return false;
  int y = n->out[0];
  if (!pm_is_f32(g, y) || g->t[y].shape.rank < 1) return false;
  memset(p, 0, sizeof *p);
  p->node = ni;
  p->bias = -1;
  if (n->op == OP_MatMul) {
    p->w = n->in[1];
    if (!pm_is_f32(g, p->w) || !g->t[p->w].data || g->t[p->w].shape.rank != 2) return false;
  } else if (n->op == OP_Gemm) {
    if (attr_int(n, "transA", 0) || attr_float(n, "alpha", 1.0f) != 1.0f) return false;
    if (node_in(g, n, 2) && (attr_float(n, "beta", 1.0f) != 1.0f || !node_in_const(g, n, 2))) return false;
    const Tensor *b = node_in(g, n, 1);
    if (!b || !b->data || b->shape.rank != 2) return false;
    int64_t Nn = b->shape.d[attr_int(n, "transB", 0) ? 0 : 1];
    if (node_in(g, n, 2) && pm_bias_vector(g, n->in[2], Nn) < 0) return false;
    p->w = pm_gemm_weights(g, &g->n[ni]);
    if (p->w < 0) return false;
    if (node_in(g, &g->n[ni], 2)) p->bias = pm_bias_vector(g, g->n[ni].in[2], Nn);
  } else {
    return false;
  }
  n = &g->n[ni];
  p->N = g->t[p->w].shape.d[1];
  if (g->t[h].shape.d[g->t[h].shape.rank - 1] != g->t[p->w].shape.d[0] || g->t[y].shape.d[g->t[y].shape.rank - 1] != p->N)
    return false;
  /* the chain: bias, then an activation other than sigmoid */
  p->out = y;
  int u = pm_only_user(g, y);
  if (p->bias < 0 && u >= 0 && g->n[u].op == OP_Add && pm_same_shape(g, g->n[u].out[0], y)) {
    int c = pm_other_input(&g->n[u], y);
    if (c >= 0 && g->t[c].data && (p->bias = pm_bias_vector(g, c, p->N)) >= 0) {
      p->kill[p->nk++] = u;
      p->out = g->n[u].out[0];
    }
  }
  int last, act = pm_activation(g, p->out, &last);
  if (act >= 0 && act != VITC_GEMM_ACT_SIGMOID) {
    if (act == VITC_GEMM_ACT_SILU) { /* the Sigmoid of the pair */
      const Node *m = &g->n[last];
      p->kill[p->nk++] = g->t[m->in[0] == p->out ? m->in[1] : m->in[0]].producer;
    }
    p->kill[p->nk++] = last;
    p->act = act;
    p->out = g->n[last].out[0];
  }
  return true;
}

/* Slice node si takes columns [*start, *start + *len) of the last axis of its input
 * (of n columns), everything else whole, unit step. */
static bool column_slice(const Graph *g, int si, int64_t n, int64_t *start, int64_t *len) {
  const Node *s = &g->n[si];
  if (s->op != OP_Slice || s->n_in < 3 || s->n_out != 1) return false;
  const Shape *xs = &g->t[s->in[0]].shape, *ys = &g->t[s->out[0]].shape;
  double st, en, ax = xs->rank - 1, stp = 1;
  if (!pm_const_number(g, s->in[1], &st) || !pm_const_number(g, s->in[2], &en)) return false;
  if (s->n_in > 3 && s->in[3] >= 0 && !pm_const_number(g, s->in[3], &ax)) return false;
  if (s->n_in > 4 && s->in[4] >= 0 && (!pm_const_number(g, s->in[4], &stp) || stp != 1)) return false;
  if (ax != xs->rank - 1 && ax != -1) return false;
  if (ys->rank != xs->rank) return false;
  for (int d = 0; d + 1 < xs->rank; d++)
    if (ys->d[d] != xs->d[d]) return false;
  int64_t s0 = (int64_t)st;
  if (s0 < 0) s0 += n;
  *start = s0;
  *len = ys->d[ys->rank - 1];
  return s0 >= 0 && *len > 0 && s0 + *len <= n;
}

/* The segments of product p: its Slices' column ranges when only such Slices read
 * it (and it has no activation), else the whole product. */
static int segments_of(Graph *g, const Prod *p, int pi, Seg *seg, int nseg) {
  int first = nseg;
  bool sliced = p->act == VITC_GEMM_ACT_NONE && !g->t[p->out].is_output;
  for (int i = 0; i < g->nn && sliced; i++) {
    const Node *n = &g->n[i];
    if (n->dead) continue;
    for (int k = 0; k < n->n_in; k++) {
      if (n->in[k] != p->out) continue;
      if (k == 0 && n->op == OP_Split) { /* a Split of the last axis: each output a range */
        const Shape *xs = &g->t[p->out].shape;
        int64_t ax = attr_int(n, "axis", 0), st = 0;
        if (ax != xs->rank - 1 && ax != -1) {
          sliced = false;
          break;
        }
        for (int o = 0; o < n->n_out && sliced; o++) {
          int64_t len = n->out[o] >= 0 ? g->t[n->out[o]].shape.d[xs->rank - 1] : 0;
          if (n->out[o] < 0 || len <= 0 || nseg == MAX_SEGS) {
            sliced = false;
            break;
          }
          seg[nseg] = (Seg){.prod = pi, .start = st, .len = len, .act = VITC_GEMM_ACT_NONE, .tensor = n->out[o],
                            .gate = -1, .gated_out = -1};
          seg[nseg].slices[seg[nseg].nslices++] = i;
          nseg++;
          st += len;
        }
        break;
      }
      int64_t st, len;
      if (k != 0 || !column_slice(g, i, p->N, &st, &len)) {
        sliced = false;
        break;
      }
      int s = first;
      while (s < nseg && !(seg[s].start == st && seg[s].len == len)) s++;
      for (int o = first; o < nseg && s == nseg; o++)
        if (st < seg[o].start + seg[o].len && seg[o].start < st + len) sliced = false; /* overlapping ranges */
      if (!sliced) break;
      if (s == nseg) {
        if (nseg == MAX_SEGS) return -1;
        seg[nseg++] = (Seg){.prod = pi, .start = st, .len = len, .act = VITC_GEMM_ACT_NONE, .tensor = n->out[0],
                            .gate = -1, .gated_out = -1};
      } else if (n->out[0] != seg[s].tensor) {
        /* a second Slice of the same columns: its readers read the first one's
         * output (the rewrite makes one Slice per range), unless it is a graph output */
        if (g->t[n->out[0]].is_output) {
          sliced = false;
          break;
        }
        graph_replace_uses(g, n->out[0], seg[s].tensor);
        g->n[i].dead = true;
        continue;
      }
      if (seg[s].nslices == 8) return -1;
      seg[s].slices[seg[s].nslices++] = i;
    }
  }
  if (!sliced || nseg == first) {
    nseg = first;
    if (nseg == MAX_SEGS) return -1;
    seg[nseg++] = (Seg){.prod = pi, .start = 0, .len = p->N, .act = p->act, .tensor = p->out, .gate = -1,
                        .gated_out = -1};
  }
  return nseg;
}

/* The segment whose tensor is t, or -1. */
static int seg_of(const Seg *seg, int nseg, int t) {
  for (int s = 0; s < nseg; s++)
    if (seg[s].tensor == t) return s;
  return -1;
}

/* GLUs: V = Mul(v, a) with v a segment's tensor read only there and a = act(g) for
 * a segment g of v's width, act not sigmoid: either g is a whole product with that
 * activation, or g's tensor is read only by the activation. Marks them; returns the
 * activation nodes to delete through kill/nk. */
static void find_glus(Graph *g, Seg *seg, int nseg, int *kill, int *nk) {
  for (int v = 0; v < nseg; v++) {
    int m = pm_only_user(g, seg[v].tensor);
    if (m < 0 || g->n[m].op != OP_Mul || seg[v].is_gate || seg[v].gate >= 0) continue;
    int a = pm_other_input(&g->n[m], seg[v].tensor);
    if (a < 0 || pm_only_user(g, a) != m || !pm_same_shape(g, a, seg[v].tensor)) continue;
    int gs = seg_of(seg, nseg, a), acts[2] = {-1, -1}, act = -1;
    if (gs >= 0) { /* a whole product with its activation */
      act = seg[gs].act;
      if (act == VITC_GEMM_ACT_NONE) continue;
    } else { /* an activation node (pair) reading a segment */
      int p = pm_producer(g, a, -1);
      if (p < 0) continue;
      int t = g->n[p].op == OP_Mul ? -1 : g->n[p].in[0]; /* SiLU ends in a Mul(t, Sigmoid(t)) */
      if (g->n[p].op == OP_Mul) {
        for (int k = 0; k < 2 && t < 0; k++) {
          int sg = pm_producer(g, g->n[p].in[k], OP_Sigmoid);
          if (sg >= 0 && g->n[sg].in[0] == g->n[p].in[1 - k]) t = g->n[p].in[1 - k], acts[1] = sg;
        }
      }
      if (t < 0 || (gs = seg_of(seg, nseg, t)) < 0 || seg[gs].act != VITC_GEMM_ACT_NONE) continue;
      int last;
      act = pm_activation(g, t, &last);
      if (last != p) continue;
      acts[0] = p;
    }
    if (gs == v || seg[gs].is_gate || seg[gs].gate >= 0 || seg[gs].len != seg[v].len) continue;
    if (act != VITC_GEMM_ACT_GELU && act != VITC_GEMM_ACT_GELU_TANH && act != VITC_GEMM_ACT_SILU &&
        act != VITC_GEMM_ACT_RELU)
      continue;
    seg[gs].act = act;
    seg[gs].is_gate = true;
    seg[v].gate = gs;
    seg[v].gated_out = g->n[m].out[0];
    kill[(*nk)++] = m;
    for (int k = 0; k < 2; k++)
      if (acts[k] >= 0) kill[(*nk)++] = acts[k];
  }
}

/* A Slice of Y's columns [start, start + len) writing tensor out (a new node). */
static void slice_node(Graph *g, const char *name, int y, int64_t start, int64_t len, int out) {
  int64_t v[3] = {start, start + len, -1};
  int c[3];
  Shape one = {1, {1}};
  for (int i = 0; i < 3; i++) {
    int64_t *d = xmalloc(sizeof(int64_t));
    *d = v[i];
    c[i] = graph_add_const(g, NULL, DT_INT64, &one, d);
  }
  int in[4] = {y, c[0], c[1], c[2]};
  graph_add_node(g, OP_Slice, name, in, 4, &out, 1);
}

static int try_tensor(Graph *g, int h) {
  if (!pm_is_f32(g, h) || g->t[h].shape.rank < 1) return 0;
  Prod prods[MAX_PRODUCTS];
  int np = 0;
  for (int i = 0; i < g->nn && np < MAX_PRODUCTS; i++)
    if (!g->n[i].dead && (g->n[i].op == OP_MatMul || g->n[i].op == OP_Gemm) && g->n[i].in[0] == h)
      np += product(g, i, h, &prods[np]);
  if (np < 1) return 0;
  Seg seg[MAX_SEGS];
  int nseg = 0;
  for (int p = 0; p < np; p++)
    if ((nseg = segments_of(g, &prods[p], p, seg, nseg)) < 0) return 0;
  int kill[3 * MAX_SEGS], nk = 0;
  find_glus(g, seg, nseg, kill, &nk);
  if (np < 2 && nk == 0) return 0; /* one product, nothing to fuse: fuse_gemm_epilogue's */
  /* Y's column order: the segments in order, each gate segment just before the one it gates */
  int order[MAX_SEGS], no = 0;
  for (int s = 0; s < nseg; s++) {
    if (seg[s].is_gate) continue;
    if (seg[s].gate >= 0) order[no++] = seg[s].gate;
    order[no++] = s;
  }
  int64_t total = 0, ranges[3 * MAX_SEGS];
  int nr = 0;
  for (int o = 0; o < no; o++) {
    Seg *s = &seg[order[o]];
    s->col = total;
    total += s->len;
    int64_t glu = s->gate >= 0 ? seg[s->gate].col : -1;
    if (nr && glu < 0 && ranges[3 * (nr - 1) + 2] < 0 && ranges[3 * (nr - 1) + 1] == s->act) {
      ranges[3 * (nr - 1)] = total; /* the same activation continues */
      continue;
    }
    ranges[3 * nr] = total, ranges[3 * nr + 1] = s->act, ranges[3 * nr + 2] = glu;
    nr++;
  }
  if (nr > EPI_MAX_RANGES) return 0;
  /* the concatenated weights and bias */
  int64_t K = g->t[prods[0].w].shape.d[0];
  float *w = xmalloc(sizeof(float) * (size_t)(K * total + 1)), *b = xmalloc(sizeof(float) * (size_t)(total + 1));
  bool any_bias = false;
  for (int o = 0; o < no; o++) {
    const Seg *s = &seg[order[o]];
    const Prod *p = &prods[s->prod];
    const float *pw = g->t[p->w].data, *pb = p->bias >= 0 ? g->t[p->bias].data : NULL;
    for (int64_t k = 0; k < K; k++)
      memcpy(w + k * total + s->col, pw + k * p->N + s->start, sizeof(float) * (size_t)s->len);
    for (int64_t j = 0; j < s->len; j++) b[s->col + j] = pb ? pb[s->start + j] : 0.0f;
    any_bias |= pb != NULL;
  }
  Shape ws = {2, {K, total}}, bs = {1, {total}};
  char *name = pm_name(g->n[prods[0].node].name, "ConcatGemm");
  int wt = pm_add_const_f32(g, name, &ws, w), bt = any_bias ? pm_add_const_f32(g, name, &bs, b) : -1;
  free(w), free(b);
  Shape ys = g->t[g->n[prods[0].node].out[0]].shape;
  ys.d[ys.rank - 1] = total;
  char *yname = xmalloc(strlen(name) + 32);
  sprintf(yname, "%s_output_0", name);
  for (int k = 1; graph_find_tensor(g, yname) >= 0; k++) sprintf(yname, "%s_output_%d", name, k);
  int y = graph_add_tensor(g, yname);
  free(yname);
  g->t[y].dtype = DT_FLOAT, g->t[y].shape = ys, g->t[y].typed = true;
  int in[3] = {h, wt, bt};
  int ni = graph_add_node(g, OP_VitcGemm, name, in, bt >= 0 ? 3 : 2, &y, 1);
  if (nr == 1) {
    node_add_attr(g, ni, "activation", ATTR_INT)->i = ranges[1];
  } else {
    Attr *a = node_add_attr(g, ni, "ranges", ATTR_INTS);
    a->n = 3 * nr;
    a->ints = xmalloc(sizeof(int64_t) * (size_t)a->n);
    memcpy(a->ints, ranges, sizeof(int64_t) * (size_t)a->n);
  }
  /* every segment's readers read Y's columns */
  for (int s = 0; s < nseg; s++) {
    Seg *sg = &seg[s];
    if (sg->is_gate) continue; /* read only by its gated range */
    char *sn = pm_name(name, "Slice");
    if (sg->gate >= 0) {
      for (int k = 0; k < sg->nslices; k++) g->n[sg->slices[k]].dead = true;
      slice_node(g, sn, y, sg->col, sg->len, sg->gated_out);
    } else if (sg->nslices) {
      for (int k = 0; k < sg->nslices; k++) g->n[sg->slices[k]].dead = true;
      slice_node(g, sn, y, sg->col, sg->len, sg->tensor);
    } else {
      slice_node(g, sn, y, sg->col, sg->len, sg->tensor);
    }
    free(sn);
  }
  for (int s = 0; s < nseg; s++)
    for (int k = 0; k < seg[s].nslices; k++) g->n[seg[s].slices[k]].dead = true;
  for (int p = 0; p < np; p++) {
    g->n[prods[p].node].dead = true;
    for (int k = 0; k < prods[p].nk; k++) g->n[prods[p].kill[k]].dead = true;
  }
  for (int k = 0; k < nk; k++) g->n[kill[k]].dead = true;
  free(name);
  if (graph_toposort(g) < 0) vitc_die("concat_projections: the rewrite made a cycle");
  return 1;
}

int pass_concat_projections(Graph *g) {
  if (!op_impl(OP_VitcGemm)->infer) return 0;
  int changed = 0;
  for (int t = 0; t < g->nt; t++) {
    if (!g->t[t].typed || g->t[t].data) continue;
    int rc = try_tensor(g, t);
    if (rc) graph_compact(g);
    changed |= rc;
  }
  return changed;
}
