/* templates/norm/f32-layernorm-scalar.c: LayerNormalization and folded
 * BatchNormalization (a per-channel affine map), portable scalar C.
 *
 * LayerNorm normalizes each row of a (rows, cols) view: ONNX's axis splits the
 * tensor into rows = prod(dims[:axis]) and cols = prod(dims[axis:]), and
 * scale/bias (already broadcast by the compiler to cols elements) apply per
 * column. In a ViT that is (tokens, embed): 197 rows of 192..1024 floats.
 *
 * Statistics are in float, like ONNX Runtime's CPU kernel, but in two passes
 * (mean, then the mean of squared deviations) rather than ORT's
 * E[x^2] - E[x]^2, which loses digits when |mean| >> std; the two agree to
 * well within 1e-5 relative on transformer activations. Each pass keeps 8
 * independent partial sums, so the compiler can keep them in one or two SIMD
 * registers without reassociating float math, and adds them pairwise at the
 * end. The normalize pass computes (x - mean) * (rstd * scale[j]) + bias[j]
 * with rstd = 1 / sqrtf(var + eps).
 *
 * BatchNormalization in inference mode is folded by the compiler into
 *   y = x * s[c] + t[c],  s = scale / sqrt(var + eps),  t = bias - mean * s,
 * over an (N, C, inner) view (inner = H*W for NCHW, 1 for (N, C)); the same
 * kernel serves any per-channel affine map.
 *
 * Both kernels may run in place (Y == X); no scratch. */
#ifndef VITC_F32_LAYERNORM_SCALAR_C
#define VITC_F32_LAYERNORM_SCALAR_C

#include "../prelude.h"

/* Sum of x[0..n) with 8 interleaved partial sums combined pairwise. */
VITC_KERNEL float vitc__f32_layernorm_sum_scalar(const float *VITC_RESTRICT x, int n)
{
    float s0 = 0.0f, s1 = 0.0f, s2 = 0.0f, s3 = 0.0f, s4 = 0.0f, s5 = 0.0f, s6 = 0.0f, s7 = 0.0f;
    int i = 0;
    for (; i + 8 <= n; i += 8) {
        s0 += x[i + 0]; s1 += x[i + 1]; s2 += x[i + 2]; s3 += x[i + 3];
        s4 += x[i + 4]; s5 += x[i + 5]; s6 += x[i + 6]; s7 += x[i + 7];
    }
    for (; i < n; i++) s0 += x[i];
    return ((s0 + s4) + (s1 + s5)) + ((s2 + s6) + (s3 + s7));
}

/* Sum of (x[i] - m)^2 over i in [0, n), same summation shape as above. */
VITC_KERNEL float vitc__f32_layernorm_sqdev_scalar(const float *VITC_RESTRICT x, int n, float m)
{
    float s0 = 0.0f, s1 = 0.0f, s2 = 0.0f, s3 = 0.0f, s4 = 0.0f, s5 = 0.0f, s6 = 0.0f, s7 = 0.0f;
    int i = 0;
    for (; i + 8 <= n; i += 8) {
        const float d0 = x[i + 0] - m, d1 = x[i + 1] - m, d2 = x[i + 2] - m, d3 = x[i + 3] - m;
        const float d4 = x[i + 4] - m, d5 = x[i + 5] - m, d6 = x[i + 6] - m, d7 = x[i + 7] - m;
        s0 += d0 * d0; s1 += d1 * d1; s2 += d2 * d2; s3 += d3 * d3;
        s4 += d4 * d4; s5 += d5 * d5; s6 += d6 * d6; s7 += d7 * d7;
    }
    for (; i < n; i++) {
        const float d = x[i] - m;
        s0 += d * d;
    }
    return ((s0 + s4) + (s1 + s5)) + ((s2 + s6) + (s3 + s7));
}

/* Y (rows, cols) = (X - mean_row) / sqrt(var_row + eps) * scale (cols,) + bias (cols,)
 * mean/var over each row of X (rows, cols), biased variance (divide by cols).
 * bias may be NULL (ONNX's optional B). Y may equal X; no other overlap. */
VITC_KERNEL void vitc_f32_layernorm_scalar(int rows, int cols, float eps, const float *X,
                                           const float *VITC_RESTRICT scale, const float *VITC_RESTRICT bias,
                                           float *Y)
{
    int r, j;
    for (r = 0; r < rows; r++) {
        const float *x = X + (ptrdiff_t)r * cols;
        float *y = Y + (ptrdiff_t)r * cols;
        const float mean = vitc__f32_layernorm_sum_scalar(x, cols) / (float)cols;
        const float var = vitc__f32_layernorm_sqdev_scalar(x, cols, mean) / (float)cols;
        const float rstd = 1.0f / sqrtf(var + eps);
        if (bias)
            for (j = 0; j < cols; j++) y[j] = (x[j] - mean) * (rstd * scale[j]) + bias[j];
        else
            for (j = 0; j < cols; j++) y[j] = (x[j] - mean) * (rstd * scale[j]);
    }
}

/* Y (N, C, inner) = X (N, C, inner) * s[c] + t[c]  (s, t: (C,); t may be NULL)
 * Folded BatchNormalization (inference). Y may equal X; no other overlap. */
VITC_KERNEL void vitc_f32_channel_affine_scalar(int N, int C, int inner, const float *X,
                                                const float *VITC_RESTRICT s, const float *VITC_RESTRICT t,
                                                float *Y)
{
    int n, c, i;
    for (n = 0; n < N; n++) {
        for (c = 0; c < C; c++) {
            const float *x = X + ((ptrdiff_t)n * C + c) * inner;
            float *y = Y + ((ptrdiff_t)n * C + c) * inner;
            const float sc = s[c], tc = t ? t[c] : 0.0f;
            for (i = 0; i < inner; i++) y[i] = x[i] * sc + tc;
        }
    }
}

#endif /* VITC_F32_LAYERNORM_SCALAR_C */
