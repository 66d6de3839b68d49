/* templates/reduce/f32-reduce-scalar.c: the ONNX Reduce family (Sum, Mean, Max,
 * Min, Prod, SumSquare, L1, L2, LogSum, LogSumExp) over any set of axes of a
 * contiguous tensor, portable scalar C.
 *
 * Contract shared by the four kernels:
 *   X: contiguous, rank <= VITC_MAX_RANK, shape dims[0..rank)
 *   reduce_mask[d] != 0 marks axis d as reduced
 *   Y: contiguous, X's shape with the reduced axes removed. keepdims=1 only
 *      inserts 1s into the shape, which does not move memory, so the same
 *      kernel serves both. An empty mask copies X (the compiler normally
 *      resolves ONNX's noop_with_empty_axes / "reduce all" itself).
 *
 * How: first the shape is simplified: dims of size 1 are dropped and runs of
 * adjacent axes that are all reduced or all kept are merged, so e.g.
 * (1, 197, 768) reducing axis 2 becomes (197 kept, 768 reduced), and
 * reducing axes {2,3} of NCHW becomes (N*C kept, H*W reduced). Then X is read
 * once in memory order with an odometer over the merged outer axes and one of
 * two contiguous inner loops:
 *   - the last merged axis is reduced: each row folds into one output
 *     (8 interleaved partial sums for sum/mean, so the loop vectorizes
 *     without reassociating float math);
 *   - the last merged axis is kept: Y[j] op= X[j] over a contiguous row, a
 *     loop that vectorizes as it is.
 * Sums are in float (ONNX Runtime sums in float as well). ReduceMean divides
 * the sum by the count of reduced elements; SumSquare, L1, L2, LogSum and
 * LogSumExp map each element (x*x, |x|, exp x) before the sum and the sum
 * after (sqrt, log). LogSumExp is shifted by the maximum m of each output's set,
 * m + log(sum exp(x - m)), so it does not overflow where exp(x) would (x above
 * about 88); m lives in the caller's `work` (one float per output), written by a
 * first ReduceMax pass; an infinite m shifts by 0 instead (all -inf gives -inf,
 * +inf gives +inf). Other ops ignore work (NULL is fine). Max/Min skip NaN (a NaN input
 * never wins a comparison; ONNX Runtime may propagate it instead); reducing
 * an empty set gives 0 for sum, NaN for mean, -inf for max and +inf for min.
 * When every reduced axis has size 1, Y is a plain copy of X.
 *
 * No scratch. Y must not overlap X. */
#ifndef VITC_F32_REDUCE_SCALAR_C
#define VITC_F32_REDUCE_SCALAR_C

#include "../prelude.h"

enum {
    VITC__REDUCE_SUM = 0, VITC__REDUCE_MEAN = 1, VITC__REDUCE_MAX = 2, VITC__REDUCE_MIN = 3, VITC__REDUCE_PROD = 4,
    VITC__REDUCE_SUM_SQUARE = 5, VITC__REDUCE_L1 = 6, VITC__REDUCE_L2 = 7, VITC__REDUCE_LOG_SUM = 8,
    VITC__REDUCE_LOG_SUM_EXP = 9
};

/* The sum family maps each element before summing (x*x, |x|, exp x) and the sum
 * after (mean, sqrt, log); max, min and prod fold the elements as they are. */
VITC_KERNEL float vitc__f32_reduce_pre_scalar(int op, float v)
{
    return op == VITC__REDUCE_SUM_SQUARE || op == VITC__REDUCE_L2 ? v * v
         : op == VITC__REDUCE_L1                                  ? fabsf(v)
         : op == VITC__REDUCE_LOG_SUM_EXP                         ? expf(v)
                                                                  : v;
}

VITC_KERNEL float vitc__f32_reduce_post_scalar(int op, float v, ptrdiff_t count)
{
    return op == VITC__REDUCE_MEAN                                     ? v / (float)count
         : op == VITC__REDUCE_L2                                       ? sqrtf(v)
         : op == VITC__REDUCE_LOG_SUM || op == VITC__REDUCE_LOG_SUM_EXP ? logf(v)
                                                                        : v;
}

/* Fold a into the running value y: max, min, product, or sum (the rest). */
VITC_KERNEL float vitc__f32_reduce_fold_scalar(int op, float y, float a)
{
    return op == VITC__REDUCE_MAX ? (a > y ? a : y)
         : op == VITC__REDUCE_MIN ? (a < y ? a : y)
         : op == VITC__REDUCE_PROD ? y * a
                                   : y + a;
}

/* Fold x[0..n) into one value (pre-mapped, not post-mapped). */
VITC_KERNEL float vitc__f32_reduce_row_scalar(int op, const float *VITC_RESTRICT x, ptrdiff_t n)
{
    ptrdiff_t i = 0;
    if (op == VITC__REDUCE_SUM || op == VITC__REDUCE_MEAN) {
        float s0 = 0.0f, s1 = 0.0f, s2 = 0.0f, s3 = 0.0f, s4 = 0.0f, s5 = 0.0f, s6 = 0.0f, s7 = 0.0f;
        for (; i + 8 <= n; i += 8) {
            s0 += x[i + 0]; s1 += x[i + 1]; s2 += x[i + 2]; s3 += x[i + 3];
            s4 += x[i + 4]; s5 += x[i + 5]; s6 += x[i + 6]; s7 += x[i + 7];
        }
        for (; i < n; i++) s0 += x[i];
        return ((s0 + s4) + (s1 + s5)) + ((s2 + s6) + (s3 + s7));
    } else if (op == VITC__REDUCE_MAX) {
        float m = -INFINITY;
        for (; i < n; i++) m = x[i] > m ? x[i] : m;
        return m;
    } else if (op == VITC__REDUCE_MIN) {
        float m = INFINITY;
        for (; i < n; i++) m = x[i] < m ? x[i] : m;
        return m;
    } else if (op == VITC__REDUCE_PROD) {
        float p = 1.0f;
        for (; i < n; i++) p *= x[i];
        return p;
    } else {
        float s = 0.0f;
        for (; i < n; i++) s += vitc__f32_reduce_pre_scalar(op, x[i]);
        return s;
    }
}

/* The shape of a reduction after merging: size-1 dims dropped, adjacent dims
 * that are all reduced or all kept merged (shared by the SIMD template). */
typedef struct vitc_reduce_plan {
    ptrdiff_t gdim[VITC_MAX_RANK];     /* merged dims */
    int gred[VITC_MAX_RANK];           /* merged dim is reduced */
    ptrdiff_t gystride[VITC_MAX_RANK]; /* step in Y per step of the merged dim (0 if reduced) */
    ptrdiff_t ny, count, nouter, inner;
    int ng, last_red;
} vitc_reduce_plan;

/* Plans the reduction; returns 1 when it is already done (an empty input, or
 * nothing actually reduced: Y is X mapped), else 0 with Y filled with op's identity. */
VITC_KERNEL int vitc__f32_reduce_plan_scalar(int op, int rank, const int *dims, const int *reduce_mask,
                                             const float *VITC_RESTRICT X, float *VITC_RESTRICT Y,
                                             vitc_reduce_plan *p)
{
    ptrdiff_t j, s = 1;
    int d;
    const float init = op == VITC__REDUCE_MAX ? -INFINITY : op == VITC__REDUCE_MIN ? INFINITY
                     : op == VITC__REDUCE_PROD ? 1.0f : 0.0f;
    p->ny = 1;
    p->count = 1;
    p->ng = 0;
    for (d = 0; d < rank; d++) {
        const int red = reduce_mask[d] != 0;
        if (dims[d] == 0) { /* empty input: Y (if not empty too) is the identity of op */
            p->ny = 0;
            break;
        }
        if (red) p->count *= dims[d];
        else p->ny *= dims[d];
        if (dims[d] == 1) continue;
        if (p->ng > 0 && p->gred[p->ng - 1] == red) {
            p->gdim[p->ng - 1] *= dims[d];
        } else {
            p->gdim[p->ng] = dims[d];
            p->gred[p->ng] = red;
            p->ng++;
        }
    }
    if (p->ny == 0) { /* some dim is 0: recount Y's size, fill it with the empty-set result */
        p->ny = 1;
        for (d = 0; d < rank; d++)
            if (!reduce_mask[d]) p->ny *= dims[d];
        for (j = 0; j < p->ny; j++) Y[j] = vitc__f32_reduce_post_scalar(op, init, 0);
        return 1;
    }
    if (p->count == 1) { /* nothing is actually reduced: Y is X, mapped (LogSumExp of one x is x) */
        if (op <= VITC__REDUCE_PROD || op == VITC__REDUCE_LOG_SUM_EXP) memcpy(Y, X, (size_t)p->ny * sizeof(float));
        else
            for (j = 0; j < p->ny; j++)
                Y[j] = vitc__f32_reduce_post_scalar(op, vitc__f32_reduce_pre_scalar(op, X[j]), 1);
        return 1;
    }
    for (d = p->ng - 1; d >= 0; d--) {
        p->gystride[d] = p->gred[d] ? 0 : s;
        if (!p->gred[d]) s *= p->gdim[d];
    }
    p->last_red = p->gred[p->ng - 1];
    p->inner = p->gdim[p->ng - 1];
    p->nouter = 1;
    for (d = 0; d < p->ng - 1; d++) p->nouter *= p->gdim[d];
    for (j = 0; j < p->ny; j++) Y[j] = init;
    return 0;
}

/* LogSumExp's shift for an output whose maximum is m: m, or 0 if m is infinite */
static inline float vitc__f32_reduce_shift(float m) { return m - m == 0.0f ? m : 0.0f; }

/* One contiguous row of a planned reduction: x[0, n) folded into Y at y. With
 * the last merged axis reduced ("into"), the row folds into the one output *y;
 * kept ("across"), y[j] op= x[j] over the row. shift, for LogSumExp, points at
 * the maxima of the outputs at y (else NULL): those terms are exp(x - shift). */
typedef void (*vitc__reduce_row_fn)(int op, const float *x, ptrdiff_t n, float *y, const float *shift);

/* The walk and the entry-point body are inlined into each kernel, so that the row
 * functions are known there and inlined in turn (called through a pointer, a row
 * of 16 floats took twice as long). */
#if defined(__GNUC__) || defined(__clang__)
#define VITC__REDUCE_INLINE static inline VITC_UNUSED __attribute__((always_inline))
#else
#define VITC__REDUCE_INLINE static inline VITC_UNUSED
#endif

static inline VITC_UNUSED void vitc__f32_reduce_into_scalar(int op, const float *VITC_RESTRICT x, ptrdiff_t n,
                                                            float *VITC_RESTRICT y, const float *VITC_RESTRICT shift)
{
    ptrdiff_t j;
    if (shift) {
        const float sh = vitc__f32_reduce_shift(shift[0]);
        float acc = 0.0f;
        for (j = 0; j < n; j++) acc += expf(x[j] - sh);
        *y += acc;
    } else {
        *y = vitc__f32_reduce_fold_scalar(op, *y, vitc__f32_reduce_row_scalar(op, x, n));
    }
}

static inline VITC_UNUSED void vitc__f32_reduce_across_scalar(int op, const float *VITC_RESTRICT x, ptrdiff_t n,
                                                              float *VITC_RESTRICT y, const float *VITC_RESTRICT shift)
{
    ptrdiff_t j;
    if (shift)
        for (j = 0; j < n; j++) y[j] += expf(x[j] - vitc__f32_reduce_shift(shift[j]));
    else if (op == VITC__REDUCE_MAX)
        for (j = 0; j < n; j++) y[j] = x[j] > y[j] ? x[j] : y[j];
    else if (op == VITC__REDUCE_MIN)
        for (j = 0; j < n; j++) y[j] = x[j] < y[j] ? x[j] : y[j];
    else if (op == VITC__REDUCE_SUM || op == VITC__REDUCE_MEAN)
        for (j = 0; j < n; j++) y[j] += x[j];
    else
        for (j = 0; j < n; j++) y[j] = vitc__f32_reduce_fold_scalar(op, y[j], vitc__f32_reduce_pre_scalar(op, x[j]));
}

/* The fold of a planned reduction: X read once in memory order, row by row, each
 * row handed to `into` or `across` (the scalar ones above, or the shim-based
 * kernels' vector rows) with its outputs in Y; for LogSumExp, shift (ny floats)
 * holds each output's maximum and Y gets the shifted sums. */
VITC__REDUCE_INLINE void vitc__f32_reduce_walk(int op, const vitc_reduce_plan *p, const float *X, float *Y,
                                              const float *shift, vitc__reduce_row_fn into, vitc__reduce_row_fn across)
{
    ptrdiff_t idx[VITC_MAX_RANK];
    ptrdiff_t o, yoff = 0;
    int d;
    for (d = 0; d < p->ng - 1; d++) idx[d] = 0;
    for (o = 0; o < p->nouter; o++) {
        /* reduced outer dims bring rows back to the same yoff; two calls, not a
         * pointer picked at run time, so that each is a known function */
        if (p->last_red) into(op, X + o * p->inner, p->inner, Y + yoff, shift ? shift + yoff : NULL);
        else across(op, X + o * p->inner, p->inner, Y + yoff, shift ? shift + yoff : NULL);
        /* advance the odometer over merged dims [0, ng-1) and Y's offset */
        for (d = p->ng - 2; d >= 0; d--) {
            yoff += p->gystride[d];
            if (++idx[d] < p->gdim[d]) break;
            yoff -= p->gystride[d] * p->gdim[d];
            idx[d] = 0;
        }
    }
}

/* The entry point's body, scalar and shim-based: plans and folds (with LogSumExp's
 * first pass, the maxima, into work). Returns 0 when Y is done, 1 when Y still
 * needs its post-map (mean, sqrt, log; for LogSumExp log + the shift of work),
 * which each kernel does its own way, over p->ny outputs of p->count terms. */
VITC__REDUCE_INLINE int vitc__f32_reduce_fold_all(int op, int rank, const int *dims, const int *reduce_mask,
                                                 const float *VITC_RESTRICT X, float *VITC_RESTRICT Y,
                                                 float *VITC_RESTRICT work, vitc__reduce_row_fn into,
                                                 vitc__reduce_row_fn across, vitc_reduce_plan *p)
{
    if (op == VITC__REDUCE_LOG_SUM_EXP) {
        if (vitc__f32_reduce_plan_scalar(VITC__REDUCE_MAX, rank, dims, reduce_mask, X, work, p)) {
            vitc__f32_reduce_plan_scalar(op, rank, dims, reduce_mask, X, Y, p);
            return 0;
        }
        vitc__f32_reduce_walk(VITC__REDUCE_MAX, p, X, work, NULL, into, across);
        vitc__f32_reduce_plan_scalar(op, rank, dims, reduce_mask, X, Y, p);
        vitc__f32_reduce_walk(op, p, X, Y, work, into, across);
        return 1;
    }
    if (vitc__f32_reduce_plan_scalar(op, rank, dims, reduce_mask, X, Y, p)) return 0;
    vitc__f32_reduce_walk(op, p, X, Y, NULL, into, across);
    return op == VITC__REDUCE_MEAN || op >= VITC__REDUCE_L2;
}

/* Y = op over the axes d with reduce_mask[d] != 0 of X (dims[0..rank)), op one of
 * VITC__REDUCE_* (the ONNX op's name: see compiler/ops/reduce.c); work: one
 * float per element of Y for LogSumExp (its maxima), else unused (may be NULL). */
VITC_KERNEL void vitc_f32_reduce_scalar(int op, int rank, const int *dims, const int *reduce_mask,
                                        const float *VITC_RESTRICT X, float *VITC_RESTRICT Y,
                                        float *VITC_RESTRICT work)
{
    vitc_reduce_plan p;
    ptrdiff_t j;
    if (!vitc__f32_reduce_fold_all(op, rank, dims, reduce_mask, X, Y, work, vitc__f32_reduce_into_scalar,
                                   vitc__f32_reduce_across_scalar, &p))
        return;
    for (j = 0; j < p.ny; j++)
        Y[j] = op == VITC__REDUCE_LOG_SUM_EXP ? logf(Y[j]) + vitc__f32_reduce_shift(work[j])
                                              : vitc__f32_reduce_post_scalar(op, Y[j], p.count);
}

#endif /* VITC_F32_REDUCE_SCALAR_C */
