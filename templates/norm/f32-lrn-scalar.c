/* templates/norm/f32-lrn-scalar.c: LRN, local response normalization across
 * channels (AlexNet's and GoogLeNet's CNN stems), NCHW, portable scalar C.
 *
 * X is (N, C, S) with S the product of the spatial dims. Each value is divided
 * by a power of the squares summed over a window of neighbouring channels at the
 * same position (ONNX LRN):
 *   Y[n,c,s] = X[n,c,s] * (bias + alpha/size * sum_{i=lo}^{hi} X[n,i,s]^2)^(-beta)
 *   lo = max(0, c - floor((size-1)/2)), hi = min(C-1, c + ceil((size-1)/2)).
 * The window's squares are summed in channel order for each output, not by
 * ONNX Runtime's running sum (add the entering channel, subtract the leaving
 * one), which can leave cancellation error in a small sum; the power is powf.
 * The shim-based twin, f32-lrn-simd.c, runs along S with the same sums.
 *
 * No scratch. Y must not overlap X (each output reads its neighbours' inputs). */
#ifndef VITC_F32_LRN_SCALAR_C
#define VITC_F32_LRN_SCALAR_C

#include "../prelude.h"

/* The window [*lo, *hi] of channel c among C for an LRN of `size` channels */
static inline VITC_UNUSED void vitc__lrn_window(int c, int C, int size, int *lo, int *hi) {
    const int before = (size - 1) / 2, after = size - 1 - before;
    *lo = c - before < 0 ? 0 : c - before;
    *hi = c + after > C - 1 ? C - 1 : c + after;
}

/* Y (N, C, S) = LRN of X (N, C, S) over windows of `size` channels (above) */
VITC_KERNEL void vitc_f32_lrn_scalar(int N, int C, int S, int size, float alpha, float beta, float bias,
                                     const float *VITC_RESTRICT X, float *VITC_RESTRICT Y)
{
    const float aos = alpha / (float)size;
    int n, c, i, s, lo, hi;
    for (n = 0; n < N; n++)
        for (c = 0; c < C; c++) {
            const float *xn = X + (ptrdiff_t)n * C * S;
            float *yc = Y + ((ptrdiff_t)n * C + c) * S;
            vitc__lrn_window(c, C, size, &lo, &hi);
            for (s = 0; s < S; s++) {
                float ss = 0.0f;
                for (i = lo; i <= hi; i++) {
                    const float v = xn[(ptrdiff_t)i * S + s];
                    ss += v * v;
                }
                yc[s] = xn[(ptrdiff_t)c * S + s] * powf(bias + aos * ss, -beta);
            }
        }
}

#endif /* VITC_F32_LRN_SCALAR_C */
