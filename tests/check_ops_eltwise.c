/* tests/check_ops_eltwise.c: shape inference and constant folding of the
 * element-wise ops (ops/elementwise.c and ops/binary.c).
 *
 * Each test builds a small Graph with the graph API, runs an op's infer (and
 * eval, for folding) directly, and checks the output's dtype, shape and values.
 * Bad input must fail with -1 and one reported error (vitc_error_count), never
 * abort. The run-time side (the emitted kernel calls) is covered end to end by
 * the ONNX conformance cases; here the point is the compile-time semantics:
 * broadcasting, int64 shape arithmetic, bool results, Cast, attribute handling. */
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


/* ---------------- broadcasting and type checks ---------------- */

START_TEST(test_broadcast_shapes) {
  Graph *g = new_graph(17);
  int a = input(g, DT_FLOAT, SHAPE(2, 3, 4)), b = input(g, DT_FLOAT, SHAPE(4));
  int n1 = OP_NODE(g, OP_Add, a, b);
  ck_assert_int_eq(infer(g, n1), 0);
  expect_shape(out(g, n1), DT_FLOAT, SHAPE(2, 3, 4));

  int c = input(g, DT_FLOAT, SHAPE(2, 1, 4)), d = input(g, DT_FLOAT, SHAPE(3, 1));
  int n2 = OP_NODE(g, OP_Mul, c, d);
  ck_assert_int_eq(infer(g, n2), 0);
  expect_shape(out(g, n2), DT_FLOAT, SHAPE(2, 3, 4));

  int s = input(g, DT_FLOAT, SCALAR), e = input(g, DT_FLOAT, SHAPE(5));
  int n3 = OP_NODE(g, OP_Sub, s, e);
  ck_assert_int_eq(infer(g, n3), 0);
  expect_shape(out(g, n3), DT_FLOAT, SHAPE(5));

  int z = input(g, DT_FLOAT, SHAPE(0, 3)), o = input(g, DT_FLOAT, SHAPE(1));
  int n4 = OP_NODE(g, OP_Div, z, o);
  ck_assert_int_eq(infer(g, n4), 0);
  expect_shape(out(g, n4), DT_FLOAT, SHAPE(0, 3));

  int x = input(g, DT_FLOAT, SHAPE(2, 3)), y = input(g, DT_FLOAT, SHAPE(4));
  expect_infer_error(g, OP_NODE(g, OP_Add, x, y));
  /* comparisons broadcast too, and write bool */
  int n5 = OP_NODE(g, OP_Less, a, d);
  ck_assert_int_eq(infer(g, n5), 0);
  expect_shape(out(g, n5), DT_BOOL, SHAPE(2, 3, 4));
  expect_infer_error(g, OP_NODE(g, OP_Equal, x, y));
  graph_free(g);
}
END_TEST

START_TEST(test_type_errors) {
  Graph *g = new_graph(17);
  int f = input(g, DT_FLOAT, SHAPE(3)), i = input(g, DT_INT64, SHAPE(3)), b = input(g, DT_BOOL, SHAPE(3));
  int i8 = input(g, DT_INT8, SHAPE(3)), h = input(g, DT_FLOAT16, SHAPE(3));
  expect_infer_error(g, OP_NODE(g, OP_Add, f, i));          /* one element type */
  expect_infer_error(g, OP_NODE(g, OP_Add, b, b));          /* no arithmetic on bool */
  expect_infer_error(g, OP_NODE(g, OP_Less, b, b));         /* nor ordering */
  expect_infer_error(g, OP_NODE(g, OP_And, f, f));          /* logic is bool only */
  expect_infer_error(g, OP_NODE(g, OP_Add, h, h));          /* float16 is not held by bundles */
  expect_infer_error(g, OP_NODE(g, OP_Pow, i8, f));         /* Pow's base: float, int32, int64 */
  expect_infer_error(g, OP_NODE(g, OP_Sub, f, f, f));       /* two inputs */
  expect_infer_error(g, OP_NODE(g, OP_Max, f, i));          /* variadic, still one type */
  expect_infer_error(g, OP_NODE(g, OP_Where, f, f, f));     /* bool condition */
  expect_infer_error(g, OP_NODE(g, OP_Where, b, f, i));     /* X and Y agree */
  expect_infer_error(g, OP_NODE(g, OP_Not, f));
  expect_infer_error(g, OP_NODE(g, OP_Sigmoid, i));         /* float only */
  expect_infer_error(g, OP_NODE(g, OP_Neg, input(g, DT_UINT8, SHAPE(2)))); /* Neg: signed only */
  int ok = OP_NODE(g, OP_Equal, b, b);                      /* Equal takes bool */
  ck_assert_int_eq(infer(g, ok), 0);
  int pw = OP_NODE(g, OP_Pow, f, i);                        /* Pow's exponent may differ */
  ck_assert_int_eq(infer(g, pw), 0);
  expect_shape(out(g, pw), DT_FLOAT, SHAPE(3));
  int missing = OP_NODE(g, OP_Mul, f, -1);
  expect_infer_error(g, missing);
  graph_free(g);
}
END_TEST

/* ---------------- folding: integers ---------------- */

START_TEST(test_int64_shape_arithmetic) {
  Graph *g = new_graph(17);
  /* the exporters' head-size arithmetic: [1,197,192] / [1,1,3] * [1,1,1] */
  int s = CST(g, DT_INT64, int64_t, SHAPE(3), 1, 197, 192);
  int heads = CST(g, DT_INT64, int64_t, SHAPE(3), 1, 1, 3);
  int nd = OP_NODE(g, OP_Div, s, heads);
  ck_assert_int_eq(fold(g, nd), 0);
  expect_shape(out(g, nd), DT_INT64, SHAPE(3));
  EXPECT_I64(out(g, nd), 1, 197, 64);

  int two = CST(g, DT_INT64, int64_t, SCALAR, 2);
  int nm = OP_NODE(g, OP_Mul, g->n[nd].out[0], two);
  ck_assert_int_eq(fold(g, nm), 0);
  EXPECT_I64(out(g, nm), 2, 394, 128);

  /* division truncates toward zero; x / 0 = 0 (the kernel's choice, never a trap) */
  int a = CST(g, DT_INT64, int64_t, SHAPE(5), -7, 7, -7, 7, 5);
  int b = CST(g, DT_INT64, int64_t, SHAPE(5), 2, 2, -2, -2, 0);
  int dv = OP_NODE(g, OP_Div, a, b);
  ck_assert_int_eq(fold(g, dv), 0);
  EXPECT_I64(out(g, dv), -3, 3, 3, -3, 0);

  /* add/sub wrap around */
  int big = CST(g, DT_INT64, int64_t, SHAPE(2), INT64_MAX, INT64_MIN);
  int one = CST(g, DT_INT64, int64_t, SHAPE(1), 1);
  int ad = OP_NODE(g, OP_Add, big, one), sb = OP_NODE(g, OP_Sub, big, one);
  ck_assert_int_eq(fold(g, ad), 0);
  ck_assert_int_eq(fold(g, sb), 0);
  EXPECT_I64(out(g, ad), INT64_MIN, INT64_MIN + 1);
  EXPECT_I64(out(g, sb), INT64_MAX - 1, INT64_MAX);
  graph_free(g);
}
END_TEST

START_TEST(test_narrow_int_folding) {
  Graph *g = new_graph(17);
  int a = CST(g, DT_INT32, int32_t, SHAPE(2), INT32_MAX, -6);
  int b = CST(g, DT_INT32, int32_t, SHAPE(2), 1, 4);
  int ad = OP_NODE(g, OP_Add, a, b), dv = OP_NODE(g, OP_Div, a, b);
  ck_assert_int_eq(fold(g, ad), 0);
  ck_assert_int_eq(fold(g, dv), 0);
  expect_shape(out(g, ad), DT_INT32, SHAPE(2));
  EXPECT_I64(out(g, ad), INT32_MIN, -2);
  EXPECT_I64(out(g, dv), INT32_MAX, -1);

  int u = CST(g, DT_UINT8, uint8_t, SHAPE(2), 3, 200);
  int v = CST(g, DT_UINT8, uint8_t, SHAPE(1), 5);
  int sb = OP_NODE(g, OP_Sub, u, v), ml = OP_NODE(g, OP_Mul, u, v);
  ck_assert_int_eq(fold(g, sb), 0);
  ck_assert_int_eq(fold(g, ml), 0);
  EXPECT_I64(out(g, sb), 254, 195);
  EXPECT_I64(out(g, ml), 15, 232); /* 1000 mod 256 */
  graph_free(g);
}
END_TEST

/* ---------------- folding: floats ---------------- */

START_TEST(test_float_folding) {
  Graph *g = new_graph(17);
  int a = CST(g, DT_FLOAT, float, SHAPE(2, 2), 1.5f, -2.0f, 0.1f, 3.0f);
  int b = CST(g, DT_FLOAT, float, SHAPE(2), 0.2f, 0.0f);
  int ad = OP_NODE(g, OP_Add, a, b), dv = OP_NODE(g, OP_Div, a, b);
  ck_assert_int_eq(fold(g, ad), 0);
  ck_assert_int_eq(fold(g, dv), 0);
  expect_shape(out(g, ad), DT_FLOAT, SHAPE(2, 2));
  /* rounded to float exactly as float arithmetic would */
  EXPECT_F64(out(g, ad), 1.5f + 0.2f, -2.0f + 0.0f, 0.1f + 0.2f, 3.0f + 0.0f);
  EXPECT_F64(out(g, dv), 1.5f / 0.2f, -INFINITY, 0.1f / 0.2f, INFINITY);

  /* the legacy interpolate arithmetic: Floor(Cast<double>(size) * scale) -> int64 */
  int size = CST(g, DT_INT64, int64_t, SHAPE(2), 15, 14);
  int cd = OP_NODE(g, OP_Cast, size);
  attr_i(g, cd, "to", DT_DOUBLE);
  ck_assert_int_eq(fold(g, cd), 0);
  int scale = CST(g, DT_DOUBLE, double, SCALAR, 0.5);
  int ml = OP_NODE(g, OP_Mul, g->n[cd].out[0], scale);
  ck_assert_int_eq(fold(g, ml), 0);
  int fl = OP_NODE(g, OP_Floor, g->n[ml].out[0]);
  ck_assert_int_eq(fold(g, fl), 0);
  expect_shape(out(g, fl), DT_DOUBLE, SHAPE(2));
  int ci = OP_NODE(g, OP_Cast, g->n[fl].out[0]);
  attr_i(g, ci, "to", DT_INT64);
  ck_assert_int_eq(fold(g, ci), 0);
  EXPECT_I64(out(g, ci), 7, 7);
  graph_free(g);
}
END_TEST

START_TEST(test_pow) {
  Graph *g = new_graph(17);
  int x = CST(g, DT_FLOAT, float, SHAPE(3), 3.0f, -2.0f, 0.5f);
  int two = CST(g, DT_FLOAT, float, SCALAR, 2.0f);
  int sq = OP_NODE(g, OP_Pow, x, two);
  ck_assert_int_eq(fold(g, sq), 0);
  EXPECT_F64(out(g, sq), 9.0, 4.0, 0.25);

  int e = CST(g, DT_INT64, int64_t, SHAPE(3), 1, 3, -1);
  int fi = OP_NODE(g, OP_Pow, x, e);
  ck_assert_int_eq(fold(g, fi), 0);
  expect_shape(out(g, fi), DT_FLOAT, SHAPE(3));
  EXPECT_F64(out(g, fi), 3.0, -8.0, 2.0);

  int base = CST(g, DT_INT64, int64_t, SHAPE(3), 1, 2, 3);
  int ex = CST(g, DT_INT64, int64_t, SHAPE(3), 4, 5, 6);
  int ii = OP_NODE(g, OP_Pow, base, ex);
  ck_assert_int_eq(fold(g, ii), 0);
  EXPECT_I64(out(g, ii), 1, 32, 729);

  int half = CST(g, DT_FLOAT, float, SCALAR, 0.5f);
  int ih = OP_NODE(g, OP_Pow, base, half); /* int base: the result is truncated back to int64 */
  ck_assert_int_eq(fold(g, ih), 0);
  expect_shape(out(g, ih), DT_INT64, SHAPE(3));
  EXPECT_I64(out(g, ih), 1, 1, 1);
  graph_free(g);
}
END_TEST

/* ---------------- bool results ---------------- */

START_TEST(test_comparisons) {
  Graph *g = new_graph(17);
  int a = CST(g, DT_INT64, int64_t, SHAPE(3), 1, 2, 3);
  int b = CST(g, DT_INT64, int64_t, SHAPE(3), 3, 2, 1);
  const OpKind ops[5] = {OP_Equal, OP_Less, OP_Greater, OP_LessOrEqual, OP_GreaterOrEqual};
  const int64_t want[5][3] = {{0, 1, 0}, {1, 0, 0}, {0, 0, 1}, {1, 1, 0}, {0, 1, 1}};
  for (int k = 0; k < 5; k++) {
    int n = OP_NODE(g, ops[k], a, b);
    ck_assert_int_eq(fold(g, n), 0);
    expect_shape(out(g, n), DT_BOOL, SHAPE(3));
    expect_i64(out(g, n), want[k], 3);
  }
  /* any comparison with NaN is false */
  int f = CST(g, DT_FLOAT, float, SHAPE(2), NAN, 1.0f);
  int eq = OP_NODE(g, OP_Equal, f, f), ge = OP_NODE(g, OP_GreaterOrEqual, f, f);
  ck_assert_int_eq(fold(g, eq), 0);
  ck_assert_int_eq(fold(g, ge), 0);
  EXPECT_I64(out(g, eq), 0, 1);
  EXPECT_I64(out(g, ge), 0, 1);

  int p = CST(g, DT_BOOL, uint8_t, SHAPE(2, 1), 0, 1);
  int q = CST(g, DT_BOOL, uint8_t, SHAPE(2), 0, 1);
  int an = OP_NODE(g, OP_And, p, q), on = OP_NODE(g, OP_Or, p, q), be = OP_NODE(g, OP_Equal, p, q), nt = OP_NODE(g, OP_Not, q);
  ck_assert_int_eq(fold(g, an), 0);
  ck_assert_int_eq(fold(g, on), 0);
  ck_assert_int_eq(fold(g, be), 0);
  ck_assert_int_eq(fold(g, nt), 0);
  expect_shape(out(g, an), DT_BOOL, SHAPE(2, 2));
  EXPECT_I64(out(g, an), 0, 0, 0, 1);
  EXPECT_I64(out(g, on), 0, 1, 1, 1);
  EXPECT_I64(out(g, be), 1, 0, 0, 1);
  EXPECT_I64(out(g, nt), 1, 0);
  graph_free(g);
}
END_TEST

START_TEST(test_max_min_variadic) {
  Graph *g = new_graph(17);
  int a = CST(g, DT_FLOAT, float, SHAPE(2, 1), 1.0f, 5.0f);
  int b = CST(g, DT_FLOAT, float, SHAPE(3), 0.0f, 2.0f, NAN);
  int c = CST(g, DT_FLOAT, float, SCALAR, 3.0f);
  int mx = OP_NODE(g, OP_Max, a, b, c), mn = OP_NODE(g, OP_Min, a, b, c);
  ck_assert_int_eq(fold(g, mx), 0);
  ck_assert_int_eq(fold(g, mn), 0);
  expect_shape(out(g, mx), DT_FLOAT, SHAPE(2, 3));
  EXPECT_F64(out(g, mx), 3, 3, NAN, 5, 5, NAN); /* NaN propagates */
  EXPECT_F64(out(g, mn), 0, 1, NAN, 0, 2, NAN);

  int one = OP_NODE(g, OP_Max, a);
  ck_assert_int_eq(fold(g, one), 0);
  EXPECT_F64(out(g, one), 1, 5);

  int i = CST(g, DT_INT32, int32_t, SHAPE(2), -4, 9), j = CST(g, DT_INT32, int32_t, SCALAR, 0);
  int mi = OP_NODE(g, OP_Min, i, j);
  ck_assert_int_eq(fold(g, mi), 0);
  expect_shape(out(g, mi), DT_INT32, SHAPE(2));
  EXPECT_I64(out(g, mi), -4, 0);
  graph_free(g);
}
END_TEST

START_TEST(test_where) {
  Graph *g = new_graph(17);
  int c = CST(g, DT_BOOL, uint8_t, SHAPE(2, 1), 1, 0);
  int x = CST(g, DT_INT64, int64_t, SHAPE(3), 10, 20, 30);
  int y = CST(g, DT_INT64, int64_t, SCALAR, -1);
  int w = OP_NODE(g, OP_Where, c, x, y);
  ck_assert_int_eq(fold(g, w), 0);
  expect_shape(out(g, w), DT_INT64, SHAPE(2, 3));
  EXPECT_I64(out(g, w), 10, 20, 30, -1, -1, -1);

  int bad = input(g, DT_INT64, SHAPE(4));
  expect_infer_error(g, OP_NODE(g, OP_Where, c, x, bad));
  graph_free(g);
}
END_TEST

/* ---------------- Cast ---------------- */

static int cast_node(Graph *g, int x, DType to) {
  int n = OP_NODE(g, OP_Cast, x);
  attr_i(g, n, "to", to);
  return n;
}

START_TEST(test_cast) {
  Graph *g = new_graph(17);
  int f = CST(g, DT_FLOAT, float, SHAPE(6), 1.9f, -1.9f, NAN, 3e9f, -3e9f, 0.0f);
  int ti = cast_node(g, f, DT_INT32), tb = cast_node(g, f, DT_BOOL), tu = cast_node(g, f, DT_UINT8);
  ck_assert_int_eq(fold(g, ti), 0);
  ck_assert_int_eq(fold(g, tb), 0);
  ck_assert_int_eq(fold(g, tu), 0);
  expect_shape(out(g, ti), DT_INT32, SHAPE(6));
  EXPECT_I64(out(g, ti), 1, -1, 0, INT32_MAX, INT32_MIN, 0); /* truncate, saturate, NaN -> 0 */
  EXPECT_I64(out(g, tb), 1, 1, 1, 1, 1, 0);                  /* NaN is true */
  EXPECT_I64(out(g, tu), 1, 0, 0, 255, 0, 0);

  int big = CST(g, DT_INT64, int64_t, SHAPE(2), ((int64_t)1 << 32) + 5, -1);
  int wrap = cast_node(g, big, DT_INT32);
  ck_assert_int_eq(fold(g, wrap), 0);
  EXPECT_I64(out(g, wrap), 5, -1); /* int -> narrower int wraps */

  int u = CST(g, DT_UINT8, uint8_t, SHAPE(1), 200);
  int i8 = cast_node(g, u, DT_INT8);
  ck_assert_int_eq(fold(g, i8), 0);
  EXPECT_I64(out(g, i8), -56);

  int b = CST(g, DT_BOOL, uint8_t, SHAPE(2), 1, 0);
  int bf = cast_node(g, b, DT_FLOAT);
  ck_assert_int_eq(fold(g, bf), 0);
  EXPECT_F64(out(g, bf), 1.0, 0.0);

  int d = CST(g, DT_DOUBLE, double, SHAPE(1), 0.1);
  int df = cast_node(g, d, DT_FLOAT);
  ck_assert_int_eq(fold(g, df), 0);
  EXPECT_F64(out(g, df), (double)0.1f);

  expect_infer_error(g, cast_node(g, f, DT_FLOAT16));
  expect_infer_error(g, cast_node(g, f, (DType)99));
  expect_infer_error(g, OP_NODE(g, OP_Cast, f)); /* no 'to' */
  graph_free(g);
}
END_TEST

/* ---------------- unary ops ---------------- */

START_TEST(test_clip) {
  Graph *g = new_graph(17);
  int x = CST(g, DT_FLOAT, float, SHAPE(4), -2.0f, 0.5f, 7.0f, NAN);
  int lo = CST(g, DT_FLOAT, float, SCALAR, 0.0f);
  int hi = CST(g, DT_FLOAT, float, SHAPE(1), 6.0f);
  int relu6 = OP_NODE(g, OP_Clip, x, lo, hi), low = OP_NODE(g, OP_Clip, x, lo), high = OP_NODE(g, OP_Clip, x, -1, hi);
  ck_assert_int_eq(fold(g, relu6), 0);
  ck_assert_int_eq(fold(g, low), 0);
  ck_assert_int_eq(fold(g, high), 0);
  EXPECT_F64(out(g, relu6), 0, 0.5, 6, NAN);
  EXPECT_F64(out(g, low), 0, 0.5, 7, NAN);
  EXPECT_F64(out(g, high), -2, 0.5, 6, NAN);

  int xi = CST(g, DT_INT8, int8_t, SHAPE(3), -128, 5, 127);
  int li = CST(g, DT_INT8, int8_t, SCALAR, -3), hi8 = CST(g, DT_INT8, int8_t, SCALAR, 3);
  int ci = OP_NODE(g, OP_Clip, xi, li, hi8);
  ck_assert_int_eq(fold(g, ci), 0);
  expect_shape(out(g, ci), DT_INT8, SHAPE(3));
  EXPECT_I64(out(g, ci), -3, 3, 3);

  int vec = CST(g, DT_FLOAT, float, SHAPE(2), 0.0f, 1.0f);
  expect_infer_error(g, OP_NODE(g, OP_Clip, x, vec));     /* bounds are scalars */
  expect_infer_error(g, OP_NODE(g, OP_Clip, x, li));      /* of the input's type */
  expect_infer_error(g, OP_NODE(g, OP_Clip, x, lo, hi, lo));
  /* a bound computed at run time is accepted (read by the bundle) */
  int rt = OP_NODE(g, OP_Clip, x, input(g, DT_FLOAT, SCALAR));
  ck_assert_int_eq(infer(g, rt), 0);
  graph_free(g);
}
END_TEST

START_TEST(test_unary_attributes) {
  Graph *g = new_graph(17);
  int x = CST(g, DT_FLOAT, float, SHAPE(3), -1.0f, 0.0f, 2.0f);
  int lr = OP_NODE(g, OP_LeakyRelu, x), lr2 = OP_NODE(g, OP_LeakyRelu, x);
  attr_f(g, lr2, "alpha", 0.5f);
  int hs = OP_NODE(g, OP_HardSigmoid, x);
  attr_f(g, hs, "alpha", 1.0f / 6.0f);
  int elu = OP_NODE(g, OP_Elu, x);
  ck_assert_int_eq(fold(g, lr), 0);
  ck_assert_int_eq(fold(g, lr2), 0);
  ck_assert_int_eq(fold(g, hs), 0);
  ck_assert_int_eq(fold(g, elu), 0);
  EXPECT_F64(out(g, lr), -0.01f, 0, 2);
  EXPECT_F64(out(g, lr2), -0.5, 0, 2);
  EXPECT_F64(out(g, hs), 1.0f / 6.0f * -1.0f + 0.5f, 0.5, 1.0f / 6.0f * 2.0f + 0.5f);
  EXPECT_F64(out(g, elu), expm1f(-1.0f), 0, 2);

  int ge = OP_NODE(g, OP_Gelu, x), gt = OP_NODE(g, OP_Gelu, x), gbad = OP_NODE(g, OP_Gelu, x);
  attr_s(g, gt, "approximate", "tanh");
  attr_s(g, gbad, "approximate", "fast");
  ck_assert_int_eq(fold(g, ge), 0);
  ck_assert_int_eq(fold(g, gt), 0);
  expect_infer_error(g, gbad);
  const float *gv = out(g, ge)->data, *tv = out(g, gt)->data;
  ck_assert_float_eq_tol(gv[0], -0.158655253931457, 1e-6);
  ck_assert_float_eq_tol(gv[2], 1.954499736103642, 1e-6);
  ck_assert_float_eq_tol(tv[0], -0.158808, 1e-6);
  ck_assert(gv[0] != tv[0]);
  graph_free(g);
}
END_TEST

START_TEST(test_unary_math) {
  Graph *g = new_graph(17);
  /* float32 folds with the bundle's kernels: bit-identical to libm's float functions */
  int x = CST(g, DT_FLOAT, float, SHAPE(4), -1.5f, 0.25f, 2.0f, 30.0f);
  int ex = OP_NODE(g, OP_Exp, x), th = OP_NODE(g, OP_Tanh, x), sp = OP_NODE(g, OP_Softplus, x), ab = OP_NODE(g, OP_Abs, x);
  ck_assert_int_eq(fold(g, ex), 0);
  ck_assert_int_eq(fold(g, th), 0);
  ck_assert_int_eq(fold(g, sp), 0);
  ck_assert_int_eq(fold(g, ab), 0);
  EXPECT_F64(out(g, ex), expf(-1.5f), expf(0.25f), expf(2.0f), expf(30.0f));
  EXPECT_F64(out(g, th), tanhf(-1.5f), tanhf(0.25f), tanhf(2.0f), tanhf(30.0f));
  ck_assert_float_eq(((float *)out(g, sp)->data)[3], 30.0f);
  EXPECT_F64(out(g, ab), 1.5, 0.25, 2, 30);

  int d = CST(g, DT_DOUBLE, double, SHAPE(3), -2.5, 4.0, 0.0);
  int fl = OP_NODE(g, OP_Floor, d), ce = OP_NODE(g, OP_Ceil, d), sq = OP_NODE(g, OP_Sqrt, d), rc = OP_NODE(g, OP_Reciprocal, d);
  ck_assert_int_eq(fold(g, fl), 0);
  ck_assert_int_eq(fold(g, ce), 0);
  ck_assert_int_eq(fold(g, sq), 0);
  ck_assert_int_eq(fold(g, rc), 0);
  expect_shape(out(g, fl), DT_DOUBLE, SHAPE(3));
  EXPECT_F64(out(g, fl), -3, 4, 0);
  EXPECT_F64(out(g, ce), -2, 4, 0);
  EXPECT_F64(out(g, sq), NAN, 2, 0);
  EXPECT_F64(out(g, rc), -0.4, 0.25, INFINITY);

  int i = CST(g, DT_INT64, int64_t, SHAPE(3), INT64_MIN, -5, 7);
  int ng = OP_NODE(g, OP_Neg, i), ai = OP_NODE(g, OP_Abs, i);
  ck_assert_int_eq(fold(g, ng), 0);
  ck_assert_int_eq(fold(g, ai), 0);
  expect_shape(out(g, ng), DT_INT64, SHAPE(3));
  EXPECT_I64(out(g, ng), INT64_MIN, 5, -7); /* two's complement wrap */
  EXPECT_I64(out(g, ai), INT64_MIN, 5, 7);
  graph_free(g);
}
END_TEST

/* ---------------- through the fold_constants pass ---------------- */

START_TEST(test_fold_pass) {
  Graph *g = new_graph(17);
  int a = CST(g, DT_INT64, int64_t, SHAPE(2), 4, 6);
  int b = CST(g, DT_INT64, int64_t, SCALAR, 2);
  int x = input(g, DT_INT64, SHAPE(2));
  g->inputs = xmalloc(sizeof(int));
  g->inputs[0] = x;
  g->n_inputs = 1;
  int n1 = OP_NODE(g, OP_Div, a, b);    /* folds */
  int t1 = g->n[n1].out[0];
  int n2 = OP_NODE(g, OP_Add, t1, x);   /* runs: x is an input */
  int t2 = g->n[n2].out[0];
  g->t[t2].is_output = true;
  g->outputs = xmalloc(sizeof(int));
  g->outputs[0] = t2;
  g->n_outputs = 1;
  ck_assert_int_eq(pass_fold_constants(g), 1);
  ck_assert(g->n[n1].dead);
  ck_assert(!g->n[n2].dead);
  EXPECT_I64(&g->t[t1], 2, 3);
  expect_shape(&g->t[t2], DT_INT64, SHAPE(2));
  ck_assert_ptr_null(g->t[t2].data);
  graph_free(g);
}
END_TEST

static Suite *ops_eltwise_suite(void) {
  const TTest *const tests[] = {
      test_broadcast_shapes,
      test_type_errors,
      test_int64_shape_arithmetic,
      test_narrow_int_folding,
      test_float_folding,
      test_pow,
      test_comparisons,
      test_max_min_variadic,
      test_where,
      test_cast,
      test_clip,
      test_unary_attributes,
      test_unary_math,
      test_fold_pass,
  };
  return tu_suite_of("ops_eltwise", "core", 0, tests, sizeof tests / sizeof tests[0]);
}

int main(void) {
  return tu_run_suite(ops_eltwise_suite());
}
