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
 * input plane into one output plane, and vitc__f32_conv2d_planes the grouped
 * conv made of it: the scalar depthwise conv (group == C_in) and the scalar
 * direct conv (group 1).
 *
 * VITC_CONV2D_PARAMS is the parameter list the im2col and dispatching conv
 * kernels share (their callers pass the same arguments to either). */
#ifndef VITC_F32_CONV2D_TAPS_H
#define VITC_F32_CONV2D_TAPS_H

#include "../prelude.h"

/* The plane accumulation stays a function of its own (a call per plane, against
 * KH*KW passes over it), so that its row loops get the registers: inlined into
 * the loops over images and channels, gcc -O2 spilled row pointers inside the
 * column loop (the 7x7 direct conv took 1.7x as long). */
#if defined(__GNUC__) || defined(__clang__)
#define VITC__CONV2D_PLANE_FN static VITC_UNUSED __attribute__((noinline))
#else
#define VITC__CONV2D_PLANE_FN static VITC_UNUSED
#endif

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
 * column loop runs over contiguous y (and contiguous x for stride_w 1; stride_w
 * 1 and 2 have loops of their own so that the compiler sees a constant stride).
 * y must not overlap x or w. */
VITC__CONV2D_PLANE_FN void vitc__f32_conv2d_plane_acc(int H, int W, int OH, int OW, int KH, int KW, int stride_h,
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
                else if (stride_w == 2) /* a constant stride: compilers vectorize it with permutes */
                    for (ow = ow_lo; ow < ow_hi; ow++) yr[ow] += wv * xr[2 * ow + woff];
                else
                    for (ow = ow_lo; ow < ow_hi; ow++) yr[ow] += wv * xr[ow * stride_w + woff];
            }
        }
    }
}

/* Y (N, C_out, OH, OW) = conv(X (N, C_in, H, W), Wt (C_out, C_in/group, KH, KW)) + bias
 * by direct plane accumulation, no scratch: output channel oc, of group
 * g = oc / (C_out/group), starts from its bias (0 if bias is NULL) and adds the
 * planes of input channels g*(C_in/group) + c, c in order, each filtered by
 * vitc__f32_conv2d_plane_acc. The depthwise conv is group == C_in (one input
 * plane per output channel), the direct conv group 1 (all of them). Y must
 * not overlap X or Wt. */
static inline VITC_UNUSED void vitc__f32_conv2d_planes(int N, int C_in, int H, int W, int C_out, int OH, int OW, int KH,
                                                       int KW, int stride_h, int stride_w, int dil_h, int dil_w,
                                                       int pad_t, int pad_l, int group, const float *VITC_RESTRICT X,
                                                       const float *VITC_RESTRICT Wt, const float *VITC_RESTRICT bias,
                                                       float *VITC_RESTRICT Y)
{
    const int cin_g = C_in / group, cout_g = C_out / group;
    const ptrdiff_t ohw = (ptrdiff_t)OH * OW, hw = (ptrdiff_t)H * W;
    int n, oc, c;

    for (n = 0; n < N; n++) {
        for (oc = 0; oc < C_out; oc++) {
            const float *VITC_RESTRICT xg = X + ((ptrdiff_t)n * C_in + (ptrdiff_t)(oc / cout_g) * cin_g) * hw;
            float *VITC_RESTRICT yc = Y + ((ptrdiff_t)n * C_out + oc) * ohw;
            const float bv = bias ? bias[oc] : 0.0f;
            ptrdiff_t p;

            for (p = 0; p < ohw; p++) yc[p] = bv;
            for (c = 0; c < cin_g; c++)
                vitc__f32_conv2d_plane_acc(H, W, OH, OW, KH, KW, stride_h, stride_w, dil_h, dil_w, pad_t, pad_l,
                                           xg + (ptrdiff_t)c * hw, Wt + ((ptrdiff_t)oc * cin_g + c) * KH * KW, yc);
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
