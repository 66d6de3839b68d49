/* templates/loss/f32-nll-scalar.c: ONNX NegativeLogLikelihoodLoss (and, after a
 * log-softmax, SoftmaxCrossEntropyLoss), portable scalar C.
 *
 * X (N, C, D) holds log-probabilities (D: the product of the trailing dims, 1 for
 * (N, C)), T (N, D) the class of each position (int64, or int32 with t32), W (C)
 * optional class weights. Per position:
 *
 *   loss[n, d] = -X[n, T[n, d], d] * W[T[n, d]]   (W = 1 when absent)
 *
 * and 0 where T equals ignore_index (has_ignore) or, defensively, lies outside
 * [0, C) (ONNX Runtime rejects such a target). reduction 0 (none) writes Y (N, D);
 * 1 (sum) writes Y[0] = the sum; 2 (mean) writes the sum divided by the sum of the
 * weights of the positions counted (their count without W), as the spec does, so
 * a mean over nothing is 0/0. Sums are in double, then rounded.
 *
 * No scratch. Y must not overlap X. */
#ifndef VITC_F32_NLL_SCALAR_C
#define VITC_F32_NLL_SCALAR_C

#include "../prelude.h"

VITC_KERNEL void vitc_f32_nll_scalar(int N, int C, int D, const float *VITC_RESTRICT X, const void *T, int t32,
                                     const float *VITC_RESTRICT W, int has_ignore, int64_t ignore_index,
                                     int reduction, float *VITC_RESTRICT Y)
{
    double sum = 0.0, wsum = 0.0;
    int n, d;
    for (n = 0; n < N; n++)
        for (d = 0; d < D; d++) {
            const ptrdiff_t p = (ptrdiff_t)n * D + d;
            const int64_t t = t32 ? (int64_t)((const int32_t *)T)[p] : ((const int64_t *)T)[p];
            float loss = 0.0f;
            if (!(has_ignore && t == ignore_index) && t >= 0 && t < C) {
                const float w = W ? W[t] : 1.0f;
                loss = -X[((ptrdiff_t)n * C + t) * D + d] * w;
                wsum += w;
            }
            if (reduction == 0) Y[p] = loss;
            sum += loss;
        }
    if (reduction == 1) Y[0] = (float)sum;
    if (reduction == 2) Y[0] = (float)(sum / wsum);
}

#endif /* VITC_F32_NLL_SCALAR_C */
