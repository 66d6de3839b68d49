/* tests/test_rng.h: the tests' random numbers, one xorshift64 generator
 * (Marsaglia, "Xorshift RNGs", 2003: shifts 13, 7, 17) instead of a copy per file.
 *
 * Each file that includes it has its own state, starting at RNG_INIT (define it
 * before the include for another start); rng_seed gives a test data that do not
 * depend on what ran before it. Header-only with no dependency, so the kernel tests'
 * standalone builds (check_gemm.c, check_simd.c ...) include it too. */
#ifndef VITC_TEST_RNG_H
#define VITC_TEST_RNG_H

#include <stdint.h>

#ifndef RNG_INIT
#define RNG_INIT 0x9E3779B97F4A7C15ull
#endif

static uint64_t rng_state = RNG_INIT;

static inline void rng_seed(uint64_t s) { rng_state = s * 0x9E3779B97F4A7C15ull + 1; }

static inline uint64_t rng_u64(void) {
  uint64_t x = rng_state;
  x ^= x << 13;
  x ^= x >> 7;
  x ^= x << 17;
  return rng_state = x;
}

/* uniform in [lo, hi), from the top 24 bits */
static inline float rng_f(float lo, float hi) {
  return lo + (hi - lo) * (float)((double)(rng_u64() >> 40) / (double)(1u << 24));
}

/* uniform in [0, n) */
static inline int rng_int(int n) { return (int)(rng_u64() % (uint64_t)n); }

#endif
