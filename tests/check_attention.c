/* tests/check_attention.c: multi-head attention as one op, vitc.Attention
 * (compiler/passes/fuse_attention.c, compiler/ops/attention.c,
 * templates/attention/f32-attention-{scalar,simd}.c).
 *
 * kernels  The scalar kernel and the shim-based kernel on every ISA (the scalar
 *          shim here; avx2 and avx512 as their own ctest tests, `--isa avx2`,
 *          skipped with the reason where the CPU lacks the ISA)
 *          against a naive attention in double: head dims 32/64 and odd ones
 *          (5, 16, 24, dk != dv), N = 197, 65, 1 and lengths around the vector
 *          widths, batch 2, Nq != Nk, gated values (MABViT), and the layouts
 *          the pass produces (timm's qkv rows read in place with heads merged on
 *          output, torch's sequence-first rows, separate contiguous tensors),
 *          plus huge scores
 *          (softmax must subtract its max). The tolerance is a rounding-error
 *          bound computed per output element from the inputs; guards after every
 *          buffer and after the documented scratch size must stay untouched, and
 *          inputs must not change. This file includes itself once per ISA (the
 *          ATTN_ISA_PART half) after binding that ISA's shim, with x86 ISAs
 *          compiled under `#pragma GCC target`, as tests/check_simd.c does.
 * graphs   Small attention graphs built with the graph API in the exporters'
 *          forms (timm Split+Squeeze or Gather, dynamo's sqrt(scale) on q and k,
 *          sequence-first MultiheadAttention with batch 2): the pass fires, leaves
 *          only the vitc.Attention node, and its attributes (dims, offsets,
 *          strides, scale, shape) are the expected ones. Cases that must not
 *          fire: probabilities or scores read elsewhere, softmax over another axis,
 *          a per-head scale, a scaled V. MABViT's gated values V = v * sigmoid(g)
 *          become the op's fourth input (and stay a Mul when read elsewhere).
 *          torch's batch_first MultiheadAttention (nn.TransformerEncoderLayer):
 *          fuse_attention_rows moves the token transposes around its projections
 *          into the attention's strides (q and o rows in [B, N, C] order, the
 *          out-projection a MatMul into the residual), but not when the
 *          transposed tokens or the projection's output are read elsewhere or
 *          the last transpose moves the channels.
 * models   Every model in models/ (deit_tiny.onnx when it has been exported) and
 *          every sample in ../shared/samples/: after the whole pipeline,
 *          vitc.Attention count == the attention blocks (Softmax nodes of the
 *          pipeline run without fuse_attention), no Softmax left, and no data
 *          movement op (Transpose, Reshape, Split, Slice, Gather, Squeeze,
 *          Unsqueeze) next to an attention node. Then the fused bundle is built
 *          and run on scalar and neon (under qemu-aarch64), or with `--isa` on
 *          that x86 target, and compared with the unfused scalar bundle and
 *          with ONNX Runtime (the sample's shipped output, or
 *          tests/ort/ort_run.js; its absence is a failure), within
 *          1e-4 * max(1, max|ref|). */
#ifndef ATTN_ISA_PART

#define _GNU_SOURCE
#include <check.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define ATTN_X86 1
#else
#define ATTN_X86 0
#endif

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

#include "test_rng.h"

#include "attention/f32-attention-scalar.c"

/* ================================================================ kernels */

#define GUARD 16
#define GUARD_VAL 1234.5f
#define FEPS 1.1920929e-7

typedef void (*AttnFn)(int, int, int, int, int, int, float, const float *, const int *, const float *, const int *,
                       const float *, const int *, const float *, const int *, float *, const int *, float *);


enum { L_QKV, L_SEQ, L_SEP };
static const char *const layout_name[] = {"qkv rows (timm)", "sequence-first (torch MHA)", "separate tensors"};

typedef struct KCase {
  int B, H, Nq, Nk, dk, dv, layout;
  float amp, scale;
  int gated; /* V * sigmoid(G), G a buffer of its own laid out like V's */
} KCase;

/* Where the operands live: offset and strides (batch, head, row) for Q, K, V, O,
 * and the sizes of the buffers (Q, K, V may share one). */
typedef struct KLayout {
  int off[4], st[4][3];
  size_t n_in, n_k, n_v, n_o; /* floats; n_k == n_v == 0: K and V live in the Q buffer */
} KLayout;

static void make_layout(const KCase *c, KLayout *l) {
  memset(l, 0, sizeof *l);
  int B = c->B, H = c->H, C3 = 3 * H * c->dk, Co = H * c->dv;
  switch (c->layout) {
  case L_QKV: /* X [B, N, 3, H, d]; O [B, N, H*d] */
    for (int k = 0; k < 3; k++) {
      l->off[k] = k * H * c->dk;
      l->st[k][0] = c->Nq * C3, l->st[k][1] = c->dk, l->st[k][2] = C3;
    }
    l->n_in = (size_t)B * c->Nq * C3;
    l->st[3][0] = c->Nq * Co, l->st[3][1] = c->dv, l->st[3][2] = Co;
    break;
  case L_SEQ: /* X [N, B, 3*H*d]; O [N, B, H*d] */
    for (int k = 0; k < 3; k++) {
      l->off[k] = k * H * c->dk;
      l->st[k][0] = C3, l->st[k][1] = c->dk, l->st[k][2] = B * C3;
    }
    l->n_in = (size_t)c->Nq * B * C3;
    l->st[3][0] = Co, l->st[3][1] = c->dv, l->st[3][2] = B * Co;
    break;
  default: /* Q [B,H,Nq,dk], K [B,H,Nk,dk], V [B,H,Nk,dv], O [B,H,Nq,dv] */
    l->st[0][0] = H * c->Nq * c->dk, l->st[0][1] = c->Nq * c->dk, l->st[0][2] = c->dk;
    l->st[1][0] = H * c->Nk * c->dk, l->st[1][1] = c->Nk * c->dk, l->st[1][2] = c->dk;
    l->st[2][0] = H * c->Nk * c->dv, l->st[2][1] = c->Nk * c->dv, l->st[2][2] = c->dv;
    l->st[3][0] = H * c->Nq * c->dv, l->st[3][1] = c->Nq * c->dv, l->st[3][2] = c->dv;
    l->n_in = (size_t)B * H * c->Nq * c->dk;
    l->n_k = (size_t)B * H * c->Nk * c->dk;
    l->n_v = (size_t)B * H * c->Nk * c->dv;
    break;
  }
  l->n_o = (size_t)B * H * c->Nq * c->dv;
}

static float *guarded(size_t n, float amp) {
  float *p = malloc((n + GUARD) * sizeof(float));
  ck_assert_ptr_nonnull(p);
  for (size_t i = 0; i < n; i++) p[i] = amp > 0 ? rng_f(-amp, amp) : -777.0f;
  for (size_t i = 0; i < GUARD; i++) p[n + i] = GUARD_VAL;
  return p;
}

static int guard_ok(const float *p, size_t n) {
  for (size_t i = 0; i < GUARD; i++)
    if (p[n + i] != GUARD_VAL) return 0;
  return 1;
}

/* One case on one kernel; returns the largest error / bound seen (<= 1 passes). */
static double run_kernel_case(const char *isa, AttnFn fn, const KCase *c) {
  KLayout l;
  make_layout(c, &l);
  float *X = guarded(l.n_in, c->amp);
  float *Kb = l.n_k ? guarded(l.n_k, c->amp) : NULL, *Vb = l.n_v ? guarded(l.n_v, c->amp) : NULL;
  size_t n_vbuf = l.n_v ? l.n_v : l.n_in;
  float *Gb = c->gated ? guarded(n_vbuf, 4.0f) : NULL;
  float *O = guarded(l.n_o, 0.0f);
  size_t ns = VITC_ATTENTION_SCRATCH_FLOATS(c->Nk, c->dk, c->dv, c->gated);
  float *scr = guarded(ns, 0.0f);
  float *Xc = malloc(l.n_in * sizeof(float));
  memcpy(Xc, X, l.n_in * sizeof(float));
  const float *Qp = X + l.off[0], *Kp = (Kb ? Kb : X) + l.off[1], *Vp = (Vb ? Vb : X) + l.off[2];
  const float *Gp = Gb ? Gb + l.off[2] : NULL;

  fn(c->B, c->H, c->Nq, c->Nk, c->dk, c->dv, c->scale, Qp, l.st[0], Kp, l.st[1], Vp, l.st[2], Gp, Gp ? l.st[2] : NULL,
     O + l.off[3], l.st[3], scr);

  ck_assert_msg(guard_ok(O, l.n_o), "%s: output guard overwritten", isa);
  ck_assert_msg(guard_ok(scr, ns), "%s: wrote past the documented scratch (%zu floats)", isa, ns);
  ck_assert_msg(guard_ok(X, l.n_in) && memcmp(X, Xc, l.n_in * sizeof(float)) == 0, "%s: input changed", isa);

  double worst = 0.0;
  double *s = malloc((size_t)c->Nk * sizeof(double)), *dq = malloc((size_t)c->Nk * sizeof(double));
  for (int b = 0; b < c->B; b++)
    for (int h = 0; h < c->H; h++)
      for (int i = 0; i < c->Nq; i++) {
        const float *q = Qp + b * l.st[0][0] + h * l.st[0][1] + i * l.st[0][2];
        double m = -INFINITY, sum = 0.0, ds = 0.0;
        for (int k = 0; k < c->Nk; k++) {
          const float *kr = Kp + b * l.st[1][0] + h * l.st[1][1] + k * l.st[1][2];
          double dot = 0.0, mag = 0.0;
          for (int j = 0; j < c->dk; j++) {
            dot += (double)q[j] * kr[j];
            mag += fabs((double)q[j] * kr[j]);
          }
          s[k] = dot * c->scale;
          /* rounding of the float dot product and of the scaling */
          double e = ((c->dk + 2) * FEPS * mag + FEPS * fabs(dot)) * fabs(c->scale);
          if (e > ds) ds = e;
          if (s[k] > m) m = s[k];
        }
        for (int k = 0; k < c->Nk; k++) sum += dq[k] = exp(s[k] - m);
        for (int j = 0; j < c->dv; j++) {
          double ref = 0.0, vmax = 0.0;
          for (int k = 0; k < c->Nk; k++) {
            const int vi = b * l.st[2][0] + h * l.st[2][1] + k * l.st[2][2] + j;
            double v = Vp[vi];
            if (Gp) v /= 1.0 + exp(-(double)Gp[vi]);
            ref += dq[k] / sum * v;
            if (fabs(v) > vmax) vmax = fabs(v);
          }
          double got = (O + l.off[3] + b * l.st[3][0] + h * l.st[3][1] + i * l.st[3][2])[j];
          /* each probability off by 2*ds (scores) + exp and sum rounding; then the
           * weighted sum's own rounding */
          double bound = (2.0 * ds + (2.0 * c->Nk + (Gp ? 24.0 : 16.0)) * FEPS) * vmax + 1e-30;
          double err = fabs(got - ref);
          ck_assert_msg(err <= bound,
                        "%s %s B=%d H=%d Nq=%d Nk=%d dk=%d dv=%d: O[%d,%d,%d,%d] = %.9g, want %.9g (bound %.3g)", isa,
                        layout_name[c->layout], c->B, c->H, c->Nq, c->Nk, c->dk, c->dv, b, h, i, j, got, ref, bound);
          if (err / bound > worst) worst = err / bound;
        }
      }
  free(s);
  free(dq);
  free(X);
  free(Xc);
  free(Kb);
  free(Vb);
  free(Gb);
  free(O);
  free(scr);
  return worst;
}

static const KCase kcases[] = {
    /* DeiT-Tiny and the small ViTs */
    {1, 3, 197, 197, 64, 64, L_QKV, 1.0f, 0.125f, 0},
    {2, 3, 197, 197, 64, 64, L_QKV, 1.0f, 0.125f, 0},
    {1, 2, 65, 65, 32, 32, L_QKV, 1.0f, 0.17677669f, 0},
    {2, 2, 65, 65, 32, 32, L_QKV, 1.0f, 0.17677669f, 0},
    {2, 4, 1, 1, 32, 32, L_QKV, 1.0f, 0.17677669f, 0},
    {2, 3, 1, 1, 64, 64, L_SEP, 1.0f, 0.125f, 0},
    /* lengths around the vector widths (4, 8, 16; score blocks of 16 and 32 keys) */
    {1, 1, 15, 15, 64, 64, L_QKV, 1.0f, 0.125f, 0},
    {1, 1, 16, 16, 32, 32, L_QKV, 1.0f, 0.17677669f, 0},
    {1, 1, 17, 17, 32, 32, L_QKV, 1.0f, 0.17677669f, 0},
    {1, 2, 31, 31, 16, 16, L_QKV, 1.0f, 0.25f, 0},
    {1, 2, 32, 32, 16, 16, L_QKV, 1.0f, 0.25f, 0},
    {1, 2, 33, 33, 16, 16, L_QKV, 1.0f, 0.25f, 0},
    {1, 1, 64, 64, 64, 64, L_QKV, 1.0f, 0.125f, 0},
    /* odd head dims, MobileViT's 24, dk != dv, Nq != Nk */
    {4, 2, 64, 64, 24, 24, L_QKV, 1.0f, 0.20412415f, 0},
    {1, 3, 9, 9, 5, 5, L_QKV, 1.0f, 0.4472136f, 0},
    {2, 2, 13, 29, 16, 40, L_SEP, 1.0f, 0.25f, 0},
    {1, 1, 7, 197, 64, 3, L_SEP, 1.0f, 0.125f, 0},
    {3, 2, 50, 7, 1, 17, L_SEP, 1.0f, 1.0f, 0},
    /* torch MultiheadAttention, sequence-first, batch 2 */
    {2, 2, 64, 64, 16, 16, L_SEQ, 1.0f, 0.25f, 0},
    {2, 3, 197, 197, 64, 64, L_SEQ, 1.0f, 0.125f, 0},
    /* huge scores: without subtracting the max, exp overflows */
    {1, 2, 40, 40, 64, 64, L_QKV, 8.0f, 1.0f, 0},
    /* a negative scale (the max is then that of the scaled scores) */
    {1, 2, 20, 20, 8, 8, L_QKV, 2.0f, -0.5f, 0},
    /* MABViT: gated values V * sigmoid(G) */
    {1, 2, 65, 65, 32, 32, L_QKV, 1.0f, 0.17677669f, 1},
    {2, 3, 197, 197, 64, 64, L_QKV, 1.0f, 0.125f, 1},
    {2, 2, 13, 29, 16, 21, L_SEP, 1.0f, 0.25f, 1},
    {2, 2, 40, 40, 24, 24, L_SEQ, 1.0f, 0.2f, 1},
};
#define N_KCASES ((int)(sizeof kcases / sizeof kcases[0]))

static void run_kernel_cases(const char *isa, AttnFn fn) {
  double worst = 0.0;
  rng_seed(7);
  for (int i = 0; i < N_KCASES; i++) {
    double w = run_kernel_case(isa, fn, &kcases[i]);
    if (w > worst) worst = w;
  }
  printf("attention kernel %s: %d cases, worst error %.3g of its bound\n", isa, N_KCASES, worst);
}

/* ---- the shim-based kernel, once per ISA (this file's ATTN_ISA_PART half) ---- */

#define ATTN_STR_(x) #x
#define ATTN_STR(x) ATTN_STR_(x)
#define ATTN_ISA_PART

#include "simd/scalar.h"
#include "check_attention.c"
#include "simd/unbind.h"

#if ATTN_X86 && defined(__GNUC__)
#define VITC_SIMD_ASSUME_TARGET /* X86_TARGET_PUSH below enables the ISA per function */
#include "x86_target.h"
X86_TARGET_PUSH(X86_AVX2_FEATURES)
#include "simd/avx2.h"
#include "check_attention.c"
#include "simd/unbind.h"
X86_TARGET_POP

X86_TARGET_PUSH(X86_AVX512_FEATURES)
#include "simd/avx512.h"
#include "check_attention.c"
#include "simd/unbind.h"
X86_TARGET_POP
#define ATTN_HAVE_X86_ISAS 1
#endif

#undef ATTN_ISA_PART

START_TEST(test_kernel_scalar) { run_kernel_cases("scalar", vitc_f32_attention_scalar); }
END_TEST

START_TEST(test_kernel_simd_scalar) { run_kernel_cases("simd_scalar", attn_kernel_simd_scalar()); }
END_TEST

/* The x86 ISAs run only under `--isa avx2|avx512`, which exits TU_SKIP where this CPU
 * lacks the ISA (tests/testutil.h: one ctest test per ISA). */
START_TEST(test_kernel_avx2) {
#ifdef ATTN_HAVE_X86_ISAS
  run_kernel_cases("avx2", attn_kernel_avx2());
#else
  ck_abort_msg("attention kernel avx2: not an x86 build with GCC or clang");
#endif
}
END_TEST

START_TEST(test_kernel_avx512) {
#ifdef ATTN_HAVE_X86_ISAS
  run_kernel_cases("avx512", attn_kernel_avx512());
#else
  ck_abort_msg("attention kernel avx512: not an x86 build with GCC or clang");
#endif
}
END_TEST

/* ================================================================ graphs */

/* new_graph, add_input, mark_output, live: tests/mkonnx.h */
static int add_f32(Graph *g, int rank, const int64_t *d, const float *v) { return add_const_f32(g, NULL, rank, d, v); }
static int scalar_f32(Graph *g, float v) { return add_f32(g, 0, NULL, &v); }

static int add_i64(Graph *g, int n, const int64_t *v) { return add_const_i64(g, NULL, n, v); }

static int scalar_i64(Graph *g, int64_t v) {
  Shape s = {0, {0}};
  int64_t *data = xmalloc(sizeof(int64_t));
  *data = v;
  return graph_add_const(g, NULL, DT_INT64, &s, data);
}

#define NODE(g, op, ...) NODE_TO(g, op, NULL, NULL, __VA_ARGS__) /* unnamed (tests/mkonnx.h) */

static void set_ints_attr(Graph *g, int t, const char *name, int n, const int64_t *v) {
  Attr *a = node_add_attr(g, g->t[t].producer, name, ATTR_INTS);
  a->n = n;
  a->ints = xmalloc((size_t)n * sizeof(int64_t) + 1);
  memcpy(a->ints, v, (size_t)n * sizeof(int64_t));
}

static void set_int_attr(Graph *g, int t, const char *name, int64_t v) {
  node_add_attr(g, g->t[t].producer, name, ATTR_INT)->i = v;
}

static int transpose(Graph *g, int x, int rank, const int64_t *perm) {
  int t = NODE(g, OP_Transpose, x);
  set_ints_attr(g, t, "perm", rank, perm);
  return t;
}

static int reshape(Graph *g, int x, int rank, const int64_t *shape) { return NODE(g, OP_Reshape, x, add_i64(g, rank, shape)); }


/* Shape inference, then the pass; returns what it returned. */
static int run_pass(Graph *g) {
  ck_assert_int_ge(pass_fold_constants(g), 0);
  int rc = pass_fuse_attention(g);
  ck_assert_int_ge(rc, 0);
  graph_compact(g);
  ck_assert_int_eq(graph_verify(g, "fuse_attention"), 0);
  return rc;
}

static void expect_ints(const Node *n, const char *name, int cnt, const int64_t *want) {
  const int64_t *v;
  ck_assert_int_eq(attr_ints(n, name, &v), cnt);
  for (int i = 0; i < cnt; i++)
    ck_assert_msg(v[i] == want[i], "attribute %s[%d] = %lld, want %lld", name, i, (long long)v[i], (long long)want[i]);
}

enum { GN = 5, GH = 2, GD = 4, GC = GH * GD };

enum {
  V_GATHER = 1,      /* q, k, v by Gather(axis 0, scalar index) instead of Split + Squeeze */
  V_SPLIT_SCALE = 2, /* sqrt(scale) on q and on k^T (dynamo) */
  V_P_OUTPUT = 4,    /* the probabilities are also a graph output: must not fire */
  V_AXIS = 8,        /* softmax over axis 2: must not fire */
  V_HEAD_SCALE = 16, /* a scale [1,H,1,1] that differs per head: must not fire */
  V_S_READ = 32,     /* the scores have a second reader: must not fire */
  V_SCALED_V = 64,   /* v * 2: left unfused */
};

/* timm's attention on a qkv input [1, GN, 3*GC]; returns the output [1, GN, GC]. */
static int build_timm(Graph *g, unsigned variant) {
  static const int64_t xd[3] = {1, GN, 3 * GC}, r5[5] = {1, GN, 3, GH, GD}, p5[5] = {2, 0, 3, 1, 4};
  static const int64_t pk[4] = {0, 1, 3, 2}, po[4] = {0, 2, 1, 3}, ro[3] = {1, GN, GC};
  int x = add_input(g, "qkv", 3, xd);
  int t = transpose(g, reshape(g, x, 5, r5), 5, p5);
  int q, k, v;
  if (variant & V_GATHER) {
    q = NODE(g, OP_Gather, t, scalar_i64(g, 0));
    k = NODE(g, OP_Gather, t, scalar_i64(g, 1));
    v = NODE(g, OP_Gather, t, scalar_i64(g, -1)); /* negative index: the last */
  } else {
    static const int64_t ones[3] = {1, 1, 1}, ax0[1] = {0};
    int outs[3] = {graph_add_tensor(g, NULL), graph_add_tensor(g, NULL), graph_add_tensor(g, NULL)};
    int in[2] = {t, add_i64(g, 3, ones)};
    graph_add_node(g, OP_Split, NULL, in, 2, outs, 3);
    q = NODE(g, OP_Squeeze, outs[0], add_i64(g, 1, ax0));
    k = NODE(g, OP_Squeeze, outs[1], add_i64(g, 1, ax0));
    v = NODE(g, OP_Squeeze, outs[2], add_i64(g, 1, ax0));
  }
  int kt = transpose(g, k, 4, pk);
  if (variant & V_SPLIT_SCALE) {
    q = NODE(g, OP_Mul, q, scalar_f32(g, 0.5f));
    kt = NODE(g, OP_Mul, scalar_f32(g, 0.25f), kt);
  }
  if (variant & V_SCALED_V) v = NODE(g, OP_Mul, v, scalar_f32(g, 2.0f));
  int s = NODE(g, OP_MatMul, q, kt), ss;
  if (variant & V_HEAD_SCALE) {
    static const int64_t hd[4] = {1, GH, 1, 1};
    static const float hv[GH] = {0.5f, 0.25f};
    ss = NODE(g, OP_Mul, s, add_f32(g, 4, hd, hv));
  } else if (!(variant & V_SPLIT_SCALE)) {
    ss = NODE(g, OP_Div, s, scalar_f32(g, 2.0f));
  } else {
    ss = s;
  }
  if (variant & V_S_READ) mark_output(g, NODE(g, OP_ReduceMax, s));
  int p = NODE(g, OP_Softmax, ss);
  if (variant & V_AXIS) set_int_attr(g, p, "axis", 2);
  if (variant & V_P_OUTPUT) mark_output(g, p);
  int a = NODE(g, OP_MatMul, p, v);
  int o = reshape(g, transpose(g, a, 4, po), 3, ro);
  mark_output(g, o);
  return o;
}

START_TEST(test_graph_timm) {
  static const unsigned variants[] = {0, V_GATHER, V_SPLIT_SCALE, V_GATHER | V_SPLIT_SCALE};
  for (size_t i = 0; i < sizeof variants / sizeof variants[0]; i++) {
    Graph *g = new_graph(17);
    int o = build_timm(g, variants[i]);
    ck_assert_int_eq(run_pass(g), 1);
    ck_assert_int_eq(live_nodes(g), 1); /* everything else went */
    const Node *n = the(g, OP_VitcAttention);
    ck_assert_int_eq(n->out[0], o);
    int x = g->inputs[0];
    ck_assert(n->in[0] == x && n->in[1] == x && n->in[2] == x);
    static const int64_t dims[6] = {1, GH, GN, GN, GD, GD};
    static const int64_t q[4] = {0, 0, GD, 3 * GC}, k[4] = {GC, 0, GD, 3 * GC}, v[4] = {2 * GC, 0, GD, 3 * GC};
    static const int64_t oo[4] = {0, 0, GD, GC}, shape[3] = {1, GN, GC};
    expect_ints(n, "dims", 6, dims);
    expect_ints(n, "q", 4, q);
    expect_ints(n, "k", 4, k);
    expect_ints(n, "v", 4, v);
    expect_ints(n, "o", 4, oo);
    expect_ints(n, "shape", 3, shape);
    ck_assert_float_eq(attr_float(n, "scale", 0.0f), variants[i] & V_SPLIT_SCALE ? 0.125f : 0.5f);
    graph_free(g);
  }
}
END_TEST

START_TEST(test_graph_not_fired) {
  static const unsigned variants[] = {V_P_OUTPUT, V_AXIS, V_HEAD_SCALE, V_S_READ, V_SCALED_V};
  for (size_t i = 0; i < sizeof variants / sizeof variants[0]; i++) {
    Graph *g = new_graph(17);
    build_timm(g, variants[i]);
    ck_assert_msg(run_pass(g) == 0, "variant %u fired", variants[i]);
    ck_assert_int_eq(live(g, OP_VitcAttention), 0);
    ck_assert_int_eq(live(g, OP_Softmax), 1);
    graph_free(g);
  }
}
END_TEST

/* torch MultiheadAttention's sequence-first attention, batch 2, on qkv [N, 2, 3C]: Sliced
 * into q, k, v, each Reshaped to [N, 2*H, d] and Transposed to [2*H, N, d] (k to
 * [2*H, d, N]), softmax(q / 2 @ k) @ v Transposed back to [N, 2*H, d]; returns that. */
static int seq_first_attention(Graph *g, int qkv) {
  static const int64_t r3[3] = {GN, 2 * GH, GD}, p102[3] = {1, 0, 2}, p120[3] = {1, 2, 0}, axes[1] = {2};
  int part[3];
  for (int i = 0; i < 3; i++) {
    int64_t st = i * GC, en = (i + 1) * GC;
    part[i] = NODE(g, OP_Slice, qkv, add_i64(g, 1, &st), add_i64(g, 1, &en), add_i64(g, 1, axes));
    part[i] = reshape(g, part[i], 3, r3);
  }
  int q = NODE(g, OP_Div, transpose(g, part[0], 3, p102), scalar_f32(g, 2.0f));
  int kt = transpose(g, part[1], 3, p120), v = transpose(g, part[2], 3, p102);
  int p = NODE(g, OP_Softmax, NODE(g, OP_MatMul, q, kt));
  return transpose(g, NODE(g, OP_MatMul, p, v), 3, p102);
}

/* The sequence-first attention on the input x [N, 2, 3C], reshaped to [N, 2, C]. */
START_TEST(test_graph_seq_first) {
  enum { B = 2 };
  static const int64_t xd[3] = {GN, B, 3 * GC}, ro[3] = {GN, B, GC};
  Graph *g = new_graph(17);
  int x = add_input(g, "x", 3, xd);
  int o = reshape(g, seq_first_attention(g, x), 3, ro);
  mark_output(g, o);
  ck_assert_int_eq(run_pass(g), 1);
  ck_assert_int_eq(live_nodes(g), 1);
  const Node *n = the(g, OP_VitcAttention);
  static const int64_t dims[6] = {B, GH, GN, GN, GD, GD};
  static const int64_t q4[4] = {0, 3 * GC, GD, B * 3 * GC}, k4[4] = {GC, 3 * GC, GD, B * 3 * GC};
  static const int64_t v4[4] = {2 * GC, 3 * GC, GD, B * 3 * GC}, o4[4] = {0, GC, GD, B * GC};
  expect_ints(n, "dims", 6, dims);
  expect_ints(n, "q", 4, q4);
  expect_ints(n, "k", 4, k4);
  expect_ints(n, "v", 4, v4);
  expect_ints(n, "o", 4, o4);
  expect_ints(n, "shape", 3, ro);
  ck_assert_float_eq(attr_float(n, "scale", 0.0f), 0.5f);
  graph_free(g);
}
END_TEST

/* torch's batch_first MultiheadAttention as nn.TransformerEncoderLayer exports it:
 * x [B,N,C] transposed to [N,B,C] for the in-projection (MatMul + Add), the
 * attention sequence-first, the out-projection a Gemm on [N*B,C], Reshaped and
 * transposed back, and the residual x + R. Variants that must keep the layout:
 * 1 the transposed x is also a graph output (input side stays), 2 the
 * out-projection's output is also a graph output (output side stays), 3 the last
 * transpose moves the last axis (it stays; only the Reshape before it goes). */
static int build_torch_mha(Graph *g, int variant, int *xT, int *G) {
  enum { B = 2 };
  static const int64_t xd[3] = {B, GN, GC}, p102[3] = {1, 0, 2}, r2[2] = {GN * B, GC};
  float win[GC * 3 * GC], bin[3 * GC], wout[GC * GC], bout[GC];
  for (int i = 0; i < GC * 3 * GC; i++) win[i] = (float)(i % 7) * 0.1f;
  for (int i = 0; i < 3 * GC; i++) bin[i] = 0.01f * (float)i;
  for (int i = 0; i < GC * GC; i++) wout[i] = (float)(i % 5) * 0.2f;
  for (int i = 0; i < GC; i++) bout[i] = -0.02f * (float)i;
  int x = add_input(g, "x", 3, xd);
  *xT = transpose(g, x, 3, p102);
  if (variant == 1) mark_output(g, *xT);
  int qkv = NODE(g, OP_Add, add_f32(g, 1, (int64_t[]){3 * GC}, bin),
                 NODE(g, OP_MatMul, *xT, add_f32(g, 2, (int64_t[]){GC, 3 * GC}, win)));
  int o = reshape(g, seq_first_attention(g, qkv), 2, r2);
  *G = NODE(g, OP_Gemm, o, add_f32(g, 2, (int64_t[]){GC, GC}, wout), add_f32(g, 1, (int64_t[]){GC}, bout));
  set_int_attr(g, *G, "transB", 1);
  if (variant == 2) mark_output(g, *G);
  int R = reshape(g, *G, 3, (int64_t[]){GN, B, GC});
  R = variant == 3 ? transpose(g, R, 3, (int64_t[]){1, 2, 0}) : transpose(g, R, 3, p102);
  int y = variant == 3 ? R : NODE(g, OP_Add, x, R);
  mark_output(g, y);
  return y;
}

START_TEST(test_graph_torch_mha_rows) {
  enum { B = 2 };
  for (int variant = 0; variant < 4; variant++) {
    Graph *g = new_graph(17);
    int xT, G;
    build_torch_mha(g, variant, &xT, &G);
    ck_assert_int_eq(run_pass(g), 1);
    ck_assert_int_eq(pass_fuse_attention_rows(g), 1); /* at least one side, in every variant */
    graph_compact(g);
    ck_assert_int_eq(graph_verify(g, "fuse_attention_rows"), 0);
    const Node *n = the(g, OP_VitcAttention);
    /* input side: rows (b, n) of the untransposed projection [B, N, 3C], unless x^T is read elsewhere */
    static const int64_t q_bn[4] = {0, GN * 3 * GC, GD, 3 * GC}, q_nb[4] = {0, 3 * GC, GD, B * 3 * GC};
    expect_ints(n, "q", 4, variant == 1 ? q_nb : q_bn);
    ck_assert_int_eq(g->t[n->in[0]].shape.d[0], (variant == 1 ? GN : B));
    /* output side: rows in [B, N, C] order, the projection a MatMul (+ bias) into the residual */
    static const int64_t o_bn[4] = {0, GN * GC, GD, GC}, o_nb[4] = {0, GC, GD, B * GC};
    bool out_side = variant == 0 || variant == 1, reshaped = variant != 2; /* 3: only the Reshape goes */
    expect_ints(n, "o", 4, out_side ? o_bn : o_nb);
    ck_assert_int_eq(live(g, OP_Gemm), (reshaped ? 0 : 1));
    ck_assert_int_eq(live(g, OP_Reshape), (reshaped ? 0 : 1));
    ck_assert_int_eq(live(g, OP_Transpose), ((variant == 1) + !out_side));
    if (out_side) { /* the out-projection reads the attention's rows: a MatMul [B, N, C] into Add(bias) */
      int mm = -1;
      for (int i = 0; i < g->nn; i++)
        if (!g->n[i].dead && g->n[i].op == OP_MatMul && g->n[i].in[0] == n->out[0]) mm = i;
      ck_assert_int_ge(mm, 0);
      ck_assert_int_eq(g->t[g->n[mm].out[0]].shape.rank, 3);
      ck_assert_int_eq(g->t[g->n[mm].out[0]].shape.d[0], B);
      ck_assert_int_eq(live(g, OP_Reshape), 0);
    }
    graph_free(g);
  }
}
END_TEST

/* MABViT: q, k, v, g Sliced out of one [1, N, 4C] projection, V = v * sigmoid(g). */
static int build_mabvit(Graph *g, bool gate_read_elsewhere) {
  static const int64_t xd[3] = {1, GN, 4 * GC}, r4[4] = {1, GN, GH, GD}, p0213[4] = {0, 2, 1, 3};
  static const int64_t p0231[4] = {0, 2, 3, 1}, ro[3] = {1, GN, GC}, axes[1] = {-1};
  int x = add_input(g, "qkvg", 3, xd), part[4];
  for (int i = 0; i < 4; i++) {
    int64_t st = i * GC, en = (i + 1) * GC;
    part[i] = NODE(g, OP_Slice, x, add_i64(g, 1, &st), add_i64(g, 1, &en), add_i64(g, 1, axes));
  }
  int gv = NODE(g, OP_Mul, part[2], NODE(g, OP_Sigmoid, part[3]));
  if (gate_read_elsewhere) mark_output(g, gv);
  int q = transpose(g, reshape(g, part[0], 4, r4), 4, p0213);
  int kt = transpose(g, reshape(g, part[1], 4, r4), 4, p0231);
  int v = transpose(g, reshape(g, gv, 4, r4), 4, p0213);
  int p = NODE(g, OP_Softmax, NODE(g, OP_Mul, NODE(g, OP_MatMul, q, kt), scalar_f32(g, 0.5f)));
  int o = reshape(g, transpose(g, NODE(g, OP_MatMul, p, v), 4, p0213), 3, ro);
  mark_output(g, o);
  return o;
}

START_TEST(test_graph_mabvit_gate) {
  for (int shared = 0; shared < 2; shared++) {
    Graph *g = new_graph(17);
    build_mabvit(g, shared);
    ck_assert_int_eq(run_pass(g), 1);
    const Node *n = the(g, OP_VitcAttention);
    static const int64_t q4[4] = {0, 0, GD, 4 * GC}, k4[4] = {GC, 0, GD, 4 * GC}, o4[4] = {0, 0, GD, GC};
    static const int64_t v4[4] = {2 * GC, 0, GD, 4 * GC}, g4[4] = {3 * GC, 0, GD, 4 * GC};
    static const int64_t vmul[4] = {0, 0, GD, GC}; /* the gated values, read where the Mul wrote them */
    expect_ints(n, "q", 4, q4);
    expect_ints(n, "k", 4, k4);
    expect_ints(n, "o", 4, o4);
    if (!shared) { /* gate fused: q, k, v, g all read from the projection */
      ck_assert_int_eq(n->n_in, 4);
      for (int k = 0; k < 4; k++) ck_assert_int_eq(n->in[k], g->inputs[0]);
      expect_ints(n, "v", 4, v4);
      expect_ints(n, "g", 4, g4);
      ck_assert_int_eq(live_nodes(g), 1);
    } else { /* someone else reads v * sigmoid(g): the gate stays, attention reads its output */
      ck_assert_int_eq(n->n_in, 3);
      ck_assert_int_eq(g->n[g->t[n->in[2]].producer].op, OP_Mul);
      expect_ints(n, "v", 4, vmul);
      ck_assert_int_eq(live(g, OP_Sigmoid), 1);
    }
    graph_free(g);
  }
}
END_TEST

/* The op refuses attributes that would read outside an operand or leave output
 * elements unwritten. */
START_TEST(test_op_contract) {
  static const int64_t xd[3] = {1, GN, 3 * GC};
  for (int bad = 0; bad < 4; bad++) {
    Graph *g = new_graph(17);
    int x = add_input(g, "qkv", 3, xd);
    int t = graph_add_tensor(g, "out");
    int in[3] = {x, x, x};
    int ni = graph_add_node(g, OP_VitcAttention, "attn", in, 3, &t, 1);
    int64_t dims[6] = {1, GH, GN, GN, GD, GD}, q[4] = {0, 0, GD, 3 * GC}, k[4] = {GC, 0, GD, 3 * GC};
    int64_t v[4] = {2 * GC, 0, GD, 3 * GC}, o[4] = {0, 0, GD, GC}, shape[3] = {1, GN, GC};
    if (bad == 1) v[0] = 2 * GC + 1;  /* the last row runs past the end */
    if (bad == 2) o[3] = GC + 1;      /* gaps in the output */
    if (bad == 3) shape[2] = GC + 1;  /* more output than the attention writes */
    const char *names[6] = {"dims", "q", "k", "v", "o", "shape"};
    const int64_t *vals[6] = {dims, q, k, v, o, shape};
    const int cnt[6] = {6, 4, 4, 4, 4, 3};
    for (int a = 0; a < 6; a++) {
      Attr *at = node_add_attr(g, ni, names[a], ATTR_INTS);
      at->n = cnt[a];
      at->ints = xmalloc((size_t)cnt[a] * sizeof(int64_t));
      memcpy(at->ints, vals[a], (size_t)cnt[a] * sizeof(int64_t));
    }
    node_add_attr(g, ni, "scale", ATTR_FLOAT)->f = 0.5f;
    int rc = op_impl(OP_VitcAttention)->infer(g, &g->n[ni]);
    ck_assert_msg(bad ? rc < 0 : rc == 0, "case %d: infer returned %d", bad, rc);
    if (!bad) {
      ck_assert_int_eq(g->t[t].shape.rank, 3);
      ck_assert_int_eq(g->t[t].shape.d[2], GC);
      ck_assert_int_eq(op_impl(OP_VitcAttention)->macs(g, &g->n[ni]), (int64_t)GH * GN * GN * 2 * GD);
      ck_assert_uint_ge(op_impl(OP_VitcAttention)->scratch(g, &g->n[ni], target_find("scalar")),
                        VITC_ATTENTION_SCRATCH_FLOATS(GN, GD, GD, 0) * sizeof(float));
    }
    graph_free(g);
  }
}
END_TEST

/* ================================================================ models */

#define RTOL 1e-4

typedef struct MCase {
  const char *path; /* relative to the source dir */
  int attention;    /* attention blocks (after NOSE removes the zeroed ones) */
  int gated;        /* of which with MABViT's gated values */
  bool sample;      /* ships NAME.input.bin and NAME.ort_output.bin */
} MCase;

static const MCase mcases[] = {
    {"models/vit_tiny32.onnx", 2, 0, false},
    {"models/vit_tiny32_b2.onnx", 2, 0, false},
    {"models/vit_tiny32_op13.onnx", 2, 0, false},
    {"models/vit_tiny32_extdata.onnx", 2, 0, false},
    {"models/nose_vit32.onnx", 1, 0, false},
    {"models/mabvit32.onnx", 2, 2, false},
    {"models/filter_vit.onnx", 1, 0, false},
    {"models/filter_vit_b2.onnx", 1, 0, false},
    {"models/filter_vit_seq.onnx", 1, 0, false},
    {"models/filter_vit2.onnx", 2, 0, false},
    {"models/dropout_vit.onnx", 1, 0, false},
    {"models/mobilevit_tiny.onnx", 2, 0, false},
    {"models/deit_tiny.onnx", 12, 0, false},
#ifdef VITC_SAMPLES_DIR /* defined by tests/CMakeLists.txt where the samples are (else its 'samples' test skips) */
    {"dynamo_vit_tiny_p4_32_d2.onnx", 2, 0, true},
    {"dynamo_default_vit_tiny_p4_32_d2.onnx", 2, 0, true},
    {"dynamo_mobilevit_xxs_64.onnx", 9, 0, true},
#endif
};
#define N_MCASES ((int)(sizeof mcases / sizeof mcases[0]))


static bool moves_data(OpKind op) {
  return op == OP_Transpose || op == OP_Reshape || op == OP_Split || op == OP_Slice || op == OP_Gather ||
         op == OP_Squeeze || op == OP_Unsqueeze || op == OP_Flatten;
}

START_TEST(test_models) {
  const MCase *mc = &mcases[_i];
  char *model = tu_case_model(mc->path, mc->sample);
  /* a missing model is a failure, not a skip (deit_tiny.onnx comes from the model_deit_tiny_export
   * fixture; the samples are listed only where CMake found them) */
  ck_assert_msg(tu_exists(model), "%s is absent (%s)", mc->path,
                mc->sample ? "a sample listed in VITC_SAMPLES_DIR" : "python3 models/export.py --only deit_tiny");
  char *stem = tu_stem(model);
  Graph *fused = compile_model(model, NULL, NULL), *plain = compile_model(model, "fuse_attention", NULL);

  /* the pattern fired on every attention block, and took its copies along */
  int n_attn = live(fused, OP_VitcAttention), moves_before = 0, moves_after = 0;
  for (int i = 0; i < plain->nn; i++) moves_before += !plain->n[i].dead && moves_data(plain->n[i].op);
  for (int i = 0; i < fused->nn; i++) moves_after += !fused->n[i].dead && moves_data(fused->n[i].op);
  printf("%s: %d attention blocks -> %d vitc.Attention; data movement ops %d -> %d\n", stem,
         live(plain, OP_Softmax), n_attn, moves_before, moves_after);
  ck_assert_int_eq(live(plain, OP_Softmax), mc->attention);
  ck_assert_int_eq(n_attn, mc->attention);
  ck_assert_int_eq(live(fused, OP_Softmax), 0);
  int n_gated = 0;
  for (int i = 0; i < fused->nn; i++) {
    const Node *n = &fused->n[i];
    if (n->dead || n->op != OP_VitcAttention) continue;
    n_gated += n->n_in == 4;
    for (int k = 0; k < n->n_in; k++) {
      int p = fused->t[n->in[k]].producer;
      ck_assert_msg(p < 0 || !moves_data(fused->n[p].op), "%s: %s reads a %s", stem, n->name, op_name(fused->n[p].op));
    }
    for (int j = 0; j < fused->nn; j++) {
      const Node *u = &fused->n[j];
      if (u->dead) continue;
      for (int k = 0; k < u->n_in; k++)
        ck_assert_msg(u->in[k] != n->out[0] || !moves_data(u->op), "%s: %s feeds a %s", stem, n->name, op_name(u->op));
    }
  }
  ck_assert_int_eq(n_gated, mc->gated);

  /* numbers: fused on every target here against unfused scalar and ONNX Runtime */
  char *work = tu_work_dir("attention", stem);
  const TuVariant variants[] = {{"fused", fused, false, TU_VS_ORT_ONLY}, {"unfused", plain, true, TU_VS_FIRST_RTOL}};
  const TuAgainstOrt spec = {model, work, "check_attention", variants, 2, mc->sample, NULL, 1, RTOL};
  char *why = tu_against_ort(&spec);
  ck_assert_msg(why == NULL, "%s", why);
  free(work);
  graph_free(fused);
  graph_free(plain);
  free(stem);
  free(model);
}
END_TEST

int main(int argc, char **argv) {
  int verdict = tu_isa_verdict("check_attention", &argc, argv);
  if (verdict >= 0) return verdict;
  const char *isa = tu_selected_isa();
  Suite *s = suite_create("attention");
  TCase *tk = tcase_create("kernels");
  tcase_set_timeout(tk, 300);
  const TuIsaTest kernel_tests[] = {
      {NULL, test_kernel_scalar},
      {NULL, test_kernel_simd_scalar},
      {"avx2", test_kernel_avx2},
      {"avx512", test_kernel_avx512},
  };
  tu_add_isa_tests(tk, isa, kernel_tests, sizeof kernel_tests / sizeof kernel_tests[0]);
  suite_add_tcase(s, tk);
  if (!isa) { /* target-independent */
    TCase *tg = tcase_create("graphs");
    tcase_add_test(tg, test_graph_timm);
    tcase_add_test(tg, test_graph_not_fired);
    tcase_add_test(tg, test_graph_seq_first);
    tcase_add_test(tg, test_graph_torch_mha_rows);
    tcase_add_test(tg, test_graph_mabvit_gate);
    tcase_add_test(tg, test_op_contract);
    suite_add_tcase(s, tg);
  }
  TCase *tm = tcase_create("models");
  tcase_set_timeout(tm, 1800);
  tcase_add_loop_test(tm, test_models, 0, N_MCASES);
  suite_add_tcase(s, tm);
  return tu_run_suite(s);
}

#else /* ATTN_ISA_PART: the shim-based kernel for the shim bound now */

#include "attention/f32-attention-simd.c"

/* vitc_f32_attention_<isa>, for the runner (called only where the CPU has the ISA). */
static AttnFn VITC_FN(attn_kernel)(void) { return VITC_FN(vitc_f32_attention); }

#endif /* ATTN_ISA_PART */
