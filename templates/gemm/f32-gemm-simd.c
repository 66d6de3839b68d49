/* templates/gemm/f32-gemm-simd.c: the two matrix products of f32-gemm-scalar.c that
 * the packed GEMM does not take, written once against the SIMD shim and
 * instantiated per target: vitc_f32_gemm_<isa> (C = A @ B + bias with B a run-time
 * (K,N) matrix: an ONNX Gemm whose B is not a constant) and
 * vitc_f32_gemm_general_<isa> (ONNX Gemm in full: transA, transB, alpha, beta and a
 * broadcast C). Same signatures and contracts as the scalar kernels; the constant
 * weights of every model go to the packed microkernels instead (templates/gemm/
 * f32-gemm-*-<isa>.c, compiler/ops/matmul.c), so these serve the odd forms that
 * the ONNX backend cases and a few exports use, at vector speed rather than
 * scalar.
 *
 * Two loop forms, by which operand runs along memory:
 *   rows (B' rows contiguous: transB = 0): each row of Y is a sum over k of
 *     A'[i][k] times row k of B, four vectors of Y's row in registers at a time
 *     (one fused multiply-add per load of B);
 *   dots (transB = 1): Y[i][j] is the dot product of A's row i and B's row j, four
 *     columns j at a time, when A' rows are contiguous (transA = 0); with transA = 1
 *     as well, Y's column j is a sum over k of A's row k (contiguous over i) times
 *     B[j][k], written to Y through a small buffer (Y is row-major).
 * The sums run in increasing k like the scalar kernels, with fused multiply-adds
 * (the dot form adds its lanes at the end): within a few ulp of them times K.
 * alpha and beta C' are applied as the scalar kernel does, alpha * s + beta * c. */
#include "../prelude.h"
#include "../simd/shim.h"
#include "f32-gemm-scalar.c"
#include "f32-gemm-epilogue-simd.c"

/* Y (M,N) rows ldy apart += A' (M,K) @ B (K,N) rows ldb apart, A'[i][k] = A[i*a_rs + k*a_cs] */
VITC_SIMD_INLINE void VITC_FN(vitc__gemm_rows)(int M, int N, int K, const float *A, ptrdiff_t a_rs, ptrdiff_t a_cs,
                                              const float *B, ptrdiff_t ldb, float *Y, ptrdiff_t ldy) {
  int i, j, k;
  for (i = 0; i < M; i++) {
    const float *ai = A + (ptrdiff_t)i * a_rs;
    float *yi = Y + (ptrdiff_t)i * ldy;
    for (j = 0; j + 4 * VITC_LANES <= N; j += 4 * VITC_LANES) {
      vf32 y0 = vf32_load(yi + j), y1 = vf32_load(yi + j + VITC_LANES), y2 = vf32_load(yi + j + 2 * VITC_LANES),
           y3 = vf32_load(yi + j + 3 * VITC_LANES);
      for (k = 0; k < K; k++) {
        const vf32 a = vf32_set1(ai[(ptrdiff_t)k * a_cs]);
        const float *bk = B + (ptrdiff_t)k * ldb + j;
        y0 = vf32_fma(a, vf32_load(bk), y0);
        y1 = vf32_fma(a, vf32_load(bk + VITC_LANES), y1);
        y2 = vf32_fma(a, vf32_load(bk + 2 * VITC_LANES), y2);
        y3 = vf32_fma(a, vf32_load(bk + 3 * VITC_LANES), y3);
      }
      vf32_store(yi + j, y0);
      vf32_store(yi + j + VITC_LANES, y1);
      vf32_store(yi + j + 2 * VITC_LANES, y2);
      vf32_store(yi + j + 3 * VITC_LANES, y3);
    }
    for (; j < N; j += VITC_LANES) { /* one vector at a time, the last maybe partial */
      const int n = N - j < VITC_LANES ? N - j : VITC_LANES;
      vf32 y = vf32_load_tail(yi + j, n);
      for (k = 0; k < K; k++) y = vf32_fma(vf32_set1(ai[(ptrdiff_t)k * a_cs]), vf32_load_tail(B + (ptrdiff_t)k * ldb + j, n), y);
      vf32_store_tail(yi + j, y, n);
    }
  }
}

/* sum over k of x[k] y[k], both contiguous */
VITC_SIMD_INLINE float VITC_FN(vitc__gemm_dot)(int K, const float *x, const float *y) {
  vf32 s = vf32_zero();
  int k;
  for (k = 0; k + VITC_LANES <= K; k += VITC_LANES) s = vf32_fma(vf32_load(x + k), vf32_load(y + k), s);
  if (k < K) s = vf32_fma(vf32_load_tail(x + k, K - k), vf32_load_tail(y + k, K - k), s);
  return vf32_hsum(s);
}

VITC_KERNEL void VITC_FN(vitc_f32_gemm)(int M, int N, int K, const float *VITC_RESTRICT A, int lda,
                                        const float *VITC_RESTRICT B, int ldb, const float *VITC_RESTRICT bias,
                                        float *VITC_RESTRICT C, int ldc) {
  int i, j;
  for (i = 0; i < M; i++) {
    float *ci = C + (ptrdiff_t)i * ldc;
    for (j = 0; j < N; j++) ci[j] = bias ? bias[j] : 0.0f;
  }
  VITC_FN(vitc__gemm_rows)(M, N, K, A, lda, 1, B, ldb, C, ldc);
}

VITC_KERNEL void VITC_FN(vitc_f32_gemm_general)(int transA, int transB, int M, int N, int K, float alpha,
                                                const float *VITC_RESTRICT A, const float *VITC_RESTRICT B,
                                                float beta, const float *VITC_RESTRICT Cin, ptrdiff_t c_rs,
                                                ptrdiff_t c_cs, float *VITC_RESTRICT Y) {
  const ptrdiff_t a_rs = transA ? 1 : K, a_cs = transA ? M : 1;
  int i, j, k;
  if (!transB) {
    for (i = 0; i < M; i++)
      for (j = 0; j < N; j++) Y[(ptrdiff_t)i * N + j] = 0.0f;
    VITC_FN(vitc__gemm_rows)(M, N, K, A, a_rs, a_cs, B, N, Y, N);
  } else if (!transA) {
    for (i = 0; i < M; i++)
      for (j = 0; j < N; j++) Y[(ptrdiff_t)i * N + j] = VITC_FN(vitc__gemm_dot)(K, A + (ptrdiff_t)i * K, B + (ptrdiff_t)j * K);
  } else { /* A (K,M), B (N,K): column j of Y sums A's rows (contiguous over i) times B[j][k] */
    for (j = 0; j < N; j++)
      for (i = 0; i < M; i += VITC_LANES) {
        const int n = M - i < VITC_LANES ? M - i : VITC_LANES;
        float col[VITC_LANES];
        int r;
        vf32 s = vf32_zero();
        for (k = 0; k < K; k++)
          s = vf32_fma(vf32_load_tail(A + (ptrdiff_t)k * M + i, n), vf32_set1(B[(ptrdiff_t)j * K + k]), s);
        vf32_store_tail(col, s, n);
        for (r = 0; r < n; r++) Y[(ptrdiff_t)(i + r) * N + j] = col[r];
      }
  }
  if (alpha != 1.0f || (Cin && beta != 0.0f)) {
    const vf32 va = vf32_set1(alpha), vb = vf32_set1(beta);
    for (i = 0; i < M; i++) {
      float *yi = Y + (ptrdiff_t)i * N;
      const float *ci = Cin ? Cin + (ptrdiff_t)i * c_rs : NULL;
      for (j = 0; j < N; j += VITC_LANES) {
        const int n = N - j < VITC_LANES ? N - j : VITC_LANES;
        vf32 y = vf32_mul(va, vf32_load_tail(yi + j, n));
        if (ci && beta != 0.0f) {
          vf32 c;
          if (c_cs == 1) c = vf32_load_tail(ci + j, n); /* C' varies along the row */
          else if (c_cs == 0) c = vf32_set1(ci[0]); /* one value per row */
          else {
            float cb[VITC_LANES];
            int r;
            for (r = 0; r < n; r++) cb[r] = ci[(ptrdiff_t)(j + r) * c_cs];
            c = vf32_load_tail(cb, n);
          }
          y = vf32_add(y, vf32_mul(vb, c));
        }
        vf32_store_tail(yi + j, y, n);
      }
    }
  }
}
