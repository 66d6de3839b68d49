/* ops/resize.c: Resize (and Upsample, which the loader turns into Resize).
 *
 * Resize(X, roi?, scales?, sizes?) samples X on a new grid. Every mode is
 * separable (nearest, linear and cubic along one axis after another give what
 * ONNX's N-D definition gives: linear weights multiply, and so do cubic ones),
 * so a node becomes one call of templates/resize/f32-resample per resized axis,
 * each reading a table this file computes at compile time: for each output
 * position along the axis, the input positions and weights of its taps. All
 * the spec's arithmetic lives here, in double:
 *
 *   output size    sizes, or floor(in * scale); with sizes, scale = out / in
 *                  (keep_aspect_ratio_policy not_larger/not_smaller: one scale
 *                  for the listed axes, out = round(in * scale))
 *   coordinates    x_in from x_out by coordinate_transformation_mode:
 *                  half_pixel (x+0.5)/s-0.5, half_pixel_symmetric, pytorch_half_pixel
 *                  (0 when out is 1), align_corners x*(in-1)/(out-1), asymmetric x/s
 *                  (out: in*s, as in ONNX's reference, not the rounded size),
 *                  tf_crop_and_resize (from roi; outside [0, in-1]: extrapolation_value)
 *   nearest        round_prefer_floor (default), round_prefer_ceil, floor, ceil; clamped
 *   linear         floor(x) and floor(x)+1, indices clamped to the edge
 *   cubic          4 taps of Keys' kernel with cubic_coeff_a (-0.75); exclude_outside
 *                  drops taps outside the input and renormalizes, else edge indices
 *
 * Axes are resampled shrinking ones first (less data for the next passes), the
 * last axis before others on ties (its pass gathers, the others stream rows);
 * intermediate results ping-pong through two scratch buffers. antialias (opset
 * 18) is refused. X must be float32; roi, scales and sizes compile-time
 * constants (see --const). */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emit/emit.h"
#include "ops/op.h"

typedef struct ResizeDims {
  int rank;
  int64_t in[IR_MAX_RANK], out[IR_MAX_RANK];
  double scale[IR_MAX_RANK];
  double roi_start[IR_MAX_RANK], roi_end[IR_MAX_RANK];
  int order[IR_MAX_RANK]; /* resized axes in the order of their passes */
  int n_passes;
} ResizeDims;

static int const_floats(Graph *g, Node *n, int input, const char *what, double *v, int max) {
  Tensor *t = node_in(g, n, input);
  if (!t->data) return node_err(g, n, "input '%s' (%s) must be a compile-time constant (see --const)", what, t->name);
  if (t->dtype != DT_FLOAT && t->dtype != DT_DOUBLE && t->dtype != DT_FLOAT16)
    return node_err(g, n, "input '%s' must be float, not %s", what, dtype_name(t->dtype));
  if (t->dtype == DT_FLOAT16) return node_err(g, n, "input '%s' is float16, which vitc does not support", what);
  int64_t k = shape_numel(&t->shape);
  if (k > max) return node_err(g, n, "input '%s' has %" PRId64 " values (max %d)", what, k, max);
  for (int64_t i = 0; i < k; i++) v[i] = tensor_get_f64(t, i);
  return (int)k;
}

static bool is_empty_input(Graph *g, Node *n, int i) {
  Tensor *t = node_in(g, n, i);
  return !t || (t->typed && shape_numel(&t->shape) == 0);
}

static int resize_dims(Graph *g, Node *n, ResizeDims *rd) {
  Tensor *x = node_in(g, n, 0);
  int r = x->shape.rank;
  rd->rank = r;
  if (attr_int(n, "antialias", 0) != 0) return node_err(g, n, "antialias=1 is not supported");
  /* axes (opset 18): scales/sizes/roi list only these axes */
  int axes[IR_MAX_RANK], na = r;
  const int64_t *av;
  int nav = attr_ints(n, "axes", &av);
  if (nav >= 0) {
    if (nav > r) return node_err(g, n, "%d axes for rank %d", nav, r);
    na = nav;
    bool seen[IR_MAX_RANK] = {false};
    for (int i = 0; i < na; i++) {
      if (normalize_axis(g, n, av[i], r, &axes[i])) return -1;
      if (seen[axes[i]]) return node_err(g, n, "axis %" PRId64 " is repeated", av[i]);
      seen[axes[i]] = true;
    }
  } else {
    for (int i = 0; i < r; i++) axes[i] = i;
  }
  for (int i = 0; i < r; i++) {
    rd->in[i] = rd->out[i] = x->shape.d[i];
    rd->scale[i] = 1.0;
    rd->roi_start[i] = 0.0;
    rd->roi_end[i] = 1.0;
  }
  bool has_scales = !is_empty_input(g, n, 2), has_sizes = n->n_in > 3 && !is_empty_input(g, n, 3);
  if (has_scales == has_sizes) return node_err(g, n, "give exactly one of scales and sizes");
  double v[2 * IR_MAX_RANK];
  if (has_scales) {
    int k = const_floats(g, n, 2, "scales", v, IR_MAX_RANK);
    if (k < 0) return -1;
    if (k != na) return node_err(g, n, "scales has %d values for %d axes", k, na);
    for (int i = 0; i < na; i++) {
      if (!(v[i] > 0) || !isfinite(v[i])) return node_err(g, n, "scale %g is not positive", v[i]);
      int a = axes[i];
      rd->scale[a] = v[i];
      double o = floor((double)rd->in[a] * v[i]);
      if (o < 1 || o > INT32_MAX) return node_err(g, n, "scale %g gives output size %g along axis %d", v[i], o, a);
      rd->out[a] = (int64_t)o;
    }
  } else {
    int64_t s[IR_MAX_RANK];
    int k = const_ints(g, n, 3, "sizes", s, IR_MAX_RANK);
    if (k < 0) return -1;
    if (k != na) return node_err(g, n, "sizes has %d values for %d axes", k, na);
    const char *policy = attr_str(n, "keep_aspect_ratio_policy", "stretch");
    bool stretch = strcmp(policy, "stretch") == 0, not_larger = strcmp(policy, "not_larger") == 0;
    if (!stretch && !not_larger && strcmp(policy, "not_smaller") != 0)
      return node_err(g, n, "keep_aspect_ratio_policy '%s' is not supported", policy);
    double common = not_larger ? INFINITY : 0;
    for (int i = 0; i < na; i++) {
      if (s[i] < 1 || s[i] > INT32_MAX) return node_err(g, n, "size %" PRId64 " is out of range", s[i]);
      double sc = (double)s[i] / (double)rd->in[axes[i]];
      common = not_larger ? fmin(common, sc) : fmax(common, sc);
    }
    for (int i = 0; i < na; i++) {
      int a = axes[i];
      if (stretch) {
        rd->out[a] = s[i];
        rd->scale[a] = (double)s[i] / (double)rd->in[a];
      } else {
        rd->scale[a] = common;
        rd->out[a] = (int64_t)floor((double)rd->in[a] * common + 0.5);
        if (rd->out[a] < 1) rd->out[a] = 1;
      }
    }
  }
  const char *ctm = attr_str(n, "coordinate_transformation_mode", "half_pixel");
  if (strcmp(ctm, "tf_crop_and_resize") == 0) {
    if (is_empty_input(g, n, 1)) return node_err(g, n, "tf_crop_and_resize needs the roi input");
    int k = const_floats(g, n, 1, "roi", v, 2 * IR_MAX_RANK);
    if (k < 0) return -1;
    if (k != 2 * na) return node_err(g, n, "roi has %d values for %d axes", k, na);
    for (int i = 0; i < na; i++) {
      rd->roi_start[axes[i]] = v[i];
      rd->roi_end[axes[i]] = v[na + i];
    }
  }
  /* passes: every axis whose mapping is not the identity */
  rd->n_passes = 0;
  for (int a = 0; a < r; a++)
    if (rd->out[a] != rd->in[a] || rd->scale[a] != 1.0 || strcmp(ctm, "tf_crop_and_resize") == 0)
      rd->order[rd->n_passes++] = a;
  for (int i = 1; i < rd->n_passes; i++) /* insertion sort: shrinking first, later axes first on ties */
    for (int j = i; j > 0; j--) {
      int a = rd->order[j - 1], b = rd->order[j];
      double ra = (double)rd->out[a] / (double)rd->in[a], rb = (double)rd->out[b] / (double)rd->in[b];
      if (rb < ra || (rb == ra && b > a)) {
        rd->order[j - 1] = b;
        rd->order[j] = a;
      } else break;
    }
  return 0;
}

static int infer_resize(Graph *g, Node *n) {
  Tensor *x = node_in(g, n, 0);
  if (x->dtype != DT_FLOAT) return node_err(g, n, "input X is %s; vitc supports float32 here", dtype_name(x->dtype));
  const char *mode = attr_str(n, "mode", "nearest");
  if (strcmp(mode, "nearest") && strcmp(mode, "linear") && strcmp(mode, "cubic"))
    return node_err(g, n, "mode '%s' is not supported (nearest, linear or cubic)", mode);
  const char *ctm = attr_str(n, "coordinate_transformation_mode", "half_pixel");
  static const char *const ctms[] = {"half_pixel", "half_pixel_symmetric", "pytorch_half_pixel", "align_corners",
                                     "asymmetric", "tf_crop_and_resize", NULL};
  bool known = false;
  for (int i = 0; ctms[i]; i++) known |= strcmp(ctm, ctms[i]) == 0;
  if (!known) return node_err(g, n, "coordinate_transformation_mode '%s' is not supported", ctm);
  const char *nm = attr_str(n, "nearest_mode", "round_prefer_floor");
  if (strcmp(nm, "round_prefer_floor") && strcmp(nm, "round_prefer_ceil") && strcmp(nm, "floor") && strcmp(nm, "ceil"))
    return node_err(g, n, "nearest_mode '%s' is not supported", nm);
  ResizeDims rd;
  if (resize_dims(g, n, &rd)) return -1;
  Shape out = {rd.rank, {0}};
  for (int i = 0; i < rd.rank; i++) out.d[i] = rd.out[i];
  if (check_numel(g, n, &out)) return -1;
  set_output(g, n, 0, DT_FLOAT, &out);
  return 0;
}

/* The input coordinate of output position j along an axis. As ONNX's reference
 * implementation, the "length of the output" in the formulas is in * scale, not
 * the integer output size (they differ when the scale does not divide). */
static double source_coord(const char *ctm, int64_t j, int64_t in, int64_t out, double scale, double roi0,
                           double roi1) {
  double x = (double)j, len = (double)in * scale;
  if (strcmp(ctm, "asymmetric") == 0) return x / scale;
  if (strcmp(ctm, "align_corners") == 0) return len == 1 ? 0.0 : x * (double)(in - 1) / (len - 1);
  if (strcmp(ctm, "pytorch_half_pixel") == 0) return len > 1 ? (x + 0.5) / scale - 0.5 : 0.0;
  if (strcmp(ctm, "half_pixel_symmetric") == 0) {
    double adjustment = (double)out / len;
    double center = (double)in / 2.0, offset = center * (1.0 - adjustment);
    return offset + (x + 0.5) / scale - 0.5;
  }
  if (strcmp(ctm, "tf_crop_and_resize") == 0)
    return len > 1 ? roi0 * (double)(in - 1) + x * (roi1 - roi0) * (double)(in - 1) / (len - 1)
                   : 0.5 * (roi0 + roi1) * (double)(in - 1);
  return (x + 0.5) / scale - 0.5; /* half_pixel */
}

static int64_t clamp_index(int64_t i, int64_t in) { return i < 0 ? 0 : i >= in ? in - 1 : i; }

static double cubic_weight(double s, double a) {
  s = fabs(s);
  if (s <= 1) return ((a + 2) * s - (a + 3)) * s * s + 1;
  if (s < 2) return ((a * s - 5 * a) * s + 8 * a) * s - 4 * a;
  return 0;
}

/* The taps table of one axis: idx/w (taps per output position), bias if any. */
typedef struct Taps {
  int taps;
  int32_t *idx;
  float *w;    /* NULL: nearest (one tap, weight 1) */
  float *bias; /* NULL: none */
} Taps;

static void axis_taps(const Node *n, const ResizeDims *rd, int a, Taps *tp) {
  const char *mode = attr_str(n, "mode", "nearest");
  const char *ctm = attr_str(n, "coordinate_transformation_mode", "half_pixel");
  const char *nm = attr_str(n, "nearest_mode", "round_prefer_floor");
  double ca = attr_float(n, "cubic_coeff_a", -0.75f), extrap = attr_float(n, "extrapolation_value", 0.0f);
  bool exclude = attr_int(n, "exclude_outside", 0) != 0, crop = strcmp(ctm, "tf_crop_and_resize") == 0;
  bool nearest = strcmp(mode, "nearest") == 0, cubic = strcmp(mode, "cubic") == 0;
  int64_t in = rd->in[a], out = rd->out[a];
  tp->taps = nearest ? 1 : cubic ? 4 : 2;
  tp->idx = xcalloc((size_t)(out * tp->taps), sizeof(int32_t));
  tp->w = nearest && !crop ? NULL : xcalloc((size_t)(out * tp->taps), sizeof(float));
  tp->bias = NULL;
  for (int64_t j = 0; j < out; j++) {
    double x = source_coord(ctm, j, in, out, rd->scale[a], rd->roi_start[a], rd->roi_end[a]);
    int32_t *ij = tp->idx + j * tp->taps;
    float *wj = tp->w ? tp->w + j * tp->taps : NULL;
    if (crop && (x < 0 || x > (double)(in - 1))) { /* outside the input: the extrapolation value */
      if (!tp->bias) tp->bias = xcalloc((size_t)out, sizeof(float));
      tp->bias[j] = (float)extrap;
      continue; /* zero weights on index 0 */
    }
    if (nearest) {
      double f = floor(x), frac = x - f;
      int64_t i;
      if (strcmp(nm, "floor") == 0) i = (int64_t)f;
      else if (strcmp(nm, "ceil") == 0) i = (int64_t)ceil(x);
      else if (strcmp(nm, "round_prefer_ceil") == 0) i = frac >= 0.5 ? (int64_t)f + 1 : (int64_t)f;
      else i = frac > 0.5 ? (int64_t)f + 1 : (int64_t)f;
      ij[0] = (int32_t)clamp_index(i, in);
      if (wj) wj[0] = 1.0f;
    } else if (!cubic) {
      double f = floor(x), r = x - f;
      int64_t i0 = (int64_t)f;
      ij[0] = (int32_t)clamp_index(i0, in);
      ij[1] = (int32_t)clamp_index(i0 + 1, in);
      wj[0] = (float)(1.0 - r);
      wj[1] = (float)r;
    } else {
      double f = floor(x), r = x - f, cw[4], sum = 0;
      int64_t i0 = (int64_t)f - 1;
      for (int t = 0; t < 4; t++) {
        int64_t i = i0 + t;
        cw[t] = cubic_weight(r - (t - 1), ca);
        if (exclude && (i < 0 || i >= in)) cw[t] = 0;
        sum += cw[t];
        ij[t] = (int32_t)clamp_index(i, in);
      }
      for (int t = 0; t < 4; t++) wj[t] = (float)(exclude && sum != 0 ? cw[t] / sum : cw[t]);
    }
  }
}

/* Floats of one of the two scratch buffers the passes alternate between: the largest
 * intermediate result, rounded up to 16 floats so the second buffer stays 64-byte aligned. */
static int64_t pass_buffer_floats(const ResizeDims *rd) {
  int64_t cur[IR_MAX_RANK], biggest = 0;
  memcpy(cur, rd->in, sizeof cur);
  for (int p = 0; p + 1 < rd->n_passes; p++) {
    cur[rd->order[p]] = rd->out[rd->order[p]];
    int64_t numel = 1;
    for (int i = 0; i < rd->rank; i++) numel *= cur[i];
    if (numel > biggest) biggest = numel;
  }
  return (biggest + 15) / 16 * 16;
}

static size_t scratch_resize(Graph *g, Node *n, const Target *t) {
  ResizeDims rd;
  if (resize_dims(g, n, &rd) || rd.n_passes < 2) return 0;
  return (size_t)(2 * pass_buffer_floats(&rd)) * sizeof(float);
}

static int emit_resize(Emitter *e, Graph *g, Node *n) {
  ResizeDims rd;
  if (resize_dims(g, n, &rd)) return -1;
  const char *x = emit_ref(e, n->in[0]), *y = emit_ref(e, n->out[0]);
  if (rd.n_passes == 0) {
    emit_line(e, "memcpy(%s, %s, %" PRId64 " * sizeof(float)); /* Resize to the same grid */", y, x,
              shape_numel(&node_in(g, n, 0)->shape));
    return 0;
  }
  emit_use_kernel(e, "resize/f32-resample");
  char bufs[2][160] = {"", ""};
  if (rd.n_passes > 1) {
    const char *s = emit_scratch(e);
    snprintf(bufs[0], sizeof bufs[0], "((float *)%s)", s);
    snprintf(bufs[1], sizeof bufs[1], "((float *)%s + %" PRId64 ")", s, pass_buffer_floats(&rd));
  }
  int64_t cur[IR_MAX_RANK]; /* the shape after the passes so far */
  memcpy(cur, rd.in, sizeof cur);
  char src[256];
  snprintf(src, sizeof src, "%s", x);
  for (int p = 0; p < rd.n_passes; p++) {
    int a = rd.order[p];
    int64_t outer = 1, inner = 1;
    for (int i = 0; i < a; i++) outer *= cur[i];
    for (int i = a + 1; i < rd.rank; i++) inner *= cur[i];
    Taps tp;
    axis_taps(n, &rd, a, &tp);
    const char *idx = emit_const(e, "resize_idx", DT_INT32, rd.out[a] * tp.taps, tp.idx);
    char idx_c[128], w_c[128] = "NULL", b_c[128] = "NULL";
    snprintf(idx_c, sizeof idx_c, "%s", idx);
    if (tp.w) snprintf(w_c, sizeof w_c, "%s", emit_const(e, "resize_w", DT_FLOAT, rd.out[a] * tp.taps, tp.w));
    if (tp.bias) snprintf(b_c, sizeof b_c, "%s", emit_const(e, "resize_bias", DT_FLOAT, rd.out[a], tp.bias));
    const char *dst = p + 1 == rd.n_passes ? y : bufs[p % 2];
    emit_line(e, "/* axis %d: %" PRId64 " -> %" PRId64 ", %d tap(s) each */", a, rd.in[a], rd.out[a], tp.taps);
    emit_line(e, "%s(%" PRId64 ", %" PRId64 ", %" PRId64 ", %" PRId64 ", %d, %s, %s, %s, %s, %s);",
              emit_kfn(e, "vitc_f32_resample"), outer, rd.in[a], rd.out[a], inner, tp.taps, idx_c, w_c, b_c, src,
              dst);
    snprintf(src, sizeof src, "%s", dst);
    cur[a] = rd.out[a];
    free(tp.idx);
    free(tp.w);
    free(tp.bias);
  }
  return 0;
}

const OpImpl op_impl_Resize = {.infer = infer_resize, .emit = emit_resize, .scratch = scratch_resize};
