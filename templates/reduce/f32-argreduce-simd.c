/* templates/reduce/f32-argreduce-simd.c: ArgMax / ArgMin and Hardmax of
 * templates/reduce/f32-argreduce-scalar.c, written once against the SIMD shim and
 * instantiated per target as vitc_f32_argreduce_<isa> and vitc_f32_hardmax_<isa>.
 * Same signatures and semantics: ties give the first index (the last with
 * select_last), a NaN never wins unless every element is NaN (index 0).
 *
 * Each lane keeps its best value and that value's index (as a float: exact below
 * 2^24 elements on the axis; longer axes take the scalar kernel). With inner > 1
 * the lanes are VITC_LANES columns of inner and the scan walks the axis row by
 * row, as the scalar kernel does; with inner == 1 (a class axis at the end) the
 * lanes take every VITC_LANES-th element of the row and are merged at the end by
 * the same rule (value first, then index). The comparisons are the scalar
 * kernel's, so the indices are the same. */
#include "../prelude.h"
#include "../simd/shim.h"
#include "f32-argreduce-scalar.c"

/* lanes where v replaces best: the scalar kernel's test, or best is NaN and v is not */
VITC_SIMD_INLINE vm32 VITC_FN(vitc__arg_better)(vf32 v, vf32 best, int is_min, int select_last) {
  const vm32 b = is_min ? (select_last ? vf32_cmple(v, best) : vf32_cmplt(v, best))
                        : (select_last ? vf32_cmple(best, v) : vf32_cmplt(best, v));
  return vm32_or(b, vm32_and(vm32_not(vf32_cmpeq(best, best)), vf32_cmpeq(v, v)));
}

/* The index of the arg{max,min} of the row x[0..n) */
VITC_SIMD_INLINE int VITC_FN(vitc__arg_row)(const float *x, int n, int is_min, int select_last) {
  float bv[VITC_LANES], bi[VITC_LANES];
  vf32 best = vf32_load_tail_fill(x, n < VITC_LANES ? n : VITC_LANES, NAN), idx = vf32_zero(), vk;
  int k, l, r;
  for (l = 0; l < VITC_LANES; l++) bi[l] = (float)l;
  idx = vf32_load(bi);
  vk = idx;
  for (k = VITC_LANES; k < n; k += VITC_LANES) {
    const vf32 v = n - k >= VITC_LANES ? vf32_load(x + k) : vf32_load_tail_fill(x + k, n - k, NAN);
    vm32 take;
    vk = vf32_add(vk, vf32_set1((float)VITC_LANES));
    take = VITC_FN(vitc__arg_better)(v, best, is_min, select_last);
    best = vf32_select(take, v, best);
    idx = vf32_select(take, vk, idx);
  }
  vf32_store(bv, best);
  vf32_store(bi, idx);
  r = 0;
  for (l = 1; l < VITC_LANES; l++) {
    const float v = bv[l], b = bv[r];
    const int strict = is_min ? v < b : v > b;
    const int tie = v == b && (select_last ? bi[l] > bi[r] : bi[l] < bi[r]);
    if (strict || tie || (b != b && v == v)) r = l;
  }
  return bv[r] == bv[r] ? (int)bi[r] : 0; /* every element NaN: index 0 */
}

/* Per column block j..j+k of (n, inner): best index per lane, as floats */
VITC_SIMD_INLINE vf32 VITC_FN(vitc__arg_cols)(const float *x, int n, int inner, int k, int is_min, int select_last) {
  vf32 best = vf32_load_tail(x, k), idx = vf32_zero();
  int a;
  for (a = 1; a < n; a++) {
    const vf32 v = vf32_load_tail(x + (ptrdiff_t)a * inner, k);
    const vm32 take = VITC_FN(vitc__arg_better)(v, best, is_min, select_last);
    best = vf32_select(take, v, best);
    idx = vf32_select(take, vf32_set1((float)a), idx);
  }
  return idx;
}

/* Y (outer, inner) int64 = arg{max,min} over n of X (outer, n, inner) */
VITC_KERNEL void VITC_FN(vitc_f32_argreduce)(int outer, int n, int inner, int is_min, int select_last,
                                             const float *VITC_RESTRICT X, int64_t *VITC_RESTRICT Y) {
  int o, j, l;
  if (n >= (1 << 24)) {
    vitc_f32_argreduce_scalar(outer, n, inner, is_min, select_last, X, Y);
    return;
  }
  for (o = 0; o < outer; o++) {
    const float *x = X + (ptrdiff_t)o * n * inner;
    int64_t *y = Y + (ptrdiff_t)o * inner;
    if (inner == 1) {
      y[0] = VITC_FN(vitc__arg_row)(x, n, is_min, select_last);
      continue;
    }
    for (j = 0; j < inner; j += VITC_LANES) {
      const int k = inner - j < VITC_LANES ? inner - j : VITC_LANES;
      float bi[VITC_LANES];
      vf32_store(bi, VITC_FN(vitc__arg_cols)(x + j, n, inner, k, is_min, select_last));
      for (l = 0; l < k; l++) y[j + l] = (int64_t)bi[l];
    }
  }
}

/* Y (outer, n, inner) = 1 at the first maximum along n of X (outer, n, inner), 0 elsewhere */
VITC_KERNEL void VITC_FN(vitc_f32_hardmax)(int outer, int n, int inner, const float *VITC_RESTRICT X,
                                           float *VITC_RESTRICT Y) {
  int o, j, a;
  if (n >= (1 << 24)) {
    vitc_f32_hardmax_scalar(outer, n, inner, X, Y);
    return;
  }
  for (o = 0; o < outer; o++) {
    const float *x = X + (ptrdiff_t)o * n * inner;
    float *y = Y + (ptrdiff_t)o * n * inner;
    if (inner == 1) {
      const int best = VITC_FN(vitc__arg_row)(x, n, 0, 0);
      for (a = 0; a + VITC_LANES <= n; a += VITC_LANES) vf32_store(y + a, vf32_zero());
      if (a < n) vf32_store_tail(y + a, vf32_zero(), n - a);
      y[best] = 1.0f;
      continue;
    }
    for (j = 0; j < inner; j += VITC_LANES) {
      const int k = inner - j < VITC_LANES ? inner - j : VITC_LANES;
      const vf32 idx = VITC_FN(vitc__arg_cols)(x + j, n, inner, k, 0, 0);
      for (a = 0; a < n; a++) {
        const vf32 h = vf32_select(vf32_cmpeq(idx, vf32_set1((float)a)), vf32_set1(1.0f), vf32_zero());
        if (k == VITC_LANES) vf32_store(y + (ptrdiff_t)a * inner + j, h);
        else vf32_store_tail(y + (ptrdiff_t)a * inner + j, h, k);
      }
    }
  }
}
