/* templates/quant/x-quant-scalar.c: the quantization ops of ONNX, computed
 * exactly as the spec (and ONNX Runtime with optimizations off) defines them.
 *
 * Quantized tensors are uint8 or int8 (type codes 2 and 3, ONNX's), an
 * accumulator int32 (6). A real value r and its quantized q relate by
 *     r = (q - zero_point) * scale        (DequantizeLinear, in float)
 *     q = saturate(round(r / scale) + zero_point)   (QuantizeLinear)
 * where round is to nearest with ties to even (C99 rintf in the default
 * rounding mode, which bundles never change) and saturate clamps to the type's
 * range. NaN quantizes to the type's minimum (ONNX leaves it undefined; C's
 * float-to-int conversion of NaN is undefined behaviour, so it is never done).
 *
 * Per-axis forms are written with three extents: a tensor viewed as
 * (outer, na, inner), the quantization axis being na; element (o, a, i) uses
 * scale[a] and zp[a]. Per-tensor is na = 1. Zero points are passed as int.
 *
 * The integer products (MatMulInteger, ConvInteger, and the integer part of
 * QLinearMatMul and QLinearConv) sum (a - a_zp) * (b - b_zp) exactly, in 64-bit,
 * and store the sum modulo 2^32 as int32 (ONNX's output type; a sum that does not
 * fit wraps, as ONNX Runtime's 32-bit accumulators do). The QLinear ops then
 * requantize: q = saturate(round(float(acc + bias) * multiplier) + y_zp) with
 * multiplier = a_scale * b_scale / y_scale computed in float by the compiler,
 * as ONNX Runtime does.
 *
 * These are the reference kernels of every target (the int8 GEMM of
 * vitc.QGemm, templates/gemm/qs8-gemm-*.c, is tested against them). */
#ifndef VITC_X_QUANT_SCALAR_C
#define VITC_X_QUANT_SCALAR_C

#include "../prelude.h"

/* Element i of a uint8 (2), int8 (3) or int32 (6) buffer. */
static inline VITC_UNUSED int32_t vitc__q_load(const void *p, int type, ptrdiff_t i)
{
    if (type == 3) return ((const int8_t *)p)[i];
    if (type == 6) return ((const int32_t *)p)[i];
    return ((const uint8_t *)p)[i];
}

/* round(v) + zp, clamped to [lo, hi] (v in float, as ONNX Runtime adds zp in float). */
static inline VITC_UNUSED int32_t vitc__q_saturate(float v, int zp, int lo, int hi)
{
    v = rintf(v) + (float)zp;
    if (!(v >= (float)lo)) return lo; /* NaN too */
    if (v > (float)hi) return hi;
    return (int32_t)v;
}

static inline VITC_UNUSED void vitc__q_store(void *p, int type, ptrdiff_t i, int32_t v)
{
    if (type == 3) ((int8_t *)p)[i] = (int8_t)v;
    else ((uint8_t *)p)[i] = (uint8_t)v;
}

/* QuantizeLinear: y (outer, na, inner) of type y_type (2 uint8, 3 int8) =
 * saturate(round(x / scale[a]) + zp[a]). */
VITC_KERNEL void vitc_f32_quantize_scalar(int outer, int na, int inner, const float *x, const float *scale,
                                          const int *zp, int y_type, void *y)
{
    int o, a, i, lo = y_type == 3 ? -128 : 0, hi = y_type == 3 ? 127 : 255;
    ptrdiff_t idx = 0;
    for (o = 0; o < outer; o++)
        for (a = 0; a < na; a++)
            for (i = 0; i < inner; i++, idx++)
                vitc__q_store(y, y_type, idx, vitc__q_saturate(x[idx] / scale[a], zp[a], lo, hi));
}

/* QuantizeLinear per tensor with a scale and zero point computed at run time
 * (one element each; zp NULL for 0, of type y_type otherwise). */
VITC_KERNEL void vitc_f32_quantize_rt_scalar(int n, const float *x, const float *scale, const void *zp, int y_type,
                                             void *y)
{
    int z = zp ? (int)vitc__q_load(zp, y_type, 0) : 0;
    vitc_f32_quantize_scalar(1, 1, n, x, scale, &z, y_type, y);
}

/* DequantizeLinear: y (outer, na, inner) = (float)(x - zp[a]) * scale[a], x of
 * type x_type (2 uint8, 3 int8, 6 int32). */
VITC_KERNEL void vitc_x_dequantize_scalar(int outer, int na, int inner, int x_type, const void *x, const float *scale,
                                          const int *zp, float *y)
{
    int o, a, i;
    ptrdiff_t idx = 0;
    for (o = 0; o < outer; o++)
        for (a = 0; a < na; a++)
            for (i = 0; i < inner; i++, idx++)
                y[idx] = (float)(vitc__q_load(x, x_type, idx) - zp[a]) * scale[a];
}

/* DynamicQuantizeLinear: uint8 y (n,) with the scale and zero point that map
 * [min(0, min x), max(0, max x)] onto [0, 255]:
 *   scale = (max - min) / 255 (1 when max == min), zp = saturate(round(-min / scale)),
 *   y = saturate(round(x / scale) + zp). */
/* DynamicQuantizeLinear's scale and zero point from the range [mn, mx] (mn <= 0 <= mx),
 * written to *y_scale and *y_zp; returns the zero point. */
static inline VITC_UNUSED int vitc__q_dynamic_params(float mn, float mx, float *y_scale, uint8_t *y_zp)
{
    const float scale = mx == mn ? 1.0f : (mx - mn) / 255.0f;
    float z = 0.0f - mn / scale;
    z = z < 0.0f ? 0.0f : z > 255.0f ? 255.0f : z;
    *y_scale = scale;
    *y_zp = (uint8_t)(int)rintf(z);
    return *y_zp;
}

VITC_KERNEL void vitc_f32_dynamic_quantize_scalar(int n, const float *x, uint8_t *y, float *y_scale, uint8_t *y_zp)
{
    int i, zp;
    float mn = 0.0f, mx = 0.0f;
    for (i = 0; i < n; i++) {
        mn = x[i] < mn ? x[i] : mn;
        mx = x[i] > mx ? x[i] : mx;
    }
    zp = vitc__q_dynamic_params(mn, mx, y_scale, y_zp);
    for (i = 0; i < n; i++) y[i] = (uint8_t)vitc__q_saturate(x[i] / *y_scale, zp, 0, 255);
}

/* Y (batch..., M, N) int32 = (A - a_zp) @ (B - b_zp), batched like
 * vitc_f32_matmul_scalar: nb batch dims `dims`, as/bs the elements between
 * consecutive A and B matrices along each (0: broadcast); Y dense. a_zp has one
 * value per row of A (a_zp_rows = 1) or one for all (0); b_zp one per column
 * (b_zp_cols = 1) or one. */
VITC_KERNEL void vitc_x_matmul_integer_scalar(int M, int N, int K, int nb, const int *dims, const ptrdiff_t *as,
                                              const ptrdiff_t *bs, int a_type, const void *A, const int *a_zp,
                                              int a_zp_rows, int b_type, const void *B, const int *b_zp,
                                              int b_zp_cols, int32_t *Y)
{
    int idx[VITC_MAX_RANK] = {0}, d, i, j, k;
    ptrdiff_t total = 1, bi;
    for (d = 0; d < nb; d++) total *= dims[d];
    for (bi = 0; bi < total; bi++) {
        ptrdiff_t ao = 0, bo = 0;
        for (d = 0; d < nb; d++) ao += idx[d] * as[d], bo += idx[d] * bs[d];
        for (i = 0; i < M; i++)
            for (j = 0; j < N; j++) {
                int64_t s = 0;
                int za = a_zp[a_zp_rows ? i : 0], zb = b_zp[b_zp_cols ? j : 0];
                for (k = 0; k < K; k++)
                    s += (int64_t)(vitc__q_load(A, a_type, ao + (ptrdiff_t)i * K + k) - za) *
                         (vitc__q_load(B, b_type, bo + (ptrdiff_t)k * N + j) - zb);
                Y[(bi * M + i) * N + j] = (int32_t)(uint32_t)s;
            }
        for (d = nb - 1; d >= 0; d--) {
            if (++idx[d] < dims[d]) break;
            idx[d] = 0;
        }
    }
}

/* Y (N, M, OH, OW) int32 = conv(X - x_zp, W - w_zp) over G groups, NCHW; W (M,
 * C/G, KH, KW); w_zp one per output channel (w_zp_per_m = 1) or one. Padding
 * contributes nothing (it stands for x_zp: ONNX pads the quantized input with its
 * zero point). */
VITC_KERNEL void vitc_x_conv_integer_scalar(int N, int C, int H, int W, int M, int OH, int OW, int KH, int KW, int sh,
                                            int sw, int dh, int dw, int pt, int pl, int G, int x_type, const void *X,
                                            int x_zp, int w_type, const void *Wt, const int *w_zp, int w_zp_per_m,
                                            int32_t *Y)
{
    int n, m, oh, ow, c, kh, kw, Cg = C / G, Mg = M / G;
    for (n = 0; n < N; n++)
        for (m = 0; m < M; m++) {
            int g = m / Mg, zw = w_zp[w_zp_per_m ? m : 0];
            for (oh = 0; oh < OH; oh++)
                for (ow = 0; ow < OW; ow++) {
                    int64_t s = 0;
                    for (c = 0; c < Cg; c++)
                        for (kh = 0; kh < KH; kh++) {
                            int ih = oh * sh - pt + kh * dh;
                            if (ih < 0 || ih >= H) continue;
                            for (kw = 0; kw < KW; kw++) {
                                int iw = ow * sw - pl + kw * dw;
                                if (iw < 0 || iw >= W) continue;
                                s += (int64_t)(vitc__q_load(X, x_type,
                                                            (((ptrdiff_t)n * C + g * Cg + c) * H + ih) * W + iw) - x_zp) *
                                     (vitc__q_load(Wt, w_type, (((ptrdiff_t)m * Cg + c) * KH + kh) * KW + kw) - zw);
                            }
                        }
                    Y[(((ptrdiff_t)n * M + m) * OH + oh) * OW + ow] = (int32_t)(uint32_t)s;
                }
        }
}

/* The requantize step of QLinearMatMul and QLinearConv: y (outer, na, inner) of
 * type y_type = saturate(round(float(acc + bias[a]) * mult[a]) + zp), bias NULL for none. */
VITC_KERNEL void vitc_s32_requantize_scalar(int outer, int na, int inner, const int32_t *acc, const int32_t *bias,
                                            const float *mult, int zp, int y_type, void *y)
{
    int o, a, i, lo = y_type == 3 ? -128 : 0, hi = y_type == 3 ? 127 : 255;
    ptrdiff_t idx = 0;
    for (o = 0; o < outer; o++)
        for (a = 0; a < na; a++)
            for (i = 0; i < inner; i++, idx++) {
                int32_t v = acc[idx];
                if (bias) v = (int32_t)((uint32_t)v + (uint32_t)bias[a]);
                vitc__q_store(y, y_type, idx, vitc__q_saturate((float)v * mult[a], zp, lo, hi));
            }
}

#endif /* VITC_X_QUANT_SCALAR_C */
