/* templates/conv/f32-conv2d-direct-simd.c: 2-D convolution (ONNX Conv, group 1)
 * with few output channels as direct dot products, written once against the
 * SIMD shim (templates/simd/bind.h) and instantiated per target as
 * vitc_f32_conv2d_direct_<isa>. Same contract as vitc_f32_conv2d_direct_scalar
 * (templates/conv/f32-conv2d-direct-scalar.c, which says why this family
 * exists) plus scratch; strides other than 1 along W take the scalar kernel.
 *
 * Vectorized along output rows: a register tile holds DC_ROWS output rows of
 * nv vectors (nv <= DC_NV, a literal after inlining; wider rows are cut into
 * column chunks). Per tap (c, kh, kw) the tile takes one broadcast weight and
 * DC_ROWS * nv FMAs with unaligned loads of input row ih at column ow + kw*dw:
 * the taps of one input channel are all consumed while that channel is in
 * L1, and each output element is loaded and stored once per input channel.
 *
 * Padding: so that every load is a full vector with no bounds checks, the
 * input channel being consumed is copied into scratch with its left and right
 * padding made explicit (rows of Wp floats: pad_l zeros, the W inputs, zeros),
 * and a row of Wp zeros stands in for every row above or below the input (and
 * for the rows of a tile past OH, which are computed but not stored). That is
 * H*W floats copied and (H+1)*(Wp-W) zeroed per channel, against KH*KW FMAs
 * per output element of that channel (3,136 against 49 at the paper's 28x28
 * stage); no im2col matrix is ever written. Columns past OW (up to the next
 * multiple of 16) are computed and not stored (masked stores).
 *
 * Geometry (compiler/ops/conv.c mirrors it for the scratch size):
 *   Wp      = max(pad_l + W, round_up(OW, 16) + (KW-1)*dil_w)
 *   scratch = (H + 1) * Wp floats: the padded channel, then the zero row
 * Sums: from the bias (or the previous channels' partial sums in Y) over
 * (c, kh, kw) in order, with FMA; results agree with the scalar kernel to
 * rounding. Y must not overlap X, Wt or scratch. */
#include "../prelude.h"
#include "../simd/shim.h"
#include "f32-conv2d-direct-scalar.c"

/* Register tile: DC_ROWS rows x up to DC_NV vectors, plus a broadcast and a load. */
#if VITC_LANES >= 16 /* avx512: 32 registers */
#define DC_ROWS 4
#elif VITC_LANES >= 8 /* avx2: 16 registers, 12 accumulators */
#define DC_ROWS 3
#else /* neon (32 registers), the one-lane scalar shim (tests) */
#define DC_ROWS 4
#endif
#define DC_NV 4

/* acc[r][v] for rows r < DC_ROWS and nv vectors: acc += w * row_r[col + v*L] over
 * the KW taps of one (c, kh), row pointers already at the tap's first column. */
static inline VITC_UNUSED void VITC_FN(vitc__conv2d_direct_taps)(int nv, int KW, int dil_w, const float *wk,
                                                                 const float *const *rows, vf32 acc[DC_ROWS][DC_NV])
{
    int kw, r, v;
    for (kw = 0; kw < KW; kw++) {
        const vf32 w = vf32_set1(wk[kw]);
        const ptrdiff_t o = (ptrdiff_t)kw * dil_w;
        for (r = 0; r < DC_ROWS; r++)
            for (v = 0; v < nv; v++) acc[r][v] = vf32_fma(w, vf32_load(rows[r] + o + v * VITC_LANES), acc[r][v]);
    }
}

/* One tile: output rows [oh0, oh0 + DC_ROWS) (those < OH stored) and columns
 * [col, col + ncols) (ncols <= nv * L) of output plane y, from padded channel
 * plane xp (rows Wp apart) and zero row zr. first: start from bias (bv), else
 * from y. nv is a literal at each call. */
static inline VITC_UNUSED void VITC_FN(vitc__conv2d_direct_tile)(int nv, int oh0, int col, int ncols, int OH, int OW,
                                                                 int H, int KH, int KW, int stride_h, int dil_h,
                                                                 int dil_w, int pad_t, int Wp, const float *xp,
                                                                 const float *zr, const float *wc, int first, float bv,
                                                                 float *y)
{
    vf32 acc[DC_ROWS][DC_NV];
    const float *rows[DC_ROWS];
    int r, v, kh;
    for (r = 0; r < DC_ROWS; r++) {
        const int oh = oh0 + r < OH ? oh0 + r : OH - 1;
        float *yr = y + (ptrdiff_t)oh * OW + col;
        for (v = 0; v < nv; v++) {
            const int n = ncols - v * VITC_LANES;
            acc[r][v] = first ? vf32_set1(bv) : n >= VITC_LANES ? vf32_load(yr + v * VITC_LANES)
                                                                : vf32_load_tail(yr + v * VITC_LANES, n);
        }
    }
    for (kh = 0; kh < KH; kh++) {
        for (r = 0; r < DC_ROWS; r++) {
            const int ih = (oh0 + r) * stride_h + kh * dil_h - pad_t;
            rows[r] = (oh0 + r < OH && ih >= 0 && ih < H ? xp + (ptrdiff_t)ih * Wp : zr) + col;
        }
        VITC_FN(vitc__conv2d_direct_taps)(nv, KW, dil_w, wc + (ptrdiff_t)kh * KW, rows, acc);
    }
    for (r = DC_ROWS - 1; r >= 0; r--) {
        if (oh0 + r >= OH) continue;
        {
            float *yr = y + (ptrdiff_t)(oh0 + r) * OW + col;
            for (v = 0; v < nv; v++) {
                const int n = ncols - v * VITC_LANES;
                if (n >= VITC_LANES) vf32_store(yr + v * VITC_LANES, acc[r][v]);
                else vf32_store_tail(yr + v * VITC_LANES, acc[r][v], n);
            }
        }
    }
}

/* Y (N, C_out, OH, OW) = conv(X (N, C_in, H, W), W (C_out, C_in, KH, KW)) + bias,
 * group 1: vitc_f32_conv2d_direct_scalar's contract. scratch: (H + 1) * Wp floats
 * (the geometry above); unused (may be NULL) when stride_w != 1. */
VITC_KERNEL void VITC_FN(vitc_f32_conv2d_direct)(int N, int C_in, int H, int W, int C_out, int OH, int OW, int KH,
                                                 int KW, int stride_h, int stride_w, int dil_h, int dil_w, int pad_t,
                                                 int pad_l, const float *VITC_RESTRICT X, const float *VITC_RESTRICT Wt,
                                                 const float *VITC_RESTRICT bias, float *VITC_RESTRICT Y,
                                                 float *VITC_RESTRICT scratch)
{
    const ptrdiff_t hw = (ptrdiff_t)H * W, ohw = (ptrdiff_t)OH * OW;
    const int owc = (OW + 15) / 16 * 16, reach = owc + (KW - 1) * dil_w;
    const int Wp = pad_l + W > reach ? pad_l + W : reach;
    const int chunk = DC_NV * VITC_LANES;
    float *xp = scratch, *zr = scratch + (ptrdiff_t)H * Wp;
    int n, c, m, i, j, oh0, col;

    if (stride_w != 1 || OH <= 0 || OW <= 0) {
        vitc_f32_conv2d_direct_scalar(N, C_in, H, W, C_out, OH, OW, KH, KW, stride_h, stride_w, dil_h, dil_w, pad_t,
                                      pad_l, X, Wt, bias, Y, NULL);
        return;
    }
    for (j = 0; j < Wp; j++) zr[j] = 0.0f;
    for (n = 0; n < N; n++) {
        for (c = 0; c < C_in; c++) {
            const float *xc = X + ((ptrdiff_t)n * C_in + c) * hw;
            for (i = 0; i < H; i++) { /* the channel with its left and right padding */
                float *d = xp + (ptrdiff_t)i * Wp;
                for (j = 0; j < pad_l; j++) d[j] = 0.0f;
                memcpy(d + pad_l, xc + (ptrdiff_t)i * W, (size_t)W * sizeof(float));
                for (j = pad_l + W; j < Wp; j++) d[j] = 0.0f;
            }
            for (m = 0; m < C_out; m++) {
                const float *wc = Wt + ((ptrdiff_t)m * C_in + c) * KH * KW;
                const float bv = bias ? bias[m] : 0.0f;
                float *y = Y + ((ptrdiff_t)n * C_out + m) * ohw;
                for (oh0 = 0; oh0 < OH; oh0 += DC_ROWS)
                    for (col = 0; col < OW; col += chunk) {
                        const int ncols = OW - col < chunk ? OW - col : chunk;
                        const int nv = (ncols + VITC_LANES - 1) / VITC_LANES;
#define VITC__DC_TILE(NV)                                                                                             \
    VITC_FN(vitc__conv2d_direct_tile)(NV, oh0, col, ncols, OH, OW, H, KH, KW, stride_h, dil_h, dil_w, pad_t, Wp, xp, \
                                      zr, wc, c == 0, bv, y)
                        switch (nv) {
                        case 1: VITC__DC_TILE(1); break;
                        case 2: VITC__DC_TILE(2); break;
                        case 3: VITC__DC_TILE(3); break;
                        default: VITC__DC_TILE(4); break;
                        }
#undef VITC__DC_TILE
                    }
            }
        }
    }
}

#undef DC_ROWS
#undef DC_NV
