/* tests/check_chain.c: a graph of 40,000 nodes compiles, and its bundle is right.
 *
 *   check_chain                    the test (ctest: chain_40000)
 *   check_chain --nodes N          the same with N nodes
 *   check_chain --write N FILE     only write the N-node model (bench/big_models.sh times vitc on it)
 *
 * The model is one input x [1,64] through a chain of element-wise nodes, eight
 * kinds in turn, each reading the previous node's output:
 *
 *     Mul 0.5, Tanh, Add 0.25, Sub 0.125, Erf, Div 2, Neg, Sigmoid
 *
 * so that every pass of the pipeline has candidates to look at all along the
 * chain (Mul before Tanh starts a tanh-GELU match, Sub a LayerNorm match, Mul and
 * Add a zero-attention match), and a pass, planner step or emitter step that is
 * quadratic in the node count shows as minutes instead of about a second
 * (docs/PERFORMANCE.md has the timings; the test asserts none). Every step is
 * 1-Lipschitz or contracting, so the rounding of 40,000 float steps stays far
 * below the tolerance, and the result is compared with the same chain computed
 * here in double precision, within 1e-4 * max(1, max|ref|).
 *
 * A second model is a chain of n Reshape nodes (views: no code, the same bytes)
 * alternating [64,1] and [1,64], then a Relu: each view's storage is found at the
 * end of the chain, once per view, not by walking the chain back each time. A third
 * is n - 1 Muls by 2 and by 0.5 in turn, then a Relu: fold_scale merges consecutive
 * scales of the residual stream (NOSE), here 39,999 of them, into one of 2.
 *
 * The bundle is built for the scalar target with -O0: GCC takes minutes to
 * optimize one function of 40,000 calls (its time, not vitc's), and the point
 * here is vitc. It is compiled for every other target too, and each bundle must
 * validate (vitc validate). Work folder: BUILD/tests/chain/. */
#define _GNU_SOURCE
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_runner.h"
#include "emit/target.h"
#include "mkonnx.h"
#include "testutil.h"

#define WIDTH 64
#define RTOL 1e-4

static int n_nodes = 40000;

static const char *const kinds[8] = {"Mul", "Tanh", "Add", "Sub", "Erf", "Div", "Neg", "Sigmoid"};
/* the constant operand of the binary kinds, by kind (-1: unary) */
static const int const_of[8] = {0, -1, 1, 2, -1, 3, -1, -1};
static const char *const const_names[4] = {"half", "quarter", "eighth", "two"};
static const float const_values[4] = {0.5f, 0.25f, 0.125f, 2.0f};

/* Node i of a chain of n: its op type, and in *operand the name of its constant second
 * input (left NULL for a unary node). */
typedef const char *ChainLink(int i, int n, const char **operand, const void *ctx);

/* Writes to path the model mb holds (the input x [1,WIDTH] and the constants) with the
 * n nodes of link chained from x to y; returns 0 or -1. The node array is built in one
 * piece (the builder's append copies the array each time: fine for ten nodes, not
 * 40,000), and it is packed here rather than by mb_write, whose checks need a
 * running test (--write runs outside one). Frees mb. */
static int write_linked_chain(MB *mb, int n, ChainLink *link, const void *ctx, const char *path) {
  Onnx__NodeProto *nodes = mb_alloc(mb, (size_t)n * sizeof *nodes);
  Onnx__NodeProto **list = mb_alloc(mb, (size_t)n * sizeof *list);
  char **names = mb_alloc(mb, 3 * (size_t)n * sizeof *names), *text = mb_alloc(mb, 3 * (size_t)n * 32);
  for (int i = 0; i < n; i++) {
    const char *operand = NULL, *op = link(i, n, &operand, ctx);
    char *name = text + (3 * (size_t)i) * 32, *out = name + 32, *in = out + 32;
    snprintf(name, 32, "/chain.%d/%s", i, op);
    snprintf(out, 32, i == n - 1 ? "y" : "v%d", i);
    snprintf(in, 32, i == 0 ? "x" : "v%d", i - 1);
    Onnx__NodeProto *nd = &nodes[i];
    *nd = (Onnx__NodeProto)ONNX__NODE_PROTO__INIT;
    nd->name = name;
    nd->op_type = (char *)op;
    nd->n_input = operand ? 2 : 1;
    nd->input = &names[3 * (size_t)i];
    nd->input[0] = in;
    if (operand) nd->input[1] = (char *)operand;
    nd->n_output = 1;
    nd->output = &names[3 * (size_t)i + 2];
    nd->output[0] = out;
    list[i] = nd;
  }
  mb->graph.node = list;
  mb->graph.n_node = (size_t)n;
  mb_output(mb, "y", DT_FLOAT);
  size_t len = onnx__model_proto__get_packed_size(&mb->model);
  uint8_t *buf = malloc(len);
  int rc = buf && onnx__model_proto__pack(&mb->model, buf) == len ? tu_write_file(path, buf, len) : -1;
  free(buf);
  mb_free(mb);
  return rc;
}

/* The eight kinds in turn, with their constants. */
static const char *kind_link(int i, int n, const char **operand, const void *ctx) {
  (void)n, (void)ctx;
  int k = i % 8;
  if (const_of[k] >= 0) *operand = const_names[const_of[k]];
  return kinds[k];
}

/* Writes the n-node chain to path; returns 0 or -1. */
static int write_chain(int n, const char *path) {
  MB *mb = mb_new(17);
  mb_input(mb, "x", DT_FLOAT, 2, (int64_t[]){1, WIDTH});
  for (int c = 0; c < 4; c++) mb_init_raw(mb, const_names[c], DT_FLOAT, 0, NULL, &const_values[c]);
  return write_linked_chain(mb, n, kind_link, NULL, path);
}

/* *ctx (Reshape or Mul) with "tall" and "wide" in turn, then a Relu. */
static const char *relu_link(int i, int n, const char **operand, const void *ctx) {
  if (i == n - 1) return "Relu";
  *operand = i % 2 ? "wide" : "tall";
  return ctx;
}

/* n - 1 Reshapes of x [1,64], alternating to [64,1] and back, then a Relu (scales:
 * n - 1 Muls by 2 and by 0.5 in turn instead); returns 0 or -1. */
static int write_relu_chain(int n, bool scales, const char *path) {
  MB *mb = mb_new(17);
  mb_input(mb, "x", DT_FLOAT, 2, (int64_t[]){1, WIDTH});
  int64_t tall[2] = {WIDTH, 1}, wide[2] = {1, WIDTH};
  const float two = 2.0f, half = 0.5f;
  if (scales) {
    mb_init_raw(mb, "tall", DT_FLOAT, 0, NULL, &two);
    mb_init_raw(mb, "wide", DT_FLOAT, 0, NULL, &half);
  } else {
    mb_init_raw(mb, "tall", DT_INT64, 1, (int64_t[]){2}, tall);
    mb_init_raw(mb, "wide", DT_INT64, 1, (int64_t[]){2}, wide);
  }
  return write_linked_chain(mb, n, relu_link, scales ? "Mul" : "Reshape", path);
}

/* Runs the chain's harness prog on x (written to WORK/x.bin), reading y back from WORK/y.bin. */
static void run_chain_prog(const char *work, char *prog, const float *x, float *y) {
  char *in = tu_printf("%s/x.bin", work), *out = tu_printf("%s/y.bin", work);
  ck_assert(tu_write_file(in, x, WIDTH * sizeof *x) == 0);
  char *run[] = {prog, "--in", in, "--out", out, NULL};
  ck_assert(tu_run_ok("running the bundle", run, 600, NULL));
  size_t len;
  float *got = tu_read_file(out, &len);
  ck_assert_msg(got && len == WIDTH * sizeof *y, "%s: %zu bytes, want %zu", out, got ? len : 0, WIDTH * sizeof *y);
  memcpy(y, got, WIDTH * sizeof *y);
  free(got);
  free(in);
  free(out);
}

/* The chain in double precision. */
static void chain_reference(int n, const float *x, float *y) {
  for (int j = 0; j < WIDTH; j++) {
    double v = x[j];
    for (int i = 0; i < n; i++) {
      switch (i % 8) {
      case 0: v *= 0.5; break;
      case 1: v = tanh(v); break;
      case 2: v += 0.25; break;
      case 3: v -= 0.125; break;
      case 4: v = erf(v); break;
      case 5: v /= 2.0; break;
      case 6: v = -v; break;
      default: v = 1.0 / (1.0 + exp(-v)); break;
      }
    }
    y[j] = (float)v;
  }
}

START_TEST(test_chain) {
  char *work = tu_printf("%s/tests/chain/%d", VITC_BINARY_DIR, n_nodes), *model = tu_printf("%s/chain.onnx", work);
  tu_rm_rf(work);
  ck_assert(tu_mkdir_p(work) == 0);
  ck_assert_msg(write_chain(n_nodes, model) == 0, "cannot write %s", model);
  char *vitc = VITC_BINARY_DIR "/vitc";
  /* every target compiles and validates */
  for (int i = 0; target_at(i); i++) {
    const Target *t = target_at(i);
    char *bundle = tu_printf("%s/%s", work, t->name), *what = tu_printf("vitc compile (%s)", t->name);
    char *compile[] = {vitc, "compile", model, "-o", bundle, "--main", "--quiet", "--target", (char *)t->name, NULL};
    double secs;
    ck_assert_msg(tu_run_ok(what, compile, 600, &secs), "%s failed", what);
    printf("chain of %d nodes: %s: %.2f s\n", n_nodes, what, secs);
    char *report;
    int bad = tu_validate_bundle(vitc, t, NULL, bundle, &report);
    ck_assert_msg(bad == 0, "vitc validate (%s): %s", t->name, report ? report : "");
    free(bundle);
    free(what);
  }
  /* the scalar bundle runs and matches the chain computed here */
  const Target *scalar = target_find("scalar");
  Platform p;
  char *why = tu_target_platform(scalar, &p);
  ck_assert_msg(why == NULL, "the scalar target cannot run here: %s", why);
  char *bundle = tu_printf("%s/scalar", work), *prog = tu_printf("%s/prog", work);
  RunResult r;
  ck_assert(tu_build_bundle(&p, "-O0", bundle, prog, 1200, &r) == 0);
  ck_assert_msg(r.exited && r.status == 0 && !r.err[0], "building the bundle failed or warned:\n%.3000s", r.err);
  printf("chain of %d nodes: %s -O0: %.2f s\n", n_nodes, p.cc, r.secs);
  tu_run_free(&r);
  float x[WIDTH], want[WIDTH], got[WIDTH];
  for (int j = 0; j < WIDTH; j++) x[j] = (float)(j - WIDTH / 2) / 8.0f; /* -4 .. 3.9 */
  chain_reference(n_nodes, x, want);
  run_chain_prog(work, prog, x, got);
  CompareResult cr;
  tu_compare(DT_FLOAT, got, want, WIDTH, RTOL, &cr);
  printf("chain of %d nodes: scalar bundle vs the chain in double: max_abs_err %.3g max_abs_ref %.4g tol %.3g: %s\n",
         n_nodes, cr.max_err, cr.max_ref, cr.tol, cr.ok ? "ok" : cr.why);
  ck_assert_msg(cr.ok, "%s", cr.why);
  free(bundle);
  free(prog);
  free(model);
  free(work);
}
END_TEST

/* The chain of views (scales false) or of scales by 2 and 0.5, then a Relu, gives
 * relu(x) bit for bit. */
static void check_relu_chain(bool scales) {
  const char *what = scales ? "scales" : "views";
  char *work = tu_printf("%s/tests/chain/%s%d", VITC_BINARY_DIR, what, n_nodes), *model = tu_printf("%s/%s.onnx", work, what);
  tu_rm_rf(work);
  ck_assert(tu_mkdir_p(work) == 0);
  ck_assert_msg(write_relu_chain(n_nodes, scales, model) == 0, "cannot write %s", model);
  char *vitc = VITC_BINARY_DIR "/vitc", *bundle = tu_printf("%s/scalar", work), *prog = tu_printf("%s/prog", work);
  char *compile[] = {vitc, "compile", model, "-o", bundle, "--main", "--quiet", "--target", "scalar", NULL};
  double secs;
  ck_assert(tu_run_ok("vitc compile", compile, 600, &secs));
  printf("chain of %d %s: vitc compile (scalar): %.2f s\n", n_nodes, what, secs);
  Platform p;
  char *why = tu_target_platform(target_find("scalar"), &p);
  ck_assert_msg(why == NULL, "the scalar target cannot run here: %s", why);
  RunResult r;
  ck_assert(tu_build_bundle(&p, "-O0", bundle, prog, 1200, &r) == 0);
  ck_assert_msg(r.exited && r.status == 0 && !r.err[0], "building the bundle failed or warned:\n%.3000s", r.err);
  tu_run_free(&r);
  float x[WIDTH], want[WIDTH], got[WIDTH];
  const float net = scales && (n_nodes - 1) % 2 ? 2.0f : 1.0f; /* an odd number of scales ends on a 2 */
  for (int j = 0; j < WIDTH; j++) x[j] = (float)(j - WIDTH / 2) / 8.0f, want[j] = x[j] > 0 ? net * x[j] : 0;
  run_chain_prog(work, prog, x, got);
  ck_assert_msg(memcmp(got, want, sizeof want) == 0, "relu(x) through %d %s is not relu(x)", n_nodes, what);
  printf("chain of %d %s: the bundle gives relu(x) exactly\n", n_nodes, what);
}

START_TEST(test_view_chain) { check_relu_chain(false); }
END_TEST

/* fold_scale merges consecutive scales: it must do so in time linear in the chain */
START_TEST(test_scale_chain) { check_relu_chain(true); }
END_TEST

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  if (argc == 4 && strcmp(argv[1], "--write") == 0) {
    if (atoi(argv[2]) < 1 || write_chain(atoi(argv[2]), argv[3])) return fprintf(stderr, "check_chain: cannot write %s\n", argv[3]), 1;
    return 0;
  }
  if (argc == 3 && strcmp(argv[1], "--nodes") == 0) n_nodes = atoi(argv[2]);
  else if (argc != 1) {
    fprintf(stderr, "usage: check_chain [--nodes N] | --write N FILE\n");
    return 2;
  }
  if (n_nodes < 1) return fprintf(stderr, "check_chain: --nodes needs a count >= 1\n"), 2;
  const TTest *const tests[] = {
      test_chain,
      test_view_chain,
      test_scale_chain,
  };
  return tu_run_suite(tu_suite_of("chain", "chain", 3600, tests, sizeof tests / sizeof tests[0]));
}
