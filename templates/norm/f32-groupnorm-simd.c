/* templates/norm/f32-groupnorm-simd.c: GroupNormalization, InstanceNormalization
 * and LayerNormalization's Mean/InvStdDev outputs (templates/norm/
 * f32-groupnorm-scalar.c), written once against the SIMD shim and instantiated
 * per target as vitc_f32_groupnorm_<isa> and vitc_f32_layernorm_stats_<isa>.
 * Same signatures and contracts. The statistics are LayerNorm's vector two-pass
 * sums (vitc__f32_row_stats of templates/norm/f32-layernorm-simd.c) over each
 * group's cpg*inner values, then one fma per element along each channel's inner
 * run: y = x * s + (t - mean * s) with s = rstd * scale[c]. Agrees with the
 * scalar kernels to rounding (sum order, and the fma). Y may equal X. */
#include "../prelude.h"
#include "../simd/shim.h"
#include "f32-groupnorm-scalar.c"
#include "f32-layernorm-simd.c"

/* mean (rows,) and inv_std (rows,) of X (rows, cols); either may be NULL */
VITC_KERNEL void VITC_FN(vitc_f32_layernorm_stats)(int rows, int cols, float eps, const float *VITC_RESTRICT X,
                                                   float *VITC_RESTRICT mean, float *VITC_RESTRICT inv_std) {
  int r;
  for (r = 0; r < rows; r++) {
    float m, var;
    VITC_FN(vitc__f32_row_stats)(X + (ptrdiff_t)r * cols, cols, &m, &var);
    if (mean) mean[r] = m;
    if (inv_std) inv_std[r] = 1.0f / sqrtf(var + eps);
  }
}

/* Y (N, G*cpg, inner) = (X - mean) / sqrt(var + eps) * scale + bias, statistics per
 * image and group of cpg channels; scale and bias per channel, or per group with
 * per_group. Y may equal X. */
VITC_KERNEL void VITC_FN(vitc_f32_groupnorm)(int N, int G, int cpg, int inner, float eps, int per_group,
                                             const float *X, const float *VITC_RESTRICT scale,
                                             const float *VITC_RESTRICT bias, float *Y) {
  int b, grp, c, i;
  const int cols = cpg * inner;
  for (b = 0; b < N; b++)
    for (grp = 0; grp < G; grp++) {
      const ptrdiff_t off = ((ptrdiff_t)b * G + grp) * cols;
      const float *x = X + off;
      float *y = Y + off;
      float mean, var, rstd;
      VITC_FN(vitc__f32_row_stats)(x, cols, &mean, &var);
      rstd = 1.0f / sqrtf(var + eps);
      for (c = 0; c < cpg; c++) {
        const int p = per_group ? grp : grp * cpg + c;
        const float sc = rstd * scale[p];
        const vf32 vs = vf32_set1(sc), vt = vf32_set1(bias[p] - mean * sc);
        const float *xc = x + (ptrdiff_t)c * inner;
        float *yc = y + (ptrdiff_t)c * inner;
        for (i = 0; i + VITC_LANES <= inner; i += VITC_LANES) vf32_store(yc + i, vf32_fma(vf32_load(xc + i), vs, vt));
        if (i < inner) vf32_store_tail(yc + i, vf32_fma(vf32_load_tail(xc + i, inner - i), vs, vt), inner - i);
      }
    }
}
