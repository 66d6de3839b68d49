/* templates/eltwise/f32-unary-scalar.c: float32 elementwise activations and math.
 *
 * Every kernel here is y[i] = f(x[i]) over a flat run of n floats. The compiler
 * only ever calls these on contiguous buffers (an elementwise op has the same
 * shape in and out, so layout does not matter), which keeps the loops trivially
 * vectorizable where f is simple (relu, abs, clip, ...) and a plain libm call per
 * element where it is not (expf, erff, tanhf).
 *
 * Accuracy: transcendental kernels use the single-precision libm functions,
 * which is what ONNX Runtime's reference CPU kernels compute as well, so results
 * agree with it to about 1e-6 relative. Where a textbook formula loses digits we
 * use the stable form instead (softplus via log1pf, elu via expm1f).
 *
 * NaN: comparisons are written so that a NaN input gives a NaN output (relu,
 * leaky_relu, clip, hard_sigmoid), like ONNX Runtime.
 *
 * In place: y == x is allowed for every kernel (each element is read before it
 * is written and nothing else is read). Partial overlap is not.
 *
 * Contract for all: x (n,) -> y (n,), n >= 0. Signatures follow the other
 * kernel families: sizes, then attributes, then inputs, then the output. */
#ifndef VITC_F32_UNARY_SCALAR_C
#define VITC_F32_UNARY_SCALAR_C

#include "../prelude.h"

/* relu: y = max(x, 0) */
VITC_KERNEL void vitc_f32_relu_scalar(int n, const float *x, float *y) {
  for (int i = 0; i < n; i++) {
    float v = x[i];
    y[i] = v < 0.0f ? 0.0f : v;
  }
}

/* sigmoid: y = 1 / (1 + exp(-x)); saturates to 0 / 1 without overflow trouble */
VITC_KERNEL void vitc_f32_sigmoid_scalar(int n, const float *x, float *y) {
  for (int i = 0; i < n; i++) y[i] = 1.0f / (1.0f + expf(-x[i]));
}

/* tanh */
VITC_KERNEL void vitc_f32_tanh_scalar(int n, const float *x, float *y) {
  for (int i = 0; i < n; i++) y[i] = tanhf(x[i]);
}

/* erf */
VITC_KERNEL void vitc_f32_erf_scalar(int n, const float *x, float *y) {
  for (int i = 0; i < n; i++) y[i] = erff(x[i]);
}

/* exp */
VITC_KERNEL void vitc_f32_exp_scalar(int n, const float *x, float *y) {
  for (int i = 0; i < n; i++) y[i] = expf(x[i]);
}

/* log (natural); log(0) = -inf, log(<0) = NaN */
VITC_KERNEL void vitc_f32_log_scalar(int n, const float *x, float *y) {
  for (int i = 0; i < n; i++) y[i] = logf(x[i]);
}

/* sqrt; sqrt(<0) = NaN */
VITC_KERNEL void vitc_f32_sqrt_scalar(int n, const float *x, float *y) {
  for (int i = 0; i < n; i++) y[i] = sqrtf(x[i]);
}

/* neg: y = -x */
VITC_KERNEL void vitc_f32_neg_scalar(int n, const float *x, float *y) {
  for (int i = 0; i < n; i++) y[i] = -x[i];
}

/* abs */
VITC_KERNEL void vitc_f32_abs_scalar(int n, const float *x, float *y) {
  for (int i = 0; i < n; i++) y[i] = fabsf(x[i]);
}

/* reciprocal: y = 1 / x (1/0 = inf) */
VITC_KERNEL void vitc_f32_reciprocal_scalar(int n, const float *x, float *y) {
  for (int i = 0; i < n; i++) y[i] = 1.0f / x[i];
}

/* floor */
VITC_KERNEL void vitc_f32_floor_scalar(int n, const float *x, float *y) {
  for (int i = 0; i < n; i++) y[i] = floorf(x[i]);
}

/* ceil */
VITC_KERNEL void vitc_f32_ceil_scalar(int n, const float *x, float *y) {
  for (int i = 0; i < n; i++) y[i] = ceilf(x[i]);
}

/* softplus: y = log(1 + exp(x)), computed as max(x,0) + log1p(exp(-|x|)) so that
 * large |x| neither overflows nor loses the small tail. */
VITC_KERNEL void vitc_f32_softplus_scalar(int n, const float *x, float *y) {
  for (int i = 0; i < n; i++) {
    float v = x[i];
    float m = v > 0.0f ? v : 0.0f;
    y[i] = m + log1pf(expf(-fabsf(v)));
  }
}

/* leaky_relu: y = x < 0 ? alpha * x : x (ONNX default alpha = 0.01) */
VITC_KERNEL void vitc_f32_leaky_relu_scalar(int n, float alpha, const float *x, float *y) {
  for (int i = 0; i < n; i++) {
    float v = x[i];
    y[i] = v < 0.0f ? alpha * v : v;
  }
}

/* clip: y = min(max(x, lo), hi). ONNX Clip without min/max passes -FLT_MAX /
 * FLT_MAX (or +-INFINITY). If lo > hi every element becomes hi, as in ONNX
 * Runtime. NaN stays NaN. */
VITC_KERNEL void vitc_f32_clip_scalar(int n, float lo, float hi, const float *x, float *y) {
  for (int i = 0; i < n; i++) {
    float v = x[i];
    v = v < lo ? lo : v;
    y[i] = v > hi ? hi : v;
  }
}

/* gelu (exact, ONNX Gelu approximate="none"): y = 0.5 x (1 + erf(x / sqrt(2))) */
VITC_KERNEL void vitc_f32_gelu_scalar(int n, const float *x, float *y) {
  const float inv_sqrt2 = 0.70710678118654752440f;
  for (int i = 0; i < n; i++) {
    float v = x[i];
    y[i] = 0.5f * v * (1.0f + erff(v * inv_sqrt2));
  }
}

/* gelu (tanh approximation, ONNX Gelu approximate="tanh"):
 * y = 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) */
VITC_KERNEL void vitc_f32_gelu_tanh_scalar(int n, const float *x, float *y) {
  const float k = 0.79788456080286535588f; /* sqrt(2/pi) */
  for (int i = 0; i < n; i++) {
    float v = x[i];
    y[i] = 0.5f * v * (1.0f + tanhf(k * (v + 0.044715f * v * v * v)));
  }
}

/* silu (swish): y = x * sigmoid(x) = x / (1 + exp(-x)) */
VITC_KERNEL void vitc_f32_silu_scalar(int n, const float *x, float *y) {
  for (int i = 0; i < n; i++) {
    float v = x[i];
    y[i] = v / (1.0f + expf(-v));
  }
}

/* hard_sigmoid: y = max(0, min(1, alpha * x + beta)) (ONNX defaults alpha = 0.2,
 * beta = 0.5; HardSwish-style exports use alpha = 1/6). */
VITC_KERNEL void vitc_f32_hard_sigmoid_scalar(int n, float alpha, float beta, const float *x, float *y) {
  for (int i = 0; i < n; i++) {
    float v = alpha * x[i] + beta;
    v = v < 0.0f ? 0.0f : v;
    y[i] = v > 1.0f ? 1.0f : v;
  }
}

/* elu: y = x < 0 ? alpha * (exp(x) - 1) : x (ONNX default alpha = 1); expm1f keeps
 * the digits near 0. */
VITC_KERNEL void vitc_f32_elu_scalar(int n, float alpha, const float *x, float *y) {
  for (int i = 0; i < n; i++) {
    float v = x[i];
    y[i] = v < 0.0f ? alpha * expm1f(v) : v;
  }
}

#endif /* VITC_F32_UNARY_SCALAR_C */
