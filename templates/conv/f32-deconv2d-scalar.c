/* templates/conv/f32-deconv2d-scalar.c: 2-D transposed convolution (ONNX
 * ConvTranspose), NCHW, portable scalar C.
 *
 * A transposed conv scatters every input pixel into a KHxKW window of the
 * output: Y[co, ih*sh - pt + kh*dh, iw*sw - pl + kw*dw] += X[ci, ih, iw] *
 * W[ci, co, kh, kw]. Per image and group it is therefore a GEMM and a col2im:
 *
 *   cols (Cog*KH*KW, H*W) = W_g^T (Cog*KH*KW, Cig) @ X_g (Cig, H*W)
 *   Y_g (Cog, OH, OW)     = bias + the sum of each column window, scattered
 *
 * The GEMM walks X's rows (contiguous) and broadcasts W's weights, so no
 * weight is repacked; W keeps ONNX's layout (C_in, C_out/group, KH, KW).
 * Output positions that no tap reaches get the bias alone (output_padding).
 *
 * scratch: Cog*KH*KW*H*W floats (cols). Y must not overlap X. */
#ifndef VITC_F32_DECONV2D_SCALAR_C
#define VITC_F32_DECONV2D_SCALAR_C

#include "../prelude.h"

/* cols (M, P) = Wt^T @ X: Wt (K, M) with row stride ldw, X (K, P). */
VITC_KERNEL void vitc__f32_deconv_gemm_scalar(int M, int P, int K, const float *VITC_RESTRICT Wt, int ldw,
                                              const float *VITC_RESTRICT X, float *VITC_RESTRICT cols)
{
    int m, k, p;
    for (m = 0; m < M; m++) {
        float *VITC_RESTRICT c = cols + (ptrdiff_t)m * P;
        for (p = 0; p < P; p++) c[p] = 0.0f;
        for (k = 0; k < K; k++) {
            const float w = Wt[(ptrdiff_t)k * ldw + m];
            const float *VITC_RESTRICT x = X + (ptrdiff_t)k * P;
            for (p = 0; p < P; p++) c[p] += w * x[p];
        }
    }
}

/* Y (Cog, OH, OW) = bias + col2im(cols (Cog*KH*KW, H*W)). */
VITC_KERNEL void vitc__f32_deconv_col2im_scalar(int Cog, int H, int W, int OH, int OW, int KH, int KW, int sh,
                                                int sw, int dh, int dw, int pt, int pl,
                                                const float *VITC_RESTRICT bias, const float *VITC_RESTRICT cols,
                                                float *VITC_RESTRICT Y)
{
    int co, kh, kw, ih, iw;
    if (KH == sh && KW == sw && dh == 1 && dw == 1 && pt == 0 && pl == 0 && OH == H * sh && OW == W * sw) {
        /* windows that tile the output (the U-Net's 2x2 stride-2 upsampling): every output is one tap, so
         * each output row is written once, b + its taps' columns interleaved (the same sum as below) */
        for (co = 0; co < Cog; co++) {
            const float b = bias ? bias[co] : 0.0f;
            for (ih = 0; ih < H; ih++)
                for (kh = 0; kh < KH; kh++) {
                    float *VITC_RESTRICT yr = Y + ((ptrdiff_t)co * OH + (ptrdiff_t)ih * sh + kh) * OW;
                    const float *VITC_RESTRICT c = cols + (ptrdiff_t)(co * KH + kh) * KW * H * W + (ptrdiff_t)ih * W;
                    if (KW == 2) { /* a constant stride: compilers interleave the two columns with permutes */
                        const float *VITC_RESTRICT c1 = c + (ptrdiff_t)H * W;
                        for (iw = 0; iw < W; iw++) {
                            yr[2 * iw] = b + c[iw];
                            yr[2 * iw + 1] = b + c1[iw];
                        }
                    } else {
                        for (kw = 0; kw < KW; kw++)
                            for (iw = 0; iw < W; iw++) yr[iw * KW + kw] = b + c[(ptrdiff_t)kw * H * W + iw];
                    }
                }
        }
        return;
    }
    for (co = 0; co < Cog; co++) {
        float *VITC_RESTRICT y = Y + (ptrdiff_t)co * OH * OW;
        const float b = bias ? bias[co] : 0.0f;
        int i;
        for (i = 0; i < OH * OW; i++) y[i] = b;
        for (kh = 0; kh < KH; kh++)
            for (kw = 0; kw < KW; kw++) {
                const float *VITC_RESTRICT c = cols + ((ptrdiff_t)(co * KH + kh) * KW + kw) * H * W;
                for (ih = 0; ih < H; ih++) {
                    const int oh = ih * sh - pt + kh * dh;
                    if (oh < 0 || oh >= OH) continue;
                    for (iw = 0; iw < W; iw++) {
                        const int ow = iw * sw - pl + kw * dw;
                        if (ow >= 0 && ow < OW) y[(ptrdiff_t)oh * OW + ow] += c[(ptrdiff_t)ih * W + iw];
                    }
                }
            }
    }
}

/* The body of vitc_f32_deconv2d_<isa>: per image and group, cols = W_g^T @ X_g
 * by GEMM(M, P, K, Wt, ldw, X, cols), then Y_g = bias + col2im(cols) by COL2IM
 * (the kernels above, or the shim-based ones of f32-deconv2d-simd.c). */
#define VITC__DECONV2D_BODY(GEMM, COL2IM)                                                                  \
    do {                                                                                                   \
        int n_, g_;                                                                                        \
        const int M_ = Cog * KH * KW;                                                                      \
        for (n_ = 0; n_ < N; n_++)                                                                         \
            for (g_ = 0; g_ < G; g_++) {                                                                   \
                GEMM(M_, H * W, Cig, Wt + (ptrdiff_t)g_ * Cig * M_, M_, X + ((ptrdiff_t)n_ * G + g_) * Cig * H * W, \
                     cols);                                                                                \
                COL2IM(Cog, H, W, OH, OW, KH, KW, sh, sw, dh, dw, pt, pl, bias ? bias + g_ * Cog : NULL, cols, \
                       Y + ((ptrdiff_t)n_ * G + g_) * Cog * OH * OW);                                      \
            }                                                                                              \
    } while (0)

/* Y (N, G*Cog, OH, OW) = ConvTranspose(X (N, G*Cig, H, W), Wt (G*Cig, Cog, KH, KW)) + bias. */
VITC_KERNEL void vitc_f32_deconv2d_scalar(int N, int G, int Cig, int Cog, int H, int W, int OH, int OW, int KH,
                                          int KW, int sh, int sw, int dh, int dw, int pt, int pl,
                                          const float *VITC_RESTRICT X, const float *VITC_RESTRICT Wt,
                                          const float *VITC_RESTRICT bias, float *VITC_RESTRICT Y,
                                          float *VITC_RESTRICT cols)
{
    VITC__DECONV2D_BODY(vitc__f32_deconv_gemm_scalar, vitc__f32_deconv_col2im_scalar);
}

#endif
