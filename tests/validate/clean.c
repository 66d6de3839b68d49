/* clean.c: code that keeps every rule, for every target; validate must report nothing.
 * validate: --target scalar
 * validate: --target avx2
 * validate: --target avx512
 * validate: --target neon
 * The constructs are the ones generated bundles use, plus near misses of each
 * rule: const tables of pointers to const, static inline helpers, fixed-size
 * locals, a call chain without a cycle, intrinsics of the target's own ISA. */
#include "clean.h"

#include <float.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#if defined(__AVX2__)
#include <immintrin.h>
#elif defined(__ARM_NEON)
#include <arm_neon.h>
#endif

#pragma GCC diagnostic ignored "-Woverlength-strings"

static const union { unsigned char b[8]; float v[2]; } w_bias = {"\0\0\200?\0\0\0@"};
static const float table[4] = {1.0f, 2.0f, 3.0f, 4.0f};
static const char *const names[] = {"a", "b"};
static const float *const table_ptr = table;
static float (*const unary_ops[2])(float) = {sqrtf, fabsf};
typedef struct Pair { int a, b; } Pair;
static const Pair pairs[2] = {{1, 2}, {3, 4}};
enum { CLEAN_LANES = 8 };

static float clean_twice(float x) { return 2.0f * x; }
static float (*const scalers[1])(float) = {clean_twice};
static inline float clean_leaf(float x) { return x * table[1] + w_bias.v[0]; }
static float clean_middle(float x) { return clean_leaf(x) + scalers[0](x) + unary_ops[0](fabsf(x)) + (float)pairs[1].a; }

/* Calls through pointers of two types: only functions of the called type are
 * reachable, so clean_task -> clean_middle -> scalers[0] is not a cycle. */
static void clean_task(void *ctx, int i) {
  float *y = (float *)ctx;
  y[i] = clean_middle(y[i]);
}
static void (*const clean_tasks[1])(void *, int) = {clean_task};

static void clean_add(const float *a, const float *b, float *y, int n) {
  int i = 0;
#if defined(__AVX512F__)
  for (; i + 16 <= n; i += 16) _mm512_storeu_ps(y + i, _mm512_add_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i)));
#endif
#if defined(__AVX2__)
  for (; i + 8 <= n; i += 8) {
    __m256 s = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_set1_ps(1.0f), _mm256_loadu_ps(b + i));
    _mm256_storeu_ps(y + i, _mm256_permute2f128_ps(s, s, 0x00) );
  }
#elif defined(__ARM_NEON)
  for (; i + 4 <= n; i += 4) vst1q_f32(y + i, vaddq_f32(vld1q_f32(a + i), vld1q_f32(b + i)));
#endif
  for (; i < n; i++) y[i] = a[i] + b[i];
}

int clean_run(const float *in, float *out, int n) {
  float tmp[CLEAN_LANES];
  if (!in || !out || n > CLEAN_LANES) return 1;
  memset(tmp, 0, sizeof tmp);
  clean_add(in, in, tmp, n);
  clean_tasks[0](tmp, 0);
  for (int i = 0; i < n; i++) out[i] = clean_middle(tmp[i]) + (float)strlen(names[i % 2]) + table_ptr[0] + FLT_EPSILON;
  return 0;
}
