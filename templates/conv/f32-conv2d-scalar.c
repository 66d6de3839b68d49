/* templates/conv/f32-conv2d-scalar.c: 2-D convolution (ONNX Conv), NCHW, portable scalar C.
 *
 * Layouts are ONNX's own, so the compiler can pass the initializers as they are:
 *   X (N, C_in, H, W), W (C_out, C_in/group, KH, KW), bias (C_out,) or NULL,
 *   Y (N, C_out, OH, OW).
 * The compiler resolves auto_pad and computes OH/OW itself:
 *   OH = (H + pad_t + pad_b - dil_h*(KH-1) - 1) / stride_h + 1   (same for OW),
 * so the kernels take only the top/left pads; the bottom/right pads are implied
 * by OH/OW (any tap that falls outside the input reads zero).
 *
 * Two paths:
 *  - general (any group): im2col + GEMM. For each image and group the input
 *    taps are gathered into a column matrix col (C_in/group*KH*KW, OH*OW)
 *    in caller scratch, and Y_g (C_out/group, OH*OW) += W_g @ col with the
 *    weight used in place as the (M,K) row-major operand. Y_g is first filled
 *    with the bias so the GEMM accumulates on top of it. A 1x1, stride-1,
 *    unpadded conv needs no gather: the input plane already is col.
 *    Patch embedding (kernel == stride, no pads: DeiT's 3->192, k16 s16 on
 *    224x224) is this path: a cheap strided gather then a (192,768)x(768,196)
 *    GEMM.
 *  - depthwise (group == C_in, so one input channel per group and
 *    C_out = C_in * multiplier): direct loops, no scratch. For each output
 *    plane and each tap (kh,kw) the kernel adds w*x over the output rows and
 *    columns for which that tap is inside the input (ranges computed once per
 *    tap, no per-pixel bounds checks: vitc__f32_conv2d_planes in
 *    templates/conv/f32-conv2d-taps.h), so the plane (a few KiB) stays in L1.
 *
 * Scratch (floats) of vitc_f32_conv2d_scalar and vitc_f32_conv2d_im2col_scalar:
 *   0                                   if group == C_in (depthwise path, only
 *                                       in vitc_f32_conv2d_scalar)
 *   0                                   if KH == KW == 1, strides 1, pads 0
 *   (C_in/group) * KH * KW * OH * OW    otherwise
 * Scratch may be NULL when its size is 0.
 *
 * Depends on templates/gemm/f32-gemm-scalar.c (vitc_f32_gemm_acc_scalar):
 * the emitter must paste the gemm template before this one. */
#ifndef VITC_F32_CONV2D_SCALAR_C
#define VITC_F32_CONV2D_SCALAR_C

#include "../prelude.h"
#include "../gemm/f32-gemm-scalar.c"
#include "f32-conv2d-taps.h"

/* Y (N, C_out, OH, OW) = conv(X (N, C_in, H, W), W (C_out, C_in/group, KH, KW)) + bias,
 * general path for any group (C_in and C_out divisible by group).
 * Padding: pad_t rows above and pad_l columns left of the input; the bottom and
 * right pads are whatever OH/OW imply. bias may be NULL.
 * scratch: (C_in/group)*KH*KW*OH*OW floats, or none (NULL ok) when
 * KH == KW == 1, stride 1, pad_t == pad_l == 0 (and OH == H, OW == W).
 * Y must not overlap X, W or scratch. */
VITC_KERNEL void vitc_f32_conv2d_im2col_scalar(VITC_CONV2D_PARAMS)
{
    const int cin_g = C_in / group, cout_g = C_out / group;
    const int kdim = cin_g * KH * KW;
    const ptrdiff_t ohw = (ptrdiff_t)OH * OW, hw = (ptrdiff_t)H * W;
    const int pointwise = KH == 1 && KW == 1 && stride_h == 1 && stride_w == 1 && pad_t == 0 && pad_l == 0 &&
                          OH == H && OW == W;
    int n, g, c, kh, kw, oh, ow, oc;

    for (n = 0; n < N; n++) {
        for (g = 0; g < group; g++) {
            const float *xg = X + ((ptrdiff_t)n * C_in + (ptrdiff_t)g * cin_g) * hw;
            float *yg = Y + ((ptrdiff_t)n * C_out + (ptrdiff_t)g * cout_g) * ohw;
            const float *col = xg;

            if (!pointwise) {
                /* col[(c*KH + kh)*KW + kw][oh*OW + ow] = X[n][g*cin_g + c][ih][iw], 0 outside */
                float *dst = scratch;
                for (c = 0; c < cin_g; c++) {
                    const float *xc = xg + (ptrdiff_t)c * hw;
                    for (kh = 0; kh < KH; kh++) {
                        int oh_lo, oh_hi;
                        vitc__conv2d_tap_range(OH, stride_h, kh * dil_h - pad_t, H, &oh_lo, &oh_hi);
                        for (kw = 0; kw < KW; kw++) {
                            int ow_lo, ow_hi;
                            const int woff = kw * dil_w - pad_l;
                            vitc__conv2d_tap_range(OW, stride_w, woff, W, &ow_lo, &ow_hi);
                            for (oh = 0; oh < OH; oh++) {
                                float *d = dst + (ptrdiff_t)oh * OW;
                                if (oh < oh_lo || oh >= oh_hi) {
                                    for (ow = 0; ow < OW; ow++) d[ow] = 0.0f;
                                } else {
                                    const float *xr = xc + (ptrdiff_t)(oh * stride_h + kh * dil_h - pad_t) * W;
                                    for (ow = 0; ow < ow_lo; ow++) d[ow] = 0.0f;
                                    if (stride_w == 1)
                                        for (ow = ow_lo; ow < ow_hi; ow++) d[ow] = xr[ow + woff];
                                    else
                                        for (ow = ow_lo; ow < ow_hi; ow++) d[ow] = xr[ow * stride_w + woff];
                                    for (ow = ow_hi; ow < OW; ow++) d[ow] = 0.0f;
                                }
                            }
                            dst += ohw;
                        }
                    }
                }
                col = scratch;
            }

            for (oc = 0; oc < cout_g; oc++) {
                float *yc = yg + (ptrdiff_t)oc * ohw;
                const float bv = bias ? bias[g * cout_g + oc] : 0.0f;
                ptrdiff_t p;
                for (p = 0; p < ohw; p++) yc[p] = bv;
            }
            /* Y_g (cout_g, OH*OW) += W_g (cout_g, kdim) @ col (kdim, OH*OW) */
            vitc_f32_gemm_acc_scalar(cout_g, (int)ohw, kdim, Wt + (ptrdiff_t)g * cout_g * kdim, kdim,
                                     col, (int)ohw, yg, (int)ohw);
        }
    }
}

/* Y (N, C_out, OH, OW) = epilogue(depthwise conv(X (N, C_in, H, W), W (C_out, 1, KH, KW)) + bias),
 * for group == C_in and C_out = C_in * multiplier: output channel oc reads
 * input channel oc / multiplier. Padding as in vitc_f32_conv2d_im2col_scalar.
 * bias may be NULL. ep (templates/gemm/f32-gemm-epilogue.c: activation, gate,
 * residual over the N*C_out planes as rows of OH*OW) may be NULL. No scratch. Y
 * must not overlap X or W. */
VITC_KERNEL void vitc_f32_conv2d_depthwise_scalar(int N, int C_in, int H, int W, int C_out, int OH, int OW,
                                                  int KH, int KW, int stride_h, int stride_w, int dil_h, int dil_w,
                                                  int pad_t, int pad_l,
                                                  const float *VITC_RESTRICT X, const float *VITC_RESTRICT Wt,
                                                  const float *VITC_RESTRICT bias, float *VITC_RESTRICT Y,
                                                  const vitc_f32_gemm_epilogue *ep)
{
    vitc__f32_conv2d_planes(N, C_in, H, W, C_out, OH, OW, KH, KW, stride_h, stride_w, dil_h, dil_w, pad_t, pad_l, C_in,
                            X, Wt, bias, Y);
    vitc_f32_gemm_epilogue_scalar(N * C_out, OH * OW, Y, (ptrdiff_t)OH * OW, ep, 0);
}

/* Y (N, C_out, OH, OW) = conv(X (N, C_in, H, W), W (C_out, C_in/group, KH, KW)) + bias:
 * the ONNX Conv entry point. Takes the depthwise path when group == C_in
 * (C_out a multiple of C_in; this includes C_in == group == 1) and the
 * im2col path otherwise. Scratch per the
 * formula at the top of this file (0 for depthwise). */
VITC_KERNEL void vitc_f32_conv2d_scalar(VITC_CONV2D_PARAMS)
{
    if (group == C_in)
        vitc_f32_conv2d_depthwise_scalar(N, C_in, H, W, C_out, OH, OW, KH, KW, stride_h, stride_w, dil_h, dil_w,
                                         pad_t, pad_l, X, Wt, bias, Y, NULL);
    else
        vitc_f32_conv2d_im2col_scalar(N, C_in, H, W, C_out, OH, OW, KH, KW, stride_h, stride_w, dil_h, dil_w,
                                      pad_t, pad_l, group, X, Wt, bias, Y, scratch);
}

#endif /* VITC_F32_CONV2D_SCALAR_C */
