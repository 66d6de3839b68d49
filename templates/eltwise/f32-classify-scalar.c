/* templates/eltwise/f32-classify-scalar.c: ONNX IsInf and IsNaN, float32 in,
 * bool (one byte, 0 or 1) out, portable scalar C.
 *
 * The tests are written on the bits' meaning without math.h's classification
 * macros: x != x is true only for NaN, and an infinity is the one value that
 * stays equal to itself times 2 while not being 0 (a bundle is built without
 * -ffast-math, which would break both). */
#ifndef VITC_F32_CLASSIFY_SCALAR_C
#define VITC_F32_CLASSIFY_SCALAR_C

#include "../prelude.h"

/* Y[i] = X[i] is +inf (with detect_positive) or -inf (with detect_negative). */
VITC_KERNEL void vitc_f32_isinf_scalar(ptrdiff_t n, int detect_positive, int detect_negative,
                                       const float *VITC_RESTRICT X, uint8_t *VITC_RESTRICT Y)
{
    ptrdiff_t i;
    for (i = 0; i < n; i++) {
        const float x = X[i];
        const int inf = x == x && x != 0.0f && x * 2.0f == x;
        Y[i] = (uint8_t)(inf && ((x > 0.0f && detect_positive) || (x < 0.0f && detect_negative)));
    }
}

/* Y[i] = X[i] is NaN. */
VITC_KERNEL void vitc_f32_isnan_scalar(ptrdiff_t n, const float *VITC_RESTRICT X, uint8_t *VITC_RESTRICT Y)
{
    ptrdiff_t i;
    for (i = 0; i < n; i++) Y[i] = (uint8_t)(X[i] != X[i]);
}

#endif /* VITC_F32_CLASSIFY_SCALAR_C */
