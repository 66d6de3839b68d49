/* templates/conv/f32-conv2d-stem-simd.c: a convolution of group 1 with few input
 * channels (a network's first layer: an image's 3 channels into 16 or more, 3x3
 * stride 2 in MobileViT's and DropoutViT's stems), written once against the SIMD
 * shim and instantiated per target as vitc_f32_conv2d_stem_<isa>.
 *
 * As a GEMM such a conv has K = C_in * KH * KW = 27: every gathered tap is used
 * by few multiply-adds and the packing of the taps costs as much as the products
 * (DropoutViT's 3 -> 16 stem ran at a third of the FMA peak on the implicit GEMM).
 * Here the output stays in its NCHW layout, a vector of VITC_LANES outputs along
 * a row per register, and a register tile holds STEM_CB output channels times
 * STEM_NV such vectors (of one row or of consecutive rows). Per tap (c, kh, kw)
 * the tile loads its STEM_NV input vectors once (stride 2: every other float, by
 * vf32_load_even) and multiplies each by STEM_CB broadcast weights: the loads
 * are shared by the output channels, the weights (C_out * C_in * KH * KW floats)
 * stay in L1, and no im2col panel is written.
 *
 * Padding: the input rows a band of output rows reads are copied into scratch,
 * per input channel, with the padding made explicit (f32-conv2d-stem.h: the
 * geometry, shared with the compiler), so every load is a full vector with no
 * bounds check; outputs past OW in a row's last vector are computed and not
 * stored. Sums run from the bias over (c, kh, kw) in order, with FMA: the im2col
 * GEMM's order, so the results agree with the scalar conv to rounding. The
 * activation of the epilogue (its act only: the compiler takes this path when
 * there is no gate or residual) is applied as each vector is stored.
 *
 * Layouts are vitc_f32_conv2d_direct_scalar's (f32-conv2d-direct-scalar.c, the
 * reference the tests compare with): X (N, C_in, H, W), Wt (C_out, C_in, KH, KW),
 * bias (C_out,) or NULL, Y (N, C_out, OH, OW), only the top and left pads passed.
 * stride_w is 1 or 2; any stride_h, dilation and padding. */
#include "../prelude.h"
#include "../simd/shim.h"
#include "../gemm/f32-gemm-epilogue-simd.c"
#include "f32-conv2d-stem.h"

/* Register tile: STEM_CB output channels x STEM_NV vectors, plus the STEM_NV
 * input vectors and a broadcast weight. Measured on Zen 4 (CPU time of
 * DropoutViT's 3 -> 16 stem without its GELU, batch 2, 16x16 outputs): avx512
 * 16 x 1 5.0 us, 16 x 2 6.1, 8 x 2 6.4, 8 x 3 6.7; avx2 (-march=znver3) 4 x 2
 * 6.3, 8 x 1 7.4, 8 x 2 8.5, 4 x 3 9.9, 6 x 2 10.4, 12 x 1 10.7. */
#if VITC_LANES >= 16 /* avx512: 32 registers */
#define STEM_CB 16
#define STEM_NV 1
#elif VITC_LANES >= 8 /* avx2: 16 registers */
#define STEM_CB 4
#define STEM_NV 2
#else /* neon (32 registers; not measured: qemu only), and the one-lane scalar shim (tests) */
#define STEM_CB 8
#define STEM_NV 2
#endif

/* One tile: output channels [m0, m0 + STEM_CB) (those < C_out stored) at the
 * STEM_NV vectors whose first outputs are (oy[s], ox[s]) of the band starting at
 * output row oy0; xb: the band's padded channels (in_rows rows of wp each). */
static inline VITC_UNUSED void VITC_FN(vitc__conv2d_stem_tile)(int C_in, int C_out, int OH, int OW, int KH, int KW,
                                                               int stride_h, int stride_w, int dil_h, int dil_w,
                                                               const float *xb, ptrdiff_t wp, int in_rows, int oy0,
                                                               const int *oy, const int *ox, int m0,
                                                               const float *VITC_RESTRICT Wt,
                                                               const float *VITC_RESTRICT bias, float *y,
                                                               int act, float aa, float ab)
{
    vf32 acc[STEM_CB][STEM_NV];
    const ptrdiff_t taps = (ptrdiff_t)KH * KW, ohw = (ptrdiff_t)OH * OW;
    const float *wm[STEM_CB];
    int m, s, c, kh, kw;
    for (m = 0; m < STEM_CB; m++) { /* channels past C_out repeat the last one: computed, not stored */
        const int mm = m0 + m < C_out ? m0 + m : C_out - 1;
        const vf32 b = vf32_set1(bias ? bias[mm] : 0.0f);
        wm[m] = Wt + (ptrdiff_t)mm * C_in * taps;
        for (s = 0; s < STEM_NV; s++) acc[m][s] = b;
    }
    for (c = 0; c < C_in; c++)
        for (kh = 0; kh < KH; kh++) {
            const float *row[STEM_NV];
            for (s = 0; s < STEM_NV; s++)
                row[s] = xb + ((ptrdiff_t)c * in_rows + (ptrdiff_t)(oy[s] - oy0) * stride_h + (ptrdiff_t)kh * dil_h) * wp +
                         (ptrdiff_t)ox[s] * stride_w;
            for (kw = 0; kw < KW; kw++) {
                const ptrdiff_t o = (ptrdiff_t)kw * dil_w, t = (ptrdiff_t)c * taps + (ptrdiff_t)kh * KW + kw;
                vf32 in[STEM_NV];
                VITC_SIMD_UNROLL
                for (s = 0; s < STEM_NV; s++) in[s] = stride_w == 1 ? vf32_load(row[s] + o) : vf32_load_even(row[s] + o);
                VITC_SIMD_UNROLL
                for (m = 0; m < STEM_CB; m++) {
                    const vf32 w = vf32_set1(wm[m][t]);
                    VITC_SIMD_UNROLL
                    for (s = 0; s < STEM_NV; s++) acc[m][s] = vf32_fma(w, in[s], acc[m][s]);
                }
            }
        }
    for (m = 0; m < STEM_CB && m0 + m < C_out; m++)
        for (s = 0; s < STEM_NV; s++) {
            const int n = OW - ox[s] < VITC_LANES ? OW - ox[s] : VITC_LANES;
            float *yp = y + (ptrdiff_t)(m0 + m) * ohw + (ptrdiff_t)oy[s] * OW + ox[s];
            vf32 v;
            if (s > 0 && oy[s] == oy[s - 1] && ox[s] == ox[s - 1]) break; /* the last vector repeated: stored */
            v = VITC_FN(vitc__epi_act)(acc[m][s], act, aa, ab);
            if (n == VITC_LANES) vf32_store(yp, v);
            else vf32_store_tail(yp, v, n);
        }
}

/* Y (N, C_out, OH, OW) = act(conv(X (N, C_in, H, W), Wt (C_out, C_in, KH, KW)) + bias),
 * group 1, stride_w 1 or 2; ep: its act (and parameters) only, or NULL; scratch:
 * vitc_f32_conv2d_stem_scratch_floats(...) floats. Y must not overlap X, Wt or scratch. */
VITC_KERNEL void VITC_FN(vitc_f32_conv2d_stem)(int N, int C_in, int H, int W, int C_out, int OH, int OW, int KH,
                                               int KW, int stride_h, int stride_w, int dil_h, int dil_w, int pad_t,
                                               int pad_l, const float *VITC_RESTRICT X, const float *VITC_RESTRICT Wt,
                                               const float *VITC_RESTRICT bias, float *VITC_RESTRICT Y,
                                               const vitc_f32_gemm_epilogue *ep, float *VITC_RESTRICT scratch)
{
    const ptrdiff_t wp = vitc__stem_wp(W, OW, KW, stride_w, dil_w, pad_l), hw = (ptrdiff_t)H * W;
    const int br = vitc__stem_band_rows(C_in, OH, KH, stride_h, dil_h, wp);
    const int in_rows = vitc__stem_band_in_rows(br, KH, stride_h, dil_h);
    const int nvec = (OW + VITC_LANES - 1) / VITC_LANES; /* vectors per output row */
    const int act = ep ? ep->act : VITC_GEMM_ACT_NONE;
    const float aa = ep ? ep->act_alpha : 0.0f, ab = ep ? ep->act_beta : 0.0f;
    int n, oy0, c, r, m0;
    if (OH <= 0 || OW <= 0 || C_out <= 0) return;
    for (n = 0; n < N; n++) {
        const float *xn = X + (ptrdiff_t)n * C_in * hw;
        float *yn = Y + (ptrdiff_t)n * C_out * OH * OW;
        for (oy0 = 0; oy0 < OH; oy0 += br) {
            const int rows = OH - oy0 < br ? OH - oy0 : br, total = rows * nvec;
            int at;
            /* the band's input rows, padded: row r is input row oy0 * stride_h - pad_t + r */
            for (c = 0; c < C_in; c++)
                for (r = 0; r < in_rows; r++) {
                    float *d = scratch + ((ptrdiff_t)c * in_rows + r) * wp;
                    const int iy = oy0 * stride_h - pad_t + r;
                    ptrdiff_t j;
                    if (iy < 0 || iy >= H) {
                        for (j = 0; j < wp; j++) d[j] = 0.0f;
                        continue;
                    }
                    for (j = 0; j < pad_l; j++) d[j] = 0.0f;
                    memcpy(d + pad_l, xn + (ptrdiff_t)c * hw + (ptrdiff_t)iy * W, (size_t)W * sizeof(float));
                    for (j = pad_l + W; j < wp; j++) d[j] = 0.0f;
                }
            /* the band's output vectors, STEM_NV at a time (the last group repeats its last vector) */
            for (at = 0; at < total; at += STEM_NV) {
                int oy[STEM_NV], ox[STEM_NV], s;
                for (s = 0; s < STEM_NV; s++) {
                    const int v = at + s < total ? at + s : total - 1;
                    oy[s] = oy0 + v / nvec;
                    ox[s] = v % nvec * VITC_LANES;
                }
                for (m0 = 0; m0 < C_out; m0 += STEM_CB)
                    VITC_FN(vitc__conv2d_stem_tile)(C_in, C_out, OH, OW, KH, KW, stride_h, stride_w, dil_h, dil_w,
                                                    scratch, wp, in_rows, oy0, oy, ox, m0, Wt, bias, yn, act, aa, ab);
            }
        }
    }
}

#undef STEM_CB
#undef STEM_NV
