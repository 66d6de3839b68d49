/* templates/norm/f32-softmax-simd.c: Softmax over one axis, written once against
 * the SIMD shim (templates/simd/bind.h) and instantiated per target as
 * vitc_f32_softmax_<isa>, and LogSoftmax as vitc_f32_log_softmax_<isa>. Same
 * signatures and contract as templates/norm/f32-softmax-scalar.c.
 *
 * Rows (inner == 1, attention scores: rows of 197 floats) take three passes over
 * the row: a vector max (the tail loaded with -inf fill), exp(x - max) stored to Y
 * while summing it in two accumulators (the first two: f32-softmax-row.c, which
 * the fused attention shares), and one multiply by 1/sum. inner > 1
 * walks VITC_LANES columns of the inner axis at a time with the same three steps
 * lane-wise (the tail of the inner axis through masked loads and stores), so every
 * load stays contiguous and nothing needs scratch.
 *
 * LogSoftmax takes the same max and sum, then y = x - max - log(sum) (log of the
 * sum is vf32_log, one per row or per lane column).
 *
 * exp is vf32_exp (templates/simd/fastmath.h, within 1 ulp of expf); the sum
 * order differs from the scalar kernel, so results agree with it to a few ulp,
 * not bit for bit. A row that is all -inf gives NaN, as in ONNX Runtime. Y may
 * equal X. */
#include "../prelude.h"
#include "../simd/shim.h"
#include "f32-softmax-scalar.c"
#include "f32-softmax-row.c"

/* Softmax of each of the rows (n floats each) of X into Y. */
VITC_KERNEL void VITC_FN(vitc__f32_softmax_rows)(int rows, int n, const float *X, float *Y) {
  int r, i;
  for (r = 0; r < rows; r++) {
    const float *x = X + (ptrdiff_t)r * n;
    float *y = Y + (ptrdiff_t)r * n;
    const vf32 rs = vf32_set1(1.0f / VITC_FN(vitc__f32_softmax_exp_row)(n, x, y, 0));
    for (i = 0; i + VITC_LANES <= n; i += VITC_LANES) vf32_store(y + i, vf32_mul(vf32_load(y + i), rs));
    if (i < n) vf32_store_tail(y + i, vf32_mul(vf32_load_tail(y + i, n - i), rs), n - i);
  }
}

/* Y (outer, axis_len, inner) = exp(X - max_axis) / sum_axis exp(X - max_axis)
 * along the middle axis of X (outer, axis_len, inner). Y may equal X. */
VITC_KERNEL void VITC_FN(vitc_f32_softmax)(int outer, int axis_len, int inner, const float *X, float *Y) {
  int o, a, j;
  if (axis_len <= 0) return;
  if (inner == 1) {
    VITC_FN(vitc__f32_softmax_rows)(outer, axis_len, X, Y);
    return;
  }
  for (o = 0; o < outer; o++) {
    const float *xo = X + (ptrdiff_t)o * axis_len * inner;
    float *yo = Y + (ptrdiff_t)o * axis_len * inner;
    for (j = 0; j < inner; j += VITC_LANES) {
      const int nl = inner - j < VITC_LANES ? inner - j : VITC_LANES;
      vf32 m = vf32_load_tail(xo + j, nl), s = vf32_zero(), rs;
      for (a = 1; a < axis_len; a++) m = vf32_max(m, vf32_load_tail(xo + (ptrdiff_t)a * inner + j, nl));
      for (a = 0; a < axis_len; a++) {
        float *y = yo + (ptrdiff_t)a * inner + j;
        const vf32 e = vf32_exp(vf32_sub(vf32_load_tail(xo + (ptrdiff_t)a * inner + j, nl), m));
        vf32_store_tail(y, e, nl);
        s = vf32_add(s, e);
      }
      rs = vf32_div(vf32_set1(1.0f), s);
      for (a = 0; a < axis_len; a++) {
        float *y = yo + (ptrdiff_t)a * inner + j;
        vf32_store_tail(y, vf32_mul(vf32_load_tail(y, nl), rs), nl);
      }
    }
  }
}

/* Y (outer, axis_len, inner) = X - max_axis - log(sum_axis exp(X - max_axis)) along
 * the middle axis of X (outer, axis_len, inner). Y may equal X. */
VITC_KERNEL void VITC_FN(vitc_f32_log_softmax)(int outer, int axis_len, int inner, const float *X, float *Y) {
  int o, a, j;
  if (axis_len <= 0) return;
  for (o = 0; o < outer; o++) {
    const float *xo = X + (ptrdiff_t)o * axis_len * inner;
    float *yo = Y + (ptrdiff_t)o * axis_len * inner;
    if (inner == 1) {
      vf32 vm = vf32_set1(-INFINITY), vs = vf32_zero(), sub;
      float m;
      for (a = 0; a + VITC_LANES <= axis_len; a += VITC_LANES) vm = vf32_max(vm, vf32_load(xo + a));
      if (a < axis_len) vm = vf32_max(vm, vf32_load_tail_fill(xo + a, axis_len - a, -INFINITY));
      m = vf32_hmax(vm);
      for (a = 0; a + VITC_LANES <= axis_len; a += VITC_LANES)
        vs = vf32_add(vs, vf32_exp(vf32_sub(vf32_load(xo + a), vf32_set1(m))));
      if (a < axis_len)
        vs = vf32_add(vs, vf32_exp(vf32_sub(vf32_load_tail_fill(xo + a, axis_len - a, -INFINITY), vf32_set1(m))));
      /* x - m - log(s), as the scalar kernel groups it */
      sub = vf32_log(vf32_set1(vf32_hsum(vs)));
      for (a = 0; a + VITC_LANES <= axis_len; a += VITC_LANES)
        vf32_store(yo + a, vf32_sub(vf32_sub(vf32_load(xo + a), vf32_set1(m)), sub));
      if (a < axis_len)
        vf32_store_tail(yo + a, vf32_sub(vf32_sub(vf32_load_tail(xo + a, axis_len - a), vf32_set1(m)), sub),
                        axis_len - a);
      continue;
    }
    for (j = 0; j < inner; j += VITC_LANES) {
      const int nl = inner - j < VITC_LANES ? inner - j : VITC_LANES;
      vf32 m = vf32_load_tail(xo + j, nl), s = vf32_zero(), ls;
      for (a = 1; a < axis_len; a++) m = vf32_max(m, vf32_load_tail(xo + (ptrdiff_t)a * inner + j, nl));
      for (a = 0; a < axis_len; a++)
        s = vf32_add(s, vf32_exp(vf32_sub(vf32_load_tail(xo + (ptrdiff_t)a * inner + j, nl), m)));
      ls = vf32_log(s);
      for (a = 0; a < axis_len; a++) {
        const ptrdiff_t off = (ptrdiff_t)a * inner + j;
        vf32_store_tail(yo + off, vf32_sub(vf32_sub(vf32_load_tail(xo + off, nl), m), ls), nl);
      }
    }
  }
}
