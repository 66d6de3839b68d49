/* tests/check_ir.c: the graph IR (compiler/ir/): construction, attribute accessors,
 * use counting and rewiring, topological sort, compaction and the op registry.
 *
 * Graphs are built directly with the graph API; nothing here needs an op's shape
 * inference, so these tests hold whatever state the op files are in. */
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_runner.h"
#include "ir/diag.h"
#include "ir/graph.h"
#include "mkonnx.h"

/* A node with one input and one output, by tensor index. */
static int unary(Graph *g, OpKind op, const char *name, int in, int out) {
  return graph_add_node(g, op, name, &in, 1, &out, 1);
}

static int binary(Graph *g, OpKind op, const char *name, int a, int b, int out) {
  int in[2] = {a, b};
  return graph_add_node(g, op, name, in, 2, &out, 1);
}

static int node_index(const Graph *g, const char *name) {
  for (int i = 0; i < g->nn; i++)
    if (strcmp(g->n[i].name, name) == 0) return i;
  return -1;
}

/* ------------------------------------------------------------------------ */

START_TEST(test_tensors) {
  Graph *g = graph_new();
  int a = graph_add_tensor(g, "a");
  int anon = graph_add_tensor(g, NULL);
  ck_assert_int_eq(a, 0);
  ck_assert_int_eq(anon, 1);
  ck_assert_str_eq(g->t[anon].name, "vitc_t1");
  ck_assert_int_eq(g->t[a].producer, -1);
  ck_assert_int_eq(g->t[a].out_index, -1);
  ck_assert(!g->t[a].typed && !g->t[a].data && !g->t[a].is_input && !g->t[a].is_output);
  float *v = malloc(3 * sizeof *v);
  v[0] = 1, v[1] = 2, v[2] = 3;
  Shape s = {1, {3}};
  int c = graph_add_const(g, "c", DT_FLOAT, &s, v);
  ck_assert(g->t[c].typed && g->t[c].data == v && g->t[c].dtype == DT_FLOAT);
  ck_assert_int_eq(graph_find_tensor(g, "c"), c);
  ck_assert_int_eq(graph_find_tensor(g, "nope"), -1);
  /* growth past the initial capacity keeps every tensor */
  char name[32];
  for (int i = 0; i < 1000; i++) {
    snprintf(name, sizeof name, "t%d", i);
    ck_assert_int_eq(graph_add_tensor(g, name), 3 + i);
  }
  ck_assert_int_eq(graph_find_tensor(g, "t999"), 1002);
  ck_assert_str_eq(g->t[c].name, "c");
  graph_free(g);
}
END_TEST

START_TEST(test_shapes_and_dtypes) {
  Shape s = {3, {2, 3, 4}}, scalar = {0, {0}}, empty = {2, {5, 0}};
  ck_assert_int_eq(shape_numel(&s), 24);
  ck_assert_int_eq(shape_numel(&scalar), 1);
  ck_assert_int_eq(shape_numel(&empty), 0);
  char buf[128];
  ck_assert_str_eq(shape_str(&s, buf, sizeof buf), "[2,3,4]");
  ck_assert_str_eq(shape_str(&scalar, buf, sizeof buf), "[]");
  Shape s2 = s;
  ck_assert(shape_eq(&s, &s2));
  s2.d[2] = 5;
  ck_assert(!shape_eq(&s, &s2));
  s2 = s;
  s2.rank = 2;
  ck_assert(!shape_eq(&s, &s2));
  ck_assert_int_eq(dtype_size(DT_FLOAT), 4);
  ck_assert_int_eq(dtype_size(DT_INT64), 8);
  ck_assert_int_eq(dtype_size(DT_BOOL), 1);
  ck_assert_int_eq(dtype_size(DT_STRING), 0);
  ck_assert(dtype_supported(DT_FLOAT) && dtype_supported(DT_INT64) && dtype_supported(DT_BOOL));
  ck_assert(!dtype_supported(DT_FLOAT16) && !dtype_supported(DT_STRING) && !dtype_supported(DT_UNDEFINED));
  ck_assert_str_eq(dtype_name(DT_FLOAT), "float32");
  ck_assert_str_eq(dtype_ctype(DT_INT64), "int64_t");
  ck_assert_str_eq(dtype_ctype(DT_BOOL), "uint8_t");
}
END_TEST

START_TEST(test_nodes_and_attrs) {
  Graph *g = graph_new();
  int x = graph_add_tensor(g, "x"), y = graph_add_tensor(g, "y");
  int n0 = unary(g, OP_Relu, "r", x, y);
  ck_assert_int_eq(g->t[y].producer, n0);
  /* unnamed nodes get "<Op>_<index>" */
  int z = graph_add_tensor(g, "z");
  int n1 = unary(g, OP_Relu, NULL, y, z);
  ck_assert_str_eq(g->n[n1].name, "Relu_1");
  int n2 = unary(g, OP_Relu, "", z, graph_add_tensor(g, "w"));
  ck_assert_str_eq(g->n[n2].name, "Relu_2");
  /* absent optional inputs and outputs */
  int in[3] = {x, -1, z}, out[2] = {graph_add_tensor(g, "o"), -1};
  int n3 = graph_add_node(g, OP_Clip, "clip", in, 3, out, 2);
  Node *n = &g->n[n3];
  ck_assert_ptr_nonnull(node_in(g, n, 0));
  ck_assert_ptr_null(node_in(g, n, 1));
  ck_assert_ptr_eq(node_in(g, n, 2), &g->t[z]);
  ck_assert_ptr_null(node_in(g, n, 3)); /* past the end */
  ck_assert_ptr_null(node_out(g, n, 1));
  ck_assert_ptr_null(node_out(g, n, 2));
  ck_assert(!node_in_const(g, n, 0) && !node_in_const(g, n, 1));

  /* attributes, with defaults for absent or mistyped ones */
  node_add_attr(g, n3, "axis", ATTR_INT)->i = -2;
  node_add_attr(g, n3, "alpha", ATTR_FLOAT)->f = 0.5f;
  node_add_attr(g, n3, "mode", ATTR_STRING)->s = xstrdup("constant");
  Attr *a = node_add_attr(g, n3, "perm", ATTR_INTS);
  a->n = 3;
  a->ints = xmalloc(3 * sizeof(int64_t));
  a->ints[0] = 2, a->ints[1] = 0, a->ints[2] = 1;
  n = &g->n[n3];
  ck_assert_int_eq(n->n_attr, 4);
  ck_assert_int_eq(attr_int(n, "axis", 7), -2);
  ck_assert_int_eq(attr_int(n, "missing", 7), 7);
  ck_assert_int_eq(attr_int(n, "alpha", 7), 7); /* a float is not an int */
  ck_assert_float_eq(attr_float(n, "alpha", 1), 0.5f);
  ck_assert_float_eq(attr_float(n, "axis", 1), -2.0f); /* an int reads as a float */
  ck_assert_float_eq(attr_float(n, "missing", 1.25f), 1.25f);
  ck_assert_str_eq(attr_str(n, "mode", "x"), "constant");
  ck_assert_str_eq(attr_str(n, "missing", "dflt"), "dflt");
  ck_assert_str_eq(attr_str(n, "axis", "dflt"), "dflt");
  const int64_t *v;
  ck_assert_int_eq(attr_ints(n, "perm", &v), 3);
  ck_assert(v[0] == 2 && v[1] == 0 && v[2] == 1);
  ck_assert_int_eq(attr_ints(n, "axis", &v), -1);
  ck_assert_ptr_null(v);
  ck_assert_int_eq(attr_ints(n, "missing", &v), -1);
  ck_assert_ptr_eq(node_attr(n, "mode"), &n->attr[2]);
  ck_assert_ptr_null(node_attr(n, "nope"));
  Attr *t = node_add_attr(g, n3, "value", ATTR_TENSOR);
  ck_assert_int_eq(t->tensor, -1);
  graph_free(g);
}
END_TEST

START_TEST(test_uses_and_replace) {
  /* x -> r1 -> a; a -> r2 -> b; MatMul(a, a) -> c; outputs: a, c */
  Graph *g = graph_new();
  int x = graph_add_tensor(g, "x"), a = graph_add_tensor(g, "a"), b = graph_add_tensor(g, "b"),
      c = graph_add_tensor(g, "c"), x2 = graph_add_tensor(g, "x2");
  g->t[x].is_input = g->t[x2].is_input = true;
  unary(g, OP_Relu, "r1", x, a);
  int r2 = unary(g, OP_Relu, "r2", a, b);
  binary(g, OP_MatMul, "mm", a, a, c);
  g->outputs = xmalloc(2 * sizeof(int));
  g->outputs[0] = a, g->outputs[1] = c;
  g->n_outputs = 2;
  ck_assert_int_eq(tensor_uses(g, x), 1);
  ck_assert_int_eq(tensor_uses(g, a), 4); /* r2, mm twice, graph output */
  ck_assert_int_eq(tensor_uses(g, b), 0);
  ck_assert_int_eq(tensor_uses(g, c), 1);
  g->n[r2].dead = true; /* dead nodes do not count */
  ck_assert_int_eq(tensor_uses(g, a), 3);
  g->n[r2].dead = false;

  graph_replace_uses(g, a, x2);
  ck_assert_int_eq(tensor_uses(g, a), 0);
  ck_assert_int_eq(tensor_uses(g, x2), 4);
  ck_assert_int_eq(g->outputs[0], x2);
  ck_assert_int_eq(g->n[r2].in[0], x2);
  ck_assert(g->n[2].in[0] == x2 && g->n[2].in[1] == x2);
  ck_assert_int_eq(g->n[0].out[0], a); /* definitions are not uses */
  graph_free(g);
}
END_TEST

/* The diamond  x -> p -> {l, r} -> j(l, r) -> y, added in a shuffled order. */
static Graph *shuffled_diamond(void) {
  Graph *g = graph_new();
  int x = graph_add_tensor(g, "x"), p = graph_add_tensor(g, "p"), l = graph_add_tensor(g, "l"),
      r = graph_add_tensor(g, "r"), y = graph_add_tensor(g, "y");
  g->t[x].is_input = true;
  binary(g, OP_MatMul, "join", l, r, y);
  unary(g, OP_Relu, "right", p, r);
  unary(g, OP_Relu, "pre", x, p);
  unary(g, OP_Relu, "left", p, l);
  g->outputs = xmalloc(sizeof(int));
  g->outputs[0] = y;
  g->n_outputs = 1;
  return g;
}

static void assert_topological(Graph *g) {
  for (int i = 0; i < g->nn; i++) {
    for (int k = 0; k < g->n[i].n_in; k++) {
      int t = g->n[i].in[k];
      if (t >= 0 && g->t[t].producer >= 0) ck_assert_int_lt(g->t[t].producer, i);
    }
    for (int o = 0; o < g->n[i].n_out; o++) ck_assert_int_eq(g->t[g->n[i].out[o]].producer, i);
  }
}

START_TEST(test_toposort_stable) {
  Graph *g = shuffled_diamond();
  ck_assert_int_eq(graph_toposort(g), 0);
  assert_topological(g);
  /* stable: among ready nodes, the earlier in the old order goes first */
  const char *want[4] = {"pre", "right", "left", "join"};
  for (int i = 0; i < 4; i++) ck_assert_str_eq(g->n[i].name, want[i]);
  /* sorting a sorted graph changes nothing */
  ck_assert_int_eq(graph_toposort(g), 0);
  for (int i = 0; i < 4; i++) ck_assert_str_eq(g->n[i].name, want[i]);
  ck_assert_int_eq(graph_verify(g, "test"), 0);
  graph_free(g);
}
END_TEST

START_TEST(test_toposort_drops_dead) {
  Graph *g = shuffled_diamond();
  g->n[node_index(g, "right")].dead = true;
  g->n[node_index(g, "join")].dead = true;
  ck_assert_int_eq(graph_toposort(g), 0);
  ck_assert_int_eq(g->nn, 2);
  ck_assert_str_eq(g->n[0].name, "pre");
  ck_assert_str_eq(g->n[1].name, "left");
  ck_assert_int_eq(g->t[graph_find_tensor(g, "y")].producer, -1);
  ck_assert_int_eq(g->t[graph_find_tensor(g, "l")].producer, 1);
  graph_free(g);
}
END_TEST

START_TEST(test_toposort_cycle) {
  /* a -> n1 -> b -> n2 -> a: a cycle; n0 is fine */
  Graph *g = graph_new();
  int x = graph_add_tensor(g, "x"), a = graph_add_tensor(g, "a"), b = graph_add_tensor(g, "b"),
      y = graph_add_tensor(g, "y");
  g->t[x].is_input = true;
  unary(g, OP_Relu, "n0", x, y);
  binary(g, OP_MatMul, "n1", a, x, b);
  unary(g, OP_Relu, "n2", b, a);
  Capture c;
  capture_begin(&c);
  int rc = graph_toposort(g);
  char *err = capture_end(&c);
  ck_assert_int_eq(rc, -1);
  ck_assert_one_error(err, "cycle through node 'n1'");
  free(err);
  /* the graph is left as it was */
  ck_assert_int_eq(g->nn, 3);
  ck_assert_str_eq(g->n[0].name, "n0");
  graph_free(g);

  /* a node reading its own output */
  g = graph_new();
  a = graph_add_tensor(g, "a");
  unary(g, OP_Relu, "self", a, a);
  capture_begin(&c);
  rc = graph_toposort(g);
  err = capture_end(&c);
  ck_assert_int_eq(rc, -1);
  ck_assert_one_error(err, "'self'");
  free(err);
  graph_free(g);
}
END_TEST

START_TEST(test_compact) {
  Graph *g = shuffled_diamond();
  ck_assert_int_eq(graph_toposort(g), 0);
  node_add_attr(g, node_index(g, "left"), "some", ATTR_INTS); /* freed with its node */
  g->n[node_index(g, "left")].dead = true;
  graph_compact(g);
  ck_assert_int_eq(g->nn, 3);
  ck_assert_str_eq(g->n[0].name, "pre");
  ck_assert_str_eq(g->n[1].name, "right");
  ck_assert_str_eq(g->n[2].name, "join");
  ck_assert_int_eq(g->t[graph_find_tensor(g, "l")].producer, -1);
  ck_assert_int_eq(g->t[graph_find_tensor(g, "y")].producer, 2);
  ck_assert_int_eq(g->t[graph_find_tensor(g, "r")].producer, 1);
  /* compacting a graph without dead nodes is a no-op */
  graph_compact(g);
  ck_assert_int_eq(g->nn, 3);
  graph_free(g);
}
END_TEST

START_TEST(test_node_err_format) {
  Graph *g = graph_new();
  g->opset = 17;
  g->source = xstrdup("m.onnx");
  int x = graph_add_tensor(g, "x");
  int ni = unary(g, OP_Softmax, "/blocks.0/Softmax", x, graph_add_tensor(g, "y"));
  Capture c;
  capture_begin(&c);
  int before = vitc_error_count;
  ck_assert_int_eq(node_err(g, &g->n[ni], "axis %d is out of range", 5), -1);
  char *err = capture_end(&c);
  ck_assert_int_eq(vitc_error_count, before + 1);
  ck_assert_str_eq(err, "vitc: error: m.onnx: node '/blocks.0/Softmax' (Softmax, opset 17): axis 5 is out of range\n");
  free(err);
  char d[128];
  ck_assert_str_eq(node_desc(g, &g->n[ni], d, sizeof d), "node '/blocks.0/Softmax' (Softmax)");
  graph_free(g);
}
END_TEST

START_TEST(test_op_registry) {
  static const struct { OpKind k; const char *name; unsigned flags; } ops[] = {
#define OP(e, name, flags, ...) {OP_##e, name, flags},
#include "ir/ops.def"
#undef OP
  };
  ck_assert_int_eq(sizeof ops / sizeof ops[0], OP_COUNT);
  for (int i = 0; i < OP_COUNT; i++) {
    ck_assert_int_eq(ops[i].k, i);
    ck_assert_str_eq(op_name(ops[i].k), ops[i].name);
    ck_assert_int_eq(op_flags(ops[i].k), ops[i].flags);
    ck_assert_msg(op_lookup(ops[i].name) == i, "op_lookup(\"%s\") = %d, not %d", ops[i].name, op_lookup(ops[i].name), i);
    /* sorted, so the binary search finds everything without its fallback */
    if (i) ck_assert_msg(strcmp(ops[i - 1].name, ops[i].name) < 0, "ops.def not sorted at %s", ops[i].name);
  }
  static const char *const unknown[] = {"", "relu", "RELU", "Relu ", "FusedGemm", "Aaa", "Zzz", "vitc.Nothing"};
  for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++)
    ck_assert_msg(op_lookup(unknown[i]) == -1, "op_lookup(\"%s\") found something", unknown[i]);
  ck_assert_str_eq(op_name(OP_COUNT), "?");
  ck_assert_int_eq(op_flags(OP_COUNT), 0);
  ck_assert(op_flags(OP_Reshape) & OPF_VIEW);
  ck_assert(op_flags(OP_Constant) & OPF_FOLD);
}
END_TEST

/* The pipeline's guard against passes that rewire inputs by hand: a complete index
 * passes, a stale one aborts (the test below is run as a signal test). */
static Graph *rewired_graph(bool reindex) {
  Graph *g = graph_new();
  int x = graph_add_tensor(g, "x"), y = graph_add_tensor(g, "y"), a = graph_add_tensor(g, "a"),
      b = graph_add_tensor(g, "b");
  g->t[x].is_input = g->t[y].is_input = true;
  unary(g, OP_Relu, "r1", x, a);
  int r2 = unary(g, OP_Relu, "r2", a, b);
  graph_check_readers(g, "built"); /* graph_add_node keeps it */
  g->n[r2].in[0] = y;               /* by hand */
  if (reindex) graph_reindex(g);
  return g;
}

START_TEST(test_check_readers_reindexed) {
  Graph *g = rewired_graph(true);
  graph_check_readers(g, "rewired");
  ck_assert_int_eq(tensor_uses(g, 1), 1); /* y */
  graph_free(g);
}
END_TEST

START_TEST(test_check_readers_stale_aborts) {
  Graph *g = rewired_graph(false);
  graph_check_readers(g, "rewired"); /* must not return */
  graph_free(g);
}
END_TEST

int main(void) {
  Suite *s = suite_create("ir");
  TCase *tc = tcase_create("ir");
  tcase_add_test(tc, test_tensors);
  tcase_add_test(tc, test_shapes_and_dtypes);
  tcase_add_test(tc, test_nodes_and_attrs);
  tcase_add_test(tc, test_uses_and_replace);
  tcase_add_test(tc, test_check_readers_reindexed);
  tcase_add_test_raise_signal(tc, test_check_readers_stale_aborts, SIGABRT);
  tcase_add_test(tc, test_toposort_stable);
  tcase_add_test(tc, test_toposort_drops_dead);
  tcase_add_test(tc, test_toposort_cycle);
  tcase_add_test(tc, test_compact);
  tcase_add_test(tc, test_node_err_format);
  tcase_add_test(tc, test_op_registry);
  suite_add_tcase(s, tc);
  return tu_run_suite(s);
}
