/* ops/qgemm.c: vitc.QGemm, the int8 GEMM of a quantized Linear (contract in
 * ir/ops.def; made by passes/fuse_qdq_gemm.c and by --quantize int8).
 *
 * Y = epilogue(a_scale * w_scale[j] * sum_k (q(A)[i][k] - a_zero) W[k][j] + bias[j]),
 * the sum exact in int32. The int8 weights are packed here, at compile time, for
 * the target's kernel (templates/gemm/qs8-gemm-pack.c has the layouts and the
 * packer, included below so the layout lives in one place), with the per-column
 * dequantize factors a_scale * w_scale[j] and zero-point corrections
 * (a_zero + offset) * colsum[j] as two more constants. The kernels per target:
 *
 *   scalar          qs8-gemm-scalar.c            unpacked W, the reference
 *   avx2, avx512    qs8-gemm-4x16-avx2.c         16-bit products summed in pairs by
 *                                                vpmaddwd (exact: no 16-bit saturation)
 *   avx512_vnni     qs8-gemm-8x48-vnni-avx512.c  vpdpbusd, u8 x s8 in groups of 4
 *   neon            qs8-gemm-8x8-smlal-neon.c    widened to 16 bits, smlal (AArch64, ARMv7)
 *   neon_dotprod    qs8-gemm-8x12-sdot-neon.c    sdot, s8 x s8 in groups of 4 (Armv8.2-A)
 *
 * When A is float32 the kernel quantizes it as it packs its activation panels
 * (QuantizeLinear's arithmetic: the fused quantize). The epilogue after the
 * dequantize is the fp32 GEMM's (templates/gemm/f32-gemm-epilogue.c, through
 * ops/epilogue.c), applied by the kernel to each row panel once its columns are
 * stored. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emit/emit.h"
#include "ops/epilogue.h"
#include "ops/op.h"
#include "ops/quant.h"
#include "gemm/qs8-gemm-pack.c"

/* The int8 kernel layout of target t (NULL: the scalar target). */
static const vitc_qs8_layout *qgemm_layout(const Target *t) {
  if (!t || !t->shim) return &vitc_qs8_layout_scalar;
  if (t->features & TARGET_F_VNNI) return &vitc_qs8_layout_vnni;
  if (t->features & TARGET_F_DOTPROD) return &vitc_qs8_layout_sdot;
  if (strcmp(t->isa, "neon") == 0) return &vitc_qs8_layout_smlal;
  return &vitc_qs8_layout_avx2; /* avx2 and avx512 without VNNI */
}

typedef struct QGemmDims {
  int64_t M, K, N;
  float sa;
  int za, q_type, a_type; /* q_type: 2 uint8, 3 int8; a_type: 1 float32 or q_type */
  const float *sw;
  Epilogue ep;
  Shape out;
} QGemmDims;

static int qgemm_dims(Graph *g, Node *n, QGemmDims *qd) {
  Tensor *a = node_in(g, n, 0), *w = node_in(g, n, 1), *bias = node_in(g, n, 2);
  if (!a || !w) return node_err(g, n, "expects inputs A and W");
  if (!w->data || w->dtype != DT_INT8 || w->shape.rank != 2) return node_err(g, n, "W must be an int8 constant [K, N]");
  if (a->shape.rank < 1) return node_err(g, n, "A must have rank >= 1");
  qd->K = w->shape.d[0], qd->N = w->shape.d[1];
  if (a->shape.d[a->shape.rank - 1] != qd->K) return node_err(g, n, "A does not end in K=%" PRId64, qd->K);
  qd->M = shape_numel(&a->shape) / (qd->K ? qd->K : 1);
  qd->sa = attr_float(n, "a_scale", 0.0f);
  qd->za = (int)attr_int(n, "a_zero", 0);
  qd->q_type = attr_int(n, "a_signed", 0) ? DT_INT8 : DT_UINT8;
  if (!(qd->sa > 0.0f) || !isfinite(qd->sa)) return node_err(g, n, "a_scale must be a positive finite float");
  if (qd->za < (qd->q_type == DT_INT8 ? -128 : 0) || qd->za > (qd->q_type == DT_INT8 ? 127 : 255))
    return node_err(g, n, "a_zero %d is outside the %s range", qd->za, dtype_name((DType)qd->q_type));
  if (a->dtype == DT_FLOAT) qd->a_type = 1;
  else if ((int)a->dtype == qd->q_type) qd->a_type = qd->q_type;
  else return node_err(g, n, "A is %s; expected float32 or %s", dtype_name(a->dtype), dtype_name((DType)qd->q_type));
  const Attr *ws = node_attr(n, "w_scale");
  if (!ws || ws->type != ATTR_FLOATS || ws->n != qd->N)
    return node_err(g, n, "w_scale must hold %" PRId64 " floats", qd->N);
  qd->sw = ws->floats;
  if (bias && (!bias->data || bias->dtype != DT_FLOAT || shape_numel(&bias->shape) != qd->N))
    return node_err(g, n, "bias must be a float32 constant of %" PRId64 " elements", qd->N);
  qd->out = a->shape;
  qd->out.d[qd->out.rank - 1] = qd->N;
  if (epi_read(g, n, &qd->out, &qd->ep)) return -1;
  return check_numel(g, n, &qd->out);
}

static int infer_qgemm(Graph *g, Node *n) {
  QGemmDims qd;
  if (qgemm_dims(g, n, &qd)) return -1;
  set_output(g, n, 0, DT_FLOAT, &qd.out);
  return 0;
}

/* Scratch: the scalar kernel's row buffers, or one packed activation micro-panel. */
static size_t scratch_qgemm(Graph *g, Node *n, const Target *t) {
  QGemmDims qd;
  if (qgemm_dims(g, n, &qd)) return 0;
  const vitc_qs8_layout *L = qgemm_layout(t);
  if (L == &vitc_qs8_layout_scalar) return (size_t)(qd.K + qd.N) * sizeof(int32_t);
  int64_t kp = (qd.K + L->kg - 1) / L->kg * L->kg;
  return (size_t)(L->mr * kp * L->ab);
}

static int emit_qgemm(Emitter *e, Graph *g, Node *n) {
  QGemmDims qd;
  if (qgemm_dims(g, n, &qd)) return -1;
  const Target *t = emit_target(e);
  const vitc_qs8_layout *L = qgemm_layout(t);
  Tensor *w = node_in(g, n, 1);
  int K = (int)qd.K, N = (int)qd.N;
  const int8_t *wv = w->data;

  /* per-column constants: scale[j] = a_scale * w_scale[j], zc[j] = (a_zero + offset) * colsum[j] */
  float *scale = xmalloc(sizeof(float) * (size_t)(N ? N : 1));
  int32_t *zc = xmalloc(sizeof(int32_t) * (size_t)(N ? N : 1));
  for (int j = 0; j < N; j++) scale[j] = qd.sa * qd.sw[j];
  vitc_qs8_zero_correction(L, K, N, wv, N, 1, qd.za, qd.q_type, zc);
  char hint[300];
  snprintf(hint, sizeof hint, "%s_scale", w->name);
  const char *sref = emit_const(e, hint, DT_FLOAT, N, scale);
  snprintf(hint, sizeof hint, "%s_zc", w->name);
  const char *zref = emit_const(e, hint, DT_INT32, N, zc);
  free(scale);
  free(zc);

  const char *Wp, *fn;
  if (L == &vitc_qs8_layout_scalar) {
    Wp = emit_ref(e, n->in[1]);
    emit_use_kernel(e, "gemm/qs8-gemm");
    fn = emit_kfn(e, "vitc_qs8_gemm");
  } else {
    size_t bytes = vitc_qs8_packed_w_bytes(L, K, N);
    void *p = xmalloc(bytes ? bytes : 1);
    vitc_qs8_pack_w(L, K, N, wv, N, 1, p);
    snprintf(hint, sizeof hint, "%s_q%s", w->name, L->tile);
    Wp = emit_const(e, hint, DT_INT8, (int64_t)bytes, p);
    free(p);
    char stem[64], base[64];
    snprintf(stem, sizeof stem, "gemm/qs8-gemm-%s", L->tile);
    emit_use_kernel(e, stem);
    snprintf(base, sizeof base, "vitc_qs8_gemm_%s", L->tile);
    for (char *c = base; *c; c++)
      if (*c == '-') *c = '_';
    fn = emit_kfn(e, base);
  }
  const char *bias = node_in(g, n, 2) ? emit_ref(e, n->in[2]) : "NULL";
  char what[512];
  emit_line(e, "/* Y (%" PRId64 ",%d) = dequantize(q(A) @ Wq (%d,%d), int8, exact in int32)%s%s */", qd.M, N, K, N,
            node_in(g, n, 2) ? " + bias" : "", epi_describe(&qd.ep, what, sizeof what));
  EmitRows r = emit_rows_begin(e, qd.M, L->mr);
  char epi[2048];
  epi_literal(e, &qd.ep, n, NULL, &r, N, epi, sizeof epi);
  emit_line(e, "%s(%s, %d, %d, %s, %d, %d, %s, %d, %d, %s, %s, %s, %s, %s, %d, %s, %s);", fn, r.count, N, K,
            emit_rows_ptr(e, &r, emit_ref(e, n->in[0]), K), qd.a_type, K, emit_float(e, qd.sa), qd.za, qd.q_type, Wp,
            zref, sref, bias, emit_rows_ptr(e, &r, emit_ref(e, n->out[0]), N), N, epi, emit_scratch(e));
  emit_rows_end(e, &r);
  return 0;
}

static int64_t macs_qgemm(Graph *g, Node *n) {
  QGemmDims qd;
  return qgemm_dims(g, n, &qd) ? 0 : qd.M * qd.K * qd.N;
}

const OpImpl op_impl_VitcQGemm = {
    .infer = infer_qgemm, .emit = emit_qgemm, .scratch = scratch_qgemm, .macs = macs_qgemm};
