/* templates/reduce/f32-reduce-simd.c: the Reduce family of
 * templates/reduce/f32-reduce-scalar.c (Sum, Mean, Max, Min, Prod, SumSquare,
 * L1, L2, LogSum, LogSumExp over any axes), written once against the SIMD shim
 * and instantiated per target as vitc_f32_reduce_<isa>. Same signature, plan
 * (vitc__f32_reduce_plan_scalar merges the axes) and semantics: Max/Min skip NaN,
 * LogSumExp is shifted by each output's maximum (kept in `work`).
 *
 * After merging, X is read once in memory order (the scalar template's walk and
 * entry-point body, vitc__f32_reduce_walk and vitc__f32_reduce_fold_all, given
 * this file's row loops), and each contiguous run is one of two vector loops:
 *   the last merged axis is reduced  a row folds into one output: VITC_LANES
 *                                    partial results (two vectors for sums), the
 *                                    tail loaded with the op's identity, then one
 *                                    horizontal fold;
 *   the last merged axis is kept     Y[j] op= X[j] over the row, lane by lane.
 * Max and Min select as the scalar kernel does (`v > m ? v : m`) and so agree with
 * it exactly; sums and products group their terms differently (lanes), so they
 * agree to rounding (a few ulp of the sum of magnitudes), and exp is vf32_exp
 * (1 ulp) and log vf32_log in the post-step of LogSum/LogSumExp.
 *
 * No scratch beyond `work`. Y must not overlap X. */
#include "../prelude.h"
#include "../simd/shim.h"
#include "f32-reduce-scalar.c"

/* v mapped before folding: x*x, |x|, exp(x - shift), or x */
VITC_SIMD_INLINE vf32 VITC_FN(vitc__reduce_pre)(int op, vf32 v, vf32 shift) {
  return op == VITC__REDUCE_SUM_SQUARE || op == VITC__REDUCE_L2 ? vf32_mul(v, v)
         : op == VITC__REDUCE_L1                                ? vf32_abs(v)
         : op == VITC__REDUCE_LOG_SUM_EXP                       ? vf32_exp(vf32_sub(v, shift))
                                                                : v;
}

/* y op= a: max and min as the scalar fold (NaN in a never wins), product, or sum */
VITC_SIMD_INLINE vf32 VITC_FN(vitc__reduce_fold)(int op, vf32 y, vf32 a) {
  return op == VITC__REDUCE_MAX    ? vf32_select(vf32_cmplt(y, a), a, y)
         : op == VITC__REDUCE_MIN  ? vf32_select(vf32_cmplt(a, y), a, y)
         : op == VITC__REDUCE_PROD ? vf32_mul(y, a)
                                   : vf32_add(y, a);
}

/* the op's identity: what masked-off lanes hold */
VITC_SIMD_INLINE float VITC_FN(vitc__reduce_identity)(int op) {
  return op == VITC__REDUCE_MAX ? -INFINITY : op == VITC__REDUCE_MIN ? INFINITY : op == VITC__REDUCE_PROD ? 1.0f : 0.0f;
}

/* Fold x[0..n) into one value (pre-mapped with shift, not post-mapped). */
VITC_SIMD_INLINE float VITC_FN(vitc__reduce_row)(int op, const float *VITC_RESTRICT x, ptrdiff_t n, float shift) {
  const float id = VITC_FN(vitc__reduce_identity)(op);
  /* LogSumExp: exp(-inf - shift) = 0 in masked lanes */
  const float fill = op == VITC__REDUCE_LOG_SUM_EXP ? -INFINITY : id;
  const vf32 vs = vf32_set1(shift);
  vf32 a0 = vf32_set1(id), a1 = vf32_set1(id);
  float lanes[VITC_LANES], r;
  ptrdiff_t i;
  int l;
  for (i = 0; i + 2 * VITC_LANES <= n; i += 2 * VITC_LANES) {
    a0 = VITC_FN(vitc__reduce_fold)(op, a0, VITC_FN(vitc__reduce_pre)(op, vf32_load(x + i), vs));
    a1 = VITC_FN(vitc__reduce_fold)(op, a1, VITC_FN(vitc__reduce_pre)(op, vf32_load(x + i + VITC_LANES), vs));
  }
  for (; i + VITC_LANES <= n; i += VITC_LANES)
    a0 = VITC_FN(vitc__reduce_fold)(op, a0, VITC_FN(vitc__reduce_pre)(op, vf32_load(x + i), vs));
  if (i < n)
    a1 = VITC_FN(vitc__reduce_fold)(
        op, a1, VITC_FN(vitc__reduce_pre)(op, vf32_load_tail_fill(x + i, (int)(n - i), fill), vs));
  a0 = VITC_FN(vitc__reduce_fold)(op, a0, a1);
  if (op == VITC__REDUCE_MAX) return vf32_hmax(a0); /* no lane holds NaN */
  if (op != VITC__REDUCE_MIN && op != VITC__REDUCE_PROD) return vf32_hsum(a0);
  vf32_store(lanes, a0);
  r = lanes[0];
  for (l = 1; l < VITC_LANES; l++) r = op == VITC__REDUCE_MIN ? (lanes[l] < r ? lanes[l] : r) : r * lanes[l];
  return r;
}

/* The rows of vitc__f32_reduce_walk (vitc__reduce_row_fn): a row folds into *y ... */
VITC_SIMD_INLINE void VITC_FN(vitc__reduce_into)(int op, const float *VITC_RESTRICT x, ptrdiff_t n,
                                                 float *VITC_RESTRICT y, const float *VITC_RESTRICT shift) {
  const float r = VITC_FN(vitc__reduce_row)(op, x, n, shift ? vitc__f32_reduce_shift(shift[0]) : 0.0f);
  *y = shift ? *y + r : vitc__f32_reduce_fold_scalar(op, *y, r);
}

/* ... or y[j] op= x[j] over the row, lane by lane */
VITC_SIMD_INLINE void VITC_FN(vitc__reduce_across)(int op, const float *VITC_RESTRICT x, ptrdiff_t n,
                                                   float *VITC_RESTRICT y, const float *VITC_RESTRICT shift) {
  ptrdiff_t j;
  for (j = 0; j < n; j += VITC_LANES) {
    const int k = n - j < VITC_LANES ? (int)(n - j) : VITC_LANES;
    vf32 vs = vf32_zero(), a;
    if (shift) {
      int l;
      float sh[VITC_LANES];
      for (l = 0; l < k; l++) sh[l] = vitc__f32_reduce_shift(shift[j + l]);
      vs = vf32_load_tail(sh, k);
    }
    a = VITC_FN(vitc__reduce_fold)(op, vf32_load_tail(y + j, k),
                                   VITC_FN(vitc__reduce_pre)(op, vf32_load_tail(x + j, k), vs));
    if (k == VITC_LANES) vf32_store(y + j, a);
    else vf32_store_tail(y + j, a, k);
  }
}

/* Y = op over the axes d with reduce_mask[d] != 0 of X; work: one float per
 * element of Y for LogSumExp, else unused (vitc_f32_reduce_scalar's contract) */
VITC_KERNEL void VITC_FN(vitc_f32_reduce)(int op, int rank, const int *dims, const int *reduce_mask,
                                          const float *VITC_RESTRICT X, float *VITC_RESTRICT Y,
                                          float *VITC_RESTRICT work) {
  vitc_reduce_plan p;
  ptrdiff_t j;
  if (!vitc__f32_reduce_fold_all(op, rank, dims, reduce_mask, X, Y, work, VITC_FN(vitc__reduce_into),
                                 VITC_FN(vitc__reduce_across), &p))
    return;
  /* post-map: mean, sqrt, log (+ the shift), VITC_LANES at a time */
  for (j = 0; j < p.ny; j += VITC_LANES) {
    const int k = p.ny - j < VITC_LANES ? (int)(p.ny - j) : VITC_LANES;
    vf32 v = vf32_load_tail(Y + j, k);
    if (op == VITC__REDUCE_MEAN) v = vf32_div(v, vf32_set1((float)p.count));
    else if (op == VITC__REDUCE_L2) v = vf32_sqrt(v);
    else if (op == VITC__REDUCE_LOG_SUM) v = vf32_log(v);
    else {
      int l;
      float sh[VITC_LANES];
      for (l = 0; l < k; l++) sh[l] = vitc__f32_reduce_shift(work[j + l]);
      v = vf32_add(vf32_log(v), vf32_load_tail(sh, k));
    }
    if (k == VITC_LANES) vf32_store(Y + j, v);
    else vf32_store_tail(Y + j, v, k);
  }
}
