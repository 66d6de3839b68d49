/* templates/einsum/f32-einsum-scalar.c: ONNX Einsum in its general form,
 * portable scalar C.
 *
 * The compiler parses the equation and hands the kernel numbers only: n_idx
 * index letters with their sizes dims[0..n_idx), the output's letters first
 * (out_rank of them, in output order), the summed ones after; and for each of
 * the n_ops operands its stride per letter, ostr[op * n_idx + l] (0 where the
 * operand lacks the letter; a letter repeated in one operand, a diagonal, adds
 * its strides). The kernel walks every combination of the letters with an
 * odometer, multiplies the operands' elements and adds the product into the
 * output element of the output letters:
 *
 *   Y[out letters] = sum over the summed letters of prod_op X_op[...]
 *
 * That is each form of Einsum at once (transposes, diagonals, sums, inner,
 * outer and batched matrix products), at the cost of a naive loop; the sums are
 * in float in the order of the summed letters, as a naive matmul would.
 *
 * No scratch. n_idx <= 16, n_ops <= 8. Y must not overlap the operands. */
#ifndef VITC_F32_EINSUM_SCALAR_C
#define VITC_F32_EINSUM_SCALAR_C

#include "../prelude.h"

/* Y's stride per letter (row-major over the output letters, 0 for the summed ones);
 * returns Y's element count. */
static inline VITC_UNUSED ptrdiff_t vitc__einsum_out_strides(int n_idx, int out_rank, const int *dims, ptrdiff_t *ystr)
{
    ptrdiff_t s = 1;
    int l;
    for (l = n_idx - 1; l >= 0; l--) {
        ystr[l] = l < out_rank ? s : 0;
        if (l < out_rank) s *= dims[l];
    }
    return s;
}

/* One step of the odometer over the letters (last fastest), letter `skip` left at 0
 * (-1: none): moves the output offset *yoff and each operand's offset off[k]. */
static inline VITC_UNUSED void vitc__einsum_next(int n_ops, int n_idx, int skip, const int *dims, const int *ostr,
                                                 const ptrdiff_t *ystr, int *idx, ptrdiff_t *off, ptrdiff_t *yoff)
{
    int l, k;
    for (l = n_idx - 1; l >= 0; l--) {
        if (l == skip) continue;
        *yoff += ystr[l];
        for (k = 0; k < n_ops; k++) off[k] += ostr[k * n_idx + l];
        if (++idx[l] < dims[l]) return;
        *yoff -= ystr[l] * dims[l];
        for (k = 0; k < n_ops; k++) off[k] -= ostr[k * n_idx + l] * dims[l];
        idx[l] = 0;
    }
}

VITC_KERNEL void vitc_f32_einsum_scalar(int n_ops, int n_idx, int out_rank, const int *dims, const int *ostr,
                                        const float *const *X, float *VITC_RESTRICT Y)
{
    int idx[16], l, k;
    ptrdiff_t off[8], total = 1, yoff = 0, ystr[16], i;
    const ptrdiff_t ny = vitc__einsum_out_strides(n_idx, out_rank, dims, ystr);
    for (l = 0; l < n_idx; l++) {
        idx[l] = 0;
        total *= dims[l];
    }
    for (i = 0; i < ny; i++) Y[i] = 0.0f;
    if (total == 0) return;
    for (k = 0; k < n_ops; k++) off[k] = 0;
    for (i = 0; i < total; i++) {
        float p = X[0][off[0]];
        for (k = 1; k < n_ops; k++) p *= X[k][off[k]];
        Y[yoff] += p;
        vitc__einsum_next(n_ops, n_idx, -1, dims, ostr, ystr, idx, off, &yoff);
    }
}

#endif /* VITC_F32_EINSUM_SCALAR_C */
