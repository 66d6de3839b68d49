/* templates/conv/f32-deconv2d-simd.c: 2-D transposed convolution written once
 * against the SIMD shim (templates/simd/bind.h); the same signature, layout and
 * contract as templates/conv/f32-deconv2d-scalar.c (GEMM into cols, col2im).
 *
 * The GEMM, cols = W_g^T @ X_g, is where the time goes. Its register tile is 4
 * rows of cols by 2 vectors of pixels: per input channel, 2 contiguous loads of
 * X's row, 4 broadcast weights and 8 fused multiply-adds, the accumulators
 * stored once at the end; the pixel tail runs masked. The col2im adds each
 * column row into the output row it lands on: with a horizontal stride of 1 as
 * vector adds over the part inside the output, otherwise (strides of 2 and more)
 * by the scalar col2im, which writes windows that tile the output (the 2x
 * upsampling deconv: kernel 2, stride 2) in one pass, interleaved. */
#include "../prelude.h"
#include "../simd/shim.h"
#include "f32-deconv2d-scalar.c"

/* One 4 x (2 vectors) tile of cols at rows m..m+3, pixels p.. (np <= 2*LANES valid). */
VITC_SIMD_INLINE void VITC_FN(vitc__deconv_tile)(int K, const float *VITC_RESTRICT Wt, int ldw, int m,
                                                 const float *VITC_RESTRICT X, int P, int p, int np,
                                                 float *VITC_RESTRICT cols, int rows)
{
    vf32 a00 = vf32_zero(), a01 = vf32_zero(), a10 = vf32_zero(), a11 = vf32_zero();
    vf32 a20 = vf32_zero(), a21 = vf32_zero(), a30 = vf32_zero(), a31 = vf32_zero();
    const int n0 = np < VITC_LANES ? np : VITC_LANES, n1 = np - n0;
    int k;
    for (k = 0; k < K; k++) {
        const float *x = X + (ptrdiff_t)k * P + p;
        const float *w = Wt + (ptrdiff_t)k * ldw + m;
        const vf32 x0 = n0 == VITC_LANES ? vf32_load(x) : vf32_load_tail(x, n0);
        const vf32 x1 = n1 == VITC_LANES ? vf32_load(x + VITC_LANES) : vf32_load_tail(x + VITC_LANES, n1);
        /* row r of the tile (r < rows): a_r0, a_r1 += w[r] * (x0, x1) */
#define VITC__DECONV_ROW(R, A0, A1)                                                                        \
        if (rows > R) {                                                                                    \
            const vf32 w_ = vf32_set1(w[R]);                                                               \
            A0 = vf32_fma(w_, x0, A0);                                                                     \
            A1 = vf32_fma(w_, x1, A1);                                                                     \
        }
        VITC__DECONV_ROW(0, a00, a01)
        VITC__DECONV_ROW(1, a10, a11)
        VITC__DECONV_ROW(2, a20, a21)
        VITC__DECONV_ROW(3, a30, a31)
#undef VITC__DECONV_ROW
    }
    {
        vf32 acc[4][2];
        int r;
        acc[0][0] = a00, acc[0][1] = a01, acc[1][0] = a10, acc[1][1] = a11;
        acc[2][0] = a20, acc[2][1] = a21, acc[3][0] = a30, acc[3][1] = a31;
        for (r = 0; r < rows; r++) {
            float *c = cols + (ptrdiff_t)(m + r) * P + p;
            if (n0 == VITC_LANES) vf32_store(c, acc[r][0]);
            else vf32_store_tail(c, acc[r][0], n0);
            if (n1 == VITC_LANES) vf32_store(c + VITC_LANES, acc[r][1]);
            else if (n1 > 0) vf32_store_tail(c + VITC_LANES, acc[r][1], n1);
        }
    }
}

VITC_KERNEL void VITC_FN(vitc__f32_deconv_gemm)(int M, int P, int K, const float *VITC_RESTRICT Wt, int ldw,
                                                const float *VITC_RESTRICT X, float *VITC_RESTRICT cols)
{
    int m, p;
    for (m = 0; m < M; m += 4) {
        const int rows = M - m < 4 ? M - m : 4;
        for (p = 0; p < P; p += 2 * VITC_LANES)
            VITC_FN(vitc__deconv_tile)(K, Wt, ldw, m, X, P, p, P - p < 2 * VITC_LANES ? P - p : 2 * VITC_LANES, cols,
                                       rows);
    }
}

VITC_KERNEL void VITC_FN(vitc__f32_deconv_col2im)(int Cog, int H, int W, int OH, int OW, int KH, int KW, int sh,
                                                  int sw, int dh, int dw, int pt, int pl,
                                                  const float *VITC_RESTRICT bias, const float *VITC_RESTRICT cols,
                                                  float *VITC_RESTRICT Y)
{
    int co, kh, kw, ih, iw;
    if (sw != 1) {
        vitc__f32_deconv_col2im_scalar(Cog, H, W, OH, OW, KH, KW, sh, sw, dh, dw, pt, pl, bias, cols, Y);
        return;
    }
    for (co = 0; co < Cog; co++) {
        float *VITC_RESTRICT y = Y + (ptrdiff_t)co * OH * OW;
        const vf32 b = vf32_set1(bias ? bias[co] : 0.0f);
        int i;
        for (i = 0; i + VITC_LANES <= OH * OW; i += VITC_LANES) vf32_store(y + i, b);
        if (i < OH * OW) vf32_store_tail(y + i, b, OH * OW - i);
        for (kh = 0; kh < KH; kh++)
            for (kw = 0; kw < KW; kw++) {
                const float *VITC_RESTRICT c = cols + ((ptrdiff_t)(co * KH + kh) * KW + kw) * H * W;
                /* iw in [lo, hi) lands inside the output: ow = iw - pl + kw*dw */
                int lo = pl - kw * dw, hi = OW + pl - kw * dw;
                if (lo < 0) lo = 0;
                if (hi > W) hi = W;
                if (lo >= hi) continue;
                for (ih = 0; ih < H; ih++) {
                    const int oh = ih * sh - pt + kh * dh;
                    float *yr;
                    const float *cr;
                    if (oh < 0 || oh >= OH) continue;
                    /* output row oh from column ow = lo - pl + kw*dw on (>= 0 by the choice of lo) */
                    yr = y + (ptrdiff_t)oh * OW + (lo - pl + kw * dw);
                    cr = c + (ptrdiff_t)ih * W + lo;
                    for (iw = 0; iw + VITC_LANES <= hi - lo; iw += VITC_LANES)
                        vf32_store(yr + iw, vf32_add(vf32_load(yr + iw), vf32_load(cr + iw)));
                    if (iw < hi - lo)
                        vf32_store_tail(yr + iw,
                                        vf32_add(vf32_load_tail(yr + iw, hi - lo - iw), vf32_load_tail(cr + iw, hi - lo - iw)),
                                        hi - lo - iw);
                }
            }
    }
}

VITC_KERNEL void VITC_FN(vitc_f32_deconv2d)(int N, int G, int Cig, int Cog, int H, int W, int OH, int OW, int KH,
                                            int KW, int sh, int sw, int dh, int dw, int pt, int pl,
                                            const float *VITC_RESTRICT X, const float *VITC_RESTRICT Wt,
                                            const float *VITC_RESTRICT bias, float *VITC_RESTRICT Y,
                                            float *VITC_RESTRICT cols)
{
    VITC__DECONV2D_BODY(VITC_FN(vitc__f32_deconv_gemm), VITC_FN(vitc__f32_deconv_col2im));
}
