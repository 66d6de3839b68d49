/* templates/reduce/f32-argreduce-scalar.c: ONNX ArgMax / ArgMin (and Hardmax, the
 * one-hot of ArgMax) along one axis,
 * portable scalar C (the class map of a segmentation head, the best score of a
 * classifier).
 *
 * X is viewed as (outer, n, inner) around the reduced axis; Y (outer, inner)
 * gets, per lane, the int64 index of the largest (ArgMax) or smallest (ArgMin)
 * element. Ties give the first index, or the last with select_last. A NaN
 * never wins a comparison, so it is skipped unless every element is NaN (then
 * index 0), as in a plain loop over `>`. The scan walks X row by row, so every
 * read is contiguous along inner.
 *
 * No scratch. n >= 1. */
#ifndef VITC_F32_ARGREDUCE_SCALAR_C
#define VITC_F32_ARGREDUCE_SCALAR_C

#include "../prelude.h"

/* Y (outer, inner) int64 = arg{max,min} over n of X (outer, n, inner). */
VITC_KERNEL void vitc_f32_argreduce_scalar(int outer, int n, int inner, int is_min, int select_last,
                                           const float *VITC_RESTRICT X, int64_t *VITC_RESTRICT Y)
{
    int o, k, j;
    for (o = 0; o < outer; o++) {
        const float *x = X + (ptrdiff_t)o * n * inner;
        int64_t *y = Y + (ptrdiff_t)o * inner;
        for (j = 0; j < inner; j++) y[j] = 0;
        for (k = 1; k < n; k++) {
            const float *row = x + (ptrdiff_t)k * inner;
            for (j = 0; j < inner; j++) {
                const float best = x[y[j] * (ptrdiff_t)inner + j], v = row[j];
                const int better = is_min ? (select_last ? v <= best : v < best) : (select_last ? v >= best : v > best);
                if (better || (best != best && v == v)) y[j] = k;
            }
        }
    }
}

/* Y (outer, n, inner) = 1 at the first maximum along n of X (outer, n, inner), 0
 * elsewhere: ONNX Hardmax (13: one axis). */
VITC_KERNEL void vitc_f32_hardmax_scalar(int outer, int n, int inner, const float *VITC_RESTRICT X,
                                         float *VITC_RESTRICT Y)
{
    int o, k, j;
    for (o = 0; o < outer; o++) {
        const float *x = X + (ptrdiff_t)o * n * inner;
        float *y = Y + (ptrdiff_t)o * n * inner;
        for (j = 0; j < inner; j++) {
            int best = 0;
            for (k = 1; k < n; k++) {
                const float b = x[(ptrdiff_t)best * inner + j], v = x[(ptrdiff_t)k * inner + j];
                if (v > b || (b != b && v == v)) best = k;
            }
            for (k = 0; k < n; k++) y[(ptrdiff_t)k * inner + j] = k == best ? 1.0f : 0.0f;
        }
    }
}

#endif /* VITC_F32_ARGREDUCE_SCALAR_C */
