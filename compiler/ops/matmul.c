/* ops/matmul.c: MatMul and Gemm.
 *
 * MatMul follows numpy: the last two dims are the matrix, the rest are batch dims
 * that broadcast; a 1-D A is a row (1,K) and a 1-D B a column (K,1), and the
 * inserted dim is dropped from the result. In a ViT almost every MatMul is
 * x (B,T,C) @ W (C,N) with a constant W: A's batch and row dims are then one tall
 * (B*T, C) matrix, so it lowers to a single plain GEMM call. Attention's
 * Q @ K^T and P @ V have real batch dims and go to the batched kernel, which is
 * given per-batch-dim strides (0 where an operand broadcasts).
 *
 * Gemm is Y = alpha * A' @ B' + beta * C with optional transposes and a C that
 * broadcasts to (M,N). Its B is nearly always a constant weight, often stored
 * transposed (torch's Linear exports transB=1): it is packed once, at compile
 * time, into the (K,N) layout the kernel reads, with alpha folded in when that
 * is exact (alpha a power of two), so the common case is the same plain GEMM
 * call with a bias vector (beta*C, precomputed when C is constant). Anything
 * else (transA, a C that is not a row vector, an activation B with transB) goes
 * to the general kernel, which does exactly what the ONNX spec says.
 *
 * eval folds both ops on constants (float32 summed in float like the kernels,
 * integers in int64). */
#include <inttypes.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emit/emit.h"
#include "ops/op.h"

/* ---------------- MatMul ---------------- */

/* The shape algebra of one MatMul. */
typedef struct MatMulDims {
  int64_t M, K, N;
  Shape batch;                        /* broadcast batch dims of the output */
  int64_t a_stride[IR_MAX_RANK];      /* per output batch dim, elements between A matrices (0 = broadcast) */
  int64_t b_stride[IR_MAX_RANK];
  Shape out;
} MatMulDims;

/* Strides of an operand's batch dims (its dims before the last two, right-aligned
 * to the output's batch) as seen from the output batch index. */
static void operand_batch_strides(const Shape *s, int mat_dims, const Shape *batch, int64_t matrix, int64_t *st) {
  int ob = s->rank - mat_dims; /* operand batch rank */
  int64_t acc = matrix;
  for (int d = batch->rank - 1; d >= 0; d--) {
    int od = d - (batch->rank - ob);
    if (od < 0 || s->d[od] == 1) {
      st[d] = 0;
    } else {
      st[d] = acc;
    }
    if (od >= 0) acc *= s->d[od];
  }
}

static int matmul_dims(Graph *g, Node *n, MatMulDims *md) {
  Tensor *a = node_in(g, n, 0), *b = node_in(g, n, 1);
  if (!a || !b) return node_err(g, n, "expects 2 inputs A and B");
  if (a->dtype != b->dtype)
    return node_err(g, n, "A is %s but B is %s", dtype_name(a->dtype), dtype_name(b->dtype));
  if (a->shape.rank < 1 || b->shape.rank < 1) return node_err(g, n, "A and B must have rank >= 1 (got %d and %d)",
                                                              a->shape.rank, b->shape.rank);
  const Shape *sa = &a->shape, *sb = &b->shape;
  int a_mat = sa->rank >= 2 ? 2 : 1, b_mat = sb->rank >= 2 ? 2 : 1;
  md->M = a_mat == 2 ? sa->d[sa->rank - 2] : 1;
  md->K = sa->d[sa->rank - 1];
  int64_t kb = b_mat == 2 ? sb->d[sb->rank - 2] : sb->d[0];
  md->N = b_mat == 2 ? sb->d[sb->rank - 1] : 1;
  if (md->K != kb) {
    char s1[128], s2[128];
    return node_err(g, n, "inner dimensions differ: A %s has K=%" PRId64 ", B %s has K=%" PRId64,
                    shape_str(sa, s1, sizeof s1), md->K, shape_str(sb, s2, sizeof s2), kb);
  }
  Shape ab = {sa->rank - a_mat, {0}}, bb = {sb->rank - b_mat, {0}};
  memcpy(ab.d, sa->d, sizeof(int64_t) * (size_t)ab.rank);
  memcpy(bb.d, sb->d, sizeof(int64_t) * (size_t)bb.rank);
  if (broadcast_shape(g, n, &ab, &bb, &md->batch)) return -1;
  operand_batch_strides(sa, a_mat, &md->batch, md->M * md->K, md->a_stride);
  operand_batch_strides(sb, b_mat, &md->batch, md->K * md->N, md->b_stride);
  md->out = md->batch;
  if (a_mat == 2) md->out.d[md->out.rank++] = md->M;
  if (b_mat == 2) md->out.d[md->out.rank++] = md->N;
  return check_numel(g, n, &md->out);
}

static int infer_matmul(Graph *g, Node *n) {
  MatMulDims md;
  if (matmul_dims(g, n, &md)) return -1;
  Tensor *a = node_in(g, n, 0);
  if (a->dtype != DT_FLOAT && a->dtype != DT_INT32 && a->dtype != DT_INT64)
    return node_err(g, n, "inputs are %s; vitc supports float32 (and int32/int64 when constant)", dtype_name(a->dtype));
  set_output(g, n, 0, a->dtype, &md.out);
  return 0;
}

/* Offsets of batch matrix `bi` (row-major index over md->batch) in A and B. */
static void batch_offsets(const MatMulDims *md, int64_t bi, int64_t *ao, int64_t *bo) {
  *ao = *bo = 0;
  for (int d = md->batch.rank - 1; d >= 0; d--) {
    int64_t i = bi % md->batch.d[d];
    bi /= md->batch.d[d];
    *ao += i * md->a_stride[d];
    *bo += i * md->b_stride[d];
  }
}

/* y (M,N) = a (M,K) @ b (K,N), row-major, summed in increasing k. */
static void matmul_ref(const Tensor *a, int64_t ao, const Tensor *b, int64_t bo, void *y, DType dt, int64_t yo,
                       int64_t M, int64_t K, int64_t N, int64_t a_rs, int64_t a_cs, int64_t b_rs, int64_t b_cs) {
  for (int64_t i = 0; i < M; i++)
    for (int64_t j = 0; j < N; j++) {
      if (dt == DT_FLOAT) {
        const float *av = a->data, *bv = b->data;
        float s = 0.0f;
        for (int64_t k = 0; k < K; k++) s += av[ao + i * a_rs + k * a_cs] * bv[bo + k * b_rs + j * b_cs];
        ((float *)y)[yo + i * N + j] = s;
      } else {
        int64_t s = 0;
        for (int64_t k = 0; k < K; k++)
          s += tensor_get_i64(a, ao + i * a_rs + k * a_cs) * tensor_get_i64(b, bo + k * b_rs + j * b_cs);
        buf_set_i64(y, dt, yo + i * N + j, s);
      }
    }
}

static int eval_matmul(Graph *g, Node *n) {
  MatMulDims md;
  if (matmul_dims(g, n, &md)) return -1;
  Tensor *a = node_in(g, n, 0), *b = node_in(g, n, 1);
  void *y = alloc_output_data(g, n, 0);
  int64_t nb = shape_numel(&md.batch);
  for (int64_t bi = 0; bi < nb; bi++) {
    int64_t ao, bo;
    batch_offsets(&md, bi, &ao, &bo);
    matmul_ref(a, ao, b, bo, y, a->dtype, bi * md.M * md.N, md.M, md.K, md.N, md.K, 1, md.N, 1);
  }
  return 0;
}

static int require_float(Graph *g, Node *n, const Tensor *t, const char *what) {
  if (t->dtype != DT_FLOAT)
    return node_err(g, n, "input %s is %s; vitc computes this op in float32 only", what, dtype_name(t->dtype));
  return 0;
}

/* "(const ptrdiff_t[]){a, b, c}": a literal array the kernel reads by pointer. */
static const char *ptrdiff_literal(const int64_t *v, int n, char *buf, size_t nbuf) {
  size_t k = (size_t)snprintf(buf, nbuf, "(const ptrdiff_t[]){");
  for (int i = 0; i < n && k < nbuf; i++) k += (size_t)snprintf(buf + k, nbuf - k, "%s%" PRId64, i ? ", " : "", v[i]);
  if (k < nbuf) snprintf(buf + k, nbuf - k, "}");
  return buf;
}

static int emit_matmul(Emitter *e, Graph *g, Node *n) {
  MatMulDims md;
  if (matmul_dims(g, n, &md)) return -1;
  Tensor *a = node_in(g, n, 0);
  if (require_float(g, n, a, "A")) return -1;
  emit_use_kernel(e, "gemm/f32-gemm");
  /* B shared by every batch (a weight) and A contiguous over them: one tall GEMM. */
  bool b_shared = true, a_dense = true;
  int64_t expect = md.M * md.K;
  for (int d = md.batch.rank - 1; d >= 0; d--) {
    if (md.batch.d[d] == 1) continue;
    if (md.b_stride[d] != 0) b_shared = false;
    if (md.a_stride[d] != expect) a_dense = false;
    expect *= md.batch.d[d];
  }
  const char *A = emit_ref(e, n->in[0]), *B = emit_ref(e, n->in[1]), *Y = emit_ref(e, n->out[0]);
  if (b_shared && a_dense) {
    int64_t rows = shape_numel(&md.batch) * md.M;
    emit_line(e, "%s(%" PRId64 ", %" PRId64 ", %" PRId64 ", %s, %" PRId64 ", %s, %" PRId64 ", NULL, %s, %" PRId64 ");",
              emit_kfn(e, "vitc_f32_gemm"), rows, md.N, md.K, A, md.K, B, md.N, Y, md.N);
    return 0;
  }
  char as[256], bs[256];
  const char *dims = emit_ints(e, "mm_batch", md.batch.d, md.batch.rank);
  emit_line(e, "%s(%" PRId64 ", %" PRId64 ", %" PRId64 ", %d, %s, %s, %s, %s, %s, %s);", emit_kfn(e, "vitc_f32_matmul"),
            md.M, md.N, md.K, md.batch.rank, dims, ptrdiff_literal(md.a_stride, md.batch.rank, as, sizeof as),
            ptrdiff_literal(md.b_stride, md.batch.rank, bs, sizeof bs), A, B, Y);
  return 0;
}

static int64_t macs_matmul(Graph *g, Node *n) {
  MatMulDims md; /* infer already checked the shapes */
  return matmul_dims(g, n, &md) ? 0 : shape_numel(&md.batch) * md.M * md.K * md.N;
}

const OpImpl op_impl_MatMul = {.infer = infer_matmul, .eval = eval_matmul, .emit = emit_matmul, .macs = macs_matmul};

/* ---------------- Gemm ---------------- */

typedef struct GemmDims {
  int transA, transB;
  float alpha, beta;
  int64_t M, K, N;
  int64_t c_rs, c_cs; /* strides reading C broadcast to (M,N); C absent: unused */
  bool has_c;
} GemmDims;

static int gemm_dims(Graph *g, Node *n, GemmDims *gd) {
  Tensor *a = node_in(g, n, 0), *b = node_in(g, n, 1), *c = node_in(g, n, 2);
  if (!a || !b) return node_err(g, n, "expects inputs A and B");
  if (a->shape.rank != 2 || b->shape.rank != 2)
    return node_err(g, n, "A and B must be 2-D (got rank %d and %d)", a->shape.rank, b->shape.rank);
  if (a->dtype != b->dtype || (c && c->dtype != a->dtype))
    return node_err(g, n, "inputs must share one element type (A %s, B %s%s%s)", dtype_name(a->dtype),
                    dtype_name(b->dtype), c ? ", C " : "", c ? dtype_name(c->dtype) : "");
  gd->transA = (int)attr_int(n, "transA", 0);
  gd->transB = (int)attr_int(n, "transB", 0);
  if ((gd->transA != 0 && gd->transA != 1) || (gd->transB != 0 && gd->transB != 1))
    return node_err(g, n, "transA/transB must be 0 or 1");
  gd->alpha = attr_float(n, "alpha", 1.0f);
  gd->beta = attr_float(n, "beta", 1.0f);
  gd->M = a->shape.d[gd->transA ? 1 : 0];
  gd->K = a->shape.d[gd->transA ? 0 : 1];
  int64_t kb = b->shape.d[gd->transB ? 1 : 0];
  gd->N = b->shape.d[gd->transB ? 0 : 1];
  if (kb != gd->K)
    return node_err(g, n, "inner dimensions differ: A' has K=%" PRId64 ", B' has K=%" PRId64 " (transA=%d transB=%d)",
                    gd->K, kb, gd->transA, gd->transB);
  gd->has_c = c != NULL;
  gd->c_rs = gd->c_cs = 0;
  if (c) {
    /* C must broadcast unidirectionally to (M,N). */
    const Shape *s = &c->shape;
    int64_t rows = s->rank == 2 ? s->d[0] : 1, cols = s->rank >= 1 ? s->d[s->rank - 1] : 1;
    if (s->rank > 2 || (rows != 1 && rows != gd->M) || (cols != 1 && cols != gd->N)) {
      char sb[128];
      return node_err(g, n, "C %s does not broadcast to (%" PRId64 ",%" PRId64 ")", shape_str(s, sb, sizeof sb),
                      gd->M, gd->N);
    }
    gd->c_rs = rows == 1 ? 0 : cols;
    gd->c_cs = cols == 1 ? 0 : 1;
  }
  Shape out = {2, {gd->M, gd->N}};
  return check_numel(g, n, &out);
}

static int infer_gemm(Graph *g, Node *n) {
  GemmDims gd;
  if (gemm_dims(g, n, &gd)) return -1;
  Tensor *a = node_in(g, n, 0);
  if (a->dtype != DT_FLOAT && a->dtype != DT_INT32 && a->dtype != DT_INT64)
    return node_err(g, n, "inputs are %s; vitc supports float32 (and int32/int64 when constant)", dtype_name(a->dtype));
  Shape out = {2, {gd.M, gd.N}};
  set_output(g, n, 0, a->dtype, &out);
  return 0;
}

static int eval_gemm(Graph *g, Node *n) {
  GemmDims gd;
  if (gemm_dims(g, n, &gd)) return -1;
  Tensor *a = node_in(g, n, 0), *b = node_in(g, n, 1), *c = node_in(g, n, 2);
  Tensor *y = node_out(g, n, 0);
  void *yv = alloc_output_data(g, n, 0);
  int64_t a_rs = gd.transA ? 1 : gd.K, a_cs = gd.transA ? gd.M : 1;
  int64_t b_rs = gd.transB ? 1 : gd.N, b_cs = gd.transB ? gd.K : 1;
  matmul_ref(a, 0, b, 0, yv, y->dtype, 0, gd.M, gd.K, gd.N, a_rs, a_cs, b_rs, b_cs);
  /* Y = alpha*AB + beta*C, in float for float32 as ORT computes it */
  for (int64_t i = 0; i < gd.M; i++)
    for (int64_t j = 0; j < gd.N; j++) {
      int64_t k = i * gd.N + j;
      if (y->dtype == DT_FLOAT) {
        float v = gd.alpha * ((float *)yv)[k];
        if (c) v += gd.beta * ((const float *)c->data)[i * gd.c_rs + j * gd.c_cs];
        ((float *)yv)[k] = v;
      } else {
        int64_t v = (int64_t)gd.alpha * tensor_get_i64(y, k);
        if (c) v += (int64_t)gd.beta * tensor_get_i64(c, i * gd.c_rs + j * gd.c_cs);
        buf_set_i64(yv, y->dtype, k, v);
      }
    }
  return 0;
}

/* A float as a C99 literal that reads back exactly ("2.0f", "1e-05f", "-HUGE_VALF"). */
static const char *c_float(float v, char *buf, size_t n) {
  if (isnan(v)) snprintf(buf, n, "NAN");
  else if (isinf(v)) snprintf(buf, n, "%sHUGE_VALF", v < 0 ? "-" : "");
  else {
    snprintf(buf, n, "%.9g", (double)v);
    if (!strpbrk(buf, ".e")) strncat(buf, ".0", n - strlen(buf) - 1);
    strncat(buf, "f", n - strlen(buf) - 1);
  }
  return buf;
}

/* True when multiplying every w by alpha is exact, so alpha*(A@W) == A@(alpha*W)
 * bit for bit: alpha a power of two and no product overflowing or going subnormal. */
static bool alpha_folds_exactly(float alpha, const float *w, int64_t n) {
  int ex;
  if (!(alpha > 0.0f) || frexpf(alpha, &ex) != 0.5f) return false;
  for (int64_t i = 0; i < n; i++) {
    float p = w[i] * alpha;
    if (w[i] != 0.0f && (!isfinite(p) || fabsf(p) < FLT_MIN || p / alpha != w[i])) return false;
  }
  return true;
}

static int emit_gemm(Emitter *e, Graph *g, Node *n) {
  GemmDims gd;
  if (gemm_dims(g, n, &gd)) return -1;
  Tensor *a = node_in(g, n, 0), *b = node_in(g, n, 1), *c = node_in(g, n, 2);
  if (require_float(g, n, a, "A")) return -1;
  emit_use_kernel(e, "gemm/f32-gemm");
  const char *A = emit_ref(e, n->in[0]), *Y = emit_ref(e, n->out[0]);

  /* B: a constant is packed to (K,N), alpha folded in when exact. */
  const char *B;
  int transB = gd.transB;
  float alpha = gd.alpha;
  if (b->data) {
    int64_t kn = gd.K * gd.N;
    float *packed = xmalloc((size_t)(kn ? kn : 1) * sizeof(float));
    const float *w = b->data;
    for (int64_t k = 0; k < gd.K; k++)
      for (int64_t j = 0; j < gd.N; j++) packed[k * gd.N + j] = gd.transB ? w[j * gd.K + k] : w[k * gd.N + j];
    if (alpha != 1.0f && alpha_folds_exactly(alpha, packed, kn)) {
      for (int64_t i = 0; i < kn; i++) packed[i] *= alpha;
      alpha = 1.0f;
    }
    if (gd.transB || alpha != gd.alpha) {
      char hint[256];
      snprintf(hint, sizeof hint, "%s_KxN", b->name);
      B = emit_const(e, hint, DT_FLOAT, kn, packed);
    } else {
      B = emit_ref(e, n->in[1]);
    }
    free(packed);
    transB = 0;
  } else {
    B = emit_ref(e, n->in[1]);
  }

  /* The C term as a bias row vector (N,), if it is one: used as is when beta == 1,
   * precomputed as beta*C (expanded from a scalar) when C is constant. */
  const char *bias = "NULL";
  bool bias_ok = true;
  if (c && gd.beta != 0.0f) {
    int64_t cn = shape_numel(&c->shape);
    bool row = gd.c_rs == 0 && (gd.c_cs == 1 || gd.N == 1);
    if (row && gd.beta == 1.0f) {
      bias = emit_ref(e, n->in[2]);
    } else if (gd.c_rs == 0 && c->data) {
      float *v = xmalloc((size_t)(gd.N ? gd.N : 1) * sizeof(float));
      for (int64_t j = 0; j < gd.N; j++) v[j] = gd.beta * ((const float *)c->data)[cn == 1 ? 0 : j];
      char hint[256];
      snprintf(hint, sizeof hint, "%s_bias", c->name);
      bias = emit_const(e, hint, DT_FLOAT, gd.N, v);
      free(v);
    } else {
      bias_ok = false;
    }
  }

  if (!gd.transA && !transB && alpha == 1.0f && bias_ok) {
    emit_line(e, "%s(%" PRId64 ", %" PRId64 ", %" PRId64 ", %s, %" PRId64 ", %s, %" PRId64 ", %s, %s, %" PRId64 ");",
              emit_kfn(e, "vitc_f32_gemm"), gd.M, gd.N, gd.K, A, gd.K, B, gd.N, bias, Y, gd.N);
    return 0;
  }
  char alpha_s[48], beta_s[48];
  emit_line(e, "%s(%d, %d, %" PRId64 ", %" PRId64 ", %" PRId64 ", %s, %s, %s, %s, %s, %" PRId64 ", %" PRId64 ", %s);",
            emit_kfn(e, "vitc_f32_gemm_general"), gd.transA, transB, gd.M, gd.N, gd.K,
            c_float(alpha, alpha_s, sizeof alpha_s), A, B, c_float(gd.beta, beta_s, sizeof beta_s), c ? emit_ref(e, n->in[2]) : "NULL", gd.c_rs, gd.c_cs, Y);
  return 0;
}

static int64_t macs_gemm(Graph *g, Node *n) {
  GemmDims gd;
  return gemm_dims(g, n, &gd) ? 0 : gd.M * gd.K * gd.N;
}

const OpImpl op_impl_Gemm = {.infer = infer_gemm, .eval = eval_gemm, .emit = emit_gemm, .macs = macs_gemm};

/* vitc.Gemm: see ir/ops.def. */
const OpImpl op_impl_VitcGemm = {0};
