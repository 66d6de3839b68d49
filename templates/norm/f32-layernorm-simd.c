/* templates/norm/f32-layernorm-simd.c: LayerNormalization and the per-channel
 * affine map (folded BatchNormalization), written once against the SIMD shim
 * (templates/simd/bind.h) and instantiated per target as vitc_f32_layernorm_<isa>
 * and vitc_f32_channel_affine_<isa>. Same signatures and contracts as
 * templates/norm/f32-layernorm-scalar.c.
 *
 * LayerNorm keeps the scalar kernel's two-pass statistics (mean, then the mean
 * of squared deviations: no E[x^2] - E[x]^2 cancellation), each pass with two
 * vector accumulators, then normalizes with one fma per element:
 * y = (x - mean) * (rstd * scale) + bias. Only the summation order differs from
 * the scalar kernel (results agree to a few ulp of the row's scale).
 *
 * The channel affine map y = x * s[c] + t[c] over (N, C, inner) runs along inner
 * when inner > 1 (NCHW feature maps) and along C when inner == 1 ((N, C) rows),
 * so the vector loop is always over contiguous memory.
 *
 * Both may run in place (Y == X); no scratch. */
#include "../prelude.h"
#include "../simd/shim.h"
#include "f32-layernorm-scalar.c"

/* mean and biased variance of x[0..cols): two passes (the mean, then the mean of
 * squared deviations), two vector accumulators each; shared with
 * templates/norm/f32-groupnorm-simd.c */
VITC_SIMD_INLINE void VITC_FN(vitc__f32_row_stats)(const float *x, int cols, float *mean_out, float *var_out) {
  vf32 s0 = vf32_zero(), s1 = vf32_zero(), vmean;
  float mean;
  int j;
  for (j = 0; j + 2 * VITC_LANES <= cols; j += 2 * VITC_LANES) {
    s0 = vf32_add(s0, vf32_load(x + j));
    s1 = vf32_add(s1, vf32_load(x + j + VITC_LANES));
  }
  for (; j + VITC_LANES <= cols; j += VITC_LANES) s0 = vf32_add(s0, vf32_load(x + j));
  if (j < cols) s1 = vf32_add(s1, vf32_load_tail(x + j, cols - j));
  mean = vf32_hsum(vf32_add(s0, s1)) / (float)cols;
  vmean = vf32_set1(mean);
  s0 = vf32_zero();
  s1 = vf32_zero();
  for (j = 0; j + 2 * VITC_LANES <= cols; j += 2 * VITC_LANES) {
    const vf32 d0 = vf32_sub(vf32_load(x + j), vmean), d1 = vf32_sub(vf32_load(x + j + VITC_LANES), vmean);
    s0 = vf32_fma(d0, d0, s0);
    s1 = vf32_fma(d1, d1, s1);
  }
  for (; j + VITC_LANES <= cols; j += VITC_LANES) {
    const vf32 d0 = vf32_sub(vf32_load(x + j), vmean);
    s0 = vf32_fma(d0, d0, s0);
  }
  if (j < cols) {
    /* masked-off lanes: 0 - mean, squared; cancelled by loading them as mean */
    const vf32 d1 = vf32_sub(vf32_load_tail_fill(x + j, cols - j, mean), vmean);
    s1 = vf32_fma(d1, d1, s1);
  }
  *mean_out = mean;
  *var_out = vf32_hsum(vf32_add(s0, s1)) / (float)cols;
}

/* Y (rows, cols) = (X - mean_row) / sqrt(var_row + eps) * scale (cols,) + bias (cols,)
 * mean/var over each row of X (rows, cols), biased variance (divide by cols).
 * bias may be NULL (ONNX's optional B). Y may equal X; no other overlap. */
VITC_KERNEL void VITC_FN(vitc_f32_layernorm)(int rows, int cols, float eps, const float *X,
                                             const float *VITC_RESTRICT scale, const float *VITC_RESTRICT bias,
                                             float *Y) {
  int r, j;
  for (r = 0; r < rows; r++) {
    const float *x = X + (ptrdiff_t)r * cols;
    float *y = Y + (ptrdiff_t)r * cols;
    vf32 vmean, vr;
    float mean, var, rstd;
    VITC_FN(vitc__f32_row_stats)(x, cols, &mean, &var);
    vmean = vf32_set1(mean);
    rstd = 1.0f / sqrtf(var + eps);
    vr = vf32_set1(rstd);
    if (bias) {
      for (j = 0; j + VITC_LANES <= cols; j += VITC_LANES) {
        const vf32 k = vf32_mul(vr, vf32_load(scale + j));
        vf32_store(y + j, vf32_fma(vf32_sub(vf32_load(x + j), vmean), k, vf32_load(bias + j)));
      }
      if (j < cols) {
        const int n = cols - j;
        const vf32 k = vf32_mul(vr, vf32_load_tail(scale + j, n));
        vf32_store_tail(y + j, vf32_fma(vf32_sub(vf32_load_tail(x + j, n), vmean), k, vf32_load_tail(bias + j, n)), n);
      }
    } else {
      for (j = 0; j + VITC_LANES <= cols; j += VITC_LANES) {
        const vf32 k = vf32_mul(vr, vf32_load(scale + j));
        vf32_store(y + j, vf32_mul(vf32_sub(vf32_load(x + j), vmean), k));
      }
      if (j < cols) {
        const int n = cols - j;
        const vf32 k = vf32_mul(vr, vf32_load_tail(scale + j, n));
        vf32_store_tail(y + j, vf32_mul(vf32_sub(vf32_load_tail(x + j, n), vmean), k), n);
      }
    }
  }
}

/* Y (N, C, inner) = X (N, C, inner) * s[c] + t[c]  (s, t: (C,); t may be NULL)
 * Folded BatchNormalization (inference). Y may equal X; no other overlap. */
VITC_KERNEL void VITC_FN(vitc_f32_channel_affine)(int N, int C, int inner, const float *X, const float *VITC_RESTRICT s,
                                                  const float *VITC_RESTRICT t, float *Y) {
  int n, c, i;
  if (inner == 1) {
    for (n = 0; n < N; n++) {
      const float *x = X + (ptrdiff_t)n * C;
      float *y = Y + (ptrdiff_t)n * C;
      for (c = 0; c + VITC_LANES <= C; c += VITC_LANES) {
        const vf32 tc = t ? vf32_load(t + c) : vf32_zero();
        vf32_store(y + c, vf32_fma(vf32_load(x + c), vf32_load(s + c), tc));
      }
      if (c < C) {
        const int k = C - c;
        const vf32 tc = t ? vf32_load_tail(t + c, k) : vf32_zero();
        vf32_store_tail(y + c, vf32_fma(vf32_load_tail(x + c, k), vf32_load_tail(s + c, k), tc), k);
      }
    }
    return;
  }
  for (n = 0; n < N; n++) {
    for (c = 0; c < C; c++) {
      const float *x = X + ((ptrdiff_t)n * C + c) * inner;
      float *y = Y + ((ptrdiff_t)n * C + c) * inner;
      const vf32 sc = vf32_set1(s[c]), tc = vf32_set1(t ? t[c] : 0.0f);
      for (i = 0; i + VITC_LANES <= inner; i += VITC_LANES) vf32_store(y + i, vf32_fma(vf32_load(x + i), sc, tc));
      if (i < inner) vf32_store_tail(y + i, vf32_fma(vf32_load_tail(x + i, inner - i), sc, tc), inner - i);
    }
  }
}
