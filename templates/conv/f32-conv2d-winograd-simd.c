/* templates/conv/f32-conv2d-winograd-simd.c: a 3x3, stride-1 convolution (group
 * 1, no dilation, any padding) as Winograd's F(2x2, 3x3), written once against the
 * SIMD shim and instantiated per target as vitc_f32_conv2d_winograd_<isa>.
 *
 * Each 2x2 block of outputs ("tile") of an output channel is
 *     Y = A^T [ sum over input channels c of (G g_c G^T) . (B^T d_c B) ] A
 * with d_c the 4x4 input patch under the tile, g_c the 3x3 kernel and . the
 * element-wise product (Lavin and Gray, "Fast Algorithms for Convolutional Neural
 * Networks", 2016):
 *     B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1]   G = [1 0 0; .5 .5 .5; .5 -.5 .5; 0 0 1]
 *     A^T = [1 1 1 0; 0 1 -1 -1]
 * So the 16 positions xi of the 4x4 transformed tile are 16 independent products
 * over the input channels: M_xi (T, C_out) = V_xi (T, C_in) @ U_xi (C_in, C_out),
 * T the tiles, U_xi = (G g G^T)[xi] computed and packed for the target's GEMM at
 * compile time (compiler/ops/conv.c), V_xi = (B^T d B)[xi] here. That is 16 *
 * C_in * C_out multiply-adds per tile of 4 outputs instead of 36 * C_in * C_out:
 * 2.25 times fewer, for transforms of O(C_in + C_out) per tile. The transforms'
 * coefficients are 0, +-1 and +-1/2 (folded into U), so it stays accurate: each
 * output is a float sum of the same products regrouped, its error a few roundings
 * of the magnitudes involved, like im2col's.
 *
 * Layout: the input is copied once, padded, channels last ([N, Hp, Wp, Cp], Cp =
 * C_in rounded up to 16, zeros around and past C_in), so a tile's 16 taps of a
 * vector of channels are 16 contiguous vector loads, and V_xi is written as rows
 * of Cp channels, the GEMM's A operand in place (lda = Cp). The GEMM is the
 * target's packed-weight entry (vitc_f32_gemm_<MR>x<NR>_<isa>, passed by pointer
 * so this template stays one file for every tile), writing M_xi rows of Cq =
 * C_out rounded up to 16. The output transform takes a vector of output channels
 * of a tile at a time, adds the bias and applies the activation (the epilogue's
 * act only: the compiler takes this path when there is no gate or residual) and
 * stores the 2x2 outputs into Z, channels last, which is written into Y (NCHW) a
 * run of tiles along a tile row at a time. Tiles are done tc at a time (a
 * literal from the compiler, a multiple of the GEMM's MR: V, M and Z for tc
 * tiles stay within about 128 KiB) with the batch folded into T.
 *
 * Scratch (floats, VITC_F32_CONV2D_WINOGRAD_SCRATCH, mirrored by ops/conv.c): the
 * GEMM's A micro-panel (16 * Cp), the padded input (N * Hp * Wp * Cp), V (16 * tc
 * * Cp), M (16 * tc * Cq) and Z (4 * tc * Cq); Hp = 2 * ceil(OH / 2) + 2, Wp =
 * 2 * ceil(OW / 2) + 2. */
#include "../prelude.h"
#include "../simd/shim.h"
#include "../gemm/f32-gemm-epilogue-simd.c"

#ifndef VITC_F32_CONV2D_WINOGRAD_DEFS
#define VITC_F32_CONV2D_WINOGRAD_DEFS
/* The packed-weight GEMM entry point of a target (templates/gemm/f32-gemm-<MR>x<NR>-<isa>.c). */
typedef void (*vitc_f32_gemm_packed_fn)(int M, int N, int K, const float *A, int lda, const float *Wp, float *C,
                                        int ldc, const vitc_f32_gemm_epilogue *ep, int kc, int nc, float *scratch);
#define VITC__WINO_CP(c) (((ptrdiff_t)(c) + 15) / 16 * 16)
#define VITC_F32_CONV2D_WINOGRAD_SCRATCH(N, C_in, C_out, OH, OW, tc)                                              \
  (16 * VITC__WINO_CP(C_in) + (ptrdiff_t)(N) * (2 * (((OH) + 1) / 2) + 2) * (2 * (((OW) + 1) / 2) + 2) *           \
                                  VITC__WINO_CP(C_in) +                                                          \
   16 * (ptrdiff_t)(tc) * (VITC__WINO_CP(C_in) + VITC__WINO_CP(C_out)) + 4 * (ptrdiff_t)(tc) * VITC__WINO_CP(C_out))
#endif

/* Y (N, C_out, OH, OW) = act(conv3x3(X (N, C_in, H, W), pads pad_t, pad_l) + bias):
 * U: the 16 transformed weight matrices (C_in, C_out), each packed for gemm's tile,
 * u_stride floats apart; ep: its act (and parameters) only, or NULL; tc: tiles per
 * round (a multiple of the GEMM's MR); scratch: VITC_F32_CONV2D_WINOGRAD_SCRATCH. */
VITC_KERNEL void VITC_FN(vitc_f32_conv2d_winograd)(int N, int C_in, int H, int W, int C_out, int OH, int OW,
                                                   int pad_t, int pad_l, const float *VITC_RESTRICT X,
                                                   const float *VITC_RESTRICT U, ptrdiff_t u_stride,
                                                   const float *VITC_RESTRICT bias, float *VITC_RESTRICT Y,
                                                   const vitc_f32_gemm_epilogue *ep, int tc,
                                                   vitc_f32_gemm_packed_fn gemm, float *VITC_RESTRICT scratch)
{
    const int TH = (OH + 1) / 2, TW = (OW + 1) / 2, Hp = 2 * TH + 2, Wp = 2 * TW + 2;
    const ptrdiff_t cp = VITC__WINO_CP(C_in), cq = VITC__WINO_CP(C_out), T = (ptrdiff_t)N * TH * TW;
    const ptrdiff_t ohw = (ptrdiff_t)OH * OW;
    const int act = ep ? ep->act : VITC_GEMM_ACT_NONE;
    const float aa = ep ? ep->act_alpha : 0.0f, ab = ep ? ep->act_beta : 0.0f;
    float *gs = scratch, *xt = gs + 16 * cp, *V = xt + (ptrdiff_t)N * Hp * Wp * cp, *Mo = V + 16 * (ptrdiff_t)tc * cp,
          *Z = Mo + 16 * (ptrdiff_t)tc * cq;
    ptrdiff_t t0, t, i;
    int n, c, c0, y, x, k;

    /* the padded input, channels last: 8 channels at a time, so the planes are read
     * as 8 streams (a plane is often a power of two apart: more would collide in L1) */
    for (i = 0; i < (ptrdiff_t)N * Hp * Wp * cp; i++) xt[i] = 0.0f;
    for (n = 0; n < N; n++)
        for (c0 = 0; c0 < C_in; c0 += 8) {
            const int cn = C_in - c0 < 8 ? C_in - c0 : 8;
            for (y = 0; y < H; y++) {
                const float *xs = X + ((ptrdiff_t)n * C_in + c0) * H * W + (ptrdiff_t)y * W;
                float *d = xt + (((ptrdiff_t)n * Hp + y + pad_t) * Wp + pad_l) * cp + c0;
                if (cn == 8) /* a constant count: the 8 loads and stores unrolled */
                    for (x = 0; x < W; x++, d += cp)
                        for (c = 0; c < 8; c++) d[c] = xs[(ptrdiff_t)c * H * W + x];
                else
                    for (x = 0; x < W; x++, d += cp)
                        for (c = 0; c < cn; c++) d[c] = xs[(ptrdiff_t)c * H * W + x];
            }
        }

    for (t0 = 0; t0 < T; t0 += tc) {
        const int tn = T - t0 < tc ? (int)(T - t0) : tc;
        /* V_xi rows: B^T d B of each tile, a vector of channels at a time */
        for (t = 0; t < tn; t++) {
            const ptrdiff_t tt = t0 + t, tx = tt % TW, ty = tt / TW % TH, nn = tt / ((ptrdiff_t)TW * TH);
            const float *d0 = xt + ((nn * Hp + 2 * ty) * Wp + 2 * tx) * cp;
            float *v = V + t * cp;
            for (c = 0; c < cp; c += VITC_LANES) {
                vf32 d[4][4], r[4][4];
                int a;
                for (a = 0; a < 4; a++)
                    for (k = 0; k < 4; k++) d[a][k] = vf32_load(d0 + ((ptrdiff_t)a * Wp + k) * cp + c);
                for (k = 0; k < 4; k++) { /* B^T d: rows */
                    r[0][k] = vf32_sub(d[0][k], d[2][k]);
                    r[1][k] = vf32_add(d[1][k], d[2][k]);
                    r[2][k] = vf32_sub(d[2][k], d[1][k]);
                    r[3][k] = vf32_sub(d[1][k], d[3][k]);
                }
                for (a = 0; a < 4; a++) { /* (B^T d) B: columns; xi = 4 * row + column */
                    float *va = v + (ptrdiff_t)(4 * a) * tc * cp + c;
                    vf32_store(va, vf32_sub(r[a][0], r[a][2]));
                    vf32_store(va + (ptrdiff_t)tc * cp, vf32_add(r[a][1], r[a][2]));
                    vf32_store(va + 2 * (ptrdiff_t)tc * cp, vf32_sub(r[a][2], r[a][1]));
                    vf32_store(va + 3 * (ptrdiff_t)tc * cp, vf32_sub(r[a][1], r[a][3]));
                }
            }
        }
        /* M_xi (tn, C_out) = V_xi (tn, C_in) @ U_xi */
        for (k = 0; k < 16; k++)
            gemm(tn, C_out, C_in, V + (ptrdiff_t)k * tc * cp, (int)cp, U + (ptrdiff_t)k * u_stride,
                 Mo + (ptrdiff_t)k * tc * cq, (int)cq, NULL, 0, 0, gs);
        /* Z (tile, q, C_out) = act(A^T M A + bias), the tile's outputs q = 2 * row + column,
         * a vector of output channels at a time */
        for (t = 0; t < tn; t++) {
            const float *m = Mo + t * cq;
            float *z = Z + t * 4 * cq;
            for (c = 0; c < C_out; c += VITC_LANES) {
                const int nl = C_out - c < VITC_LANES ? C_out - c : VITC_LANES;
                vf32 s[2][4], b;
                int a;
                for (k = 0; k < 4; k++) { /* A^T M: rows */
                    const vf32 m0 = vf32_load_tail(m + (ptrdiff_t)k * tc * cq + c, nl);
                    const vf32 m1 = vf32_load_tail(m + (ptrdiff_t)(4 + k) * tc * cq + c, nl);
                    const vf32 m2 = vf32_load_tail(m + (ptrdiff_t)(8 + k) * tc * cq + c, nl);
                    const vf32 m3 = vf32_load_tail(m + (ptrdiff_t)(12 + k) * tc * cq + c, nl);
                    s[0][k] = vf32_add(vf32_add(m0, m1), m2);
                    s[1][k] = vf32_sub(vf32_sub(m1, m2), m3);
                }
                b = bias ? vf32_load_tail(bias + c, nl) : vf32_zero();
                for (a = 0; a < 2; a++) { /* (A^T M) A: columns, + bias, act */
                    const vf32 y0 = vf32_add(vf32_add(vf32_add(s[a][0], s[a][1]), s[a][2]), b);
                    const vf32 y1 = vf32_add(vf32_sub(vf32_sub(s[a][1], s[a][2]), s[a][3]), b);
                    vf32_store(z + (2 * a) * cq + c, VITC_FN(vitc__epi_act)(y0, act, aa, ab));
                    vf32_store(z + (2 * a + 1) * cq + c, VITC_FN(vitc__epi_act)(y1, act, aa, ab));
                }
            }
        }
        /* Z into Y (NCHW), a run of tiles along one tile row at a time: per output
         * channel, the run's output rows are written in order (their Z lines stay in L1) */
        for (t = 0; t < tn;) {
            const ptrdiff_t tt = t0 + t, tx = tt % TW, ty = tt / TW % TH, nn = tt / ((ptrdiff_t)TW * TH);
            const int run = (int)(TW - tx < tn - t ? TW - tx : tn - t), oy = 2 * (int)ty, ox = 2 * (int)tx;
            const int rows = OH - oy < 2 ? 1 : 2, cols = OW - ox < 2 * run ? OW - ox : 2 * run;
            const float *z = Z + t * 4 * cq;
            for (c = 0; c < C_out; c++) {
                float *yc = Y + ((ptrdiff_t)nn * C_out + c) * ohw + (ptrdiff_t)oy * OW + ox;
                int a, j;
                for (a = 0; a < rows; a++, yc += OW) {
                    const float *zr = z + 2 * a * cq + c;
                    for (j = 0; j < cols / 2; j++, zr += 4 * cq) {
                        yc[2 * j] = zr[0];
                        yc[2 * j + 1] = zr[cq];
                    }
                    if (cols & 1) yc[cols - 1] = zr[0];
                }
            }
            t += run;
        }
    }
}
