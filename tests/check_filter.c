/* tests/check_filter.c: FilterViT's and DropoutViT's token selection lowered
 * (compiler/passes/fuse_filter_tokens.c, fuse_attention_rows.c, ops/tokens.c,
 * templates/layout/f32-tokens-scalar.c, TopK's selection and the planner's
 * in-place scatter).
 *
 * kernels  vitc_f32_gather_tokens_scalar / vitc_f32_scatter_tokens_scalar against
 *          naive loops: [B,C,P] and [B,P,C] maps, one shared index list, a gate,
 *          position rows, sequence-first output, updates through strides, in
 *          place and not, negative and out-of-range indices; guards after every
 *          buffer stay untouched.
 * graphs   Filter blocks written here with tests/mkonnx.h in the forms exporters
 *          produce (GatherElements over [B,C,P] + Transpose, over the transposed
 *          [B,P,C] map, Gather of one index list; TopK or a constant index set,
 *          folded or not; gating by the whole score map or by TopK's values; a
 *          position table; a sequence-first stand-in encoder), each run through
 *          the whole pipeline: the pass must fire (one vitc.GatherTokens and one
 *          vitc.ScatterTokens, no GatherElements, ScatterElements or Transpose
 *          left) and the scatter must write in place exactly when the map is a
 *          workspace buffer nothing reads afterwards. Near-misses must not fire:
 *          indices that vary along the channels, a scatter with a reduction, a
 *          run-time position table gathered with other indices (the Gather and
 *          Add stay; constant rows of any pixels are absorbed as rows), gathered
 *          values read elsewhere, and a K that is not a compile-time constant is
 *          a one-line error.
 * models   Those blocks, with ties in TopK (a score map of small integers and K
 *          splitting a run of equal values), K = HW and K = 1, batch 2, plus the
 *          committed FilterViT/DropoutViT models and the paper-scale stages
 *          (models/filter_stage28.onnx, dropout_stage28.onnx, exported by their
 *          ctest fixtures): compiled with the passes and without them
 *          (vitc_skip_passes), built and run on scalar and neon (under qemu), or
 *          with `--isa` on that x86 target, and compared with ONNX Runtime
 *          (tests/ort/ort_run.js) within 1e-4 * max(1, max|ref|); the fused
 *          graphs must show the lowered ops. TopK alone: ties split by K, and
 *          NaN with K = 1 (ONNX Runtime's scan, which vitc reproduces), match
 *          ONNX Runtime exactly, indices included; with K > 1 ONNX Runtime's
 *          choice among NaNs depends on its algorithm (printed here, not
 *          compared), and vitc's documented order is checked in check_kern_dense. */
#define _GNU_SOURCE
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_runner.h"
#include "emit/emit.h"
#include "emit/target.h"
#include "ir/diag.h"
#include "ir/graph.h"
#include "mkonnx.h"
#include "onnx/load.h"
#include "ops/op.h"
#include "passes/passes.h"
#include "plan/plan.h"
#include "testutil.h"

#include "test_rng.h"

#include "layout/f32-tokens-scalar.c"

#define RTOL 1e-4
#define GUARD 16
#define GUARD_VAL 4321.5f


static float *new_floats(size_t n, bool random) {
  float *p = malloc((n + GUARD) * sizeof(float));
  for (size_t i = 0; i < n; i++) p[i] = random ? rng_f(-1.0f, 1.0f) : -777.0f;
  for (size_t i = 0; i < GUARD; i++) p[n + i] = GUARD_VAL;
  return p;
}

static void guards_ok(const float *p, size_t n) {
  for (size_t i = 0; i < GUARD; i++) ck_assert_msg(p[n + i] == GUARD_VAL, "guard %zu overwritten", i);
}

/* ================================================================ kernels */

START_TEST(test_kernels) {
  rng_seed(7);
  for (int layout = 0; layout < 2; layout++)   /* map [B,C,P] or [B,P,C] */
    for (int shared = 0; shared < 2; shared++) /* one index list for every image */
      for (int extras = 0; extras < 8; extras++)  /* bit 0 gate; 2, 4, 6: rows by pixel, token, image and token */
        for (int seq = 0; seq < 2; seq++) {     /* output [K,B,C]; updates read from it */
          const int B = 2, C = 5, P = 13, K = 4;
          int ms[3] = {C * P, layout ? 1 : P, layout ? C : 1};
          int os[2] = {seq ? C : K * C, seq ? B * C : C};
          int us[3] = {os[0], os[1], 1};
          float *M = new_floats((size_t)B * C * P, true), *S = new_floats((size_t)B * K, true);
          float *Tab = new_floats((size_t)P * C, true), *T = new_floats((size_t)B * K * C, false);
          const int tab_rows = (extras >> 1) - 1; /* -1: no rows */
          float *Y = new_floats((size_t)B * C * P, false);
          int64_t I[2 * 4] = {3, 12, -1, 20, 0, 7, 7, 5}; /* -1 is 12; 20 is out of range; 7 twice */
          const int ib = shared ? 0 : K;
          vitc_f32_gather_tokens_scalar(B, C, P, K, M, ms, I, ib, extras & 1 ? S : NULL, tab_rows >= 0 ? Tab : NULL,
                                        tab_rows < 0 ? 0 : tab_rows, T, os);
          for (int b = 0; b < B; b++)
            for (int i = 0; i < K; i++) {
              int64_t p = I[b * ib + i];
              if (p < 0) p += P;
              for (int c = 0; c < C; c++) {
                float want = 0.0f;
                if (p >= 0 && p < P) {
                  want = M[b * ms[0] + c * ms[1] + p * ms[2]];
                  if (extras & 1) want *= S[b * K + i];
                  if (tab_rows >= 0) want += Tab[(tab_rows == 0 ? p : tab_rows == 1 ? i : b * K + i) * C + c];
                }
                float got = T[b * os[0] + i * os[1] + c];
                ck_assert_msg(got == want, "gather layout %d shared %d extras %d seq %d (%d,%d,%d): %g, want %g",
                              layout, shared, extras, seq, b, i, c, got, want);
              }
            }
          guards_ok(T, (size_t)B * K * C);
          /* scatter, out of place then in place (Y == M): the later of equal indices wins */
          for (int inplace = 0; inplace < 2; inplace++) {
            float *ref = malloc((size_t)B * C * P * sizeof(float));
            memcpy(ref, M, (size_t)B * C * P * sizeof(float));
            for (int b = 0; b < B; b++)
              for (int i = 0; i < K; i++) {
                int64_t p = I[b * ib + i];
                if (p < 0) p += P;
                if (p < 0 || p >= P) continue;
                for (int c = 0; c < C; c++) ref[b * ms[0] + c * ms[1] + p * ms[2]] = T[b * us[0] + i * us[1] + c];
              }
            float *dst = inplace ? M : Y;
            vitc_f32_scatter_tokens_scalar(B, C, P, K, M, ms, I, ib, T, us, dst);
            ck_assert_msg(memcmp(dst, ref, (size_t)B * C * P * sizeof(float)) == 0, "scatter layout %d shared %d in place %d",
                          layout, shared, inplace);
            guards_ok(dst, (size_t)B * C * P);
            free(ref);
          }
          free(M), free(S), free(Tab), free(T), free(Y);
        }
}
END_TEST

/* ================================================================ filter blocks */

enum { BCHW, BHWC, INDEX };                    /* how the pixels are gathered */
enum { SEL_TOPK, SEL_CONST, SEL_CONST_FOLDED }; /* TopK, or a constant set (Expand left, or folded) */
enum { SC_SIGMOID, SC_FLOOR };                 /* score map: sigmoid, or small integers (ties) */
enum { GATE_NONE, GATE_MAP, GATE_SELECTED };
enum { NEAR_NONE, NEAR_CHANNELS, NEAR_REDUCTION, NEAR_POS_OTHER, NEAR_READ_TWICE };
/* seq: 1 a sequence-first stand-in encoder between two (1,0,2) transposes; 2 the exporter's form
 * of a batch_first encoder over [B,C,K] gathered values: one (0,2,1) transpose for the residual
 * and one composed (2,0,1) transpose for the projection */

typedef struct Spec {
  const char *name;
  int B, C, H, W, K;
  int form, select, score, gate, pos, seq, near;
  int want_gather, want_scatter; /* lowered ops expected after the pipeline */
} Spec;

static const Spec specs[] = {
    /* name               B  C  H  W   K  form   select            score       gate           pos seq near */
    {"bchw_map_table",     1, 8, 6, 6, 10, BCHW,  SEL_TOPK,         SC_SIGMOID, GATE_MAP,      1, 0, NEAR_NONE, 1, 1},
    {"bchw_b2_selected",   2, 8, 5, 7, 9,  BCHW,  SEL_TOPK,         SC_SIGMOID, GATE_SELECTED, 1, 0, NEAR_NONE, 1, 1},
    {"bhwc_b2_seq",        2, 6, 6, 6, 12, BHWC,  SEL_TOPK,         SC_SIGMOID, GATE_MAP,      0, 1, NEAR_NONE, 1, 1},
    {"index_b1_selected",  1, 8, 6, 5, 7,  INDEX, SEL_TOPK,         SC_SIGMOID, GATE_SELECTED, 1, 1, NEAR_NONE, 1, 1},
    {"ties_b2",            2, 4, 6, 6, 14, BCHW,  SEL_TOPK,         SC_FLOOR,   GATE_MAP,      1, 0, NEAR_NONE, 1, 1},
    {"ties_index",         1, 4, 7, 7, 20, INDEX, SEL_TOPK,         SC_FLOOR,   GATE_NONE,     0, 0, NEAR_NONE, 1, 1},
    {"k_equals_hw",        2, 4, 4, 5, 20, BHWC,  SEL_TOPK,         SC_SIGMOID, GATE_SELECTED, 1, 0, NEAR_NONE, 1, 1},
    {"k_one",              2, 4, 5, 5, 1,  BCHW,  SEL_TOPK,         SC_FLOOR,   GATE_MAP,      1, 0, NEAR_NONE, 1, 1},
    {"dropout_bchw",       2, 8, 6, 6, 11, BCHW,  SEL_CONST,        SC_SIGMOID, GATE_NONE,     1, 0, NEAR_NONE, 1, 1},
    {"dropout_folded",     2, 8, 6, 6, 11, BCHW,  SEL_CONST_FOLDED, SC_SIGMOID, GATE_NONE,     0, 1, NEAR_NONE, 1, 1},
    {"dropout_index",      2, 8, 6, 6, 11, INDEX, SEL_CONST,        SC_SIGMOID, GATE_NONE,     1, 0, NEAR_NONE, 1, 1},
    {"dropout_index_seq",  1, 8, 6, 6, 11, INDEX, SEL_CONST,        SC_SIGMOID, GATE_NONE,     1, 1, NEAR_NONE, 1, 1},
    {"composed_b2",        2, 6, 5, 5, 8,  BCHW,  SEL_TOPK,         SC_SIGMOID, GATE_MAP,      0, 2, NEAR_NONE, 1, 1},
    {"composed_dropout",   1, 6, 5, 5, 8,  BCHW,  SEL_CONST,        SC_SIGMOID, GATE_NONE,     0, 2, NEAR_NONE, 1, 1},
    /* near-misses: what must stay as exported */
    {"near_channel_idx",   1, 4, 5, 5, 6,  BCHW,  SEL_CONST_FOLDED, SC_SIGMOID, GATE_NONE,     0, 0, NEAR_CHANNELS, 0, 0},
    {"near_reduction",     1, 4, 5, 5, 6,  BCHW,  SEL_TOPK,         SC_SIGMOID, GATE_MAP,      0, 0, NEAR_REDUCTION, 1, 0},
    {"near_pos_other",     1, 4, 5, 5, 6,  BHWC,  SEL_TOPK,         SC_SIGMOID, GATE_MAP,      1, 0, NEAR_POS_OTHER, 1, 1},
    {"near_read_twice",    1, 4, 5, 5, 6,  BCHW,  SEL_TOPK,         SC_SIGMOID, GATE_MAP,      0, 0, NEAR_READ_TWICE, 0, 1},
};
#define N_SPECS ((int)(sizeof specs / sizeof specs[0]))

static void init_f32(MB *mb, const char *name, int rank, const int64_t *dims, float scale) {
  int64_t n = 1;
  for (int i = 0; i < rank; i++) n *= dims[i];
  float *v = malloc((size_t)n * sizeof(float));
  for (int64_t i = 0; i < n; i++) v[i] = rng_f(-1.0f, 1.0f) * scale;
  mb_init_raw(mb, name, DT_FLOAT, rank, dims, v);
  free(v);
}

static void init_i64(MB *mb, const char *name, int rank, const int64_t *dims, const int64_t *v) {
  mb_init_raw(mb, name, DT_INT64, rank, dims, v);
}

/* A constant set of K distinct pixels of P (DropoutViT's torch.randperm(P)[:K]). */
static void random_set(int64_t *v, int K, int P) {
  int *perm = malloc((size_t)P * sizeof(int));
  for (int i = 0; i < P; i++) perm[i] = i;
  for (int i = P - 1; i > 0; i--) {
    int j = rng_int(i + 1), t = perm[i];
    perm[i] = perm[j], perm[j] = t;
  }
  for (int i = 0; i < K; i++) v[i] = perm[i];
  free(perm);
}

/* The filter block of spec s as an ONNX model at path: X [B,C,H,W] -> Y [B,C,H,W]
 * (and, for NEAR_READ_TWICE, the gathered [B,C,K] values as a second output). */
static void build_block(const Spec *s, const char *path) {
  const int64_t B = s->B, C = s->C, H = s->H, W = s->W, K = s->K, P = H * W;
  rng_seed(1000 + (uint64_t)(s - specs));
  MB *mb = mb_new(17);
  mb_input(mb, "X", DT_FLOAT, 4, (int64_t[]){B, C, H, W});
  Onnx__NodeProto *n;
  if (s->select == SEL_TOPK) { /* score [B,1,H,W] = Sigmoid or Floor(2x) of a 3x3 conv */
    init_f32(mb, "Ws", 4, (int64_t[]){1, C, 3, 3}, 0.5f);
    n = mb_node(mb, "Conv", "score_conv", "X,Ws", "s0");
    mb_attr_ints(mb, n, "pads", 4, (int64_t[]){1, 1, 1, 1});
    if (s->score == SC_FLOOR) {
      const float two = 2.0f;
      mb_init_raw(mb, "two", DT_FLOAT, 0, NULL, &two);
      mb_node(mb, "Mul", "score_scale", "s0,two", "s1");
      mb_node(mb, "Floor", "score", "s1", "S");
    } else {
      mb_node(mb, "Sigmoid", "score", "s0", "S");
    }
    n = mb_node(mb, "Flatten", "flat", "S", "Sf");
    mb_attr_int(mb, n, "axis", 1);
    init_i64(mb, "Kc", 1, (int64_t[]){1}, (int64_t[]){K});
    n = mb_node(mb, "TopK", "topk", "Sf,Kc", "vals,idx");
    mb_attr_int(mb, n, "axis", 1);
    if (s->gate == GATE_MAP) mb_node(mb, "Mul", "gate_map", "X,S", "Xg");
  }
  init_i64(mb, "shp3", 1, (int64_t[]){3}, (int64_t[]){B, C, P});
  mb_node(mb, "Reshape", "flatten_map", s->gate == GATE_MAP ? "Xg,shp3" : "X,shp3", "F");
  const char *feats = "F";
  if (s->form != BCHW) {
    n = mb_node(mb, "Transpose", "map_t", "F", "Ft");
    mb_attr_ints(mb, n, "perm", 3, (int64_t[]){0, 2, 1});
    feats = "Ft";
  }
  /* the index tensors: ie for GatherElements/ScatterElements, il [K] for Gather */
  int64_t set[4096];
  const int a = s->form == BCHW ? 2 : 1;
  if (s->select != SEL_TOPK) random_set(set, (int)K, (int)P);
  if (s->near == NEAR_CHANNELS) { /* constant, but varying along the channels */
    int64_t *v = malloc((size_t)(B * C * K) * sizeof(int64_t));
    for (int64_t i = 0; i < B * C * K; i++) v[i] = (i * 7 + i / K) % P;
    init_i64(mb, "ie", 3, (int64_t[]){B, C, K}, v);
    free(v);
  } else if (s->select == SEL_CONST_FOLDED) { /* the Expand already folded by the exporter */
    int64_t dims[3] = {B, a == 2 ? C : K, a == 2 ? K : C};
    int64_t *v = malloc((size_t)(B * C * K) * sizeof(int64_t));
    for (int64_t b = 0; b < B; b++)
      for (int64_t x = 0; x < dims[1]; x++)
        for (int64_t y = 0; y < dims[2]; y++) v[(b * dims[1] + x) * dims[2] + y] = set[a == 2 ? y : x];
    init_i64(mb, "ie", 3, dims, v);
    free(v);
  } else if (s->form == INDEX) {
    if (s->select == SEL_TOPK) {
      init_i64(mb, "zero", 0, NULL, (int64_t[]){0});
      n = mb_node(mb, "Gather", "idx0", "idx,zero", "il");
      mb_attr_int(mb, n, "axis", 0);
    } else {
      init_i64(mb, "il", 1, (int64_t[]){K}, set);
    }
    init_i64(mb, "ax1", 1, (int64_t[]){1}, (int64_t[]){1});
    mb_node(mb, "Unsqueeze", "il_u", "il,ax1", "ilu"); /* [K,1] */
    init_i64(mb, "eshape", 1, (int64_t[]){3}, (int64_t[]){B, K, C});
    mb_node(mb, "Expand", "il_e", "ilu,eshape", "ie");
  } else {
    const char *src = "idx";
    if (s->select == SEL_CONST) {
      int64_t *v = malloc((size_t)(B * K) * sizeof(int64_t));
      for (int64_t i = 0; i < B * K; i++) v[i] = set[i % K];
      init_i64(mb, "idxc", 2, (int64_t[]){B, K}, v);
      free(v);
      src = "idxc";
    }
    init_i64(mb, "uax", 1, (int64_t[]){1}, (int64_t[]){a == 2 ? 1 : 2});
    char ins[64];
    snprintf(ins, sizeof ins, "%s,uax", src);
    mb_node(mb, "Unsqueeze", "idx_u", ins, "iu");
    init_i64(mb, "eshape", 1, (int64_t[]){3}, a == 2 ? (int64_t[]){B, C, K} : (int64_t[]){B, K, C});
    mb_node(mb, "Expand", "idx_e", "iu,eshape", "ie");
  }
  /* gather */
  if (s->form == INDEX && s->near != NEAR_CHANNELS && s->select != SEL_CONST_FOLDED) {
    n = mb_node(mb, "Gather", "gather", "Ft,il", "G");
    mb_attr_int(mb, n, "axis", 1);
  } else {
    char ins[64];
    snprintf(ins, sizeof ins, "%s,ie", feats);
    n = mb_node(mb, "GatherElements", "gather", ins, "G");
    mb_attr_int(mb, n, "axis", a);
  }
  const char *tok = "G";
  if (a == 2) {
    n = mb_node(mb, "Transpose", "tok_t", "G", "T0");
    mb_attr_ints(mb, n, "perm", 3, (int64_t[]){0, 2, 1});
    tok = "T0";
  }
  if (s->seq == 2) { /* residual on [B,K,C], projection on the composed [K,B,C] transpose of G */
    init_f32(mb, "We", 2, (int64_t[]){C, C}, 0.5f);
    init_f32(mb, "be", 1, (int64_t[]){C}, 0.1f);
    n = mb_node(mb, "Transpose", "tok_seq", "G", "Ts");
    mb_attr_ints(mb, n, "perm", 3, (int64_t[]){2, 0, 1});
    mb_node(mb, "MatMul", "enc_mm", "Ts,We", "E0");
    mb_node(mb, "Add", "enc_bias", "E0,be", "E1");
    mb_node(mb, "Relu", "enc_act", "E1", "E2");
    n = mb_node(mb, "Transpose", "enc_back", "E2", "E2t");
    mb_attr_ints(mb, n, "perm", 3, (int64_t[]){1, 0, 2});
    mb_node(mb, "Add", "enc_res", "T0,E2t", "E3");
    n = mb_node(mb, "Transpose", "upd_t", "E3", "U");
    mb_attr_ints(mb, n, "perm", 3, (int64_t[]){0, 2, 1});
    n = mb_node(mb, "ScatterElements", "scatter", "F,ie,U", "Z");
    mb_attr_int(mb, n, "axis", 2);
    init_i64(mb, "shp4", 1, (int64_t[]){4}, (int64_t[]){B, C, H, W});
    mb_node(mb, "Reshape", "unflatten", "Z,shp4", "Y");
    mb_output(mb, "Y", DT_FLOAT);
    mb_write(mb, path);
    mb_free(mb);
    return;
  }
  if (s->gate == GATE_SELECTED) {
    init_i64(mb, "vax", 1, (int64_t[]){1}, (int64_t[]){2});
    mb_node(mb, "Unsqueeze", "vals_u", "vals,vax", "vu");
    char ins[64];
    snprintf(ins, sizeof ins, "%s,vu", tok);
    mb_node(mb, "Mul", "gate_sel", ins, "T1");
    tok = "T1";
  }
  if (s->pos) {
    if (s->near == NEAR_POS_OTHER) /* a table given at run time, so its rows of other pixels stay a Gather */
      mb_input(mb, "table", DT_FLOAT, 2, (int64_t[]){P, C});
    else
      init_f32(mb, "table", 2, (int64_t[]){P, C}, 0.3f);
    const char *pidx = s->select == SEL_TOPK ? "idx" : "idxc";
    if (s->near == NEAR_POS_OTHER) { /* a table gathered with another index list */
      int64_t *v = malloc((size_t)(B * K) * sizeof(int64_t));
      for (int64_t i = 0; i < B * K; i++) v[i] = (i * 5) % P;
      init_i64(mb, "other", 2, (int64_t[]){B, K}, v);
      free(v);
      pidx = "other";
    } else if (s->select == SEL_CONST && s->form == INDEX) {
      pidx = "il";
    }
    char ins[64];
    snprintf(ins, sizeof ins, "table,%s", pidx);
    n = mb_node(mb, "Gather", "pos", ins, "PE");
    mb_attr_int(mb, n, "axis", 0);
    snprintf(ins, sizeof ins, "%s,PE", tok);
    mb_node(mb, "Add", "pos_add", ins, "T2");
    tok = "T2";
  }
  /* a stand-in encoder, row by row: relu(tokens @ We + be) + tokens, sequence-first or not */
  init_f32(mb, "We", 2, (int64_t[]){C, C}, 0.5f);
  init_f32(mb, "be", 1, (int64_t[]){C}, 0.1f);
  const char *e_in = tok;
  if (s->seq) {
    char ins[32];
    snprintf(ins, sizeof ins, "%s", tok);
    n = mb_node(mb, "Transpose", "seq_in", ins, "Ts");
    mb_attr_ints(mb, n, "perm", 3, (int64_t[]){1, 0, 2});
    e_in = "Ts";
  }
  char ins[64];
  snprintf(ins, sizeof ins, "%s,We", e_in);
  mb_node(mb, "MatMul", "enc_mm", ins, "E0");
  mb_node(mb, "Add", "enc_bias", "E0,be", "E1");
  mb_node(mb, "Relu", "enc_act", "E1", "E2");
  snprintf(ins, sizeof ins, "E2,%s", e_in);
  mb_node(mb, "Add", "enc_res", ins, "E3");
  const char *out_tok = "E3";
  if (s->seq) {
    n = mb_node(mb, "Transpose", "seq_out", "E3", "E4");
    mb_attr_ints(mb, n, "perm", 3, (int64_t[]){1, 0, 2});
    out_tok = "E4";
  }
  /* scatter back and reshape to the map */
  const char *upd = out_tok;
  if (a == 2) {
    n = mb_node(mb, "Transpose", "upd_t", out_tok, "U");
    mb_attr_ints(mb, n, "perm", 3, (int64_t[]){0, 2, 1});
    upd = "U";
  }
  snprintf(ins, sizeof ins, "%s,ie,%s", feats, upd);
  n = mb_node(mb, "ScatterElements", "scatter", ins, "Z");
  mb_attr_int(mb, n, "axis", a);
  if (s->near == NEAR_REDUCTION) mb_attr_string(mb, n, "reduction", "add");
  const char *z = "Z";
  if (a == 1) {
    n = mb_node(mb, "Transpose", "back_t", "Z", "Zt");
    mb_attr_ints(mb, n, "perm", 3, (int64_t[]){0, 2, 1});
    z = "Zt";
  }
  init_i64(mb, "shp4", 1, (int64_t[]){4}, (int64_t[]){B, C, H, W});
  snprintf(ins, sizeof ins, "%s,shp4", z);
  mb_node(mb, "Reshape", "unflatten", ins, "Y");
  mb_output(mb, "Y", DT_FLOAT);
  if (s->near == NEAR_READ_TWICE) mb_output(mb, "G", DT_FLOAT);
  mb_write(mb, path);
  mb_free(mb);
}


static const char *const SKIP = "fuse_filter_tokens,fuse_attention_rows";

START_TEST(test_graphs) {
  const Spec *s = &specs[_i];
  char *dir = unit_dir("filter", s->name), *path = tu_printf("%s/%s.onnx", dir, s->name);
  build_block(s, path);
  Graph *g = compile_model(path, NULL, NULL), *plain = compile_model(path, SKIP, NULL);
  int gt = live(g, OP_VitcGatherTokens), st = live(g, OP_VitcScatterTokens);
  printf("%-18s GatherTokens %d ScatterTokens %d; GatherElements/Gather/ScatterElements/Transpose %d/%d/%d/%d -> "
         "%d/%d/%d/%d\n",
         s->name, gt, st, live(plain, OP_GatherElements), live(plain, OP_Gather), live(plain, OP_ScatterElements),
         live(plain, OP_Transpose), live(g, OP_GatherElements), live(g, OP_Gather), live(g, OP_ScatterElements),
         live(g, OP_Transpose));
  ck_assert_int_eq(live(plain, OP_VitcGatherTokens) + live(plain, OP_VitcScatterTokens), 0);
  ck_assert_int_eq(gt, s->want_gather);
  ck_assert_int_eq(st, s->want_scatter);
  if (s->want_gather && s->want_scatter && s->near == NEAR_NONE) {
    /* everything the exporter moved data with is gone (the stand-in encoder of seq 2 keeps its
     * own two transposes: there is no attention to take them) */
    ck_assert_int_eq(live(g, OP_GatherElements) + live(g, OP_ScatterElements) + live(g, OP_Expand), 0);
    ck_assert_int_eq(live(g, OP_Transpose), s->seq == 2 ? 2 : 0);
    ck_assert_int_eq(live(g, OP_Gather), 0);
    /* the scatter writes in place exactly when its map is a workspace buffer (gated: a Mul's output) */
    Plan *p = plan_build(g, target_find("avx2"));
    for (int i = 0; i < g->nn; i++) {
      if (g->n[i].dead || g->n[i].op != OP_VitcScatterTokens) continue;
      int m = plan_root(p, g->n[i].in[0]);
      bool ws = p->t[m].kind == ST_WORKSPACE;
      ck_assert_int_eq(ws, s->gate == GATE_MAP);
      ck_assert_int_eq(p->t[g->n[i].out[0]].kind == ST_VIEW, ws);
    }
    plan_free(p);
  }
  if (s->near == NEAR_POS_OTHER) { /* the rows of other pixels stay a Gather and an Add */
    ck_assert_int_eq(live(g, OP_Gather), 1);
    for (int i = 0; i < g->nn; i++)
      if (!g->n[i].dead && g->n[i].op == OP_VitcGatherTokens) ck_assert_int_lt(g->n[i].n_in, 4);
  }
  graph_free(g);
  graph_free(plain);
  free(path);
  free(dir);
}
END_TEST

/* Writes to path (and frees) mb with a TopK over axis 1 of its inputs X and K added
 * (with the attribute largest, unless it is -1), the values V and indices I its outputs. */
static void write_topk_model(MB *mb, int largest, const char *path) {
  Onnx__NodeProto *n = mb_node(mb, "TopK", "topk", "X,K", "V,I");
  mb_attr_int(mb, n, "axis", 1);
  if (largest >= 0) mb_attr_int(mb, n, "largest", largest);
  mb_output(mb, "V", DT_FLOAT);
  mb_output(mb, "I", DT_INT64);
  mb_write(mb, path);
  mb_free(mb);
}

/* K that is not a compile-time constant: vitc cannot plan [B,K,C], and says so. */
START_TEST(test_k_not_constant) {
  char *dir = unit_dir("filter", "k_input"), *path = tu_printf("%s/k_input.onnx", dir);
  MB *mb = mb_new(17);
  mb_input(mb, "X", DT_FLOAT, 2, (int64_t[]){1, 16});
  mb_input(mb, "K", DT_INT64, 1, (int64_t[]){1});
  write_topk_model(mb, -1, path);
  char *out = tu_printf("%s/out", dir);
  char *argv[] = {VITC_BINARY_DIR "/vitc", "compile", path, "-o", out, NULL};
  RunResult r;
  ck_assert_int_eq(tu_run(argv, 60, &r), 0);
  char *why = tu_check_one_error_line(&r);
  ck_assert_msg(why == NULL, "%s", why);
  ck_assert_msg(strstr(r.err, "compile-time constant") && strstr(r.err, "topk"), "%s", r.err);
  char *c_file = tu_printf("%s/k_input.c", out);
  ck_assert(!tu_exists(c_file)); /* no partial bundle */
  free(c_file);
  tu_run_free(&r);
  free(out);
  free(path);
  free(dir);
}
END_TEST

/* ================================================================ models */

/* Fused (every pass) and unfused (SKIP) bundles of model on the selected targets,
 * against ONNX Runtime on the given input files (or inputs it generates from seed);
 * every output compared. */
static void compare_model(const char *model, const char *work, int seed, char **in_files, double rtol) {
  Graph *fused = compile_model(model, NULL, NULL), *plain = compile_model(model, SKIP, NULL);
  const TuVariant variants[] = {{"fused", fused, false, TU_VS_ORT_ONLY}, {"unfused", plain, false, TU_VS_ORT_ONLY}};
  const TuAgainstOrt spec = {model, work, "check_filter", variants, 2, false, in_files, seed, rtol};
  char *why = tu_against_ort(&spec);
  ck_assert_msg(why == NULL, "%s", why);
  graph_free(fused);
  graph_free(plain);
}

static char *work_dir(const char *name) {
  char *w = tu_work_dir("filter/models", name);
  tu_mkdir_p(w);
  return w;
}

START_TEST(test_block_models) {
  const Spec *s = &specs[_i];
  char *work = work_dir(s->name), *path = tu_printf("%s/%s.onnx", work, s->name);
  build_block(s, path);
  printf("%s:\n", s->name);
  compare_model(path, work, 11, NULL, RTOL);
  free(path);
  free(work);
}
END_TEST

typedef struct MCase {
  const char *file; /* in models/ */
  int blocks;       /* filter blocks: GatherTokens and ScatterTokens each */
} MCase;

static const MCase mcases[] = {
    {"filter_vit.onnx", 1},     {"filter_vit_b2.onnx", 1},  {"filter_vit_seq.onnx", 1},   {"filter_vit2.onnx", 2},
    {"dropout_vit.onnx", 1},    {"filter_stage28.onnx", 1}, {"dropout_stage28.onnx", 1},
};
#define N_MCASES ((int)(sizeof mcases / sizeof mcases[0]))

START_TEST(test_committed_models) {
  const MCase *mc = &mcases[_i];
  char *model = tu_printf("%s/models/%s", VITC_SOURCE_DIR, mc->file);
  ck_assert_msg(tu_exists(model), "%s is absent (its ctest fixture exports it: sh tests/ensure_model.sh NAME)", model);
  Graph *g = compile_model(model, NULL, NULL);
  /* the lowered ops, and none of the copies they replace */
  ck_assert_int_eq(live(g, OP_VitcGatherTokens), mc->blocks);
  ck_assert_int_eq(live(g, OP_VitcScatterTokens), mc->blocks);
  ck_assert_int_eq(live(g, OP_GatherElements) + live(g, OP_ScatterElements) + live(g, OP_Transpose) + live(g, OP_Expand), 0);
  ck_assert_int_eq(live(g, OP_VitcAttention), mc->blocks);
  graph_free(g);
  char *stem = tu_stem(model), *work = work_dir(stem);
  printf("%s:\n", stem);
  compare_model(model, work, 3, NULL, RTOL);
  free(work);
  free(stem);
  free(model);
}
END_TEST

/* TopK alone against ONNX Runtime on inputs written here: ties split by K and NaN
 * with K = 1 must match exactly (indices as well). */
START_TEST(test_topk_vs_ort) {
  static const float ties[12] = {1, 3, 3, 2, 3, 0, 2, 3, -0.0f, 0.0f, 2, 3};
  static const float nans[12] = {NAN, 3, 1, NAN, 3, 0, 2, 5, 5, -1, NAN, 2};
  static const float nan_later[12] = {0.5f, 3, 1, NAN, 3, 0, 2, 5, 5, -1, NAN, 2};
  struct {
    const char *name;
    const float *x;
    int K, largest;
  } cases[] = {{"ties_k3", ties, 3, 1},       {"ties_k6", ties, 6, 1},  {"ties_k2_smallest", ties, 2, 0},
               {"ties_k7_smallest", ties, 7, 0}, {"nan_k1", nans, 1, 1}, {"nan_later_k1", nan_later, 1, 1},
               {"nan_k1_smallest", nan_later, 1, 0}};
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
    char *work = work_dir(cases[c].name), *path = tu_printf("%s/topk.onnx", work), *in = tu_printf("%s/x.bin", work);
    MB *mb = mb_new(17);
    mb_input(mb, "X", DT_FLOAT, 2, (int64_t[]){1, 12});
    init_i64(mb, "K", 1, (int64_t[]){1}, (int64_t[]){cases[c].K});
    write_topk_model(mb, cases[c].largest, path);
    tu_write_file(in, cases[c].x, sizeof ties);
    printf("%s:\n", cases[c].name);
    compare_model(path, work, 0, &in, 0.0);
    free(in);
    free(path);
    free(work);
  }
}
END_TEST

/* NaN with K > 1: ONNX Runtime's pick depends on which algorithm it runs; shown, not compared. */
START_TEST(test_topk_nan_note) {
  static const float nans[12] = {NAN, 3, 1, NAN, 3, 0, 2, 5, 5, -1, NAN, 2};
  char *work = work_dir("nan_k4"), *path = tu_printf("%s/topk.onnx", work), *in = tu_printf("%s/x.bin", work);
  MB *mb = mb_new(17);
  mb_input(mb, "X", DT_FLOAT, 2, (int64_t[]){1, 12});
  init_i64(mb, "K", 1, (int64_t[]){1}, (int64_t[]){4});
  write_topk_model(mb, -1, path);
  tu_write_file(in, nans, sizeof nans);
  char *data = tu_printf("%s/data", work);
  tu_mkdir_p(data);
  char *why = tu_ort_reference(path, data, 0, &in, 1);
  ck_assert_msg(why == NULL, "%s", why);
  char *ip = tu_printf("%s/ort_output1.bin", data);
  size_t len;
  int64_t *idx = tu_read_file(ip, &len);
  ck_assert_ptr_nonnull(idx);
  ck_assert_uint_eq(len, 4 * sizeof(int64_t));
  printf("ONNX Runtime TopK K=4 of {NaN,3,1,NaN,3,0,2,5,5,-1,NaN,2}: indices %lld %lld %lld %lld "
         "(vitc: 7 8 1 4, NaN after every number)\n",
         (long long)idx[0], (long long)idx[1], (long long)idx[2], (long long)idx[3]);
  free(idx);
  free(ip);
  free(data);
  free(in);
  free(path);
  free(work);
}
END_TEST

int main(int argc, char **argv) {
  int verdict = tu_isa_verdict("check_filter", &argc, argv);
  if (verdict >= 0) return verdict;
  const char *isa = tu_selected_isa();
  Suite *s = suite_create("filter");
  if (!isa) { /* target-independent */
    TCase *tk = tcase_create("kernels");
    tcase_add_test(tk, test_kernels);
    suite_add_tcase(s, tk);
    TCase *tg = tcase_create("graphs");
    tcase_set_timeout(tg, 120);
    tcase_add_loop_test(tg, test_graphs, 0, N_SPECS);
    tcase_add_test(tg, test_k_not_constant);
    tcase_add_test(tg, test_topk_nan_note);
    suite_add_tcase(s, tg);
  }
  TCase *tm = tcase_create("models");
  tcase_set_timeout(tm, 1800);
  tcase_add_loop_test(tm, test_block_models, 0, N_SPECS);
  tcase_add_loop_test(tm, test_committed_models, 0, N_MCASES);
  tcase_add_test(tm, test_topk_vs_ort);
  suite_add_tcase(s, tm);
  return tu_run_suite(s);
}
