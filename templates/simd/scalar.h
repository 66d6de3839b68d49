/* templates/simd/scalar.h: the SIMD shim in plain C99, one lane.
 *
 * The reference implementation of the API in templates/simd/bind.h: a vector is
 * one float, loads and stores are assignments, a tail is 0 or 1 element. Kernels
 * written against the shim compile with it on any C99 compiler; tests use it as
 * the lane-by-lane model of the vector shims (same algorithms, same constants).
 * vf32_fma is a * b + c, which the C compiler may or may not fuse.
 *
 * Its ISA token is simd_scalar (functions vitc_simd_scalar_add, kernels
 * vitc_f32_softmax_simd_scalar): the plain "scalar" suffix belongs to the
 * hand-written reference templates (templates/<family>/<stem>-scalar.c), which
 * are what the scalar target uses. */
#ifndef VITC_SIMD_SCALAR_H
#define VITC_SIMD_SCALAR_H

#include "../prelude.h"

#ifndef VITC_SIMD_INLINE
#define VITC_SIMD_INLINE static inline VITC_UNUSED
#endif

typedef float vitc_simd_scalar_f32;

VITC_SIMD_INLINE vitc_simd_scalar_f32 vitc_simd_scalar_load(const float *p) { return *p; }
VITC_SIMD_INLINE void vitc_simd_scalar_store(float *p, vitc_simd_scalar_f32 v) { *p = v; }
VITC_SIMD_INLINE vitc_simd_scalar_f32 vitc_simd_scalar_load_tail(const float *p, int n) { return n > 0 ? *p : 0.0f; }
VITC_SIMD_INLINE vitc_simd_scalar_f32 vitc_simd_scalar_load_tail_fill(const float *p, int n, float fill) {
  return n > 0 ? *p : fill;
}
VITC_SIMD_INLINE void vitc_simd_scalar_store_tail(float *p, vitc_simd_scalar_f32 v, int n) {
  if (n > 0) *p = v;
}
VITC_SIMD_INLINE vitc_simd_scalar_f32 vitc_simd_scalar_set1(float s) { return s; }
VITC_SIMD_INLINE vitc_simd_scalar_f32 vitc_simd_scalar_zero(void) { return 0.0f; }
VITC_SIMD_INLINE vitc_simd_scalar_f32 vitc_simd_scalar_add(vitc_simd_scalar_f32 a, vitc_simd_scalar_f32 b) {
  return a + b;
}
VITC_SIMD_INLINE vitc_simd_scalar_f32 vitc_simd_scalar_sub(vitc_simd_scalar_f32 a, vitc_simd_scalar_f32 b) {
  return a - b;
}
VITC_SIMD_INLINE vitc_simd_scalar_f32 vitc_simd_scalar_mul(vitc_simd_scalar_f32 a, vitc_simd_scalar_f32 b) {
  return a * b;
}
VITC_SIMD_INLINE vitc_simd_scalar_f32 vitc_simd_scalar_div(vitc_simd_scalar_f32 a, vitc_simd_scalar_f32 b) {
  return a / b;
}
VITC_SIMD_INLINE vitc_simd_scalar_f32 vitc_simd_scalar_fma(vitc_simd_scalar_f32 a, vitc_simd_scalar_f32 b,
                                                           vitc_simd_scalar_f32 c) {
  return a * b + c;
}
VITC_SIMD_INLINE vitc_simd_scalar_f32 vitc_simd_scalar_max(vitc_simd_scalar_f32 a, vitc_simd_scalar_f32 b) {
  return a > b ? a : b;
}
VITC_SIMD_INLINE vitc_simd_scalar_f32 vitc_simd_scalar_min(vitc_simd_scalar_f32 a, vitc_simd_scalar_f32 b) {
  return a < b ? a : b;
}
VITC_SIMD_INLINE float vitc_simd_scalar_hsum(vitc_simd_scalar_f32 v) { return v; }
VITC_SIMD_INLINE float vitc_simd_scalar_hmax(vitc_simd_scalar_f32 v) { return v; }
/* rintf rounds in the current mode, which C starts at to-nearest-even. */
VITC_SIMD_INLINE vitc_simd_scalar_f32 vitc_simd_scalar_round(vitc_simd_scalar_f32 v) { return rintf(v); }
VITC_SIMD_INLINE vitc_simd_scalar_f32 vitc_simd_scalar_pow2i(vitc_simd_scalar_f32 v) {
  uint32_t bits;
  float r;
  if (!(v >= -126.0f && v <= 127.0f)) v = 0.0f; /* NaN or out of range: any value, but no UB */
  bits = (uint32_t)((int32_t)v + 127) << 23;
  memcpy(&r, &bits, sizeof r);
  return r;
}

VITC_SIMD_INLINE vitc_simd_scalar_f32 vitc_simd_scalar_recip(vitc_simd_scalar_f32 d) { return 1.0f / d; }
VITC_SIMD_INLINE vitc_simd_scalar_f32 vitc_simd_scalar_ldexp(vitc_simd_scalar_f32 p, vitc_simd_scalar_f32 n) {
  return p * vitc_simd_scalar_pow2i(n);
}
/* masks, selection and bit-level helpers (bind.h: vm32 and below) */
typedef int vitc_simd_scalar_m32;
VITC_SIMD_INLINE int vitc_simd_scalar_cmplt(float a, float b) { return a < b; }
VITC_SIMD_INLINE int vitc_simd_scalar_cmple(float a, float b) { return a <= b; }
VITC_SIMD_INLINE int vitc_simd_scalar_cmpeq(float a, float b) { return a == b; }
VITC_SIMD_INLINE int vitc_simd_scalar_mand(int a, int b) { return a && b; }
VITC_SIMD_INLINE int vitc_simd_scalar_mor(int a, int b) { return a || b; }
VITC_SIMD_INLINE int vitc_simd_scalar_mnot(int a) { return !a; }
VITC_SIMD_INLINE float vitc_simd_scalar_select(int m, float a, float b) { return m ? a : b; }
VITC_SIMD_INLINE float vitc_simd_scalar_abs(float v) { return fabsf(v); }
VITC_SIMD_INLINE float vitc_simd_scalar_sqrt(float v) { return sqrtf(v); }
VITC_SIMD_INLINE float vitc_simd_scalar_exponent(float v) {
  uint32_t bits;
  memcpy(&bits, &v, sizeof bits);
  return (float)((int32_t)((bits >> 23) & 0xffu) - 127);
}
VITC_SIMD_INLINE float vitc_simd_scalar_mantissa(float v) {
  uint32_t bits;
  float r;
  memcpy(&bits, &v, sizeof bits);
  bits = (bits & 0x007fffffu) | 0x3f800000u;
  memcpy(&r, &bits, sizeof r);
  return r;
}
VITC_SIMD_INLINE float vitc_simd_scalar_from_u8(const uint8_t *p) { return (float)*p; }
VITC_SIMD_INLINE float vitc_simd_scalar_load_even(const float *p) { return *p; }
VITC_SIMD_INLINE void vitc_simd_scalar_store_u8(uint8_t *p, float v) { *p = (uint8_t)(int32_t)v; }
VITC_SIMD_INLINE void vitc_simd_scalar_store_u8_tail(uint8_t *p, float v, int n) {
  if (n > 0) *p = (uint8_t)(int32_t)v;
}

#define VITC_SIMD_ISA simd_scalar
#define VITC_LANES 1
#include "bind.h"
#include "fastmath.h"

#endif /* VITC_SIMD_SCALAR_H */
