/* templates/reduce/f32-cumsum-scalar.c: ONNX CumSum along one axis, portable
 * scalar C (DETR-style position embeddings count the mask with it).
 *
 * X and Y are viewed as (outer, n, inner) around the axis. Y[o, k, j] is the sum
 * of X[o, i, j] for i <= k (i < k with exclusive; i >= k or i > k with
 * reverse), accumulated in float in the scan's order, as ONNX Runtime does. The
 * scan walks whole rows of inner elements, so every access is contiguous.
 *
 * No scratch. Y must not overlap X. */
#ifndef VITC_F32_CUMSUM_SCALAR_C
#define VITC_F32_CUMSUM_SCALAR_C

#include "../prelude.h"

VITC_KERNEL void vitc_f32_cumsum_scalar(int outer, int n, int inner, int exclusive, int reverse,
                                        const float *VITC_RESTRICT X, float *VITC_RESTRICT Y)
{
    int o, k, j;
    for (o = 0; o < outer; o++) {
        const float *x = X + (ptrdiff_t)o * n * inner;
        float *y = Y + (ptrdiff_t)o * n * inner;
        for (k = 0; k < n; k++) {
            const int r = reverse ? n - 1 - k : k;             /* the row written */
            const int prev = reverse ? r + 1 : r - 1;           /* the row scanned before it */
            float *yr = y + (ptrdiff_t)r * inner;
            const float *xr = x + (ptrdiff_t)r * inner;
            if (k == 0) {
                for (j = 0; j < inner; j++) yr[j] = exclusive ? 0.0f : xr[j];
            } else {
                const float *yp = y + (ptrdiff_t)prev * inner;
                const float *xp = x + (ptrdiff_t)prev * inner;
                if (exclusive)
                    for (j = 0; j < inner; j++) yr[j] = yp[j] + xp[j];
                else
                    for (j = 0; j < inner; j++) yr[j] = yp[j] + xr[j];
            }
        }
    }
}

#endif /* VITC_F32_CUMSUM_SCALAR_C */
