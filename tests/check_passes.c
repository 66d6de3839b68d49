/* tests/check_passes.c: the graph rewrites in compiler/passes/ and the pipeline.
 *
 * Each test builds a small graph with the graph API, runs one pass and looks at
 * what changed: which nodes died, what consumers read now, which tensors became
 * constants with which values. The return value of every pass is checked too (1
 * changed, 0 unchanged, -1 bad input reported on one line), because the pipeline
 * and --dump-after rely on it.
 *
 * fold_constants uses real shape inference and evaluation, so it is tested on ops
 * that fold (Relu, MatMul, Shape, ConstantOfShape, Identity). */
#define _GNU_SOURCE /* open_memstream */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_runner.h"
#include "ir/diag.h"
#include "ir/graph.h"
#include "mkonnx.h"
#include "passes/passes.h"

/* ---- building graphs (new_graph, add_input, add_const_*, mark_output, NODE_TO: tests/mkonnx.h) ---- */


static Node *find_node(Graph *g, const char *name) {
  for (int i = 0; i < g->nn; i++)
    if (strcmp(g->n[i].name, name) == 0) return &g->n[i];
  ck_abort_msg("no node '%s'", name);
  return NULL;
}

static bool has_node(Graph *g, const char *name) {
  for (int i = 0; i < g->nn; i++)
    if (!g->n[i].dead && strcmp(g->n[i].name, name) == 0) return true;
  return false;
}

static const int64_t d14[2] = {1, 4}, d22[2] = {2, 2};

/* ---- eliminate_identity ---- */

START_TEST(test_identity_removed) {
  /* x -> id1 -> a -> id2 -> b -> relu -> y */
  Graph *g = new_graph(17);
  int x = add_input(g, "x", 2, d14);
  int a = NODE_TO(g, OP_Identity, "id1", "a", x);
  int b = NODE_TO(g, OP_Identity, "id2", "b", a);
  mark_output(g, NODE_TO(g, OP_Relu, "relu", "y", b));
  ck_assert_int_eq(pass_eliminate_identity(g), 1);
  ck_assert(find_node(g, "id1")->dead && find_node(g, "id2")->dead);
  ck_assert_int_eq(find_node(g, "relu")->in[0], x);
  ck_assert_int_eq(tensor_uses(g, a) + tensor_uses(g, b), 0);
  graph_compact(g);
  ck_assert_int_eq(g->nn, 1);
  graph_verify(g, "test");
  ck_assert_int_eq(pass_eliminate_identity(g), 0);
  graph_free(g);
}
END_TEST

START_TEST(test_identity_feeding_graph_output_stays) {
  /* x -> relu -> a -> id -> y (graph output): the copy into the caller's buffer stays */
  Graph *g = new_graph(17);
  int x = add_input(g, "x", 2, d14);
  int a = NODE_TO(g, OP_Relu, "relu", "a", x);
  int y = NODE_TO(g, OP_Identity, "id", "y", a);
  mark_output(g, y);
  ck_assert_int_eq(pass_eliminate_identity(g), 0);
  ck_assert(!find_node(g, "id")->dead);
  ck_assert_int_eq(g->outputs[0], y);
  ck_assert_int_eq(g->t[y].producer, 1);
  graph_free(g);

  /* also when the same Identity output is read by other nodes */
  g = new_graph(17);
  x = add_input(g, "x", 2, d14);
  y = NODE_TO(g, OP_Identity, "id", "y", x);
  mark_output(g, y);
  mark_output(g, NODE_TO(g, OP_Relu, "relu", "z", y));
  ck_assert_int_eq(pass_eliminate_identity(g), 0);
  ck_assert_int_eq(find_node(g, "relu")->in[0], y);
  graph_free(g);
}
END_TEST

START_TEST(test_dropout) {
  /* inference Dropout without a mask output is the identity */
  Graph *g = new_graph(17);
  int x = add_input(g, "x", 2, d14);
  int a = NODE_TO(g, OP_Dropout, "drop", "a", x);
  mark_output(g, NODE_TO(g, OP_Relu, "relu", "y", a));
  ck_assert_int_eq(pass_eliminate_identity(g), 1);
  ck_assert(find_node(g, "drop")->dead);
  ck_assert_int_eq(find_node(g, "relu")->in[0], x);
  graph_free(g);

  /* ... and so is one whose mask nobody reads */
  g = new_graph(17);
  x = add_input(g, "x", 2, d14);
  int outs[2] = {graph_add_tensor(g, "a"), graph_add_tensor(g, "mask")};
  graph_add_node(g, OP_Dropout, "drop", &x, 1, outs, 2);
  mark_output(g, NODE_TO(g, OP_Relu, "relu", "y", outs[0]));
  ck_assert_int_eq(pass_eliminate_identity(g), 1);
  graph_free(g);

  /* a mask that is read keeps the node */
  g = new_graph(17);
  x = add_input(g, "x", 2, d14);
  outs[0] = graph_add_tensor(g, "a"), outs[1] = graph_add_tensor(g, "mask");
  graph_add_node(g, OP_Dropout, "drop", &x, 1, outs, 2);
  mark_output(g, NODE_TO(g, OP_Relu, "relu", "y", outs[0]));
  mark_output(g, outs[1]);
  ck_assert_int_eq(pass_eliminate_identity(g), 0);
  ck_assert(!find_node(g, "drop")->dead);
  graph_free(g);
}
END_TEST

/* ---- eliminate_dead ---- */

START_TEST(test_dead_chain_in_one_run) {
  /* x -> r1 -> a -> r2 -> b (unread);  x -> r3 -> y (output) */
  Graph *g = new_graph(17);
  int x = add_input(g, "x", 2, d14);
  int a = NODE_TO(g, OP_Relu, "r1", "a", x);
  NODE_TO(g, OP_Relu, "r2", "b", a);
  mark_output(g, NODE_TO(g, OP_Relu, "r3", "y", x));
  ck_assert_int_eq(pass_eliminate_dead(g), 1);
  ck_assert(find_node(g, "r1")->dead && find_node(g, "r2")->dead);
  ck_assert(!find_node(g, "r3")->dead);
  graph_compact(g);
  ck_assert_int_eq(g->nn, 1);
  ck_assert_int_eq(pass_eliminate_dead(g), 0);
  graph_free(g);
}
END_TEST

START_TEST(test_dead_keeps_partly_used) {
  /* a two-output node with one output read stays; so does everything feeding outputs */
  Graph *g = new_graph(17);
  int x = add_input(g, "x", 2, d14);
  int a = NODE_TO(g, OP_Relu, "r1", "a", x);
  int outs[2] = {graph_add_tensor(g, "d"), graph_add_tensor(g, "mask")};
  graph_add_node(g, OP_Dropout, "drop", &a, 1, outs, 2);
  mark_output(g, NODE_TO(g, OP_Relu, "r2", "y", outs[1]));
  int w = add_const_f32(g, "w", 2, d22, (float[]){1, 2, 3, 4});
  NODE_TO(g, OP_Relu, "unused_const", "wr", w);
  ck_assert_int_eq(pass_eliminate_dead(g), 1);
  ck_assert(has_node(g, "r1") && has_node(g, "drop") && has_node(g, "r2"));
  ck_assert(!has_node(g, "unused_const"));
  graph_free(g);
}
END_TEST

START_TEST(test_dead_nothing_to_do) {
  Graph *g = new_graph(17);
  int x = add_input(g, "x", 2, d14);
  mark_output(g, NODE_TO(g, OP_Relu, "r", "y", x));
  ck_assert_int_eq(pass_eliminate_dead(g), 0);
  graph_free(g);
}
END_TEST

/* ---- fold_constants ---- */

START_TEST(test_fold_relu_chain) {
  /* y = MatMul(x, Relu(Relu(w))): both Relus fold, MatMul reads a constant */
  Graph *g = new_graph(17);
  int x = add_input(g, "x", 2, (int64_t[]){1, 2});
  int w = add_const_f32(g, "w", 2, d22, (float[]){-1, 2, -3, 4});
  int r1 = NODE_TO(g, OP_Relu, "r1", "r1_out", w);
  int r2 = NODE_TO(g, OP_Relu, "r2", "r2_out", r1);
  int y = NODE_TO(g, OP_MatMul, "mm", "y", x, r2);
  mark_output(g, y);
  ck_assert_int_eq(pass_fold_constants(g), 1);
  ck_assert(find_node(g, "r1")->dead && find_node(g, "r2")->dead);
  ck_assert(!find_node(g, "mm")->dead);
  ck_assert_ptr_nonnull(g->t[r2].data);
  const float *v = g->t[r2].data;
  ck_assert(v[0] == 0 && v[1] == 2 && v[2] == 0 && v[3] == 4);
  ck_assert(g->t[r2].typed && shape_eq(&g->t[r2].shape, &g->t[w].shape));
  /* the node that is left got its shape */
  ck_assert(g->t[y].typed);
  ck_assert_int_eq(g->t[y].shape.rank, 2);
  ck_assert(g->t[y].shape.d[0] == 1 && g->t[y].shape.d[1] == 2);
  ck_assert_ptr_null(g->t[y].data);
  /* then dead-code elimination drops the now-unread r1_out chain */
  graph_compact(g);
  ck_assert_int_eq(g->nn, 1);
  ck_assert_int_eq(pass_fold_constants(g), 0);
  graph_free(g);
}
END_TEST

START_TEST(test_fold_keeps_graph_outputs) {
  /* y = Relu(w) is a graph output: it stays computed by the bundle, but gets a shape */
  Graph *g = new_graph(17);
  int w = add_const_f32(g, "w", 2, d22, (float[]){-1, 2, -3, 4});
  int y = NODE_TO(g, OP_Relu, "r", "y", w);
  mark_output(g, y);
  ck_assert_int_eq(pass_fold_constants(g), 0);
  ck_assert(!find_node(g, "r")->dead);
  ck_assert(g->t[y].typed && !g->t[y].data);
  graph_free(g);
}
END_TEST

START_TEST(test_fold_shape_arithmetic) {
  /* Shape(x) -> ConstantOfShape -> c (ones, [3,3]) -> MatMul(x, c): Shape folds from x's shape */
  Graph *g = new_graph(17);
  int x = add_input(g, "x", 2, (int64_t[]){3, 3});
  int s = NODE_TO(g, OP_Shape, "shape", "s", x);
  int c = NODE_TO(g, OP_ConstantOfShape, "cos", "c", s);
  int one = add_const_f32(g, NULL, 1, (int64_t[]){1}, (float[]){1});
  node_add_attr(g, g->t[c].producer, "value", ATTR_TENSOR)->tensor = one;
  mark_output(g, NODE_TO(g, OP_MatMul, "mm", "y", x, c));
  ck_assert_int_eq(pass_fold_constants(g), 1);
  ck_assert(find_node(g, "shape")->dead && find_node(g, "cos")->dead);
  const int64_t *sv = g->t[s].data;
  ck_assert_ptr_nonnull(sv);
  ck_assert(g->t[s].dtype == DT_INT64 && sv[0] == 3 && sv[1] == 3);
  const float *cv = g->t[c].data;
  ck_assert_ptr_nonnull(cv);
  for (int i = 0; i < 9; i++) ck_assert(cv[i] == 1.0f);
  graph_free(g);
}
END_TEST

START_TEST(test_fold_refuses_to_grow_weights) {
  /* ConstantOfShape([512, 512]) is 1 MB out of 16 bytes: left to run time */
  Graph *g = new_graph(17);
  int x = add_input(g, "x", 2, (int64_t[]){1, 512});
  int s = add_const_i64(g, "s", 2, (int64_t[]){512, 512});
  int c = NODE_TO(g, OP_ConstantOfShape, "cos", "c", s);
  mark_output(g, NODE_TO(g, OP_MatMul, "mm", "y", x, c));
  ck_assert_int_eq(pass_fold_constants(g), 0);
  ck_assert(!find_node(g, "cos")->dead);
  ck_assert(g->t[c].typed && !g->t[c].data);
  ck_assert(g->t[c].shape.d[0] == 512 && g->t[c].shape.d[1] == 512);
  graph_free(g);

  /* a large Relu over a large weight does not grow anything: it folds */
  g = new_graph(17);
  static float big[128 * 256];
  for (int i = 0; i < 128 * 256; i++) big[i] = (float)(i % 7) - 3;
  x = add_input(g, "x", 2, (int64_t[]){1, 128});
  int w = add_const_f32(g, "w", 2, (int64_t[]){128, 256}, big);
  int r = NODE_TO(g, OP_Relu, "r", "wr", w);
  mark_output(g, NODE_TO(g, OP_MatMul, "mm", "y", x, r));
  ck_assert_int_eq(pass_fold_constants(g), 1);
  ck_assert_ptr_nonnull(g->t[r].data);
  graph_free(g);
}
END_TEST

START_TEST(test_fold_infer_error) {
  /* shape inference errors come back as -1 with one line naming the node */
  Graph *g = new_graph(17);
  int s = add_const_i64(g, "ints", 2, (int64_t[]){1, 2});
  int x = add_input(g, "x", 2, d14);
  int r = NODE_TO(g, OP_Relu, "bad_relu", "r", s);
  mark_output(g, NODE_TO(g, OP_MatMul, "mm", "y", x, r));
  Capture c;
  capture_begin(&c);
  int rc = pass_fold_constants(g);
  char *err = capture_end(&c);
  ck_assert_int_eq(rc, -1);
  ck_assert_one_error(err, "node 'bad_relu' (Relu, opset 17)");
  free(err);
  graph_free(g);
}
END_TEST

/* ---- the pipeline ---- */

START_TEST(test_pipeline) {
  /* x -> id -> a -> MatMul(a, Relu(w)) -> y, plus an unread Relu(x) */
  Graph *g = new_graph(17);
  int x = add_input(g, "x", 2, (int64_t[]){1, 2});
  int a = NODE_TO(g, OP_Identity, "id", "a", x);
  int w = add_const_f32(g, "w", 2, d22, (float[]){-1, 2, -3, 4});
  int r = NODE_TO(g, OP_Relu, "wr", "wr_out", w);
  mark_output(g, NODE_TO(g, OP_MatMul, "mm", "y", a, r));
  NODE_TO(g, OP_Relu, "unread", "u", x);
  char *dump = NULL;
  size_t dump_len = 0;
  FILE *f = open_memstream(&dump, &dump_len);
  PipelineOptions po = {"all", f, ""};
  vitc_skip_passes = "fuse_gemm_epilogue"; /* keep the MatMul a MatMul (check_fusion tests that pass) */
  ck_assert_int_eq(run_pipeline(g, &po), 0);
  vitc_skip_passes = NULL;
  fclose(f);
  ck_assert_int_eq(g->nn, 1);
  ck_assert_str_eq(g->n[0].name, "mm");
  ck_assert_int_eq(g->n[0].in[0], x);
  ck_assert_str_eq(po.changed, "fold_constants,eliminate_identity,eliminate_dead");
  for (int i = 0; i < vitc_pipeline_len; i++) {
    const char *name = vitc_pipeline[i].name;
    char *hdr = tu_printf("# after %s (%s)", name, strcmp(name, "fuse_gemm_epilogue") == 0 ? "skipped"
                                                   : strstr(po.changed, name)                 ? "changed"
                                                                                              : "unchanged");
    ck_assert_msg(strstr(dump, hdr) != NULL, "dump lacks '%s':\n%s", hdr, dump);
    free(hdr);
  }
  free(dump);
  graph_free(g);
}
END_TEST

START_TEST(test_pipeline_table) {
  ck_assert_int_ge(vitc_pipeline_len, 3);
  ck_assert_str_eq(vitc_pipeline[0].name, "fold_constants"); /* shapes before everything else */
  for (int i = 0; i < vitc_pipeline_len; i++) {
    ck_assert_ptr_nonnull(vitc_pipeline[i].run);
    ck_assert(vitc_pipeline[i].what && vitc_pipeline[i].what[0]);
    for (int j = 0; j < i; j++) ck_assert_str_ne(vitc_pipeline[i].name, vitc_pipeline[j].name);
  }
}
END_TEST

int main(void) {
  const TTest *const tests[] = {
      test_identity_removed,
      test_identity_feeding_graph_output_stays,
      test_dropout,
      test_dead_chain_in_one_run,
      test_dead_keeps_partly_used,
      test_dead_nothing_to_do,
      test_fold_relu_chain,
      test_fold_keeps_graph_outputs,
      test_fold_shape_arithmetic,
      test_fold_refuses_to_grow_weights,
      test_fold_infer_error,
      test_pipeline,
      test_pipeline_table,
  };
  return tu_run_suite(tu_suite_of("passes", "passes", 0, tests, sizeof tests / sizeof tests[0]));
}
