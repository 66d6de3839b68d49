/* tests/check_kern_layout.c: the scalar data-movement kernels (transpose,
 * concat/split/slice/expand/tile, gather/scatter, pad) against naive references.
 *
 *   gcc -std=c99 -O2 -Wall -Wextra -I templates tests/check_kern_layout.c \
 *       $(pkg-config --cflags --libs check) -lm -o $TMPDIR/cl && $TMPDIR/cl
 *
 * References unravel every output index and compute the source index the
 * obvious way. Data is random bytes, compared with memcmp, for element sizes
 * 1, 2, 4, 8 and an odd size (3 or 12) that takes the byte-copy paths. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>

#include "check_runner.h"
#define RNG_INIT 0x2545F4914F6CDD1Dull
#include "test_rng.h"

#include "layout/x-copy-scalar.c"
#include "layout/x-gather-scalar.c"
#include "layout/x-pad-scalar.c"
#include "layout/x-transpose-scalar.c"

static int rng_in(int lo, int hi) { return lo + (int)(rng_u64() % (uint64_t)(hi - lo + 1)); } /* [lo, hi] */

static void fill_bytes(unsigned char *p, size_t n) {
  for (size_t i = 0; i < n; i++) p[i] = (unsigned char)(rng_u64() >> 24);
}

static size_t numel(int rank, const int *d) {
  size_t n = 1;
  for (int i = 0; i < rank; i++) n *= (size_t)d[i];
  return n;
}

/* unravel flat (row-major over dims) into idx */
static void unravel(size_t flat, int rank, const int *dims, int *idx) {
  for (int d = rank - 1; d >= 0; d--) {
    idx[d] = (int)(flat % (size_t)dims[d]);
    flat /= (size_t)dims[d];
  }
}
static size_t ravel(int rank, const int *dims, const int *idx) {
  size_t f = 0;
  for (int d = 0; d < rank; d++) f = f * (size_t)dims[d] + (size_t)idx[d];
  return f;
}

#define BUF (1u << 21)
static unsigned char xb[BUF], yb[BUF + 64], zb[BUF];
static const size_t elems[] = {1, 2, 4, 8, 3, 12};
#define NELEMS (sizeof elems / sizeof elems[0])

/* ------------------------------------------------------------------------ */
/* transpose */

static void check_transpose(int rank, const int *dims, const int *perm, size_t elem) {
  int od[VITC_MAX_RANK], oi[VITC_MAX_RANK], ii[VITC_MAX_RANK];
  size_t n = numel(rank, dims);
  ck_assert(n * elem <= BUF);
  for (int k = 0; k < rank; k++) od[k] = dims[perm[k]];
  fill_bytes(xb, n * elem);
  for (size_t f = 0; f < n; f++) {
    unravel(f, rank, od, oi);
    for (int k = 0; k < rank; k++) ii[perm[k]] = oi[k];
    memcpy(zb + f * elem, xb + ravel(rank, dims, ii) * elem, elem);
  }
  memset(yb, 0xA5, n * elem + 16);
  vitc_x_transpose_scalar((int)elem, rank, dims, perm, xb, yb);
  if (memcmp(yb, zb, n * elem) != 0) {
    char msg[256];
    int len = snprintf(msg, sizeof msg, "transpose elem %zu dims", elem);
    for (int k = 0; k < rank; k++) len += snprintf(msg + len, sizeof msg - (size_t)len, " %d", dims[k]);
    len += snprintf(msg + len, sizeof msg - (size_t)len, " perm");
    for (int k = 0; k < rank; k++) len += snprintf(msg + len, sizeof msg - (size_t)len, " %d", perm[k]);
    ck_abort_msg("%s", msg);
  }
  ck_assert_msg(yb[n * elem] == 0xA5, "transpose wrote past the output");
}

/* next permutation in lexicographic order; 0 when done */
static int next_perm(int *p, int n) {
  int i = n - 2, j, t;
  while (i >= 0 && p[i] > p[i + 1]) i--;
  if (i < 0) return 0;
  j = n - 1;
  while (p[j] < p[i]) j--;
  t = p[i], p[i] = p[j], p[j] = t;
  for (int a = i + 1, b = n - 1; a < b; a++, b--) t = p[a], p[a] = p[b], p[b] = t;
  return 1;
}

START_TEST(test_transpose_all_perms) {
  /* every permutation of ranks 2..5 with odd sizes, some dims 1 */
  static const int dims2[] = {37, 45}, dims3[] = {5, 33, 7}, dims4[] = {3, 1, 6, 5}, dims5[] = {2, 3, 4, 1, 5};
  static const int dims4b[] = {2, 3, 4, 5};
  const int *ds[] = {dims2, dims3, dims4, dims4b, dims5};
  const int rk[] = {2, 3, 4, 4, 5};
  for (size_t c = 0; c < sizeof rk / sizeof rk[0]; c++)
    for (size_t e = 0; e < NELEMS; e++) {
      int perm[VITC_MAX_RANK];
      for (int k = 0; k < rk[c]; k++) perm[k] = k;
      do check_transpose(rk[c], ds[c], perm, elems[e]);
      while (next_perm(perm, rk[c]));
    }
}
END_TEST

START_TEST(test_transpose_random) {
  for (int it = 0; it < 300; it++) {
    int rank = rng_in(2, 6), dims[VITC_MAX_RANK], perm[VITC_MAX_RANK];
    size_t elem = elems[rng_u64() % NELEMS];
    for (int d = 0; d < rank; d++) dims[d] = rng_in(1, rank <= 3 ? 40 : 7);
    for (int d = 0; d < rank; d++) perm[d] = d;
    for (int d = rank - 1; d > 0; d--) { /* Fisher-Yates */
      int j = rng_in(0, d), t = perm[d];
      perm[d] = perm[j], perm[j] = t;
    }
    check_transpose(rank, dims, perm, elem);
  }
  /* rank 6 all dims > 1, and rank 7/8 */
  {
    const int d6[] = {2, 3, 2, 3, 2, 3}, p6[] = {5, 3, 1, 4, 2, 0};
    const int d8[] = {2, 2, 3, 2, 2, 3, 2, 2}, p8[] = {7, 0, 6, 1, 5, 2, 4, 3};
    for (size_t e = 0; e < NELEMS; e++) {
      check_transpose(6, d6, p6, elems[e]);
      check_transpose(8, d8, p8, elems[e]);
    }
  }
}
END_TEST

/* MobileViT's unfold and fold: narrow planes with a batch dim between their two
 * axes, which the kernel walks 8 rows at a time through every batch (input rows
 * far apart; output rows 4 KiB apart for 4-byte elements: [4,256,64]), including
 * row counts that are not a multiple of 8 and planes it leaves to the tiles. */
START_TEST(test_transpose_narrow_planes) {
  const int d_unfold[] = {64, 256, 4}, d_fold[] = {4, 256, 64}, d_s7[] = {80, 64, 4}, d_s7b[] = {4, 64, 80};
  const int d_odd[] = {13, 37, 3}, d_oddb[] = {3, 37, 13}, d_cols[] = {5, 7, 1024}, d_cols4[] = {3, 5, 9, 1024};
  const int p_rev[] = {2, 1, 0}, p_4[] = {3, 1, 2, 0};
  for (size_t e = 0; e < NELEMS; e++) {
    check_transpose(3, d_unfold, p_rev, elems[e]);
    check_transpose(3, d_fold, p_rev, elems[e]);
    check_transpose(3, d_s7, p_rev, elems[e]);
    check_transpose(3, d_s7b, p_rev, elems[e]);
    check_transpose(3, d_odd, p_rev, elems[e]);
    check_transpose(3, d_oddb, p_rev, elems[e]);
    check_transpose(3, d_cols, p_rev, elems[e]);
    check_transpose(4, d_cols4, p_4, elems[e]);
  }
}
END_TEST

START_TEST(test_transpose_vit_shapes) {
  /* qkv split [1,197,3,3,64] -> [3,1,3,197,64]; heads; K^T; plain 2-D; tile edges */
  const int d_qkv[] = {1, 197, 3, 3, 64}, p_qkv[] = {2, 0, 3, 1, 4};
  const int d_h[] = {1, 197, 3, 64}, p_h[] = {0, 2, 1, 3};
  const int d_kt[] = {3, 197, 64}, p_kt[] = {0, 2, 1};
  const int d_2[] = {197, 192}, p_2[] = {1, 0};
  const int d_e[] = {64, 32}, d_e2[] = {33, 31}, d_e3[] = {1, 1000};
  const int d_1[] = {1, 1, 1}, p_1[] = {2, 0, 1};
  const int d_id[] = {4, 5, 6}, p_id[] = {0, 1, 2};
  const int d_r1[] = {17}, p_r1[] = {0};
  for (size_t e = 0; e < NELEMS; e++) {
    check_transpose(5, d_qkv, p_qkv, elems[e]);
    check_transpose(4, d_h, p_h, elems[e]);
    check_transpose(3, d_kt, p_kt, elems[e]);
    check_transpose(2, d_2, p_2, elems[e]);
    check_transpose(2, d_e, p_2, elems[e]);
    check_transpose(2, d_e2, p_2, elems[e]);
    check_transpose(2, d_e3, p_2, elems[e]);
    check_transpose(3, d_1, p_1, elems[e]);
    check_transpose(3, d_id, p_id, elems[e]);
    check_transpose(1, d_r1, p_r1, elems[e]);
    check_transpose(0, NULL, NULL, elems[e]);
  }
  /* a zero-size dim writes nothing */
  {
    const int dz[] = {3, 0, 4}, pz[] = {2, 1, 0};
    yb[0] = 0x11;
    vitc_x_transpose_scalar(4, 3, dz, pz, xb, yb);
    ck_assert(yb[0] == 0x11);
  }
}
END_TEST

/* ------------------------------------------------------------------------ */
/* concat / split */

START_TEST(test_concat_split) {
  static unsigned char in[5][4096], back[5][4096];
  for (int it = 0; it < 200; it++) {
    int n_in = rng_in(1, 5), outer = rng_in(0, 9), inner[5], total = 0;
    size_t elem = elems[rng_u64() % NELEMS];
    const void *ins[5];
    void *outs[5];
    for (int k = 0; k < n_in; k++) {
      inner[k] = rng_in(0, 30);
      total += inner[k];
      fill_bytes(in[k], (size_t)outer * (size_t)inner[k] * elem);
      ins[k] = in[k];
      outs[k] = back[k];
    }
    /* reference: the concatenated row o is the inputs' row o one after another */
    {
      size_t pos = 0;
      for (int o = 0; o < outer; o++)
        for (int k = 0; k < n_in; k++) {
          memcpy(zb + pos, in[k] + (size_t)o * (size_t)inner[k] * elem, (size_t)inner[k] * elem);
          pos += (size_t)inner[k] * elem;
        }
      ck_assert(pos == (size_t)outer * (size_t)total * elem);
    }
    memset(yb, 0x3C, (size_t)outer * (size_t)total * elem + 8);
    vitc_x_concat_scalar((int)elem, outer, n_in, inner, ins, yb);
    ck_assert(memcmp(yb, zb, (size_t)outer * (size_t)total * elem) == 0);
    ck_assert(yb[(size_t)outer * (size_t)total * elem] == 0x3C);
    vitc_x_split_scalar((int)elem, outer, n_in, inner, yb, outs);
    for (int k = 0; k < n_in; k++)
      ck_assert_msg(memcmp(back[k], in[k], (size_t)outer * (size_t)inner[k] * elem) == 0, "split output %d", k);
  }
}
END_TEST

/* ------------------------------------------------------------------------ */
/* slice */

static void check_slice(int rank, const int *dims, const int *start, const int *step, const int *count,
                        size_t elem) {
  int oi[VITC_MAX_RANK], ii[VITC_MAX_RANK];
  size_t n = numel(rank, count), nin = numel(rank, dims);
  fill_bytes(xb, nin * elem);
  for (size_t f = 0; f < n; f++) {
    unravel(f, rank, count, oi);
    for (int d = 0; d < rank; d++) {
      ii[d] = start[d] + oi[d] * step[d];
      ck_assert(ii[d] >= 0 && ii[d] < dims[d]); /* the test's own case must be valid */
    }
    memcpy(zb + f * elem, xb + ravel(rank, dims, ii) * elem, elem);
  }
  memset(yb, 0x77, n * elem + 16);
  vitc_x_slice_scalar((int)elem, rank, dims, start, step, count, xb, yb);
  ck_assert_msg(memcmp(yb, zb, n * elem) == 0, "slice rank %d elem %zu", rank, elem);
  ck_assert(yb[n * elem] == 0x77);
}

START_TEST(test_slice) {
  for (int it = 0; it < 500; it++) {
    int rank = rng_in(1, 6), dims[VITC_MAX_RANK], start[VITC_MAX_RANK], step[VITC_MAX_RANK],
        count[VITC_MAX_RANK];
    size_t elem = elems[rng_u64() % NELEMS];
    for (int d = 0; d < rank; d++) {
      dims[d] = rng_in(1, rank <= 2 ? 50 : 6);
      step[d] = rng_in(1, 3) * (rng_u64() % 3 == 0 ? -1 : 1);
      if (rng_u64() % 4 == 0) step[d] = 1;
      start[d] = rng_in(0, dims[d] - 1);
      /* how many steps fit from start in the step's direction */
      {
        int room = step[d] > 0 ? (dims[d] - 1 - start[d]) / step[d] + 1 : start[d] / -step[d] + 1;
        count[d] = rng_in(1, room);
        if (rng_u64() % 3 == 0) count[d] = room;
      }
    }
    check_slice(rank, dims, start, step, count, elem);
  }
  /* ViT: class token x[:, 0] and patch tokens x[:, 1:] of [2,197,192]; reverse a row */
  {
    const int d[] = {2, 197, 192}, s0[] = {0, 0, 0}, st[] = {1, 1, 1}, c0[] = {2, 1, 192};
    const int s1[] = {0, 1, 0}, c1[] = {2, 196, 192};
    const int dr[] = {31}, sr[] = {30}, str[] = {-1}, cr[] = {31};
    const int dz[] = {4, 5}, sz[] = {0, 0}, stz[] = {1, 1}, cz[] = {4, 0};
    for (size_t e = 0; e < NELEMS; e++) {
      check_slice(3, d, s0, st, c0, elems[e]);
      check_slice(3, d, s1, st, c1, elems[e]);
      check_slice(1, dr, sr, str, cr, elems[e]);
    }
    yb[0] = 0x42;
    vitc_x_slice_scalar(4, 2, dz, sz, stz, cz, xb, yb);
    ck_assert(yb[0] == 0x42);
  }
}
END_TEST

/* ------------------------------------------------------------------------ */
/* expand / tile */

START_TEST(test_expand) {
  for (int it = 0; it < 400; it++) {
    int rank = rng_in(0, 6), out[VITC_MAX_RANK], ind[VITC_MAX_RANK], sx[VITC_MAX_RANK], ii[VITC_MAX_RANK];
    size_t elem = elems[rng_u64() % NELEMS], n, s = 1;
    for (int d = 0; d < rank; d++) {
      out[d] = rng_in(1, rank <= 2 ? 40 : 6);
      ind[d] = rng_u64() % 2 ? 1 : out[d];
    }
    for (int d = rank - 1; d >= 0; d--) {
      sx[d] = ind[d] == 1 ? 0 : (int)s;
      s *= (size_t)ind[d];
    }
    n = numel(rank, out);
    fill_bytes(xb, numel(rank, ind) * elem);
    for (size_t f = 0; f < n; f++) {
      unravel(f, rank, out, ii);
      for (int d = 0; d < rank; d++)
        if (ind[d] == 1) ii[d] = 0;
      memcpy(zb + f * elem, xb + ravel(rank, ind, ii) * elem, elem);
    }
    memset(yb, 0x19, n * elem + 16);
    vitc_x_expand_scalar((int)elem, rank, out, xb, sx, yb);
    ck_assert_msg(memcmp(yb, zb, n * elem) == 0, "expand rank %d elem %zu", rank, elem);
    ck_assert(yb[n * elem] == 0x19);
  }
  /* transposed view through arbitrary strides */
  {
    const int dims[] = {5, 7}, sx[] = {1, 5};
    float x[35], y[35];
    for (int i = 0; i < 35; i++) x[i] = (float)i;
    vitc_x_expand_scalar((int)sizeof(float), 2, dims, x, sx, y);
    for (int r = 0; r < 5; r++)
      for (int c = 0; c < 7; c++) ck_assert(y[r * 7 + c] == x[c * 5 + r]);
  }
}
END_TEST

START_TEST(test_tile) {
  for (int it = 0; it < 300; it++) {
    int rank = rng_in(1, 5), ind[VITC_MAX_RANK], rep[VITC_MAX_RANK], out[VITC_MAX_RANK], ii[VITC_MAX_RANK];
    size_t elem = elems[rng_u64() % NELEMS], n;
    for (int d = 0; d < rank; d++) {
      ind[d] = rng_in(1, 6);
      rep[d] = rng_in(rng_u64() % 8 == 0 ? 0 : 1, 3);
      out[d] = ind[d] * rep[d];
    }
    n = numel(rank, out);
    fill_bytes(xb, numel(rank, ind) * elem);
    for (size_t f = 0; f < n; f++) {
      unravel(f, rank, out, ii);
      for (int d = 0; d < rank; d++) ii[d] %= ind[d];
      memcpy(zb + f * elem, xb + ravel(rank, ind, ii) * elem, elem);
    }
    memset(yb, 0x61, n * elem + 16);
    vitc_x_tile_scalar((int)elem, rank, ind, rep, xb, yb);
    ck_assert_msg(memcmp(yb, zb, n * elem) == 0, "tile rank %d elem %zu", rank, elem);
    ck_assert(yb[n * elem] == 0x61);
  }
}
END_TEST

/* ------------------------------------------------------------------------ */
/* gather */

START_TEST(test_gather) {
  static const int dims[] = {3, 5, 4};
  int64_t idx64[12];
  int32_t idx32[12];
  for (size_t e = 0; e < NELEMS; e++)
    for (int axis = 0; axis < 3; axis++) {
      size_t elem = elems[e];
      int outer = 1, inner = 1, an = dims[axis];
      for (int d = 0; d < axis; d++) outer *= dims[d];
      for (int d = axis + 1; d < 3; d++) inner *= dims[d];
      for (int n_idx = 0; n_idx <= 12; n_idx += 3) {
        for (int k = 0; k < n_idx; k++) {
          idx64[k] = rng_in(-an - 2, an + 1); /* includes negative and out-of-range */
          idx32[k] = (int32_t)idx64[k];
        }
        if (n_idx >= 3) idx64[0] = -1, idx64[1] = -an, idx64[2] = an, idx32[0] = -1, idx32[1] = -an, idx32[2] = an;
        fill_bytes(xb, 60 * elem);
        /* reference: data [outer, an, inner] -> [outer, n_idx, inner], bad index -> zeros */
        for (int o = 0; o < outer; o++)
          for (int k = 0; k < n_idx; k++) {
            int64_t j = idx64[k] < 0 ? idx64[k] + an : idx64[k];
            unsigned char *dst = zb + (((size_t)o * (size_t)n_idx + (size_t)k) * (size_t)inner) * elem;
            if (j < 0 || j >= an) memset(dst, 0, (size_t)inner * elem);
            else memcpy(dst, xb + (((size_t)o * (size_t)an + (size_t)j) * (size_t)inner) * elem, (size_t)inner * elem);
          }
        {
          size_t nout = (size_t)outer * (size_t)n_idx * (size_t)inner * elem;
          memset(yb, 0xCD, nout + 8);
          vitc_x_gather_i64_scalar((int)elem, outer, an, inner, n_idx, xb, idx64, yb);
          ck_assert_msg(memcmp(yb, zb, nout) == 0, "gather i64 axis %d elem %zu n_idx %d", axis, elem, n_idx);
          ck_assert(yb[nout] == 0xCD);
          memset(yb, 0xCD, nout + 8);
          vitc_x_gather_i32_scalar((int)elem, outer, an, inner, n_idx, xb, idx32, yb);
          ck_assert_msg(memcmp(yb, zb, nout) == 0, "gather i32 axis %d elem %zu", axis, elem);
          ck_assert(yb[nout] == 0xCD);
        }
      }
    }
}
END_TEST

/* random data dims (rank 1..4) and index dims no larger off the axis */
static void random_elements_case(int *rank, int *xd, int *id, int *axis, int idx_may_exceed) {
  *rank = rng_in(1, 4);
  *axis = rng_in(0, *rank - 1);
  for (int d = 0; d < *rank; d++) {
    xd[d] = rng_in(1, 6);
    id[d] = d == *axis && idx_may_exceed ? rng_in(1, 8) : rng_in(1, xd[d]);
  }
}

START_TEST(test_gather_elements) {
  static int64_t idx[4096];
  for (int it = 0; it < 400; it++) {
    int rank, xd[VITC_MAX_RANK], id[VITC_MAX_RANK], axis, ii[VITC_MAX_RANK];
    size_t elem = elems[rng_u64() % NELEMS], n;
    random_elements_case(&rank, xd, id, &axis, 1);
    n = numel(rank, id);
    fill_bytes(xb, numel(rank, xd) * elem);
    for (size_t f = 0; f < n; f++) idx[f] = rng_in(-xd[axis] - (it % 5 == 0), xd[axis] - 1 + (it % 7 == 0));
    for (size_t f = 0; f < n; f++) {
      int64_t j = idx[f] < 0 ? idx[f] + xd[axis] : idx[f];
      unravel(f, rank, id, ii);
      if (j < 0 || j >= xd[axis]) {
        memset(zb + f * elem, 0, elem);
        continue;
      }
      ii[axis] = (int)j;
      memcpy(zb + f * elem, xb + ravel(rank, xd, ii) * elem, elem);
    }
    memset(yb, 0xEF, n * elem + 8);
    vitc_x_gather_elements_scalar((int)elem, rank, xd, id, axis, xb, idx, yb);
    ck_assert_msg(memcmp(yb, zb, n * elem) == 0, "gather_elements rank %d axis %d elem %zu", rank, axis, elem);
    ck_assert(yb[n * elem] == 0xEF);
  }
}
END_TEST

/* ------------------------------------------------------------------------ */
/* scatter */

START_TEST(test_scatter_elements_bytes) {
  static int64_t idx[4096];
  static unsigned char upd[4096 * 12];
  for (int it = 0; it < 400; it++) {
    int rank, xd[VITC_MAX_RANK], id[VITC_MAX_RANK], axis, ii[VITC_MAX_RANK];
    size_t elem = elems[rng_u64() % NELEMS], n, nx;
    random_elements_case(&rank, xd, id, &axis, 1);
    n = numel(rank, id);
    nx = numel(rank, xd);
    fill_bytes(xb, nx * elem);
    fill_bytes(upd, n * elem);
    for (size_t f = 0; f < n; f++) idx[f] = rng_in(-xd[axis] - (it % 5 == 0), xd[axis] - 1 + (it % 7 == 0));
    memcpy(zb, xb, nx * elem);
    for (size_t f = 0; f < n; f++) { /* in row-major order: last write wins */
      int64_t j = idx[f] < 0 ? idx[f] + xd[axis] : idx[f];
      if (j < 0 || j >= xd[axis]) continue;
      unravel(f, rank, id, ii);
      ii[axis] = (int)j;
      memcpy(zb + ravel(rank, xd, ii) * elem, upd + f * elem, elem);
    }
    memset(yb, 0x0F, nx * elem + 8);
    vitc_x_scatter_elements_scalar((int)elem, rank, xd, id, axis, xb, idx, upd, yb);
    ck_assert_msg(memcmp(yb, zb, nx * elem) == 0, "scatter_elements rank %d axis %d elem %zu", rank, axis, elem);
    ck_assert(yb[nx * elem] == 0x0F);
    /* in place */
    vitc_x_scatter_elements_scalar((int)elem, rank, xd, id, axis, xb, idx, upd, xb);
    ck_assert(memcmp(xb, zb, nx * elem) == 0);
  }
}
END_TEST

static double red(int r, double a, double u) {
  switch (r) {
  case VITC_SCATTER_ADD: return a + u;
  case VITC_SCATTER_MUL: return a * u;
  case VITC_SCATTER_MAX: return a < u ? u : a;
  case VITC_SCATTER_MIN: return u < a ? u : a;
  default: return u;
  }
}

START_TEST(test_scatter_elements_reduce) {
  static float fx[4096], fu[4096], fy[4096], fz[4096];
  static int64_t ix[4096], iu[4096], iy[4096], iz[4096], idx[4096];
  for (int it = 0; it < 500; it++) {
    int rank, xd[VITC_MAX_RANK], id[VITC_MAX_RANK], axis, ii[VITC_MAX_RANK], reduction = it % 5;
    size_t n, nx;
    random_elements_case(&rank, xd, id, &axis, 1); /* axis longer than data: duplicates */
    n = numel(rank, id);
    nx = numel(rank, xd);
    for (size_t f = 0; f < nx; f++) fx[f] = (float)rng_in(-8, 8) * 0.25f, ix[f] = rng_in(-9, 9);
    for (size_t f = 0; f < n; f++) fu[f] = (float)rng_in(-8, 8) * 0.5f, iu[f] = rng_in(-9, 9);
    for (size_t f = 0; f < n; f++) idx[f] = rng_in(-xd[axis], xd[axis] - 1 + (it % 9 == 0));
    memcpy(fz, fx, nx * sizeof(float));
    memcpy(iz, ix, nx * sizeof(int64_t));
    for (size_t f = 0; f < n; f++) {
      int64_t j = idx[f] < 0 ? idx[f] + xd[axis] : idx[f];
      size_t t;
      if (j >= xd[axis]) continue;
      unravel(f, rank, id, ii);
      ii[axis] = (int)j;
      t = ravel(rank, xd, ii);
      fz[t] = (float)red(reduction, fz[t], fu[f]);
      iz[t] = (int64_t)red(reduction, (double)iz[t], (double)iu[f]); /* small values: exact in double */
    }
    vitc_f32_scatter_elements_scalar(rank, xd, id, axis, reduction, fx, idx, fu, fy);
    vitc_i64_scatter_elements_scalar(rank, xd, id, axis, reduction, ix, idx, iu, iy);
    for (size_t f = 0; f < nx; f++) {
      ck_assert_msg(fy[f] == fz[f], "f32 scatter reduction %d rank %d axis %d at %zu: %g want %g", reduction, rank,
                    axis, f, (double)fy[f], (double)fz[f]);
      ck_assert_msg(iy[f] == iz[f], "i64 scatter reduction %d at %zu", reduction, f);
    }
    /* in place */
    vitc_f32_scatter_elements_scalar(rank, xd, id, axis, reduction, fx, idx, fu, fx);
    ck_assert(memcmp(fx, fz, nx * sizeof(float)) == 0);
  }
}
END_TEST

/* ------------------------------------------------------------------------ */
/* pad (every mode; pads, crops, a begin past the row, a whole row of fill) */

/* ONNX Pad's source index along a dim, written out again here: -1 for the fill value */
static long pad_ref_src(long j, long begin, long n, int mode) {
  long i = j - begin;
  if (i >= 0 && i < n) return i;
  if (mode == 0 || n == 0) return -1;
  if (mode == 2) return i < 0 ? 0 : n - 1;
  if (mode == 3) return ((i % n) + n) % n;
  while (i < 0 || i >= n) i = i < 0 ? -i : 2 * (n - 1) - i; /* reflect, one mirror at a time */
  return i;
}

static void check_pad(int rank, const int *in, const int *begin, const int *end, int mode, size_t elem) {
  int out[VITC_MAX_RANK], oi[VITC_MAX_RANK], ii[VITC_MAX_RANK];
  unsigned char value[16];
  for (int d = 0; d < rank; d++) out[d] = in[d] + begin[d] + end[d];
  const size_t nx = numel(rank, in), ny = numel(rank, out);
  ck_assert(nx * elem <= BUF && ny * elem <= BUF);
  fill_bytes(xb, nx * elem);
  fill_bytes(value, sizeof value);
  for (size_t f = 0; f < ny; f++) {
    int inside = 1;
    unravel(f, rank, out, oi);
    for (int d = 0; d < rank && inside; d++) {
      const long i = pad_ref_src(oi[d], begin[d], in[d], mode);
      inside = i >= 0;
      ii[d] = (int)i;
    }
    memcpy(zb + f * elem, inside ? xb + ravel(rank, in, ii) * elem : value, elem);
  }
  memset(yb, 0xA5, ny * elem + 16);
  vitc_x_pad_scalar((int)elem, rank, in, out, begin, mode, value, xb, yb);
  if (memcmp(yb, zb, ny * elem) != 0) {
    char msg[256];
    int len = snprintf(msg, sizeof msg, "pad mode %d elem %zu in/begin/end", mode, elem);
    for (int k = 0; k < rank; k++)
      len += snprintf(msg + len, sizeof msg - (size_t)len, " %d/%d/%d", in[k], begin[k], end[k]);
    ck_abort_msg("%s", msg);
  }
  ck_assert_msg(yb[ny * elem] == 0xA5, "pad wrote past the output");
}

START_TEST(test_pad) {
  /* the STFT's reflect pad (1, 1, 16000) by 256 both sides */
  check_pad(3, (const int[]){1, 1, 16000}, (const int[]){0, 0, 256}, (const int[]){0, 0, 256}, 1, 4);
  /* a begin past the whole row, a crop past the whole row (constant: all fill), a scalar */
  check_pad(2, (const int[]){3, 4}, (const int[]){1, 9}, (const int[]){0, -9}, 0, 4);
  check_pad(2, (const int[]){3, 4}, (const int[]){0, -6}, (const int[]){2, 5}, 0, 4);
  check_pad(0, NULL, NULL, NULL, 0, 4);
  for (int t = 0; t < 400; t++) {
    int rank = rng_in(1, 4), in[4], begin[4], end[4];
    const int mode = t % 4;
    const size_t elem = elems[rng_u64() % NELEMS];
    for (int d = 0; d < rank; d++) {
      in[d] = rng_in(mode == 0 ? 0 : 2, 7); /* reflect needs 2; constant may pad an empty dim */
      begin[d] = rng_in(mode == 0 ? -in[d] - 2 : -in[d] + 1, 9);
      end[d] = rng_in(mode == 0 ? -in[d] - 2 : -in[d] + 1, 9);
      if (in[d] + begin[d] + end[d] < 0) end[d] = -in[d] - begin[d]; /* an output dim of 0 at least */
    }
    check_pad(rank, in, begin, end, mode, elem);
  }
}
END_TEST

/* ------------------------------------------------------------------------ */

static Suite *layout_suite(void) {
  const TTest *const tests[] = {
      test_transpose_all_perms,
      test_transpose_random,
      test_transpose_vit_shapes,
      test_transpose_narrow_planes,
      test_concat_split,
      test_slice,
      test_expand,
      test_tile,
      test_gather,
      test_gather_elements,
      test_scatter_elements_bytes,
      test_scatter_elements_reduce,
      test_pad,
  };
  return tu_suite_of("kern_layout", "scalar", 60, tests, sizeof tests / sizeof tests[0]);
}

int main(void) {
  return tu_run_suite(layout_suite());
}
