/* passes/match.c: helpers for the pattern passes (see match.h). */
#include "passes/match.h"

#include <math.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "ir/diag.h"

int pm_producer(const Graph *g, int t, int op) {
  if (t < 0) return -1;
  int p = g->t[t].producer;
  if (p < 0 || p >= g->nn || g->n[p].dead) return -1;
  bool writes = false; /* producer may be stale for a tensor a pass rewired */
  for (int o = 0; o < g->n[p].n_out; o++)
    if (g->n[p].out[o] == t) writes = true;
  if (!writes) return -1;
  if (op >= 0 && (int)g->n[p].op != op) return -1;
  return p;
}

int pm_only_user(const Graph *g, int t) {
  if (t < 0 || g->t[t].is_output) return -1;
  int user = -1, uses = 0;
  const int *r;
  int nr = graph_readers(g, t, &r); /* not a scan of the graph: passes stay linear */
  for (int j = 0; j < nr; j++)
    if (!g->n[r[j]].dead && node_reads(&g->n[r[j]], t)) {
      user = r[j];
      uses++;
    }
  for (int k = 0; k < g->n_outputs; k++)
    if (g->outputs[k] == t) uses++;
  return uses == 1 ? user : -1;
}

int pm_live_readers(const Graph *g, int t, int *out, int max) {
  const int *nodes;
  int n = graph_readers(g, t, &nodes), k = 0;
  for (int i = 0; i < n; i++) {
    int u = nodes[i];
    if (g->n[u].dead || !node_reads(&g->n[u], t)) continue;
    bool seen = false;
    for (int j = 0; j < k; j++) seen |= out[j] == u;
    if (seen) continue;
    if (k == max) return -1;
    out[k++] = u;
  }
  return k;
}

int pm_other_input(const Node *n, int t) {
  if (n->n_in != 2) return -1;
  if (n->in[0] == t && n->in[1] != t) return n->in[1];
  if (n->in[1] == t && n->in[0] != t) return n->in[0];
  return -1;
}

bool pm_const_uniform(const Graph *g, int t, double *v) {
  if (t < 0) return false;
  const Tensor *c = &g->t[t];
  if (!c->data || !c->typed || c->dtype != DT_FLOAT) return false;
  int64_t n = shape_numel(&c->shape);
  if (n < 1) return false;
  const float *f = c->data;
  for (int64_t i = 1; i < n; i++)
    if (f[i] != f[0]) return false;
  if (!isfinite(f[0])) return false;
  *v = f[0];
  return true;
}

bool pm_const_scalar(const Graph *g, int t, double *v) {
  return t >= 0 && g->t[t].typed && shape_numel(&g->t[t].shape) == 1 && pm_const_uniform(g, t, v);
}

bool pm_const_number(const Graph *g, int t, double *v) {
  if (t < 0) return false;
  const Tensor *c = &g->t[t];
  if (!c->data || !c->typed || shape_numel(&c->shape) != 1) return false;
  switch (c->dtype) {
  case DT_FLOAT: *v = ((const float *)c->data)[0]; return true;
  case DT_DOUBLE: *v = ((const double *)c->data)[0]; return true;
  case DT_INT32: *v = ((const int32_t *)c->data)[0]; return true;
  case DT_INT64: *v = (double)((const int64_t *)c->data)[0]; return true;
  default: return false;
  }
}

bool pm_close(double v, double want, double rel) { return fabs(v - want) <= rel * fabs(want); }

bool pm_is_f32(const Graph *g, int t) { return t >= 0 && g->t[t].typed && g->t[t].dtype == DT_FLOAT; }

bool pm_same_shape(const Graph *g, int a, int b) {
  return a >= 0 && b >= 0 && g->t[a].typed && g->t[b].typed && shape_eq(&g->t[a].shape, &g->t[b].shape);
}

int pm_replace(Graph *g, int at, OpKind op, const char *name, const int *in, int n_in, const int *out, int n_out) {
  if (at < 0 || at >= g->nn) vitc_die("pm_replace: node %d out of range", at);
  g->n[at].dead = true;
  int ni = graph_add_node(g, op, name, in, n_in, out, n_out);
  graph_swap_nodes(g, at, ni);
  for (int o = 0; o < g->n[at].n_out; o++)
    if (g->n[at].out[o] >= 0) g->t[g->n[at].out[o]].producer = at;
  return at;
}

char *pm_name(const char *first, const char *what) {
  const char *slash = strrchr(first, '/');
  size_t keep = slash ? (size_t)(slash - first) + 1 : strlen(first);
  char *s = xmalloc(keep + strlen(what) + 2);
  memcpy(s, first, keep);
  s[keep] = 0;
  if (!slash) strcat(s, "_");
  strcat(s, what);
  return s;
}

int pm_add_const_f32(Graph *g, const char *name, const Shape *s, const float *v) {
  size_t n = (size_t)shape_numel(s);
  float *data = xmalloc(n * sizeof(float) + 1);
  if (n) memcpy(data, v, n * sizeof(float));
  char *unique = NULL;
  if (name && graph_find_tensor(g, name) >= 0) { /* tensor names must stay unique */
    unique = xmalloc(strlen(name) + 32);
    /* NAME_1, else NAME_<tensor count> and up: probing 1, 2, 3, ... would cost the
     * square of the copies made from one name (a chain of 40,000 merged scales) */
    for (int k = 1;; k = k == 1 ? g->nt : k + 1) {
      sprintf(unique, "%s_%d", name, k);
      if (graph_find_tensor(g, unique) < 0) break;
    }
    name = unique;
  }
  int t = graph_add_const(g, name, DT_FLOAT, s, data);
  free(unique);
  return t;
}

void pm_copy_attrs(Graph *g, int ni, const Node *src) {
  int na = src->n_attr;
  for (int k = 0; k < na; k++) {
    const Attr *a = &src->attr[k];
    Attr *d = node_add_attr(g, ni, a->name, a->type);
    d->f = a->f;
    d->i = a->i;
    d->n = a->n;
    d->tensor = a->tensor;
    if (a->s) d->s = xstrdup(a->s);
    if (a->ints && a->n) {
      d->ints = xmalloc(sizeof(int64_t) * (size_t)a->n);
      memcpy(d->ints, a->ints, sizeof(int64_t) * (size_t)a->n);
    }
    if (a->floats && a->n) {
      d->floats = xmalloc(sizeof(float) * (size_t)a->n);
      memcpy(d->floats, a->floats, sizeof(float) * (size_t)a->n);
    }
  }
}

/* A bias for N output columns from constant c, as a [N] tensor (c itself, or a
 * reshaped or expanded copy); -1 if c is not one. */
int pm_bias_vector(Graph *g, int c, int64_t N) {
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
int pm_gemm_weights(Graph *g, const Node *n) {
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

