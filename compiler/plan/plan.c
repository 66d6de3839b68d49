/* plan/plan.c: liveness-based workspace planning (see plan.h). With --threads N
 * the scratch of the GEMM, Conv and attention nodes is planned N times over.
 *
 * Greedy by size places each buffer, largest first, at the lowest offset where it
 * fits among the already placed buffers whose lifetimes overlap its own. Those
 * are found with a segment tree over node positions (each placed lifetime is
 * stored in O(log n) tree nodes; a query visits only subtrees holding some), so
 * placing a buffer costs the number of buffers live beside it, not the number of
 * buffers placed: a chain of 40,000 nodes plans in milliseconds. The offsets are
 * those of the plain all-pairs loop, which tests/check_plan.c compares against.
 *
 * Outputs of OPF_INPLACE ops may share their input's buffer (plan_inplace). */
#include "plan/plan.h"

#include <stdlib.h>
#include <string.h>

#include "ir/diag.h"
#include "ops/op.h"

typedef struct Buffer {
  int id;          /* tensor index, or -1 - node index for scratch */
  size_t bytes;
  int first, last; /* node positions */
  size_t offset;
} Buffer;

int plan_root(const Plan *p, int t) { return p->t[t].kind == ST_VIEW ? p->t[t].owner : t; }

static int cmp_size_desc(const void *a, const void *b) {
  const Buffer *x = a, *y = b;
  if (x->bytes != y->bytes) return x->bytes < y->bytes ? 1 : -1;
  if (x->first != y->first) return x->first - y->first;
  return x->id - y->id;
}

/* ---- the placed lifetimes, by node position ----
 *
 * A segment tree over positions [0, n): a lifetime [first, last] is stored in the
 * O(log n) tree nodes that cover it exactly, and every tree node counts the
 * lifetimes stored at or below it. A query for [first, last] reports the lists of
 * the tree nodes it meets, descending only into subtrees that hold some lifetime;
 * each such subtree inside the range holds only overlapping lifetimes, so a query
 * costs O((k + 1) log^2 n) for k reported buffers. */
typedef struct LiveTree {
  int n;          /* positions */
  int **list;     /* per tree node: buffers stored there */
  int *len, *cap;
  int *below;     /* per tree node: lifetimes stored in its subtree */
  int *seen;      /* per buffer: the query that last reported it (a buffer sits in several nodes) */
  int query;
} LiveTree;

static void live_tree_init(LiveTree *lt, int n, int nbuf) {
  lt->n = n > 0 ? n : 1;
  size_t nodes = 4 * (size_t)lt->n;
  lt->list = xcalloc(nodes, sizeof(int *));
  lt->len = xcalloc(nodes, sizeof(int));
  lt->cap = xcalloc(nodes, sizeof(int));
  lt->below = xcalloc(nodes, sizeof(int));
  lt->seen = xcalloc((size_t)nbuf + 1, sizeof(int));
  lt->query = 0;
}

static void live_tree_free(LiveTree *lt) {
  for (size_t i = 0; i < 4 * (size_t)lt->n; i++) free(lt->list[i]);
  free(lt->list);
  free(lt->len);
  free(lt->cap);
  free(lt->below);
  free(lt->seen);
}

static void tree_insert(LiveTree *lt, int node, int lo, int hi, int first, int last, int b) {
  lt->below[node]++;
  if (first <= lo && hi <= last) {
    if (lt->len[node] == lt->cap[node]) {
      lt->cap[node] = lt->cap[node] ? 2 * lt->cap[node] : 4;
      lt->list[node] = xrealloc(lt->list[node], (size_t)lt->cap[node] * sizeof(int));
    }
    lt->list[node][lt->len[node]++] = b;
    return;
  }
  int mid = lo + (hi - lo) / 2;
  if (first <= mid) tree_insert(lt, 2 * node + 1, lo, mid, first, last, b);
  if (last > mid) tree_insert(lt, 2 * node + 2, mid + 1, hi, first, last, b);
}

static void live_tree_insert(LiveTree *lt, int first, int last, int b) {
  tree_insert(lt, 0, 0, lt->n - 1, first, last, b);
}

static void tree_query(LiveTree *lt, int node, int lo, int hi, int first, int last, int *out, int *nout) {
  if (lt->below[node] == 0 || hi < first || last < lo) return;
  for (int i = 0; i < lt->len[node]; i++) {
    int b = lt->list[node][i];
    if (lt->seen[b] != lt->query) {
      lt->seen[b] = lt->query;
      out[(*nout)++] = b;
    }
  }
  if (lo == hi) return;
  int mid = lo + (hi - lo) / 2;
  tree_query(lt, 2 * node + 1, lo, mid, first, last, out, nout);
  tree_query(lt, 2 * node + 2, mid + 1, hi, first, last, out, nout);
}

/* The placed buffers whose lifetimes overlap [first, last], into out; returns their count. */
static int live_tree_query(LiveTree *lt, int first, int last, int *out) {
  int n = 0;
  lt->query++;
  tree_query(lt, 0, 0, lt->n - 1, first, last, out, &n);
  return n;
}

/* A placed buffer by offset, for the gap search. */
typedef struct Placed {
  size_t offset;
  int b;
} Placed;

/* Ties in any order: the gap search's result does not depend on it. */
static int cmp_offset(const void *a, const void *b) {
  size_t x = ((const Placed *)a)->offset, y = ((const Placed *)b)->offset;
  return (x > y) - (x < y);
}

static size_t align_up(size_t v) { return (v + PLAN_ALIGN - 1) / PLAN_ALIGN * PLAN_ALIGN; }

bool plan_node_parallel(const Node *n) {
  return n->op == OP_MatMul || n->op == OP_Gemm || n->op == OP_VitcGemm || n->op == OP_Conv ||
         n->op == OP_VitcAttention;
}

/* OPF_INPLACE (ir/ops.def): output 0 of such a node becomes a view of its input
 * 0, with no buffer of its own, when both are workspace buffers of the same
 * size, no other input of the node is that buffer, and no later node reads it:
 * the kernel then overwrites values that nothing needs any more (vitc.ScatterTokens
 * writes K tokens into the map instead of copying the map). Nodes are taken in
 * order, so a chain of such nodes can share one buffer. */
static void plan_inplace(const Graph *g, Plan *p) {
  bool any = false;
  for (int i = 0; i < g->nn && !any; i++) any = op_flags(g->n[i].op) & OPF_INPLACE;
  if (!any) return;
  /* the last node reading each buffer (through its views) */
  int *last = xmalloc(((size_t)g->nt + 1) * sizeof(int));
  for (int t = 0; t < g->nt; t++) last[t] = -1;
  for (int i = 0; i < g->nn; i++)
    for (int k = 0; k < g->n[i].n_in; k++)
      if (g->n[i].in[k] >= 0) last[plan_root(p, g->n[i].in[k])] = i;
  for (int i = 0; i < g->nn; i++) {
    const Node *n = &g->n[i];
    if (!(op_flags(n->op) & OPF_INPLACE) || n->n_in < 1 || n->n_out < 1 || n->in[0] < 0 || n->out[0] < 0) continue;
    int out = n->out[0], r = plan_root(p, n->in[0]);
    if (p->t[out].kind != ST_WORKSPACE || p->t[r].kind != ST_WORKSPACE || p->t[out].bytes != p->t[r].bytes) continue;
    bool read_elsewhere = last[r] != i;
    for (int k = 1; k < n->n_in; k++) read_elsewhere |= n->in[k] >= 0 && plan_root(p, n->in[k]) == r;
    if (read_elsewhere) continue;
    p->t[out].kind = ST_VIEW;
    p->t[out].root = n->in[0];
    p->t[out].owner = r;
    if (last[out] > last[r]) last[r] = last[out];
    for (int t = 0; t < g->nt; t++) /* views of the output (made later) now view r */
      if (p->t[t].kind == ST_VIEW && p->t[t].owner == out) p->t[t].owner = r;
  }
  free(last);
}

Plan *plan_build(Graph *g, const Target *target) { return plan_build_threads(g, target, 1); }

Plan *plan_build_threads(Graph *g, const Target *target, int threads) {
  Plan *p = xcalloc(1, sizeof *p);
  if (threads < 1) threads = 1;
  p->threads = threads;
  p->target = target;
  p->t = xcalloc((size_t)g->nt + 1, sizeof *p->t);
  p->scratch_off = xcalloc((size_t)g->nn + 1, sizeof(size_t));
  p->scratch_bytes = xcalloc((size_t)g->nn + 1, sizeof(size_t));
  p->scratch_stride = xcalloc((size_t)g->nn + 1, sizeof(size_t));
  for (int i = 0; i < g->nt; i++) {
    Tensor *t = &g->t[i];
    p->t[i].bytes = t->typed ? (size_t)shape_numel(&t->shape) * dtype_size(t->dtype) : 0;
    if (t->is_output) p->t[i].kind = ST_OUTPUT;
    else if (t->is_input) p->t[i].kind = ST_INPUT;
    else if (t->data) p->t[i].kind = ST_CONST;
  }
  /* Producers: views alias their source unless they are graph outputs (copied). */
  for (int i = 0; i < g->nn; i++) {
    Node *n = &g->n[i];
    for (int o = 0; o < n->n_out; o++) {
      int t = n->out[o];
      if (t < 0 || p->t[t].kind != ST_NONE) continue;
      if ((op_flags(n->op) & OPF_VIEW) && o == 0 && n->in[0] >= 0) {
        p->t[t].kind = ST_VIEW;
        p->t[t].root = n->in[0];
        /* the source's kind is known (nodes are in order): a chain of views resolves once */
        p->t[t].owner = plan_root(p, n->in[0]);
      } else {
        p->t[t].kind = ST_WORKSPACE;
      }
    }
  }
  plan_inplace(g, p);
  /* Lifetimes of workspace roots. */
  int *first = xmalloc(((size_t)g->nt + 1) * sizeof(int));
  int *last = xmalloc(((size_t)g->nt + 1) * sizeof(int));
  for (int t = 0; t < g->nt; t++) first[t] = last[t] = -1;
  for (int i = 0; i < g->nn; i++) {
    Node *n = &g->n[i];
    for (int o = 0; o < n->n_out; o++) {
      if (n->out[o] < 0) continue;
      int r = plan_root(p, n->out[o]);
      if (first[r] < 0) first[r] = i;
      if (last[r] < i) last[r] = i;
    }
    for (int k = 0; k < n->n_in; k++) {
      if (n->in[k] < 0) continue;
      int r = plan_root(p, n->in[k]);
      if (last[r] < i) last[r] = i;
    }
  }
  int nb = 0;
  Buffer *bufs = xmalloc(((size_t)g->nt + (size_t)g->nn + 1) * sizeof(Buffer));
  for (int t = 0; t < g->nt; t++) {
    if (p->t[t].kind != ST_WORKSPACE || first[t] < 0) continue;
    bufs[nb++] = (Buffer){t, align_up(p->t[t].bytes), first[t], last[t], 0};
  }
  for (int i = 0; i < g->nn; i++) {
    const OpImpl *impl = op_impl(g->n[i].op);
    size_t s = impl->scratch ? impl->scratch(g, &g->n[i], target) : 0;
    /* one aligned copy per worker that may run a task of this node at once */
    p->scratch_stride[i] = align_up(s);
    if (s) bufs[nb++] = (Buffer){-1 - i, align_up(s) * (size_t)(plan_node_parallel(&g->n[i]) ? threads : 1), i, i, 0};
  }
  free(first);
  free(last);
  qsort(bufs, (size_t)nb, sizeof *bufs, cmp_size_desc);
  /* Greedy by size: each buffer goes into the lowest gap that fits among already
   * placed buffers whose lifetimes overlap it. */
  size_t total = 0, sum = 0;
  LiveTree lt;
  live_tree_init(&lt, g->nn, nb);
  int *live = xmalloc(((size_t)nb + 1) * sizeof(int));
  Placed *by_off = xmalloc(((size_t)nb + 1) * sizeof *by_off);
  for (int b = 0; b < nb; b++) {
    int nl = live_tree_query(&lt, bufs[b].first, bufs[b].last, live);
    for (int x = 0; x < nl; x++) by_off[x] = (Placed){bufs[live[x]].offset, live[x]};
    qsort(by_off, (size_t)nl, sizeof *by_off, cmp_offset);
    size_t off = 0;
    for (int x = 0; x < nl; x++) {
      Buffer *c = &bufs[by_off[x].b];
      if (c->offset >= off + bufs[b].bytes) break;
      if (c->offset + c->bytes > off) off = c->offset + c->bytes;
    }
    bufs[b].offset = off;
    if (off + bufs[b].bytes > total) total = off + bufs[b].bytes;
    sum += bufs[b].bytes;
    live_tree_insert(&lt, bufs[b].first, bufs[b].last, b);
  }
  live_tree_free(&lt);
  free(live);
  free(by_off);
  for (int b = 0; b < nb; b++) {
    if (bufs[b].id >= 0) {
      p->t[bufs[b].id].offset = bufs[b].offset;
    } else {
      int ni = -1 - bufs[b].id;
      p->scratch_off[ni] = bufs[b].offset;
      p->scratch_bytes[ni] = bufs[b].bytes;
    }
  }
  p->n_buffers = nb;
  p->workspace_bytes = total;
  p->intermediate_bytes = sum;
  free(bufs);
  return p;
}

void plan_free(Plan *p) {
  if (!p) return;
  free(p->t);
  free(p->scratch_off);
  free(p->scratch_bytes);
  free(p->scratch_stride);
  free(p);
}
