/* templates/norm/f32-softmax-scalar.c: Softmax (and LogSoftmax) over one axis,
 * portable scalar C.
 *
 * The tensor is viewed as (outer, axis_len, inner): outer = prod(dims[:axis]),
 * inner = prod(dims[axis+1:]). For opset >= 13 that is the ONNX axis; for
 * opset < 13 Softmax flattens at axis, which the compiler expresses as
 * axis_len = prod(dims[axis:]) and inner = 1.
 *
 * inner == 1 is the hot case (attention scores: each row of 197 floats is one
 * softmax) and has its own loop: max of the row, then exp(x - max) written to
 * Y while summing, then one multiply by 1/sum. Subtracting the max keeps expf
 * in range (the largest term is exp(0) = 1), like ONNX Runtime.
 *
 * inner > 1 walks the axis with unit-stride rows of up to 64 lanes at a time,
 * keeping the 64 running maxima and sums in fixed-size local arrays (no
 * scratch from the caller), so the loads stay contiguous.
 *
 * Both kernels may run in place (Y == X). A row that is all -inf gives NaN,
 * as in ONNX Runtime. */
#ifndef VITC_F32_SOFTMAX_SCALAR_C
#define VITC_F32_SOFTMAX_SCALAR_C

#include "../prelude.h"

enum { VITC__SOFTMAX_SCALAR_LANES = 64 };

/* Shared body: log_mode 0 -> softmax, 1 -> log-softmax. */
VITC_KERNEL void vitc__f32_softmax_any_scalar(int outer, int axis_len, int inner, int log_mode,
                                              const float *X, float *Y)
{
    int o, a, j, j0;
    if (axis_len <= 0) return;
    if (inner == 1) {
        for (o = 0; o < outer; o++) {
            const float *x = X + (ptrdiff_t)o * axis_len;
            float *y = Y + (ptrdiff_t)o * axis_len;
            float m = x[0], s = 0.0f;
            for (a = 1; a < axis_len; a++) m = x[a] > m ? x[a] : m;
            if (log_mode) {
                for (a = 0; a < axis_len; a++) s += expf(x[a] - m);
                s = logf(s);
                for (a = 0; a < axis_len; a++) y[a] = x[a] - m - s;
            } else {
                float rs;
                for (a = 0; a < axis_len; a++) {
                    const float e = expf(x[a] - m);
                    y[a] = e;
                    s += e;
                }
                rs = 1.0f / s;
                for (a = 0; a < axis_len; a++) y[a] *= rs;
            }
        }
        return;
    }
    for (o = 0; o < outer; o++) {
        const float *xo = X + (ptrdiff_t)o * axis_len * inner;
        float *yo = Y + (ptrdiff_t)o * axis_len * inner;
        for (j0 = 0; j0 < inner; j0 += VITC__SOFTMAX_SCALAR_LANES) {
            const int nl = inner - j0 < VITC__SOFTMAX_SCALAR_LANES ? inner - j0 : VITC__SOFTMAX_SCALAR_LANES;
            float m[VITC__SOFTMAX_SCALAR_LANES], s[VITC__SOFTMAX_SCALAR_LANES];
            for (j = 0; j < nl; j++) {
                m[j] = xo[j0 + j];
                s[j] = 0.0f;
            }
            for (a = 1; a < axis_len; a++) {
                const float *x = xo + (ptrdiff_t)a * inner + j0;
                for (j = 0; j < nl; j++) m[j] = x[j] > m[j] ? x[j] : m[j];
            }
            if (log_mode) {
                for (a = 0; a < axis_len; a++) {
                    const float *x = xo + (ptrdiff_t)a * inner + j0;
                    for (j = 0; j < nl; j++) s[j] += expf(x[j] - m[j]);
                }
                for (j = 0; j < nl; j++) s[j] = logf(s[j]);
                for (a = 0; a < axis_len; a++) {
                    const float *x = xo + (ptrdiff_t)a * inner + j0;
                    float *y = yo + (ptrdiff_t)a * inner + j0;
                    for (j = 0; j < nl; j++) y[j] = x[j] - m[j] - s[j];
                }
            } else {
                for (a = 0; a < axis_len; a++) {
                    const float *x = xo + (ptrdiff_t)a * inner + j0;
                    float *y = yo + (ptrdiff_t)a * inner + j0;
                    for (j = 0; j < nl; j++) {
                        const float e = expf(x[j] - m[j]);
                        y[j] = e;
                        s[j] += e;
                    }
                }
                for (j = 0; j < nl; j++) s[j] = 1.0f / s[j];
                for (a = 0; a < axis_len; a++) {
                    float *y = yo + (ptrdiff_t)a * inner + j0;
                    for (j = 0; j < nl; j++) y[j] *= s[j];
                }
            }
        }
    }
}

/* Y (outer, axis_len, inner) = exp(X - max_axis) / sum_axis exp(X - max_axis)
 * along the middle axis of X (outer, axis_len, inner). Y may equal X. */
VITC_KERNEL void vitc_f32_softmax_scalar(int outer, int axis_len, int inner, const float *X, float *Y)
{
    vitc__f32_softmax_any_scalar(outer, axis_len, inner, 0, X, Y);
}

/* Y (outer, axis_len, inner) = X - max_axis - log(sum_axis exp(X - max_axis))
 * (ONNX LogSoftmax) along the middle axis of X (outer, axis_len, inner). Y may equal X. */
VITC_KERNEL void vitc_f32_log_softmax_scalar(int outer, int axis_len, int inner, const float *X, float *Y)
{
    vitc__f32_softmax_any_scalar(outer, axis_len, inner, 1, X, Y);
}

#endif /* VITC_F32_SOFTMAX_SCALAR_C */
