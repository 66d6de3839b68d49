/* tests/check_kern_eltwise.c: the scalar elementwise kernels against naive
 * references.
 *
 *   gcc -std=c99 -O2 -Wall -Wextra -I templates tests/check_kern_eltwise.c \
 *       $(pkg-config --cflags --libs check) -lm -o $TMPDIR/ce && $TMPDIR/ce
 *
 * The templates are included directly, so this also checks that the three
 * eltwise templates paste into one translation unit without clashing.
 * References are written the slow obvious way: unary math in double precision,
 * broadcasting by unravelling every output index, casts by range reasoning. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>

#include "check_runner.h"
#include "test_rng.h"

#include "eltwise/f32-unary-scalar.c"
#include "eltwise/x-binary-scalar.c"
#include "eltwise/x-cast-scalar.c"

/* ------------------------------------------------------------------------ */
/* helpers */

static int64_t rng_i64(int64_t lo, int64_t hi) { /* [lo, hi] */
  return lo + (int64_t)(rng_u64() % (uint64_t)(hi - lo + 1));
}

/* close: both NaN, equal (covers infinities), or within rel 1e-5 plus abs atol */
static int close_f32(float got, double want, double atol) {
  if (isnan(want)) return isnan(got);
  if (isinf(want)) return (double)got == want;
  return fabs((double)got - want) <= 1e-5 * fabs(want) + atol;
}

static int same_f32(float a, float b) { /* bitwise-meaningful equality, NaN == NaN */
  if (isnan(a) || isnan(b)) return isnan(a) && isnan(b);
  return a == b && signbit(a) == signbit(b);
}

/* ------------------------------------------------------------------------ */
/* unary */

typedef enum {
  U_RELU, U_SIGMOID, U_TANH, U_ERF, U_EXP, U_LOG, U_SQRT, U_NEG, U_ABS, U_RECIP, U_FLOOR, U_CEIL,
  U_SOFTPLUS, U_LEAKY, U_CLIP, U_GELU, U_GELU_TANH, U_SILU, U_HSIG, U_ELU, U_COUNT
} UnaryOp;

static const char *const unary_names[U_COUNT] = {
  "relu", "sigmoid", "tanh", "erf", "exp", "log", "sqrt", "neg", "abs", "reciprocal", "floor", "ceil",
  "softplus", "leaky_relu", "clip", "gelu", "gelu_tanh", "silu", "hard_sigmoid", "elu"};

static void run_unary(UnaryOp op, float *y, const float *x, size_t nn) {
  const int n = (int)nn;
  switch (op) {
  case U_RELU: vitc_f32_relu_scalar(n, x, y); break;
  case U_SIGMOID: vitc_f32_sigmoid_scalar(n, x, y); break;
  case U_TANH: vitc_f32_tanh_scalar(n, x, y); break;
  case U_ERF: vitc_f32_erf_scalar(n, x, y); break;
  case U_EXP: vitc_f32_exp_scalar(n, x, y); break;
  case U_LOG: vitc_f32_log_scalar(n, x, y); break;
  case U_SQRT: vitc_f32_sqrt_scalar(n, x, y); break;
  case U_NEG: vitc_f32_neg_scalar(n, x, y); break;
  case U_ABS: vitc_f32_abs_scalar(n, x, y); break;
  case U_RECIP: vitc_f32_reciprocal_scalar(n, x, y); break;
  case U_FLOOR: vitc_f32_floor_scalar(n, x, y); break;
  case U_CEIL: vitc_f32_ceil_scalar(n, x, y); break;
  case U_SOFTPLUS: vitc_f32_softplus_scalar(n, x, y); break;
  case U_LEAKY: vitc_f32_leaky_relu_scalar(n, 0.1f, x, y); break;
  case U_CLIP: vitc_f32_clip_scalar(n, -0.75f, 1.25f, x, y); break;
  case U_GELU: vitc_f32_gelu_scalar(n, x, y); break;
  case U_GELU_TANH: vitc_f32_gelu_tanh_scalar(n, x, y); break;
  case U_SILU: vitc_f32_silu_scalar(n, x, y); break;
  case U_HSIG: vitc_f32_hard_sigmoid_scalar(n, 1.0f / 6.0f, 0.5f, x, y); break;
  case U_ELU: vitc_f32_elu_scalar(n, 1.3f, x, y); break;
  default: ck_abort_msg("bad op"); break;
  }
}

static double ref_unary(UnaryOp op, double x) {
  switch (op) {
  case U_RELU: return x > 0 ? x : (x != x ? x : 0.0);
  case U_SIGMOID: return 1.0 / (1.0 + exp(-x));
  case U_TANH: return tanh(x);
  case U_ERF: return erf(x);
  case U_EXP: return exp(x);
  case U_LOG: return log(x);
  case U_SQRT: return sqrt(x);
  case U_NEG: return -x;
  case U_ABS: return fabs(x);
  case U_RECIP: return 1.0 / x;
  case U_FLOOR: return floor(x);
  case U_CEIL: return ceil(x);
  case U_SOFTPLUS: return x > 30 ? x : log1p(exp(x));
  case U_LEAKY: return x < 0 ? 0.1 * x : x;
  case U_CLIP: return x != x ? x : x < -0.75 ? -0.75 : x > 1.25 ? 1.25 : x;
  case U_GELU: return 0.5 * x * (1.0 + erf(x / sqrt(2.0)));
  case U_GELU_TANH: return 0.5 * x * (1.0 + tanh(sqrt(2.0 / 3.14159265358979323846) * (x + 0.044715 * x * x * x)));
  case U_SILU: return x / (1.0 + exp(-x));
  case U_HSIG: {
    double v = x / 6.0 + 0.5;
    return v != v ? v : v < 0 ? 0 : v > 1 ? 1 : v;
  }
  case U_ELU: return x < 0 ? 1.3 * expm1(x) : x;
  default: return 0;
  }
}

/* the input range each op is tested on (beyond that, special values below) */
static void unary_range(UnaryOp op, float *lo, float *hi) {
  *lo = -8.0f;
  *hi = 8.0f;
  if (op == U_LOG || op == U_SQRT) *lo = 1e-6f, *hi = 1e4f;
  if (op == U_EXP) *lo = -80.0f, *hi = 80.0f;
  if (op == U_SOFTPLUS || op == U_SIGMOID || op == U_SILU || op == U_ELU) *lo = -40.0f, *hi = 40.0f;
}

START_TEST(test_unary_random) {
  static const size_t sizes[] = {0, 1, 3, 7, 16, 33, 1001};
  float x[1001], y[1001], z[1001];
  for (int op = 0; op < U_COUNT; op++) {
    float lo, hi;
    unary_range((UnaryOp)op, &lo, &hi);
    for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
      size_t n = sizes[si];
      for (size_t i = 0; i < n; i++) x[i] = rng_f(lo, hi);
      for (size_t i = 0; i < n; i++) y[i] = 12345.0f; /* sentinel */
      y[n < 1001 ? n : 1000] = 777.0f;
      run_unary((UnaryOp)op, y, x, n);
      for (size_t i = 0; i < n; i++) {
        double want = ref_unary((UnaryOp)op, (double)x[i]);
        ck_assert_msg(close_f32(y[i], want, 1e-6), "%s(%.9g) = %.9g, want %.9g", unary_names[op], (double)x[i],
                      (double)y[i], want);
      }
      if (n < 1001) ck_assert_msg(y[n] == 777.0f, "%s wrote past n", unary_names[op]);
      /* in place gives the same bits */
      memcpy(z, x, n * sizeof(float));
      run_unary((UnaryOp)op, z, z, n);
      for (size_t i = 0; i < n; i++)
        ck_assert_msg(same_f32(z[i], y[i]), "%s in place differs at %zu", unary_names[op], i);
    }
  }
}
END_TEST

START_TEST(test_unary_special) {
  const float sv[] = {0.0f, -0.0f, 1.0f, -1.0f, 1e-30f, -1e-30f, 1e30f, -1e30f, INFINITY, -INFINITY, NAN};
  const size_t n = sizeof sv / sizeof sv[0];
  float y[16];
  for (int op = 0; op < U_COUNT; op++) {
    run_unary((UnaryOp)op, y, sv, n);
    for (size_t i = 0; i < n; i++) {
      double xv = sv[i], want;
      /* the reference runs the same formulas in double, so gelu(-inf) and
       * silu(-inf) are NaN (-inf * 0) on both sides, as in ONNX Runtime */
      want = ref_unary((UnaryOp)op, xv);
      if (op == U_SOFTPLUS && isinf(xv)) want = xv > 0 ? INFINITY : 0.0;
      ck_assert_msg(close_f32(y[i], want, 1e-6), "%s(%g) = %.9g, want %.9g", unary_names[op], xv, (double)y[i],
                    want);
    }
    /* NaN in, NaN out, for every op */
    ck_assert_msg(isnan(y[n - 1]), "%s(NaN) is not NaN", unary_names[op]);
  }
  /* a few exact identities */
  vitc_f32_relu_scalar((int)n, sv, y);
  ck_assert(y[1] == 0.0f && y[3] == 0.0f && y[8] == INFINITY && y[9] == 0.0f);
  vitc_f32_sigmoid_scalar((int)n, sv, y);
  ck_assert(y[8] == 1.0f && y[9] == 0.0f && y[0] == 0.5f);
  vitc_f32_clip_scalar((int)n, 2.0f, 1.0f, sv, y); /* lo > hi: everything (but NaN) becomes hi */
  for (size_t i = 0; i + 1 < n; i++) ck_assert(y[i] == 1.0f);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* broadcasting description shared by the binary and where tests */

typedef struct {
  int rank;
  int out[VITC_MAX_RANK];
  int in[3][VITC_MAX_RANK]; /* numpy-aligned input dims (1 = broadcast) */
} Bcast;

static size_t numel(int rank, const int *d) {
  size_t n = 1;
  for (int i = 0; i < rank; i++) n *= (size_t)d[i];
  return n;
}

/* kernel strides of input k: dense strides of its own dims, 0 where it is 1 */
static void bc_strides(const Bcast *bc, int k, int *st) {
  int s = 1;
  for (int d = bc->rank - 1; d >= 0; d--) {
    st[d] = bc->in[k][d] == 1 ? 0 : s;
    s *= bc->in[k][d];
  }
}

/* flat index in input k of output element `flat`, by unravelling */
static size_t bc_index(const Bcast *bc, int k, size_t flat) {
  size_t idx = 0, mul = 1;
  for (int d = bc->rank - 1; d >= 0; d--) {
    size_t i = flat % (size_t)bc->out[d];
    flat /= (size_t)bc->out[d];
    if (bc->in[k][d] != 1) idx += i * mul;
    mul *= (size_t)bc->in[k][d];
  }
  return idx;
}

/* Build a case from numpy dims (right-aligned, shorter ranks padded with 1). */
static Bcast bc_make(int rank, const int *out, int ra, const int *a, int rb, const int *b, int rc, const int *c) {
  Bcast bc;
  memset(&bc, 0, sizeof bc);
  bc.rank = rank;
  for (int d = 0; d < rank; d++) {
    bc.out[d] = out[d];
    bc.in[0][d] = d - (rank - ra) >= 0 ? a[d - (rank - ra)] : 1;
    bc.in[1][d] = d - (rank - rb) >= 0 ? b[d - (rank - rb)] : 1;
    bc.in[2][d] = c && d - (rank - rc) >= 0 ? c[d - (rank - rc)] : 1;
  }
  return bc;
}

/* The patterns every binary op is run on. */
#define NPAT 14
static Bcast pattern(int p) {
  static const int d_197_192[] = {197, 192}, d_192[] = {192}, d_7_33[] = {7, 33}, d_1[] = {1};
  static const int d_6_11[] = {6, 11}, d_6_1[] = {6, 1}, d_345[] = {3, 4, 5}, d_315[] = {3, 1, 5};
  static const int d_456[] = {4, 5, 6}, d_416[] = {4, 1, 6}, d_151[] = {1, 5, 1};
  static const int d_r6[] = {2, 3, 1, 4, 3, 5}, d_r6b[] = {1, 3, 2, 4, 1, 5}, d_r6o[] = {2, 3, 2, 4, 3, 5};
  static const int d_17[] = {17}, d_0[] = {0, 5}, d_05[] = {5};
  static const int d_2_1_9[] = {2, 1, 9}, d_2_8_1[] = {2, 8, 1}, d_2_8_9[] = {2, 8, 9};
  switch (p) {
  case 0: return bc_make(2, d_7_33, 2, d_7_33, 2, d_7_33, 0, NULL);           /* same shape */
  case 1: return bc_make(2, d_7_33, 2, d_7_33, 0, NULL, 0, NULL);             /* scalar right */
  case 2: return bc_make(2, d_7_33, 0, NULL, 2, d_7_33, 0, NULL);             /* scalar left */
  case 3: return bc_make(2, d_197_192, 2, d_197_192, 1, d_192, 0, NULL);      /* bias row */
  case 4: return bc_make(2, d_6_11, 2, d_6_11, 2, d_6_1, 0, NULL);            /* column */
  case 5: return bc_make(2, d_6_11, 2, d_6_1, 2, d_6_11, 0, NULL);            /* column left */
  case 6: return bc_make(3, d_345, 3, d_345, 3, d_315, 0, NULL);              /* middle dim */
  case 7: return bc_make(3, d_456, 3, d_416, 3, d_151, 0, NULL);              /* both sides */
  case 8: return bc_make(0, NULL, 0, NULL, 0, NULL, 0, NULL);                 /* rank 0 */
  case 9: return bc_make(6, d_r6o, 6, d_r6, 6, d_r6b, 0, NULL);               /* rank 6 mixed */
  case 10: return bc_make(1, d_17, 1, d_17, 1, d_1, 0, NULL);                 /* [17] op [1] */
  case 11: return bc_make(2, d_0, 2, d_0, 1, d_05, 0, NULL);                  /* empty */
  case 12: return bc_make(3, d_2_8_9, 3, d_2_1_9, 3, d_2_8_1, 0, NULL);       /* outer product-ish */
  case 13: return bc_make(1, d_1, 1, d_1, 0, NULL, 0, NULL);                  /* one element */
  default: return bc_make(0, NULL, 0, NULL, 0, NULL, 0, NULL);
  }
}

#define MAXN (197 * 192 + 16)
static float fa[MAXN], fb[MAXN], fy[MAXN], fz[MAXN];
static int64_t ia_[MAXN], ib_[MAXN], iy[MAXN], iz[MAXN];
static uint8_t ua[MAXN], ub[MAXN], uy[MAXN];

/* ------------------------------------------------------------------------ */
/* float32 binary */

typedef enum { F_ADD, F_SUB, F_MUL, F_DIV, F_POW, F_MAX, F_MIN, F_FMOD, F_COUNT } F32Op;
static const char *const f32_names[F_COUNT] = {"add", "sub", "mul", "div", "pow", "max", "min", "fmod"};
typedef void (*F32Kernel)(int, const int *, const float *, const int *, const float *, const int *, float *);
static const F32Kernel f32_kernels[F_COUNT] = {vitc_f32_add_scalar, vitc_f32_sub_scalar, vitc_f32_mul_scalar,
                                               vitc_f32_div_scalar, vitc_f32_pow_scalar, vitc_f32_max_scalar,
                                               vitc_f32_min_scalar, vitc_f32_fmod_scalar};

static float ref_f32(F32Op op, float a, float b) {
  switch (op) {
  case F_ADD: return a + b;
  case F_SUB: return a - b;
  case F_MUL: return a * b;
  case F_DIV: return a / b;
  case F_POW: return powf(a, b);
  case F_MAX: return isnan(a) || isnan(b) ? NAN : a > b ? a : b;
  case F_MIN: return isnan(a) || isnan(b) ? NAN : a < b ? a : b;
  case F_FMOD: return fmodf(a, b);
  default: return 0;
  }
}

static void fill_f32(float *v, size_t n, F32Op op, int right) {
  for (size_t i = 0; i < n; i++) {
    if (op == F_POW) v[i] = right ? rng_f(-3.0f, 3.0f) : rng_f(0.01f, 4.0f);
    else if (op == F_DIV || op == F_FMOD) v[i] = right ? rng_f(0.5f, 3.0f) * (rng_u64() & 1 ? 1.f : -1.f)
                                                      : rng_f(-10.0f, 10.0f);
    else v[i] = (float)rng_i64(-4, 4) * 0.5f; /* small grid so max/min/compares hit ties */
  }
}

static void check_f32_case(F32Op op, const Bcast *bc, int inplace) {
  int sa[VITC_MAX_RANK], sb[VITC_MAX_RANK];
  size_t n = numel(bc->rank, bc->out), na = numel(bc->rank, bc->in[0]), nb = numel(bc->rank, bc->in[1]);
  fill_f32(fa, na, op, 0);
  fill_f32(fb, nb, op, 1);
  if (op == F_MAX || op == F_MIN) {
    if (na > 2) fa[na / 2] = NAN;
    if (nb > 3) fb[nb / 3] = NAN;
  }
  bc_strides(bc, 0, sa);
  bc_strides(bc, 1, sb);
  for (size_t i = 0; i < n; i++) fz[i] = ref_f32(op, fa[bc_index(bc, 0, i)], fb[bc_index(bc, 1, i)]);
  fy[n] = 4242.0f;
  if (inplace == 1 && na == n) { /* y == a */
    f32_kernels[op](bc->rank, bc->out, fa, sa, fb, sb, fa);
    memcpy(fy, fa, n * sizeof(float));
  } else if (inplace == 2 && nb == n) { /* y == b */
    f32_kernels[op](bc->rank, bc->out, fa, sa, fb, sb, fb);
    memcpy(fy, fb, n * sizeof(float));
  } else {
    f32_kernels[op](bc->rank, bc->out, fa, sa, fb, sb, fy);
    ck_assert_msg(fy[n] == 4242.0f, "%s wrote past the output", f32_names[op]);
  }
  for (size_t i = 0; i < n; i++) {
    int ok = op == F_POW ? close_f32(fy[i], fz[i], 0) : same_f32(fy[i], fz[i]);
    ck_assert_msg(ok, "f32 %s rank %d inplace %d: y[%zu] = %.9g, want %.9g", f32_names[op], bc->rank, inplace, i,
                  (double)fy[i], (double)fz[i]);
  }
}

START_TEST(test_f32_binary) {
  for (int op = 0; op < F_COUNT; op++)
    for (int p = 0; p < NPAT; p++) {
      Bcast bc = pattern(p);
      for (int inplace = 0; inplace < 3; inplace++) check_f32_case((F32Op)op, &bc, inplace);
    }
}
END_TEST

/* A transposed (strided, neither 0 nor 1) operand takes the general loop. */
START_TEST(test_f32_binary_strided) {
  const int dims[2] = {5, 7}, sa[2] = {1, 5}, sb[2] = {7, 1}; /* a is a [7,5] buffer read transposed */
  for (int i = 0; i < 35; i++) fa[i] = (float)i, fb[i] = (float)(100 * i);
  vitc_f32_sub_scalar(2, dims, fa, sa, fb, sb, fy);
  for (int r = 0; r < 5; r++)
    for (int c = 0; c < 7; c++) ck_assert(fy[r * 7 + c] == fa[c * 5 + r] - fb[r * 7 + c]);
  /* and both operands strided */
  {
    const int sb2[2] = {1, 5};
    vitc_f32_add_scalar(2, dims, fa, sa, fb, sb2, fy);
    for (int r = 0; r < 5; r++)
      for (int c = 0; c < 7; c++) ck_assert(fy[r * 7 + c] == fa[c * 5 + r] + fb[c * 5 + r]);
  }
}
END_TEST

/* Pow's exact fast paths agree with the math and with powf's special values. */
START_TEST(test_f32_pow_fast) {
  const float xs[] = {0.0f, -0.0f, 1.0f, -1.0f, 2.5f, -3.25f, 1e-20f, 1e20f, 3e38f, INFINITY, -INFINITY, NAN,
                      0.1f, 7.0f, 1.1754944e-38f};
  const int n = (int)(sizeof xs / sizeof xs[0]);
  const int dims[1] = {n}, s1[1] = {1}, s0[1] = {0};
  float e;
  e = 2.0f;
  vitc_f32_pow_scalar(1, dims, xs, s1, &e, s0, fy);
  for (int i = 0; i < n; i++) {
    ck_assert_msg(same_f32(fy[i], xs[i] * xs[i]), "pow(%g, 2)", (double)xs[i]);
    ck_assert_msg(close_f32(fy[i], (double)powf(xs[i], 2.0f), 0), "pow(%g, 2) vs powf", (double)xs[i]);
  }
  e = 0.5f;
  vitc_f32_pow_scalar(1, dims, xs, s1, &e, s0, fy);
  for (int i = 0; i < n; i++)
    ck_assert_msg(same_f32(fy[i], powf(xs[i], 0.5f)), "pow(%g, 0.5) = %g, powf says %g", (double)xs[i],
                  (double)fy[i], (double)powf(xs[i], 0.5f));
  e = 3.0f; /* general path */
  vitc_f32_pow_scalar(1, dims, xs, s1, &e, s0, fy);
  for (int i = 0; i < n; i++) ck_assert(same_f32(fy[i], powf(xs[i], 3.0f)));
  /* empty output: b (here NULL) is never read */
  {
    const int d0[1] = {0};
    vitc_f32_pow_scalar(1, d0, xs, s1, NULL, s0, fy);
  }
  /* y == a == b */
  {
    float v[5] = {1.5f, -2.0f, 3.0f, 0.0f, -0.5f};
    const int d5[1] = {5};
    vitc_f32_mul_scalar(1, d5, v, s1, v, s1, v);
    ck_assert(v[0] == 2.25f && v[1] == 4.0f && v[2] == 9.0f && v[3] == 0.0f && v[4] == 0.25f);
  }
  /* rank 0 */
  e = 2.0f;
  {
    float a = -3.0f, out = 0;
    vitc_f32_pow_scalar(0, NULL, &a, NULL, &e, NULL, &out);
    ck_assert(out == 9.0f);
  }
}
END_TEST

/* ------------------------------------------------------------------------ */
/* int64 binary */

typedef enum { I_ADD, I_SUB, I_MUL, I_DIV, I_MOD, I_FMOD, I_MAX, I_MIN, I_COUNT } I64Op;
static const char *const i64_names[I_COUNT] = {"add", "sub", "mul", "div", "mod", "fmod", "max", "min"};
typedef void (*I64Kernel)(int, const int *, const int64_t *, const int *, const int64_t *, const int *,
                          int64_t *);
static const I64Kernel i64_kernels[I_COUNT] = {vitc_i64_add_scalar, vitc_i64_sub_scalar, vitc_i64_mul_scalar,
                                               vitc_i64_div_scalar, vitc_i64_mod_scalar, vitc_i64_fmod_scalar,
                                               vitc_i64_max_scalar, vitc_i64_min_scalar};

static int64_t ref_i64(I64Op op, int64_t a, int64_t b) {
  switch (op) {
  case I_ADD: return (int64_t)((uint64_t)a + (uint64_t)b);
  case I_SUB: return (int64_t)((uint64_t)a - (uint64_t)b);
  case I_MUL: return (int64_t)((uint64_t)a * (uint64_t)b);
  case I_DIV:
    if (b == 0) return 0;
    if (a == INT64_MIN && b == -1) return INT64_MIN;
    return a / b;
  case I_MOD: { /* floor modulo: a - floor(a/b)*b */
    int64_t q, r;
    if (b == 0 || b == -1) return 0;
    q = a / b;
    if ((a % b != 0) && ((a < 0) != (b < 0))) q -= 1;
    r = (int64_t)((uint64_t)a - (uint64_t)q * (uint64_t)b); /* exact: |r| < |b| */
    return r;
  }
  case I_FMOD:
    if (b == 0 || b == -1) return 0;
    return a % b;
  case I_MAX: return a > b ? a : b;
  case I_MIN: return a < b ? a : b;
  default: return 0;
  }
}

static int64_t rand_i64_value(void) {
  static const int64_t special[] = {0, 1, -1, 2, -2, 7, -7, INT64_MAX, INT64_MIN, 1000000007, -3};
  if (rng_u64() % 4 == 0) return special[rng_u64() % (sizeof special / sizeof special[0])];
  return rng_i64(-50, 50);
}

START_TEST(test_i64_binary) {
  for (int op = 0; op < I_COUNT; op++)
    for (int p = 0; p < NPAT; p++) {
      Bcast bc = pattern(p);
      int sa[VITC_MAX_RANK], sb[VITC_MAX_RANK];
      size_t n = numel(bc.rank, bc.out), na = numel(bc.rank, bc.in[0]), nb = numel(bc.rank, bc.in[1]);
      for (size_t i = 0; i < na; i++) ia_[i] = rand_i64_value();
      for (size_t i = 0; i < nb; i++) ib_[i] = rand_i64_value();
      bc_strides(&bc, 0, sa);
      bc_strides(&bc, 1, sb);
      for (size_t i = 0; i < n; i++) iz[i] = ref_i64((I64Op)op, ia_[bc_index(&bc, 0, i)], ib_[bc_index(&bc, 1, i)]);
      i64_kernels[op](bc.rank, bc.out, ia_, sa, ib_, sb, iy);
      for (size_t i = 0; i < n; i++)
        ck_assert_msg(iy[i] == iz[i], "i64 %s pattern %d: y[%zu] = %lld, want %lld (a %lld b %lld)", i64_names[op],
                      p, i, (long long)iy[i], (long long)iz[i], (long long)ia_[bc_index(&bc, 0, i)],
                      (long long)ib_[bc_index(&bc, 1, i)]);
      if (na == n) { /* in place on a */
        i64_kernels[op](bc.rank, bc.out, ia_, sa, ib_, sb, ia_);
        ck_assert(memcmp(ia_, iz, n * sizeof(int64_t)) == 0);
      }
    }
  /* spot checks of the documented semantics */
  {
    const int dims[1] = {6}, s1[1] = {1};
    const int64_t a[6] = {7, -7, 7, -7, INT64_MIN, 5}, b[6] = {3, 3, -3, -3, -1, 0};
    int64_t y[6];
    vitc_i64_div_scalar(1, dims, a, s1, b, s1, y);
    ck_assert(y[0] == 2 && y[1] == -2 && y[2] == -2 && y[3] == 2 && y[4] == INT64_MIN && y[5] == 0);
    vitc_i64_mod_scalar(1, dims, a, s1, b, s1, y);
    ck_assert(y[0] == 1 && y[1] == 2 && y[2] == -2 && y[3] == -1 && y[4] == 0 && y[5] == 0);
    vitc_i64_fmod_scalar(1, dims, a, s1, b, s1, y);
    ck_assert(y[0] == 1 && y[1] == -1 && y[2] == 1 && y[3] == -1 && y[4] == 0 && y[5] == 0);
  }
}
END_TEST

/* ------------------------------------------------------------------------ */
/* comparisons and logic */

typedef void (*CmpF32)(int, const int *, const float *, const int *, const float *, const int *, uint8_t *);
typedef void (*CmpI64)(int, const int *, const int64_t *, const int *, const int64_t *, const int *, uint8_t *);
typedef void (*Logic)(int, const int *, const uint8_t *, const int *, const uint8_t *, const int *, uint8_t *);

static int ref_cmp(int op, double a, double b) {
  switch (op) {
  case 0: return a == b;
  case 1: return a < b;
  case 2: return a > b;
  case 3: return a <= b;
  default: return a >= b;
  }
}
static int ref_cmp_i(int op, int64_t a, int64_t b) {
  switch (op) {
  case 0: return a == b;
  case 1: return a < b;
  case 2: return a > b;
  case 3: return a <= b;
  default: return a >= b;
  }
}

START_TEST(test_compare) {
  static const CmpF32 cf[5] = {vitc_f32_equal_scalar, vitc_f32_less_scalar, vitc_f32_greater_scalar,
                               vitc_f32_less_or_equal_scalar, vitc_f32_greater_or_equal_scalar};
  static const CmpI64 ci[5] = {vitc_i64_equal_scalar, vitc_i64_less_scalar, vitc_i64_greater_scalar,
                               vitc_i64_less_or_equal_scalar, vitc_i64_greater_or_equal_scalar};
  for (int op = 0; op < 5; op++)
    for (int p = 0; p < NPAT; p++) {
      Bcast bc = pattern(p);
      int sa[VITC_MAX_RANK], sb[VITC_MAX_RANK];
      size_t n = numel(bc.rank, bc.out), na = numel(bc.rank, bc.in[0]), nb = numel(bc.rank, bc.in[1]);
      bc_strides(&bc, 0, sa);
      bc_strides(&bc, 1, sb);
      fill_f32(fa, na, F_ADD, 0);
      fill_f32(fb, nb, F_ADD, 1);
      if (na > 1) fa[1] = NAN;
      for (size_t i = 0; i < na; i++) ia_[i] = rng_i64(-3, 3);
      for (size_t i = 0; i < nb; i++) ib_[i] = rng_i64(-3, 3);
      if (nb > 0) ib_[0] = INT64_MIN;
      memset(uy, 0xAA, n + 1);
      cf[op](bc.rank, bc.out, fa, sa, fb, sb, uy);
      for (size_t i = 0; i < n; i++)
        ck_assert_msg(uy[i] == ref_cmp(op, fa[bc_index(&bc, 0, i)], fb[bc_index(&bc, 1, i)]),
                      "f32 cmp %d pattern %d at %zu", op, p, i);
      ck_assert(uy[n] == 0xAA);
      ci[op](bc.rank, bc.out, ia_, sa, ib_, sb, uy);
      for (size_t i = 0; i < n; i++)
        ck_assert_msg(uy[i] == ref_cmp_i(op, ia_[bc_index(&bc, 0, i)], ib_[bc_index(&bc, 1, i)]),
                      "i64 cmp %d pattern %d at %zu", op, p, i);
    }
}
END_TEST

START_TEST(test_logic) {
  static const Logic lk[3] = {vitc_bool_and_scalar, vitc_bool_or_scalar, vitc_bool_xor_scalar};
  for (int op = 0; op < 3; op++)
    for (int p = 0; p < NPAT; p++) {
      Bcast bc = pattern(p);
      int sa[VITC_MAX_RANK], sb[VITC_MAX_RANK];
      size_t n = numel(bc.rank, bc.out), na = numel(bc.rank, bc.in[0]), nb = numel(bc.rank, bc.in[1]);
      bc_strides(&bc, 0, sa);
      bc_strides(&bc, 1, sb);
      for (size_t i = 0; i < na; i++) ua[i] = (uint8_t)(rng_u64() % 3); /* 2 counts as true */
      for (size_t i = 0; i < nb; i++) ub[i] = (uint8_t)(rng_u64() % 2);
      lk[op](bc.rank, bc.out, ua, sa, ub, sb, uy);
      for (size_t i = 0; i < n; i++) {
        int a = ua[bc_index(&bc, 0, i)] != 0, b = ub[bc_index(&bc, 1, i)] != 0;
        int want = op == 0 ? (a && b) : op == 1 ? (a || b) : (a != b);
        ck_assert_msg(uy[i] == want, "logic %d pattern %d at %zu", op, p, i);
      }
    }
  {
    uint8_t x[5] = {0, 1, 2, 0, 255};
    vitc_bool_not_scalar(5, x, x);
    ck_assert(x[0] == 1 && x[1] == 0 && x[2] == 0 && x[3] == 1 && x[4] == 0);
  }
}
END_TEST

/* ------------------------------------------------------------------------ */
/* where */

static void check_where(const Bcast *bc, size_t elem, int inplace) {
  static unsigned char a[MAXN * 12], b[MAXN * 12], y[MAXN * 12 + 8], z[MAXN * 12];
  static uint8_t c[MAXN];
  int sc[VITC_MAX_RANK], sa[VITC_MAX_RANK], sb[VITC_MAX_RANK];
  size_t n = numel(bc->rank, bc->out), na = numel(bc->rank, bc->in[0]), nb = numel(bc->rank, bc->in[1]),
         nc = numel(bc->rank, bc->in[2]);
  bc_strides(bc, 0, sa);
  bc_strides(bc, 1, sb);
  bc_strides(bc, 2, sc);
  for (size_t i = 0; i < na * elem; i++) a[i] = (unsigned char)rng_u64();
  for (size_t i = 0; i < nb * elem; i++) b[i] = (unsigned char)rng_u64();
  for (size_t i = 0; i < nc; i++) c[i] = (uint8_t)(rng_u64() % 3);
  for (size_t i = 0; i < n; i++) {
    size_t ci = bc_index(bc, 2, i);
    const unsigned char *src = c[ci] ? a + bc_index(bc, 0, i) * elem : b + bc_index(bc, 1, i) * elem;
    memcpy(z + i * elem, src, elem);
  }
  if (inplace && na == n) {
    vitc_x_where_scalar((int)elem, bc->rank, bc->out, c, sc, a, sa, b, sb, a);
    ck_assert_msg(memcmp(a, z, n * elem) == 0, "where in place, elem %zu", elem);
  } else {
    memset(y, 0x5C, n * elem + 8);
    vitc_x_where_scalar((int)elem, bc->rank, bc->out, c, sc, a, sa, b, sb, y);
    ck_assert_msg(memcmp(y, z, n * elem) == 0, "where elem %zu rank %d", elem, bc->rank);
    ck_assert(y[n * elem] == 0x5C);
  }
}

START_TEST(test_where) {
  static const size_t elems[] = {1, 2, 4, 8, 3, 12};
  static const int d_197_192[] = {197, 192}, d_192[] = {192}, d_197_1[] = {197, 1};
  static const int d_4_1_6[] = {4, 1, 6}, d_1_5_1[] = {1, 5, 1}, d_4_5_6[] = {4, 5, 6}, d_5_1[] = {5, 1};
  for (size_t e = 0; e < sizeof elems / sizeof elems[0]; e++) {
    for (int p = 0; p < NPAT; p++) {
      Bcast bc = pattern(p); /* cond broadcast from the scalar (in[2] all 1) */
      check_where(&bc, elems[e], 0);
      check_where(&bc, elems[e], 1);
      /* cond shaped like b */
      for (int d = 0; d < bc.rank; d++) bc.in[2][d] = bc.in[1][d];
      check_where(&bc, elems[e], 0);
      /* cond full shape */
      for (int d = 0; d < bc.rank; d++) bc.in[2][d] = bc.out[d];
      check_where(&bc, elems[e], 0);
      check_where(&bc, elems[e], 1);
    }
    {
      Bcast bc = bc_make(2, d_197_192, 2, d_197_192, 0, NULL, 1, d_192); /* masked_fill-style */
      check_where(&bc, elems[e], 0);
      bc = bc_make(2, d_197_192, 1, d_192, 2, d_197_192, 2, d_197_1);
      check_where(&bc, elems[e], 0);
      bc = bc_make(3, d_4_5_6, 3, d_4_1_6, 3, d_1_5_1, 2, d_5_1);
      check_where(&bc, elems[e], 0);
    }
  }
}
END_TEST

/* ------------------------------------------------------------------------ */
/* cast */

enum { T_F32 = 1, T_U8 = 2, T_I8 = 3, T_I32 = 6, T_I64 = 7, T_BOOL = 9, T_F64 = 11 };
static const int cast_types[] = {T_F32, T_U8, T_I8, T_I32, T_I64, T_BOOL, T_F64};

static size_t tsize(int t) {
  switch (t) {
  case T_U8: case T_I8: case T_BOOL: return 1;
  case T_F32: case T_I32: return 4;
  default: return 8;
  }
}

/* Source values: read element i as either a double (float types) or an int64. */
static int is_float(int t) { return t == T_F32 || t == T_F64; }
static double get_f(const void *x, int t, size_t i) {
  return t == T_F32 ? (double)((const float *)x)[i] : ((const double *)x)[i];
}
static int64_t get_i(const void *x, int t, size_t i) {
  switch (t) {
  case T_U8: return ((const uint8_t *)x)[i];
  case T_I8: return ((const int8_t *)x)[i];
  case T_I32: return ((const int32_t *)x)[i];
  case T_I64: return ((const int64_t *)x)[i];
  default: return ((const uint8_t *)x)[i] != 0;
  }
}

/* expected destination bytes for one element */
static void ref_cast_elem(void *out, int to, const void *x, int from, size_t i) {
  int64_t lo = 0, hi = 0, iv;
  int bits = 0;
  switch (to) {
  case T_U8: lo = 0, hi = 255, bits = 8; break;
  case T_I8: lo = -128, hi = 127, bits = 8; break;
  case T_I32: lo = INT32_MIN, hi = INT32_MAX, bits = 32; break;
  case T_I64: lo = INT64_MIN, hi = INT64_MAX, bits = 64; break;
  default: break;
  }
  if (to == T_BOOL) {
    uint8_t v = is_float(from) ? get_f(x, from, i) != 0.0 : get_i(x, from, i) != 0;
    memcpy(out, &v, 1);
    return;
  }
  if (to == T_F32 || to == T_F64) {
    if (is_float(from)) {
      double v = get_f(x, from, i);
      if (to == T_F32) { float f = (float)v; memcpy(out, &f, 4); }
      else memcpy(out, &v, 8);
    } else {
      int64_t v = get_i(x, from, i);
      if (to == T_F32) { float f = (float)v; memcpy(out, &f, 4); }
      else { double d = (double)v; memcpy(out, &d, 8); }
    }
    return;
  }
  if (is_float(from)) { /* truncate, saturate, NaN -> 0 */
    double v = get_f(x, from, i), t = trunc(v);
    if (isnan(v)) iv = 0;
    else if (t <= (double)lo) iv = lo;
    else if (t >= (double)hi) iv = hi; /* (double)INT64_MAX rounds up to 2^63: still saturates */
    else iv = (int64_t)t;
  } else { /* wrap modulo 2^bits */
    uint64_t u = (uint64_t)get_i(x, from, i);
    if (bits < 64) {
      u &= (1ull << bits) - 1;
      if (lo < 0 && u >= (1ull << (bits - 1))) iv = (int64_t)u - (int64_t)(1ull << bits);
      else iv = (int64_t)u;
    } else {
      memcpy(&iv, &u, 8);
    }
  }
  switch (to) {
  case T_U8: { uint8_t v = (uint8_t)iv; memcpy(out, &v, 1); break; }
  case T_I8: { int8_t v = (int8_t)iv; memcpy(out, &v, 1); break; }
  case T_I32: { int32_t v = (int32_t)iv; memcpy(out, &v, 4); break; }
  default: memcpy(out, &iv, 8); break;
  }
}

START_TEST(test_cast) {
  static const double fvals[] = {0.0, -0.0, 1.0, -1.0, 1.5, -1.5, 2.7, -2.7, 0.4, -0.9, 127.9, 128.0, -128.9,
                                 -129.0, 255.5, 256.0, 300.0, -300.0, 3e9, -3e9, 2147483647.0, 2147483648.0,
                                 -2147483648.0, -2147483649.0, 1e10, -1e10, 9.2233720368547758e18, -9.3e18, 1e30,
                                 -1e30, 16777217.0, INFINITY, -INFINITY, NAN};
  static const int64_t ivals[] = {0, 1, -1, 2, 127, 128, -128, -129, 255, 256, 300, -300, 65535, 2147483647,
                                  2147483648LL, -2147483648LL, -2147483649LL, 4294967296LL, 16777217,
                                  9007199254740993LL, INT64_MAX, INT64_MIN, 123456789012345LL};
  static unsigned char src[64 * 8], dst[64 * 8 + 8], want[64 * 8];
  for (size_t fi = 0; fi < sizeof cast_types / sizeof cast_types[0]; fi++)
    for (size_t ti = 0; ti < sizeof cast_types / sizeof cast_types[0]; ti++) {
      int from = cast_types[fi], to = cast_types[ti];
      size_t n = 0;
      /* build the source array in the source type */
      if (is_float(from)) {
        for (size_t k = 0; k < sizeof fvals / sizeof fvals[0]; k++, n++) {
          if (from == T_F32) { float f = (float)fvals[k]; memcpy(src + n * 4, &f, 4); }
          else memcpy(src + n * 8, &fvals[k], 8);
        }
      } else {
        for (size_t k = 0; k < sizeof ivals / sizeof ivals[0]; k++, n++) {
          int64_t v = ivals[k];
          switch (from) {
          case T_U8: src[n] = (uint8_t)v; break;
          case T_I8: { int8_t s = (int8_t)(uint8_t)v; memcpy(src + n, &s, 1); break; }
          case T_I32: { int32_t s = (int32_t)(uint32_t)v; memcpy(src + n * 4, &s, 4); break; }
          case T_I64: memcpy(src + n * 8, &v, 8); break;
          default: src[n] = (uint8_t)(k % 3); break; /* bool bytes 0, 1, 2 */
          }
        }
      }
      for (size_t i = 0; i < n; i++) ref_cast_elem(want + i * tsize(to), to, src, from, i);
      if (to == from && to != T_BOOL) memcpy(want, src, n * tsize(to));
      memset(dst, 0xEE, sizeof dst);
      vitc_x_cast_scalar((int)n, from, src, to, dst);
      for (size_t i = 0; i < n; i++) {
        int ok = memcmp(dst + i * tsize(to), want + i * tsize(to), tsize(to)) == 0;
        if (!ok && (to == T_F32 || to == T_F64)) { /* NaN payloads may differ */
          double g = to == T_F32 ? (double)((float *)dst)[i] : ((double *)dst)[i];
          double w = to == T_F32 ? (double)((float *)want)[i] : ((double *)want)[i];
          ok = isnan(g) && isnan(w);
        }
        ck_assert_msg(ok, "cast %d -> %d element %zu", from, to, i);
      }
      ck_assert(dst[n * tsize(to)] == 0xEE);
      /* same-size in place */
      if (tsize(to) == tsize(from)) {
        vitc_x_cast_scalar((int)n, from, src, to, src);
        for (size_t i = 0; i < n; i++) {
          int ok = memcmp(src + i * tsize(to), want + i * tsize(to), tsize(to)) == 0;
          if (!ok && (to == T_F32 || to == T_F64)) ok = 1; /* NaN payload, checked above */
          ck_assert_msg(ok, "cast in place %d -> %d element %zu", from, to, i);
        }
      }
    }
  /* a few hand-checked values */
  {
    const float f[4] = {-2.9f, 2.9f, 1e20f, NAN};
    int64_t y[4];
    uint8_t b[4];
    vitc_x_cast_scalar(4, T_F32, f, T_I64, y);
    ck_assert(y[0] == -2 && y[1] == 2 && y[2] == INT64_MAX && y[3] == 0);
    vitc_x_cast_scalar(4, T_F32, f, T_BOOL, b);
    ck_assert(b[0] == 1 && b[1] == 1 && b[2] == 1 && b[3] == 1);
  }
  {
    const int64_t v[3] = {300, -1, 128};
    int8_t s[3];
    uint8_t u[3];
    vitc_x_cast_scalar(3, T_I64, v, T_I8, s);
    ck_assert(s[0] == 44 && s[1] == -1 && s[2] == -128);
    vitc_x_cast_scalar(3, T_I64, v, T_U8, u);
    ck_assert(u[0] == 44 && u[1] == 255 && u[2] == 128);
  }
}
END_TEST

/* ------------------------------------------------------------------------ */

static Suite *eltwise_suite(void) {
  const TTest *const tests[] = {
      test_unary_random,
      test_unary_special,
      test_f32_binary,
      test_f32_binary_strided,
      test_f32_pow_fast,
      test_i64_binary,
      test_compare,
      test_logic,
      test_where,
      test_cast,
  };
  return tu_suite_of("kern_eltwise", "scalar", 60, tests, sizeof tests / sizeof tests[0]);
}

int main(void) {
  return tu_run_suite(eltwise_suite());
}
