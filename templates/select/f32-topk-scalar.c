/* templates/select/f32-topk-scalar.c: ONNX TopK over one axis, portable scalar C.
 *
 * The tensor is viewed as (outer, axis_len, inner) with the TopK axis in the
 * middle; outputs are (outer, K, inner): values as float, indices as int64_t
 * positions along the axis.
 *
 * Ties follow ONNX exactly: elements are ranked by value (descending when
 * largest=1, ascending when largest=0) and equal values by index, lower index
 * first. That is a strict total order on the positions, so both which K
 * elements are chosen and the order they come out in are determined (as in
 * ONNX Runtime's comparator): among equal values the lower indices are
 * selected and come first.
 *
 * Selection keeps the K best positions seen so far in a binary heap whose root
 * is the worst of them, in caller scratch; each later position replaces the
 * root only if it ranks strictly better, then sifts down: O(n log K) per lane
 * and no allocation. Positions arrive in increasing index order, so a value
 * equal to the root never replaces it (the lower index wins).
 * sorted=1: the heap is emptied worst-first into the output from the back:
 *   values[0] is the best, values[K-1] the K-th best.
 * sorted=0: ONNX leaves the order unspecified; this kernel emits the chosen
 *   elements in increasing index order (one O(n) pass: a position is chosen
 *   iff it ranks at least as well as the heap's root). ONNX Runtime's order
 *   differs, so compare sorted=0 results as sets.
 * K == 1 is a plain first-best scan.
 *
 * NaN has no place in the order (every comparison with it is false), so
 * results with NaN inputs are unspecified, as in ONNX Runtime.
 *
 * Scratch: K ints (unused, may be NULL, when K <= 1). Requires
 * 0 <= K <= axis_len (the compiler checks K against the axis). */
#ifndef VITC_F32_TOPK_SCALAR_C
#define VITC_F32_TOPK_SCALAR_C

#include "../prelude.h"

/* Does position a rank strictly before position b? x is the lane, stride apart. */
VITC_KERNEL int vitc__f32_topk_better_scalar(const float *x, ptrdiff_t stride, int largest, int a, int b)
{
    const float va = x[(ptrdiff_t)a * stride], vb = x[(ptrdiff_t)b * stride];
    if (va == vb) return a < b;
    return largest ? va > vb : va < vb;
}

/* Restore the worst-at-root heap property below heap[i] in heap[0..n). */
VITC_KERNEL void vitc__f32_topk_sift_scalar(int *heap, int n, int i, const float *x, ptrdiff_t stride, int largest)
{
    for (;;) {
        const int l = 2 * i + 1, r = l + 1;
        int w = i;
        if (l < n && vitc__f32_topk_better_scalar(x, stride, largest, heap[w], heap[l])) w = l;
        if (r < n && vitc__f32_topk_better_scalar(x, stride, largest, heap[w], heap[r])) w = r;
        if (w == i) return;
        {
            const int t = heap[i];
            heap[i] = heap[w];
            heap[w] = t;
        }
        i = w;
    }
}

/* values (outer, K, inner), indices (outer, K, inner) = TopK of X (outer, axis_len, inner)
 * along the middle axis: the K largest (largest=1) or smallest (largest=0)
 * elements, ties to the lower index; sorted=1 best first, sorted=0 in index
 * order. scratch: K ints (NULL ok when K <= 1). values/indices must not
 * overlap X. */
VITC_KERNEL void vitc_f32_topk_scalar(int outer, int axis_len, int inner, int K, int largest, int sorted,
                                      const float *VITC_RESTRICT X, float *VITC_RESTRICT values,
                                      int64_t *VITC_RESTRICT indices, int *VITC_RESTRICT scratch)
{
    int o, j, i, l;
    if (K <= 0 || axis_len <= 0) return;
    for (o = 0; o < outer; o++) {
        for (j = 0; j < inner; j++) {
            const float *x = X + (ptrdiff_t)o * axis_len * inner + j;
            float *v = values + (ptrdiff_t)o * K * inner + j;
            int64_t *ix = indices + (ptrdiff_t)o * K * inner + j;

            if (K == 1) {
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

            /* heap of the first K positions, then replace-the-worst */
            for (i = 0; i < K; i++) scratch[i] = i;
            for (i = K / 2 - 1; i >= 0; i--) vitc__f32_topk_sift_scalar(scratch, K, i, x, inner, largest);
            for (i = K; i < axis_len; i++) {
                if (vitc__f32_topk_better_scalar(x, inner, largest, i, scratch[0])) {
                    scratch[0] = i;
                    vitc__f32_topk_sift_scalar(scratch, K, 0, x, inner, largest);
                }
            }

            if (sorted) {
                /* pop worst-first, fill from the back */
                for (l = K - 1; l >= 0; l--) {
                    const int p = scratch[0];
                    v[(ptrdiff_t)l * inner] = x[(ptrdiff_t)p * inner];
                    ix[(ptrdiff_t)l * inner] = p;
                    scratch[0] = scratch[l];
                    vitc__f32_topk_sift_scalar(scratch, l, 0, x, inner, largest);
                }
            } else {
                const int worst = scratch[0];
                l = 0;
                for (i = 0; i < axis_len && l < K; i++) {
                    if (i == worst || vitc__f32_topk_better_scalar(x, inner, largest, i, worst)) {
                        v[(ptrdiff_t)l * inner] = x[(ptrdiff_t)i * inner];
                        ix[(ptrdiff_t)l * inner] = i;
                        l++;
                    }
                }
            }
        }
    }
}

#endif /* VITC_F32_TOPK_SCALAR_C */
