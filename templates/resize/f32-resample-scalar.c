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

/* Y (outer, out_len, inner) from X (outer, in_len, inner) through the taps table. */
VITC_KERNEL void vitc_f32_resample_scalar(int outer, int in_len, int out_len, int inner, int taps,
                                          const int32_t *VITC_RESTRICT idx, const float *VITC_RESTRICT w,
                                          const float *VITC_RESTRICT bias, const float *VITC_RESTRICT X,
                                          float *VITC_RESTRICT Y)
{
    int o, j, t, i;
    for (o = 0; o < outer; o++) {
        const float *VITC_RESTRICT xo = X + (ptrdiff_t)o * in_len * inner;
        float *VITC_RESTRICT yo = Y + (ptrdiff_t)o * out_len * inner;
        for (j = 0; j < out_len; j++) {
            float *VITC_RESTRICT y = yo + (ptrdiff_t)j * inner;
            const int32_t *ij = idx + (ptrdiff_t)j * taps;
            if (!w) {
                memcpy(y, xo + (ptrdiff_t)ij[0] * inner, (size_t)inner * sizeof(float));
                continue;
            }
            for (i = 0; i < inner; i++) {
                float acc = bias ? bias[j] : 0.0f;
                for (t = 0; t < taps; t++) acc += w[(ptrdiff_t)j * taps + t] * xo[(ptrdiff_t)ij[t] * inner + i];
                y[i] = acc;
            }
        }
    }
}

#endif
