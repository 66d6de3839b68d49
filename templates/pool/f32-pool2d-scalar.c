/* templates/pool/f32-pool2d-scalar.c: 2-D pooling (ONNX MaxPool, AveragePool,
 * GlobalAveragePool, GlobalMaxPool), NCHW, portable scalar C.
 *
 * Pooling never mixes channels, so every kernel takes the batch and channel
 * dims merged: X (NC, H, W) -> Y (NC, OH, OW) with NC = N*C.
 *
 * The compiler resolves auto_pad and ceil_mode and passes OH/OW:
 *   OH = floor_or_ceil((H + pad_t + pad_b - dil_h*(KH-1) - 1) / stride_h) + 1
 * (with ceil_mode, ONNX also drops a last window that would start inside the
 * bottom padding; that too is the compiler's business). A window may then
 * hang past the bottom/right padding; taps outside the input are skipped.
 *
 * Window of output (oh, ow): input rows oh*stride_h - pad_t + kh*dil_h,
 * kh in [0, KH) (columns alike). For every output row the valid kh range is
 * computed once, so the inner loops have no bounds checks.
 *
 * MaxPool: taps outside the input are ignored (-inf padding). A window with no
 * tap inside the input gives -FLT_MAX, which is what ONNX Runtime's MLAS gives
 * (it starts from numeric_limits<float>::lowest()). NaN inputs are ignored the
 * same way MLAS's scalar path ignores them (max is "v > m ? v : m").
 *
 * AveragePool: the sum over taps inside the input, divided by
 *   count_include_pad == 0: the number of taps inside the input;
 *   count_include_pad == 1: the number of taps inside the padded input, rows
 *     [-pad_t, H + pad_b) and columns [-pad_l, W + pad_r).
 * Without ceil_mode every window lies inside the padded input and the second
 * divisor is KH*KW. With ceil_mode a last window can hang past pad_b/pad_r:
 * ONNX's reference and PyTorch then count only the padded part (what this
 * kernel does with the true pads), while ONNX Runtime's MLAS divides by KH*KW
 * anyway; to get MLAS's numbers pass pad_b = pad_r = INT_MAX/4 (the bottom and
 * right pads are only used for this divisor).
 *
 * No scratch. Y must not overlap X. */
#ifndef VITC_F32_POOL2D_SCALAR_C
#define VITC_F32_POOL2D_SCALAR_C

#include "../prelude.h"

/* Taps t in [0, T) at input index offset + t*step (step >= 1) that fall
 * inside [0, In) are [*lo, *hi) (possibly empty). */
VITC_KERNEL void vitc__f32_pool2d_range_scalar(int T, int step, int offset, int In, int *lo, int *hi)
{
    int l, h;
    l = offset >= 0 ? 0 : (-offset + step - 1) / step;
    h = In - offset <= 0 ? 0 : (In - offset + step - 1) / step;
    if (h > T) h = T;
    if (l > h) l = h;
    *lo = l;
    *hi = h;
}

/* Y (NC, OH, OW) = max over each KHxKW window (dilated, strided, padded) of X (NC, H, W).
 * pad_t/pad_l: padding above/left; bottom/right padding is implied by OH/OW. */
VITC_KERNEL void vitc_f32_maxpool2d_scalar(int NC, int H, int W, int OH, int OW, int KH, int KW,
                                           int stride_h, int stride_w, int dil_h, int dil_w, int pad_t, int pad_l,
                                           const float *VITC_RESTRICT X, float *VITC_RESTRICT Y)
{
    int nc, oh, ow, kh, kw;
    for (nc = 0; nc < NC; nc++) {
        const float *VITC_RESTRICT xc = X + (ptrdiff_t)nc * H * W;
        float *VITC_RESTRICT yc = Y + (ptrdiff_t)nc * OH * OW;
        for (oh = 0; oh < OH; oh++) {
            const int hbase = oh * stride_h - pad_t;
            int kh_lo, kh_hi;
            vitc__f32_pool2d_range_scalar(KH, dil_h, hbase, H, &kh_lo, &kh_hi);
            for (ow = 0; ow < OW; ow++) {
                const int wbase = ow * stride_w - pad_l;
                int kw_lo, kw_hi;
                float m = -FLT_MAX;
                vitc__f32_pool2d_range_scalar(KW, dil_w, wbase, W, &kw_lo, &kw_hi);
                for (kh = kh_lo; kh < kh_hi; kh++) {
                    const float *xr = xc + (ptrdiff_t)(hbase + kh * dil_h) * W;
                    for (kw = kw_lo; kw < kw_hi; kw++) {
                        const float v = xr[wbase + kw * dil_w];
                        m = v > m ? v : m;
                    }
                }
                yc[(ptrdiff_t)oh * OW + ow] = m;
            }
        }
    }
}

/* Y (NC, OH, OW) = mean over each KHxKW window (dilated, strided, padded) of X (NC, H, W).
 * pad_t/pad_l place the windows; pad_b/pad_r are used only by
 * count_include_pad == 1 to count the padded taps (see the top of the file). */
VITC_KERNEL void vitc_f32_avgpool2d_scalar(int NC, int H, int W, int OH, int OW, int KH, int KW,
                                           int stride_h, int stride_w, int dil_h, int dil_w,
                                           int pad_t, int pad_l, int pad_b, int pad_r, int count_include_pad,
                                           const float *VITC_RESTRICT X, float *VITC_RESTRICT Y)
{
    int nc, oh, ow, kh, kw;
    for (nc = 0; nc < NC; nc++) {
        const float *VITC_RESTRICT xc = X + (ptrdiff_t)nc * H * W;
        float *VITC_RESTRICT yc = Y + (ptrdiff_t)nc * OH * OW;
        for (oh = 0; oh < OH; oh++) {
            const int hbase = oh * stride_h - pad_t;
            int kh_lo, kh_hi, ph_lo, ph_hi;
            vitc__f32_pool2d_range_scalar(KH, dil_h, hbase, H, &kh_lo, &kh_hi);
            vitc__f32_pool2d_range_scalar(KH, dil_h, hbase + pad_t, H + pad_t + pad_b, &ph_lo, &ph_hi);
            for (ow = 0; ow < OW; ow++) {
                const int wbase = ow * stride_w - pad_l;
                int kw_lo, kw_hi, pw_lo, pw_hi;
                float s = 0.0f, count;
                vitc__f32_pool2d_range_scalar(KW, dil_w, wbase, W, &kw_lo, &kw_hi);
                for (kh = kh_lo; kh < kh_hi; kh++) {
                    const float *xr = xc + (ptrdiff_t)(hbase + kh * dil_h) * W;
                    for (kw = kw_lo; kw < kw_hi; kw++) s += xr[wbase + kw * dil_w];
                }
                if (count_include_pad) {
                    vitc__f32_pool2d_range_scalar(KW, dil_w, wbase + pad_l, W + pad_l + pad_r, &pw_lo, &pw_hi);
                    count = (float)((ph_hi - ph_lo) * (pw_hi - pw_lo));
                } else {
                    count = (float)((kh_hi - kh_lo) * (kw_hi - kw_lo));
                }
                yc[(ptrdiff_t)oh * OW + ow] = s / count;
            }
        }
    }
}

/* Y (NC,) = mean of X (NC, HW) over its last axis: ONNX GlobalAveragePool,
 * Y being (N, C, 1, 1) in memory. */
VITC_KERNEL void vitc_f32_global_avgpool_scalar(int NC, int HW, const float *VITC_RESTRICT X,
                                                float *VITC_RESTRICT Y)
{
    int nc, i;
    for (nc = 0; nc < NC; nc++) {
        const float *VITC_RESTRICT xc = X + (ptrdiff_t)nc * HW;
        float s = 0.0f;
        for (i = 0; i < HW; i++) s += xc[i];
        Y[nc] = s / (float)HW;
    }
}

/* Y (NC,) = max of X (NC, HW) over its last axis: ONNX GlobalMaxPool. */
VITC_KERNEL void vitc_f32_global_maxpool_scalar(int NC, int HW, const float *VITC_RESTRICT X,
                                                float *VITC_RESTRICT Y)
{
    int nc, i;
    for (nc = 0; nc < NC; nc++) {
        const float *VITC_RESTRICT xc = X + (ptrdiff_t)nc * HW;
        float m = -FLT_MAX;
        for (i = 0; i < HW; i++) m = xc[i] > m ? xc[i] : m;
        Y[nc] = m;
    }
}

#endif /* VITC_F32_POOL2D_SCALAR_C */
