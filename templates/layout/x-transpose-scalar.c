/* templates/layout/x-transpose-scalar.c: N-d transpose (ONNX Transpose) for any
 * element size.
 *
 * Output dim k is input dim perm[k]. The kernel first simplifies the problem the
 * way the compiler also does: it drops dims of size 1 and merges input dims that
 * stay adjacent and in order in the output, so [1,197,3,64] with perm [0,2,1,3]
 * becomes a [197,3,64] -> [3,197,64] move of 64-element rows. Doing it here too
 * makes the kernel robust to an uncollapsed call and costs O(rank) per call.
 *
 * After that there are three cases:
 *   - nothing left to permute: one memcpy;
 *   - the innermost input dim stays innermost: whole rows move, one memcpy each
 *     (the multi-head split/merge of attention lands here);
 *   - otherwise the innermost input dim q and the input dim p that becomes the
 *     innermost output dim form a 2-D plane, x[i*ldi + j] -> y[j*ldo + i]; every
 *     other dim is a batch index. The plane is copied in 32x32 tiles so that
 *     both the strided reads and the writes stay inside L1. A plain 2-D
 *     transpose and the batched [B,M,N] -> [B,N,M] of attention's K^T are this
 *     case with zero and one batch dim. A plane narrower than a tile with
 *     batches (MobileViT's unfold, [64,256,4] -> [4,256,64], and fold) goes 8
 *     of its input rows (or of its output rows, when those are 4 KiB apart) at
 *     a time through every batch instead, so the lines of those rows, far
 *     apart, are used whole while they are in L1.
 *
 * Elements are moved with fixed-size memcpy (1, 2, 4, 8 bytes compile to one
 * load and store; other sizes are copied as bytes), so any dtype works without
 * type-punning the caller's buffers.
 *
 * Contract: vitc_x_transpose_scalar(elem, rank, dims, perm, x, y):
 * x (dims[0], ..., dims[rank-1]) -> y (dims[perm[0]], ..., dims[perm[rank-1]]),
 * both dense row-major, elem bytes per element,
 * 0 <= rank <= VITC_MAX_RANK, perm a permutation of 0..rank-1. y must not
 * overlap x. */
#ifndef VITC_X_TRANSPOSE_SCALAR_C
#define VITC_X_TRANSPOSE_SCALAR_C

#include "../prelude.h"

#define VITC_TR_TILE 32

/* One tiled plane: src[i*ldi + j] -> dst[j*ldo + i], i < P, j < Q, elements of
 * S bytes. Inner loop walks i so the writes are contiguous. */
#define VITC_TR_PLANE(S)                                                            \
  do {                                                                              \
    ptrdiff_t i0_, j0_, i_, j_;                                                     \
    for (j0_ = 0; j0_ < Q; j0_ += VITC_TR_TILE) {                                   \
      ptrdiff_t j1_ = j0_ + VITC_TR_TILE < Q ? j0_ + VITC_TR_TILE : Q;              \
      for (i0_ = 0; i0_ < P; i0_ += VITC_TR_TILE) {                                 \
        ptrdiff_t i1_ = i0_ + VITC_TR_TILE < P ? i0_ + VITC_TR_TILE : P;            \
        for (j_ = j0_; j_ < j1_; j_++) {                                            \
          unsigned char *d_ = dst + (j_ * ldo) * (ptrdiff_t)(S);                    \
          const unsigned char *s_ = src + j_ * (ptrdiff_t)(S);                      \
          for (i_ = i0_; i_ < i1_; i_++)                                            \
            memcpy(d_ + i_ * (ptrdiff_t)(S), s_ + i_ * ldi * (ptrdiff_t)(S), (size_t)(S));  \
        }                                                                           \
      }                                                                             \
    }                                                                               \
  } while (0)

/* Of a plane narrower than a tile, src[i*ldi + j] -> dst[j*ldo + i]: with by_rows
 * (Q < VITC_TR_TILE) its input rows i in [r0, r1) and every j, else its output
 * rows j in [r0, r1) and every i. */
#define VITC_TR_ROWS 8
#define VITC_TR_NARROW(S)                                                           \
  do {                                                                              \
    const ptrdiff_t i0_ = by_rows ? r0 : 0, i1_ = by_rows ? r1 : P;                 \
    const ptrdiff_t j0_ = by_rows ? 0 : r0, j1_ = by_rows ? Q : r1;                 \
    ptrdiff_t i_, j_;                                                               \
    for (j_ = j0_; j_ < j1_; j_++) {                                                \
      unsigned char *d_ = dst + (j_ * ldo) * (ptrdiff_t)(S);                        \
      const unsigned char *s_ = src + j_ * (ptrdiff_t)(S);                          \
      for (i_ = i0_; i_ < i1_; i_++)                                                \
        memcpy(d_ + i_ * (ptrdiff_t)(S), s_ + i_ * ldi * (ptrdiff_t)(S), (size_t)(S));  \
    }                                                                               \
  } while (0)

VITC_KERNEL void vitc_x_transpose_scalar(int elem, int rank, const int *dims, const int *perm, const void *x,
                                         void *y) {
  int map[VITC_MAX_RANK], d1[VITC_MAX_RANK], p1[VITC_MAX_RANK];
  int gstart[VITC_MAX_RANK];
  ptrdiff_t gsize[VITC_MAX_RANK];
  ptrdiff_t in[VITC_MAX_RANK];   /* simplified input dims */
  int pm[VITC_MAX_RANK];         /* simplified perm */
  ptrdiff_t xs[VITC_MAX_RANK];   /* input strides (elements) */
  ptrdiff_t ys[VITC_MAX_RANK];   /* output stride of each input dim */
  ptrdiff_t bd[VITC_MAX_RANK], bx[VITC_MAX_RANK], by[VITC_MAX_RANK];
  ptrdiff_t bi[VITC_MAX_RANK];
  ptrdiff_t total = 1, es = (ptrdiff_t)elem;
  int n1 = 0, ng = 0, r, d, k, g, h, nb;
  unsigned char *yb = (unsigned char *)y;
  const unsigned char *xb = (const unsigned char *)x;

  /* 1. drop size-1 dims */
  for (d = 0; d < rank; d++) {
    total *= dims[d];
    map[d] = dims[d] == 1 ? -1 : n1++;
    if (dims[d] != 1) d1[map[d]] = dims[d];
  }
  if (total <= 0) return;
  for (k = 0, h = 0; k < rank; k++)
    if (map[perm[k]] >= 0) p1[h++] = map[perm[k]];

  /* 2. merge runs of input dims that stay consecutive in the output */
  for (k = 0; k < n1; k++) {
    if (k > 0 && p1[k] == p1[k - 1] + 1) {
      gsize[ng - 1] *= d1[p1[k]];
    } else {
      gstart[ng] = p1[k];
      gsize[ng] = d1[p1[k]];
      ng++;
    }
  }
  /* group g (output position g) is input dim pm[g] = rank of its start */
  for (g = 0; g < ng; g++) {
    int rk = 0;
    for (h = 0; h < ng; h++) rk += gstart[h] < gstart[g];
    pm[g] = rk;
    in[rk] = gsize[g];
  }
  r = ng;

  /* 3. nothing to permute */
  if (r <= 1 || (r == 2 && pm[0] == 0)) {
    memcpy(y, x, (size_t)total * (size_t)elem);
    return;
  }
  xs[r - 1] = 1;
  for (d = r - 2; d >= 0; d--) xs[d] = xs[d + 1] * in[d + 1];
  {
    ptrdiff_t s = 1;
    for (k = r - 1; k >= 0; k--) {
      ys[pm[k]] = s;
      s *= in[pm[k]];
    }
  }

  if (pm[r - 1] == r - 1) {
    /* 4. rows of in[r-1] elements move whole; odometer over output dims 0..r-2 */
    size_t row = (size_t)in[r - 1] * (size_t)elem;
    ptrdiff_t off = 0, o, rows = total / in[r - 1];
    nb = r - 1;
    for (k = 0; k < nb; k++) {
      bd[k] = in[pm[k]];
      bx[k] = xs[pm[k]];
      bi[k] = 0;
    }
    for (o = 0; o < rows; o++) {
      memcpy(yb + o * (ptrdiff_t)row, xb + off * es, row);
      for (k = nb - 1; k >= 0; k--) {
        off += bx[k];
        if (++bi[k] < bd[k]) break;
        off -= bx[k] * bd[k];
        bi[k] = 0;
      }
    }
    return;
  }

  /* 5. tiled planes (input dims p and q = r-1), batched over the other dims
   *    taken in output order */
  {
    const int p = pm[r - 1], q = r - 1;
    const ptrdiff_t P = in[p], Q = in[q], ldi = xs[p], ldo = ys[q];
    ptrdiff_t xo = 0, yo = 0, b, nbatch = total / (P * Q);
    nb = 0;
    for (k = 0; k < r; k++) {
      if (pm[k] == p || pm[k] == q) continue;
      bd[nb] = in[pm[k]];
      bx[nb] = xs[pm[k]];
      by[nb] = ys[pm[k]];
      bi[nb] = 0;
      nb++;
    }
    if ((Q < VITC_TR_TILE || (P < VITC_TR_TILE && ldo * es % 4096 == 0)) && nbatch > 1) {
      /* a narrow plane (MobileViT's unfold [64,256,4] -> [4,256,64], and its fold
       * back): its P input rows, or its Q output rows when they are a multiple of 4
       * KiB apart, fall in few L1 sets, so take VITC_TR_ROWS of them at a time
       * through every batch, while their lines stay in L1 (kernel alone, Zen 4:
       * [64,256,4] 140 -> 88 us, [80,64,4] 19 -> 13, [4,256,64] 79 -> 61; [4,64,80],
       * output rows 1 KiB apart, stays on the tiles: 14 us against 19) */
      const int by_rows = Q < VITC_TR_TILE;
      const ptrdiff_t n = by_rows ? P : Q;
      ptrdiff_t r0;
      for (r0 = 0; r0 < n; r0 += VITC_TR_ROWS) {
        const ptrdiff_t r1 = r0 + VITC_TR_ROWS < n ? r0 + VITC_TR_ROWS : n;
        for (b = 0; b < nbatch; b++) {
          unsigned char *dst = yb + yo * es;
          const unsigned char *src = xb + xo * es;
          switch (elem) {
          case 1: VITC_TR_NARROW(1); break;
          case 2: VITC_TR_NARROW(2); break;
          case 4: VITC_TR_NARROW(4); break;
          case 8: VITC_TR_NARROW(8); break;
          default: VITC_TR_NARROW(elem); break;
          }
          for (k = nb - 1; k >= 0; k--) {
            xo += bx[k];
            yo += by[k];
            if (++bi[k] < bd[k]) break;
            xo -= bx[k] * bd[k];
            yo -= by[k] * bd[k];
            bi[k] = 0;
          }
        }
      }
      return;
    }
    for (b = 0; b < nbatch; b++) {
      unsigned char *dst = yb + yo * es;
      const unsigned char *src = xb + xo * es;
      switch (elem) {
      case 1: VITC_TR_PLANE(1); break;
      case 2: VITC_TR_PLANE(2); break;
      case 4: VITC_TR_PLANE(4); break;
      case 8: VITC_TR_PLANE(8); break;
      default: VITC_TR_PLANE(elem); break;
      }
      for (k = nb - 1; k >= 0; k--) {
        xo += bx[k];
        yo += by[k];
        if (++bi[k] < bd[k]) break;
        xo -= bx[k] * bd[k];
        yo -= by[k] * bd[k];
        bi[k] = 0;
      }
    }
  }
}

#undef VITC_TR_PLANE
#undef VITC_TR_NARROW
#undef VITC_TR_ROWS
#undef VITC_TR_TILE

#endif /* VITC_X_TRANSPOSE_SCALAR_C */
