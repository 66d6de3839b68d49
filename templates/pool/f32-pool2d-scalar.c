/* templates/pool/f32-pool2d-scalar.c: 2-D pooling (ONNX MaxPool, AveragePool,
 * LpPool, GlobalAveragePool, GlobalMaxPool, GlobalLpPool), NCHW, portable scalar C.
 *
 * Pooling never mixes channels, so every kernel takes the batch and channel
 * dims merged: X (NC, H, W) -> Y (NC, OH, OW) with NC = N*C.
 *
 * The compiler resolves auto_pad and ceil_mode and passes OH/OW:
 *   OH = floor_or_ceil((H + pad_t + pad_b - dil_h*(KH-1) - 1) / stride_h) + 1
 * (with ceil_mode, ONNX also drops a last window that would start inside the
 * bottom padding; that too is the compiler's business). A window may then
 * hang past the bottom/right padding; taps outside the input are skipped.
 *
 * Window of output (oh, ow): input rows oh*stride_h - pad_t + kh*dil_h,
 * kh in [0, KH) (columns alike). For every output row the valid kh range is
 * computed once (vitc__conv2d_tap_range, templates/conv/f32-conv2d-taps.h), so
 * the inner loops have no bounds checks. The three pools are one body,
 * vitc__f32_pool2d, which the shim-based kernels run too, with their vector
 * loop for the columns whose windows lie inside the input.
 *
 * MaxPool: taps outside the input are ignored (-inf padding). A window with no
 * tap inside the input gives -FLT_MAX, which is what ONNX Runtime's MLAS gives
 * (it starts from numeric_limits<float>::lowest()). NaN inputs are ignored the
 * same way MLAS's scalar path ignores them (max is "v > m ? v : m").
 *
 * AveragePool: the sum over taps inside the input, divided by
 *   count_include_pad == 0: the number of taps inside the input;
 *   count_include_pad == 1: the number of taps inside the padded input, rows
 *     [-pad_t, H + pad_b) and columns [-pad_l, W + pad_r).
 * Without ceil_mode every window lies inside the padded input and the second
 * divisor is KH*KW. With ceil_mode a last window can hang past pad_b/pad_r:
 * ONNX's reference and PyTorch then count only the padded part (what this
 * kernel does with the true pads), while ONNX Runtime's MLAS divides by KH*KW
 * anyway; to get MLAS's numbers pass pad_b = pad_r = INT_MAX/4 (the bottom and
 * right pads are only used for this divisor).
 *
 * LpPool (ONNX's integer p >= 1): (sum over the taps inside the input of
 * |x|^p)^(1/p); padding adds nothing (|0|^p = 0). p = 1 sums |x|, p = 2 sums x*x
 * and takes sqrtf (correctly rounded, as the vector square root), other p use
 * powf both ways, as ONNX Runtime does (std::pow).
 *
 * No scratch. Y must not overlap X. */
#ifndef VITC_F32_POOL2D_SCALAR_C
#define VITC_F32_POOL2D_SCALAR_C

#include "../prelude.h"
#include "../conv/f32-conv2d-taps.h"

/* The body and its window fold are inlined into each kernel, so that the kind and
 * the row function are constants there (not a run-time test per tap). */
#if defined(__GNUC__) || defined(__clang__)
#define VITC__POOL2D_INLINE static inline VITC_UNUSED __attribute__((always_inline))
#else
#define VITC__POOL2D_INLINE static inline VITC_UNUSED
#endif

/* The pool a body computes: the fold of its taps and what ends a window */
enum { VITC__POOL_AVG = 0, VITC__POOL_MAX = 1, VITC__POOL_LP = 2 };

/* LpPool's term for one tap, |v|^p */
static inline VITC_UNUSED float vitc__lp_term(float v, int p) {
    return p == 1 ? fabsf(v) : p == 2 ? v * v : powf(fabsf(v), (float)p);
}

/* LpPool's end of a window: the p-th root of its sum */
static inline VITC_UNUSED float vitc__lp_root(float s, int p) {
    return p == 1 ? s : p == 2 ? sqrtf(s) : powf(s, 1.0f / (float)p);
}

/* One window of MaxPool (kind MAX), or the sum of AveragePool's (AVG) or of
 * LpPool's |x|^p (LP, power p): output (oh, ow)
 * with hbase = oh*stride_h - pad_t and its rows' valid tap range [kh_lo, kh_hi),
 * wbase = ow*stride_w - pad_l. Folds the taps inside the input in (kh, kw) order;
 * *ntaps gets the number of columns inside (AveragePool's count). */
VITC__POOL2D_INLINE float vitc__f32_pool2d_window(int kind, int p, const float *VITC_RESTRICT xc, int W, int hbase,
                                                  int kh_lo, int kh_hi, int dil_h, int wbase, int KW, int dil_w,
                                                  int *ntaps)
{
    int kw_lo, kw_hi, kh, kw;
    float m = kind == VITC__POOL_MAX ? -FLT_MAX : 0.0f;
    vitc__conv2d_tap_range(KW, dil_w, wbase, W, &kw_lo, &kw_hi);
    *ntaps = kw_hi - kw_lo;
    for (kh = kh_lo; kh < kh_hi; kh++) {
        const float *xr = xc + (ptrdiff_t)(hbase + kh * dil_h) * W;
        for (kw = kw_lo; kw < kw_hi; kw++) {
            const float v = xr[wbase + kw * dil_w];
            m = kind == VITC__POOL_MAX ? (v > m ? v : m) : m + (kind == VITC__POOL_LP ? vitc__lp_term(v, p) : v);
        }
    }
    return m;
}

/* Output columns [ia, ib) of one output row yr, computed by the shim-based
 * kernels' vector loop (f32-pool2d-simd.c); `div` is AveragePool's count for
 * every window of the row whose KW taps are all inside the input. */
typedef void (*vitc__pool2d_row_fn)(int kind, int p, const float *xc, float *yr, int W, int KW, int stride_w, int dil_w,
                                    int pad_l, int hbase, int kh_lo, int kh_hi, int dil_h, int ia, int ib, float div);

/* The body of the three pools, scalar and shim-based: Y (NC, OH, OW) = max
 * (kind MAX), mean (AVG) or p-norm (LP, power p) over each window of X (NC, H, W).
 * row, if not NULL, computes columns [ia, ib) of every row; the window loop
 * above does the other columns. pad_b, pad_r and count_include_pad are
 * AveragePool's (see the top of the file). */
VITC__POOL2D_INLINE void vitc__f32_pool2d(int kind, int p, int NC, int H, int W, int OH, int OW, int KH, int KW,
                                          int stride_h, int stride_w, int dil_h, int dil_w, int pad_t, int pad_l,
                                          int pad_b, int pad_r, int count_include_pad, const float *VITC_RESTRICT X,
                                          float *VITC_RESTRICT Y, vitc__pool2d_row_fn row, int ia, int ib)
{
    int nc, oh, ow, ntaps;
    for (nc = 0; nc < NC; nc++) {
        const float *VITC_RESTRICT xc = X + (ptrdiff_t)nc * H * W;
        float *VITC_RESTRICT yc = Y + (ptrdiff_t)nc * OH * OW;
        for (oh = 0; oh < OH; oh++) {
            const int hbase = oh * stride_h - pad_t;
            float *VITC_RESTRICT yr = yc + (ptrdiff_t)oh * OW;
            int kh_lo, kh_hi, ph_lo = 0, ph_hi = 0;
            vitc__conv2d_tap_range(KH, dil_h, hbase, H, &kh_lo, &kh_hi);
            if (kind == VITC__POOL_AVG && count_include_pad)
                vitc__conv2d_tap_range(KH, dil_h, hbase + pad_t, H + pad_t + pad_b, &ph_lo, &ph_hi);
            /* the row's columns whose KW taps are all inside the input (so in the padded input) */
            if (row && ib > ia)
                row(kind, p, xc, yr, W, KW, stride_w, dil_w, pad_l, hbase, kh_lo, kh_hi, dil_h, ia, ib,
                    count_include_pad ? (float)((ph_hi - ph_lo) * KW) : (float)((kh_hi - kh_lo) * KW));
            for (ow = 0; ow < OW; ow++) {
                int wbase, pw_lo, pw_hi;
                float v, count;
                if (row && ow == ia && ib > ia) ow = ib; /* past the row's vector columns */
                if (ow >= OW) break;
                wbase = ow * stride_w - pad_l;
                v = vitc__f32_pool2d_window(kind, p, xc, W, hbase, kh_lo, kh_hi, dil_h, wbase, KW, dil_w, &ntaps);
                if (kind != VITC__POOL_AVG) {
                    yr[ow] = kind == VITC__POOL_LP ? vitc__lp_root(v, p) : v;
                    continue;
                }
                if (count_include_pad) {
                    vitc__conv2d_tap_range(KW, dil_w, wbase + pad_l, W + pad_l + pad_r, &pw_lo, &pw_hi);
                    count = (float)((ph_hi - ph_lo) * (pw_hi - pw_lo));
                } else {
                    count = (float)((kh_hi - kh_lo) * ntaps);
                }
                yr[ow] = v / count;
            }
        }
    }
}

/* Y (NC, OH, OW) = max over each KHxKW window (dilated, strided, padded) of X (NC, H, W).
 * pad_t/pad_l: padding above/left; bottom/right padding is implied by OH/OW. */
VITC_KERNEL void vitc_f32_maxpool2d_scalar(int NC, int H, int W, int OH, int OW, int KH, int KW,
                                           int stride_h, int stride_w, int dil_h, int dil_w, int pad_t, int pad_l,
                                           const float *VITC_RESTRICT X, float *VITC_RESTRICT Y)
{
    vitc__f32_pool2d(VITC__POOL_MAX, 0, NC, H, W, OH, OW, KH, KW, stride_h, stride_w, dil_h, dil_w, pad_t, pad_l, 0, 0,
                     0, X, Y, NULL, 0, 0);
}

/* Y (NC, OH, OW) = mean over each KHxKW window (dilated, strided, padded) of X (NC, H, W).
 * pad_t/pad_l place the windows; pad_b/pad_r are used only by
 * count_include_pad == 1 to count the padded taps (see the top of the file). */
VITC_KERNEL void vitc_f32_avgpool2d_scalar(int NC, int H, int W, int OH, int OW, int KH, int KW,
                                           int stride_h, int stride_w, int dil_h, int dil_w,
                                           int pad_t, int pad_l, int pad_b, int pad_r, int count_include_pad,
                                           const float *VITC_RESTRICT X, float *VITC_RESTRICT Y)
{
    vitc__f32_pool2d(VITC__POOL_AVG, 0, NC, H, W, OH, OW, KH, KW, stride_h, stride_w, dil_h, dil_w, pad_t, pad_l,
                     pad_b, pad_r, count_include_pad, X, Y, NULL, 0, 0);
}

/* Y (NC, OH, OW) = (sum over each KHxKW window (dilated, strided, padded) of
 * |X|^p)^(1/p), X (NC, H, W), p >= 1: ONNX LpPool. */
VITC_KERNEL void vitc_f32_lppool2d_scalar(int NC, int H, int W, int OH, int OW, int KH, int KW, int stride_h,
                                          int stride_w, int dil_h, int dil_w, int pad_t, int pad_l, int p,
                                          const float *VITC_RESTRICT X, float *VITC_RESTRICT Y)
{
    vitc__f32_pool2d(VITC__POOL_LP, p, NC, H, W, OH, OW, KH, KW, stride_h, stride_w, dil_h, dil_w, pad_t, pad_l, 0,
                     0, 0, X, Y, NULL, 0, 0);
}

/* Y (NC,) = mean of X (NC, HW) over its last axis: ONNX GlobalAveragePool,
 * Y being (N, C, 1, 1) in memory. */
VITC_KERNEL void vitc_f32_global_avgpool_scalar(int NC, int HW, const float *VITC_RESTRICT X,
                                                float *VITC_RESTRICT Y)
{
    int nc, i;
    for (nc = 0; nc < NC; nc++) {
        const float *VITC_RESTRICT xc = X + (ptrdiff_t)nc * HW;
        float s = 0.0f;
        for (i = 0; i < HW; i++) s += xc[i];
        Y[nc] = s / (float)HW;
    }
}

/* Y (NC,) = max of X (NC, HW) over its last axis: ONNX GlobalMaxPool. */
VITC_KERNEL void vitc_f32_global_maxpool_scalar(int NC, int HW, const float *VITC_RESTRICT X,
                                                float *VITC_RESTRICT Y)
{
    int nc, i;
    for (nc = 0; nc < NC; nc++) {
        const float *VITC_RESTRICT xc = X + (ptrdiff_t)nc * HW;
        float m = -FLT_MAX;
        for (i = 0; i < HW; i++) m = xc[i] > m ? xc[i] : m;
        Y[nc] = m;
    }
}

/* Y (NC,) = (sum of |X|^p over the last axis of X (NC, HW))^(1/p), p >= 1:
 * ONNX GlobalLpPool. */
VITC_KERNEL void vitc_f32_global_lppool_scalar(int NC, int HW, int p, const float *VITC_RESTRICT X,
                                               float *VITC_RESTRICT Y)
{
    int nc, i;
    for (nc = 0; nc < NC; nc++) {
        const float *VITC_RESTRICT xc = X + (ptrdiff_t)nc * HW;
        float s = 0.0f;
        for (i = 0; i < HW; i++) s += vitc__lp_term(xc[i], p);
        Y[nc] = vitc__lp_root(s, p);
    }
}

#endif /* VITC_F32_POOL2D_SCALAR_C */
