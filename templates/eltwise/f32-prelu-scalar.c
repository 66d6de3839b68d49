/* templates/eltwise/f32-prelu-scalar.c: ONNX PRelu, y = x < 0 ? x * slope : x, with
 * x and the slope broadcast to y: the signature of the broadcasting binary
 * kernels (templates/eltwise/x-binary-scalar.c describes the collapsed
 * broadcast: rank, dims, element strides per operand, 0 where broadcast), in a
 * file of its own so that bundles without PRelu do not carry it. */
#ifndef VITC_F32_PRELU_SCALAR_C
#define VITC_F32_PRELU_SCALAR_C

#include "../prelude.h"
#include "x-broadcast.h"

/* y (dims) = prelu(a (bcast by sa), slope b (bcast by sb)) */
VITC_KERNEL void vitc_f32_prelu_scalar(int rank, const int *dims, const float *a, const int *sa, const float *b,
                                       const int *sb, float *y)
{
    VITC_BCAST_WALK(rank, dims, sa, sb, vitc__bcast_none,
        float *yr = y + row_ * n_;
        ptrdiff_t i;
        for (i = 0; i < n_; i++) {
            const float x = a[o0_ + i * i0_], s = b[o1_ + i * i1_];
            yr[i] = x < 0 ? x * s : x;
        });
}

#endif
