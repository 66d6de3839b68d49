/* ir/graph.c: graph construction, queries, topological order and the verifier.
 *
 * Every query here costs what it returns, not the size of the graph: tensor names
 * are found through a hash table, the readers of a tensor through a per-tensor
 * list, and the topological sort is Kahn's algorithm with a heap (n log n). A
 * pass that looks at each node and asks who reads its output is therefore linear
 * in the graph, which is what keeps a 40,000-node chain compiling in about a
 * second (docs/PERFORMANCE.md). */
#include "ir/graph.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ir/diag.h"

size_t dtype_size(DType t) {
  switch (t) {
  case DT_FLOAT: case DT_INT32: case DT_UINT32: return 4;
  case DT_INT64: case DT_DOUBLE: case DT_UINT64: return 8;
  case DT_UINT8: case DT_INT8: case DT_BOOL: return 1;
  case DT_INT16: case DT_UINT16: case DT_FLOAT16: return 2;
  default: return 0;
  }
}

bool dtype_supported(DType t) {
  switch (t) {
  case DT_FLOAT: case DT_INT32: case DT_INT64: case DT_UINT8: case DT_INT8: case DT_BOOL: case DT_DOUBLE:
    return true;
  default:
    return false;
  }
}

const char *dtype_name(DType t) {
  switch ((int)t) {
  case DT_FLOAT: return "float32";
  case DT_UINT8: return "uint8";
  case DT_INT8: return "int8";
  case DT_UINT16: return "uint16";
  case DT_INT16: return "int16";
  case DT_INT32: return "int32";
  case DT_INT64: return "int64";
  case DT_STRING: return "string";
  case DT_BOOL: return "bool";
  case DT_FLOAT16: return "float16";
  case DT_DOUBLE: return "float64";
  case DT_UINT32: return "uint32";
  case DT_UINT64: return "uint64";
  case 14: return "complex64";
  case 15: return "complex128";
  case 16: return "bfloat16";
  case 17: case 18: case 19: case 20: return "float8";
  case 21: return "uint4";
  case 22: return "int4";
  default: return "undefined";
  }
}

const char *dtype_ctype(DType t) {
  switch (t) {
  case DT_FLOAT: return "float";
  case DT_UINT8: case DT_BOOL: return "uint8_t";
  case DT_INT8: return "int8_t";
  case DT_INT32: return "int32_t";
  case DT_INT64: return "int64_t";
  case DT_DOUBLE: return "double";
  default: return "void";
  }
}

int64_t shape_numel(const Shape *s) {
  int64_t n = 1;
  for (int i = 0; i < s->rank; i++) n *= s->d[i];
  return n;
}

bool shape_eq(const Shape *a, const Shape *b) {
  if (a->rank != b->rank) return false;
  for (int i = 0; i < a->rank; i++)
    if (a->d[i] != b->d[i]) return false;
  return true;
}

const char *shape_str(const Shape *s, char *buf, size_t n) {
  size_t k = 0;
  k += snprintf(buf + k, n - k, "[");
  for (int i = 0; i < s->rank && k < n; i++)
    k += snprintf(buf + k, n - k, "%s%" PRId64, i ? "," : "", s->d[i]);
  if (k < n) snprintf(buf + k, n - k, "]");
  return buf;
}

Graph *graph_new(void) {
  Graph *g = xcalloc(1, sizeof *g);
  return g;
}

/* What a node owns: its name, its tensor lists and its attributes. */
static void node_free(Node *n) {
  free(n->name);
  free(n->in);
  free(n->out);
  for (int a = 0; a < n->n_attr; a++) {
    free(n->attr[a].name);
    free(n->attr[a].s);
    free(n->attr[a].floats);
    free(n->attr[a].ints);
  }
  free(n->attr);
}

void graph_free(Graph *g) {
  if (!g) return;
  for (int i = 0; i < g->nt; i++) {
    free(g->t[i].name);
    free(g->t[i].data);
  }
  for (int i = 0; i < g->nn; i++) node_free(&g->n[i]);
  for (int i = 0; i < g->nt; i++) free(g->readers[i].node);
  free(g->readers);
  free(g->name_slot);
  free(g->t);
  free(g->n);
  free(g->inputs);
  free(g->outputs);
  free(g->source);
  free(g);
}

/* ---------------- the indexes ---------------- */

static uint32_t name_hash(const char *s) {
  uint32_t h = 2166136261u; /* FNV-1a */
  for (; *s; s++) h = (h ^ (unsigned char)*s) * 16777619u;
  return h;
}

/* Records tensor t's name unless an earlier tensor has it (graph_find_tensor
 * returns the first). */
static void name_insert(Graph *g, int t) {
  if (2 * (g->nt + 1) > g->name_cap) { /* grow and rehash */
    int cap = g->name_cap ? 2 * g->name_cap : 256;
    while (2 * (g->nt + 1) > cap) cap *= 2;
    free(g->name_slot);
    g->name_slot = xcalloc((size_t)cap, sizeof(int));
    g->name_cap = cap;
    for (int i = 0; i < t; i++) name_insert(g, i);
  }
  uint32_t mask = (uint32_t)g->name_cap - 1;
  for (uint32_t h = name_hash(g->t[t].name) & mask;; h = (h + 1) & mask) {
    int k = g->name_slot[h];
    if (k == 0) {
      g->name_slot[h] = t + 1;
      return;
    }
    if (strcmp(g->t[k - 1].name, g->t[t].name) == 0) return;
  }
}

static void readers_add(Graph *g, int t, int ni) {
  TensorReaders *r = &g->readers[t];
  if (r->n == r->cap) {
    r->cap = r->cap ? 2 * r->cap : 2;
    r->node = xrealloc(r->node, (size_t)r->cap * sizeof(int));
  }
  r->node[r->n++] = ni;
}

void graph_reindex(Graph *g) {
  for (int t = 0; t < g->nt; t++) g->readers[t].n = 0;
  for (int i = 0; i < g->nn; i++)
    for (int k = 0; k < g->n[i].n_in; k++)
      if (g->n[i].in[k] >= 0) readers_add(g, g->n[i].in[k], i);
}

void graph_check_readers(const Graph *g, const char *after) {
  /* covered[i]: node i's input slots found in the index, each tensor counted once per node */
  int *covered = xcalloc((size_t)g->nn + 1, sizeof(int)), *seen = xmalloc(((size_t)g->nn + 1) * sizeof(int));
  for (int i = 0; i < g->nn; i++) seen[i] = -1;
  for (int t = 0; t < g->nt; t++)
    for (int j = 0; j < g->readers[t].n; j++) {
      int ni = g->readers[t].node[j];
      if (ni < 0 || ni >= g->nn || g->n[ni].dead || seen[ni] == t) continue;
      seen[ni] = t;
      covered[ni] += node_reads(&g->n[ni], t);
    }
  for (int i = 0; i < g->nn; i++) {
    const Node *n = &g->n[i];
    int slots = 0;
    for (int k = 0; k < n->n_in; k++) slots += n->in[k] >= 0;
    if (!n->dead && covered[i] != slots)
      vitc_die("after %s: the readers index misses an input of node '%s' (%s): inputs rewired by hand without "
               "graph_reindex()",
               after, n->name, op_name(n->op));
  }
  free(covered);
  free(seen);
}

void graph_set_input(Graph *g, int ni, int k, int t) {
  if (g->n[ni].in[k] == t) return;
  g->n[ni].in[k] = t; /* the old tensor's entry goes stale: its readers skip it */
  if (t >= 0) readers_add(g, t, ni);
}

int graph_readers(const Graph *g, int t, const int **nodes) {
  *nodes = g->readers[t].node;
  return g->readers[t].n;
}

int node_reads(const Node *n, int t) {
  int k = 0;
  for (int i = 0; i < n->n_in; i++) k += n->in[i] == t;
  return k;
}

int graph_add_tensor(Graph *g, const char *name) {
  if (g->nt == g->cap_t) {
    g->cap_t = g->cap_t ? 2 * g->cap_t : 64;
    g->t = xrealloc(g->t, (size_t)g->cap_t * sizeof *g->t);
    g->readers = xrealloc(g->readers, (size_t)g->cap_t * sizeof *g->readers);
  }
  memset(&g->readers[g->nt], 0, sizeof *g->readers);
  Tensor *t = &g->t[g->nt];
  memset(t, 0, sizeof *t);
  if (name) {
    t->name = xstrdup(name);
  } else {
    char buf[32];
    snprintf(buf, sizeof buf, "vitc_t%d", g->nt);
    t->name = xstrdup(buf);
  }
  t->producer = -1;
  t->out_index = -1;
  name_insert(g, g->nt);
  return g->nt++;
}

int graph_add_const(Graph *g, const char *name, DType dt, const Shape *s, void *data) {
  int i = graph_add_tensor(g, name);
  Tensor *t = &g->t[i];
  t->dtype = dt;
  t->shape = *s;
  t->typed = true;
  t->data = data;
  return i;
}

int graph_find_tensor(const Graph *g, const char *name) {
  if (!g->name_cap) return -1;
  uint32_t mask = (uint32_t)g->name_cap - 1;
  for (uint32_t h = name_hash(name) & mask;; h = (h + 1) & mask) {
    int k = g->name_slot[h];
    if (k == 0) return -1;
    if (strcmp(g->t[k - 1].name, name) == 0) return k - 1;
  }
}

int graph_add_node(Graph *g, OpKind op, const char *name, const int *in, int n_in, const int *out, int n_out) {
  if (g->nn == g->cap_n) {
    g->cap_n = g->cap_n ? 2 * g->cap_n : 64;
    g->n = xrealloc(g->n, (size_t)g->cap_n * sizeof *g->n);
  }
  int ni = g->nn++;
  Node *n = &g->n[ni];
  memset(n, 0, sizeof *n);
  n->op = op;
  if (name && *name) {
    n->name = xstrdup(name);
  } else {
    char buf[64];
    snprintf(buf, sizeof buf, "%s_%d", op_name(op), ni);
    n->name = xstrdup(buf);
  }
  n->n_in = n_in;
  n->n_out = n_out;
  n->in = xmalloc((size_t)(n_in ? n_in : 1) * sizeof(int));
  n->out = xmalloc((size_t)(n_out ? n_out : 1) * sizeof(int));
  if (n_in) memcpy(n->in, in, (size_t)n_in * sizeof(int));
  if (n_out) memcpy(n->out, out, (size_t)n_out * sizeof(int));
  for (int o = 0; o < n_out; o++)
    if (out[o] >= 0) g->t[out[o]].producer = ni;
  for (int k = 0; k < n_in; k++)
    if (in[k] >= 0) readers_add(g, in[k], ni);
  return ni;
}

Attr *node_add_attr(Graph *g, int ni, const char *name, AttrType type) {
  Node *n = &g->n[ni];
  n->attr = xrealloc(n->attr, (size_t)(n->n_attr + 1) * sizeof *n->attr);
  Attr *a = &n->attr[n->n_attr++];
  memset(a, 0, sizeof *a);
  a->name = xstrdup(name);
  a->type = type;
  a->tensor = -1;
  return a;
}

const Attr *node_attr(const Node *n, const char *name) {
  for (int i = 0; i < n->n_attr; i++)
    if (strcmp(n->attr[i].name, name) == 0) return &n->attr[i];
  return NULL;
}

int64_t attr_int(const Node *n, const char *name, int64_t dflt) {
  const Attr *a = node_attr(n, name);
  return a && a->type == ATTR_INT ? a->i : dflt;
}

float attr_float(const Node *n, const char *name, float dflt) {
  const Attr *a = node_attr(n, name);
  if (!a) return dflt;
  if (a->type == ATTR_FLOAT) return a->f;
  if (a->type == ATTR_INT) return (float)a->i;
  return dflt;
}

const char *attr_str(const Node *n, const char *name, const char *dflt) {
  const Attr *a = node_attr(n, name);
  return a && a->type == ATTR_STRING && a->s ? a->s : dflt;
}

int attr_ints(const Node *n, const char *name, const int64_t **v) {
  const Attr *a = node_attr(n, name);
  if (!a || a->type != ATTR_INTS) {
    *v = NULL;
    return -1;
  }
  *v = a->ints;
  return a->n;
}

Tensor *node_in(Graph *g, const Node *n, int i) {
  if (i >= n->n_in || n->in[i] < 0) return NULL;
  return &g->t[n->in[i]];
}

Tensor *node_out(Graph *g, const Node *n, int i) {
  if (i >= n->n_out || n->out[i] < 0) return NULL;
  return &g->t[n->out[i]];
}

bool node_in_const(Graph *g, const Node *n, int i) {
  Tensor *t = node_in(g, n, i);
  return t && t->data;
}

int tensor_uses(const Graph *g, int t) {
  int uses = 0;
  const int *r;
  int nr = graph_readers(g, t, &r);
  for (int j = 0; j < nr; j++) /* one entry per slot */
    if (!g->n[r[j]].dead && node_reads(&g->n[r[j]], t)) uses++;
  for (int k = 0; k < g->n_outputs; k++)
    if (g->outputs[k] == t) uses++;
  return uses;
}

void graph_replace_uses(Graph *g, int from, int to) {
  if (from == to) return;
  /* Each live entry is one slot reading `from`: it moves to `to`. Entries of dead
   * nodes stay (dead nodes keep their inputs); stale ones are dropped. */
  TensorReaders *r = &g->readers[from];
  int keep = 0;
  for (int j = 0; j < r->n; j++) {
    Node *n = &g->n[r->node[j]];
    int k = 0;
    while (k < n->n_in && n->in[k] != from) k++;
    if (k == n->n_in) continue;
    if (n->dead) {
      r->node[keep++] = r->node[j];
      continue;
    }
    n->in[k] = to;
    readers_add(g, to, r->node[j]); /* may move g->readers[from].node: re-read r */
    r = &g->readers[from];
  }
  r->n = keep;
  for (int k = 0; k < g->n_outputs; k++)
    if (g->outputs[k] == from) g->outputs[k] = to;
}

void graph_swap_nodes(Graph *g, int a, int b) {
  if (a == b) return;
  Node tmp = g->n[a];
  g->n[a] = g->n[b];
  g->n[b] = tmp;
  /* the readers entries of both nodes' inputs, and the producers of their outputs */
  for (int side = 0; side < 2; side++) {
    int at = side ? b : a, was = side ? a : b;
    Node *n = &g->n[at];
    for (int k = 0; k < n->n_in; k++) {
      if (n->in[k] < 0) continue;
      TensorReaders *r = &g->readers[n->in[k]];
      for (int j = 0; j < r->n; j++)
        if (r->node[j] == was) {
          r->node[j] = -1 - at; /* marked: not swapped back by the other side */
          break;
        }
    }
    for (int o = 0; o < n->n_out; o++) { /* a tensor both write is mapped once */
      int *p = n->out[o] >= 0 ? &g->t[n->out[o]].producer : NULL;
      if (p && *p == a) *p = -2 - b;
      else if (p && *p == b) *p = -2 - a;
    }
  }
  for (int side = 0; side < 2; side++) {
    Node *n = &g->n[side ? b : a];
    for (int k = 0; k < n->n_in; k++) {
      if (n->in[k] < 0) continue;
      TensorReaders *r = &g->readers[n->in[k]];
      for (int j = 0; j < r->n; j++)
        if (r->node[j] < 0) r->node[j] = -1 - r->node[j];
    }
    for (int o = 0; o < n->n_out; o++)
      if (n->out[o] >= 0 && g->t[n->out[o]].producer <= -2) g->t[n->out[o]].producer = -2 - g->t[n->out[o]].producer;
  }
}

/* A binary min-heap of node indices: the ready node earliest in the current order. */
static void heap_push(int *h, int *n, int v) {
  int i = (*n)++;
  for (; i > 0 && h[(i - 1) / 2] > v; i = (i - 1) / 2) h[i] = h[(i - 1) / 2];
  h[i] = v;
}

static int heap_pop(int *h, int *n) {
  int top = h[0], v = h[--*n], i = 0;
  for (;;) {
    int c = 2 * i + 1;
    if (c >= *n) break;
    if (c + 1 < *n && h[c + 1] < h[c]) c++;
    if (h[c] >= v) break;
    h[i] = h[c];
    i = c;
  }
  if (*n) h[i] = v;
  return top;
}

/* Kahn's algorithm, stable: among ready nodes the one earliest in the current order
 * goes first (a heap), so an already sorted graph keeps its order and the output
 * stays deterministic. O((nodes + edges) log nodes). */
int graph_toposort(Graph *g) {
  int nn = g->nn;
  int *indeg = xcalloc((size_t)nn + 1, sizeof(int));
  int *order = xmalloc(((size_t)nn + 1) * sizeof(int));
  int *heap = xmalloc(((size_t)nn + 1) * sizeof(int));
  char *done = xcalloc((size_t)nn + 1, 1);
  /* producer of each tensor among live nodes */
  int *prod = xmalloc(((size_t)g->nt + 1) * sizeof(int));
  for (int t = 0; t < g->nt; t++) prod[t] = -1;
  for (int i = 0; i < nn; i++) {
    if (g->n[i].dead) continue;
    for (int o = 0; o < g->n[i].n_out; o++)
      if (g->n[i].out[o] >= 0) prod[g->n[i].out[o]] = i;
  }
  /* the live readers of each tensor with a live producer, one entry per slot (CSR) */
  int *first = xcalloc((size_t)g->nt + 2, sizeof(int));
  int live = 0, edges = 0;
  for (int i = 0; i < nn; i++) {
    if (g->n[i].dead) continue;
    live++;
    for (int k = 0; k < g->n[i].n_in; k++) {
      int t = g->n[i].in[k];
      if (t >= 0 && prod[t] >= 0) {
        indeg[i]++;
        first[t + 1]++;
        edges++;
      }
    }
  }
  for (int t = 0; t < g->nt; t++) first[t + 1] += first[t];
  int *reader = xmalloc(((size_t)edges + 1) * sizeof(int)), *fill = xmalloc(((size_t)g->nt + 1) * sizeof(int));
  memcpy(fill, first, (size_t)g->nt * sizeof(int));
  for (int i = 0; i < nn; i++) {
    if (g->n[i].dead) continue;
    for (int k = 0; k < g->n[i].n_in; k++) {
      int t = g->n[i].in[k];
      if (t >= 0 && prod[t] >= 0) reader[fill[t]++] = i;
    }
  }
  int count = 0, nh = 0;
  for (int i = 0; i < nn; i++)
    if (!g->n[i].dead && indeg[i] == 0) heap_push(heap, &nh, i);
  while (nh) {
    int i = heap_pop(heap, &nh);
    done[i] = 1;
    order[count++] = i;
    for (int o = 0; o < g->n[i].n_out; o++) {
      int t = g->n[i].out[o];
      if (t < 0) continue;
      for (int e = first[t]; e < first[t + 1]; e++) {
        int j = reader[e];
        if (!done[j] && --indeg[j] == 0) heap_push(heap, &nh, j);
      }
    }
  }
  int rc = 0;
  if (count < live) {
    for (int i = 0; i < nn; i++)
      if (!g->n[i].dead && !done[i]) {
        char d[256];
        rc = vitc_err("%s: the graph has a cycle through %s", g->source ? g->source : "model",
                      node_desc(g, &g->n[i], d, sizeof d));
        break;
      }
  } else {
    Node *sorted = xmalloc(((size_t)g->cap_n + 1) * sizeof(Node));
    int k = 0;
    for (int i = 0; i < count; i++) sorted[k++] = g->n[order[i]];
    for (int i = 0; i < nn; i++)
      if (g->n[i].dead) sorted[k++] = g->n[i];
    if (nn) memcpy(g->n, sorted, (size_t)nn * sizeof(Node)); /* no nodes: g->n may be NULL */
    free(sorted);
    graph_compact(g);
  }
  free(indeg);
  free(order);
  free(heap);
  free(done);
  free(prod);
  free(first);
  free(reader);
  free(fill);
  return rc;
}

void graph_compact(Graph *g) {
  int k = 0;
  for (int i = 0; i < g->nn; i++) {
    Node *n = &g->n[i];
    if (n->dead) {
      node_free(n);
      continue;
    }
    g->n[k++] = *n;
  }
  g->nn = k;
  for (int t = 0; t < g->nt; t++) g->t[t].producer = -1;
  for (int i = 0; i < g->nn; i++)
    for (int o = 0; o < g->n[i].n_out; o++)
      if (g->n[i].out[o] >= 0) g->t[g->n[i].out[o]].producer = i;
  graph_reindex(g);
}

int graph_verify(Graph *g, const char *after) {
  char d[256];
  char *defined = xcalloc((size_t)g->nt + 1, 1);
  int rc = 0;
  for (int t = 0; t < g->nt; t++)
    if (g->t[t].is_input || g->t[t].data) defined[t] = 1;
  for (int i = 0; i < g->nn && rc == 0; i++) {
    Node *n = &g->n[i];
    if (n->dead) continue;
    for (int k = 0; k < n->n_in; k++) {
      int t = n->in[k];
      if (t < -1 || t >= g->nt) vitc_die("after %s: %s input %d is out of range", after, node_desc(g, n, d, sizeof d), k);
      if (t >= 0 && !defined[t])
        vitc_die("after %s: %s reads '%s' before it is defined", after, node_desc(g, n, d, sizeof d), g->t[t].name);
    }
    for (int o = 0; o < n->n_out; o++) {
      int t = n->out[o];
      if (t < 0) continue;
      if (defined[t]) vitc_die("after %s: '%s' is defined twice (%s)", after, g->t[t].name, node_desc(g, n, d, sizeof d));
      defined[t] = 1;
      if (g->t[t].producer != i) vitc_die("after %s: stale producer of '%s'", after, g->t[t].name);
    }
  }
  for (int k = 0; k < g->n_outputs; k++)
    if (!defined[g->outputs[k]]) vitc_die("after %s: graph output '%s' is never defined", after, g->t[g->outputs[k]].name);
  free(defined);
  return rc;
}

const char *node_block(const char *name, char *out, size_t n) {
  const char *p = name, *first = NULL;
  size_t first_len = 0;
  if (*p != '/') return snprintf(out, n, "%s", ""), out;
  while (*p == '/') {
    const char *c = p + 1, *e = strchr(c, '/');
    if (!e) break; /* the last component is the op's own name */
    size_t len = (size_t)(e - c);
    const char *dot = memchr(c, '.', len);
    bool numbered = dot && dot > c && dot + 1 < e;
    for (const char *q = dot ? dot + 1 : e; numbered && q < e; q++) numbered = *q >= '0' && *q <= '9';
    if (numbered) return snprintf(out, n, "%.*s", (int)len, c), out;
    if (!first) first = c, first_len = len;
    p = e;
  }
  snprintf(out, n, "%.*s", (int)first_len, first ? first : "");
  return out;
}

const char *node_desc(const Graph *g, const Node *n, char *buf, size_t nbuf) {
  (void)g;
  snprintf(buf, nbuf, "node '%s' (%s)", n->name, op_name(n->op));
  return buf;
}

int node_err(const Graph *g, const Node *n, const char *fmt, ...) {
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  return vitc_err("%s: node '%s' (%s, opset %d): %s", g->source ? g->source : "model", n->name, op_name(n->op),
                  g->opset, msg);
}

void graph_dump(const Graph *g, void *file) {
  FILE *f = file;
  char sb[256];
  for (int i = 0; i < g->n_inputs; i++) {
    const Tensor *t = &g->t[g->inputs[i]];
    fprintf(f, "input %s %s %s\n", t->name, dtype_name(t->dtype), shape_str(&t->shape, sb, sizeof sb));
  }
  for (int i = 0; i < g->nn; i++) {
    const Node *n = &g->n[i];
    if (n->dead) continue;
    fprintf(f, "%4d %-18s %s(", i, op_name(n->op), n->name);
    for (int k = 0; k < n->n_in; k++) {
      const Tensor *t = n->in[k] >= 0 ? &g->t[n->in[k]] : NULL;
      fprintf(f, "%s%s%s", k ? ", " : "", t ? t->name : "-", t && t->data ? "(const)" : "");
    }
    fprintf(f, ") ->");
    for (int k = 0; k < n->n_out; k++) {
      const Tensor *t = n->out[k] >= 0 ? &g->t[n->out[k]] : NULL;
      if (!t) { fprintf(f, " -"); continue; }
      fprintf(f, " %s:%s%s", t->name, dtype_name(t->dtype), t->typed ? shape_str(&t->shape, sb, sizeof sb) : "[?]");
    }
    fputc('\n', f);
  }
  for (int i = 0; i < g->n_outputs; i++) {
    const Tensor *t = &g->t[g->outputs[i]];
    fprintf(f, "output %s %s %s\n", t->name, dtype_name(t->dtype), shape_str(&t->shape, sb, sizeof sb));
  }
}
