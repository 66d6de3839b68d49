/* templates/conv/f32-conv2d-taps.h: the tap geometry of a strided, dilated,
 * padded 2-D window, one definition for the kernels that walk it tap by tap:
 * the depthwise and direct convs (templates/conv/f32-conv2d-scalar.c,
 * f32-conv2d-direct-scalar.c), the im2col gather, and the pools
 * (templates/pool/f32-pool2d-scalar.c, f32-pool2d-simd.c).
 *
 * A tap of a conv or a pool reads input index o*stride + offset for outputs
 * (or taps) o in [0, O). vitc__conv2d_tap_range gives the o whose index is
 * inside the input, once per tap or per window row, so the loops that follow
 * have no per-pixel bounds checks and a contiguous inner loop a C compiler
 * vectorizes. vitc__f32_conv2d_plane_acc is the tap-by-tap accumulation of one
 * input plane into one output plane that the depthwise conv does per channel
 * and the direct conv per (output channel, input channel) pair.
 *
 * VITC_CONV2D_PARAMS is the parameter list the im2col and dispatching conv
 * kernels share (their callers pass the same arguments to either). */
#ifndef VITC_F32_CONV2D_TAPS_H
#define VITC_F32_CONV2D_TAPS_H

#include "../prelude.h"

/* For outputs o in [0, O) reading input index o*stride + offset (stride >= 1),
 * the o whose index is inside [0, In) are [*lo, *hi) (possibly empty). */
static inline VITC_UNUSED void vitc__conv2d_tap_range(int O, int stride, int offset, int In, int *lo, int *hi)
{
    int l, h;
    l = offset >= 0 ? 0 : (-offset + stride - 1) / stride;
    h = In - offset <= 0 ? 0 : (In - offset + stride - 1) / stride;
    if (h > O) h = O;
    if (l > h) l = h;
    *lo = l;
    *hi = h;
}

/* y (OH, OW) += the KHxKW filter w (row-major) over the input plane x (H, W):
 * tap by tap in (kh, kw) order, y[oh][ow] += w[kh*KW + kw] * x[ih][iw] with
 * ih = oh*stride_h + kh*dil_h - pad_t, iw = ow*stride_w + kw*dil_w - pad_l, for
 * the outputs whose (ih, iw) is inside x (the rest read zero padding). The
 * column loop runs over contiguous y (and contiguous x for stride_w 1, its own
 * loop so that the compiler sees unit stride). y must not overlap x or w. */
static inline VITC_UNUSED void vitc__f32_conv2d_plane_acc(int H, int W, int OH, int OW, int KH, int KW, int stride_h,
                                                          int stride_w, int dil_h, int dil_w, int pad_t, int pad_l,
                                                          const float *VITC_RESTRICT x, const float *VITC_RESTRICT w,
                                                          float *VITC_RESTRICT y)
{
    int kh, kw, oh, ow;
    for (kh = 0; kh < KH; kh++) {
        int oh_lo, oh_hi;
        const int hoff = kh * dil_h - pad_t;
        vitc__conv2d_tap_range(OH, stride_h, hoff, H, &oh_lo, &oh_hi);
        for (kw = 0; kw < KW; kw++) {
            int ow_lo, ow_hi;
            const int woff = kw * dil_w - pad_l;
            const float wv = w[kh * KW + kw];
            vitc__conv2d_tap_range(OW, stride_w, woff, W, &ow_lo, &ow_hi);
            for (oh = oh_lo; oh < oh_hi; oh++) {
                const float *VITC_RESTRICT xr = x + (ptrdiff_t)(oh * stride_h + hoff) * W;
                float *VITC_RESTRICT yr = y + (ptrdiff_t)oh * OW;
                if (stride_w == 1)
                    for (ow = ow_lo; ow < ow_hi; ow++) yr[ow] += wv * xr[ow + woff];
                else
                    for (ow = ow_lo; ow < ow_hi; ow++) yr[ow] += wv * xr[ow * stride_w + woff];
            }
        }
    }
}

/* The parameters of vitc_f32_conv2d_scalar and vitc_f32_conv2d_im2col_scalar:
 * Y (N, C_out, OH, OW) = conv(X (N, C_in, H, W), Wt (C_out, C_in/group, KH, KW)) + bias. */
#define VITC_CONV2D_PARAMS                                                                                              \
    int N, int C_in, int H, int W, int C_out, int OH, int OW, int KH, int KW, int stride_h, int stride_w, int dil_h,  \
        int dil_w, int pad_t, int pad_l, int group, const float *VITC_RESTRICT X, const float *VITC_RESTRICT Wt,     \
        const float *VITC_RESTRICT bias, float *VITC_RESTRICT Y, float *VITC_RESTRICT scratch

#endif /* VITC_F32_CONV2D_TAPS_H */
