/* templates/einsum/f32-einsum-simd.c: ONNX Einsum in its general form (the contract of
 * templates/einsum/f32-einsum-scalar.c: letters' sizes, the output's first, and each
 * operand's stride per letter), written once against the SIMD shim and instantiated
 * per target as vitc_f32_einsum_<isa>.
 *
 * The odometer of the scalar kernel walks every letter but one, the vector letter v,
 * whose VITC_LANES consecutive values each step takes at once:
 *   output mode: v is the last output letter (Y's stride 1) and every operand's
 *     stride along it is 0 or 1: each step adds the product of the operands'
 *     vectors (a contiguous load, or one value broadcast) to VITC_LANES outputs.
 *     Batched matrix products ("bij,bjk->bik"), outer products, transposes that
 *     keep the last dim. Bit for bit the scalar kernel: each output's sum runs
 *     over the summed letters in the same order, one multiply and one add a term;
 *   sum mode: otherwise, a summed letter along which every operand's stride is 0
 *     or 1 (attention written "bhid,bhjd->bhij" sums d): each step sums the
 *     products along v in lanes and adds the lanes to its one output (the sum in
 *     another order: within a few ulp times the letter's size);
 *   gather mode: no such letter (a diagonal "bii->bi", a transpose of the last
 *     dim): the last output letter, each operand's lanes gathered by its stride.
 * No scratch. Y must not overlap the operands. */
#include "../prelude.h"
#include "../simd/shim.h"
#include "f32-einsum-scalar.c"

/* operand k's lanes at off along a letter of stride s: n values (the rest 0) */
VITC_SIMD_INLINE vf32 VITC_FN(vitc__ein_lanes)(const float *x, ptrdiff_t off, int s, int n) {
  if (s == 1) return vf32_load_tail(x + off, n);
  if (s == 0) return vf32_set1(x[off]);
  {
    float t[VITC_LANES];
    int r;
    for (r = 0; r < n; r++) t[r] = x[off + (ptrdiff_t)r * s];
    return vf32_load_tail(t, n);
  }
}

/* the product of the operands' lanes j.. (n of them) along v at their offsets off */
VITC_SIMD_INLINE vf32 VITC_FN(vitc__ein_product)(int n_ops, int n_idx, int v, const int *ostr, const float *const *X,
                                                const ptrdiff_t *off, int j, int n) {
  vf32 p = VITC_FN(vitc__ein_lanes)(X[0], off[0] + (ptrdiff_t)j * ostr[v], ostr[v], n);
  int k;
  for (k = 1; k < n_ops; k++)
    p = vf32_mul(p, VITC_FN(vitc__ein_lanes)(X[k], off[k] + (ptrdiff_t)j * ostr[k * n_idx + v], ostr[k * n_idx + v], n));
  return p;
}

VITC_KERNEL void VITC_FN(vitc_f32_einsum)(int n_ops, int n_idx, int out_rank, const int *dims, const int *ostr,
                                          const float *const *X, float *VITC_RESTRICT Y) {
  int idx[16], step[16], l, k, v = -1, sum_mode = 0;
  ptrdiff_t off[8], total = 1, yoff = 0, ystr[16], i;
  const ptrdiff_t ny = vitc__einsum_out_strides(n_idx, out_rank, dims, ystr);
  for (i = 0; i < ny; i++) Y[i] = 0.0f;
  for (l = 0; l < n_idx; l++)
    if (dims[l] == 0) return;
  /* the vector letter: the last output letter if every stride along it is 0 or 1,
   * else a summed letter with that property, else the last output letter (gathers) */
  if (out_rank > 0) {
    int ok = 1;
    for (k = 0; k < n_ops; k++) ok &= ostr[k * n_idx + out_rank - 1] == 0 || ostr[k * n_idx + out_rank - 1] == 1;
    if (ok) v = out_rank - 1;
  }
  for (l = n_idx - 1; v < 0 && l >= out_rank; l--) {
    int ok = 1;
    for (k = 0; k < n_ops; k++) ok &= ostr[k * n_idx + l] == 0 || ostr[k * n_idx + l] == 1;
    if (ok) v = l, sum_mode = 1;
  }
  if (v < 0) v = out_rank > 0 ? out_rank - 1 : n_idx - 1;
  if (v < 0) { /* no letters: one product of scalars */
    float p = X[0][0];
    for (k = 1; k < n_ops; k++) p *= X[k][0];
    Y[0] = p;
    return;
  }
  sum_mode |= v >= out_rank;
  for (l = 0; l < n_idx; l++) {
    idx[l] = 0;
    step[l] = l == v ? 1 : dims[l]; /* the odometer skips v */
    total *= step[l];
  }
  for (k = 0; k < n_ops; k++) off[k] = 0;
  for (i = 0; i < total; i++) {
    int j;
    if (!sum_mode) { /* VITC_LANES outputs along v at once */
      for (j = 0; j < dims[v]; j += VITC_LANES) {
        const int n = dims[v] - j < VITC_LANES ? dims[v] - j : VITC_LANES;
        const vf32 p = VITC_FN(vitc__ein_product)(n_ops, n_idx, v, ostr, X, off, j, n);
        vf32_store_tail(Y + yoff + j, vf32_add(vf32_load_tail(Y + yoff + j, n), p), n);
      }
    } else { /* the sum along v in lanes, added to one output */
      const float zeros[VITC_LANES] = {0.0f};
      const vf32 half = vf32_set1(0.5f), zero = vf32_zero();
      vf32 acc = vf32_zero();
      for (j = 0; j < dims[v]; j += VITC_LANES) {
        const int n = dims[v] - j < VITC_LANES ? dims[v] - j : VITC_LANES;
        const vf32 p = VITC_FN(vitc__ein_product)(n_ops, n_idx, v, ostr, X, off, j, n);
        /* lanes past n: a broadcast operand fills them, so they are masked off */
        acc = vf32_add(acc, n == VITC_LANES ? p : vf32_select(vf32_cmplt(half, vf32_load_tail_fill(zeros, n, 1.0f)), zero, p));
      }
      Y[yoff] += vf32_hsum(acc);
    }
    vitc__einsum_next(n_ops, n_idx, v, dims, ostr, ystr, idx, off, &yoff); /* v stays at 0 */
  }
}
