/* templates/eltwise/f32-prelu-simd.c: ONNX PRelu, y = x < 0 ? x * slope : x,
 * written once against the SIMD shim and instantiated per target as
 * vitc_f32_prelu_<isa>. Same signature and contract as
 * templates/eltwise/f32-prelu-scalar.c (the broadcasting binary kernels'), and
 * the same walk as the binary kernels (templates/eltwise/x-binary-simd.h): a
 * per-channel slope [C,1,1] of an NCHW map is a scalar for each row of H*W.
 * Bit for bit the scalar kernel (one selection, one rounding). */
#include "../prelude.h"
#include "../simd/shim.h"
#include "f32-prelu-scalar.c"
#include "x-binary-simd.h"

VITC_SIMD_INLINE vf32 VITC_FN(vitc__prelu_v)(vf32 x, vf32 s) {
  return vf32_select(vf32_cmplt(x, vf32_zero()), vf32_mul(x, s), x);
}
VITC_SIMD_INLINE float VITC_FN(vitc__prelu_f32)(float x, float s) { return x < 0 ? x * s : x; }

/* y (dims) = prelu(a (bcast by sa), slope b (bcast by sb)) */
VITC_KERNEL void VITC_FN(vitc_f32_prelu)(int rank, const int *dims, const float *a, const int *sa, const float *b,
                                         const int *sb, float *y) {
  VITC__BIN_SIMD(VITC_FN(vitc__prelu_v), VITC_FN(vitc__prelu_f32));
}
