/* templates/conv/f32-conv2d-direct-scalar.c: 2-D convolution (ONNX Conv,
 * group 1) with few output channels, as direct dot products, portable scalar C.
 *
 * A conv with one output channel (FilterViT's score map: C -> 1, 7x7,
 * dilation 5) is a GEMM of width 1 once lowered through im2col: the im2col
 * matrix (C*KH*KW rows of OH*OW, 3,136 x 784 floats at the paper's 28x28
 * stage) is written, zero padding included, to be read exactly once. Here each
 * output plane is instead accumulated tap by tap straight from the input:
 * Y[m] = bias[m] + sum over (c, kh, kw) of W[m][c][kh][kw] * X[c] shifted, with
 * the output rows and columns a tap reaches inside the input computed once per
 * tap (vitc__f32_conv2d_planes, templates/conv/f32-conv2d-taps.h, which is
 * also the depthwise kernel), so there
 * are no per-pixel bounds checks and nothing outside Y is written. The sum runs
 * from the bias over (c, kh, kw) in order, as the im2col GEMM's does.
 *
 * Layouts and geometry are vitc_f32_conv2d_scalar's (templates/conv/
 * f32-conv2d-scalar.c): X (N, C_in, H, W), W (C_out, C_in, KH, KW), bias
 * (C_out,) or NULL, Y (N, C_out, OH, OW), only the top and left pads passed.
 * compiler/ops/conv.c picks this family for group 1 and at most
 * VITC_CONV2D_DIRECT_MAX_COUT output channels (a shape rule: with more output
 * channels the GEMM reuses each gathered tap across them and wins). The
 * shim-based kernel (f32-conv2d-direct-simd.c) vectorizes along output rows. */
#ifndef VITC_F32_CONV2D_DIRECT_SCALAR_C
#define VITC_F32_CONV2D_DIRECT_SCALAR_C

#include "../prelude.h"
#include "f32-conv2d-taps.h"

/* compiler/ops/conv.c reads this bound (the direct path is taken up to it). */
#define VITC_CONV2D_DIRECT_MAX_COUT 4

/* Y (N, C_out, OH, OW) = conv(X (N, C_in, H, W), W (C_out, C_in, KH, KW)) + bias,
 * group 1, any stride, dilation and padding (pad_t rows above, pad_l columns left;
 * bottom and right pads implied by OH, OW). bias may be NULL. scratch is unused
 * here (NULL ok): the parameter keeps the signature of the shim-based kernel.
 * Y must not overlap X or W. */
VITC_KERNEL void vitc_f32_conv2d_direct_scalar(int N, int C_in, int H, int W, int C_out, int OH, int OW, int KH,
                                               int KW, int stride_h, int stride_w, int dil_h, int dil_w, int pad_t,
                                               int pad_l, const float *VITC_RESTRICT X, const float *VITC_RESTRICT Wt,
                                               const float *VITC_RESTRICT bias, float *VITC_RESTRICT Y,
                                               float *scratch)
{
    (void)scratch;
    vitc__f32_conv2d_planes(N, C_in, H, W, C_out, OH, OW, KH, KW, stride_h, stride_w, dil_h, dil_w, pad_t, pad_l, 1, X,
                            Wt, bias, Y);
}

#endif /* VITC_F32_CONV2D_DIRECT_SCALAR_C */
