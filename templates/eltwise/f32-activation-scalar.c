/* templates/eltwise/f32-activation-scalar.c: the element-wise ops older and
 * convolutional exports bring beyond the transformer set of f32-unary-scalar.c:
 * MobileNetV3's hard_swish, the SELU family, and the trigonometric and rounding
 * functions of ONNX. One signature for all, x (n,) -> y (n,) with two float
 * parameters (unused ones are 0), y == x allowed:
 *
 *   hard_swish        x * max(0, min(1, x/6 + 1/2))
 *   selu (a, g)       g * (x > 0 ? x : a * (exp(x) - 1))
 *   celu (a)          max(0, x) + min(0, a * (exp(x / a) - 1))
 *   thresholded_relu  x > a ? x : 0
 *   softsign          x / (1 + |x|)
 *   mish              x * tanh(softplus(x))
 *   shrink (l, b)     x < -l ? x + b : x > l ? x - b : 0
 *   sign              -1, 0 or 1 (NaN stays NaN)
 *   round             to nearest, ties to even (rintf in the default rounding mode)
 *   sin ... atanh     libm
 *
 * Simple loops that a C compiler vectorizes where it can (hard_swish with -O2
 * and up); the transcendental ones call libm and are rare in vision models. */
#ifndef VITC_F32_ACTIVATION_SCALAR_C
#define VITC_F32_ACTIVATION_SCALAR_C

#include "../prelude.h"

#define VITC__ACTIVATION(NAME, EXPR)                                                                           \
    VITC_KERNEL void vitc_f32_##NAME##_scalar(int n, float p0, float p1, const float *x, float *y)            \
    {                                                                                                           \
        int i;                                                                                                  \
        (void)p0;                                                                                               \
        (void)p1;                                                                                               \
        for (i = 0; i < n; i++) {                                                                               \
            const float v = x[i];                                                                               \
            y[i] = (EXPR);                                                                                      \
        }                                                                                                       \
    }

static inline float vitc__clamp01(float v) { return v < 0.0f ? 0.0f : v > 1.0f ? 1.0f : v; }

VITC__ACTIVATION(hard_swish, v * vitc__clamp01(v * (1.0f / 6.0f) + 0.5f))
VITC__ACTIVATION(selu, v > 0.0f ? p1 * v : p1 * (p0 * expm1f(v)))
VITC__ACTIVATION(celu, (v > 0.0f ? v : 0.0f) + (p0 * expm1f(v / p0) < 0.0f ? p0 * expm1f(v / p0) : 0.0f))
VITC__ACTIVATION(thresholded_relu, v > p0 ? v : 0.0f)
VITC__ACTIVATION(softsign, v / (1.0f + fabsf(v)))
VITC__ACTIVATION(mish, v * tanhf(v > 0.0f ? v + log1pf(expf(-v)) : log1pf(expf(v))))
VITC__ACTIVATION(shrink, v < -p0 ? v + p1 : v > p0 ? v - p1 : 0.0f)
VITC__ACTIVATION(sign, v > 0.0f ? 1.0f : v < 0.0f ? -1.0f : v == 0.0f ? 0.0f : v)
VITC__ACTIVATION(round, rintf(v))
VITC__ACTIVATION(sin, sinf(v))
VITC__ACTIVATION(cos, cosf(v))
VITC__ACTIVATION(tan, tanf(v))
VITC__ACTIVATION(asin, asinf(v))
VITC__ACTIVATION(acos, acosf(v))
VITC__ACTIVATION(atan, atanf(v))
VITC__ACTIVATION(sinh, sinhf(v))
VITC__ACTIVATION(cosh, coshf(v))
VITC__ACTIVATION(asinh, asinhf(v))
VITC__ACTIVATION(acosh, acoshf(v))
VITC__ACTIVATION(atanh, atanhf(v))

#undef VITC__ACTIVATION

#endif /* VITC_F32_ACTIVATION_SCALAR_C */
