/* bench/fma_peak.c: the fp32 fused multiply-add peak of one core, the "100%" of
 * docs/PERFORMANCE.md's "% of peak" column.
 *
 *   cc -O2 -march=native -std=c99 bench/fma_peak.c -o $TMPDIR/fma_peak && $TMPDIR/fma_peak
 *
 * Runs 12 independent FMA chains on the widest vectors the compiler targets
 * (AVX-512, AVX2+FMA or NEON): enough to cover a 4-cycle FMA latency on two
 * pipes, few enough that they and the two operands fit AVX2's and AArch32's 16
 * vector registers. No memory traffic. and prints the best GFLOP/s of 7 timed runs
 * (2 flops per lane per FMA). A GEMM cannot beat this number. */
#define _POSIX_C_SOURCE 199309L
#include <stdio.h>
#include <time.h>

#if defined(__AVX512F__)
#include <immintrin.h>
typedef __m512 vec;
#define LANES 16
#define SET1(x) _mm512_set1_ps(x)
#define FMA(a, b, c) _mm512_fmadd_ps(a, b, c)
#define ISA "avx512"
static float first(vec v) { return _mm512_cvtss_f32(v); }
#elif defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
typedef __m256 vec;
#define LANES 8
#define SET1(x) _mm256_set1_ps(x)
#define FMA(a, b, c) _mm256_fmadd_ps(a, b, c)
#define ISA "avx2"
static float first(vec v) { return _mm256_cvtss_f32(v); }
#elif defined(__ARM_NEON) && (defined(__aarch64__) || defined(__ARM_FEATURE_FMA))
#include <arm_neon.h>
typedef float32x4_t vec;
#define LANES 4
#define SET1(x) vdupq_n_f32(x)
#define FMA(a, b, c) vfmaq_f32(c, a, b)
#define ISA "neon"
static float first(vec v) { return vgetq_lane_f32(v, 0); }
#else
#error "fma_peak: build for a CPU with vector FMA (-march=native on x86 with AVX2 or AVX-512, or AArch64)"
#endif

#define CHAINS 12

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int main(void) {
  const long iters = 20000000;
  double best = 0.0;
  float sink = 0.0f;
  for (int run = 0; run < 7; run++) {
    const vec a = SET1(0.999999f), b = SET1(1e-7f);
    /* 12 named accumulators, written out so that they stay in registers */
    vec c0 = SET1(0), c1 = SET1(1), c2 = SET1(2), c3 = SET1(3), c4 = SET1(4), c5 = SET1(5), c6 = SET1(6),
        c7 = SET1(7), c8 = SET1(8), c9 = SET1(9), c10 = SET1(10), c11 = SET1(11);
    double t0 = now();
    for (long i = 0; i < iters; i++) {
      c0 = FMA(c0, a, b), c1 = FMA(c1, a, b), c2 = FMA(c2, a, b), c3 = FMA(c3, a, b);
      c4 = FMA(c4, a, b), c5 = FMA(c5, a, b), c6 = FMA(c6, a, b), c7 = FMA(c7, a, b);
      c8 = FMA(c8, a, b), c9 = FMA(c9, a, b), c10 = FMA(c10, a, b), c11 = FMA(c11, a, b);
    }
    double secs = now() - t0;
    sink += first(c0) + first(c1) + first(c2) + first(c3) + first(c4) + first(c5) + first(c6) + first(c7) +
            first(c8) + first(c9) + first(c10) + first(c11);
    double gflops = 2.0 * LANES * CHAINS * (double)iters / secs / 1e9;
    if (gflops > best) best = gflops;
  }
  printf("%s fp32 FMA peak, one core: %.1f GFLOP/s (checksum %g)\n", ISA, best, (double)sink);
  return 0;
}
