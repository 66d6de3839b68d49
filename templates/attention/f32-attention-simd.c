/* templates/attention/f32-attention-simd.c: multi-head attention (vitc.Attention)
 * written once against the SIMD shim (templates/simd/bind.h) and instantiated
 * per target as vitc_f32_attention_<isa>. Same signature, contract and scratch
 * bound as templates/attention/f32-attention-scalar.c.
 *
 * Per (batch, head):
 *   0. With a gate G (MABViT), V * sigmoid(G) of the head is computed into
 *      scratch (vf32_sigmoid, 3 ulp) and read instead of V.
 *   1. K^T of the head is packed into scratch: dk rows of Nkp floats (see
 *      Padding), so scores can be computed with key columns along the lanes.
 *   2. For each tile of ATT_MR query rows:
 *      a. scores S (ATT_MR x Nkp, in scratch) = scale * Q_tile K^T, a register
 *         tile of ATT_MR rows x ATT_KV vectors of keys, accumulated over dk
 *         (Q broadcast, K^T rows loaded), the way a GEMM microkernel works;
 *      b. softmax of each row over the Nk real keys (vector max with a -inf
 *         filled tail, exp(s - max) in place while summing); the 1/sum is kept;
 *      c. O_tile = (P V) / sum, register tiles of ATT_PR rows x ATT_PV vectors
 *         of output columns, accumulated over the keys (P broadcast, V rows
 *         loaded straight from their strided place), scaled by 1/sum and stored
 *         into the strided output rows (heads merged).
 *   Only one tile of scores is ever live (ATT_MR rows of Nkp floats: 7 KB for
 *   Nk = 197 on avx512), never the Nq x Nk matrix.
 *
 * Padding: K^T rows have Nk rounded up to VITC_LANES (zeros); score blocks of
 * ATT_KV vectors end with single vectors, and the padding scores are never read.
 * A tile with fewer than ATT_MR rows repeats its last row (same inputs, same
 * values written to the same place), so the register tiles need no row tails.
 * Output columns go ATT_PV vectors at a time, then one at a time, the last one
 * masked when dv is not a multiple of VITC_LANES.
 *
 * The softmax of a row of scores is Softmax's (templates/norm/f32-softmax-row.c),
 * its exp the shim's exp_finite of max(x, -87);
 * summation orders differ from the scalar kernel, so results agree with it to
 * rounding, not bit for bit. */
#include "../prelude.h"
#include "../simd/shim.h"
#include "f32-attention-scalar.c"
#include "../norm/f32-softmax-row.c"

/* Register tiles by vector width (the scratch bound assumes ATT_MR <= 16 and
 * VITC_LANES <= 64). */
#if VITC_LANES >= 16 /* avx512: 32 registers */
#define ATT_MR 8
#define ATT_KV 2
#define ATT_PR 8
#define ATT_PV 2
#elif VITC_LANES >= 8 /* avx2: 16 registers */
#define ATT_MR 6
#define ATT_KV 2
#define ATT_PR 6
#define ATT_PV 2
#elif VITC_LANES >= 4 /* neon: 32 registers */
#define ATT_MR 8
#define ATT_KV 2
#define ATT_PR 8
#define ATT_PV 2
#else /* one lane (the scalar shim, for tests) */
#define ATT_MR 4
#define ATT_KV 4
#define ATT_PR 4
#define ATT_PV 4
#endif
#define ATT_KB (ATT_KV * VITC_LANES) /* keys per score block */

/* S[r][kb..kb + nv*L) = scale * q_r . K^T[:, kb..] for the ATT_MR rows q[r] (dk
 * floats each); kt: dk rows of nkp floats. nv <= ATT_KV is a constant after
 * inlining. */
static inline VITC_UNUSED void VITC_FN(vitc__attn_score_block)(int nv, int dk, const float *const *q, const float *kt,
                                                               int nkp, int kb, vf32 vs, float *S) {
  vf32 acc[ATT_MR][ATT_KV];
  int j, r, c;
  for (r = 0; r < ATT_MR; r++)
    for (c = 0; c < nv; c++) acc[r][c] = vf32_zero();
  for (j = 0; j < dk; j++) {
    const float *kr = kt + (ptrdiff_t)j * nkp + kb;
    vf32 bk[ATT_KV];
    for (c = 0; c < nv; c++) bk[c] = vf32_load(kr + c * VITC_LANES);
    for (r = 0; r < ATT_MR; r++) {
      const vf32 a = vf32_set1(q[r][j]);
      for (c = 0; c < nv; c++) acc[r][c] = vf32_fma(a, bk[c], acc[r][c]);
    }
  }
  for (r = 0; r < ATT_MR; r++)
    for (c = 0; c < nv; c++) vf32_store(S + (ptrdiff_t)r * nkp + kb + c * VITC_LANES, vf32_mul(acc[r][c], vs));
}

/* All of S's columns (nkp, a multiple of VITC_LANES): blocks of ATT_KV vectors,
 * then single vectors, so at most VITC_LANES - 1 padding keys are computed. */
static inline VITC_UNUSED void VITC_FN(vitc__attn_scores)(int dk, const float *const *q, const float *kt, int nkp,
                                                          float scale, float *S) {
  const vf32 vs = vf32_set1(scale);
  int kb;
  for (kb = 0; kb + ATT_KB <= nkp; kb += ATT_KB) VITC_FN(vitc__attn_score_block)(ATT_KV, dk, q, kt, nkp, kb, vs, S);
  for (; kb < nkp; kb += VITC_LANES) VITC_FN(vitc__attn_score_block)(1, dk, q, kt, nkp, kb, vs, S);
}

/* Row s[0..n) := exp(s - max s); returns 1 / sum. Softmax's row step
 * (templates/norm/f32-softmax-row.c) with exp_finite. */
static inline VITC_UNUSED float VITC_FN(vitc__attn_softmax_row)(int n, float *s) {
  return 1.0f / VITC_FN(vitc__f32_softmax_exp_row)(n, s, s, 1);
}

/* o[r][c0..c0 + nv*L) = rs[r] * sum_k p[r][k] v_k[c0..] for ATT_PR rows; the last
 * of the nv vectors holds nlast columns (masked when < VITC_LANES). nv and nlast
 * are constants after inlining. */
static inline VITC_UNUSED void VITC_FN(vitc__attn_pv_block)(int nv, int nlast, int nk, const float *const *p,
                                                            const float *v, int vn, const float *rs, float *const *o,
                                                            int c0) {
  vf32 acc[ATT_PR][ATT_PV];
  int k, r, c;
  for (r = 0; r < ATT_PR; r++)
    for (c = 0; c < nv; c++) acc[r][c] = vf32_zero();
  for (k = 0; k < nk; k++) {
    const float *vr = v + (ptrdiff_t)k * vn + c0;
    vf32 bv[ATT_PV];
    for (c = 0; c < nv; c++)
      bv[c] = c == nv - 1 && nlast < VITC_LANES ? vf32_load_tail(vr + c * VITC_LANES, nlast)
                                                : vf32_load(vr + c * VITC_LANES);
    for (r = 0; r < ATT_PR; r++) {
      const vf32 a = vf32_set1(p[r][k]);
      for (c = 0; c < nv; c++) acc[r][c] = vf32_fma(a, bv[c], acc[r][c]);
    }
  }
  for (r = 0; r < ATT_PR; r++) {
    const vf32 s = vf32_set1(rs[r]);
    for (c = 0; c < nv; c++) {
      if (c == nv - 1 && nlast < VITC_LANES) vf32_store_tail(o[r] + c0 + c * VITC_LANES, vf32_mul(acc[r][c], s), nlast);
      else vf32_store(o[r] + c0 + c * VITC_LANES, vf32_mul(acc[r][c], s));
    }
  }
}

/* y[0..n) = v * sigmoid(g) (MABViT's gated values). */
static inline VITC_UNUSED void VITC_FN(vitc__attn_gate_row)(int n, const float *v, const float *g, float *y) {
  int i;
  for (i = 0; i + VITC_LANES <= n; i += VITC_LANES)
    vf32_store(y + i, vf32_mul(vf32_load(v + i), vf32_sigmoid(vf32_load(g + i))));
  if (i < n)
    vf32_store_tail(y + i, vf32_mul(vf32_load_tail(v + i, n - i), vf32_sigmoid(vf32_load_tail(g + i, n - i))), n - i);
}

/* O (B, H, Nq, dv) = softmax(scale * Q K^T) V per (b, h), strided rows
 * (templates/attention/f32-attention-scalar.c). */
VITC_KERNEL void VITC_FN(vitc_f32_attention)(int B, int H, int Nq, int Nk, int dk, int dv, float scale,
                                             const float *Q, const int *qs, const float *K, const int *ks,
                                             const float *V, const int *vs, const float *G, const int *gs,
                                             float *O, const int *os, float *scratch) {
  const int nkp = (Nk + VITC_LANES - 1) / VITC_LANES * VITC_LANES;
  float *kt = scratch;                      /* K^T of one head: dk x nkp */
  float *S = scratch + (ptrdiff_t)dk * nkp; /* scores of one tile: ATT_MR x nkp */
  float *vg = S + (ptrdiff_t)ATT_MR * nkp;  /* gated values of one head: Nk x dv */
  int b, h, i0, r, c0;
  if (Nk <= 0) {
    vitc_f32_attention_scalar(B, H, Nq, Nk, dk, dv, scale, Q, qs, K, ks, V, vs, G, gs, O, os, scratch);
    return;
  }
  for (b = 0; b < B; b++) {
    for (h = 0; h < H; h++) {
      const float *q, *vh;
      float *o;
      int vn;
      vitc__attn_head(b, h, Nk, dk, dv, Q, qs, K, ks, V, vs, G, gs, O, os, kt, nkp, vg, VITC_FN(vitc__attn_gate_row), &q,
                      &o, &vh, &vn);
      for (i0 = 0; i0 < Nq; i0 += ATT_MR) {
        const int mr = Nq - i0 < ATT_MR ? Nq - i0 : ATT_MR;
        const float *qr[ATT_MR];
        float rs[ATT_MR];
        for (r = 0; r < ATT_MR; r++) qr[r] = q + (ptrdiff_t)(i0 + (r < mr ? r : mr - 1)) * qs[2];
        VITC_FN(vitc__attn_scores)(dk, qr, kt, nkp, scale, S);
        for (r = 0; r < mr; r++) rs[r] = VITC_FN(vitc__attn_softmax_row)(Nk, S + (ptrdiff_t)r * nkp);
        for (r = 0; r < mr; r += ATT_PR) {
          const float *pr[ATT_PR];
          float *or_[ATT_PR];
          float rr[ATT_PR];
          int t;
          for (t = 0; t < ATT_PR; t++) {
            const int row = r + t < mr ? r + t : mr - 1;
            pr[t] = S + (ptrdiff_t)row * nkp;
            or_[t] = o + (ptrdiff_t)(i0 + row) * os[2];
            rr[t] = rs[row];
          }
          for (c0 = 0; c0 + ATT_PV * VITC_LANES <= dv; c0 += ATT_PV * VITC_LANES)
            VITC_FN(vitc__attn_pv_block)(ATT_PV, VITC_LANES, Nk, pr, vh, vn, rr, or_, c0);
          for (; c0 + VITC_LANES <= dv; c0 += VITC_LANES)
            VITC_FN(vitc__attn_pv_block)(1, VITC_LANES, Nk, pr, vh, vn, rr, or_, c0);
          if (c0 < dv) VITC_FN(vitc__attn_pv_block)(1, dv - c0, Nk, pr, vh, vn, rr, or_, c0);
        }
      }
    }
  }
}

#undef ATT_MR
#undef ATT_KV
#undef ATT_PR
#undef ATT_PV
#undef ATT_KB
