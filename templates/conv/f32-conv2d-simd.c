/* templates/conv/f32-conv2d-simd.c: depthwise 2-D convolution (ONNX Conv with
 * group == C_in), NCHW, written once against the SIMD shim (templates/simd/bind.h)
 * and instantiated per target as vitc_f32_conv2d_depthwise_<isa>. Every other conv
 * runs on the target's GEMM microkernel (vitc_f32_conv2d_<MR>x<NR>_<isa>,
 * templates/gemm/f32-gemm-driver.c); the rest of this family is the scalar
 * template's (included below).
 *
 * Depthwise planes are small (MobileViT: 8x8 to 32x32), so vectorizing along an
 * output row leaves most vectors straddling the padding. Instead, per input
 * channel, the plane is copied once into scratch with its padding made explicit,
 * as a flat array of rows Wp wide, and every output is computed at the flat index
 * i = oh*Wp + ow (columns ow >= OW are computed and dropped). With equal strides
 * s = stride_h = stride_w, tap (kh, kw) of output i reads the padded plane at
 * s*i + kh*dh*Wp + kw*dw, so the padded plane is stored split into s phases
 * (phase p holds flat elements s*j + p), and each tap becomes one contiguous
 * vector load from one phase: the whole output plane is one vector loop with
 * KH*KW FMAs per vector and no bounds checks (the taps' phase offsets and
 * weights computed once per plane, four vectors of outputs per pass over the taps,
 * so four FMA chains run at once). The valid columns are then copied
 * out with the bias. Unequal strides take the scalar kernel.
 *
 * Geometry (vitc__f32_dwconv2d_geometry, mirrored by compiler/ops/conv.c):
 *   Wp  = max(pad_l + W, (OW-1)*s + (KW-1)*dw + 1)         padded row width
 *   Ly  = round_up(OH*Wp, 16)                              flat outputs computed
 *   Lx  = max(s*(Ly-1) + (KH-1)*dh*Wp + (KW-1)*dw + 1, (pad_t + H)*Wp)
 *   Lph = ceil(Lx / s)                                     floats per phase
 *   scratch = s*Lph + Ly floats (the phases, then the flat outputs)
 * Sums are in float over the taps in (kh, kw) order, the bias added last (the
 * scalar kernel starts from the bias: results agree to rounding), then, as the
 * valid columns are copied out, the epilogue of vitc.Conv (f32-gemm-epilogue.c:
 * activation, gate, residual) with the GEMM microkernels' activations
 * (templates/simd/fastmath.h), so a depthwise conv + BN + SiLU is one pass.
 * Y must not overlap X, Wt or scratch. */
#include "../prelude.h"
#include "../simd/shim.h"
#include "f32-conv2d-scalar.c"

#ifndef VITC__DWCONV2D_GEOMETRY
#define VITC__DWCONV2D_GEOMETRY
/* Taps whose offsets and weights the vector loop keeps in arrays (7x7 and below; more: the plain loop). */
#define VITC__DW_MAX_TAPS 64
/* The padded-plane geometry above; returns the scratch size in floats. */
static inline VITC_UNUSED ptrdiff_t vitc__f32_dwconv2d_geometry(int H, int W, int OH, int OW, int KH, int KW, int s,
                                                                int dil_h, int dil_w, int pad_t, int pad_l,
                                                                int *Wp, ptrdiff_t *Ly, ptrdiff_t *Lph)
{
    const int reach = (OW - 1) * s + (KW - 1) * dil_w + 1;
    ptrdiff_t lx, lx2;
    *Wp = pad_l + W > reach ? pad_l + W : reach;
    *Ly = ((ptrdiff_t)OH * *Wp + 15) / 16 * 16;
    lx = (ptrdiff_t)s * (*Ly - 1) + (ptrdiff_t)(KH - 1) * dil_h * *Wp + (ptrdiff_t)(KW - 1) * dil_w + 1;
    lx2 = (ptrdiff_t)(pad_t + H) * *Wp;
    if (lx2 > lx) lx = lx2;
    *Lph = (lx + s - 1) / s;
    return (ptrdiff_t)s * *Lph + *Ly;
}
#endif

/* An activation code of f32-gemm-epilogue.c on one vector: the shim's act_<NAME>
 * (templates/simd/fastmath.h), the GEMM microkernels' functions. */
#define VITC__DW_ACT_CASE(name, code, what) case VITC_GEMM_ACT_##name: return VITC_SIMD_FN(act_##name)(v, pa, pb);
VITC_SIMD_INLINE vf32 VITC_FN(vitc__f32_dw_act)(vf32 v, int act, vf32 pa, vf32 pb) {
    switch (act) {
    VITC_GEMM_ACTIVATIONS(VITC__DW_ACT_CASE)
    default: return v;
    }
}
#undef VITC__DW_ACT_CASE

/* dst[0, n) = epilogue(src[0, n) + bv) with gate row g and residual row r (each
 * NULL when ep has none), vector by vector. */
VITC_SIMD_INLINE void VITC_FN(vitc__f32_dw_store)(float *dst, const float *src, int n, float bv,
                                                 const vitc_f32_gemm_epilogue *ep, const float *g, const float *r)
{
    const vf32 b = vf32_set1(bv);
    const int act = ep ? ep->act : VITC_GEMM_ACT_NONE;
    const int sig = ep && ep->gate_mode == VITC_GEMM_GATE_MUL_SIGMOID;
    const vf32 rs = vf32_set1(ep ? ep->res_scale : 0.0f);
    const vf32 pa = vf32_set1(ep ? ep->act_alpha : 0.0f), pb = vf32_set1(ep ? ep->act_beta : 0.0f);
    int i;
    for (i = 0; i < n; i += VITC_LANES) {
        const int m = n - i < VITC_LANES ? n - i : VITC_LANES;
        vf32 v = VITC_FN(vitc__f32_dw_act)(vf32_add(m == VITC_LANES ? vf32_load(src + i) : vf32_load_tail(src + i, m), b), act, pa, pb);
        if (g) {
            vf32 x = m == VITC_LANES ? vf32_load(g + i) : vf32_load_tail(g + i, m);
            v = vf32_mul(v, sig ? VITC_SIMD_FN(act_SIGMOID)(x, pa, pb) : x);
        }
        if (r) v = vf32_fma(rs, m == VITC_LANES ? vf32_load(r + i) : vf32_load_tail(r + i, m), v);
        if (m == VITC_LANES) vf32_store(dst + i, v);
        else vf32_store_tail(dst + i, v, m);
    }
}

/* Y (N, C_out, OH, OW) = epilogue(depthwise conv(X (N, C_in, H, W), W (C_out, 1, KH, KW)) + bias),
 * C_out = C_in * multiplier (output channel oc reads input channel oc / multiplier);
 * the same contract as vitc_f32_conv2d_depthwise_scalar plus scratch (floats, the
 * formula above; unused, may be NULL, when stride_h != stride_w). */
VITC_KERNEL void VITC_FN(vitc_f32_conv2d_depthwise)(int N, int C_in, int H, int W, int C_out, int OH, int OW, int KH,
                                                    int KW, int stride_h, int stride_w, int dil_h, int dil_w,
                                                    int pad_t, int pad_l, const float *VITC_RESTRICT X,
                                                    const float *VITC_RESTRICT Wt, const float *VITC_RESTRICT bias,
                                                    float *VITC_RESTRICT Y, const vitc_f32_gemm_epilogue *ep,
                                                    float *VITC_RESTRICT scratch)
{
    const int s = stride_w, mult = C_out / C_in;
    const ptrdiff_t hw = (ptrdiff_t)H * W, ohw = (ptrdiff_t)OH * OW;
    int Wp, n, c, m, r, q, kh, kw, oh;
    ptrdiff_t Ly, Lph, i, j;
    float *ph, *yf;

    if (stride_h != stride_w) {
        vitc_f32_conv2d_depthwise_scalar(N, C_in, H, W, C_out, OH, OW, KH, KW, stride_h, stride_w, dil_h, dil_w,
                                         pad_t, pad_l, X, Wt, bias, Y, ep);
        return;
    }
    vitc__f32_dwconv2d_geometry(H, W, OH, OW, KH, KW, s, dil_h, dil_w, pad_t, pad_l, &Wp, &Ly, &Lph);
    ph = scratch;
    yf = scratch + (ptrdiff_t)s * Lph;

    for (n = 0; n < N; n++) {
        for (c = 0; c < C_in; c++) {
            const float *xc = X + ((ptrdiff_t)n * C_in + c) * hw;
            /* the padded plane, in s phases: flat element f at ph[(f % s)*Lph + f / s] */
            for (j = 0; j < (ptrdiff_t)s * Lph; j++) ph[j] = 0.0f;
            for (r = 0; r < H; r++) {
                const ptrdiff_t f0 = (ptrdiff_t)(r + pad_t) * Wp + pad_l;
                const float *xr = xc + (ptrdiff_t)r * W;
                if (s == 1) {
                    for (q = 0; q < W; q++) ph[f0 + q] = xr[q];
                } else { /* phase p gets every s-th element from the first one in it: no division per element */
                    int p;
                    for (p = 0; p < s; p++) {
                        const int q0 = (int)(((p - f0) % s + s) % s), cnt = (W - q0 + s - 1) / s;
                        float *dp = ph + (ptrdiff_t)p * Lph + (f0 + q0) / s;
                        if (q0 >= W) continue;
                        if (s == 2) /* a constant stride: compilers vectorize it with permutes */
                            for (q = 0; q < cnt; q++) dp[q] = xr[q0 + 2 * q];
                        else
                            for (q = 0; q < cnt; q++) dp[q] = xr[q0 + q * s];
                    }
                }
            }
            for (m = 0; m < mult; m++) {
                const int oc = c * mult + m;
                const float *wc = Wt + (ptrdiff_t)oc * KH * KW;
                float *yc = Y + ((ptrdiff_t)n * C_out + oc) * ohw;
                const float bv = bias ? bias[oc] : 0.0f;
                /* yf[i] = sum over taps of w * padded[s*i + kh*dh*Wp + kw*dw], i in [0, Ly) */
                if (KH * KW <= VITC__DW_MAX_TAPS) { /* taps' phase offsets and weights once per plane; 4 vectors at a time */
                    ptrdiff_t toff[VITC__DW_MAX_TAPS];
                    vf32 wv[VITC__DW_MAX_TAPS];
                    const int nt = KH * KW;
                    int t;
                    for (t = 0; t < nt; t++) {
                        const ptrdiff_t off = (ptrdiff_t)(t / KW) * dil_h * Wp + (ptrdiff_t)(t % KW) * dil_w;
                        toff[t] = (off % s) * Lph + off / s;
                        wv[t] = vf32_set1(wc[t]);
                    }
                    for (i = 0; i + 4 * VITC_LANES <= Ly; i += 4 * VITC_LANES) {
                        vf32 a0 = vf32_zero(), a1 = vf32_zero(), a2 = vf32_zero(), a3 = vf32_zero();
                        for (t = 0; t < nt; t++) {
                            const float *p = ph + toff[t] + i;
                            a0 = vf32_fma(wv[t], vf32_load(p), a0);
                            a1 = vf32_fma(wv[t], vf32_load(p + VITC_LANES), a1);
                            a2 = vf32_fma(wv[t], vf32_load(p + 2 * VITC_LANES), a2);
                            a3 = vf32_fma(wv[t], vf32_load(p + 3 * VITC_LANES), a3);
                        }
                        vf32_store(yf + i, a0);
                        vf32_store(yf + i + VITC_LANES, a1);
                        vf32_store(yf + i + 2 * VITC_LANES, a2);
                        vf32_store(yf + i + 3 * VITC_LANES, a3);
                    }
                    for (; i < Ly; i += VITC_LANES) {
                        vf32 acc = vf32_zero();
                        for (t = 0; t < nt; t++) acc = vf32_fma(wv[t], vf32_load(ph + toff[t] + i), acc);
                        vf32_store(yf + i, acc);
                    }
                } else {
                    for (i = 0; i < Ly; i += VITC_LANES) {
                        vf32 acc = vf32_zero();
                        for (kh = 0; kh < KH; kh++)
                            for (kw = 0; kw < KW; kw++) {
                                const ptrdiff_t off = (ptrdiff_t)kh * dil_h * Wp + (ptrdiff_t)kw * dil_w;
                                acc = vf32_fma(vf32_set1(wc[kh * KW + kw]),
                                               vf32_load(ph + (off % s) * Lph + off / s + i), acc);
                            }
                        vf32_store(yf + i, acc);
                    }
                }
                for (oh = 0; oh < OH; oh++) {
                    const ptrdiff_t plane = (ptrdiff_t)n * C_out + oc, col = (ptrdiff_t)oh * OW;
                    VITC_FN(vitc__f32_dw_store)(yc + col, yf + (ptrdiff_t)oh * Wp, OW, bv, ep,
                                                ep && ep->gate_mode && ep->gate ? ep->gate + plane * ep->ldg + col : NULL,
                                                ep && ep->res ? ep->res + plane * ep->ldr + col : NULL);
                }
            }
        }
    }
}
