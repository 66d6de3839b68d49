/* templates/norm/f32-groupnorm-scalar.c: the normalizations that reuse
 * LayerNorm's statistics: GroupNormalization and InstanceNormalization (statistics
 * per image and group of channels, then a per-channel affine map), and
 * LayerNormalization's optional Mean and InvStdDev outputs. The sums are those of
 * templates/norm/f32-layernorm-scalar.c (two passes, 8 partial sums), pasted
 * before this file. */
#ifndef VITC_F32_GROUPNORM_SCALAR_C
#define VITC_F32_GROUPNORM_SCALAR_C

#include "../prelude.h"
#include "f32-layernorm-scalar.c"

/* mean (rows,) and inv_std (rows,) = LayerNormalization's optional outputs Mean and
 * InvStdDev: the statistics vitc_f32_layernorm_scalar computes, by the same sums.
 * Either may be NULL. Call it before the normalization when that runs in place. */
VITC_KERNEL void vitc_f32_layernorm_stats_scalar(int rows, int cols, float eps, const float *VITC_RESTRICT X,
                                                 float *VITC_RESTRICT mean, float *VITC_RESTRICT inv_std)
{
    int r;
    for (r = 0; r < rows; r++) {
        const float *x = X + (ptrdiff_t)r * cols;
        const float m = vitc__f32_layernorm_sum_scalar(x, cols) / (float)cols;
        const float var = vitc__f32_layernorm_sqdev_scalar(x, cols, m) / (float)cols;
        if (mean) mean[r] = m;
        if (inv_std) inv_std[r] = 1.0f / sqrtf(var + eps);
    }
}

/* Y (N, G*cpg, inner) = (X - mean) / sqrt(var + eps) * scale + bias, the statistics
 * over each group of cpg channels of each image (cpg*inner values):
 * GroupNormalization, and InstanceNormalization with cpg = 1. scale and bias hold
 * one value per channel, or per group with per_group (GroupNormalization-18).
 * Y may equal X. */
VITC_KERNEL void vitc_f32_groupnorm_scalar(int N, int G, int cpg, int inner, float eps, int per_group,
                                           const float *X, const float *VITC_RESTRICT scale,
                                           const float *VITC_RESTRICT bias, float *Y)
{
    int b, grp, c, i;
    const int cols = cpg * inner;
    for (b = 0; b < N; b++)
        for (grp = 0; grp < G; grp++) {
            const ptrdiff_t off = ((ptrdiff_t)b * G + grp) * cols;
            const float *x = X + off;
            float *y = Y + off;
            const float mean = vitc__f32_layernorm_sum_scalar(x, cols) / (float)cols;
            const float var = vitc__f32_layernorm_sqdev_scalar(x, cols, mean) / (float)cols;
            const float rstd = 1.0f / sqrtf(var + eps);
            for (c = 0; c < cpg; c++) {
                const int p = per_group ? grp : grp * cpg + c;
                const float s = rstd * scale[p], t = bias[p];
                const float *xc = x + (ptrdiff_t)c * inner;
                float *yc = y + (ptrdiff_t)c * inner;
                for (i = 0; i < inner; i++) yc[i] = (xc[i] - mean) * s + t;
            }
        }
}

#endif /* VITC_F32_GROUPNORM_SCALAR_C */
