/* templates/pool/f32-pool2d-simd.c: the 2-D pools of
 * templates/pool/f32-pool2d-scalar.c (MaxPool, AveragePool, LpPool,
 * GlobalAveragePool, GlobalMaxPool, GlobalLpPool), written once against the SIMD shim and instantiated per target
 * as vitc_f32_<pool>_<isa>. Same signatures, NCHW layout and semantics (pads,
 * strides, dilations, ceil_mode's overhanging windows, count_include_pad, -FLT_MAX
 * for a window with no tap, NaN ignored by MaxPool).
 *
 * Vectors run along an output row, VITC_LANES output columns at a time. A row
 * splits into the columns whose whole window row lies inside the input (the
 * interior: every kw tap is in bounds, so the same KW taps for every lane) and
 * the few at the edges, which take the scalar kernel's loop for one output (the
 * kernels are the scalar template's body, vitc__f32_pool2d, given the vector
 * row loop vitc__pool_row for the interior). In
 * the interior, tap (kh, kw) of lanes ow..ow+L-1 is input row ih at columns
 * wbase + kw*dil_w + l*stride_w: one contiguous load for stride 1, vf32_load_even
 * for stride 2 (MaxPool 3x3/2 and 2x2/2 stems), and for larger strides L scalar
 * reads into a vector (the max or sum is still vector work). Every output folds
 * its taps in the scalar kernel's order (kh, then kw) with the same operations
 * (max as `v > m ? v : m`, one rounding per add, one division), so results are
 * bit for bit the scalar kernels'; LpPool's too for p = 1, within an ulp for
 * p = 2 (where the compiler may fuse the scalar loop's s + x*x into one rounding;
 * both take the correctly rounded square root), and within a few ulp for other
 * p, where the vector lanes take the shim's vf32_pow and the scalar loop powf.
 *
 * GlobalMaxPool is a vector max (order-free); GlobalAveragePool and
 * GlobalLpPool sum in vector lanes then across them: within a few ulp of the
 * scalar sum, not bit for bit.
 *
 * No scratch. Y must not overlap X. */
#include "../prelude.h"
#include "../simd/shim.h"
#include "f32-pool2d-scalar.c"

/* The interior columns [*a, *b) of a row: wbase = ow*sw - pl >= 0 and the last
 * tap wbase + (KW-1)*dw + extra <= W - 1 (extra: floats a vector load reads past
 * the last tap it needs). */
VITC_SIMD_INLINE void VITC_FN(vitc__pool_interior)(int OW, int W, int KW, int sw, int dw, int pl, int extra, int *a,
                                                   int *b) {
  const int last = (KW - 1) * dw + extra; /* wbase + last <= W - 1 */
  int lo = (pl + sw - 1) / sw, hi;
  hi = W - 1 - last + pl < 0 ? 0 : (W - 1 - last + pl) / sw + 1;
  if (hi > OW) hi = OW;
  if (lo > hi) lo = hi;
  *a = lo;
  *b = hi;
}

/* L taps of a vector: p[0], p[sw], ..., p[(L-1) sw] */
VITC_SIMD_INLINE vf32 VITC_FN(vitc__pool_taps)(const float *p, int sw) {
  float t[VITC_LANES];
  int l;
  if (sw == 1) return vf32_load(p);
  if (sw == 2) return vf32_load_even(p);
  for (l = 0; l < VITC_LANES; l++) t[l] = p[(ptrdiff_t)l * sw];
  return vf32_load(t);
}

/* LpPool's term |v|^p and root s^(1/p), lane by lane (vitc__lp_term/_root) */
VITC_SIMD_INLINE vf32 VITC_FN(vitc__lp_term_v)(vf32 v, int p) {
  return p == 1 ? vf32_abs(v) : p == 2 ? vf32_mul(v, v) : vf32_pow(vf32_abs(v), vf32_set1((float)p));
}
VITC_SIMD_INLINE vf32 VITC_FN(vitc__lp_root_v)(vf32 s, int p) {
  return p == 1 ? s : p == 2 ? vf32_sqrt(s) : vf32_pow(s, vf32_set1(1.0f / (float)p));
}

/* Columns [ia, ib) (a multiple of VITC_LANES wide, interior) of output row yr:
 * a vitc__pool2d_row_fn for vitc__f32_pool2d. MAX folds by max; AVG sums and
 * divides by the interior's count `div`; LP sums |x|^p and takes the root. */
VITC_SIMD_INLINE void VITC_FN(vitc__pool_row)(int kind, int p, const float *xc, float *yr, int W, int KW, int sw,
                                                int dw, int pl, int hbase, int kh_lo, int kh_hi, int dil_h, int ia,
                                                int ib, float div) {
  int ow, kh, kw;
  for (ow = ia; ow + VITC_LANES <= ib; ow += VITC_LANES) {
    const int wbase = ow * sw - pl;
    vf32 m = kind == VITC__POOL_MAX ? vf32_set1(-FLT_MAX) : vf32_zero();
    for (kh = kh_lo; kh < kh_hi; kh++) {
      const float *xr = xc + (ptrdiff_t)(hbase + kh * dil_h) * W + wbase;
      for (kw = 0; kw < KW; kw++) {
        const vf32 v = VITC_FN(vitc__pool_taps)(xr + kw * dw, sw);
        m = kind == VITC__POOL_MAX ? vf32_select(vf32_cmplt(m, v), v, m)
            : vf32_add(m, kind == VITC__POOL_LP ? VITC_FN(vitc__lp_term_v)(v, p) : v);
      }
    }
    vf32_store(yr + ow, kind == VITC__POOL_MAX ? m
                        : kind == VITC__POOL_LP ? VITC_FN(vitc__lp_root_v)(m, p)
                                                : vf32_div(m, vf32_set1(div)));
  }
}

/* The vector columns [ia, *vb) of every row: the interior, cut to whole vectors */
VITC_SIMD_INLINE void VITC_FN(vitc__pool_vector_cols)(int OW, int W, int KW, int stride_w, int dil_w, int pad_l,
                                                      int *ia, int *vb) {
  int ib;
  VITC_FN(vitc__pool_interior)(OW, W, KW, stride_w, dil_w, pad_l, stride_w == 2 ? 1 : 0, ia, &ib);
  *vb = *ia + (ib - *ia) / VITC_LANES * VITC_LANES;
}

VITC_KERNEL void VITC_FN(vitc_f32_maxpool2d)(int NC, int H, int W, int OH, int OW, int KH, int KW, int stride_h,
                                             int stride_w, int dil_h, int dil_w, int pad_t, int pad_l,
                                             const float *VITC_RESTRICT X, float *VITC_RESTRICT Y) {
  int ia, vb;
  VITC_FN(vitc__pool_vector_cols)(OW, W, KW, stride_w, dil_w, pad_l, &ia, &vb);
  vitc__f32_pool2d(VITC__POOL_MAX, 0, NC, H, W, OH, OW, KH, KW, stride_h, stride_w, dil_h, dil_w, pad_t, pad_l, 0, 0,
                   0, X, Y, VITC_FN(vitc__pool_row), ia, vb);
}

VITC_KERNEL void VITC_FN(vitc_f32_avgpool2d)(int NC, int H, int W, int OH, int OW, int KH, int KW, int stride_h,
                                             int stride_w, int dil_h, int dil_w, int pad_t, int pad_l, int pad_b,
                                             int pad_r, int count_include_pad, const float *VITC_RESTRICT X,
                                             float *VITC_RESTRICT Y) {
  int ia, vb;
  VITC_FN(vitc__pool_vector_cols)(OW, W, KW, stride_w, dil_w, pad_l, &ia, &vb);
  vitc__f32_pool2d(VITC__POOL_AVG, 0, NC, H, W, OH, OW, KH, KW, stride_h, stride_w, dil_h, dil_w, pad_t, pad_l,
                   pad_b, pad_r, count_include_pad, X, Y, VITC_FN(vitc__pool_row), ia, vb);
}

VITC_KERNEL void VITC_FN(vitc_f32_lppool2d)(int NC, int H, int W, int OH, int OW, int KH, int KW, int stride_h,
                                            int stride_w, int dil_h, int dil_w, int pad_t, int pad_l, int p,
                                            const float *VITC_RESTRICT X, float *VITC_RESTRICT Y) {
  int ia, vb;
  VITC_FN(vitc__pool_vector_cols)(OW, W, KW, stride_w, dil_w, pad_l, &ia, &vb);
  vitc__f32_pool2d(VITC__POOL_LP, p, NC, H, W, OH, OW, KH, KW, stride_h, stride_w, dil_h, dil_w, pad_t, pad_l, 0, 0,
                   0, X, Y, VITC_FN(vitc__pool_row), ia, vb);
}

/* The sum of X's HW values xc, each as LpPool's term |x|^p, or as itself for
 * p = 0 (GlobalAveragePool), in two vector accumulators then across lanes */
VITC_SIMD_INLINE float VITC_FN(vitc__global_sum)(const float *xc, int HW, int p) {
#define VITC__TERM(v) (p ? VITC_FN(vitc__lp_term_v)(v, p) : (v))
  vf32 s0 = vf32_zero(), s1 = vf32_zero();
  int i;
  for (i = 0; i + 2 * VITC_LANES <= HW; i += 2 * VITC_LANES) {
    s0 = vf32_add(s0, VITC__TERM(vf32_load(xc + i)));
    s1 = vf32_add(s1, VITC__TERM(vf32_load(xc + i + VITC_LANES)));
  }
  for (; i + VITC_LANES <= HW; i += VITC_LANES) s0 = vf32_add(s0, VITC__TERM(vf32_load(xc + i)));
  if (i < HW) s1 = vf32_add(s1, VITC__TERM(vf32_load_tail(xc + i, HW - i))); /* zeros: |0|^p = 0 */
#undef VITC__TERM
  return vf32_hsum(vf32_add(s0, s1));
}

/* Y (NC,) = mean of X (NC, HW) over its last axis */
VITC_KERNEL void VITC_FN(vitc_f32_global_avgpool)(int NC, int HW, const float *VITC_RESTRICT X, float *VITC_RESTRICT Y) {
  int nc;
  for (nc = 0; nc < NC; nc++) Y[nc] = VITC_FN(vitc__global_sum)(X + (ptrdiff_t)nc * HW, HW, 0) / (float)HW;
}

/* Y (NC,) = (sum of |X|^p over the last axis of X (NC, HW))^(1/p) */
VITC_KERNEL void VITC_FN(vitc_f32_global_lppool)(int NC, int HW, int p, const float *VITC_RESTRICT X,
                                                 float *VITC_RESTRICT Y) {
  int nc;
  for (nc = 0; nc < NC; nc++) Y[nc] = vitc__lp_root(VITC_FN(vitc__global_sum)(X + (ptrdiff_t)nc * HW, HW, p), p);
}

/* Y (NC,) = max of X (NC, HW) over its last axis (NaN ignored, -FLT_MAX if HW is 0) */
VITC_KERNEL void VITC_FN(vitc_f32_global_maxpool)(int NC, int HW, const float *VITC_RESTRICT X, float *VITC_RESTRICT Y) {
  int nc, i;
  for (nc = 0; nc < NC; nc++) {
    const float *xc = X + (ptrdiff_t)nc * HW;
    vf32 m = vf32_set1(-FLT_MAX);
    for (i = 0; i + VITC_LANES <= HW; i += VITC_LANES) {
      const vf32 v = vf32_load(xc + i);
      m = vf32_select(vf32_cmplt(m, v), v, m);
    }
    if (i < HW) {
      const vf32 v = vf32_load_tail_fill(xc + i, HW - i, -FLT_MAX);
      m = vf32_select(vf32_cmplt(m, v), v, m);
    }
    Y[nc] = vf32_hmax(m); /* no lane holds NaN: the selection never takes one */
  }
}
