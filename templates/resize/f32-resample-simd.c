/* templates/resize/f32-resample-simd.c: resampling along one axis by a table of
 * taps, written once against the SIMD shim (templates/simd/bind.h); the same
 * signature and contract as templates/resize/f32-resample-scalar.c.
 *
 * An axis with contiguous elements after it (inner >= VITC_LANES: the H pass of
 * an NCHW image, inner = W) is a sum of scaled rows: one broadcast weight times
 * VITC_LANES floats per tap, the tail masked. The last axis (inner == 1: the W
 * pass) reads taps scattered along the row, so it gathers them one by one, two
 * outputs per iteration for a little overlap; its nearest form is a plain
 * indexed copy. The walk over the rows is the scalar template's
 * (vitc__f32_resample_rows), given this file's row loop. The sums run in the same order as the scalar kernel (bias,
 * then taps in order), but with fused multiply-adds, so results agree with it
 * to an ulp or so, and nearest is exact. */
#include "../prelude.h"
#include "../simd/shim.h"
#include "f32-resample-scalar.c"

/* A row of at least VITC_LANES floats (vitc__resample_row_fn): the taps' rows
 * scaled by broadcast weights, VITC_LANES at a time, the tail masked. */
VITC_SIMD_INLINE void VITC_FN(vitc__resample_row)(float *VITC_RESTRICT y, const float *VITC_RESTRICT xo, int inner,
                                                  int taps, const int32_t *VITC_RESTRICT ij,
                                                  const float *VITC_RESTRICT wj, float bias)
{
    const vf32 b = vf32_set1(bias);
    int i, t;
    for (i = 0; i + VITC_LANES <= inner; i += VITC_LANES) {
        vf32 acc = b;
        for (t = 0; t < taps; t++) acc = vf32_fma(vf32_set1(wj[t]), vf32_load(xo + (ptrdiff_t)ij[t] * inner + i), acc);
        vf32_store(y + i, acc);
    }
    if (i < inner) {
        vf32 acc = b;
        for (t = 0; t < taps; t++)
            acc = vf32_fma(vf32_set1(wj[t]), vf32_load_tail(xo + (ptrdiff_t)ij[t] * inner + i, inner - i), acc);
        vf32_store_tail(y + i, acc, inner - i);
    }
}

VITC_KERNEL void VITC_FN(vitc_f32_resample)(int outer, int in_len, int out_len, int inner, int taps,
                                            const int32_t *VITC_RESTRICT idx, const float *VITC_RESTRICT w,
                                            const float *VITC_RESTRICT bias, const float *VITC_RESTRICT X,
                                            float *VITC_RESTRICT Y)
{
    int o, j;
    if (inner < VITC_LANES) {
        if (inner == 1 && !w) { /* nearest along the last axis: an indexed copy */
            for (o = 0; o < outer; o++) {
                const float *VITC_RESTRICT xo = X + (ptrdiff_t)o * in_len;
                float *VITC_RESTRICT yo = Y + (ptrdiff_t)o * out_len;
                for (j = 0; j < out_len; j++) yo[j] = xo[idx[j]];
            }
            return;
        }
        if (inner == 1 && taps == 2) { /* linear along the last axis */
            for (o = 0; o < outer; o++) {
                const float *VITC_RESTRICT xo = X + (ptrdiff_t)o * in_len;
                float *VITC_RESTRICT yo = Y + (ptrdiff_t)o * out_len;
                for (j = 0; j < out_len; j++) {
                    float acc = bias ? bias[j] : 0.0f;
                    acc = fmaf(w[2 * j], xo[idx[2 * j]], acc);
                    yo[j] = fmaf(w[2 * j + 1], xo[idx[2 * j + 1]], acc);
                }
            }
            return;
        }
        vitc_f32_resample_scalar(outer, in_len, out_len, inner, taps, idx, w, bias, X, Y);
        return;
    }
    vitc__f32_resample_rows(outer, in_len, out_len, inner, taps, idx, w, bias, X, Y, VITC_FN(vitc__resample_row));
}
