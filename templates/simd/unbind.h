/* templates/simd/unbind.h: forget the bound shim's generic names (templates/simd/bind.h),
 * so that another shim can be bound in the same translation unit. Only tests need
 * this; a model file binds one shim. The shims' own prefixed functions stay. */
#undef VITC_SIMD_ISA
#undef VITC_LANES
#undef VITC_SIMD_CAT_
#undef VITC_SIMD_CAT
#undef VITC_SIMD_FN
#undef VITC_FN
#undef vf32
#undef vf32_load
#undef vf32_store
#undef vf32_load_tail
#undef vf32_load_tail_fill
#undef vf32_store_tail
#undef vf32_set1
#undef vf32_zero
#undef vf32_add
#undef vf32_sub
#undef vf32_mul
#undef vf32_div
#undef vf32_fma
#undef vf32_max
#undef vf32_min
#undef vf32_hsum
#undef vf32_hmax
#undef vf32_round
#undef vf32_pow2i
#undef vf32_ldexp
#undef vf32_recip
#undef vf32_exp
#undef vf32_sigmoid
#undef vf32_tanh
#undef vf32_erf
