/* templates/resize/f32-resample-scalar.c: resampling along one axis by a table of
 * taps (ONNX Resize and Upsample), portable scalar C.
 *
 * Every mode of ONNX's Resize is separable: nearest, (multi)linear and cubic
 * interpolation of an N-D tensor are 1-D interpolations applied along one
 * resized axis after another. The compiler works out, for each output position j
 * along the axis, which input positions it reads and with which weights (the
 * coordinate transformation, the rounding of nearest, cubic's coefficients and
 * edge rules are all compile-time arithmetic, done in double), and passes them
 * as a table of `taps` entries per position:
 *
 *   Y[o, j, i] = bias[j] + sum_t w[j*taps + t] * X[o, idx[j*taps + t], i]
 *
 * for o < outer (the axes before), i < inner (the axes after). w == NULL means
 * one tap of weight 1 (nearest: a copy, bit exact); bias == NULL means 0 (it
 * carries tf_crop_and_resize's extrapolation value, with zero weights).
 *
 * No scratch; Y must not overlap X. */
#ifndef VITC_F32_RESAMPLE_SCALAR_C
#define VITC_F32_RESAMPLE_SCALAR_C

#include "../prelude.h"

/* One output row y[0, inner) = bias + sum over t < taps of wj[t] * the input row
 * ij[t] of xo (rows inner floats apart), with w != NULL. */
typedef void (*vitc__resample_row_fn)(float *y, const float *xo, int inner, int taps, const int32_t *ij,
                                      const float *wj, float bias);

/* The walk over the output rows is inlined into each kernel, so that its row
 * function is known there and inlined in turn. */
#if defined(__GNUC__) || defined(__clang__)
#define VITC__RESAMPLE_INLINE static inline VITC_UNUSED __attribute__((always_inline))
#else
#define VITC__RESAMPLE_INLINE static inline VITC_UNUSED
#endif

/* The scalar row: per output element, the taps in order from the bias. */
static inline VITC_UNUSED void vitc__f32_resample_row_scalar(float *VITC_RESTRICT y, const float *VITC_RESTRICT xo,
                                                             int inner, int taps, const int32_t *VITC_RESTRICT ij,
                                                             const float *VITC_RESTRICT wj, float bias)
{
    int i, t;
    for (i = 0; i < inner; i++) {
        float acc = bias;
        for (t = 0; t < taps; t++) acc += wj[t] * xo[(ptrdiff_t)ij[t] * inner + i];
        y[i] = acc;
    }
}

/* The kernels' walk, scalar and shim-based: Y (outer, out_len, inner) from X
 * (outer, in_len, inner), row by row: nearest (w == NULL) a copy of one input
 * row, else `row`. */
VITC__RESAMPLE_INLINE void vitc__f32_resample_rows(int outer, int in_len, int out_len, int inner, int taps,
                                                   const int32_t *VITC_RESTRICT idx, const float *VITC_RESTRICT w,
                                                   const float *VITC_RESTRICT bias, const float *VITC_RESTRICT X,
                                                   float *VITC_RESTRICT Y, vitc__resample_row_fn row)
{
    int o, j;
    for (o = 0; o < outer; o++) {
        const float *VITC_RESTRICT xo = X + (ptrdiff_t)o * in_len * inner;
        float *VITC_RESTRICT yo = Y + (ptrdiff_t)o * out_len * inner;
        for (j = 0; j < out_len; j++) {
            float *VITC_RESTRICT y = yo + (ptrdiff_t)j * inner;
            const int32_t *ij = idx + (ptrdiff_t)j * taps;
            if (!w) memcpy(y, xo + (ptrdiff_t)ij[0] * inner, (size_t)inner * sizeof(float));
            else row(y, xo, inner, taps, ij, w + (ptrdiff_t)j * taps, bias ? bias[j] : 0.0f);
        }
    }
}

/* Y (outer, out_len, inner) from X (outer, in_len, inner) through the taps table. */
VITC_KERNEL void vitc_f32_resample_scalar(int outer, int in_len, int out_len, int inner, int taps,
                                          const int32_t *VITC_RESTRICT idx, const float *VITC_RESTRICT w,
                                          const float *VITC_RESTRICT bias, const float *VITC_RESTRICT X,
                                          float *VITC_RESTRICT Y)
{
    vitc__f32_resample_rows(outer, in_len, out_len, inner, taps, idx, w, bias, X, Y, vitc__f32_resample_row_scalar);
}

#endif
