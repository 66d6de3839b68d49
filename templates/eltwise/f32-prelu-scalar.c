/* templates/eltwise/f32-prelu-scalar.c: ONNX PRelu, y = x < 0 ? x * slope : x, with
 * x and the slope broadcast to y: the signature of the broadcasting binary
 * kernels (templates/eltwise/x-binary-scalar.c describes the collapsed
 * broadcast: rank, dims, element strides per operand, 0 where broadcast), in a
 * file of its own so that bundles without PRelu do not carry it. */
#ifndef VITC_F32_PRELU_SCALAR_C
#define VITC_F32_PRELU_SCALAR_C

#include "../prelude.h"

/* y (dims) = prelu(a (bcast by sa), slope b (bcast by sb)) */
VITC_KERNEL void vitc_f32_prelu_scalar(int rank, const int *dims, const float *a, const int *sa, const float *b,
                                       const int *sb, float *y)
{
    int idx[VITC_MAX_RANK], d;
    ptrdiff_t n = rank > 0 ? dims[rank - 1] : 1, rows = 1, oa = 0, ob = 0, row, i;
    ptrdiff_t ia = rank > 0 ? sa[rank - 1] : 0, ib = rank > 0 ? sb[rank - 1] : 0;
    for (d = 0; d < rank - 1; d++) {
        rows *= dims[d];
        idx[d] = 0;
    }
    if (n <= 0 || rows <= 0) return;
    for (row = 0; row < rows; row++) {
        float *yr = y + row * n;
        for (i = 0; i < n; i++) {
            const float x = a[oa + i * ia], s = b[ob + i * ib];
            yr[i] = x < 0 ? x * s : x;
        }
        for (d = rank - 2; d >= 0; d--) { /* odometer over the outer dims */
            oa += sa[d];
            ob += sb[d];
            if (++idx[d] < dims[d]) break;
            oa -= (ptrdiff_t)sa[d] * dims[d];
            ob -= (ptrdiff_t)sb[d] * dims[d];
            idx[d] = 0;
        }
    }
}

#endif
