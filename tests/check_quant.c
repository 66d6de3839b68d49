/* tests/check_quant.c: the quantization ops (ops/quant.c) and their reference
 * kernels (templates/quant/x-quant-scalar.c).
 *
 * Kernels: values worked out by hand from the ONNX spec: ties round to even
 * (0.5 -> 0, 1.5 -> 2, -2.5 -> -2), saturation at both ends of uint8 and int8,
 * NaN to the minimum, per-axis scales, DynamicQuantizeLinear's scale and zero
 * point, integer products summed exactly (255 * 127 * K, no 16-bit saturation).
 * Ops: shape inference and each refusal (one error naming the node and what was
 * expected). The pass passes/fuse_qdq_gemm.c: a QDQ Linear (with bias and GELU)
 * becomes one vitc.QGemm reading x itself, and each near miss (weight zero point 1,
 * uint8 weights, a Q with other parameters than its DQ, a per-axis activation
 * scale, a weight scale along K) does not, or reads xq. `vitc compile --quantize
 * int8 --calibrate FILE` on models/vit_tiny32.onnx: a file of 2 inputs gives a bundle
 * with the int8 GEMM; a file that is no whole number of inputs is one error line. The whole ops against ONNX's expected outputs run in
 * check_conformance (the 17 backend cases of these ops, every target). */
#define _POSIX_C_SOURCE 200809L
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check_runner.h"
#include "ir/diag.h"
#include "ir/graph.h"
#include "ops/op.h"
#include "passes/passes.h"
#include "quant/x-quant-scalar.c"
#include "testutil.h"

/* ---------------------------------------------------------------- kernels */

START_TEST(test_quantize_rounding_and_saturation) {
  const float x[] = {0.5f, 1.5f, 2.5f, -0.5f, -2.5f, 1000.0f, -1000.0f, NAN, 3.49f};
  const float s1 = 1.0f;
  uint8_t yu[9];
  int8_t ys[9];
  int z0 = 0, z10 = 10;
  vitc_f32_quantize_scalar(1, 1, 9, x, &s1, &z0, 3, ys);
  const int8_t want_s[] = {0, 2, 2, 0, -2, 127, -128, -128, 3};
  for (int i = 0; i < 9; i++) ck_assert_msg(ys[i] == want_s[i], "int8 %d: got %d want %d", i, ys[i], want_s[i]);
  vitc_f32_quantize_scalar(1, 1, 9, x, &s1, &z10, 2, yu);
  const uint8_t want_u[] = {10, 12, 12, 10, 8, 255, 0, 0, 13};
  for (int i = 0; i < 9; i++) ck_assert_msg(yu[i] == want_u[i], "uint8 %d: got %d want %d", i, yu[i], want_u[i]);
}
END_TEST

START_TEST(test_quantize_per_axis) {
  /* x (2, 3, 2), axis 1: channel c has scale 1, 2, 4 and zero point 0, 1, 2 */
  float x[12];
  for (int i = 0; i < 12; i++) x[i] = (float)i;
  const float sc[3] = {1.0f, 2.0f, 4.0f};
  const int zp[3] = {0, 1, 2};
  uint8_t y[12];
  vitc_f32_quantize_scalar(2, 3, 2, x, sc, zp, 2, y);
  /* x/s + z: [0,1] [2/2+1, 3/2+1] [4/4+2, 5/4+2] [6,7] [8/2+1, 9/2+1] [10/4+2, 11/4+2] */
  const uint8_t want[12] = {0, 1, 2, 3, 3, 3, 6, 7, 5, 5, 4, 5}; /* 9/2 = 4.5 -> 4 */
  for (int i = 0; i < 12; i++) ck_assert_msg(y[i] == want[i], "%d: got %d want %d", i, y[i], want[i]);
  float back[12];
  vitc_x_dequantize_scalar(2, 3, 2, 2, y, sc, zp, back);
  ck_assert(back[3] == 4.0f && back[10] == 8.0f); /* (3-1)*2, (4-2)*4 */
}
END_TEST

START_TEST(test_dynamic_quantize) {
  const float x[] = {0.0f, 2.0f, -3.0f, -2.5f, 1.34f, 0.5f};
  uint8_t y[6], zp;
  float scale;
  vitc_f32_dynamic_quantize_scalar(6, x, y, &scale, &zp);
  /* ONNX's test_dynamicquantizelinear: scale (2 - -3) / 255, zero point round(3 / scale) = 153 */
  ck_assert_float_eq(scale, 5.0f / 255.0f);
  ck_assert_int_eq(zp, 153);
  const uint8_t want[6] = {153, 255, 0, 26, 221, 179};
  for (int i = 0; i < 6; i++) ck_assert_msg(y[i] == want[i], "%d: got %d want %d", i, y[i], want[i]);
  const float zeros[3] = {0};
  vitc_f32_dynamic_quantize_scalar(3, zeros, y, &scale, &zp);
  ck_assert(scale == 1.0f && zp == 0 && y[0] == 0);
}
END_TEST

START_TEST(test_matmul_integer_exact) {
  /* A all 255 (zero point 0) x B all -128 over K = 1024: -33,423,360, far past any
   * 16-bit pair sum; and per-row / per-column zero points. */
  enum { M = 2, K = 1024, N = 3 };
  static uint8_t A[M * K];
  static int8_t B[K * N];
  int32_t Y[M * N];
  memset(A, 255, sizeof A);
  memset(B, 0x80, sizeof B);
  const int zero = 0;
  vitc_x_matmul_integer_scalar(M, N, K, 0, NULL, NULL, NULL, 2, A, &zero, 0, 3, B, &zero, 0, Y);
  for (int i = 0; i < M * N; i++) ck_assert_int_eq(Y[i], 255 * -128 * K);
  const int za[M] = {255, 0}, zb[N] = {-128, 0, 1};
  vitc_x_matmul_integer_scalar(M, N, K, 0, NULL, NULL, NULL, 2, A, za, 1, 3, B, zb, 1, Y);
  ck_assert_int_eq(Y[0], 0);
  ck_assert_int_eq(Y[3], 0);                /* B - (-128) = 0 */
  ck_assert_int_eq(Y[4], 255 * -128 * K);
  ck_assert_int_eq(Y[5], 255 * -129 * K);
}
END_TEST

START_TEST(test_requantize) {
  const int32_t acc[4] = {100, -100, 5, 1000000};
  const int32_t bias[2] = {1, -1};
  const float mult[2] = {0.5f, 0.25f};
  uint8_t y[4];
  /* (outer 2, na 2, inner 1): (100+1)*0.5 = 50.5 -> 50 (even) + 3; (-100-1)*0.25 = -25.25 -> -25 + 3 -> 0 (saturated) */
  vitc_s32_requantize_scalar(2, 2, 1, acc, bias, mult, 3, 2, y);
  ck_assert_int_eq(y[0], 53);
  ck_assert_int_eq(y[1], 0);
  ck_assert_int_eq(y[2], 6); /* 6 * 0.5 = 3 + 3 */
  ck_assert_int_eq(y[3], 255);
}
END_TEST

/* ---------------------------------------------------------------- ops */

static Graph *G;

static void setup(void) {
  G = graph_new();
  G->opset = 13;
  G->source = xstrdup("test.onnx");
}

static void teardown(void) { graph_free(G); }

static int act(DType dt, int rank, const int64_t *d) {
  int t = graph_add_tensor(G, NULL);
  G->t[t].dtype = dt;
  G->t[t].shape.rank = rank;
  for (int i = 0; i < rank; i++) G->t[t].shape.d[i] = d[i];
  G->t[t].typed = true;
  G->t[t].is_input = true;
  return t;
}

static int cst(DType dt, int64_t n, double v) {
  Shape s = {n == 1 ? 0 : 1, {n}};
  void *data = xcalloc((size_t)n, dtype_size(dt));
  for (int64_t i = 0; i < n; i++) buf_set_f64(data, dt, i, v);
  return graph_add_const(G, NULL, dt, &s, data);
}

static int node(OpKind op, const int *in, int n_in, int n_out) {
  int out[3];
  for (int o = 0; o < n_out; o++) out[o] = graph_add_tensor(G, NULL);
  return graph_add_node(G, op, "q", in, n_in, out, n_out);
}

static int infer(int ni) { return op_impl(G->n[ni].op)->infer(G, &G->n[ni]); }

/* infer must fail with one error line containing needle. */
static void expect_error(int ni, const char *needle) {
  Capture c;
  ck_assert_msg(tu_capture_begin(&c) == 0, "cannot capture stderr");
  int errs = vitc_error_count, rc = infer(ni);
  char *msg = tu_capture_end(&c);
  ck_assert_int_eq(rc, -1);
  ck_assert_int_eq(vitc_error_count, errs + 1);
  ck_assert_msg(msg[0] && strstr(msg, needle) && strstr(msg, "'q'"), "message '%s' lacks '%s'", msg, needle);
  free(msg);
}

START_TEST(test_ops_infer) {
  int x = act(DT_FLOAT, 2, (const int64_t[]){4, 3});
  int q = node(OP_QuantizeLinear, (const int[]){x, cst(DT_FLOAT, 3, 0.5), cst(DT_INT8, 3, 1)}, 3, 1);
  node_add_attr(G, q, "axis", ATTR_INT)->i = 1;
  ck_assert_int_eq(infer(q), 0);
  ck_assert_int_eq(G->t[G->n[q].out[0]].dtype, DT_INT8);
  int q2 = node(OP_QuantizeLinear, (const int[]){x, cst(DT_FLOAT, 1, 0.5)}, 2, 1);
  ck_assert_int_eq(infer(q2), 0);
  ck_assert_int_eq(G->t[G->n[q2].out[0]].dtype, DT_UINT8);
  int xq = act(DT_UINT8, 2, (const int64_t[]){4, 3});
  int dq = node(OP_DequantizeLinear, (const int[]){xq, cst(DT_FLOAT, 1, 0.5), cst(DT_UINT8, 1, 128)}, 3, 1);
  ck_assert_int_eq(infer(dq), 0);
  ck_assert_int_eq(G->t[G->n[dq].out[0]].dtype, DT_FLOAT);
  int dyn = node(OP_DynamicQuantizeLinear, (const int[]){x}, 1, 3);
  ck_assert_int_eq(infer(dyn), 0);
  ck_assert_int_eq(G->t[G->n[dyn].out[1]].shape.rank, 0);
  int b = act(DT_INT8, 2, (const int64_t[]){3, 5});
  int mm = node(OP_MatMulInteger, (const int[]){xq, b}, 2, 1);
  ck_assert_int_eq(infer(mm), 0);
  ck_assert_int_eq(G->t[G->n[mm].out[0]].dtype, DT_INT32);
  ck_assert_int_eq(G->t[G->n[mm].out[0]].shape.d[1], 5);
}
END_TEST

START_TEST(test_ops_refuse) {
  int x = act(DT_FLOAT, 2, (const int64_t[]){4, 3});
  int f16 = act(DT_FLOAT16, 2, (const int64_t[]){4, 3});
  expect_error(node(OP_QuantizeLinear, (const int[]){f16, cst(DT_FLOAT, 1, 1)}, 2, 1), "vitc quantizes float32");
  int qb = node(OP_QuantizeLinear, (const int[]){x, cst(DT_FLOAT, 1, 1)}, 2, 1);
  node_add_attr(G, qb, "block_size", ATTR_INT)->i = 2;
  expect_error(qb, "block_size");
  expect_error(node(OP_QuantizeLinear, (const int[]){x, cst(DT_FLOAT, 2, 1)}, 2, 1), "expected 1 or 3");
  expect_error(node(OP_QuantizeLinear, (const int[]){x, act(DT_FLOAT, 1, (const int64_t[]){3})}, 2, 1),
               "must be compile-time constants");
  expect_error(node(OP_QuantizeLinear, (const int[]){x, cst(DT_FLOAT, 1, 1), cst(DT_INT32, 1, 0)}, 3, 1),
               "quantizing to int32 is not supported");
  int xq = act(DT_UINT8, 2, (const int64_t[]){4, 3});
  expect_error(node(OP_DequantizeLinear, (const int[]){xq, cst(DT_FLOAT, 1, 1), cst(DT_INT8, 1, 0)}, 3, 1),
               "zero point is int8 but the quantized tensor is uint8");
  int xi = act(DT_INT32, 1, (const int64_t[]){4});
  expect_error(node(OP_DequantizeLinear, (const int[]){xi, cst(DT_FLOAT, 1, 1), cst(DT_INT32, 1, 3)}, 3, 1),
               "zero point 0");
  int b = act(DT_INT8, 2, (const int64_t[]){4, 5});
  expect_error(node(OP_MatMulInteger, (const int[]){xq, b}, 2, 1), "inner dimensions");
  int bf = act(DT_FLOAT, 2, (const int64_t[]){3, 5});
  expect_error(node(OP_MatMulInteger, (const int[]){xq, bf}, 2, 1), "must be uint8 or int8");
}
END_TEST

/* ---------------------------------------------------------------- the pass */

enum { MISS_NONE, MISS_W_ZP, MISS_W_U8, MISS_Q_PARAMS, MISS_A_AXIS, MISS_W_AXIS_K };

/* x [4, 8] -> Q -> DQ -> MatMul(., DQ(wq [8, 6])) -> Add(bias) -> Gelu; with a near miss.
 * Returns the vitc.QGemm count after fold_constants and fuse_qdq_gemm, and in *reads_x
 * whether the fused node reads x (the quantize fused). */
static int qdq_linear(int miss, int *reads_x) {
  int x = act(DT_FLOAT, 2, (const int64_t[]){4, 8});
  int sa = cst(DT_FLOAT, miss == MISS_A_AXIS ? 8 : 1, 0.02), za = cst(DT_UINT8, miss == MISS_A_AXIS ? 8 : 1, 128);
  int q = node(OP_QuantizeLinear, (const int[]){x, sa, za}, 3, 1);
  int sd = miss == MISS_Q_PARAMS ? cst(DT_FLOAT, 1, 0.03) : sa;
  int dq = node(OP_DequantizeLinear, (const int[]){G->n[q].out[0], sd, za}, 3, 1);
  Shape ws = {2, {8, 6}};
  DType wt = miss == MISS_W_U8 ? DT_UINT8 : DT_INT8;
  void *wv = xcalloc(48, 1);
  for (int i = 0; i < 48; i++) ((int8_t *)wv)[i] = (int8_t)(i % 7);
  int w = graph_add_const(G, "wq", wt, &ws, wv);
  int swn = miss == MISS_W_AXIS_K ? 8 : 6;
  int dw = node(OP_DequantizeLinear, (const int[]){w, cst(DT_FLOAT, swn, 0.01), cst(wt, swn, miss == MISS_W_ZP ? 1 : 0)}, 3, 1);
  node_add_attr(G, dw, "axis", ATTR_INT)->i = miss == MISS_W_AXIS_K ? 0 : 1;
  if (miss == MISS_A_AXIS) node_add_attr(G, q, "axis", ATTR_INT)->i = 1, node_add_attr(G, dq, "axis", ATTR_INT)->i = 1;
  int mm = node(OP_MatMul, (const int[]){G->n[dq].out[0], G->n[dw].out[0]}, 2, 1);
  int add = node(OP_Add, (const int[]){G->n[mm].out[0], cst(DT_FLOAT, 6, 0.5)}, 2, 1);
  int ge = node(OP_Gelu, (const int[]){G->n[add].out[0]}, 1, 1);
  int y = G->n[ge].out[0];
  G->t[y].is_output = true;
  G->outputs = xmalloc(sizeof(int));
  G->outputs[0] = y;
  G->n_outputs = 1;
  ck_assert_int_ge(pass_fold_constants(G), 0);
  ck_assert_int_ge(pass_fuse_qdq_gemm(G), 0);
  int count = 0;
  *reads_x = 0;
  for (int i = 0; i < G->nn; i++)
    if (!G->n[i].dead && G->n[i].op == OP_VitcQGemm) {
      count++;
      *reads_x = G->n[i].in[0] == x;
      ck_assert_int_eq(G->n[i].n_in, 3); /* bias taken */
      ck_assert_int_eq(attr_int(&G->n[i], "activation", -1), 1); /* GELU (erf) taken */
      ck_assert_int_eq(G->n[i].out[0], y);
    }
  return count;
}

START_TEST(test_pass_fires) {
  int reads_x;
  ck_assert_int_eq(qdq_linear(MISS_NONE, &reads_x), 1);
  ck_assert_msg(reads_x, "the quantize is fused: the GEMM reads x");
}
END_TEST

START_TEST(test_pass_near_misses) {
  static const int misses[] = {MISS_W_ZP, MISS_W_U8, MISS_A_AXIS, MISS_W_AXIS_K};
  int reads_x;
  ck_assert_int_eq(qdq_linear(misses[_i], &reads_x), 0);
}
END_TEST

START_TEST(test_pass_q_params_differ) {
  int reads_x;
  ck_assert_int_eq(qdq_linear(MISS_Q_PARAMS, &reads_x), 1); /* fused, on xq: the Q stays */
  ck_assert_msg(!reads_x, "a Q with other parameters than its DQ is not fused into the GEMM");
}
END_TEST

/* ---------------------------------------------------------------- --quantize int8 --calibrate */

static RunResult compile_quantized(const char *calib, const char *out) {
  char *argv[] = {VITC_BINARY_DIR "/vitc", "compile", VITC_SOURCE_DIR "/models/vit_tiny32.onnx", "-o", (char *)out,
                  "--quantize", "int8", "--calibrate", (char *)calib, "-q", NULL};
  RunResult r;
  ck_assert_int_eq(tu_run(argv, 600, &r), 0);
  return r;
}

START_TEST(test_calibrate_file) {
  char *dir = tu_printf("%s/tests/quant_calibrate", VITC_BINARY_DIR), *calib = tu_printf("%s/calib.bin", dir);
  char *bad = tu_printf("%s/bad.bin", dir), *out = tu_printf("%s/bundle", dir);
  tu_rm_rf(dir);
  tu_mkdir_p(dir);
  enum { IN = 3 * 32 * 32 };
  float *x = malloc(2 * IN * sizeof(float));
  for (int i = 0; i < 2 * IN; i++) x[i] = (float)((i * 37) % 200 - 100) * 0.01f;
  ck_assert_int_eq(tu_write_file(calib, x, 2 * IN * sizeof(float)), 0);
  ck_assert_int_eq(tu_write_file(bad, x, 100), 0);
  RunResult r = compile_quantized(calib, out);
  ck_assert_msg(r.exited && r.status == 0, "--calibrate FILE failed: %s", r.err);
  tu_run_free(&r);
  char *src = tu_printf("%s/vit_tiny32.c", out), *text = tu_read_file(src, NULL);
  ck_assert_msg(text && strstr(text, "vitc_qs8_gemm_scalar("), "no int8 GEMM in %s", src);
  ck_assert_msg(strstr(text, "--quantize int8 --calibrate calib.bin"), "the banner lacks the options");
  r = compile_quantized(bad, tu_printf("%s/bad_bundle", dir));
  char *why = tu_check_one_error_line(&r);
  ck_assert_msg(!why, "%s", why);
  ck_assert_msg(strstr(r.err, "not a whole number"), "message: %s", r.err);
  tu_run_free(&r);
  free(x), free(text), free(src);
}
END_TEST

int main(void) {
  Suite *s = suite_create("quant");
  TCase *k = tcase_create("kernels");
  tcase_add_test(k, test_quantize_rounding_and_saturation);
  tcase_add_test(k, test_quantize_per_axis);
  tcase_add_test(k, test_dynamic_quantize);
  tcase_add_test(k, test_matmul_integer_exact);
  tcase_add_test(k, test_requantize);
  suite_add_tcase(s, k);
  TCase *o = tcase_create("ops");
  tcase_add_checked_fixture(o, setup, teardown);
  tcase_add_test(o, test_ops_infer);
  tcase_add_test(o, test_ops_refuse);
  tcase_add_test(o, test_pass_fires);
  tcase_add_loop_test(o, test_pass_near_misses, 0, 4);
  tcase_add_test(o, test_pass_q_params_differ);
  suite_add_tcase(s, o);
  TCase *c = tcase_create("calibrate");
  tcase_set_timeout(c, 600);
  tcase_add_test(c, test_calibrate_file);
  suite_add_tcase(s, c);
  return tu_run_suite(s);
}
