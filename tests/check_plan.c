/* tests/check_plan.c: the workspace planner (compiler/plan/) by its properties.
 *
 * plan_ok() recomputes every buffer's lifetime on its own (from the producer to the
 * last node that reads the tensor or any view of it; a node's scratch lives at that
 * node only) and then checks what the generated code relies on:
 *   - no two buffers whose lifetimes overlap share a byte (every pair is checked);
 *   - every workspace offset is a multiple of PLAN_ALIGN and inside the workspace;
 *   - views alias a root that owns storage (never another view), no larger than it;
 *     a view made by an in-place op (OPF_INPLACE) has its input's size, and no
 *     later node reads that input's bytes as they were before the op;
 *   - graph inputs, outputs and constants are never in the workspace;
 *   - the workspace is no larger than the sum of the intermediates;
 *   - the offsets are exactly those of greedy by size written as the plain all-pairs
 *     loop (greedy_offsets below), which the planner computes with a segment tree.
 * It runs on small graphs shaped to stress one thing each (chains, diamonds, long
 * skips, views of views, scratch), on random DAGs, and on every .onnx file in models/ that
 * the compiler can load. Synthetic graphs get their shapes from the real shape
 * inference (pass_fold_constants), so they are the graphs the emitter would see. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_runner.h"
#include "ir/diag.h"
#include "ir/graph.h"
#include "mkonnx.h"
#include "onnx/load.h"
#include "ops/op.h"
#include "passes/passes.h"
#define RNG_INIT 0x2545F4914F6CDD1Dull /* the random DAGs' first state */
#include "test_rng.h"
#include "plan/plan.h"

/* ---- the invariants ---- */

typedef struct Interval {
  const char *what; /* tensor name, or node name for scratch */
  bool scratch;
  int first, last;  /* node positions */
  size_t off, bytes;
  int id;           /* the planner's tie-break: tensor index, or -1 - node index for scratch */
} Interval;

static size_t align_up(size_t v) { return (v + PLAN_ALIGN - 1) / PLAN_ALIGN * PLAN_ALIGN; }

/* The planner's order: largest first, then earliest, then by id. */
static int cmp_greedy(const void *a, const void *b) {
  const Interval *x = *(const Interval *const *)a, *y = *(const Interval *const *)b;
  size_t bx = align_up(x->bytes), by = align_up(y->bytes);
  if (bx != by) return bx < by ? 1 : -1;
  if (x->first != y->first) return x->first - y->first;
  return x->id - y->id;
}

/* Greedy by size as the all-pairs loop: each buffer, largest first, at the lowest
 * offset clear of every placed buffer whose lifetime overlaps. Returns the
 * workspace size; offsets into want[] (by position in iv). */
static size_t greedy_offsets(const Interval *iv, int nb, size_t *want) {
  const Interval **order = malloc(((size_t)nb + 1) * sizeof *order);
  size_t *off = malloc(((size_t)nb + 1) * sizeof *off), total = 0;
  for (int i = 0; i < nb; i++) order[i] = &iv[i];
  qsort(order, (size_t)nb, sizeof *order, cmp_greedy);
  for (int b = 0; b < nb; b++) {
    size_t size = align_up(order[b]->bytes), at = 0;
    for (bool moved = true; moved;) { /* restart after every move: lowest fit among all */
      moved = false;
      for (int c = 0; c < b; c++) {
        bool live = order[c]->first <= order[b]->last && order[b]->first <= order[c]->last;
        size_t cs = align_up(order[c]->bytes);
        if (live && off[c] < at + size && at < off[c] + cs) {
          at = off[c] + cs;
          moved = true;
        }
      }
    }
    off[b] = at;
    if (at + size > total) total = at + size;
    want[order[b] - iv] = at;
  }
  free(order);
  free(off);
  return total;
}

static const char *kind_name(StorageKind k) {
  static const char *const names[] = {"none", "input", "output", "const", "workspace", "view"};
  return (unsigned)k < 6 ? names[k] : "?";
}

/* Checks every property listed at the top; returns the number of buffers checked. */
static int plan_ok(Graph *g, const Plan *p) {
  int nt = g->nt, nn = g->nn;
  /* storage kinds */
  for (int t = 0; t < nt; t++) {
    const Tensor *ten = &g->t[t];
    const TensorPlan *tp = &p->t[t];
    if (ten->is_output) ck_assert_msg(tp->kind == ST_OUTPUT, "output '%s' is %s", ten->name, kind_name(tp->kind));
    else if (ten->is_input) ck_assert_msg(tp->kind == ST_INPUT, "input '%s' is %s", ten->name, kind_name(tp->kind));
    else if (ten->data) ck_assert_msg(tp->kind == ST_CONST, "constant '%s' is %s", ten->name, kind_name(tp->kind));
    if (tp->kind == ST_WORKSPACE || tp->kind == ST_VIEW)
      ck_assert_msg(ten->producer >= 0 && !ten->is_input && !ten->is_output && !ten->data,
                    "'%s' (%s) is an input, output, constant or never produced", ten->name, kind_name(tp->kind));
    if (ten->typed && tp->kind != ST_NONE)
      ck_assert_uint_eq(tp->bytes, (size_t)shape_numel(&ten->shape) * dtype_size(ten->dtype));
    if (tp->kind == ST_VIEW) {
      const Node *n = &g->n[ten->producer];
      ck_assert_msg(op_flags(n->op) & (OPF_VIEW | OPF_INPLACE), "'%s' is a view but %s is not a view or in-place op",
                    ten->name, n->name);
      ck_assert_int_eq(tp->root, n->in[0]);
      if (!(op_flags(n->op) & OPF_VIEW)) { /* in place: overwrites what only it still needed */
        int r = plan_root(p, n->in[0]);
        ck_assert_uint_eq(tp->bytes, p->t[r].bytes);
        for (int j = ten->producer + 1; j < nn; j++)
          for (int k = 0; k < g->n[j].n_in; k++) {
            int u = g->n[j].in[k];
            ck_assert_msg(u < 0 || plan_root(p, u) != r || g->t[u].producer >= ten->producer,
                          "'%s' reads '%s' after %s overwrote it in place", g->n[j].name, g->t[u].name, n->name);
          }
      }
      int r = plan_root(p, t);
      ck_assert_msg(p->t[r].kind != ST_VIEW && p->t[r].kind != ST_NONE, "view '%s' has root '%s' of kind %s", ten->name,
                    g->t[r].name, kind_name(p->t[r].kind));
      ck_assert_msg(tp->bytes <= p->t[r].bytes, "view '%s' is larger than its root '%s'", ten->name, g->t[r].name);
    }
    if (tp->kind == ST_WORKSPACE) {
      ck_assert_msg(tp->offset % PLAN_ALIGN == 0, "'%s' at offset %zu is not aligned", ten->name, tp->offset);
      ck_assert_msg(tp->offset + tp->bytes <= p->workspace_bytes, "'%s' ends past the workspace", ten->name);
    }
  }
  /* lifetimes, recomputed */
  int *first = malloc(((size_t)nt + 1) * sizeof(int)), *last = malloc(((size_t)nt + 1) * sizeof(int));
  for (int t = 0; t < nt; t++) first[t] = last[t] = -1;
  for (int i = 0; i < nn; i++) {
    const Node *n = &g->n[i];
    ck_assert(!n->dead);
    for (int o = 0; o < n->n_out; o++)
      if (n->out[o] >= 0) {
        int r = plan_root(p, n->out[o]);
        if (first[r] < 0) first[r] = i;
        if (last[r] < i) last[r] = i;
      }
    for (int k = 0; k < n->n_in; k++)
      if (n->in[k] >= 0) {
        int r = plan_root(p, n->in[k]);
        if (last[r] < i) last[r] = i;
      }
  }
  Interval *iv = malloc(((size_t)nt + (size_t)nn + 1) * sizeof *iv);
  int nb = 0;
  size_t sum = 0;
  for (int t = 0; t < nt; t++) {
    if (p->t[t].kind != ST_WORKSPACE) continue;
    ck_assert_int_eq(first[t], g->t[t].producer);
    iv[nb++] = (Interval){g->t[t].name, false, first[t], last[t], p->t[t].offset, p->t[t].bytes, t};
    sum += p->t[t].bytes;
  }
  for (int i = 0; i < nn; i++) {
    const OpImpl *impl = op_impl(g->n[i].op);
    size_t need = impl->scratch ? impl->scratch(g, &g->n[i], p->target) : 0;
    ck_assert_msg(p->scratch_bytes[i] >= need, "node '%s' needs %zu bytes of scratch, got %zu", g->n[i].name, need,
                  p->scratch_bytes[i]);
    if (!p->scratch_bytes[i]) continue;
    ck_assert_msg(p->scratch_off[i] % PLAN_ALIGN == 0, "scratch of '%s' is not aligned", g->n[i].name);
    ck_assert(p->scratch_off[i] + p->scratch_bytes[i] <= p->workspace_bytes);
    iv[nb++] = (Interval){g->n[i].name, true, i, i, p->scratch_off[i], p->scratch_bytes[i], -1 - i};
    sum += p->scratch_bytes[i];
  }
  /* no two live-at-once buffers share a byte */
  for (int a = 0; a < nb; a++)
    for (int b = a + 1; b < nb; b++) {
      const Interval *x = &iv[a], *y = &iv[b];
      bool live_together = x->first <= y->last && y->first <= x->last;
      bool share_bytes = x->bytes && y->bytes && x->off < y->off + y->bytes && y->off < x->off + x->bytes;
      ck_assert_msg(!(live_together && share_bytes),
                    "%s'%s' [nodes %d..%d, bytes %zu..%zu) and %s'%s' [nodes %d..%d, bytes %zu..%zu) overlap",
                    x->scratch ? "scratch of " : "", x->what, x->first, x->last, x->off, x->off + x->bytes,
                    y->scratch ? "scratch of " : "", y->what, y->first, y->last, y->off, y->off + y->bytes);
    }
  ck_assert_msg(p->workspace_bytes <= p->intermediate_bytes, "workspace %zu > sum of intermediates %zu",
                p->workspace_bytes, p->intermediate_bytes);
  ck_assert_uint_ge(p->intermediate_bytes, sum); /* plan's sum counts aligned sizes */
  ck_assert_int_eq(p->n_buffers, nb);
  /* the offsets of the plain greedy loop */
  size_t *want = malloc(((size_t)nb + 1) * sizeof *want);
  ck_assert_uint_eq(greedy_offsets(iv, nb, want), p->workspace_bytes);
  for (int b = 0; b < nb; b++)
    ck_assert_msg(iv[b].off == want[b], "%s'%s' is at %zu, greedy by size puts it at %zu", iv[b].scratch ? "scratch of " : "",
                  iv[b].what, iv[b].off, want[b]);
  free(want);
  free(first);
  free(last);
  free(iv);
  return nb;
}

/* ---- building graphs (shapes come from shape inference) ---- */

/* new_graph, mark_output: tests/mkonnx.h */
static int add_input_s(Graph *g, const char *name, Shape s) { return add_input(g, name, s.rank, s.d); }

/* A deterministic float weight of shape s. */
static int add_weight(Graph *g, Shape s) {
  size_t n = (size_t)shape_numel(&s);
  float *v = xmalloc(n * sizeof(float) + 1);
  for (size_t i = 0; i < n; i++) v[i] = (float)((i * 7919) % 13) / 13.0f - 0.5f;
  return graph_add_const(g, NULL, DT_FLOAT, &s, v);
}

static int add_shape_const(Graph *g, Shape s) {
  Shape one = {1, {s.rank}};
  int64_t *v = xmalloc((size_t)s.rank * sizeof(int64_t) + 1);
  memcpy(v, s.d, (size_t)s.rank * sizeof(int64_t));
  return graph_add_const(g, NULL, DT_INT64, &one, v);
}

static int op1(Graph *g, OpKind op, int n_in, const int *in) {
  int t = graph_add_tensor(g, NULL);
  graph_add_node(g, op, NULL, in, n_in, &t, 1);
  return t;
}
static int relu(Graph *g, int x) { return op1(g, OP_Relu, 1, &x); }
static int matmul(Graph *g, int a, int b) { return op1(g, OP_MatMul, 2, (int[]){a, b}); }
static int reshape(Graph *g, int x, Shape s) { return op1(g, OP_Reshape, 2, (int[]){x, add_shape_const(g, s)}); }
/* x [1,k] @ a fresh weight [k,m] */
static int dense(Graph *g, int x, int k, int m) { return matmul(g, x, add_weight(g, (Shape){2, {k, m}})); }

/* Infer shapes (folding what folds), then plan and check. */
static Plan *plan_checked(Graph *g, int *n_buffers) {
  Capture c;
  capture_begin(&c);
  int rc = pass_fold_constants(g);
  char *err = capture_end(&c);
  ck_assert_msg(rc >= 0, "shape inference failed: %s", err);
  free(err);
  graph_compact(g);
  Plan *p = plan_build(g, target_find("scalar"));
  int nb = plan_ok(g, p);
  if (n_buffers) *n_buffers = nb;
  return p;
}

/* ------------------------------------------------------------------------ */

START_TEST(test_chain_ping_pongs) {
  /* x -> relu x8 -> y: seven intermediates of 400 bytes fit in two slots */
  Graph *g = new_graph(17);
  int t = add_input_s(g, "x", (Shape){2, {1, 100}});
  for (int i = 0; i < 8; i++) t = relu(g, t);
  mark_output(g, t);
  int nb;
  Plan *p = plan_checked(g, &nb);
  ck_assert_int_eq(nb, 7);
  ck_assert_uint_eq(p->workspace_bytes, 2 * align_up(400));
  ck_assert_uint_eq(p->intermediate_bytes, 7 * align_up(400));
  plan_free(p);
  graph_free(g);
}
END_TEST

START_TEST(test_diamond_and_skip) {
  /* a = relu(x) splits into two branches of two relus each, joined by a MatMul; two
   * more relus, then y = a @ c: a is a skip connection live from the first node to the last */
  Graph *g = new_graph(17);
  int x = add_input_s(g, "x", (Shape){2, {16, 16}});
  int a = relu(g, x);
  int l = relu(g, a), r = relu(g, a);
  int l2 = relu(g, l), r2 = relu(g, r);
  int j = matmul(g, l2, r2);
  int b = relu(g, j), c = relu(g, b);
  mark_output(g, matmul(g, a, c)); /* a: a long skip connection */
  Plan *p = plan_checked(g, NULL);
  size_t s = align_up(16 * 16 * 4);
  /* the peak is a plus three branch tensors (at the second branch's relus): four slots, not nine */
  ck_assert_uint_eq(p->intermediate_bytes, 8 * s);
  ck_assert_uint_eq(p->workspace_bytes, 4 * s);
  plan_free(p);
  graph_free(g);
}
END_TEST

START_TEST(test_views_alias_their_root) {
  /* x -> relu -> a -> Reshape -> v1 -> Reshape -> v2 -> relu x3 -> dense(v2) -> y:
   * a must live until the last read of v2; a Reshape of the input is the input */
  Graph *g = new_graph(17);
  int x = add_input_s(g, "x", (Shape){2, {4, 32}});
  int a = relu(g, x);
  int v1 = reshape(g, a, (Shape){3, {4, 4, 8}});
  int v2 = reshape(g, v1, (Shape){2, {1, 128}});
  int t = relu(g, relu(g, relu(g, v2)));
  int xv = reshape(g, x, (Shape){2, {1, 128}});
  int y = matmul(g, t, add_weight(g, (Shape){2, {128, 8}}));
  mark_output(g, y);
  int z = dense(g, v2, 128, 8);
  mark_output(g, z);
  mark_output(g, dense(g, xv, 128, 8));
  Plan *p = plan_checked(g, NULL);
  ck_assert_int_eq(p->t[v1].kind, ST_VIEW);
  ck_assert_int_eq(p->t[v2].kind, ST_VIEW);
  ck_assert_int_eq(plan_root(p, v2), a);
  ck_assert_int_eq(p->t[a].kind, ST_WORKSPACE);
  ck_assert_int_eq(p->t[xv].kind, ST_VIEW);
  ck_assert_int_eq(plan_root(p, xv), x);
  plan_free(p);
  graph_free(g);
}
END_TEST

START_TEST(test_view_as_graph_output_is_copied) {
  /* y = Reshape(relu(x)) is a graph output: it gets the caller's buffer, not a view */
  Graph *g = new_graph(17);
  int x = add_input_s(g, "x", (Shape){2, {2, 8}});
  int a = relu(g, x);
  int y = reshape(g, a, (Shape){1, {16}});
  mark_output(g, y);
  Plan *p = plan_checked(g, NULL);
  ck_assert_int_eq(p->t[y].kind, ST_OUTPUT);
  ck_assert_int_eq(p->t[a].kind, ST_WORKSPACE);
  plan_free(p);
  graph_free(g);
}
END_TEST

START_TEST(test_scratch_lives_at_its_node) {
  /* Conv 3x3 (im2col scratch) -> relu -> Conv 3x3 -> relu -> y */
  Graph *g = new_graph(17);
  int x = add_input_s(g, "x", (Shape){4, {1, 3, 16, 16}});
  int c1 = op1(g, OP_Conv, 2, (int[]){x, add_weight(g, (Shape){4, {8, 3, 3, 3}})});
  int r1 = relu(g, c1);
  int c2 = op1(g, OP_Conv, 2, (int[]){r1, add_weight(g, (Shape){4, {8, 8, 3, 3}})});
  mark_output(g, relu(g, c2));
  Plan *p = plan_checked(g, NULL);
  int conv_nodes = 0;
  for (int i = 0; i < g->nn; i++) {
    if (g->n[i].op != OP_Conv) {
      ck_assert_uint_eq(p->scratch_bytes[i], 0);
      continue;
    }
    conv_nodes++;
    ck_assert_uint_gt(p->scratch_bytes[i], 0);
  }
  ck_assert_int_eq(conv_nodes, 2);
  /* the first conv's scratch is dead once it has run: the buffers after it reuse it */
  ck_assert_uint_lt(p->workspace_bytes, p->intermediate_bytes);
  plan_free(p);
  graph_free(g);
}
END_TEST

START_TEST(test_outputs_and_consts_not_in_workspace) {
  /* an output that is read again later, and a graph with no intermediates at all */
  Graph *g = new_graph(17);
  int x = add_input_s(g, "x", (Shape){2, {1, 8}});
  int y1 = relu(g, x);
  mark_output(g, y1);
  int a = dense(g, y1, 8, 8);
  mark_output(g, relu(g, a));
  int nb;
  Plan *p = plan_checked(g, &nb);
  ck_assert_int_eq(nb, 1); /* only a */
  plan_free(p);
  graph_free(g);

  g = new_graph(17);
  x = add_input_s(g, "x", (Shape){2, {1, 8}});
  mark_output(g, relu(g, x));
  p = plan_checked(g, &nb);
  ck_assert_int_eq(nb, 0);
  ck_assert_uint_eq(p->workspace_bytes, 0);
  plan_free(p);
  graph_free(g);
}
END_TEST

START_TEST(test_in_place_scatter) {
  /* m = relu(x) [1,4,10]; t = GatherTokens(m, idx); u = relu(t); y = ScatterTokens(m, idx, u):
   * the scatter is m's last reader, so it writes into m's buffer (OPF_INPLACE); not when m
   * is read afterwards, when m is a graph input, or when y is a graph output */
  for (int variant = 0; variant < 4; variant++) {
    Graph *g = new_graph(17);
    int x = add_input_s(g, "x", (Shape){3, {1, 4, 10}});
    int m = variant == 2 ? x : relu(g, x);
    int64_t *iv = xmalloc(3 * sizeof(int64_t));
    iv[0] = 7, iv[1] = 2, iv[2] = 9;
    int idx = graph_add_const(g, "idx", DT_INT64, &(Shape){1, {3}}, iv);
    int gt = op1(g, OP_VitcGatherTokens, 2, (int[]){m, idx});
    Attr *a = node_add_attr(g, g->t[gt].producer, "dims", ATTR_INTS);
    a->n = 4, a->ints = xmalloc(4 * sizeof(int64_t));
    memcpy(a->ints, (int64_t[]){1, 4, 10, 3}, 4 * sizeof(int64_t));
    a = node_add_attr(g, g->t[gt].producer, "map", ATTR_INTS);
    a->n = 3, a->ints = xmalloc(3 * sizeof(int64_t));
    memcpy(a->ints, (int64_t[]){40, 10, 1}, 3 * sizeof(int64_t));
    int u = relu(g, gt);
    int y = op1(g, OP_VitcScatterTokens, 3, (int[]){m, idx, u});
    for (int k = 0; k < 3; k++) {
      static const char *const names[3] = {"dims", "map", "upd"};
      static const int64_t vals[3][4] = {{1, 4, 10, 3}, {40, 10, 1, 0}, {12, 4, 1, 0}};
      a = node_add_attr(g, g->t[y].producer, names[k], ATTR_INTS);
      a->n = k ? 3 : 4, a->ints = xmalloc(4 * sizeof(int64_t));
      memcpy(a->ints, vals[k], 4 * sizeof(int64_t));
    }
    int z = relu(g, y);
    if (variant == 1) z = op1(g, OP_Add, 2, (int[]){z, m}); /* m read after the scatter */
    mark_output(g, variant == 3 ? y : z);
    Plan *p = plan_checked(g, NULL);
    if (variant == 0) {
      ck_assert_int_eq(p->t[y].kind, ST_VIEW);
      ck_assert_int_eq(plan_root(p, y), m);
    } else {
      ck_assert_int_eq(p->t[y].kind, variant == 3 ? ST_OUTPUT : ST_WORKSPACE);
    }
    plan_free(p);
    graph_free(g);
  }
}
END_TEST

/* ---- random DAGs ---- */

static unsigned rnd(unsigned n) { return (unsigned)(rng_u64() % n); }

START_TEST(test_random_dags) {
  static const int widths[] = {1, 3, 16, 17, 64, 100, 256};
  for (int trial = 0; trial < 70; trial++) {
    Graph *g = new_graph(17);
    int tensors[600], width[600], n = 0;
    int w0 = widths[rnd(7)];
    tensors[n] = add_input_s(g, "x", (Shape){2, {1, w0}}), width[n++] = w0;
    /* the last ten are long: many buffers live at once, deep segment trees */
    int steps = trial < 60 ? 4 + (int)rnd(40) : 200 + (int)rnd(300);
    for (int s = 0; s < steps && n < 600; s++) {
      /* mostly recent tensors, sometimes an old one (a long lifetime) */
      int src = rnd(4) ? n - 1 - (int)rnd(n < 3 ? n : 3) : (int)rnd(n);
      int t, w = width[src];
      switch (rnd(4)) {
      case 0: case 1: t = relu(g, tensors[src]); break;
      case 2: w = widths[rnd(7)]; t = dense(g, tensors[src], width[src], w); break;
      default: t = reshape(g, tensors[src], (Shape){1, {width[src]}}); t = reshape(g, t, (Shape){2, {1, width[src]}}); break;
      }
      tensors[n] = t, width[n++] = w;
    }
    /* the last tensor and sometimes a middle one are graph outputs (never the input) */
    if (tensors[n - 1] != tensors[0]) mark_output(g, tensors[n - 1]);
    int mid = 1 + (int)rnd(n - 1);
    if (mid < n - 1 && rnd(2)) mark_output(g, tensors[mid]);
    if (g->n_outputs == 0) mark_output(g, relu(g, tensors[0]));
    /* drop nodes feeding nothing, as the pipeline would */
    pass_eliminate_dead(g);
    graph_compact(g);
    Plan *p = plan_checked(g, NULL);
    plan_free(p);
    graph_free(g);
  }
}
END_TEST

/* ---- the committed models ---- */

START_TEST(test_models) {
  char *dir = tu_printf("%s/models", VITC_SOURCE_DIR);
  int count;
  char **files = tu_list_dir(dir, "", &count);
  int planned = 0;
  for (int i = 0; i < count; i++) {
    size_t len = strlen(files[i]);
    if (len < 5 || strcmp(files[i] + len - 5, ".onnx") != 0) continue;
    char *path = tu_printf("%s/%s", dir, files[i]);
    /* an export with dynamic dims has NAME.shape: NAME=DIMS lines, its --shape */
    char *shape_path = tu_printf("%.*s.shape", (int)(strlen(path) - 5), path);
    ShapeOverride ov[4];
    int n_ov = 0;
    size_t slen;
    char *shapes = tu_exists(shape_path) ? (char *)tu_read_file(shape_path, &slen) : NULL;
    for (char *save = NULL, *l = shapes ? strtok_r(shapes, "\n", &save) : NULL; l && n_ov < 4; l = strtok_r(NULL, "\n", &save))
      ck_assert_int_eq(shape_override_parse(l, &ov[n_ov++]), 0);
    Capture c;
    capture_begin(&c);
    Graph *g = onnx_load(path, ov, n_ov);
    PipelineOptions po = {NULL, NULL, ""};
    int rc = g ? run_pipeline(g, &po) : -1;
    char *err = capture_end(&c);
    ck_assert_msg(g && rc == 0, "%s does not compile: %s", files[i], err);
    free(err);
    /* every target: the packed GEMM's scratch depends on its tile */
    for (int k = 0; target_at(k); k++) {
      Plan *p = plan_build(g, target_at(k));
      int nb = plan_ok(g, p);
      printf("%-28s %-7s %5d nodes %5d buffers  workspace %9zu bytes  (sum of intermediates %10zu)\n", files[i],
             target_at(k)->name, g->nn, nb, p->workspace_bytes, p->intermediate_bytes);
      ck_assert_uint_lt(p->workspace_bytes, p->intermediate_bytes); /* real models always share */
      plan_free(p);
    }
    graph_free(g);
    free(path);
    free(shape_path);
    free(shapes);
    for (int k = 0; k < n_ov; k++) free((char *)ov[k].name);
    planned++;
  }
  ck_assert_int_ge(planned, 8);
  tu_free_list(files);
  free(dir);
}
END_TEST

int main(void) {
  const TTest *const tests[] = {
      test_chain_ping_pongs,
      test_diamond_and_skip,
      test_views_alias_their_root,
      test_view_as_graph_output_is_copied,
      test_scratch_lives_at_its_node,
      test_outputs_and_consts_not_in_workspace,
      test_in_place_scatter,
      test_random_dags,
      test_models,
  };
  return tu_run_suite(tu_suite_of("plan", "plan", 0, tests, sizeof tests / sizeof tests[0]));
}
