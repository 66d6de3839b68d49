/* tests/check_ops_layout.c: shape inference and constant folding of the shape
 * and data-movement ops (ops/shape_ops.c and ops/layout.c).
 *
 * Each test builds a small Graph with the graph API, runs an op's infer (and
 * eval, for folding) directly or runs the fold_constants pass, and checks the
 * output's dtype, shape and values. The cases are the ONNX rules that are easy
 * to get subtly wrong: Reshape's 0 and -1, Slice's clamping of negative and
 * INT64_MAX/INT64_MIN bounds with negative steps, Split's three ways of giving
 * sizes, Squeeze/Unsqueeze axes (input from opset 13, attribute before), Gather's
 * negative indices, Shape's start/end window, and the legacy torch exporter's
 * Shape -> Gather -> Unsqueeze -> Concat -> Reshape chain, which must fold to a
 * constant shape. Bad input must fail with -1 and exactly one reported error,
 * never abort. The run-time side (emitted kernel calls) is covered end to end
 * by the ONNX conformance cases. */
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check_runner.h"
#include "ir/diag.h"
#include "ir/graph.h"
#include "ops/op.h"
#include "passes/passes.h"
#include "mkonnx.h"

/* graphs, ops and their checks: tests/mkonnx.h */

/* 1-D int64 constant */
#define INTS(g, ...) \
  CST(g, DT_INT64, int64_t, SHAPE((int64_t)(sizeof((int64_t[]){__VA_ARGS__}) / sizeof(int64_t))), __VA_ARGS__)

/* A float constant 0, 1, 2, ... of shape s. */
static int iota(Graph *g, Shape s) {
  int64_t n = shape_numel(&s);
  float *v = xmalloc((size_t)(n ? n : 1) * sizeof *v);
  for (int64_t i = 0; i < n; i++) v[i] = (float)i;
  return graph_add_const(g, NULL, DT_FLOAT, &s, v);
}


/* ---------------- views: Reshape, Flatten, Squeeze, Unsqueeze ---------------- */

START_TEST(test_reshape) {
  Graph *g = new_graph(17);
  int x = input(g, DT_FLOAT, SHAPE(2, 3, 4));
  int n1 = OP_NODE(g, OP_Reshape, x, INTS(g, 0, -1)); /* 0 copies dim 0, -1 takes the rest */
  ck_assert_int_eq(infer(g, n1), 0);
  expect_shape(out(g, n1), DT_FLOAT, SHAPE(2, 12));
  int n2 = OP_NODE(g, OP_Reshape, x, INTS(g, -1, 0, 2, 2)); /* 0 at position 1 copies input dim 1 */
  ck_assert_int_eq(infer(g, n2), 0);
  expect_shape(out(g, n2), DT_FLOAT, SHAPE(2, 3, 2, 2));
  int n3 = OP_NODE(g, OP_Reshape, x, INTS(g, 24));
  ck_assert_int_eq(infer(g, n3), 0);
  expect_shape(out(g, n3), DT_FLOAT, SHAPE(24));

  /* allowzero=1: a 0 is a real zero-size dim */
  int z = input(g, DT_FLOAT, SHAPE(0, 3));
  int n4 = OP_NODE(g, OP_Reshape, z, INTS(g, 3, 0));
  attr_i(g, n4, "allowzero", 1);
  ck_assert_int_eq(infer(g, n4), 0);
  expect_shape(out(g, n4), DT_FLOAT, SHAPE(3, 0));

  expect_infer_error(g, OP_NODE(g, OP_Reshape, x, INTS(g, -1, -1)));
  expect_infer_error(g, OP_NODE(g, OP_Reshape, x, INTS(g, 5, -1)));   /* 24 does not divide by 5 */
  expect_infer_error(g, OP_NODE(g, OP_Reshape, x, INTS(g, 2, 3, 5))); /* element counts differ */
  expect_infer_error(g, OP_NODE(g, OP_Reshape, x, INTS(g, 0, 0, 0, 0))); /* copies a dim the input lacks */
  int n5 = OP_NODE(g, OP_Reshape, z, INTS(g, 0, -1));
  attr_i(g, n5, "allowzero", 1);
  expect_infer_error(g, n5); /* 0 and -1 together with allowzero */

  /* a shape computed at run time: the one clear error */
  int dyn = input(g, DT_INT64, SHAPE(2));
  expect_infer_error(g, OP_NODE(g, OP_Reshape, x, dyn));

  /* folding a constant is a byte copy */
  int c = iota(g, SHAPE(2, 3));
  int n6 = OP_NODE(g, OP_Reshape, c, INTS(g, 3, -1));
  ck_assert_int_eq(fold(g, n6), 0);
  expect_shape(out(g, n6), DT_FLOAT, SHAPE(3, 2));
  EXPECT_F64(out(g, n6), 0, 1, 2, 3, 4, 5);
  graph_free(g);
}
END_TEST

START_TEST(test_flatten) {
  Graph *g = new_graph(17);
  int x = input(g, DT_FLOAT, SHAPE(2, 3, 4, 5));
  static const struct { int64_t axis, a, b; } cases[] = {{0, 1, 120}, {1, 2, 60}, {3, 24, 5}, {4, 120, 1}, {-1, 24, 5},
                                                         {-4, 1, 120}};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    int n = OP_NODE(g, OP_Flatten, x);
    attr_i(g, n, "axis", cases[i].axis);
    ck_assert_int_eq(infer(g, n), 0);
    expect_shape(out(g, n), DT_FLOAT, SHAPE(cases[i].a, cases[i].b));
  }
  int nd = OP_NODE(g, OP_Flatten, x); /* default axis 1 */
  ck_assert_int_eq(infer(g, nd), 0);
  expect_shape(out(g, nd), DT_FLOAT, SHAPE(2, 60));
  int bad = OP_NODE(g, OP_Flatten, x);
  attr_i(g, bad, "axis", 5);
  expect_infer_error(g, bad);
  graph_free(g);
}
END_TEST

START_TEST(test_squeeze_unsqueeze) {
  Graph *g = new_graph(13);
  int x = input(g, DT_FLOAT, SHAPE(1, 3, 1, 4));
  int n1 = OP_NODE(g, OP_Squeeze, x, INTS(g, -2)); /* axes as an input (opset 13) */
  ck_assert_int_eq(infer(g, n1), 0);
  expect_shape(out(g, n1), DT_FLOAT, SHAPE(1, 3, 4));
  int n2 = OP_NODE(g, OP_Squeeze, x); /* no axes: every 1 */
  ck_assert_int_eq(infer(g, n2), 0);
  expect_shape(out(g, n2), DT_FLOAT, SHAPE(3, 4));
  expect_infer_error(g, OP_NODE(g, OP_Squeeze, x, INTS(g, 1)));     /* dim 3 is not 1 */
  expect_infer_error(g, OP_NODE(g, OP_Squeeze, x, INTS(g, 0, -4))); /* the same axis twice */
  expect_infer_error(g, OP_NODE(g, OP_Squeeze, x, INTS(g, 4)));     /* out of range */
  expect_infer_error(g, OP_NODE(g, OP_Squeeze, x, input(g, DT_INT64, SHAPE(1))));

  int y = input(g, DT_FLOAT, SHAPE(3, 4));
  int n3 = OP_NODE(g, OP_Unsqueeze, y, INTS(g, 0, -1));
  ck_assert_int_eq(infer(g, n3), 0);
  expect_shape(out(g, n3), DT_FLOAT, SHAPE(1, 3, 4, 1));
  int n4 = OP_NODE(g, OP_Unsqueeze, y, INTS(g, 3, 1)); /* unsorted: positions in the output */
  ck_assert_int_eq(infer(g, n4), 0);
  expect_shape(out(g, n4), DT_FLOAT, SHAPE(3, 1, 4, 1));
  int s = input(g, DT_INT64, SCALAR);
  int n5 = OP_NODE(g, OP_Unsqueeze, s, INTS(g, 0));
  ck_assert_int_eq(infer(g, n5), 0);
  expect_shape(out(g, n5), DT_INT64, SHAPE(1));
  expect_infer_error(g, OP_NODE(g, OP_Unsqueeze, y, INTS(g, 1, -3))); /* both are output axis 1 */
  expect_infer_error(g, OP_NODE(g, OP_Unsqueeze, y, INTS(g, 4)));
  expect_infer_error(g, OP_NODE(g, OP_Unsqueeze, y));
  graph_free(g);

  /* before opset 13 the axes are an attribute */
  g = new_graph(11);
  x = input(g, DT_FLOAT, SHAPE(1, 3, 1));
  int n6 = OP_NODE(g, OP_Squeeze, x);
  ATTR_INTS(g, n6, "axes", 0);
  ck_assert_int_eq(infer(g, n6), 0);
  expect_shape(out(g, n6), DT_FLOAT, SHAPE(3, 1));
  int n7 = OP_NODE(g, OP_Unsqueeze, x);
  ATTR_INTS(g, n7, "axes", 1, 4);
  ck_assert_int_eq(infer(g, n7), 0);
  expect_shape(out(g, n7), DT_FLOAT, SHAPE(1, 1, 3, 1, 1));
  graph_free(g);
}
END_TEST

/* ---------------- Slice ---------------- */

/* Slice of 0..9 (1-D) folded; checks the values. */
static Tensor *slice1d(Graph *g, int64_t start, int64_t end, int64_t step) {
  int x = iota(g, SHAPE(10));
  int n = OP_NODE(g, OP_Slice, x, INTS(g, start), INTS(g, end), INTS(g, 0), INTS(g, step));
  ck_assert_int_eq(fold(g, n), 0);
  return out(g, n);
}

START_TEST(test_slice_normalization) {
  Graph *g = new_graph(17);
  EXPECT_F64(slice1d(g, 2, 5, 1), 2, 3, 4);
  EXPECT_F64(slice1d(g, -3, INT64_MAX, 1), 7, 8, 9);      /* "to the end" */
  EXPECT_F64(slice1d(g, -100, 2, 1), 0, 1);               /* start clamps to 0 */
  EXPECT_F64(slice1d(g, 8, 1000, 1), 8, 9);               /* end clamps to dim */
  EXPECT_F64(slice1d(g, 0, 10, 4), 0, 4, 8);
  EXPECT_F64(slice1d(g, INT64_MAX, INT64_MIN, -1), 9, 8, 7, 6, 5, 4, 3, 2, 1, 0); /* full reverse */
  EXPECT_F64(slice1d(g, -1, INT64_MIN, -3), 9, 6, 3, 0);
  EXPECT_F64(slice1d(g, 5, 1, -2), 5, 3);
  EXPECT_F64(slice1d(g, 9, -12, -4), 9, 5, 1);            /* end clamps to -1: through index 0 */
  graph_free(g);
}
END_TEST

START_TEST(test_slice_edges) {
  Graph *g = new_graph(17);
  /* empty results */
  Tensor *t = slice1d(g, 5, 5, 1);
  expect_shape(t, DT_FLOAT, SHAPE(0));
  t = slice1d(g, 20, 30, 1);
  expect_shape(t, DT_FLOAT, SHAPE(0));
  t = slice1d(g, 2, 5, -1);
  expect_shape(t, DT_FLOAT, SHAPE(0));
  /* huge steps take one element */
  EXPECT_F64(slice1d(g, 3, INT64_MAX, INT64_MAX), 3);
  EXPECT_F64(slice1d(g, 3, INT64_MIN, INT64_MIN), 3);

  /* 2-D: default axes and steps, negative axes */
  int x = iota(g, SHAPE(3, 4));
  int n1 = OP_NODE(g, OP_Slice, x, INTS(g, 1, 1), INTS(g, 3, -1));
  ck_assert_int_eq(fold(g, n1), 0);
  expect_shape(out(g, n1), DT_FLOAT, SHAPE(2, 2));
  EXPECT_F64(out(g, n1), 5, 6, 9, 10);
  int n2 = OP_NODE(g, OP_Slice, x, INTS(g, -1), INTS(g, INT64_MIN), INTS(g, -1), INTS(g, -2));
  ck_assert_int_eq(fold(g, n2), 0);
  expect_shape(out(g, n2), DT_FLOAT, SHAPE(3, 2));
  EXPECT_F64(out(g, n2), 3, 1, 7, 5, 11, 9);

  /* int32 bounds are allowed */
  int n3 = OP_NODE(g, OP_Slice, x, CST(g, DT_INT32, int32_t, SHAPE(1), 2), CST(g, DT_INT32, int32_t, SHAPE(1), INT32_MAX));
  ck_assert_int_eq(fold(g, n3), 0);
  expect_shape(out(g, n3), DT_FLOAT, SHAPE(1, 4));

  expect_infer_error(g, OP_NODE(g, OP_Slice, x, INTS(g, 0), INTS(g, 1), INTS(g, 0), INTS(g, 0)));       /* step 0 */
  expect_infer_error(g, OP_NODE(g, OP_Slice, x, INTS(g, 0, 0), INTS(g, 1, 1), INTS(g, 1, -1)));         /* repeated axis */
  expect_infer_error(g, OP_NODE(g, OP_Slice, x, INTS(g, 0), INTS(g, 1, 2)));                            /* lengths */
  expect_infer_error(g, OP_NODE(g, OP_Slice, x, INTS(g, 0), INTS(g, 1), INTS(g, 2)));                   /* axis range */
  expect_infer_error(g, OP_NODE(g, OP_Slice, x, input(g, DT_INT64, SHAPE(1)), INTS(g, 1)));             /* run time */
  graph_free(g);
}
END_TEST

/* ---------------- Split ---------------- */

START_TEST(test_split) {
  Graph *g = new_graph(13);
  int x = iota(g, SHAPE(2, 6));
  int n1 = OP_NODE_N(g, OP_Split, 3, x); /* equal parts on axis 0 ... of a dim of 2: error */
  expect_infer_error(g, n1);
  int n2 = OP_NODE_N(g, OP_Split, 3, x);
  attr_i(g, n2, "axis", -1);
  ck_assert_int_eq(fold(g, n2), 0);
  for (int k = 0; k < 3; k++) expect_shape(outk(g, n2, k), DT_FLOAT, SHAPE(2, 2));
  EXPECT_F64(outk(g, n2, 1), 2, 3, 8, 9);

  int n3 = OP_NODE_N(g, OP_Split, 2, x, INTS(g, 1, 5)); /* sizes as an input (opset 13) */
  attr_i(g, n3, "axis", 1);
  ck_assert_int_eq(fold(g, n3), 0);
  expect_shape(outk(g, n3, 0), DT_FLOAT, SHAPE(2, 1));
  EXPECT_F64(outk(g, n3, 0), 0, 6);
  EXPECT_F64(outk(g, n3, 1), 1, 2, 3, 4, 5, 7, 8, 9, 10, 11);

  int n4 = OP_NODE_N(g, OP_Split, 3, x, INTS(g, 0, 6, 0)); /* zero-size parts */
  attr_i(g, n4, "axis", 1);
  ck_assert_int_eq(fold(g, n4), 0);
  expect_shape(outk(g, n4, 0), DT_FLOAT, SHAPE(2, 0));
  expect_shape(outk(g, n4, 1), DT_FLOAT, SHAPE(2, 6));

  int n5 = OP_NODE_N(g, OP_Split, 2, x, INTS(g, 2, 3));
  attr_i(g, n5, "axis", 1);
  expect_infer_error(g, n5); /* sizes add up to 5, not 6 */
  int n6 = OP_NODE_N(g, OP_Split, 2, x, INTS(g, 7, -1));
  attr_i(g, n6, "axis", 1);
  expect_infer_error(g, n6); /* negative size */
  graph_free(g);

  /* opset 18: num_outputs, the last part smaller */
  g = new_graph(18);
  x = iota(g, SHAPE(8));
  int n7 = OP_NODE_N(g, OP_Split, 3, x);
  attr_i(g, n7, "num_outputs", 3);
  ck_assert_int_eq(fold(g, n7), 0);
  expect_shape(outk(g, n7, 0), DT_FLOAT, SHAPE(3));
  expect_shape(outk(g, n7, 2), DT_FLOAT, SHAPE(2));
  EXPECT_F64(outk(g, n7, 2), 6, 7);
  int n8 = OP_NODE_N(g, OP_Split, 2, x, INTS(g, 4, 4));
  attr_i(g, n8, "num_outputs", 2);
  expect_infer_error(g, n8); /* both ways at once */
  int n9 = OP_NODE_N(g, OP_Split, 2, x);
  attr_i(g, n9, "num_outputs", 3);
  expect_infer_error(g, n9); /* disagrees with the outputs */
  graph_free(g);

  /* before opset 13 the sizes are an attribute */
  g = new_graph(11);
  x = iota(g, SHAPE(5));
  int n10 = OP_NODE_N(g, OP_Split, 2, x);
  ATTR_INTS(g, n10, "split", 2, 3);
  ck_assert_int_eq(fold(g, n10), 0);
  EXPECT_F64(outk(g, n10, 1), 2, 3, 4);
  graph_free(g);
}
END_TEST

/* ---------------- Gather and friends ---------------- */

START_TEST(test_gather) {
  Graph *g = new_graph(17);
  int x = iota(g, SHAPE(3, 4));
  int n1 = OP_NODE(g, OP_Gather, x, INTS(g, -1, 0)); /* axis 0, a negative index */
  ck_assert_int_eq(fold(g, n1), 0);
  expect_shape(out(g, n1), DT_FLOAT, SHAPE(2, 4));
  EXPECT_F64(out(g, n1), 8, 9, 10, 11, 0, 1, 2, 3);
  int n2 = OP_NODE(g, OP_Gather, x, CST(g, DT_INT32, int32_t, SHAPE(2, 2), -1, 1, 0, -4));
  attr_i(g, n2, "axis", -1);
  ck_assert_int_eq(fold(g, n2), 0);
  expect_shape(out(g, n2), DT_FLOAT, SHAPE(3, 2, 2));
  EXPECT_F64(out(g, n2), 3, 1, 0, 0, 7, 5, 4, 4, 11, 9, 8, 8);
  int n3 = OP_NODE(g, OP_Gather, x, CST(g, DT_INT64, int64_t, SCALAR, 2)); /* a scalar index drops the axis */
  attr_i(g, n3, "axis", 1);
  ck_assert_int_eq(fold(g, n3), 0);
  expect_shape(out(g, n3), DT_FLOAT, SHAPE(3));
  EXPECT_F64(out(g, n3), 2, 6, 10);

  expect_infer_error(g, OP_NODE(g, OP_Gather, x, INTS(g, 3)));  /* out of range */
  expect_infer_error(g, OP_NODE(g, OP_Gather, x, INTS(g, -4))); /* out of range */
  expect_infer_error(g, OP_NODE(g, OP_Gather, x, CST(g, DT_FLOAT, float, SHAPE(1), 0.0f)));
  /* run-time indices are fine: the kernel handles them */
  int n4 = OP_NODE(g, OP_Gather, input(g, DT_FLOAT, SHAPE(5, 6)), input(g, DT_INT64, SHAPE(7)));
  attr_i(g, n4, "axis", 1);
  ck_assert_int_eq(infer(g, n4), 0);
  expect_shape(out(g, n4), DT_FLOAT, SHAPE(5, 7));
  graph_free(g);
}
END_TEST

START_TEST(test_gather_scatter_elements) {
  Graph *g = new_graph(18);
  int x = iota(g, SHAPE(2, 3));
  int idx = INTS(g, 2, -3, 1, 1);
  int i2 = graph_add_const(g, NULL, DT_INT64, &(Shape){2, {2, 2}}, memcpy(xmalloc(32), g->t[idx].data, 32));
  int n1 = OP_NODE(g, OP_GatherElements, x, i2);
  attr_i(g, n1, "axis", 1);
  ck_assert_int_eq(fold(g, n1), 0);
  expect_shape(out(g, n1), DT_FLOAT, SHAPE(2, 2));
  EXPECT_F64(out(g, n1), 2, 0, 4, 4);

  int upd = CST(g, DT_FLOAT, float, SHAPE(2, 2), 10, 20, 30, 40);
  int n2 = OP_NODE(g, OP_ScatterElements, x, i2, upd);
  attr_i(g, n2, "axis", 1);
  ck_assert_int_eq(fold(g, n2), 0);
  EXPECT_F64(out(g, n2), 20, 1, 10, 3, 40, 5); /* duplicates: the last update wins */
  int n3 = OP_NODE(g, OP_ScatterElements, x, i2, upd);
  attr_i(g, n3, "axis", 1);
  attr_s(g, n3, "reduction", "add");
  ck_assert_int_eq(fold(g, n3), 0);
  EXPECT_F64(out(g, n3), 20, 1, 12, 3, 74, 5);
  int n4 = OP_NODE(g, OP_ScatterElements, x, i2, upd);
  attr_i(g, n4, "axis", 1);
  attr_s(g, n4, "reduction", "min");
  ck_assert_int_eq(fold(g, n4), 0);
  EXPECT_F64(out(g, n4), 0, 1, 2, 3, 4, 5);

  int n5 = OP_NODE(g, OP_ScatterElements, x, i2, upd);
  attr_i(g, n5, "axis", 1);
  attr_s(g, n5, "reduction", "sum");
  expect_infer_error(g, n5);
  expect_infer_error(g, OP_NODE(g, OP_GatherElements, x, INTS(g, 0)));              /* rank differs */
  expect_infer_error(g, OP_NODE(g, OP_GatherElements, x, CST(g, DT_INT64, int64_t, SHAPE(1, 1), 5)));
  /* run-time int32 indices (a TopK's) are fine */
  int n6 = OP_NODE(g, OP_GatherElements, input(g, DT_FLOAT, SHAPE(4, 9)), input(g, DT_INT32, SHAPE(4, 3)));
  attr_i(g, n6, "axis", -1);
  ck_assert_int_eq(infer(g, n6), 0);
  expect_shape(out(g, n6), DT_FLOAT, SHAPE(4, 3));
  graph_free(g);

  g = new_graph(13); /* reductions need opset 16 / 18 */
  x = iota(g, SHAPE(3));
  int n7 = OP_NODE(g, OP_ScatterElements, x, INTS(g, 0), CST(g, DT_FLOAT, float, SHAPE(1), 1));
  attr_s(g, n7, "reduction", "add");
  expect_infer_error(g, n7);
  graph_free(g);
}
END_TEST

/* ---------------- Transpose, Concat, Expand ---------------- */

START_TEST(test_transpose_concat_expand) {
  Graph *g = new_graph(17);
  int x = iota(g, SHAPE(2, 3));
  int n1 = OP_NODE(g, OP_Transpose, x); /* default: reversed */
  ck_assert_int_eq(fold(g, n1), 0);
  expect_shape(out(g, n1), DT_FLOAT, SHAPE(3, 2));
  EXPECT_F64(out(g, n1), 0, 3, 1, 4, 2, 5);
  int y = iota(g, SHAPE(2, 1, 3, 2));
  int n2 = OP_NODE(g, OP_Transpose, y);
  ATTR_INTS(g, n2, "perm", 0, 2, 1, 3);
  ck_assert_int_eq(fold(g, n2), 0);
  expect_shape(out(g, n2), DT_FLOAT, SHAPE(2, 3, 1, 2));
  EXPECT_F64(out(g, n2), 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11);
  int bad = OP_NODE(g, OP_Transpose, x);
  ATTR_INTS(g, bad, "perm", 0, 0);
  expect_infer_error(g, bad);

  int n3 = OP_NODE(g, OP_Concat, INTS(g, 1, 2), INTS(g, INT64_MAX), INTS(g, -5));
  attr_i(g, n3, "axis", 0);
  ck_assert_int_eq(fold(g, n3), 0);
  EXPECT_I64(out(g, n3), 1, 2, INT64_MAX, -5); /* int64 exact */
  int n4 = OP_NODE(g, OP_Concat, x, iota(g, SHAPE(2, 1)));
  attr_i(g, n4, "axis", -1);
  ck_assert_int_eq(fold(g, n4), 0);
  EXPECT_F64(out(g, n4), 0, 1, 2, 0, 3, 4, 5, 1);
  int n5 = OP_NODE(g, OP_Concat, x, iota(g, SHAPE(3, 1)));
  attr_i(g, n5, "axis", 1);
  expect_infer_error(g, n5);
  expect_infer_error(g, OP_NODE(g, OP_Concat, x, x)); /* axis is required */

  int n6 = OP_NODE(g, OP_Expand, iota(g, SHAPE(3, 1)), INTS(g, 2, 1, 2));
  ck_assert_int_eq(fold(g, n6), 0);
  expect_shape(out(g, n6), DT_FLOAT, SHAPE(2, 3, 2));
  EXPECT_F64(out(g, n6), 0, 0, 1, 1, 2, 2, 0, 0, 1, 1, 2, 2);
  expect_infer_error(g, OP_NODE(g, OP_Expand, x, INTS(g, 4, 3)));
  graph_free(g);
}
END_TEST

/* ---------------- shape arithmetic: Shape, ConstantOfShape, Range ---------------- */

START_TEST(test_shape_window) {
  Graph *g = new_graph(15);
  int x = input(g, DT_FLOAT, SHAPE(2, 3, 4, 5));
  static const struct { int64_t start, end; int n; int64_t v[4]; } cases[] = {
      {0, 4, 4, {2, 3, 4, 5}}, {1, -1, 2, {3, 4}}, {-10, 2, 2, {2, 3}}, {-1, 100, 1, {5}}, {3, 1, 0, {0}}};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    int n = OP_NODE(g, OP_Shape, x);
    attr_i(g, n, "start", cases[i].start);
    attr_i(g, n, "end", cases[i].end);
    ck_assert_int_eq(fold(g, n), 0); /* folds from the input's shape alone */
    expect_shape(out(g, n), DT_INT64, SHAPE(cases[i].n));
    expect_i64(out(g, n), cases[i].v, cases[i].n);
  }
  ck_assert(op_impl(OP_Shape)->fold_from_shapes);
  graph_free(g);
}
END_TEST

START_TEST(test_constant_of_shape_range) {
  Graph *g = new_graph(17);
  int n1 = OP_NODE(g, OP_ConstantOfShape, INTS(g, 2, 3));
  ck_assert_int_eq(fold(g, n1), 0);
  expect_shape(out(g, n1), DT_FLOAT, SHAPE(2, 3));
  EXPECT_F64(out(g, n1), 0, 0, 0, 0, 0, 0);
  int n2 = OP_NODE(g, OP_ConstantOfShape, INTS(g, 2));
  node_add_attr(g, n2, "value", ATTR_TENSOR)->tensor = CST(g, DT_INT64, int64_t, SHAPE(1), -7);
  ck_assert_int_eq(fold(g, n2), 0);
  EXPECT_I64(out(g, n2), -7, -7);
  int empty = graph_add_const(g, NULL, DT_INT64, &(Shape){1, {0}}, xmalloc(1));
  int n3 = OP_NODE(g, OP_ConstantOfShape, empty); /* an empty shape: a scalar */
  ck_assert_int_eq(fold(g, n3), 0);
  expect_shape(out(g, n3), DT_FLOAT, SCALAR);
  expect_infer_error(g, OP_NODE(g, OP_ConstantOfShape, INTS(g, 2, -1)));

#define SCALAR_I64(v) CST(g, DT_INT64, int64_t, SCALAR, v)
#define SCALAR_F32(v) CST(g, DT_FLOAT, float, SCALAR, v)
  int n4 = OP_NODE(g, OP_Range, SCALAR_I64(10), SCALAR_I64(3), SCALAR_I64(-3));
  ck_assert_int_eq(fold(g, n4), 0);
  EXPECT_I64(out(g, n4), 10, 7, 4);
  int n5 = OP_NODE(g, OP_Range, SCALAR_I64(0), SCALAR_I64(5), SCALAR_I64(-1)); /* wrong direction: empty */
  ck_assert_int_eq(fold(g, n5), 0);
  expect_shape(out(g, n5), DT_INT64, SHAPE(0));
  int n6 = OP_NODE(g, OP_Range, SCALAR_I64(INT64_MIN), SCALAR_I64(INT64_MAX), SCALAR_I64(INT64_MAX));
  ck_assert_int_eq(fold(g, n6), 0); /* no overflow in the count */
  EXPECT_I64(out(g, n6), INT64_MIN, -1, INT64_MAX - 1);
  int n7 = OP_NODE(g, OP_Range, SCALAR_F32(1.0f), SCALAR_F32(2.0f), SCALAR_F32(0.25f));
  ck_assert_int_eq(fold(g, n7), 0);
  EXPECT_F64(out(g, n7), 1.0, 1.25, 1.5, 1.75);
  expect_infer_error(g, OP_NODE(g, OP_Range, SCALAR_I64(0), SCALAR_I64(5), SCALAR_I64(0)));
  expect_infer_error(g, OP_NODE(g, OP_Range, SCALAR_I64(0), SCALAR_F32(5), SCALAR_I64(1)));
  expect_infer_error(g, OP_NODE(g, OP_Range, SCALAR_I64(0), input(g, DT_INT64, SCALAR), SCALAR_I64(1)));
  graph_free(g);
}
END_TEST

START_TEST(test_identity_dropout) {
  Graph *g = new_graph(17);
  int x = iota(g, SHAPE(2, 2));
  int n1 = OP_NODE(g, OP_Identity, x);
  ck_assert_int_eq(fold(g, n1), 0);
  EXPECT_F64(out(g, n1), 0, 1, 2, 3);
  int n2 = OP_NODE_N(g, OP_Dropout, 2, x, CST(g, DT_FLOAT, float, SCALAR, 0.3f));
  ck_assert_int_eq(fold(g, n2), 0);
  EXPECT_F64(out(g, n2), 0, 1, 2, 3);
  expect_shape(outk(g, n2, 1), DT_BOOL, SHAPE(2, 2));
  EXPECT_I64(outk(g, n2, 1), 1, 1, 1, 1);
  int yes = CST(g, DT_BOOL, uint8_t, SCALAR, 1);
  expect_infer_error(g, OP_NODE(g, OP_Dropout, x, CST(g, DT_FLOAT, float, SCALAR, 0.5f), yes)); /* training */
  int n3 = OP_NODE(g, OP_Dropout, x, CST(g, DT_FLOAT, float, SCALAR, 0.0f), yes); /* ratio 0: still the identity */
  ck_assert_int_eq(infer(g, n3), 0);
  graph_free(g);
}
END_TEST

/* ---------------- the legacy exporter's fold chain ---------------- */

/* x.view(x.size(0), -1) as the legacy torch exporter writes it:
 *   s = Shape(x); b = Gather(s, 0); bu = Unsqueeze(b, [0]); shp = Concat(bu, [-1]);
 *   y = Reshape(x, shp)
 * fold_constants must leave only the Reshape, with a constant shape. */
START_TEST(test_legacy_view_chain) {
  Graph *g = new_graph(13);
  int x = input(g, DT_FLOAT, SHAPE(2, 3, 4));
  g->inputs = xmalloc(sizeof(int));
  g->inputs[g->n_inputs++] = x;
  int s = OP_NODE(g, OP_Shape, x);
  int b = OP_NODE(g, OP_Gather, g->n[s].out[0], CST(g, DT_INT64, int64_t, SCALAR, 0));
  int bu = OP_NODE(g, OP_Unsqueeze, g->n[b].out[0], INTS(g, 0));
  int shp = OP_NODE(g, OP_Concat, g->n[bu].out[0], INTS(g, -1));
  attr_i(g, shp, "axis", 0);
  int r = OP_NODE(g, OP_Reshape, x, g->n[shp].out[0]);
  int y = g->n[r].out[0];
  g->t[y].is_output = true;
  g->outputs = xmalloc(sizeof(int));
  g->outputs[g->n_outputs++] = y;

  ck_assert_int_eq(pass_fold_constants(g), 1);
  ck_assert(g->n[s].dead && g->n[b].dead && g->n[bu].dead && g->n[shp].dead);
  ck_assert(!g->n[r].dead);
  Tensor *shape_in = &g->t[g->n[r].in[1]];
  ck_assert_ptr_nonnull(shape_in->data);
  EXPECT_I64(shape_in, 2, -1);
  expect_shape(&g->t[y], DT_FLOAT, SHAPE(2, 12));
  graph_free(g);
}
END_TEST

static Suite *ops_layout_suite(void) {
  const TTest *const tests[] = {
      test_reshape,
      test_flatten,
      test_squeeze_unsqueeze,
      test_slice_normalization,
      test_slice_edges,
      test_split,
      test_gather,
      test_gather_scatter_elements,
      test_transpose_concat_expand,
      test_shape_window,
      test_constant_of_shape_range,
      test_identity_dropout,
      test_legacy_view_chain,
  };
  return tu_suite_of("ops_layout", "core", 0, tests, sizeof tests / sizeof tests[0]);
}

int main(void) {
  vitc_quiet = 1;
  return tu_run_suite(ops_layout_suite());
}
