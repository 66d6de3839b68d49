/* templates/simd/bind.h: the generic names of the SIMD shim API.
 *
 * Each shim (scalar.h, avx2.h, avx512.h, neon.h) defines its type and functions
 * under its own prefix (vitc_avx2_add, ...), so several shims can live in one
 * translation unit (tests/check_simd.c tests them all in one program). It then
 * defines VITC_SIMD_ISA (a bare token: simd_scalar, avx2, ...) and includes this file,
 * which maps the generic names that kernels are written against onto that prefix.
 * templates/simd/unbind.h undoes it, so that another shim can be bound next.
 *
 * The API (v: vf32, p: float pointer, n: int, s: float):
 *
 *   vf32                     a vector of VITC_LANES floats (1, 4, 8 or 16)
 *   VITC_FN(name)            name##_<isa>: kernel names, e.g. vitc_f32_softmax_avx2
 *   vf32_load(p)             VITC_LANES floats from p (no alignment needed)
 *   vf32_store(p, v)
 *   vf32_load_tail(p, n)     the first n floats (0 <= n <= VITC_LANES), other lanes 0;
 *                            reads nothing past p[n-1]
 *   vf32_load_tail_fill(p, n, s)  the same with the other lanes s (e.g. -INFINITY for a max)
 *   vf32_store_tail(p, v, n) writes p[0..n) only
 *   vf32_set1(s), vf32_zero()
 *   vf32_add, vf32_sub, vf32_mul, vf32_div (a, b)    correctly rounded, lane by lane
 *   vf32_fma(a, b, c)        a * b + c (fused on avx2/avx512/neon; scalar: as the C
 *                            compiler contracts it)
 *   vf32_max(a, b), vf32_min(a, b)   a > b ? a : b (a < b ? a : b) when neither is NaN;
 *                            with a NaN the result is b or NaN (x86 gives b, neon
 *                            NaN): put the operand whose NaN must survive second
 *   vf32_hsum(v), vf32_hmax(v)   horizontal sum / max as a float (order unspecified)
 *   vf32_round(v)            nearest integer, ties to even
 *   vf32_pow2i(v)            2^v for integral v in [-126, 127] (exact; built in the exponent)
 *   vf32_ldexp(p, n)         p 2^n for integral n in [-126, 126], one rounding (as p * pow2i(n))
 *   vf32_recip(d)            1/d, fast: the ISA's reciprocal estimate refined by Newton
 *                            steps (avx2 < 2^-23, avx512 < 2^-27, neon < 2^-22 relative
 *                            error before rounding; scalar: 1.0f / d)
 *   vf32_exp, vf32_sigmoid, vf32_tanh, vf32_erf (v)   fast math, templates/simd/fastmath.h,
 *                            with their measured maximum errors documented there
 *   VITC_SIMD_FN(act_NAME)(v, a, b)  the GEMM/conv epilogue's activation NAME
 *                            (templates/gemm/f32-gemm-epilogue.c's list), fastmath.h
 *   vm32                     a lane mask (one bit or one all-ones lane per float lane)
 *   vf32_cmplt/cmple/cmpeq(a, b)  a < b, a <= b, a == b per lane as a vm32 (false when
 *                            either is NaN: x != x is vm32_not(vf32_cmpeq(x, x)))
 *   vm32_and, vm32_or (m, m), vm32_not(m)
 *   vf32_select(m, a, b)     m ? a : b per lane (bit for bit the scalar ?:, so kernels
 *                            written with it agree with the reference templates on
 *                            -0, NaN and ties where vf32_max/min would not)
 *   vf32_abs(v), vf32_sqrt(v)    |v| (sign bit cleared), correctly rounded square root
 *   vf32_exponent(v), vf32_mantissa(v)  for a positive normal v = 2^e * m: e as a float and
 *                            m in [1, 2) (the fields of the bits, nothing checked)
 *   vf32_from_u8(p)          VITC_LANES bytes p[0..] as floats (reads exactly VITC_LANES bytes)
 *   vf32_load_even(p)        p[0], p[2], ..., p[2*VITC_LANES-2] (reads 2*VITC_LANES floats)
 *   vf32_store_u8(p, v)      the lanes, integers in [-128, 255], as their low bytes (int8 or
 *                            uint8: two's complement) to p[0..VITC_LANES); other values undefined
 *   vf32_store_u8_tail(p, v, n)  the same to p[0..n) only
 *   vf32_log, vf32_log1p, vf32_expm1, vf32_softplus, vf32_floor, vf32_ceil (v), vf32_pow(a, b)
 *   vf32_sin, vf32_cos, vf32_tan, vf32_asin, vf32_acos, vf32_atan (v)   fastmath.h (Cephes),
 *                            sin/cos/tan for |x| < ~1e5
 *                            fastmath.h, with their measured errors
 */
#define VITC_SIMD_CAT_(a, b) a##b
#define VITC_SIMD_CAT(a, b) VITC_SIMD_CAT_(a, b)
/* vitc_<isa>_<name>: the shim's own functions */
#define VITC_SIMD_FN(name) VITC_SIMD_CAT(VITC_SIMD_CAT(vitc_, VITC_SIMD_ISA), VITC_SIMD_CAT(_, name))
/* <name>_<isa>: kernels instantiated from a shim-based template */
#define VITC_FN(name) VITC_SIMD_CAT(name, VITC_SIMD_CAT(_, VITC_SIMD_ISA))

#define vf32 VITC_SIMD_FN(f32)
#define vf32_load VITC_SIMD_FN(load)
#define vf32_store VITC_SIMD_FN(store)
#define vf32_load_tail VITC_SIMD_FN(load_tail)
#define vf32_load_tail_fill VITC_SIMD_FN(load_tail_fill)
#define vf32_store_tail VITC_SIMD_FN(store_tail)
#define vf32_set1 VITC_SIMD_FN(set1)
#define vf32_zero VITC_SIMD_FN(zero)
#define vf32_add VITC_SIMD_FN(add)
#define vf32_sub VITC_SIMD_FN(sub)
#define vf32_mul VITC_SIMD_FN(mul)
#define vf32_div VITC_SIMD_FN(div)
#define vf32_fma VITC_SIMD_FN(fma)
#define vf32_max VITC_SIMD_FN(max)
#define vf32_min VITC_SIMD_FN(min)
#define vf32_hsum VITC_SIMD_FN(hsum)
#define vf32_hmax VITC_SIMD_FN(hmax)
#define vf32_round VITC_SIMD_FN(round)
#define vf32_pow2i VITC_SIMD_FN(pow2i)
#define vf32_ldexp VITC_SIMD_FN(ldexp)
#define vf32_recip VITC_SIMD_FN(recip)
#define vf32_exp VITC_SIMD_FN(exp)
#define vf32_sigmoid VITC_SIMD_FN(sigmoid)
#define vf32_tanh VITC_SIMD_FN(tanh)
#define vf32_erf VITC_SIMD_FN(erf)
#define vm32 VITC_SIMD_FN(m32)
#define vm32_and VITC_SIMD_FN(mand)
#define vm32_or VITC_SIMD_FN(mor)
#define vm32_not VITC_SIMD_FN(mnot)
#define vf32_cmplt VITC_SIMD_FN(cmplt)
#define vf32_cmple VITC_SIMD_FN(cmple)
#define vf32_cmpeq VITC_SIMD_FN(cmpeq)
#define vf32_select VITC_SIMD_FN(select)
#define vf32_abs VITC_SIMD_FN(abs)
#define vf32_sqrt VITC_SIMD_FN(sqrt)
#define vf32_exponent VITC_SIMD_FN(exponent)
#define vf32_mantissa VITC_SIMD_FN(mantissa)
#define vf32_from_u8 VITC_SIMD_FN(from_u8)
#define vf32_load_even VITC_SIMD_FN(load_even)
#define vf32_store_u8 VITC_SIMD_FN(store_u8)
#define vf32_store_u8_tail VITC_SIMD_FN(store_u8_tail)
#define vf32_log VITC_SIMD_FN(log)
#define vf32_floor VITC_SIMD_FN(floor)
#define vf32_ceil VITC_SIMD_FN(ceil)
#define vf32_pow VITC_SIMD_FN(pow)
#define vf32_log1p VITC_SIMD_FN(log1p)
#define vf32_expm1 VITC_SIMD_FN(expm1)
#define vf32_softplus VITC_SIMD_FN(softplus)
#define vf32_sin VITC_SIMD_FN(sin)
#define vf32_cos VITC_SIMD_FN(cos)
#define vf32_tan VITC_SIMD_FN(tan)
#define vf32_asin VITC_SIMD_FN(asin)
#define vf32_acos VITC_SIMD_FN(acos)
#define vf32_atan VITC_SIMD_FN(atan)
