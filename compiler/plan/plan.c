/* plan/plan.c: liveness-based workspace planning (see plan.h). With --threads N
 * the scratch of the GEMM, Conv and attention nodes is planned N times over. */
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

int plan_root(const Plan *p, int t) {
  while (p->t[t].kind == ST_VIEW) t = p->t[t].root;
  return t;
}

static int cmp_size_desc(const void *a, const void *b) {
  const Buffer *x = a, *y = b;
  if (x->bytes != y->bytes) return x->bytes < y->bytes ? 1 : -1;
  if (x->first != y->first) return x->first - y->first;
  return x->id - y->id;
}

static size_t align_up(size_t v) { return (v + PLAN_ALIGN - 1) / PLAN_ALIGN * PLAN_ALIGN; }

bool plan_node_parallel(const Node *n) {
  return n->op == OP_MatMul || n->op == OP_Gemm || n->op == OP_VitcGemm || n->op == OP_Conv ||
         n->op == OP_VitcAttention;
}

Plan *plan_build(Graph *g) { return plan_build_threads(g, 1); }

Plan *plan_build_threads(Graph *g, int threads) {
  Plan *p = xcalloc(1, sizeof *p);
  if (threads < 1) threads = 1;
  p->threads = threads;
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
      } else {
        p->t[t].kind = ST_WORKSPACE;
      }
    }
  }
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
    size_t s = impl->scratch ? impl->scratch(g, &g->n[i]) : 0;
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
  int *live = xmalloc(((size_t)nb + 1) * sizeof(int));
  for (int b = 0; b < nb; b++) {
    int nl = 0;
    for (int c = 0; c < b; c++)
      if (bufs[c].first <= bufs[b].last && bufs[b].first <= bufs[c].last) live[nl++] = c;
    /* sort overlapping by offset (insertion sort; nl is small) */
    for (int x = 1; x < nl; x++)
      for (int y = x; y > 0 && bufs[live[y - 1]].offset > bufs[live[y]].offset; y--) {
        int tmp = live[y];
        live[y] = live[y - 1];
        live[y - 1] = tmp;
      }
    size_t off = 0;
    for (int x = 0; x < nl; x++) {
      Buffer *c = &bufs[live[x]];
      if (c->offset >= off + bufs[b].bytes) break;
      if (c->offset + c->bytes > off) off = c->offset + c->bytes;
    }
    bufs[b].offset = off;
    if (off + bufs[b].bytes > total) total = off + bufs[b].bytes;
    sum += bufs[b].bytes;
  }
  free(live);
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
