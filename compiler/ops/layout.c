/* ops/layout.c: data movement: Transpose, Concat, Split, Slice, Expand, Tile,
 * DepthToSpace, SpaceToDepth, and the index-driven Gather, GatherElements and
 * ScatterElements.
 *
 * None of these computes anything: each output element is a copy of some input
 * element, so every op here works for any element type, and its eval (constant
 * folding) is exact by construction. The address of the source element is
 * affine in the output coordinates for Transpose, Slice, Expand, Tile and the
 * depth/space rearrangements (strides that may be permuted, scaled by a step,
 * or zero, over up to 2 * IR_MAX_RANK dims), so their evals share one
 * strided walker, copy_strided(), the compile-time twin of the x-copy kernels.
 * Concat and Split are block copies over the tensor viewed as [outer, axis *
 * inner]. The gathers compute a source address per index.
 *
 * Operands that decide shapes (Slice's starts/ends/axes/steps, Split's sizes,
 * Expand's shape) must be constants after folding: vitc compiles static shapes.
 * Gather indices may be computed at run time; constant indices are checked
 * here, since the kernels quietly turn a bad run-time index into zeros.
 *
 * Pad (constant, reflect, edge, wrap; negative pads crop) and Trilu map each
 * output element to its source in templates/layout/x-pad-scalar.c, and fold
 * with those same kernels.
 *
 * Each emitter normalizes the ONNX attributes into the plain contract of the
 * kernel in templates/layout/ (x-transpose, x-copy, x-gather) and writes one
 * call, with every shape a literal. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "emit/buf.h"
#include "emit/emit.h"
#include "ops/op.h"

/* Pad and Trilu fold with the bundle's own kernels (the rest with copy_strided). */
#include "layout/x-pad-scalar.c"

/* ---- shared helpers ---- */

/* Input i, typed and of an element type that can be copied. */
static Tensor *data_input(Graph *g, Node *n, int i) {
  Tensor *x = node_in(g, n, i);
  if (!x || !x->typed) {
    node_err(g, n, "input %d has no known type and shape", i);
    return NULL;
  }
  if (dtype_size(x->dtype) == 0) {
    node_err(g, n, "input %d has element type %s, which vitc does not support", i, dtype_name(x->dtype));
    return NULL;
  }
  return x;
}

/* A constant 1-D integer operand that decides a shape (Slice starts, Expand
 * shape, Split sizes); returns the count or -1 (reported). */
static int shape_operand(Graph *g, Node *n, int i, const char *what, int64_t *v, int max) {
  Tensor *t = node_in(g, n, i);
  if (t && !t->data)
    return node_err(g, n, "input '%s' is not a compile-time constant; vitc needs static shapes", what);
  if (t && t->shape.rank != 1) return node_err(g, n, "input '%s' must be 1-D, not rank %d", what, t->shape.rank);
  return const_ints(g, n, i, what, v, max);
}

static size_t elem_size(Graph *g, Node *n) { return dtype_size(node_in(g, n, 0)->dtype); }

static bool output_empty(Graph *g, Node *n, int i) {
  Tensor *t = node_out(g, n, i);
  return !t || shape_numel(&t->shape) == 0;
}

/* Product of dims [from, to). */
static int64_t dims_product(const Shape *s, int from, int to) {
  int64_t p = 1;
  for (int i = from; i < to; i++) p *= s->d[i];
  return p;
}

static const char *emit_shape_ints(Emitter *e, const char *hint, const Shape *s) {
  return emit_ints(e, hint, s->d, s->rank);
}

/* y (dims, dense row-major) <- x[off + sum_d i_d * sx[d]], in elements of elem
 * bytes; sx may be zero (broadcast) or negative (reversed slice). */
static void copy_strided(void *y, const void *x, size_t elem, int rank, const int64_t *dims, const int64_t *sx,
                         int64_t off) {
  int64_t idx[2 * IR_MAX_RANK] = {0}, total = 1; /* Tile walks 2 * rank dims */
  unsigned char *yb = y;
  const unsigned char *xb = x;
  for (int d = 0; d < rank; d++) total *= dims[d];
  for (int64_t i = 0; i < total; i++) {
    memcpy(yb + (size_t)i * elem, xb + (size_t)off * elem, elem);
    for (int d = rank - 1; d >= 0; d--) {
      off += sx[d];
      if (++idx[d] < dims[d]) break;
      off -= sx[d] * dims[d];
      idx[d] = 0;
    }
  }
}

/* Index tensors (Gather, GatherElements, ScatterElements) are int32 or int64. */
static Tensor *index_input(Graph *g, Node *n, int i) {
  Tensor *t = data_input(g, n, i);
  if (t && t->dtype != DT_INT64 && t->dtype != DT_INT32) {
    node_err(g, n, "indices must be int32 or int64, not %s", dtype_name(t->dtype));
    return NULL;
  }
  return t;
}

/* Constant indices must lie in [-axis_n, axis_n): an out-of-range index is an
 * error in the model, which the kernels would silently turn into zeros. */
static int check_const_indices(Graph *g, Node *n, const Tensor *idx, int64_t axis_n) {
  if (!idx->data) return 0;
  for (int64_t i = 0; i < shape_numel(&idx->shape); i++) {
    int64_t v = tensor_get_i64(idx, i);
    if (v < -axis_n || v >= axis_n)
      return node_err(g, n, "index %" PRId64 " is out of range for a dimension of size %" PRId64, v, axis_n);
  }
  return 0;
}

/* Index i of a (checked) constant index tensor, made non-negative. */
static int64_t const_index(const Tensor *idx, int64_t i, int64_t axis_n) {
  int64_t v = tensor_get_i64(idx, i);
  return v < 0 ? v + axis_n : v;
}

/* ---- Transpose ---- */

/* perm attribute (default: reversed dims), checked to be a permutation. */
static int transpose_perm(Graph *g, Node *n, int rank, int *perm) {
  const int64_t *p;
  int k = attr_ints(n, "perm", &p);
  if (k < 0) {
    for (int i = 0; i < rank; i++) perm[i] = rank - 1 - i;
    return 0;
  }
  if (k != rank) return node_err(g, n, "perm has %d entries for an input of rank %d", k, rank);
  bool seen[IR_MAX_RANK] = {false};
  for (int i = 0; i < k; i++) {
    if (p[i] < 0 || p[i] >= rank || seen[p[i]]) return node_err(g, n, "perm is not a permutation of 0..%d", rank - 1);
    seen[p[i]] = true;
    perm[i] = (int)p[i];
  }
  return 0;
}

static int infer_transpose(Graph *g, Node *n) {
  Tensor *x = data_input(g, n, 0);
  int perm[IR_MAX_RANK];
  if (!x || transpose_perm(g, n, x->shape.rank, perm)) return -1;
  Shape s = {x->shape.rank, {0}};
  for (int k = 0; k < s.rank; k++) s.d[k] = x->shape.d[perm[k]];
  set_output(g, n, 0, x->dtype, &s);
  return 0;
}

static int eval_transpose(Graph *g, Node *n) {
  Tensor *x = node_in(g, n, 0), *y = node_out(g, n, 0);
  int perm[IR_MAX_RANK];
  int64_t xs[IR_MAX_RANK], sx[IR_MAX_RANK];
  if (transpose_perm(g, n, x->shape.rank, perm)) return -1;
  shape_strides(&x->shape, xs);
  for (int k = 0; k < x->shape.rank; k++) sx[k] = xs[perm[k]];
  copy_strided(alloc_output_data(g, n, 0), x->data, elem_size(g, n), y->shape.rank, y->shape.d, sx, 0);
  return 0;
}

/* Drop size-1 dims and merge input dims that stay adjacent and in order in the
 * output: [1,197,3,64] with perm [0,2,1,3] becomes [197,3,64] with [1,0,2].
 * Writes the collapsed input dims and perm; returns the collapsed rank. */
static int collapse_transpose(const Shape *s, const int *perm, int64_t *dims, int64_t *cperm) {
  int kept[IR_MAX_RANK], order[IR_MAX_RANK], n_order = 0, n_kept = 0, ng = 0;
  int gstart[IR_MAX_RANK];
  int64_t gsize[IR_MAX_RANK];
  for (int d = 0; d < s->rank; d++) kept[d] = s->d[d] == 1 ? -1 : n_kept++;
  for (int k = 0; k < s->rank; k++)
    if (kept[perm[k]] >= 0) order[n_order++] = perm[k];
  for (int k = 0; k < n_order; k++) { /* runs of consecutive kept input dims */
    int m = kept[order[k]];
    if (k > 0 && m == kept[order[k - 1]] + 1) {
      gsize[ng - 1] *= s->d[order[k]];
    } else {
      gstart[ng] = m;
      gsize[ng++] = s->d[order[k]];
    }
  }
  for (int gi = 0; gi < ng; gi++) { /* a group's input position: groups that start before it */
    int pos = 0;
    for (int h = 0; h < ng; h++) pos += gstart[h] < gstart[gi];
    cperm[gi] = pos;
    dims[pos] = gsize[gi];
  }
  return ng;
}

static int emit_transpose(Emitter *e, Graph *g, Node *n) {
  Tensor *x = node_in(g, n, 0);
  int perm[IR_MAX_RANK];
  int64_t dims[IR_MAX_RANK], cperm[IR_MAX_RANK];
  if (output_empty(g, n, 0)) return 0;
  if (transpose_perm(g, n, x->shape.rank, perm)) return -1;
  int r = collapse_transpose(&x->shape, perm, dims, cperm);
  const char *y = emit_ref(e, n->out[0]), *xr = emit_ref(e, n->in[0]);
  const char *dims_name = emit_ints(e, "dims", dims, r), *perm_name = emit_ints(e, "perm", cperm, r);
  emit_use_kernel(e, "layout/x-transpose");
  emit_line(e, "%s(%zu, %d, %s, %s, %s, %s);", emit_kfn(e, "vitc_x_transpose"), elem_size(g, n), r, dims_name,
            perm_name, xr, y);
  return 0;
}

const OpImpl op_impl_Transpose = {.infer = infer_transpose, .eval = eval_transpose, .emit = emit_transpose};

/* ---- Concat ---- */

static int concat_axis(Graph *g, Node *n, int rank, int *axis) {
  if (!node_attr(n, "axis")) return node_err(g, n, "missing attribute 'axis'");
  return normalize_axis(g, n, attr_int(n, "axis", 0), rank, axis);
}

static int infer_concat(Graph *g, Node *n) {
  if (n->n_in < 1) return node_err(g, n, "expects at least one input");
  Tensor *x0 = data_input(g, n, 0);
  int axis;
  if (!x0 || concat_axis(g, n, x0->shape.rank, &axis)) return -1;
  Shape s = x0->shape;
  s.d[axis] = 0;
  for (int k = 0; k < n->n_in; k++) {
    Tensor *t = data_input(g, n, k);
    if (!t) return -1;
    if (t->dtype != x0->dtype)
      return node_err(g, n, "input %d is %s, input 0 is %s", k, dtype_name(t->dtype), dtype_name(x0->dtype));
    bool same = t->shape.rank == x0->shape.rank;
    for (int d = 0; same && d < s.rank; d++) same = d == axis || t->shape.d[d] == x0->shape.d[d];
    if (!same) {
      char a[128], b[128];
      return node_err(g, n, "input %d %s does not match input 0 %s outside axis %d", k,
                      shape_str(&t->shape, a, sizeof a), shape_str(&x0->shape, b, sizeof b), axis);
    }
    s.d[axis] += t->shape.d[axis];
  }
  if (check_numel(g, n, &s)) return -1;
  set_output(g, n, 0, x0->dtype, &s);
  return 0;
}

static int eval_concat(Graph *g, Node *n) {
  Tensor *y = node_out(g, n, 0);
  int axis;
  if (concat_axis(g, n, y->shape.rank, &axis)) return -1;
  size_t elem = elem_size(g, n);
  int64_t outer = dims_product(&y->shape, 0, axis), inner = dims_product(&y->shape, axis + 1, y->shape.rank);
  unsigned char *dst = alloc_output_data(g, n, 0);
  for (int64_t o = 0; o < outer; o++)
    for (int k = 0; k < n->n_in; k++) {
      Tensor *t = node_in(g, n, k);
      size_t block = (size_t)(t->shape.d[axis] * inner) * elem;
      memcpy(dst, (const unsigned char *)t->data + (size_t)o * block, block);
      dst += block;
    }
  return 0;
}

static int emit_concat(Emitter *e, Graph *g, Node *n) {
  Tensor *y = node_out(g, n, 0);
  int axis;
  if (output_empty(g, n, 0)) return 0;
  if (concat_axis(g, n, y->shape.rank, &axis)) return -1;
  int64_t inner = dims_product(&y->shape, axis + 1, y->shape.rank);
  int64_t *blocks = xmalloc((size_t)n->n_in * sizeof *blocks);
  Buf parts = {0};
  int n_parts = 0;
  for (int k = 0; k < n->n_in; k++) {
    Tensor *t = node_in(g, n, k);
    if (shape_numel(&t->shape) == 0) continue; /* contributes nothing */
    blocks[n_parts++] = t->shape.d[axis] * inner;
    buf_printf(&parts, "%s%s", n_parts > 1 ? ", " : "", emit_ref(e, n->in[k]));
  }
  const char *yr = emit_ref(e, n->out[0]), *inner_name = emit_ints(e, "blocks", blocks, n_parts);
  emit_use_kernel(e, "layout/x-copy");
  emit_line(e, "{");
  emit_line(e, "  const void *const parts[%d] = {%s};", n_parts, parts.s);
  emit_line(e, "  %s(%zu, %" PRId64 ", %d, %s, parts, %s);", emit_kfn(e, "vitc_x_concat"), elem_size(g, n),
            dims_product(&y->shape, 0, axis), n_parts, inner_name, yr);
  emit_line(e, "}");
  buf_free(&parts);
  free(blocks);
  return 0;
}

const OpImpl op_impl_Concat = {.infer = infer_concat, .eval = eval_concat, .emit = emit_concat};

/* ---- Split ---- */

/* The parts' sizes along the axis (n->n_out of them): the 'split' input (opset
 * 13+) or attribute (older); else num_outputs (opset 18+: parts of
 * ceil(dim / n), the last one smaller); else equal parts. */
static int split_sizes(Graph *g, Node *n, const Tensor *x, int *axis, int64_t *sizes) {
  if (normalize_axis(g, n, attr_int(n, "axis", 0), x->shape.rank, axis)) return -1;
  int k = n->n_out;
  int64_t dim = x->shape.d[*axis];
  bool explicit_sizes = false;
  if (node_in(g, n, 1)) { /* the loader makes the attribute of older versions this input */
    int c = shape_operand(g, n, 1, "split", sizes, k);
    if (c < 0) return -1;
    if (c != k) return node_err(g, n, "'split' has %d sizes for %d outputs", c, k);
    explicit_sizes = true;
  } else {
    const int64_t *a;
    int c = attr_ints(n, "split", &a);
    if (c >= 0 && c != k) return node_err(g, n, "'split' has %d sizes for %d outputs", c, k);
    if (c >= 0) memcpy(sizes, a, (size_t)k * sizeof *sizes);
    explicit_sizes = c >= 0;
  }
  const Attr *num = g->opset >= 18 ? node_attr(n, "num_outputs") : NULL;
  if (num && explicit_sizes) return node_err(g, n, "give either 'split' or 'num_outputs', not both");
  if (num) {
    if (num->i != k) return node_err(g, n, "num_outputs is %" PRId64 " but the node has %d outputs", num->i, k);
    int64_t chunk = (dim + k - 1) / k, last = dim - chunk * (k - 1);
    if (last < 0) return node_err(g, n, "cannot split %" PRId64 " into %d parts of %" PRId64, dim, k, chunk);
    for (int i = 0; i < k; i++) sizes[i] = i < k - 1 ? chunk : last;
  } else if (!explicit_sizes) {
    if (dim % k) return node_err(g, n, "dimension %" PRId64 " does not split into %d equal parts", dim, k);
    for (int i = 0; i < k; i++) sizes[i] = dim / k;
  }
  int64_t sum = 0;
  for (int i = 0; i < k; i++) {
    if (sizes[i] < 0) return node_err(g, n, "split size %" PRId64 " is negative", sizes[i]);
    if (sizes[i] > dim - sum) /* checked before adding: sizes from the file may overflow int64 */
      return node_err(g, n, "split sizes add up to more than the dimension %" PRId64, dim);
    sum += sizes[i];
  }
  if (sum != dim) return node_err(g, n, "split sizes add up to %" PRId64 ", not the dimension %" PRId64, sum, dim);
  return 0;
}

static int infer_split(Graph *g, Node *n) {
  Tensor *x = data_input(g, n, 0);
  if (!x) return -1;
  int axis, rc = 0;
  int64_t *sizes = xmalloc((size_t)n->n_out * sizeof *sizes);
  if (split_sizes(g, n, x, &axis, sizes)) rc = -1;
  for (int k = 0; rc == 0 && k < n->n_out; k++) {
    Shape s = x->shape;
    s.d[axis] = sizes[k];
    set_output(g, n, k, x->dtype, &s);
  }
  free(sizes);
  return rc;
}

static int eval_split(Graph *g, Node *n) {
  Tensor *x = node_in(g, n, 0);
  int axis;
  int64_t *sizes = xmalloc((size_t)n->n_out * sizeof *sizes);
  if (split_sizes(g, n, x, &axis, sizes)) {
    free(sizes);
    return -1;
  }
  size_t elem = elem_size(g, n);
  int64_t outer = dims_product(&x->shape, 0, axis), inner = dims_product(&x->shape, axis + 1, x->shape.rank);
  size_t row = (size_t)(x->shape.d[axis] * inner) * elem;
  size_t at = 0; /* byte offset of part k within a row */
  for (int k = 0; k < n->n_out; k++) {
    size_t block = (size_t)(sizes[k] * inner) * elem;
    unsigned char *dst = alloc_output_data(g, n, k);
    for (int64_t o = 0; dst && o < outer; o++)
      memcpy(dst + (size_t)o * block, (const unsigned char *)x->data + (size_t)o * row + at, block);
    at += block;
  }
  free(sizes);
  return 0;
}

/* Outputs nobody named are still written by the kernel: into scratch. */
static size_t scratch_split(Graph *g, Node *n, const Target *t) {
  Tensor *x = node_in(g, n, 0);
  int axis;
  size_t worst = 0;
  int64_t *sizes = xmalloc((size_t)n->n_out * sizeof *sizes);
  if (split_sizes(g, n, x, &axis, sizes) == 0) {
    int64_t rows = dims_product(&x->shape, 0, axis) * dims_product(&x->shape, axis + 1, x->shape.rank);
    for (int k = 0; k < n->n_out; k++) {
      size_t bytes = (size_t)(rows * sizes[k]) * dtype_size(x->dtype);
      if (n->out[k] < 0 && bytes > worst) worst = bytes;
    }
  }
  free(sizes);
  return worst;
}

static int emit_split(Emitter *e, Graph *g, Node *n) {
  Tensor *x = node_in(g, n, 0);
  int axis;
  if (shape_numel(&x->shape) == 0) return 0;
  int64_t *sizes = xmalloc((size_t)n->n_out * sizeof *sizes);
  if (split_sizes(g, n, x, &axis, sizes)) {
    free(sizes);
    return -1;
  }
  int64_t inner = dims_product(&x->shape, axis + 1, x->shape.rank);
  Buf parts = {0};
  for (int k = 0; k < n->n_out; k++) {
    buf_printf(&parts, "%s%s", k ? ", " : "", n->out[k] >= 0 ? emit_ref(e, n->out[k]) : emit_scratch(e));
    sizes[k] *= inner;
  }
  const char *xr = emit_ref(e, n->in[0]), *blocks = emit_ints(e, "blocks", sizes, n->n_out);
  emit_use_kernel(e, "layout/x-copy");
  emit_line(e, "{");
  emit_line(e, "  void *const parts[%d] = {%s};", n->n_out, parts.s);
  emit_line(e, "  %s(%zu, %" PRId64 ", %d, %s, %s, parts);", emit_kfn(e, "vitc_x_split"), elem_size(g, n),
            dims_product(&x->shape, 0, axis), n->n_out, blocks, xr);
  emit_line(e, "}");
  buf_free(&parts);
  free(sizes);
  return 0;
}

const OpImpl op_impl_Split = {.infer = infer_split, .eval = eval_split, .emit = emit_split, .scratch = scratch_split};

/* ---- Slice ---- */

/* ONNX Slice normalized to every dim: an in-range start, a nonzero step and a
 * count (the kernel's contract). */
typedef struct SliceDims {
  int64_t start[IR_MAX_RANK], step[IR_MAX_RANK], count[IR_MAX_RANK];
} SliceDims;

static int64_t clamp64(int64_t v, int64_t lo, int64_t hi) { return v < lo ? lo : v > hi ? hi : v; }

/* One axis, exactly as the ONNX spec says: negative starts/ends count from the
 * end; starts clamp to [0, dim] ([0, dim-1] for a negative step), ends to
 * [0, dim] ([-1, dim-1]); the count is ceil((end - start) / step), at least 0.
 * INT64_MAX / INT64_MIN ends ("to the end") need no special case. */
static void slice_axis(int64_t dim, int64_t start, int64_t end, int64_t step, SliceDims *sd, int a) {
  if (start < 0) start += dim;
  if (end < 0) end += dim;
  int64_t count;
  if (step > 0) {
    start = clamp64(start, 0, dim);
    end = clamp64(end, 0, dim);
    count = end > start ? (end - start - 1) / step + 1 : 0;
  } else {
    start = clamp64(start, 0, dim - 1);
    end = clamp64(end, -1, dim - 1);
    uint64_t mag = (uint64_t)0 - (uint64_t)step; /* |step|, exact even for INT64_MIN */
    count = start > end ? (int64_t)((uint64_t)(start - end - 1) / mag) + 1 : 0;
  }
  sd->start[a] = count > 0 ? start : 0;
  sd->step[a] = count > 1 ? step : 1; /* a step that is never taken: keep it small */
  sd->count[a] = count;
}

static int slice_dims(Graph *g, Node *n, const Tensor *x, SliceDims *sd) {
  int r = x->shape.rank;
  int64_t starts[IR_MAX_RANK], ends[IR_MAX_RANK], axes[IR_MAX_RANK], steps[IR_MAX_RANK];
  for (int d = 0; d < r; d++) {
    sd->start[d] = 0;
    sd->step[d] = 1;
    sd->count[d] = x->shape.d[d];
  }
  int ns = shape_operand(g, n, 1, "starts", starts, IR_MAX_RANK);
  if (ns < 0) return -1;
  int ne = shape_operand(g, n, 2, "ends", ends, IR_MAX_RANK);
  if (ne < 0) return -1;
  if (ne != ns) return node_err(g, n, "starts has %d values, ends %d", ns, ne);
  if (node_in(g, n, 3)) {
    int na = shape_operand(g, n, 3, "axes", axes, IR_MAX_RANK);
    if (na < 0) return -1;
    if (na != ns) return node_err(g, n, "axes has %d values, starts %d", na, ns);
  } else {
    if (ns > r) return node_err(g, n, "%d starts for an input of rank %d", ns, r);
    for (int i = 0; i < ns; i++) axes[i] = i;
  }
  if (node_in(g, n, 4)) {
    int nst = shape_operand(g, n, 4, "steps", steps, IR_MAX_RANK);
    if (nst < 0) return -1;
    if (nst != ns) return node_err(g, n, "steps has %d values, starts %d", nst, ns);
  } else {
    for (int i = 0; i < ns; i++) steps[i] = 1;
  }
  bool seen[IR_MAX_RANK] = {false};
  for (int i = 0; i < ns; i++) {
    int a;
    if (normalize_axis(g, n, axes[i], r, &a)) return -1;
    if (seen[a]) return node_err(g, n, "axis %" PRId64 " is repeated", axes[i]);
    if (steps[i] == 0) return node_err(g, n, "step is 0 on axis %" PRId64, axes[i]);
    seen[a] = true;
    slice_axis(x->shape.d[a], starts[i], ends[i], steps[i], sd, a);
  }
  return 0;
}

static int infer_slice(Graph *g, Node *n) {
  Tensor *x = data_input(g, n, 0);
  SliceDims sd;
  if (!x || slice_dims(g, n, x, &sd)) return -1;
  Shape s = {x->shape.rank, {0}};
  memcpy(s.d, sd.count, sizeof(int64_t) * (size_t)s.rank);
  set_output(g, n, 0, x->dtype, &s);
  return 0;
}

static int eval_slice(Graph *g, Node *n) {
  Tensor *x = node_in(g, n, 0);
  SliceDims sd;
  int64_t xs[IR_MAX_RANK], sx[IR_MAX_RANK], off = 0;
  if (slice_dims(g, n, x, &sd)) return -1;
  shape_strides(&x->shape, xs);
  for (int d = 0; d < x->shape.rank; d++) {
    off += sd.start[d] * xs[d];
    sx[d] = sd.step[d] * xs[d];
  }
  copy_strided(alloc_output_data(g, n, 0), x->data, elem_size(g, n), x->shape.rank, sd.count, sx, off);
  return 0;
}

static int emit_slice(Emitter *e, Graph *g, Node *n) {
  Tensor *x = node_in(g, n, 0);
  SliceDims sd;
  if (output_empty(g, n, 0)) return 0;
  if (slice_dims(g, n, x, &sd)) return -1;
  int r = x->shape.rank;
  const char *y = emit_ref(e, n->out[0]), *xr = emit_ref(e, n->in[0]);
  const char *dims = emit_shape_ints(e, "dims", &x->shape), *start = emit_ints(e, "start", sd.start, r);
  const char *step = emit_ints(e, "step", sd.step, r), *count = emit_ints(e, "count", sd.count, r);
  emit_use_kernel(e, "layout/x-copy");
  emit_line(e, "%s(%zu, %d, %s, %s, %s, %s, %s, %s);", emit_kfn(e, "vitc_x_slice"), elem_size(g, n), r, dims, start,
            step, count, xr, y);
  return 0;
}

const OpImpl op_impl_Slice = {.infer = infer_slice, .eval = eval_slice, .emit = emit_slice};

/* ---- Expand ---- */

/* x's element strides when broadcast to `out`: 0 where x has size 1 or lacks the dim. */
static void broadcast_strides(const Shape *x, const Shape *out, int64_t *sx) {
  int64_t xs[IR_MAX_RANK];
  shape_strides(x, xs);
  for (int d = 0; d < out->rank; d++) {
    int xd = d - (out->rank - x->rank);
    sx[d] = xd >= 0 && x->d[xd] != 1 ? xs[xd] : 0;
  }
}

static int infer_expand(Graph *g, Node *n) {
  Tensor *x = data_input(g, n, 0);
  if (!x) return -1;
  Shape want = {0, {0}}, s;
  if ((want.rank = shape_operand(g, n, 1, "shape", want.d, IR_MAX_RANK)) < 0) return -1;
  for (int i = 0; i < want.rank; i++)
    if (want.d[i] < 0) return node_err(g, n, "shape[%d] = %" PRId64 " is negative", i, want.d[i]);
  if (broadcast_shape(g, n, &x->shape, &want, &s) || check_numel(g, n, &s)) return -1;
  set_output(g, n, 0, x->dtype, &s);
  return 0;
}

static int eval_expand(Graph *g, Node *n) {
  Tensor *x = node_in(g, n, 0), *y = node_out(g, n, 0);
  int64_t sx[IR_MAX_RANK];
  broadcast_strides(&x->shape, &y->shape, sx);
  copy_strided(alloc_output_data(g, n, 0), x->data, elem_size(g, n), y->shape.rank, y->shape.d, sx, 0);
  return 0;
}

static int emit_expand(Emitter *e, Graph *g, Node *n) {
  Tensor *x = node_in(g, n, 0), *y = node_out(g, n, 0);
  int64_t sx[IR_MAX_RANK];
  if (output_empty(g, n, 0)) return 0;
  broadcast_strides(&x->shape, &y->shape, sx);
  const char *yr = emit_ref(e, n->out[0]), *xr = emit_ref(e, n->in[0]);
  const char *dims = emit_shape_ints(e, "dims", &y->shape), *strides = emit_ints(e, "strides", sx, y->shape.rank);
  emit_use_kernel(e, "layout/x-copy");
  emit_line(e, "%s(%zu, %d, %s, %s, %s, %s);", emit_kfn(e, "vitc_x_expand"), elem_size(g, n), y->shape.rank, dims, xr,
            strides, yr);
  return 0;
}

const OpImpl op_impl_Expand = {.infer = infer_expand, .eval = eval_expand, .emit = emit_expand};

/* ---- Gather ---- */

/* The axis, once infer has checked it. */
static int gather_axis(const Node *n, int rank) {
  int64_t a = attr_int(n, "axis", 0);
  return (int)(a < 0 ? a + rank : a);
}

/* Output = data.shape[:axis] + indices.shape + data.shape[axis+1:]. */
static int infer_gather(Graph *g, Node *n) {
  Tensor *x = data_input(g, n, 0), *idx = index_input(g, n, 1);
  int axis;
  if (!x || !idx || normalize_axis(g, n, attr_int(n, "axis", 0), x->shape.rank, &axis)) return -1;
  int r = x->shape.rank + idx->shape.rank - 1;
  if (r > IR_MAX_RANK) return node_err(g, n, "output rank %d exceeds %d", r, IR_MAX_RANK);
  if (check_const_indices(g, n, idx, x->shape.d[axis])) return -1;
  Shape s = {0, {0}};
  for (int d = 0; d < axis; d++) s.d[s.rank++] = x->shape.d[d];
  for (int d = 0; d < idx->shape.rank; d++) s.d[s.rank++] = idx->shape.d[d];
  for (int d = axis + 1; d < x->shape.rank; d++) s.d[s.rank++] = x->shape.d[d];
  if (check_numel(g, n, &s)) return -1;
  set_output(g, n, 0, x->dtype, &s);
  return 0;
}

static int eval_gather(Graph *g, Node *n) {
  Tensor *x = node_in(g, n, 0), *idx = node_in(g, n, 1);
  int axis = gather_axis(n, x->shape.rank);
  int64_t axis_n = x->shape.d[axis];
  if (check_const_indices(g, n, idx, axis_n)) return -1;
  int64_t outer = dims_product(&x->shape, 0, axis), n_idx = shape_numel(&idx->shape);
  size_t block = (size_t)dims_product(&x->shape, axis + 1, x->shape.rank) * elem_size(g, n);
  unsigned char *dst = alloc_output_data(g, n, 0);
  const unsigned char *src = x->data;
  for (int64_t o = 0; o < outer; o++)
    for (int64_t k = 0; k < n_idx; k++, dst += block)
      memcpy(dst, src + (size_t)(o * axis_n + const_index(idx, k, axis_n)) * block, block);
  return 0;
}

static int emit_gather(Emitter *e, Graph *g, Node *n) {
  Tensor *x = node_in(g, n, 0), *idx = node_in(g, n, 1);
  if (output_empty(g, n, 0)) return 0;
  int axis = gather_axis(n, x->shape.rank);
  const char *y = emit_ref(e, n->out[0]), *xr = emit_ref(e, n->in[0]), *ir = emit_ref(e, n->in[1]);
  emit_use_kernel(e, "layout/x-gather");
  emit_line(e, "%s(%zu, %" PRId64 ", %" PRId64 ", %" PRId64 ", %" PRId64 ", %s, %s, %s);",
            emit_kfn(e, idx->dtype == DT_INT64 ? "vitc_x_gather_i64" : "vitc_x_gather_i32"), elem_size(g, n),
            dims_product(&x->shape, 0, axis), x->shape.d[axis], dims_product(&x->shape, axis + 1, x->shape.rank),
            shape_numel(&idx->shape), xr, ir, y);
  return 0;
}

const OpImpl op_impl_Gather = {.infer = infer_gather, .eval = eval_gather, .emit = emit_gather};

/* ---- GatherElements and ScatterElements ---- */

/* Checks shared by both: indices (input 1) of the data's rank, no larger than
 * the data off the axis; constant indices in range. Sets *axis. */
static int check_elements(Graph *g, Node *n, const Tensor *x, const Tensor *idx, int *axis) {
  if (normalize_axis(g, n, attr_int(n, "axis", 0), x->shape.rank, axis)) return -1;
  if (idx->shape.rank != x->shape.rank)
    return node_err(g, n, "indices have rank %d, data rank %d", idx->shape.rank, x->shape.rank);
  for (int d = 0; d < x->shape.rank; d++)
    if (d != *axis && idx->shape.d[d] > x->shape.d[d])
      return node_err(g, n, "indices dimension %d (%" PRId64 ") exceeds the data's (%" PRId64 ")", d, idx->shape.d[d],
                      x->shape.d[d]);
  return check_const_indices(g, n, idx, x->shape.d[*axis]);
}

/* For each position of a constant index tensor: the flat offset of the data
 * element it names (its own coordinates, the index along the axis). */
static int64_t *element_offsets(const Tensor *x, const Tensor *idx, int axis) {
  int64_t xs[IR_MAX_RANK], coord[IR_MAX_RANK] = {0}, numel = shape_numel(&idx->shape);
  int r = idx->shape.rank;
  int64_t *offs = xmalloc((size_t)(numel ? numel : 1) * sizeof *offs);
  shape_strides(&x->shape, xs);
  for (int64_t e = 0; e < numel; e++) {
    int64_t off = const_index(idx, e, x->shape.d[axis]) * xs[axis];
    for (int d = 0; d < r; d++)
      if (d != axis) off += coord[d] * xs[d];
    offs[e] = off;
    for (int d = r - 1; d >= 0 && ++coord[d] == idx->shape.d[d]; d--) coord[d] = 0;
  }
  return offs;
}

/* The element kernels take int64 indices: int32 constants are widened into a
 * new constant, int32 run-time indices cast into this node's scratch. */
static const char *emit_index_i64(Emitter *e, Graph *g, Node *n) {
  Tensor *idx = node_in(g, n, 1);
  int64_t numel = shape_numel(&idx->shape);
  if (idx->dtype == DT_INT64) return emit_ref(e, n->in[1]);
  if (idx->data) {
    int64_t *wide = xmalloc((size_t)(numel ? numel : 1) * sizeof *wide);
    for (int64_t i = 0; i < numel; i++) wide[i] = tensor_get_i64(idx, i);
    const char *c = emit_const(e, idx->name, DT_INT64, numel, wide);
    free(wide);
    return c;
  }
  const char *ir = emit_ref(e, n->in[1]);
  emit_use_kernel(e, "eltwise/x-cast");
  emit_line(e, "%s(%" PRId64 ", %d, %s, %d, %s); /* int32 indices -> int64 */", emit_kfn(e, "vitc_x_cast"), numel,
            DT_INT32, ir, DT_INT64, emit_scratch(e));
  return emit_scratch(e);
}

static size_t scratch_elements(Graph *g, Node *n, const Target *t) {
  Tensor *idx = node_in(g, n, 1);
  if (!idx || idx->dtype != DT_INT32 || idx->data) return 0;
  return (size_t)shape_numel(&idx->shape) * sizeof(int64_t);
}

static int infer_gather_elements(Graph *g, Node *n) {
  Tensor *x = data_input(g, n, 0), *idx = index_input(g, n, 1);
  int axis;
  if (!x || !idx || check_elements(g, n, x, idx, &axis)) return -1;
  set_output(g, n, 0, x->dtype, &idx->shape);
  return 0;
}

static int eval_gather_elements(Graph *g, Node *n) {
  Tensor *x = node_in(g, n, 0), *idx = node_in(g, n, 1);
  int axis;
  if (check_elements(g, n, x, idx, &axis)) return -1;
  size_t elem = elem_size(g, n);
  int64_t *offs = element_offsets(x, idx, axis);
  unsigned char *y = alloc_output_data(g, n, 0);
  for (int64_t e = 0; e < shape_numel(&idx->shape); e++)
    memcpy(y + (size_t)e * elem, (const unsigned char *)x->data + (size_t)offs[e] * elem, elem);
  free(offs);
  return 0;
}

static int emit_gather_elements(Emitter *e, Graph *g, Node *n) {
  Tensor *x = node_in(g, n, 0), *idx = node_in(g, n, 1);
  int axis;
  if (output_empty(g, n, 0)) return 0;
  if (check_elements(g, n, x, idx, &axis)) return -1;
  const char *y = emit_ref(e, n->out[0]), *xr = emit_ref(e, n->in[0]), *ix = emit_index_i64(e, g, n);
  const char *dims = emit_shape_ints(e, "dims", &x->shape), *idx_dims = emit_shape_ints(e, "idx_dims", &idx->shape);
  emit_use_kernel(e, "layout/x-gather");
  emit_line(e, "%s(%zu, %d, %s, %s, %d, %s, (const int64_t *)%s, %s);", emit_kfn(e, "vitc_x_gather_elements"),
            elem_size(g, n), x->shape.rank, dims, idx_dims, axis, xr, ix, y);
  return 0;
}

const OpImpl op_impl_GatherElements = {
    .infer = infer_gather_elements, .eval = eval_gather_elements, .emit = emit_gather_elements,
    .scratch = scratch_elements};

/* ScatterElements' reductions, numbered as the kernels' VITC_SCATTER_*, with the
 * opset that introduced each. */
static const struct {
  const char *name;
  int since;
} scatter_reductions[] = {{"none", 11}, {"add", 16}, {"mul", 16}, {"max", 18}, {"min", 18}};

static int scatter_reduction(Graph *g, Node *n, int *red) {
  const char *s = attr_str(n, "reduction", "none");
  for (int i = 0; i < (int)(sizeof scatter_reductions / sizeof scatter_reductions[0]); i++)
    if (strcmp(s, scatter_reductions[i].name) == 0) {
      if (g->opset < scatter_reductions[i].since)
        return node_err(g, n, "reduction '%s' needs opset %d", s, scatter_reductions[i].since);
      *red = i;
      return 0;
    }
  return node_err(g, n, "unknown reduction '%s' (none, add, mul, max, min)", s);
}

static int infer_scatter_elements(Graph *g, Node *n) {
  Tensor *x = data_input(g, n, 0), *idx = index_input(g, n, 1), *upd = data_input(g, n, 2);
  int axis, red = 0;
  if (!x || !idx || !upd || check_elements(g, n, x, idx, &axis) || scatter_reduction(g, n, &red)) return -1;
  if (upd->dtype != x->dtype)
    return node_err(g, n, "updates are %s, data %s", dtype_name(upd->dtype), dtype_name(x->dtype));
  if (!shape_eq(&upd->shape, &idx->shape)) {
    char a[128], b[128];
    return node_err(g, n, "updates %s and indices %s differ in shape", shape_str(&upd->shape, a, sizeof a),
                    shape_str(&idx->shape, b, sizeof b));
  }
  set_output(g, n, 0, x->dtype, &x->shape);
  return 0;
}

/* y[at] (op)= u for one element of type dt: floats in double, integers in
 * int64 with wrap-around (as the int64 kernel). */
static void scatter_one(void *y, DType dt, int64_t at, const Tensor *upd, int64_t e, int red) {
  if (dtype_is_float(dt)) {
    Tensor cur = {.dtype = dt, .data = y};
    double a = tensor_get_f64(&cur, at), u = tensor_get_f64(upd, e);
    double v = red == 1 ? a + u : red == 2 ? a * u : red == 3 ? (a < u ? u : a) : red == 4 ? (u < a ? u : a) : u;
    buf_set_f64(y, dt, at, v);
  } else {
    Tensor cur = {.dtype = dt, .data = y};
    int64_t a = tensor_get_i64(&cur, at), u = tensor_get_i64(upd, e);
    int64_t v = red == 1   ? (int64_t)((uint64_t)a + (uint64_t)u)
                : red == 2 ? (int64_t)((uint64_t)a * (uint64_t)u)
                : red == 3 ? (a < u ? u : a)
                : red == 4 ? (u < a ? u : a)
                           : u;
    buf_set_i64(y, dt, at, v);
  }
}

static int eval_scatter_elements(Graph *g, Node *n) {
  Tensor *x = node_in(g, n, 0), *idx = node_in(g, n, 1), *upd = node_in(g, n, 2);
  int axis, red = 0;
  if (check_elements(g, n, x, idx, &axis) || scatter_reduction(g, n, &red)) return -1;
  size_t elem = elem_size(g, n);
  int64_t *offs = element_offsets(x, idx, axis);
  unsigned char *y = alloc_output_data(g, n, 0);
  memcpy(y, x->data, (size_t)shape_numel(&x->shape) * elem);
  for (int64_t e = 0; e < shape_numel(&idx->shape); e++) { /* row-major order: the last duplicate wins */
    if (red == 0) memcpy(y + (size_t)offs[e] * elem, (const unsigned char *)upd->data + (size_t)e * elem, elem);
    else scatter_one(y, x->dtype, offs[e], upd, e, red);
  }
  free(offs);
  return 0;
}

static int emit_scatter_elements(Emitter *e, Graph *g, Node *n) {
  Tensor *x = node_in(g, n, 0), *idx = node_in(g, n, 1);
  int axis, red = 0;
  if (output_empty(g, n, 0)) return 0;
  if (check_elements(g, n, x, idx, &axis) || scatter_reduction(g, n, &red)) return -1;
  if (red != 0 && x->dtype != DT_FLOAT && x->dtype != DT_INT64)
    return node_err(g, n, "reduction '%s' on %s is not supported (float32 and int64 are)", scatter_reductions[red].name,
                    dtype_name(x->dtype));
  const char *y = emit_ref(e, n->out[0]), *xr = emit_ref(e, n->in[0]), *ix = emit_index_i64(e, g, n);
  const char *ur = emit_ref(e, n->in[2]);
  const char *dims = emit_shape_ints(e, "dims", &x->shape), *idx_dims = emit_shape_ints(e, "idx_dims", &idx->shape);
  emit_use_kernel(e, "layout/x-gather");
  if (red == 0)
    emit_line(e, "%s(%zu, %d, %s, %s, %d, %s, (const int64_t *)%s, %s, %s);", emit_kfn(e, "vitc_x_scatter_elements"),
              elem_size(g, n), x->shape.rank, dims, idx_dims, axis, xr, ix, ur, y);
  else
    emit_line(e, "%s(%d, %s, %s, %d, %d /* %s */, %s, (const int64_t *)%s, %s, %s);",
              emit_kfn(e, x->dtype == DT_FLOAT ? "vitc_f32_scatter_elements" : "vitc_i64_scatter_elements"),
              x->shape.rank, dims, idx_dims, axis, red, scatter_reductions[red].name, xr, ix, ur, y);
  return 0;
}

const OpImpl op_impl_ScatterElements = {
    .infer = infer_scatter_elements, .eval = eval_scatter_elements, .emit = emit_scatter_elements,
    .scratch = scratch_elements};

/* ---- Tile, DepthToSpace, SpaceToDepth: strided copies of a higher-rank view ---- */

/* The output as `rank` dims read from X at element strides sx (what the x-copy
 * kernel's expand walks): Tile as (repeats[d], in[d]) pairs with strides (0, s_d),
 * DepthToSpace/SpaceToDepth as the 6-D transposes their spec writes out. */
typedef struct StridedView {
  int rank;
  int64_t dims[2 * IR_MAX_RANK], sx[2 * IR_MAX_RANK];
  Shape out;
} StridedView;

static int tile_view(Graph *g, Node *n, StridedView *v) {
  Tensor *x = data_input(g, n, 0);
  if (!x) return -1;
  int64_t rep[IR_MAX_RANK + 1], xs[IR_MAX_RANK];
  int nr = shape_operand(g, n, 1, "repeats", rep, IR_MAX_RANK + 1);
  if (nr < 0) return -1;
  if (nr != x->shape.rank) return node_err(g, n, "repeats has %d values for an input of rank %d", nr, x->shape.rank);
  shape_strides(&x->shape, xs);
  v->rank = 2 * nr;
  v->out.rank = nr;
  for (int d = 0; d < nr; d++) {
    if (rep[d] < 0) return node_err(g, n, "repeats[%d] = %" PRId64 " is negative", d, rep[d]);
    /* the input's dims fit in 2^31 - 1 elements; an output dim that does not overflows */
    if (x->shape.d[d] && rep[d] > INT32_MAX / x->shape.d[d])
      return node_err(g, n, "repeats[%d] = %" PRId64 " times dimension %" PRId64 " overflows (max %d elements)", d,
                      rep[d], x->shape.d[d], INT32_MAX);
    v->dims[2 * d] = rep[d], v->sx[2 * d] = 0;
    v->dims[2 * d + 1] = x->shape.d[d], v->sx[2 * d + 1] = xs[d];
    v->out.d[d] = rep[d] * x->shape.d[d];
  }
  return check_numel(g, n, &v->out);
}

static int depth_space_view(Graph *g, Node *n, StridedView *v) {
  Tensor *x = data_input(g, n, 0);
  if (!x) return -1;
  if (x->shape.rank != 4) return node_err(g, n, "input must be 4-D (N, C, H, W), got rank %d", x->shape.rank);
  int64_t b = attr_int(n, "blocksize", 0), N = x->shape.d[0], C = x->shape.d[1], H = x->shape.d[2], W = x->shape.d[3];
  if (b < 1) return node_err(g, n, "blocksize must be positive");
  if (b > 46340) /* b * b must fit in 2^31 - 1 elements */
    return node_err(g, n, "blocksize %" PRId64 " is too large (max 46340)", b);
  v->rank = 6;
  v->out.rank = 4;
  v->out.d[0] = N;
  if (n->op == OP_DepthToSpace) {
    if (C % (b * b)) return node_err(g, n, "%" PRId64 " channels are not a multiple of blocksize^2 = %" PRId64, C, b * b);
    int64_t c = C / (b * b);
    const char *mode = attr_str(n, "mode", "DCR");
    bool crd = strcmp(mode, "CRD") == 0;
    if (!crd && strcmp(mode, "DCR")) return node_err(g, n, "mode must be DCR or CRD, not '%s'", mode);
    /* Y (N, c, H, b1, W, b2): X channel b1*b*c + b2*c + ci (DCR) or ci*b*b + b1*b + b2 (CRD) */
    int64_t dims[6] = {N, c, H, b, W, b};
    int64_t sx[6] = {C * H * W, crd ? b * b * H * W : H * W, W, crd ? b * H * W : b * c * H * W, 1,
                     crd ? H * W : c * H * W};
    memcpy(v->dims, dims, sizeof dims);
    memcpy(v->sx, sx, sizeof sx);
    v->out.d[1] = c, v->out.d[2] = H * b, v->out.d[3] = W * b;
  } else {
    if (H % b || W % b) return node_err(g, n, "H %" PRId64 " and W %" PRId64 " must be multiples of blocksize %" PRId64, H, W, b);
    /* Y (N, b1, b2, C, H/b, W/b) from X (N, C, H/b, b1, W/b, b2) */
    int64_t dims[6] = {N, b, b, C, H / b, W / b};
    int64_t sx[6] = {C * H * W, W, 1, H * W, b * W, b};
    memcpy(v->dims, dims, sizeof dims);
    memcpy(v->sx, sx, sizeof sx);
    v->out.d[1] = C * b * b, v->out.d[2] = H / b, v->out.d[3] = W / b;
  }
  return check_numel(g, n, &v->out);
}

static int strided_view(Graph *g, Node *n, StridedView *v) {
  return n->op == OP_Tile ? tile_view(g, n, v) : depth_space_view(g, n, v);
}

static int infer_strided_view(Graph *g, Node *n) {
  StridedView v;
  if (strided_view(g, n, &v)) return -1;
  set_output(g, n, 0, node_in(g, n, 0)->dtype, &v.out);
  return 0;
}

static int eval_strided_view(Graph *g, Node *n) {
  StridedView v;
  if (strided_view(g, n, &v)) return -1;
  copy_strided(alloc_output_data(g, n, 0), node_in(g, n, 0)->data, elem_size(g, n), v.rank, v.dims, v.sx, 0);
  return 0;
}

static int emit_strided_view(Emitter *e, Graph *g, Node *n) {
  StridedView v;
  if (output_empty(g, n, 0)) return 0;
  if (strided_view(g, n, &v)) return -1;
  const char *yr = emit_ref(e, n->out[0]), *xr = emit_ref(e, n->in[0]);
  const char *dims = emit_ints(e, "dims", v.dims, v.rank), *strides = emit_ints(e, "strides", v.sx, v.rank);
  emit_use_kernel(e, "layout/x-copy");
  emit_line(e, "/* %s as a %d-D strided copy */", op_name(n->op), v.rank);
  emit_line(e, "%s(%zu, %d, %s, %s, %s, %s);", emit_kfn(e, "vitc_x_expand"), elem_size(g, n), v.rank, dims, xr,
            strides, yr);
  return 0;
}

const OpImpl op_impl_Tile = {.infer = infer_strided_view, .eval = eval_strided_view, .emit = emit_strided_view};
const OpImpl op_impl_DepthToSpace = {.infer = infer_strided_view, .eval = eval_strided_view, .emit = emit_strided_view};
const OpImpl op_impl_SpaceToDepth = {.infer = infer_strided_view, .eval = eval_strided_view, .emit = emit_strided_view};

/* ---- Pad: constant, reflect, edge and wrap ---- */

typedef struct PadDims {
  int mode; /* the kernel's: 0 constant, 1 reflect, 2 edge, 3 wrap */
  int64_t begin[IR_MAX_RANK];
  Shape out;
} PadDims;

static int pad_dims(Graph *g, Node *n, PadDims *pd) {
  Tensor *x = data_input(g, n, 0);
  if (!x) return -1;
  int r = x->shape.rank;
  static const char *const modes[] = {"constant", "reflect", "edge", "wrap"};
  const char *mode = attr_str(n, "mode", "constant");
  pd->mode = -1;
  for (int i = 0; i < 4; i++)
    if (strcmp(mode, modes[i]) == 0) pd->mode = i;
  if (pd->mode < 0) return node_err(g, n, "mode '%s' is not one of constant, reflect, edge, wrap", mode);
  int64_t pads[2 * IR_MAX_RANK + 1], axes[IR_MAX_RANK + 1];
  int np = shape_operand(g, n, 1, "pads", pads, 2 * IR_MAX_RANK + 1), na = r;
  if (np < 0) return -1;
  if (node_in(g, n, 3)) {
    if ((na = shape_operand(g, n, 3, "axes", axes, IR_MAX_RANK + 1)) < 0) return -1;
  } else {
    for (int i = 0; i < r; i++) axes[i] = i;
  }
  if (np != 2 * na) return node_err(g, n, "pads has %d values for %d axes", np, na);
  Tensor *v = node_in(g, n, 2);
  if (v && shape_numel(&v->shape) != 1) return node_err(g, n, "constant_value must hold one value");
  if (v && !v->data && v->dtype != x->dtype)
    return node_err(g, n, "constant_value is %s but the data is %s", dtype_name(v->dtype), dtype_name(x->dtype));
  int64_t pb[IR_MAX_RANK] = {0}, pe[IR_MAX_RANK] = {0};
  for (int i = 0; i < na; i++) {
    int a;
    if (normalize_axis(g, n, axes[i], r, &a)) return -1;
    pb[a] = pads[i], pe[a] = pads[na + i];
  }
  pd->out.rank = r;
  for (int d = 0; d < r; d++) {
    pd->begin[d] = pb[d];
    pd->out.d[d] = x->shape.d[d] + pb[d] + pe[d];
    if (pd->out.d[d] < 0) return node_err(g, n, "pads make axis %d negative", d);
    if (pd->mode == 1 && (pb[d] > 0 || pe[d] > 0) && x->shape.d[d] < 2)
      return node_err(g, n, "reflect padding needs at least 2 elements along axis %d", d);
    if (pd->mode != 0 && (pb[d] > 0 || pe[d] > 0) && x->shape.d[d] == 0)
      return node_err(g, n, "%s padding of an empty axis %d", mode, d);
  }
  return check_numel(g, n, &pd->out);
}

static int infer_pad(Graph *g, Node *n) {
  PadDims pd;
  if (pad_dims(g, n, &pd)) return -1;
  set_output(g, n, 0, node_in(g, n, 0)->dtype, &pd.out);
  return 0;
}

/* The fill value in X's type, from a constant constant_value (any type) or 0. */
static void pad_fill(Graph *g, Node *n, uint64_t *fill) {
  Tensor *x = node_in(g, n, 0), *v = node_in(g, n, 2);
  *fill = 0;
  if (v && v->data) {
    if (dtype_is_float(x->dtype)) buf_set_f64(fill, x->dtype, 0, tensor_get_f64(v, 0));
    else buf_set_i64(fill, x->dtype, 0, dtype_is_float(v->dtype) ? (int64_t)tensor_get_f64(v, 0) : tensor_get_i64(v, 0));
  }
}

static int eval_pad(Graph *g, Node *n) {
  PadDims pd;
  if (pad_dims(g, n, &pd)) return -1;
  Tensor *x = node_in(g, n, 0);
  int in[IR_MAX_RANK], out[IR_MAX_RANK], begin[IR_MAX_RANK];
  for (int d = 0; d < x->shape.rank; d++) in[d] = (int)x->shape.d[d], out[d] = (int)pd.out.d[d], begin[d] = (int)pd.begin[d];
  uint64_t fill;
  pad_fill(g, n, &fill);
  vitc_x_pad_scalar((int)elem_size(g, n), x->shape.rank, in, out, begin, pd.mode, &fill, x->data, alloc_output_data(g, n, 0));
  return 0;
}

static int emit_pad(Emitter *e, Graph *g, Node *n) {
  PadDims pd;
  if (output_empty(g, n, 0)) return 0;
  if (pad_dims(g, n, &pd)) return -1;
  Tensor *x = node_in(g, n, 0), *v = node_in(g, n, 2);
  const char *value;
  if (v && !v->data) {
    value = emit_ref(e, n->in[2]);
  } else {
    uint64_t fill;
    pad_fill(g, n, &fill);
    value = emit_const(e, "pad_value", x->dtype, 1, &fill);
  }
  const char *yr = emit_ref(e, n->out[0]), *xr = emit_ref(e, n->in[0]);
  const char *in = emit_shape_ints(e, "in_dims", &x->shape), *out = emit_shape_ints(e, "out_dims", &pd.out);
  const char *begin = emit_ints(e, "pad_begin", pd.begin, x->shape.rank);
  emit_use_kernel(e, "layout/x-pad");
  emit_line(e, "%s(%zu, %d, %s, %s, %s, %d /* %s */, %s, %s, %s);", emit_kfn(e, "vitc_x_pad"), elem_size(g, n),
            x->shape.rank, in, out, begin, pd.mode, attr_str(n, "mode", "constant"), value, xr, yr);
  return 0;
}

const OpImpl op_impl_Pad = {.infer = infer_pad, .eval = eval_pad, .emit = emit_pad};

/* ---- Trilu: the upper or lower triangle of the last two dims, from the k-th diagonal ---- */

static int trilu_k(Graph *g, Node *n, int64_t *k) {
  *k = 0;
  if (!node_in(g, n, 1)) return 0;
  Tensor *t = node_in(g, n, 1);
  if (!t->data) return node_err(g, n, "input 'k' is not a compile-time constant; vitc needs it to be a constant");
  if (shape_numel(&t->shape) != 1) return node_err(g, n, "k must hold one value");
  *k = tensor_get_i64(t, 0);
  return 0;
}

static int infer_trilu(Graph *g, Node *n) {
  Tensor *x = data_input(g, n, 0);
  int64_t k;
  if (!x || trilu_k(g, n, &k)) return -1;
  if (x->shape.rank < 2) return node_err(g, n, "input must have rank >= 2");
  set_output(g, n, 0, x->dtype, &x->shape);
  return 0;
}

static void trilu_geometry(const Shape *s, int64_t k, int *batch, int *rows, int *cols, int *kk) {
  *rows = (int)s->d[s->rank - 2], *cols = (int)s->d[s->rank - 1];
  *batch = (int)dims_product(s, 0, s->rank - 2);
  /* |k| beyond the matrix keeps or clears everything: clamp it into int range */
  *kk = (int)(k > *cols ? *cols : k < -*rows ? -*rows : k);
}

static int eval_trilu(Graph *g, Node *n) {
  Tensor *x = node_in(g, n, 0);
  int64_t k;
  int batch, rows, cols, kk;
  if (trilu_k(g, n, &k)) return -1;
  trilu_geometry(&x->shape, k, &batch, &rows, &cols, &kk);
  vitc_x_trilu_scalar((int)elem_size(g, n), batch, rows, cols, kk, (int)attr_int(n, "upper", 1), x->data,
                      alloc_output_data(g, n, 0));
  return 0;
}

static int emit_trilu(Emitter *e, Graph *g, Node *n) {
  Tensor *x = node_in(g, n, 0);
  int64_t k;
  int batch, rows, cols, kk;
  if (output_empty(g, n, 0)) return 0;
  if (trilu_k(g, n, &k)) return -1;
  trilu_geometry(&x->shape, k, &batch, &rows, &cols, &kk);
  emit_use_kernel(e, "layout/x-pad");
  emit_line(e, "%s(%zu, %d, %d, %d, %d, %d, %s, %s);", emit_kfn(e, "vitc_x_trilu"), elem_size(g, n), batch, rows, cols,
            kk, attr_int(n, "upper", 1) != 0, emit_ref(e, n->in[0]), emit_ref(e, n->out[0]));
  return 0;
}

const OpImpl op_impl_Trilu = {.infer = infer_trilu, .eval = eval_trilu, .emit = emit_trilu};

/* ---- OneHot: indices (any shape) -> values[1] at the index along a new axis, values[0] elsewhere ---- */

static int onehot_dims(Graph *g, Node *n, int *axis, int64_t *depth, Shape *out) {
  Tensor *idx = node_in(g, n, 0), *dep = node_in(g, n, 1), *val = node_in(g, n, 2);
  if (idx->dtype != DT_INT64 && idx->dtype != DT_INT32 && idx->dtype != DT_FLOAT)
    return node_err(g, n, "indices are %s; vitc supports int64, int32 and float32 here", dtype_name(idx->dtype));
  if (!dep->data) return node_err(g, n, "input 'depth' is not a compile-time constant; vitc needs static shapes");
  if (shape_numel(&dep->shape) != 1) return node_err(g, n, "depth must hold one value");
  *depth = dtype_is_float(dep->dtype) ? (int64_t)tensor_get_f64(dep, 0) : tensor_get_i64(dep, 0);
  if (*depth < 1) return node_err(g, n, "depth %" PRId64 " must be positive", *depth);
  if (shape_numel(&val->shape) != 2 || val->shape.rank != 1) return node_err(g, n, "values must be [off_value, on_value]");
  int r = idx->shape.rank + 1;
  if (r > IR_MAX_RANK) return node_err(g, n, "output rank %d is more than %d", r, IR_MAX_RANK);
  if (normalize_axis(g, n, attr_int(n, "axis", -1), r, axis)) return -1;
  out->rank = r;
  for (int d = 0, k = 0; d < r; d++) out->d[d] = d == *axis ? *depth : idx->shape.d[k++];
  return check_numel(g, n, out);
}

static int infer_onehot(Graph *g, Node *n) {
  int axis;
  int64_t depth;
  Shape out;
  if (onehot_dims(g, n, &axis, &depth, &out)) return -1;
  set_output(g, n, 0, node_in(g, n, 2)->dtype, &out);
  return 0;
}

static int emit_onehot(Emitter *e, Graph *g, Node *n) {
  int axis;
  int64_t depth;
  Shape out;
  if (output_empty(g, n, 0)) return 0;
  if (onehot_dims(g, n, &axis, &depth, &out)) return -1;
  Tensor *idx = node_in(g, n, 0);
  int64_t outer = dims_product(&out, 0, axis), inner = dims_product(&out, axis + 1, out.rank);
  emit_use_kernel(e, "layout/x-onehot");
  emit_line(e, "%s(%zu, %" PRId64 ", %" PRId64 ", %" PRId64 ", %s, %d, %s, %s);", emit_kfn(e, "vitc_x_onehot"),
            dtype_size(node_in(g, n, 2)->dtype), outer, depth, inner, emit_ref(e, n->in[0]),
            idx->dtype == DT_INT64 ? 0 : idx->dtype == DT_INT32 ? 1 : 2, emit_ref(e, n->in[2]), emit_ref(e, n->out[0]));
  return 0;
}

const OpImpl op_impl_OneHot = {.infer = infer_onehot, .emit = emit_onehot};
