/* tests/check_fusion.c: the pattern and fusion passes (compiler/passes/fold_batchnorm.c,
 * recognize_layernorm.c, recognize_gelu.c, fuse_gemm_epilogue.c, eliminate_zero_attention.c).
 *
 * Graph tests build each pattern with the graph API (real shape inference through
 * fold_constants first), run the pass, and check that it fired and what remains:
 * which op replaced the pattern, its inputs, attributes and output tensor. Each
 * pattern also has cases that must not fire: an intermediate with another reader,
 * a graph output in the middle, constants off by more than the tolerance, axes
 * that are not the trailing ones, a conv with too few output channels, a gate that
 * broadcasts, a BatchNormalization whose statistics are not constants.
 *
 * Model tests compile each model of `models` below in-process twice, with every
 * pattern pass and with none (vitc_skip_passes), print how many nodes each pass
 * removes (the pipeline run without that one pass against the full pipeline),
 * check the passes fired where the model has the pattern (the counts in the
 * table), then, for every target this process tests, build both bundles, run them
 * on ONNX Runtime's generated input (a sample's shipped input) and compare fused
 * against unfused and both against ONNX Runtime within 1e-4 * max(1, max|ref|).
 * `check_fusion` runs the graph tests and the scalar and neon targets (neon cross-
 * built and run under qemu-aarch64), `check_fusion --isa avx2|avx512` that ISA's
 * target, exiting 77 where this CPU lacks it. Without node + onnxruntime-node or
 * the cross tools (the setup installs them) the test fails. */
#define _GNU_SOURCE
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_runner.h"
#include "emit/emit.h"
#include "emit/target.h"
#include "ir/diag.h"
#include "ir/graph.h"
#include "onnx/load.h"
#include "ops/op.h"
#include "passes/passes.h"
#include "plan/plan.h"
#include "mkonnx.h"
#include "testutil.h"

#define VITC_GEMM_EPILOGUE_CODES_ONLY
#include "gemm/f32-gemm-epilogue.c" /* the activation codes vitc.Gemm's attributes hold */
#undef VITC_GEMM_EPILOGUE_CODES_ONLY

/* ---- building graphs ---- */

/* new_graph, add_input, add_const_f32, add_const_i64, mark_output, live, the, NODE_TO: tests/mkonnx.h */
static int scalar(Graph *g, const char *name, float v) { return add_const_f32(g, name, 0, NULL, &v); }


static void set_axes(Graph *g, int t, int n, const int64_t *axes) {
  Attr *a = node_add_attr(g, g->t[t].producer, "axes", ATTR_INTS);
  a->n = n;
  a->ints = xmalloc((unsigned long)n * sizeof(int64_t));
  memcpy(a->ints, axes, (size_t)n * sizeof(int64_t));
}


/* Shape inference as the pipeline does it first. */
static void infer_shapes(Graph *g) { ck_assert_int_ge(pass_fold_constants(g), 0); }

/* After a pass: compact and verify like the pipeline. */
static void settle(Graph *g) {
  graph_compact(g);
  graph_verify(g, "test");
  for (int i = 0; i < g->nn; i++)
    for (int o = 0; o < g->n[i].n_out; o++)
      if (g->n[i].out[o] >= 0) ck_assert(g->t[g->n[i].out[o]].typed);
}

/* Shape inference, fold_batchnorm (which must fire), then rewrite_gemm_epilogue, each
 * settled; *before gets the live nodes between the two. Returns the rewrite's result. */
static int bn_folded_then_epilogue(Graph *g, int *before) {
  infer_shapes(g);
  ck_assert_int_eq(pass_fold_batchnorm(g), 1);
  settle(g);
  *before = live_nodes(g);
  int rc = rewrite_gemm_epilogue(g);
  settle(g);
  return rc;
}

/* Shape inference, then rewrite_gemm_epilogue must fire; the graph settled after it. */
static void epilogue_fires(Graph *g) {
  infer_shapes(g);
  ck_assert_int_eq(rewrite_gemm_epilogue(g), 1);
  settle(g);
}

static const float *cdata(const Graph *g, int t) {
  ck_assert_int_ge(t, 0);
  ck_assert_ptr_nonnull(g->t[t].data);
  return g->t[t].data;
}

/* ---------------- LayerNorm ---------------- */

enum {
  LN_SQ_MUL = 1,      /* Mul(d, d) instead of Pow(d, 2) */
  LN_RECIP = 2,       /* Mul(d, Reciprocal(Sqrt(ve))) */
  LN_RSQRT_POW = 4,   /* Mul(Pow(ve, -0.5), d) */
  LN_NO_AFFINE = 8,   /* no scale, no bias */
  LN_SCALE_RANK3 = 16,/* scale [1,1,C] */
  LN_EPS_FIRST = 32,  /* Add(eps, v) */
  LN_DIV_ONE = 64,    /* Mul(d, Div(1, Sqrt(ve))) */
};

static const int64_t xd[3] = {1, 5, 8};
static const float lscale[8] = {1, 2, 3, 4, 5, 6, 7, 8}, lbias[8] = {8, 7, 6, 5, 4, 3, 2, 1};

typedef struct Ln {
  int x, d, n, z; /* input, centered, normalized, output */
  int scale, bias;
} Ln;

/* torch's opset-13 LayerNorm(8) on x [1,5,8], in the variant `v`. */
static Ln build_ln(Graph *g, int v) {
  Ln l;
  l.x = add_input(g, "x", 3, xd);
  int64_t ax = -1;
  int m = NODE_TO(g, OP_ReduceMean, "/norm/ReduceMean", "m", l.x);
  set_axes(g, m, 1, &ax);
  l.d = NODE_TO(g, OP_Sub, "/norm/Sub", "d", l.x, m);
  int p = v & LN_SQ_MUL ? NODE_TO(g, OP_Mul, "/norm/Sq", "p", l.d, l.d)
                        : NODE_TO(g, OP_Pow, "/norm/Pow", "p", l.d, scalar(g, "two", 2.0f));
  int var = NODE_TO(g, OP_ReduceMean, "/norm/ReduceMean_1", "var", p);
  set_axes(g, var, 1, &ax);
  int eps = scalar(g, "eps", 1e-6f);
  int ve = v & LN_EPS_FIRST ? NODE_TO(g, OP_Add, "/norm/Add", "ve", eps, var) : NODE_TO(g, OP_Add, "/norm/Add", "ve", var, eps);
  if (v & LN_RSQRT_POW) {
    int r = NODE_TO(g, OP_Pow, "/norm/Rsqrt", "r", ve, scalar(g, "mhalf", -0.5f));
    l.n = NODE_TO(g, OP_Mul, "/norm/Mul_r", "n", r, l.d);
  } else {
    int s = NODE_TO(g, OP_Sqrt, "/norm/Sqrt", "s", ve);
    if (v & LN_RECIP) l.n = NODE_TO(g, OP_Mul, "/norm/Mul_r", "n", l.d, NODE_TO(g, OP_Reciprocal, "/norm/Recip", "r", s));
    else if (v & LN_DIV_ONE)
      l.n = NODE_TO(g, OP_Mul, "/norm/Mul_r", "n", l.d, NODE_TO(g, OP_Div, "/norm/Recip", "r", scalar(g, "one", 1.0f), s));
    else l.n = NODE_TO(g, OP_Div, "/norm/Div", "n", l.d, s);
  }
  l.z = l.n;
  l.scale = l.bias = -1;
  if (!(v & LN_NO_AFFINE)) {
    l.scale = v & LN_SCALE_RANK3 ? add_const_f32(g, "w", 3, (int64_t[]){1, 1, 8}, lscale) : add_const_f32(g, "w", 1, (int64_t[]){8}, lscale);
    l.bias = add_const_f32(g, "b", 1, (int64_t[]){8}, lbias);
    l.z = NODE_TO(g, OP_Add, "/norm/Add_1", "z", l.bias, NODE_TO(g, OP_Mul, "/norm/Mul", "y", l.scale, l.n));
  }
  return l;
}

static void check_ln(Graph *g, const Ln *l, int v) {
  Node *n = the(g, OP_LayerNormalization);
  ck_assert_int_eq(live_nodes(g), 1);
  ck_assert_str_eq(n->name, "/norm/LayerNormalization");
  ck_assert_int_eq(n->n_out, 1);
  ck_assert_int_eq(n->out[0], l->z);
  ck_assert_int_eq(n->in[0], l->x);
  ck_assert_int_eq(attr_int(n, "axis", 0), -1);
  ck_assert_float_eq(attr_float(n, "epsilon", 0), 1e-6f);
  if (v & LN_NO_AFFINE) {
    ck_assert_int_eq(n->n_in, 2);
    ck_assert_int_eq(shape_numel(&g->t[n->in[1]].shape), 1);
    ck_assert_float_eq(cdata(g, n->in[1])[0], 1.0f);
  } else {
    ck_assert_int_eq(n->n_in, 3);
    ck_assert_int_eq(n->in[2], l->bias);
    if (v & LN_SCALE_RANK3) {
      ck_assert_int_ne(n->in[1], l->scale); /* a [8] copy */
      ck_assert_int_eq(g->t[n->in[1]].shape.rank, 1);
    } else {
      ck_assert_int_eq(n->in[1], l->scale);
    }
    ck_assert_mem_eq(cdata(g, n->in[1]), lscale, sizeof lscale);
  }
}

START_TEST(test_layernorm_variants) {
  static const int variants[] = {0, LN_SQ_MUL, LN_RECIP, LN_RSQRT_POW, LN_NO_AFFINE, LN_SCALE_RANK3, LN_EPS_FIRST,
                                 LN_DIV_ONE, LN_SQ_MUL | LN_RECIP | LN_EPS_FIRST};
  for (size_t i = 0; i < sizeof variants / sizeof variants[0]; i++) {
    Graph *g = new_graph(13);
    Ln l = build_ln(g, variants[i]);
    mark_output(g, l.z);
    infer_shapes(g);
    ck_assert_msg(pass_recognize_layernorm(g) == 1, "variant %d did not fire", variants[i]);
    settle(g);
    check_ln(g, &l, variants[i]);
    ck_assert_int_eq(pass_recognize_layernorm(g), 0);
    graph_free(g);
  }
}
END_TEST

START_TEST(test_layernorm_in_context) {
  /* Relu -> LN -> Relu, LN output read by two nodes: fires, both read the LN */
  Graph *g = new_graph(13);
  Ln l = build_ln(g, 0);
  int x0 = add_input(g, "x0", 3, xd);
  /* make x computed: redirect the LN's input to Relu(x0) */
  int rx = NODE_TO(g, OP_Relu, "pre", "rx", x0);
  graph_replace_uses(g, l.x, rx);
  mark_output(g, NODE_TO(g, OP_Relu, "post1", "o1", l.z));
  mark_output(g, NODE_TO(g, OP_Relu, "post2", "o2", l.z));
  ck_assert_int_eq(graph_toposort(g), 0);
  infer_shapes(g);
  ck_assert_int_eq(pass_recognize_layernorm(g), 1);
  settle(g);
  Node *n = the(g, OP_LayerNormalization);
  ck_assert_int_eq(n->in[0], rx);
  ck_assert_int_eq(live(g, OP_Relu), 3);
  ck_assert_int_eq(live_nodes(g), 4);
  graph_free(g);
}
END_TEST

START_TEST(test_layernorm_not_fired) {
  for (int c = 0; c < 6; c++) {
    Graph *g = new_graph(13);
    Ln l = build_ln(g, 0);
    mark_output(g, l.z);
    const char *what = "";
    switch (c) {
    case 0: what = "centered value read elsewhere"; mark_output(g, NODE_TO(g, OP_Relu, "spy", "spy", l.d)); break;
    case 1: what = "the square root is a graph output"; mark_output(g, graph_find_tensor(g, "s")); break;
    case 2: { /* variance read elsewhere */
      what = "variance read elsewhere";
      mark_output(g, NODE_TO(g, OP_Relu, "spy", "spy", graph_find_tensor(g, "var")));
      break;
    }
    case 3: { /* mean over axis 1, not the trailing one */
      what = "mean over a non-trailing axis";
      for (int i = 0; i < g->nn; i++)
        if (g->n[i].op == OP_ReduceMean) g->n[i].attr[0].ints[0] = 1;
      break;
    }
    case 4: { /* Pow(d, 3) */
      what = "cube instead of square";
      *(float *)g->t[graph_find_tensor(g, "two")].data = 3.0f;
      break;
    }
    case 5: { /* eps not one element */
      what = "eps of 8 elements";
      Node *a = NULL;
      for (int i = 0; i < g->nn; i++)
        if (strcmp(g->n[i].name, "/norm/Add") == 0) a = &g->n[i];
      a->in[1] = add_const_f32(g, "eps8", 1, (int64_t[]){8}, lscale);
      break;
    }
    }
    infer_shapes(g);
    int nn = live_nodes(g);
    ck_assert_msg(pass_recognize_layernorm(g) == 0, "fired with %s", what);
    ck_assert_int_eq(live_nodes(g), nn);
    ck_assert_int_eq(live(g, OP_LayerNormalization), 0);
    graph_free(g);
  }
}
END_TEST

START_TEST(test_layernorm_output_read_twice) {
  /* the normalized value is a graph output and read by the scale: the LayerNorm ends there */
  Graph *g = new_graph(13);
  Ln l = build_ln(g, 0);
  mark_output(g, l.z);
  mark_output(g, l.n);
  infer_shapes(g);
  ck_assert_int_eq(pass_recognize_layernorm(g), 1);
  settle(g);
  Node *n = the(g, OP_LayerNormalization);
  ck_assert_int_eq(n->out[0], l.n);
  ck_assert_int_eq(n->n_in, 2);
  ck_assert_int_eq(live(g, OP_Mul), 1);
  ck_assert_int_eq(live(g, OP_Add), 1);
  ck_assert_int_eq(live_nodes(g), 3);
  graph_free(g);
}
END_TEST

START_TEST(test_layernorm_scale_not_per_column) {
  /* a scale that varies per row ([5,8]) is not LayerNorm's: the pattern stops before it */
  Graph *g = new_graph(13);
  Ln l = build_ln(g, LN_NO_AFFINE);
  float rows[40];
  for (int i = 0; i < 40; i++) rows[i] = (float)i;
  int w = add_const_f32(g, "w58", 2, (int64_t[]){5, 8}, rows);
  int y = NODE_TO(g, OP_Mul, "/norm/Mul", "y", l.n, w);
  mark_output(g, y);
  infer_shapes(g);
  ck_assert_int_eq(pass_recognize_layernorm(g), 1);
  settle(g);
  Node *n = the(g, OP_LayerNormalization);
  ck_assert_int_eq(n->out[0], l.n);
  Node *m = the(g, OP_Mul);
  ck_assert_int_eq(m->in[0], l.n);
  ck_assert_int_eq(m->in[1], w);
  graph_free(g);
}
END_TEST

/* ---------------- GELU ---------------- */

enum { G_TORCH, G_MUL_RSQRT2, G_HALF_X_FIRST, G_HALF_A_FIRST, G_TANH_MULMUL, G_TANH_POW };

typedef struct Ge {
  int x, y;
} Ge;

static const int64_t gd[2] = {3, 16};

/* 0.5 * x * a, in the ordering of `form`; a = 1 + erf(...) or 1 + tanh(...). */
static int product(Graph *g, int form, int x, int a) {
  if (form == G_HALF_X_FIRST)
    return NODE_TO(g, OP_Mul, "/act/Mul_1", "y", NODE_TO(g, OP_Mul, "/act/Mul", "hx", scalar(g, "half", 0.5f), x), a);
  if (form == G_HALF_A_FIRST)
    return NODE_TO(g, OP_Mul, "/act/Mul_1", "y", x, NODE_TO(g, OP_Mul, "/act/Mul", "ha", a, scalar(g, "half", 0.5f)));
  return NODE_TO(g, OP_Mul, "/act/Mul_1", "y", NODE_TO(g, OP_Mul, "/act/Mul", "xa", x, a), scalar(g, "half", 0.5f));
}

static Ge build_gelu(Graph *g, int form, float k) {
  Ge r;
  int x0 = add_input(g, "x0", 2, gd);
  r.x = NODE_TO(g, OP_Relu, "/fc1/pre", "x", x0); /* the GELU input is computed, as in a model */
  int a;
  if (form == G_TANH_MULMUL || form == G_TANH_POW) {
    int c = form == G_TANH_POW ? NODE_TO(g, OP_Pow, "/act/Pow", "c", r.x, scalar(g, "three", 3.0f))
                               : NODE_TO(g, OP_Mul, "/act/Mul_c", "c", r.x, NODE_TO(g, OP_Mul, "/act/Mul_s", "s", r.x, r.x));
    int kc = NODE_TO(g, OP_Mul, "/act/Mul_k", "kc", scalar(g, "k044", 0.044715f), c);
    int i = NODE_TO(g, OP_Add, "/act/Add_i", "i", r.x, kc);
    int t = NODE_TO(g, OP_Tanh, "/act/Tanh", "t", NODE_TO(g, OP_Mul, "/act/Mul_t", "ti", scalar(g, "k", k), i));
    a = NODE_TO(g, OP_Add, "/act/Add_1", "a", scalar(g, "one", 1.0f), t);
  } else {
    int u = form == G_MUL_RSQRT2 ? NODE_TO(g, OP_Mul, "/act/Div", "u", scalar(g, "k", k), r.x)
                                 : NODE_TO(g, OP_Div, "/act/Div", "u", r.x, scalar(g, "k", k));
    a = NODE_TO(g, OP_Add, "/act/Add", "a", NODE_TO(g, OP_Erf, "/act/Erf", "e", u), scalar(g, "one", 1.0f));
  }
  r.y = product(g, form, r.x, a);
  return r;
}

static float exact_k(int form) {
  if (form == G_TANH_MULMUL || form == G_TANH_POW) return 0.7978845608f;
  return form == G_MUL_RSQRT2 ? 0.70710678f : 1.4142135f;
}

START_TEST(test_gelu_forms) {
  static const int forms[] = {G_TORCH, G_MUL_RSQRT2, G_HALF_X_FIRST, G_HALF_A_FIRST, G_TANH_MULMUL, G_TANH_POW};
  for (size_t f = 0; f < sizeof forms / sizeof forms[0]; f++) {
    Graph *g = new_graph(17);
    Ge e = build_gelu(g, forms[f], exact_k(forms[f]));
    mark_output(g, NODE_TO(g, OP_Relu, "/fc2/post", "out", e.y));
    infer_shapes(g);
    ck_assert_msg(pass_recognize_gelu(g) == 1, "form %d did not fire", forms[f]);
    settle(g);
    Node *n = the(g, OP_Gelu);
    ck_assert_int_eq(live_nodes(g), 3); /* Relu, Gelu, Relu */
    ck_assert_int_eq(n->n_in, 1);
    ck_assert_int_eq(n->in[0], e.x);
    ck_assert_int_eq(n->out[0], e.y);
    ck_assert_str_eq(n->name, "/act/Gelu");
    bool tanh_form = forms[f] == G_TANH_MULMUL || forms[f] == G_TANH_POW;
    ck_assert_str_eq(attr_str(n, "approximate", "none"), tanh_form ? "tanh" : "none");
    /* Gelu's own shape inference accepts it below opset 20 */
    g->opset = 13;
    g->t[n->out[0]].typed = false;
    ck_assert_int_eq(op_impl(OP_Gelu)->infer(g, n), 0);
    ck_assert(shape_eq(&g->t[n->out[0]].shape, &g->t[e.x].shape));
    graph_free(g);
  }
}
END_TEST

START_TEST(test_gelu_tolerance) {
  /* constants within 1e-6 relative fire; 1e-5 off does not */
  for (int form = G_TORCH; form <= G_TANH_POW; form++) {
    for (int off = 0; off < 2; off++) {
      Graph *g = new_graph(17);
      float k = exact_k(form) * (off ? 1.00001f : 1.0000005f);
      Ge e = build_gelu(g, form, k);
      mark_output(g, e.y);
      infer_shapes(g);
      ck_assert_msg(pass_recognize_gelu(g) == !off, "form %d, k = %.9g", form, (double)k);
      graph_free(g);
    }
  }
}
END_TEST

START_TEST(test_gelu_not_fired) {
  static const char *spies[] = {"u", "e", "a", "xa", "c", "kc", "ti", "t"};
  for (size_t s = 0; s < sizeof spies / sizeof spies[0]; s++) {
    for (int as_output = 0; as_output < 2; as_output++) {
      int form = s >= 4 ? G_TANH_MULMUL : G_TORCH;
      Graph *g = new_graph(17);
      Ge e = build_gelu(g, form, exact_k(form));
      mark_output(g, e.y);
      int t = graph_find_tensor(g, spies[s]);
      ck_assert_int_ge(t, 0);
      if (as_output) mark_output(g, t);
      else mark_output(g, NODE_TO(g, OP_Relu, "spy", "spy", t));
      infer_shapes(g);
      ck_assert_msg(pass_recognize_gelu(g) == 0, "fired although '%s' is %s", spies[s],
                    as_output ? "a graph output" : "read elsewhere");
      graph_free(g);
    }
  }
  /* the square x*x must be of x itself */
  Graph *g = new_graph(17);
  Ge e = build_gelu(g, G_TANH_MULMUL, exact_k(G_TANH_MULMUL));
  mark_output(g, e.y);
  int other = add_input(g, "other", 2, gd);
  for (int i = 0; i < g->nn; i++)
    if (strcmp(g->n[i].name, "/act/Mul_s") == 0) g->n[i].in[1] = other;
  infer_shapes(g);
  ck_assert_int_eq(pass_recognize_gelu(g), 0);
  graph_free(g);
}
END_TEST

/* ---------------- GEMM epilogue ---------------- */

static const int64_t ad[3] = {1, 4, 3};

static int weights(Graph *g, const char *name, int64_t k, int64_t n) {
  float w[64];
  for (int i = 0; i < k * n; i++) w[i] = (float)(i + 1);
  return add_const_f32(g, name, 2, (int64_t[]){k, n}, w);
}

START_TEST(test_gemm_full_epilogue) {
  /* fc1: MatMul + bias + Gelu; fc2: MatMul + bias + residual */
  Graph *g = new_graph(17);
  int x = add_input(g, "x", 3, ad);
  int h = NODE_TO(g, OP_Relu, "/blk/pre", "h", x);
  float b1[5] = {1, 2, 3, 4, 5}, b2[3] = {1, 2, 3};
  int y1 = NODE_TO(g, OP_MatMul, "/blk/fc1/MatMul", "y1", h, weights(g, "w1", 3, 5));
  int bias1 = add_const_f32(g, "b1", 1, (int64_t[]){5}, b1);
  int z1 = NODE_TO(g, OP_Add, "/blk/fc1/Add", "z1", bias1, y1);
  int gl = NODE_TO(g, OP_Gelu, "/blk/act/Gelu", "gl", z1);
  int y2 = NODE_TO(g, OP_MatMul, "/blk/fc2/MatMul", "y2", gl, weights(g, "w2", 5, 3));
  int bias2 = add_const_f32(g, "b2", 3, (int64_t[]){1, 1, 3}, b2);
  int z2 = NODE_TO(g, OP_Add, "/blk/fc2/Add", "z2", y2, bias2);
  int out = NODE_TO(g, OP_Add, "/blk/Add", "out", h, z2);
  mark_output(g, out);
  epilogue_fires(g);
  ck_assert_int_eq(live(g, OP_VitcGemm), 2);
  ck_assert_int_eq(live_nodes(g), 3);
  Node *f1 = &g->n[1], *f2 = &g->n[2];
  ck_assert_int_eq(f1->op, OP_VitcGemm);
  ck_assert_str_eq(f1->name, "/blk/fc1/Gemm");
  ck_assert_int_eq(f1->n_in, 3);
  ck_assert_int_eq(f1->in[0], h);
  ck_assert_int_eq(f1->in[1], graph_find_tensor(g, "w1"));
  ck_assert_int_eq(f1->in[2], bias1);
  ck_assert_int_eq(f1->out[0], gl);
  ck_assert_int_eq(attr_int(f1, "activation", -1), 1);
  ck_assert_int_eq(f2->n_in, 4);
  ck_assert_int_eq(f2->in[0], gl);
  ck_assert_int_eq(g->t[f2->in[2]].shape.rank, 1); /* [1,1,3] bias as [3] */
  ck_assert_mem_eq(cdata(g, f2->in[2]), b2, sizeof b2);
  ck_assert_int_eq(f2->in[3], h);
  ck_assert_int_eq(f2->out[0], out);
  ck_assert_int_eq(attr_int(f2, "activation", -1), 0);
  ck_assert_int_eq(rewrite_gemm_epilogue(g), 0);
  graph_free(g);
}
END_TEST

START_TEST(test_gemm_onnx_gemm_transb) {
  /* Gemm(A [2,3], B [4,3] transB, C [4]) + Relu -> W = B^T [3,4] */
  Graph *g = new_graph(17);
  int x = add_input(g, "x", 2, (int64_t[]){2, 3});
  float bt[12], c[4] = {1, 2, 3, 4};
  for (int i = 0; i < 12; i++) bt[i] = (float)i;
  int b = add_const_f32(g, "B", 2, (int64_t[]){4, 3}, bt);
  int y = NODE_TO(g, OP_Gemm, "/head/Gemm", "y", x, b, add_const_f32(g, "C", 1, (int64_t[]){4}, c));
  node_add_attr(g, g->t[y].producer, "transB", ATTR_INT)->i = 1;
  int r = NODE_TO(g, OP_Relu, "/head/Relu", "r", y);
  mark_output(g, r);
  epilogue_fires(g);
  Node *n = the(g, OP_VitcGemm);
  ck_assert_int_eq(live_nodes(g), 1);
  ck_assert_int_eq(n->out[0], r);
  ck_assert_int_eq(attr_int(n, "activation", -1), 3);
  const Tensor *w = &g->t[n->in[1]];
  ck_assert_int_eq(w->shape.rank, 2);
  ck_assert_int_eq(w->shape.d[0], 3);
  ck_assert_int_eq(w->shape.d[1], 4);
  for (int k = 0; k < 3; k++)
    for (int j = 0; j < 4; j++) ck_assert_float_eq(((const float *)w->data)[k * 4 + j], bt[j * 3 + k]);
  ck_assert_mem_eq(cdata(g, n->in[2]), c, sizeof c);
  graph_free(g);

  /* alpha != 1 or transA: left alone */
  for (int v = 0; v < 2; v++) {
    g = new_graph(17);
    x = add_input(g, "x", 2, (int64_t[]){3, 3});
    b = add_const_f32(g, "B", 2, (int64_t[]){3, 3}, bt);
    y = NODE_TO(g, OP_Gemm, "/head/Gemm", "y", x, b);
    node_add_attr(g, g->t[y].producer, v ? "transA" : "alpha", v ? ATTR_INT : ATTR_FLOAT)->f = 2.0f;
    if (v) g->n[g->t[y].producer].attr[0].i = 1;
    mark_output(g, y);
    infer_shapes(g);
    ck_assert_int_eq(rewrite_gemm_epilogue(g), 0);
    graph_free(g);
  }
}
END_TEST

START_TEST(test_gemm_partial) {
  /* the biased output is read twice: the fusion stops there, the Gelu stays */
  Graph *g = new_graph(17);
  int x = add_input(g, "x", 3, ad);
  float b1[5] = {1, 2, 3, 4, 5};
  int y1 = NODE_TO(g, OP_MatMul, "/fc1/MatMul", "y1", x, weights(g, "w1", 3, 5));
  int z1 = NODE_TO(g, OP_Add, "/fc1/Add", "z1", y1, add_const_f32(g, "b1", 1, (int64_t[]){5}, b1));
  int gl = NODE_TO(g, OP_Gelu, "/act/Gelu", "gl", z1);
  mark_output(g, gl);
  mark_output(g, NODE_TO(g, OP_Relu, "spy", "spy", z1));
  epilogue_fires(g);
  Node *n = the(g, OP_VitcGemm);
  ck_assert_int_eq(n->out[0], z1);
  ck_assert_int_eq(attr_int(n, "activation", -1), 0);
  ck_assert_int_eq(live(g, OP_Gelu), 1);
  graph_free(g);

  /* weights computed at run time: nothing; a residual that broadcasts: not taken */
  g = new_graph(17);
  x = add_input(g, "x", 3, ad);
  int wv = add_input(g, "wv", 2, (int64_t[]){3, 3});
  mark_output(g, NODE_TO(g, OP_MatMul, "mm", "y", x, wv));
  int y = NODE_TO(g, OP_MatMul, "mm2", "y2", x, weights(g, "w", 3, 3));
  int small = add_input(g, "small", 1, (int64_t[]){3});
  int out = NODE_TO(g, OP_Add, "res", "out", y, small);
  mark_output(g, out);
  epilogue_fires(g);
  n = the(g, OP_VitcGemm);
  ck_assert_int_eq(n->n_in, 2);
  ck_assert_int_eq(n->out[0], y);
  ck_assert_int_eq(live(g, OP_MatMul), 1);
  ck_assert_int_eq(live(g, OP_Add), 1);
  graph_free(g);
}
END_TEST

START_TEST(test_gemm_pass_waits_for_impl) {
  Graph *g = new_graph(17);
  int x = add_input(g, "x", 3, ad);
  mark_output(g, NODE_TO(g, OP_MatMul, "mm", "y", x, weights(g, "w", 3, 3)));
  infer_shapes(g);
  int rc = pass_fuse_gemm_epilogue(g);
  if (op_impl(OP_VitcGemm)->infer) {
    ck_assert_int_eq(rc, 1);
    ck_assert_int_eq(live(g, OP_VitcGemm), 1);
  } else {
    printf("fuse_gemm_epilogue: vitc.Gemm has no implementation yet: the pass is a no-op (rewrite tested alone)\n");
    ck_assert_int_eq(rc, 0);
    ck_assert_int_eq(live(g, OP_MatMul), 1);
  }
  graph_free(g);
}
END_TEST

/* SiLU, sigmoid and the two gate forms after a product; A as a column range of a wider tensor */
START_TEST(test_gemm_silu_sigmoid_gates) {
  for (int v = 0; v < 4; v++) {
    Graph *g = new_graph(17);
    int x = add_input(g, "x", 3, ad), other = add_input(g, "other", 3, (int64_t[]){1, 4, 5});
    int y = NODE_TO(g, OP_MatMul, "/fc/MatMul", "y", x, weights(g, "w", 3, 5));
    int out = -1, want_act = 0, want_gate = 0, gate_src = -1;
    switch (v) {
    case 0: /* SiLU: y * Sigmoid(y) */
      out = NODE_TO(g, OP_Mul, "/act/Mul", "out", y, NODE_TO(g, OP_Sigmoid, "/act/Sigmoid", "s", y));
      want_act = 4;
      break;
    case 1: /* x * Sigmoid(acc): the sigmoid activation gated by x */
      out = NODE_TO(g, OP_Mul, "/gate/Mul", "out", other, NODE_TO(g, OP_Sigmoid, "/act/Sigmoid", "s", y));
      want_act = 5, want_gate = 1, gate_src = other;
      break;
    case 2: /* acc * Sigmoid(x) */
      out = NODE_TO(g, OP_Mul, "/gate/Mul", "out", y, NODE_TO(g, OP_Sigmoid, "/gate/Sigmoid", "s", other));
      want_gate = 2, gate_src = other;
      break;
    case 3: /* SiLU, then gated by x, then a residual */
      out = NODE_TO(g, OP_Mul, "/act/Mul", "si", NODE_TO(g, OP_Sigmoid, "/act/Sigmoid", "s", y), y);
      out = NODE_TO(g, OP_Mul, "/gate/Mul", "gt", out, other);
      out = NODE_TO(g, OP_Add, "/res/Add", "out", other, out);
      want_act = 4, want_gate = 1, gate_src = other;
      break;
    }
    mark_output(g, out);
    epilogue_fires(g);
    Node *n = the(g, OP_VitcGemm);
    ck_assert_msg(live_nodes(g) == 1, "form %d: %d nodes left", v, live_nodes(g));
    ck_assert_int_eq(n->out[0], out);
    ck_assert_int_eq(attr_int(n, "activation", -1), want_act);
    ck_assert_int_eq(attr_int(n, "gate", 0), want_gate);
    if (want_gate) {
      ck_assert_int_eq(n->n_in, 5);
      ck_assert_int_eq(n->in[4], gate_src);
      ck_assert_int_eq(n->in[3], v == 3 ? other : -1);
    }
    graph_free(g);
  }
  /* near-misses: the Sigmoid's output is read elsewhere (no SiLU: the Sigmoid and the Mul stay); a
   * constant "gate" (a scale, not a gate); a gate that broadcasts */
  for (int v = 0; v < 3; v++) {
    Graph *g = new_graph(17);
    int x = add_input(g, "x", 3, ad);
    int y = NODE_TO(g, OP_MatMul, "/fc/MatMul", "y", x, weights(g, "w", 3, 5));
    float c[20];
    for (int i = 0; i < 20; i++) c[i] = 0.5f;
    if (v == 0) {
      int sg = NODE_TO(g, OP_Sigmoid, "/act/Sigmoid", "s", y);
      mark_output(g, NODE_TO(g, OP_Mul, "/act/Mul", "out", y, sg));
      mark_output(g, NODE_TO(g, OP_Relu, "spy", "spy", sg));
    } else {
      int gt = v == 1 ? add_const_f32(g, "c", 3, (int64_t[]){1, 4, 5}, c) : add_input(g, "row", 3, (int64_t[]){1, 1, 5});
      mark_output(g, NODE_TO(g, OP_Mul, "/gate/Mul", "out", y, gt));
    }
    epilogue_fires(g);
    Node *n = the(g, OP_VitcGemm);
    ck_assert_msg(n->out[0] == y && attr_int(n, "activation", -1) == 0 && attr_int(n, "gate", 0) == 0,
                  "near-miss %d fused", v);
    ck_assert_int_eq(live(g, OP_Mul), 1);
    graph_free(g);
  }
  /* A = Slice of the last axis of a wider tensor: read in place (attribute a) */
  {
    Graph *g = new_graph(17);
    int x = add_input(g, "x", 3, (int64_t[]){1, 4, 8});
    int64_t st = 2, en = 5, ax = -1;
    int sl = NODE_TO(g, OP_Slice, "/sl", "sl", x, add_const_i64(g, "st", 1, &st), add_const_i64(g, "en", 1, &en),
                  add_const_i64(g, "ax", 1, &ax));
    int y = NODE_TO(g, OP_MatMul, "/fc/MatMul", "y", sl, weights(g, "w", 3, 5));
    mark_output(g, y);
    epilogue_fires(g);
    ck_assert_int_eq(pass_eliminate_dead(g), 1);
    settle(g);
    Node *n = the(g, OP_VitcGemm);
    ck_assert_int_eq(live_nodes(g), 1);
    ck_assert_int_eq(n->in[0], x);
    const int64_t *a;
    ck_assert_int_eq(attr_ints(n, "a", &a), 2);
    ck_assert_int_eq(a[0], 2);
    ck_assert_int_eq(a[1], 8);
    graph_free(g);
  }
}
END_TEST

/* Conv + BatchNormalization -> Conv (fold_batchnorm), then Conv + SiLU + residual -> vitc.Conv */
static int conv_with_bn(Graph *g, int x, int cout, bool with_bias) {
  float w[16 * 3 * 9], b[16], gm[16], bt[16], mu[16], var[16];
  for (int i = 0; i < cout * 27; i++) w[i] = (float)((i % 7) - 3) * 0.1f;
  for (int c = 0; c < cout; c++) b[c] = 0.1f * c, gm[c] = 1.0f + 0.05f * c, bt[c] = -0.2f, mu[c] = 0.3f, var[c] = 2.0f;
  int wt = add_const_f32(g, "cw", 4, (int64_t[]){cout, 3, 3, 3}, w);
  int y = with_bias ? NODE_TO(g, OP_Conv, "/stem/conv/Conv", "y", x, wt, add_const_f32(g, "cb", 1, (int64_t[]){cout}, b))
                    : NODE_TO(g, OP_Conv, "/stem/conv/Conv", "y", x, wt);
  int64_t pads[4] = {1, 1, 1, 1};
  Attr *pa = node_add_attr(g, g->t[y].producer, "pads", ATTR_INTS);
  pa->n = 4;
  pa->ints = xmalloc(sizeof pads);
  memcpy(pa->ints, pads, sizeof pads);
  return NODE_TO(g, OP_BatchNormalization, "/stem/bn/BatchNormalization", "z", y,
              add_const_f32(g, "gm", 1, (int64_t[]){cout}, gm), add_const_f32(g, "bt", 1, (int64_t[]){cout}, bt),
              add_const_f32(g, "mu", 1, (int64_t[]){cout}, mu), add_const_f32(g, "var", 1, (int64_t[]){cout}, var));
}

/* ConvTranspose (4 -> 6 channels, 2 groups, 2x2 stride 2) + BatchNormalization -> ConvTranspose
 * (fold_batchnorm): W (C_in, C/group, KH, KW) scaled by the output channel of its group; near-misses: the
 * ConvTranspose's output read elsewhere, a statistic that is an input */
START_TEST(test_convtranspose_bn) {
  const int64_t xd4[4] = {1, 4, 5, 5};
  float w[4 * 3 * 4], b[6], gm[6], bt[6], mu[6], var[6];
  for (int i = 0; i < 48; i++) w[i] = (float)((i % 5) - 2) * 0.25f;
  for (int c = 0; c < 6; c++) b[c] = 0.1f * c, gm[c] = 1.0f + 0.1f * c, bt[c] = 0.5f, mu[c] = -0.25f, var[c] = 3.0f;
  for (int v = 0; v < 3; v++) {
    Graph *g = new_graph(11);
    int x = add_input(g, "x", 4, xd4);
    int y = NODE_TO(g, OP_ConvTranspose, "/head/up/ConvTranspose", "y", x, add_const_f32(g, "tw", 4, (int64_t[]){4, 3, 2, 2}, w),
                    add_const_f32(g, "tb", 1, (int64_t[]){6}, b));
    Node *ct = &g->n[g->t[y].producer];
    Attr *ga = node_add_attr(g, g->t[y].producer, "group", ATTR_INT);
    ga->i = 2;
    Attr *sa = node_add_attr(g, g->t[y].producer, "strides", ATTR_INTS);
    sa->n = 2;
    sa->ints = xmalloc(2 * sizeof(int64_t));
    sa->ints[0] = sa->ints[1] = 2;
    (void)ct;
    int z = NODE_TO(g, OP_BatchNormalization, "/head/bn/BatchNormalization", "z", y,
                    add_const_f32(g, "gm", 1, (int64_t[]){6}, gm), add_const_f32(g, "bt", 1, (int64_t[]){6}, bt),
                    v == 2 ? add_input(g, "mean_in", 1, (int64_t[]){6}) : add_const_f32(g, "mu", 1, (int64_t[]){6}, mu),
                    add_const_f32(g, "var", 1, (int64_t[]){6}, var));
    mark_output(g, NODE_TO(g, OP_Relu, "/head/act/Relu", "out", z));
    if (v == 1) mark_output(g, NODE_TO(g, OP_Sigmoid, "spy", "spy", y));
    infer_shapes(g);
    if (v > 0) {
      ck_assert_msg(pass_fold_batchnorm(g) == 0, "fold %d fired", v);
      graph_free(g);
      continue;
    }
    ck_assert_int_eq(pass_fold_batchnorm(g), 1);
    settle(g);
    Node *cv = the(g, OP_ConvTranspose);
    ck_assert_int_eq(live(g, OP_BatchNormalization), 0);
    ck_assert_int_eq(cv->out[0], z);
    ck_assert_int_eq(attr_int(cv, "group", 1), 2);
    /* W'[ci = 3, co = 1, 1, 1] (a nonzero weight): group 1, output channel 3 + 1 = 4; b'[4] */
    double s = (1.0 + 0.1 * 4) / sqrt(3.0 + 1e-5);
    int k = (3 * 3 + 1) * 4 + 3;
    ck_assert_float_ne(w[k], 0.0f);
    ck_assert_float_eq_tol(cdata(g, cv->in[1])[k], (float)(((double)(k % 5) - 2) * 0.25 * s), 1e-6);
    ck_assert_float_eq_tol(cdata(g, cv->in[2])[4], (float)((0.4 + 0.25) * s + 0.5), 1e-6);
    /* W'[ci = 1, co = 2, 0, 1]: group 0, output channel 2 */
    s = (1.0 + 0.1 * 2) / sqrt(3.0 + 1e-5);
    k = (1 * 3 + 2) * 4 + 1;
    ck_assert_float_ne(w[k], 0.0f);
    ck_assert_float_eq_tol(cdata(g, cv->in[1])[k], (float)(((double)(k % 5) - 2) * 0.25 * s), 1e-6);
    graph_free(g);
  }
}
END_TEST

START_TEST(test_conv_bn_silu) {
  const int64_t xd4[4] = {1, 3, 6, 6};
  for (int bias = 0; bias < 2; bias++) {
    Graph *g = new_graph(17);
    int x = add_input(g, "x", 4, xd4);
    int z = conv_with_bn(g, x, 16, bias);
    int out = NODE_TO(g, OP_Mul, "/stem/act/Mul", "out", z, NODE_TO(g, OP_Sigmoid, "/stem/act/Sigmoid", "s", z));
    mark_output(g, out);
    infer_shapes(g);
    ck_assert_int_eq(pass_fold_batchnorm(g), 1);
    settle(g);
    Node *cv = the(g, OP_Conv);
    ck_assert_int_eq(live(g, OP_BatchNormalization), 0);
    ck_assert_int_eq(cv->out[0], z);
    ck_assert_int_eq(cv->n_in, 3);
    const int64_t *pads;
    ck_assert_int_eq(attr_ints(cv, "pads", &pads), 4); /* the geometry came along */
    /* W' and b' by their definition, channel 5 */
    double s = (1.0 + 0.05 * 5) / sqrt(2.0 + 1e-5);
    ck_assert_float_eq_tol(cdata(g, cv->in[1])[5 * 27 + 4], (float)(((double)((5 * 27 + 4) % 7) - 3) * 0.1f * s), 1e-6);
    ck_assert_float_eq_tol(cdata(g, cv->in[2])[5], (float)(((bias ? 0.5 : 0.0) - 0.3) * s - 0.2), 1e-6);
    ck_assert_int_eq(rewrite_gemm_epilogue(g), 1);
    settle(g);
    Node *vc = the(g, OP_VitcConv);
    ck_assert_int_eq(live_nodes(g), 1);
    ck_assert_int_eq(attr_int(vc, "activation", -1), 4);
    ck_assert_int_eq(attr_ints(vc, "pads", &pads), 4);
    ck_assert_int_eq(vc->out[0], out);
    graph_free(g);
  }
  /* near-misses for the fold: the conv output is also read elsewhere; the BN statistics are inputs */
  for (int v = 0; v < 2; v++) {
    Graph *g = new_graph(17);
    int x = add_input(g, "x", 4, xd4);
    int z = conv_with_bn(g, x, 16, true);
    mark_output(g, z);
    Node *bn = &g->n[g->t[z].producer];
    if (v == 0) mark_output(g, NODE_TO(g, OP_Relu, "spy", "spy", g->n[g->t[z].producer].in[0]));
    else bn->in[3] = add_input(g, "mean_in", 1, (int64_t[]){16});
    infer_shapes(g);
    ck_assert_msg(pass_fold_batchnorm(g) == 0, "fold %d fired", v);
    graph_free(g);
  }
  /* 4 output channels (a score conv: its direct kernel, the epilogue after it) fuses too; near-misses for the
   * conv epilogue: a SiLU whose Sigmoid is read elsewhere; a residual that broadcasts */
  for (int v = 0; v < 3; v++) {
    Graph *g = new_graph(17);
    int x = add_input(g, "x", 4, xd4);
    int z = conv_with_bn(g, x, v == 0 ? 4 : 16, true);
    int sg = NODE_TO(g, OP_Sigmoid, "/act/Sigmoid", "s", z);
    if (v == 2) {
      int small = add_input(g, "small", 4, (int64_t[]){1, 16, 1, 1});
      mark_output(g, NODE_TO(g, OP_Add, "/res/Add", "out", NODE_TO(g, OP_Mul, "/act/Mul", "m", z, sg), small));
    } else {
      mark_output(g, NODE_TO(g, OP_Mul, "/act/Mul", "out", z, sg));
      if (v == 1) mark_output(g, NODE_TO(g, OP_Relu, "spy", "spy", sg));
    }
    int before, rc = bn_folded_then_epilogue(g, &before);
    if (v == 0) {
      ck_assert_int_eq(rc, 1);
      ck_assert_int_eq(attr_int(the(g, OP_VitcConv), "activation", -1), VITC_GEMM_ACT_SILU);
      ck_assert_int_eq(live_nodes(g), 1);
    } else if (v == 1) {
      ck_assert_msg(rc == 0 && live_nodes(g) == before && live(g, OP_VitcConv) == 0, "conv near-miss %d fused", v);
    } else { /* the SiLU fuses, the broadcasting Add stays */
      ck_assert_int_eq(live(g, OP_VitcConv), 1);
      ck_assert_int_eq(live(g, OP_Add), 1);
      ck_assert_int_eq(the(g, OP_VitcConv)->n_in, 3);
    }
    graph_free(g);
  }
}
END_TEST

/* Conv + each activation with parameters (and the two-node forms exporters write) -> vitc.Conv with the
 * activation's code and activation_params; near-misses that must not fuse into an activation. */
static void set_float_attr(Graph *g, int t, const char *name, float v) {
  node_add_attr(g, g->t[t].producer, name, ATTR_FLOAT)->f = v;
}

/* form f applied to conv output z (which the form reads as the exporter writes it); returns its output */
static int conv_act_form(Graph *g, int f, int z) {
  int t;
  switch (f) {
  case 0: t = NODE_TO(g, OP_LeakyRelu, "/act/LeakyRelu", "out", z); set_float_attr(g, t, "alpha", 0.2f); return t;
  case 1: return NODE_TO(g, OP_Max, "/act/Max", "out", z, NODE_TO(g, OP_Mul, "/act/Mul", "ax", z, scalar(g, "a", 0.2f)));
  case 2: return NODE_TO(g, OP_Max, "/act/Max", "out", NODE_TO(g, OP_Mul, "/act/Mul", "ax", scalar(g, "a", 0.2f), z), z);
  case 3: return NODE_TO(g, OP_Clip, "/act/Clip", "out", z, scalar(g, "lo", 0.0f), scalar(g, "hi", 6.0f));
  case 4: return NODE_TO(g, OP_Clip, "/act/Clip", "out", z, scalar(g, "lo", 0.0f));
  case 5:
    t = NODE_TO(g, OP_HardSigmoid, "/act/HardSigmoid", "out", z);
    set_float_attr(g, t, "alpha", 0.25f);
    return t;
  case 6: return NODE_TO(g, OP_HardSwish, "/act/HardSwish", "out", z);
  case 7: return NODE_TO(g, OP_Mul, "/act/Mul", "out", z, NODE_TO(g, OP_HardSigmoid, "/act/HardSigmoid", "h", z));
  /* near-misses */
  case 8: return NODE_TO(g, OP_Max, "/act/Max", "out", z, NODE_TO(g, OP_Mul, "/act/Mul", "ax", z, scalar(g, "a", 1.5f)));
  case 9: /* a x read elsewhere too */
    t = NODE_TO(g, OP_Mul, "/act/Mul", "ax", z, scalar(g, "a", 0.2f));
    mark_output(g, NODE_TO(g, OP_Relu, "spy", "spy", t));
    return NODE_TO(g, OP_Max, "/act/Max", "out", z, t);
  case 10: /* a computed at run time */
    return NODE_TO(g, OP_Max, "/act/Max", "out", z,
                NODE_TO(g, OP_Mul, "/act/Mul", "ax", z, add_input(g, "a_in", 4, (int64_t[]){1, 16, 6, 6})));
  case 11: return NODE_TO(g, OP_Clip, "/act/Clip", "out", z, scalar(g, "lo", 0.0f), add_input(g, "hi_in", 0, NULL));
  case 12: return NODE_TO(g, OP_Clip, "/act/Clip", "out", z, scalar(g, "lo", -1.0f)); /* min only, not 0 */
  case 13: return NODE_TO(g, OP_Max, "/act/Max", "out", z, NODE_TO(g, OP_Mul, "/act/Mul", "ax", z, scalar(g, "a", 0.2f)),
                       scalar(g, "floor", 0.0f)); /* a third input */
  default: return NODE_TO(g, OP_Min, "/act/Min", "out", z, NODE_TO(g, OP_Mul, "/act/Mul", "ax", z, scalar(g, "a", 0.2f)));
  }
}

START_TEST(test_conv_param_activations) {
  const int64_t xd4[4] = {1, 3, 6, 6};
  static const struct { int act; float a, b; } want[8] = {
      {VITC_GEMM_ACT_LEAKY_RELU, 0.2f, 0}, {VITC_GEMM_ACT_LEAKY_RELU, 0.2f, 0}, {VITC_GEMM_ACT_LEAKY_RELU, 0.2f, 0},
      {VITC_GEMM_ACT_CLIP, 0, 6}, {VITC_GEMM_ACT_RELU, 0, 0}, {VITC_GEMM_ACT_HARD_SIGMOID, 0.25f, 0.5f},
      {VITC_GEMM_ACT_HARD_SWISH, 1.0f / 6.0f, 0.5f}, {VITC_GEMM_ACT_HARD_SWISH, 0.2f, 0.5f}};
  for (int f = 0; f < 15; f++) {
    Graph *g = new_graph(17);
    int x = add_input(g, "x", 4, xd4);
    int z = conv_with_bn(g, x, 16, true);
    int out = conv_act_form(g, f, z);
    mark_output(g, out);
    int before, rc = bn_folded_then_epilogue(g, &before);
    if (f < 8) {
      Node *vc = the(g, OP_VitcConv);
      ck_assert_msg(rc == 1 && vc->out[0] == out, "form %d not fused", f);
      ck_assert_int_eq(attr_int(vc, "activation", -1), want[f].act);
      const Attr *p = node_attr(vc, "activation_params");
      if (want[f].act >= VITC_GEMM_ACT_LEAKY_RELU) {
        ck_assert_msg(p && p->n == 2, "form %d: no activation_params", f);
        ck_assert_float_eq(p->floats[0], want[f].a);
        ck_assert_float_eq(p->floats[1], want[f].b);
      } else {
        ck_assert_ptr_null(p);
      }
      ck_assert_int_eq(live_nodes(g), 1 + (f == 9)); /* (the spy) */
    } else { /* the conv and its activation ops stay as they are */
      ck_assert_msg(rc == 0 && live_nodes(g) == before && live(g, OP_VitcConv) == 0, "near-miss %d fused", f);
    }
    graph_free(g);
  }
}
END_TEST

/* ---------------- fold_transposes (tf2onnx's layout dance) ---------------- */

static int transpose_node(Graph *g, const char *name, const char *out, int x, const int64_t *perm) {
  int t = NODE_TO(g, OP_Transpose, name, out, x);
  Attr *a = node_add_attr(g, g->t[t].producer, "perm", ATTR_INTS);
  a->n = 4;
  a->ints = xmalloc(4 * sizeof(int64_t));
  memcpy(a->ints, perm, 4 * sizeof(int64_t));
  return t;
}

static const int64_t to_nchw[4] = {0, 3, 1, 2}, to_nhwc[4] = {0, 2, 3, 1};

/* NHWC x (1,6,6,3) -> T -> Conv 16 -> T -> [form] -> T -> Conv 16 -> T -> output (NHWC). form 0: LeakyRelu; 1:
 * max(y, 0.2 y) plus a bias [1,1,1,16] added in NHWC (a constant transposed at compile time); 2 the activated
 * NHWC tensor also read by a Reshape (one Transpose is kept for it: still a gain). Near-misses: 3 an Add of a
 * run-time NHWC tensor (not transposed: the region cannot take it, nothing cancels); 4 the NHWC activation is a
 * graph output and nothing cancels after it. */
static Graph *build_dance(int form) {
  Graph *g = new_graph(13);
  const int64_t xd4[4] = {1, 6, 6, 3};
  int x = add_input(g, "x", 4, xd4);
  float w1[16 * 3 * 9], w2[16 * 16 * 9], bias[16];
  for (int i = 0; i < 16 * 27; i++) w1[i] = (float)((i % 5) - 2) * 0.1f;
  for (int i = 0; i < 16 * 144; i++) w2[i] = (float)((i % 7) - 3) * 0.05f;
  for (int i = 0; i < 16; i++) bias[i] = 0.01f * i;
  int c1 = NODE_TO(g, OP_Conv, "/c1/Conv", "c1", transpose_node(g, "/c1/T_in", "t1", x, to_nchw),
                add_const_f32(g, "w1", 4, (int64_t[]){16, 3, 3, 3}, w1));
  int y = transpose_node(g, "/c1/T_out", "y", c1, to_nhwc), a;
  if (form == 1) {
    y = NODE_TO(g, OP_Add, "/bias/Add", "yb", y, add_const_f32(g, "b", 4, (int64_t[]){1, 1, 1, 16}, bias));
    a = NODE_TO(g, OP_Max, "/act/Max", "a", y, NODE_TO(g, OP_Mul, "/act/Mul", "ay", y, scalar(g, "alpha", 0.2f)));
  } else if (form == 3) {
    int r = add_input(g, "r", 4, (int64_t[]){1, 4, 4, 16});
    a = NODE_TO(g, OP_Add, "/res/Add", "a", NODE_TO(g, OP_LeakyRelu, "/act/LeakyRelu", "l", y), r);
  } else {
    a = NODE_TO(g, OP_LeakyRelu, "/act/LeakyRelu", "a", y);
  }
  if (form == 2) {
    int64_t *fs = xmalloc(2 * sizeof(int64_t));
    fs[0] = 1, fs[1] = -1;
    Shape s2 = {1, {2}};
    mark_output(g, NODE_TO(g, OP_Reshape, "/spy/Reshape", "flat", a, graph_add_const(g, "flat_shape", DT_INT64, &s2, fs)));
  }
  if (form == 4) {
    mark_output(g, a);
    return g;
  }
  int c2 = NODE_TO(g, OP_Conv, "/c2/Conv", "c2", transpose_node(g, "/c2/T_in", "t2", a, to_nchw),
                add_const_f32(g, "w2", 4, (int64_t[]){16, 16, 3, 3}, w2));
  mark_output(g, transpose_node(g, "/c2/T_out", "out", c2, to_nhwc));
  return g;
}

START_TEST(test_fold_transposes) {
  for (int form = 0; form < 5; form++) {
    Graph *g = build_dance(form);
    infer_shapes(g);
    int before = live(g, OP_Transpose);
    int rc = pass_fold_transposes(g);
    settle(g);
    ck_assert_int_eq(pass_eliminate_dead(g), 0);
    int after = live(g, OP_Transpose);
    printf("fold_transposes form %d: %d -> %d Transposes\n", form, before, after);
    if (form <= 2) { /* the pair around the activation cancels: the activation reads the conv */
      ck_assert_int_eq(rc, 1);
      ck_assert_int_eq(after, form == 2 ? 3 : 2); /* the input's and the output's (+ one for the Reshape) */
      Node *act = the(g, form == 1 ? OP_Max : OP_LeakyRelu);
      int src = form == 1 ? g->n[g->t[act->in[0]].producer].in[0] : act->in[0];
      ck_assert_int_eq(g->n[g->t[src].producer].op, OP_Conv);
      ck_assert_int_eq(g->t[act->out[0]].shape.d[1], 16); /* NCHW now */
      if (form == 1) { /* the bias constant, transposed to [1,16,1,1] */
        const Node *add = the(g, OP_Add);
        int k = g->t[add->in[0]].data ? 0 : 1;
        ck_assert_int_eq(g->t[add->in[k]].shape.d[1], 16);
        ck_assert_float_eq(cdata(g, add->in[k])[5], 0.01f * 5);
      }
      ck_assert_int_eq(rewrite_gemm_epilogue(g), 1); /* now the conv meets its activation (and form 1 its bias) */
      settle(g);
      ck_assert_int_eq(live(g, OP_VitcConv), 1) /* (the second conv has no epilogue) */;
      ck_assert_int_eq(live(g, OP_Add) + live(g, OP_Max) + live(g, OP_LeakyRelu), 0);
    } else { /* nothing to gain: unchanged */
      ck_assert_msg(rc == 0 && after == before, "near-miss %d changed %d -> %d", form, before, after);
    }
    graph_free(g);
  }
}
END_TEST

/* ---------------- zero attention (NOSE) ---------------- */

static const int64_t td[3] = {1, 5, 4};

typedef struct Nose {
  int x, skip, branch_out, zero, sum, out;
} Nose;

/* x2 = Mul(x, 2); branch = MatMul(Relu(LN-ish(x)), W); out = Relu(x2 + 0 * branch) */
static Nose build_nose(Graph *g, float lam) {
  Nose r;
  int x0 = add_input(g, "x0", 3, td);
  r.x = NODE_TO(g, OP_Relu, "/b0/pre", "x", x0);
  r.skip = NODE_TO(g, OP_Mul, "/b0/Mul", "x2", r.x, scalar(g, "two", 2.0f));
  int a = NODE_TO(g, OP_Sigmoid, "/b0/attn/s", "as", r.x);
  int b = NODE_TO(g, OP_MatMul, "/b0/attn/proj", "ap", a, weights(g, "w", 4, 4));
  r.branch_out = b;
  r.zero = NODE_TO(g, OP_Mul, "/b0/Mul_1", "z", scalar(g, "lam", lam), b);
  r.sum = NODE_TO(g, OP_Add, "/b0/Add", "sum", r.skip, r.zero);
  r.out = NODE_TO(g, OP_Relu, "/b0/post", "out", r.sum);
  return r;
}

START_TEST(test_zero_attention_fires) {
  Graph *g = new_graph(17);
  Nose r = build_nose(g, 0.0f);
  mark_output(g, r.out);
  infer_shapes(g);
  ck_assert_int_eq(pass_eliminate_zero_attention(g), 1);
  settle(g);
  /* left: pre Relu, Mul(x, 2), post Relu reading the skip */
  ck_assert_int_eq(live_nodes(g), 3);
  ck_assert_int_eq(live(g, OP_MatMul) + live(g, OP_Sigmoid) + live(g, OP_Add), 0);
  ck_assert_int_eq(g->n[2].op, OP_Relu);
  ck_assert_int_eq(g->n[2].in[0], r.skip);
  ck_assert_int_eq(pass_eliminate_zero_attention(g), 0);
  graph_free(g);

  /* -0 counts as zero; a [1,1,4] zero constant too */
  g = new_graph(17);
  r = build_nose(g, -0.0f);
  mark_output(g, r.out);
  infer_shapes(g);
  ck_assert_int_eq(pass_eliminate_zero_attention(g), 1);
  graph_free(g);

  /* x + zeros constant -> x */
  g = new_graph(17);
  int x = add_input(g, "x", 3, td);
  int rx = NODE_TO(g, OP_Relu, "r", "rx", x);
  int s = NODE_TO(g, OP_Add, "add0", "s", add_const_f32(g, "zeros", 3, (int64_t[]){1, 1, 4}, (float[]){0, 0, -0.0f, 0}), rx);
  mark_output(g, NODE_TO(g, OP_Relu, "post", "out", s));
  infer_shapes(g);
  ck_assert_int_eq(pass_eliminate_zero_attention(g), 1);
  settle(g);
  ck_assert_int_eq(live_nodes(g), 2);
  ck_assert_int_eq(g->n[1].in[0], rx);
  graph_free(g);
}
END_TEST

START_TEST(test_zero_attention_not_fired) {
  for (int c = 0; c < 5; c++) {
    Graph *g = new_graph(17);
    Nose r = build_nose(g, c == 0 ? 1e-30f : 0.0f);
    const char *what = "";
    switch (c) {
    case 0: what = "lambda = 1e-30 is not zero"; mark_output(g, r.out); break;
    case 1: what = "the zeros are also read by a Relu"; mark_output(g, r.out); mark_output(g, NODE_TO(g, OP_Relu, "spy", "spy", r.zero)); break;
    case 2: what = "the sum is a graph output"; mark_output(g, r.sum); break;
    case 3: what = "the zeros are a graph output"; mark_output(g, r.out); mark_output(g, r.zero); break;
    case 4: { /* the sum broadcasts the skip up: skip [1,1,4] */
      what = "the sum broadcasts x up";
      mark_output(g, r.out);
      int small = add_input(g, "small", 3, (int64_t[]){1, 1, 4});
      for (int i = 0; i < g->nn; i++)
        if (strcmp(g->n[i].name, "/b0/Add") == 0) g->n[i].in[0] = small;
      break;
    }
    }
    infer_shapes(g);
    int nn = live_nodes(g);
    ck_assert_msg(pass_eliminate_zero_attention(g) == 0, "fired although %s", what);
    ck_assert_int_eq(live_nodes(g), nn);
    graph_free(g);
  }
}
END_TEST

/* The pipeline on g (freed) with --strict-nan or without: pass, exact only for finite
 * activations, changes the graph only without it, so the one node of op it removes stays
 * only with it. */
static void expect_strict_nan_skips(Graph *g, bool strict, const char *pass, OpKind op) {
  PipelineOptions po = {NULL, NULL, ""};
  vitc_strict_nan = strict;
  ck_assert_int_eq(run_pipeline(g, &po), 0);
  vitc_strict_nan = false;
  ck_assert_int_eq(strstr(po.changed, pass) != NULL, !strict);
  ck_assert_int_eq(live(g, op), strict);
  graph_free(g);
}

START_TEST(test_zero_attention_strict_nan) {
  for (int strict = 0; strict < 2; strict++) {
    Graph *g = new_graph(17);
    Nose r = build_nose(g, 0.0f);
    mark_output(g, r.out);
    expect_strict_nan_skips(g, strict, "eliminate_zero_attention", OP_Sigmoid);
  }
}
END_TEST

/* ---------------- scales (NOSE: fold_scale, and eliminate_identity's products by one) ---------------- */

static int ln_node(Graph *g, const char *name, const char *out, int x) {
  static const float one[4] = {1, 1, 1, 1}, zero[4] = {0.5f, 0, 0, -0.5f};
  int t = NODE_TO(g, OP_LayerNormalization, name, out, x, add_const_f32(g, "lnw", 1, (int64_t[]){4}, one),
               add_const_f32(g, "lnb", 1, (int64_t[]){4}, zero));
  node_add_attr(g, g->t[t].producer, "epsilon", ATTR_FLOAT)->f = 1e-6f;
  return t;
}

/* the NOSE block x' = s*x; x' + fc2(fc1(LN(x'))), s given as a Mul constant or as Add(x, x) */
typedef struct Shrunk {
  int x, z, ln, out;
} Shrunk;

static Shrunk build_shrunk(Graph *g, float s, bool as_add) {
  Shrunk b;
  b.x = NODE_TO(g, OP_Relu, "/b/pre", "x", add_input(g, "x0", 3, td));
  b.z = as_add ? NODE_TO(g, OP_Add, "/b/Add_x", "z", b.x, b.x) : NODE_TO(g, OP_Mul, "/b/Mul", "z", b.x, scalar(g, "s", s));
  b.ln = ln_node(g, "/b/norm2/LayerNormalization", "h", b.z);
  int f = NODE_TO(g, OP_MatMul, "/b/fc2/MatMul", "f", b.ln, weights(g, "w", 4, 4));
  b.out = NODE_TO(g, OP_Add, "/b/Add_1", "out", f, b.z);
  return b;
}

static int fuse_and_fold(Graph *g) {
  epilogue_fires(g);
  int rc = pass_fold_scale(g);
  settle(g);
  return rc;
}

START_TEST(test_scale_folds) {
  for (int v = 0; v < 3; v++) { /* Mul(x, 2), Add(x, x), Mul(x, 0.25) */
    Graph *g = new_graph(17);
    float s = v == 2 ? 0.25f : 2.0f;
    Shrunk b = build_shrunk(g, s, v == 1);
    mark_output(g, NODE_TO(g, OP_Relu, "/post", "y", b.out));
    ck_assert_int_eq(fuse_and_fold(g), 1);
    ck_assert_int_eq(live(g, OP_Mul) + live(g, OP_Add), 0);
    Node *ln = the(g, OP_LayerNormalization), *gm = the(g, OP_VitcGemm);
    ck_assert_int_eq(ln->in[0], b.x);
    ck_assert_float_eq(attr_float(ln, "epsilon", 0), 1e-6f / (s * s));
    ck_assert_int_eq(gm->in[3], b.x);
    ck_assert_float_eq(attr_float(gm, "residual_scale", 0), s);
    graph_free(g);
  }
  /* consecutive scales multiply: Mul(Mul(x, 2), 4) read by a LayerNorm -> eps / 64 */
  {
    Graph *g = new_graph(17);
    int x = NODE_TO(g, OP_Relu, "/pre", "x", add_input(g, "x0", 3, td));
    int z = NODE_TO(g, OP_Mul, "/Mul_2", "z2", NODE_TO(g, OP_Mul, "/Mul_1", "z1", x, scalar(g, "two", 2)), scalar(g, "four", 4));
    mark_output(g, ln_node(g, "/norm/LayerNormalization", "h", z));
    infer_shapes(g);
    ck_assert_int_eq(pass_fold_scale(g), 1);
    settle(g);
    ck_assert_int_eq(live(g, OP_Mul), 0);
    Node *ln = the(g, OP_LayerNormalization);
    ck_assert_int_eq(ln->in[0], x);
    ck_assert_float_eq(attr_float(ln, "epsilon", 0), 1e-6f / 64);
    graph_free(g);
  }
  /* the dilution that mixes with LN1(x): 2 * LN1(x) read by an op that cannot take the scale goes into LN1's
   * gamma and beta */
  {
    Graph *g = new_graph(17);
    int x = add_input(g, "x0", 3, td);
    int h = ln_node(g, "/b/norm1/LayerNormalization", "h", x);
    int z = NODE_TO(g, OP_Mul, "/b/Mul", "z", scalar(g, "two", 2), h);
    mark_output(g, NODE_TO(g, OP_Relu, "/b/post", "y", z));
    infer_shapes(g);
    ck_assert_int_eq(pass_fold_scale(g), 1);
    settle(g);
    ck_assert_int_eq(live(g, OP_Mul), 0);
    Node *ln = the(g, OP_LayerNormalization);
    ck_assert_float_eq(cdata(g, ln->in[1])[2], 2.0f);
    ck_assert_float_eq(cdata(g, ln->in[2])[3], -1.0f);
    ck_assert_float_eq(attr_float(ln, "epsilon", 0), 1e-6f);
    ck_assert_int_eq(the(g, OP_Relu)->in[0], h);
    graph_free(g);
  }
}
END_TEST

START_TEST(test_scale_not_folded) {
  for (int c = 0; c < 5; c++) {
    Graph *g = new_graph(17);
    Shrunk b = build_shrunk(g, c == 0 ? 3.0f : 2.0f, false);
    const char *what = "";
    switch (c) {
    case 0: what = "3 is not a power of two"; mark_output(g, b.out); break;
    case 1: what = "the scaled tensor is a graph output"; mark_output(g, b.out); mark_output(g, b.z); break;
    case 2: what = "the scaled tensor is also read by a Relu (and no LayerNorm makes x)";
      mark_output(g, b.out); mark_output(g, NODE_TO(g, OP_Relu, "spy", "spy", b.z)); break;
    case 3: { /* the LayerNorm's Mean output is read */
      what = "the LayerNorm also returns its mean";
      mark_output(g, b.out);
      Node *ln = &g->n[g->t[b.ln].producer];
      int mean = graph_add_tensor(g, "mean");
      ln->out = xrealloc(ln->out, 2 * sizeof(int));
      ln->out[ln->n_out++] = mean;
      g->t[mean].producer = g->t[b.ln].producer;
      mark_output(g, mean);
      break;
    }
    case 4: { /* eps / 2^200 is not a float */
      what = "epsilon / s^2 underflows";
      mark_output(g, b.out);
      for (int i = 0; i < g->nn; i++)
        if (g->n[i].op == OP_Mul) g->t[g->n[i].in[1]].data = memcpy(g->t[g->n[i].in[1]].data, &(float){0x1p100f}, 4);
      break;
    }
    }
    ck_assert_msg(fuse_and_fold(g) == 0, "fold_scale fired although %s", what);
    ck_assert_int_eq(live(g, OP_Mul), 1);
    graph_free(g);
  }
  /* --strict-nan skips the pass (it is exact only for finite activations) */
  for (int strict = 0; strict < 2; strict++) {
    Graph *g = new_graph(17);
    Shrunk b = build_shrunk(g, 2.0f, false);
    mark_output(g, b.out);
    expect_strict_nan_skips(g, strict, "fold_scale", OP_Mul);
  }
}
END_TEST

/* products by constant ones go (eliminate_identity); a one that broadcasts x up stays */
START_TEST(test_times_one) {
  for (int v = 0; v < 4; v++) {
    Graph *g = new_graph(17);
    int x = NODE_TO(g, OP_Relu, "/pre", "x", add_input(g, "x0", 3, td));
    float ones[20];
    for (int i = 0; i < 20; i++) ones[i] = 1.0f;
    int y;
    switch (v) {
    case 0: y = NODE_TO(g, OP_Mul, "/Mul", "y", x, scalar(g, "one", 1.0f)); break;
    case 1: y = NODE_TO(g, OP_Mul, "/Mul", "y", add_const_f32(g, "ones", 3, (int64_t[]){1, 1, 4}, ones), x); break;
    case 2: y = NODE_TO(g, OP_Div, "/Div", "y", x, scalar(g, "one", 1.0f)); break;
    default: y = NODE_TO(g, OP_Mul, "/Mul", "y", x, add_const_f32(g, "ones", 3, (int64_t[]){2, 5, 4}, ones)); break;
    }
    mark_output(g, NODE_TO(g, OP_Relu, "/post", "z", y));
    infer_shapes(g);
    ck_assert_int_eq(pass_eliminate_identity(g), v < 3);
    settle(g);
    ck_assert_int_eq(live_nodes(g), v < 3 ? 2 : 3);
    graph_free(g);
  }
}
END_TEST

/* vitc inspect's block table on nose_vit32: blocks 0 and 2 diluted (attention removed, its MACs too), 1 shrunk
 * (never had attention), 3 normal */
START_TEST(test_inspect_blocks) {
  char *model = tu_printf("%s/models/nose_vit32.onnx", VITC_SOURCE_DIR);
  char *argv[] = {VITC_BINARY_DIR "/vitc", "inspect", model, NULL};
  RunResult r;
  ck_assert_int_eq(tu_run(argv, 120, &r), 0);
  ck_assert_msg(r.exited && r.status == 0, "vitc inspect failed: %s", r.err);
  static const char *const want[][2] = {{"blocks.0", "removed"}, {"blocks.1", "no"}, {"blocks.2", "removed"},
                                        {"blocks.3", "yes"}};
  for (int b = 0; b < 4; b++) {
    char *line = tu_line_with(r.out, want[b][0], 200);
    char name[64], attn[16];
    long long before, after, removed;
    ck_assert_msg(sscanf(line, "%63s %15s %lld %lld %lld", name, attn, &before, &after, &removed) == 5, "line: %s", line);
    ck_assert_str_eq(name, want[b][0]);
    ck_assert_str_eq(attn, want[b][1]);
    ck_assert_int_eq(removed, before - after);
    ck_assert_msg((removed > 0) == (strcmp(attn, "removed") == 0), "%s", line);
    free(line);
  }
  tu_run_free(&r);
  free(model);
}
END_TEST

/* ---------------- concatenated projections (MABViT: concat_projections) ---------------- */

static const int64_t hd[3] = {1, 5, 4};

/* the ranges triples of the one vitc.Gemm made from several products */
static int ranges_of(const Node *n, const int64_t **r) {
  int nr = attr_ints(n, "ranges", r);
  return nr < 0 ? 0 : nr / 3;
}

/* h read by products: variant 0 q, k (MatMul + bias) and fc1 (+ Gelu); 1 a fused q|v|g product sliced three ways
 * with V = v * Gelu(g); 2 separate q, v, g products with V = v * SiLU(g) (Sigmoid and Mul); 3 like 1 with
 * V = v * Sigmoid(g) (left to attention's gate); 4 like 1 with a Split instead of the Slices */
static int build_projections(Graph *g, int v, int *V) {
  int h = NODE_TO(g, OP_Relu, "/blk/norm", "h", add_input(g, "x", 3, hd));
  float b[12];
  for (int i = 0; i < 12; i++) b[i] = 0.25f * (float)i;
  if (v == 0) {
    int q = NODE_TO(g, OP_Add, "/blk/q/Add", "q", NODE_TO(g, OP_MatMul, "/blk/q/MatMul", "q0", h, weights(g, "wq", 4, 4)),
                 add_const_f32(g, "bq", 1, (int64_t[]){4}, b));
    int k = NODE_TO(g, OP_MatMul, "/blk/k/MatMul", "k", h, weights(g, "wk", 4, 4));
    int f = NODE_TO(g, OP_Gelu, "/blk/act", "f", NODE_TO(g, OP_MatMul, "/blk/fc1/MatMul", "f0", h, weights(g, "w1", 4, 8)));
    *V = NODE_TO(g, OP_Add, "/blk/sum", "V", q, k);
    return NODE_TO(g, OP_MatMul, "/blk/fc2/MatMul", "o", f, weights(g, "w2", 8, 4));
  }
  int vv, gg;
  if (v == 2) {
    vv = NODE_TO(g, OP_MatMul, "/blk/v/MatMul", "v", h, weights(g, "wv", 4, 4));
    gg = NODE_TO(g, OP_MatMul, "/blk/g/MatMul", "g", h, weights(g, "wg", 4, 4));
  } else if (v == 4) { /* the dynamo exporter's chunk: one Split of the last axis */
    int y = NODE_TO(g, OP_Add, "/blk/qvg/Add", "y", NODE_TO(g, OP_MatMul, "/blk/qvg/MatMul", "y0", h, weights(g, "w", 4, 12)),
                 add_const_f32(g, "b", 1, (int64_t[]){12}, b));
    int outs[3] = {graph_add_tensor(g, "q"), graph_add_tensor(g, "v"), graph_add_tensor(g, "g")};
    int sp = graph_add_node(g, OP_Split, "/blk/Split", &y, 1, outs, 3);
    node_add_attr(g, sp, "axis", ATTR_INT)->i = -1;
    node_add_attr(g, sp, "num_outputs", ATTR_INT)->i = 3;
    vv = outs[1], gg = outs[2];
    mark_output(g, NODE_TO(g, OP_Relu, "/blk/q_use", "qo", outs[0]));
  } else {
    int y = NODE_TO(g, OP_Add, "/blk/qvg/Add", "y", NODE_TO(g, OP_MatMul, "/blk/qvg/MatMul", "y0", h, weights(g, "w", 4, 12)),
                 add_const_f32(g, "b", 1, (int64_t[]){12}, b));
    int64_t s0 = 0, s1 = 4, s2 = 8, s3 = 12, ax = -1;
    int q = NODE_TO(g, OP_Slice, "/blk/Slice_q", "q", y, add_const_i64(g, "s0", 1, &s0), add_const_i64(g, "s1", 1, &s1),
                 add_const_i64(g, "ax", 1, &ax));
    vv = NODE_TO(g, OP_Slice, "/blk/Slice_v", "v", y, add_const_i64(g, "s1b", 1, &s1), add_const_i64(g, "s2", 1, &s2),
              add_const_i64(g, "axb", 1, &ax));
    gg = NODE_TO(g, OP_Slice, "/blk/Slice_g", "g", y, add_const_i64(g, "s2b", 1, &s2), add_const_i64(g, "s3", 1, &s3),
              add_const_i64(g, "axc", 1, &ax));
    mark_output(g, NODE_TO(g, OP_Relu, "/blk/q_use", "qo", q));
  }
  int act = v == 1 || v == 4 ? NODE_TO(g, OP_Gelu, "/blk/gelu", "ag", gg)
            : v == 3 ? NODE_TO(g, OP_Sigmoid, "/blk/sig", "ag", gg)
                     : NODE_TO(g, OP_Mul, "/blk/silu", "ag", gg, NODE_TO(g, OP_Sigmoid, "/blk/sig", "sg", gg));
  *V = NODE_TO(g, OP_Mul, "/blk/gate", "V", vv, act);
  return NODE_TO(g, OP_MatMul, "/blk/fc1/MatMul", "o", h, weights(g, "w1", 4, 8));
}

START_TEST(test_concat_projections) {
  for (int v = 0; v < 5; v++) {
    Graph *g = new_graph(17);
    int V, o = build_projections(g, v, &V);
    mark_output(g, V);
    mark_output(g, o);
    infer_shapes(g);
    ck_assert_int_eq(pass_concat_projections(g), 1);
    settle(g);
    ck_assert_int_ge(pass_eliminate_dead(g), 0);
    settle(g);
    Node *y = NULL;
    for (int i = 0; i < g->nn; i++)
      if (!g->n[i].dead && g->n[i].op == OP_VitcGemm) y = &g->n[i];
    ck_assert_ptr_nonnull(y);
    ck_assert_int_eq(live(g, OP_VitcGemm), 1);
    const int64_t *r;
    int nr = ranges_of(y, &r);
    switch (v) {
    case 0: /* [q k | fc1]: none, GELU */
      ck_assert_int_eq(g->t[y->out[0]].shape.d[2], 16);
      ck_assert_int_eq(nr, 2);
      ck_assert_int_eq(r[0], 8);
      ck_assert_int_eq(r[1], 0);
      ck_assert_int_eq(r[3], 16);
      ck_assert_int_eq(r[4], 1);
      ck_assert_int_eq(live(g, OP_Gelu), 0);
      break;
    case 1:   /* [q | g | v | fc1]: g before v, activated, v gated by it */
    case 4:   /* the same from a Split */
    case 2: { /* [g | v | fc1] */
      int q = v != 2 ? 4 : 0, act = v != 2 ? 1 : 4;
      ck_assert_int_eq(nr, v != 2 ? 4 : 3);
      int at = v != 2 ? 3 : 0;
      ck_assert_int_eq(r[at + 0], q + 4);
      ck_assert_int_eq(r[at + 1], act);
      ck_assert_int_eq(r[at + 2], -1);
      ck_assert_int_eq(r[at + 3], q + 8);
      ck_assert_int_eq(r[at + 4], 0);
      ck_assert_int_eq(r[at + 5], q);
      ck_assert_int_eq(live(g, OP_Gelu) + live(g, OP_Sigmoid) + live(g, OP_Mul), 0);
      /* V is Y's v columns */
      Node *sv = &g->n[g->t[V].producer];
      ck_assert_int_eq(sv->op, OP_Slice);
      ck_assert_int_eq(sv->in[0], y->out[0]);
      break;
    }
    case 3: /* the sigmoid gate stays for fuse_attention: V = v * Sigmoid(g), v and g Slices of Y */
      ck_assert_int_eq(live(g, OP_Sigmoid), 1);
      ck_assert_int_eq(live(g, OP_Mul), 1);
      ck_assert_int_eq(nr, 0); /* [q v g | fc1], no activation anywhere */
      ck_assert_int_eq(g->t[y->out[0]].shape.d[2], 20);
      break;
    }
    graph_free(g);
  }
  /* near-misses: one product and no gate; two products reading different tensors; weights computed at run time;
   * a gate whose raw v is also read elsewhere (the concatenation happens, the gate stays a Mul) */
  for (int v = 0; v < 4; v++) {
    Graph *g = new_graph(17);
    int h = NODE_TO(g, OP_Relu, "/blk/norm", "h", add_input(g, "x", 3, hd));
    int h2 = NODE_TO(g, OP_Relu, "/blk/norm2", "h2", add_input(g, "x2", 3, hd));
    if (v == 0) {
      mark_output(g, NODE_TO(g, OP_Gelu, "/a", "a", NODE_TO(g, OP_MatMul, "/p", "p", h, weights(g, "w", 4, 4))));
    } else if (v == 1) {
      mark_output(g, NODE_TO(g, OP_MatMul, "/p", "p", h, weights(g, "w", 4, 4)));
      mark_output(g, NODE_TO(g, OP_MatMul, "/p2", "p2", h2, weights(g, "w2", 4, 4)));
    } else if (v == 2) {
      mark_output(g, NODE_TO(g, OP_MatMul, "/p", "p", h, weights(g, "w", 4, 4)));
      mark_output(g, NODE_TO(g, OP_MatMul, "/p2", "p2", h, add_input(g, "wrt", 2, (int64_t[]){4, 4})));
    } else {
      int V, o = build_projections(g, 2, &V);
      mark_output(g, V);
      mark_output(g, o);
      for (int i = 0; i < g->nn; i++)
        if (strcmp(g->n[i].name, "/blk/gate") == 0) mark_output(g, NODE_TO(g, OP_Relu, "/spy", "spy", g->n[i].in[0]));
    }
    infer_shapes(g);
    int rc = pass_concat_projections(g);
    settle(g);
    if (v < 3) {
      ck_assert_msg(rc == 0 && live(g, OP_VitcGemm) == 0, "near-miss %d concatenated", v);
    } else {
      ck_assert_int_eq(rc, 1);
      ck_assert_int_eq(live(g, OP_VitcGemm), 1);
      ck_assert_int_eq(live(g, OP_Mul), 1); /* the SiLU is in the epilogue (g's range), the gate is not */
      const int64_t *r;
      int nr = ranges_of(the(g, OP_VitcGemm), &r);
      for (int k = 0; k < nr; k++) ck_assert_int_eq(r[3 * k + 2], -1);
    }
    graph_free(g);
  }
}
END_TEST

/* ---------------- whole models ---------------- */

#define RTOL 1e-4
/* every pass that rewrites a pattern (the others, like fold_constants and fuse_attention, run in both) */
static const char *const pattern_passes = "eliminate_identity,fold_transposes,fold_batchnorm,recognize_layernorm,recognize_gelu,"
                                          "eliminate_zero_attention,concat_projections,fuse_gemm_epilogue,fold_scale";
static const char *const each_pass[] = {"eliminate_identity", "fold_transposes", "fold_batchnorm", "recognize_layernorm",
                                        "recognize_gelu", "eliminate_zero_attention", "concat_projections",
                                        "fuse_gemm_epilogue", "fold_scale"};


static int count_op(const Graph *g, OpKind op) { return live(g, op); }

/* Epilogues (vitc.Gemm, vitc.Conv) applying activation `act`, alone or on a column range. */
static int count_act(const Graph *g, int act) {
  int k = 0;
  for (int i = 0; i < g->nn; i++) {
    const Node *n = &g->n[i];
    if (n->dead || (n->op != OP_VitcGemm && n->op != OP_VitcConv)) continue;
    const int64_t *r;
    int nr = attr_ints(n, "ranges", &r);
    bool has = nr < 0 && attr_int(n, "activation", 0) == act;
    for (int j = 1; j < nr; j += 3) has |= r[j] == act;
    k += has;
  }
  return k;
}

/* GELUs made by recognize_gelu: Gelu nodes, or those fuse_gemm_epilogue moved into a vitc.Gemm. */
static int count_gelu(const Graph *g) { return count_op(g, OP_Gelu) + count_act(g, 1) + count_act(g, 2); }

/* What the pattern passes must do to a model, counted on the fused graph against the
 * unfused one (every pattern pass skipped). */
typedef struct ModelCase {
  const char *path;                /* from the source folder */
  bool sample;                     /* ../shared/samples: input and ORT output shipped */
  int layernorm_delta, gelus_made; /* LayerNormalization and Gelu nodes the passes add (or remove) */
  int softmax_removed;             /* by eliminate_zero_attention */
  int bn_folded;                   /* BatchNormalization nodes folded into convs */
  int conv_epilogues;              /* vitc.Conv nodes */
  int silu;                        /* epilogues with a SiLU */
  int scales;                      /* power-of-two scales of the residual stream folded (fold_scale: then the
                                      outputs must equal those without it bit for bit) */
  int ones;                        /* products by one removed (eliminate_identity) */
  int merged;                      /* GEMMs concat_projections merged away */
  int glus;                        /* gates (V = v * act(g)) in a concatenated GEMM's epilogue */
} ModelCase;

static const ModelCase models[] = {
    {"models/vit_tiny32_op13.onnx", false, 5, 2, 0, 0, 0, 0, 0, 0, 0, 0},
    {"models/vit_tiny32.onnx", false, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0},
    /* blocks 0, 2 diluted at lambda 0 (their attention and LN1 go, the x2 folds), block 1 shrunk (x2 folds) */
    {"models/nose_vit32.onnx", false, -2, 4, 2, 0, 0, 0, 3, 0, 0, 0},
    /* lambda 1 (two products by one), 2*LN1(x), x + LN1(x), lambda 0 */
    {"models/nose_forms32.onnx", false, -1, 5, 2, 0, 0, 0, 2, 2, 0, 0},
    /* per block: q|k|v|g and fc1 read the LayerNorm: one GEMM (the sigmoid gate stays with the attention) */
    {"models/mabvit32.onnx", false, 0, 2, 0, 0, 0, 0, 0, 0, 2, 0},
    /* the same with V = v * GELU(g) in the GEMM's epilogue */
    {"models/mabvit32_geglu.onnx", false, 0, 2, 0, 0, 0, 0, 0, 0, 2, 2}, /* (GELUs: epilogues with one) */
    /* five projections per block into one GEMM, V = v * SiLU(g) in its epilogue */
    {"models/mabvit32_sep.onnx", false, 0, 2, 0, 0, 0, 2, 0, 0, 8, 2},
    /* 19 BatchNormalizations; convs with SiLU (stem, expansions, depthwise, kxk, proj, fusion, final) or a residual
     * Add (projections, the pooling branch); the transformer's 2 SiLU MLPs */
    {"models/mobilevit_tiny.onnx", false, 0, 0, 0, 19, 17, 15, 0, 0, 0, 0},
    /* issue 14: tf2onnx's layout dance (38 of 40 Transposes cancel; every conv but the last takes its LeakyRelu or
     * max(x, 0.2 x)); MobileNetV3 (HardSwish, HardSigmoid, ReLU6 in conv epilogues); the STFT conv (no epilogue) */
    {"models/kws_nhwc_cnn.onnx", false, 0, 0, 0, 0, 19, 0, 0, 0, 0, 0},
    {"models/mv3_small.onnx", false, 0, 0, 0, 19, 23, 0, 0, 0, 0, 0},
    {"models/stft_mel.onnx", false, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
#ifdef VITC_SAMPLES_DIR /* defined by tests/CMakeLists.txt where the samples are (else its 'samples' test skips) */
    {"dynamo_mobilevit_xxs_64.onnx", true, 0, 0, 0, 0, 28, 34, 0, 0, 0, 0},
#endif
};

/* Gates in ranges of concatenated GEMMs. */
static int count_glus(const Graph *g) {
  int k = 0;
  for (int i = 0; i < g->nn; i++) {
    const int64_t *r;
    int nr = g->n[i].dead || g->n[i].op != OP_VitcGemm ? -1 : attr_ints(&g->n[i], "ranges", &r);
    for (int j = 2; j < nr; j += 3) k += r[j] >= 0;
  }
  return k;
}

START_TEST(test_models) {
  const ModelCase *mc = &models[_i];
  char *model = tu_case_model(mc->path, mc->sample);
  /* a missing model is a failure (the samples are listed only where CMake found them) */
  ck_assert_msg(tu_exists(model), "%s is absent", mc->path);
  char *stem = tu_stem(model);
  PipelineOptions po;
  Graph *fused = compile_model(model, NULL, &po);
  char changed[512];
  snprintf(changed, sizeof changed, "%s", po.changed);
  Graph *plain = compile_model(model, pattern_passes, &po);

  /* nodes each pass removes: the pipeline without it against the full pipeline */
  printf("%s: %d nodes unfused, %d fused; passes that changed the graph: %s\n", stem, plain->nn, fused->nn, changed);
  for (size_t p = 0; p < sizeof each_pass / sizeof each_pass[0]; p++) {
    Graph *without = compile_model(model, each_pass[p], &po);
    printf("  %-26s removes %3d nodes\n", each_pass[p], without->nn - fused->nn);
    graph_free(without);
  }
  ck_assert_int_eq(count_op(fused, OP_LayerNormalization) - count_op(plain, OP_LayerNormalization), mc->layernorm_delta);
  ck_assert_int_eq(count_gelu(fused) - count_gelu(plain), mc->gelus_made);
  /* fuse_attention runs in both pipelines: a softmax may live on inside vitc.Attention */
  ck_assert_int_eq(count_op(plain, OP_Softmax) + count_op(plain, OP_VitcAttention) - count_op(fused, OP_Softmax) -
                       count_op(fused, OP_VitcAttention),
                   mc->softmax_removed);
  ck_assert_int_eq(count_op(fused, OP_Erf) + count_op(fused, OP_Tanh), 0);
  if (mc->layernorm_delta > 0) ck_assert_int_eq(count_op(fused, OP_ReduceMean), 0); /* (a GAP may be one) */
  printf("  BN folded %d, vitc.Conv %d, SiLU epilogues %d\n",
         count_op(plain, OP_BatchNormalization) - count_op(fused, OP_BatchNormalization), count_op(fused, OP_VitcConv),
         count_act(fused, VITC_GEMM_ACT_SILU));
  ck_assert_int_eq(count_op(plain, OP_BatchNormalization) - count_op(fused, OP_BatchNormalization), mc->bn_folded);
  ck_assert_int_eq(count_op(fused, OP_BatchNormalization), 0);
  ck_assert_int_eq(count_op(fused, OP_VitcConv), mc->conv_epilogues);
  ck_assert_int_eq(count_act(fused, VITC_GEMM_ACT_SILU), mc->silu);
  if (mc->silu) ck_assert_int_eq(count_op(fused, OP_Sigmoid), 0);
  Graph *noscale = compile_model(model, "fold_scale", &po), *noone = compile_model(model, "eliminate_identity", &po);
  int scales = count_op(noscale, OP_Mul) + count_op(noscale, OP_Add) - count_op(fused, OP_Mul) - count_op(fused, OP_Add);
  int ones = count_op(noone, OP_Mul) + count_op(noone, OP_Div) - count_op(fused, OP_Mul) - count_op(fused, OP_Div);
  printf("  scales folded %d, products by one removed %d\n", scales, ones);
  ck_assert_int_eq(scales, mc->scales);
  ck_assert_int_eq(ones, mc->ones);
  graph_free(noone);
  Graph *noconcat = compile_model(model, "concat_projections", &po);
  int merged = count_op(noconcat, OP_VitcGemm) - count_op(fused, OP_VitcGemm);
  printf("  GEMMs merged %d, gates in epilogues %d\n", merged, count_glus(fused));
  ck_assert_int_eq(merged, mc->merged);
  ck_assert_int_eq(count_glus(fused), mc->glus);
  graph_free(noconcat);

  /* numbers: fused and unfused on every target here, against each other and ONNX Runtime; fold_scale
   * is exact: with it, the same bits as the pipeline without it, on each target */
  char *work = tu_work_dir("fusion", stem);
  const TuVariant variants[] = {{"fused", fused, false, TU_VS_ORT_ONLY},
                                {"unfused", plain, false, TU_VS_FIRST_RTOL},
                                {"noscale", noscale, false, TU_VS_FIRST_BITS}};
  const TuAgainstOrt spec = {model, work, "check_fusion", variants, mc->scales ? 3 : 2, mc->sample, NULL, 1, RTOL};
  char *why = tu_against_ort(&spec);
  ck_assert_msg(why == NULL, "%s", why);
  free(work);
  graph_free(noscale);
  graph_free(fused);
  graph_free(plain);
  free(stem);
  free(model);
}
END_TEST

int main(int argc, char **argv) {
  int verdict = tu_isa_verdict("check_fusion", &argc, argv);
  if (verdict >= 0) return verdict;
  const char *isa = tu_selected_isa();
  Suite *s = suite_create("fusion");
  if (!isa) { /* graph rewrites: target-independent */
    TCase *tc = tcase_create("patterns");
    tcase_add_test(tc, test_layernorm_variants);
    tcase_add_test(tc, test_layernorm_in_context);
    tcase_add_test(tc, test_layernorm_not_fired);
    tcase_add_test(tc, test_layernorm_output_read_twice);
    tcase_add_test(tc, test_layernorm_scale_not_per_column);
    tcase_add_test(tc, test_gelu_forms);
    tcase_add_test(tc, test_gelu_tolerance);
    tcase_add_test(tc, test_gelu_not_fired);
    tcase_add_test(tc, test_gemm_full_epilogue);
    tcase_add_test(tc, test_conv_param_activations);
    tcase_add_test(tc, test_fold_transposes);
    tcase_add_test(tc, test_gemm_onnx_gemm_transb);
    tcase_add_test(tc, test_gemm_partial);
    tcase_add_test(tc, test_gemm_pass_waits_for_impl);
    tcase_add_test(tc, test_gemm_silu_sigmoid_gates);
    tcase_add_test(tc, test_conv_bn_silu);
    tcase_add_test(tc, test_convtranspose_bn);
    tcase_add_test(tc, test_zero_attention_fires);
    tcase_add_test(tc, test_zero_attention_not_fired);
    tcase_add_test(tc, test_zero_attention_strict_nan);
    tcase_add_test(tc, test_scale_folds);
    tcase_add_test(tc, test_scale_not_folded);
    tcase_add_test(tc, test_times_one);
    tcase_add_test(tc, test_inspect_blocks);
    tcase_add_test(tc, test_concat_projections);
    suite_add_tcase(s, tc);
  }
  TCase *tm = tcase_create("models");
  tcase_set_timeout(tm, 1800);
  tcase_add_loop_test(tm, test_models, 0, (int)(sizeof models / sizeof models[0]));
  suite_add_tcase(s, tm);
  return tu_run_suite(s);
}
