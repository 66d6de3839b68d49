/* tests/check_ops_dense.c: shape inference and constant folding of the dense ops
 * (ops/matmul.c, conv.c, pool.c, norm.c, reduce.c, topk.c).
 *
 * Each test builds a one-node Graph with the graph API, runs the op's infer (and
 * eval, scratch or macs) directly, and checks the output shapes and values against
 * numbers worked out by hand from the ONNX spec. Bad input must fail with one
 * error line that names the node: expect_error() captures stderr around the call
 * and checks the message.
 *
 * The kernels themselves are tested in check_kern_dense.c; whole ops against ONNX
 * Runtime by the conformance and model drivers. */
#define _POSIX_C_SOURCE 200809L
#include <check.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check_runner.h"
#include "emit/target.h"
#include "ir/diag.h"
#include "ir/graph.h"
#include "ops/op.h"
#include "testutil.h"

/* ---------------------------------------------------------------- graph building */

static Graph *G;

static void setup(void) {
  G = graph_new();
  G->opset = 17;
  G->source = xstrdup("test.onnx");
}

static void teardown(void) { graph_free(G); }

static Shape shape_of(const int64_t *d, int rank) {
  Shape s = {rank, {0}};
  for (int i = 0; i < rank; i++) s.d[i] = d[i];
  return s;
}
/* SH(2, 3, 4) is the Shape [2,3,4]; SCALAR is rank 0. */
#define SH(...) shape_of((const int64_t[]){__VA_ARGS__}, (int)(sizeof((int64_t[]){__VA_ARGS__}) / sizeof(int64_t)))
#define SCALAR ((Shape){0, {0}})

/* A run-time tensor (no data) of known type and shape. */
static int act(const char *name, DType dt, Shape s) {
  int t = graph_add_tensor(G, name);
  G->t[t].dtype = dt;
  G->t[t].shape = s;
  G->t[t].typed = true;
  G->t[t].is_input = true;
  return t;
}

static int const_f32(const char *name, Shape s, const float *v) {
  size_t n = (size_t)shape_numel(&s);
  float *data = xmalloc((n ? n : 1) * sizeof(float));
  memcpy(data, v, n * sizeof(float));
  return graph_add_const(G, name, DT_FLOAT, &s, data);
}

static int const_i64(const char *name, Shape s, const int64_t *v) {
  size_t n = (size_t)shape_numel(&s);
  int64_t *data = xmalloc((n ? n : 1) * sizeof(int64_t));
  if (n && v) memcpy(data, v, n * sizeof(int64_t));
  return graph_add_const(G, name, DT_INT64, &s, data);
}

/* A node reading `in` (-1 = absent) with n_out fresh output tensors. */
static int mk_node(OpKind op, const int *in, int n_in, int n_out) {
  int out[4];
  for (int o = 0; o < n_out; o++) out[o] = graph_add_tensor(G, NULL);
  return graph_add_node(G, op, NULL, in, n_in, out, n_out);
}
#define NODE(op, n_out, ...) mk_node(op, (const int[]){__VA_ARGS__}, (int)(sizeof((int[]){__VA_ARGS__}) / sizeof(int)), n_out)

static void attr_i(int ni, const char *name, int64_t v) { node_add_attr(G, ni, name, ATTR_INT)->i = v; }
static void attr_f(int ni, const char *name, float v) { node_add_attr(G, ni, name, ATTR_FLOAT)->f = v; }
static void attr_s(int ni, const char *name, const char *v) { node_add_attr(G, ni, name, ATTR_STRING)->s = xstrdup(v); }
static void attr_is(int ni, const char *name, int n, const int64_t *v) {
  Attr *a = node_add_attr(G, ni, name, ATTR_INTS);
  a->n = n;
  a->ints = xmalloc((size_t)(n ? n : 1) * sizeof(int64_t));
  memcpy(a->ints, v, (size_t)n * sizeof(int64_t));
}
#define ATTR_INTS_(ni, name, ...) \
  attr_is(ni, name, (int)(sizeof((int64_t[]){__VA_ARGS__}) / sizeof(int64_t)), (const int64_t[]){__VA_ARGS__})

static Node *N(int ni) { return &G->n[ni]; }
static int infer(int ni) { return op_impl(N(ni)->op)->infer(G, N(ni)); }
static int eval(int ni) { return op_impl(N(ni)->op)->eval(G, N(ni)); }
static Tensor *out(int ni, int o) { return node_out(G, N(ni), o); }

static void ck_shape_(int ni, int o, Shape want, int line) {
  Tensor *t = out(ni, o);
  char a[128], b[128];
  ck_assert_msg(t->typed, "line %d: output %d not typed", line, o);
  ck_assert_msg(shape_eq(&t->shape, &want), "line %d: output %d is %s, want %s", line, o,
                shape_str(&t->shape, a, sizeof a), shape_str(&want, b, sizeof b));
}
#define ck_shape(ni, o, s) ck_shape_(ni, o, s, __LINE__)

/* infer must succeed; then output 0 must have shape s. */
#define ck_infer(ni, s)                                  \
  do {                                                   \
    ck_assert_int_eq(infer(ni), 0);                      \
    ck_shape(ni, 0, s);                                  \
  } while (0)

static void ck_floats(const Tensor *t, const float *want, int n, double tol) {
  ck_assert_int_eq(shape_numel(&t->shape), n);
  const float *got = t->data;
  for (int i = 0; i < n; i++)
    ck_assert_msg(fabs((double)got[i] - want[i]) <= tol, "element %d: got %.9g want %.9g", i, (double)got[i],
                  (double)want[i]);
}

/* Run fn(ni) with stderr captured: it must return -1 and print one error line
 * naming the node and containing `needle`. */
static void expect_error_(int (*fn)(int), int ni, const char *needle, int line) {
  Capture c;
  ck_assert_msg(tu_capture_begin(&c) == 0, "cannot capture stderr");
  int errs = vitc_error_count;
  int rc = fn(ni);
  char *msg = tu_capture_end(&c);
  ck_assert_msg(rc == -1, "line %d: expected failure, got %d", line, rc);
  ck_assert_msg(vitc_error_count == errs + 1, "line %d: expected one error, got %d", line, vitc_error_count - errs);
  ck_assert_msg(strstr(msg, "vitc: error: test.onnx: node '") != NULL, "line %d: message does not name the node: %s",
                line, msg);
  ck_assert_msg(strstr(msg, needle) != NULL, "line %d: message lacks '%s': %s", line, needle, msg);
  free(msg);
}
#define expect_error(fn, ni, needle) expect_error_(fn, ni, needle, __LINE__)

/* ---------------------------------------------------------------- MatMul */

START_TEST(matmul_shapes) {
  int f = DT_FLOAT;
  int n1 = NODE(OP_MatMul, 1, act("a1", f, SH(2, 1, 4, 5)), act("b1", f, SH(3, 5, 6)));
  ck_infer(n1, SH(2, 3, 4, 6));
  int n2 = NODE(OP_MatMul, 1, act("a2", f, SH(5)), act("b2", f, SH(2, 5, 3))); /* 1-D A: row, dropped */
  ck_infer(n2, SH(2, 3));
  int n3 = NODE(OP_MatMul, 1, act("a3", f, SH(2, 4, 5)), act("b3", f, SH(5))); /* 1-D B: column, dropped */
  ck_infer(n3, SH(2, 4));
  int n4 = NODE(OP_MatMul, 1, act("a4", f, SH(5)), act("b4", f, SH(5)));
  ck_infer(n4, SCALAR);
  int n5 = NODE(OP_MatMul, 1, act("a5", f, SH(1, 197, 192)), act("b5", f, SH(192, 576)));
  ck_infer(n5, SH(1, 197, 192 * 3));
  ck_assert_int_eq(op_impl(OP_MatMul)->macs(G, N(n5)), 197LL * 192 * 576);
  ck_assert_int_eq(op_impl(OP_MatMul)->macs(G, N(n1)), 6LL * 4 * 5 * 6);
}
END_TEST

START_TEST(matmul_errors) {
  int f = DT_FLOAT;
  int n1 = NODE(OP_MatMul, 1, act("a1", f, SH(4, 5)), act("b1", f, SH(4, 6)));
  expect_error(infer, n1, "inner dimensions differ");
  int n2 = NODE(OP_MatMul, 1, act("a2", f, SH(2, 4, 5)), act("b2", f, SH(3, 5, 6)));
  expect_error(infer, n2, "do not broadcast");
  int n3 = NODE(OP_MatMul, 1, act("a3", f, SH(4, 5)), act("b3", DT_INT64, SH(5, 6)));
  expect_error(infer, n3, "A is float32 but B is int64");
}
END_TEST

START_TEST(matmul_eval_broadcast) {
  /* A (2,2,2) @ B (2,2): each batch times the same B */
  const float a[] = {1, 2, 3, 4, 5, 6, 7, 8}, b[] = {1, 0, 2, 1};
  int n = NODE(OP_MatMul, 1, const_f32("a", SH(2, 2, 2), a), const_f32("b", SH(2, 2), b));
  ck_assert_int_eq(infer(n), 0);
  ck_assert_int_eq(eval(n), 0);
  const float want[] = {5, 2, 11, 4, 17, 6, 23, 8};
  ck_floats(out(n, 0), want, 8, 0);
  /* int64 (shape arithmetic): (2,) @ (2,3) */
  int n2 = NODE(OP_MatMul, 1, const_i64("c", SH(2), (const int64_t[]){2, 3}),
                const_i64("d", SH(2, 3), (const int64_t[]){1, 2, 3, 4, 5, 6}));
  ck_infer(n2, SH(3));
  ck_assert_int_eq(eval(n2), 0);
  const int64_t *y = out(n2, 0)->data;
  ck_assert(y[0] == 14 && y[1] == 19 && y[2] == 24);
}
END_TEST

/* ---------------------------------------------------------------- Gemm */

START_TEST(gemm_trans_shapes) {
  int f = DT_FLOAT;
  int n1 = NODE(OP_Gemm, 1, act("a1", f, SH(3, 4)), act("b1", f, SH(5, 4)), act("c1", f, SH(5)));
  attr_i(n1, "transB", 1);
  ck_infer(n1, SH(3, 5));
  ck_assert_int_eq(op_impl(OP_Gemm)->macs(G, N(n1)), 3 * 4 * 5);
  int n2 = NODE(OP_Gemm, 1, act("a2", f, SH(4, 3)), act("b2", f, SH(4, 5)));
  attr_i(n2, "transA", 1);
  ck_infer(n2, SH(3, 5));
  int n3 = NODE(OP_Gemm, 1, act("a3", f, SH(4, 3)), act("b3", f, SH(5, 4)), act("c3", f, SH(3, 1)));
  attr_i(n3, "transA", 1);
  attr_i(n3, "transB", 1);
  ck_infer(n3, SH(3, 5));
  int n4 = NODE(OP_Gemm, 1, act("a4", f, SH(3, 4)), act("b4", f, SH(5, 4))); /* forgot transB */
  expect_error(infer, n4, "inner dimensions differ");
  int n5 = NODE(OP_Gemm, 1, act("a5", f, SH(3, 4)), act("b5", f, SH(4, 5)), act("c5", f, SH(4)));
  expect_error(infer, n5, "does not broadcast");
  int n6 = NODE(OP_Gemm, 1, act("a6", f, SH(2, 3, 4)), act("b6", f, SH(4, 5)));
  expect_error(infer, n6, "must be 2-D");
}
END_TEST

START_TEST(gemm_eval_all_attributes) {
  /* Y = 0.5 * A^T @ B^T + 2 * C, A (2,3) stored (K=2, M=3), B (N=2, K=2), C (3,1) */
  const float a[] = {1, 2, 3, 4, 5, 6}, b[] = {1, 1, 0, 1}, c[] = {1, 2, 3};
  int n = NODE(OP_Gemm, 1, const_f32("a", SH(2, 3), a), const_f32("b", SH(2, 2), b), const_f32("c", SH(3, 1), c));
  attr_i(n, "transA", 1);
  attr_i(n, "transB", 1);
  attr_f(n, "alpha", 0.5f);
  attr_f(n, "beta", 2.0f);
  ck_infer(n, SH(3, 2));
  ck_assert_int_eq(eval(n), 0);
  /* A^T = [[1,4],[2,5],[3,6]], B^T = [[1,0],[1,1]]: A^T B^T = [[5,4],[7,5],[9,6]] */
  const float want[] = {0.5f * 5 + 2, 0.5f * 4 + 2, 0.5f * 7 + 4, 0.5f * 5 + 4, 0.5f * 9 + 6, 0.5f * 6 + 6};
  ck_floats(out(n, 0), want, 6, 0);
}
END_TEST

/* ---------------------------------------------------------------- Conv */

START_TEST(conv_output_sizes) {
  int f = DT_FLOAT;
  /* explicit asymmetric pads: H: (7+1+2-3)/2+1 = 4, W: (5+0+1-3)/2+1 = 2 */
  int n1 = NODE(OP_Conv, 1, act("x1", f, SH(1, 3, 7, 5)), act("w1", f, SH(8, 3, 3, 3)), act("b1", f, SH(8)));
  ATTR_INTS_(n1, "pads", 1, 0, 2, 1);
  ATTR_INTS_(n1, "strides", 2, 2);
  ck_infer(n1, SH(1, 8, 4, 2));
  ck_assert_int_eq(op_impl(OP_Conv)->macs(G, N(n1)), 8 * 4 * 2 * 3 * 3 * 3);
  ck_assert_int_eq(op_impl(OP_Conv)->scratch(G, N(n1), target_find("scalar")), 3 * 3 * 3 * 4 * 2 * sizeof(float));
  /* SAME_UPPER, stride 2: ceil(7/2) = 4 */
  int n2 = NODE(OP_Conv, 1, act("x2", f, SH(1, 3, 7, 7)), act("w2", f, SH(8, 3, 3, 3)));
  attr_s(n2, "auto_pad", "SAME_UPPER");
  ATTR_INTS_(n2, "strides", 2, 2);
  ck_infer(n2, SH(1, 8, 4, 4));
  /* SAME_LOWER stride 1 keeps the size whatever the kernel */
  int n3 = NODE(OP_Conv, 1, act("x3", f, SH(1, 3, 6, 6)), act("w3", f, SH(8, 3, 4, 2)));
  attr_s(n3, "auto_pad", "SAME_LOWER");
  ck_infer(n3, SH(1, 8, 6, 6));
  /* VALID: (10-3)/3+1 = 3 */
  int n4 = NODE(OP_Conv, 1, act("x4", f, SH(2, 3, 10, 10)), act("w4", f, SH(8, 3, 3, 3)));
  attr_s(n4, "auto_pad", "VALID");
  ATTR_INTS_(n4, "strides", 3, 3);
  ck_infer(n4, SH(2, 8, 3, 3));
  /* dilation 2 widens a 3-tap kernel to 5: 16 + 2*2 - 5 + 1 = 16 (FilterViT's score conv, 7x7 d2 p6) */
  int n5 = NODE(OP_Conv, 1, act("x5", f, SH(1, 32, 16, 16)), act("w5", f, SH(1, 32, 7, 7)));
  ATTR_INTS_(n5, "dilations", 2, 2);
  ATTR_INTS_(n5, "pads", 6, 6, 6, 6);
  ck_infer(n5, SH(1, 1, 16, 16));
  /* depthwise: no scratch; 1x1: no scratch */
  int n6 = NODE(OP_Conv, 1, act("x6", f, SH(1, 16, 8, 8)), act("w6", f, SH(16, 1, 3, 3)));
  attr_i(n6, "group", 16);
  ATTR_INTS_(n6, "pads", 1, 1, 1, 1);
  ck_infer(n6, SH(1, 16, 8, 8));
  ck_assert_int_eq(op_impl(OP_Conv)->scratch(G, N(n6), target_find("scalar")), 0);
  int n7 = NODE(OP_Conv, 1, act("x7", f, SH(1, 16, 8, 8)), act("w7", f, SH(32, 16, 1, 1)));
  ck_infer(n7, SH(1, 32, 8, 8));
  ck_assert_int_eq(op_impl(OP_Conv)->scratch(G, N(n7), target_find("scalar")), 0);
  /* 1-D: (11 + 2 + 1 - 5)/2 + 1 = 5 */
  int n8 = NODE(OP_Conv, 1, act("x8", f, SH(2, 3, 11)), act("w8", f, SH(5, 3, 3)));
  ATTR_INTS_(n8, "pads", 2, 1);
  ATTR_INTS_(n8, "strides", 2);
  ATTR_INTS_(n8, "dilations", 2);
  ck_infer(n8, SH(2, 5, 5));
}
END_TEST

START_TEST(conv_errors) {
  int f = DT_FLOAT;
  int n1 = NODE(OP_Conv, 1, act("x1", f, SH(1, 6, 8, 8)), act("w1", f, SH(4, 3, 3, 3)));
  attr_i(n1, "group", 4);
  expect_error(infer, n1, "group 4 must divide");
  int n2 = NODE(OP_Conv, 1, act("x2", f, SH(1, 3, 2, 2)), act("w2", f, SH(4, 3, 3, 3)));
  expect_error(infer, n2, "is larger than the padded input");
  int n3 = NODE(OP_Conv, 1, act("x3", f, SH(1, 3, 8, 8)), act("w3", f, SH(4, 3, 3, 3)));
  attr_s(n3, "auto_pad", "SAME");
  expect_error(infer, n3, "unknown auto_pad 'SAME'");
  int n4 = NODE(OP_Conv, 1, act("x4", f, SH(1, 3, 8, 8)), act("w4", f, SH(4, 3, 3, 3)));
  ATTR_INTS_(n4, "pads", 1, 1);
  expect_error(infer, n4, "pads has 2 values, expected 4");
  int n5 = NODE(OP_Conv, 1, act("x5", f, SH(1, 3, 8, 8, 8)), act("w5", f, SH(4, 3, 3, 3, 3)));
  expect_error(infer, n5, "3-D windows are not supported");
  int n6 = NODE(OP_Conv, 1, act("x6", f, SH(1, 3, 8, 8)), act("w6", f, SH(4, 3, 3, 3)), act("b6", f, SH(3)));
  expect_error(infer, n6, "bias B must be (4,)");
}
END_TEST

/* ---------------------------------------------------------------- pools */

START_TEST(pool_ceil_mode) {
  int f = DT_FLOAT;
  /* in 6, k3 s2: floor (6-3)/2+1 = 2, ceil 3 */
  int n1 = NODE(OP_MaxPool, 2, act("x1", f, SH(1, 2, 6, 6)));
  ATTR_INTS_(n1, "kernel_shape", 3, 3);
  ATTR_INTS_(n1, "strides", 2, 2);
  ck_infer(n1, SH(1, 2, 2, 2));
  ck_assert_int_eq(out(n1, 1)->dtype, DT_INT64); /* Indices */
  ck_shape(n1, 1, SH(1, 2, 2, 2));
  int n2 = NODE(OP_MaxPool, 1, act("x2", f, SH(1, 2, 6, 6)));
  ATTR_INTS_(n2, "kernel_shape", 3, 3);
  ATTR_INTS_(n2, "strides", 2, 2);
  attr_i(n2, "ceil_mode", 1);
  ck_infer(n2, SH(1, 2, 3, 3));
  /* in 5, k2 s2, pads 1/1, ceil: ceil(5/2)+1 = 4, but window 4 would start at 6,
   * inside the end padding (>= 5 + 1): dropped, so 3 */
  int n3 = NODE(OP_AveragePool, 1, act("x3", f, SH(1, 2, 5, 5)));
  ATTR_INTS_(n3, "kernel_shape", 2, 2);
  ATTR_INTS_(n3, "strides", 2, 2);
  ATTR_INTS_(n3, "pads", 1, 1, 1, 1);
  attr_i(n3, "ceil_mode", 1);
  ck_infer(n3, SH(1, 2, 3, 3));
  /* SAME_UPPER ignores ceil_mode: ceil(5/2) = 3 */
  int n4 = NODE(OP_AveragePool, 1, act("x4", f, SH(1, 2, 5, 5)));
  ATTR_INTS_(n4, "kernel_shape", 3, 3);
  ATTR_INTS_(n4, "strides", 2, 2);
  attr_s(n4, "auto_pad", "SAME_UPPER");
  ck_infer(n4, SH(1, 2, 3, 3));
  /* dilated MaxPool: k2 d2 spans 3 */
  int n5 = NODE(OP_MaxPool, 1, act("x5", f, SH(1, 1, 4, 4)));
  ATTR_INTS_(n5, "kernel_shape", 2, 2);
  ATTR_INTS_(n5, "dilations", 2, 2);
  ck_infer(n5, SH(1, 1, 2, 2));
  int n6 = NODE(OP_GlobalAveragePool, 1, act("x6", f, SH(2, 48, 8, 8)));
  ck_infer(n6, SH(2, 48, 1, 1));
  int n7 = NODE(OP_MaxPool, 1, act("x7", f, SH(1, 2, 6, 6)));
  expect_error(infer, n7, "kernel_shape is required");
  int n8 = NODE(OP_MaxPool, 1, act("x8", DT_UINT8, SH(1, 2, 6, 6)));
  ATTR_INTS_(n8, "kernel_shape", 3, 3);
  expect_error(infer, n8, "input X is uint8");
}
END_TEST

/* ---------------------------------------------------------------- normalizations */

START_TEST(norm_shapes) {
  int f = DT_FLOAT;
  int n1 = NODE(OP_LayerNormalization, 3, act("x1", f, SH(2, 5, 8)), act("s1", f, SH(8)), act("b1", f, SH(8)));
  ck_infer(n1, SH(2, 5, 8));
  ck_shape(n1, 1, SH(2, 5, 1)); /* Mean */
  ck_shape(n1, 2, SH(2, 5, 1)); /* InvStdDev */
  int n2 = NODE(OP_LayerNormalization, 1, act("x2", f, SH(2, 5, 8)), act("s2", f, SH(5, 8)));
  attr_i(n2, "axis", -2);
  ck_infer(n2, SH(2, 5, 8));
  int n3 = NODE(OP_LayerNormalization, 1, act("x3", f, SH(2, 5, 8)), act("s3", f, SH(5)));
  expect_error(infer, n3, "Scale [5] does not broadcast to the normalized shape [8]");
  int n4 = NODE(OP_LayerNormalization, 1, act("x4", f, SH(2, 5, 8)), act("s4", f, SH(8)));
  attr_i(n4, "axis", 3);
  expect_error(infer, n4, "axis 3 is out of range for rank 3");
  int n5 = NODE(OP_Softmax, 1, act("x5", f, SH(2, 3)));
  attr_i(n5, "axis", -3);
  expect_error(infer, n5, "out of range");
}
END_TEST

START_TEST(batchnorm_fold) {
  /* x (1,2,2): channel 0 scale 2 mean 1 var 3 eps 1 (rstd 1/2), channel 1 identity-ish */
  const float x[] = {1, 3, -1, 5}, sc[] = {2, 1}, b[] = {0.5f, 0}, m[] = {1, 0}, v[] = {3, 0.75f};
  int n = NODE(OP_BatchNormalization, 1, const_f32("x", SH(1, 2, 2), x), const_f32("s", SH(2), sc),
               const_f32("b", SH(2), b), const_f32("m", SH(2), m), const_f32("v", SH(2), v));
  attr_f(n, "epsilon", 0.25f);
  ck_infer(n, SH(1, 2, 2));
  ck_assert_int_eq(eval(n), 0);
  /* channel 0: s = 2/sqrt(3.25); channel 1: s = 1/sqrt(1) = 1 */
  float s0 = (1.0f / sqrtf(3.25f)) * 2.0f, t0 = 0.5f - 1.0f * s0;
  const float want[] = {1 * s0 + t0, 3 * s0 + t0, -1, 5};
  ck_floats(out(n, 0), want, 4, 1e-6);
  int n2 = NODE(OP_BatchNormalization, 1, act("x2", DT_FLOAT, SH(1, 2, 2)), const_f32("s2", SH(2), sc),
                const_f32("b2", SH(2), b), const_f32("m2", SH(2), m), const_f32("v2", SH(2), v));
  attr_i(n2, "training_mode", 1);
  expect_error(infer, n2, "training_mode=1 is not supported");
}
END_TEST

/* ---------------------------------------------------------------- reductions */

START_TEST(reduce_attr_form) {
  int f = DT_FLOAT;
  G->opset = 17; /* ReduceMean axes is an attribute before 18 */
  int n1 = NODE(OP_ReduceMean, 1, act("x1", f, SH(2, 3, 4, 5)));
  ATTR_INTS_(n1, "axes", 0, -2);
  attr_i(n1, "keepdims", 0);
  ck_infer(n1, SH(3, 5));
  int n2 = NODE(OP_ReduceMean, 1, act("x2", f, SH(2, 3, 4, 5)));
  ATTR_INTS_(n2, "axes", -1);
  ck_infer(n2, SH(2, 3, 4, 1)); /* keepdims defaults to 1 */
  int n3 = NODE(OP_ReduceMean, 1, act("x3", f, SH(2, 3)));
  attr_i(n3, "keepdims", 0);
  ck_infer(n3, SCALAR); /* no axes: all */
  int n4 = NODE(OP_ReduceMean, 1, act("x4", f, SH(2, 3)));
  ATTR_INTS_(n4, "axes", 1, -1);
  expect_error(infer, n4, "listed twice");
  /* ReduceSum takes an input from 13 */
  int n5 = NODE(OP_ReduceSum, 1, act("x5", f, SH(2, 3, 4)), const_i64("ax5", SH(1), (const int64_t[]){1}));
  attr_i(n5, "keepdims", 0);
  ck_infer(n5, SH(2, 4));
  int n6 = NODE(OP_ReduceSum, 1, act("x6", f, SH(2, 3, 4)), act("ax6", DT_INT64, SH(1)));
  expect_error(infer, n6, "must be a compile-time constant");
}
END_TEST

START_TEST(reduce_input_form) {
  int f = DT_FLOAT;
  G->opset = 18;
  int n1 = NODE(OP_ReduceMean, 1, act("x1", f, SH(2, 3, 4, 5)), const_i64("a1", SH(2), (const int64_t[]){-1, 1}));
  ck_infer(n1, SH(2, 1, 4, 1));
  int n2 = NODE(OP_ReduceMax, 1, act("x2", f, SH(2, 3, 4)));
  attr_i(n2, "keepdims", 0);
  ck_infer(n2, SCALAR); /* no axes input: all */
  int n3 = NODE(OP_ReduceMean, 1, act("x3", f, SH(2, 3)), const_i64("a3", SH(0), NULL));
  attr_i(n3, "noop_with_empty_axes", 1);
  ck_infer(n3, SH(2, 3)); /* empty axes + noop: identity */
  int n4 = NODE(OP_ReduceMean, 1, act("x4", f, SH(2, 3)), const_i64("a4", SH(1), (const int64_t[]){1}));
  ATTR_INTS_(n4, "axes", 1);
  expect_error(infer, n4, "axes is given both as an attribute and as an input");
  int n5 = NODE(OP_ReduceMean, 1, act("x5", f, SH(2, 3)), const_i64("a5", SH(1), (const int64_t[]){2}));
  expect_error(infer, n5, "axis 2 is out of range");
}
END_TEST

START_TEST(reduce_eval) {
  G->opset = 18;
  const float x[] = {1, 2, 3, 4, 5, 6};
  const int64_t ax[] = {0};
  int n1 = NODE(OP_ReduceMean, 1, const_f32("x1", SH(2, 3), x), const_i64("a1", SH(1), ax));
  ck_infer(n1, SH(1, 3));
  ck_assert_int_eq(eval(n1), 0);
  ck_floats(out(n1, 0), (const float[]){2.5f, 3.5f, 4.5f}, 3, 0);
  int n2 = NODE(OP_ReduceMax, 1, const_f32("x2", SH(2, 3), x), const_i64("a2", SH(1), (const int64_t[]){1}));
  attr_i(n2, "keepdims", 0);
  ck_infer(n2, SH(2));
  ck_assert_int_eq(eval(n2), 0);
  ck_floats(out(n2, 0), (const float[]){3, 6}, 2, 0);
  int n3 = NODE(OP_ReduceSum, 1, const_i64("x3", SH(2, 2), (const int64_t[]){1, 2, 3, 4}));
  attr_i(n3, "keepdims", 0);
  ck_infer(n3, SCALAR);
  ck_assert_int_eq(eval(n3), 0);
  ck_assert_int_eq(((int64_t *)out(n3, 0)->data)[0], 10);
}
END_TEST

/* ---------------------------------------------------------------- TopK */

START_TEST(topk_shapes) {
  int f = DT_FLOAT;
  int n1 = NODE(OP_TopK, 2, act("x1", f, SH(1, 256)), const_i64("k1", SH(1), (const int64_t[]){64}));
  ck_infer(n1, SH(1, 64));
  ck_assert_int_eq(out(n1, 1)->dtype, DT_INT64);
  ck_shape(n1, 1, SH(1, 64));
  /* VITC_F32_TOPK_SCRATCH_BYTES(64, 256): 64 sort keys, the radix select's histogram, 256 keys */
  ck_assert_int_eq(op_impl(OP_TopK)->scratch(G, N(n1), target_find("scalar")), 64 * 8 + 256 * 4 + 256 * 4);
  int n2 = NODE(OP_TopK, 2, act("x2", f, SH(2, 10, 3)), const_i64("k2", SH(1), (const int64_t[]){4}));
  attr_i(n2, "axis", 1);
  ck_infer(n2, SH(2, 4, 3));
  int n3 = NODE(OP_TopK, 2, act("x3", f, SH(2, 10)), const_i64("k3", SH(1), (const int64_t[]){11}));
  expect_error(infer, n3, "K = 11 is outside [0, 10]");
  int n4 = NODE(OP_TopK, 2, act("x4", f, SH(2, 10)), act("k4", DT_INT64, SH(1)));
  expect_error(infer, n4, "must be a compile-time constant");
}
END_TEST

START_TEST(topk_eval_ties) {
  const float x[] = {1, 3, 3, 2, 3};
  int n1 = NODE(OP_TopK, 2, const_f32("x1", SH(5), x), const_i64("k1", SH(1), (const int64_t[]){3}));
  ck_infer(n1, SH(3));
  ck_assert_int_eq(eval(n1), 0);
  ck_floats(out(n1, 0), (const float[]){3, 3, 3}, 3, 0);
  const int64_t *i1 = out(n1, 1)->data;
  ck_assert(i1[0] == 1 && i1[1] == 2 && i1[2] == 4); /* equal values: lower index first */
  int n2 = NODE(OP_TopK, 2, const_f32("x2", SH(5), x), const_i64("k2", SH(1), (const int64_t[]){2}));
  attr_i(n2, "largest", 0);
  ck_infer(n2, SH(2));
  ck_assert_int_eq(eval(n2), 0);
  ck_floats(out(n2, 0), (const float[]){1, 2}, 2, 0);
  const int64_t *i2 = out(n2, 1)->data;
  ck_assert(i2[0] == 0 && i2[1] == 3);
  int n3 = NODE(OP_TopK, 2, const_f32("x3", SH(5), x), const_i64("k3", SH(1), (const int64_t[]){3}));
  attr_i(n3, "sorted", 0);
  ck_infer(n3, SH(3));
  ck_assert_int_eq(eval(n3), 0);
  const int64_t *i3 = out(n3, 1)->data; /* sorted=0: the chosen ones in index order */
  ck_assert(i3[0] == 1 && i3[1] == 2 && i3[2] == 4);
  /* NaN ranks after every number, except K = 1 (ONNX Runtime's scan from element 0) */
  const float xn[] = {NAN, 1, NAN, 2, -1};
  int n4 = NODE(OP_TopK, 2, const_f32("x4", SH(5), xn), const_i64("k4", SH(1), (const int64_t[]){4}));
  ck_infer(n4, SH(4));
  ck_assert_int_eq(eval(n4), 0);
  const int64_t *i4 = out(n4, 1)->data;
  ck_assert(i4[0] == 3 && i4[1] == 1 && i4[2] == 4 && i4[3] == 0);
  int n5 = NODE(OP_TopK, 2, const_f32("x5", SH(5), xn), const_i64("k5", SH(1), (const int64_t[]){1}));
  ck_infer(n5, SH(1));
  ck_assert_int_eq(eval(n5), 0);
  ck_assert(((const int64_t *)out(n5, 1)->data)[0] == 0);
}
END_TEST

int main(void) {
  Suite *s = suite_create("ops_dense");
  const TuNamedTest tests[] = {
      {"matmul_shapes", matmul_shapes},   {"matmul_errors", matmul_errors},
      {"matmul_eval", matmul_eval_broadcast}, {"gemm_trans", gemm_trans_shapes},
      {"gemm_eval", gemm_eval_all_attributes}, {"conv_sizes", conv_output_sizes},
      {"conv_errors", conv_errors},       {"pool_ceil_mode", pool_ceil_mode},
      {"norm_shapes", norm_shapes},       {"batchnorm_fold", batchnorm_fold},
      {"reduce_attr", reduce_attr_form},  {"reduce_input", reduce_input_form},
      {"reduce_eval", reduce_eval},       {"topk_shapes", topk_shapes},
      {"topk_eval", topk_eval_ties},
  };
  tu_add_tcases(s, tests, sizeof tests / sizeof tests[0], 0, setup, teardown);
  return tu_run_suite(s);
}
