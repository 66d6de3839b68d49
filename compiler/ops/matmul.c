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
 * On the SIMD targets (avx2, avx512, neon) products go to the target's GEMM
 * microkernel, templates/gemm/f32-gemm-<MR>x<NR>-<isa>.c (tile from
 * emit/target.c): a constant B is packed here, at compile time, into the
 * kernel's panel layout (templates/gemm/f32-gemm-driver.c: panels of NR columns,
 * K-major, zero-padded) and emitted as a weight; an activation B (attention's
 * Q @ K^T and P @ V) is packed at run time into the node's scratch. The K and N
 * block sizes are chosen here per shape (gemm_blocks) and passed as literals.
 * The kernels' scratch (the A micro-panel, a run-time packed B) depends on the
 * tile, so the scratch functions take the target the workspace is planned for
 * (OpImpl.scratch's argument, plan_build's); the emitter refuses a plan made for
 * another target than its own (emit_bundle).
 * The scalar target keeps the reference kernels of f32-gemm-scalar.c.
 *
 * vitc.Gemm (made by passes/fuse_gemm_epilogue.c; contract in ir/ops.def) is
 * Y = epilogue(A @ W + bias) with a constant W: one packed-GEMM call whose
 * microkernel applies bias, activation (per column range), gate and scaled
 * residual in its store (ops/epilogue.c writes the kernels' epilogue literal); on
 * the scalar target, the reference GEMM then vitc_f32_gemm_epilogue_scalar.
 *
 * With --threads N (docs/threads.md), a product of M rows (a constant B, or an
 * activation B without batch dims) is cut into tasks of whole MR-row micro-panels
 * (emit_rows_begin), each the same kernel call on its rows with the worker's own
 * scratch; batched MatMuls and the general Gemm stay on one thread.
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
#include "ops/epilogue.h"
#include "ops/matmul.h"
#include "ops/op.h"

/* ---------------- the packed GEMM of the SIMD targets ---------------- */

/* Whether the target has a GEMM microkernel template (every target with a SIMD
 * shim does; the scalar target uses the reference kernels). */
static bool packed_gemm(Emitter *e) { return emit_target(e)->shim != NULL; }

/* The target the workspace is planned for uses the packed GEMM. */
static bool planned_packed(const Target *t) { return t && t->shim; }

/* "vitc_f32_gemm_12x32_avx512" for base "vitc_f32_gemm", after pasting the tile's
 * template (templates/gemm/f32-gemm-12x32-avx512.c). */
const char *gemm_tile_fn(Emitter *e, const char *base) {
  const Target *t = emit_target(e);
  char stem[64], fn[96];
  snprintf(stem, sizeof stem, "gemm/f32-gemm-%dx%d", t->gemm_mr, t->gemm_nr);
  emit_use_kernel(e, stem);
  snprintf(fn, sizeof fn, "%s_%dx%d", base, t->gemm_mr, t->gemm_nr);
  const char *k = emit_kfn(e, fn);
  size_t kl = strlen(k), il = strlen(t->isa);
  if (kl < il || strcmp(k + kl - il, t->isa) != 0)
    vitc_die("target %s: templates/%s-%s.c does not define %s_%s", t->name, stem, t->isa, fn, t->isa);
  return k;
}

/* K and N block sizes for a product with depth K and width N on this target.
 * The driver packs each MR-row micro-panel of A (MR*kc floats, meant to stay in
 * L1) and sweeps it over a kc x nc block of packed B (meant to stay in L2).
 * Measured on Zen 4 (32 KiB L1d, 1 MiB L2, bench/gemm_bench.c, M = 197): the
 * whole K up to 512 (K = 192: 110 GFLOP/s); K = 768 in 2 blocks of 384 (104,
 * whole K 97); splitting N costs more than it saves (A is repacked per N block),
 * so N is split only when a kc x N block of B would pass 1 MiB. */
static void gemm_blocks(const Target *t, int64_t K, int64_t N, int *kc, int *nc) {
  int64_t nb = K <= 512 ? 1 : (K + 383) / 384;
  int64_t k = (K + nb - 1) / nb;
  if (nb > 1) k = (k + 7) / 8 * 8;
  *kc = nb == 1 ? 0 : (int)k;
  int64_t kk = nb == 1 ? K : k, nr = t->gemm_nr;
  int64_t npad = (N + nr - 1) / nr * nr;
  int64_t bytes = kk * npad * 4, limit = 1 << 20;
  if (bytes <= limit || npad <= nr) {
    *nc = 0;
    return;
  }
  int64_t parts = (bytes + limit - 1) / limit, panels = npad / nr;
  *nc = (int)((panels + parts - 1) / parts * nr);
}

/* Scratch bytes of a packed GEMM with a constant B: the A micro-panel. */
static size_t gemm_scratch_bytes(const Target *t, int64_t K, int64_t N) {
  int kc, nc;
  gemm_blocks(t, K, N, &kc, &nc);
  int64_t k = kc ? kc : K;
  return (size_t)(t->gemm_mr * (k ? k : 1)) * sizeof(float);
}

/* Scratch bytes of a product whose B is packed at run time (VITC_F32_MATMUL_SCRATCH). */
static size_t matmul_scratch_bytes(const Target *t, int64_t K, int64_t N) {
  int64_t nr = t->gemm_nr;
  return (size_t)((N + nr - 1) / nr * nr * K) * sizeof(float) + gemm_scratch_bytes(t, K, N);
}

/* B (K,N), element (k,j) at w[k*rs + j*cs] times scale, in the panel layout of
 * tile width nr (f32-gemm-driver.c) into p: ceil(N/nr) * nr * K floats. */
void gemm_pack_panels(int64_t nr, const float *w, int64_t K, int64_t N, int64_t rs, int64_t cs, float scale, float *p) {
  int64_t np = (N + nr - 1) / nr;
  for (int64_t pi = 0; pi < np; pi++)
    for (int64_t k = 0; k < K; k++)
      for (int64_t jj = 0; jj < nr; jj++) {
        int64_t j = pi * nr + jj;
        p[(pi * K + k) * nr + jj] = j < N ? w[k * rs + j * cs] * scale : 0.0f;
      }
}

/* Pack the constant B (K,N), element (k,j) at w[k*rs + j*cs] times scale, into
 * the target's panel layout (f32-gemm-driver.c) as a weight; returns its C expression. */
static const char *pack_weights(Emitter *e, const char *name, const float *w, int64_t K, int64_t N, int64_t rs,
                                int64_t cs, float scale) {
  int64_t nr = emit_target(e)->gemm_nr, np = (N + nr - 1) / nr;
  int64_t total = np * nr * K;
  float *p = xmalloc((size_t)(total ? total : 1) * sizeof(float));
  gemm_pack_panels(nr, w, K, N, rs, cs, scale, p);
  char hint[300];
  snprintf(hint, sizeof hint, "%s_p%" PRId64, name, nr);
  const char *ref = emit_const(e, hint, DT_FLOAT, total, p);
  free(p);
  return ref;
}

/* One packed-GEMM call: Y (M,N) rows ldc apart = epilogue(A (M,K) rows lda apart @ Wp)
 * with the bias `bias` (C expression or NULL) and node n's epilogue ep (NULL: none);
 * with --threads, split into tasks of whole MR-row micro-panels (emit_rows_begin),
 * so only the last task has a row tail. */
static void emit_packed_gemm(Emitter *e, int64_t M, int64_t N, int64_t K, const char *A, int64_t lda,
                             const char *Wp, const char *bias, Node *n, const Epilogue *ep, const char *Y,
                             int64_t ldc) {
  int kc, nc;
  gemm_blocks(emit_target(e), K, N, &kc, &nc);
  const char *fn = gemm_tile_fn(e, "vitc_f32_gemm");
  EmitRows r = emit_rows_begin(e, M, emit_target(e)->gemm_mr);
  static const Epilogue none;
  char epi[2048];
  epi_literal(e, ep ? ep : &none, n, bias, &r, N, epi, sizeof epi);
  emit_line(e, "%s(%s, %" PRId64 ", %" PRId64 ", %s, %" PRId64 ", %s, %s, %" PRId64 ", %s, %d, %d, %s);", fn, r.count,
            N, K, emit_rows_ptr(e, &r, A, lda), lda, Wp, emit_rows_ptr(e, &r, Y, ldc), ldc, epi, kc, nc,
            emit_scratch(e));
  emit_rows_end(e, &r);
}

/* Rows per task of the reference GEMM (f32-gemm-scalar.c) when split. */
enum { SCALAR_ROW_UNIT = 8 };

/* ---------------- MatMul ---------------- */

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
  return matmul_shape_dims(g, n, &a->shape, &b->shape, md);
}

int matmul_shape_dims(Graph *g, Node *n, const Shape *sa, const Shape *sb, MatMulDims *md) {
  if (sa->rank < 1 || sb->rank < 1)
    return node_err(g, n, "A and B must have rank >= 1 (got %d and %d)", sa->rank, sb->rank);
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
const char *ptrdiff_literal(const int64_t *v, int n, char *buf, size_t nbuf) {
  size_t k = (size_t)snprintf(buf, nbuf, "(const ptrdiff_t[]){");
  for (int i = 0; i < n && k < nbuf; i++) k += (size_t)snprintf(buf + k, nbuf - k, "%s%" PRId64, i ? ", " : "", v[i]);
  if (k < nbuf) snprintf(buf + k, nbuf - k, "}");
  return buf;
}

/* B shared by every batch (a weight) and A contiguous over them: the batches
 * fold into one tall (rows, K) matrix. */
static bool matmul_folds(const MatMulDims *md) {
  bool b_shared = true, a_dense = true;
  int64_t expect = md->M * md->K;
  for (int d = md->batch.rank - 1; d >= 0; d--) {
    if (md->batch.d[d] == 1) continue;
    if (md->b_stride[d] != 0) b_shared = false;
    if (md->a_stride[d] != expect) a_dense = false;
    expect *= md->batch.d[d];
  }
  return b_shared && a_dense;
}

/* On a SIMD target: a constant B is packed at compile time (no scratch but the A
 * panel); an activation B is packed at run time. */
static size_t scratch_matmul(Graph *g, Node *n, const Target *t) {
  MatMulDims md;
  if (!planned_packed(t) || matmul_dims(g, n, &md)) return 0;
  if (node_in(g, n, 0)->dtype != DT_FLOAT) return 0;
  if (matmul_folds(&md) && node_in_const(g, n, 1)) return gemm_scratch_bytes(t, md.K, md.N);
  return matmul_scratch_bytes(t, md.K, md.N);
}

static int emit_matmul(Emitter *e, Graph *g, Node *n) {
  MatMulDims md;
  if (matmul_dims(g, n, &md)) return -1;
  Tensor *a = node_in(g, n, 0), *b = node_in(g, n, 1);
  if (require_float(g, n, a, "A")) return -1;
  const char *A = emit_ref(e, n->in[0]), *Y = emit_ref(e, n->out[0]);
  bool fold = matmul_folds(&md);
  int64_t rows = shape_numel(&md.batch) * md.M;
  if (packed_gemm(e)) {
    if (fold && b->data) {
      const char *Wp = pack_weights(e, b->name, b->data, md.K, md.N, md.N, 1, 1.0f);
      emit_packed_gemm(e, rows, md.N, md.K, A, md.K, Wp, NULL, n, NULL, Y, md.N);
      return 0;
    }
    int kc, nc;
    gemm_blocks(emit_target(e), md.K, md.N, &kc, &nc);
    const char *fn = gemm_tile_fn(e, "vitc_f32_matmul");
    if (fold) {
      const char *B = emit_ref(e, n->in[1]);
      EmitRows r = emit_rows_begin(e, rows, emit_target(e)->gemm_mr); /* each task packs B into its own scratch */
      emit_line(e, "%s(%s, %" PRId64 ", %" PRId64 ", 0, NULL, NULL, NULL, %s, %s, %" PRId64 ", 1, %s, %d, %d, %s);", fn,
                r.count, md.N, md.K, emit_rows_ptr(e, &r, A, md.K), B, md.N, emit_rows_ptr(e, &r, Y, md.N), kc, nc,
                emit_scratch(e));
      emit_rows_end(e, &r);
      return 0;
    }
    char as[256], bs[256];
    const char *dims = emit_ints(e, "mm_batch", md.batch.d, md.batch.rank);
    emit_line(e, "%s(%" PRId64 ", %" PRId64 ", %" PRId64 ", %d, %s, %s, %s, %s, %s, %" PRId64 ", 1, %s, %d, %d, %s);",
              fn, md.M, md.N, md.K, md.batch.rank, dims, ptrdiff_literal(md.a_stride, md.batch.rank, as, sizeof as),
              ptrdiff_literal(md.b_stride, md.batch.rank, bs, sizeof bs), A, emit_ref(e, n->in[1]), md.N, Y, kc, nc,
              emit_scratch(e));
    return 0;
  }
  emit_use_kernel(e, "gemm/f32-gemm");
  const char *B = emit_ref(e, n->in[1]);
  if (fold) {
    EmitRows r = emit_rows_begin(e, rows, SCALAR_ROW_UNIT);
    emit_line(e, "%s(%s, %" PRId64 ", %" PRId64 ", %s, %" PRId64 ", %s, %" PRId64 ", NULL, %s, %" PRId64 ");",
              emit_kfn(e, "vitc_f32_gemm"), r.count, md.N, md.K, emit_rows_ptr(e, &r, A, md.K), md.K, B, md.N,
              emit_rows_ptr(e, &r, Y, md.N), md.N);
    emit_rows_end(e, &r);
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

const OpImpl op_impl_MatMul = {
    .infer = infer_matmul, .eval = eval_matmul, .emit = emit_matmul, .scratch = scratch_matmul, .macs = macs_matmul};

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

/* beta * C as a bias row (N,) when C is one: kind 0 none (C absent or beta 0),
 * 1 C itself (a row and beta == 1), 2 a precomputed constant (C constant, rows
 * broadcast), -1 not a bias (the general kernel handles it). */
static int gemm_bias_kind(const GemmDims *gd, const Tensor *c) {
  if (!c || gd->beta == 0.0f) return 0;
  bool row = gd->c_rs == 0 && (gd->c_cs == 1 || gd->N == 1);
  if (row && gd->beta == 1.0f) return 1;
  if (gd->c_rs == 0 && c->data) return 2;
  return -1;
}

/* The bias expression for gemm_bias_kind() 1 or 2 ("NULL" for 0). */
static const char *gemm_bias(Emitter *e, Node *n, const GemmDims *gd, const Tensor *c, int kind) {
  if (kind == 0) return "NULL";
  if (kind == 1) return emit_ref(e, n->in[2]);
  int64_t cn = shape_numel(&c->shape);
  float *v = xmalloc((size_t)(gd->N ? gd->N : 1) * sizeof(float));
  for (int64_t j = 0; j < gd->N; j++) v[j] = gd->beta * ((const float *)c->data)[cn == 1 ? 0 : j];
  char hint[256];
  snprintf(hint, sizeof hint, "%s_bias", c->name);
  const char *bias = emit_const(e, hint, DT_FLOAT, gd->N, v);
  free(v);
  return bias;
}

/* A Gemm that runs as one packed-GEMM call on a SIMD target: constant B, no
 * transA, alpha 1 or folded exactly into the weights, C a bias row. */
static bool gemm_packs(Graph *g, Node *n, const GemmDims *gd) {
  Tensor *b = node_in(g, n, 1), *c = node_in(g, n, 2);
  if (!b->data || b->dtype != DT_FLOAT || gd->transA || gemm_bias_kind(gd, c) < 0) return false;
  return gd->alpha == 1.0f || alpha_folds_exactly(gd->alpha, b->data, gd->K * gd->N);
}

static size_t scratch_gemm(Graph *g, Node *n, const Target *t) {
  GemmDims gd;
  if (!planned_packed(t) || gemm_dims(g, n, &gd) || !gemm_packs(g, n, &gd)) return 0;
  return gemm_scratch_bytes(t, gd.K, gd.N);
}

static int emit_gemm(Emitter *e, Graph *g, Node *n) {
  GemmDims gd;
  if (gemm_dims(g, n, &gd)) return -1;
  Tensor *a = node_in(g, n, 0), *b = node_in(g, n, 1), *c = node_in(g, n, 2);
  if (require_float(g, n, a, "A")) return -1;
  const char *A = emit_ref(e, n->in[0]), *Y = emit_ref(e, n->out[0]);

  if (packed_gemm(e) && gemm_packs(g, n, &gd)) {
    int64_t rs = gd.transB ? 1 : gd.N, cs = gd.transB ? gd.K : 1;
    const char *Wp = pack_weights(e, b->name, b->data, gd.K, gd.N, rs, cs, gd.alpha);
    int kind = gemm_bias_kind(&gd, c);
    emit_packed_gemm(e, gd.M, gd.N, gd.K, A, gd.K, Wp, kind ? gemm_bias(e, n, &gd, c, kind) : NULL, n, NULL, Y, gd.N);
    return 0;
  }
  emit_use_kernel(e, "gemm/f32-gemm");

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

  int bias_kind = gemm_bias_kind(&gd, c);
  if (!gd.transA && !transB && alpha == 1.0f && bias_kind >= 0) {
    const char *bias = gemm_bias(e, n, &gd, c, bias_kind);
    EmitRows r = emit_rows_begin(e, gd.M, SCALAR_ROW_UNIT);
    emit_line(e, "%s(%s, %" PRId64 ", %" PRId64 ", %s, %" PRId64 ", %s, %" PRId64 ", %s, %s, %" PRId64 ");",
              emit_kfn(e, "vitc_f32_gemm"), r.count, gd.N, gd.K, emit_rows_ptr(e, &r, A, gd.K), gd.K, B, gd.N, bias,
              emit_rows_ptr(e, &r, Y, gd.N), gd.N);
    emit_rows_end(e, &r);
    return 0;
  }
  emit_line(e, "%s(%d, %d, %" PRId64 ", %" PRId64 ", %" PRId64 ", %s, %s, %s, %s, %s, %" PRId64 ", %" PRId64 ", %s);",
            emit_kfn(e, "vitc_f32_gemm_general"), gd.transA, transB, gd.M, gd.N, gd.K,
            emit_float(e, alpha), A, B, emit_float(e, gd.beta), c ? emit_ref(e, n->in[2]) : "NULL", gd.c_rs, gd.c_cs, Y);
  return 0;
}

static int64_t macs_gemm(Graph *g, Node *n) {
  GemmDims gd = {0};
  return gemm_dims(g, n, &gd) ? 0 : gd.M * gd.K * gd.N;
}

const OpImpl op_impl_Gemm = {
    .infer = infer_gemm, .eval = eval_gemm, .emit = emit_gemm, .scratch = scratch_gemm, .macs = macs_gemm};

/* ---------------- vitc.Gemm ---------------- */

/* Y = epilogue(A @ W + bias): see ir/ops.def, passes/fuse_gemm_epilogue.c and ops/epilogue.h. */
typedef struct VGemmDims {
  int64_t M, K, N;
  int64_t a_off, lda; /* row i of A: elements a_off + i*lda .. + K */
  Epilogue ep;
  Shape out;
} VGemmDims;

static int vgemm_dims(Graph *g, Node *n, VGemmDims *vd) {
  Tensor *a = node_in(g, n, 0), *w = node_in(g, n, 1), *bias = node_in(g, n, 2);
  if (!a || !w) return node_err(g, n, "expects inputs A and W");
  if (a->dtype != DT_FLOAT || w->dtype != DT_FLOAT || (bias && bias->dtype != DT_FLOAT))
    return node_err(g, n, "inputs must be float32");
  if (!w->data || w->shape.rank != 2) return node_err(g, n, "W must be a constant [K, N] matrix");
  if (a->shape.rank < 1) return node_err(g, n, "A must have rank >= 1");
  vd->K = w->shape.d[0];
  vd->N = w->shape.d[1];
  int64_t ka = a->shape.d[a->shape.rank - 1];
  const int64_t *av;
  int na = attr_ints(n, "a", &av);
  if (na >= 0 && na != 2) return node_err(g, n, "attribute a must be [offset, row stride]");
  vd->a_off = na == 2 ? av[0] : 0;
  vd->lda = na == 2 ? av[1] : ka;
  vd->M = 1;
  for (int i = 0; i < a->shape.rank - 1; i++) vd->M *= a->shape.d[i];
  char sb[128];
  if (na < 0 && ka != vd->K)
    return node_err(g, n, "A %s does not end in K=%" PRId64, shape_str(&a->shape, sb, sizeof sb), vd->K);
  if (vd->a_off < 0 || vd->lda < vd->K ||
      (vd->M > 0 && vd->a_off + (vd->M - 1) * vd->lda + vd->K > shape_numel(&a->shape)))
    return node_err(g, n, "rows of %" PRId64 " at offset %" PRId64 ", stride %" PRId64 " do not fit A %s", vd->K,
                    vd->a_off, vd->lda, shape_str(&a->shape, sb, sizeof sb));
  vd->out = a->shape;
  vd->out.d[vd->out.rank - 1] = vd->N;
  if (bias && (!bias->data || shape_numel(&bias->shape) != vd->N))
    return node_err(g, n, "bias must be a constant of %" PRId64 " elements", vd->N);
  if (epi_read(g, n, &vd->out, &vd->ep)) return -1;
  return check_numel(g, n, &vd->out);
}

static int infer_vgemm(Graph *g, Node *n) {
  VGemmDims vd;
  if (vgemm_dims(g, n, &vd)) return -1;
  set_output(g, n, 0, DT_FLOAT, &vd.out);
  return 0;
}

static int eval_vgemm(Graph *g, Node *n) {
  VGemmDims vd;
  if (vgemm_dims(g, n, &vd)) return -1;
  Tensor *a = node_in(g, n, 0), *w = node_in(g, n, 1), *bias = node_in(g, n, 2), *res = node_in(g, n, 3),
         *gate = node_in(g, n, 4);
  float *y = alloc_output_data(g, n, 0);
  const float *av = a->data, *wv = w->data, *bv = bias ? bias->data : NULL;
  for (int64_t i = 0; i < vd.M; i++)
    for (int64_t j = 0; j < vd.N; j++) {
      float s = bv ? bv[j] : 0.0f;
      for (int64_t k = 0; k < vd.K; k++) s += av[vd.a_off + i * vd.lda + k] * wv[k * vd.N + j];
      y[i * vd.N + j] = epi_apply(&vd.ep, s, j, gate ? gate->data : NULL, res ? res->data : NULL, i * vd.N + j,
                                  y + i * vd.N);
    }
  return 0;
}

static size_t scratch_vgemm(Graph *g, Node *n, const Target *t) {
  VGemmDims vd;
  if (!planned_packed(t) || vgemm_dims(g, n, &vd)) return 0;
  return gemm_scratch_bytes(t, vd.K, vd.N);
}

static int emit_vgemm(Emitter *e, Graph *g, Node *n) {
  VGemmDims vd;
  if (vgemm_dims(g, n, &vd)) return -1;
  Tensor *w = node_in(g, n, 1);
  const char *A = emit_ref(e, n->in[0]), *Y = emit_ref(e, n->out[0]);
  if (vd.a_off) A = emit_offset(e, A, "1", vd.a_off);
  const char *bias = node_in(g, n, 2) ? emit_ref(e, n->in[2]) : NULL;
  char what[512];
  emit_line(e, "/* Y (%" PRId64 ",%" PRId64 ") = A%s @ W (%" PRId64 ",%" PRId64 ")%s%s */", vd.M, vd.N,
            vd.lda != vd.K ? " (rows of a wider buffer)" : "", vd.K, vd.N, bias ? " + bias" : "",
            epi_describe(&vd.ep, what, sizeof what));
  if (packed_gemm(e)) {
    const char *Wp = pack_weights(e, w->name, w->data, vd.K, vd.N, vd.N, 1, 1.0f);
    emit_packed_gemm(e, vd.M, vd.N, vd.K, A, vd.lda, Wp, bias, n, &vd.ep, Y, vd.N);
    return 0;
  }
  emit_use_kernel(e, "gemm/f32-gemm");
  EmitRows r = emit_rows_begin(e, vd.M, SCALAR_ROW_UNIT);
  emit_line(e, "%s(%s, %" PRId64 ", %" PRId64 ", %s, %" PRId64 ", %s, %" PRId64 ", %s, %s, %" PRId64 ");",
            emit_kfn(e, "vitc_f32_gemm"), r.count, vd.N, vd.K, emit_rows_ptr(e, &r, A, vd.lda), vd.lda,
            emit_ref(e, n->in[1]), vd.N, bias ? bias : "NULL", emit_rows_ptr(e, &r, Y, vd.N), vd.N);
  if (epi_any(&vd.ep)) {
    char epi[2048];
    emit_line(e, "%s(%s, %" PRId64 ", %s, %" PRId64 ", %s, 0);", emit_kfn(e, "vitc_f32_gemm_epilogue"), r.count, vd.N,
              emit_rows_ptr(e, &r, Y, vd.N), vd.N, epi_literal(e, &vd.ep, n, NULL, &r, vd.N, epi, sizeof epi));
  }
  emit_rows_end(e, &r);
  return 0;
}

static int64_t macs_vgemm(Graph *g, Node *n) {
  VGemmDims vd;
  return vgemm_dims(g, n, &vd) ? 0 : vd.M * vd.K * vd.N;
}

const OpImpl op_impl_VitcGemm = {.infer = infer_vgemm,
                                 .eval = eval_vgemm,
                                 .emit = emit_vgemm,
                                 .scratch = scratch_vgemm,
                                 .macs = macs_vgemm};
