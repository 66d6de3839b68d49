/* templates/select/f32-topk-scalar.c: ONNX TopK over one axis, portable scalar C.
 *
 * The tensor is viewed as (outer, axis_len, inner) with the TopK axis in the
 * middle; outputs are (outer, K, inner): values as float, indices as int64_t
 * positions along the axis.
 *
 * Ties follow ONNX exactly: elements are ranked by value (descending when
 * largest=1, ascending when largest=0) and equal values by index, lower index
 * first (+0 and -0 are equal). That is a strict total order on the positions,
 * so both which K elements are chosen and the order they come out in are
 * determined (ONNX Runtime's comparator, for its heap and its nth_element
 * paths alike): among equal values the lower indices are selected and come
 * first.
 *
 * Selection is linear in the lane length n (FilterViT picks K = 128 of 784
 * pixels, then only gathers and scatters them): each value becomes a 32-bit
 * key whose unsigned order is the ranking order (the float's bits, sign-folded;
 * complemented for largest=0), computed once into scratch, and a radix select
 * finds the K-th best key T one byte at a time, most significant first: a
 * histogram of the next byte among the keys that share the bytes found so far,
 * 4 passes over the keys at most, fewer when the bin reached holds exactly the
 * elements still to choose. The chosen set is then every element with a key
 * above T, plus the lowest-indexed elements with key T until K are chosen:
 * exactly ONNX's set, collected in index order in one more pass. sorted=1 then sorts only those K,
 * by (key, index) in a heapsort (O(K log K), no recursion): values[0] is the
 * best. sorted=0: ONNX leaves the order open; this kernel emits the chosen
 * elements in increasing index order (ONNX Runtime's order differs, so compare
 * sorted=0 results as sets).
 *
 * NaN has no place in ONNX's order, and ONNX Runtime's result with NaN depends
 * on which of its algorithms runs (a heap for small K, nth_element otherwise;
 * neither gives NaN a rank, tests/check_filter.c shows examples). vitc ranks
 * NaN after every number (chosen only when fewer than K numbers remain, lower
 * index first), except for K = 1: there ONNX Runtime scans for the first
 * strictly better value starting from element 0, which this kernel does too
 * (NaN at position 0 is chosen; a NaN later never is), so K = 1 matches it
 * exactly, NaN included.
 *
 * Scratch: VITC_F32_TOPK_SCRATCH_BYTES(K, axis_len) (K 64-bit sort keys, a
 * 256-entry histogram and the lane's 32-bit keys; none when K <= 1), 8-byte
 * aligned. Requires 0 <= K <= axis_len (the compiler checks K against the axis). */
#ifndef VITC_F32_TOPK_SCALAR_C
#define VITC_F32_TOPK_SCALAR_C

#include "../prelude.h"

/* Scratch of vitc_f32_topk_scalar (compiler/ops/topk.c mirrors it). */
#define VITC_F32_TOPK_SCRATCH_BYTES(K, n) ((K) <= 1 ? 0 : (size_t)(K) * 8 + 256 * 4 + (size_t)(n) * 4)

/* The ranking key of v: larger key = ranks earlier. +0 and -0 share a key;
 * NaN gets 0, after every number. */
static inline VITC_UNUSED uint32_t vitc__f32_topk_key(float v, int largest)
{
    uint32_t b;
    if (v != v) return 0;
    if (v == 0.0f) v = 0.0f;
    memcpy(&b, &v, sizeof b);
    b = (b & 0x80000000u) ? ~b : (b | 0x80000000u); /* unsigned order = float order */
    return largest ? b : ~b; /* never 0: that would be a NaN's bits */
}

/* Sift-down in a max-heap of h[0..n) by value. */
static inline VITC_UNUSED void vitc__f32_topk_sift(uint64_t *h, int n, int i)
{
    for (;;) {
        const int l = 2 * i + 1, r = l + 1;
        int m = i;
        uint64_t t;
        if (l < n && h[l] > h[m]) m = l;
        if (r < n && h[r] > h[m]) m = r;
        if (m == i) return;
        t = h[i], h[i] = h[m], h[m] = t;
        i = m;
    }
}

/* values (outer, K, inner), indices (outer, K, inner) = TopK of X (outer, axis_len, inner)
 * along the middle axis: the K largest (largest=1) or smallest (largest=0)
 * elements, ties to the lower index; sorted=1 best first, sorted=0 in index
 * order. scratch: VITC_F32_TOPK_SCRATCH_BYTES(K, axis_len) bytes, 8-byte aligned
 * (NULL ok when K <= 1). values/indices must not overlap X. */
VITC_KERNEL void vitc_f32_topk_scalar(int outer, int axis_len, int inner, int K, int largest, int sorted,
                                      const float *VITC_RESTRICT X, float *VITC_RESTRICT values,
                                      int64_t *VITC_RESTRICT indices, void *VITC_RESTRICT scratch)
{
    int o, j, i, l;
    if (K <= 0 || axis_len <= 0) return;
    for (o = 0; o < outer; o++) {
        for (j = 0; j < inner; j++) {
            const float *x = X + (ptrdiff_t)o * axis_len * inner + j;
            float *v = values + (ptrdiff_t)o * K * inner + j;
            int64_t *ix = indices + (ptrdiff_t)o * K * inner + j;

            if (K == 1) { /* ONNX Runtime's scan: the first strictly better value from element 0 */
                int best = 0;
                float bv = x[0];
                for (i = 1; i < axis_len; i++) {
                    const float xv = x[(ptrdiff_t)i * inner];
                    if (largest ? xv > bv : xv < bv) {
                        bv = xv;
                        best = i;
                    }
                }
                v[0] = bv;
                ix[0] = best;
                continue;
            }

            {
                uint64_t *sel = (uint64_t *)scratch;
                int *hist = (int *)(sel + K);
                uint32_t *keys = (uint32_t *)(hist + 256);
                uint32_t prefix = 0, mask = 0; /* the bytes of T found so far, and which */
                int need = K;                  /* how many of the elements matching prefix are still to choose */
                int shift, taken, n_eq;

                for (i = 0; i < axis_len; i++) keys[i] = vitc__f32_topk_key(x[(ptrdiff_t)i * inner], largest);
                /* radix select of T, the K-th largest key: most significant byte first */
                for (shift = 24; shift >= 0; shift -= 8) {
                    int b, acc = 0;
                    for (b = 0; b < 256; b++) hist[b] = 0;
                    for (i = 0; i < axis_len; i++)
                        if ((keys[i] & mask) == prefix) hist[(keys[i] >> shift) & 255]++;
                    for (b = 255; b >= 0; b--) { /* the byte where the count from the top reaches need */
                        if (acc + hist[b] >= need) break;
                        acc += hist[b];
                    }
                    need -= acc;
                    prefix |= (uint32_t)b << shift;
                    mask |= 255u << shift;
                    if (hist[b] == need) break; /* that whole bin is chosen: no lower byte matters */
                }
                /* chosen: keys above T's bytes found, then the first `need` that share them */
                taken = 0;
                n_eq = 0;
                for (i = 0; i < axis_len && taken < K; i++) {
                    const uint32_t km = keys[i] & mask;
                    if (km > prefix || (km == prefix && n_eq++ < need))
                        sel[taken++] = (uint64_t)keys[i] << 32 | (uint32_t)(0xFFFFFFFFu - (uint32_t)i);
                }
                if (sorted) { /* heapsort ascending, read from the back: best first */
                    for (l = K / 2 - 1; l >= 0; l--) vitc__f32_topk_sift(sel, K, l);
                    for (l = K - 1; l > 0; l--) {
                        const uint64_t t = sel[0];
                        sel[0] = sel[l];
                        sel[l] = t;
                        vitc__f32_topk_sift(sel, l, 0);
                    }
                    for (l = 0; l < K; l++) {
                        const int p = (int)(0xFFFFFFFFu - (uint32_t)sel[K - 1 - l]);
                        v[(ptrdiff_t)l * inner] = x[(ptrdiff_t)p * inner];
                        ix[(ptrdiff_t)l * inner] = p;
                    }
                } else {
                    for (l = 0; l < K; l++) {
                        const int p = (int)(0xFFFFFFFFu - (uint32_t)sel[l]);
                        v[(ptrdiff_t)l * inner] = x[(ptrdiff_t)p * inner];
                        ix[(ptrdiff_t)l * inner] = p;
                    }
                }
            }
        }
    }
}

#endif /* VITC_F32_TOPK_SCALAR_C */
