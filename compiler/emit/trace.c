/* emit/trace.c: what a traced bundle says of each node beyond the final graph.
 *
 * `vitc compile --trace` writes NAME_run_traced() and a table of the final graph's
 * nodes (emit.c). Passes fuse and rewrite nodes without keeping their history, so
 * the table's link back to the model is found here, after the fact, by comparing the
 * final graph with the model as exported (onnx_load without passes): a final node
 * covers the ONNX node that made each of its outputs, and, walking back from there,
 * every ONNX node whose result the final graph no longer holds (it was fused away).
 * The walk stops at tensors the final graph still computes or reads (inputs,
 * weights, other nodes' outputs). A tensor is "ONNX-named" if the exported model has
 * a tensor of that name: those are the ones `--dump` writes and `vitc verify
 * --per-node` compares with ONNX Runtime. */
#include <stdlib.h>
#include <string.h>

#include "emit/emit.h"
#include "ir/diag.h"

static void append(char **s, const char *name) {
  size_t a = *s ? strlen(*s) : 0, b = strlen(name);
  char *t = xmalloc(a + b + 3);
  if (a) memcpy(t, *s, a);
  if (a) memcpy(t + a, "; ", 2), a += 2;
  memcpy(t + a, name, b + 1);
  free(*s);
  *s = t;
}

/* The final graph still has this value: produced by a node, fed, or a weight. */
static bool still_held(const Graph *g, const char *name) {
  int t = graph_find_tensor(g, name);
  return t >= 0 && (g->t[t].producer >= 0 || g->t[t].is_input || g->t[t].data);
}

static int cmp_int(const void *a, const void *b) { return *(const int *)a - *(const int *)b; }

TraceInfo *trace_info(const Graph *g, const Graph *x) {
  TraceInfo *ti = xcalloc(1, sizeof *ti);
  ti->nn = g->nn;
  ti->nt = g->nt;
  ti->covers = xcalloc((size_t)g->nn + 1, sizeof(char *));
  ti->onnx_node = xcalloc((size_t)g->nn + 1, sizeof(char *));
  ti->onnx_named = xcalloc((size_t)g->nt + 1, 1);
  for (int t = 0; t < g->nt; t++) ti->onnx_named[t] = graph_find_tensor(x, g->t[t].name) >= 0;
  char *taken = xcalloc((size_t)x->nn + 1, 1);
  int *stack = xmalloc(((size_t)x->nn + 1) * sizeof(int));
  int *cover = xmalloc(((size_t)x->nn + 1) * sizeof(int));
  for (int i = 0; i < g->nn; i++) {
    const Node *n = &g->n[i];
    int sp = 0;
    for (int o = 0; o < n->n_out; o++) {
      if (n->out[o] < 0 || !ti->onnx_named[n->out[o]]) continue;
      int p = x->t[graph_find_tensor(x, g->t[n->out[o]].name)].producer;
      if (p < 0) continue;
      if (!ti->onnx_node[i]) ti->onnx_node[i] = xstrdup(x->n[p].name);
      if (!taken[p]) taken[p] = 1, stack[sp++] = p;
    }
    int nc = 0;
    while (sp) {
      int mi = stack[--sp];
      const Node *m = &x->n[mi];
      cover[nc++] = mi;
      for (int k = 0; k < m->n_in; k++) {
        if (m->in[k] < 0) continue;
        const Tensor *t = &x->t[m->in[k]];
        if (t->producer < 0 || taken[t->producer] || still_held(g, t->name)) continue;
        taken[t->producer] = 1;
        stack[sp++] = t->producer;
      }
    }
    qsort(cover, (size_t)nc, sizeof(int), cmp_int); /* in the model's order */
    for (int k = 0; k < nc; k++) append(&ti->covers[i], x->n[cover[k]].name);
    if (!ti->covers[i]) ti->covers[i] = xstrdup("");
    if (!ti->onnx_node[i]) ti->onnx_node[i] = xstrdup("");
  }
  free(taken);
  free(stack);
  free(cover);
  return ti;
}

void trace_info_free(TraceInfo *ti) {
  if (!ti) return;
  for (int i = 0; i < ti->nn; i++) free(ti->covers[i]), free(ti->onnx_node[i]);
  free(ti->covers);
  free(ti->onnx_node);
  free(ti->onnx_named);
  free(ti);
}
