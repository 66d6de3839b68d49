/* templates/eltwise/x-cast-scalar.c: ONNX Cast between the element types a
 * bundle can hold.
 *
 * One entry point takes the ONNX type codes of both sides and dispatches once
 * per call to a typed loop (the emitter passes constants, so after inlining only
 * one loop is left). Types: float32 (1), uint8 (2), int8 (3), int32 (6),
 * int64 (7), bool (9, one byte 0/1), float64 (11).
 *
 * Semantics, following ONNX and ONNX Runtime where they define them and never
 * invoking C undefined behaviour where they do not:
 *   float -> int    truncates toward zero; NaN gives 0 and values outside the
 *                   target range saturate to its min / max (C leaves both
 *                   undefined; ONNX Runtime gives whatever the CPU does).
 *   int -> narrower int   wraps modulo 2^bits (two's complement), like a C cast.
 *   int -> float, float64 -> float32   round to nearest (C conversion).
 *   x -> bool       x != 0 (so NaN -> 1).
 *   bool -> x       0 or 1; any nonzero source byte counts as 1.
 *   same type       a plain copy.
 *
 * Contract: vitc_x_cast_scalar(n, from, x, to, y): x (n,) of type `from` ->
 * y (n,) of type `to`, n >= 0. y and x must not
 * overlap unless y == x and both types have the same size. Unknown type codes
 * leave y untouched (the compiler never emits them). */
#ifndef VITC_X_CAST_SCALAR_C
#define VITC_X_CAST_SCALAR_C

#include "../prelude.h"

/* float (promoted to double, exactly) -> int, truncating and saturating */
static inline int64_t vitc__cast_f2i64(double v) {
  if (v != v) return 0;
  if (v >= 9223372036854775808.0) return INT64_MAX;
  if (v < -9223372036854775808.0) return INT64_MIN;
  return (int64_t)v;
}
static inline int32_t vitc__cast_f2i32(double v) {
  if (v != v) return 0;
  if (v >= 2147483648.0) return INT32_MAX;
  if (v <= -2147483649.0) return INT32_MIN;
  return (int32_t)v;
}
static inline int8_t vitc__cast_f2i8(double v) {
  if (v != v) return 0;
  if (v >= 128.0) return INT8_MAX;
  if (v <= -129.0) return INT8_MIN;
  return (int8_t)v;
}
static inline uint8_t vitc__cast_f2u8(double v) {
  if (v != v) return 0;
  if (v >= 256.0) return UINT8_MAX;
  if (v <= -1.0) return 0;
  return (uint8_t)v;
}
/* int -> narrower signed int, wrapping without implementation-defined casts */
static inline int32_t vitc__cast_wrap_i32(int64_t v) {
  uint32_t u = (uint32_t)(uint64_t)v;
  return u < 0x80000000u ? (int32_t)u : (int32_t)(u - 0x80000000u) + INT32_MIN;
}
static inline int8_t vitc__cast_wrap_i8(int64_t v) {
  unsigned u = (unsigned)(uint8_t)(uint64_t)v;
  return (int8_t)(u < 128u ? (int)u : (int)u - 256);
}

/* One loop per (source, destination) pair. CONV(v) is the converted value of
 * the source element v. */
#define VITC_CAST_LOOP(TS, TD, CONV)                           \
  do {                                                         \
    const TS *xs_ = (const TS *)x;                             \
    TD *yd_ = (TD *)y;                                         \
    for (int i_ = 0; i_ < n; i_++) {                        \
      TS v = xs_[i_];                                          \
      yd_[i_] = (TD)(CONV);                                    \
    }                                                          \
  } while (0)

/* The destination switch for a float source type TS. */
#define VITC_CAST_FROM_FLOAT(TS)                                                  \
  switch (to) {                                                                   \
  case 1: VITC_CAST_LOOP(TS, float, v); break;                                    \
  case 2: VITC_CAST_LOOP(TS, uint8_t, vitc__cast_f2u8((double)v)); break;          \
  case 3: VITC_CAST_LOOP(TS, int8_t, vitc__cast_f2i8((double)v)); break;           \
  case 6: VITC_CAST_LOOP(TS, int32_t, vitc__cast_f2i32((double)v)); break;         \
  case 7: VITC_CAST_LOOP(TS, int64_t, vitc__cast_f2i64((double)v)); break;         \
  case 9: VITC_CAST_LOOP(TS, uint8_t, v != 0); break;                             \
  case 11: VITC_CAST_LOOP(TS, double, v); break;                                  \
  default: break;                                                                 \
  }

/* The destination switch for an integer source type TS; NORM(v) maps the raw
 * source value to its numeric value (identity, or v != 0 for bool). */
#define VITC_CAST_FROM_INT(TS, NORM)                                              \
  switch (to) {                                                                   \
  case 1: VITC_CAST_LOOP(TS, float, NORM(v)); break;                              \
  case 2: VITC_CAST_LOOP(TS, uint8_t, (uint8_t)(uint64_t)(int64_t)NORM(v)); break; \
  case 3: VITC_CAST_LOOP(TS, int8_t, vitc__cast_wrap_i8((int64_t)NORM(v))); break;  \
  case 6: VITC_CAST_LOOP(TS, int32_t, vitc__cast_wrap_i32((int64_t)NORM(v))); break; \
  case 7: VITC_CAST_LOOP(TS, int64_t, NORM(v)); break;                            \
  case 9: VITC_CAST_LOOP(TS, uint8_t, v != 0); break;                             \
  case 11: VITC_CAST_LOOP(TS, double, NORM(v)); break;                            \
  default: break;                                                                 \
  }

#define VITC_CAST_ID(v) (v)
#define VITC_CAST_BOOL(v) ((v) != 0)

VITC_KERNEL void vitc_x_cast_scalar(int n, int from, const void *x, int to, void *y) {
  if (to == from) {
    size_t size = 0;
    switch (to) {
    case 2: case 3: case 9: size = 1; break;
    case 1: case 6: size = 4; break;
    case 7: case 11: size = 8; break;
    default: break;
    }
    if (y != x && n > 0) memmove(y, x, (size_t)n * size);
    if (to == 9) { /* normalize bool bytes to 0/1 */
      uint8_t *b = (uint8_t *)y;
      for (int i = 0; i < n; i++) b[i] = (uint8_t)(b[i] != 0);
    }
    return;
  }
  switch (from) {
  case 1: VITC_CAST_FROM_FLOAT(float) break;
  case 11: VITC_CAST_FROM_FLOAT(double) break;
  case 2: VITC_CAST_FROM_INT(uint8_t, VITC_CAST_ID) break;
  case 3: VITC_CAST_FROM_INT(int8_t, VITC_CAST_ID) break;
  case 6: VITC_CAST_FROM_INT(int32_t, VITC_CAST_ID) break;
  case 7: VITC_CAST_FROM_INT(int64_t, VITC_CAST_ID) break;
  case 9: VITC_CAST_FROM_INT(uint8_t, VITC_CAST_BOOL) break;
  default: break;
  }
}

#undef VITC_CAST_LOOP
#undef VITC_CAST_FROM_FLOAT
#undef VITC_CAST_FROM_INT
#undef VITC_CAST_ID
#undef VITC_CAST_BOOL

#endif /* VITC_X_CAST_SCALAR_C */
